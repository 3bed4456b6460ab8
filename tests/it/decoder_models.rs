//! The decoder models built by burn: counted by burn as analysed, causal, and the same on
//! every CPU backend.

use burn::prelude::*;
use burn::tensor::Tolerance;
use effprof::backend::Backend;
use effprof::cost;
use effprof::spec::{Suite, parse_suite};
use effprof::zoo;

const NO_LIMIT: u64 = u64::MAX;

/// A generation suite (prompt 6, 3 generated) or, with `gen_len` 0, an encoder suite of one
/// variant; `extra` adds keys to the variant.
fn suite(family_keys: &str, extra: &str, gen_len: usize) -> Suite {
    let input = if gen_len == 0 {
        "seq_len = 6".to_owned()
    } else {
        format!("prompt_len = 6\ngen_len = {gen_len}")
    };
    let text = format!(
        "[suite]\nname = \"t\"\nbatch = 2\n{input}\nvocab = 16\nbaseline = \"x\"\n\n\
         [[variant]]\nname = \"x\"\n{family_keys}\nd_model = 16\nn_heads = 4\nd_ff = 24\nn_layers = 2\n{extra}"
    );
    parse_suite(&text, "t.toml").unwrap()
}

const DENSE: &str = "family = \"dense\"";
const MOE: &str = "family = \"moe\"\nn_experts = 4\ntop_k = 2\ncapacity_factor = 2.0";
/// Qwen2-MoE's layer: top-3 of narrower experts, and a gated shared expert.
const SHARED_MOE: &str = "family = \"moe\"\nn_experts = 4\ntop_k = 3\ncapacity_factor = 2.0\nexpert_d_ff = 12\nshared_d_ff = 20\nshared_gate = true";
const LLAMA: &str = "n_kv_heads = 2\nnorm = \"rmsnorm\"\nffn = \"swiglu\"\nbias = false\npositions = \"rotary\"\ntie_embeddings = true";

/// Biases on q, k and v only, and a head size apart from d_model / n_heads, with rotary
/// positions and grouped-query attention.
const QWEN_GEMMA: &str =
    "n_kv_heads = 2\nhead_dim = 6\npositions = \"rotary\"\nbias = false\nqkv_bias = true";

/// Gemma's choices: one key/value head wider than d_model / n_heads, GeGLU, scaled
/// embeddings, a tied head.
const GEMMA: &str = "n_kv_heads = 1\nhead_dim = 6\nffn = \"geglu\"\nscale_embeddings = true\nnorm = \"rmsnorm\"\npositions = \"rotary\"\nbias = false\ntie_embeddings = true\npost_norms = true";

/// Every option alone and together, on the dense and MoE families.
fn option_sets() -> Vec<(&'static str, &'static str)> {
    let options = [
        "",
        "n_kv_heads = 1",
        "n_kv_heads = 2",
        "tie_embeddings = true",
        "norm = \"rmsnorm\"",
        "ffn = \"swiglu\"",
        "bias = false",
        "positions = \"none\"",
        "positions = \"rotary\"",
        "max_positions = 32",
        "vocab = 40",
        "head_dim = 6",
        "bias = false\nqkv_bias = true",
        "ffn = \"geglu\"",
        "scale_embeddings = true",
        GEMMA,
        "qk_norm = \"full\"",
        "post_norms = true",
        "qk_norm = \"head\"\nhead_dim = 6\nn_kv_heads = 2\npositions = \"rotary\"",
        LLAMA,
        QWEN_GEMMA,
    ];
    let mut sets = Vec::new();
    for family in [
        DENSE,
        MOE,
        SHARED_MOE,
        "family = \"universal\"",
        "family = \"pruned\"\nsparsity = 0.5",
    ] {
        for o in options {
            sets.push((family, o));
        }
    }
    sets
}

#[test]
fn burn_counts_every_option_as_the_cost_model_does() {
    for (family, options) in option_sets() {
        let s = suite(family, options, 3);
        let v = &s.variants[0];
        let model = zoo::build(v, &s.workload, Backend::Flex, NO_LIMIT).unwrap();
        let report = cost::analyze(v, &s.workload).unwrap();
        assert_eq!(
            model.num_params() as u64,
            report.params_total,
            "{family} / {options}"
        );
    }
}

/// Logits of every position for `tokens`, on `backend`.
fn logits(s: &Suite, backend: Backend, tokens: Vec<i64>) -> Vec<f32> {
    let device = backend.device().unwrap();
    let model = zoo::build_lm(&s.variants[0], &s.workload, backend, NO_LIMIT, "a test").unwrap();
    let ids = Tensor::<2, Int>::from_data(TensorData::new(tokens, [2, 6]), &device);
    model
        .forward(ids)
        .logits
        .into_data()
        .iter::<f32>()
        .collect()
}

/// Whether changing the last token of each sequence changes the logits of earlier positions.
fn future_leaks(s: &Suite, backend: Backend) -> bool {
    let tokens: Vec<i64> = (0..12).map(|i| (i * 5 + 3) % 16).collect();
    let mut changed = tokens.clone();
    changed[5] = (changed[5] + 7) % 16;
    changed[11] = (changed[11] + 7) % 16;
    let (a, b) = (logits(s, backend, tokens), logits(s, backend, changed));
    // [2, 6, vocab]: positions 0..5 of each sequence.
    let vocab = a.len() / 12;
    (0..2).any(|seq| {
        (0..5).any(|pos| {
            let at = (seq * 6 + pos) * vocab;
            a[at..at + vocab]
                .iter()
                .zip(&b[at..at + vocab])
                .any(|(x, y)| (x - y).abs() > 1e-5)
        })
    })
}

#[test]
fn a_decoder_never_looks_ahead_and_an_encoder_does() {
    for backend in [Backend::Ndarray, Backend::Flex] {
        for attention in ["fused", "explicit"] {
            for extra in ["", LLAMA] {
                let options = format!("attention = \"{attention}\"\n{extra}");
                let decoder = suite(DENSE, &options, 3);
                assert!(
                    !future_leaks(&decoder, backend),
                    "{backend} {attention} {extra}: a later token changed an earlier position"
                );
                let encoder = suite(DENSE, &options, 0);
                assert!(
                    future_leaks(&encoder, backend),
                    "{backend} {attention} {extra}: the encoder should see the whole sequence"
                );
            }
        }
    }
}

#[test]
fn fused_and_explicit_causal_attention_agree() {
    let tokens: Vec<i64> = (0..12).map(|i| (i * 7 + 1) % 16).collect();
    let run = |attention: &str| {
        let s = suite(MOE, &format!("attention = \"{attention}\"\n{LLAMA}"), 3);
        TensorData::new(logits(&s, Backend::Flex, tokens.clone()), [12, 16])
    };
    run("fused").assert_approx_eq::<f32>(&run("explicit"), Tolerance::default());
}

#[test]
fn backends_build_the_same_decoder() {
    let tokens: Vec<i64> = (0..12).map(|i| (i * 3 + 2) % 16).collect();
    let s = suite(MOE, LLAMA, 3);
    let on = |backend| TensorData::new(logits(&s, backend, tokens.clone()), [12, 16]);
    on(Backend::Ndarray).assert_approx_eq::<f32>(&on(Backend::Flex), Tolerance::default());
}

#[test]
fn a_sequence_longer_than_the_position_table_is_refused_before_building() {
    let mut s = suite(DENSE, "max_positions = 9", 3);
    // A sweep along the prompt past the table: 10 + 3 positions needed.
    if let effprof::arch::Input::Tokens(t) = &mut s.workload.input {
        t.seq_len = 10;
    }
    let e = zoo::build(&s.variants[0], &s.workload, Backend::Flex, NO_LIMIT).unwrap_err();
    assert!(e.to_string().contains("max_positions"), "{e}");
}

/// Prefill of the first 6 tokens, then 3 decode steps fed the next tokens, against one causal
/// forward pass over all 9: the cache, the offsets of positions and of the causal mask, and
/// the decode path's chosen-experts MoE must give the same logits.
fn cached_generation_matches_the_forward_pass(family: &str, options: &str, backend: Backend) {
    let s = suite(family, options, 3);
    let device = backend.device().unwrap();
    let model = zoo::build_lm(&s.variants[0], &s.workload, backend, NO_LIMIT, "a test").unwrap();
    let tokens: Vec<i64> = (0..18).map(|i| (i * 5 + 2) % 16).collect();
    let all = Tensor::<2, Int>::from_data(TensorData::new(tokens.clone(), [2, 9]), &device);
    let full = model.forward(all.clone()).logits;
    let vocab = full.dims()[2];

    let mut cache = model.new_cache(2, 9, &device);
    let mut got = vec![model.prefill(all.clone().narrow(1, 0, 6), &mut cache)];
    for pos in 6..9 {
        got.push(model.decode(all.clone().narrow(1, pos, 1), &mut cache));
    }
    assert_eq!(cache.len(), 9);
    for (i, step) in got.into_iter().enumerate() {
        let expected = full
            .clone()
            .narrow(1, 5 + i, 1)
            .reshape([2, vocab])
            .into_data();
        step.logits
            .into_data()
            .assert_approx_eq::<f32>(&expected, Tolerance::rel_abs(1e-4, 1e-4));
        if i > 0 && family.contains("moe") {
            // Two sequences, top-2 of 4 experts: between 2 and 4 distinct experts a layer.
            assert_eq!(step.experts_touched.len(), 2, "{options}");
            assert!(
                step.experts_touched.iter().all(|t| (2..=4).contains(t)),
                "{:?}",
                step.experts_touched
            );
        }
    }
}

#[test]
fn a_kv_cached_generation_computes_what_the_forward_pass_does() {
    for backend in [Backend::Ndarray, Backend::Flex] {
        for family in [DENSE, MOE, SHARED_MOE, "family = \"universal\""] {
            for attention in ["fused", "explicit"] {
                for extra in [
                    "",
                    LLAMA,
                    QWEN_GEMMA,
                    GEMMA,
                    "qk_norm = \"full\"\nn_kv_heads = 2",
                    "qk_norm = \"head\"\nhead_dim = 6\npositions = \"rotary\"",
                    "n_kv_heads = 1\npositions = \"none\"",
                ] {
                    let options = format!("attention = \"{attention}\"\n{extra}");
                    cached_generation_matches_the_forward_pass(family, &options, backend);
                }
            }
        }
    }
}
