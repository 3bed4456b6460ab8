//! `effprof train`: Time to convergence: every variant trained to a target loss.

use super::*;
use crate::document::{Document, Format};

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub on: Selection,
    /// Smoothed loss to reach, nats per token (default: the task's floor + 0.1).
    #[arg(long)]
    pub target_loss: Option<f64>,
    /// Steps each variant may take.
    #[arg(long, default_value_t = 2000)]
    pub max_steps: usize,
    /// Seconds each variant may take.
    #[arg(long, default_value_t = 300.0)]
    pub max_time: f64,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    #[arg(long, short, default_value = "table", value_parser = formats(<crate::train::TrainDocument as Document>::FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub(super) fn run(args: TrainArgs) -> Result<(), CliError> {
    use crate::train::{TrainConfig, TrainRun, train_variant};
    let suite = spec::load_suite(&args.on.suite.suite)?;
    let names = chosen_variants(&suite, &args.on.variants)?;
    if args.max_steps == 0 {
        return Err(CliError::Usage("--max-steps must be at least 1".into()));
    }
    positive("--max-time", args.max_time)?;
    positive("--lr", args.lr)?;
    if let Some(t) = args.target_loss {
        positive("--target-loss", t)?;
    }
    let config = TrainConfig {
        target_loss: args.target_loss,
        max_steps: args.max_steps,
        learning_rate: args.lr,
        max_time: std::time::Duration::from_secs_f64(args.max_time),
    };
    let limit = memory_limit(&args.on.suite);
    let Some(floor) = crate::train::loss_floor(&suite.workload) else {
        return Err(CliError::Usage(format!(
            "suite `{}` runs on images; the convergence task is next-token prediction, so training is n/a for it",
            suite.name
        )));
    };
    let progress = crate::headless::spinner();
    progress.set_message(format!("opening {}", args.on.backend));
    open(args.on.backend)?;
    let mut runs: Vec<TrainRun> = Vec::new();
    let mut skipped = Vec::new();
    for name in &names {
        let variant = suite.variant(name).expect("checked above");
        let result = train_variant(
            variant,
            &suite.workload,
            args.on.backend,
            limit,
            &config,
            |step, loss, smoothed| {
                progress.set_message(format!(
                    "training {name} on {}: step {step}, loss {loss:.3} (smoothed {smoothed:.3}, floor {floor:.3})",
                    args.on.backend
                ))
            },
        );
        match result {
            Ok(run) => runs.push(run),
            Err(e) => skipped.push(format!("{name}: n/a, {e}")),
        }
    }
    progress.finish_and_clear();
    if !args.format.is_prose() {
        for line in &skipped {
            eprintln!("effprof: {line}");
        }
    }
    let doc = crate::train::TrainDocument {
        backend: args.on.backend,
        floor,
        runs,
        skipped,
    };
    write_document(&doc, args.format, &suite.name, args.out.as_ref())
}
