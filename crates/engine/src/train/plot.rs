//! Loss curves of the training runs.

use plotters::prelude::*;

use crate::document::plot::{FONT, colour, legend};

/// Loss against step of every trained variant, with the task's floor and the target.
pub fn train_svg(runs: &[crate::train::TrainRun]) -> Result<String, String> {
    let steps = runs.iter().map(|r| r.steps).max().unwrap_or(1).max(1) as f64;
    let floor = runs.first().map_or(0.0, |r| r.floor);
    let target = runs.first().map_or(0.0, |r| r.target);
    let top = runs
        .iter()
        .flat_map(|r| r.losses.iter().map(|(_, l)| *l))
        .fold(target, f64::max);
    let mut svg = String::new();
    {
        let full = SVGBackend::with_string(&mut svg, (1100, 600)).into_drawing_area();
        full.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&full)
            .caption(
                format!(
                    "time to convergence: loss per step (floor {floor:.3} nats, target {target:.3})"
                ),
                (FONT, 18),
            )
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..steps, (floor * 0.9)..(top * 1.05))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("loss [nats / token]")
            .draw()
            .map_err(|e| e.to_string())?;
        for (y, name, style) in [
            (floor, "floor (entropy rate)", BLACK.stroke_width(1)),
            (target, "target", RED.stroke_width(1)),
        ] {
            chart
                .draw_series(LineSeries::new(vec![(0.0, y), (steps, y)], style))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        }
        for (i, r) in runs.iter().enumerate() {
            let c = colour(i);
            // Smoothed as the target is judged, so the curves read.
            let mut smoothed = f64::NAN;
            let curve: Vec<(f64, f64)> = r
                .losses
                .iter()
                .map(|(step, l)| {
                    smoothed = if smoothed.is_nan() {
                        *l
                    } else {
                        0.1 * l + 0.9 * smoothed
                    };
                    (*step as f64, smoothed)
                })
                .collect();
            let label = format!(
                "{}: {} in {} steps",
                r.variant,
                if r.reached { "reached" } else { "not reached" },
                r.steps
            );
            chart
                .draw_series(LineSeries::new(curve, c.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        full.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
