//! Drawing: pure over `&App`. No channel reads, no sysinfo, no burn calls; what the drawing
//! learns (click areas, scrolled rows) is returned as a [`Drawn`], not written into the app.

mod canvas;
mod compare;
mod fit;
mod generate;
mod live;
mod pipeline;
mod ranks;
mod roofline;
mod routing;
mod sweep;
mod theme;
mod train;

pub use canvas::Canvas;
pub use theme::Theme;

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Row, Table, Wrap};
use ratatui::{Frame, Terminal};

use crate::app::{Action, App, Area, Drawn, View, footer_hints, help_rows, tab_bar};

/// Below this the layout does not fit.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws `app` in `frame`; what the drawing learned (click areas, the scrolled rows) comes back
/// for [`App::on_drawn`].
pub fn render(app: &App, theme: &Theme, frame: &mut Frame) -> Drawn {
    let mut canvas = Canvas::new(frame);
    draw(app, theme, &mut canvas);
    canvas.finish()
}

fn draw(app: &App, theme: &Theme, frame: &mut Canvas) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "terminal too small: {}x{}, effprof needs {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        );
        let y = area.height / 2;
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            Rect::new(area.x, area.y + y, area.width, area.height - y),
        );
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(10),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(app, theme, frame, header);
    match app.view() {
        View::Live => live::render(app, theme, frame, body),
        View::Compare => compare::render(app, theme, frame, body),
        View::Ranks => ranks::render(app, theme, frame, body),
        View::Routing => routing::render(app, theme, frame, body),
        View::Pipeline => pipeline::render(app, theme, frame, body),
        View::Sweep => sweep::render(app, theme, frame, body),
        View::Roofline => roofline::render(app, theme, frame, body),
        View::Train => train::render(app, theme, frame, body),
        View::Generate => generate::render(app, theme, frame, body),
    }
    let (hints, pinned) = match app.filter_input() {
        Some(input) => {
            let shown = app.shown().len();
            let all = app.analytic().len();
            let state = match &input.error {
                Some(e) => e.clone(),
                None => format!("{shown} of {all} variants"),
            };
            (
                format!("/{}█  {state}  Enter keeps  Esc clears", input.text),
                String::new(),
            )
        }
        None => footer_hints(app.view(), app.watched().is_some(), app.keys()),
    };
    let [left, right] = Layout::horizontal([
        Constraint::Min(1),
        Constraint::Length(pinned.chars().count() as u16 + 2),
    ])
    .areas(footer);
    frame.render_widget(
        // The filter being typed is one line, cut at the end; hints are cut between them.
        match app.filter_input() {
            Some(input) => Paragraph::new(fit::ellipsize(&hints, left.width as usize)).style(
                match input.error {
                    Some(_) => theme.warn,
                    None => theme.accent,
                },
            ),
            None => Paragraph::new(fit_hints(&hints, left.width as usize)).style(theme.dim),
        },
        left,
    );
    frame.render_widget(
        Paragraph::new(pinned)
            .style(theme.dim)
            .alignment(Alignment::Right),
        right,
    );
    if app.show_help() {
        render_help(app, theme, frame, area);
    } else if let Some(message) = app.message() {
        render_message(&message.text, message.is_error, theme, frame, area);
    }
}

fn render_header(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let [line, tabs] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let (backend, adapter, elapsed) = match app.summary() {
        Some(s) => (
            s.run.backend.to_string(),
            s.run.adapter.clone(),
            format!("{:.0} s", s.run.elapsed_s),
        ),
        None => (
            app.backend().to_string(),
            "starting".to_owned(),
            "0 s".to_owned(),
        ),
    };
    let state = match (app.watched(), app.paused()) {
        (Some(origin), _) => format!("watching {origin}"),
        (None, true) => "paused".to_owned(),
        (None, false) => "running".to_owned(),
    };
    let mut spans = vec![
        Span::styled(" effprof ", theme.title),
        Span::raw(format!(" suite {} ", app.suite().name)),
        Span::styled(format!(" {backend} "), theme.accent),
        Span::raw(format!("on {adapter} · ")),
        Span::styled(state, if app.paused() { theme.warn } else { theme.good }),
        Span::raw(format!(
            " · {elapsed} · batch {} · focus {}",
            app.batch(),
            app.focused_name()
        )),
    ];
    if let Some(progress) = app.summary().and_then(|s| s.long_work()) {
        spans.push(Span::styled(format!(" · {progress}"), theme.warn));
    }
    let width = line.width as usize;
    let mut header = Line::from(spans.clone());
    // Short of room, the adapter's name goes first: the backend stays beside it.
    if header.width() > width {
        spans[3] = Span::raw("· ");
        header = Line::from(spans);
    }
    frame.render_widget(fit::ellipsize_line(header, width), line);

    let mut bar = Vec::new();
    for (i, tab) in tab_bar(tabs.width, app.view()).into_iter().enumerate() {
        if i > 0 {
            // Basic mode draws no box characters, which a dumb terminal may not have.
            bar.push(Span::styled(if theme.basic { "|" } else { "│" }, theme.dim));
        }
        let style = if tab.view == app.view() {
            theme.accent
        } else {
            ratatui::style::Style::default()
        };
        frame.clickable(
            Area {
                x: tabs.x + tab.start,
                y: tabs.y,
                width: tab.width,
                height: 1,
            },
            Action::ShowView(tab.view),
        );
        bar.push(Span::styled(tab.label, style));
    }
    frame.render_widget(
        fit::ellipsize_line(Line::from(bar), tabs.width as usize),
        tabs,
    );
}

/// How a sort reads beside its indicator: ↑ the cheapest first, ↓ the most expensive.
pub(crate) fn sort_arrow(sort: crate::app::Sort) -> &'static str {
    if sort.inverted { "↓" } else { "↑" }
}

/// What a table's title says of the variants it shows, when not all in the suite's order:
/// ` · sorted by latency p50 ↑ · filter moe (3 of 9)`. `columns` counts the baseline.
pub(crate) fn arranged_mark(app: &App, columns: usize) -> String {
    let mut mark = String::new();
    if let (Some(sort), Some(label)) = (app.sort(), app.sort_label()) {
        mark += &format!(" · sorted by {label} {}", sort_arrow(sort));
    }
    if !app.filter().is_empty() {
        let all = app.analytic().len();
        mark += &format!(
            " · filter {} ({columns} of {all})",
            app.filter().text().trim()
        );
    }
    mark
}

/// The footer's hints in `width` columns: whole hints, and an ellipsis where some are left out.
fn fit_hints(hints: &str, width: usize) -> String {
    if hints.chars().count() <= width {
        return hints.to_owned();
    }
    let mut shown = String::new();
    for hint in hints.split("  ") {
        let next = if shown.is_empty() {
            hint.to_owned()
        } else {
            format!("{shown}  {hint}")
        };
        // Room for " …" after the last whole hint.
        if next.chars().count() + 2 > width {
            break;
        }
        shown = next;
    }
    fit::ellipsize(&format!("{shown} {}", fit::ELLIPSIS), width)
}

/// The screen as the user sees it at `width` x `height`, as plain text without escape codes;
/// trailing blanks trimmed.
pub fn screen_text(app: &App, theme: &Theme, width: u16, height: u16) -> String {
    // An in-memory backend cannot fail.
    let Ok(mut terminal) = Terminal::new(TestBackend::new(width, height));
    let Ok(_) = terminal.draw(|f| {
        render(app, theme, f);
    });
    let buffer: &Buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn render_help(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let help = help_rows(app.keys());
    let popup = centered(area, 64, help.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    // A screen shorter than the help shows a window of its rows, scrolled by ↑ ↓.
    let fit = popup.height.saturating_sub(2) as usize;
    let total = help.len();
    let first = frame.help_scrolled(app, fit, total);
    let title = if fit < total {
        format!(
            " keys {}-{} of {total} (↑↓ scroll, Esc closes) ",
            first + 1,
            (first + fit).min(total)
        )
    } else {
        " keys (Esc closes) ".to_owned()
    };
    let rows = help
        .into_iter()
        .skip(first)
        .take(fit)
        .map(|(k, what)| Row::new(vec![Span::styled(k, theme.accent), Span::raw(what)]));
    let table = Table::new(rows, [Constraint::Length(12), Constraint::Min(20)])
        .block(theme.block().title(title));
    frame.render_widget(table, popup);
}

fn render_message(text: &str, is_error: bool, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let width = (text.chars().count() as u16 + 4).clamp(30, area.width.saturating_sub(4));
    let lines = (text.chars().count() as u16 / width.saturating_sub(4).max(1)) + 3;
    let popup = centered(area, width, lines + 1);
    frame.render_widget(Clear, popup);
    let (title, style) = if is_error {
        (" error (Esc dismisses) ", theme.bad)
    } else {
        (" done (Esc dismisses) ", theme.good)
    };
    frame.render_widget(
        Paragraph::new(text.to_owned())
            .wrap(Wrap { trim: true })
            .block(theme.block().title(title).border_style(style)),
        popup,
    );
}
