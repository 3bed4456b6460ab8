//! What the measuring views (Pipeline, Sweep, Train, Generate) hold between the engine's
//! reports.

use crate::backend::Backend;
use crate::generate::GenerationRun;
use crate::pipeline::StageLatencies;
use crate::sweep::{SweepPoint, SweepReport};
use crate::tasks::VariantFailure;
use crate::train::TrainRun;

/// The Pipeline view's settings and the stages last measured.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineState {
    pub stages: usize,
    pub micro_batches: usize,
    pub latencies: Option<StageLatencies>,
    /// A measurement was asked for and has not come back.
    pub pending: bool,
}

impl Default for PipelineState {
    fn default() -> Self {
        Self {
            stages: 2,
            micro_batches: 4,
            latencies: None,
            pending: false,
        }
    }
}

/// Batch sizes a sweep from the TUI measures.
pub const SWEEP_BATCHES: [usize; 5] = [1, 2, 4, 8, 16];

/// The Sweep view's points so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepState {
    /// The batches asked for; empty before the first sweep.
    pub batches: Vec<usize>,
    pub points: Vec<SweepPoint>,
    /// The backend the points were measured on.
    pub backend: Option<Backend>,
    /// The batch the engine goes back to when the sweep ends.
    pub restore: usize,
}

impl SweepState {
    pub fn running(&self) -> bool {
        !self.batches.is_empty() && self.points.len() < self.batches.len()
    }

    /// The finished sweep, once every point came.
    pub fn report(&self) -> Option<SweepReport> {
        if self.batches.is_empty() || self.running() {
            return None;
        }
        Some(SweepReport::new(self.backend?, self.points.clone()))
    }
}

/// Every variant run in turn by one task, each one's result collected as it comes: the state
/// Train and Generate share. `P` is what the unfinished runs have shown so far.
#[derive(Clone, Debug, PartialEq)]
pub struct RunAll<R, P = ()> {
    pub started: bool,
    /// Variants still to finish, in order.
    pub waiting: Vec<String>,
    pub runs: Vec<R>,
    /// Variants that could not run, and why.
    pub failed: Vec<VariantFailure>,
    pub partial: P,
}

impl<R, P: Default> Default for RunAll<R, P> {
    fn default() -> Self {
        Self {
            started: false,
            waiting: Vec::new(),
            runs: Vec::new(),
            failed: Vec::new(),
            partial: P::default(),
        }
    }
}

/// A finished run, by the variant it ran.
pub trait VariantRun {
    fn variant(&self) -> &str;
}

impl VariantRun for TrainRun {
    fn variant(&self) -> &str {
        &self.variant
    }
}

impl VariantRun for GenerationRun {
    fn variant(&self) -> &str {
        &self.variant
    }
}

impl<R: VariantRun, P: Default> RunAll<R, P> {
    /// A run of `variants`, none finished.
    pub fn start(variants: Vec<String>) -> Self {
        Self {
            started: true,
            waiting: variants,
            ..Self::default()
        }
    }

    pub fn running(&self) -> bool {
        self.started && !self.waiting.is_empty()
    }

    /// Variants finished, measured or failed.
    pub fn done(&self) -> usize {
        self.runs.len() + self.failed.len()
    }

    /// The variant running now.
    pub fn current(&self) -> Option<&str> {
        self.waiting.first().map(String::as_str)
    }

    /// Takes one variant's result; true when it was the last one awaited.
    pub fn finish(&mut self, result: Result<R, VariantFailure>) -> bool {
        let name = match result {
            Ok(run) => {
                let name = run.variant().to_owned();
                self.runs.push(run);
                name
            }
            Err(failure) => {
                let name = failure.variant.clone();
                self.failed.push(failure);
                name
            }
        };
        self.waiting.retain(|v| *v != name);
        self.started && self.waiting.is_empty()
    }

    /// Why `variant` has no run, if it failed.
    pub fn failure(&self, variant: &str) -> Option<&VariantFailure> {
        self.failed.iter().find(|f| f.variant == variant)
    }
}

/// A variant's loss curve so far: (step, smoothed loss) points.
pub type Curve = (String, Vec<(usize, f64)>);

/// The Train view's runs: finished ones, and the loss curve of each so far (`partial`).
pub type TrainState = RunAll<TrainRun, Vec<Curve>>;

/// The Generate view's runs: each variant's generation, measured in turn.
pub type GenerateState = RunAll<GenerationRun>;

impl TrainState {
    /// Adds `points` to `variant`'s curve.
    pub fn progress(&mut self, variant: String, points: Vec<(usize, f64)>) {
        match self.partial.iter_mut().find(|(v, _)| *v == variant) {
            Some((_, curve)) => curve.extend(points),
            None => self.partial.push((variant, points)),
        }
    }
}
