//! The Compare table: analytic and measured indicators side by side, as `effprof bench`
//! prints it and the TUI's Compare view draws it.

use std::borrow::Cow;

use super::{Better, Cell, IndicatorTable, Row, Source, VariantCost, analytic_table};
use crate::measured::interval::Interval;
use crate::measured::{Flag, Peaks, Phase, RunHeader, Summary, VariantSummary};
use crate::spec::Suite;
use crate::units;

/// A variant's analytic figures and what was measured of it.
pub struct Compared<'a> {
    pub analytic: &'a VariantCost,
    pub measured: &'a VariantSummary,
}

/// Pairs each measured variant of `summary` with its analytic figures, in the summary's order;
/// a variant `analytic` does not hold is left out.
pub fn pair<'a>(analytic: &'a [VariantCost], summary: &'a Summary) -> Vec<Compared<'a>> {
    summary
        .variants
        .iter()
        .filter_map(|m| {
            let a = analytic.iter().find(|a| a.name == m.name)?;
            Some(Compared {
                analytic: a,
                measured: m,
            })
        })
        .collect()
}

/// `v`'s measured figures, with the rates of a model of your own (which effprof's formulas do
/// not count) taken from its traced FLOPs and bytes instead; a built-in variant's as they are.
pub fn with_traced_rates<'a>(v: &Compared<'a>, peaks: Option<Peaks>) -> Cow<'a, VariantSummary> {
    let traced = v.analytic.traced.as_ref().and_then(|t| t.counts());
    let mean = v.measured.latency.map(|l| l.mean_s).filter(|s| *s > 0.0);
    let (None, Some(t), Some(mean)) = (&v.analytic.cost, traced, mean) else {
        return Cow::Borrowed(v.measured);
    };
    let mut m = v.measured.clone();
    m.flops_per_s = Some(t.flops as f64 / mean);
    m.bytes_per_s = Some(t.bytes as f64 / mean);
    m.pct_peak_flops = peaks.map(|p| 100.0 * t.flops as f64 / mean / p.flops_per_s);
    m.pct_peak_bandwidth = peaks.map(|p| 100.0 * t.bytes as f64 / mean / p.bytes_per_s);
    Cow::Owned(m)
}

/// The side-by-side table: analytic rows, then measured ones, with flags as notes.
pub fn compare_table(suite: &Suite, vs: &[Compared<'_>], from: &RunHeader) -> IndicatorTable {
    let analytic: Vec<&VariantCost> = vs.iter().map(|v| v.analytic).collect();
    let mut table = analytic_table(suite, &analytic);
    let rated: Vec<Cow<'_, VariantSummary>> = vs
        .iter()
        .map(|v| with_traced_rates(v, from.peaks))
        .collect();
    let row = |key,
               label,
               unit,
               better,
               missing: &dyn Fn(&VariantSummary) -> String,
               f: &dyn Fn(&VariantSummary) -> Option<(f64, String)>| Row {
        key,
        label,
        unit,
        better,
        source: Source::Measured,
        cells: rated
            .iter()
            .map(|m| match (&m.phase, f(m)) {
                (Phase::Failed { reason }, _) => Cell::NotAvailable(short(reason)),
                (_, Some((value, text))) => {
                    let interval = interval_of(key, m);
                    let text = interval.map_or_else(|| text.clone(), |i| i.show(value, &text));
                    Cell::Value {
                        value,
                        text: format!("{text}{}", marks(&m.flags)),
                        interval,
                    }
                }
                (_, None) => Cell::NotAvailable(missing(m)),
            })
            .collect(),
    };
    let not_yet = |_: &VariantSummary| "not measured yet".to_owned();
    let measured =
        |key, label, unit, better, f: &dyn Fn(&VariantSummary) -> Option<(f64, String)>| {
            row(key, label, unit, better, &not_yet, f)
        };
    // A rate needs a count: a model of your own has one only from its recorded pass.
    let no_count = |m: &VariantSummary| match vs.iter().find(|v| v.analytic.name == m.name) {
        Some(v) if v.analytic.cost.is_none() && m.latency.is_some() => {
            "no FLOP count: its pass was not traced".to_owned()
        }
        _ => "not measured yet".to_owned(),
    };
    let rate = |key, label, unit, f: &dyn Fn(&VariantSummary) -> Option<(f64, String)>| {
        row(key, label, unit, Better::Higher, &no_count, f)
    };
    let no_experts = |m: &VariantSummary| {
        if suite
            .variant(&m.name)
            .is_some_and(|v| v.family.supports(crate::family::Feature::Routing))
        {
            "not measured yet".to_owned()
        } else {
            "no experts".to_owned()
        }
    };
    let moe = |key, label, unit, f: &dyn Fn(&VariantSummary) -> Option<(f64, String)>| {
        row(key, label, unit, Better::Lower, &no_experts, f)
    };
    let secs = |s: f64| (s, units::seconds(s));
    let intervals = |m: &VariantSummary| m.latency.and_then(|l| l.intervals);
    let low = Better::Lower;
    let high = Better::Higher;
    table.rows.extend([
        measured("latency_p50", "latency p50", "s", low, &|m| {
            m.latency.map(|l| secs(l.p50_s))
        }),
        measured("latency_p90", "latency p90", "s", low, &|m| {
            m.latency.map(|l| secs(l.p90_s))
        }),
        measured("latency_p99", "latency p99", "s", low, &|m| {
            m.latency.map(|l| secs(l.p99_s))
        }),
        measured("latency_mean", "latency mean", "s", low, &|m| {
            m.latency.map(|l| secs(l.mean_s))
        }),
        measured("latency_cv", "latency CV", "1", Better::Neither, &|m| {
            m.latency.map(|l| (l.cv, format!("{:.1}%", 100.0 * l.cv)))
        }),
        measured(
            "iterations",
            "iterations",
            "iterations",
            Better::Neither,
            &|m| {
                m.latency
                    .map(|l| (l.iterations as f64, l.iterations.to_string()))
            },
        ),
        row(
            "outliers",
            "outliers (Tukey)",
            "iterations",
            Better::Neither,
            &|m| match m.latency {
                Some(_) => "not counted in this snapshot".to_owned(),
                None => "not measured yet".to_owned(),
            },
            &|m| {
                m.latency
                    .and_then(|l| l.outliers)
                    .map(|o| ((o.mild + o.severe) as f64, o.label()))
            },
        ),
        measured(
            "warmup_runs",
            "warm-up runs",
            "runs",
            Better::Neither,
            &|m| {
                m.latency
                    .map(|_| (m.warmup_runs as f64, m.warmup_runs.to_string()))
            },
        ),
        measured(
            "samples_per_s",
            "throughput samples/s",
            "samples/s",
            high,
            &|m| m.samples_per_s.map(|v| (v, units::si(v))),
        ),
        rate("flops_per_s", "achieved FLOP/s", "FLOP/s", &|m| {
            m.flops_per_s.map(|v| (v, units::with_unit(v, "FLOP/s")))
        }),
        rate("pct_peak_flops", "% of peak FLOP/s", "%", &|m| {
            m.pct_peak_flops.map(|v| (v, format!("{v:.1}%")))
        }),
        rate("bytes_per_s", "achieved bandwidth", "B/s", &|m| {
            m.bytes_per_s.map(|v| (v, units::with_unit(v, "B/s")))
        }),
        measured("cold_start", "cold start", "s", low, &|m| {
            m.cold_start_s.map(secs)
        }),
        measured("heap_peak_bytes", "heap peak / forward", "B", low, &|m| {
            m.heap_peak_bytes.map(|b| (b as f64, units::bytes(b)))
        }),
    ]);
    // Tokens per second where the samples are token sequences; images have no tokens.
    if suite.workload.tokens().is_some() {
        let at = table
            .rows
            .iter()
            .position(|r| r.key == "samples_per_s")
            .map_or(table.rows.len(), |i| i + 1);
        table.rows.insert(
            at,
            measured(
                "tokens_per_s",
                "throughput tokens/s",
                "tokens/s",
                high,
                &|m| m.tokens_per_s.map(|v| (v, units::si(v))),
            ),
        );
    }
    if vs.iter().any(|v| !v.measured.routing.is_empty()) {
        table.rows.extend([
            moe("dropped_tokens", "MoE dropped choices", "choices", &|m| {
                (!m.routing.is_empty()).then(|| {
                    let d: u64 = m.routing.iter().map(|r| r.dropped).sum();
                    (d as f64, d.to_string())
                })
            }),
            moe("imbalance", "MoE load imbalance", "max/mean", &|m| {
                (!m.routing.is_empty()).then(|| {
                    let worst = m.routing.iter().map(|r| r.imbalance).fold(0.0, f64::max);
                    (worst, format!("{worst:.2}"))
                })
            }),
            moe(
                "flops_useful_routed",
                "FLOPs useful (routed)",
                "FLOP",
                &|m| m.flops_useful_routed.map(|f| (f as f64, units::flops(f))),
            ),
        ]);
    }
    table.notes.insert(
        0,
        format!(
            "backend {} on {} ({}); batch {}; peak {}{}",
            from.backend,
            from.adapter,
            from.driver,
            from.batch,
            match &from.peaks {
                Some(p) => format!(
                    "{} (matmul {n}x{n}), {}",
                    units::with_unit(p.flops_per_s, "FLOP/s"),
                    units::with_unit(p.bytes_per_s, "B/s"),
                    n = p.matmul_size
                ),
                None => "not measured".into(),
            },
            match from.first_figure_s {
                Some(s) => format!("; first figure {} after opening it", units::seconds(s)),
                None => String::new(),
            }
        ),
    );
    if matches!(from.backend, crate::backend::Backend::Remote(_)) {
        table.notes.push(
            "remote device: each latency is the client's wall clock from the call to a sync over the wire, the round trip included (burn-remote's device-side profiling is not used yet)"
                .to_owned(),
        );
    }
    if rated.iter().any(|m| intervals(m).is_some()) {
        table.notes.push(
            "±: half-width of a 95% confidence interval (a quantile's from order statistics, the mean's normal; throughput as sure as the mean), and of a ratio to the baseline (errors propagated); same within noise: that ratio's interval covers 1; outliers by Tukey's fences (mild past 1.5 IQR, severe past 3), counted, never dropped"
                .to_owned(),
        );
    }
    table.notes.push(format!(
        "process RSS {} (peak {}) of {}",
        units::bytes(from.process.rss_bytes),
        units::bytes(from.process.rss_peak_bytes),
        units::bytes(from.process.total_memory_bytes)
    ));
    table
        .notes
        .push(match (&from.device_memory, &from.device_memory_na) {
            (Some(m), _) => format!(
                "device memory {} in use of {} reserved",
                units::bytes(m.in_use_bytes),
                units::bytes(m.reserved_bytes)
            ),
            (None, Some(why)) => format!("device memory n/a: {why}"),
            (None, None) => "device memory n/a".to_owned(),
        });
    let mut flagged: Vec<String> = Vec::new();
    for v in vs {
        for f in &v.measured.flags {
            flagged.push(match f {
                Flag::Noisy { cv } => {
                    format!("{}: noisy (~), CV {:.1}%", v.measured.name, cv * 100.0)
                }
                Flag::Implausible { reason } => {
                    format!("{}: implausible (!), {reason}", v.measured.name)
                }
                Flag::FewIterations { iterations } => {
                    format!("{}: only {iterations} iterations (?)", v.measured.name)
                }
            });
        }
        if let Phase::Failed { reason } = &v.measured.phase {
            flagged.push(format!("{}: n/a, {reason}", v.measured.name));
        }
    }
    table.notes.extend(flagged);
    table
}

/// The 95% interval of the measured figure in row `key`, where it has one: the latencies'
/// from the run, throughput's from the mean latency it divides (a rate k / mean has the
/// interval [k / hi, k / lo]).
fn interval_of(key: &str, m: &VariantSummary) -> Option<Interval> {
    let l = m.latency?;
    let i = l.intervals?;
    let rate = |v: Option<f64>| Interval::of_rate(v?, l.mean_s, i.mean_s);
    match key {
        "latency_p50" => i.p50_s,
        "latency_p90" => i.p90_s,
        "latency_p99" => i.p99_s,
        "latency_mean" => Some(i.mean_s),
        "samples_per_s" => rate(m.samples_per_s),
        "tokens_per_s" => rate(m.tokens_per_s),
        _ => None,
    }
}

/// `~` noisy, `!` implausible, `?` few iterations.
fn marks(flags: &[Flag]) -> String {
    let mut s = String::new();
    for f in flags {
        s.push(match f {
            Flag::Noisy { .. } => '~',
            Flag::Implausible { .. } => '!',
            Flag::FewIterations { .. } => '?',
        });
    }
    if s.is_empty() { s } else { format!(" {s}") }
}

fn short(reason: &str) -> String {
    let first = reason.split(';').next().unwrap_or(reason);
    if first.chars().count() > 40 {
        format!("{}…", first.chars().take(39).collect::<String>())
    } else {
        first.to_owned()
    }
}
