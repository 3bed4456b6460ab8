//! Roofline: the backend's measured roofs, every variant placed by arithmetic intensity and
//! achieved FLOP/s, and the focused variant's parts (timed alone) beside it; log-log.

use super::canvas::Canvas;
use ratatui::layout::{Alignment, Rect};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

use super::Theme;
use crate::app::App;
use crate::roofline::{Roofline, RooflinePoint, roof};
use crate::units;

pub fn render(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let backend = app
        .summary()
        .map_or(app.backend().to_string(), |s| s.run.backend.to_string());
    let parts = match app.parts_na() {
        Some(_) => "whole models".to_owned(),
        None => format!("parts of {}", app.focused_name()),
    };
    let block = theme.block().title(super::fit::title(
        format!(" Roofline · {backend} · {parts} "),
        area,
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(r) = app.roofline() else {
        frame.render_widget(
            Paragraph::new("waiting for the backend's peaks and the first measurements")
                .alignment(Alignment::Center),
            inner,
        );
        return;
    };
    let [chart_area, text_area] = super::fit::beside_or_under(theme, inner, 58);
    render_chart(app, theme, frame, chart_area, &r);

    let mut lines = vec![
        Line::from(format!(
            "peak {} · {} · ridge {:.1} FLOP/B",
            units::with_unit(r.peaks.flops_per_s, "FLOP/s"),
            units::with_unit(r.peaks.bytes_per_s, "B/s"),
            r.ridge_flop_per_byte
        )),
        Line::styled(
            "left of the ridge memory-bound: fewer bytes would save time, fewer FLOPs not",
            theme.dim,
        ),
        Line::from(""),
        Line::styled(
            format!(
                "{:<22} {:>7} {:>14} {:>8}  bound",
                "variant · part", "FLOP/B", "achieved", "of roof"
            ),
            theme.accent,
        ),
    ];
    let row = |p: &RooflinePoint| {
        let name = if p.part == "model" {
            p.variant.clone()
        } else {
            format!("  · {}", p.part)
        };
        Line::from(format!(
            "{:<22} {:>7.1} {:>14} {:>7.1}%  {:?}",
            name,
            p.intensity,
            units::with_unit(p.achieved_flops_per_s, "FLOP/s"),
            p.pct_of_roof,
            p.bound
        ))
    };
    for p in r.points.iter().filter(|p| p.part == "model") {
        lines.push(row(p));
        if p.variant == app.focused_name() {
            lines.extend(r.points.iter().filter(|q| q.part != "model").map(row));
        }
    }
    if let Some(na) = app.parts_na() {
        lines.push(Line::styled(format!("parts {na}"), theme.dim));
    }
    if app.parts_pending() {
        lines.push(Line::styled(
            format!("timing the parts of {}…", app.focused_name()),
            theme.warn,
        ));
    }
    for note in &r.notes {
        lines.push(Line::styled(note.clone(), theme.dim));
    }
    // Inside the left border: the rows and columns that are left.
    let block = Block::default().borders(super::fit::text_borders(theme, inner));
    let room = block.inner(text_area);
    let shown =
        super::fit::scroll_text(app, frame, lines, room.width as usize, room.height as usize);
    frame.render_widget(Paragraph::new(shown).block(block), text_area);
}

/// (colour index, variant, its one point).
type ModelPoint = (usize, String, Vec<(f64, f64)>);

fn render_chart(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect, r: &Roofline) {
    let log = |v: f64| v.log10();
    let (lo, hi) = r
        .points
        .iter()
        .map(|p| p.intensity)
        .chain([r.ridge_flop_per_byte])
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let x = [log(lo / 4.0), log(hi * 4.0)];
    let y_lo = r
        .points
        .iter()
        .map(|p| p.achieved_flops_per_s)
        .chain([roof(&r.peaks, lo / 4.0)])
        .fold(f64::INFINITY, f64::min);
    let y = [log(y_lo / 2.0), log(r.peaks.flops_per_s * 2.0)];
    let roof_line: Vec<(f64, f64)> = [lo / 4.0, r.ridge_flop_per_byte, hi * 4.0]
        .iter()
        .map(|ai| (log(*ai), log(roof(&r.peaks, *ai))))
        .collect();
    let names: Vec<&str> = app.analytic().iter().map(|v| v.name.as_str()).collect();
    let models: Vec<ModelPoint> = r
        .points
        .iter()
        .filter(|p| p.part == "model")
        .map(|p| {
            let i = names.iter().position(|n| *n == p.variant).unwrap_or(0);
            (
                i,
                p.variant.clone(),
                vec![(log(p.intensity), log(p.achieved_flops_per_s))],
            )
        })
        .collect();
    let parts: Vec<(f64, f64)> = r
        .points
        .iter()
        .filter(|p| p.part != "model")
        .map(|p| (log(p.intensity), log(p.achieved_flops_per_s)))
        .collect();
    let mut datasets = vec![
        Dataset::default()
            .name("roof")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.dim)
            .data(&roof_line),
    ];
    for (i, name, data) in &models {
        datasets.push(
            Dataset::default()
                .name(name.as_str())
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(theme.series(*i))
                .data(data),
        );
    }
    let parts_name = format!("{} parts", app.focused_name());
    if !parts.is_empty() {
        datasets.push(
            Dataset::default()
                .name(parts_name.as_str())
                .marker(Marker::Block)
                .graph_type(GraphType::Scatter)
                .style(theme.warn)
                .data(&parts),
        );
    }
    let labels = |b: [f64; 2], unit: &str| {
        [b[0], (b[0] + b[1]) / 2.0, b[1]]
            .map(|v| format!("{}{unit}", units::si(10f64.powf(v))))
            .to_vec()
    };
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .title("FLOP/B (log)")
                .bounds(x)
                .labels(labels(x, "")),
        )
        .y_axis(
            Axis::default()
                .title("FLOP/s (log)")
                .bounds(y)
                .labels(labels(y, "")),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::BottomRight));
    frame.render_widget(chart, area);
}
