//! Timing one piece of a model honestly: every run ends with a device sync before the clock
//! stops, and each run's input waits for the previous run's output (a lazy backend can neither
//! skip nor overlap a run).

use std::time::{Duration, Instant};

use burn::prelude::*;

use crate::error::DeviceFailure;

/// Median seconds of `f` over at least `min_runs` runs and about `budget` (at most 1000 runs),
/// after two warm-up runs; `f` returns after a device sync.
pub fn median_of<E>(
    budget: Duration,
    min_runs: usize,
    mut f: impl FnMut() -> Result<(), E>,
) -> Result<f64, E> {
    median_of_reported(budget, min_runs, || {
        let t = Instant::now();
        f()?;
        Ok(t.elapsed().as_secs_f64())
    })
}

/// Median of the seconds `f` reports for the part of each run it times itself (after two
/// warm-up runs, at least `min_runs`, about `budget` in all).
pub fn median_of_reported<E>(
    budget: Duration,
    min_runs: usize,
    mut f: impl FnMut() -> Result<f64, E>,
) -> Result<f64, E> {
    for _ in 0..2 {
        f()?;
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < min_runs || (start.elapsed() < budget && times.len() < 1000) {
        times.push(f()?);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// A zero that depends on `t`'s first element: added to the next run's input, it makes that
/// run wait for this one.
pub fn dependency<const D: usize>(t: &Tensor<D>) -> Tensor<D> {
    let first: [std::ops::Range<usize>; D] = std::array::from_fn(|_| 0..1);
    let dtype = t.dtype();
    t.clone()
        .slice(first)
        .greater_elem(f32::MAX)
        .float()
        .cast(burn::tensor::FloatDType::from(dtype))
}

/// Syncs `device`: every queued kernel has run when it returns.
pub fn sync(device: &Device) -> Result<(), DeviceFailure> {
    device.sync().map_err(|e| DeviceFailure(format!("{e:?}")))
}
