//! Per-stage latencies of a variant split into pipeline stages, measured on a backend: each
//! stage's forward on the plain device, and its training forward and backward on the autodiff
//! device, every pass ended by a device sync and fed by the previous pass's output.

use std::ops::Range;
use std::time::Duration;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::arch::{Variant, Workload};
use crate::backend::Backend;
use crate::error::{MeasureError, NotApplicable};
use crate::family::Feature;
use crate::family::{Family, Kernel};
use crate::timing::{dependency, median_of, median_of_reported};
use crate::zoo::{self, TransformerLm};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageLatencies {
    pub variant: String,
    pub backend: Backend,
    /// Sequences per micro-batch (the suite's batch).
    pub micro_batch: usize,
    /// Layers of each stage; the first also embeds, the last also projects to the vocabulary.
    pub layers: Vec<Range<usize>>,
    /// Median seconds of each stage's forward pass (inference).
    pub forward_s: Vec<f64>,
    /// Median seconds of each stage's forward pass with autodiff recording (training).
    pub train_forward_s: Option<Vec<f64>>,
    /// Median seconds of each stage's backward pass.
    pub backward_s: Option<Vec<f64>>,
    /// Why there is no backward figure, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backward_na: Option<String>,
}

/// Splits `n` layers into `stages` contiguous ranges whose sizes differ by at most one (the
/// larger first).
pub fn split_layers(n: usize, stages: usize) -> Vec<Range<usize>> {
    let (base, extra) = (n / stages, n % stages);
    let mut start = 0;
    (0..stages)
        .map(|s| {
            let len = base + usize::from(s < extra);
            let r = start..start + len;
            start += len;
            r
        })
        .collect()
}

/// What a stage takes: token ids (the first) or the previous stage's activations.
///
/// On the first stage the backward's own completion is only waited for by the device sync: its
/// gradients land in the embedding, which has no input to carry a dependency forward.
#[derive(Clone)]
enum StageInput {
    Tokens(Tensor<2, Int>),
    Hidden(Tensor<3>),
}

fn run_stage(
    model: &TransformerLm,
    input: StageInput,
    layers: Range<usize>,
    last: bool,
) -> Tensor<3> {
    let x = match input {
        StageInput::Tokens(t) => model.embed(t),
        StageInput::Hidden(h) => h,
    };
    let x = model.layers(x, layers, &mut Vec::new());
    if last { model.project(x) } else { x }
}

/// The next pass's input, made to wait for this pass's `output`.
fn chain(input: StageInput, output: &Tensor<3>) -> StageInput {
    let dep = dependency(output);
    match input {
        StageInput::Tokens(t) => {
            let [b, s] = t.dims();
            StageInput::Tokens(t + dep.int().reshape([1, 1]).expand([b, s]))
        }
        StageInput::Hidden(h) => StageInput::Hidden(h + dep),
    }
}

/// The inputs of every stage for one micro-batch: tokens, then each stage's output.
fn stage_inputs(
    model: &TransformerLm,
    tokens: Tensor<2, Int>,
    split: &[Range<usize>],
) -> Vec<StageInput> {
    let mut inputs = vec![StageInput::Tokens(tokens.clone())];
    let mut x = model.embed(tokens);
    for r in &split[..split.len() - 1] {
        x = model.layers(x, r.clone(), &mut Vec::new());
        inputs.push(StageInput::Hidden(x.clone()));
    }
    inputs
}

/// Measures `variant` split into `stages` on `backend`, about `budget` per stage and pass.
pub fn measure_stages(
    variant: &Variant,
    workload: &Workload,
    backend: Backend,
    stages: usize,
    memory_limit: u64,
    budget: Duration,
) -> Result<StageLatencies, MeasureError> {
    if let Some(na) = NotApplicable::feature(variant, Feature::PipelineStages) {
        return Err(na.into());
    }
    let (Some(dims), Some(tokens)) = (variant.transformer_dims(), workload.token_workload()) else {
        return Err(zoo::ForwardError::WrongFamily.into());
    };
    let n = dims.n_layers;
    if stages == 0 || stages > n {
        return Err(NotApplicable::Stages {
            variant: variant.name.clone(),
            stages,
            layers: n,
        }
        .into());
    }
    let split = split_layers(n, stages);
    let device = backend.device()?;
    let model = zoo::build_lm(variant, workload, backend, memory_limit, "pipeline staging")?;
    let failed = MeasureError::device(backend);
    let sync = crate::timing::sync;
    let min_runs = 5;

    let inputs = stage_inputs(&model, zoo::random_tokens(&tokens, &device), &split);
    let mut forward_s = Vec::new();
    for (s, r) in split.iter().enumerate() {
        let last = s + 1 == stages;
        let mut input = inputs[s].clone();
        forward_s.push(
            median_of(budget, min_runs, || {
                let out = run_stage(&model, input.clone(), r.clone(), last);
                input = chain(input.clone(), &out);
                sync(&device)
            })
            .map_err(&failed)?,
        );
    }
    drop(model);

    let csr = matches!(variant.family, Family::Pruned(p) if p.kernel == Kernel::Csr);
    let no_backward = match (csr, variant.precision.quantize) {
        (true, _) => Some("the CSR kernel runs on the host and has no backward pass".to_owned()),
        (false, Some(q)) => Some(format!(
            "its {} weights take no gradient: effprof trains float weights",
            q.bits.name()
        )),
        (false, None) => None,
    };
    if let Some(why) = no_backward {
        return Ok(StageLatencies {
            variant: variant.name.clone(),
            backend,
            micro_batch: workload.batch,
            layers: split,
            forward_s,
            train_forward_s: None,
            backward_s: None,
            backward_na: Some(why),
        });
    }
    let ad = device.clone().autodiff();
    let model = zoo::build_lm_on(variant, workload, &ad, "pipeline staging")?;
    let inputs = stage_inputs(&model, zoo::random_tokens(&tokens, &ad), &split);
    let (mut train_forward_s, mut backward_s) = (Vec::new(), Vec::new());
    for (s, r) in split.iter().enumerate() {
        let last = s + 1 == stages;
        // A fresh leaf per pass, so the stage's input gradient is part of its backward; each
        // pass waits for the previous one through `carry`.
        let leaf = |input: &StageInput, carry: &Tensor<3>| match input {
            StageInput::Tokens(t) => chain(StageInput::Tokens(t.clone()), carry),
            StageInput::Hidden(h) => {
                StageInput::Hidden((h.clone() + carry.clone()).detach().require_grad())
            }
        };
        let mut carry: Tensor<3> = Tensor::zeros([1, 1, 1], (&ad, model.dtype()));
        let forward = median_of(budget, min_runs, || {
            let out = run_stage(&model, leaf(&inputs[s], &carry), r.clone(), last);
            carry = dependency(&out).detach();
            sync(&ad)
        })
        .map_err(&failed)?;
        // The backward alone: the forward runs and syncs before the clock starts.
        let backward = median_of_reported(budget, min_runs, || {
            let input = leaf(&inputs[s], &carry);
            let out = run_stage(&model, input.clone(), r.clone(), last);
            let loss = out.clone().sum();
            sync(&ad)?;
            let t0 = std::time::Instant::now();
            let grads = loss.backward();
            carry = match &input {
                StageInput::Hidden(h) => h
                    .grad(&grads)
                    .map(|g| dependency(&g))
                    .unwrap_or_else(|| dependency(&out).detach()),
                StageInput::Tokens(_) => dependency(&out).detach(),
            };
            sync(&ad)?;
            let elapsed = t0.elapsed().as_secs_f64();
            drop(grads);
            Ok(elapsed)
        })
        .map_err(&failed)?;
        train_forward_s.push(forward);
        backward_s.push(backward);
    }
    Ok(StageLatencies {
        variant: variant.name.clone(),
        backend,
        micro_batch: workload.batch,
        layers: split,
        forward_s,
        train_forward_s: Some(train_forward_s),
        backward_s: Some(backward_s),
        backward_na: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_split_evenly_larger_stages_first() {
        assert_eq!(split_layers(4, 2), [0..2, 2..4]);
        assert_eq!(split_layers(5, 3), [0..2, 2..4, 4..5]);
        assert_eq!(split_layers(3, 3), [0..1, 1..2, 2..3]);
        assert_eq!(split_layers(7, 1), vec![0..7]);
    }
}
