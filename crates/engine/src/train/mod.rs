//! Time to convergence: each variant trained (autodiff device, Adam) on the Markov-chain task
//! until its smoothed loss reaches a target above the known floor, or its step budget runs
//! out. Reports steps, tokens, wall time, training FLOPs to the target and time per step.

mod markov;
mod plot;
mod report;

pub use markov::MarkovChain;
pub use plot::train_svg;
pub use report::{TrainDocument, to_csv, to_text};

use std::time::{Duration, Instant};

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::arch::{TokenWorkload, Variant, Workload};
use crate::backend::Backend;
use crate::error::{MeasureError, NotApplicable};
use crate::family::Feature;
use crate::family::{Family, Kernel};
use crate::zoo;

/// Successors per token of the task's chain.
pub const BRANCHING: usize = 4;
/// Above the floor, the default target: close enough to show learning, reachable by all.
pub const DEFAULT_MARGIN: f64 = 0.1;
/// Weight of a new loss in the smoothed loss the target is judged on.
const SMOOTHING: f64 = 0.1;

#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Smoothed loss (nats per token) to reach; default the floor + [`DEFAULT_MARGIN`].
    pub target_loss: Option<f64>,
    pub max_steps: usize,
    pub learning_rate: f64,
    /// Also stop after this long.
    pub max_time: Duration,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            target_loss: None,
            max_steps: 2000,
            learning_rate: 3e-3,
            max_time: Duration::from_secs(300),
        }
    }
}

/// The loss floor of a suite's task, nats per token; `None` for an image workload, which has no
/// convergence task.
pub fn loss_floor(workload: &Workload) -> Option<f64> {
    workload.token_workload().map(|t| task(&t).entropy_rate())
}

/// The task of a token workload: its chain and loss floor.
pub fn task(workload: &TokenWorkload) -> MarkovChain {
    MarkovChain::random(workload.vocab, BRANCHING, workload.seed ^ 0x5eed_7a5c)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainRun {
    pub variant: String,
    pub backend: Backend,
    /// The chain's entropy rate: the best achievable loss, nats per token.
    pub floor: f64,
    pub target: f64,
    pub reached: bool,
    /// Steps taken (to the target when reached).
    pub steps: usize,
    pub tokens: u64,
    pub wall_s: f64,
    /// Median seconds per step.
    pub step_s: f64,
    /// Analytic training FLOPs per step x steps.
    pub train_flops: u64,
    pub best_loss: f64,
    /// (step, loss) of every step.
    pub losses: Vec<(usize, f64)>,
    /// Why the run stopped early, or could not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Trains `variant` from its seed on the suite's task; `on_step(step, loss, smoothed)` sees
/// every step as it ends.
pub fn train_variant(
    variant: &Variant,
    workload: &Workload,
    backend: Backend,
    memory_limit: u64,
    config: &TrainConfig,
    mut on_step: impl FnMut(usize, f64, f64),
) -> Result<TrainRun, MeasureError> {
    train_until(
        variant,
        workload,
        backend,
        memory_limit,
        config,
        |step, loss, smoothed| {
            on_step(step, loss, smoothed);
            true
        },
    )
}

/// [`train_variant`], stopped early (with a note) when `on_step` returns false.
pub fn train_until(
    variant: &Variant,
    workload: &Workload,
    backend: Backend,
    memory_limit: u64,
    config: &TrainConfig,
    mut on_step: impl FnMut(usize, f64, f64) -> bool,
) -> Result<TrainRun, MeasureError> {
    if let Some(na) = NotApplicable::feature(variant, Feature::Training) {
        return Err(na.into());
    }
    let (Some(tokens), Some(_)) = (workload.token_workload(), variant.transformer_dims()) else {
        return Err(crate::zoo::ForwardError::WrongFamily.into());
    };
    if matches!(variant.family, Family::Pruned(p) if p.kernel == Kernel::Csr) {
        return Err(NotApplicable::NoBackward {
            variant: variant.name.clone(),
        }
        .into());
    }
    if let Some(q) = variant.precision.quantize {
        return Err(NotApplicable::QuantizedNoBackward {
            variant: variant.name.clone(),
            bits: q.bits.name(),
        }
        .into());
    }
    let chain = task(&tokens);
    let floor = chain.entropy_rate();
    let target = config.target_loss.unwrap_or(floor + DEFAULT_MARGIN);
    let per_step = crate::cost::analyze(variant, workload)?.totals.train_flops;
    zoo::check(variant, workload, backend, memory_limit)?;
    let device = backend.device()?.autodiff();
    let mut model = zoo::build_lm_on(variant, workload, &device, "training")?;
    let mut optimizer = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut rng = StdRng::seed_from_u64(workload.seed);
    let (b, s, v) = (tokens.batch, tokens.seq_len, tokens.vocab);

    let started = Instant::now();
    let (mut smoothed, mut best) = (f64::NAN, f64::INFINITY);
    let mut losses = Vec::new();
    let mut step_times = Vec::new();
    let mut reached = false;
    let mut note = None;
    let mut step = 0;
    while step < config.max_steps {
        if started.elapsed() > config.max_time {
            note = Some(format!(
                "stopped after {:.0} s, the time budget",
                config.max_time.as_secs_f64()
            ));
            break;
        }
        let t0 = Instant::now();
        let (inputs, targets) = chain.sample(b, s, &mut rng);
        let inputs = Tensor::<2, Int>::from_data(TensorData::new(inputs, [b, s]), &device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(targets, [b * s]), &device);
        let logits = model.forward(inputs).logits.reshape([b * s, v]);
        let loss = loss_fn.forward(logits, targets);
        let value = f64::from(loss.clone().into_scalar::<f32>());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(config.learning_rate, model, grads);
        crate::timing::sync(&device).map_err(MeasureError::device(backend))?;
        step_times.push(t0.elapsed().as_secs_f64());
        step += 1;
        if !value.is_finite() {
            note = Some(format!("the loss diverged at step {step}"));
            break;
        }
        smoothed = if smoothed.is_nan() {
            value
        } else {
            SMOOTHING * value + (1.0 - SMOOTHING) * smoothed
        };
        best = best.min(smoothed);
        losses.push((step, value));
        if !on_step(step, value, smoothed) {
            note = Some(format!("stopped at step {step}"));
            break;
        }
        // The smoothed loss needs a few steps before it means anything.
        if step >= 10 && smoothed <= target {
            reached = true;
            break;
        }
    }
    if !reached && note.is_none() {
        note = Some(format!("the target was not reached in {step} steps"));
    }
    step_times.sort_by(f64::total_cmp);
    Ok(TrainRun {
        variant: variant.name.clone(),
        backend,
        floor,
        target,
        reached,
        steps: step,
        tokens: (step * b * s) as u64,
        wall_s: started.elapsed().as_secs_f64(),
        step_s: step_times.get(step_times.len() / 2).copied().unwrap_or(0.0),
        train_flops: per_step * step as u64,
        best_loss: best,
        losses,
        note,
    })
}
