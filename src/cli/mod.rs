//! The command line: the commands, and how each failure maps to an exit code. Each command is
//! one file with its options and its run; `args` holds the options several share. A new
//! command is its file and its line in [`Command`].

mod args;
pub(crate) mod bench;
mod diff;
mod generate;
mod models;
mod pipeline;
mod report;
mod roofline;
mod serve;
mod shell;
mod sweep;
mod train;

pub use args::*;
pub use bench::{BenchArgs, BenchRun};
pub use diff::DiffArgs;
pub use generate::GenerateArgs;
pub use models::ModelsArgs;
pub use pipeline::PipelineArgs;
pub use report::{Plot, ReportArgs};
pub use roofline::RooflineArgs;
pub use serve::ServeArgs;
pub use shell::{CompletionsArgs, ManArgs, completion_script, man_page};
pub use sweep::SweepArgs;
pub use train::TrainArgs;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::backend::Backend;
use crate::engine::EngineConfig;
use crate::snapshot::Snapshot;
use crate::spec::{self, BUILTIN_SUITES, SpecError, Suite};
use crate::units;

/// `--version`: effprof's, the burn it is built with, and the backends this build can open.
static LONG_VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let gpu = [
        ("cuda", cfg!(feature = "cuda")),
        ("rocm", cfg!(feature = "rocm")),
    ];
    let mut backends = vec!["flex", "ndarray", "wgpu"];
    backends.extend(
        gpu.iter()
            .filter(|(_, built)| *built)
            .map(|(name, _)| *name),
    );
    backends.push("remote");
    let left_out: Vec<&str> = gpu
        .iter()
        .filter(|(_, built)| !built)
        .map(|(n, _)| *n)
        .collect();
    let mut text = format!(
        "{}\nburn {}\nbackends: {}",
        env!("CARGO_PKG_VERSION"),
        crate::snapshot::BURN_VERSION,
        backends.join(", ")
    );
    if !left_out.is_empty() {
        text += &format!(
            " ({} left out of this build: cargo features of the same names)",
            left_out.join(", ")
        );
    }
    text
});

#[derive(Debug, Parser)]
#[command(
    name = "effprof",
    version,
    long_version = LONG_VERSION.as_str(),
    about = "A terminal profiler that shows the cost of deep-learning models from every side at once",
    long_about = "A terminal profiler that shows the cost of deep-learning models from every side at once.\n\nWithout a command, effprof opens the interactive TUI (or runs `bench` when stdout is not a terminal).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// Options of the interactive TUI (no command).
#[derive(Debug, clap::Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub on: Selection,
    /// Folder that `s` writes snapshots into.
    #[arg(long, default_value = "effprof-snapshots")]
    pub out_dir: PathBuf,
    #[command(flatten)]
    pub look: LookArgs,
    /// Whether --suite and --backend were given (else the config file's defaults apply).
    #[arg(skip)]
    pub given: Given,
}

/// How the TUI looks and which keys it takes: the config file, and `--basic`.
#[derive(Debug, Default, clap::Args)]
pub struct LookArgs {
    /// The TUI's config file: theme, default suite and backend, basic drawing, keys
    /// (default: $XDG_CONFIG_HOME/effprof/config.toml, or ~/.config/effprof/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Draw without charts or borders, for a small or dumb terminal (or `basic = true` in the config).
    #[arg(long)]
    pub basic: bool,
}

/// The TUI options given on the command line rather than left to their defaults.
#[derive(Clone, Copy, Debug, Default)]
pub struct Given {
    pub suite: bool,
    pub backend: bool,
}

impl Cli {
    /// The command line, noting which of the TUI's options were given: where they were not,
    /// the config file's defaults apply.
    pub fn parse_args() -> Cli {
        use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
        let matches = Cli::command().get_matches();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        cli.tui.given = Given {
            suite: given("suite"),
            backend: given("backend"),
        };
        cli
    }
}

impl LookArgs {
    /// The config file read, with `--basic` on top: a bad file is a usage error naming its
    /// line and key.
    pub fn load(&self) -> Result<crate::config::Config, CliError> {
        let mut config = crate::config::load(self.config.as_deref())
            .map_err(|e| CliError::Usage(e.to_string()))?;
        config.basic |= self.basic;
        Ok(config)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every variant's analytic indicators side by side, without running a model.
    Models(ModelsArgs),
    /// Measure every variant on a backend; print analytic and measured indicators side by side.
    Bench(BenchArgs),
    /// Split each variant into pipeline stages, measure them, and simulate GPipe and 1F1B.
    Pipeline(PipelineArgs),
    /// Generate tokens with every decoder of a generation suite: prefill and decode timed apart.
    Generate(GenerateArgs),
    /// Measure every variant across batch sizes (and sequence lengths or image sizes); find ranking flips.
    Sweep(SweepArgs),
    /// Place every variant, and every part of it, on the backend's measured roofline.
    Roofline(RooflineArgs),
    /// Train every variant on a Markov-chain task to a target loss: time to convergence.
    Train(TrainArgs),
    /// Re-render a saved snapshot (snapshot.json) as a table, Markdown, CSV, JSON or SVG.
    Report(ReportArgs),
    /// Set two snapshots side by side: ratios B / A, each measured figure's verdict (improved, regressed, within noise), changed counts; --fail-on gates CI.
    Diff(DiffArgs),
    /// Open the TUI on a recorded `bench --format jsonl` stream, or on one arriving on stdin (-).
    View(ViewArgs),
    /// Serve this machine's device to effprof elsewhere (`--backend remote:ws://host:port`).
    Serve(ServeArgs),
    /// Print a completion script for bash, zsh, fish, elvish or PowerShell.
    Completions(CompletionsArgs),
    /// Print effprof's man page (roff), or write one page per command with --dir.
    Man(ManArgs),
}

/// How a command failed, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or a bad suite: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The backend could not be opened: exit code 3.
    #[error("{0}")]
    Unavailable(String),
    /// Stopped by Ctrl-C, SIGTERM or SIGHUP: exit code 130, as a shell reports SIGINT.
    #[error("{0}")]
    Interrupted(String),
    /// `--fail-on regressed` and a measured figure regressed: exit code 4, the report written.
    #[error("{0}")]
    Regressed(String),
    #[error(transparent)]
    Other(#[from] color_eyre::Report),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Unavailable(_) => 3,
            CliError::Interrupted(_) => 130,
            CliError::Regressed(_) => 4,
            CliError::Other(_) => 1,
        }
    }
}

/// A command's exit code, its error printed first.
pub fn exit_code(result: Result<(), CliError>) -> std::process::ExitCode {
    let Err(e) = result else {
        return std::process::ExitCode::SUCCESS;
    };
    match &e {
        CliError::Usage(msg)
        | CliError::Unavailable(msg)
        | CliError::Interrupted(msg)
        | CliError::Regressed(msg) => eprintln!("error: {msg}"),
        CliError::Other(report) => eprintln!("error: {report:?}"),
    }
    std::process::ExitCode::from(e.exit_code())
}

impl CliError {
    /// A measurement of `variant` that failed: exit code 3 when the backend is unavailable,
    /// 2 when the request cannot be measured, 1 otherwise.
    pub(super) fn measuring(variant: &str, e: crate::error::MeasureError) -> Self {
        use crate::error::MeasureError;
        match e {
            MeasureError::Unavailable(u) => CliError::Unavailable(u.to_string()),
            MeasureError::Cancelled => CliError::Interrupted(format!("{variant}: cancelled")),
            e if e.is_request() => CliError::Usage(format!("{variant}: {e}")),
            e => CliError::Other(color_eyre::eyre::eyre!("{variant} on {e}")),
        }
    }
}

/// Opens the backend a command measures on, before any work: exit code 3 when it cannot be
/// used here.
pub(super) fn open(backend: crate::backend::Backend) -> Result<crate::backend::Opened, CliError> {
    backend
        .open()
        .map_err(|e| CliError::Unavailable(e.to_string()))
}

impl From<crate::headless::HeadlessError> for CliError {
    fn from(e: crate::headless::HeadlessError) -> Self {
        use crate::headless::HeadlessError;
        match e {
            HeadlessError::Unavailable(m) => CliError::Unavailable(m),
            HeadlessError::DeviceLost { why, .. } => CliError::Unavailable(why),
            HeadlessError::Interrupted { .. } => {
                CliError::Interrupted("interrupted before the run finished".into())
            }
            other => CliError::Other(other.into()),
        }
    }
}

impl From<crate::document::DocumentError> for CliError {
    fn from(e: crate::document::DocumentError) -> Self {
        CliError::Other(color_eyre::eyre::eyre!(e))
    }
}

impl From<SpecError> for CliError {
    fn from(e: SpecError) -> Self {
        CliError::Usage(e.to_string())
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Some(Command::Models(args)) => models::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Pipeline(args)) => pipeline::run(args),
        Some(Command::Generate(args)) => generate::run(args),
        Some(Command::Sweep(args)) => sweep::run(args),
        Some(Command::Roofline(args)) => roofline::run(args),
        Some(Command::Train(args)) => train::run(args),
        Some(Command::Report(args)) => report::run(args),
        Some(Command::Diff(args)) => diff::run(args),
        Some(Command::View(args)) => view(args),
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Completions(args)) => shell::completions(args),
        Some(Command::Man(args)) => shell::man(args),
        None => interactive(cli.tui),
    }
}

fn interactive(args: TuiArgs) -> Result<(), CliError> {
    use std::io::IsTerminal;
    // Read first: a bad config file is named whether or not the screen is a terminal.
    let settings = args.look.load()?;
    if !std::io::stdout().is_terminal() {
        eprintln!("effprof: stdout is not a terminal; running `effprof bench` instead");
        return bench::run(BenchArgs {
            on: args.on,
            run: BenchRun::default(),
            by: None,
            compare: None,
            gate: diff::Gate::default(),
        });
    }
    let mut on = args.on;
    if let (false, Some(suite)) = (args.given.suite, &settings.suite) {
        on.suite.suite = suite.clone();
    }
    if let (false, Some(backend)) = (args.given.backend, settings.backend) {
        on.backend = backend;
    }
    let suite = select_variants(spec::load_suite(&on.suite.suite)?, &on.variants)?;
    let limit = memory_limit(&on.suite);
    let mut config = EngineConfig::new(suite, on.backend, limit);
    // The screen stays useful without the backend asked for: it says why and measures on the CPU.
    config.fallback = Some(Backend::Flex);
    crate::tui::run(config, args.out_dir, crate::tui::Look::of(settings)).map_err(CliError::Other)
}

fn view(args: ViewArgs) -> Result<(), CliError> {
    let look = crate::tui::Look::of(args.look.load()?);
    let stream = if args.stream == "-" {
        crate::stream::StreamSource::stdin()
    } else {
        crate::stream::StreamSource::file(std::path::Path::new(&args.stream))
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    crate::tui::view(stream, args.out_dir, look).map_err(CliError::Other)
}

/// The variants named (each checked against the suite), or all of the suite's.
pub(super) fn chosen_variants(suite: &Suite, names: &[String]) -> Result<Vec<String>, CliError> {
    if names.is_empty() {
        return Ok(suite.variants.iter().map(|v| v.name.clone()).collect());
    }
    select_variants(suite.clone(), names)?;
    Ok(names.to_vec())
}

/// `--max-memory`, or half of the memory available.
pub(super) fn memory_limit(args: &SuiteArgs) -> u64 {
    args.max_memory.unwrap_or_else(crate::memory::default_limit)
}

/// A usage error unless `value` is a positive number.
pub(super) fn positive(flag: &str, value: f64) -> Result<(), CliError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "{flag} must be positive; got {value}"
        )))
    }
}

/// `doc`, about the suite named `suite`, in `format`, written to `out` or standard output.
pub(super) fn write_document<D: crate::document::Document>(
    doc: &D,
    format: crate::document::Format,
    suite: &str,
    out: Option<&PathBuf>,
) -> Result<(), CliError> {
    let text = crate::document::render(doc, format, suite)?;
    emit(&text, out)
}

pub(super) fn load_snapshot(path: &std::path::Path) -> Result<Snapshot, CliError> {
    Snapshot::load(path).map_err(|e| CliError::Usage(e.to_string()))
}

/// Keeps the named variants and the baseline; every name must be a variant of the suite.
pub(super) fn select_variants(mut suite: Suite, names: &[String]) -> Result<Suite, CliError> {
    for name in names {
        if suite.variant(name).is_none() {
            return Err(CliError::Usage(format!(
                "--variants: `{name}` is not a variant of {}; variants are: {}",
                suite.source,
                crate::arch::names(&suite.variants)
            )));
        }
    }
    if !names.is_empty() {
        let baseline = suite.workload.baseline.clone();
        suite
            .variants
            .retain(|v| v.name == baseline || names.contains(&v.name));
    }
    Ok(suite)
}

pub(super) fn emit(text: &str, out: Option<&PathBuf>) -> Result<(), CliError> {
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`effprof models | head`) is not an error worth a report.
            match stdout.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| CliError::Other(e.into())),
            }
        }
    }
}
