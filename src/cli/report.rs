//! `effprof report`: A saved snapshot rendered again, as a table, Markdown, CSV, JSON or a plot.

use super::*;
use clap::ValueEnum;

use crate::document::{Format, PLOTTED};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A snapshot.json written by `s` in the TUI, `bench --export` or `bench --format json`.
    pub snapshot: PathBuf,
    #[arg(long, short, default_value = "table", value_parser = formats(PLOTTED))]
    pub format: Format,
    /// Which plot `--format svg` draws.
    #[arg(long, value_enum, default_value_t = Plot::Scatter)]
    pub plot: Plot,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Plot {
    /// FLOPs vs latency, parameters vs latency, FLOPs vs throughput.
    Scatter,
    /// Every indicator relative to the baseline.
    Relative,
    /// The pipeline timelines, when the snapshot has pipeline figures.
    Pipeline,
    /// The latency-throughput curves, when the snapshot has a sweep.
    Sweep,
    /// The roofline, when the backend's peaks were measured.
    Roofline,
}

pub(super) fn run(args: ReportArgs) -> Result<(), CliError> {
    let snapshot = load_snapshot(&args.snapshot)?;
    if args.format != Format::Svg {
        let name = snapshot.suite.name.clone();
        return write_document(&snapshot, args.format, &name, args.out.as_ref());
    }
    let svg = match args.plot {
        Plot::Scatter => crate::snapshot::scatter_svg(&snapshot),
        Plot::Relative => crate::snapshot::relative_svg(&snapshot),
        Plot::Pipeline => match &snapshot.pipeline {
            Some(p) => crate::pipeline::pipeline_svg(p),
            None => {
                return Err(CliError::Usage(format!(
                    "{} has no pipeline figures: they are measured in the TUI's Pipeline view ({}) before `s`",
                    args.snapshot.display(),
                    crate::app::View::Pipeline.number()
                )));
            }
        },
        Plot::Roofline => match snapshot.roofline() {
            Some(r) => crate::roofline::roofline_svg(&r),
            None => {
                return Err(CliError::Usage(format!(
                    "{} has no roofline: the backend's peaks were not measured",
                    args.snapshot.display()
                )));
            }
        },
        Plot::Sweep => match &snapshot.sweep {
            Some(s) => crate::sweep::sweep_svg(s),
            None => {
                return Err(CliError::Usage(format!(
                    "{} has no sweep: run one with `w` in the TUI before `s`, or use `effprof sweep --format svg`",
                    args.snapshot.display()
                )));
            }
        },
    }
    .map_err(|e| CliError::Other(color_eyre::eyre::eyre!("cannot render SVG: {e}")))?;
    emit(&svg, args.out.as_ref())
}
