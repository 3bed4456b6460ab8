//! Precision as a dimension: the same parameters and FLOPs at every dtype and quantization,
//! and every byte figure at the dtype used, each derived by hand.

use effprof_model::cost::{self, generation_cost};
use effprof_model::precision::{Dtype, QuantBits};
use effprof_model::spec::{Suite, parse_suite};

/// d 64, 4 heads, d_ff 128, 2 layers, vocab 256: rotary, RMSNorm, SwiGLU, no biases, an
/// untied head; a prompt of 16 and 8 generated.
fn suite(variant_keys: &str, suite_keys: &str) -> Result<Suite, String> {
    let text = format!(
        "[suite]\nname = \"p\"\nbatch = 1\nprompt_len = 16\ngen_len = 8\nvocab = 256\nbaseline = \"m\"\n{suite_keys}\n\n\
         [[variant]]\nname = \"m\"\nd_model = 64\nn_heads = 4\nd_ff = 128\nn_layers = 2\n\
         positions = \"rotary\"\nnorm = \"rmsnorm\"\nffn = \"swiglu\"\nbias = false\n{variant_keys}\n"
    );
    parse_suite(&text, "p.toml").map_err(|e| e.to_string())
}

const DENSE: &str = "family = \"dense\"";

/// Parameters: the table 256 x 64; per layer a norm of 64, q, k, v, o of 64 x 64, a norm of
/// 64, SwiGLU's 3 x 64 x 128; the final norm; the head 64 x 256.
const PARAMS: u64 = 16_384 + 2 * (64 + 4 * 4096 + 64 + 3 * 8192) + 64 + 16_384;
/// The 2 x 4 + 2 x 3 matrices of 4096 and 8192 weights, and the head's of 16384.
const ATTENTION: u64 = 4096;
const FFN: u64 = 8192;
const HEAD: u64 = 16_384;
/// What stays float: the table and the 5 norms.
const FLOATS: u64 = 16_384 + 5 * 64;

/// A matrix of `n` weights, `bits` each, with a 4-byte scale per 32.
fn quantized(n: u64, bits: u64) -> u64 {
    n * bits / 8 + n / 32 * 4
}

#[test]
fn bytes_follow_the_dtype_and_the_quantization_parameters_and_flops_do_not() {
    assert_eq!(PARAMS, 115_008);
    let f32 = suite(DENSE, "").unwrap();
    let reference = cost::analyze(&f32.variants[0], &f32.workload).unwrap();
    assert_eq!(reference.params_total, PARAMS);
    assert_eq!(reference.totals.param_bytes, 4 * PARAMS);

    for (keys, dtype_bytes, matrix) in [
        ("dtype = \"bf16\"", 2, None),
        ("dtype = \"f16\"", 2, None),
        ("dtype = \"bf16\"\nquantize = \"int8\"", 2, Some(8)),
        ("dtype = \"bf16\"\nquantize = \"int4\"", 2, Some(4)),
        ("quantize = \"int4\"\nquant_block = 32", 4, Some(4)),
    ] {
        let s = suite(&format!("{DENSE}\n{keys}"), "").unwrap();
        let report = cost::analyze(&s.variants[0], &s.workload).unwrap();
        assert_eq!(report.params_total, PARAMS, "{keys}");
        assert_eq!(
            report.totals.flops_executed, reference.totals.flops_executed,
            "{keys}"
        );
        let matrices = match matrix {
            None => (8 * ATTENTION + 6 * FFN + HEAD) * dtype_bytes,
            Some(bits) => {
                8 * quantized(ATTENTION, bits) + 6 * quantized(FFN, bits) + quantized(HEAD, bits)
            }
        };
        assert_eq!(
            report.totals.param_bytes,
            matrices + FLOATS * dtype_bytes,
            "{keys}"
        );
        // Activations at the float dtype: the peak is half f32's at 2 bytes.
        assert_eq!(
            report.totals.activation_peak_bytes * 4,
            reference.totals.activation_peak_bytes * dtype_bytes,
            "{keys}"
        );

        // The KV cache: K and V of 64 per layer, 2 layers, 24 positions, at the float dtype.
        let generation = generation_cost(&s.variants[0], &s.workload)
            .unwrap()
            .unwrap();
        assert_eq!(
            generation.kv_cache_bytes,
            2 * 2 * 64 * 24 * dtype_bytes,
            "{keys}"
        );
        assert_eq!(
            generation.memory_estimate_bytes,
            report_param_bytes(&s) + prefill_peak(&s) + generation.kv_cache_bytes
        );
    }
}

fn report_param_bytes(s: &Suite) -> u64 {
    cost::analyze(&s.variants[0], &s.workload)
        .unwrap()
        .totals
        .param_bytes
}

fn prefill_peak(s: &Suite) -> u64 {
    cost::analyze_pass(&s.variants[0], &s.workload, cost::Pass::Prefill)
        .unwrap()
        .totals
        .activation_peak_bytes
}

/// A decode step reads every weight once, as stored: over 3x fewer bytes at int4 than at bf16.
#[test]
fn a_decode_step_reads_the_weights_as_stored() {
    let step = |keys: &str| {
        let s = suite(&format!("{DENSE}\n{keys}"), "").unwrap();
        generation_cost(&s.variants[0], &s.workload)
            .unwrap()
            .unwrap()
            .decode_step_weight_bytes
    };
    // The matrices whole, the norms, and one row of the table (the token's embedding).
    let bf16 = step("dtype = \"bf16\"");
    assert_eq!(
        bf16,
        (8 * ATTENTION + 6 * FFN + HEAD) * 2 + 5 * 64 * 2 + 64 * 2
    );
    let int4 = step("dtype = \"bf16\"\nquantize = \"int4\"");
    assert_eq!(
        int4,
        8 * quantized(ATTENTION, 4) + 6 * quantized(FFN, 4) + quantized(HEAD, 4) + 6 * 64 * 2
    );
}

/// An MoE's experts are quantized, its router is not; a tied head reads the float table.
#[test]
fn experts_quantize_the_router_and_a_tied_head_do_not() {
    let moe = "family = \"moe\"\nn_experts = 4\ntop_k = 2\ncapacity_factor = 2.0\ndtype = \"bf16\"";
    let float = suite(moe, "").unwrap();
    let int8 = suite(
        &format!("{moe}\nquantize = \"int8\"\ntie_embeddings = true"),
        "",
    )
    .unwrap();
    let tied_bf16 = suite(&format!("{moe}\ntie_embeddings = true"), "").unwrap();
    let bytes = |s: &Suite| cost::analyze(&s.variants[0], &s.workload).unwrap();
    let (f, q, t) = (bytes(&float), bytes(&int8), bytes(&tied_bf16));
    assert_eq!(f.params_total - HEAD, t.params_total);
    assert_eq!(q.params_total, t.params_total);
    // Per layer: 4 experts of 3 matrices of 8192, 4 attention matrices; the router (64 x 4),
    // the table and the norms stay bf16.
    let per_layer = 12 * quantized(FFN, 8) + 4 * quantized(ATTENTION, 8) + 256 * 2;
    assert_eq!(q.totals.param_bytes, 2 * per_layer + FLOATS * 2);
    let generation = generation_cost(&int8.variants[0], &int8.workload)
        .unwrap()
        .unwrap();
    assert_eq!(generation.expert_bytes, Some(3 * quantized(FFN, 8)));
}

#[test]
fn the_suite_gives_the_dtype_a_variant_does_not_and_bad_values_are_named() {
    let s = suite(DENSE, "dtype = \"f16\"").unwrap();
    assert_eq!(s.variants[0].precision.dtype, Dtype::F16);
    let s = suite(
        &format!("{DENSE}\ndtype = \"f32\"\nquantize = \"int8\""),
        "dtype = \"bf16\"",
    )
    .unwrap();
    assert_eq!(s.variants[0].precision.dtype, Dtype::F32);
    assert_eq!(
        s.variants[0].precision.quantize.unwrap().bits,
        QuantBits::Int8
    );

    let err = suite(&format!("{DENSE}\ndtype = \"fp8\""), "").unwrap_err();
    assert!(
        err.contains("dtype") && err.contains("f32, f16, bf16"),
        "{err}"
    );
    let err = suite(&format!("{DENSE}\nquantize = \"int3\""), "").unwrap_err();
    assert!(
        err.contains("quantize") && err.contains("int8, int4"),
        "{err}"
    );
    let err = suite(&format!("{DENSE}\nquant_block = 64"), "").unwrap_err();
    assert!(
        err.contains("quant_block") && err.contains("quantize"),
        "{err}"
    );
    let err = suite(
        "family = \"pruned\"\nsparsity = 0.5\nquantize = \"int8\"",
        "",
    )
    .unwrap_err();
    assert!(err.contains("quantize") && err.contains("pruned"), "{err}");
    let err = suite(DENSE, "dtype = \"int8\"").unwrap_err();
    assert!(err.contains("suite") && err.contains("dtype"), "{err}");
}
