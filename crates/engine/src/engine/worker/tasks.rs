//! Running a consumer's task: it reaches the worker through [`Host`], and measuring waits
//! until it ends.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::{Worker, release_pool};
use crate::backend::panic_message;
use crate::engine::task::Host;
use crate::engine::{EngineError, EngineEvent, Task, TaskContext};

impl<T: Task> Worker<T> {
    pub(super) fn run_task(&mut self, task: T) {
        let variants = self.slots.iter().map(|s| s.variant.clone()).collect();
        let focused = self.slots.get(self.focus).map(|s| s.variant.clone());
        let (workload, backend) = (self.workload(), self.on.backend);
        let (limit, every) = (self.config.memory_limit, self.config.summary_every);
        let outcome = {
            let mut ctx =
                TaskContext::new(variants, focused, workload, backend, limit, every, self);
            catch_unwind(AssertUnwindSafe(|| task.run(&mut ctx)))
        };
        if let Err(payload) = outcome {
            let what = self.busy.take().unwrap_or_else(|| format!("{task:?}"));
            self.emit(EngineEvent::Error(EngineError::TaskPanicked {
                what,
                backend,
                message: panic_message(&payload),
            }));
        }
        // A task builds its own models on the device: hand their pages back.
        release_pool(&self.on.device);
        self.busy = None;
        self.maybe_summary(true);
    }
}

impl<T: Task> Host<T::Report> for Worker<T> {
    fn set_busy(&mut self, label: String) {
        self.busy = Some(label);
        self.maybe_summary(true);
    }

    fn send(&mut self, event: EngineEvent<T::Report>) {
        self.emit(event);
    }

    fn carry_on(&mut self) -> bool {
        self.poll_commands();
        !self.stop
    }
}
