//! The convolutional family on real backends: every kind builds, classifies a batch, holds
//! exactly the parameters the cost model counts, and computes the same on ndarray and flex.

use burn::module::Module;
use burn::tensor::Tolerance;
use effprof::arch::ImageWorkload;
use effprof::backend::Backend;
use effprof::cost::conv_layer_costs;
use effprof::family::{ConvKind, ConvSpec};
use effprof::zoo::{build_conv, random_images};

const WORKLOAD: ImageWorkload = ImageWorkload {
    batch: 2,
    image_size: 8,
    in_channels: 3,
    classes: 10,
    seed: 3,
};

const KINDS: [ConvKind; 3] = [
    ConvKind::Standard,
    ConvKind::DepthwiseSeparable,
    ConvKind::Grouped { groups: 4 },
];

fn spec(kind: ConvKind) -> ConvSpec {
    ConvSpec {
        kind,
        width: 16,
        blocks: 2,
    }
}

#[test]
fn every_kind_classifies_and_holds_the_counted_parameters() {
    let device = Backend::Ndarray.device().unwrap();
    for kind in KINDS {
        let net = build_conv(&spec(kind), &WORKLOAD, &device);
        let counted: u64 = conv_layer_costs(&spec(kind), &WORKLOAD)
            .iter()
            .map(|r| r.params)
            .sum();
        assert_eq!(net.num_params() as u64, counted, "{kind:?}");
        let logits = net.forward(random_images(&WORKLOAD, &device));
        assert_eq!(logits.dims(), [2, 10], "{kind:?}");
        let values: Vec<f32> = logits.into_data().try_to_vec::<f32>().unwrap();
        assert!(values.iter().all(|v| v.is_finite()), "{kind:?}");
    }
}

#[test]
fn ndarray_and_flex_compute_the_same_network() {
    for kind in KINDS {
        let logits = |b: Backend| {
            let device = b.device().unwrap();
            build_conv(&spec(kind), &WORKLOAD, &device)
                .forward(random_images(&WORKLOAD, &device))
                .into_data()
        };
        logits(Backend::Ndarray)
            .assert_approx_eq::<f32>(&logits(Backend::Flex), Tolerance::relative(1e-4));
    }
}

#[test]
fn a_suites_conv_variants_build_and_chain_through_the_zoo() {
    // The path the engine takes: suite -> zoo::build -> Model, forward with a chained input.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-conv.toml");
    let suite = effprof::spec::load_suite(path).unwrap();
    let device = Backend::Ndarray.device().unwrap();
    for v in &suite.variants {
        let model = effprof::zoo::build(v, &suite.workload, Backend::Ndarray, u64::MAX).unwrap();
        let report = effprof::cost::analyze(v, &suite.workload).unwrap();
        assert_eq!(model.num_params() as u64, report.params_total, "{}", v.name);
        let input = effprof::zoo::input(v, &suite.workload, &device).unwrap();
        let effprof::zoo::Batch::Images(first) = input.clone() else {
            panic!("an image suite gives images")
        };
        let out = model.forward_chained(input).unwrap();
        let effprof::zoo::Batch::Images(next) = out.next else {
            panic!("images chain to images")
        };
        // The chained input is the same pixels, now waiting for this pass.
        next.into_data()
            .assert_approx_eq::<f32>(&first.into_data(), Tolerance::absolute(0.0));
        assert!(out.routing.is_empty());
        // A transformer-only measurement says why it cannot take this variant.
        let err = effprof::zoo::build_lm(
            v,
            &suite.workload,
            Backend::Ndarray,
            u64::MAX,
            "pipeline staging",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("is a conv variant: pipeline staging"),
            "{err}"
        );
    }
    // Tokens are not images: a mismatched input is an error, not a panic.
    let tiny = effprof::spec::load_suite("tiny").unwrap();
    let model = effprof::zoo::build(
        &suite.variants[0],
        &suite.workload,
        Backend::Ndarray,
        u64::MAX,
    )
    .unwrap();
    let tokens = effprof::zoo::input(&tiny.variants[0], &tiny.workload, &device).unwrap();
    assert!(model.forward_chained(tokens).is_err());
}

#[test]
fn a_conv_variants_parts_are_timed_and_counted_like_its_rows() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-conv.toml");
    let suite = effprof::spec::load_suite(path).unwrap();
    let v = suite.variant("depthwise").unwrap();
    let report = effprof::roofline::measure_parts(
        v,
        &suite.workload,
        Backend::Ndarray,
        u64::MAX,
        std::time::Duration::from_millis(10),
    )
    .unwrap();
    let names: Vec<&str> = report.parts.iter().map(|p| p.part.as_str()).collect();
    assert_eq!(names, ["stem", "blocks", "pool + head"]);
    let rows = effprof::cost::analyze(v, &suite.workload).unwrap().layers;
    // Every row lands in exactly one part: the parts add up to the model.
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
    let blocks: u64 = rows
        .iter()
        .filter(|r| r.name.starts_with("block"))
        .map(|r| r.counts.flops_executed)
        .sum();
    assert_eq!(report.parts[1].flops, blocks);
    assert!(report.parts.iter().all(|p| p.seconds > 0.0), "{report:?}");
}
