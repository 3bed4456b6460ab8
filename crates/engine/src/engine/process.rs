//! Process memory as the OS sees it: resident set now and at its peak.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System};

use crate::measured::ProcessMemory;

/// How often the background sampler reads the process's memory.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);

/// Samples the process's memory on a thread of its own, so the measuring thread only reads
/// the latest figures (reading /proc between timed passes would disturb them).
pub struct BackgroundSampler {
    latest: Arc<Mutex<ProcessMemory>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundSampler {
    pub fn spawn() -> Self {
        let latest = Arc::new(Mutex::new(ProcessMemory::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (latest, stop) = (latest.clone(), stop.clone());
            std::thread::Builder::new()
                .name("effprof-memory".into())
                .spawn(move || {
                    let mut sampler = ProcessSampler::new();
                    while !stop.load(Ordering::Relaxed) {
                        let sample = sampler.sample();
                        if let Ok(mut l) = latest.lock() {
                            *l = sample;
                        }
                        std::thread::sleep(SAMPLE_EVERY);
                    }
                })
                .ok()
        };
        Self {
            latest,
            stop,
            thread,
        }
    }

    pub fn latest(&self) -> ProcessMemory {
        self.latest.lock().map(|l| *l).unwrap_or_default()
    }
}

impl Drop for BackgroundSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads the process's memory from the OS.
pub struct ProcessSampler {
    system: System,
    pid: Option<Pid>,
    peak_seen: u64,
}

impl ProcessSampler {
    pub fn new() -> Self {
        let system = System::new_with_specifics(
            RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
        );
        Self {
            system,
            pid: sysinfo::get_current_pid().ok(),
            peak_seen: 0,
        }
    }

    pub fn sample(&mut self) -> ProcessMemory {
        let Some(pid) = self.pid else {
            return ProcessMemory::default();
        };
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            false,
            ProcessRefreshKind::nothing().with_memory(),
        );
        let rss = self.system.process(pid).map(|p| p.memory()).unwrap_or(0);
        self.peak_seen = self.peak_seen.max(rss);
        ProcessMemory {
            rss_bytes: rss,
            rss_peak_bytes: kernel_high_water_mark().unwrap_or(0).max(self.peak_seen),
            total_memory_bytes: self.system.total_memory(),
        }
    }
}

impl Default for ProcessSampler {
    fn default() -> Self {
        Self::new()
    }
}

/// VmHWM from /proc/self/status (Linux), in bytes.
fn kernel_high_water_mark() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
