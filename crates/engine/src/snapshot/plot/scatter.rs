//! Scatter panels: executed FLOPs and parameters against latency and throughput.

use crate::snapshot::{Snapshot, SnapshotVariant};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::document::plot::{FONT, colour, log_range};
use crate::units;

struct Panel {
    title: &'static str,
    x_desc: &'static str,
    y_desc: &'static str,
    /// (variant, x, y) where both are known.
    points: Vec<(String, f64, f64)>,
    /// Variants left out, and why.
    missing: Vec<String>,
}

fn panel(
    s: &Snapshot,
    title: &'static str,
    x_desc: &'static str,
    y_desc: &'static str,
    f: impl Fn(&SnapshotVariant) -> (f64, Option<f64>),
) -> Panel {
    let mut points = Vec::new();
    let mut missing = Vec::new();
    for v in &s.variants {
        match f(v) {
            (x, Some(y)) if x > 0.0 && y > 0.0 => points.push((v.analytic.name.clone(), x, y)),
            _ => missing.push(v.analytic.name.clone()),
        }
    }
    Panel {
        title,
        x_desc,
        y_desc,
        points,
        missing,
    }
}

/// Three panels: executed FLOPs vs p50 latency, parameters vs p50 latency, executed FLOPs vs
/// throughput; log-log, each point labelled with its variant.
pub fn scatter_svg(s: &Snapshot) -> Result<String, String> {
    let latency_ms = |v: &SnapshotVariant| v.measured.latency.map(|l| l.p50_s * 1e3);
    // A model of your own is counted from its recorded pass, not by formula.
    let traced = |v: &SnapshotVariant| v.analytic.traced.as_ref().and_then(|t| t.counts().cloned());
    let flops = |v: &SnapshotVariant| match &v.analytic.cost {
        Some(c) => c.totals.flops_executed as f64,
        None => traced(v).map_or(0.0, |t| t.flops as f64),
    };
    let params = |v: &SnapshotVariant| match &v.analytic.cost {
        Some(c) => c.params_total as f64,
        None => traced(v).map_or(0.0, |t| t.params as f64),
    };
    let panels = [
        panel(
            s,
            "FLOPs vs latency",
            "FLOPs executed",
            "latency p50 [ms]",
            |v| (flops(v), latency_ms(v)),
        ),
        panel(
            s,
            "Parameters vs latency",
            "parameters",
            "latency p50 [ms]",
            |v| (params(v), latency_ms(v)),
        ),
        panel(
            s,
            "FLOPs vs throughput",
            "FLOPs executed",
            if s.suite.workload.tokens().is_some() {
                "throughput [tokens/s]"
            } else {
                "throughput [samples/s]"
            },
            |v| (flops(v), v.measured.throughput()),
        ),
    ];
    let mut svg = String::new();
    {
        let full = SVGBackend::with_string(&mut svg, (1500, 520)).into_drawing_area();
        full.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = full
            .titled(
                &format!("{}: {} on {}", s.suite.name, s.run.backend, s.run.adapter),
                (FONT, 20),
            )
            .map_err(|e| e.to_string())?;
        let names: Vec<&str> = s
            .variants
            .iter()
            .map(|v| v.analytic.name.as_str())
            .collect();
        for (area, p) in root.split_evenly((1, 3)).iter().zip(&panels) {
            draw_scatter(area, &full, p, &names).map_err(|e| e.to_string())?;
        }
        full.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// `full`: the whole picture, where backend coordinates are absolute.
fn draw_scatter(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    full: &DrawingArea<SVGBackend<'_>, Shift>,
    p: &Panel,
    names: &[&str],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut chart = ChartBuilder::on(area)
        .caption(p.title, (FONT, 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            log_range(p.points.iter().map(|q| q.1)).log_scale(),
            log_range(p.points.iter().map(|q| q.2)).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc(p.x_desc)
        .y_desc(p.y_desc)
        .x_label_formatter(&|v| units::si(*v))
        .y_label_formatter(&|v| units::si(*v))
        .x_labels(8)
        .y_labels(8)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart.draw_series(p.points.iter().map(|(name, x, y)| {
        let i = names.iter().position(|n| n == name).unwrap_or(0);
        EmptyElement::at((*x, *y))
            + Circle::new((0, 0), 5, colour(i).filled())
            + Text::new(name.clone(), (7, -14), (FONT, 12).into_font())
    }))?;
    if !p.missing.is_empty() {
        let (x, y) = chart.backend_coord(&(chart.x_range().start, chart.y_range().end));
        full.draw(&Text::new(
            format!("not measured: {}", p.missing.join(", ")),
            (x + 6, y + 6),
            (FONT, 12).into_font().color(&RED),
        ))?;
    }
    Ok(())
}
