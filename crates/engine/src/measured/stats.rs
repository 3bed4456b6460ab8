//! Latency statistics of one (variant, backend): exact mean, deviation and extremes, and
//! percentiles from a histogram with three significant digits, in bounded memory.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::interval::{Interval, LEVEL, Outliers, mean_interval, quantile_ranks};

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
    /// Means of consecutive runs, in time order: what the mean's deviation is when runs drift
    /// together (a shared machine speeding up and slowing down).
    batches: Batches,
}

/// The sums of consecutive batches of `size` runs, between [`MIN_BATCHES`] and twice that
/// many once there are enough runs: two neighbours merge (and the size doubles) whenever the
/// count reaches the maximum, so memory stays bounded.
#[derive(Clone, Debug)]
struct Batches {
    size: u64,
    sums: Vec<f64>,
    open_sum: f64,
    open_count: u64,
}

/// The fewest batches the drift is judged from; fewer complete batches read as no drift.
const MIN_BATCHES: usize = 20;

impl Batches {
    fn new() -> Self {
        Self {
            size: 1,
            sums: Vec::with_capacity(2 * MIN_BATCHES),
            open_sum: 0.0,
            open_count: 0,
        }
    }

    fn record(&mut self, x: f64) {
        self.open_sum += x;
        self.open_count += 1;
        if self.open_count < self.size {
            return;
        }
        self.sums.push(self.open_sum);
        self.open_sum = 0.0;
        self.open_count = 0;
        if self.sums.len() == 2 * MIN_BATCHES {
            self.sums = self.sums.chunks(2).map(|p| p[0] + p[1]).collect();
            self.size *= 2;
        }
    }

    /// The variance inflation of the mean: the batch means' variance times the batch size
    /// over the runs' variance `var`, ~1 for independent runs, k for runs that move together
    /// in groups of about k. Runs are taken as independent (1) unless their batch means vary
    /// more than independence allows 97.5% of the time (the ratio is then χ²(k−1)/(k−1)),
    /// and an inflation is widened by (t/z)² for the k−1 degrees of freedom it is estimated
    /// from, as a batch-means interval is.
    fn inflation(&self, var: f64) -> f64 {
        let k = self.sums.len();
        if k < MIN_BATCHES || var <= 0.0 {
            return 1.0;
        }
        let b = self.size as f64;
        let means: Vec<f64> = self.sums.iter().map(|s| s / b).collect();
        let m = means.iter().sum::<f64>() / k as f64;
        let var_means = means.iter().map(|y| (y - m).powi(2)).sum::<f64>() / (k - 1) as f64;
        let ratio = b * var_means / var;
        let df = (k - 1) as f64;
        // χ²(df)/df's upper 2.5% point by Wilson-Hilferty.
        let z = super::interval::z(0.95);
        let upper = (1.0 - 2.0 / (9.0 * df) + z * (2.0 / (9.0 * df)).sqrt()).powi(3);
        if ratio <= upper {
            return 1.0;
        }
        // Student's t quantile for df degrees of freedom (Cornish-Fisher, within 1e-3 at 19).
        let t = z
            + (z.powi(3) + z) / (4.0 * df)
            + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * df * df);
        ratio * (t / z).powi(2)
    }
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
    /// 95% confidence intervals of p50, p90, p99 and the mean ([`super::interval`]); absent
    /// in snapshots from before effprof computed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervals: Option<LatencyIntervals>,
    /// Iterations outside Tukey's fences, counted, not dropped; absent in snapshots from
    /// before effprof counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outliers: Option<Outliers>,
    /// The iterations' worth of independent runs the intervals are computed from: fewer than
    /// `iterations` where consecutive runs drift together (batch means); absent in snapshots
    /// from before effprof measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_iterations: Option<u64>,
}

/// The intervals of a [`LatencySummary`]'s figures, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyIntervals {
    /// `None` where there are too few iterations for a 95% interval of that quantile.
    pub p50_s: Option<Interval>,
    pub p90_s: Option<Interval>,
    pub p99_s: Option<Interval>,
    pub mean_s: Interval,
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
            batches: Batches::new(),
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
        self.batches.record(x);
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
        let at = |quantile: f64| {
            self.histogram
                .value_at_quantile(quantile)
                .clamp(self.min, self.max) as f64
        };
        let q = |quantile| s(at(quantile));
        // The samples ranked around n·q bound the q-quantile (order statistics), from the
        // effective number of independent runs: runs that drift together carry less
        // information than their count (batch means measure by how much).
        let n = self.count;
        let inflation = self.batches.inflation(stdev * stdev);
        let n_eff = ((n as f64 / inflation).floor() as u64).max(1);
        // The histogram answers a quantile with the value of rank ⌈q·n⌉: half a rank below
        // asks for exactly that rank.
        let rank = |r: f64| at(((r - 0.5) / n as f64).clamp(0.0, 1.0));
        let scale = n as f64 / n_eff as f64;
        let quantile_interval = |quantile: f64| {
            quantile_ranks(n_eff, quantile, LEVEL).map(|(lo, hi)| Interval {
                lo: s(rank(((lo as f64 - 1.0) * scale + 1.0).floor())),
                hi: s(rank((hi as f64 * scale).ceil().min(n as f64))),
            })
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
            intervals: Some(LatencyIntervals {
                p50_s: quantile_interval(0.50),
                p90_s: quantile_interval(0.90),
                p99_s: quantile_interval(0.99),
                mean_s: mean_interval(s(self.mean), s(stdev), n_eff, LEVEL),
            }),
            effective_iterations: Some(n_eff),
            outliers: Some(self.outliers(at(0.25), at(0.75))),
        })
    }

    /// The recorded latencies outside Tukey's fences around quartiles `q1` and `q3` (ns).
    fn outliers(&self, q1: f64, q3: f64) -> Outliers {
        if self.count < 4 {
            return Outliers::default();
        }
        let [mild_lo, mild_hi, severe_lo, severe_hi] = Outliers::fences(q1, q3);
        let mut out = Outliers::default();
        for v in self.histogram.iter_recorded() {
            // A bucket's values are equivalent to three digits: judge it by its middle.
            let x = self.histogram.median_equivalent(v.value_iterated_to()) as f64;
            let n = v.count_at_value();
            if x < severe_lo || x > severe_hi {
                out.severe += n;
            } else if x < mild_lo || x > mild_hi {
                out.mild += n;
            }
        }
        out
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

    /// `trials` samples of `n` latencies from a lognormal of median `median_ms` and shape
    /// `sigma`, each summarised.
    fn lognormal_trials(
        trials: usize,
        n: usize,
        median_ms: f64,
        sigma: f64,
    ) -> Vec<LatencySummary> {
        drifting_trials(trials, n, median_ms, sigma, (1, 0.0), 0x5eed)
    }

    /// `trials` runs of `n` lognormal latencies (median `median_ms`, log-deviation `sigma`),
    /// consecutive groups of `drift.0` sharing a level drawn from a lognormal of log-deviation
    /// `drift.1` (a machine that speeds up and slows down), seeded by `seed`.
    fn drifting_trials(
        trials: usize,
        n: usize,
        median_ms: f64,
        sigma: f64,
        drift: (usize, f64),
        seed: u64,
    ) -> Vec<LatencySummary> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        // Box-Muller: one standard normal from two uniforms.
        let mut normal = move || {
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        (0..trials)
            .map(|_| {
                let mut s = LatencyStats::new();
                let mut level = 0.0;
                for i in 0..n {
                    if i % drift.0 == 0 {
                        level = drift.1 * normal();
                    }
                    s.record(Duration::from_secs_f64(
                        median_ms / 1e3 * (sigma * normal() + level).exp(),
                    ));
                }
                s.summary().unwrap()
            })
            .collect()
    }

    /// Each 95% interval covers the true figure in 95% of 1,000 seeded trials of 1,000 runs,
    /// within 2.5 points (the binomial noise of 1,000 trials is 0.7 points; the quantiles'
    /// intervals are conservative, their ranks being whole).
    #[test]
    fn intervals_cover_the_true_figure_at_their_nominal_rate() {
        let (median, sigma) = (10.0, 0.3);
        let trials = lognormal_trials(1000, 1000, median, sigma);
        let true_s = |z: f64| median / 1e3 * (sigma * z).exp();
        type Pick = fn(&LatencyIntervals) -> Option<Interval>;
        let cases: [(&str, f64, Pick); 4] = [
            ("p50", true_s(0.0), |i| i.p50_s),
            ("p90", true_s(1.281_552), |i| i.p90_s),
            ("p99", true_s(2.326_348), |i| i.p99_s),
            ("mean", median / 1e3 * (sigma * sigma / 2.0).exp(), |i| {
                Some(i.mean_s)
            }),
        ];
        for (name, truth, interval) in cases {
            let covered = trials
                .iter()
                .filter(|t| interval(&t.intervals.unwrap()).unwrap().contains(truth))
                .count() as f64
                / trials.len() as f64;
            assert!((0.925..=0.975).contains(&covered), "{name}: {covered}");
        }
        // Too few runs for p99: no interval rather than one that covers less than it says.
        let few = lognormal_trials(1, 200, median, sigma);
        assert!(few[0].intervals.unwrap().p99_s.is_none());
        assert!(few[0].intervals.unwrap().p50_s.is_some());
    }

    /// Two runs from one distribution are "within noise" (p50 and mean, at the default
    /// threshold) in at least 97.5% of 200 trial pairs; a planted 10% slowdown is "regressed"
    /// in at least 97.5% of them, and 10% faster "improved".
    #[test]
    fn verdicts_tell_a_planted_slowdown_from_noise() {
        use crate::measured::interval::{NOISE_THRESHOLD, Verdict, verdict};
        // Each set drawn with its own seed: "same" is another run of one distribution, not a
        // copy of the baseline.
        let draw = |median, seed| drifting_trials(200, 1000, median, 0.3, (1, 0.0), seed);
        let base = draw(10.0, 1);
        let same = draw(10.0, 2);
        let slower = draw(11.0, 3);
        let faster = draw(9.0, 4);
        let rate = |new: &[LatencySummary], want: Verdict| {
            let hits = base
                .iter()
                .zip(new)
                .filter(|(a, b)| {
                    let (ia, ib) = (a.intervals.unwrap(), b.intervals.unwrap());
                    let p50 = verdict(
                        (a.p50_s, ia.p50_s.unwrap()),
                        (b.p50_s, ib.p50_s.unwrap()),
                        true,
                        NOISE_THRESHOLD,
                        LEVEL,
                    );
                    let mean = verdict(
                        (a.mean_s, ia.mean_s),
                        (b.mean_s, ib.mean_s),
                        true,
                        NOISE_THRESHOLD,
                        LEVEL,
                    );
                    p50.0 == want && mean.0 == want
                })
                .count();
            hits as f64 / base.len() as f64
        };
        assert!(rate(&same, Verdict::WithinNoise) >= 0.975);
        assert!(rate(&slower, Verdict::Regressed) >= 0.975);
        assert!(rate(&faster, Verdict::Improved) >= 0.975);
    }

    /// Runs that drift together in groups of 50 (each group's level off by a lognormal of
    /// log-deviation 0.1, three times the runs' own 0.3 over 50 runs' average): intervals that
    /// took the 2,000 runs as independent would cover the true p50 and mean far less than 95%
    /// of the time; from the effective runs (batch means) they still cover at least 90%.
    #[test]
    fn intervals_widen_when_runs_drift_together() {
        let trials = drifting_trials(400, 2000, 10.0, 0.3, (50, 0.1), 7);
        // log X = log 10 ms + 0.3·Z + 0.1·Z': the median is 10 ms, the mean
        // 10 ms · exp((0.09 + 0.01) / 2).
        let (p50, mean) = (10e-3, 10e-3 * (0.05f64).exp());
        let cover = |pick: &dyn Fn(&LatencySummary) -> Interval, truth: f64| {
            trials.iter().filter(|t| pick(t).contains(truth)).count() as f64 / trials.len() as f64
        };
        let p50_cover = cover(&|t| t.intervals.unwrap().p50_s.unwrap(), p50);
        let mean_cover = cover(&|t| t.intervals.unwrap().mean_s, mean);
        assert!(p50_cover >= 0.90, "p50: {p50_cover}");
        assert!(mean_cover >= 0.90, "mean: {mean_cover}");
        // The intervals say how much less the runs were worth.
        let effective = trials[0].effective_iterations.unwrap();
        assert!(effective < 2000 / 3, "{effective}");
        // Independent runs keep (nearly) their count.
        let iid = drifting_trials(20, 2000, 10.0, 0.3, (1, 0.0), 8);
        let kept = iid
            .iter()
            .map(|t| t.effective_iterations.unwrap())
            .sum::<u64>()
            / 20;
        assert!(kept > 1500, "{kept}");
    }

    #[test]
    fn outliers_are_counted_from_the_histogram() {
        let mut s = LatencyStats::new();
        // Uniform over 10.00..10.99 ms: within Tukey's fences, however many.
        for i in 0..1000 {
            s.record(Duration::from_micros(10_000 + (i % 100) * 10));
        }
        assert_eq!(s.summary().unwrap().outliers, Some(Outliers::default()));
        // Two stalls of 100 ms and one run of 12 ms (past 1.5 IQR, short of 3).
        for ms in [100, 100, 12] {
            s.record(Duration::from_millis(ms));
        }
        let sum = s.summary().unwrap();
        assert_eq!(sum.outliers, Some(Outliers { mild: 1, severe: 2 }));
        assert_eq!(sum.outliers.unwrap().label(), "1 mild, 2 severe");
        // Counted, not dropped: the extremes and the mean still see them.
        assert_eq!(sum.max_s, 0.1);
        assert_eq!(sum.iterations, 1003);
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
