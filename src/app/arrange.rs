//! Which variants the tables show, and in what order: a filter typed after `/` (parts of a
//! name, `family:` terms) and a sort by one indicator, cheapest first (`<` `>` pick it, `I`
//! inverts it). The baseline always stays, first: every ratio is to it.

use crate::report::{IndicatorTable, on_cost_side};

/// One term of a filter; every term must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    /// A part of the variant's name.
    Name(String),
    /// The start of its family's name (`moe`), or a part of its family as the table shows
    /// it (`csr`, `top-2`).
    Family(String),
}

/// The prefixes a term may have, as the help and the errors name them.
pub const FILTER_PREFIXES: &str = "name:, family:";

/// The variants to show: those whose name and family match every term, case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    text: String,
    terms: Vec<Term>,
}

impl Filter {
    /// `text` read as space-separated terms: `word` or `name:word` (a part of the name),
    /// `family:word`. An unknown prefix is an error naming the prefixes allowed.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut terms = Vec::new();
        for word in text.split_whitespace() {
            let lower = word.to_lowercase();
            let term = match lower.split_once(':') {
                None => Term::Name(lower),
                Some(("name", part)) => Term::Name(part.to_owned()),
                Some(("family", part)) => Term::Family(part.to_owned()),
                Some((prefix, _)) => {
                    return Err(format!(
                        "`{prefix}:` is no filter term; allowed: a part of a name, {FILTER_PREFIXES}"
                    ));
                }
            };
            terms.push(term);
        }
        Ok(Filter {
            text: text.to_owned(),
            terms,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether a variant called `name`, of the family `kind` (`moe`) that the table describes
    /// as `family` (`moe 8e top-1 cf1.25`), passes.
    pub fn admits(&self, name: &str, kind: &str, family: &str) -> bool {
        let name = name.to_lowercase();
        let family = family.to_lowercase();
        self.terms.iter().all(|t| match t {
            Term::Name(part) => name.contains(part.as_str()),
            Term::Family(part) => kind.starts_with(part.as_str()) || family.contains(part.as_str()),
        })
    }
}

/// The indicator the variants are sorted by (a row of the Compare table, by its key), cheapest
/// first unless inverted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub key: &'static str,
    pub inverted: bool,
}

/// The rows a sort may use, in table order: those with a cheaper side and a number.
pub fn sortable(table: &IndicatorTable) -> Vec<&'static str> {
    table
        .rows
        .iter()
        .filter(|r| r.better != crate::report::Better::Neither)
        .filter(|r| r.cells.iter().any(|c| c.estimate().is_some()))
        .map(|r| r.key)
        .collect()
}

/// The next (or previous) sortable row after `current`: none after the last (and before the
/// first), so stepping on turns the sort off.
pub fn step(
    table: &IndicatorTable,
    current: Option<&'static str>,
    forward: bool,
) -> Option<&'static str> {
    let keys = sortable(table);
    let at = current.and_then(|k| keys.iter().position(|x| *x == k));
    match (at, forward) {
        (None, true) => keys.first().copied(),
        (None, false) => keys.last().copied(),
        (Some(i), true) => keys.get(i + 1).copied(),
        (Some(0), false) => None,
        (Some(i), false) => keys.get(i - 1).copied(),
    }
}

/// The table's columns in display order: the baseline (0) first, then every other column
/// whose variant `admits` lets through, by `sort` where there is one (a column without a
/// value under it last, whichever way), else in the suite's order.
pub fn arrange(
    table: &IndicatorTable,
    admits: impl Fn(usize) -> bool,
    sort: Option<Sort>,
) -> Vec<usize> {
    let mut rest: Vec<usize> = (1..table.columns.len()).filter(|&c| admits(c)).collect();
    if let Some(sort) = sort
        && let Some(row) = table.rows.iter().find(|r| r.key == sort.key)
    {
        let estimates: Vec<_> = row.cells.iter().map(|c| c.estimate()).collect();
        let cost = on_cost_side(&estimates, row.better);
        let value = |c: usize| cost.get(c).copied().flatten().map(|(v, _)| v);
        rest.sort_by(|&a, &b| match (value(a), value(b)) {
            (Some(x), Some(y)) => {
                let order = x.total_cmp(&y);
                if sort.inverted {
                    order.reverse()
                } else {
                    order
                }
            }
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
    }
    std::iter::once(0).chain(rest).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Better, Cell, Row, Source};

    fn table(latency: &[Option<f64>], throughput: &[f64]) -> IndicatorTable {
        let number = |v: Option<f64>| match v {
            Some(v) => Cell::number(v, format!("{v}")),
            None => Cell::NotAvailable("n/a: csr on wgpu".into()),
        };
        IndicatorTable {
            columns: (0..latency.len()).map(|i| format!("v{i}")).collect(),
            rows: vec![
                Row {
                    key: "family",
                    label: "family",
                    unit: "",
                    better: Better::Neither,
                    source: Source::Analytic,
                    cells: latency.iter().map(|_| Cell::Text("dense".into())).collect(),
                },
                Row {
                    key: "latency_p50",
                    label: "latency p50",
                    unit: "s",
                    better: Better::Lower,
                    source: Source::Measured,
                    cells: latency.iter().map(|v| number(*v)).collect(),
                },
                Row {
                    key: "tokens_per_s",
                    label: "throughput tokens/s",
                    unit: "1/s",
                    better: Better::Higher,
                    source: Source::Measured,
                    cells: throughput.iter().map(|v| number(Some(*v))).collect(),
                },
            ],
            notes: vec![],
        }
    }

    #[test]
    fn sorting_puts_the_cheapest_first_the_baseline_first_of_all_and_none_last() {
        let t = table(
            &[Some(5.0), Some(9.0), None, Some(1.0), Some(3.0)],
            &[1.0, 4.0, 2.0, 8.0, 3.0],
        );
        let all = |_| true;
        assert_eq!(arrange(&t, all, None), vec![0, 1, 2, 3, 4]);
        let by = |key, inverted| Some(Sort { key, inverted });
        assert_eq!(
            arrange(&t, all, by("latency_p50", false)),
            vec![0, 3, 4, 1, 2]
        );
        assert_eq!(
            arrange(&t, all, by("latency_p50", true)),
            vec![0, 1, 4, 3, 2]
        );
        // Higher is cheaper for a rate: the fastest first.
        assert_eq!(
            arrange(&t, all, by("tokens_per_s", false)),
            vec![0, 3, 1, 4, 2]
        );
        // A key the table has not (yet) got leaves the order alone.
        assert_eq!(
            arrange(&t, all, by("cold_start", false)),
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(
            arrange(&t, |c| c % 2 == 1, by("latency_p50", false)),
            vec![0, 3, 1]
        );
    }

    #[test]
    fn stepping_walks_the_sortable_rows_and_off_again() {
        let t = table(&[Some(1.0), Some(2.0)], &[1.0, 2.0]);
        assert_eq!(sortable(&t), vec!["latency_p50", "tokens_per_s"]);
        assert_eq!(step(&t, None, true), Some("latency_p50"));
        assert_eq!(step(&t, Some("latency_p50"), true), Some("tokens_per_s"));
        assert_eq!(step(&t, Some("tokens_per_s"), true), None);
        assert_eq!(step(&t, None, false), Some("tokens_per_s"));
        assert_eq!(step(&t, Some("latency_p50"), false), None);
        // A row with no number yet (nothing measured) is not offered.
        let unmeasured = table(&[None, None], &[1.0, 2.0]);
        assert_eq!(sortable(&unmeasured), vec!["tokens_per_s"]);
    }

    #[test]
    fn filters_match_names_and_families_and_name_what_they_allow() {
        let f = Filter::parse("family:moe TOP").unwrap();
        assert!(f.admits("switch-top2", "moe", "moe 8e top-2"));
        assert!(!f.admits("switch-top2", "dense", "dense"));
        assert!(!f.admits("switch", "moe", "moe 8e top-2"));
        let csr = Filter::parse("family:csr").unwrap();
        assert!(csr.admits("pruned90-csr", "pruned", "pruned 90% csr"));
        assert!(!csr.admits("pruned90-dense", "pruned", "pruned 90% dense"));
        assert!(Filter::parse("  ").unwrap().is_empty());
        assert!(
            Filter::parse("name:pruned")
                .unwrap()
                .admits("pruned90-csr", "pruned", "")
        );
        let err = Filter::parse("fam:moe").unwrap_err();
        assert!(err.contains("`fam:`") && err.contains("family:"), "{err}");
    }
}
