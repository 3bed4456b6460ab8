//! What the worker has measured, apart from how it schedules the measuring: a record per
//! variant, backend and batch, each backend's peaks, and the process's memory.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::backend::Backend;
use crate::engine::process::BackgroundSampler;
use crate::measured::stats::{LatencyStats, Warmup, WarmupPolicy};
use crate::measured::{Peaks, ProcessMemory, RoutingStats};

pub(super) struct Statistics {
    records: HashMap<RecordKey, Record>,
    /// Each backend's peaks once measured, or why they could not be.
    peaks: HashMap<Backend, Result<Peaks, String>>,
    process: BackgroundSampler,
    started: Instant,
    /// When each backend was first opened, and how long after that its first figure came.
    opened: HashMap<Backend, Instant>,
    first_figure: HashMap<Backend, f64>,
}

impl Statistics {
    pub(super) fn new() -> Self {
        Self {
            records: HashMap::new(),
            peaks: HashMap::new(),
            process: BackgroundSampler::spawn(),
            started: Instant::now(),
            opened: HashMap::new(),
            first_figure: HashMap::new(),
        }
    }

    pub(super) fn add<F: FnOnce() -> Vec<RoutingStats>>(
        &mut self,
        key: RecordKey,
        pass: Pass<F>,
        routing: bool,
        policy: &WarmupPolicy,
    ) {
        let backend = key.backend;
        let record = self.records.entry(key).or_default();
        let measured_before = record.latency.count();
        record.add(pass, routing, policy);
        if measured_before == 0
            && record.latency.count() > 0
            && let Some(opened) = self.opened.get(&backend)
        {
            let since = opened.elapsed().as_secs_f64();
            self.first_figure.entry(backend).or_insert(since);
        }
    }

    /// `backend` is open: the clock of its first figure starts, on its first visit only.
    pub(super) fn opened(&mut self, backend: Backend) {
        self.opened.entry(backend).or_insert_with(Instant::now);
    }

    /// Seconds from first opening `backend` to its first measured pass.
    pub(super) fn first_figure_s(&self, backend: Backend) -> Option<f64> {
        self.first_figure.get(&backend).copied()
    }

    pub(super) fn record(&self, key: &RecordKey) -> Option<&Record> {
        self.records.get(key)
    }

    /// Forgets what was measured on `backend`; the other backends' records stay.
    pub(super) fn reset(&mut self, backend: Backend) {
        self.records
            .iter_mut()
            .filter(|(key, _)| key.backend == backend)
            .for_each(|(_, record)| record.reset());
    }

    /// Whether `backend`'s peaks were measured, or tried and failed.
    pub(super) fn has_peaks(&self, backend: Backend) -> bool {
        self.peaks.contains_key(&backend)
    }

    pub(super) fn set_peaks(&mut self, backend: Backend, peaks: Result<Peaks, String>) {
        self.peaks.insert(backend, peaks);
    }

    pub(super) fn peaks(&self, backend: Backend) -> Option<Peaks> {
        self.peaks
            .get(&backend)
            .and_then(|p| p.as_ref().ok())
            .copied()
    }

    pub(super) fn process(&self) -> ProcessMemory {
        self.process.latest()
    }

    /// Seconds since the engine started.
    pub(super) fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// Which statistics a pass belongs to.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct RecordKey {
    pub variant: String,
    pub backend: Backend,
    pub batch: usize,
}

/// Statistics of one (variant, backend, batch); kept across backend switches.
#[derive(Default)]
pub(super) struct Record {
    pub latency: LatencyStats,
    pub warmup: Warmup,
    pub warmed: bool,
    pub warmup_started: Option<Instant>,
    pub cold_start: Option<Duration>,
    pub heap_peak: Option<u64>,
    pub routing: Vec<RoutingStats>,
    /// The last measured latencies, oldest first, for the TUI's sparkline.
    pub recent: VecDeque<Duration>,
}

/// Latencies kept per variant for the sparkline.
const RECENT: usize = 48;

/// One pass as measured: its latency, the heap it took (when the heap is counted) and its
/// routing (read only when wanted: reading syncs the device).
pub(super) struct Pass<F> {
    pub latency: Duration,
    pub heap_peak: Option<u64>,
    pub routing: F,
}

impl Record {
    /// Adds a pass: the first is the cold start, then warm-up until `policy` says it is warm,
    /// then measured.
    pub fn add<F: FnOnce() -> Vec<RoutingStats>>(
        &mut self,
        pass: Pass<F>,
        want_routing: bool,
        policy: &WarmupPolicy,
    ) {
        let latency = pass.latency;
        if self.cold_start.is_none() {
            self.cold_start = Some(latency);
            self.warmup_started = Some(Instant::now());
        } else if !self.warmed {
            self.warmed = self.warmup.record(latency, policy);
        } else {
            self.latency.record(latency);
            if self.recent.len() == RECENT {
                self.recent.pop_front();
            }
            self.recent.push_back(latency);
            if let Some(peak) = pass.heap_peak {
                self.heap_peak = Some(self.heap_peak.unwrap_or(0).max(peak));
            }
            if want_routing || self.routing.is_empty() {
                let routing = (pass.routing)();
                if !routing.is_empty() {
                    self.routing = routing;
                }
            }
        }
    }

    /// Forgets what was measured (warm-up stays done).
    pub fn reset(&mut self) {
        self.latency = LatencyStats::new();
        self.recent.clear();
        self.routing.clear();
        self.heap_peak = None;
    }
}
