//! The command line: `effprof models`, and the options every command shares.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::backend::Backend;
use crate::engine::EngineConfig;
use crate::headless::{self, HeadlessError, Stop};
use crate::report::ModelsReport;
use crate::snapshot::{Diff, Host, Snapshot};
use crate::spec::{self, BUILTIN_SUITES, DEFAULT_SUITE, SpecError, Suite};
use crate::units;

#[derive(Debug, Parser)]
#[command(
    name = "effprof",
    version,
    about = "A terminal profiler that shows the cost of deep-learning models from every side at once",
    long_about = "A terminal profiler that shows the cost of deep-learning models from every side at once.\n\nWithout a command, effprof opens the interactive TUI (or runs `bench` when stdout is not a terminal).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// Options of the interactive TUI (no command).
#[derive(Debug, clap::Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// ndarray, flex, wgpu, wgpu:cpu, wgpu:discrete:N or wgpu:integrated:N.
    #[arg(long, short, default_value = "ndarray")]
    pub backend: Backend,
    /// Folder that `s` writes snapshots into.
    #[arg(long, default_value = "effprof-snapshots")]
    pub out_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every variant's analytic indicators side by side, without running a model.
    Models(ModelsArgs),
    /// Measure every variant on a backend; print analytic and measured indicators side by side.
    Bench(BenchArgs),
    /// Split each variant into pipeline stages, measure them, and simulate GPipe and 1F1B.
    Pipeline(PipelineArgs),
    /// Measure every variant across batch sizes (and sequence lengths); find ranking flips.
    Sweep(SweepArgs),
    /// Place every variant, and every part of it, on the backend's measured roofline.
    Roofline(RooflineArgs),
    /// Train every variant on a Markov-chain task to a target loss: time to convergence.
    Train(TrainArgs),
    /// Re-render a saved snapshot (snapshot.json) as a table, Markdown, CSV, JSON or SVG.
    Report(ReportArgs),
    /// Set two snapshots side by side: ratios B / A, and indicators whose ranking changed.
    Diff(DiffArgs),
    /// Open the TUI on a recorded `bench --format jsonl` stream, or on one arriving on stdin (-).
    View(ViewArgs),
}

/// What a measuring command measures: which suite, which of its variants, on which backend.
#[derive(Debug, clap::Args)]
pub struct Selection {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Variants, comma-separated (default: all of the suite's).
    #[arg(long, value_delimiter = ',')]
    pub variants: Vec<String>,
    /// ndarray, flex, wgpu, wgpu:cpu, wgpu:discrete:N or wgpu:integrated:N.
    #[arg(long, short, default_value = "ndarray")]
    pub backend: Backend,
}

#[derive(Debug, clap::Args)]
pub struct PipelineArgs {
    #[command(flatten)]
    pub on: Selection,
    /// Numbers of pipeline stages, comma-separated; each at most the variant's layers.
    #[arg(long, value_delimiter = ',', default_value = "2,4")]
    pub stages: Vec<usize>,
    /// Numbers of micro-batches per step, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16")]
    pub micro_batches: Vec<usize>,
    /// Seconds of timing per stage and pass.
    #[arg(long, default_value_t = 0.3)]
    pub budget: f64,
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub on: Selection,
    /// Batch sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8")]
    pub batch: Vec<usize>,
    /// Sequence lengths, comma-separated (default: the suite's).
    #[arg(long, value_delimiter = ',')]
    pub seq: Vec<usize>,
    /// Seconds to measure at each point once every variant is warm.
    #[arg(long, default_value_t = 2.0)]
    pub duration: f64,
    #[arg(long, short, value_enum, default_value_t = SweepFormat::Table)]
    pub format: SweepFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    Table,
    Json,
    Csv,
    Md,
    /// Latency-throughput curves, one panel per sequence length.
    Svg,
}

#[derive(Debug, clap::Args)]
pub struct RooflineArgs {
    #[command(flatten)]
    pub on: Selection,
    /// Seconds of timing per part and layer.
    #[arg(long, default_value_t = 0.2)]
    pub budget: f64,
    #[arg(long, short, value_enum, default_value_t = SweepFormat::Table)]
    pub format: SweepFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

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
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A snapshot.json written by `s` in the TUI, `bench --export` or `bench --format json`.
    pub snapshot: PathBuf,
    #[arg(long, short, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Which plot `--format svg` draws.
    #[arg(long, value_enum, default_value_t = Plot::Scatter)]
    pub plot: Plot,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Md,
    Csv,
    Json,
    Svg,
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

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The first snapshot (A).
    pub a: PathBuf,
    /// The second snapshot (B); ratios are B / A.
    pub b: PathBuf,
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ViewArgs {
    /// A file recorded with `effprof bench --format jsonl`, or - for standard input.
    pub stream: String,
    /// Folder that `s` writes snapshots into.
    #[arg(long, default_value = "effprof-snapshots")]
    pub out_dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Variants to measure, comma-separated (default: all); the baseline is always measured.
    #[arg(long, value_delimiter = ',')]
    pub variants: Vec<String>,
    /// ndarray, flex, wgpu, wgpu:cpu, wgpu:discrete:N or wgpu:integrated:N.
    #[arg(long, short, default_value = "ndarray")]
    pub backend: Backend,
    /// Sequences per forward pass (default: the suite's).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Seconds to measure once every variant is warm.
    #[arg(long, default_value_t = 10.0, conflicts_with = "iters")]
    pub duration: f64,
    /// Measure this many iterations of every variant instead of a duration.
    #[arg(long)]
    pub iters: Option<u64>,
    #[arg(long, short, value_enum, default_value_t = BenchFormat::Table)]
    pub format: BenchFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Also write the snapshot set (JSON, CSV, Markdown, SVG, screen text) into a new folder
    /// under DIR at the end of the run.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    Table,
    Json,
    Csv,
    Md,
    /// One JSON summary per line while the run goes on.
    Jsonl,
}

#[derive(Debug, clap::Args)]
pub struct SuiteArgs {
    /// A suite file, or the name of a built-in suite (see `effprof models --list`).
    #[arg(long, short, default_value = DEFAULT_SUITE)]
    pub suite: String,
    /// Refuse models whose estimated memory exceeds this (e.g. 4GB, 512MiB); default: half of
    /// the available memory.
    #[arg(long, value_parser = units::parse_bytes)]
    pub max_memory: Option<u64>,
}

#[derive(Debug, clap::Args)]
pub struct ModelsArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Variants to show, comma-separated (default: all); the baseline is always shown.
    #[arg(long, value_delimiter = ',')]
    pub variants: Vec<String>,
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// List the suites: built in, and in ./models.
    #[arg(long)]
    pub list: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Md,
}

/// How a command failed, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or a bad suite: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The backend could not be opened: exit code 3.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Other(#[from] color_eyre::Report),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Unavailable(_) => 3,
            CliError::Other(_) => 1,
        }
    }
}

impl From<SpecError> for CliError {
    fn from(e: SpecError) -> Self {
        CliError::Usage(e.to_string())
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Some(Command::Models(args)) => models(args),
        Some(Command::Bench(args)) => bench(args),
        Some(Command::Pipeline(args)) => pipeline(args),
        Some(Command::Sweep(args)) => sweep(args),
        Some(Command::Roofline(args)) => roofline(args),
        Some(Command::Train(args)) => train(args),
        Some(Command::Report(args)) => report(args),
        Some(Command::Diff(args)) => diff(args),
        Some(Command::View(args)) => view(args),
        None => interactive(cli.tui),
    }
}

fn models(args: ModelsArgs) -> Result<(), CliError> {
    if args.list {
        return emit(&list_suites(), args.out.as_ref());
    }
    let suite = select_variants(spec::load_suite(&args.suite.suite)?, &args.variants)?;
    let report = ModelsReport::new(&suite).map_err(|e| CliError::Usage(e.to_string()))?;
    let limit = memory_limit(&args.suite);
    let mut table = report.table();
    for v in &report.variants {
        let estimate = v.cost.totals.memory_estimate_bytes;
        if estimate > limit {
            table.notes.push(format!(
                "warning: `{}` needs an estimated {}, over the memory limit of {}; it will be refused when built",
                v.name,
                units::bytes(estimate),
                units::bytes(limit)
            ));
        }
    }
    let text = match args.format {
        Format::Table => {
            format!(
                "suite {} ({}): {}\n{}",
                suite.name,
                suite.source,
                suite.description,
                table.to_text(None)
            )
        }
        Format::Md => table.to_markdown(),
        Format::Csv => table
            .to_csv()
            .map_err(|e| color_eyre::eyre::eyre!("cannot write CSV: {e}"))?,
        Format::Json => pretty_json(&report)?,
    };
    emit(&text, args.out.as_ref())
}

fn interactive(args: TuiArgs) -> Result<(), CliError> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        eprintln!("effprof: stdout is not a terminal; running `effprof bench` instead");
        return bench(BenchArgs {
            suite: args.suite,
            variants: Vec::new(),
            backend: args.backend,
            batch: None,
            duration: 10.0,
            iters: None,
            format: BenchFormat::Table,
            out: None,
            export: None,
        });
    }
    let suite = spec::load_suite(&args.suite.suite)?;
    let limit = memory_limit(&args.suite);
    let config = EngineConfig::new(suite, args.backend, limit);
    crate::tui::run(config, args.out_dir).map_err(CliError::Other)
}

fn view(args: ViewArgs) -> Result<(), CliError> {
    let stream = if args.stream == "-" {
        crate::tui::StreamSource::stdin()
    } else {
        crate::tui::StreamSource::file(std::path::Path::new(&args.stream))
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    crate::tui::view(stream, args.out_dir).map_err(CliError::Other)
}

fn pipeline(args: PipelineArgs) -> Result<(), CliError> {
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
    let mut reports = Vec::new();
    let mut skipped = Vec::new();
    for name in &names {
        let variant = suite.variant(name).expect("checked above");
        for &p in &args.stages {
            if p > variant.dims.n_layers {
                skipped.push(format!(
                    "{name}: {p} stages skipped, it has {} layers",
                    variant.dims.n_layers
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
            .map_err(|e| {
                if e.contains("unavailable") || e.contains("adapter") {
                    CliError::Unavailable(e)
                } else {
                    CliError::Other(color_eyre::eyre::eyre!(
                        "{name} on {}: {e}",
                        args.on.backend
                    ))
                }
            })?;
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

fn sweep(args: SweepArgs) -> Result<(), CliError> {
    use crate::sweep::{SweepPoint, SweepReport};
    let suite = select_variants(spec::load_suite(&args.on.suite.suite)?, &args.on.variants)?;
    if args.batch.is_empty() || args.batch.iter().any(|b| *b == 0 || *b > 1 << 16) {
        return Err(CliError::Usage(
            "--batch takes sizes between 1 and 65536".into(),
        ));
    }
    let seqs = if args.seq.is_empty() {
        vec![suite.workload.seq_len]
    } else {
        args.seq.clone()
    };
    if seqs.iter().any(|s| *s == 0 || *s > 1 << 16) {
        return Err(CliError::Usage(
            "--seq takes lengths between 1 and 65536".into(),
        ));
    }
    positive("--duration", args.duration)?;
    let limit = memory_limit(&args.on.suite);
    let total = seqs.len() * args.batch.len();
    let mut points = Vec::new();
    for (i, (seq, batch)) in seqs
        .iter()
        .flat_map(|s| args.batch.iter().map(move |b| (*s, *b)))
        .enumerate()
    {
        eprintln!(
            "effprof: point {}/{total}: batch {batch}, seq_len {seq} on {}",
            i + 1,
            args.on.backend
        );
        let mut at = suite.clone();
        at.workload.seq_len = seq;
        let mut config = EngineConfig::new(at, args.on.backend, limit);
        config.batch = batch;
        config.measure_peaks = false;
        let summary = headless::run(
            config,
            Stop::Duration(std::time::Duration::from_secs_f64(args.duration)),
            |_| {},
        )
        .map_err(|e| match e {
            HeadlessError::Unavailable(m) => CliError::Unavailable(m),
            other => CliError::Other(other.into()),
        })?;
        for v in &summary.variants {
            if let crate::engine::Phase::Failed { reason } = &v.phase {
                eprintln!(
                    "effprof: {} at batch {batch}, seq_len {seq}: {reason}",
                    v.name
                );
            }
        }
        points.push(SweepPoint::from_summary(&summary));
    }
    let report = SweepReport::new(args.on.backend, points);
    let text = render_document(&report, args.format, &suite.name)?;
    emit(&text, args.out.as_ref())
}

fn roofline(args: RooflineArgs) -> Result<(), CliError> {
    use crate::roofline::{Roofline, measure_parts};
    let suite = spec::load_suite(&args.on.suite.suite)?;
    let names = chosen_variants(&suite, &args.on.variants)?;
    positive("--budget", args.budget)?;
    let limit = memory_limit(&args.on.suite);
    let progress = crate::headless::spinner();
    progress.set_message(format!("measuring the peaks of {}", args.on.backend));
    let device = args.on.backend.device();
    let peaks = crate::engine::measure_peaks(&device)
        .map_err(|e| CliError::Unavailable(format!("{}: {e}", args.on.backend)))?;
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

fn train(args: TrainArgs) -> Result<(), CliError> {
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
    let floor = crate::train::task(&suite.workload).entropy_rate();
    let progress = crate::headless::spinner();
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

/// The variants named (each checked against the suite), or all of the suite's.
fn chosen_variants(suite: &Suite, names: &[String]) -> Result<Vec<String>, CliError> {
    if names.is_empty() {
        return Ok(suite.variants.iter().map(|v| v.name.clone()).collect());
    }
    select_variants(suite.clone(), names)?;
    Ok(names.to_vec())
}

/// `--max-memory`, or half of the memory available.
fn memory_limit(args: &SuiteArgs) -> u64 {
    args.max_memory.unwrap_or_else(crate::memory::default_limit)
}

/// A usage error unless `value` is a positive number.
fn positive(flag: &str, value: f64) -> Result<(), CliError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "{flag} must be positive; got {value}"
        )))
    }
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

/// Pretty JSON ending in a newline.
fn pretty_json(value: &impl serde::Serialize) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| color_eyre::eyre::eyre!("cannot write JSON: {e}"))?;
    s.push('\n');
    Ok(s)
}

fn load_snapshot(path: &std::path::Path) -> Result<Snapshot, CliError> {
    Snapshot::load(path).map_err(|e| CliError::Usage(e.to_string()))
}

fn report(args: ReportArgs) -> Result<(), CliError> {
    let snapshot = load_snapshot(&args.snapshot)?;
    let render = |what: &str, e: String| {
        CliError::Other(color_eyre::eyre::eyre!("cannot render {what}: {e}"))
    };
    let text = match args.format {
        ReportFormat::Table => snapshot.to_text(None),
        ReportFormat::Md => snapshot.to_markdown(),
        ReportFormat::Csv => snapshot
            .to_csv()
            .map_err(|e| render("CSV", e.to_string()))?,
        ReportFormat::Json => snapshot.to_json(),
        ReportFormat::Svg => match args.plot {
            Plot::Scatter => crate::snapshot::scatter_svg(&snapshot),
            Plot::Relative => crate::snapshot::relative_svg(&snapshot),
            Plot::Pipeline => match &snapshot.pipeline {
                Some(p) => crate::snapshot::pipeline_svg(p),
                None => {
                    return Err(CliError::Usage(format!(
                        "{} has no pipeline figures: they are measured in the TUI's Pipeline view (5) before `s`",
                        args.snapshot.display()
                    )));
                }
            },
            Plot::Roofline => match snapshot.roofline() {
                Some(r) => crate::snapshot::roofline_svg(&r),
                None => {
                    return Err(CliError::Usage(format!(
                        "{} has no roofline: the backend's peaks were not measured",
                        args.snapshot.display()
                    )));
                }
            },
            Plot::Sweep => match &snapshot.sweep {
                Some(s) => crate::snapshot::sweep_svg(s),
                None => {
                    return Err(CliError::Usage(format!(
                        "{} has no sweep: run one with `w` in the TUI before `s`, or use `effprof sweep --format svg`",
                        args.snapshot.display()
                    )));
                }
            },
        }
        .map_err(|e| render("SVG", e))?,
    };
    emit(&text, args.out.as_ref())
}

fn diff(args: DiffArgs) -> Result<(), CliError> {
    let a = load_snapshot(&args.a)?;
    let b = load_snapshot(&args.b)?;
    let diff = Diff::new(
        &a,
        &b,
        &args.a.display().to_string(),
        &args.b.display().to_string(),
    );
    let text = match args.format {
        Format::Table => diff.to_text(None),
        Format::Md => diff.to_markdown(),
        Format::Csv => diff
            .to_csv()
            .map_err(|e| color_eyre::eyre::eyre!("cannot write CSV: {e}"))?,
        Format::Json => pretty_json(&diff)?,
    };
    emit(&text, args.out.as_ref())
}

fn bench(args: BenchArgs) -> Result<(), CliError> {
    let suite = select_variants(spec::load_suite(&args.suite.suite)?, &args.variants)?;
    positive("--duration", args.duration)?;
    if args.iters == Some(0) {
        return Err(CliError::Usage("--iters must be at least 1".into()));
    }
    let limit = memory_limit(&args.suite);
    let mut config = EngineConfig::new(suite.clone(), args.backend, limit);
    if let Some(batch) = args.batch {
        if batch == 0 || batch > 1 << 16 {
            return Err(CliError::Usage(format!(
                "--batch must be between 1 and 65536; got {batch}"
            )));
        }
        config.batch = batch;
    }
    let stop = match args.iters {
        Some(n) => Stop::Iterations(n),
        None => Stop::Duration(std::time::Duration::from_secs_f64(args.duration)),
    };

    let mut sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?,
        ),
        None => Box::new(std::io::stdout()),
    };
    let streaming = args.format == BenchFormat::Jsonl;
    let host = Host::detect();
    let mut stream_error: Option<std::io::Error> = None;
    if streaming {
        let mut at_batch = suite.clone();
        at_batch.workload.batch = config.batch;
        let header = crate::stream::StreamHeader::new(&at_batch, host.clone())
            .map_err(|e| CliError::Usage(e.to_string()))?;
        stream_error = headless::write_json_line(&mut *sink, &header).err();
    }
    let last = headless::run(config, stop, |summary| {
        if streaming && stream_error.is_none() {
            stream_error = headless::write_json_line(&mut *sink, summary).err();
        }
    })
    .map_err(|e| match e {
        HeadlessError::Unavailable(m) => CliError::Unavailable(m),
        other => CliError::Other(other.into()),
    })?;
    if let Some(e) = stream_error
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(CliError::Other(e.into()));
    }
    let snapshot = Snapshot::new(&suite, &last, host, std::time::SystemTime::now())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(dir) = &args.export {
        let screen = crate::tui::screen_of(&snapshot, &last);
        let path = crate::snapshot::write_set(dir, &snapshot, &screen)
            .map_err(|e| CliError::Other(color_eyre::eyre::eyre!(e.to_string())))?;
        eprintln!("effprof: snapshot written to {}", path.display());
    }
    if streaming {
        return Ok(());
    }
    let text = match args.format {
        BenchFormat::Table => snapshot.to_text(None),
        BenchFormat::Md => snapshot.table().to_markdown(),
        BenchFormat::Csv => snapshot
            .to_csv()
            .map_err(|e| color_eyre::eyre::eyre!("cannot write CSV: {e}"))?,
        BenchFormat::Json | BenchFormat::Jsonl => snapshot.to_json(),
    };
    sink.write_all(text.as_bytes()).or_else(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Ok(())
        } else {
            Err(CliError::Other(e.into()))
        }
    })
}

/// Keeps the named variants and the baseline; every name must be a variant of the suite.
fn select_variants(mut suite: Suite, names: &[String]) -> Result<Suite, CliError> {
    for name in names {
        if suite.variant(name).is_none() {
            return Err(CliError::Usage(format!(
                "--variants: `{name}` is not a variant of {}; variants are: {}",
                suite.source,
                suite
                    .variants
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    if !names.is_empty() {
        let baseline = suite.workload.baseline.clone();
        suite
            .variants
            .retain(|v| v.name == baseline || names.contains(&v.name));
    }
    Ok(suite)
}

fn list_suites() -> String {
    let mut out = String::from("built-in suites (--suite NAME):\n");
    for b in BUILTIN_SUITES {
        let summary = match spec::parse_suite(b.text, b.name) {
            Ok(s) => format!("{} variants: {}", s.variants.len(), s.description),
            Err(e) => format!("invalid: {e}"),
        };
        out.push_str(&format!("  {:<12} {summary}\n", b.name));
    }
    if let Ok(entries) = std::fs::read_dir("models") {
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        if !files.is_empty() {
            out.push_str("files in ./models (--suite PATH):\n");
            for path in files {
                let shown = path.display().to_string();
                let summary = match spec::load_suite(&shown) {
                    Ok(s) => format!("{} variants: {}", s.variants.len(), s.description),
                    Err(e) => format!("invalid: {e}"),
                };
                out.push_str(&format!("  {shown:<24} {summary}\n"));
            }
        }
    }
    out
}

fn emit(text: &str, out: Option<&PathBuf>) -> Result<(), CliError> {
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`effprof models | head`) is not an error worth a report.
            match stdout.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| CliError::Other(e.into())),
            }
        }
    }
}
