//! What `effprof generate` reports: per variant, the measured latencies of generation beside
//! the analytic cost of its prefill and of a decode step, side by side.

use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::cost::{CostReport, GenerationCost};
use crate::document::{Document, csv_text, envelope, format_number, table_with_notes, text_table};
use crate::units;

/// Latencies in seconds, summarised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Latencies {
    pub samples: usize,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub min: f64,
    pub max: f64,
    /// 95% confidence intervals of p50, p90, p99 and the mean (as a run's latencies have
    /// them); absent in snapshots from before effprof computed them, or under two samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervals: Option<crate::measured::stats::LatencyIntervals>,
}

impl Latencies {
    /// The summary of `samples` (nearest-rank quantiles); all zero for none.
    pub fn of(mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let at = |q: f64| {
            if n == 0 {
                0.0
            } else {
                // Nearest rank: the smallest sample with at least q of them at or below it.
                let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
                samples[rank - 1]
            }
        };
        let mean = if n == 0 {
            0.0
        } else {
            samples.iter().sum::<f64>() / n as f64
        };
        Latencies {
            samples: n,
            mean,
            intervals: crate::measured::interval::intervals_of_sorted(&samples, mean),
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            min: samples.first().copied().unwrap_or(0.0),
            max: samples.last().copied().unwrap_or(0.0),
        }
    }
}

/// The measured generation figures as rows of a side-by-side table whose columns are
/// `columns` (variant names): time to first token, inter-token latency and decode tokens/s. A
/// variant without a run says so.
pub fn measured_rows(columns: &[String], runs: &[GenerationRun]) -> Vec<crate::report::Row> {
    use crate::measured::interval::Interval;
    use crate::report::{Better, Cell, Row, Source};
    type Figure = fn(&GenerationRun) -> (f64, Option<Interval>);
    let row = |key, label, unit, better, text: fn(f64) -> String, f: Figure| Row {
        key,
        label,
        unit,
        better,
        source: Source::Measured,
        cells: columns
            .iter()
            .map(|name| match runs.iter().find(|r| r.variant == *name) {
                Some(run) => {
                    let (value, interval) = f(run);
                    let text = text(value);
                    Cell::Value {
                        text: interval.map_or_else(|| text.clone(), |i| i.show(value, &text)),
                        value,
                        interval,
                    }
                }
                None => Cell::NotAvailable("not generated".into()),
            })
            .collect(),
    };
    vec![
        row(
            "ttft_p50",
            "time to first token p50",
            "s",
            Better::Lower,
            units::seconds,
            |r| (r.ttft.p50, r.ttft.intervals.and_then(|i| i.p50_s)),
        ),
        row(
            "itl_p50",
            "inter-token latency p50",
            "s",
            Better::Lower,
            units::seconds,
            |r| (r.itl.p50, r.itl.intervals.and_then(|i| i.p50_s)),
        ),
        // batch / mean inter-token latency: the interval of a rate k / mean is [k/hi, k/lo].
        row(
            "decode_tokens_per_s",
            "decode tokens/s",
            "tokens/s",
            Better::Higher,
            units::si,
            |r| {
                let v = r.decode_tokens_per_s;
                let interval = r.itl.intervals.map(|i| i.mean_s);
                (
                    v,
                    interval.and_then(|m| Interval::of_rate(v, r.itl.mean, m)),
                )
            },
        ),
    ]
}

/// A figure measured, or why it could not be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measured {
    Bytes(u64),
    NotAvailable(String),
}

impl Default for Measured {
    fn default() -> Self {
        Measured::NotAvailable("not measured".into())
    }
}

/// One variant generating on one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerationRun {
    pub variant: String,
    pub backend: Backend,
    pub params_total: u64,
    pub params_active: u64,
    /// What the cost model says of the prefill and of a decode step.
    pub analytic: GenerationCost,
    /// Time to first token: the prefill and the first token's argmax, per request.
    pub ttft: Latencies,
    /// Inter-token latency: one decode step (one token per sequence) and its argmax.
    pub itl: Latencies,
    /// A whole request: prefill and every decode step.
    pub request: Latencies,
    /// Generated tokens per second while decoding: batch / mean inter-token latency.
    pub decode_tokens_per_s: f64,
    /// Prompt tokens per second in the prefill: batch x prompt_len / median TTFT.
    pub prefill_tokens_per_s: f64,
    /// MoE only: distinct experts a decode step ran per MoE layer, on average, as routed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experts_per_step: Option<f64>,
    /// MoE only: weight bytes a decode step read by its real routing: the shared weights plus
    /// each expert it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_bytes_per_step: Option<f64>,
    /// The empty KV cache as allocated: heap bytes on a host backend, the device allocator's
    /// bytes in use on a GPU backend.
    #[serde(default)]
    pub kv_cache_measured: Measured,
    /// Median seconds of each decode step over the timed requests, in order (contexts
    /// prompt_len + 1 to prompt_len + gen_len).
    #[serde(default)]
    pub step_p50s: Vec<f64>,
    /// The checkpoint its weights came from (so its routing is the trained router's); drawn
    /// from the seed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
}

impl GenerationRun {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        variant: String,
        backend: Backend,
        report: &CostReport,
        analytic: GenerationCost,
        ttft: Latencies,
        itl: Latencies,
        request: Latencies,
        experts_per_step: Option<f64>,
    ) -> Self {
        let per_second = |work: f64, seconds: f64| {
            if seconds > 0.0 { work / seconds } else { 0.0 }
        };
        let weight_bytes_per_step = match (experts_per_step, analytic.expert_bytes) {
            (Some(e), Some(bytes)) => Some(
                analytic.decode_step_shared_weight_bytes as f64
                    + e * bytes as f64 * analytic.moe_layers as f64,
            ),
            _ => None,
        };
        GenerationRun {
            decode_tokens_per_s: per_second(analytic.batch as f64, itl.mean),
            prefill_tokens_per_s: per_second(
                (analytic.batch * analytic.prompt_len) as f64,
                ttft.p50,
            ),
            variant,
            backend,
            params_total: report.params_total,
            params_active: report.params_active,
            analytic,
            ttft,
            itl,
            request,
            experts_per_step,
            weight_bytes_per_step,
            kv_cache_measured: Measured::default(),
            step_p50s: Vec::new(),
            weights: None,
        }
    }
}

/// Every variant's generation on one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerateReport {
    pub backend: Backend,
    /// One line: batch, prompt and generated tokens.
    pub workload: String,
    pub baseline: String,
    pub runs: Vec<GenerationRun>,
    /// Variants not measured, and why; what the figures say.
    pub notes: Vec<String>,
}

/// One row of the side-by-side table: a name, a unit, and the figure of a run.
struct Indicator {
    name: &'static str,
    unit: &'static str,
    /// The figure, or why the run has none.
    value: fn(&GenerationRun) -> Result<f64, String>,
    show: fn(f64) -> String,
}

fn count(v: f64) -> String {
    units::si(v)
}
fn secs(v: f64) -> String {
    units::seconds(v)
}
fn bytes(v: f64) -> String {
    units::bytes(v.round() as u64)
}
fn rate(v: f64) -> String {
    format!("{}/s", units::si(v))
}
fn plain(v: f64) -> String {
    format!("{v:.2}")
}

fn not_an_moe() -> String {
    "not an MoE".to_owned()
}

const INDICATORS: &[Indicator] = &[
    Indicator {
        name: "params",
        unit: "",
        value: |r| Ok(r.params_total as f64),
        show: count,
    },
    Indicator {
        name: "params active",
        unit: "",
        value: |r| Ok(r.params_active as f64),
        show: count,
    },
    Indicator {
        name: "KV cache",
        unit: "B",
        value: |r| Ok(r.analytic.kv_cache_bytes as f64),
        show: bytes,
    },
    Indicator {
        name: "KV cache measured",
        unit: "B",
        value: |r| match &r.kv_cache_measured {
            Measured::Bytes(b) => Ok(*b as f64),
            Measured::NotAvailable(why) => Err(why.clone()),
        },
        show: bytes,
    },
    Indicator {
        name: "memory estimate",
        unit: "B",
        value: |r| Ok(r.analytic.memory_estimate_bytes as f64),
        show: bytes,
    },
    Indicator {
        name: "prefill FLOPs",
        unit: "FLOP",
        value: |r| Ok(r.analytic.prefill_flops as f64),
        show: count,
    },
    Indicator {
        name: "decode FLOPs/step",
        unit: "FLOP",
        value: |r| Ok(r.analytic.decode_step_flops),
        show: count,
    },
    Indicator {
        name: "weights read/step",
        unit: "B",
        value: |r| Ok(r.analytic.decode_step_weight_bytes as f64),
        show: bytes,
    },
    Indicator {
        name: "weights read/step routed",
        unit: "B",
        value: |r| r.weight_bytes_per_step.ok_or_else(not_an_moe),
        show: bytes,
    },
    Indicator {
        name: "KV read/step",
        unit: "B",
        value: |r| Ok(r.analytic.decode_step_kv_read_bytes),
        show: bytes,
    },
    Indicator {
        name: "KV written/step",
        unit: "B",
        value: |r| Ok(r.analytic.decode_step_kv_written_bytes as f64),
        show: bytes,
    },
    Indicator {
        name: "decode intensity",
        unit: "FLOP/B",
        value: |r| Ok(r.analytic.decode_arithmetic_intensity),
        show: plain,
    },
    Indicator {
        name: "experts/step expected",
        unit: "",
        value: |r| r.analytic.expected_experts_per_layer.ok_or_else(not_an_moe),
        show: plain,
    },
    Indicator {
        name: "experts/step routed",
        unit: "",
        value: |r| r.experts_per_step.ok_or_else(not_an_moe),
        show: plain,
    },
    Indicator {
        name: "TTFT p50",
        unit: "s",
        value: |r| Ok(r.ttft.p50),
        show: secs,
    },
    Indicator {
        name: "ITL p50",
        unit: "s",
        value: |r| Ok(r.itl.p50),
        show: secs,
    },
    Indicator {
        name: "ITL p90",
        unit: "s",
        value: |r| Ok(r.itl.p90),
        show: secs,
    },
    Indicator {
        name: "ITL p99",
        unit: "s",
        value: |r| Ok(r.itl.p99),
        show: secs,
    },
    Indicator {
        name: "decode tokens/s",
        unit: "tokens/s",
        value: |r| Ok(r.decode_tokens_per_s),
        show: rate,
    },
    Indicator {
        name: "prefill tokens/s",
        unit: "tokens/s",
        value: |r| Ok(r.prefill_tokens_per_s),
        show: rate,
    },
    Indicator {
        name: "request p50",
        unit: "s",
        value: |r| Ok(r.request.p50),
        show: secs,
    },
];

/// The 95% interval of a measured latency in the generate table, by indicator name.
fn interval_of(name: &str, r: &GenerationRun) -> Option<crate::measured::interval::Interval> {
    use crate::measured::stats::LatencyIntervals;
    type Pick = fn(&LatencyIntervals) -> Option<crate::measured::interval::Interval>;
    let (latencies, pick): (&Latencies, Pick) = match name {
        "TTFT p50" => (&r.ttft, |i| i.p50_s),
        "ITL p50" => (&r.itl, |i| i.p50_s),
        "ITL p90" => (&r.itl, |i| i.p90_s),
        "ITL p99" => (&r.itl, |i| i.p99_s),
        "request p50" => (&r.request, |i| i.p50_s),
        _ => return None,
    };
    pick(&latencies.intervals?)
}

impl GenerateReport {
    /// What the figures say: each MoE's decode step against the baseline's, beside its active
    /// and total parameters and the weights it read.
    pub fn findings(&self) -> Vec<String> {
        let Some(base) = self.runs.iter().find(|r| r.variant == self.baseline) else {
            return Vec::new();
        };
        if base.itl.p50 <= 0.0 {
            return Vec::new();
        }
        self.runs
            .iter()
            .filter(|r| r.variant != base.variant && r.experts_per_step.is_some())
            .map(|r| {
                let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
                let read = r.weight_bytes_per_step.unwrap_or(0.0);
                format!(
                    "{}: ITL p50 {:.2}x {}'s at batch {}; active params {:.2}x, total params {:.2}x, weights read per step {:.2}x",
                    r.variant,
                    ratio(r.itl.p50, base.itl.p50),
                    base.variant,
                    r.analytic.batch,
                    ratio(r.params_active as f64, base.params_active as f64),
                    ratio(r.params_total as f64, base.params_total as f64),
                    ratio(read, base.analytic.decode_step_weight_bytes as f64),
                )
            })
            .collect()
    }

    fn to_text(&self, markdown: bool) -> String {
        let mut header = vec!["indicator".to_owned()];
        header.extend(self.runs.iter().map(|r| r.variant.clone()));
        let mut table = text_table(markdown, header);
        for ind in INDICATORS {
            if self.runs.iter().all(|r| (ind.value)(r).is_err()) {
                continue;
            }
            let mut row = vec![ind.name.to_owned()];
            row.extend(self.runs.iter().map(|r| match (ind.value)(r) {
                Ok(v) => match interval_of(ind.name, r) {
                    Some(i) => i.show(v, &(ind.show)(v)),
                    None => (ind.show)(v),
                },
                Err(why) => format!("n/a: {why}"),
            }));
            table.add_row(row);
        }
        let mut notes = vec![format!("{} on {}", self.workload, self.backend)];
        if self.runs.iter().any(|r| r.itl.intervals.is_some()) {
            notes.push(
                "±: half-width of a 95% confidence interval from order statistics over the timed requests (TTFT) and decode steps (ITL)"
                    .to_owned(),
            );
        }
        notes.extend(self.findings());
        notes.extend(self.notes.iter().cloned());
        table_with_notes(&table, None, &notes, markdown)
    }

    fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["variant", "backend", "indicator", "value", "unit"])?;
        for r in &self.runs {
            let backend = r.backend.to_string();
            for ind in INDICATORS {
                if let Ok(v) = (ind.value)(r) {
                    w.write_record([
                        r.variant.as_str(),
                        &backend,
                        ind.name,
                        &format_number(v),
                        ind.unit,
                    ])?;
                }
            }
        }
        csv_text(w)
    }
}

impl Document for GenerateReport {
    fn text(&self) -> String {
        self.to_text(false)
    }
    fn markdown(&self) -> String {
        self.to_text(true)
    }
    fn csv(&self) -> Result<String, csv::Error> {
        self.to_csv()
    }
    fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
        envelope(
            "effprof.generate/1",
            suite,
            [("generate", serde_json::to_value(self)?)],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let l = Latencies::of((1..=100).rev().map(f64::from).collect());
        assert_eq!((l.p50, l.p90, l.p99), (50.0, 90.0, 99.0));
        assert_eq!((l.min, l.max, l.samples), (1.0, 100.0, 100));
        assert_eq!(l.mean, 50.5);
        let one = Latencies::of(vec![3.0]);
        assert_eq!((one.p50, one.p99), (3.0, 3.0));
        assert_eq!(Latencies::of(Vec::new()).p50, 0.0);
    }
}
