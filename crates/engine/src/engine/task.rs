//! Work the engine runs on request, between measurements: a feature's own measurement on the
//! engine's device, with its backend, workload and variants. A new measured feature is a new
//! task (the front ends' list of them is one file); the engine does not change.

use std::convert::Infallible;
use std::time::Duration;

use super::{EngineError, EngineEvent};
use crate::arch::{Variant, Workload};
use crate::backend::Backend;

pub trait Task: Clone + std::fmt::Debug + PartialEq + Send + 'static {
    /// What the task reports while it runs and when it ends.
    type Report: Clone + std::fmt::Debug + Send + 'static;

    /// Runs on the engine's thread while measuring waits. Progress, results and failures go
    /// through `ctx`; a long task asks [`TaskContext::carry_on`] between its steps.
    fn run(&self, ctx: &mut TaskContext<'_, Self::Report>);
}

/// The task type of a consumer that runs none (the headless commands).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoTask {}

impl Task for NoTask {
    type Report = Infallible;

    fn run(&self, _: &mut TaskContext<'_, Infallible>) {
        match *self {}
    }
}

/// What a task sees of the engine.
pub struct TaskContext<'a, R> {
    /// The measured variants, in display order.
    pub variants: Vec<Variant>,
    /// The variant the consumer has in focus, when there is one.
    pub focused: Option<Variant>,
    /// The workload at the engine's current batch.
    pub workload: Workload,
    pub backend: Backend,
    pub memory_limit: u64,
    /// How often a task may report progress: the engine's summary interval.
    pub report_every: Duration,
    host: &'a mut dyn Host<R>,
}

/// The engine's side of a running task.
pub(super) trait Host<R> {
    /// Shows `label` as the work under way (in a summary sent at once).
    fn set_busy(&mut self, label: String);
    fn send(&mut self, event: EngineEvent<R>);
    /// Applies waiting commands; false once the engine has been asked to stop.
    fn carry_on(&mut self) -> bool;
}

impl<'a, R> TaskContext<'a, R> {
    pub(super) fn new(
        variants: Vec<Variant>,
        focused: Option<Variant>,
        workload: Workload,
        backend: Backend,
        memory_limit: u64,
        report_every: Duration,
        host: &'a mut dyn Host<R>,
    ) -> Self {
        Self {
            variants,
            focused,
            workload,
            backend,
            memory_limit,
            report_every,
            host,
        }
    }

    /// Shows `label` as the work under way.
    pub fn busy(&mut self, label: impl Into<String>) {
        self.host.set_busy(label.into());
    }

    /// Hands `report` to the consumer.
    pub fn report(&mut self, report: R) {
        self.host.send(EngineEvent::Report(report));
    }

    /// Reports a failure; the engine carries on measuring.
    pub fn error(&mut self, error: EngineError) {
        self.host.send(EngineEvent::Error(error));
    }

    /// Reads the commands that arrived meanwhile; false once the engine has been asked to
    /// stop, when the task should end as soon as it can.
    pub fn carry_on(&mut self) -> bool {
        self.host.carry_on()
    }
}
