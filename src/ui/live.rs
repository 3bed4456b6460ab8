//! Live: gauges for the focused variant, and every variant's throughput and latency over the
//! last minute.

use super::canvas::Canvas;
use std::borrow::Cow;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, Gauge, GraphType, Paragraph, Sparkline};

use super::Theme;
use super::fit::{ellipsize, ellipsize_line};
use crate::app::history::WINDOW_S;
use crate::app::{Action, App, Area};
use crate::measured::{Phase, VariantSummary};
use crate::units;

/// Below this width the charts go under the gauges, or give way to them.
const WIDE: u16 = 120;
/// The fewest rows a chart is drawn in.
const CHART_ROWS: u16 = 10;

pub fn render(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    if theme.basic {
        // No charts: the figures and the variants take the screen.
        return render_gauges(app, theme, frame, area);
    }
    if area.width >= WIDE {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(38), Constraint::Percentage(62)])
                .areas(area);
        render_gauges(app, theme, frame, left);
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
        render_chart(app, theme, frame, top, Metric::Throughput);
        render_chart(app, theme, frame, bottom, Metric::Latency);
        return;
    }
    // Narrow: the gauges across the screen with every variant listed, the charts side by side
    // under them where there is room, and none where there is not.
    let gauges = GAUGE_ROWS + app.analytic().len() as u16 + 1 + 2;
    if area.height < gauges + CHART_ROWS {
        render_gauges(app, theme, frame, area);
        return;
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Length(gauges), Constraint::Min(CHART_ROWS)]).areas(area);
    render_gauges(app, theme, frame, top);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    render_chart(app, theme, frame, left, Metric::Throughput);
    render_chart(app, theme, frame, right, Metric::Latency);
}

/// The rows of the gauges above the variants: five of two rows and the sparkline's five.
const GAUGE_ROWS: u16 = 15;

/// The focused variant's figures; a model of your own's rates from its traced counts.
fn focused(app: &App) -> Option<Cow<'_, VariantSummary>> {
    let name = app.focused_name();
    let summary = app.summary()?;
    let measured = summary.variants.iter().find(|v| v.name == name)?;
    Some(match app.analytic().iter().find(|a| a.name == name) {
        Some(analytic) => crate::report::with_traced_rates(
            &crate::report::Compared { analytic, measured },
            summary.run.peaks,
        ),
        None => Cow::Borrowed(measured),
    })
}

fn phase_text(v: Option<&VariantSummary>) -> String {
    match v.map(|v| &v.phase) {
        None | Some(Phase::Pending) => "waiting".into(),
        Some(Phase::Building { elapsed_s }) => format!("building, {elapsed_s:.1} s"),
        Some(Phase::WarmingUp { runs, elapsed_s }) => {
            format!("warming up: {runs} runs, {elapsed_s:.1} s")
        }
        Some(Phase::Measuring) => "measuring".into(),
        Some(Phase::Failed { reason }) => format!("n/a: {reason}"),
    }
}

/// A gauge in `area`, its title and label cut with an ellipsis where they are wider.
fn draw_gauge(
    frame: &mut Canvas,
    area: Rect,
    title: String,
    ratio: Option<f64>,
    label: String,
    theme: &Theme,
) {
    let width = area.width as usize;
    if theme.basic {
        // No bar: the share in words after the figure.
        let share = ratio
            .map(|r| format!(" ({:.0}%)", r * 100.0))
            .unwrap_or_default();
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(ellipsize(&title, width), theme.dim)),
                Line::from(ellipsize(&format!("{label}{share}"), width)),
            ]),
            area,
        );
        return;
    }
    let gauge = Gauge::default()
        .block(Block::default().title(ellipsize(&title, width)))
        .gauge_style(theme.accent)
        .ratio(ratio.unwrap_or(0.0).clamp(0.0, 1.0))
        .label(ellipsize(&label, width));
    frame.render_widget(gauge, area);
}

fn render_gauges(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let focused = focused(app);
    let v = focused.as_deref();
    let title = format!(" {} · {} ", app.focused_name(), phase_text(v));
    let block = theme.block().title(super::fit::title(title, area));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The sparkline gives up rows (down to two) before the variants do.
    let listed = app.analytic().len() as u16 + 1;
    let spark = if theme.basic {
        0
    } else {
        inner.height.saturating_sub(10 + listed).clamp(2, 5)
    };
    let rows = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(spark),
        Constraint::Min(3),
    ])
    .split(inner);

    let tps = v.and_then(|v| v.throughput());
    let unit = app.suite().workload.throughput_unit();
    let best = app
        .history()
        .best_throughput
        .get(app.focused_name())
        .copied();
    draw_gauge(
        frame,
        rows[0],
        "throughput (of the best seen)".into(),
        tps.zip(best).map(|(t, b)| t / b),
        tps.map(|t| format!("{} {unit}", units::si(t)))
            .unwrap_or_else(|| "n/a: not measured yet".into()),
        theme,
    );

    let latency = v.and_then(|v| v.latency);
    let latency_text = match latency {
        Some(l) => format!(
            "p50 {}  p99 {}  mean {}  CV {:.1}%  n {}",
            units::seconds(l.p50_s),
            units::seconds(l.p99_s),
            units::seconds(l.mean_s),
            l.cv * 100.0,
            l.iterations
        ),
        None => "n/a: not measured yet".into(),
    };
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(Span::styled("latency", theme.dim)),
            Line::from(ellipsize(&latency_text, rows[1].width as usize)),
        ]),
        rows[1],
    );

    let pct = v.and_then(|v| v.pct_peak_flops);
    draw_gauge(
        frame,
        rows[2],
        "FLOP/s (of the backend's peak)".into(),
        pct.map(|p| p / 100.0),
        match (v.and_then(|v| v.flops_per_s), pct) {
            (Some(f), Some(p)) => format!("{} · {p:.1}%", units::with_unit(f, "FLOP/s")),
            (Some(f), None) => format!("{} · peak n/a", units::with_unit(f, "FLOP/s")),
            _ => "n/a: not measured yet".into(),
        },
        theme,
    );

    let process = app.summary().map(|s| s.run.process);
    draw_gauge(
        frame,
        rows[3],
        "process memory (RSS of total)".into(),
        process.map(|p| p.rss_bytes as f64 / p.total_memory_bytes.max(1) as f64),
        match process {
            Some(p) => format!(
                "{} · peak {} · heap/forward {}",
                units::bytes(p.rss_bytes),
                units::bytes(p.rss_peak_bytes),
                v.and_then(|v| v.heap_peak_bytes)
                    .map(units::bytes)
                    .unwrap_or_else(|| "n/a".into())
            ),
            None => "n/a: not sampled yet".into(),
        },
        theme,
    );

    let device = app.summary().and_then(|s| s.run.device_memory);
    let device_na = app.summary().and_then(|s| s.run.device_memory_na.clone());
    draw_gauge(
        frame,
        rows[4],
        "device memory (in use of reserved)".into(),
        device.map(|d| d.in_use_bytes as f64 / d.reserved_bytes.max(1) as f64),
        match (device, device_na) {
            (Some(d), _) => format!(
                "{} of {}",
                units::bytes(d.in_use_bytes),
                units::bytes(d.reserved_bytes)
            ),
            (None, Some(_)) if app.summary().is_some_and(|s| s.run.backend.is_host()) => {
                "n/a: host backend, see process memory".into()
            }
            (None, Some(why)) => format!("n/a: {why}"),
            (None, None) => "n/a".into(),
        },
        theme,
    );

    let recent: Vec<u64> = v
        .map(|v| {
            v.recent_latency_s
                .iter()
                .map(|s| (s * 1e6) as u64)
                .collect()
        })
        .unwrap_or_default();
    if !theme.basic {
        frame.render_widget(
            Sparkline::default()
                .block(Block::default().title("recent iterations (latency)"))
                .style(theme.accent)
                .data(&recent),
            rows[5],
        );
    }
    render_legend(app, theme, frame, rows[6]);
}

/// Every variant in its chart colour, with where it stands: the charts' legend and the
/// progress of long work in one list.
fn render_legend(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let summary = app.summary();
    // In the tables' order: the baseline, then the variants the filter lets through, sorted.
    let order = app.shown();
    let n = order.len();
    let focus = order.iter().position(|&i| i == app.focus()).unwrap_or(0);
    // Under the title; a window around the focus where not all fit, its last row saying so.
    let room = area.height.saturating_sub(1) as usize;
    let shown = if n <= room {
        0..n
    } else {
        let rows = room.saturating_sub(1);
        let first = focus.saturating_sub(rows / 2).min(n - rows);
        first..first + rows
    };
    let mut lines: Vec<Line> = order[shown.clone()]
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let a = &app.analytic()[i];
            let v = summary.and_then(|s| s.variants.iter().find(|v| v.name == a.name));
            let status = match (v.map(|v| &v.phase), v.and_then(|v| v.latency)) {
                (Some(Phase::Measuring), Some(l)) => format!("p50 {}", units::seconds(l.p50_s)),
                _ => phase_text(v),
            };
            let marker = if i == app.focus() { "▶ " } else { "■ " };
            let row = area.y + 1 + k as u16;
            frame.clickable(
                Area {
                    x: area.x,
                    y: row,
                    width: area.width,
                    height: 1,
                },
                Action::Focus(i),
            );
            let line = Line::from(vec![
                Span::styled(marker, theme.series(i)),
                Span::styled(format!("{:<18}", ellipsize(&a.name, 17)), theme.series(i)),
                Span::raw(status),
            ]);
            ellipsize_line(line, area.width as usize)
        })
        .collect();
    if shown.len() < n {
        lines.push(Line::styled(
            format!("{} of {n} variants shown (←→ moves the focus)", shown.len()),
            theme.dim,
        ));
    }
    let title = format!("variants{}", super::arranged_mark(app, n));
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().title(ellipsize(&title, area.width as usize))),
        area,
    );
}

#[derive(Clone, Copy, PartialEq)]
enum Metric {
    Throughput,
    Latency,
}

fn render_chart(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect, metric: Metric) {
    let names: Vec<&str> = app.analytic().iter().map(|a| a.name.as_str()).collect();
    // The variants the filter lets through; a chart keeps each one's colour.
    let shown = app.shown();
    let series: Vec<(usize, Vec<(f64, f64)>)> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| shown.contains(i))
        .filter_map(|(i, n)| {
            let s = app.history().series.get(*n)?;
            let points = match metric {
                Metric::Throughput => &s.throughput,
                Metric::Latency => &s.latency_ms,
            };
            Some((i, points.iter().copied().collect()))
        })
        .collect();
    let t1 = app.history().latest_s.max(1.0);
    let t0 = (t1 - WINDOW_S).max(0.0);
    let y_max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    let datasets: Vec<Dataset> = series
        .iter()
        .map(|(i, points)| {
            Dataset::default()
                .name(names[*i])
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.series(*i))
                .data(points)
        })
        .collect();
    let (title, unit) = match metric {
        Metric::Throughput => (
            " throughput, last 60 s ",
            app.suite().workload.throughput_unit(),
        ),
        Metric::Latency => (" latency p50, last 60 s ", "ms"),
    };
    let chart = Chart::new(datasets)
        .block(theme.block().title(title))
        .x_axis(
            Axis::default()
                .bounds([t0, t1])
                .labels(vec![format!("{t0:.0} s"), format!("{t1:.0} s")])
                .style(theme.dim),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, y_max])
                .labels(vec!["0".to_owned(), format!("{} {unit}", units::si(y_max))])
                .style(theme.dim),
        );
    frame.render_widget(chart, area);
}
