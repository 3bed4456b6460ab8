//! The pipeline timelines of one step.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::document::plot::{FONT, colour};
use crate::units;

/// The pipeline's timelines (training GPipe and 1F1B, and inference) at the drawn number of
/// micro-batches, one row per stage, on one time axis.
pub fn pipeline_svg(report: &crate::pipeline::PipelineReport) -> Result<String, String> {
    use crate::pipeline::{Mode, Pass, Schedule};
    let m = report.drawn_micro_batches;
    let mut timelines = Vec::new();
    if report.stages.backward_s.is_some() {
        for schedule in Schedule::ALL {
            if let Some(t) = report.timeline(Mode::Training, schedule, m) {
                timelines.push((format!("training, {}", schedule.name()), t));
            }
        }
    }
    if let Some(t) = report.timeline(Mode::Inference, Schedule::GPipe, m) {
        timelines.push(("inference".to_owned(), t));
    }
    let longest = timelines.iter().map(|(_, t)| t.step_s).fold(0.0, f64::max) * 1e3;
    let p = report.stages.layers.len();
    let panel = (70 + 34 * p) as u32;
    let mut svg = String::new();
    {
        let full = SVGBackend::with_string(&mut svg, (1100, 50 + panel * timelines.len() as u32))
            .into_drawing_area();
        full.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = full
            .titled(
                &format!(
                    "{}: {p} pipeline stages, {m} micro-batches of {} on {}",
                    report.stages.variant, report.stages.micro_batch, report.stages.backend
                ),
                (FONT, 18),
            )
            .map_err(|e| e.to_string())?;
        for (area, (name, t)) in root
            .split_evenly((timelines.len(), 1))
            .iter()
            .zip(&timelines)
        {
            let caption = format!(
                "{name}: step {}, bubble {:.1}% (textbook {:.1}%)",
                units::seconds(t.step_s),
                100.0 * t.bubble_fraction,
                100.0 * crate::pipeline::textbook_bubble(t.stages, t.micro_batches)
            );
            let mut chart = ChartBuilder::on(area)
                .caption(caption, (FONT, 14))
                .margin(8)
                .x_label_area_size(30)
                .y_label_area_size(70)
                .build_cartesian_2d(0.0..longest, 0.0..p as f64)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("ms")
                .y_labels(0)
                .disable_y_mesh()
                .draw()
                .map_err(|e| e.to_string())?;
            let row = |stage: usize| (p - stage) as f64;
            chart
                .draw_series(t.slots.iter().map(|s| {
                    let colour = match s.pass {
                        Pass::Forward => colour(0),
                        Pass::Backward => colour(1),
                    };
                    // A hairline gap keeps back-to-back passes apart.
                    let gap = (longest * 0.002).min((s.end_s - s.start_s) * 1e3 * 0.2);
                    Rectangle::new(
                        [
                            (s.start_s * 1e3, row(s.stage) - 0.1),
                            (s.end_s * 1e3 - gap, row(s.stage) - 0.9),
                        ],
                        colour.filled(),
                    )
                }))
                .map_err(|e| e.to_string())?;
            let centre =
                TextStyle::from((FONT, 11).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(t.slots.iter().map(|s| {
                    let label = match s.pass {
                        Pass::Forward => format!("F{}", s.micro),
                        Pass::Backward => format!("B{}", s.micro),
                    };
                    Text::new(
                        label,
                        ((s.start_s + s.end_s) * 5e2, row(s.stage) - 0.5),
                        centre.clone(),
                    )
                }))
                .map_err(|e| e.to_string())?;
            let left =
                TextStyle::from((FONT, 12).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
            for stage in 0..p {
                let (px, py) = chart.backend_coord(&(0.0, row(stage) - 0.5));
                full.draw(&Text::new(
                    format!("stage {stage}"),
                    (px - 6, py),
                    left.clone(),
                ))
                .map_err(|e| e.to_string())?;
            }
        }
        full.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
