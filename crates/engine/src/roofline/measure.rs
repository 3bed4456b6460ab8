//! Each part of a variant's forward pass timed alone on a backend, at the model's shapes:
//! embedding, every layer's attention and feed-forward sublayers, final norm and head (for a
//! convolutional network: the stem, every residual block, pooling and the classifier; for the
//! vision zoo: every layer, summed by kind, so depthwise convolutions sit apart from dense
//! ones). Their FLOPs and bytes come from the cost model's rows for the same parts.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Roofline, RooflinePoint};
use crate::arch::{Variant, Workload};
use crate::backend::Backend;
use crate::cost::{self, LayerKind};
use crate::error::{DeviceFailure, MeasureError};
use crate::family::Arch;
use crate::measured::Peaks;
use crate::timing::{dependency, median_of, sync};
use crate::zoo;
use burn::prelude::*;

/// One part, summed over the layers that have it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartTiming {
    /// `embedding`, `attention`, `ffn`, `moe`, `norm + head`; for a convolutional network
    /// `stem`, `blocks`, `pool + head`; for the vision zoo the kinds of [`crate::vision::part`]
    /// (`conv`, `conv 1x1`, `depthwise`, `bn + act`, `squeeze-excite`, `residual add`, ...).
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

/// Timed runs of each part instance at the least, whatever the budget.
const RUNS: usize = 5;

/// The convolutional network's parts, by the cost model's row names: `stem`, `block{i}`, `pool
/// + head`.
fn conv_part_name(row: &str) -> &'static str {
    match row {
        "stem" => "stem",
        r if r.starts_with("block") => "blocks",
        _ => "pool + head",
    }
}

/// The one part of a family whose parts are not timed one by one.
const WHOLE_PASS: &str = "forward pass";

enum Whole {
    Forward(zoo::ForwardError),
    Device(DeviceFailure),
}

/// The whole forward pass timed as one part, each pass's input chained to the last's output.
fn whole_pass(
    model: &zoo::Model,
    mut input: zoo::Batch,
    device: &Device,
    budget: Duration,
) -> Result<f64, Whole> {
    median_of(budget, RUNS, || {
        input = model
            .forward_chained(input.clone())
            .map_err(Whole::Forward)?
            .next;
        sync(device).map_err(Whole::Device)
    })
}

/// Each module of a transformer timed alone, in the order of its cost rows: the embedding,
/// every layer's attention and FFN (or MoE) sublayers, the final norm, the head.
fn transformer_module_times(
    model: &zoo::TransformerLm,
    mut tokens: Tensor<2, Int>,
    device: &Device,
    budget: Duration,
) -> Result<Vec<f64>, DeviceFailure> {
    let [b, s] = tokens.dims();
    let mut times = vec![median_of(budget, RUNS, || {
        let x = model.embed(tokens.clone());
        tokens = tokens.clone() + dependency(&x).int().reshape([1, 1]).expand([b, s]);
        sync(device)
    })?];
    // `module` timed on `x`, each run's input chained to the last's output.
    let time = |x: &Tensor<3>, module: &dyn Fn(Tensor<3>) -> Tensor<3>| {
        let mut input = x.clone();
        median_of(budget, RUNS, || {
            let out = module(input.clone());
            input = input.clone() + dependency(&out);
            sync(device)
        })
    };
    let mut x = model.embed(tokens);
    for layer in 0..model.n_layers() {
        times.push(time(&x, &|x| model.attention_sublayer(layer, x))?);
        x = model.attention_sublayer(layer, x);
        times.push(time(&x, &|x| {
            model.ffn_sublayer(layer, x, &mut Vec::new())
        })?);
        x = model.ffn_sublayer(layer, x, &mut Vec::new());
    }
    times.push(time(&x, &|x| model.norm_final(x))?);
    let x = model.norm_final(x);
    times.push(time(&x, &|x| model.head_logits(x))?);
    Ok(times)
}

fn conv_parts(
    net: &zoo::ConvNet,
    mut images: Tensor<4>,
    device: &Device,
    budget: Duration,
    add: &mut impl FnMut(&'static str, f64),
) -> Result<(), DeviceFailure> {
    add(
        "stem",
        median_of(budget, RUNS, || {
            let out = net.stem(images.clone());
            images = images.clone() + dependency(&out);
            sync(device)
        })?,
    );
    let mut x = net.stem(images);
    for block in 0..net.n_blocks() {
        let mut input = x.clone();
        add(
            "blocks",
            median_of(budget, RUNS, || {
                let out = net.block(block, input.clone());
                input = input.clone() + dependency(&out);
                sync(device)
            })?,
        );
        x = net.block(block, x);
    }
    let mut input = x;
    add(
        "pool + head",
        median_of(budget, RUNS, || {
            let out = net.head(input.clone());
            input = input.clone() + dependency(&out).reshape([1, 1, 1, 1]);
            sync(device)
        })?,
    );
    Ok(())
}

/// Each layer of a vision network timed alone, in the order of [`cost::vision_leaf_costs`].
fn vision_leaf_times(
    net: &zoo::VisionNet,
    images: Tensor<4>,
    device: &Device,
    budget: Duration,
) -> Result<Vec<f64>, DeviceFailure> {
    let mut times = Vec::new();
    net.walk_leaves(
        images,
        &mut |layer: zoo::VisionLeaf<'_>, input: zoo::VisionValue| {
            let mut x = input.clone();
            times.push(median_of(budget, RUNS, || {
                let out = layer(x.clone());
                x = depend_on(x.clone(), &out);
                sync(device)
            })?);
            Ok(layer(input))
        },
    )?;
    Ok(times)
}

/// `x` plus 0 computed from `out`, so that a layer run on the result waits for the run that
/// produced `out` (timing on a lazily queued device needs the chain).
fn depend_on(x: zoo::VisionValue, out: &zoo::VisionValue) -> zoo::VisionValue {
    use zoo::VisionValue as V;
    let zero: Tensor<1> = match out {
        V::Map(t) => dependency(t).reshape([1]),
        V::Tokens(t) => dependency(t).reshape([1]),
        V::Vector(t) => dependency(t).reshape([1]),
    };
    match x {
        V::Map(t) => V::Map(t + zero.reshape([1, 1, 1, 1])),
        V::Tokens(t) => V::Tokens(t + zero.reshape([1, 1, 1])),
        V::Vector(t) => V::Vector(t + zero.reshape([1, 1])),
    }
}

/// The layers' counts and times summed by part, parts in the order they first run.
fn vision_parts(leaves: &[(&'static str, cost::LayerCost)], times: &[f64]) -> Vec<PartTiming> {
    assert_eq!(
        leaves.len(),
        times.len(),
        "the walk and the count list the same layers"
    );
    let mut parts: Vec<PartTiming> = Vec::new();
    for ((part, row), seconds) in leaves.iter().zip(times) {
        let i = match parts.iter().position(|p| p.part == *part) {
            Some(i) => i,
            None => {
                parts.push(PartTiming {
                    part: (*part).to_owned(),
                    flops: 0,
                    bytes: 0,
                    seconds: 0.0,
                });
                parts.len() - 1
            }
        };
        parts[i].flops += row.counts.flops_executed;
        parts[i].bytes += row.counts.mem_access_bytes();
        parts[i].seconds += seconds;
    }
    parts
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
) -> Result<PartsReport, MeasureError> {
    let costs = cost::analyze(variant, workload)?;
    let model = zoo::build(variant, workload, backend, memory_limit)?;
    let device = backend.device()?;
    let input = zoo::input(variant, workload, &device)?;
    let mut seconds: Vec<(&'static str, f64)> = Vec::new();
    let mut add = |part: &'static str, s: f64| match seconds.iter_mut().find(|(p, _)| *p == part) {
        Some((_, total)) => *total += s,
        None => seconds.push((part, s)),
    };
    let part_of: fn(&cost::LayerCost) -> &'static str = match (&model, input) {
        (zoo::Model::Transformer(m), zoo::Batch::Tokens(tokens)) => {
            let times = transformer_module_times(m, tokens, &device, budget)
                .map_err(MeasureError::device(backend))?;
            check_rows(variant, &costs, &times)?;
            for (row, secs) in costs.layers.iter().zip(times) {
                add(part_name(row.kind), secs);
            }
            |l| part_name(l.kind)
        }
        (zoo::Model::Conv(net), zoo::Batch::Images(images)) => {
            conv_parts(net, images, &device, budget, &mut add)
                .map_err(MeasureError::device(backend))?;
            |l| conv_part_name(&l.name)
        }
        (zoo::Model::Vision(net), zoo::Batch::Images(images)) => {
            let Arch::Vision { spec, workload } =
                variant.arch(workload).map_err(cost::CountError::from)?
            else {
                return Err(zoo::ForwardError::WrongFamily.into());
            };
            let program = crate::vision::network(&spec, workload.in_channels, workload.classes);
            let leaves = cost::vision_leaf_costs(&program, workload.batch, workload.image_size)
                .map_err(|e| cost::CountError::Shape {
                    variant: variant.name.clone(),
                    why: e.0,
                })?;
            let times = vision_leaf_times(net, images, &device, budget)
                .map_err(MeasureError::device(backend))?;
            return Ok(PartsReport {
                variant: variant.name.clone(),
                backend,
                batch: workload.batch,
                parts: vision_parts(&leaves, &times),
            });
        }
        // A family whose parts are not timed one by one: its whole pass is its one part.
        (model, input) => {
            let secs = whole_pass(model, input, &device, budget).map_err(|e| match e {
                Whole::Forward(e) => MeasureError::from(e),
                Whole::Device(e) => MeasureError::device(backend)(e),
            })?;
            add(WHOLE_PASS, secs);
            |_| WHOLE_PASS
        }
    };
    let parts = seconds
        .into_iter()
        .map(|(part, secs)| {
            let rows = costs.layers.iter().filter(|l| part_of(l) == part);
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

/// The module times and the cost rows describe the same modules.
fn check_rows(
    variant: &Variant,
    costs: &cost::CostReport,
    times: &[f64],
) -> Result<(), MeasureError> {
    match times.len() == costs.layers.len() {
        true => Ok(()),
        false => Err(cost::CountError::Shape {
            variant: variant.name.clone(),
            why: format!(
                "{} modules timed for {} counted",
                times.len(),
                costs.layers.len()
            ),
        }
        .into()),
    }
}

/// Each module of a transformer `variant` timed alone on `backend`, about `budget` each: one
/// median per row of its cost report (embedding, each layer's attention and FFN or MoE, final
/// norm, head). `None` for a family whose modules are not timed one by one.
pub fn measure_modules(
    variant: &Variant,
    workload: &Workload,
    backend: Backend,
    memory_limit: u64,
    budget: Duration,
) -> Result<Option<Vec<f64>>, MeasureError> {
    let costs = cost::analyze(variant, workload)?;
    let model = zoo::build(variant, workload, backend, memory_limit)?;
    let device = backend.device()?;
    let (zoo::Model::Transformer(m), zoo::Batch::Tokens(tokens)) =
        (&model, zoo::input(variant, workload, &device)?)
    else {
        return Ok(None);
    };
    let times = transformer_module_times(m, tokens, &device, budget)
        .map_err(MeasureError::device(backend))?;
    check_rows(variant, &costs, &times)?;
    Ok(Some(times))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::ImageWorkload;
    use crate::backend::Backend;
    use crate::family::{ConvKind, ConvSpec};

    #[test]
    fn a_whole_pass_is_timed_on_its_own_input_and_refused_on_another() {
        let device = Backend::Flex.device().expect("flex is always there");
        let spec = ConvSpec {
            kind: ConvKind::Standard,
            width: 4,
            blocks: 1,
        };
        let images = ImageWorkload {
            batch: 1,
            image_size: 8,
            in_channels: 3,
            classes: 2,
            seed: 7,
        };
        let model = zoo::Model::Conv(zoo::build_conv(&spec, &images, &device));
        let input = zoo::Batch::Images(zoo::random_images(&images, &device));
        let budget = Duration::from_millis(1);
        match whole_pass(&model, input, &device, budget) {
            Ok(seconds) => assert!(seconds.is_finite() && seconds > 0.0, "{seconds}"),
            Err(_) => panic!("a conv network's own images must run"),
        }
        let tokens = zoo::Batch::Tokens(Tensor::<2, Int>::zeros([1, 4], &device));
        assert!(matches!(
            whole_pass(&model, tokens, &device, budget),
            Err(Whole::Forward(zoo::ForwardError::WrongFamily))
        ));
    }
}
