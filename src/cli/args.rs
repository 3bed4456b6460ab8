//! Every command's options.

use std::path::PathBuf;

use clap::ValueEnum;

use crate::backend::Backend;
use crate::spec::DEFAULT_SUITE;
use crate::units;

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
    /// Samples (sequences or images) per forward pass (default: the suite's).
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
