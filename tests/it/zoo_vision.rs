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
