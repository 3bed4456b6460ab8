//! `effprof sweep`: Every variant across batch sizes and sequence lengths, and where their order flips.

use super::*;
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
    /// Seconds to measure at each point once every variant is warm.
    #[arg(long, default_value_t = 2.0)]
    pub duration: f64,
    #[arg(long, short, default_value = "table", value_parser = formats(<crate::sweep::SweepReport as Document>::FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub(super) fn run(args: SweepArgs) -> Result<(), CliError> {
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
                gen_len: t.gen_len,
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
    write_document(&report, args.format, &suite.name, args.out.as_ref())
}
