//! Pipeline: the focused variant split into stages, each stage's measured latencies, and the
//! GPipe and 1F1B timelines of one step drawn to scale, with the bubble beside the textbook's.

use super::canvas::Canvas;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use super::fit::wrap_lines;
use crate::app::App;
use crate::pipeline::{Mode, Pass, PipelineReport, Schedule, Timeline, stage_line};
use crate::units;

pub fn render(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let state = app.pipeline();
    let title = format!(
        " Pipeline · {} · {} stages (p/P) · {} micro-batches (m/M) ",
        app.focused_name(),
        state.stages,
        state.micro_batches
    );
    let block = theme.block().title(super::fit::title(title, area));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let waiting = |text: String| {
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
    };
    if app.watched().is_some() {
        frame.render_widget(
            waiting(
                "n/a: pipeline stages are measured in a live run, not in a recorded one".into(),
            ),
            inner,
        );
        return;
    }
    if let Some(na) = app.pipeline_na() {
        frame.render_widget(waiting(na), inner);
        return;
    }
    let Some(latencies) = &state.latencies else {
        let text = if state.pending {
            format!(
                "measuring {} in {} stages…",
                app.focused_name(),
                state.stages
            )
        } else {
            "no stages measured yet".to_owned()
        };
        frame.render_widget(waiting(text), inner);
        return;
    };
    let report = PipelineReport::new(latencies.clone(), &[state.micro_batches]);
    let mut timelines: Vec<(String, Timeline)> = Vec::new();
    if latencies.backward_s.is_some() {
        for schedule in Schedule::ALL {
            if let Some(t) = report.timeline(Mode::Training, schedule, state.micro_batches) {
                timelines.push((format!("training, {}", schedule.name()), t));
            }
        }
    }
    if let Some(t) = report.timeline(Mode::Inference, Schedule::GPipe, state.micro_batches) {
        timelines.push(("inference".to_owned(), t));
    }
    let stale = latencies.variant != app.focused_name() || latencies.layers.len() != state.stages;
    let mut head = vec![Line::from(stage_line(latencies))];
    if stale || state.pending {
        head.push(Line::styled(
            format!(
                "measuring {} in {} stages…; shown: the last measurement",
                app.focused_name(),
                state.stages
            ),
            theme.warn,
        ));
    }
    head.push(Line::styled(
        "0-9: forward pass of micro-batch i · a-j: its backward pass (i mod 10) · ·: idle",
        theme.dim,
    ));
    // As many timelines as fit under the header; the others a scroll away.
    let each = timelines.first().map_or(1, |(_, t)| t.stages as u16 + 2);
    // The header as wrapped at this width, with one row for the scroll mark.
    let header_lines = wrap_lines(head.clone(), inner.width as usize).len() as u16 + 1;
    let fit = (inner.height.saturating_sub(header_lines) / each).max(1) as usize;
    let shown = super::fit::window(app, frame, fit, timelines.len());
    let timelines = &timelines[shown.rows.clone()];
    let mut constraints = vec![Constraint::Length(header_lines)];
    constraints.extend(
        timelines
            .iter()
            .map(|(_, t)| Constraint::Length(t.stages as u16 + 2)),
    );
    constraints.push(Constraint::Min(0));
    let rows = Layout::vertical(constraints).split(inner);

    if let Some(mark) = shown.mark("timelines") {
        head.push(Line::styled(mark, theme.dim));
    }
    let head = wrap_lines(head, inner.width as usize);
    frame.render_widget(Paragraph::new(head), rows[0]);

    let longest = timelines.iter().map(|(_, t)| t.step_s).fold(0.0, f64::max);
    for ((name, t), row) in timelines.iter().zip(rows.iter().skip(1)) {
        let title = format!(
            " {name}: step {} · bubble {:.1}% (textbook {:.1}%) · {} samples/s · peak in flight {} ",
            units::seconds(t.step_s),
            100.0 * t.bubble_fraction,
            100.0 * crate::pipeline::textbook_bubble(t.stages, t.micro_batches),
            units::si((t.micro_batches * latencies.micro_batch) as f64 / t.step_s),
            t.peak_in_flight.iter().max().unwrap_or(&0)
        );
        let block = Block::default()
            .borders(if theme.basic {
                Borders::NONE
            } else {
                Borders::TOP
            })
            .title(super::fit::ellipsize(&title, row.width as usize));
        let inner = block.inner(*row);
        frame.render_widget(block, *row);
        frame.render_widget(Paragraph::new(gantt(t, longest, inner.width, theme)), inner);
    }
}

/// One line per stage: each column a slice of the longest step, drawn as the pass covering its
/// middle. All timelines share the scale, so their lengths compare.
fn gantt(t: &Timeline, longest: f64, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let label = 9usize;
    let columns = (width as usize).saturating_sub(label).max(1);
    let per_column = longest / columns as f64;
    (0..t.stages)
        .map(|stage| {
            let mut spans = vec![Span::styled(format!("stage {stage:<2} "), theme.dim)];
            let slots: Vec<_> = t.slots.iter().filter(|s| s.stage == stage).collect();
            for c in 0..columns {
                let at = (c as f64 + 0.5) * per_column;
                if at > t.step_s {
                    break;
                }
                let span = match slots.iter().find(|s| s.start_s <= at && at < s.end_s) {
                    Some(s) => {
                        let (glyph, style): (char, Style) = match s.pass {
                            Pass::Forward => {
                                ((b'0' + (s.micro % 10) as u8) as char, theme.series(0))
                            }
                            Pass::Backward => {
                                ((b'a' + (s.micro % 10) as u8) as char, theme.series(1))
                            }
                        };
                        Span::styled(glyph.to_string(), style.reversed())
                    }
                    None => Span::styled("·", theme.dim),
                };
                spans.push(span);
            }
            Line::from(spans)
        })
        .collect()
}
