//! Routing: for each MoE variant and layer, the tokens each expert was sent in the last forward
//! pass read back, against its capacity; dropped choices and load imbalance.

use super::canvas::Canvas;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph};

use super::Theme;
use crate::app::App;
use crate::measured::VariantSummary;

pub fn render(app: &App, theme: &Theme, frame: &mut Canvas, area: Rect) {
    let moe: Vec<(usize, &VariantSummary)> = app
        .summary()
        .into_iter()
        .flat_map(|s| s.variants.iter().enumerate())
        .filter(|(_, v)| !v.routing.is_empty())
        .collect();
    let any_moe = app
        .suite()
        .variants
        .iter()
        .any(|v| v.family.supports(crate::family::Feature::Routing));
    if moe.is_empty() {
        let text = if any_moe {
            "waiting for the first measured forward pass of an MoE variant"
        } else {
            "n/a: no MoE variant in this suite"
        };
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .block(theme.block().title(" Routing ")),
            area,
        );
        return;
    }
    // Each MoE variant in at least `ROWS` rows; the others a scroll away.
    const ROWS: u16 = 10;
    let fit = (area.height / ROWS).max(1) as usize;
    let shown = super::fit::window(app, frame, fit, moe.len());
    let mark = shown.in_title();
    let moe = &moe[shown.rows];
    let rows =
        Layout::vertical(vec![Constraint::Ratio(1, moe.len() as u32); moe.len()]).split(area);
    for (k, ((i, v), row)) in moe.iter().zip(rows.iter()).enumerate() {
        let dropped: u64 = v.routing.iter().map(|r| r.dropped).sum();
        let title = format!(
            " {} · {} MoE layers · dropped choices {dropped} · worst imbalance {:.2} (max / mean){} ",
            v.name,
            v.routing.len(),
            v.routing.iter().map(|r| r.imbalance).fold(0.0, f64::max),
            if k == 0 { mark.as_str() } else { "" }
        );
        let block = theme.block().title(super::fit::title(title, *row));
        let inner = block.inner(*row);
        frame.render_widget(block, *row);
        // One scale for every layer of the variant, capacity included, so heights compare.
        let scale = v
            .routing
            .iter()
            .flat_map(|r| r.assigned.iter().copied().chain([r.capacity]))
            .max()
            .unwrap_or(1);
        let columns = Layout::horizontal(vec![
            Constraint::Ratio(1, v.routing.len() as u32);
            v.routing.len()
        ])
        .split(inner);
        for (layer, (stats, column)) in v.routing.iter().zip(columns.iter()).enumerate() {
            let bars: Vec<Bar> = stats
                .assigned
                .iter()
                .enumerate()
                .map(|(e, &n)| {
                    let style = if n > stats.capacity {
                        theme.bad
                    } else {
                        theme.series(*i)
                    };
                    Bar::default().value(n).label(format!("e{e}")).style(style)
                })
                .collect();
            if theme.basic {
                // No bars: each expert's tokens in a line, over capacity marked `!`.
                let counts: Vec<String> = stats
                    .assigned
                    .iter()
                    .enumerate()
                    .map(|(e, &n)| {
                        let over = if n > stats.capacity { "!" } else { "" };
                        format!("e{e} {n}{over}")
                    })
                    .collect();
                let text = format!(
                    "MoE layer {layer}: capacity {}, dropped {}\n{}",
                    stats.capacity,
                    stats.dropped,
                    counts.join("  ")
                );
                frame.render_widget(
                    Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
                    *column,
                );
                continue;
            }
            let width = (column.width.saturating_sub(2) / stats.assigned.len().max(1) as u16)
                .saturating_sub(1)
                .clamp(1, 6);
            frame.render_widget(
                BarChart::default()
                    .block(Block::default().title(super::fit::ellipsize(
                        &format!(
                            "MoE layer {layer}: capacity {}, dropped {}",
                            stats.capacity, stats.dropped
                        ),
                        column.width as usize,
                    )))
                    .data(BarGroup::default().bars(&bars))
                    .max(scale)
                    .bar_width(width)
                    .bar_gap(1),
                *column,
            );
        }
    }
}
