//! What every SVG plot shares (plotters): the font, the colours, the legend, log ranges. Every
//! variant a plot is about is named in it, also the ones without a measurement (listed as
//! such), so no variant silently disappears.

use plotters::prelude::*;

pub const FONT: &str = "sans-serif";

pub fn colour(i: usize) -> RGBColor {
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
pub fn legend<'a, CT: plotters::coord::CoordTranslate>(
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

/// A log range around `values` with some air, never empty.
pub fn log_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || hi <= 0.0 {
        return 0.1..10.0;
    }
    (lo / 1.6)..(hi * 1.6)
}
