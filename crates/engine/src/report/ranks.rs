//! Ranks of the variants under each indicator, and how far the indicators agree (Kendall's
//! tau): the paper's point at a glance, "cheapest by FLOPs, slowest by latency".

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::table::{Better, Cell, IndicatorTable};
use crate::measured::interval::{Interval, LEVEL, Ratio};

/// A figure and its 95% interval, where it has one (a measured figure; counts have none).
pub type Estimate = (f64, Option<Interval>);

/// The indicators the rank agreement is computed over: the usual cost indicators, each once.
pub const RANKED: &[(&str, &str)] = &[
    ("params_total", "params"),
    ("params_active", "active"),
    ("flops_useful", "FLOPs"),
    ("flops_executed", "exec"),
    ("mem_access_bytes", "MAC"),
    // The traffic of the recorded forward pass: what really moves, where MAC estimates.
    ("mem_traffic_traced", "traffic"),
    // A model of your own's counts, which no formula gives (see `STANDS_IN_FOR`).
    ("params_traced", "params"),
    ("flops_traced", "FLOPs"),
    ("memory_estimate_bytes", "mem"),
    ("latency_p50", "p50"),
    ("tokens_per_s", "tok/s"),
    ("samples_per_s", "smp/s"),
    ("cold_start", "cold"),
    // A generation suite's decoders: what a decode step reads, and generation measured.
    ("kv_cache_bytes", "KV"),
    ("decode_step_weight_bytes", "W/step"),
    ("ttft_p50", "TTFT"),
    ("itl_p50", "ITL"),
    ("decode_tokens_per_s", "dec/s"),
];

/// Traced counts and the analytic ones they stand in for where those are n/a (a model of
/// your own).
const STANDS_IN_FOR: &[(&str, &str)] = &[
    ("params_traced", "params_total"),
    ("flops_traced", "flops_executed"),
];

fn has_values(table: &IndicatorTable, key: &str) -> bool {
    table
        .rows
        .iter()
        .find(|r| r.key == key)
        .is_some_and(|r| r.cells.iter().any(|c| matches!(c, Cell::Value { .. })))
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ranks {
    pub variants: Vec<String>,
    /// (indicator key, short label, rank of each variant: 1 = cheapest; None = no value).
    pub ranks: Vec<(String, String, Vec<Option<usize>>)>,
    /// Kendall's tau-b between the rankings of each pair of indicators (None: fewer than
    /// [`MIN_TAU_N`] variants have both values, or one side is constant).
    pub tau: Vec<Vec<Option<f64>>>,
    /// How many variants have both values, for each pair: what each tau is computed over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tau_n: Vec<Vec<usize>>,
    /// Per indicator of `ranks`, per variant: whether its rank is shared with a variant whose
    /// figure differs, but not beyond the noise (their ratio's 95% interval covers 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub noise_ties: Vec<Vec<bool>>,
}

/// The fewest variants a rank agreement is computed over. Over two, tau is always ±1; over
/// three it takes only four values: either reads as a finding and is not one.
pub const MIN_TAU_N: usize = 4;

/// Positions where both `a` and `b` have a value.
pub fn shared<T>(a: &[Option<T>], b: &[Option<T>]) -> usize {
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.is_some() && y.is_some())
        .count()
}

impl Ranks {
    pub fn from_table(table: &IndicatorTable) -> Self {
        let mut ranks = Vec::new();
        let mut values: Vec<Vec<Option<Estimate>>> = Vec::new();
        for (key, label) in RANKED {
            let Some(row) = table.rows.iter().find(|r| r.key == *key) else {
                continue;
            };
            // Throughput once: tokens/s where the samples are token sequences (samples/s ranks
            // the same there), samples/s where they are images.
            if *key == "samples_per_s" && ranks.iter().any(|(k, _, _)| k == "tokens_per_s") {
                continue;
            }
            // A traced count ranks only where its analytic twin has no values: the two are
            // equal on every built-in family.
            if STANDS_IN_FOR
                .iter()
                .any(|(traced, analytic)| traced == key && has_values(table, analytic))
            {
                continue;
            }
            let estimates: Vec<Option<Estimate>> = row.cells.iter().map(Cell::estimate).collect();
            let v = on_cost_side(&estimates, row.better);
            if v.iter().flatten().count() < 2 {
                continue;
            }
            ranks.push((
                (*key).to_owned(),
                (*label).to_owned(),
                rank_within_noise(&v),
            ));
            values.push(v);
        }
        let tau = values
            .iter()
            .map(|a| {
                values
                    .iter()
                    .map(|b| kendall_tau_b_within_noise(a, b))
                    .collect()
            })
            .collect();
        let tau_n = values
            .iter()
            .map(|a| values.iter().map(|b| shared(a, b)).collect())
            .collect();
        let noise_ties = values.iter().map(|v| noise_ties(v)).collect();
        Self {
            variants: table.columns.clone(),
            ranks,
            tau,
            tau_n,
            noise_ties,
        }
    }
}

/// Each figure on its cost side: lower is cheaper, so a figure where higher is cheaper
/// (throughput) is negated, and the lowest ranks first.
pub fn on_cost_side(values: &[Option<Estimate>], better: Better) -> Vec<Option<Estimate>> {
    let sign = if better == Better::Higher { -1.0 } else { 1.0 };
    values
        .iter()
        .map(|e| e.map(|(v, ci)| (sign * v, ci)))
        .collect()
}

/// How two figures compare: equal where both have an interval and their ratio's interval
/// covers 1 (no difference can be told from the noise), else by value. Values may be negated
/// (a higher-is-cheaper figure ranked on its cost side); the ratio is of their magnitudes.
pub fn compare_within_noise(a: Estimate, b: Estimate) -> Ordering {
    if let (Some(ia), Some(ib)) = (a.1, b.1)
        && let Some(r) = Ratio::of(
            a.0.abs(),
            ia.standard_error(),
            b.0.abs(),
            ib.standard_error(),
            LEVEL,
        )
        && r.within_noise()
    {
        return Ordering::Equal;
    }
    a.0.total_cmp(&b.0)
}

/// 1-based ranks, ties sharing the lowest rank; missing values unranked.
pub fn rank(values: &[Option<f64>]) -> Vec<Option<usize>> {
    rank_within_noise(&plain(values))
}

/// 1-based ranks where a figure's rank is one more than the number of figures below it beyond
/// the noise ([`compare_within_noise`]): figures within noise of each other share a rank.
pub fn rank_within_noise(values: &[Option<Estimate>]) -> Vec<Option<usize>> {
    values
        .iter()
        .map(|v| {
            let v = (*v)?;
            Some(
                1 + values
                    .iter()
                    .flatten()
                    .filter(|o| compare_within_noise(**o, v) == Ordering::Less)
                    .count(),
            )
        })
        .collect()
}

/// Per figure, whether another one is tied with it only by the noise: different values whose
/// ratio's interval covers 1.
pub fn noise_ties(values: &[Option<Estimate>]) -> Vec<bool> {
    values
        .iter()
        .map(|v| {
            v.is_some_and(|v| {
                values
                    .iter()
                    .flatten()
                    .any(|o| o.0 != v.0 && compare_within_noise(*o, v) == Ordering::Equal)
            })
        })
        .collect()
}

fn plain(values: &[Option<f64>]) -> Vec<Option<Estimate>> {
    values.iter().map(|v| v.map(|v| (v, None))).collect()
}

/// Kendall's tau-b over the positions where both have a value; None under [`MIN_TAU_N`] such
/// positions or when either side is constant.
pub fn kendall_tau_b(a: &[Option<f64>], b: &[Option<f64>]) -> Option<f64> {
    kendall_tau_b_within_noise(&plain(a), &plain(b))
}

/// Kendall's tau-b where a pair within noise of each other ([`compare_within_noise`]) is a
/// tie, as equal values are.
pub fn kendall_tau_b_within_noise(a: &[Option<Estimate>], b: &[Option<Estimate>]) -> Option<f64> {
    let pairs: Vec<(Estimate, Estimate)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .collect();
    if pairs.len() < MIN_TAU_N {
        return None;
    }
    let (mut concordant, mut discordant, mut ties_a, mut ties_b) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..pairs.len() {
        for j in i + 1..pairs.len() {
            let da = compare_within_noise(pairs[i].0, pairs[j].0);
            let db = compare_within_noise(pairs[i].1, pairs[j].1);
            match (da, db) {
                (Ordering::Equal, Ordering::Equal) => {}
                (Ordering::Equal, _) => ties_a += 1,
                (_, Ordering::Equal) => ties_b += 1,
                _ if da == db => concordant += 1,
                _ => discordant += 1,
            }
        }
    }
    let n1 = (concordant + discordant + ties_a) as f64;
    let n2 = (concordant + discordant + ties_b) as f64;
    (n1 > 0.0 && n2 > 0.0).then(|| (concordant - discordant) as f64 / (n1 * n2).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn tau_of_agreeing_opposite_and_hand_computed_rankings() {
        let a = some(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            kendall_tau_b(&a, &some(&[10.0, 20.0, 30.0, 40.0])),
            Some(1.0)
        );
        assert_eq!(kendall_tau_b(&a, &some(&[4.0, 3.0, 2.0, 1.0])), Some(-1.0));
        // Pairs: (1,2) c, (1,3) c, (1,4) c, (2,3) d, (2,4) c, (3,4) c: (5 - 1) / 6.
        let t = kendall_tau_b(&a, &some(&[1.0, 3.0, 2.0, 4.0])).unwrap();
        assert!((t - 4.0 / 6.0).abs() < 1e-12);
        // A missing value drops its pairs; a constant side has no tau.
        let five = some(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(
            kendall_tau_b(&five, &[Some(1.0), None, Some(2.0), Some(3.0), Some(4.0)]),
            Some(1.0)
        );
        assert_eq!(kendall_tau_b(&a, &some(&[5.0; 4])), None);
    }

    #[test]
    fn no_tau_over_fewer_than_four_variants() {
        // Two and three variants measured: a tau there is ±1 or one of four values, whatever
        // the indicators; none is given, and the count says why.
        let a = some(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let two = [Some(2.0), Some(1.0), None, None, None];
        let three = [Some(2.0), Some(1.0), Some(3.0), None, None];
        assert_eq!((kendall_tau_b(&a, &two), shared(&a, &two)), (None, 2));
        assert_eq!((kendall_tau_b(&a, &three), shared(&a, &three)), (None, 3));
        let four = [Some(2.0), Some(1.0), Some(3.0), Some(4.0), None];
        // (1,2) d, the other five pairs c: (5 - 1) / 6.
        let t = kendall_tau_b(&a, &four).unwrap();
        assert!((t - 4.0 / 6.0).abs() < 1e-12);

        // The same in a table: with 3 of 5 variants measured, the measured rows have no tau
        // between them or with the analytic ones, and the count is kept.
        use crate::report::{Better, Cell, IndicatorTable, Row, Source};
        let row = |key: &'static str, values: &[Option<f64>]| Row {
            key,
            label: key,
            unit: "",
            better: Better::Lower,
            source: Source::Analytic,
            cells: values
                .iter()
                .map(|v| match v {
                    Some(v) => Cell::number(*v, v.to_string()),
                    None => Cell::NotAvailable("not measured".into()),
                })
                .collect(),
        };
        let table = IndicatorTable {
            columns: (0..5).map(|i| format!("v{i}")).collect(),
            rows: vec![
                row("params_total", &a),
                row("flops_useful", &some(&[5.0, 4.0, 3.0, 2.0, 1.0])),
                row("latency_p50", &three),
            ],
            notes: vec![],
        };
        let ranks = Ranks::from_table(&table);
        assert_eq!(ranks.tau[0][1], Some(-1.0), "five analytic values");
        assert_eq!(ranks.tau_n[0][1], 5);
        assert_eq!((ranks.tau[0][2], ranks.tau_n[0][2]), (None, 3));
        assert_eq!((ranks.tau[2][2], ranks.tau_n[2][2]), (None, 3));
    }

    #[test]
    fn tau_b_with_ties() {
        // x = 1 1 2 3, y = 1 2 3 4: pair (1,2) ties in x, the other five are concordant.
        // n1 = 5 untied in x, n2 = 6: tau-b = 5 / sqrt(5 * 6).
        let t = kendall_tau_b(&some(&[1.0, 1.0, 2.0, 3.0]), &some(&[1.0, 2.0, 3.0, 4.0])).unwrap();
        assert!((t - 5.0 / 30f64.sqrt()).abs() < 1e-12);
    }

    fn within(v: f64, half: f64) -> Option<Estimate> {
        Some((
            v,
            Some(Interval {
                lo: v - half,
                hi: v + half,
            }),
        ))
    }

    #[test]
    fn figures_within_noise_share_a_rank_and_tie_in_tau() {
        // 10.0 and 10.1 ± 0.5 cannot be told apart; 12 ± 0.1 is beyond both.
        let noisy = [within(10.1, 0.5), within(10.0, 0.5), within(12.0, 0.1)];
        assert_eq!(rank_within_noise(&noisy), vec![Some(1), Some(1), Some(3)]);
        assert_eq!(noise_ties(&noisy), vec![true, true, false]);
        // The same values with tight intervals rank apart, and no tie is claimed.
        let tight = [within(10.1, 0.01), within(10.0, 0.01), within(12.0, 0.01)];
        assert_eq!(rank_within_noise(&tight), vec![Some(2), Some(1), Some(3)]);
        assert_eq!(noise_ties(&tight), vec![false; 3]);
        // A figure without an interval (a count) is compared by value only.
        assert_eq!(
            rank_within_noise(&[Some((10.1, None)), within(10.0, 0.5)]),
            vec![Some(2), Some(1)]
        );
        // tau-b: x = 1 2 3 4 against y whose first two are within noise: the pair is a tie in
        // y, the other five concordant: 5 / sqrt(6 * 5).
        let x = plain(&[1.0, 2.0, 3.0, 4.0].map(Some));
        let y = [
            within(10.1, 0.5),
            within(10.0, 0.5),
            within(12.0, 0.1),
            within(14.0, 0.1),
        ];
        let t = kendall_tau_b_within_noise(&x, &y).unwrap();
        assert!((t - 5.0 / 30f64.sqrt()).abs() < 1e-12, "{t}");
        // Read by value alone, the first pair is discordant: (5 - 1) / 6.
        let by_value: Vec<Option<f64>> = y.iter().map(|e| e.map(|e| e.0)).collect();
        let t = kendall_tau_b(&[1.0, 2.0, 3.0, 4.0].map(Some), &by_value).unwrap();
        assert!((t - 4.0 / 6.0).abs() < 1e-12, "{t}");
    }

    #[test]
    fn ranks_share_the_lowest_rank_on_ties() {
        let r = rank(&[Some(3.0), Some(1.0), None, Some(3.0), Some(2.0)]);
        assert_eq!(r, vec![Some(3), Some(1), None, Some(3), Some(2)]);
    }
}
