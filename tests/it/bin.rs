//! Running the effprof binary that cargo built for these tests.

use std::process::{Command, Output};

/// The binary, ready for arguments.
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_effprof"))
}

/// The binary run to the end with `args`.
pub fn effprof(args: &[&str]) -> Output {
    command().args(args).output().expect("the binary runs")
}
