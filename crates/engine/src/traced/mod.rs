//! Counts from the graph burn records: a variant's forward pass run on burn's capture device
//! (which records every operation with its tensors' shapes instead of executing it), then
//! counted per operation by PyTorch's FLOP convention, with the bytes each operation reads and
//! writes and the number of operations a backend would launch.

mod capture;
mod count;

pub use crate::zoo::materialize;
pub use capture::{TraceError, trace_modules, trace_on_host, trace_variant};
pub use count::{OpKind, TracedCounts, add_host_kernels, count_operations};

use serde::{Deserialize, Serialize};

use crate::arch::{Variant, Workload};

/// A variant's traced counts, or why there are none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Traced {
    Counted(TracedCounts),
    NotAvailable { why: String },
}

impl Traced {
    pub fn counts(&self) -> Option<&TracedCounts> {
        match self {
            Traced::Counted(c) => Some(c),
            Traced::NotAvailable { .. } => None,
        }
    }
}

/// Every variant of `suite` traced at its workload, by name.
pub fn trace_suite(suite: &crate::spec::Suite, memory_limit: u64) -> Vec<(String, Traced)> {
    suite
        .variants
        .iter()
        .map(|v| (v.name.clone(), trace(v, &suite.workload, memory_limit)))
        .collect()
}

/// [`trace_variant`], its failure kept as the reason.
pub fn trace(variant: &Variant, workload: &Workload, memory_limit: u64) -> Traced {
    match trace_variant(variant, workload, memory_limit) {
        Ok(c) => Traced::Counted(c),
        Err(e) => Traced::NotAvailable { why: e.to_string() },
    }
}
