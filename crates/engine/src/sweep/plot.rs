//! Latency-throughput curves of a sweep.

use plotters::prelude::*;

use crate::document::plot::{FONT, colour, legend, log_range};
use crate::units;

/// Latency-throughput curves of a sweep: one panel per sequence length, one line per variant
/// through its batch sizes (each point labelled), log-log; where two variants' order flips, the
/// overtaking variant's point is ringed in red.
pub fn sweep_svg(report: &crate::sweep::SweepReport) -> Result<String, String> {
    let variants = report.variants();
    let lines = report.lines();
    let mut svg = String::new();
    {
        let full = SVGBackend::with_string(&mut svg, (560 * lines.len().max(1) as u32, 560))
            .into_drawing_area();
        full.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = full
            .titled(
                &format!(
                    "latency vs throughput across batch sizes on {} ({} ranking flips)",
                    report.backend,
                    report.flips.len()
                ),
                (FONT, 18),
            )
            .map_err(|e| e.to_string())?;
        for (area, points) in root
            .split_evenly((1, lines.len().max(1)))
            .iter()
            .zip(&lines)
        {
            let (seq, image) = points[0].line();
            let all = points.iter().flat_map(|p| p.values.iter());
            let x = log_range(all.clone().map(|v| v.p50_s * 1e3));
            let y = log_range(all.map(|v| v.throughput()));
            let caption = points[0].line_label(report.decode);
            let mut chart = ChartBuilder::on(area)
                .caption(caption, (FONT, 15))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(x.log_scale(), y.log_scale())
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("latency p50 [ms]")
                .y_desc(format!(
                    "throughput [{}]",
                    crate::sweep::throughput_unit(seq)
                ))
                .x_label_formatter(&|v| units::si(*v))
                .y_label_formatter(&|v| units::si(*v))
                .x_labels(8)
                .y_labels(8)
                .draw()
                .map_err(|e| e.to_string())?;
            for (i, name) in variants.iter().enumerate() {
                let curve: Vec<(f64, f64, usize)> = points
                    .iter()
                    .filter_map(|p| {
                        let v = p.values.iter().find(|v| &v.variant == name)?;
                        Some((v.p50_s * 1e3, v.throughput(), p.batch))
                    })
                    .collect();
                let c = colour(i);
                chart
                    .draw_series(LineSeries::new(
                        curve.iter().map(|(x, y, _)| (*x, *y)),
                        c.stroke_width(2),
                    ))
                    .map_err(|e| e.to_string())?
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                    });
                chart
                    .draw_series(curve.iter().map(|(x, y, b)| {
                        EmptyElement::at((*x, *y))
                            + Circle::new((0, 0), 3, c.filled())
                            + Text::new(format!("b{b}"), (5, -12), (FONT, 10).into_font())
                    }))
                    .map_err(|e| e.to_string())?;
            }
            let rings: Vec<(f64, f64)> = report
                .flips
                .iter()
                .filter(|f| match f.axis {
                    crate::sweep::Axis::Batch => f.fixed == seq.or(image),
                    crate::sweep::Axis::SeqLen => Some(f.to) == seq,
                    crate::sweep::Axis::ImageSize => Some(f.to) == image,
                })
                .filter_map(|f| {
                    let at = points.iter().find(|p| match f.axis {
                        crate::sweep::Axis::Batch => p.batch == f.to,
                        crate::sweep::Axis::SeqLen | crate::sweep::Axis::ImageSize => {
                            Some(p.batch) == f.fixed
                        }
                    })?;
                    let v = at.values.iter().find(|v| v.variant == f.now_faster)?;
                    Some((v.p50_s * 1e3, v.throughput()))
                })
                .collect();
            chart
                .draw_series(
                    rings
                        .iter()
                        .map(|p| Circle::new(*p, 9, RED.stroke_width(2))),
                )
                .map_err(|e| e.to_string())?;
            legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        }
        full.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
