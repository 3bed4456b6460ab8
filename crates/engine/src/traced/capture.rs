//! A variant's forward pass recorded on burn's capture device. The model is built on the host
//! first (so its initialisation and pruning are not part of the graph) and moved onto the
//! capture device inside the scope, where its weights and the input become constants; what the
//! scope records beyond them is the forward pass.

use std::panic::{AssertUnwindSafe, catch_unwind};

use burn::prelude::*;

use super::count::{TracedCounts, add_host_kernels, count_operations};
use crate::arch::{Variant, Workload};
use crate::backend::Backend;
use crate::zoo::{self, BuildError};

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The forward pass needs a value on the host mid-way (a kernel that runs on the host, or
    /// a data-dependent branch): a graph that is recorded and not run has none to give.
    #[error(
        "`{variant}`: its forward pass reads values back to the host ({why}); a recorded graph has none"
    )]
    ReadsBack { variant: String, why: String },
    #[error("`{variant}`: burn could not record its graph: {why}")]
    Capture { variant: String, why: String },
    #[error("`{variant}`: burn's capture records no quantized ops")]
    Quantized { variant: String },
}

/// Records one forward pass of `variant` on `workload` and counts it. The model is built on
/// the host (ndarray) within `memory_limit` bytes.
pub fn trace_variant(
    variant: &Variant,
    workload: &Workload,
    memory_limit: u64,
) -> Result<TracedCounts, TraceError> {
    if variant.precision.quantize.is_some() {
        return Err(TraceError::Quantized {
            variant: variant.name.clone(),
        });
    }
    if let crate::family::Family::Custom = variant.family {
        let recorded = zoo::custom_variant(variant, workload)?
            .record(workload.batch)
            .map_err(|e| match e {
                zoo::NotRecorded::Capture(why) => TraceError::Capture {
                    variant: variant.name.clone(),
                    why,
                },
                zoo::NotRecorded::ReadsBack(why) => TraceError::ReadsBack {
                    variant: variant.name.clone(),
                    why,
                },
            })?;
        return Ok(count_operations(&recorded.operations, recorded.params));
    }
    // ndarray computes in f32 alone; flex in every dtype and quantized.
    let host = match variant.precision.is_default() {
        true => Backend::Ndarray,
        false => Backend::Flex,
    };
    // What runs depends on the shapes alone: a checkpoint's values would only cost its load.
    let drawn = Variant {
        weights: None,
        ..variant.clone()
    };
    let model = zoo::build(&drawn, workload, host, memory_limit)?;
    let params = model.num_params() as u64;
    model.materialize();
    let capture = Device::capture();
    let mut no_input = None;
    let (recorded, host_calls) = zoo::record_host_kernels(|| {
        catch_unwind(AssertUnwindSafe(|| {
            capture.capture_scope(|scope| {
                let model = model.to_device(&capture);
                match zoo::input(variant, workload, &capture) {
                    // The logits are not read: the graph is what is kept.
                    Ok(input) => drop(model.forward(input)),
                    Err(e) => no_input = Some(e),
                }
                scope.complete([], [])
            })
        }))
    });
    if let Some(e) = no_input {
        return Err(e.into());
    }
    let graph = match recorded {
        Ok(Ok(graph)) => graph,
        Ok(Err(e)) => {
            return Err(TraceError::Capture {
                variant: variant.name.clone(),
                why: e.to_string(),
            });
        }
        Err(panic) => {
            return Err(TraceError::ReadsBack {
                variant: variant.name.clone(),
                why: crate::backend::panic_message(&panic),
            });
        }
    };
    let mut counts = count_operations(&graph.graph.operations, params);
    add_host_kernels(&mut counts, &host_calls);
    Ok(counts)
}
