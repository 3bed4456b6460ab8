//! A variant on the current backend and batch: pending, building, ready to run, or failed.

use std::time::{Duration, Instant};

use super::statistics::Record;
use crate::arch::{Variant, Workload};
use crate::cost::{self, CostReport};
use crate::error::MeasureError;
use crate::family::Feature;
use crate::measured::{Flag, Peaks, Phase, VariantSummary};
use crate::zoo::{Batch, Model};

pub(super) struct Slot {
    pub variant: Variant,
    /// None for a model of your own, which effprof's formulas do not count.
    pub cost: Option<CostReport>,
    pub state: SlotState,
}

pub(super) enum SlotState {
    /// Not built yet on this backend and batch.
    Pending,
    Building {
        since: Instant,
    },
    Ready(Box<Built>),
    /// It cannot run here; the reason is shown in its place.
    Failed(MeasureError),
}

/// A built model with the input of its next pass.
pub(super) struct Built {
    pub model: Model,
    pub input: Batch,
}

impl Slot {
    /// `variant` on `workload`; failed at once when the cost model cannot count it.
    pub fn new(variant: &Variant, workload: &Workload) -> Self {
        let (cost, state) = if variant.family.supports(Feature::AnalyticCounts) {
            match cost::analyze(variant, workload) {
                Ok(c) => (Some(c), SlotState::Pending),
                Err(e) => (None, SlotState::Failed(e.into())),
            }
        } else {
            (None, SlotState::Pending)
        };
        Self {
            variant: variant.clone(),
            cost,
            state,
        }
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.state, SlotState::Ready(_))
    }

    pub fn is_failed(&self) -> bool {
        matches!(self.state, SlotState::Failed(_))
    }

    pub fn is_pending(&self) -> bool {
        matches!(self.state, SlotState::Pending)
    }

    /// Its figures for a summary, from its statistics on this backend and batch.
    pub fn summary(
        &self,
        record: Option<&Record>,
        workload: &Workload,
        peaks: Option<Peaks>,
    ) -> VariantSummary {
        let phase = match &self.state {
            // The summary names its backend already.
            SlotState::Failed(error) => Phase::Failed {
                reason: error.reason(),
            },
            SlotState::Building { since } => Phase::Building {
                elapsed_s: since.elapsed().as_secs_f64(),
            },
            SlotState::Pending => Phase::Pending,
            SlotState::Ready(_) => match record {
                Some(r) if r.warmed => Phase::Measuring,
                Some(r) => Phase::WarmingUp {
                    runs: r.warmup.runs(),
                    elapsed_s: r
                        .warmup_started
                        .map(|s| s.elapsed().as_secs_f64())
                        .unwrap_or(0.0),
                },
                None => Phase::WarmingUp {
                    runs: 0,
                    elapsed_s: 0.0,
                },
            },
        };
        let latency = record.and_then(|r| r.latency.summary());
        let mean = latency.map(|l| l.mean_s).filter(|m| *m > 0.0);
        let totals = self.cost.as_ref().map(|c| &c.totals);
        let flops_per_s = mean.zip(totals).map(|(m, t)| t.flops_executed as f64 / m);
        let bytes_per_s = mean.zip(totals).map(|(m, t)| t.mem_access_bytes as f64 / m);
        let pct_peak_flops = flops_per_s
            .zip(peaks)
            .map(|(f, p)| 100.0 * f / p.flops_per_s);
        let pct_peak_bandwidth = bytes_per_s
            .zip(peaks)
            .map(|(b, p)| 100.0 * b / p.bytes_per_s);
        let flags = Flag::judge(latency.as_ref(), flops_per_s, peaks.as_ref());
        let routing = record.map(|r| r.routing.clone()).unwrap_or_default();
        let processed: Vec<u64> = routing.iter().map(|r| r.processed).collect();
        let flops_useful_routed = self
            .cost
            .as_ref()
            .and_then(|c| cost::routed_useful_flops(&self.variant, workload, c, &processed));
        VariantSummary {
            name: self.variant.name.clone(),
            phase,
            cold_start_s: record.and_then(|r| r.cold_start).map(|d| d.as_secs_f64()),
            warmup_runs: record.map(|r| r.warmup.runs()).unwrap_or(0),
            latency,
            samples_per_s: mean.map(|m| workload.batch as f64 / m),
            tokens_per_s: mean
                .zip(workload.tokens())
                .map(|(m, tokens)| tokens as f64 / m),
            flops_per_s,
            bytes_per_s,
            pct_peak_flops,
            pct_peak_bandwidth,
            flags,
            heap_peak_bytes: record.and_then(|r| r.heap_peak),
            recent_latency_s: record
                .map(|r| r.recent.iter().map(Duration::as_secs_f64).collect())
                .unwrap_or_default(),
            routing,
            flops_useful_routed,
        }
    }
}
