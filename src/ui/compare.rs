//! The side-by-side table: every indicator, every variant, the baseline first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use super::Theme;
use crate::app::App;

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let table = &app.table;
    let mut header = vec![Cell::from("indicator")];
    header.extend(table.columns.iter().enumerate().map(|(i, c)| {
        let style = if i == app.focus {
            theme.accent
        } else {
            theme.series(i)
        };
        Cell::from(Span::styled(c.clone(), style))
    }));
    let rows = table.rows.iter().map(|row| {
        let best = row.best();
        let mut cells = vec![Cell::from(row.label)];
        cells.extend((0..table.columns.len()).map(|c| {
            let text = row.display(c, false);
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
    let label_width = table.rows.iter().map(|r| r.label.len()).max().unwrap_or(10) as u16 + 1;
    let mut widths = vec![Constraint::Length(label_width)];
    widths.extend(table.columns.iter().map(|_| Constraint::Min(12)));
    let title = format!(
        " Compare · (ratio) to {} · best in bold · ~ noisy ? few iterations ! implausible ",
        table
            .columns
            .first()
            .map(String::as_str)
            .unwrap_or("the baseline")
    );
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.accent))
            .block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}
