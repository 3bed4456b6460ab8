use std::process::ExitCode;

use effprof::cli::{self, Cli};
use effprof::engine::heap::CountingAllocator;

// Counts heap bytes so the engine can report what a forward pass allocates.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() -> ExitCode {
    give_mesa_a_runtime_dir();
    effprof::backend::keep_wgpu_caches_per_user();
    if let Err(e) = color_eyre::install() {
        eprintln!("effprof: cannot install the error handler: {e}");
    }
    quiet_parser_panics();
    cli::exit_code(cli::run(Cli::parse_args()))
}

/// A panic inside the ONNX parser becomes an error naming the file (`effprof::onnx`); the
/// parser's own message is in that error, so the hook does not print it a second time.
fn quiet_parser_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() != Some(effprof::onnx::PARSER_THREAD) {
            report(info);
        }
    }));
}

/// Mesa's Vulkan drivers (lavapipe among them) print "XDG_RUNTIME_DIR is invalid or not set"
/// on every wgpu device they open when the variable is missing, as it is under sudo, in
/// containers and in CI. effprof opens no window; a private folder satisfies them and keeps
/// stderr (and later the terminal UI) clean. Runs before any thread exists.
fn give_mesa_a_runtime_dir() {
    #[cfg(unix)]
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        use std::os::unix::fs::DirBuilderExt;
        let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
        let dir = std::env::temp_dir().join(format!("effprof-runtime-{user}"));
        let ready = dir.is_dir() || std::fs::DirBuilder::new().mode(0o700).create(&dir).is_ok();
        if ready {
            // SAFETY: called first thing in main, before any other thread is started.
            unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
        }
    }
}
