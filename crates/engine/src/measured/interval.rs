//! How sure a measured figure is: 95% confidence intervals for latency quantiles and the mean,
//! outliers by Tukey's fences, ratios with their error, and the verdict on two runs.
//!
//! - A quantile's interval is distribution-free, from order statistics: the number of
//!   samples below the true q-quantile is Binomial(n, q), so the samples ranked
//!   n·q ∓ z·√(n·q·(1−q)) bound it at the nominal level (the normal approximation of the
//!   binomial; conservative where the ranks round outward).
//! - The mean's interval is the normal one, mean ± z·s/√n.
//! - Every interval treats the runs as independent draws. Runs on a shared machine drift
//!   together, so the intervals are as narrow as they can be; the verdicts use a noise
//!   threshold as well as the test for that reason.

use serde::{Deserialize, Serialize};

/// The confidence level of every interval effprof shows.
pub const LEVEL: f64 = 0.95;

/// A two-sided interval around a figure, in the figure's unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// The half-width relative to `value`, where the interval is asymmetric the larger side:
    /// what "± 2.1%" says.
    pub fn relative_half_width(&self, value: f64) -> f64 {
        if value <= 0.0 {
            return 0.0;
        }
        (value - self.lo).max(self.hi - value).max(0.0) / value
    }

    /// `value` with its interval as tables show it: `10.6 ms ±2.1%` (`±<0.1%` under 0.05%).
    pub fn show(&self, value: f64, text: &str) -> String {
        format!("{text} {}", percent(self.relative_half_width(value)))
    }

    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// The interval of a rate `rate` = k / `mean`, from the mean's interval `mean_ci`:
    /// [k / hi, k / lo]; None where the mean's interval reaches 0.
    pub fn of_rate(rate: f64, mean: f64, mean_ci: Interval) -> Option<Interval> {
        (mean_ci.lo > 0.0).then(|| Interval {
            lo: rate * mean / mean_ci.hi,
            hi: rate * mean / mean_ci.lo,
        })
    }

    /// The standard error a normal interval of this width implies.
    pub fn standard_error(&self) -> f64 {
        (self.hi - self.lo) / (2.0 * z(LEVEL))
    }
}

/// A relative half-width as tables show it: `±2.1%`, `±<0.1%`.
pub fn percent(relative: f64) -> String {
    match relative < 0.0005 {
        true => "±<0.1%".to_owned(),
        false => format!("±{:.1}%", 100.0 * relative),
    }
}

/// The standard normal quantile that leaves (1 − `level`)/2 in each tail (1.96 for 95%).
pub fn z(level: f64) -> f64 {
    normal_quantile(0.5 + level / 2.0)
}

/// The standard normal's inverse CDF (Acklam's rational approximation, relative error under
/// 1.2e-9 over (0, 1)).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The standard normal's CDF (through erfc, Numerical Recipes' Chebyshev fit, relative error
/// under 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.5 * (x.abs() / std::f64::consts::SQRT_2));
    let u = x.abs() / std::f64::consts::SQRT_2;
    let erfc = t
        * (-u * u - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

/// The 1-based ranks `(l, u)` of the order statistics whose interval [X(l), X(u)] covers the
/// `q`-quantile of `n` samples at `level`: the count B of samples below the quantile is
/// Binomial(n, q), and P(l ≤ B < u) ≥ level. Exact up to 20,000 samples, the normal
/// approximation above (where n·q·(1−q) is large enough for it). `None` where no ranks reach
/// the level: too few samples for that quantile (p99 needs 368).
pub fn quantile_ranks(n: u64, q: f64, level: f64) -> Option<(u64, u64)> {
    if n == 0 || !(0.0..1.0).contains(&q) || q == 0.0 {
        return None;
    }
    let tail = (1.0 - level) / 2.0;
    if n > 20_000 {
        let n_f = n as f64;
        let spread = z(level) * (n_f * q * (1.0 - q)).sqrt();
        let lo = (n_f * q - spread).floor();
        let hi = (n_f * q + spread).ceil() + 1.0;
        return (lo >= 1.0 && hi <= n_f).then_some((lo as u64, hi as u64));
    }
    // P(B ≤ k) for k = 0..n, the binomial's terms summed in log space (q^n underflows).
    let (ln_q, ln_p) = ((1.0 - q).ln(), q.ln());
    let mut ln_pmf = n as f64 * ln_q;
    let mut cdf = Vec::with_capacity(n as usize + 1);
    let mut sum = 0.0;
    for k in 0..=n {
        if k > 0 {
            ln_pmf += ((n - k + 1) as f64).ln() - (k as f64).ln() + ln_p - ln_q;
        }
        sum += ln_pmf.exp();
        cdf.push(sum.min(1.0));
    }
    // The largest l with P(B ≤ l − 1) ≤ tail, the smallest u with P(B ≤ u − 1) ≥ 1 − tail.
    let lo = (1..=n)
        .take_while(|l| cdf[*l as usize - 1] <= tail)
        .last()?;
    let hi = (1..=n).find(|u| cdf[*u as usize - 1] >= 1.0 - tail)?;
    Some((lo, hi))
}

/// The mean's normal interval from its sample's deviation.
pub fn mean_interval(mean: f64, stdev: f64, n: u64, level: f64) -> Interval {
    let half = z(level) * stdev / (n.max(1) as f64).sqrt();
    Interval {
        lo: mean - half,
        hi: mean + half,
    }
}

/// The 95% interval of the `q`-quantile of `sorted` samples, from the order statistics
/// [`quantile_ranks`] picks; `None` where too few samples reach the level.
pub fn quantile_interval(sorted: &[f64], q: f64) -> Option<Interval> {
    let (lo, hi) = quantile_ranks(sorted.len() as u64, q, LEVEL)?;
    Some(Interval {
        lo: sorted[lo as usize - 1],
        hi: sorted[hi as usize - 1],
    })
}

/// The intervals of p50, p90, p99 and the mean of `sorted` samples whose mean is `mean`;
/// `None` under two samples (no deviation to speak of).
pub fn intervals_of_sorted(sorted: &[f64], mean: f64) -> Option<super::stats::LatencyIntervals> {
    let n = sorted.len();
    if n < 2 {
        return None;
    }
    let var = sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some(super::stats::LatencyIntervals {
        p50_s: quantile_interval(sorted, 0.50),
        p90_s: quantile_interval(sorted, 0.90),
        p99_s: quantile_interval(sorted, 0.99),
        mean_s: mean_interval(mean, var.sqrt(), n as u64, LEVEL),
    })
}

/// Samples outside Tukey's fences around the quartiles: mild beyond 1.5 interquartile
/// ranges, severe beyond 3. They are counted and shown, never dropped from the figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outliers {
    pub mild: u64,
    pub severe: u64,
}

impl Outliers {
    /// `3 mild, 1 severe`, or `none`.
    pub fn label(&self) -> String {
        match (self.mild, self.severe) {
            (0, 0) => "none".to_owned(),
            (m, 0) => format!("{m} mild"),
            (0, s) => format!("{s} severe"),
            (m, s) => format!("{m} mild, {s} severe"),
        }
    }

    /// The fences of a sample with quartiles `q1` and `q3`: (mild low, mild high, severe low,
    /// severe high).
    pub fn fences(q1: f64, q3: f64) -> [f64; 4] {
        let iqr = q3 - q1;
        [
            q1 - 1.5 * iqr,
            q3 + 1.5 * iqr,
            q1 - 3.0 * iqr,
            q3 + 3.0 * iqr,
        ]
    }
}

/// A ratio of two figures with its interval: `1.15x ± 0.04`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub ratio: f64,
    pub interval: Interval,
}

impl Ratio {
    /// `a / b`, each with its standard error, the error propagated to first order (as
    /// hyperfine does): the ratio's relative error is the root sum of squares of theirs.
    pub fn of(a: f64, se_a: f64, b: f64, se_b: f64, level: f64) -> Option<Ratio> {
        if a <= 0.0 || b <= 0.0 {
            return None;
        }
        let ratio = a / b;
        let relative = ((se_a / a).powi(2) + (se_b / b).powi(2)).sqrt();
        let half = z(level) * ratio * relative;
        Some(Ratio {
            ratio,
            interval: Interval {
                lo: ratio - half,
                hi: ratio + half,
            },
        })
    }

    pub fn half_width(&self) -> f64 {
        (self.interval.hi - self.interval.lo) / 2.0
    }

    /// `1.15x ± 0.04`; `1.79x ± <0.01` where the half-width rounds to nothing.
    pub fn text(&self) -> String {
        let ratio = crate::document::ratio_text(self.ratio);
        match self.half_width() < 0.005 {
            true => format!("{ratio} ± <0.01"),
            false => format!("{ratio} ± {:.2}", self.half_width()),
        }
    }

    /// Whether the interval covers 1: no difference can be told from the noise.
    pub fn within_noise(&self) -> bool {
        self.interval.contains(1.0)
    }

    /// `1.15x ± 0.04`, or `same within noise (1.01x ± 0.03)`.
    pub fn label(&self) -> String {
        let text = self.text();
        match self.within_noise() {
            true => format!("same within noise ({text})"),
            false => text,
        }
    }
}

/// What a figure did between a baseline run and a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Improved,
    Regressed,
    WithinNoise,
}

/// The change below which a figure is "within noise" whatever the test says: 5% of the
/// baseline, about what runs on one machine drift by from one run to the next.
pub const NOISE_THRESHOLD: f64 = 0.05;

/// The test behind a [`Verdict`], named in every report that gives one.
pub const VERDICT_TEST: &str = "two-sided z-test on the difference (standard errors from each run's 95% interval), p < 0.05, and a change beyond the noise threshold";

/// The verdict on a figure that is better `lower` (latency) or higher (throughput), from the
/// baseline's estimate and interval and the new run's: a change is a verdict only when it is
/// significant (p < 1 − level) and larger than `threshold` (a fraction of the baseline).
/// Returns the verdict and the relative change.
pub fn verdict(
    (old, old_ci): (f64, Interval),
    (new, new_ci): (f64, Interval),
    lower_is_better: bool,
    threshold: f64,
    level: f64,
) -> (Verdict, f64) {
    let change = if old != 0.0 { (new - old) / old } else { 0.0 };
    let se = (old_ci.standard_error().powi(2) + new_ci.standard_error().powi(2)).sqrt();
    let p = match se > 0.0 {
        true => 2.0 * (1.0 - normal_cdf(((new - old) / se).abs())),
        false if new == old => 1.0,
        false => 0.0,
    };
    if p >= 1.0 - level || change.abs() <= threshold {
        return (Verdict::WithinNoise, change);
    }
    let worse = (change > 0.0) == lower_is_better;
    (
        if worse {
            Verdict::Regressed
        } else {
            Verdict::Improved
        },
        change,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_and_cdf_are_known_values() {
        assert!((z(0.95) - 1.959_964).abs() < 1e-5, "{}", z(0.95));
        assert!((z(0.99) - 2.575_829).abs() < 1e-5);
        assert!((normal_quantile(0.5)).abs() < 1e-9);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-6);
        for p in [0.001, 0.01, 0.2, 0.7, 0.999] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-6, "{p}");
        }
    }

    #[test]
    fn quantile_ranks_bracket_the_quantile() {
        // The median of 10: the textbook's ranks 2 and 9 (coverage 97.9%).
        assert_eq!(quantile_ranks(10, 0.5, 0.95), Some((2, 9)));
        // 500 ∓ 1.96·√250 = 500 ∓ 31 by the normal approximation; the exact ranks agree
        // within one.
        let (lo, hi) = quantile_ranks(1000, 0.5, 0.95).unwrap();
        assert!(
            (468..=470).contains(&lo) && (531..=533).contains(&hi),
            "{lo} {hi}"
        );
        // p99 of 200 runs: even the largest is below it 13% of the time; no 95% interval.
        assert_eq!(quantile_ranks(200, 0.99, 0.95), None);
        assert!(quantile_ranks(368, 0.99, 0.95).is_some());
        // Above 20,000 samples, the normal approximation.
        let (lo, hi) = quantile_ranks(1_000_000, 0.99, 0.95).unwrap();
        assert!(lo < 990_000 && hi > 990_000 && hi - lo < 500, "{lo} {hi}");
    }

    #[test]
    fn a_ratio_carries_its_error_and_says_when_it_is_noise() {
        let r = Ratio::of(1.15, 0.01, 1.0, 0.01, 0.95).unwrap();
        assert!((r.ratio - 1.15).abs() < 1e-12);
        // Relative errors 0.0087 and 0.01: 1.15 · 1.96 · 0.01325 = 0.0299.
        assert!(((r.interval.hi - r.interval.lo) / 2.0 - 0.0299).abs() < 1e-3);
        assert!(!r.within_noise());
        let same = Ratio::of(1.01, 0.02, 1.0, 0.02, 0.95).unwrap();
        assert!(same.within_noise());
        assert!(
            same.label().starts_with("same within noise"),
            "{}",
            same.label()
        );
    }
}
