//! The CSR kernel against the dense kernel at the default suite's layer shapes.
//!
//! `cargo run --example csr_kernel [SPARSITY]` prints, per shape, the time of one product
//! `X [T, d_in] x W [d_in, d_out]` with the dense burn matmul (ndarray, flex) and with the CSR
//! kernel (the bare kernel, and the whole layer with its conversions), each the best of many
//! runs, in one process so the ratios share the machine's state.

use std::hint::black_box;
use std::time::{Duration, Instant};

use burn::prelude::*;
use effprof::backend::Backend;
use effprof::zoo::{CsrLinear, CsrMatrix, magnitude_prune};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn best(mut f: impl FnMut()) -> Duration {
    for _ in 0..3 {
        f();
    }
    let mut best = Duration::MAX;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(700) {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
    }
    best
}

fn main() {
    let sparsity: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("SPARSITY is a number in [0, 1)"))
        .unwrap_or(0.9);
    let t = 256; // batch 2 x seq_len 128, as in models/misnomer.toml
    let mut rng = StdRng::seed_from_u64(1);
    println!(
        "T = {t}, sparsity {sparsity}; best of many runs, ms (GFLOP/s of the FLOPs each kernel executes)"
    );
    println!(
        "{:<14} {:>16} {:>16} {:>16} {:>16}  csr-kernel speed-up vs ndarray / flex",
        "shape", "ndarray dense", "flex dense", "csr kernel", "csr layer"
    );
    for (d_in, d_out) in [(128, 128), (128, 512), (512, 128)] {
        let mut w: Vec<f32> = (0..d_in * d_out)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        magnitude_prune(&mut w, sparsity);
        let x: Vec<f32> = (0..t * d_in).map(|_| rng.random_range(-1.0..1.0)).collect();
        let dense_flops = 2.0 * (t * d_in * d_out) as f64;
        let csr = CsrMatrix::from_dense(&w, d_in, d_out);
        let csr_flops = 2.0 * (t * csr.nnz()) as f64;

        let dense = |backend: Backend| {
            let device = backend.device().expect("the backend opens");
            let xs: Tensor<2> = Tensor::from_data(TensorData::new(x.clone(), [t, d_in]), &device);
            let ws: Tensor<2> =
                Tensor::from_data(TensorData::new(w.clone(), [d_in, d_out]), &device);
            best(|| {
                let y = xs.clone().matmul(ws.clone());
                black_box(y.into_data());
            })
        };
        let nd = dense(Backend::Ndarray);
        let fx = dense(Backend::Flex);
        let bias = vec![0.0f32; d_out];
        let kernel = best(|| {
            black_box(csr.forward_rows(&x, t, &bias));
        });
        // The whole layer as the model runs it on ndarray: read back, kernel, bias, upload.
        let device = Backend::Ndarray.device().expect("the CPU backend opens");
        let layer_module = CsrLinear::new(csr.clone(), Some(vec![0.0; d_out]), &device);
        let xs: Tensor<2> = Tensor::from_data(TensorData::new(x.clone(), [t, d_in]), &device);
        let layer = best(|| {
            black_box(layer_module.forward(xs.clone()).into_data());
        });
        let show = |d: Duration, flops: f64| {
            format!(
                "{:.3} ({:.1})",
                d.as_secs_f64() * 1e3,
                flops / d.as_secs_f64() / 1e9
            )
        };
        println!(
            "{:<14} {:>16} {:>16} {:>16} {:>16}  {:.2}x / {:.2}x",
            format!("{d_in}x{d_out}"),
            show(nd, dense_flops),
            show(fx, dense_flops),
            show(kernel, csr_flops),
            show(layer, csr_flops),
            nd.as_secs_f64() / kernel.as_secs_f64(),
            fx.as_secs_f64() / kernel.as_secs_f64(),
        );
    }
}
