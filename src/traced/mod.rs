//! Counts from the graph burn records: a variant's forward pass run on burn's capture device
//! (which records every operation with its tensors' shapes instead of executing it), then
//! counted per operation by PyTorch's FLOP convention, with the bytes each operation reads and
//! writes and the number of operations a backend would launch.

mod capture;
mod count;

pub use capture::{TraceError, trace_variant};
pub use count::{OpKind, TracedCounts, count_operations};
