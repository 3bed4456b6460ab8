//! The measurement engine: a named worker thread that owns the models and the device, measures
//! every variant honestly, and reports throttled summaries. Nothing here knows about terminals.

pub mod heap;
mod peak;
mod process;
mod task;
mod worker;

pub use crate::measured::stats;
pub use crate::measured::{
    DeviceMemory, Flag, Peaks, Phase, ProcessMemory, RunHeader, Summary, SweepPoint, VariantSummary,
};
pub use peak::measure as measure_peaks;
pub use task::{NoTask, Task, TaskContext};

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::backend::Backend;
pub use crate::error::EngineError;
use crate::spec::Suite;
use stats::WarmupPolicy;

/// What the engine measures and how.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub suite: Suite,
    /// Variant names to measure, in display order; the baseline first when it is included.
    pub variants: Vec<String>,
    pub backend: Backend,
    /// Sequences per forward pass (the suite's batch unless changed).
    pub batch: usize,
    pub memory_limit: u64,
    /// How long each variant runs before the next one's turn.
    pub slice: Duration,
    /// How often a summary is sent.
    pub summary_every: Duration,
    pub warmup: WarmupPolicy,
    /// Slices the focused variant gets per round (the others get one).
    pub focus_share: u32,
    /// Stop after this many measured iterations of every variant (headless `--iters`).
    pub iterations: Option<u64>,
    /// Measure peak FLOP/s and bandwidth when a backend is first used.
    pub measure_peaks: bool,
    /// The backend to measure on when `backend` cannot be opened at the start (the terminal
    /// UI's choice); without one the engine finishes.
    pub fallback: Option<Backend>,
}

impl EngineConfig {
    pub fn new(suite: Suite, backend: Backend, memory_limit: u64) -> Self {
        let mut variants = vec![suite.workload.baseline.clone()];
        variants.extend(
            suite
                .variants
                .iter()
                .filter(|v| v.name != suite.workload.baseline)
                .map(|v| v.name.clone()),
        );
        Self {
            batch: suite.workload.batch,
            suite,
            variants,
            backend,
            memory_limit,
            slice: Duration::from_millis(250),
            summary_every: Duration::from_millis(100),
            warmup: WarmupPolicy::default(),
            focus_share: 2,
            iterations: None,
            measure_peaks: true,
            fallback: None,
        }
    }
}

/// Commands the worker takes; `T` is the consumer's [`Task`] type.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineCmd<T> {
    Pause,
    Resume,
    SelectBackend(Backend),
    Focus(String),
    SetBatch(usize),
    ResetStats,
    /// Measure every variant at each of these batch sizes in turn, reporting a
    /// [`EngineEvent::SweepPoint`] per size, then go back to the batch it had.
    Sweep(Vec<usize>),
    /// Run a task once the current slice ends; measuring waits meanwhile.
    Run(T),
    Stop,
}

/// What the worker reports; `R` is what the consumer's tasks report.
#[derive(Clone, Debug)]
pub enum EngineEvent<R> {
    Summary(Box<Summary>),
    /// Every variant measured at one batch size of a sweep.
    SweepPoint(Box<SweepPoint>),
    /// A task's progress or result.
    Report(R),
    /// Something failed; the engine carries on where it can.
    Error(EngineError),
    /// A backend could not be opened (no wgpu adapter, a driver failure). The engine stays on
    /// `staying_on`, or finishes when there is no backend to stay on.
    Unavailable {
        backend: Backend,
        reason: String,
        staying_on: Option<Backend>,
    },
    /// The worker finished: stopped, done with `iterations`, or its consumer left.
    Finished,
}

/// The consumer's end of a running engine. Dropping it stops the worker, waiting for it only
/// briefly: a worker inside a kernel compile or a driver call is abandoned, not joined, so
/// quitting never waits on the device.
pub struct EngineHandle<T: Task = NoTask> {
    commands: Sender<EngineCmd<T>>,
    events: Receiver<EngineEvent<T::Report>>,
    thread: Option<JoinHandle<()>>,
}

/// What waiting for the engine gave.
#[derive(Debug)]
pub enum Received<R> {
    Event(EngineEvent<R>),
    /// Nothing arrived in time; the worker is still running.
    Nothing,
    /// The worker is gone (it finished, or it died without saying so) and every event it sent
    /// has been received.
    Gone,
}

impl<R> Received<R> {
    /// The event, if one arrived.
    pub fn event(self) -> Option<EngineEvent<R>> {
        match self {
            Received::Event(e) => Some(e),
            Received::Nothing | Received::Gone => None,
        }
    }
}

/// Events waiting in the channel at most; summaries beyond it are dropped (a newer one follows).
const EVENT_CAPACITY: usize = 16;

/// How long stopping waits for the worker to finish before abandoning it.
const STOP_GRACE: Duration = Duration::from_millis(300);

impl<T: Task> EngineHandle<T> {
    pub fn spawn(config: EngineConfig) -> std::io::Result<Self> {
        Self::spawn_worker(move |commands, events| worker::run(config, commands, events))
    }

    /// Runs `worker` as the engine's thread (tests, the front ends' among them, stand a fake
    /// one in for the real one).
    #[doc(hidden)]
    pub fn spawn_worker(
        worker: impl FnOnce(Receiver<EngineCmd<T>>, SyncSender<EngineEvent<T::Report>>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (commands, command_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::sync_channel(EVENT_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("effprof-engine".into())
            .spawn(move || worker(command_rx, event_tx))?;
        Ok(Self {
            commands,
            events,
            thread: Some(thread),
        })
    }

    /// Sends a command; false when the worker has already finished.
    pub fn send(&self, cmd: EngineCmd<T>) -> bool {
        self.commands.send(cmd).is_ok()
    }

    /// Every event that has arrived, without waiting.
    pub fn drain(&self) -> Vec<EngineEvent<T::Report>> {
        self.events.try_iter().collect()
    }

    /// Waits up to `timeout` for the next event, telling "nothing yet" from "the worker is gone".
    pub fn recv_timeout(&self, timeout: Duration) -> Received<T::Report> {
        match self.events.recv_timeout(timeout) {
            Ok(event) => Received::Event(event),
            Err(mpsc::RecvTimeoutError::Timeout) => Received::Nothing,
            Err(mpsc::RecvTimeoutError::Disconnected) => Received::Gone,
        }
    }

    /// Stops the worker: waits a moment for it to finish, then abandons it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Whether the worker thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    fn shutdown(&mut self) {
        let _ = self.commands.send(EngineCmd::Stop);
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = std::time::Instant::now() + STOP_GRACE;
        // Unblock a worker waiting to hand over an event.
        while !thread.is_finished() && std::time::Instant::now() < deadline {
            let _ = self.events.recv_timeout(Duration::from_millis(10));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
        // Otherwise the thread is detached: it sees `Stop` (or a closed channel) when its
        // current call returns, and the process does not wait for it.
    }
}

impl<T: Task> Drop for EngineHandle<T> {
    fn drop(&mut self) {
        self.shutdown();
    }
}
