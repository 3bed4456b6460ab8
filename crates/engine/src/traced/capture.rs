//! A variant's forward pass recorded on burn's capture device.
//!
//! A transformer is built inside the scope with weights of the right shapes and no values:
//! each is a recorded op that holds no data, so a model of any size is traced in memory
//! proportional to its ops, not its weights. A marker op separates the weights' creation
//! (initialisation) from the forward pass, and only what follows it is counted. What cannot be
//! built without values (a CSR kernel's non-zeros, conv and vision networks drawn on the host)
//! is built on the host first and moved onto the capture device, where its weights become
//! constants.

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
    if let Some(counts) = trace_shapes(variant, workload)? {
        return Ok(counts);
    }
    trace_on_host(variant, workload, memory_limit)
}

/// `variant` built on the host within `memory_limit` bytes and moved onto the capture device,
/// where its weights become constants: how what cannot be built without values is traced, and
/// what the weightless build is checked against.
pub fn trace_on_host(
    variant: &Variant,
    workload: &Workload,
    memory_limit: u64,
) -> Result<TracedCounts, TraceError> {
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
    let graph = recorded_graph(variant, recorded)?;
    let mut counts = count_operations(&graph.graph.operations, params);
    add_host_kernels(&mut counts, &host_calls);
    Ok(counts)
}

/// The marker's shape: no effprof model makes a rank-7 tensor.
const MARKER: [usize; 7] = [1; 7];

fn is_marker(op: &burn_ir::OperationIr) -> bool {
    op.outputs().any(|t| t.shape.iter().eq(MARKER.iter()))
}

/// `variant` built and run inside one capture scope with weights that hold no data, counted
/// from the marker on; `None` when it cannot be built so.
fn trace_shapes(
    variant: &Variant,
    workload: &Workload,
) -> Result<Option<TracedCounts>, TraceError> {
    // The checks that do not depend on memory: tracing holds no weights.
    zoo::check(variant, workload, Backend::Flex, u64::MAX)?;
    let capture = Device::capture();
    let mut outcome: Option<Result<u64, TraceError>> = None;
    let (recorded, host_calls) = zoo::record_host_kernels(|| {
        catch_unwind(AssertUnwindSafe(|| {
            capture.capture_scope(|scope| {
                outcome = match zoo::build_shapes(variant, workload, &capture) {
                    Ok(Some(model)) => {
                        let params = model.num_params() as u64;
                        // Lazy parameters (a norm's ones) are drawn now, before the marker.
                        zoo::materialize(&model);
                        drop(Tensor::<7>::zeros(MARKER, &capture));
                        Some(match zoo::input(variant, workload, &capture) {
                            // The logits are not read: the graph is what is kept.
                            Ok(input) => {
                                drop(zoo::Model::Transformer(model).forward(input));
                                Ok(params)
                            }
                            Err(e) => Err(e.into()),
                        })
                    }
                    Ok(None) => None,
                    Err(e) => Some(Err(e.into())),
                };
                scope.complete([], [])
            })
        }))
    });
    let params = match outcome {
        None => return Ok(None),
        Some(outcome) => outcome?,
    };
    let graph = recorded_graph(variant, recorded)?;
    let operations = &graph.graph.operations;
    let forward = operations
        .iter()
        .position(is_marker)
        .map_or(0, |marker| marker + 1);
    let mut counts = count_operations(&operations[forward..], params);
    add_host_kernels(&mut counts, &host_calls);
    Ok(Some(counts))
}

/// A transformer's forward pass recorded module by module: one entry per row of its analytic
/// counts (embedding, each layer's attention and FFN or MoE, final norm, head), in their order,
/// the parts run one after another as the whole pass runs them, a marker between each two.
/// `None` for a model that is not traced without its weights (conv, vision, a CSR kernel).
pub fn trace_modules(
    variant: &Variant,
    workload: &Workload,
) -> Result<Option<Vec<TracedCounts>>, TraceError> {
    if variant.precision.quantize.is_some() {
        return Err(TraceError::Quantized {
            variant: variant.name.clone(),
        });
    }
    zoo::check(variant, workload, Backend::Flex, u64::MAX)?;
    let capture = Device::capture();
    let mut outcome: Option<Result<(), TraceError>> = None;
    let marker = || drop(Tensor::<7>::zeros(MARKER, &capture));
    let (recorded, host_calls) = zoo::record_host_kernels(|| {
        catch_unwind(AssertUnwindSafe(|| {
            capture.capture_scope(|scope| {
                outcome = match zoo::build_shapes(variant, workload, &capture) {
                    Ok(Some(model)) => {
                        zoo::materialize(&model);
                        marker();
                        Some(match zoo::input(variant, workload, &capture) {
                            Ok(zoo::Batch::Tokens(tokens)) => {
                                let mut x = model.embed(tokens);
                                let mut routing = Vec::new();
                                for layer in 0..model.n_layers() {
                                    marker();
                                    x = model.attention_sublayer(layer, x);
                                    marker();
                                    x = model.ffn_sublayer(layer, x, &mut routing);
                                }
                                marker();
                                let x = model.norm_final(x);
                                marker();
                                drop(model.head_logits(x));
                                Ok(())
                            }
                            Ok(_) => Err(TraceError::Capture {
                                variant: variant.name.clone(),
                                why: "a transformer's input is tokens".into(),
                            }),
                            Err(e) => Err(e.into()),
                        })
                    }
                    Ok(None) => None,
                    Err(e) => Some(Err(e.into())),
                };
                scope.complete([], [])
            })
        }))
    });
    match outcome {
        None => return Ok(None),
        Some(outcome) => outcome?,
    }
    let graph = recorded_graph(variant, recorded)?;
    let operations = &graph.graph.operations;
    let markers: Vec<usize> = operations
        .iter()
        .enumerate()
        .filter(|(_, op)| is_marker(op))
        .map(|(i, _)| i)
        .collect();
    let mut modules: Vec<TracedCounts> = markers
        .iter()
        .enumerate()
        .map(|(m, start)| {
            let end = markers.get(m + 1).copied().unwrap_or(operations.len());
            count_operations(&operations[start + 1..end], 0)
        })
        .collect();
    // A host kernel (none in a weightless build) would belong to no one module: the first.
    if let Some(first) = modules.first_mut() {
        add_host_kernels(first, &host_calls);
    }
    Ok(Some(modules))
}

/// What a capture scope run under `catch_unwind` gave: its graph, or why `variant` has none (the
/// capture failed, or the pass panicked reading a value back).
fn recorded_graph(
    variant: &Variant,
    recorded: std::thread::Result<Result<burn::tensor::CapturedGraph, burn::tensor::CaptureError>>,
) -> Result<burn::tensor::CapturedGraph, TraceError> {
    match recorded {
        Ok(Ok(graph)) => Ok(graph),
        Ok(Err(e)) => Err(TraceError::Capture {
            variant: variant.name.clone(),
            why: e.to_string(),
        }),
        Err(panic) => Err(TraceError::ReadsBack {
            variant: variant.name.clone(),
            why: crate::backend::panic_message(&panic),
        }),
    }
}
