//! The roofline: a backend's measured peak FLOP/s and bandwidth, and every variant (and every
//! part of one) placed by arithmetic intensity (FLOPs per byte moved) and achieved FLOP/s. Below
//! the ridge a part is memory-bound: more FLOPs would not have cost time, fewer bytes would.

mod measure;
mod plot;

pub use measure::{PartTiming, PartsReport, measure_modules, measure_parts};
pub use plot::roofline_svg;

use crate::document::{Document, Format, PLOTTED, envelope};

use serde::{Deserialize, Serialize};

use crate::measured::Peaks;

/// What limits a point at its intensity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// Left of the ridge: the bandwidth roof is the lower one.
    Memory,
    /// Right of the ridge: the FLOP/s roof is the lower one.
    Compute,
}

/// The attainable FLOP/s at `intensity` (FLOP/B): min(peak FLOP/s, intensity x peak B/s).
pub fn roof(peaks: &Peaks, intensity: f64) -> f64 {
    peaks.flops_per_s.min(intensity * peaks.bytes_per_s)
}

/// The intensity where the two roofs meet: peak FLOP/s / peak B/s.
pub fn ridge(peaks: &Peaks) -> f64 {
    peaks.flops_per_s / peaks.bytes_per_s
}

/// One variant, or one part of it, on the roofline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RooflinePoint {
    pub variant: String,
    /// `model` for the whole forward pass, else the part (`attention`, `ffn`, ...).
    pub part: String,
    pub flops: u64,
    pub bytes: u64,
    /// FLOPs per byte moved.
    pub intensity: f64,
    pub achieved_flops_per_s: f64,
    /// The roof at this intensity.
    pub attainable_flops_per_s: f64,
    /// achieved / attainable, in %.
    pub pct_of_roof: f64,
    pub bound: Bound,
}

impl RooflinePoint {
    /// Places `flops` over `bytes` done in `seconds` under `peaks`; None when nothing was moved
    /// or measured.
    pub fn place(
        variant: &str,
        part: &str,
        flops: u64,
        bytes: u64,
        seconds: f64,
        peaks: &Peaks,
    ) -> Option<Self> {
        if bytes == 0 || flops == 0 || seconds.is_nan() || seconds <= 0.0 {
            return None;
        }
        let intensity = flops as f64 / bytes as f64;
        let achieved = flops as f64 / seconds;
        let attainable = roof(peaks, intensity);
        Some(Self {
            variant: variant.to_owned(),
            part: part.to_owned(),
            flops,
            bytes,
            intensity,
            achieved_flops_per_s: achieved,
            attainable_flops_per_s: attainable,
            pct_of_roof: 100.0 * achieved / attainable,
            bound: if intensity < ridge(peaks) {
                Bound::Memory
            } else {
                Bound::Compute
            },
        })
    }
}

/// A backend's roofs and the points under them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Roofline {
    pub backend: crate::backend::Backend,
    pub peaks: Peaks,
    pub ridge_flop_per_byte: f64,
    pub points: Vec<RooflinePoint>,
    /// Parts that cannot sit on a FLOP/s roofline, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Roofline {
    pub fn new(backend: crate::backend::Backend, peaks: Peaks, points: Vec<RooflinePoint>) -> Self {
        Self {
            backend,
            ridge_flop_per_byte: ridge(&peaks),
            peaks,
            points,
            notes: Vec::new(),
        }
    }

    /// Whole models placed by their analytic intensity and measured FLOP/s (those without a
    /// measurement are left out), and the measured parts of one beside them.
    pub fn of_models(
        backend: crate::backend::Backend,
        peaks: Peaks,
        models: &[crate::report::Compared<'_>],
        parts: Option<&PartsReport>,
    ) -> Self {
        let mut points: Vec<RooflinePoint> = models
            .iter()
            .filter_map(|m| {
                // A model of your own is placed by its recorded pass's counts.
                let (flops, bytes, seconds) = match &m.analytic.cost {
                    Some(c) => {
                        let flops = c.totals.flops_executed;
                        let seconds = flops as f64 / m.measured.flops_per_s?;
                        (flops, c.totals.mem_access_bytes, seconds)
                    }
                    None => {
                        let t = m.analytic.traced.as_ref()?.counts()?;
                        (t.flops, t.bytes, m.measured.latency?.mean_s)
                    }
                };
                RooflinePoint::place(&m.analytic.name, "model", flops, bytes, seconds, &peaks)
            })
            .collect();
        let mut notes = Vec::new();
        if let Some(parts) = parts {
            let r = parts.roofline(peaks);
            points.extend(r.points.into_iter().filter(|p| p.part != "model"));
            notes = r.notes;
        }
        let mut r = Self::new(backend, peaks, points);
        r.notes = notes;
        r
    }

    pub fn to_text(&self, markdown: bool) -> String {
        use comfy_table::CellAlignment;
        let mut table = crate::document::text_table(
            markdown,
            [
                "variant",
                "part",
                "FLOPs",
                "bytes",
                "FLOP/B",
                "achieved",
                "roof",
                "% of roof",
                "bound",
            ],
        );
        for p in &self.points {
            table.add_row([
                p.variant.clone(),
                p.part.clone(),
                crate::units::flops(p.flops),
                crate::units::bytes(p.bytes),
                format!("{:.1}", p.intensity),
                crate::units::with_unit(p.achieved_flops_per_s, "FLOP/s"),
                crate::units::with_unit(p.attainable_flops_per_s, "FLOP/s"),
                format!("{:.1}%", p.pct_of_roof),
                format!("{:?}", p.bound).to_lowercase(),
            ]);
        }
        for column in table.column_iter_mut().skip(2) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        format!(
            "{}\n\n{}: peak {} (matmul {n}x{n}), {} (copy); ridge at {:.1} FLOP/B: left of it a part is bound by memory\n",
            table,
            self.backend,
            crate::units::with_unit(self.peaks.flops_per_s, "FLOP/s"),
            crate::units::with_unit(self.peaks.bytes_per_s, "B/s"),
            self.ridge_flop_per_byte,
            n = self.peaks.matmul_size
        ) + &self
            .notes
            .iter()
            .map(|n| format!("{n}\n"))
            .collect::<String>()
    }

    pub fn to_csv(&self) -> Result<String, csv::Error> {
        use crate::document::format_number;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "variant",
            "part",
            "flops",
            "bytes",
            "intensity",
            "achieved_flops_per_s",
            "attainable_flops_per_s",
            "pct_of_roof",
            "bound",
        ])?;
        for p in &self.points {
            w.write_record([
                p.variant.clone(),
                p.part.clone(),
                p.flops.to_string(),
                p.bytes.to_string(),
                format_number(p.intensity),
                format_number(p.achieved_flops_per_s),
                format_number(p.attainable_flops_per_s),
                format_number(p.pct_of_roof),
                format!("{:?}", p.bound).to_lowercase(),
            ])?;
        }
        crate::document::csv_text(w)
    }
}

impl Document for Roofline {
    const FORMATS: &'static [Format] = PLOTTED;
    fn text(&self) -> String {
        self.to_text(false)
    }
    fn markdown(&self) -> String {
        self.to_text(true)
    }
    fn csv(&self) -> Result<String, csv::Error> {
        self.to_csv()
    }
    fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
        let roofline = serde_json::to_value(self)?;
        envelope("effprof.roofline/1", suite, [("roofline", roofline)])
    }
    fn svg(&self) -> Option<Result<String, String>> {
        Some(roofline_svg(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::measured::TEST_PEAKS as PEAKS;

    #[test]
    fn roofs_ridge_and_placement() {
        // Ridge at 100 GFLOP/s / 10 GB/s = 10 FLOP/B.
        assert_eq!(ridge(&PEAKS), 10.0);
        assert_eq!(roof(&PEAKS, 2.0), 20e9);
        assert_eq!(roof(&PEAKS, 10.0), 100e9);
        assert_eq!(roof(&PEAKS, 50.0), 100e9);
        // 2 GFLOP over 1 GB in 0.2 s: intensity 2, 10 GFLOP/s of a 20 GFLOP/s roof.
        let p =
            RooflinePoint::place("v", "ffn", 2_000_000_000, 1_000_000_000, 0.2, &PEAKS).unwrap();
        assert_eq!(p.intensity, 2.0);
        assert!((p.achieved_flops_per_s - 10e9).abs() < 1.0);
        assert_eq!(p.attainable_flops_per_s, 20e9);
        assert!((p.pct_of_roof - 50.0).abs() < 1e-9);
        assert_eq!(p.bound, Bound::Memory);
        let c = RooflinePoint::place("v", "head", 40_000, 1_000, 1e-6, &PEAKS).unwrap();
        assert_eq!(c.bound, Bound::Compute);
        assert_eq!(c.attainable_flops_per_s, 100e9);
        // Nothing moved or nothing timed: no point.
        assert!(RooflinePoint::place("v", "x", 1, 0, 1.0, &PEAKS).is_none());
        assert!(RooflinePoint::place("v", "x", 1, 1, 0.0, &PEAKS).is_none());
    }
}
