//! Generate: every decoder generating tokens, prefill and decode timed apart. A table of the
//! variants measured so far, and for the focused one its per-token latencies (each step's
//! median over the requests: a step's time as its context grows), the share of a request spent in the prefill, its KV
//! cache and the experts its decode steps ran.

use super::canvas::Canvas;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Dataset, Gauge, GraphType, Paragraph, Row, Table, Wrap,
};

use super::Theme;
use crate::app::App;
use crate::generate::GenerationRun;
use crate::units;

pub fn render(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let state = app.generation();
    let status = if !state.started {
        "press g to generate with every decoder".to_owned()
    } else if state.running() {
        format!(
            "generating with {} ({} of {} done)",
            state.current().unwrap_or_default(),
            state.done(),
            app.analytic().len()
        )
    } else {
        "done · g generates again".to_owned()
    };
    let block = theme
        .block()
        .title(super::fit::title(format!(" Generate · {status} "), area));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let centred = |frame: &mut Canvas, text: &str| {
        frame.render_widget(
            Paragraph::new(text.to_owned())
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            inner,
        );
    };
    if let Some(na) = app.generation_na() {
        return centred(frame, na);
    }
    if app.watched().is_some() && !state.started {
        return centred(
            frame,
            "n/a: generation runs on a live engine, not on a recorded run",
        );
    }
    if state.runs.is_empty() && state.failed.is_empty() {
        let text = if state.started {
            "building the first decoder and warming it up (one untimed request)…".to_owned()
        } else {
            format!(
                "no generation yet: g measures each decoder in turn: {}; one warm-up request, then 3 timed ones, each a prefill and a decode step per token from the KV cache",
                app.suite().workload.describe()
            )
        };
        return centred(frame, &text);
    }
    let rows = (state.done()) as u16 + 2;
    let [table_area, detail_area] = Layout::vertical([
        Constraint::Length(rows.min(inner.height / 2)),
        Constraint::Min(6),
    ])
    .areas(inner);
    render_table(app, theme, frame, table_area);
    let focused = app.focused_name();
    match state.runs.iter().find(|r| r.variant == focused) {
        Some(run) => render_focused(run, theme, frame, detail_area),
        None => {
            let why = state
                .failure(focused)
                .map(|f| format!("{focused}: n/a, {}", f.error))
                .unwrap_or_else(|| format!("{focused}: not measured yet (←/→ focus another)"));
            frame.render_widget(
                Paragraph::new(why)
                    .style(theme.dim)
                    .wrap(Wrap { trim: true }),
                detail_area,
            );
        }
    }
}

fn render_table(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let state = app.generation();
    let header = Row::new(
        [
            "variant",
            "TTFT p50",
            "ITL p50",
            "ITL p99",
            "decode/s",
            "prefill/s",
            "weights/step",
            "KV cache",
            "experts/step",
        ]
        .map(Cell::from),
    )
    .style(theme.accent);
    let focused = app.focused_name();
    let mut rows: Vec<Row> = state
        .runs
        .iter()
        .map(|r| {
            let experts = match (r.experts_per_step, r.analytic.expected_experts_per_layer) {
                (Some(got), Some(expected)) => format!("{got:.2} (exp. {expected:.2})"),
                _ => "n/a: not an MoE".to_owned(),
            };
            let weights = r
                .weight_bytes_per_step
                .unwrap_or(r.analytic.decode_step_weight_bytes as f64);
            let row = Row::new(vec![
                Cell::from(r.variant.clone()),
                Cell::from(units::seconds(r.ttft.p50)),
                Cell::from(units::seconds(r.itl.p50)),
                Cell::from(units::seconds(r.itl.p99)),
                Cell::from(units::si(r.decode_tokens_per_s)),
                Cell::from(units::si(r.prefill_tokens_per_s)),
                Cell::from(units::bytes(weights.round() as u64)),
                Cell::from(units::bytes(r.analytic.kv_cache_bytes)),
                Cell::from(experts),
            ]);
            if r.variant == focused {
                row.style(theme.best)
            } else {
                row
            }
        })
        .collect();
    // The reason goes in the widest column.
    rows.extend(state.failed.iter().map(|failure| {
        let mut cells = vec![Cell::from(failure.variant.clone()), Cell::from("n/a")];
        cells.extend((0..6).map(|_| Cell::from("")));
        cells.push(Cell::from(failure.error.to_string()));
        Row::new(cells).style(theme.dim)
    }));
    let name_width = state
        .runs
        .iter()
        .map(|r| r.variant.len())
        .chain(state.failed.iter().map(|f| f.variant.len()))
        .max()
        .unwrap_or(8)
        .max(8) as u16;
    let widths = [
        Constraint::Length(name_width + 1),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Min(18),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), area);
}

fn render_focused(run: &GenerationRun, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let [chart_area, side] = if theme.basic {
        [Rect::new(area.x, area.y, 0, 0), area]
    } else {
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area)
    };
    let prompt = run.analytic.prompt_len;
    let points: Vec<(f64, f64)> = run
        .step_p50s
        .iter()
        .enumerate()
        .map(|(i, s)| ((prompt + i + 1) as f64, s * 1e3))
        .collect();
    let (lo, hi) = points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let (x0, x1) = (
        (prompt + 1) as f64,
        (prompt + run.step_p50s.len()).max(prompt + 2) as f64,
    );
    let y = [
        if lo.is_finite() { lo * 0.9 } else { 0.0 },
        (hi * 1.1).max(1e-3),
    ];
    let chart = Chart::new(vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.series(0))
            .data(&points),
    ])
    .block(Block::default().title(format!(
        " {}: per-token latency (ms, median of each step) ",
        run.variant
    )))
    .legend_position(None)
    .x_axis(
        Axis::default()
            .title("context (tokens)")
            .bounds([x0, x1])
            .labels(vec![format!("{}", x0 as usize), format!("{}", x1 as usize)]),
    )
    .y_axis(
        Axis::default()
            .title("ms")
            .bounds(y)
            .labels(vec![format!("{:.2}", y[0]), format!("{:.2}", y[1])]),
    );
    frame.render_widget(chart, chart_area);

    let [split, cache, text] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Min(3),
    ])
    .areas(side);
    // The request's time: the prefill, then every decode step.
    let decode = run.itl.mean * run.analytic.gen_len as f64;
    let request = run.ttft.p50 + decode;
    let prefill_share = if request > 0.0 {
        (run.ttft.p50 / request).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let label = format!(
        "prefill {} ({:.0}%) · decode {}",
        units::seconds(run.ttft.p50),
        prefill_share * 100.0,
        units::seconds(decode)
    );
    let style = theme.series(1);
    share_bar(
        theme,
        frame,
        split,
        " prefill | decode ",
        style,
        prefill_share,
        label,
    );
    let memory = run.analytic.memory_estimate_bytes.max(1);
    let kv_share = (run.analytic.kv_cache_bytes as f64 / memory as f64).clamp(0.0, 1.0);
    let label = format!(
        "{} of {} to generate ({:.1}%)",
        units::bytes(run.analytic.kv_cache_bytes),
        units::bytes(memory),
        kv_share * 100.0
    );
    share_bar(
        theme,
        frame,
        cache,
        " KV cache ",
        theme.series(2),
        kv_share,
        label,
    );
    let a = &run.analytic;
    let mut lines = vec![
        Line::from(format!(
            "decode step: {}, {} of weights and {} of KV cache read",
            units::flops(a.decode_step_flops.round() as u64),
            units::bytes(a.decode_step_weight_bytes),
            units::bytes(a.decode_step_kv_read_bytes.round() as u64)
        )),
        Line::from(format!(
            "intensity {:.2} FLOP/B; achieved {} of weights/s",
            a.decode_arithmetic_intensity,
            units::bytes(if run.itl.p50 > 0.0 {
                (a.decode_step_weight_bytes as f64 / run.itl.p50).round() as u64
            } else {
                0
            })
        )),
    ];
    if let (Some(got), Some(expected)) = (run.experts_per_step, a.expected_experts_per_layer) {
        lines.push(Line::from(format!(
            "experts per MoE layer and step: {got:.2} routed, {expected:.2} expected at batch {}",
            a.batch
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), text);
}

/// A share as a bar with its label, or in basic mode the label alone under its title.
fn share_bar(
    theme: &Theme,
    frame: &mut Canvas,
    area: Rect,
    title: &str,
    style: ratatui::style::Style,
    ratio: f64,
    label: String,
) {
    let block = theme.block().title(title.to_owned());
    if theme.basic {
        frame.render_widget(Paragraph::new(label).block(block), area);
    } else {
        frame.render_widget(
            Gauge::default()
                .block(block)
                .gauge_style(style)
                .ratio(ratio)
                .label(label),
            area,
        );
    }
}
