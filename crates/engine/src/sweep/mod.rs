//! Sweeps: every variant measured across batch sizes (and sequence lengths or image sizes), as
//! latency-throughput curves, and the points where the variants' ranking flips: the variant
//! that is fastest at batch 1 is often not the one that is fastest at batch 16.

use serde::{Deserialize, Serialize};

mod plot;

pub use crate::measured::{SweepPoint, SweepValue, throughput_unit};
pub use plot::sweep_svg;

use crate::document::{Document, Format, PLOTTED, envelope};

/// Which way a sweep moved between two neighbouring points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    Batch,
    SeqLen,
    /// The side of the images, in pixels.
    ImageSize,
}

/// Two variants whose order by throughput swaps between neighbouring points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flip {
    pub axis: Axis,
    /// The other dimension, held fixed; absent along the batch of an image sweep at one image
    /// size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<usize>,
    /// The points are images: throughput in samples/s, and along the batch the fixed
    /// dimension is the image size.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub images: bool,
    pub from: usize,
    pub to: usize,
    /// Faster at `from`, slower at `to`.
    pub was_faster: String,
    /// Slower at `from`, faster at `to`.
    pub now_faster: String,
    /// Throughput (tokens/s, or samples/s for images) of (was_faster, now_faster) at `from`,
    /// then at `to`.
    pub before: (f64, f64),
    pub after: (f64, f64),
}

impl Flip {
    pub fn describe(&self) -> String {
        let unit = if self.images { "samples/s" } else { "tokens/s" };
        let batch = |b: Option<usize>| b.map_or(String::new(), |b| format!(" (batch {b})"));
        let (axis, fixed) = match (self.axis, self.fixed) {
            (Axis::Batch, Some(size)) if self.images => ("batch", format!(" (image {size})")),
            (Axis::Batch, Some(seq)) => ("batch", format!(" (seq_len {seq})")),
            (Axis::Batch, None) => ("batch", String::new()),
            (Axis::SeqLen, b) => ("seq_len", batch(b)),
            (Axis::ImageSize, b) => ("image", batch(b)),
        };
        format!(
            "{axis} {} -> {}{fixed}: {} overtakes {} in {unit} ({} vs {} -> {} vs {})",
            self.from,
            self.to,
            self.now_faster,
            self.was_faster,
            crate::units::si(self.before.1),
            crate::units::si(self.before.0),
            crate::units::si(self.after.1),
            crate::units::si(self.after.0),
        )
    }
}

/// A point's batch, sequence length or image size (`None` where it has none).
type Coordinate = fn(&SweepPoint) -> Option<usize>;

/// Two variants closer than this share of the faster one's throughput are within the noise of
/// a shared machine: their order is not called a flip.
pub const FLIP_MARGIN: f64 = 0.05;

/// Whether `x` leads `y` by more than [`FLIP_MARGIN`]: Some(true) x ahead, Some(false) y ahead.
fn lead(x: f64, y: f64) -> Option<bool> {
    let gap = (x - y).abs() / x.max(y);
    (gap > FLIP_MARGIN).then_some(x > y)
}

/// Every pair of variants whose throughput order swaps between neighbouring points along batch
/// (seq_len or image size fixed) and along seq_len or image size (batch fixed), each side clear
/// of the noise margin
/// ([`FLIP_MARGIN`]).
pub fn find_flips(points: &[SweepPoint]) -> Vec<Flip> {
    let mut flips = Vec::new();
    let mut walk = |axis: Axis| {
        let (key, other): (Coordinate, Coordinate) = match axis {
            Axis::Batch => (|p| Some(p.batch), |p| p.seq_len.or(p.image_size)),
            Axis::SeqLen => (|p| p.seq_len, |p| Some(p.batch)),
            Axis::ImageSize => (|p| p.image_size, |p| Some(p.batch)),
        };
        // (position along the axis, the other dimension, the point)
        let on_axis: Vec<(usize, Option<usize>, &SweepPoint)> = points
            .iter()
            .filter_map(|p| Some((key(p)?, other(p), p)))
            .collect();
        let mut fixed: Vec<Option<usize>> = on_axis.iter().map(|(_, o, _)| *o).collect();
        fixed.sort_unstable();
        fixed.dedup();
        for f in fixed {
            let mut line: Vec<(usize, &SweepPoint)> = on_axis
                .iter()
                .filter(|(_, o, _)| *o == f)
                .map(|(k, _, p)| (*k, *p))
                .collect();
            line.sort_by_key(|(k, _)| *k);
            for pair in line.windows(2) {
                let ((from, a), (to, b)) = (pair[0], pair[1]);
                for (i, x) in a.values.iter().enumerate() {
                    for y in &a.values[i + 1..] {
                        let (Some(xb), Some(yb)) = (b.value(&x.variant), b.value(&y.variant))
                        else {
                            continue;
                        };
                        let (Some(before), Some(after)) = (
                            lead(x.throughput(), y.throughput()),
                            lead(xb.throughput(), yb.throughput()),
                        ) else {
                            continue;
                        };
                        if before == after {
                            continue;
                        }
                        let (was, now, wb, nb, wa, na) = if before {
                            (
                                x,
                                y,
                                x.throughput(),
                                y.throughput(),
                                xb.throughput(),
                                yb.throughput(),
                            )
                        } else {
                            (
                                y,
                                x,
                                y.throughput(),
                                x.throughput(),
                                yb.throughput(),
                                xb.throughput(),
                            )
                        };
                        flips.push(Flip {
                            axis,
                            fixed: f,
                            images: a.seq_len.is_none(),
                            from,
                            to,
                            was_faster: was.variant.clone(),
                            now_faster: now.variant.clone(),
                            before: (wb, nb),
                            after: (wa, na),
                        });
                    }
                }
            }
        }
    };
    walk(Axis::Batch);
    walk(Axis::SeqLen);
    walk(Axis::ImageSize);
    flips
}

impl Document for SweepReport {
    const FORMATS: &'static [Format] = PLOTTED;
    fn text(&self) -> String {
        self.to_text()
    }
    fn markdown(&self) -> String {
        self.to_markdown()
    }
    fn csv(&self) -> Result<String, csv::Error> {
        self.to_csv()
    }
    fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
        let sweep = serde_json::to_value(self)?;
        envelope("effprof.sweep/1", suite, [("sweep", sweep)])
    }
    fn svg(&self) -> Option<Result<String, String>> {
        Some(sweep_svg(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(batch: usize, seq_len: usize, tps: &[(&str, f64)]) -> SweepPoint {
        SweepPoint {
            batch,
            seq_len: Some(seq_len),
            image_size: None,
            values: tps
                .iter()
                .map(|(name, t)| SweepValue {
                    variant: (*name).into(),
                    p50_s: (batch * seq_len) as f64 / t,
                    tokens_per_s: Some(*t),
                    samples_per_s: t / seq_len as f64,
                    iterations: 10,
                })
                .collect(),
        }
    }

    #[test]
    fn a_planted_flip_is_found_and_nothing_else() {
        // The MoE is slower at small batches and overtakes between batch 4 and 8; the sparse
        // one stays ahead of both throughout.
        let points = vec![
            point(1, 128, &[("dense", 100.0), ("moe", 60.0), ("csr", 200.0)]),
            point(2, 128, &[("dense", 180.0), ("moe", 120.0), ("csr", 300.0)]),
            point(4, 128, &[("dense", 300.0), ("moe", 260.0), ("csr", 500.0)]),
            point(8, 128, &[("dense", 400.0), ("moe", 450.0), ("csr", 900.0)]),
        ];
        let flips = find_flips(&points);
        assert_eq!(flips.len(), 1, "{flips:?}");
        let f = &flips[0];
        assert_eq!(
            (f.axis, f.fixed, f.from, f.to),
            (Axis::Batch, Some(128), 4, 8)
        );
        assert_eq!(
            (f.was_faster.as_str(), f.now_faster.as_str()),
            ("dense", "moe")
        );
        assert_eq!((f.before, f.after), ((300.0, 260.0), (400.0, 450.0)));
        assert!(
            f.describe().contains("moe overtakes dense"),
            "{}",
            f.describe()
        );
    }

    /// A point of images of `size` pixels, each variant at `per_s` samples/s.
    fn image_point(batch: usize, size: usize, per_s: &[(&str, f64)]) -> SweepPoint {
        SweepPoint {
            batch,
            seq_len: None,
            image_size: Some(size),
            values: per_s
                .iter()
                .map(|(name, t)| SweepValue {
                    variant: (*name).into(),
                    p50_s: batch as f64 / t,
                    tokens_per_s: None,
                    samples_per_s: *t,
                    iterations: 10,
                })
                .collect(),
        }
    }

    #[test]
    fn flips_along_the_image_size_and_the_batch_at_each_size() {
        // EfficientNet leads at 64 pixels and falls behind ResNet at 224 (batch 1); at 224 the
        // order also swaps between batch 1 and 8.
        let points = vec![
            image_point(1, 224, &[("resnet", 10.0), ("effnet", 8.0)]),
            image_point(1, 64, &[("resnet", 50.0), ("effnet", 80.0)]),
            image_point(8, 224, &[("resnet", 20.0), ("effnet", 30.0)]),
            image_point(8, 64, &[("resnet", 100.0), ("effnet", 160.0)]),
        ];
        let mut flips: Vec<(Axis, Option<usize>, usize, usize)> = find_flips(&points)
            .iter()
            .map(|f| (f.axis, f.fixed, f.from, f.to))
            .collect();
        flips.sort_by_key(|f| (f.2, f.3));
        assert_eq!(
            flips,
            [
                (Axis::Batch, Some(224), 1, 8),
                (Axis::ImageSize, Some(1), 64, 224)
            ]
        );
        let f = find_flips(&points);
        let text: Vec<String> = f.iter().map(Flip::describe).collect();
        assert!(
            text.contains(
                &"image 64 -> 224 (batch 1): resnet overtakes effnet in samples/s (50 vs 80 -> 10 vs 8)"
                    .to_owned()
            ),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t
                    .starts_with("batch 1 -> 8 (image 224): effnet overtakes resnet in samples/s")),
            "{text:?}"
        );
        // One table per image size, in order.
        let report = SweepReport::new(crate::backend::Backend::Flex, points);
        let sizes: Vec<Option<usize>> = report.lines().iter().map(|l| l[0].image_size).collect();
        assert_eq!(sizes, [Some(64), Some(224)]);
        let text = report.to_text();
        assert!(
            text.find("image 64: p50 · samples/s") < text.find("image 224: p50 · samples/s"),
            "{text}"
        );
    }

    #[test]
    fn flips_along_seq_len_and_unordered_input() {
        let points = vec![
            point(2, 256, &[("a", 90.0), ("b", 100.0)]),
            point(2, 64, &[("a", 120.0), ("b", 100.0)]),
            point(2, 128, &[("a", 110.0), ("b", 100.0)]),
        ];
        let flips = find_flips(&points);
        assert_eq!(flips.len(), 1, "{flips:?}");
        assert_eq!(
            (flips[0].axis, flips[0].from, flips[0].to),
            (Axis::SeqLen, 128, 256)
        );
        // A tie is no flip; a variant missing at a point is skipped.
        let tie = vec![
            point(1, 8, &[("a", 1.0), ("b", 1.0)]),
            point(2, 8, &[("a", 2.0), ("b", 1.0)]),
        ];
        assert!(find_flips(&tie).is_empty());
        let missing = vec![
            point(1, 8, &[("a", 1.0), ("b", 2.0)]),
            point(2, 8, &[("a", 2.0)]),
        ];
        assert!(find_flips(&missing).is_empty());
    }
}

/// A finished sweep: its points and flips, on one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    pub backend: crate::backend::Backend,
    pub points: Vec<SweepPoint>,
    pub flips: Vec<Flip>,
    /// Points of decode steps: a generation suite's decoders, one token per sequence a step;
    /// p50 is the inter-token latency, tokens/s the tokens generated, seq_len the prompt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decode: bool,
    /// What the points say beyond the flips.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl SweepReport {
    pub fn new(backend: crate::backend::Backend, mut points: Vec<SweepPoint>) -> Self {
        points.sort_by_key(|p| (p.seq_len, p.image_size, p.batch));
        let flips = find_flips(&points);
        Self {
            backend,
            points,
            flips,
            decode: false,
            notes: Vec::new(),
        }
    }

    /// A sweep of decode steps (see [`SweepReport::decode`]).
    pub fn of_decode(backend: crate::backend::Backend, points: Vec<SweepPoint>) -> Self {
        Self {
            decode: true,
            ..Self::new(backend, points)
        }
    }

    /// How the throughput of `a` over `b` moves along the batch, for each sequence length:
    /// `a / b tokens/s: 2.90x at batch 1, 1.40x at batch 16`; `None` without a common point.
    pub fn ratio_line(&self, a: &str, b: &str) -> Option<String> {
        let ratios: Vec<String> = self
            .points
            .iter()
            .filter_map(|p| {
                let (x, y) = (p.value(a)?.throughput(), p.value(b)?.throughput());
                (y > 0.0).then(|| format!("{:.2}x at batch {}", x / y, p.batch))
            })
            .collect();
        (!ratios.is_empty()).then(|| {
            let unit = throughput_unit(self.points.first().and_then(|p| p.seq_len));
            format!("{a} / {b} {unit}: {}", ratios.join(", "))
        })
    }

    /// Variants in the order they first appear.
    pub fn variants(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for p in &self.points {
            for v in &p.values {
                if !names.contains(&v.variant) {
                    names.push(v.variant.clone());
                }
            }
        }
        names
    }

    /// The lines of batch sizes swept, one per sequence length or image size, in order: each
    /// line's points.
    pub fn lines(&self) -> Vec<Vec<&SweepPoint>> {
        let mut keys: Vec<(Option<usize>, Option<usize>)> =
            self.points.iter().map(SweepPoint::line).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .map(|k| self.points.iter().filter(|p| p.line() == k).collect())
            .collect()
    }

    fn table(&self, markdown: bool) -> String {
        use comfy_table::CellAlignment;
        let mut out = String::new();
        for line in self.lines() {
            let first = line[0];
            let what = match (first.seq_len, self.decode) {
                (Some(_), true) => "ITL p50 · tokens/s",
                (Some(_), false) => "p50 · tokens/s",
                (None, _) => "p50 · samples/s",
            };
            let mut header = vec![match (first.seq_len, first.image_size) {
                (None, None) => what.to_owned(),
                _ => format!("{}: {what}", first.line_label(self.decode)),
            }];
            header.extend(line.iter().map(|p| format!("batch {}", p.batch)));
            let mut table = crate::document::text_table(markdown, header);
            for name in self.variants() {
                let mut row = vec![name.clone()];
                row.extend(line.iter().map(|p| match p.value(&name) {
                    Some(v) => format!(
                        "{} · {}",
                        crate::units::seconds(v.p50_s),
                        crate::units::si(v.throughput())
                    ),
                    None => "n/a".to_owned(),
                }));
                table.add_row(row);
            }
            for column in table.column_iter_mut().skip(1) {
                column.set_cell_alignment(CellAlignment::Right);
            }
            out.push_str(&table.to_string());
            out.push_str("\n\n");
        }
        out
    }

    fn flip_lines(&self) -> Vec<String> {
        if self.flips.is_empty() {
            let unit = throughput_unit(self.points.first().and_then(|p| p.seq_len));
            return vec![format!(
                "no ranking flips: the variants keep their order by {unit} at every point"
            )];
        }
        self.flips
            .iter()
            .map(|f| {
                let line = format!("ranking flip at {}", f.describe());
                // A decode sweep holds the prompt fixed, not a forward pass's length.
                if self.decode {
                    line.replace("seq_len", "prompt")
                } else {
                    line
                }
            })
            .collect()
    }

    pub fn to_text(&self) -> String {
        let mut out = if self.decode {
            format!(
                "decode sweep on {}: one decode step per token, generated tokens/s at the inter-token p50\n",
                self.backend
            )
        } else {
            format!("sweep on {}\n", self.backend)
        };
        out.push_str(&self.table(false));
        for line in self.flip_lines().iter().chain(&self.notes) {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    pub fn to_markdown(&self) -> String {
        let mut out = self.table(true);
        for line in self.flip_lines().iter().chain(&self.notes) {
            out.push_str(&format!("- {line}\n"));
        }
        out
    }

    /// One row per variant and point.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        use crate::document::format_number;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "variant",
            "batch",
            "seq_len",
            "image_size",
            "p50_s",
            "tokens_per_s",
            "samples_per_s",
            "iterations",
        ])?;
        for p in &self.points {
            for v in &p.values {
                w.write_record([
                    v.variant.clone(),
                    p.batch.to_string(),
                    p.seq_len.map_or(String::new(), |s| s.to_string()),
                    p.image_size.map_or(String::new(), |s| s.to_string()),
                    format_number(v.p50_s),
                    v.tokens_per_s.map_or(String::new(), format_number),
                    format_number(v.samples_per_s),
                    v.iterations.to_string(),
                ])?;
            }
        }
        crate::document::csv_text(w)
    }
}
