//! The vision zoo built by burn from its layer programs: counted by burn as analysed, and a
//! forward pass at a reduced resolution gives one row of logits per image, on ndarray and flex.

use burn::prelude::*;
use burn::tensor::Tolerance;
use effprof::backend::Backend;
use effprof::cost;
use effprof::vision::{Preset, VisionSpec, network};
use effprof::zoo;

/// Each preset at full width and depth, at a resolution it runs at quickly.
const CASES: [(Preset, usize); 6] = [
    (Preset::Resnet18, 64),
    (Preset::Resnet50, 64),
    (Preset::MobilenetV2, 64),
    (Preset::EfficientnetB0, 64),
    (Preset::VitB16, 32),
    (Preset::VitB32, 64),
];

fn images(batch: usize, size: usize, device: &Device) -> Tensor<4> {
    let n = batch * 3 * size * size;
    let values: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 255) as f32 / 255.0 - 0.5)
        .collect();
    Tensor::from_data(TensorData::new(values, [batch, 3, size, size]), device)
}

#[test]
fn burn_counts_each_preset_as_the_cost_model_does() {
    let device = Backend::Flex.device().unwrap();
    for (preset, size) in CASES {
        let net = network(&VisionSpec::of(preset), 3, 10);
        let model = zoo::build_vision(&net, size, 1, &device);
        let analytic: u64 = cost::vision_layer_costs(&net, 1, size)
            .unwrap()
            .iter()
            .map(|r| r.params)
            .sum();
        assert_eq!(
            burn::module::Module::num_params(&model) as u64,
            analytic,
            "{preset:?}"
        );
    }
}

#[test]
fn every_preset_runs_forward_on_ndarray_and_flex_alike() {
    for (preset, size) in CASES {
        let net = network(&VisionSpec::of(preset), 3, 10);
        let logits = |backend: Backend| {
            let device = backend.device().unwrap();
            let model = zoo::build_vision(&net, size, 7, &device);
            model.forward(images(2, size, &device))
        };
        let (a, b) = (logits(Backend::Ndarray), logits(Backend::Flex));
        assert_eq!(a.dims(), [2, 10], "{preset:?}");
        let values: Vec<f32> = a.clone().into_data().iter::<f32>().collect();
        assert!(values.iter().all(|v| v.is_finite()), "{preset:?}");
        // Two different images give different logits.
        assert!(values[..10] != values[10..], "{preset:?}");
        a.into_data()
            .assert_approx_eq::<f32>(&b.into_data(), Tolerance::rel_abs(1e-3, 1e-4));
    }
}

#[test]
fn the_zoo_suites_count_as_torchvision_and_the_small_one_runs() {
    let zoo = effprof::spec::load_suite("imagenet-zoo").unwrap();
    let params = |suite: &effprof::spec::Suite, name: &str| {
        cost::analyze(suite.variant(name).unwrap(), &suite.workload)
            .unwrap()
            .params_total
    };
    assert_eq!(params(&zoo, "resnet50"), 25_557_032);
    assert_eq!(params(&zoo, "efficientnet_b0"), 5_288_548);
    assert_eq!(params(&zoo, "vit_b_16"), 86_567_656);
    let r50 = cost::analyze(zoo.variant("resnet50").unwrap(), &zoo.workload).unwrap();
    assert_eq!(r50.totals.flops_executed, 8_178_368_512);
    // ViT at three patch sizes: the same weights but for the position table and the patch
    // embedding.
    let vit = effprof::spec::load_suite("vit-patches").unwrap();
    let shared = |name: &str, patch: u64| {
        params(&vit, name) - ((224 / patch).pow(2) + 1) * 768 - 3 * patch * patch * 768
    };
    assert_eq!(shared("vit_b_8", 8), shared("vit_b_16", 16));
    assert_eq!(shared("vit_b_32", 32), shared("vit_b_16", 16));
    // Every variant of the small suite builds and runs through the engine's path.
    let small = effprof::spec::load_suite("zoo-small").unwrap();
    let device = Backend::Flex.device().unwrap();
    for v in &small.variants {
        let model = zoo::build(v, &small.workload, Backend::Flex, u64::MAX).unwrap();
        let report = cost::analyze(v, &small.workload).unwrap();
        assert_eq!(model.num_params() as u64, report.params_total, "{}", v.name);
        let out = model
            .forward_chained(zoo::input(v, &small.workload, &device).unwrap())
            .unwrap();
        assert!(matches!(out.next, zoo::Batch::Images(_)), "{}", v.name);
    }
}

#[test]
fn a_vision_networks_parts_are_timed_layer_by_layer_and_add_up() {
    let suite = effprof::spec::parse_suite(
        r#"
[suite]
name = "parts"
batch = 2
image_size = 32
in_channels = 3
classes = 10
baseline = "effnet"

[[variant]]
name = "effnet"
family = "vision"
preset = "efficientnet_b0"
width_mult = 0.25
depth_mult = 0.25
"#,
        "parts.toml",
    )
    .unwrap();
    let v = suite.variant("effnet").unwrap();
    let report = effprof::roofline::measure_parts(
        v,
        &suite.workload,
        Backend::Ndarray,
        u64::MAX,
        std::time::Duration::from_millis(5),
    )
    .unwrap();
    let names: Vec<&str> = report.parts.iter().map(|p| p.part.as_str()).collect();
    for part in [
        "conv",
        "bn + act",
        "depthwise",
        "squeeze-excite",
        "conv 1x1",
        "pooling",
        "norm + head",
    ] {
        assert!(names.contains(&part), "{part} missing from {names:?}");
    }
    let rows = cost::analyze(v, &suite.workload).unwrap().layers;
    let flops: u64 = report.parts.iter().map(|p| p.flops).sum();
    let bytes: u64 = report.parts.iter().map(|p| p.bytes).sum();
    assert_eq!(
        flops,
        rows.iter().map(|r| r.counts.flops_executed).sum::<u64>()
    );
    assert_eq!(
        bytes,
        rows.iter()
            .map(|r| r.counts.mem_access_bytes())
            .sum::<u64>()
    );
    assert!(report.parts.iter().all(|p| p.seconds > 0.0), "{report:?}");
}
