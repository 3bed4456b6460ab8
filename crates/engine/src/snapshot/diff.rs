//! Two snapshots side by side (two backends, two machines, two versions): each indicator's
//! ratio B / A per variant, each measured figure's verdict (improved, regressed, within noise),
//! every counted figure that changed, and the indicators under which the variants rank
//! differently.

use comfy_table::CellAlignment;
use serde::Serialize;

use super::Snapshot;
use crate::document::{format_number, ratio_text, table_with_notes, text_table};
use crate::measured::interval::{
    Interval, LEVEL, NOISE_THRESHOLD, Ratio, VERDICT_TEST, Verdict, verdict,
};
use crate::report::{
    Better, Cell, Estimate, Row, Source, kendall_tau_b_within_noise, on_cost_side,
    rank_within_noise,
};

/// The measured figures a diff gives a verdict on, and the snapshot schema from which each
/// carries its 95% interval: older snapshots are judged on the threshold alone.
pub const JUDGED: &[(&str, u32)] = &[
    ("latency_p50", 3),
    ("latency_p90", 3),
    ("latency_p99", 3),
    ("latency_mean", 3),
    ("samples_per_s", 3),
    ("tokens_per_s", 3),
    ("ttft_p50", 4),
    ("itl_p50", 4),
    ("decode_tokens_per_s", 4),
];

/// How a verdict was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// The z-test on the two runs' intervals and the noise threshold ([`VERDICT_TEST`]).
    ZTest,
    /// The change against the noise threshold alone: a snapshot from before effprof kept this
    /// figure's interval.
    ThresholdOnly,
}

/// What a measured figure did from A to B.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "judged")]
pub enum Judgement {
    Judged {
        verdict: Verdict,
        /// (B − A) / A.
        change: f64,
        /// B / A with its 95% interval, where both runs have one.
        #[serde(skip_serializing_if = "Option::is_none")]
        ratio: Option<Ratio>,
        test: Test,
    },
    NotJudged {
        why: String,
    },
}

/// A counted figure (parameters, FLOPs, bytes, a shape) that differs between A and B: counts
/// are exact, so any change is reported.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CountChange {
    pub variant: String,
    pub key: String,
    pub label: String,
    pub a: String,
    pub b: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DiffRow {
    pub key: String,
    pub label: String,
    pub unit: String,
    /// Per variant of [`Diff::variants`]: A's and B's value, None where either has none.
    pub a: Vec<Option<f64>>,
    pub b: Vec<Option<f64>>,
    pub a_text: Vec<String>,
    pub b_text: Vec<String>,
    /// Per variant, the 95% interval of A's and B's figure, where it has one.
    pub a_interval: Vec<Option<Interval>>,
    pub b_interval: Vec<Option<Interval>>,
    pub source: Source,
    pub better: Better,
    /// Per variant, the verdict on a measured figure of [`JUDGED`]; None for the others.
    pub judgements: Vec<Option<Judgement>>,
    /// Whether the order of the variants under this indicator differs between A and B (over
    /// the variants both measured); None for descriptive rows or under two shared values.
    pub ranking_changed: Option<bool>,
    /// Kendall's tau-b between A's and B's values of this indicator.
    pub tau: Option<f64>,
}

impl DiffRow {
    pub fn ratio(&self, i: usize) -> Option<f64> {
        match (self.a[i], self.b[i]) {
            (Some(a), Some(b)) if a != 0.0 => Some(b / a),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub a_name: String,
    pub b_name: String,
    pub a_provenance: String,
    pub b_provenance: String,
    /// Variants in both, in A's order.
    pub variants: Vec<String>,
    pub only_a: Vec<String>,
    pub only_b: Vec<String>,
    pub rows: Vec<DiffRow>,
    /// The smallest change (a fraction of A's figure) a verdict can call a difference.
    pub threshold: f64,
    /// The test behind the verdicts.
    pub test: String,
    /// Every counted figure that differs, per variant.
    pub counted_changes: Vec<CountChange>,
}

fn text(c: &Cell) -> String {
    match c {
        Cell::Value { text, .. } => text.clone(),
        Cell::Text(t) => t.clone(),
        Cell::NotAvailable(why) => format!("n/a: {why}"),
    }
}

/// The version of a snapshot's schema (`effprof.snapshot/3` is 3); 1 where unreadable.
fn schema_version(s: &Snapshot) -> u32 {
    s.schema
        .rsplit('/')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

impl Diff {
    /// `a_name` and `b_name` say which is which (file names, usually); verdicts at the
    /// default noise threshold.
    pub fn new(a: &Snapshot, b: &Snapshot, a_name: &str, b_name: &str) -> Self {
        Self::with_threshold(a, b, a_name, b_name, NOISE_THRESHOLD)
    }

    /// As [`Diff::new`], a change counting as a difference only beyond `threshold` (a
    /// fraction of A's figure).
    pub fn with_threshold(
        a: &Snapshot,
        b: &Snapshot,
        a_name: &str,
        b_name: &str,
        threshold: f64,
    ) -> Self {
        let (ta, tb) = (a.table(), b.table());
        let variants: Vec<String> = ta
            .columns
            .iter()
            .filter(|v| tb.columns.contains(v))
            .cloned()
            .collect();
        let only = |x: &[String], y: &[String]| -> Vec<String> {
            x.iter().filter(|v| !y.contains(v)).cloned().collect()
        };
        let oldest = schema_version(a).min(schema_version(b));
        let col = |cols: &[String], v: &str| cols.iter().position(|c| c == v);
        let rows: Vec<DiffRow> = ta
            .rows
            .iter()
            .filter_map(|ra| {
                let rb: &Row = tb.rows.iter().find(|r| r.key == ra.key)?;
                let cells = |row: &'_ Row, cols: &[String]| -> Vec<Option<Cell>> {
                    variants
                        .iter()
                        .map(|v| col(cols, v).map(|c| row.cells[c].clone()))
                        .collect()
                };
                let (ca, cb) = (cells(ra, &ta.columns), cells(rb, &tb.columns));
                let estimates = |cs: &[Option<Cell>]| -> Vec<Option<Estimate>> {
                    cs.iter()
                        .map(|c| c.as_ref().and_then(Cell::estimate))
                        .collect()
                };
                let texts = |cs: &[Option<Cell>]| -> Vec<String> {
                    cs.iter()
                        .map(|c| c.as_ref().map(text).unwrap_or_default())
                        .collect()
                };
                let (ea, eb) = (estimates(&ca), estimates(&cb));
                let (ranking_changed, tau) = if ra.better == Better::Neither {
                    (None, None)
                } else {
                    ranking_change(&on_cost_side(&ea, ra.better), &on_cost_side(&eb, ra.better))
                };
                let since = JUDGED.iter().find(|(k, _)| *k == ra.key).map(|(_, v)| *v);
                let judgements = ea
                    .iter()
                    .zip(&eb)
                    .map(|(x, y)| {
                        let since = since?;
                        Some(judge(*x, *y, ra.better, threshold, oldest < since))
                    })
                    .collect();
                Some(DiffRow {
                    key: ra.key.to_owned(),
                    label: ra.label.to_owned(),
                    unit: ra.unit.to_owned(),
                    a_text: texts(&ca),
                    b_text: texts(&cb),
                    a: ea.iter().map(|e| e.map(|e| e.0)).collect(),
                    b: eb.iter().map(|e| e.map(|e| e.0)).collect(),
                    a_interval: ea.iter().map(|e| e.and_then(|e| e.1)).collect(),
                    b_interval: eb.iter().map(|e| e.and_then(|e| e.1)).collect(),
                    source: ra.source,
                    better: ra.better,
                    judgements,
                    ranking_changed,
                    tau,
                })
            })
            .collect();
        let counted_changes = rows
            .iter()
            .filter(|r| r.source != Source::Measured)
            .flat_map(|r| {
                variants.iter().enumerate().filter_map(move |(i, v)| {
                    let same = match (r.a[i], r.b[i]) {
                        (Some(x), Some(y)) => x == y,
                        _ => r.a_text[i] == r.b_text[i],
                    };
                    (!same).then(|| CountChange {
                        variant: v.clone(),
                        key: r.key.clone(),
                        label: r.label.clone(),
                        a: exact(r.a[i], &r.a_text[i]),
                        b: exact(r.b[i], &r.b_text[i]),
                    })
                })
            })
            .collect();
        Self {
            a_name: a_name.to_owned(),
            b_name: b_name.to_owned(),
            a_provenance: format!("{}: {}", a.suite.name, a.provenance()),
            b_provenance: format!("{}: {}", b.suite.name, b.provenance()),
            only_a: only(&ta.columns, &tb.columns),
            only_b: only(&tb.columns, &ta.columns),
            variants,
            rows,
            threshold,
            test: VERDICT_TEST.to_owned(),
            counted_changes,
        }
    }

    /// Every figure given a verdict: (row, variant, verdict, change).
    fn judged(&self) -> impl Iterator<Item = (&DiffRow, &str, Verdict, f64)> {
        self.rows.iter().flat_map(|r| {
            self.variants
                .iter()
                .zip(&r.judgements)
                .filter_map(move |(v, j)| match j {
                    Some(Judgement::Judged {
                        verdict, change, ..
                    }) => Some((r, v.as_str(), *verdict, *change)),
                    _ => None,
                })
        })
    }

    /// Every figure of the rows keyed `keys` judged regressed by more than `beyond` (a
    /// fraction of A's figure), as (variant, figure, change).
    pub fn regressions(&self, beyond: f64, keys: &[&str]) -> Vec<(&str, &str, f64)> {
        self.judged()
            .filter(|(r, _, verdict, change)| {
                keys.contains(&r.key.as_str())
                    && *verdict == Verdict::Regressed
                    && change.abs() > beyond
            })
            .map(|(r, v, _, change)| (v, r.label.as_str(), change))
            .collect()
    }

    pub fn changed(&self) -> impl Iterator<Item = &DiffRow> {
        self.rows.iter().filter(|r| r.ranking_changed == Some(true))
    }

    fn header(&self) -> Vec<String> {
        let mut h = vec!["indicator (B / A)".to_owned()];
        h.extend(self.variants.iter().cloned());
        h.push("ranking".into());
        h
    }

    fn cells(&self, row: &DiffRow) -> Vec<String> {
        let mut cells = vec![row.label.clone()];
        cells.extend(
            (0..self.variants.len()).map(|i| match (&row.judgements[i], row.ratio(i)) {
                (Some(j), Some(r)) => judgement_text(j, r),
                (None, Some(r)) => ratio_text(r),
                _ if row.a_text[i] == row.b_text[i] => "same".to_owned(),
                _ => format!("{} → {}", row.a_text[i], row.b_text[i]),
            }),
        );
        cells.push(match (row.ranking_changed, row.tau) {
            (Some(true), Some(t)) => format!("CHANGED (tau {t:+.2})"),
            (Some(true), None) => format!("CHANGED (tau n/a: n < {})", crate::report::MIN_TAU_N),
            (Some(false), _) => "same".into(),
            (None, _) => String::new(),
        });
        cells
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = vec![
            format!("A = {}: {}", self.a_name, self.a_provenance),
            format!("B = {}: {}", self.b_name, self.b_provenance),
        ];
        if !self.only_a.is_empty() {
            notes.push(format!("only in A: {}", self.only_a.join(", ")));
        }
        if !self.only_b.is_empty() {
            notes.push(format!("only in B: {}", self.only_b.join(", ")));
        }
        notes.push(format!(
            "verdicts on the measured figures: {} (noise threshold {:.1}%); ± is the half-width of the ratio's 95% interval",
            self.test,
            100.0 * self.threshold
        ));
        if self.rows.iter().flat_map(|r| &r.judgements).any(|j| {
            matches!(
                j,
                Some(Judgement::Judged {
                    test: Test::ThresholdOnly,
                    ..
                })
            )
        }) {
            notes.push(
                "(threshold only): a snapshot from before effprof kept that figure's interval; judged on the change alone"
                    .to_owned(),
            );
        }
        // One line per figure and verdict: `regressed: latency p50 of moe +25.0%, dense +7.1%`.
        let verdicts = self.verdicts();
        let mut lines: Vec<(&str, &str, Vec<String>)> = Vec::new();
        for (label, v, verdict, change) in verdicts {
            let item = format!("{v} {:+.1}%", 100.0 * change);
            match lines
                .iter_mut()
                .find(|(l, w, _)| *l == label && *w == verdict)
            {
                Some((_, _, items)) => items.push(item),
                None => lines.push((label, verdict, vec![item])),
            }
        }
        for (label, verdict, items) in lines {
            notes.push(format!("{verdict}: {label} of {}", items.join(", ")));
        }
        if self.counted_changes.is_empty() {
            notes.push("counted figures (parameters, FLOPs, bytes): all equal".to_owned());
        }
        for c in &self.counted_changes {
            notes.push(format!(
                "counted figure changed: {} {}: {} → {}",
                c.variant, c.label, c.a, c.b
            ));
        }
        for row in self.changed() {
            notes.push(format!(
                "{}: A ranks {}; B ranks {}",
                row.label,
                order(&self.variants, &row.a),
                order(&self.variants, &row.b)
            ));
        }
        notes
    }

    /// Every figure judged improved or regressed: (figure, variant, verdict, change).
    fn verdicts(&self) -> Vec<(&str, &str, &'static str, f64)> {
        self.judged()
            .filter(|(_, _, verdict, _)| *verdict != Verdict::WithinNoise)
            .map(|(r, v, verdict, change)| (r.label.as_str(), v, verdict_word(verdict), change))
            .collect()
    }

    pub fn to_text(&self, width: Option<u16>) -> String {
        let mut table = text_table(false, self.header());
        if let Some(w) = width {
            table.set_width(w);
        }
        for row in &self.rows {
            table.add_row(self.cells(row));
        }
        for column in table.column_iter_mut().skip(1) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        let legend = "ratio B / A per variant, with each measured figure's verdict; CHANGED: the variants rank differently under this indicator";
        table_with_notes(&table, Some(legend), &self.notes(), false)
    }

    pub fn to_markdown(&self) -> String {
        let mut table = text_table(true, self.header());
        for row in &self.rows {
            let mut cells = self.cells(row);
            if row.ranking_changed == Some(true) {
                let last = cells.len() - 1;
                cells[last] = format!("**{}**", cells[last]);
            }
            table.add_row(cells.into_iter().map(|c| c.replace('|', "\\|")));
        }
        table_with_notes(&table, None, &self.notes(), true)
    }

    /// One row per variant and indicator:
    /// `variant,indicator,unit,a,b,ratio,ratio_lo,ratio_hi,verdict,test,ranking_changed`.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "variant",
            "indicator",
            "unit",
            "a",
            "b",
            "ratio",
            "ratio_lo",
            "ratio_hi",
            "verdict",
            "test",
            "ranking_changed",
        ])?;
        for row in &self.rows {
            for (i, v) in self.variants.iter().enumerate() {
                let num = |x: Option<f64>, t: &str| x.map(format_number).unwrap_or(t.to_owned());
                let (ratio, verdict, test) = match &row.judgements[i] {
                    Some(Judgement::Judged {
                        verdict,
                        ratio,
                        test,
                        ..
                    }) => (
                        *ratio,
                        verdict_word(*verdict).to_owned(),
                        match test {
                            Test::ZTest => "z-test",
                            Test::ThresholdOnly => "threshold only",
                        },
                    ),
                    Some(Judgement::NotJudged { why }) => (None, format!("n/a: {why}"), ""),
                    None => (None, String::new(), ""),
                };
                let bound = |f: fn(&Interval) -> f64| {
                    ratio
                        .map(|r| format_number(f(&r.interval)))
                        .unwrap_or_default()
                };
                w.write_record([
                    v.as_str(),
                    &row.key,
                    &row.unit,
                    &num(row.a[i], &row.a_text[i]),
                    &num(row.b[i], &row.b_text[i]),
                    &row.ratio(i).map(format_number).unwrap_or_default(),
                    &bound(|i| i.lo),
                    &bound(|i| i.hi),
                    &verdict,
                    test,
                    &row.ranking_changed
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                ])?;
            }
        }
        crate::document::csv_text(w)
    }
}

/// Whether the variants' ranks differ, over those with a value on both sides, and the tau;
/// figures within noise of each other tie.
fn ranking_change(a: &[Option<Estimate>], b: &[Option<Estimate>]) -> (Option<bool>, Option<f64>) {
    let (xa, xb): (Vec<Option<Estimate>>, Vec<Option<Estimate>>) = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_some() && y.is_some())
        .map(|(x, y)| (*x, *y))
        .unzip();
    if xa.len() < 2 {
        return (None, None);
    }
    (
        Some(rank_within_noise(&xa) != rank_within_noise(&xb)),
        kendall_tau_b_within_noise(&xa, &xb),
    )
}

/// The verdict on one measured figure, A's estimate against B's; `old_schema`: a snapshot
/// from before this figure carried its interval.
fn judge(
    a: Option<Estimate>,
    b: Option<Estimate>,
    better: Better,
    threshold: f64,
    old_schema: bool,
) -> Judgement {
    let (Some((va, ia)), Some((vb, ib))) = (a, b) else {
        return Judgement::NotJudged {
            why: "measured on one side only".into(),
        };
    };
    let lower_is_better = better != Better::Higher;
    match (ia, ib) {
        (Some(ia), Some(ib)) => {
            let (verdict, change) = verdict((va, ia), (vb, ib), lower_is_better, threshold, LEVEL);
            Judgement::Judged {
                verdict,
                change,
                ratio: Ratio::of(vb, ib.standard_error(), va, ia.standard_error(), LEVEL),
                test: Test::ZTest,
            }
        }
        _ if old_schema => {
            // A point on each side: only the change against the threshold.
            let none = Interval { lo: va, hi: va };
            let point = Interval { lo: vb, hi: vb };
            let (verdict, change) =
                verdict((va, none), (vb, point), lower_is_better, threshold, LEVEL);
            Judgement::Judged {
                verdict,
                change,
                ratio: None,
                test: Test::ThresholdOnly,
            }
        }
        _ => Judgement::NotJudged {
            why: "too few runs for a 95% interval".into(),
        },
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Improved => "improved",
        Verdict::Regressed => "regressed",
        Verdict::WithinNoise => "within noise",
    }
}

/// A judged ratio as a cell shows it: `1.25x ± 0.03 regressed`, `1.01x ± 0.02 within noise`,
/// `1.25x regressed (threshold only)`; a figure not judged, its plain ratio and why.
fn judgement_text(j: &Judgement, r: f64) -> String {
    match j {
        Judgement::Judged {
            verdict,
            ratio: Some(ratio),
            ..
        } => format!("{} {}", ratio.text(), verdict_word(*verdict)),
        Judgement::Judged { verdict, .. } => {
            format!(
                "{} {} (threshold only)",
                ratio_text(r),
                verdict_word(*verdict)
            )
        }
        Judgement::NotJudged { .. } => format!("{} (not judged)", ratio_text(r)),
    }
}

/// A counted figure exactly: the whole number, not its rounded text.
fn exact(value: Option<f64>, text: &str) -> String {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => {
            format!("{} ({text})", crate::units::grouped(v as u64))
        }
        _ => text.to_owned(),
    }
}

/// `a < b = c < d`: variants from lowest value up, ties joined by `=`.
fn order(variants: &[String], values: &[Option<f64>]) -> String {
    let mut known: Vec<(f64, &str)> = variants
        .iter()
        .zip(values)
        .filter_map(|(v, x)| Some(((*x)?, v.as_str())))
        .collect();
    known.sort_by(|p, q| p.0.total_cmp(&q.0));
    let mut out = String::new();
    for (i, (x, v)) in known.iter().enumerate() {
        if i > 0 {
            out.push_str(if known[i - 1].0 == *x { " = " } else { " < " });
        }
        out.push_str(v);
    }
    out
}

impl crate::document::Document for Diff {
    fn text(&self) -> String {
        self.to_text(None)
    }
    fn markdown(&self) -> String {
        self.to_markdown()
    }
    fn csv(&self) -> Result<String, csv::Error> {
        self.to_csv()
    }
    /// The diff is its own document: it names both snapshots, whatever their suites.
    fn json(&self, _suite: &str) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: &[Option<f64>]) -> Vec<Option<Estimate>> {
        v.iter().map(|x| x.map(|x| (x, None))).collect()
    }

    #[test]
    fn a_swapped_pair_is_a_changed_ranking() {
        let a = plain(&[Some(1.0), Some(2.0), Some(3.0), Some(4.0)]);
        let b = |v: &[Option<f64>]| plain(v);
        assert_eq!(
            ranking_change(&a, &b(&[Some(10.0), Some(20.0), Some(30.0), Some(40.0)])),
            (Some(false), Some(1.0))
        );
        // One pair of six discordant: (5 - 1) / 6.
        let (changed, tau) =
            ranking_change(&a, &b(&[Some(20.0), Some(10.0), Some(30.0), Some(40.0)]));
        assert_eq!(changed, Some(true));
        assert!((tau.unwrap() - 4.0 / 6.0).abs() < 1e-12);
        // Over three variants the change is reported, a tau is not.
        assert_eq!(
            ranking_change(&a, &b(&[Some(20.0), Some(10.0), Some(30.0), None])),
            (Some(true), None)
        );
        // Values one side lacks leave the comparison.
        assert_eq!(
            ranking_change(&a, &b(&[Some(5.0), None, None, None])),
            (None, None)
        );
        // A swap within the noise is no change of ranking.
        let noisy = |v: f64| {
            Some((
                v,
                Some(Interval {
                    lo: v - 2.0,
                    hi: v + 2.0,
                }),
            ))
        };
        let swapped = vec![noisy(20.5), noisy(20.0), noisy(30.0), noisy(40.0)];
        let base = vec![noisy(20.0), noisy(20.5), noisy(30.0), noisy(40.0)];
        assert_eq!(ranking_change(&base, &swapped).0, Some(false));
    }

    #[test]
    fn judgements_name_their_test() {
        let ci = |v: f64, h: f64| {
            Some((
                v,
                Some(Interval {
                    lo: v - h,
                    hi: v + h,
                }),
            ))
        };
        // 10 ms ± 0.1 to 12.5 ms ± 0.1: 25% slower, significant, beyond 5%.
        match judge(ci(10.0, 0.1), ci(12.5, 0.1), Better::Lower, 0.05, false) {
            Judgement::Judged {
                verdict: Verdict::Regressed,
                change,
                ratio: Some(r),
                test: Test::ZTest,
            } => {
                assert!((change - 0.25).abs() < 1e-12);
                assert!((r.ratio - 1.25).abs() < 1e-12 && !r.within_noise());
            }
            other => panic!("{other:?}"),
        }
        // Throughput up 25%: improved.
        assert!(matches!(
            judge(ci(100.0, 1.0), ci(125.0, 1.0), Better::Higher, 0.05, false),
            Judgement::Judged {
                verdict: Verdict::Improved,
                ..
            }
        ));
        // Old snapshots: points judged on the threshold alone.
        let point = |v: f64| Some((v, None));
        assert!(matches!(
            judge(point(10.0), point(10.4), Better::Lower, 0.05, true),
            Judgement::Judged {
                verdict: Verdict::WithinNoise,
                test: Test::ThresholdOnly,
                ..
            }
        ));
        assert!(matches!(
            judge(point(10.0), point(11.0), Better::Lower, 0.05, true),
            Judgement::Judged {
                verdict: Verdict::Regressed,
                test: Test::ThresholdOnly,
                ..
            }
        ));
        // A current snapshot without an interval (too few runs for p99) is not judged.
        assert!(matches!(
            judge(point(10.0), point(20.0), Better::Lower, 0.05, false),
            Judgement::NotJudged { .. }
        ));
    }

    #[test]
    fn order_lists_lowest_first_with_ties() {
        let v = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(order(&v, &[Some(3.0), Some(1.0), Some(3.0)]), "b < a = c");
    }
}
