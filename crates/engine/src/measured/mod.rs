//! Plain measured figures: what a run found, as data. The engine fills them; every feature,
//! report and view reads them. Nothing here measures or touches a device.

pub mod interval;
mod peaks;
mod process;
mod routing;
pub mod stats;
mod summary;
mod sweep;

pub use peaks::Peaks;
#[cfg(test)]
pub(crate) use peaks::TEST_PEAKS;
pub use process::ProcessMemory;
pub use routing::RoutingStats;
pub use summary::{DeviceMemory, Flag, Phase, RunHeader, Summary, VariantSummary};
pub use sweep::{SweepPoint, SweepValue, throughput_unit};
