//! Ranks: every variant's rank under every indicator, and how far each pair of indicators
//! agrees (Kendall's tau-b). Negative tau: the two indicators order the variants oppositely.

use super::canvas::Canvas;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

use super::Theme;
use super::fit::{ellipsize, window};
use crate::app::{Action, App, Area, Sort};
use crate::report::{MIN_TAU_N, Ranks};

/// The order of the indicators' rows: the suite's, or where the variants are sorted by one of
/// them, that one first and then the others by how far they agree with it (tau, highest
/// first; those with no tau last).
fn row_order(ranks: &Ranks, sort: Option<Sort>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ranks.ranks.len()).collect();
    let Some(by) = sort.and_then(|s| ranks.ranks.iter().position(|(k, _, _)| k == s.key)) else {
        return order;
    };
    let tau = |i: usize| ranks.tau.get(by).and_then(|r| r.get(i)).copied().flatten();
    order.sort_by(|&a, &b| {
        (b == by)
            .cmp(&(a == by))
            .then_with(|| match (tau(a), tau(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
    });
    order
}

pub fn render(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    // Over the variants shown, in their order (the filter and the sort of `/` and `<` `>`).
    let (table, index) = app.arranged();
    let ranks = Ranks::from_table(&table);
    let order = row_order(&ranks, app.sort());
    // One row per indicator in both tables: where they do not both fit, they share the screen
    // and scroll together.
    let total = ranks.ranks.len();
    let both = 2 * (total as u16 + 3);
    let [top, bottom] = if area.height >= both {
        Layout::vertical([Constraint::Length(total as u16 + 3), Constraint::Min(4)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    };
    let fit = top.height.min(bottom.height).saturating_sub(3) as usize;
    let shown = window(app, frame, fit, total);
    let mark = shown.in_title();

    // The variants share what the labels leave, one space apart.
    const LABEL: u16 = 20;
    let n = ranks.variants.len().max(1) as u16;
    let column = (top.width.saturating_sub(2 + LABEL) / n)
        .saturating_sub(1)
        .max(3);
    let mut header = vec![Cell::from("rank (1 = cheapest)")];
    header.extend(ranks.variants.iter().enumerate().map(|(i, v)| {
        Cell::from(Span::styled(
            ellipsize(v, column as usize),
            theme.series(index[i]),
        ))
    }));
    // A click on an indicator sorts the variants by it (again: the other way round).
    for (k, &i) in order[shown.rows.clone()].iter().enumerate() {
        let key = &ranks.ranks[i].0;
        if let Some(row) = table.rows.iter().find(|r| r.key == key) {
            frame.clickable(
                Area {
                    x: top.x + theme.inset(),
                    y: top.y + 2 + k as u16,
                    width: LABEL,
                    height: 1,
                },
                Action::SortBy(row.key),
            );
        }
    }
    let rows = order[shown.rows.clone()]
        .iter()
        .map(|&i| (&ranks.ranks[i], i))
        .map(|((key, label, r), i)| {
            let label = match app.sort() {
                Some(s) if s.key == key => Cell::from(Span::styled(
                    format!("{label} {}", super::sort_arrow(s)),
                    theme.accent,
                )),
                _ => Cell::from(label.clone()),
            };
            let mut cells = vec![label];
            let tied = |v: usize| ranks.noise_ties.get(i).and_then(|t| t.get(v)) == Some(&true);
            cells.extend(r.iter().enumerate().map(|(v, rank)| {
                // `=`: the rank is shared with a figure that differs only within the noise.
                let mark = if tied(v) { "=" } else { "" };
                match rank {
                    Some(1) => Cell::from(Span::styled(format!("1{mark}"), theme.best)),
                    Some(n) => Cell::from(format!("{n}{mark}")),
                    None => Cell::from(Span::styled("n/a", theme.dim)),
                }
            }));
            Row::new(cells)
        });
    let mut widths = vec![Constraint::Length(LABEL)];
    widths.extend(ranks.variants.iter().map(|_| Constraint::Length(column)));
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.accent))
            .block(theme.block().title(format!(
                " Ranks{mark}{}{} ",
                super::arranged_mark(app, table.columns.len()),
                match ranks.noise_ties.iter().flatten().any(|t| *t) {
                    true => " · = tied within noise (95% interval of the ratio covers 1)",
                    false => "",
                }
            ))),
        top,
    );

    let labels: Vec<&str> = order.iter().map(|&i| ranks.ranks[i].1.as_str()).collect();
    // Each tau in 5 to 7 columns: "+0.90" fits in 5; the labels are cut to the same width.
    const TAU_LABEL: u16 = 12;
    let m = labels.len().max(1) as u16;
    let tau_width = (bottom.width.saturating_sub(2 + TAU_LABEL) / m)
        .saturating_sub(1)
        .clamp(5, 7);
    // The columns that fit; the rest are named in the title.
    let fits = (bottom.width.saturating_sub(2 + TAU_LABEL) / (tau_width + 1)) as usize;
    let columns = labels.len().min(fits);
    let mut header = vec![Cell::from("tau (n)")];
    header.extend(
        labels[..columns]
            .iter()
            .map(|l| Cell::from(ellipsize(l, tau_width as usize))),
    );
    // What each tau is computed over: the variants measured under both indicators.
    let count = |i: usize| {
        ranks
            .tau_n
            .get(i)
            .and_then(|r| r.get(i))
            .copied()
            .unwrap_or(0)
    };
    let rows = order
        .iter()
        .zip(&labels)
        .skip(shown.rows.start)
        .take(shown.rows.len())
        .map(|(&i, label)| {
            let mut cells = vec![Cell::from(ellipsize(
                &format!("{label} ({})", count(i)),
                TAU_LABEL as usize,
            ))];
            let row = &ranks.tau[i];
            cells.extend(
                order
                    .iter()
                    .take(columns)
                    .map(|&j| (j, &row[j]))
                    .map(|(j, t)| match t {
                        Some(t) => {
                            let style = if *t < 0.0 {
                                theme.bad
                            } else if *t < 0.5 {
                                theme.warn
                            } else {
                                Style::default()
                            };
                            Cell::from(Span::styled(format!("{t:+.2}"), style))
                        }
                        None if ranks
                            .tau_n
                            .get(i)
                            .and_then(|r| r.get(j))
                            .is_some_and(|n| *n < MIN_TAU_N) =>
                        {
                            Cell::from(Span::styled(format!("n<{MIN_TAU_N}"), theme.dim))
                        }
                        None => Cell::from(Span::styled("n/a", theme.dim)),
                    }),
            );
            Row::new(cells)
        });
    let mut widths = vec![Constraint::Length(TAU_LABEL)];
    widths.extend((0..columns).map(|_| Constraint::Length(tau_width)));
    let hidden = match labels.len() - columns {
        0 => String::new(),
        k => format!(" · {k} more columns on a wider screen"),
    };
    let title = format!(
        " Rank agreement (Kendall tau-b, +1 same order, -1 opposite){mark}{hidden} over (n) variants, none under {MIN_TAU_N} "
    );
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.accent))
            .block(theme.block().title(super::fit::title(title, bottom))),
        bottom,
    );
}
