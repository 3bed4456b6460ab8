//! The paper's plots as SVG (plotters): scatter panels of cost indicator against speed, and a
//! bar chart of every indicator relative to the baseline. Every variant is named in both, also
//! the ones without a measurement (listed as such), so no variant silently disappears.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Snapshot;
use crate::report::{Cell, ratio_text};
use crate::units;

const FONT: &str = "sans-serif";

fn colour(i: usize) -> RGBColor {
    // Okabe-Ito: told apart by colour-blind readers too.
    const PALETTE: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(120, 120, 120),
        RGBColor(240, 228, 66),
    ];
    PALETTE[i % PALETTE.len()]
}

/// The series' legend, in a white box with a black border.
fn legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

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
    f: impl Fn(&super::SnapshotVariant) -> (f64, Option<f64>),
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

/// A log range around `values` with some air, never empty.
fn log_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || hi <= 0.0 {
        return 0.1..10.0;
    }
    (lo / 1.6)..(hi * 1.6)
}

/// Three panels: executed FLOPs vs p50 latency, parameters vs p50 latency, executed FLOPs vs
/// throughput; log-log, each point labelled with its variant.
pub fn scatter_svg(s: &Snapshot) -> Result<String, String> {
    let latency_ms = |v: &super::SnapshotVariant| v.measured.latency.map(|l| l.p50_s * 1e3);
    let panels = [
        panel(
            s,
            "FLOPs vs latency",
            "FLOPs executed",
            "latency p50 [ms]",
            |v| (v.analytic.cost.totals.flops_executed as f64, latency_ms(v)),
        ),
        panel(
            s,
            "Parameters vs latency",
            "parameters",
            "latency p50 [ms]",
            |v| (v.analytic.cost.params_total as f64, latency_ms(v)),
        ),
        panel(
            s,
            "FLOPs vs throughput",
            "FLOPs executed",
            "throughput [tokens/s]",
            |v| {
                (
                    v.analytic.cost.totals.flops_executed as f64,
                    v.measured.tokens_per_s,
                )
            },
        ),
    ];
    let mut svg = String::new();
    {
        let full = SVGBackend::with_string(&mut svg, (1500, 520)).into_drawing_area();
        full.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = full
            .titled(
                &format!("{}: {} on {}", s.suite.name, s.backend, s.adapter),
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
                s.suite.name, table.columns[0], s.backend, s.adapter
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

/// Latency-throughput curves of a sweep: one panel per sequence length, one line per variant
/// through its batch sizes (each point labelled), log-log; where two variants' order flips, the
/// overtaking variant's point is ringed in red.
pub fn sweep_svg(report: &crate::sweep::SweepReport) -> Result<String, String> {
    let variants = report.variants();
    let mut seqs: Vec<usize> = report.points.iter().map(|p| p.seq_len).collect();
    seqs.sort_unstable();
    seqs.dedup();
    let mut svg = String::new();
    {
        let full = SVGBackend::with_string(&mut svg, (560 * seqs.len().max(1) as u32, 560))
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
        for (area, seq) in root.split_evenly((1, seqs.len().max(1))).iter().zip(&seqs) {
            let points: Vec<&crate::sweep::SweepPoint> =
                report.points.iter().filter(|p| p.seq_len == *seq).collect();
            let all = points.iter().flat_map(|p| p.values.iter());
            let x = log_range(all.clone().map(|v| v.p50_s * 1e3));
            let y = log_range(all.map(|v| v.tokens_per_s));
            let mut chart = ChartBuilder::on(area)
                .caption(format!("seq_len {seq}"), (FONT, 15))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(x.log_scale(), y.log_scale())
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("latency p50 [ms]")
                .y_desc("throughput [tokens/s]")
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
                        Some((v.p50_s * 1e3, v.tokens_per_s, p.batch))
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
                    crate::sweep::Axis::Batch => f.fixed == *seq,
                    crate::sweep::Axis::SeqLen => f.to == *seq,
                })
                .filter_map(|f| {
                    let at = points.iter().find(|p| match f.axis {
                        crate::sweep::Axis::Batch => p.batch == f.to,
                        crate::sweep::Axis::SeqLen => p.batch == f.fixed,
                    })?;
                    let v = at.values.iter().find(|v| v.variant == f.now_faster)?;
                    Some((v.p50_s * 1e3, v.tokens_per_s))
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
