//! The convolutional family's misnomer, before suite files take it: standard, grouped and
//! depthwise-separable networks of the same width and depth, their FLOPs, parameters and bytes
//! from the cost model beside their measured latency on a backend.
//!
//! `cargo run --release --example conv_kinds [BACKEND]` (default ndarray): batch 8 of 32x32
//! RGB images, width 64, 4 residual blocks, 10 classes.

use std::time::Duration;

use effprof::backend::Backend;
use effprof::cost::conv_layer_costs;
use effprof::spec::{ConvKind, ConvSpec, ImageWorkload};
use effprof::timing::{median_of, sync};
use effprof::zoo::{build_conv, random_images};

fn main() {
    let backend: Backend = std::env::args()
        .nth(1)
        .unwrap_or("ndarray".into())
        .parse()
        .expect("a backend");
    let w = ImageWorkload {
        batch: 8,
        image_size: 32,
        in_channels: 3,
        classes: 10,
        seed: 1,
    };
    let device = backend.device();
    let mut base: Option<(f64, f64, f64)> = None;
    println!("{backend}: batch 8 x 3x32x32, width 64, 4 blocks; ratios to standard");
    for kind in [
        ConvKind::Standard,
        ConvKind::Grouped { groups: 8 },
        ConvKind::DepthwiseSeparable,
    ] {
        let spec = ConvSpec {
            kind,
            width: 64,
            blocks: 4,
        };
        let rows = conv_layer_costs(&spec, &w);
        let flops: u64 = rows.iter().map(|r| r.counts.flops_executed).sum();
        let bytes: u64 = rows.iter().map(|r| r.counts.mem_access_bytes()).sum();
        let params: u64 = rows.iter().map(|r| r.params).sum();
        let net = build_conv(&spec, &w, &device);
        let mut images = random_images(&w, &device);
        let p50 = median_of(Duration::from_secs(3), 5, || {
            let logits = net.forward(images.clone());
            // The next batch waits for this one.
            let dep = logits.slice([0..1, 0..1]).greater_elem(f32::MAX).float();
            images = images.clone() + dep.reshape([1, 1, 1, 1]);
            sync(&device)
        })
        .expect("the backend runs");
        let (bf, bp, bt) = *base.get_or_insert((flops as f64, params as f64, p50));
        println!(
            "  {:<22} FLOPs {:>6.0} M ({:.2}x)  params {:>7} ({:.2}x)  {:>5.1} FLOP/B  p50 {:>7.2} ms ({:.2}x)",
            format!("{kind:?}"),
            flops as f64 / 1e6,
            flops as f64 / bf,
            params,
            params as f64 / bp,
            flops as f64 / bytes as f64,
            p50 * 1e3,
            p50 / bt
        );
    }
}
