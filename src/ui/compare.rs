//! The side-by-side table: every indicator, every variant, the baseline first. Columns keep
//! their full width; when they do not all fit, the baseline stays and a window of the others
//! follows the focused variant (← → scroll it).

use super::canvas::Canvas;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

use super::Theme;
use super::fit::{ellipsize, window};
use crate::app::{Action, App, Area};

/// No column is wider than this; longer text is cut, with an ellipsis.
const MAX_COLUMN: u16 = 30;

pub fn render(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    if app.show_ops() {
        return render_ops(app, theme, frame, area);
    }
    if app.show_modules() {
        return render_modules(app, theme, frame, area);
    }
    // The variants shown (the baseline first, then those the filter lets through, sorted);
    // `index` gives each column's place in the suite, for its colour and the focus.
    let (table, index) = app.arranged();
    let n = table.columns.len();
    let focus = index.iter().position(|&i| i == app.focus()).unwrap_or(0);
    let width_of = |c: usize| {
        let text = table
            .rows
            .iter()
            .map(|r| r.display(c, false).chars().count())
            .max()
            .unwrap_or(0);
        (text.max(table.columns[c].chars().count()) as u16).min(MAX_COLUMN)
    };
    let widths: Vec<u16> = (0..n).map(width_of).collect();
    let sort = app.sort();
    let label_of = |r: &crate::report::Row| match sort {
        Some(s) if s.key == r.key => format!("{} {}", r.label, super::sort_arrow(s)),
        _ => r.label.to_owned(),
    };
    let label_width = table
        .rows
        .iter()
        .map(|r| label_of(r).chars().count())
        .max()
        .unwrap_or(10) as u16;
    // Borders, the label column, the baseline, and one space between columns.
    let room = area.width.saturating_sub(
        2 * theme.inset() + label_width + 1 + widths.first().copied().unwrap_or(0) + 1,
    );
    let shown = visible_columns(&widths, focus, room);

    let columns: Vec<usize> = std::iter::once(0).chain(shown.clone()).collect();
    let mut constraints = vec![Constraint::Length(label_width)];
    constraints.extend(columns.iter().map(|&c| Constraint::Length(widths[c])));
    // Where the table will draw each column: a focused column that does not fit whole makes
    // the layout shrink them all, so clicks and cut text follow the drawn widths, not the
    // wanted ones. The table lays its columns out as this does (one space apart, from the left).
    let inner_width = area.width.saturating_sub(2 * theme.inset());
    let drawn = Layout::horizontal(constraints.clone())
        .flex(Flex::Start)
        .spacing(1)
        .split(Rect::new(area.x + theme.inset(), 0, inner_width, 1));
    let mut widths = widths;
    for (k, &c) in columns.iter().enumerate() {
        widths[c] = drawn[k + 1].width;
    }
    let mut header = vec![Cell::from("indicator")];
    header.extend(columns.iter().map(|&c| {
        let style = if c == focus {
            theme.accent
        } else {
            theme.series(index[c])
        };
        Cell::from(Span::styled(
            ellipsize(&table.columns[c], widths[c] as usize),
            style,
        ))
    }));
    // A click on a variant's name focuses it.
    for (k, &c) in columns.iter().enumerate() {
        frame.clickable(
            Area {
                x: drawn[k + 1].x,
                y: area.y + 1,
                width: drawn[k + 1].width,
                height: 1,
            },
            Action::Focus(index[c]),
        );
    }
    // Borders and the header row; what is left holds the rows, scrolled.
    let scrolled = window(
        app,
        frame,
        area.height.saturating_sub(3) as usize,
        table.rows.len(),
    );
    // A click on an indicator's name sorts the variants by it (again: the other way round).
    for (k, row) in table.rows[scrolled.rows.clone()].iter().enumerate() {
        if row.better != crate::report::Better::Neither {
            frame.clickable(
                Area {
                    x: drawn[0].x,
                    y: area.y + 2 + k as u16,
                    width: drawn[0].width,
                    height: 1,
                },
                Action::SortBy(row.key),
            );
        }
    }
    let rows = table.rows[scrolled.rows.clone()].iter().map(|row| {
        let best = row.best();
        let label = match sort {
            Some(s) if s.key == row.key => Cell::from(Span::styled(label_of(row), theme.accent)),
            _ => Cell::from(row.label),
        };
        let mut cells = vec![label];
        cells.extend(columns.iter().map(|&c| {
            let text = ellipsize(&row.display(c, false), widths[c] as usize);
            let style = if best == Some(c) {
                theme.best
            } else if text.starts_with("n/a") {
                theme.dim
            } else if text.contains(" ~") || text.contains(" !") || text.contains(" ?") {
                theme.warn
            } else {
                ratatui::style::Style::default()
            };
            Cell::from(Span::styled(text, style))
        }));
        Row::new(cells)
    });
    let window = if shown.len() + 1 < n {
        format!(
            " · variants {}-{} of {} (← → scroll)",
            shown.start,
            shown.end - 1,
            n - 1
        )
    } else {
        String::new()
    };
    let rows_mark = scrolled.in_title();
    let arranged = super::arranged_mark(app, n);
    let title = format!(
        " Compare{arranged}{window}{rows_mark} · (ratio) to {} · best in bold · ~ noisy ? few iterations ! implausible ",
        table
            .columns
            .first()
            .map(String::as_str)
            .unwrap_or("the baseline")
    );
    frame.render_widget(
        Table::new(rows, constraints)
            .flex(Flex::Start)
            .header(Row::new(header).style(theme.accent))
            .block(theme.block().title(super::fit::title(title, area))),
        area,
    );
}

/// The focused variant's recorded forward pass by operation kind: where its FLOPs and its
/// bytes go, the kinds that move the most first, each with a bar of its share of the traffic.
fn render_ops(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    use crate::traced::Traced;
    use ratatui::widgets::Paragraph;
    let name = app.focused_name();
    let variant = app.analytic().iter().find(|v| v.name == name);
    let block = |title: String| theme.block().title(super::fit::title(title, area));
    let (v, counts) = match variant.map(|v| (v, &v.traced)) {
        Some((v, Some(Traced::Counted(c)))) => (v, c),
        Some((_, Some(Traced::NotAvailable { why }))) => {
            let text = Paragraph::new(format!("n/a: {why}")).style(theme.dim);
            frame.render_widget(
                text.block(block(format!(" Ops · {name} · o: the table "))),
                area,
            );
            return;
        }
        _ => {
            let text = Paragraph::new("recording the forward passes…").style(theme.dim);
            frame.render_widget(
                text.block(block(format!(" Ops · {name} · o: the table "))),
                area,
            );
            return;
        }
    };
    let estimated = match &v.cost {
        Some(c) => {
            let analytic = c.totals.mem_access_bytes;
            format!(
                "{} estimated ({})",
                crate::units::bytes(analytic),
                crate::document::ratio_text(counts.bytes as f64 / analytic.max(1) as f64)
            )
        }
        None => format!("n/a estimated: {}", crate::report::NOT_BUILT_IN),
    };
    let shown = window(
        app,
        frame,
        area.height.saturating_sub(3) as usize,
        counts.kinds.len(),
    );
    let title = format!(
        " Ops · {name} · {} ops, {} views per forward · traffic {} traced, {estimated}{} · o: the table ",
        counts.ops,
        counts.views,
        crate::units::bytes(counts.bytes),
        shown.in_title(),
    );
    // The figures keep their columns; the bar takes what is left of the borders, up to 20.
    const LABEL: u16 = 22;
    let figures = [LABEL, 6, 11, 9, 9, 7];
    let used: u16 = 2 + figures.iter().map(|w| w + 1).sum::<u16>();
    let bar_width = area.width.saturating_sub(used).min(20);
    let rows = counts.kinds[shown.rows].iter().map(|k| {
        let share = k.bytes() as f64 / counts.bytes.max(1) as f64;
        let bar = "█".repeat((share * f64::from(bar_width)).round() as usize);
        let style = if k.view {
            theme.dim
        } else {
            ratatui::style::Style::default()
        };
        Row::new(vec![
            Cell::from(ellipsize(&k.label(), LABEL as usize)),
            Cell::from(k.ops.to_string()),
            Cell::from(crate::units::flops(k.flops)),
            Cell::from(crate::units::bytes(k.bytes_read)),
            Cell::from(crate::units::bytes(k.bytes_written)),
            Cell::from(format!("{:>5.1}%", 100.0 * share)),
            Cell::from(Span::styled(bar, theme.accent)),
        ])
        .style(style)
    });
    let header =
        Row::new(["op", "count", "FLOPs", "read", "written", "traffic", ""]).style(theme.accent);
    let widths: Vec<Constraint> = figures
        .into_iter()
        .chain([bar_width])
        .map(Constraint::Length)
        .collect();
    frame.render_widget(
        Table::new(rows, widths)
            .flex(Flex::Start)
            .header(header)
            .block(block(title)),
        area,
    );
}

/// The columns after the baseline (index 0) that fit in `room` cells, one space between
/// each: a window that contains `focus` (when it is not the baseline), filled to the right
/// first, then to the left.
fn visible_columns(widths: &[u16], focus: usize, room: u16) -> std::ops::Range<usize> {
    let n = widths.len();
    if n <= 1 {
        return 1..1;
    }
    let anchor = focus.clamp(1, n - 1);
    let cost = |c: usize| widths[c] + 1;
    let (mut start, mut end, mut used) = (anchor, anchor + 1, cost(anchor));
    loop {
        if end < n && used + cost(end) <= room {
            used += cost(end);
            end += 1;
        } else if start > 1 && used + cost(start - 1) <= room {
            start -= 1;
            used += cost(start);
        } else {
            break;
        }
    }
    start..end
}

/// The focused variant module by module: parameters, FLOPs and, for a transformer, traced
/// bytes and ops, each with its share of the whole; identical layers folded with a count.
fn render_modules(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    use crate::units;
    use ratatui::widgets::Paragraph;
    let name = app.focused_name();
    let block = |title: String| theme.block().title(super::fit::title(title, area));
    let Some(m) = app.focused_modules() else {
        let text = Paragraph::new("counting the modules…").style(theme.dim);
        frame.render_widget(
            text.block(block(format!(" Modules · {name} · d: the table "))),
            area,
        );
        return;
    };
    use crate::report::share;
    let shown = window(
        app,
        frame,
        area.height.saturating_sub(3) as usize,
        m.rows.len(),
    );
    let traced = match (&m.traced, &m.traced_na) {
        (Some(t), _) => format!("traced {}, {} ops", units::bytes(t.bytes), t.ops),
        (None, Some(why)) => format!("traced by module: n/a: {why}"),
        (None, None) => String::new(),
    };
    let title = format!(
        " Modules · {name} · {} params, {} · {traced}{} · d: the table ",
        units::si(m.params_total as f64),
        units::flops(m.flops_executed),
        shown.in_title(),
    );
    let rows = m.rows[shown.rows].iter().map(|r| {
        let (bytes, bytes_share, ops) = match (&r.traced, &m.traced) {
            (Some(t), Some(whole)) => (
                units::bytes(t.bytes),
                share(t.bytes, whole.bytes),
                t.ops.to_string(),
            ),
            _ => ("n/a".to_owned(), "-".to_owned(), "-".to_owned()),
        };
        let style = if r.depth == 0 {
            ratatui::style::Style::default()
        } else {
            theme.dim
        };
        Row::new(vec![
            Cell::from(format!("{}{}", "  ".repeat(r.depth), r.module)),
            Cell::from(format!("x{}", r.count)),
            Cell::from(units::si(r.params as f64)),
            Cell::from(share(r.params, m.params_total)),
            Cell::from(units::flops(r.flops)),
            Cell::from(share(r.flops, m.flops_executed)),
            Cell::from(bytes),
            Cell::from(bytes_share),
            Cell::from(ops),
        ])
        .style(style)
    });
    let header = Row::new(vec![
        "module", "count", "params", "share", "FLOPs", "share", "traced", "share", "ops",
    ])
    .style(theme.accent);
    let widths = [
        Constraint::Length(16),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(11),
        Constraint::Length(7),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(6),
    ];
    frame.render_widget(
        Table::new(rows, widths).header(header).block(block(title)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::visible_columns;

    #[test]
    fn the_window_holds_the_focus_and_fills_the_room() {
        let w = [10, 10, 10, 10, 10, 10];
        // Everything fits: all five after the baseline.
        assert_eq!(visible_columns(&w, 0, 100), 1..6);
        // Room for two (11 cells each): from the focus rightwards.
        assert_eq!(visible_columns(&w, 0, 22), 1..3);
        assert_eq!(visible_columns(&w, 2, 22), 2..4);
        // At the right edge the window fills leftwards.
        assert_eq!(visible_columns(&w, 5, 33), 3..6);
        // Not even one fits: the focused column is still shown.
        assert_eq!(visible_columns(&w, 3, 5), 3..4);
        assert_eq!(visible_columns(&[10], 0, 50), 1..1);
    }
}
