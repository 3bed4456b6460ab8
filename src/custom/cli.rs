//! effprof's command line on a [`Profile`]: the TUI, or `bench`, as `effprof` runs them on a
//! suite file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use super::Profile;
use crate::backend::Backend;
use crate::cli::{BenchRun, CliError};
use crate::engine::EngineConfig;

#[derive(Debug, Parser)]
#[command(
    about = "Profiles models of your own with effprof: the TUI without a command",
    args_conflicts_with_subcommands = true
)]
struct ProfileCli {
    #[command(subcommand)]
    command: Option<ProfileCommand>,
    /// ndarray, flex, wgpu, wgpu:cpu, wgpu:discrete:N or wgpu:integrated:N.
    #[arg(long, short, default_value = "flex")]
    backend: Backend,
    /// Folder that `s` writes snapshots into.
    #[arg(long, default_value = "effprof-snapshots")]
    out_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
enum ProfileCommand {
    /// Measure every variant on a backend; print traced and measured indicators side by side.
    Bench {
        /// ndarray, flex, wgpu, wgpu:cpu, wgpu:discrete:N or wgpu:integrated:N.
        #[arg(long, short, default_value = "flex")]
        backend: Backend,
        #[command(flatten)]
        run: BenchRun,
    },
}

pub(super) fn main(profile: &Profile) -> ExitCode {
    crate::backend::keep_wgpu_caches_per_user();
    crate::cli::exit_code(run(profile, ProfileCli::parse()))
}

fn run(profile: &Profile, cli: ProfileCli) -> Result<(), CliError> {
    let suite = profile
        .suite()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let limit = crate::memory::default_limit();
    match cli.command {
        Some(ProfileCommand::Bench { backend, run }) => {
            crate::cli::bench::measure(suite, backend, limit, &run, None)
        }
        None => {
            use std::io::IsTerminal;
            if !std::io::stdout().is_terminal() {
                eprintln!("effprof: stdout is not a terminal; running `bench` instead");
                return crate::cli::bench::measure(
                    suite,
                    cli.backend,
                    limit,
                    &BenchRun::default(),
                    None,
                );
            }
            let mut config = EngineConfig::new(suite, cli.backend, limit);
            config.fallback = Some(Backend::Flex);
            {
                let settings =
                    crate::config::load(None).map_err(|e| CliError::Usage(e.to_string()))?;
                crate::tui::run(config, cli.out_dir, crate::tui::Look::of(settings))
                    .map_err(CliError::Other)
            }
        }
    }
}
