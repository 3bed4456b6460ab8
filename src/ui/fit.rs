//! Text that fits: cut with a marked ellipsis, never silently, and windows of rows that scroll.

use std::ops::Range;

use ratatui::text::{Line, Span};

use super::canvas::Canvas;
use crate::app::App;

/// The ellipsis that marks a cut.
pub const ELLIPSIS: char = '…';

/// `text` in at most `width` characters: whole, or cut with an ellipsis as its last one.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    match width {
        0 => String::new(),
        w => text
            .chars()
            .take(w - 1)
            .chain(std::iter::once(ELLIPSIS))
            .collect(),
    }
}

/// `line` in at most `width` characters, its styles kept: the span that crosses the edge is
/// cut with an ellipsis, the ones after it dropped.
pub fn ellipsize_line(line: Line<'_>, width: usize) -> Line<'_> {
    if line.width() <= width {
        return line;
    }
    let mut left = width;
    let mut spans = Vec::new();
    for span in line.spans {
        let n = span.content.chars().count();
        if n < left {
            left -= n;
            spans.push(span);
            continue;
        }
        spans.push(Span::styled(ellipsize(&span.content, left), span.style));
        break;
    }
    Line::from(spans).style(line.style)
}

/// The rows of a list that a scrolled view draws.
pub struct Window {
    pub rows: Range<usize>,
    total: usize,
}

impl Window {
    /// Where the rows are ("rows 3-21 of 31 (↑↓)", `what` naming them), when not all are shown.
    pub fn mark(&self, what: &str) -> Option<String> {
        (self.rows.len() < self.total).then(|| {
            format!(
                "{what} {}-{} of {} (↑↓)",
                self.rows.start + 1,
                self.rows.end,
                self.total
            )
        })
    }

    /// The mark as a title carries it: " · rows 3-21 of 31 (↑↓)", or nothing when all fit.
    pub fn in_title(&self) -> String {
        self.mark("rows")
            .map(|m| format!(" · {m}"))
            .unwrap_or_default()
    }
}

/// The rows of `total` to draw in `fit` rows, scrolled as the user last moved.
pub fn window(app: &App, frame: &mut Canvas, fit: usize, total: usize) -> Window {
    let first = frame.scrolled(app, fit, total);
    Window {
        rows: first..(first + fit).min(total),
        total,
    }
}

/// `lines` wrapped at word boundaries to `width` (a wrapped line takes its first span's style),
/// then the rows of them that fit in `rows`, scrolled; the last row says which are shown when
/// not all fit.
pub fn scroll_text(
    app: &App,
    frame: &mut Canvas,
    lines: Vec<Line<'_>>,
    width: usize,
    rows: usize,
) -> Vec<Line<'static>> {
    let wrapped = wrap_lines(lines, width);
    if wrapped.len() <= rows {
        frame.scrolled(app, rows, wrapped.len());
        return wrapped;
    }
    let shown = window(app, frame, rows.saturating_sub(1), wrapped.len());
    let mark = shown.mark("rows").unwrap_or_default();
    let mut out: Vec<Line<'static>> = wrapped[shown.rows].to_vec();
    out.push(Line::styled(
        ellipsize(&mark, width),
        ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
    ));
    out
}

/// `lines` in rows of at most `width`, each broken between words.
pub fn wrap_lines(lines: Vec<Line<'_>>, width: usize) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .flat_map(|line| wrap(line, width))
        .collect()
}

/// `line` in rows of at most `width`, broken between words (a word longer than a row is cut).
fn wrap(line: Line<'_>, width: usize) -> Vec<Line<'static>> {
    let owned = || {
        Line::from(
            line.spans
                .iter()
                .map(|s| Span::styled(s.content.to_string(), s.style))
                .collect::<Vec<_>>(),
        )
        .style(line.style)
    };
    if line.width() <= width || width == 0 {
        return vec![owned()];
    }
    let style = line.spans.first().map(|s| s.style).unwrap_or_default();
    let text = line.to_string();
    let mut rows: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let row = rows.last_mut().expect("never empty");
        let len = row.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            rows.push(String::new());
        }
        let row = rows.last_mut().expect("never empty");
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(word);
    }
    rows.into_iter()
        .map(|r| Line::styled(ellipsize(&r, width), style).style(line.style))
        .collect()
}

/// Below this width a chart and its text stack, the text under the chart across the screen.
pub const SIDE_BY_SIDE: u16 = 120;

/// A chart's area and its text's: side by side (`percent` of the width to the chart), or on a
/// narrow screen the chart above the text.
pub fn beside_or_under(
    theme: &super::Theme,
    area: ratatui::layout::Rect,
    percent: u16,
) -> [ratatui::layout::Rect; 2] {
    use ratatui::layout::{Constraint, Layout, Rect};
    if theme.basic {
        // No chart: the text takes the area.
        return [Rect::new(area.x, area.y, 0, 0), area];
    }
    if area.width >= SIDE_BY_SIDE {
        Layout::horizontal([
            Constraint::Percentage(percent),
            Constraint::Percentage(100 - percent),
        ])
        .areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    }
}

/// A bordered block's `text` title in `area`: cut with an ellipsis where the borders leave
/// less room.
pub fn title(text: String, area: ratatui::layout::Rect) -> String {
    ellipsize(&text, area.width.saturating_sub(2) as usize)
}

/// The border of a chart's text in `area` (as [`beside_or_under`] split it): a rule on its left
/// beside the chart, none under it.
pub fn text_borders(
    theme: &super::Theme,
    area: ratatui::layout::Rect,
) -> ratatui::widgets::Borders {
    if !theme.basic && area.width >= SIDE_BY_SIDE {
        ratatui::widgets::Borders::LEFT
    } else {
        ratatui::widgets::Borders::NONE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_is_marked_and_fits() {
        assert_eq!(ellipsize("dense-pmatch", 12), "dense-pmatch");
        assert_eq!(ellipsize("dense-pmatched", 10), "dense-pma…");
        assert_eq!(ellipsize("dense", 1), "…");
        assert_eq!(ellipsize("dense", 0), "");
        let line = Line::from(vec![Span::raw("p50 906 µs  "), Span::raw("p99 3.44 ms")]);
        let cut = ellipsize_line(line, 16);
        assert_eq!(cut.width(), 16);
        assert_eq!(cut.to_string(), "p50 906 µs  p99…");
    }
}
