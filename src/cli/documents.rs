//! The commands that print tables and snapshots: models, bench, report, diff.

use std::io::Write;

use super::*;
use crate::engine::EngineConfig;
use crate::headless::{self, HeadlessError, Stop};
use crate::report::ModelsReport;
use crate::snapshot::{Diff, Host, Snapshot};

pub(super) fn models(args: ModelsArgs) -> Result<(), CliError> {
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

pub(super) fn report(args: ReportArgs) -> Result<(), CliError> {
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

pub(super) fn diff(args: DiffArgs) -> Result<(), CliError> {
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

pub(super) fn bench(args: BenchArgs) -> Result<(), CliError> {
    let suite = select_variants(spec::load_suite(&args.suite.suite)?, &args.variants)?;
    positive("--duration", args.duration)?;
    if args.iters == Some(0) {
        return Err(CliError::Usage("--iters must be at least 1".into()));
    }
    let limit = memory_limit(&args.suite);
    let mut config = EngineConfig::new(suite.clone(), args.backend, limit);
    if let Some(batch) = args.batch {
        if batch == 0 || batch > spec::MAX_BATCH {
            return Err(CliError::Usage(format!(
                "--batch must be between 1 and {}; got {batch}",
                spec::MAX_BATCH
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
    let started = std::time::Instant::now();
    let run = headless::run(config, stop, |summary| {
        if streaming && stream_error.is_none() {
            stream_error = headless::write_json_line(&mut *sink, summary).err();
        }
    });
    // Interrupted: what was measured so far is still written, then the run ends with 130.
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
        Err(e) => return Err(e.into()),
    };
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
    let finish = |written: Result<(), CliError>| match (written, &interrupted) {
        (Ok(()), Some(note)) => Err(CliError::Interrupted(note.clone())),
        (written, _) => written,
    };
    if streaming {
        return finish(Ok(()));
    }
    let text = match args.format {
        BenchFormat::Table => snapshot.to_text(None),
        BenchFormat::Md => snapshot.table().to_markdown(),
        BenchFormat::Csv => snapshot
            .to_csv()
            .map_err(|e| color_eyre::eyre::eyre!("cannot write CSV: {e}"))?,
        BenchFormat::Json | BenchFormat::Jsonl => snapshot.to_json(),
    };
    finish(sink.write_all(text.as_bytes()).or_else(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Ok(())
        } else {
            Err(CliError::Other(e.into()))
        }
    }))
}

pub(super) fn list_suites() -> String {
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
