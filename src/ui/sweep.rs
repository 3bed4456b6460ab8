//! Sweep: every variant across batch sizes as latency-throughput curves (log-log), the points
//! as a table, and the batch sizes where two variants swap places called out.

use super::canvas::Canvas;
use ratatui::layout::{Alignment, Rect};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

use super::Theme;
use crate::app::App;
use crate::sweep::{SweepPoint, find_flips};
use crate::units;

pub fn render(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let state = app.sweep();
    let batches = |b: &[usize]| {
        b.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let status = if state.batches.is_empty() {
        "press w to measure every variant at batch 1, 2, 4, 8 and 16".to_owned()
    } else if state.running() {
        format!(
            "batch {}: {} of {} measured",
            batches(&state.batches),
            state.points.len(),
            state.batches.len()
        )
    } else {
        format!("batch {} · w sweeps again", batches(&state.batches))
    };
    let backend = state.backend.map_or(String::new(), |b| format!(" on {b}"));
    let block = theme.block().title(super::fit::title(
        format!(" Sweep{backend} · {status} "),
        area,
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.watched().is_some() && state.points.is_empty() {
        frame.render_widget(
            Paragraph::new("n/a: a sweep runs on a live engine, not on a recorded run")
                .alignment(Alignment::Center),
            inner,
        );
        return;
    }
    if state.points.is_empty() {
        let text = if state.running() {
            "measuring the first batch size…"
        } else {
            "no sweep yet"
        };
        frame.render_widget(Paragraph::new(text).alignment(Alignment::Center), inner);
        return;
    }
    let [chart_area, text_area] = super::fit::beside_or_under(theme, inner, 60);
    render_chart(app, theme, frame, chart_area, &state.points);
    let mut lines: Vec<Line> = Vec::new();
    for p in &state.points {
        let at = match p.seq_len {
            Some(seq) => format!("batch {} · seq_len {seq}", p.batch),
            None => format!("batch {}", p.batch),
        };
        lines.push(Line::styled(at, theme.accent));
        let mut values = p.values.clone();
        values.sort_by(|a, b| b.throughput().total_cmp(&a.throughput()));
        let unit = if p.seq_len.is_some() {
            "tok/s"
        } else {
            "samples/s"
        };
        for v in values {
            lines.push(Line::from(format!(
                "  {:<18} {:>9} {:>10} {unit}",
                v.variant,
                units::seconds(v.p50_s),
                units::si(v.throughput())
            )));
        }
    }
    let flips = find_flips(&state.points);
    lines.push(Line::from(""));
    if flips.is_empty() {
        lines.push(Line::styled("no ranking flips so far", theme.dim));
    }
    for f in flips {
        lines.push(Line::styled(format!("flip: {}", f.describe()), theme.warn));
    }
    // Inside the left border: the rows and columns that are left.
    let block = Block::default().borders(super::fit::text_borders(theme, inner));
    let room = block.inner(text_area);
    let shown =
        super::fit::scroll_text(app, frame, lines, room.width as usize, room.height as usize);
    frame.render_widget(Paragraph::new(shown).block(block), text_area);
}

/// (colour index, variant, its points).
type Series<'a> = (usize, &'a String, Vec<(f64, f64)>);

/// log10 of latency (ms) against log10 of throughput (tokens/s, or samples/s for images), a
/// line per variant through its batches.
fn render_chart(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect, points: &[SweepPoint]) {
    let names: Vec<String> = app.analytic().iter().map(|v| v.name.clone()).collect();
    let series: Vec<Series> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let data = points
                .iter()
                .filter_map(|p| {
                    let v = p.values.iter().find(|v| &v.variant == name)?;
                    Some(((v.p50_s * 1e3).log10(), v.throughput().log10()))
                })
                .collect();
            (i, name, data)
        })
        .filter(|(_, _, d): &Series| !d.is_empty())
        .collect();
    let bounds = |f: fn(&(f64, f64)) -> f64| {
        let (lo, hi) = series
            .iter()
            .flat_map(|(_, _, d)| d.iter().map(f))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let pad = ((hi - lo) * 0.08).max(0.05);
        [lo - pad, hi + pad]
    };
    let (x, y) = (bounds(|p| p.0), bounds(|p| p.1));
    let labels = |b: [f64; 2], unit: &str| {
        [b[0], (b[0] + b[1]) / 2.0, b[1]]
            .map(|v| format!("{}{unit}", units::si(10f64.powf(v))))
            .to_vec()
    };
    let datasets = series
        .iter()
        .map(|(i, name, data)| {
            Dataset::default()
                .name(name.as_str())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.series(*i))
                .data(data)
        })
        .collect();
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .title("latency p50 (log)")
                .bounds(x)
                .labels(labels(x, " ms")),
        )
        .y_axis(
            Axis::default()
                .title(format!("{} (log)", app.suite().workload.throughput_unit()))
                .bounds(y)
                .labels(labels(y, "")),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::BottomRight));
    frame.render_widget(chart, area);
}
