//! `effprof sweep`: Every variant across batch sizes and sequence lengths (or image sizes), and
//! where their order flips.

use super::*;
use crate::arch;
use crate::document::{Document, Format};
use crate::engine::EngineConfig;
use crate::headless::{self, Stop};

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
    /// Image sizes in pixels, comma-separated, for a suite of images (default: the suite's).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["seq", "decode"])]
    pub image_size: Vec<usize>,
    /// Seconds to measure at each point once every variant is warm.
    #[arg(long, default_value_t = 2.0, conflicts_with = "decode")]
    pub duration: f64,
    /// Sweep decode steps instead of forward passes (a generation suite): each variant
    /// generates at each batch, its inter-token latency and generated tokens/s; `--seq` sweeps
    /// the prompt length.
    #[arg(long)]
    pub decode: bool,
    /// With --decode: timed requests per variant and point, after a warm-up one.
    #[arg(long, default_value_t = 2, requires = "decode")]
    pub requests: usize,
    #[arg(long, short, default_value = "table", value_parser = formats(<crate::sweep::SweepReport as Document>::FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub(super) fn run(args: SweepArgs) -> Result<(), CliError> {
    use crate::sweep::{SweepPoint, SweepReport};
    let suite = select_variants(spec::load_suite(&args.on.suite.suite)?, &args.on.variants)?;
    if args.batch.is_empty() || args.batch.iter().any(|b| *b == 0 || *b > arch::MAX_BATCH) {
        return Err(CliError::Usage(format!(
            "--batch takes sizes between 1 and {}",
            arch::MAX_BATCH
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
        .any(|s| *s == 0 || *s > arch::MAX_SEQ_LEN)
    {
        return Err(CliError::Usage(format!(
            "--seq takes lengths between 1 and {}",
            arch::MAX_SEQ_LEN
        )));
    }
    let images: Vec<Option<usize>> = match (suite.workload.input, args.image_size.is_empty()) {
        (_, true) => vec![None],
        (crate::arch::Input::Tokens(_), false) => {
            return Err(CliError::Usage(format!(
                "--image-size is for image workloads; suite `{}` runs on token sequences (sweep them with --seq)",
                suite.name
            )));
        }
        (crate::arch::Input::Custom(_), false) => {
            return Err(CliError::Usage(format!(
                "--image-size is for image workloads; suite `{}` runs on an input of your own",
                suite.name
            )));
        }
        (crate::arch::Input::Images(_), false) => {
            if let Some(bad) = args
                .image_size
                .iter()
                .find(|s| **s == 0 || **s > arch::MAX_IMAGE)
            {
                return Err(CliError::Usage(format!(
                    "--image-size takes sizes between 1 and {} pixels, not {bad}",
                    arch::MAX_IMAGE
                )));
            }
            args.image_size.iter().copied().map(Some).collect()
        }
    };
    positive("--duration", args.duration)?;
    let limit = memory_limit(&args.on.suite);
    open(args.on.backend)?;
    if args.decode {
        return decode_sweep(&args, &suite, &seqs, limit);
    }
    let lines: Vec<(Option<usize>, Option<usize>)> = seqs
        .iter()
        .flat_map(|s| images.iter().map(move |i| (*s, *i)))
        .collect();
    let total = lines.len() * args.batch.len();
    let mut points = Vec::new();
    for (i, ((seq, image), batch)) in lines
        .iter()
        .flat_map(|l| args.batch.iter().map(move |b| (*l, *b)))
        .enumerate()
    {
        let point = match (seq, image) {
            (Some(seq), _) => format!("batch {batch}, seq_len {seq}"),
            (None, Some(size)) => format!("batch {batch}, image {size}"),
            (None, None) => format!("batch {batch}"),
        };
        eprintln!(
            "effprof: point {}/{total}: {point} on {}",
            i + 1,
            args.on.backend
        );
        let mut at = suite.clone();
        if let (Some(seq), Some(t)) = (seq, tokens) {
            at.workload.input = crate::arch::Input::Tokens(crate::arch::TokenShape {
                seq_len: seq,
                vocab: t.vocab,
                gen_len: t.gen_len,
            });
        }
        if let (Some(size), crate::arch::Input::Images(shape)) = (image, &mut at.workload.input) {
            shape.image_size = size;
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
        points.push(SweepPoint {
            image_size: image,
            ..SweepPoint::from_summary(&summary)
        });
    }
    let report = SweepReport::new(args.on.backend, points);
    write_document(&report, args.format, &suite.name, args.out.as_ref())
}

/// `--decode`: every decoder generating at each batch (and prompt length); a point's figures
/// are its decode steps, and each MoE is set against the dense variants matched to its
/// parameters.
fn decode_sweep(
    args: &SweepArgs,
    suite: &Suite,
    seqs: &[Option<usize>],
    limit: u64,
) -> Result<(), CliError> {
    use crate::generate::{GenerateOptions, measure_generation};
    use crate::sweep::{SweepPoint, SweepReport, SweepValue};
    let Some(gen_len) = suite.workload.gen_len() else {
        return Err(CliError::Usage(format!(
            "--decode needs a generation suite (prompt_len and gen_len in [suite]); {} runs one forward pass (built in: generation, llm-shapes)",
            suite.source
        )));
    };
    if args.requests == 0 {
        return Err(CliError::Usage("--requests must be at least 1".into()));
    }
    let options = GenerateOptions {
        requests: args.requests,
        memory_limit: limit,
    };
    let backend = args.on.backend;
    crate::signals::watch();
    let total = seqs.len() * args.batch.len();
    let mut points = Vec::new();
    for (i, (seq, batch)) in seqs
        .iter()
        .flatten()
        .flat_map(|s| args.batch.iter().map(move |b| (*s, *b)))
        .enumerate()
    {
        eprintln!(
            "effprof: point {}/{total}: batch {batch}, prompt {seq}, {gen_len} generated on {backend}",
            i + 1
        );
        let mut at = suite.workload.clone();
        at.batch = batch;
        if let crate::arch::Input::Tokens(t) = &mut at.input {
            t.seq_len = seq;
        }
        let mut values = Vec::new();
        for variant in &suite.variants {
            match measure_generation(variant, &at, backend, options, |_, _| true) {
                Ok(run) if run.itl.p50 > 0.0 => {
                    let per_s = batch as f64 / run.itl.p50;
                    values.push(SweepValue {
                        variant: variant.name.clone(),
                        p50_s: run.itl.p50,
                        tokens_per_s: Some(per_s),
                        samples_per_s: per_s,
                        iterations: run.itl.samples as u64,
                    });
                }
                Ok(_) => {}
                Err(crate::error::MeasureError::Cancelled) => {
                    return Err(CliError::Interrupted(format!(
                        "{}: cancelled",
                        variant.name
                    )));
                }
                Err(e) => eprintln!("effprof: {} at batch {batch}: {e}", variant.name),
            }
        }
        points.push(SweepPoint {
            batch,
            seq_len: Some(seq),
            image_size: None,
            values,
        });
    }
    let mut report = SweepReport::of_decode(backend, points);
    // Each variant matched to another by parameters: how their speeds compare as the batch
    // grows (an MoE against the dense model of its size, say).
    report.notes = suite
        .variants
        .iter()
        .filter_map(|v| {
            let m = v.matched.as_ref()?;
            (m.by == crate::arch::MatchBy::Params)
                .then(|| report.ratio_line(&m.variant, &v.name))?
        })
        .collect();
    write_document(&report, args.format, &suite.name, args.out.as_ref())
}
