//! Each part of a variant's forward pass timed alone on a backend, at the model's shapes:
//! embedding, every layer's attention and feed-forward sublayers, final norm and head. Their
//! FLOPs and bytes come from the cost model's rows for the same parts.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Roofline, RooflinePoint};
use crate::backend::Backend;
use crate::cost::{self, LayerKind};
use crate::engine::Peaks;
use crate::spec::{Variant, Workload};
use crate::timing::{dependency, median_of, sync};
use crate::zoo;

/// One part, summed over the layers that have it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartTiming {
    /// `embedding`, `attention`, `ffn`, `moe`, `norm + head`.
    pub part: String,
    /// Executed FLOPs per forward pass.
    pub flops: u64,
    /// Memory access bytes per forward pass.
    pub bytes: u64,
    /// Seconds per forward pass: the sum of each instance's median.
    pub seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartsReport {
    pub variant: String,
    pub backend: Backend,
    pub batch: usize,
    pub parts: Vec<PartTiming>,
}

impl PartsReport {
    /// The parts, and the whole model as their sum, placed under `peaks`.
    pub fn roofline(&self, peaks: Peaks) -> Roofline {
        let mut points: Vec<RooflinePoint> = self
            .parts
            .iter()
            .filter_map(|p| {
                RooflinePoint::place(&self.variant, &p.part, p.flops, p.bytes, p.seconds, &peaks)
            })
            .collect();
        let (f, b, s) = self.parts.iter().fold((0, 0, 0.0), |(f, b, s), p| {
            (f + p.flops, b + p.bytes, s + p.seconds)
        });
        if let Some(whole) = RooflinePoint::place(&self.variant, "model", f, b, s, &peaks) {
            points.insert(0, whole);
        }
        let mut roofline = Roofline::new(self.backend, peaks, points);
        roofline.notes = self
            .parts
            .iter()
            .filter(|p| p.flops == 0)
            .map(|p| {
                format!(
                    "{}: {} moves {} in {} with no FLOPs: off a FLOP/s roofline",
                    self.variant,
                    p.part,
                    crate::units::bytes(p.bytes),
                    crate::units::seconds(p.seconds)
                )
            })
            .collect();
        roofline
    }
}

fn part_name(kind: LayerKind) -> &'static str {
    match kind {
        LayerKind::Embedding => "embedding",
        LayerKind::Attention => "attention",
        LayerKind::Ffn => "ffn",
        LayerKind::Moe => "moe",
        LayerKind::Norm | LayerKind::Head => "norm + head",
        LayerKind::Conv => "conv",
    }
}

/// Times every part of `variant` on `backend`, about `budget` per instance.
pub fn measure_parts(
    variant: &Variant,
    workload: &Workload,
    backend: Backend,
    memory_limit: u64,
    budget: Duration,
) -> Result<PartsReport, String> {
    let costs = cost::analyze(variant, workload).map_err(|e| e.to_string())?;
    let model = zoo::build_lm(variant, workload, backend, memory_limit, "per-part timing")
        .map_err(|e| e.to_string())?;
    let token_workload = workload
        .token_workload()
        .ok_or_else(|| format!("`{}` runs on images, not tokens", variant.name))?;
    let device = backend.device();
    let runs = 5;
    let mut seconds: Vec<(&'static str, f64)> = Vec::new();
    let mut add = |part: &'static str, s: f64| match seconds.iter_mut().find(|(p, _)| *p == part) {
        Some((_, total)) => *total += s,
        None => seconds.push((part, s)),
    };

    let mut tokens = zoo::random_tokens(&token_workload, &device);
    let [b, s] = tokens.dims();
    add(
        "embedding",
        median_of(budget, runs, || {
            let x = model.embed(tokens.clone());
            tokens = tokens.clone() + dependency(&x).int().reshape([1, 1]).expand([b, s]);
            sync(&device)
        })?,
    );
    let mut x = model.embed(tokens);
    let ffn_part = |layer: usize| {
        costs
            .layers
            .iter()
            .filter(|l| matches!(l.kind, LayerKind::Ffn | LayerKind::Moe))
            .nth(layer)
            .map_or("ffn", |l| part_name(l.kind))
    };
    for layer in 0..model.n_layers() {
        let mut input = x.clone();
        add(
            "attention",
            median_of(budget, runs, || {
                let out = model.attention_sublayer(layer, input.clone());
                input = input.clone() + dependency(&out);
                sync(&device)
            })?,
        );
        let y = model.attention_sublayer(layer, x);
        let mut input = y.clone();
        add(
            ffn_part(layer),
            median_of(budget, runs, || {
                let out = model.ffn_sublayer(layer, input.clone(), &mut Vec::new());
                input = input.clone() + dependency(&out);
                sync(&device)
            })?,
        );
        x = model.ffn_sublayer(layer, y, &mut Vec::new());
    }
    let mut input = x;
    add(
        "norm + head",
        median_of(budget, runs, || {
            let out = model.project(input.clone());
            input = input.clone() + dependency(&out);
            sync(&device)
        })?,
    );

    let parts = seconds
        .into_iter()
        .map(|(part, secs)| {
            let rows = costs.layers.iter().filter(|l| part_name(l.kind) == part);
            let (flops, bytes) = rows.fold((0, 0), |(f, b), l| {
                (f + l.counts.flops_executed, b + l.counts.mem_access_bytes())
            });
            PartTiming {
                part: part.to_owned(),
                flops,
                bytes,
                seconds: secs,
            }
        })
        .collect();
    Ok(PartsReport {
        variant: variant.name.clone(),
        backend,
        batch: workload.batch,
        parts,
    })
}
