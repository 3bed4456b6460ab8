//! The commands that measure more than a forward pass: pipeline stages, sweeps, the roofline
//! and time to convergence.

use super::*;
use crate::engine::EngineConfig;
use crate::headless::{self, Stop};

pub(super) fn pipeline(args: PipelineArgs) -> Result<(), CliError> {
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
            skipped.push(format!(
                "{name}: n/a, a conv variant: pipeline stages split transformer layers only"
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
    let mut text = match args.format {
        Format::Table => pipeline::to_text(&reports, None),
        Format::Md => pipeline::to_markdown(&reports),
        Format::Csv => pipeline::to_csv(&reports)
            .map_err(|e| color_eyre::eyre::eyre!("cannot write CSV: {e}"))?,
        Format::Json => {
            let doc = serde_json::json!({
                "schema": "effprof.pipeline/1",
                "effprof_version": env!("CARGO_PKG_VERSION"),
                "suite": suite.name,
                "backend": args.on.backend,
                "reports": reports,
            });
            pretty_json(&doc)?
        }
    };
    if matches!(args.format, Format::Table | Format::Md) {
        for line in &skipped {
            text.push_str(line);
            text.push('\n');
        }
    } else {
        for line in &skipped {
            eprintln!("effprof: {line}");
        }
    }
    emit(&text, args.out.as_ref())
}

pub(super) fn sweep(args: SweepArgs) -> Result<(), CliError> {
    use crate::sweep::{SweepPoint, SweepReport};
    let suite = select_variants(spec::load_suite(&args.on.suite.suite)?, &args.on.variants)?;
    if args.batch.is_empty() || args.batch.iter().any(|b| *b == 0 || *b > spec::MAX_BATCH) {
        return Err(CliError::Usage(format!(
            "--batch takes sizes between 1 and {}",
            spec::MAX_BATCH
        )));
    }
    // Images have no sequence length: their sweep is along the batch alone.
    let tokens = suite.workload.token_workload();
    let seqs: Vec<Option<usize>> = match (tokens, args.seq.is_empty()) {
        (Some(t), true) => vec![Some(t.seq_len)],
        (Some(_), false) => args.seq.iter().copied().map(Some).collect(),
        (None, true) => vec![None],
        (None, false) => {
            return Err(CliError::Usage(format!(
                "--seq is for token workloads; suite `{}` runs on images, so only --batch is swept",
                suite.name
            )));
        }
    };
    if seqs
        .iter()
        .flatten()
        .any(|s| *s == 0 || *s > spec::MAX_SEQ_LEN)
    {
        return Err(CliError::Usage(format!(
            "--seq takes lengths between 1 and {}",
            spec::MAX_SEQ_LEN
        )));
    }
    positive("--duration", args.duration)?;
    let limit = memory_limit(&args.on.suite);
    open(args.on.backend)?;
    let total = seqs.len() * args.batch.len();
    let mut points = Vec::new();
    for (i, (seq, batch)) in seqs
        .iter()
        .flat_map(|s| args.batch.iter().map(move |b| (*s, *b)))
        .enumerate()
    {
        let point = match seq {
            Some(seq) => format!("batch {batch}, seq_len {seq}"),
            None => format!("batch {batch}"),
        };
        eprintln!(
            "effprof: point {}/{total}: {point} on {}",
            i + 1,
            args.on.backend
        );
        let mut at = suite.clone();
        if let (Some(seq), Some(t)) = (seq, tokens) {
            at.workload.input = crate::spec::Input::Tokens(crate::spec::TokenShape {
                seq_len: seq,
                vocab: t.vocab,
            });
        }
        let mut config = EngineConfig::new(at, args.on.backend, limit);
        config.batch = batch;
        config.measure_peaks = false;
        let summary = headless::run(
            config,
            Stop::Duration(std::time::Duration::from_secs_f64(args.duration)),
            |_| {},
        )?;
        for v in &summary.variants {
            if let crate::measured::Phase::Failed { reason } = &v.phase {
                eprintln!("effprof: {} at {point}: {reason}", v.name);
            }
        }
        points.push(SweepPoint::from_summary(&summary));
    }
    let report = SweepReport::new(args.on.backend, points);
    let text = render_document(&report, args.format, &suite.name)?;
    emit(&text, args.out.as_ref())
}

pub(super) fn roofline(args: RooflineArgs) -> Result<(), CliError> {
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
    let text = render_document(&roofline, args.format, &suite.name)?;
    emit(&text, args.out.as_ref())
}

pub(super) fn train(args: TrainArgs) -> Result<(), CliError> {
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
    let text = match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "schema": "effprof.train/1",
                "effprof_version": env!("CARGO_PKG_VERSION"),
                "suite": suite.name,
                "backend": args.on.backend,
                "floor": floor,
                "runs": runs,
                "skipped": skipped,
            });
            pretty_json(&doc)?
        }
        Format::Csv => crate::train::to_csv(&runs)
            .map_err(|e| color_eyre::eyre::eyre!("cannot write CSV: {e}"))?,
        Format::Table | Format::Md => {
            let mut text = crate::train::to_text(&runs, args.format == Format::Md);
            for line in &skipped {
                text.push_str(line);
                text.push('\n');
            }
            text
        }
    };
    emit(&text, args.out.as_ref())
}

/// What a headless measurement prints, in each format.
trait Document: serde::Serialize {
    /// `effprof.sweep/1`: the JSON document's schema.
    const SCHEMA: &'static str;
    /// The key the figures sit under in the JSON document.
    const KEY: &'static str;
    fn text(&self, markdown: bool) -> String;
    fn csv(&self) -> Result<String, csv::Error>;
    fn svg(&self) -> Result<String, String>;
}

impl Document for crate::sweep::SweepReport {
    const SCHEMA: &'static str = "effprof.sweep/1";
    const KEY: &'static str = "sweep";
    fn text(&self, markdown: bool) -> String {
        if markdown {
            self.to_markdown()
        } else {
            self.to_text()
        }
    }
    fn csv(&self) -> Result<String, csv::Error> {
        self.to_csv()
    }
    fn svg(&self) -> Result<String, String> {
        crate::snapshot::sweep_svg(self)
    }
}

impl Document for crate::roofline::Roofline {
    const SCHEMA: &'static str = "effprof.roofline/1";
    const KEY: &'static str = "roofline";
    fn text(&self, markdown: bool) -> String {
        self.to_text(markdown)
    }
    fn csv(&self) -> Result<String, csv::Error> {
        self.to_csv()
    }
    fn svg(&self) -> Result<String, String> {
        crate::snapshot::roofline_svg(self)
    }
}

fn render_document<D: Document>(
    doc: &D,
    format: SweepFormat,
    suite: &str,
) -> Result<String, CliError> {
    Ok(match format {
        SweepFormat::Table => doc.text(false),
        SweepFormat::Md => doc.text(true),
        SweepFormat::Csv => doc
            .csv()
            .map_err(|e| color_eyre::eyre::eyre!("cannot write CSV: {e}"))?,
        SweepFormat::Svg => doc
            .svg()
            .map_err(|e| color_eyre::eyre::eyre!("cannot draw the plot: {e}"))?,
        SweepFormat::Json => {
            let mut json = serde_json::json!({
                "schema": D::SCHEMA,
                "effprof_version": env!("CARGO_PKG_VERSION"),
                "suite": suite,
            });
            json[D::KEY] = serde_json::to_value(doc)
                .map_err(|e| color_eyre::eyre::eyre!("cannot write JSON: {e}"))?;
            pretty_json(&json)?
        }
    })
}
