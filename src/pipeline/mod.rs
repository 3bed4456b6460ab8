//! Pipeline parallelism's cost: a variant's layers split into stages, each stage's latency
//! measured, and GPipe and 1F1B steps simulated from them (bubble, step time, throughput).

mod schedule;

pub use schedule::{Pass, Schedule, Slot, Timeline, simulate, textbook_bubble};
