//! What the measuring views (Pipeline, Sweep, Train, Generate) hold between the engine's
//! reports.

use crate::backend::Backend;
use crate::pipeline::StageLatencies;
use crate::sweep::{SweepPoint, SweepReport};

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

/// The Train view's runs: finished ones, and the loss curve of each so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainState {
    pub started: bool,
    /// Variants still to finish, in order.
    pub waiting: Vec<String>,
    /// (variant, (step, smoothed loss) so far).
    pub curves: Vec<(String, Vec<(usize, f64)>)>,
    pub runs: Vec<crate::train::TrainRun>,
    /// Variants that could not train, and why.
    pub failed: Vec<(String, String)>,
}

impl TrainState {
    pub fn running(&self) -> bool {
        self.started && !self.waiting.is_empty()
    }
}

/// The Generate view's runs: each variant's generation, measured in turn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GenerateState {
    pub started: bool,
    /// Variants still to measure, in order.
    pub waiting: Vec<String>,
    pub runs: Vec<crate::generate::GenerationRun>,
    /// Variants that could not generate, and why.
    pub failed: Vec<(String, String)>,
}

impl GenerateState {
    pub fn running(&self) -> bool {
        self.started && !self.waiting.is_empty()
    }
}
