//! Process memory as the OS sees it: resident set now and at its peak.

use serde::{Deserialize, Serialize};
use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System};

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessMemory {
    pub rss_bytes: u64,
    /// The kernel's high-water mark (VmHWM) where it keeps one, else the largest sample seen.
    pub rss_peak_bytes: u64,
    pub total_memory_bytes: u64,
}

/// Samples the process's memory; cheap enough to call a few times a second.
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
