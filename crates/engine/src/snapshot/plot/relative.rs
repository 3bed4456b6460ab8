//! Every indicator of every variant relative to the baseline.

use crate::document::ratio_text;
use crate::report::Cell;
use crate::snapshot::Snapshot;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::document::plot::{FONT, colour, legend, log_range};

/// Every numeric indicator of every variant as a ratio to the baseline, on a log axis: a bar
/// left of 1x is cheaper (or, for throughput-like rows, slower) than the baseline.
pub fn relative_svg(s: &Snapshot) -> Result<String, String> {
    let table = s.table();
    let rows: Vec<_> = table
        .rows
        .iter()
        .filter(|r| (1..table.columns.len()).any(|c| r.ratio(c).is_some()))
        .collect();
    let variants = &table.columns[1..];
    let ratios: Vec<f64> = rows
        .iter()
        .flat_map(|r| (1..table.columns.len()).filter_map(|c| r.ratio(c)))
        .filter(|r| *r > 0.0)
        .chain([1.0])
        .collect();
    let x = log_range(ratios.iter().copied());
    let slot = 14;
    let height = (80 + rows.len() * (variants.len().max(1) * slot + 10)).max(300) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, height + 60)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let result = draw_relative(&root, s, &table, &rows, variants, x);
        result.map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn draw_relative(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    s: &Snapshot,
    table: &crate::report::IndicatorTable,
    rows: &[&crate::report::Row],
    variants: &[String],
    x: std::ops::Range<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let n = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "{}: every indicator relative to {} ({} on {})",
                s.suite.name, table.columns[0], s.run.backend, s.run.adapter
            ),
            (FONT, 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(200)
        .build_cartesian_2d(x.clone().log_scale(), 0.0..n)?;
    chart
        .configure_mesh()
        .x_desc(format!("ratio to {} (log scale)", table.columns[0]))
        .x_labels(12)
        .x_label_formatter(&|v| ratio_text(*v))
        .y_labels(0)
        .disable_y_mesh()
        .draw()?;
    let k = variants.len().max(1) as f64;
    for (vi, name) in variants.iter().enumerate() {
        let c = vi + 1;
        let colour = colour(vi + 1);
        let bars: Vec<_> = rows
            .iter()
            .enumerate()
            .filter_map(|(ri, row)| {
                let r = row.ratio(c)?.max(x.start);
                // Top row first; each variant a thin slot within its row.
                let top = n - ri as f64 - 0.1 - 0.8 * vi as f64 / k;
                let bottom = top - 0.8 / k;
                Some(Rectangle::new([(1.0, top), (r, bottom)], colour.filled()))
            })
            .collect();
        chart
            .draw_series(bars)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, 0.0), (1.0, n)],
        BLACK.stroke_width(1),
    )))?;
    let label_style =
        TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (ri, row) in rows.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(x.start, n - ri as f64 - 0.5));
        let unavailable = (1..table.columns.len())
            .filter(|c| matches!(row.cells[*c], Cell::NotAvailable(_)))
            .count();
        let label = if unavailable > 0 {
            format!("{} ({unavailable} n/a)", row.label)
        } else {
            row.label.to_owned()
        };
        root.draw(&Text::new(label, (px - 8, py), label_style.clone()))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}
