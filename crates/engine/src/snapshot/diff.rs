//! Two snapshots side by side (two backends, two machines, two versions): each indicator's
//! ratio B / A per variant, and the indicators under which the variants rank differently.

use comfy_table::CellAlignment;
use serde::Serialize;

use super::Snapshot;
use crate::document::{format_number, ratio_text, table_with_notes, text_table};
use crate::report::{Better, Cell, Row, kendall_tau_b, rank};

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
}

fn value(c: &Cell) -> Option<f64> {
    match c {
        Cell::Value { value, .. } => Some(*value),
        _ => None,
    }
}

fn text(c: &Cell) -> String {
    match c {
        Cell::Value { text, .. } => text.clone(),
        Cell::Text(t) => t.clone(),
        Cell::NotAvailable(why) => format!("n/a: {why}"),
    }
}

impl Diff {
    /// `a_name` and `b_name` say which is which (file names, usually).
    pub fn new(a: &Snapshot, b: &Snapshot, a_name: &str, b_name: &str) -> Self {
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
        let col = |cols: &[String], v: &str| cols.iter().position(|c| c == v);
        let rows = ta
            .rows
            .iter()
            .filter_map(|ra| {
                let rb: &Row = tb.rows.iter().find(|r| r.key == ra.key)?;
                let pick = |row: &Row, cols: &[String], f: &dyn Fn(&Cell) -> Option<f64>| {
                    variants
                        .iter()
                        .map(|v| col(cols, v).and_then(|c| f(&row.cells[c])))
                        .collect::<Vec<_>>()
                };
                let texts = |row: &Row, cols: &[String]| {
                    variants
                        .iter()
                        .map(|v| {
                            col(cols, v)
                                .map(|c| text(&row.cells[c]))
                                .unwrap_or_default()
                        })
                        .collect::<Vec<_>>()
                };
                let av = pick(ra, &ta.columns, &value);
                let bv = pick(rb, &tb.columns, &value);
                let (ranking_changed, tau) = if ra.better == Better::Neither {
                    (None, None)
                } else {
                    ranking_change(&av, &bv)
                };
                Some(DiffRow {
                    key: ra.key.to_owned(),
                    label: ra.label.to_owned(),
                    unit: ra.unit.to_owned(),
                    a_text: texts(ra, &ta.columns),
                    b_text: texts(rb, &tb.columns),
                    a: av,
                    b: bv,
                    ranking_changed,
                    tau,
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
        }
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
        cells.extend((0..self.variants.len()).map(|i| match row.ratio(i) {
            Some(r) => ratio_text(r),
            None if row.a_text[i] == row.b_text[i] => "same".to_owned(),
            None => format!("{} → {}", row.a_text[i], row.b_text[i]),
        }));
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
        let legend =
            "ratio B / A per variant; CHANGED: the variants rank differently under this indicator";
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

    /// One row per variant and indicator: `variant,indicator,unit,a,b,ratio,ranking_changed`.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "variant",
            "indicator",
            "unit",
            "a",
            "b",
            "ratio",
            "ranking_changed",
        ])?;
        for row in &self.rows {
            for (i, v) in self.variants.iter().enumerate() {
                let num = |x: Option<f64>, t: &str| x.map(format_number).unwrap_or(t.to_owned());
                w.write_record([
                    v.as_str(),
                    &row.key,
                    &row.unit,
                    &num(row.a[i], &row.a_text[i]),
                    &num(row.b[i], &row.b_text[i]),
                    &row.ratio(i).map(format_number).unwrap_or_default(),
                    &row.ranking_changed
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                ])?;
            }
        }
        crate::document::csv_text(w)
    }
}

/// Whether the variants' ranks differ, over those with a value on both sides, and the tau.
fn ranking_change(a: &[Option<f64>], b: &[Option<f64>]) -> (Option<bool>, Option<f64>) {
    let both: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .collect();
    if both.len() < 2 {
        return (None, None);
    }
    let (xa, xb): (Vec<Option<f64>>, Vec<Option<f64>>) =
        both.iter().map(|(x, y)| (Some(*x), Some(*y))).unzip();
    (Some(rank(&xa) != rank(&xb)), kendall_tau_b(&xa, &xb))
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

    #[test]
    fn a_swapped_pair_is_a_changed_ranking() {
        let a = [Some(1.0), Some(2.0), Some(3.0), Some(4.0)];
        assert_eq!(
            ranking_change(&a, &[Some(10.0), Some(20.0), Some(30.0), Some(40.0)]),
            (Some(false), Some(1.0))
        );
        // One pair of six discordant: (5 - 1) / 6.
        let (changed, tau) = ranking_change(&a, &[Some(20.0), Some(10.0), Some(30.0), Some(40.0)]);
        assert_eq!(changed, Some(true));
        assert!((tau.unwrap() - 4.0 / 6.0).abs() < 1e-12);
        // Over three variants the change is reported, a tau is not.
        assert_eq!(
            ranking_change(&a, &[Some(20.0), Some(10.0), Some(30.0), None]),
            (Some(true), None)
        );
        // Values one side lacks leave the comparison.
        assert_eq!(
            ranking_change(&a, &[Some(5.0), None, None, None]),
            (None, None)
        );
    }

    #[test]
    fn order_lists_lowest_first_with_ties() {
        let v = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(order(&v, &[Some(3.0), Some(1.0), Some(3.0)]), "b < a = c");
    }
}
