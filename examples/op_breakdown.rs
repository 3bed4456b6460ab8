//! Where a forward pass of the misnomer suite's dense baseline spends its time, op by op, at the
//! model's shapes (batch 2 x 128 tokens, d_model 128, 4 heads, d_ff 512, vocab 1024, 4 layers),
//! to set beside `python3 benches/torch_reference.py`'s profile of the same model.
//!
//! `cargo run --release --example op_breakdown [BACKEND]` (default ndarray). Each op runs in a
//! chain (its output feeds the next call) with a device sync before the clock stops; the
//! figure is the median per call times the calls per forward pass.

use std::time::{Duration, Instant};

use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use effprof::backend::Backend;

const B: usize = 2;
const S: usize = 128;
const D: usize = 128;
const H: usize = 4;
const F: usize = 512;
const V: usize = 1024;
const L: usize = 4;

/// Median seconds of `f` over about half a second, after a warm-up.
fn median(device: &Device, mut f: impl FnMut()) -> f64 {
    for _ in 0..5 {
        f();
    }
    device.sync().expect("the device works");
    let mut times = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(500) || times.len() < 10 {
        let t = Instant::now();
        f();
        device.sync().expect("the device works");
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let backend: Backend = std::env::args()
        .nth(1)
        .unwrap_or("ndarray".into())
        .parse()
        .expect("a backend");
    let device = backend.device().expect("the backend opens");
    let rand = |shape: Vec<usize>| -> Tensor<2> {
        Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), &device)
    };
    let x = rand(vec![B * S, D]).reshape([B, S, D]);
    let wq = rand(vec![D, D]);
    let w_up = rand(vec![D, F]);
    let w_down = rand(vec![F, D]);
    let w_head = rand(vec![D, V]);
    let bias = Tensor::<1>::random([D], Distribution::Uniform(-1.0, 1.0), &device);
    let hidden = rand(vec![B * S, F]).reshape([B, S, F]);
    let q = rand(vec![B * S, D]).reshape([B, H, S, D / H]);
    let scores = rand(vec![B * S, H * S]).reshape([B, H, S, S]);
    let norm = burn::nn::LayerNormConfig::new(D).init(&device);

    // (op, calls per forward pass, FLOPs per call, seconds per call)
    let mut rows: Vec<(&str, usize, f64, f64)> = Vec::new();
    let mut chain = x.clone();
    rows.push((
        "linear d->d (q, k, v, out) + bias",
        4 * L,
        2.0 * (B * S * D * D) as f64,
        median(&device, || {
            chain = chain.clone().matmul(wq.clone().unsqueeze()) + bias.clone().unsqueeze();
        }),
    ));
    let mut up = hidden.clone();
    rows.push((
        "linear d->d_ff (FFN up)",
        L,
        2.0 * (B * S * D * F) as f64,
        median(&device, || {
            up = x.clone().matmul(w_up.clone().unsqueeze()) + up.clone().slice([0..1, 0..1, 0..1]);
        }),
    ));
    let mut down = x.clone();
    rows.push((
        "linear d_ff->d (FFN down)",
        L,
        2.0 * (B * S * F * D) as f64,
        median(&device, || {
            down = hidden.clone().matmul(w_down.clone().unsqueeze())
                + down.clone().slice([0..1, 0..1, 0..1]);
        }),
    ));
    let mut att = scores.clone();
    rows.push((
        "attention q @ k^T",
        L,
        2.0 * (B * H * S * S * (D / H)) as f64,
        median(&device, || {
            att = q.clone().matmul(q.clone().swap_dims(2, 3))
                + att.clone().slice([0..1, 0..1, 0..1, 0..1]);
        }),
    ));
    let mut ctx = q.clone();
    rows.push((
        "attention p @ v",
        L,
        2.0 * (B * H * S * S * (D / H)) as f64,
        median(&device, || {
            ctx = scores.clone().matmul(ctx.clone());
        }),
    ));
    let mut fused = q.clone();
    let fused_attention = (
        "fused attention (burn's op: all three above)",
        L,
        4.0 * (B * H * S * S * (D / H)) as f64,
        median(&device, || {
            fused = attention(
                fused.clone(),
                q.clone(),
                q.clone(),
                None,
                None,
                AttentionModuleOptions::default(),
            );
        }),
    );
    let mut soft = scores.clone();
    rows.push((
        "softmax",
        L,
        0.0,
        median(&device, || {
            soft = softmax(soft.clone(), 3);
        }),
    ));
    let mut act = hidden.clone();
    rows.push((
        "gelu",
        L,
        0.0,
        median(&device, || {
            act = gelu(act.clone());
        }),
    ));
    let mut normed = x.clone();
    rows.push((
        "layer norm",
        2 * L + 1,
        0.0,
        median(&device, || {
            normed = norm.forward(normed.clone());
        }),
    ));
    let mut heads = q.clone();
    rows.push((
        "head split + merge (reshape, swap_dims)",
        4 * L,
        0.0,
        median(&device, || {
            heads = heads
                .clone()
                .swap_dims(1, 2)
                .reshape([B, S, D])
                .reshape([B, S, H, D / H])
                .swap_dims(1, 2)
                + heads.clone().slice([0..1, 0..1, 0..1, 0..1]);
        }),
    ));
    let mut logits = rand(vec![B * S, V]).reshape([B, S, V]);
    rows.push((
        "LM head d->vocab",
        1,
        2.0 * (B * S * D * V) as f64,
        median(&device, || {
            logits = x.clone().matmul(w_head.clone().unsqueeze())
                + logits.clone().slice([0..1, 0..1, 0..1]);
        }),
    ));

    println!("dense-base forward on {backend}, op by op (median per call x calls per pass):");
    let total: f64 = rows.iter().map(|r| r.1 as f64 * r.3).sum();
    for (op, calls, flops, secs) in &rows {
        let per_pass = *calls as f64 * secs;
        let rate = if *flops > 0.0 {
            format!("{:6.1} GFLOP/s", flops / secs / 1e9)
        } else {
            String::new()
        };
        println!(
            "  {op:<42} {calls:>3} x {:8.3} ms = {:7.2} ms ({:4.1}%) {rate}",
            secs * 1e3,
            per_pass * 1e3,
            100.0 * per_pass / total
        );
    }
    println!(
        "  sum {:.2} ms per forward pass (explicit attention)",
        total * 1e3
    );
    let (op, calls, flops, secs) = fused_attention;
    let explicit: f64 = rows
        .iter()
        .filter(|r| r.0.starts_with("attention") || r.0 == "softmax")
        .map(|r| r.1 as f64 * r.3)
        .sum();
    let per_pass = calls as f64 * secs;
    println!(
        "  {op:<42} {calls:>3} x {:8.3} ms = {:7.2} ms instead of {:.2} ms  {:6.1} GFLOP/s",
        secs * 1e3,
        per_pass * 1e3,
        explicit * 1e3,
        flops / secs / 1e9
    );
    println!(
        "  sum {:.2} ms per forward pass (fused attention, the default)",
        (total - explicit + per_pass) * 1e3
    );
}
