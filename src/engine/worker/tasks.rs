//! The worker's work besides measuring forward passes: sweeps across batch sizes, training
//! runs, and the focused variant's pipeline stages and parts. Each reports through the same
//! events and shows as the work under way in summaries.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::{Slot, Worker, release_pool};
use crate::backend::Backend;
use crate::engine::{EngineCmd, EngineEvent};
use crate::error::MeasureError;
use crate::spec::{Variant, Workload};

/// Timing per pipeline stage and pass.
const STAGE_BUDGET: Duration = Duration::from_millis(250);
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

impl Worker {
    pub(super) fn start_sweep(&mut self, batches: Vec<usize>) {
        if let Some(bad) = batches.iter().find(|b| **b == 0 || **b > 1 << 16) {
            return self.emit(EngineEvent::Error(format!(
                "sweep: batch must be between 1 and 65536; got {bad}"
            )));
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
        let Some(plan) = self.sweep.as_ref() else {
            return;
        };
        let runnable: Vec<&Slot> = self.slots.iter().filter(|s| s.failed.is_none()).collect();
        let counts: Vec<Option<u64>> = runnable
            .iter()
            .map(|s| {
                s.model.as_ref()?;
                let r = self.records.get(&self.key(&s.variant.name))?;
                r.warmed.then(|| r.latency.count())
            })
            .collect();
        let all_warm = counts.iter().all(|c| c.is_some());
        if !all_warm {
            return;
        }
        let warm_since = plan.warm_since;
        let enough = counts.iter().all(|c| c.unwrap_or(0) >= SWEEP_ITERATIONS)
            || warm_since.is_some_and(|t| t.elapsed() >= SWEEP_POINT_TIME);
        if !enough {
            if warm_since.is_none() {
                self.sweep.as_mut().expect("checked").warm_since = Some(Instant::now());
            }
            return;
        }
        let summary = self.summary();
        self.emit(EngineEvent::SweepPoint(Box::new(
            crate::sweep::SweepPoint::from_summary(&summary),
        )));
        self.sweep_to_next();
    }

    /// Trains every variant in turn, reporting progress at most every summary interval and
    /// reading commands between steps (a stop ends the run at once).
    pub(super) fn train_all(&mut self, commands: &Receiver<EngineCmd>) {
        let (workload, backend, limit) = (self.workload(), self.backend, self.config.memory_limit);
        let variants: Vec<Variant> = self.slots.iter().map(|s| s.variant.clone()).collect();
        let config = crate::train::TrainConfig::default();
        for variant in variants {
            if self.stop {
                break;
            }
            self.busy = Some(format!("training {}", variant.name));
            self.maybe_summary(true);
            let mut pending: Vec<(usize, f64)> = Vec::new();
            let mut last = Instant::now();
            let name = variant.name.clone();
            let result = catch_unwind(AssertUnwindSafe(|| {
                crate::train::train_until(
                    &variant,
                    &workload,
                    backend,
                    limit,
                    &config,
                    |step, _, smoothed| {
                        pending.push((step, smoothed));
                        if last.elapsed() >= self.config.summary_every {
                            last = Instant::now();
                            self.busy =
                                Some(format!("training {name}: step {step}, loss {smoothed:.3}"));
                            self.emit(EngineEvent::TrainProgress {
                                variant: name.clone(),
                                points: std::mem::take(&mut pending),
                            });
                            self.poll_commands(commands);
                            self.maybe_summary(true);
                        }
                        !self.stop
                    },
                )
            }))
            .unwrap_or_else(|p| Err(MeasureError::panicked(backend, &p)));
            if !pending.is_empty() {
                self.emit(EngineEvent::TrainProgress {
                    variant: variant.name.clone(),
                    points: pending,
                });
            }
            // Each run builds its own model and optimiser state on the device.
            release_pool(&self.device);
            self.emit(EngineEvent::Trained(Box::new(
                result.map_err(|e| (variant.name.clone(), e.to_string())),
            )));
        }
        self.busy = None;
        self.maybe_summary(true);
    }

    /// Times each part of the focused variant alone; measuring waits meanwhile.
    pub(super) fn measure_parts(&mut self) {
        self.focused_work(
            |name| format!("timing the parts of {name}"),
            "parts",
            |variant, workload, backend, limit| {
                crate::roofline::measure_parts(variant, workload, backend, limit, STAGE_BUDGET)
            },
            |parts| EngineEvent::Parts(Box::new(parts)),
        );
    }

    /// Measures the focused variant in `stages` pipeline stages; measuring waits meanwhile.
    pub(super) fn measure_stages(&mut self, stages: usize) {
        self.focused_work(
            |name| format!("measuring {name} in {stages} pipeline stages"),
            "pipeline stages",
            |variant, workload, backend, limit| {
                crate::pipeline::measure_stages(
                    variant,
                    workload,
                    backend,
                    stages,
                    limit,
                    STAGE_BUDGET,
                )
            },
            |latencies| EngineEvent::Stages(Box::new(latencies)),
        );
    }

    /// Runs `work` on the focused variant with `label` shown as the work under way; reports
    /// its result as `event`, or its failure (a panic included) as an error about `what`.
    fn focused_work<T>(
        &mut self,
        label: impl Fn(&str) -> String,
        what: &str,
        work: impl FnOnce(&Variant, &Workload, Backend, u64) -> Result<T, MeasureError>,
        event: impl FnOnce(T) -> EngineEvent,
    ) {
        let Some(variant) = self.slots.get(self.focus).map(|s| s.variant.clone()) else {
            return;
        };
        self.busy = Some(label(&variant.name));
        self.maybe_summary(true);
        let (workload, backend, limit) = (self.workload(), self.backend, self.config.memory_limit);
        let result = catch_unwind(AssertUnwindSafe(|| {
            work(&variant, &workload, backend, limit)
        }))
        .unwrap_or_else(|p| Err(MeasureError::panicked(backend, &p)));
        release_pool(&self.device);
        self.busy = None;
        match result {
            Ok(value) => self.emit(event(value)),
            Err(reason) => self.emit(EngineEvent::Error(format!(
                "{what} of `{}` on {backend}: {reason}",
                variant.name
            ))),
        }
        self.maybe_summary(true);
    }
}
