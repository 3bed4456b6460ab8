use std::process::ExitCode;

use clap::Parser;
use effprof::cli::{self, Cli};
use effprof::engine::heap::CountingAllocator;

// Counts heap bytes so the engine can report what a forward pass allocates.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("effprof: cannot install the error handler: {e}");
    }
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match &e {
                cli::CliError::Usage(msg) | cli::CliError::Unavailable(msg) => {
                    eprintln!("error: {msg}")
                }
                cli::CliError::Other(report) => eprintln!("error: {report:?}"),
            }
            ExitCode::from(e.exit_code())
        }
    }
}
