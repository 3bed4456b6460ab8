//! `effprof pipeline`: Split each variant into pipeline stages, measure them, and simulate GPipe and 1F1B.

use super::*;
use crate::document::{Document, Format};
use crate::family::Feature;

#[derive(Debug, clap::Args)]
pub struct PipelineArgs {
    #[command(flatten)]
    pub on: Selection,
    /// Numbers of pipeline stages, comma-separated; each at most the variant's layers.
    #[arg(long, value_delimiter = ',', default_value = "2,4")]
    pub stages: Vec<usize>,
    /// Numbers of micro-batches per step, comma-separated (1 to 1024).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,4,8,16",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=crate::pipeline::MAX_MICRO_BATCHES as u64)
    )]
    pub micro_batches: Vec<usize>,
    /// Seconds of timing per stage and pass.
    #[arg(long, default_value_t = 0.3)]
    pub budget: f64,
    #[arg(long, short, default_value = "table", value_parser = formats(<crate::pipeline::PipelineRun as Document>::FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub(super) fn run(args: PipelineArgs) -> Result<(), CliError> {
    use crate::pipeline::{self, PipelineReport};
    let suite = spec::load_suite(&args.on.suite.suite)?;
    let names = chosen_variants(&suite, &args.on.variants)?;
    if args.stages.contains(&0) || args.micro_batches.contains(&0) {
        return Err(CliError::Usage(
            "--stages and --micro-batches must be at least 1".into(),
        ));
    }
    positive("--budget", args.budget)?;
    let limit = memory_limit(&args.on.suite);
    let progress = crate::headless::spinner();
    progress.set_message(format!("opening {}", args.on.backend));
    open(args.on.backend)?;
    let mut reports = Vec::new();
    let mut skipped = Vec::new();
    for name in &names {
        let variant = suite.variant(name).expect("checked above");
        let Some(dims) = variant.transformer_dims() else {
            let why = variant.family.unsupported(Feature::PipelineStages);
            skipped.push(format!(
                "{name}: n/a, {}",
                why.unwrap_or("no transformer layers to split into stages")
            ));
            continue;
        };
        for &p in &args.stages {
            if p > dims.n_layers {
                skipped.push(format!(
                    "{name}: {p} stages skipped, it has {} layers",
                    dims.n_layers
                ));
                continue;
            }
            progress.set_message(format!(
                "measuring {name} in {p} stages on {}",
                args.on.backend
            ));
            let stages = pipeline::measure_stages(
                variant,
                &suite.workload,
                args.on.backend,
                p,
                limit,
                std::time::Duration::from_secs_f64(args.budget),
            )
            .map_err(|e| CliError::measuring(name, e))?;
            reports.push(PipelineReport::new(stages, &args.micro_batches));
        }
    }
    progress.finish_and_clear();
    if !args.format.is_prose() {
        for line in &skipped {
            eprintln!("effprof: {line}");
        }
    }
    let run = pipeline::PipelineRun {
        backend: args.on.backend,
        reports,
        skipped,
    };
    write_document(&run, args.format, &suite.name, args.out.as_ref())
}
