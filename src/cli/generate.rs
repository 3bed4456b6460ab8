//! `effprof generate`: every variant of a suite generating tokens: prefill and decode measured
//! apart, beside their analytic costs.

use super::*;
use crate::arch;
use crate::document::{Document, Format};
use crate::generate::{GenerateOptions, GenerateReport, measure_generation};

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub on: Selection,
    /// Sequences generated at once (default: the suite's batch).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Prompt tokens per sequence (default: the suite's prompt_len).
    #[arg(long)]
    pub prompt_len: Option<usize>,
    /// Tokens generated per sequence, one decode step each (default: the suite's gen_len).
    #[arg(long)]
    pub gen_len: Option<usize>,
    /// Timed requests per variant, after one untimed warm-up request.
    #[arg(long, default_value_t = 3)]
    pub requests: usize,
    #[arg(long, short, default_value = "table", value_parser = formats(<GenerateReport as Document>::FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub(super) fn run(args: GenerateArgs) -> Result<(), CliError> {
    let mut suite = select_variants(spec::load_suite(&args.on.suite.suite)?, &args.on.variants)?;
    let arch::Input::Tokens(mut tokens) = suite.workload.input else {
        return Err(CliError::Usage(format!(
            "{} holds images; generation needs a suite with prompt_len, gen_len and vocab (built in: generation, llm-shapes)",
            suite.source
        )));
    };
    let Some(suite_gen_len) = tokens.gen_len else {
        return Err(CliError::Usage(format!(
            "{} runs one forward pass (seq_len); generation needs a suite with prompt_len and gen_len (built in: generation, llm-shapes)",
            suite.source
        )));
    };
    let check = |flag: &str, value: usize, max: usize| {
        if value == 0 || value > max {
            Err(CliError::Usage(format!(
                "{flag} must be between 1 and {max}; got {value}"
            )))
        } else {
            Ok(value)
        }
    };
    if let Some(b) = args.batch {
        suite.workload.batch = check("--batch", b, arch::MAX_BATCH)?;
    }
    if let Some(p) = args.prompt_len {
        tokens.seq_len = check("--prompt-len", p, arch::MAX_SEQ_LEN - 1)?;
    }
    let gen_len = args.gen_len.unwrap_or(suite_gen_len);
    tokens.gen_len = Some(check(
        "--gen-len",
        gen_len,
        arch::MAX_SEQ_LEN - tokens.seq_len,
    )?);
    suite.workload.input = arch::Input::Tokens(tokens);
    if args.requests == 0 {
        return Err(CliError::Usage("--requests must be at least 1".into()));
    }
    let options = GenerateOptions {
        requests: args.requests,
        memory_limit: memory_limit(&args.on.suite),
    };
    let backend = args.on.backend;
    open(backend)?;
    // Ctrl-C, SIGTERM and SIGHUP end the run between requests with what it measured.
    crate::signals::watch();
    let progress = crate::headless::spinner();
    let mut report = GenerateReport {
        backend,
        workload: suite.workload.describe(),
        baseline: suite.workload.baseline.clone(),
        runs: Vec::new(),
        notes: Vec::new(),
    };
    for variant in &suite.variants {
        let name = &variant.name;
        let run = measure_generation(variant, &suite.workload, backend, options, |done, of| {
            let what = if done == 0 {
                "warming up"
            } else {
                "generating"
            };
            progress.set_message(format!(
                "{name} on {backend}: {what}, request {}/{of}",
                (done + 1).min(of)
            ));
            true
        });
        match run {
            Ok(run) => report.runs.push(run),
            Err(crate::error::MeasureError::Cancelled) => {
                // What was measured so far is written, as `bench` does, then exit code 130.
                progress.finish_and_clear();
                report
                    .notes
                    .push(format!("interrupted while {name} was generating"));
                if !report.runs.is_empty() {
                    write_document(&report, args.format, &suite.name, args.out.as_ref())?;
                }
                return Err(CliError::Interrupted(format!(
                    "interrupted while {name} was generating; {} variants measured",
                    report.runs.len()
                )));
            }
            Err(e) if e.is_request() => {
                let note = format!("{name}: not measured: {e}");
                progress.println(format!("effprof: {note}"));
                report.notes.push(note);
            }
            Err(e) => {
                progress.finish_and_clear();
                return Err(CliError::measuring(name, e));
            }
        }
    }
    progress.finish_and_clear();
    if report.runs.is_empty() {
        return Err(CliError::Usage(format!(
            "no variant of {} could be measured: {}",
            suite.name,
            report.notes.join("; ")
        )));
    }
    write_document(&report, args.format, &suite.name, args.out.as_ref())
}
