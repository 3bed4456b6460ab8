//! Train: time to convergence. Every variant trained in turn on the Markov-chain task; the
//! smoothed loss of each against its step, with the task's floor and the target, and the
//! finished runs' steps, tokens, time and training FLOPs to the target.

use super::canvas::Canvas;
use ratatui::layout::{Alignment, Rect};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Wrap};

use super::Theme;
use crate::app::App;
use crate::units;

/// (colour index, variant, (step, loss) points).
type Curve<'a> = (usize, &'a str, Vec<(f64, f64)>);

pub fn render(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let state = app.training();
    let Some(floor) = app.loss_floor() else {
        let block = theme.block().title(" Train ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(format!(
                "n/a: the convergence task is next-token prediction, and this suite's variants take {}",
                match app.suite().workload.input {
                    crate::arch::Input::Custom(_) => "an input of your own",
                    _ => "images",
                }
            ))
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let target = floor + crate::train::DEFAULT_MARGIN;
    let status = if !state.started {
        "press t to train every variant".to_owned()
    } else if state.running() {
        format!(
            "training {} ({} of {} done)",
            state.current().unwrap_or_default(),
            state.done(),
            app.analytic().len()
        )
    } else {
        "done · t trains again".to_owned()
    };
    let block = theme.block().title(super::fit::title(
        format!(" Train · floor {floor:.3} nats (entropy rate) · target {target:.3} · {status} "),
        area,
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.watched().is_some() && !state.started {
        frame.render_widget(
            Paragraph::new("n/a: training runs on a live engine, not on a recorded run")
                .alignment(Alignment::Center),
            inner,
        );
        return;
    }
    if state.partial.is_empty() {
        let text = if state.started {
            "building the first variant on the autodiff device…"
        } else {
            "no training yet: t trains each variant in turn (Adam, the suite's batch) until its smoothed loss reaches the target, or 2000 steps"
        };
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let [chart_area, text_area] = super::fit::beside_or_under(theme, inner, 60);

    let steps = state
        .partial
        .iter()
        .flat_map(|(_, c)| c.last().map(|p| p.0))
        .max()
        .unwrap_or(1)
        .max(10) as f64;
    let top = state
        .partial
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.1))
        .fold(target, f64::max);
    let names: Vec<&str> = app.analytic().iter().map(|v| v.name.as_str()).collect();
    let data: Vec<Curve> = state
        .partial
        .iter()
        .map(|(v, c)| {
            let i = names.iter().position(|n| n == v).unwrap_or(0);
            (
                i,
                v.as_str(),
                c.iter().map(|(s, l)| (*s as f64, *l)).collect(),
            )
        })
        .collect();
    let lines = [
        ("floor", vec![(0.0, floor), (steps, floor)]),
        ("target", vec![(0.0, target), (steps, target)]),
    ];
    let mut datasets: Vec<Dataset> = lines
        .iter()
        .map(|(name, d)| {
            Dataset::default()
                .name(*name)
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(if *name == "floor" {
                    theme.dim
                } else {
                    theme.warn
                })
                .data(d)
        })
        .collect();
    for (i, name, d) in &data {
        datasets.push(
            Dataset::default()
                .name(*name)
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.series(*i))
                .data(d),
        );
    }
    let y = [floor * 0.9, top * 1.05];
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .title("step")
                .bounds([0.0, steps])
                .labels(vec!["0".to_owned(), format!("{}", steps as usize)]),
        )
        .y_axis(
            Axis::default()
                .title("loss (smoothed)")
                .bounds(y)
                .labels(vec![format!("{:.2}", y[0]), format!("{:.2}", y[1])]),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::TopRight));
    frame.render_widget(chart, chart_area);

    let mut text = vec![Line::styled(
        format!(
            "{:<16} {:>6} {:>8} {:>8} {:>11}",
            "variant", "steps", "tokens", "time", "train FLOPs"
        ),
        theme.accent,
    )];
    for r in &state.runs {
        let style = if r.reached { theme.good } else { theme.warn };
        text.push(Line::styled(
            format!(
                "{:<16} {:>6} {:>8} {:>8} {:>11}{}",
                r.variant,
                r.steps,
                units::si(r.tokens as f64),
                units::seconds(r.wall_s),
                units::flops(r.train_flops),
                if r.reached { "" } else { " (not reached)" }
            ),
            style,
        ));
    }
    for failure in &state.failed {
        text.push(Line::styled(
            format!("{}: n/a, {}", failure.variant, failure.error),
            theme.dim,
        ));
    }
    // Inside the left border: the rows and columns that are left.
    let block = Block::default().borders(super::fit::text_borders(theme, inner));
    let room = block.inner(text_area);
    let shown =
        super::fit::scroll_text(app, frame, text, room.width as usize, room.height as usize);
    frame.render_widget(Paragraph::new(shown).block(block), text_area);
}
