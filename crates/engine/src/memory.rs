//! How much memory a model may take before effprof refuses to build it.

use sysinfo::{MemoryRefreshKind, RefreshKind, System};

/// Half of the memory the OS reports as available now: room for the model while the rest of
/// the machine keeps working.
pub fn default_limit() -> u64 {
    let system = System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    );
    system.available_memory() / 2
}
