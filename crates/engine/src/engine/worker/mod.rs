//! The worker thread: builds models, warms them up, times them in interleaved slices, runs the
//! tasks it is asked for between slices, and sends summaries.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use burn::prelude::*;

use super::heap;
use super::peak;
use super::{EngineCmd, EngineConfig, EngineEvent, Task};
use crate::arch::{MAX_BATCH, Workload};
use crate::backend::{Backend, Unavailable, panic_message};
use crate::error::{EngineError, MeasureError};
use crate::measured::{DeviceMemory, RunHeader, Summary};
use crate::timing;
use crate::zoo::{self, Batch, Model, RoutingTensors};

mod outbox;
mod slot;
mod statistics;
mod sweep;
mod tasks;

use outbox::Outbox;
use slot::{Built, Slot, SlotState};
use statistics::{Pass, RecordKey, Statistics};
use sweep::SweepPlan;

pub(super) fn run<T: Task>(
    config: EngineConfig,
    commands: Receiver<EngineCmd<T>>,
    events: SyncSender<EngineEvent<T::Report>>,
) {
    let mut worker = Worker::new(config, commands, events);
    worker.select_backend(worker.config.backend, true);
    worker.main_loop();
    worker.finish();
}

/// The backend being measured on.
struct OnDevice {
    backend: Backend,
    device: Device,
    /// The adapter's name and what tells two of one name apart.
    adapter: (String, String),
}

struct Worker<T: Task> {
    config: EngineConfig,
    commands: Receiver<EngineCmd<T>>,
    outbox: Outbox<T::Report>,
    on: OnDevice,
    batch: usize,
    slots: Vec<Slot>,
    /// The slot with the focus, and the one whose turn is next.
    focus: usize,
    next_slot: usize,
    paused: bool,
    stop: bool,
    sweep: Option<SweepPlan>,
    /// Tasks asked for, run in order from the main loop.
    tasks: VecDeque<T>,
    /// The work under way besides measuring, shown in summaries.
    busy: Option<String>,
    stats: Statistics,
    last_summary: Instant,
}

impl<T: Task> Worker<T> {
    fn new(
        config: EngineConfig,
        commands: Receiver<EngineCmd<T>>,
        events: SyncSender<EngineEvent<T::Report>>,
    ) -> Self {
        Self {
            batch: config.batch,
            commands,
            outbox: Outbox::new(events),
            on: OnDevice {
                backend: config.backend,
                // Nothing runs here: `select_backend` opens the configured backend first thing.
                device: Device::flex(),
                adapter: (String::new(), String::new()),
            },
            slots: Vec::new(),
            focus: 0,
            next_slot: 0,
            paused: false,
            stop: false,
            sweep: None,
            tasks: VecDeque::new(),
            busy: None,
            stats: Statistics::new(),
            last_summary: Instant::now(),
            config,
        }
    }

    fn workload(&self) -> Workload {
        Workload {
            batch: self.batch,
            ..self.config.suite.workload.clone()
        }
    }

    fn key(&self, variant: &str) -> RecordKey {
        RecordKey {
            variant: variant.to_owned(),
            backend: self.on.backend,
            batch: self.batch,
        }
    }

    // ---- events -------------------------------------------------------------------------

    fn emit(&mut self, event: EngineEvent<T::Report>) {
        self.outbox.push(event);
        self.stop |= self.outbox.disconnected();
    }

    /// Sends a summary if one is due (or `force`d) and no other event is waiting; dropped
    /// when the channel is full, since a newer one follows.
    fn maybe_summary(&mut self, force: bool) {
        if !force && self.last_summary.elapsed() < self.config.summary_every {
            return;
        }
        if self.outbox.flush() {
            self.last_summary = Instant::now();
            let summary = self.summary();
            self.outbox.offer_summary(summary);
        }
        self.stop |= self.outbox.disconnected();
    }

    fn finish(self) {
        let summary = EngineEvent::Summary(Box::new(self.summary()));
        // The last word, given up to a second to be taken.
        self.outbox
            .close([summary, EngineEvent::Finished], Duration::from_secs(1));
    }

    // ---- commands -----------------------------------------------------------------------

    /// Applies every waiting command; true when one changed what is being measured.
    fn poll_commands(&mut self) -> bool {
        let mut changed = false;
        loop {
            match self.commands.try_recv() {
                Ok(cmd) => changed |= self.apply(cmd),
                Err(TryRecvError::Empty) => return changed,
                Err(TryRecvError::Disconnected) => {
                    self.stop = true;
                    return true;
                }
            }
        }
    }

    fn apply(&mut self, cmd: EngineCmd<T>) -> bool {
        match cmd {
            EngineCmd::Stop => self.stop = true,
            EngineCmd::Pause => self.paused = true,
            EngineCmd::Resume => self.paused = false,
            EngineCmd::SelectBackend(backend) => {
                if backend != self.on.backend {
                    self.select_backend(backend, false);
                }
            }
            EngineCmd::Focus(name) => {
                match self.slots.iter().position(|s| s.variant.name == name) {
                    Some(i) => self.focus = i,
                    None => self.emit(EngineEvent::Error(EngineError::NoSuchVariant {
                        name,
                        variants: self.config.variants.clone(),
                    })),
                }
            }
            EngineCmd::SetBatch(batch) => {
                if batch == 0 || batch > MAX_BATCH {
                    self.emit(EngineEvent::Error(EngineError::BatchOutOfRange {
                        batch,
                        max: MAX_BATCH,
                        sweep: false,
                    }));
                } else if batch != self.batch {
                    self.batch = batch;
                    self.rebuild_slots();
                }
            }
            EngineCmd::Sweep(batches) => self.start_sweep(batches),
            EngineCmd::Run(task) => self.tasks.push_back(task),
            EngineCmd::ResetStats => self.stats.reset(self.on.backend),
        }
        true
    }

    /// Switches to `backend` when its device works; otherwise reports why and stays.
    fn select_backend(&mut self, backend: Backend, initial: bool) {
        match backend.open() {
            Ok(opened) => {
                // The models live on the device being left: drop them and hand its pool back,
                // or a backend visited once keeps its peak allocation for the whole session.
                self.slots.clear();
                release_pool(&self.on.device);
                self.on = OnDevice {
                    backend,
                    device: opened.device,
                    adapter: (opened.adapter, opened.fingerprint),
                };
                self.stats.opened(backend);
                self.rebuild_slots();
            }
            Err(Unavailable { reason, .. }) => {
                // At the start there is nothing to stay on but the fallback, when there is one.
                let fallback = self.config.fallback.filter(|f| initial && *f != backend);
                let staying_on = if initial {
                    fallback
                } else {
                    Some(self.on.backend)
                };
                self.emit(EngineEvent::Unavailable {
                    backend,
                    reason,
                    staying_on,
                });
                match fallback {
                    Some(other) => return self.select_backend(other, true),
                    None if initial => self.stop = true,
                    None => {}
                }
            }
        }
        let backend = self.on.backend;
        if !self.stop && self.config.measure_peaks && !self.stats.has_peaks(backend) {
            self.maybe_summary(true);
            let device = self.on.device.clone();
            let peaks = catch_unwind(AssertUnwindSafe(|| {
                peak::measure(&device).map_err(|e| e.to_string())
            }))
            .unwrap_or_else(|p| Err(panic_message(&p)));
            // The peak kernels' operands are the largest tensors a session allocates.
            release_pool(&device);
            self.stats.set_peaks(backend, peaks);
        }
    }

    fn rebuild_slots(&mut self) {
        let workload = self.workload();
        let focused = self.slots.get(self.focus).map(|s| s.variant.name.clone());
        // A new batch means new shapes: the old models' pages would sit idle beside the new.
        self.slots.clear();
        release_pool(&self.on.device);
        self.slots = self
            .config
            .variants
            .iter()
            .filter_map(|name| self.config.suite.variant(name))
            .map(|variant| Slot::new(variant, &workload))
            .collect();
        self.focus = focused
            .and_then(|n| self.slots.iter().position(|s| s.variant.name == n))
            .unwrap_or(0);
        self.next_slot = 0;
    }

    // ---- measuring ----------------------------------------------------------------------

    /// Paused, or nothing can run: keep the consumer informed and wait for a command.
    fn idle(&mut self) {
        self.maybe_summary(false);
        match self.commands.recv_timeout(self.config.summary_every) {
            Ok(cmd) => {
                self.apply(cmd);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => self.stop = true,
        }
    }

    fn main_loop(&mut self) {
        while !self.stop {
            self.poll_commands();
            if self.stop {
                break;
            }
            if let Some(task) = self.tasks.pop_front() {
                self.run_task(task);
                continue;
            }
            if self.paused {
                self.idle();
                continue;
            }
            self.sweep_step();
            if let Some(i) = self.slots.iter().position(Slot::is_pending) {
                self.build(i);
                continue;
            }
            if self.done() {
                break;
            }
            let Some(i) = self.next_runnable() else {
                // Nothing can run on this backend: wait for a command.
                self.idle();
                continue;
            };
            self.measure_slice(i);
        }
    }

    /// Slot `i`'s turn: passes until its slice ends or something changes.
    fn measure_slice(&mut self, i: usize) {
        let share = if i == self.focus {
            self.config.focus_share.max(1)
        } else {
            1
        };
        let slice_end = Instant::now() + self.config.slice * share;
        while Instant::now() < slice_end && !self.stop {
            let SlotState::Ready(built) =
                std::mem::replace(&mut self.slots[i].state, SlotState::Pending)
            else {
                return;
            };
            let Built { model, input } = *built;
            // A GPU backend compiles and tunes a new shape's kernels in its first pass, for
            // seconds to a minute: say so before the worker disappears into it.
            let compiling = !self.on.backend.is_host()
                && self
                    .stats
                    .record(&self.key(&self.slots[i].variant.name))
                    .is_none_or(|r| r.cold_start.is_none());
            if compiling {
                self.busy = Some(format!(
                    "compiling and tuning kernels for {}",
                    self.slots[i].variant.name
                ));
                self.maybe_summary(true);
            }
            let result = self.iterate(i, &model, input);
            if compiling {
                self.busy = None;
            }
            match result {
                Ok(next) => {
                    self.slots[i].state = SlotState::Ready(Box::new(Built { model, input: next }))
                }
                Err(error) => {
                    self.slots[i].state = SlotState::Failed(error.clone());
                    self.emit(EngineEvent::Error(EngineError::Measure {
                        variant: self.slots[i].variant.name.clone(),
                        backend: self.on.backend,
                        error,
                    }));
                    return;
                }
            }
            self.maybe_summary(false);
            if self.sweep.is_some() {
                let batch = self.batch;
                self.sweep_step();
                if self.batch != batch {
                    return;
                }
            }
            if self.poll_commands() || self.done() || !self.tasks.is_empty() {
                return;
            }
        }
    }

    /// With `iterations` set: every runnable variant has measured that many.
    fn done(&self) -> bool {
        let Some(n) = self.config.iterations else {
            return false;
        };
        let runnable: Vec<&Slot> = self.slots.iter().filter(|s| !s.is_failed()).collect();
        !runnable.is_empty()
            && runnable.iter().all(|s| {
                s.is_ready()
                    && self
                        .stats
                        .record(&self.key(&s.variant.name))
                        .is_some_and(|r| r.latency.count() >= n)
            })
    }

    fn next_runnable(&mut self) -> Option<usize> {
        let n = self.slots.len();
        // A variant that has started and has no figure yet goes on before any other starts: a
        // variant's first pass compiles its kernels (seconds to a minute on wgpu), so starting
        // every variant before measuring one would hold back every first figure. The focus
        // first.
        let started_without_figure = |i: &usize| {
            let slot = &self.slots[*i];
            slot.is_ready()
                && self
                    .stats
                    .record(&self.key(&slot.variant.name))
                    .is_some_and(|r| r.cold_start.is_some() && r.latency.count() == 0)
        };
        if let Some(i) = (0..n)
            .map(|step| (self.focus + step) % n)
            .find(started_without_figure)
        {
            return Some(i);
        }
        let i = (0..n)
            .map(|step| (self.next_slot + step) % n)
            .find(|i| self.slots[*i].is_ready())?;
        self.next_slot = (i + 1) % n;
        Some(i)
    }

    fn build(&mut self, i: usize) {
        self.slots[i].state = SlotState::Building {
            since: Instant::now(),
        };
        self.maybe_summary(true);
        let workload = self.workload();
        let variant = self.slots[i].variant.clone();
        let (backend, limit, device) = (
            self.on.backend,
            self.config.memory_limit,
            self.on.device.clone(),
        );
        let built = catch_unwind(AssertUnwindSafe(|| {
            zoo::build(&variant, &workload, backend, limit)
                .and_then(|model| Ok((model, zoo::input(&variant, &workload, &device)?)))
                .map_err(MeasureError::from)
        }))
        .unwrap_or_else(|p| Err(MeasureError::panicked(backend, &p)));
        self.slots[i].state = match built {
            Ok((model, input)) => SlotState::Ready(Box::new(Built { model, input })),
            Err(error) => {
                self.emit(EngineEvent::Error(EngineError::Build {
                    variant: variant.name.clone(),
                    error: error.clone(),
                }));
                SlotState::Failed(error)
            }
        };
    }

    /// One forward pass of slot `i`'s `model` on `input`, timed from the call to the device's
    /// sync; the next pass's input.
    fn iterate(&mut self, i: usize, model: &Model, input: Batch) -> Result<Batch, MeasureError> {
        let key = self.key(&self.slots[i].variant.name);
        let want_routing = self.last_summary.elapsed() >= self.config.summary_every;
        let (device, backend) = (self.on.device.clone(), self.on.backend);
        let heap_before = heap::reset_peak();
        let t0 = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let out = model
                .forward_chained(input)
                .map_err(MeasureError::Forward)?;
            timing::sync(&device).map_err(MeasureError::device(backend))?;
            Ok((out.next, out.routing))
        }));
        let latency = t0.elapsed();
        let heap_peak = heap::peak_bytes().saturating_sub(heap_before);
        let (next, routing) =
            result.unwrap_or_else(|p| Err(MeasureError::panicked(backend, &p)))?;
        let pass = Pass {
            latency,
            heap_peak: heap::is_counting().then_some(heap_peak),
            routing: || routing.into_iter().map(RoutingTensors::read).collect(),
        };
        let policy = self.config.warmup.clone();
        self.stats.add(key, pass, want_routing, &policy);
        Ok(next)
    }

    // ---- summaries ----------------------------------------------------------------------

    fn summary(&self) -> Summary {
        let workload = self.workload();
        let backend = self.on.backend;
        let peaks = self.stats.peaks(backend);
        let device_memory = self.on.device.memory_pool_usage().map(|u| DeviceMemory {
            in_use_bytes: u.bytes_in_use,
            reserved_bytes: u.bytes_reserved,
        });
        let variants = self
            .slots
            .iter()
            .map(|slot| {
                let record = self.stats.record(&self.key(&slot.variant.name));
                slot.summary(record, &workload, peaks)
            })
            .collect();
        Summary {
            suite: self.config.suite.name.clone(),
            run: RunHeader {
                backend,
                adapter: self.on.adapter.0.clone(),
                driver: self.on.adapter.1.clone(),
                batch: self.batch,
                elapsed_s: self.stats.elapsed_s(),
                peaks,
                process: self.stats.process(),
                device_memory_na: device_memory.is_none().then(|| {
                    if backend.is_host() {
                        format!("{backend} allocates from the process heap: see heap and RSS")
                    } else if matches!(backend, Backend::Remote(_)) {
                        "remote device: burn-remote reports no allocator usage".to_owned()
                    } else {
                        format!("{backend} reports no allocator usage")
                    }
                }),
                device_memory,
                first_figure_s: self.stats.first_figure_s(backend),
            },
            paused: self.paused,
            seq_len: workload.token_workload().map(|t| t.seq_len),
            focus: self
                .slots
                .get(self.focus)
                .map(|s| s.variant.name.clone())
                .unwrap_or_default(),
            busy: self
                .busy
                .clone()
                .or_else(|| self.sweep.as_ref().map(|p| p.describe(self.batch))),
            variants,
        }
    }
}

/// Hands the device's free pool pages back to the driver (wgpu); a no-op on host backends,
/// whose tensors free on drop. A failure here only means the pages stay reserved.
fn release_pool(device: &Device) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // Dropped tensors are queued behind the device's other work: the pool frees a page
        // only once nothing owed to it is pending.
        if device.sync().is_ok() {
            device.memory_cleanup();
        }
    }));
}
