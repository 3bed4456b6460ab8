//! Process memory as the OS sees it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessMemory {
    pub rss_bytes: u64,
    /// The kernel's high-water mark (VmHWM) where it keeps one, else the largest sample seen.
    pub rss_peak_bytes: u64,
    pub total_memory_bytes: u64,
}
