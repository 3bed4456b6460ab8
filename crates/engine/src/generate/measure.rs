//! The generation loop, timed: prefill, then one decode step per token, each fed the argmax of
//! the previous step's logits (so no step can start before the last one ended), with a device
//! sync before every clock stops.

use std::time::Instant;

use super::report::{GenerationRun, Latencies, Measured};
use crate::arch::{Variant, Workload};
use crate::backend::Backend;
use crate::cost;
use crate::error::{MeasureError, NotApplicable};
use crate::timing::sync;
use crate::zoo;

/// How much to measure.
#[derive(Clone, Copy, Debug)]
pub struct GenerateOptions {
    /// Timed requests (each a prefill and `gen_len` decode steps), after one untimed warm-up
    /// request that compiles and tunes every shape a request meets.
    pub requests: usize,
    pub memory_limit: u64,
}

/// Measures `variant` generating on `backend`: `options.requests` requests of the workload's
/// batch, prompt and `gen_len`. `progress` hears how far it got (request, of how many) before
/// each request, and answers whether to go on: false (or a stop signal) cancels.
pub fn measure_generation(
    variant: &Variant,
    workload: &Workload,
    backend: Backend,
    options: GenerateOptions,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<GenerationRun, MeasureError> {
    let Some(cost) = cost::generation_cost(variant, workload)? else {
        return Err(NotApplicable::NoGeneration {
            variant: variant.name.clone(),
        }
        .into());
    };
    if cost.memory_estimate_bytes > options.memory_limit {
        return Err(NotApplicable::KvCacheTooLarge {
            variant: variant.name.clone(),
            estimate: cost.memory_estimate_bytes,
            limit: options.memory_limit,
        }
        .into());
    }
    let model = zoo::build_lm(
        variant,
        workload,
        backend,
        options.memory_limit,
        "generation",
    )?;
    let device = backend.device()?;
    let tokens = workload
        .token_workload()
        .expect("a generation workload is a token workload");
    let prompt = zoo::random_tokens(&tokens, &device);
    let report = cost::analyze(variant, workload)?;

    let kv_cache =
        measure_cache(&model, &tokens, &device, backend).map_err(MeasureError::device(backend))?;
    let mut ttft = Vec::new();
    let mut itl = Vec::new();
    let mut requests = Vec::new();
    let mut touched: Vec<f64> = Vec::new();
    // Each step's seconds in every timed request, by position: how a step's time grows with
    // its context.
    let mut by_step: Vec<Vec<f64>> = vec![Vec::new(); cost.gen_len];
    let total = options.requests + 1;
    for request in 0..total {
        if crate::signals::requested() || !progress(request, total) {
            return Err(MeasureError::Cancelled);
        }
        let timed = request > 0;
        let mut cache = model.new_cache(tokens.batch, tokens.context(), &device);
        let start = Instant::now();
        let first = model.prefill(prompt.clone(), &mut cache);
        let mut next = first.logits.argmax(1);
        sync(&device).map_err(MeasureError::device(backend))?;
        if timed {
            ttft.push(start.elapsed().as_secs_f64());
        }
        for position in by_step.iter_mut() {
            let step_start = Instant::now();
            let out = model.decode(next, &mut cache);
            next = out.logits.argmax(1);
            sync(&device).map_err(MeasureError::device(backend))?;
            if timed {
                let step = step_start.elapsed().as_secs_f64();
                itl.push(step);
                position.push(step);
                if !out.experts_touched.is_empty() {
                    let n = out.experts_touched.len() as f64;
                    touched.push(out.experts_touched.iter().sum::<usize>() as f64 / n);
                }
            }
        }
        if timed {
            requests.push(start.elapsed().as_secs_f64());
        }
        // The generated ids, read back: the last step's result is real.
        let _ = next.into_data();
    }
    progress(total, total);
    let mut run = GenerationRun::new(
        variant.name.clone(),
        backend,
        &report,
        cost,
        Latencies::of(ttft),
        Latencies::of(itl),
        Latencies::of(requests),
        (!touched.is_empty()).then(|| touched.iter().sum::<f64>() / touched.len() as f64),
    );
    run.kv_cache_measured = kv_cache;
    run.weights = variant.weights.as_ref().map(|w| w.path.clone());
    run.step_p50s = by_step
        .into_iter()
        .map(|samples| Latencies::of(samples).p50)
        .collect();
    Ok(run)
}

/// The bytes an empty KV cache takes when allocated: heap bytes on a host backend (with the
/// counting allocator installed), the device allocator's bytes in use on a GPU backend; or
/// why it cannot be measured.
fn measure_cache(
    model: &zoo::TransformerLm,
    tokens: &crate::arch::TokenWorkload,
    device: &burn::prelude::Device,
    backend: Backend,
) -> Result<Measured, crate::error::DeviceFailure> {
    use crate::engine::heap;
    let in_use = |d: &burn::prelude::Device| d.memory_pool_usage().map(|u| u.bytes_in_use);
    sync(device)?;
    let (heap_before, device_before) = (heap::live_bytes(), in_use(device));
    let cache = model.new_cache(tokens.batch, tokens.context(), device);
    sync(device)?;
    let measured = if backend.is_host() {
        if heap::is_counting() {
            Measured::Bytes(heap::live_bytes().saturating_sub(heap_before))
        } else {
            Measured::NotAvailable("the counting allocator is not installed".into())
        }
    } else {
        match (device_before, in_use(device)) {
            (Some(before), Some(after)) => Measured::Bytes(after.saturating_sub(before)),
            _ => Measured::NotAvailable(format!("{backend} reports no allocator figures")),
        }
    };
    drop(cache);
    Ok(measured)
}
