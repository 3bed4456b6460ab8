//! `effprof bench`: Every variant measured on a backend, analytic and measured indicators side by side.

use super::*;
use crate::arch;
use std::io::Write;

use crate::document::Format;
use crate::engine::EngineConfig;
use crate::headless::{self, HeadlessError, Stop};
use crate::snapshot::{Host, Snapshot};

/// What `bench` writes: the snapshot's formats, and a live stream.
const BENCH_FORMATS: &[Format] = &[
    Format::Table,
    Format::Json,
    Format::Csv,
    Format::Md,
    Format::Jsonl,
];

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub on: Selection,
    #[command(flatten)]
    pub run: BenchRun,
    /// Where each variant's time goes: `module` times each module of a transformer alone
    /// (embedding, each layer's attention and FFN or MoE, final norm, head), its share of the
    /// time beside its share of the FLOPs; --duration is shared out among the modules.
    #[arg(long, value_name = "module", value_parser = ["module"], conflicts_with_all = ["iters", "export", "compare"])]
    pub by: Option<String>,
    /// Measure, then write the diff against this saved snapshot (the baseline, A) instead of
    /// the snapshot: each measured figure's verdict, every counted figure that changed. Keep
    /// the new snapshot with --export.
    #[arg(long, value_name = "SNAPSHOT")]
    pub compare: Option<PathBuf>,
    #[command(flatten)]
    pub gate: super::diff::Gate,
}

/// A saved baseline to diff the new snapshot against (`--compare`).
pub(crate) struct Baseline {
    pub snapshot: Snapshot,
    pub name: String,
    pub gate: super::diff::Gate,
}

/// How `bench` measures and what it writes, whatever the suite.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchRun {
    /// Samples (sequences or images) per forward pass (default: the suite's).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Seconds to measure once every variant is warm.
    #[arg(long, default_value_t = 10.0, conflicts_with = "iters")]
    pub duration: f64,
    /// Measure this many iterations of every variant instead of a duration.
    #[arg(long)]
    pub iters: Option<u64>,
    #[arg(long, short, default_value = "table", value_parser = formats(BENCH_FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Also write the snapshot set (JSON, CSV, Markdown, SVG, screen text) into a new folder
    /// under DIR at the end of the run.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
}

pub(super) fn run(args: BenchArgs) -> Result<(), CliError> {
    if args.gate.fail_on.is_some() && args.compare.is_none() {
        return Err(CliError::Usage(
            "--fail-on judges a diff: give the baseline with --compare SNAPSHOT".into(),
        ));
    }
    // A bad baseline is refused before anything is measured.
    let baseline = match &args.compare {
        Some(path) => {
            if args.run.format == Format::Jsonl {
                return Err(CliError::Usage(
                    "--compare writes a diff (table, json, csv or md), not a jsonl stream".into(),
                ));
            }
            Some(Baseline {
                snapshot: load_snapshot(path)?,
                name: path.display().to_string(),
                gate: args.gate.clone(),
            })
        }
        None => None,
    };
    let suite = select_variants(spec::load_suite(&args.on.suite.suite)?, &args.on.variants)?;
    if args.by.is_some() {
        return by_module(
            &suite,
            args.on.backend,
            memory_limit(&args.on.suite),
            &args.run,
        );
    }
    measure(
        suite,
        args.on.backend,
        memory_limit(&args.on.suite),
        &args.run,
        baseline.as_ref(),
    )
}

/// `bench --by module`: every variant's modules counted, traced and timed on `backend`, the
/// run's duration shared out evenly among all the modules.
fn by_module(suite: &Suite, backend: Backend, limit: u64, run: &BenchRun) -> Result<(), CliError> {
    positive("--duration", run.duration)?;
    if run.format == Format::Jsonl {
        return Err(CliError::Usage(
            "--by module writes a table, json, csv or md, not a jsonl stream".into(),
        ));
    }
    let modules: usize = suite
        .variants
        .iter()
        .filter_map(|v| crate::cost::analyze(v, &suite.workload).ok())
        .map(|r| r.layers.len())
        .sum();
    let budget = std::time::Duration::from_secs_f64(run.duration / modules.max(1) as f64);
    let progress = headless::spinner();
    let doc = crate::report::ModulesDocument::timed(suite, backend, |v| {
        progress.set_message(format!("timing the modules of {} on {backend}", v.name));
        match crate::roofline::measure_modules(v, &suite.workload, backend, limit, budget) {
            Ok(Some(times)) => Ok(times),
            Ok(None) => Err(format!(
                "a {} is timed whole (effprof bench), not by module",
                v.family.label()
            )),
            Err(e) => Err(e.to_string()),
        }
    })
    .map_err(|e| CliError::Usage(e.to_string()))?;
    progress.finish_and_clear();
    write_document(&doc, run.format, &suite.name, run.out.as_ref())
}

impl Default for BenchRun {
    /// What `bench` does without options (and `effprof` when stdout is not a terminal).
    fn default() -> Self {
        Self {
            batch: None,
            duration: 10.0,
            iters: None,
            format: Format::Table,
            out: None,
            export: None,
        }
    }
}

/// Measures `suite` on `backend`, each model built within `limit` bytes, and writes what
/// `args` asks for: the snapshot, or its diff against `baseline`.
pub(crate) fn measure(
    suite: Suite,
    backend: Backend,
    limit: u64,
    args: &BenchRun,
    baseline: Option<&Baseline>,
) -> Result<(), CliError> {
    positive("--duration", args.duration)?;
    if args.iters == Some(0) {
        return Err(CliError::Usage("--iters must be at least 1".into()));
    }
    let mut config = EngineConfig::new(suite.clone(), backend, limit);
    if let Some(batch) = args.batch {
        if batch == 0 || batch > arch::MAX_BATCH {
            return Err(CliError::Usage(format!(
                "--batch must be between 1 and {}; got {batch}",
                arch::MAX_BATCH
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
    let streaming = args.format == Format::Jsonl;
    let host = Host::of_backend(backend);
    let mut stream_error: Option<std::io::Error> = None;
    if streaming {
        let at_batch = suite.at_batch(config.batch);
        let header = crate::stream::StreamHeader::new(&at_batch, host.clone())
            .map_err(|e| CliError::Usage(e.to_string()))?;
        stream_error = headless::write_json_line(&mut *sink, &header).err();
    }
    let started = std::time::Instant::now();
    let run = headless::run(config, stop, |summary| {
        if streaming && stream_error.is_none() {
            stream_error = headless::write_json_line(&mut *sink, summary).err();
        }
    });
    // Interrupted: what was measured so far is still written, then the run ends with 130.
    let mut lost: Option<String> = None;
    let (last, interrupted) = match run {
        Ok(last) => (last, None),
        Err(HeadlessError::Interrupted { last: Some(last) }) => {
            let secs = started.elapsed().as_secs_f64();
            (
                *last,
                Some(format!(
                    "interrupted after {secs:.1} s: the figures written are those measured until then"
                )),
            )
        }
        // A remote device lost mid-run: what was measured is written, then exit 3.
        Err(HeadlessError::DeviceLost {
            why,
            last: Some(last),
        }) => {
            lost = Some(why);
            (*last, None)
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(e) = stream_error
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(CliError::Other(e.into()));
    }
    let mut snapshot = Snapshot::new(&suite, &last, host, std::time::SystemTime::now())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    snapshot.add_traced(limit);
    if let Some(dir) = &args.export {
        let screen = crate::tui::screen_of(&snapshot, &last);
        let path = crate::snapshot::write_set(dir, &snapshot, &screen)
            .map_err(|e| CliError::Other(color_eyre::eyre::eyre!(e.to_string())))?;
        eprintln!("effprof: snapshot written to {}", path.display());
    }
    let finish = |written: Result<(), CliError>| match (written, &interrupted, &lost) {
        (Ok(()), Some(note), _) => Err(CliError::Interrupted(note.clone())),
        (Ok(()), None, Some(why)) => Err(CliError::Unavailable(format!(
            "{why}; the figures written are those measured until then"
        ))),
        (written, _, _) => written,
    };
    if streaming {
        return finish(Ok(()));
    }
    let diff = baseline.map(|b| {
        let new = match &args.out {
            Some(path) => path.display().to_string(),
            None => "this run".to_owned(),
        };
        b.gate.diff(&b.snapshot, &snapshot, &b.name, &new)
    });
    let text = match &diff {
        Some(diff) => crate::document::render(diff, args.format, &suite.name)?,
        None => crate::document::render(&snapshot, args.format, &suite.name)?,
    };
    finish(
        sink.write_all(text.as_bytes())
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Ok(())
                } else {
                    Err(CliError::Other(e.into()))
                }
            })
            .and_then(|()| match (baseline, &diff) {
                (Some(b), Some(diff)) => b.gate.check(diff),
                _ => Ok(()),
            }),
    )
}
