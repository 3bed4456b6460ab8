//! `effprof diff`: Two snapshots side by side.

use super::*;
use crate::document::{Document, Format};
use crate::snapshot::Diff;

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The first snapshot (A).
    pub a: PathBuf,
    /// The second snapshot (B); ratios are B / A.
    pub b: PathBuf,
    #[arg(long, short, default_value = "table", value_parser = formats(<crate::snapshot::Diff as Document>::FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub(super) fn run(args: DiffArgs) -> Result<(), CliError> {
    let a = load_snapshot(&args.a)?;
    let b = load_snapshot(&args.b)?;
    let diff = Diff::new(
        &a,
        &b,
        &args.a.display().to_string(),
        &args.b.display().to_string(),
    );
    let name = a.suite.name.clone();
    write_document(&diff, args.format, &name, args.out.as_ref())
}
