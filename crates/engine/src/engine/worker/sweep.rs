//! Sweeps: every variant measured at each of a list of batch sizes in turn, a point taken at
//! each, then back to the batch the sweep started from.

use std::time::{Duration, Instant};

use super::{Slot, Task, Worker};
use crate::arch::MAX_BATCH;
use crate::engine::{EngineError, EngineEvent};
use crate::measured::SweepPoint;

/// A sweep point is taken once every variant has this many iterations at its batch…
const SWEEP_ITERATIONS: u64 = 10;
/// …or has measured this long after warm-up, whichever comes first.
const SWEEP_POINT_TIME: Duration = Duration::from_secs(8);

/// A sweep under way: the batches left, and the batch to go back to.
pub(super) struct SweepPlan {
    batches: Vec<usize>,
    next: usize,
    restore: usize,
    /// When every variant was first warm at the current batch.
    warm_since: Option<Instant>,
}

impl SweepPlan {
    /// The work under way, for the summary: which batch of how many.
    pub(super) fn describe(&self, batch: usize) -> String {
        format!(
            "sweeping batch sizes: {} of {} (batch {batch})",
            self.next,
            self.batches.len()
        )
    }
}

impl<T: Task> Worker<T> {
    pub(super) fn start_sweep(&mut self, batches: Vec<usize>) {
        if let Some(bad) = batches.iter().find(|b| **b == 0 || **b > MAX_BATCH) {
            return self.emit(EngineEvent::Error(EngineError::BatchOutOfRange {
                batch: *bad,
                max: MAX_BATCH,
                sweep: true,
            }));
        }
        if batches.is_empty() {
            return;
        }
        let restore = self.sweep.as_ref().map_or(self.batch, |s| s.restore);
        self.sweep = Some(SweepPlan {
            batches,
            next: 0,
            restore,
            warm_since: None,
        });
        self.sweep_to_next();
    }

    /// Moves the sweep to its next batch, or ends it at the batch it started from.
    fn sweep_to_next(&mut self) {
        let Some(plan) = self.sweep.as_mut() else {
            return;
        };
        let batch = match plan.batches.get(plan.next) {
            Some(b) => *b,
            None => {
                let restore = plan.restore;
                self.sweep = None;
                restore
            }
        };
        if let Some(plan) = self.sweep.as_mut() {
            plan.next += 1;
            plan.warm_since = None;
        }
        if batch != self.batch {
            self.batch = batch;
            self.rebuild_slots();
        }
    }

    /// During a sweep: takes the point once every runnable variant has enough iterations.
    pub(super) fn sweep_step(&mut self) {
        if self.sweep.is_none() {
            return;
        }
        let runnable: Vec<&Slot> = self.slots.iter().filter(|s| !s.is_failed()).collect();
        let counts: Option<Vec<u64>> = runnable
            .iter()
            .map(|s| {
                if !s.is_ready() {
                    return None;
                }
                let r = self.stats.record(&self.key(&s.variant.name))?;
                r.warmed.then(|| r.latency.count())
            })
            .collect();
        // Every runnable variant warm at this batch, or no point yet.
        let (Some(counts), Some(plan)) = (counts, self.sweep.as_mut()) else {
            return;
        };
        let enough = counts.iter().all(|c| *c >= SWEEP_ITERATIONS)
            || plan
                .warm_since
                .is_some_and(|t| t.elapsed() >= SWEEP_POINT_TIME);
        if !enough {
            plan.warm_since.get_or_insert_with(Instant::now);
            return;
        }
        let summary = self.summary();
        self.emit(EngineEvent::SweepPoint(Box::new(SweepPoint::from_summary(
            &summary,
        ))));
        self.sweep_to_next();
    }
}
