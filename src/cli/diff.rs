//! `effprof diff`: Two snapshots side by side, each measured figure's verdict, and a gate for
//! CI (`--fail-on regressed`).

use super::*;
use crate::document::{Document, Format};
use crate::measured::interval::NOISE_THRESHOLD;
use crate::snapshot::{Diff, Snapshot};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The first snapshot (A, the baseline).
    pub a: PathBuf,
    /// The second snapshot (B); ratios are B / A.
    pub b: PathBuf,
    #[command(flatten)]
    pub gate: Gate,
    #[arg(long, short, default_value = "table", value_parser = formats(<crate::snapshot::Diff as Document>::FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// How measured figures are judged, and when a command fails on them.
#[derive(Debug, Clone, clap::Args)]
pub struct Gate {
    /// The smallest change, in percent of the baseline, that a verdict can call improved or
    /// regressed; smaller changes are within noise however significant.
    #[arg(long, value_name = "PCT", default_value_t = 100.0 * NOISE_THRESHOLD, value_parser = percent)]
    pub threshold: f64,
    /// Exit with code 4 when a measured figure regressed (beyond THRESHOLD percent of the
    /// baseline, default the noise threshold), after writing the report: `regressed`,
    /// `regressed:10%`.
    #[arg(long, value_name = "regressed[:PCT%]", value_parser = fail_on)]
    pub fail_on: Option<FailOn>,
    /// The figures --fail-on judges: p50, p90, p99, mean, throughput, ttft, itl, decode, or
    /// all. The medians by default: a shared machine reproduces them, while the tails and the
    /// mean (and throughput, which divides by it) move with other processes' stalls.
    #[arg(long, value_name = "FIGURES", value_delimiter = ',', default_value = "p50,ttft,itl", value_parser = gated)]
    pub gate: Vec<&'static str>,
}

/// `--gate` names and the diff rows each stands for.
const GATES: &[(&str, &[&str])] = &[
    ("p50", &["latency_p50"]),
    ("p90", &["latency_p90"]),
    ("p99", &["latency_p99"]),
    ("mean", &["latency_mean"]),
    ("throughput", &["samples_per_s", "tokens_per_s"]),
    ("ttft", &["ttft_p50"]),
    ("itl", &["itl_p50"]),
    ("decode", &["decode_tokens_per_s"]),
];

fn gated(s: &str) -> Result<&'static str, String> {
    if s == "all" {
        return Ok("all");
    }
    GATES
        .iter()
        .find(|(name, _)| *name == s)
        .map(|(name, _)| *name)
        .ok_or_else(|| {
            let names: Vec<&str> = GATES.iter().map(|(n, _)| *n).collect();
            format!(
                "`{s}` is not a figure --fail-on can judge; figures are: {}, all",
                names.join(", ")
            )
        })
}

/// `--fail-on regressed[:PCT%]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailOn {
    /// Fail only beyond this fraction of the baseline; None: at the verdict's threshold.
    pub beyond: Option<f64>,
}

fn percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("expected a percentage such as 5 or 5%, got `{s}`"))?;
    if !(0.0..1000.0).contains(&v) {
        return Err(format!("expected a percentage from 0 to 1000, got `{s}`"));
    }
    Ok(v)
}

fn fail_on(s: &str) -> Result<FailOn, String> {
    let (what, beyond) = match s.split_once(':') {
        Some((what, pct)) => (what, Some(percent(pct)? / 100.0)),
        None => (s, None),
    };
    match what {
        "regressed" => Ok(FailOn { beyond }),
        _ => Err(format!(
            "expected `regressed` or `regressed:PCT%` (e.g. regressed:10%), got `{s}`"
        )),
    }
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            threshold: 100.0 * NOISE_THRESHOLD,
            fail_on: None,
            gate: vec!["p50", "ttft", "itl"],
        }
    }
}

impl Gate {
    /// The diff of `a` (baseline) and `b` at this gate's threshold.
    pub(super) fn diff(&self, a: &Snapshot, b: &Snapshot, a_name: &str, b_name: &str) -> Diff {
        Diff::with_threshold(a, b, a_name, b_name, self.threshold / 100.0)
    }

    /// Err (exit code 4) naming every regression, when `--fail-on` asks for it.
    pub(super) fn check(&self, diff: &Diff) -> Result<(), CliError> {
        let Some(fail) = self.fail_on else {
            return Ok(());
        };
        let beyond = fail.beyond.unwrap_or(diff.threshold);
        let rows: Vec<&str> = GATES
            .iter()
            .filter(|(name, _)| self.gate.contains(name) || self.gate.contains(&"all"))
            .flat_map(|(_, rows)| rows.iter().copied())
            .collect();
        let regressed = diff.regressions(beyond, &rows);
        if regressed.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = regressed
            .iter()
            .map(|(v, figure, change)| format!("{v} {figure} {:+.1}%", 100.0 * change))
            .collect();
        Err(CliError::Regressed(format!(
            "{} measured figure{} regressed beyond {:.1}% of {} in {}: {}",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            100.0 * beyond,
            diff.a_name,
            diff.b_name,
            list.join(", ")
        )))
    }
}

pub(super) fn run(args: DiffArgs) -> Result<(), CliError> {
    let a = load_snapshot(&args.a)?;
    let b = load_snapshot(&args.b)?;
    let diff = args.gate.diff(
        &a,
        &b,
        &args.a.display().to_string(),
        &args.b.display().to_string(),
    );
    let name = a.suite.name.clone();
    write_document(&diff, args.format, &name, args.out.as_ref())?;
    args.gate.check(&diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_reads_its_threshold() {
        assert_eq!(fail_on("regressed"), Ok(FailOn { beyond: None }));
        assert_eq!(fail_on("regressed:10%"), Ok(FailOn { beyond: Some(0.1) }));
        assert_eq!(
            fail_on("regressed:2.5"),
            Ok(FailOn {
                beyond: Some(0.025)
            })
        );
        assert!(fail_on("improved").unwrap_err().contains("regressed:PCT%"));
        assert!(fail_on("regressed:ten").unwrap_err().contains("`ten`"));
        assert!(percent("-1").is_err());
        assert_eq!(gated("p90"), Ok("p90"));
        assert!(gated("p95").unwrap_err().contains("p50, p90"));
    }
}
