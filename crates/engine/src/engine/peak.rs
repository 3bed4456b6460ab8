//! Peak FLOP/s and memory bandwidth of a backend, measured once by microbenchmarks so every
//! variant can show its share of what the hardware did at best.

use std::time::{Duration, Instant};

use crate::error::DeviceFailure;
use crate::measured::Peaks;
use burn::prelude::*;

/// Square matmul size: large enough to leave caches and reach the kernels' best.
const MATMUL_N: usize = 1024;
/// Elements scaled in the bandwidth test: 128 MB read and 128 MB written, past any cache.
const COPY_ELEMENTS: usize = 32 << 20;

pub fn measure(device: &Device) -> Result<Peaks, DeviceFailure> {
    let n = MATMUL_N;
    let a: Tensor<2> = Tensor::random([n, n], burn::tensor::Distribution::Default, device);
    // The identity keeps the chained values bounded; the backend still runs a full matmul.
    let b: Tensor<2> = Tensor::eye(n, device);
    let flops = 2.0 * (n as f64).powi(3);
    let matmul = best_rate(device, a, |x| x.matmul(b.clone()), flops)?;

    let x: Tensor<1> = Tensor::ones([COPY_ELEMENTS], device);
    let bytes = 2.0 * 4.0 * COPY_ELEMENTS as f64;
    let copy = best_rate(device, x, |x| x.mul_scalar(1.0), bytes)?;
    Ok(Peaks {
        flops_per_s: matmul,
        matmul_size: n,
        bytes_per_s: copy,
        copy_bytes: bytes as u64,
    })
}

/// Runs `op` chained on its own output (so no call can be skipped or reordered) and returns
/// the best `work / time` over a few timed batches.
fn best_rate<const D: usize>(
    device: &Device,
    mut x: Tensor<D>,
    op: impl Fn(Tensor<D>) -> Tensor<D>,
    work: f64,
) -> Result<f64, DeviceFailure> {
    let sync = crate::timing::sync;
    // Warm-up: allocation, kernel compilation and autotune.
    for _ in 0..2 {
        x = op(x);
    }
    sync(device)?;
    let mut best = 0.0f64;
    let budget = Instant::now();
    for _ in 0..5 {
        let reps = 4;
        let t0 = Instant::now();
        for _ in 0..reps {
            x = op(x);
        }
        sync(device)?;
        let dt = t0.elapsed().as_secs_f64();
        best = best.max(reps as f64 * work / dt);
        if budget.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    Ok(best)
}
