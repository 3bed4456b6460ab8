//! Ranks: every variant's rank under every indicator, and how far each pair of indicators
//! agrees (Kendall's tau-b). Negative tau: the two indicators order the variants oppositely.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use super::Theme;
use crate::app::App;
use crate::report::{MIN_TAU_N, Ranks};

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let ranks = Ranks::from_table(app.table());
    let [top, bottom] = Layout::vertical([
        Constraint::Length(ranks.ranks.len() as u16 + 3),
        Constraint::Min(4),
    ])
    .areas(area);

    let mut header = vec![Cell::from("rank (1 = cheapest)")];
    header.extend(
        ranks
            .variants
            .iter()
            .enumerate()
            .map(|(i, v)| Cell::from(Span::styled(v.clone(), theme.series(i)))),
    );
    let rows = ranks.ranks.iter().map(|(_, label, r)| {
        let mut cells = vec![Cell::from(label.clone())];
        cells.extend(r.iter().map(|rank| match rank {
            Some(1) => Cell::from(Span::styled("1", theme.best)),
            Some(n) => Cell::from(n.to_string()),
            None => Cell::from(Span::styled("n/a", theme.dim)),
        }));
        Row::new(cells)
    });
    let mut widths = vec![Constraint::Length(20)];
    widths.extend(ranks.variants.iter().map(|_| Constraint::Min(8)));
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.accent))
            .block(Block::default().borders(Borders::ALL).title(" Ranks ")),
        top,
    );

    let labels: Vec<&str> = ranks.ranks.iter().map(|(_, l, _)| l.as_str()).collect();
    let mut header = vec![Cell::from("tau (n)")];
    header.extend(labels.iter().map(|l| Cell::from(*l)));
    // What each tau is computed over: the variants measured under both indicators.
    let count = |i: usize| {
        ranks
            .tau_n
            .get(i)
            .and_then(|r| r.get(i))
            .copied()
            .unwrap_or(0)
    };
    let counts: Vec<usize> = (0..labels.len()).map(count).collect();
    let rows = ranks
        .tau
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (row, label))| {
            let mut cells = vec![Cell::from(format!("{label} ({})", counts[i]))];
            cells.extend(row.iter().enumerate().map(|(j, t)| {
                match t {
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
                }
            }));
            Row::new(cells)
        });
    let mut widths = vec![Constraint::Length(12)];
    widths.extend(labels.iter().map(|_| Constraint::Length(7)));
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.accent))
            .block(Block::default().borders(Borders::ALL).title(
                format!(" Rank agreement (Kendall tau-b, +1 same order, -1 opposite) over (n) variants, none under {MIN_TAU_N} "),
            )),
        bottom,
    );
}
