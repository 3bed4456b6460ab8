//! The roofline with every placed point.

use plotters::prelude::*;

use crate::document::plot::{FONT, colour, legend};
use crate::units;

/// The roofline, log-log: the bandwidth slope up to the ridge, then the FLOP/s ceiling; every
/// point labelled `variant: part`, whole models as filled circles, parts as hollow ones.
pub fn roofline_svg(r: &crate::roofline::Roofline) -> Result<String, String> {
    let peaks = &r.peaks;
    let intensities = r
        .points
        .iter()
        .map(|p| p.intensity)
        .chain([r.ridge_flop_per_byte]);
    let (lo, hi) = intensities.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let x = (lo / 4.0)..(hi * 4.0);
    let y_lo = r
        .points
        .iter()
        .map(|p| p.achieved_flops_per_s)
        .chain([crate::roofline::roof(peaks, x.start)])
        .fold(f64::INFINITY, f64::min)
        / 3.0;
    let y = y_lo..(peaks.flops_per_s * 3.0);
    let variants: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for p in &r.points {
            if !v.contains(&p.variant.as_str()) {
                v.push(&p.variant);
            }
        }
        v
    };
    let mut svg = String::new();
    {
        let full = SVGBackend::with_string(&mut svg, (1100, 700)).into_drawing_area();
        full.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&full)
            .caption(
                format!(
                    "roofline of {}: peak {}, {}; ridge {:.1} FLOP/B",
                    r.backend,
                    units::with_unit(peaks.flops_per_s, "FLOP/s"),
                    units::with_unit(peaks.bytes_per_s, "B/s"),
                    r.ridge_flop_per_byte
                ),
                (FONT, 18),
            )
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(x.clone().log_scale(), y.log_scale())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("arithmetic intensity [FLOP/B]")
            .y_desc("achieved [FLOP/s]")
            .x_label_formatter(&|v| units::si(*v))
            .y_label_formatter(&|v| units::si(*v))
            .draw()
            .map_err(|e| e.to_string())?;
        let steps = 60;
        let roof_line: Vec<(f64, f64)> = (0..=steps)
            .map(|i| {
                let ai = x.start * (x.end / x.start).powf(i as f64 / steps as f64);
                (ai, crate::roofline::roof(peaks, ai))
            })
            .collect();
        chart
            .draw_series(LineSeries::new(roof_line, BLACK.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label("roof: min(peak FLOP/s, intensity x peak B/s)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2)));
        for (i, name) in variants.iter().enumerate() {
            let c = colour(i);
            let mine: Vec<&crate::roofline::RooflinePoint> =
                r.points.iter().filter(|p| p.variant == *name).collect();
            chart
                .draw_series(mine.iter().map(|p| {
                    let style = if p.part == "model" {
                        c.filled()
                    } else {
                        c.stroke_width(2)
                    };
                    EmptyElement::at((p.intensity, p.achieved_flops_per_s))
                        + Circle::new((0, 0), if p.part == "model" { 6 } else { 4 }, style)
                        + Text::new(
                            format!("{}: {}", p.variant, p.part),
                            (7, -12),
                            (FONT, 10).into_font(),
                        )
                }))
                .map_err(|e| e.to_string())?
                .label(*name)
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        full.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
