//! Ranks of the variants under each indicator, and how far the indicators agree (Kendall's
//! tau): the paper's point at a glance, "cheapest by FLOPs, slowest by latency".

use serde::{Deserialize, Serialize};

use super::table::{Better, Cell, IndicatorTable};

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
}

/// The fewest variants a rank agreement is computed over. Over two, tau is always ±1; over
/// three it takes only four values: either reads as a finding and is not one.
pub const MIN_TAU_N: usize = 4;

/// Positions where both `a` and `b` have a value.
pub fn shared(a: &[Option<f64>], b: &[Option<f64>]) -> usize {
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.is_some() && y.is_some())
        .count()
}

impl Ranks {
    pub fn from_table(table: &IndicatorTable) -> Self {
        let mut ranks = Vec::new();
        let mut values: Vec<Vec<Option<f64>>> = Vec::new();
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
            // Lower is cheaper; for throughput, higher is: rank on the cost side.
            let sign = if row.better == Better::Higher {
                -1.0
            } else {
                1.0
            };
            let v: Vec<Option<f64>> = row
                .cells
                .iter()
                .map(|c| match c {
                    Cell::Value { value, .. } => Some(sign * value),
                    _ => None,
                })
                .collect();
            if v.iter().flatten().count() < 2 {
                continue;
            }
            ranks.push(((*key).to_owned(), (*label).to_owned(), rank(&v)));
            values.push(v);
        }
        let tau = values
            .iter()
            .map(|a| values.iter().map(|b| kendall_tau_b(a, b)).collect())
            .collect();
        let tau_n = values
            .iter()
            .map(|a| values.iter().map(|b| shared(a, b)).collect())
            .collect();
        Self {
            variants: table.columns.clone(),
            ranks,
            tau,
            tau_n,
        }
    }
}

/// 1-based ranks, ties sharing the lowest rank; missing values unranked.
pub fn rank(values: &[Option<f64>]) -> Vec<Option<usize>> {
    values
        .iter()
        .map(|v| v.map(|v| 1 + values.iter().flatten().filter(|o| **o < v).count()))
        .collect()
}

/// Kendall's tau-b over the positions where both have a value; None under [`MIN_TAU_N`] such
/// positions or when either side is constant.
pub fn kendall_tau_b(a: &[Option<f64>], b: &[Option<f64>]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = a
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
            let da = pairs[i].0 - pairs[j].0;
            let db = pairs[i].1 - pairs[j].1;
            match (da == 0.0, db == 0.0) {
                (true, true) => {}
                (true, false) => ties_a += 1,
                (false, true) => ties_b += 1,
                (false, false) if (da > 0.0) == (db > 0.0) => concordant += 1,
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
                    Some(v) => Cell::Value {
                        value: *v,
                        text: v.to_string(),
                    },
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

    #[test]
    fn ranks_share_the_lowest_rank_on_ties() {
        let r = rank(&[Some(3.0), Some(1.0), None, Some(3.0), Some(2.0)]);
        assert_eq!(r, vec![Some(3), Some(1), None, Some(3), Some(2)]);
    }
}
