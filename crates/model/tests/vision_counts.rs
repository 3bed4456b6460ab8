//! The vision zoo's layer programs counted against torchvision: the published figures, and
//! figures derived here by hand from each architecture (FlopCounterMode's 2 FLOPs per MAC of
//! every convolution and linear, attention's two matmuls).

use effprof_model::cost::{self, LayerCost};
use effprof_model::vision::{Preset, VisionSpec, network};

fn counts(preset: Preset, image: usize) -> (u64, u64) {
    let net = network(&VisionSpec::of(preset), 3, 1000);
    let rows: Vec<LayerCost> = cost::vision_layer_costs(&net, 1, image).unwrap();
    (
        rows.iter().map(|r| r.params).sum(),
        rows.iter().map(|r| r.counts.flops_executed).sum(),
    )
}

/// 2 * H * W * Cout * Cin * k * k for one image.
fn conv(hw: u64, cout: u64, cin: u64, k: u64) -> u64 {
    2 * hw * hw * cout * cin * k * k
}

#[test]
fn resnet50_has_torchvisions_parameters_and_flops() {
    assert_eq!(counts(Preset::Resnet50, 224), (25_557_032, 8_178_368_512));
}

#[test]
fn resnet18_by_hand() {
    let stem = conv(112, 64, 3, 7);
    let layer1 = 4 * conv(56, 64, 64, 3);
    // Each later stage: a strided 3x3, a 3x3, the 1x1 downsample, then a block of two 3x3.
    let stage = |hw, c: u64| {
        conv(hw, c, c / 2, 3) + conv(hw, c, c, 3) + conv(hw, c, c / 2, 1) + 2 * conv(hw, c, c, 3)
    };
    let flops = stem + layer1 + stage(28, 128) + stage(14, 256) + stage(7, 512) + 2 * 512 * 1000;
    assert_eq!(counts(Preset::Resnet18, 224), (11_689_512, flops));
}

#[test]
fn mobilenet_v2_and_efficientnet_b0_have_torchvisions_parameters() {
    assert_eq!(counts(Preset::MobilenetV2, 224).0, 3_504_872);
    assert_eq!(counts(Preset::EfficientnetB0, 224).0, 5_288_548);
}

#[test]
fn mobilenet_v2_flops_by_hand() {
    // Per block: expand 1x1 (t != 1), depthwise 3x3 at the output size, project 1x1.
    let block = |hw_in: u64, cin: u64, cout: u64, t: u64, stride: u64| {
        let hidden = cin * t;
        let hw = hw_in / stride;
        let expand = if t == 1 {
            0
        } else {
            conv(hw_in, hidden, cin, 1)
        };
        expand + conv(hw, hidden, 1, 3) + conv(hw, cout, hidden, 1)
    };
    let mut flops = conv(112, 32, 3, 3);
    let (mut hw, mut cin) = (112, 32);
    for (t, c, n, s) in [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ] {
        for i in 0..n {
            let stride = if i == 0 { s } else { 1 };
            flops += block(hw, cin, c, t, stride);
            hw /= stride;
            cin = c;
        }
    }
    flops += conv(7, 1280, 320, 1) + 2 * 1280 * 1000;
    assert_eq!(counts(Preset::MobilenetV2, 224).1, flops);
}

#[test]
fn vit_b_by_hand() {
    // ViT-B/16 at 224: 196 patches + the class token, hidden 768, MLP 3072, 12 layers.
    let vit = |patch: u64| {
        let patches = (224 / patch) * (224 / patch);
        let t = patches + 1;
        let (d, f) = (768u64, 3072u64);
        let per_layer = 2 * t * (3 * d * d + d * d + 2 * d * f) + 4 * t * t * d;
        let params_layer = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d);
        let flops = 2 * patches * d * 3 * patch * patch + 12 * per_layer + 2 * d * 1000;
        let params =
            (3 * patch * patch * d + d) + d + t * d + 12 * params_layer + 2 * d + (d * 1000 + 1000);
        (params, flops)
    };
    assert_eq!(counts(Preset::VitB16, 224), vit(16));
    assert_eq!(counts(Preset::VitB32, 224), vit(32));
    // torchvision's published totals.
    assert_eq!(vit(16).0, 86_567_656);
    assert_eq!(vit(32).0, 88_224_232);
}

#[test]
fn shapes_that_do_not_fit_are_errors_not_panics() {
    let vit = network(&VisionSpec::of(Preset::VitB16), 3, 10);
    let e = cost::vision_layer_costs(&vit, 1, 100).unwrap_err();
    assert!(e.to_string().contains("must tile the 100x100 image"), "{e}");
    // Padding keeps a ResNet's maps at least 1x1, as in PyTorch: even a 1-pixel image runs.
    let resnet = network(&VisionSpec::of(Preset::Resnet50), 3, 10);
    assert!(cost::vision_layer_costs(&resnet, 2, 1).is_ok());
    // A channel count that does not match is named.
    let mut broken = resnet.clone();
    broken.in_channels = 1;
    let e = cost::vision_layer_costs(&broken, 1, 32).unwrap_err();
    assert!(e.to_string().contains("3 input channels met 1"), "{e}");
}

#[test]
fn width_and_depth_scale_as_torchvision_rounds() {
    let half = VisionSpec {
        width_mult: 0.5,
        ..VisionSpec::of(Preset::MobilenetV2)
    };
    let net = network(&half, 3, 1000);
    let params: u64 = cost::vision_layer_costs(&net, 1, 224)
        .unwrap()
        .iter()
        .map(|r| r.params)
        .sum();
    // torchvision's mobilenet_v2(width_mult=0.5): 1,968,680 parameters.
    assert_eq!(params, 1_968_680);
}

#[test]
fn efficientnet_b0_flops_by_hand() {
    // MBConv: expand 1x1 (t != 1), depthwise k x k at the output size, squeeze-and-excitation
    // (two 1x1 convolutions on one pixel, to max(1, cin / 4) and back), project 1x1.
    let block = |hw_in: u64, cin: u64, cout: u64, t: u64, k: u64, stride: u64| {
        let hidden = cin * t;
        let hw = hw_in / stride;
        let squeeze = (cin / 4).max(1);
        let expand = if t == 1 {
            0
        } else {
            conv(hw_in, hidden, cin, 1)
        };
        expand + conv(hw, hidden, 1, k) + 4 * hidden * squeeze + conv(hw, cout, hidden, 1)
    };
    let mut flops = conv(112, 32, 3, 3);
    let (mut hw, mut cin) = (112, 32);
    for (t, k, s, c, n) in [
        (1, 3, 1, 16, 1),
        (6, 3, 2, 24, 2),
        (6, 5, 2, 40, 2),
        (6, 3, 2, 80, 3),
        (6, 5, 1, 112, 3),
        (6, 5, 2, 192, 4),
        (6, 3, 1, 320, 1),
    ] {
        for i in 0..n {
            let stride = if i == 0 { s } else { 1 };
            flops += block(hw, cin, c, t, k, stride);
            hw /= stride;
            cin = c;
        }
    }
    flops += conv(7, 1280, 320, 1) + 2 * 1280 * 1000;
    let (params, counted) = counts(Preset::EfficientnetB0, 224);
    assert_eq!(params, 5_288_548);
    assert_eq!(counted, flops);
    // torchvision lists 0.39 GFLOPS (multiply-adds) for it.
    assert!((0.38e9..0.40e9).contains(&(flops as f64 / 2.0)), "{flops}");
}

#[test]
fn a_vit_at_another_patch_size_differs_in_its_position_table_and_patch_embedding_only() {
    let at = |patch| {
        let spec = VisionSpec {
            patch_size: Some(patch),
            ..VisionSpec::of(Preset::VitB16)
        };
        counts_of(&spec, 224)
    };
    let ((p8, f8), (p16, f16), (p32, f32)) = (at(8), at(16), at(32));
    let table = |patch: u64| ((224 / patch) * (224 / patch) + 1) * 768;
    let embed = |patch: u64| 3 * patch * patch * 768;
    assert_eq!(p8 - table(8) - embed(8), p16 - table(16) - embed(16));
    assert_eq!(p16 - table(16) - embed(16), p32 - table(32) - embed(32));
    // FLOPs grow faster than the tokens (785, 197, 50): attention grows with their square.
    let ratio = |a: u64, b: u64| a as f64 / b as f64;
    assert!(ratio(f8, f16) > ratio(785, 197), "{f8} {f16}");
    assert!(ratio(f16, f32) > ratio(197, 50), "{f16} {f32}");
}

fn counts_of(spec: &VisionSpec, image: usize) -> (u64, u64) {
    let net = network(spec, 3, 1000);
    let rows = cost::vision_layer_costs(&net, 1, image).unwrap();
    (
        rows.iter().map(|r| r.params).sum(),
        rows.iter().map(|r| r.counts.flops_executed).sum(),
    )
}

#[test]
fn the_layer_by_layer_split_adds_up_to_the_whole_network() {
    use cost::{vision_layer_costs, vision_leaf_costs};
    for (_, preset) in Preset::ALL {
        for (batch, size) in [(1, 224), (3, 64)] {
            let net = network(&VisionSpec::of(preset), 3, 1000);
            let whole = vision_layer_costs(&net, batch, size).unwrap();
            let leaves = vision_leaf_costs(&net, batch, size).unwrap();
            let sum = |f: &dyn Fn(&LayerCost) -> u64| {
                (
                    whole.iter().map(f).sum::<u64>(),
                    leaves.iter().map(|(_, r)| f(r)).sum::<u64>(),
                )
            };
            let (a, b) = sum(&|r| r.params);
            assert_eq!(a, b, "{preset:?} params");
            let (a, b) = sum(&|r| r.counts.flops_executed);
            assert_eq!(a, b, "{preset:?} FLOPs");
            let (a, b) = sum(&|r| r.counts.mem_access_bytes());
            assert_eq!(a, b, "{preset:?} bytes");
            // The split is finer than the layer list wherever there are residual blocks (all
            // but ViT, whose encoder layers are parts whole).
            let vit = matches!(preset, Preset::VitB16 | Preset::VitB32);
            assert_eq!(leaves.len() > whole.len(), !vit, "{preset:?}");
        }
    }
}

#[test]
fn depthwise_and_pointwise_convolutions_are_parts_of_their_own() {
    use cost::vision_leaf_costs;
    let net = network(&VisionSpec::of(Preset::MobilenetV2), 3, 1000);
    let leaves = vision_leaf_costs(&net, 1, 224).unwrap();
    let parts = |p: &str| leaves.iter().filter(|(part, _)| *part == p).count();
    // 17 inverted residuals, each with one depthwise 3x3; 16 of them expand with a 1x1, each
    // projects with a 1x1, and the classifier's last conv is a 1x1: 34 pointwise convs.
    assert_eq!(parts("depthwise"), 17);
    assert_eq!(parts("conv 1x1"), 16 + 17 + 1);
    assert_eq!(parts("conv"), 1, "the stem");
    // Residual adds where the stride is 1 and the channels stay: 10 of the 17 blocks.
    assert_eq!(parts("residual add"), 10);
    // A depthwise layer does 2·9 FLOPs per output element and moves at least its input and
    // output: its intensity is under 9 FLOP per 4-byte element moved, far below a dense conv's.
    let intensity = |p: &str| {
        let (f, b) = leaves
            .iter()
            .filter(|(part, _)| *part == p)
            .fold((0, 0), |(f, b), (_, r)| {
                (f + r.counts.flops_executed, b + r.counts.mem_access_bytes())
            });
        f as f64 / b as f64
    };
    assert!(intensity("depthwise") < 4.5, "{}", intensity("depthwise"));
    assert!(intensity("conv 1x1") > 2.0 * intensity("depthwise"));
}
