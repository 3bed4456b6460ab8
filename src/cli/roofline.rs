//! `effprof roofline`: Every variant, and every part of it, on the backend's measured roofline.

use super::*;
use crate::document::{Document, Format};

#[derive(Debug, clap::Args)]
pub struct RooflineArgs {
    #[command(flatten)]
    pub on: Selection,
    /// Seconds of timing per part and layer.
    #[arg(long, default_value_t = 0.2)]
    pub budget: f64,
    #[arg(long, short, default_value = "table", value_parser = formats(<crate::roofline::Roofline as Document>::FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub(super) fn run(args: RooflineArgs) -> Result<(), CliError> {
    use crate::roofline::{Roofline, measure_parts};
    let suite = spec::load_suite(&args.on.suite.suite)?;
    let names = chosen_variants(&suite, &args.on.variants)?;
    positive("--budget", args.budget)?;
    let limit = memory_limit(&args.on.suite);
    let progress = crate::headless::spinner();
    progress.set_message(format!("opening {}", args.on.backend));
    let device = open(args.on.backend)?.device;
    progress.set_message(format!("measuring the peaks of {}", args.on.backend));
    let peaks = crate::engine::measure_peaks(&device).map_err(|e| {
        CliError::Other(color_eyre::eyre::eyre!(
            "measuring the peaks of {}: {e}",
            args.on.backend
        ))
    })?;
    let (mut points, mut notes) = (Vec::new(), Vec::new());
    for name in &names {
        let variant = suite.variant(name).expect("checked above");
        progress.set_message(format!("timing the parts of {name} on {}", args.on.backend));
        match measure_parts(
            variant,
            &suite.workload,
            args.on.backend,
            limit,
            std::time::Duration::from_secs_f64(args.budget),
        ) {
            Ok(parts) => {
                let r = parts.roofline(peaks);
                points.extend(r.points);
                notes.extend(r.notes);
            }
            Err(e) => progress.println(format!("effprof: {name} on {}: n/a, {e}", args.on.backend)),
        }
    }
    progress.finish_and_clear();
    let mut roofline = Roofline::new(args.on.backend, peaks, points);
    roofline.notes = notes;
    write_document(&roofline, args.format, &suite.name, args.out.as_ref())
}
