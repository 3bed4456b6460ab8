//! The worker thread: builds models, warms them up, times them in interleaved slices and sends
//! summaries. It never waits for its consumer: summaries that do not fit in the channel are
//! dropped (a newer one follows), other events queue in a small outbox.

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::time::{Duration, Instant};

use burn::prelude::*;

use super::heap;
use super::peak::{self, Peaks};
use super::process::BackgroundSampler;
use super::stats::{LatencyStats, Warmup};
use super::summary::{DeviceMemory, Flag, Phase, Summary, VariantSummary};
use super::{EngineCmd, EngineConfig, EngineEvent};
use crate::backend::{Backend, Unavailable, panic_message};
use crate::cost::{self, CostReport};
use crate::error::MeasureError;
use crate::spec::{Family, Variant, Workload};
use crate::timing;
use crate::zoo::{self, Batch, Model, RoutingStats, RoutingTensors};

mod tasks;
use tasks::SweepPlan;

pub(super) fn run(
    config: EngineConfig,
    commands: Receiver<EngineCmd>,
    events: SyncSender<EngineEvent>,
) {
    let mut worker = Worker::new(config, events);
    worker.select_backend(worker.config.backend, true);
    worker.main_loop(&commands);
    worker.finish();
}

/// A variant on the current backend and batch.
struct Slot {
    variant: Variant,
    cost: CostReport,
    model: Option<Model>,
    input: Option<Batch>,
    failed: Option<String>,
    building_since: Option<Instant>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct RecordKey {
    variant: String,
    backend: Backend,
    batch: usize,
}

/// Statistics of one (variant, backend, batch); kept across backend switches.
#[derive(Default)]
struct Record {
    latency: LatencyStats,
    warmup: Warmup,
    warmed: bool,
    warmup_started: Option<Instant>,
    cold_start: Option<Duration>,
    heap_peak: Option<u64>,
    routing: Vec<RoutingStats>,
    /// The last measured latencies, oldest first, for the TUI's sparkline.
    recent: VecDeque<Duration>,
}

/// Latencies kept per variant for the sparkline.
const RECENT: usize = 48;
struct Worker {
    config: EngineConfig,
    events: SyncSender<EngineEvent>,
    outbox: VecDeque<EngineEvent>,
    disconnected: bool,
    started: Instant,
    backend: Backend,
    device: Device,
    adapter: (String, String),
    batch: usize,
    paused: bool,
    focus: usize,
    slots: Vec<Slot>,
    records: HashMap<RecordKey, Record>,
    peaks: HashMap<Backend, Result<Peaks, String>>,
    process: BackgroundSampler,
    last_summary: Instant,
    next_slot: usize,
    stop: bool,
    busy: Option<String>,
    sweep: Option<SweepPlan>,
    /// A training run was asked for; it starts from the main loop, where commands are read.
    pending_training: bool,
}

impl Worker {
    fn new(config: EngineConfig, events: SyncSender<EngineEvent>) -> Self {
        let backend = config.backend;
        Self {
            batch: config.batch,
            events,
            outbox: VecDeque::new(),
            disconnected: false,
            started: Instant::now(),
            backend,
            // Nothing runs here: `select_backend` opens the configured backend first thing.
            device: Device::flex(),
            adapter: (String::new(), String::new()),
            paused: false,
            focus: 0,
            slots: Vec::new(),
            records: HashMap::new(),
            peaks: HashMap::new(),
            process: BackgroundSampler::spawn(),
            last_summary: Instant::now(),
            next_slot: 0,
            stop: false,
            busy: None,
            sweep: None,
            pending_training: false,
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
            backend: self.backend,
            batch: self.batch,
        }
    }

    // ---- events -------------------------------------------------------------------------

    fn emit(&mut self, event: EngineEvent) {
        self.outbox.push_back(event);
        self.flush();
    }

    fn flush(&mut self) {
        while let Some(event) = self.outbox.pop_front() {
            match self.events.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => {
                    self.outbox.push_front(event);
                    return;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.disconnected = true;
                    self.stop = true;
                    return;
                }
            }
        }
    }

    /// Sends a summary if one is due; dropped when the consumer is behind.
    fn maybe_summary(&mut self, force: bool) {
        if !force && self.last_summary.elapsed() < self.config.summary_every {
            return;
        }
        self.flush();
        if !self.outbox.is_empty() {
            return;
        }
        self.last_summary = Instant::now();
        let summary = self.summary();
        match self
            .events
            .try_send(EngineEvent::Summary(Box::new(summary)))
        {
            Ok(()) | Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => {
                self.disconnected = true;
                self.stop = true;
            }
        }
    }

    fn finish(mut self) {
        if self.disconnected {
            return;
        }
        // The last word: a final summary and `Finished`, given up to a second to be taken.
        let deadline = Instant::now() + Duration::from_secs(1);
        let summary = EngineEvent::Summary(Box::new(self.summary()));
        self.outbox.push_back(summary);
        self.outbox.push_back(EngineEvent::Finished);
        while !self.outbox.is_empty() && !self.disconnected && Instant::now() < deadline {
            self.flush();
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    // ---- commands -----------------------------------------------------------------------

    /// Applies every waiting command; true when one changed what is being measured.
    fn poll_commands(&mut self, commands: &Receiver<EngineCmd>) -> bool {
        let mut changed = false;
        loop {
            match commands.try_recv() {
                Ok(cmd) => changed |= self.apply(cmd),
                Err(TryRecvError::Empty) => return changed,
                Err(TryRecvError::Disconnected) => {
                    self.stop = true;
                    return true;
                }
            }
        }
    }

    fn apply(&mut self, cmd: EngineCmd) -> bool {
        match cmd {
            EngineCmd::Stop => self.stop = true,
            EngineCmd::Pause => self.paused = true,
            EngineCmd::Resume => self.paused = false,
            EngineCmd::SelectBackend(backend) => {
                if backend != self.backend {
                    self.select_backend(backend, false);
                }
            }
            EngineCmd::Focus(name) => {
                match self.slots.iter().position(|s| s.variant.name == name) {
                    Some(i) => self.focus = i,
                    None => self.emit(EngineEvent::Error(format!(
                        "cannot focus `{name}`: no such variant; variants are: {}",
                        self.config.variants.join(", ")
                    ))),
                }
            }
            EngineCmd::SetBatch(batch) => {
                if batch == 0 || batch > 1 << 16 {
                    self.emit(EngineEvent::Error(format!(
                        "batch must be between 1 and 65536; got {batch}"
                    )));
                } else if batch != self.batch {
                    self.batch = batch;
                    self.rebuild_slots();
                }
            }
            EngineCmd::MeasureStages(stages) => self.measure_stages(stages),
            EngineCmd::MeasureParts => self.measure_parts(),
            EngineCmd::Train => self.pending_training = true,
            EngineCmd::Sweep(batches) => self.start_sweep(batches),
            EngineCmd::ResetStats => {
                let backend = self.backend;
                for (key, record) in self.records.iter_mut() {
                    if key.backend == backend {
                        record.latency = LatencyStats::new();
                        record.recent.clear();
                        record.routing.clear();
                        record.heap_peak = None;
                    }
                }
            }
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
                release_pool(&self.device);
                self.backend = backend;
                self.device = opened.device;
                self.adapter = (opened.adapter, opened.fingerprint);
                self.rebuild_slots();
            }
            Err(Unavailable { reason, .. }) => {
                // At the start there is nothing to stay on but the fallback, when there is one.
                let fallback = self.config.fallback.filter(|f| initial && *f != backend);
                let staying_on = if initial {
                    fallback
                } else {
                    Some(self.backend)
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
        if !self.stop && self.config.measure_peaks && !self.peaks.contains_key(&self.backend) {
            self.maybe_summary(true);
            let device = self.device.clone();
            let peaks = catch_unwind(AssertUnwindSafe(|| {
                peak::measure(&device).map_err(|e| e.to_string())
            }))
            .unwrap_or_else(|p| Err(panic_message(&p)));
            // The peak kernels' operands are the largest tensors a session allocates.
            release_pool(&device);
            self.peaks.insert(self.backend, peaks);
        }
    }

    fn rebuild_slots(&mut self) {
        let workload = self.workload();
        let focused = self.slots.get(self.focus).map(|s| s.variant.name.clone());
        // A new batch means new shapes: the old models' pages would sit idle beside the new.
        self.slots.clear();
        release_pool(&self.device);
        self.slots = self
            .config
            .variants
            .iter()
            .filter_map(|name| self.config.suite.variant(name))
            .map(|variant| {
                let (cost, failed) = match cost::analyze(variant, &workload) {
                    Ok(c) => (c, None),
                    Err(e) => (CostReport::default(), Some(e.to_string())),
                };
                Slot {
                    variant: variant.clone(),
                    cost,
                    model: None,
                    input: None,
                    failed,
                    building_since: None,
                }
            })
            .collect();
        self.focus = focused
            .and_then(|n| self.slots.iter().position(|s| s.variant.name == n))
            .unwrap_or(0);
        self.next_slot = 0;
    }

    // ---- measuring ----------------------------------------------------------------------

    /// Paused, or nothing can run: keep the consumer informed and wait for a command.
    fn idle(&mut self, commands: &Receiver<EngineCmd>) {
        self.maybe_summary(false);
        match commands.recv_timeout(self.config.summary_every) {
            Ok(cmd) => {
                self.apply(cmd);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => self.stop = true,
        }
    }

    fn main_loop(&mut self, commands: &Receiver<EngineCmd>) {
        while !self.stop {
            self.poll_commands(commands);
            if self.stop {
                break;
            }
            if self.paused {
                self.idle(commands);
                continue;
            }
            if std::mem::take(&mut self.pending_training) {
                self.train_all(commands);
                continue;
            }
            self.sweep_step();
            if let Some(i) = self
                .slots
                .iter()
                .position(|s| s.model.is_none() && s.failed.is_none())
            {
                self.build(i);
                continue;
            }
            if self.done() {
                break;
            }
            let Some(i) = self.next_runnable() else {
                // Nothing can run on this backend: wait for a command.
                self.idle(commands);
                continue;
            };
            let share = if i == self.focus {
                self.config.focus_share.max(1)
            } else {
                1
            };
            let slice_end = Instant::now() + self.config.slice * share;
            while Instant::now() < slice_end && !self.stop {
                if let Err(error) = self.iterate(i) {
                    // The message names the backend already.
                    let reason = match error {
                        MeasureError::DeviceFailed { failure, .. } => failure.to_string(),
                        other => other.to_string(),
                    };
                    self.slots[i].failed = Some(reason.clone());
                    self.slots[i].model = None;
                    self.emit(EngineEvent::Error(format!(
                        "`{}` failed on {}: {reason}",
                        self.slots[i].variant.name, self.backend
                    )));
                    break;
                }
                self.maybe_summary(false);
                if self.sweep.is_some() {
                    let batch = self.batch;
                    self.sweep_step();
                    if self.batch != batch {
                        break;
                    }
                }
                if self.poll_commands(commands) || self.done() {
                    break;
                }
            }
        }
    }

    /// With `iterations` set: every runnable variant has measured that many.
    fn done(&self) -> bool {
        let Some(n) = self.config.iterations else {
            return false;
        };
        let runnable: Vec<&Slot> = self.slots.iter().filter(|s| s.failed.is_none()).collect();
        !runnable.is_empty()
            && runnable.iter().all(|s| {
                s.model.is_some()
                    && self
                        .records
                        .get(&self.key(&s.variant.name))
                        .is_some_and(|r| r.latency.count() >= n)
            })
    }

    fn next_runnable(&mut self) -> Option<usize> {
        let n = self.slots.len();
        for step in 0..n {
            let i = (self.next_slot + step) % n;
            if self.slots[i].model.is_some() {
                self.next_slot = (i + 1) % n;
                return Some(i);
            }
        }
        None
    }

    fn build(&mut self, i: usize) {
        self.slots[i].building_since = Some(Instant::now());
        self.maybe_summary(true);
        let workload = self.workload();
        let variant = self.slots[i].variant.clone();
        let (backend, limit, device) =
            (self.backend, self.config.memory_limit, self.device.clone());
        let built = catch_unwind(AssertUnwindSafe(|| {
            zoo::build(&variant, &workload, backend, limit)
                .map(|model| (model, zoo::random_input(&workload, &device)))
                .map_err(|e| e.to_string())
        }))
        .unwrap_or_else(|p| Err(panic_message(&p)));
        let slot = &mut self.slots[i];
        slot.building_since = None;
        match built {
            Ok((model, input)) => {
                slot.model = Some(model);
                slot.input = Some(input);
            }
            Err(reason) => {
                slot.failed = Some(reason.clone());
                self.emit(EngineEvent::Error(reason));
            }
        }
    }

    /// One forward pass of slot `i`, timed from the call to the device's sync.
    fn iterate(&mut self, i: usize) -> Result<(), MeasureError> {
        let key = self.key(&self.slots[i].variant.name);
        let want_routing = self.last_summary.elapsed() >= self.config.summary_every;
        let (device, backend) = (self.device.clone(), self.backend);
        let slot = &mut self.slots[i];
        let model = slot.model.as_ref().expect("only built slots run");
        let input = slot.input.take().expect("a built slot has its input");

        let heap_before = heap::reset_peak();
        let t0 = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let out = model
                .forward_chained(input)
                .map_err(MeasureError::NotMeasurable)?;
            timing::sync(&device).map_err(MeasureError::device(backend))?;
            Ok((out.next, out.routing))
        }));
        let latency = t0.elapsed();
        let heap_peak = heap::peak_bytes().saturating_sub(heap_before);
        let (next, routing) =
            result.unwrap_or_else(|p| Err(MeasureError::panicked(backend, &p)))?;
        slot.input = Some(next);

        let policy = self.config.warmup.clone();
        let record = self.records.entry(key).or_default();
        if record.cold_start.is_none() {
            record.cold_start = Some(latency);
            record.warmup_started = Some(Instant::now());
        } else if !record.warmed {
            record.warmed = record.warmup.record(latency, &policy);
        } else {
            record.latency.record(latency);
            if record.recent.len() == RECENT {
                record.recent.pop_front();
            }
            record.recent.push_back(latency);
            if heap::is_counting() {
                record.heap_peak = Some(record.heap_peak.unwrap_or(0).max(heap_peak));
            }
            if !routing.is_empty() && (want_routing || record.routing.is_empty()) {
                record.routing = routing.into_iter().map(RoutingTensors::read).collect();
            }
        }
        Ok(())
    }

    // ---- summaries ----------------------------------------------------------------------

    fn summary(&mut self) -> Summary {
        let workload = self.workload();
        let peaks = self
            .peaks
            .get(&self.backend)
            .and_then(|p| p.as_ref().ok())
            .copied();
        let device_memory = self.device.memory_pool_usage().map(|u| DeviceMemory {
            in_use_bytes: u.bytes_in_use,
            reserved_bytes: u.bytes_reserved,
        });
        let variants = self
            .slots
            .iter()
            .map(|slot| {
                let record = self.records.get(&self.key(&slot.variant.name));
                variant_summary(slot, record, &workload, peaks)
            })
            .collect();
        Summary {
            suite: self.config.suite.name.clone(),
            backend: self.backend,
            adapter: self.adapter.0.clone(),
            driver: self.adapter.1.clone(),
            elapsed_s: self.started.elapsed().as_secs_f64(),
            paused: self.paused,
            batch: self.batch,
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
            peaks,
            process: self.process.latest(),
            device_memory_na: device_memory.is_none().then(|| {
                if self.backend.is_host() {
                    format!(
                        "{} allocates from the process heap: see heap and RSS",
                        self.backend
                    )
                } else {
                    format!("{} reports no allocator usage", self.backend)
                }
            }),
            device_memory,
            variants,
        }
    }
}

/// Hands the device's free pool pages back to the driver (wgpu); a no-op on host backends,
/// whose tensors free on drop. A failure here only means the pages stay reserved.
pub(super) fn release_pool(device: &Device) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // Dropped tensors are queued behind the device's other work: the pool frees a page
        // only once nothing owed to it is pending.
        if device.sync().is_ok() {
            device.memory_cleanup();
        }
    }));
}

fn variant_summary(
    slot: &Slot,
    record: Option<&Record>,
    workload: &Workload,
    peaks: Option<Peaks>,
) -> VariantSummary {
    let phase = if let Some(reason) = &slot.failed {
        Phase::Failed {
            reason: reason.clone(),
        }
    } else if let Some(since) = slot.building_since {
        Phase::Building {
            elapsed_s: since.elapsed().as_secs_f64(),
        }
    } else if slot.model.is_none() {
        Phase::Pending
    } else {
        match record {
            Some(r) if r.warmed => Phase::Measuring,
            Some(r) => Phase::WarmingUp {
                runs: r.warmup.runs(),
                elapsed_s: r
                    .warmup_started
                    .map(|s| s.elapsed().as_secs_f64())
                    .unwrap_or(0.0),
            },
            None => Phase::WarmingUp {
                runs: 0,
                elapsed_s: 0.0,
            },
        }
    };
    let latency = record.and_then(|r| r.latency.summary());
    let mean = latency.map(|l| l.mean_s).filter(|m| *m > 0.0);
    let totals = &slot.cost.totals;
    let flops_per_s = mean.map(|m| totals.flops_executed as f64 / m);
    let bytes_per_s = mean.map(|m| totals.mem_access_bytes as f64 / m);
    let pct_peak_flops = flops_per_s
        .zip(peaks)
        .map(|(f, p)| 100.0 * f / p.flops_per_s);
    let pct_peak_bandwidth = bytes_per_s
        .zip(peaks)
        .map(|(b, p)| 100.0 * b / p.bytes_per_s);

    let flags = Flag::judge(latency.as_ref(), flops_per_s, peaks.as_ref());

    let routing = record.map(|r| r.routing.clone()).unwrap_or_default();
    let flops_useful_routed = routed_flops(&slot.variant, &slot.cost, &routing, workload);
    VariantSummary {
        name: slot.variant.name.clone(),
        phase,
        cold_start_s: record.and_then(|r| r.cold_start).map(|d| d.as_secs_f64()),
        warmup_runs: record.map(|r| r.warmup.runs()).unwrap_or(0),
        latency,
        samples_per_s: mean.map(|m| workload.batch as f64 / m),
        tokens_per_s: mean
            .zip(workload.tokens())
            .map(|(m, tokens)| tokens as f64 / m),
        flops_per_s,
        bytes_per_s,
        pct_peak_flops,
        pct_peak_bandwidth,
        flags,
        heap_peak_bytes: record.and_then(|r| r.heap_peak),
        recent_latency_s: record
            .map(|r| r.recent.iter().map(Duration::as_secs_f64).collect())
            .unwrap_or_default(),
        routing,
        flops_useful_routed,
    }
}

/// The analytic useful FLOPs with each MoE layer's balanced-load assumption replaced by the
/// tokens its experts really processed.
fn routed_flops(
    variant: &Variant,
    cost: &CostReport,
    routing: &[RoutingStats],
    workload: &Workload,
) -> Option<u64> {
    let (Family::Moe(moe), Some(dims), Some(tokens)) =
        (&variant.family, variant.dims, workload.tokens())
    else {
        return None;
    };
    if routing.is_empty() {
        return None;
    }
    let per_token = 4 * dims.d_model as u64 * dims.d_ff as u64;
    let balanced =
        (moe.top_k as u64 * tokens as u64).min(moe.n_experts as u64 * moe.capacity(tokens) as u64);
    let shortfall: u64 = routing
        .iter()
        .map(|r| balanced.saturating_sub(r.processed) * per_token)
        .sum();
    Some(cost.totals.flops_useful.saturating_sub(shortfall))
}
