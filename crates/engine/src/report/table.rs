//! A side-by-side table of indicators: variants as columns, the baseline first, each value with
//! its ratio to the baseline, the best value of each row marked. Rendered as a terminal table,
//! Markdown or CSV.

use comfy_table::CellAlignment;
use serde::Serialize;

use crate::document::{csv_text, format_number, ratio_text, table_with_notes, text_table};
use crate::measured::interval::{Interval, LEVEL, Ratio};

/// Which direction of an indicator is cheaper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Lower,
    Higher,
    /// Descriptive rows (shape, family) or indicators with no cheaper side.
    Neither,
}

#[derive(Clone, Debug, Serialize)]
pub enum Cell {
    /// A number: its value, how it reads, and its unit for CSV.
    Value {
        value: f64,
        text: String,
        /// A measured figure's 95% confidence interval, where it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        interval: Option<Interval>,
    },
    Text(String),
    /// Not measurable here, and why.
    NotAvailable(String),
}

/// Where a row's figures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Counted from the architecture (the cost model).
    Analytic,
    /// Measured by the engine on the backend.
    Measured,
    /// Counted from the operations burn records for one forward pass.
    Traced,
}

impl Source {
    pub fn name(&self) -> &'static str {
        match self {
            Source::Analytic => "analytic",
            Source::Measured => "measured",
            Source::Traced => "traced",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub key: &'static str,
    pub label: &'static str,
    /// The unit of each cell's `value` (CSV and JSON); the text carries its own.
    pub unit: &'static str,
    pub better: Better,
    pub source: Source,
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IndicatorTable {
    /// Variant names; the first is the baseline.
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// Lines printed under the table (matches, caveats).
    pub notes: Vec<String>,
}

impl Cell {
    /// A number with no interval (a count, or a figure measured once).
    pub fn number(value: f64, text: String) -> Self {
        Cell::Value {
            value,
            text,
            interval: None,
        }
    }

    /// The value and its interval, for a number cell.
    pub fn estimate(&self) -> Option<(f64, Option<Interval>)> {
        match self {
            Cell::Value {
                value, interval, ..
            } => Some((*value, *interval)),
            _ => None,
        }
    }
}

impl Row {
    fn values(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        self.cells.iter().map(|c| match c {
            Cell::Value { value, .. } => Some(*value),
            _ => None,
        })
    }

    /// Index of the best value, when the row has a better side and at least two values.
    pub fn best(&self) -> Option<usize> {
        let pick = match self.better {
            Better::Lower => f64::lt,
            Better::Higher => f64::gt,
            Better::Neither => return None,
        };
        let mut best: Option<(usize, f64)> = None;
        for (i, v) in self.values().enumerate() {
            if let Some(v) = v
                && best.is_none_or(|(_, b)| pick(&v, &b))
            {
                best = Some((i, v));
            }
        }
        (self.values().flatten().count() > 1).then_some(best?.0)
    }

    /// value / baseline value, for number cells when the baseline has a non-zero number.
    pub fn ratio(&self, column: usize) -> Option<f64> {
        let base = self.values().next()??;
        let v = self.values().nth(column)??;
        (base != 0.0).then(|| v / base)
    }

    /// value / baseline value with its 95% interval, where both cells carry one (the
    /// error propagated as [`Ratio::of`] does).
    pub fn ratio_interval(&self, column: usize) -> Option<Ratio> {
        let (base, Some(base_ci)) = self.cells.first()?.estimate()? else {
            return None;
        };
        let (v, Some(v_ci)) = self.cells.get(column)?.estimate()? else {
            return None;
        };
        Ratio::of(
            v,
            v_ci.standard_error(),
            base,
            base_ci.standard_error(),
            LEVEL,
        )
    }

    /// The ratio to the baseline as a cell shows it: `(1.15x ± 0.04)` where both figures have
    /// an interval, `(same within noise)` where that interval covers 1, `(1.15x)` otherwise.
    pub fn ratio_label(&self, column: usize) -> Option<String> {
        if self.better == Better::Neither {
            return None;
        }
        match self.ratio_interval(column).filter(|_| column > 0) {
            Some(r) if r.within_noise() => Some("(same within noise)".to_owned()),
            Some(r) => Some(format!("({})", r.text())),
            None => self.ratio(column).map(|r| format!("({})", ratio_text(r))),
        }
    }

    /// The cell as text: value, ratio to the baseline, and `*` on the best when asked.
    pub fn display(&self, column: usize, mark_best: bool) -> String {
        let text = match &self.cells[column] {
            Cell::Value { text, .. } => text.clone(),
            Cell::Text(t) => t.clone(),
            Cell::NotAvailable(why) => format!("n/a: {why}"),
        };
        let ratio = self
            .ratio_label(column)
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        let star = if mark_best && self.best() == Some(column) {
            " *"
        } else {
            ""
        };
        format!("{text}{ratio}{star}")
    }
}

impl IndicatorTable {
    /// The table with only `columns`, in that order; the first stays the one every ratio is
    /// to, so it should be the baseline. Notes are kept.
    pub fn select(&self, columns: &[usize]) -> IndicatorTable {
        let pick = |cells: &[Cell]| -> Vec<Cell> {
            columns
                .iter()
                .filter_map(|&c| cells.get(c).cloned())
                .collect()
        };
        IndicatorTable {
            columns: columns
                .iter()
                .filter_map(|&c| self.columns.get(c).cloned())
                .collect(),
            rows: self
                .rows
                .iter()
                .map(|r| Row {
                    cells: pick(&r.cells),
                    ..r.clone()
                })
                .collect(),
            notes: self.notes.clone(),
        }
    }

    fn header(&self) -> Vec<String> {
        let mut header = vec!["indicator".to_owned()];
        header.extend(self.columns.iter().enumerate().map(|(i, c)| {
            if i == 0 {
                format!("{c} (baseline)")
            } else {
                c.clone()
            }
        }));
        header
    }

    /// A table for the terminal; `*` marks the best value of each row.
    pub fn to_text(&self, width: Option<u16>) -> String {
        let mut table = text_table(false, self.header());
        if let Some(width) = width {
            table.set_width(width);
        }
        for row in &self.rows {
            let mut cells = vec![row.label.to_owned()];
            cells.extend((0..self.columns.len()).map(|c| row.display(c, true)));
            table.add_row(cells);
        }
        for column in table.column_iter_mut().skip(1) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        let legend = "* best of the row; (ratio) to the baseline";
        table_with_notes(&table, Some(legend), &self.notes, false)
    }

    /// GitHub-flavoured Markdown; the best value of each row in bold.
    pub fn to_markdown(&self) -> String {
        let mut table = text_table(true, self.header());
        for row in &self.rows {
            let mut cells = vec![row.label.to_owned()];
            cells.extend((0..self.columns.len()).map(|c| {
                let text = row.display(c, false).replace('|', "\\|");
                if row.best() == Some(c) {
                    format!("**{text}**")
                } else {
                    text
                }
            }));
            table.add_row(cells);
        }
        table_with_notes(&table, None, &self.notes, true)
    }

    /// One row per variant and indicator:
    /// `variant,indicator,value,unit,source,ratio_to_baseline,best`.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "variant",
            "indicator",
            "value",
            "unit",
            "source",
            "ratio_to_baseline",
            "best",
        ])?;
        for row in &self.rows {
            for (c, variant) in self.columns.iter().enumerate() {
                let value = match &row.cells[c] {
                    Cell::Value { value, .. } => format_number(*value),
                    Cell::Text(t) => t.clone(),
                    Cell::NotAvailable(why) => format!("n/a: {why}"),
                };
                let ratio = match row.better {
                    Better::Neither => String::new(),
                    _ => row.ratio(c).map(format_number).unwrap_or_default(),
                };
                let best = if row.best() == Some(c) {
                    "true"
                } else {
                    "false"
                };
                w.write_record([
                    variant,
                    row.key,
                    &value,
                    row.unit,
                    row.source.name(),
                    &ratio,
                    best,
                ])?;
            }
        }
        csv_text(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: f64) -> Cell {
        Cell::number(v, v.to_string())
    }

    fn table() -> IndicatorTable {
        IndicatorTable {
            columns: vec!["base".into(), "a".into(), "b".into()],
            rows: vec![
                Row {
                    key: "flops",
                    label: "FLOPs",
                    unit: "FLOP",
                    better: Better::Lower,
                    source: Source::Analytic,
                    cells: vec![value(100.0), value(50.0), value(400.0)],
                },
                Row {
                    key: "speed",
                    label: "speed",
                    unit: "1/s",
                    better: Better::Higher,
                    source: Source::Measured,
                    cells: vec![
                        value(2.0),
                        Cell::NotAvailable("no adapter".into()),
                        value(3.0),
                    ],
                },
            ],
            notes: vec!["a note".into()],
        }
    }

    #[test]
    fn best_follows_the_better_side_and_skips_missing_values() {
        let t = table();
        assert_eq!(t.rows[0].best(), Some(1));
        assert_eq!(t.rows[1].best(), Some(2));
        assert_eq!(t.rows[0].ratio(2), Some(4.0));
        assert_eq!(t.rows[1].ratio(1), None);
    }

    #[test]
    fn csv_has_one_row_per_variant_and_indicator() {
        let csv = table().to_csv().unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + 2 * 3);
        assert_eq!(lines[2], "a,flops,50,FLOP,analytic,0.5,true");
        assert_eq!(lines[5], "a,speed,n/a: no adapter,1/s,measured,,false");
    }

    #[test]
    fn markdown_bolds_the_best_and_shows_ratios() {
        let md = table().to_markdown();
        assert!(md.contains("**50 (0.50x)**"), "{md}");
        assert!(md.contains("400 (4.00x)"), "{md}");
        assert!(md.contains("n/a: no adapter"), "{md}");
        assert!(md.contains("- a note"), "{md}");
    }
}
