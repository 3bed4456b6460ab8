//! What the engine reports about a run: one [`Summary`] for the current backend, with a
//! [`VariantSummary`] per variant. Everything here is plain data, serialisable for `--format
//! jsonl` and snapshots.

use serde::{Deserialize, Serialize};

use super::RoutingStats;
use super::stats::{LatencySummary, NOISY_CV};
use super::{Peaks, ProcessMemory};
use crate::backend::Backend;

/// Where and how long a run measured, with the machine's figures: what a [`Summary`] and a
/// snapshot both begin with (flattened into each, so their JSON keys are the same).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunHeader {
    pub backend: Backend,
    /// The adapter's name and what its kernels are compiled for (wgpu); the CPU otherwise.
    pub adapter: String,
    pub driver: String,
    pub batch: usize,
    /// Seconds the engine had run.
    pub elapsed_s: f64,
    /// Peak FLOP/s and bandwidth of the backend, once measured.
    pub peaks: Option<Peaks>,
    pub process: ProcessMemory,
    /// The device allocator's bytes in use and reserved (wgpu); `None` with the reason in
    /// `device_memory_na` on backends without an allocator report.
    pub device_memory: Option<DeviceMemory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_memory_na: Option<String>,
    /// Seconds from opening this backend to its first measured pass of any variant: building,
    /// the first passes (kernel compiles on wgpu) and warm-up. None until then (and in
    /// snapshots from before effprof measured it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_figure_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    pub suite: String,
    #[serde(flatten)]
    pub run: RunHeader,
    pub paused: bool,
    /// Tokens per sample; `None` for an image workload.
    #[serde(default)]
    pub seq_len: Option<usize>,
    pub focus: String,
    /// Work that holds up measuring (pipeline stages), while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy: Option<String>,
    pub variants: Vec<VariantSummary>,
}

impl Summary {
    /// The long work under way, if any, and for how long: the first variant building or
    /// warming up, or the peak measurement before any variant started.
    pub fn long_work(&self) -> Option<String> {
        if let Some(busy) = &self.busy {
            return Some(busy.clone());
        }
        for v in &self.variants {
            match &v.phase {
                Phase::Building { elapsed_s } => {
                    return Some(format!("building {} ({elapsed_s:.1} s)", v.name));
                }
                Phase::WarmingUp { runs, elapsed_s } => {
                    return Some(format!(
                        "warming up {} ({runs} runs, {elapsed_s:.1} s)",
                        v.name
                    ));
                }
                _ => {}
            }
        }
        (self.run.peaks.is_none() && self.variants.iter().all(|v| v.phase == Phase::Pending))
            .then(|| format!("measuring the peak of {}", self.run.backend))
    }
}

/// Where a variant is in its measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Not built yet on this backend.
    Pending,
    Building {
        elapsed_s: f64,
    },
    /// Waiting for latency to settle; the first call compiles kernels on wgpu.
    WarmingUp {
        runs: usize,
        elapsed_s: f64,
    },
    Measuring,
    /// Cannot run here; the reason.
    Failed {
        reason: String,
    },
}

/// Why a figure should not be read as a plain number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    /// Latency varies more than the threshold allows.
    Noisy { cv: f64 },
    /// Faster than the backend's measured peak allows.
    Implausible { reason: String },
    /// Fewer iterations than a stable figure needs.
    FewIterations { iterations: u64 },
}

/// A figure over this share of the measured peak is not believed.
pub const IMPLAUSIBLE_OVER_PEAK: f64 = 1.2;
/// Below this many iterations a figure is flagged as thin.
pub const FEW_ITERATIONS: u64 = 10;

impl Flag {
    /// The flags a measurement earns: noisy above the CV threshold, thin under
    /// [`FEW_ITERATIONS`], implausible above [`IMPLAUSIBLE_OVER_PEAK`] times the peak.
    pub fn judge(
        latency: Option<&LatencySummary>,
        flops_per_s: Option<f64>,
        peaks: Option<&Peaks>,
    ) -> Vec<Flag> {
        let mut flags = Vec::new();
        if let Some(l) = latency {
            if l.cv > NOISY_CV {
                flags.push(Flag::Noisy { cv: l.cv });
            }
            if l.iterations < FEW_ITERATIONS {
                flags.push(Flag::FewIterations {
                    iterations: l.iterations,
                });
            }
        }
        if let (Some(f), Some(p)) = (flops_per_s, peaks)
            && f > IMPLAUSIBLE_OVER_PEAK * p.flops_per_s
        {
            flags.push(Flag::Implausible {
                reason: format!(
                    "{} achieved exceeds the measured peak of {} by more than 20%: the work may not have run",
                    crate::units::with_unit(f, "FLOP/s"),
                    crate::units::with_unit(p.flops_per_s, "FLOP/s")
                ),
            });
        }
        flags
    }
}

/// Device memory of a backend that reports its allocator (wgpu).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceMemory {
    pub in_use_bytes: u64,
    pub reserved_bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VariantSummary {
    pub name: String,
    #[serde(flatten)]
    pub phase: Phase,
    /// The first call's latency: allocation, kernel compilation, autotune.
    pub cold_start_s: Option<f64>,
    pub warmup_runs: usize,
    pub latency: Option<LatencySummary>,
    pub samples_per_s: Option<f64>,
    pub tokens_per_s: Option<f64>,
    /// Executed FLOPs per second of mean latency.
    pub flops_per_s: Option<f64>,
    pub bytes_per_s: Option<f64>,
    pub pct_peak_flops: Option<f64>,
    pub pct_peak_bandwidth: Option<f64>,
    pub flags: Vec<Flag>,
    /// Heap bytes allocated at the high-water mark of one forward pass, above what was live
    /// before it.
    pub heap_peak_bytes: Option<u64>,
    /// The last measured latencies, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_latency_s: Vec<f64>,
    /// Per MoE layer, from the last forward pass read back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routing: Vec<RoutingStats>,
    /// FLOPs the real routing implies (experts counted on the tokens they processed), beside
    /// the analytic useful figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flops_useful_routed: Option<u64>,
}

impl VariantSummary {
    /// Throughput in the workload's unit ([`crate::arch::Workload::throughput_unit`]): tokens/s
    /// where the samples are token sequences, samples/s where they are images.
    pub fn throughput(&self) -> Option<f64> {
        self.tokens_per_s.or(self.samples_per_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latency(iterations: u64, cv: f64) -> LatencySummary {
        LatencySummary {
            iterations,
            mean_s: 0.01,
            p50_s: 0.01,
            p90_s: 0.01,
            p99_s: 0.01,
            min_s: 0.01,
            max_s: 0.01,
            stdev_s: 0.01 * cv,
            cv,
            intervals: None,
            outliers: None,
            effective_iterations: None,
        }
    }

    use crate::measured::TEST_PEAKS as PEAKS;

    #[test]
    fn a_measurement_above_the_peak_is_implausible() {
        let flags = Flag::judge(Some(&latency(100, 0.01)), Some(130e9), Some(&PEAKS));
        assert!(
            matches!(&flags[..], [Flag::Implausible { reason }] if reason.contains("130 GFLOP/s")),
            "{flags:?}"
        );
        // Within 20% of the peak is believed.
        assert!(Flag::judge(Some(&latency(100, 0.01)), Some(115e9), Some(&PEAKS)).is_empty());
        // No peak measured: nothing to compare with.
        assert!(Flag::judge(Some(&latency(100, 0.01)), Some(1e15), None).is_empty());
    }

    #[test]
    fn noisy_and_thin_measurements_are_flagged() {
        let flags = Flag::judge(Some(&latency(5, 0.2)), Some(1e9), Some(&PEAKS));
        assert_eq!(
            flags,
            [
                Flag::Noisy { cv: 0.2 },
                Flag::FewIterations { iterations: 5 }
            ]
        );
    }
}
