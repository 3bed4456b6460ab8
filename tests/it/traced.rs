//! Counts from the graph burn records: each operation kind counted by hand on a graph of a few
//! operations, and every variant of every built-in suite (and of generated suites) counted
//! from its graph as the analytic cost model counts it.

use burn::prelude::*;
use effprof::cost;
use effprof::spec::{BUILTIN_SUITES, Suite, load_suite, parse_suite};
use effprof::traced::{TracedCounts, count_operations, trace_variant};
use effprof::zoo::BuildError;
use proptest::prelude::*;

/// Records `f` on a capture device and counts it.
fn record(f: impl FnOnce(&Device)) -> TracedCounts {
    let device = Device::capture();
    let graph = device
        .capture_scope(|scope| {
            f(&device);
            scope.complete([], [])
        })
        .unwrap();
    count_operations(&graph.graph.operations, 0)
}

fn zeros<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::zeros::<f32, _>(shape), device)
}

#[test]
fn each_kind_is_counted_by_torchs_rule() {
    // [2, 3, 5] @ [5, 7]: 2·(2·3·7)·5 FLOPs; reads both operands, writes [2, 3, 7].
    let t = record(|d| drop(zeros([2, 3, 5], d).matmul(zeros([1, 5, 7], d))));
    let m = t.kind("matmul").unwrap();
    assert_eq!((m.ops, m.flops), (1, 2 * 2 * 3 * 7 * 5));
    assert_eq!(m.bytes_read, 4 * (2 * 3 * 5 + 5 * 7));
    assert_eq!(m.bytes_written, 4 * (2 * 3 * 7));
    assert_eq!(t.flops, m.flops);

    // A 3x3 convolution, 4 -> 6 channels in 2 groups, on [1, 4, 8, 8] with padding 1: every
    // output element is a dot product over 2 channels x 9 taps.
    let t = record(|d| {
        let conv = burn::nn::conv::Conv2dConfig::new([4, 6], [3, 3])
            .with_groups(2)
            .with_padding(burn::nn::PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_bias(false)
            .init(d);
        drop(conv.forward(zeros([1, 4, 8, 8], d)));
    });
    assert_eq!(t.kind("conv2d").unwrap().flops, 2 * (6 * 8 * 8) * (2 * 9));

    // Attention over [B=2, H=3, S=4, D=8]: scores and weighted sum, 4·B·H·S·S·D.
    let t = record(|d| {
        let q = || zeros([2, 3, 4, 8], d);
        drop(burn::tensor::module::attention(
            q(),
            q(),
            q(),
            None,
            None,
            Default::default(),
        ));
    });
    assert_eq!(t.kind("attention").unwrap().flops, 4 * 2 * 3 * 4 * 4 * 8);

    // Elementwise and reduction kinds count 0 FLOPs and their bytes; a reshape and a
    // transpose are views: no bytes, no kernel.
    let t = record(|d| {
        let x = zeros([4, 6], d);
        let y = burn::tensor::activation::softmax(x.clone() + x, 1);
        drop(y.reshape([6, 4]).swap_dims(0, 1));
    });
    assert_eq!(t.flops, 0);
    let add = t.kind("add").unwrap();
    assert_eq!(
        (add.ops, add.bytes_read, add.bytes_written),
        (1, 2 * 96, 96)
    );
    assert!(t.kind("softmax").is_some_and(|s| s.bytes() > 0), "{t:?}");
    let views: Vec<&str> = t
        .kinds
        .iter()
        .filter(|k| k.view)
        .map(|k| k.kind.as_str())
        .collect();
    assert_eq!(views, ["reshape", "swap_dims"]);
    assert!(t.kinds.iter().filter(|k| k.view).all(|k| k.bytes() == 0));
    assert_eq!((t.ops, t.views), (2, 2), "{t:?}");
    assert!(t.kinds.iter().all(|k| !k.unknown));

    // A transposed convolution: torch counts it, effprof's counter has no rule; it is marked
    // as not counted, never a silent 0.
    let t = record(|d| {
        let options =
            burn::tensor::ops::ConvTransposeOptions::new([2, 2], [0, 0], [0, 0], [1, 1], 1);
        drop(burn::tensor::module::conv_transpose2d(
            zeros([1, 4, 5, 5], d),
            zeros([4, 3, 2, 2], d),
            None,
            options,
        ));
    });
    let transposed = t.kind("conv_transpose2d").unwrap();
    assert!(transposed.unknown && transposed.flops == 0, "{t:?}");
    assert_eq!(transposed.label(), "conv_transpose2d (FLOPs not counted)");
}

/// Traced FLOPs of every variant of `suite` against the analytic executed FLOPs; variants too
/// large for `limit` bytes are refused by the memory check and listed.
fn check_suite(suite: &Suite, limit: u64) -> Result<Vec<String>, String> {
    let mut refused = Vec::new();
    for v in &suite.variants {
        let analytic = cost::analyze(v, &suite.workload).map_err(|e| format!("{}: {e}", v.name))?;
        match trace_variant(v, &suite.workload, limit) {
            Ok(t) => {
                if t.flops != analytic.totals.flops_executed {
                    return Err(format!(
                        "{}/{}: traced {} FLOPs, analytic {}: {:#?}",
                        suite.name, v.name, t.flops, analytic.totals.flops_executed, t.kinds
                    ));
                }
                if t.ops == 0 || t.bytes == 0 {
                    return Err(format!("{}/{}: an empty graph: {t:?}", suite.name, v.name));
                }
            }
            Err(effprof::traced::TraceError::Build(BuildError::TooLarge { .. }))
            | Err(effprof::traced::TraceError::Quantized { .. }) => refused.push(v.name.clone()),
            Err(e) => return Err(format!("{}/{}: {e}", suite.name, v.name)),
        }
    }
    Ok(refused)
}

#[test]
fn every_builtin_variant_is_traced_to_its_analytic_flops() {
    for builtin in BUILTIN_SUITES {
        let suite = load_suite(builtin.name).unwrap();
        let refused = check_suite(&suite, 2_000_000_000).unwrap();
        // burn's capture records no quantized ops; nothing else is refused, whatever its size.
        match builtin.name {
            "precision" => assert_eq!(refused, ["int8", "int4"]),
            _ => assert!(refused.is_empty(), "{}: {refused:?}", builtin.name),
        }
    }
}

/// Built without values inside the capture scope or on the host and moved there, a transformer
/// records the same forward pass: the same FLOPs, bytes, ops and kinds (its weights' creation
/// is not counted either way).
#[test]
fn tracing_without_weights_counts_what_tracing_with_them_does() {
    for name in ["misnomer", "generation", "precision"] {
        let suite = load_suite(name).unwrap();
        for v in &suite.variants {
            if v.precision.quantize.is_some() {
                continue;
            }
            let without = trace_variant(v, &suite.workload, u64::MAX).unwrap();
            let with = effprof::traced::trace_on_host(v, &suite.workload, u64::MAX).unwrap();
            assert_eq!(without, with, "{name}/{}", v.name);
        }
    }
}

/// A transformer is traced without its weights: a 70B Llama shape (282 GB of f32 weights) and
/// Mixtral-8x7B under a 256 MB limit, to their analytic FLOPs.
#[test]
fn models_far_larger_than_memory_are_traced_without_their_weights() {
    let text = "[suite]\nname = \"big\"\nbatch = 1\nseq_len = 128\nvocab = 128256\nbaseline = \"llama-70b\"\n\n\
        [[variant]]\nname = \"llama-70b\"\nfamily = \"dense\"\nd_model = 8192\nn_heads = 64\nn_kv_heads = 8\n\
        d_ff = 28672\nn_layers = 80\nnorm = \"rmsnorm\"\nffn = \"swiglu\"\nbias = false\npositions = \"rotary\"\n";
    let big = parse_suite(text, "big.toml").unwrap();
    let analytic = cost::analyze(&big.variants[0], &big.workload).unwrap();
    assert!(analytic.params_total > 70_000_000_000);
    assert_eq!(check_suite(&big, 256 << 20), Ok(vec![]));
    let shapes = load_suite("llm-shapes").unwrap();
    assert_eq!(check_suite(&shapes, 256 << 20), Ok(vec![]));
}

proptest! {
    #![proptest_config(crate::properties::config(24))]

    #[test]
    fn generated_suites_are_traced_to_their_analytic_flops(text in crate::properties::valid_suite_text()) {
        let suite = parse_suite(&text, "gen.toml");
        prop_assume!(suite.is_ok());
        let refused = check_suite(&suite.unwrap(), 1_000_000_000);
        prop_assert!(refused.is_ok(), "{}\n{}", text, refused.unwrap_err());
    }
}
