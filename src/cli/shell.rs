//! What a shell and `man` need: completions (clap_complete) and manual pages (clap_mangen),
//! generated from the same command definition as `--help`, so they cannot drift from it.

use std::path::PathBuf;

use clap::CommandFactory;

use super::{Cli, CliError, emit};

/// `effprof completions SHELL`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Load them for this shell session, or keep them where your shell looks:\n  bash:  source <(effprof completions bash)\n  zsh:   effprof completions zsh > ~/.zfunc/_effprof   (with fpath+=~/.zfunc before compinit)\n  fish:  effprof completions fish > ~/.config/fish/completions/effprof.fish"
)]
pub struct CompletionsArgs {
    /// The shell to complete effprof's commands and options in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// Write the script to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `effprof man`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Read it with `effprof man | man -l -`, or install the pages:\n  effprof man --dir ~/.local/share/man/man1"
)]
pub struct ManArgs {
    /// Write a page per command (effprof.1, effprof-bench.1, ...) into DIR instead of printing effprof.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The completion script for `shell`.
pub fn completion_script(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "effprof", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

/// effprof(1) in roff: the options of the TUI and the list of commands.
pub fn man_page() -> Result<String, std::io::Error> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

pub fn completions(args: CompletionsArgs) -> Result<(), CliError> {
    emit(&completion_script(args.shell), args.out.as_ref())
}

pub fn man(args: ManArgs) -> Result<(), CliError> {
    match args.dir {
        None => emit(&man_page().map_err(|e| CliError::Other(e.into()))?, None),
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| {
                CliError::Usage(format!("--dir: cannot create {}: {e}", dir.display()))
            })?;
            clap_mangen::generate_to(Cli::command(), &dir).map_err(|e| {
                CliError::Usage(format!("--dir: cannot write into {}: {e}", dir.display()))
            })
        }
    }
}
