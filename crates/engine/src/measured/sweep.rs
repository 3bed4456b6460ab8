//! A sweep's points: every measured variant at one batch size (and sequence length). The engine
//! takes them; the sweep feature finds where the ranking flips.

use serde::{Deserialize, Serialize};

use super::Summary;

/// One variant at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepValue {
    pub variant: String,
    pub p50_s: f64,
    /// At the median latency: tokens per pass / p50; absent for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_s: Option<f64>,
    /// At the median latency: samples (sequences or images) per pass / p50.
    pub samples_per_s: f64,
    pub iterations: u64,
}

impl SweepValue {
    /// What the sweep ranks by: tokens/s for token sequences, samples/s for images.
    pub fn throughput(&self) -> f64 {
        self.tokens_per_s.unwrap_or(self.samples_per_s)
    }
}

/// The unit of [`SweepValue::throughput`] at points with (`Some`) or without a sequence length.
pub fn throughput_unit(seq_len: Option<usize>) -> &'static str {
    match seq_len {
        Some(_) => "tokens/s",
        None => "samples/s",
    }
}

/// Every measured variant at one (batch, seq_len), or at one batch of images.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    pub batch: usize,
    /// Absent for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq_len: Option<usize>,
    /// The side of the images in pixels, where a sweep moves it; absent for tokens and for a
    /// sweep of images at the suite's size alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_size: Option<usize>,
    pub values: Vec<SweepValue>,
}

impl SweepPoint {
    /// The dimension held fixed along a line of batch sizes: the sequence length, or the
    /// image size.
    pub fn line(&self) -> (Option<usize>, Option<usize>) {
        (self.seq_len, self.image_size)
    }

    /// How a line of batch sizes is named: `seq_len 128` (`prompt 128` in a decode sweep),
    /// `image 224`, or `images`.
    pub fn line_label(&self, decode: bool) -> String {
        match (self.seq_len, self.image_size) {
            (Some(s), _) if decode => format!("prompt {s}"),
            (Some(s), _) => format!("seq_len {s}"),
            (None, Some(i)) => format!("image {i}"),
            (None, None) => "images".to_owned(),
        }
    }

    /// The measured variants of an engine summary; variants without a latency are left out.
    ///
    /// Throughput here is at the median latency (tokens per pass / p50), not the mean: a few
    /// slow passes on a shared machine move the mean enough to fake a flip.
    pub fn from_summary(summary: &Summary) -> Self {
        let tokens = summary.seq_len.map(|s| (summary.run.batch * s) as f64);
        Self {
            batch: summary.run.batch,
            seq_len: summary.seq_len,
            image_size: None,
            values: summary
                .variants
                .iter()
                .filter_map(|v| {
                    let l = v.latency?;
                    (l.p50_s > 0.0).then(|| SweepValue {
                        variant: v.name.clone(),
                        p50_s: l.p50_s,
                        tokens_per_s: tokens.map(|t| t / l.p50_s),
                        samples_per_s: summary.run.batch as f64 / l.p50_s,
                        iterations: l.iterations,
                    })
                })
                .collect(),
        }
    }

    /// The figures of `variant` at this point.
    pub fn value(&self, variant: &str) -> Option<&SweepValue> {
        self.values.iter().find(|v| v.variant == variant)
    }
}
