//! Latency statistics of one (variant, backend): exact mean, deviation and extremes, and
//! percentiles from a histogram with three significant digits, in bounded memory.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Above this coefficient of variation a measurement is flagged noisy.
pub const NOISY_CV: f64 = 0.10;

#[derive(Clone, Debug)]
pub struct LatencyStats {
    histogram: Histogram<u64>,
    count: u64,
    mean: f64,
    /// Sum of squared deviations from the mean (Welford), in ns^2.
    m2: f64,
    min: u64,
    max: u64,
}

/// What a summary shows of [`LatencyStats`], in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub iterations: u64,
    pub mean_s: f64,
    pub p50_s: f64,
    pub p90_s: f64,
    pub p99_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub stdev_s: f64,
    /// stdev / mean.
    pub cv: f64,
}

impl Default for LatencyStats {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyStats {
    pub fn new() -> Self {
        Self {
            // 1 ns to 1 hour; grows no further, so memory stays bounded.
            histogram: Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
                .expect("static bounds are valid"),
            count: 0,
            mean: 0.0,
            m2: 0.0,
            min: u64::MAX,
            max: 0,
        }
    }

    pub fn record(&mut self, latency: Duration) {
        let ns = (latency.as_nanos() as u64).clamp(1, self.histogram.high());
        self.histogram.saturating_record(ns);
        self.count += 1;
        let x = ns as f64;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn mean(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_nanos(self.mean.round() as u64))
    }

    pub fn summary(&self) -> Option<LatencySummary> {
        if self.count == 0 {
            return None;
        }
        let s = |ns: f64| ns / 1e9;
        let stdev = if self.count > 1 {
            (self.m2 / (self.count - 1) as f64).sqrt()
        } else {
            0.0
        };
        // The histogram answers with the top of a bucket (3 significant digits), which can lie
        // above the largest latency recorded; the exact extremes bound every quantile.
        let q = |quantile| {
            s(self
                .histogram
                .value_at_quantile(quantile)
                .clamp(self.min, self.max) as f64)
        };
        Some(LatencySummary {
            iterations: self.count,
            mean_s: s(self.mean),
            p50_s: q(0.50),
            p90_s: q(0.90),
            p99_s: q(0.99),
            min_s: s(self.min as f64),
            max_s: s(self.max as f64),
            stdev_s: s(stdev),
            cv: if self.mean > 0.0 {
                stdev / self.mean
            } else {
                0.0
            },
        })
    }
}

/// Decides when latency has settled: the rolling median of the last `window` runs moves less
/// than `tolerance` between consecutive runs, `window` times in a row; or a cap is reached.
#[derive(Clone, Debug)]
pub struct WarmupPolicy {
    pub window: usize,
    pub tolerance: f64,
    pub max_runs: usize,
    pub max_time: Duration,
}

impl Default for WarmupPolicy {
    fn default() -> Self {
        Self {
            window: 5,
            tolerance: 0.05,
            max_runs: 50,
            max_time: Duration::from_secs(10),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Warmup {
    runs: Vec<Duration>,
    elapsed: Duration,
    stable_steps: usize,
    last_median: Option<Duration>,
}

impl Warmup {
    /// Records one warm-up run; true once latency has settled or a cap is hit.
    pub fn record(&mut self, latency: Duration, policy: &WarmupPolicy) -> bool {
        self.runs.push(latency);
        self.elapsed += latency;
        if self.runs.len() >= policy.window {
            let mut recent: Vec<Duration> = self.runs[self.runs.len() - policy.window..].to_vec();
            recent.sort();
            let median = recent[recent.len() / 2];
            if let Some(last) = self.last_median {
                let moved = (median.as_secs_f64() - last.as_secs_f64()).abs()
                    / last.as_secs_f64().max(1e-12);
                if moved < policy.tolerance {
                    self.stable_steps += 1;
                } else {
                    self.stable_steps = 0;
                }
            }
            self.last_median = Some(median);
        }
        self.stable_steps >= policy.window
            || self.runs.len() >= policy.max_runs
            || self.elapsed >= policy.max_time
    }

    pub fn runs(&self) -> usize {
        self.runs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn summary_of_known_samples() {
        let mut s = LatencyStats::new();
        for v in 1..=100 {
            s.record(ms(v));
        }
        let sum = s.summary().unwrap();
        assert_eq!(sum.iterations, 100);
        assert!((sum.mean_s - 0.0505).abs() < 1e-9);
        assert!((sum.p50_s - 0.050).abs() < 0.0001, "{}", sum.p50_s);
        assert!((sum.p90_s - 0.090).abs() < 0.0001, "{}", sum.p90_s);
        assert!((sum.p99_s - 0.099).abs() < 0.0001, "{}", sum.p99_s);
        assert_eq!(sum.min_s, 0.001);
        assert_eq!(sum.max_s, 0.1);
        // Sample stdev of 1..=100 ms is 29.011 ms.
        assert!((sum.stdev_s - 0.029_011).abs() < 1e-5, "{}", sum.stdev_s);
        assert!((sum.cv - 0.029_011 / 0.0505).abs() < 1e-3);
    }

    #[test]
    fn quantiles_stay_within_the_latencies_recorded() {
        // 191 733 ns falls in a histogram bucket whose top is above it.
        for samples in [&[191_733][..], &[190_579, 191_733, 191_700]] {
            let mut s = LatencyStats::new();
            for ns in samples {
                s.record(Duration::from_nanos(*ns));
            }
            let sum = s.summary().unwrap();
            for p in [sum.p50_s, sum.p90_s, sum.p99_s] {
                assert!(sum.min_s <= p && p <= sum.max_s, "{samples:?}: {sum:?}");
            }
        }
    }

    #[test]
    fn empty_stats_have_no_summary() {
        assert!(LatencyStats::new().summary().is_none());
    }

    #[test]
    fn warmup_ends_when_latency_settles() {
        let policy = WarmupPolicy::default();
        let mut w = Warmup::default();
        // A cold start, then steady 10 ms.
        assert!(!w.record(ms(500), &policy));
        let mut runs = 1;
        while !w.record(ms(10), &policy) {
            runs += 1;
            assert!(runs < 50, "never settled");
        }
        assert!(w.runs() < 15, "settled after {} runs", w.runs());
    }

    #[test]
    fn warmup_is_capped() {
        let policy = WarmupPolicy {
            max_runs: 8,
            ..Default::default()
        };
        let mut w = Warmup::default();
        // Alternating latencies never settle.
        let done: Vec<bool> = (0..8)
            .map(|i| w.record(ms(if i % 2 == 0 { 10 } else { 40 }), &policy))
            .collect();
        assert_eq!(done.iter().filter(|d| **d).count(), 1);
        assert!(done[7]);
    }
}
