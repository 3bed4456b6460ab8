//! Decoder LMs and their options, counted against figures derived by hand from each
//! architecture as PyTorch would count it (`sum(p.numel())`, `FlopCounterMode`), and the real
//! models' published parameter totals.

use effprof_model::cost::{self, CostReport, LayerKind};
use effprof_model::spec::{self, Suite, parse_suite};

/// B=2, prompt S=3 (T=6 tokens per forward pass), 2 generated (context 5), V=10, d=8, h=4
/// (head size 2), f=12, one layer; `extra` adds keys to the variant.
fn decoder(family: &str, extra: &str) -> Suite {
    let text = format!(
        "[suite]\nname = \"t\"\nbatch = 2\nprompt_len = 3\ngen_len = 2\nvocab = 10\nbaseline = \"x\"\n\n\
         [[variant]]\nname = \"x\"\nfamily = \"{family}\"\nd_model = 8\nn_heads = 4\nd_ff = 12\nn_layers = 1\n{extra}"
    );
    parse_suite(&text, "t.toml").unwrap()
}

fn count(suite: &Suite) -> CostReport {
    cost::analyze(&suite.variants[0], &suite.workload).unwrap()
}

/// The defaults (GPT-2's choices): learned positions with one row per token of the context
/// (prompt + generated = 5), LayerNorm, GELU, biases, untied head, multi-head attention.
/// Embedding 10*8 + 5*8 = 120; attention LN 16 + 4 * (64 + 8) = 304; FFN LN 16 + (96 + 12) +
/// (96 + 8) = 228; final LN 16; head 80.
const BASE_PARAMS: u64 = 120 + 304 + 228 + 16 + 80;
/// Linears 2*T*(4*d*d + 2*d*f) = 12 * 448 = 5376; attention 4*B*S*S*d = 576 (torch counts a
/// causal attention in full); head 2*T*d*V = 960.
const BASE_FLOPS: u64 = 5376 + 576 + 960;

#[test]
fn a_decoder_counts_as_the_encoder_of_its_shape() {
    let r = count(&decoder("dense", ""));
    assert_eq!(r.params_total, BASE_PARAMS);
    assert_eq!(r.totals.flops_useful, BASE_FLOPS);
    assert_eq!(r.totals.flops_executed, BASE_FLOPS);
}

#[test]
fn grouped_query_attention_narrows_keys_and_values() {
    // One key/value head of size 2: K and V are Linear(8, 2) with bias, 18 each instead of 72.
    let r = count(&decoder("dense", "n_kv_heads = 1"));
    assert_eq!(r.params_total, BASE_PARAMS - 2 * (72 - 18));
    // Q and O 2*T*d*d each, K and V 2*T*d*2 each; attention still over all 4 query heads.
    let linears = 2 * 6 * (2 * 64 + 2 * 16 + 2 * 96);
    assert_eq!(r.totals.flops_useful, linears + 576 + 960);
    // Two key/value heads for four query heads.
    let r2 = count(&decoder("dense", "n_kv_heads = 2"));
    assert_eq!(r2.params_total, BASE_PARAMS - 2 * (72 - 36));
}

#[test]
fn tied_embeddings_count_the_table_once() {
    let r = count(&decoder("dense", "tie_embeddings = true"));
    assert_eq!(r.params_total, BASE_PARAMS - 80);
    // The head still multiplies by the table.
    assert_eq!(r.totals.flops_useful, BASE_FLOPS);
    let head = r.layers.iter().find(|l| l.kind == LayerKind::Head).unwrap();
    assert_eq!(head.params, 0);
    assert_eq!(head.shared_with.as_deref(), Some("embedding"));
    assert_eq!(head.counts.weight_bytes, 80 * 4);
}

#[test]
fn rmsnorm_has_a_weight_and_no_bias() {
    // Three norms (attention, FFN, final) of d weights instead of 2d.
    let r = count(&decoder("dense", "norm = \"rmsnorm\""));
    assert_eq!(r.params_total, BASE_PARAMS - 3 * 8);
    assert_eq!(r.totals.flops_useful, BASE_FLOPS);
}

#[test]
fn swiglu_has_three_projections() {
    // gate and up Linear(8, 12) with bias, down Linear(12, 8): one more 96 + 12.
    let r = count(&decoder("dense", "ffn = \"swiglu\""));
    assert_eq!(r.params_total, BASE_PARAMS + 108);
    // One more 2*T*d*f; SiLU and the product count 0.
    assert_eq!(r.totals.flops_useful, BASE_FLOPS + 2 * 6 * 96);
}

#[test]
fn without_bias_the_linears_lose_theirs_and_layernorm_keeps_its_own() {
    // Q, K, V, O: 4 * 8; up 12, down 8.
    let r = count(&decoder("dense", "bias = false"));
    assert_eq!(r.params_total, BASE_PARAMS - 32 - 20);
    assert_eq!(r.totals.flops_useful, BASE_FLOPS);
}

#[test]
fn biases_on_q_k_and_v_only() {
    // Qwen2: no biases but Q, K and V's, 8 each.
    let r = count(&decoder("dense", "bias = false\nqkv_bias = true"));
    assert_eq!(r.params_total, BASE_PARAMS - 32 - 20 + 3 * 8);
    assert_eq!(r.totals.flops_useful, BASE_FLOPS);
    let e = spec::parse_suite(
        &format!(
            "{}qkv_bias = true\n",
            "[suite]\nname = \"t\"\nbatch = 1\nseq_len = 3\nvocab = 10\nbaseline = \"x\"\n\n\
             [[variant]]\nname = \"x\"\nfamily = \"dense\"\nd_model = 8\nn_heads = 4\nd_ff = 12\nn_layers = 1\n"
        ),
        "q.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("qkv_bias") && e.contains("bias = false"), "{e}");
}

#[test]
fn a_head_size_apart_from_d_model_over_n_heads() {
    // head_dim 3 with 4 heads: Q, K and V are Linear(8, 12), O is Linear(12, 8).
    let r = count(&decoder("dense", "head_dim = 3"));
    let attention = 3 * (8 * 12 + 12) + (12 * 8 + 8);
    assert_eq!(r.params_total, BASE_PARAMS - 4 * (64 + 8) + attention);
    // Linears 2*T*(3*8*12 + 12*8) and FFN 2*T*2*d*f; attention 4*B*S*S*(H*hd) = 4*2*3*3*12.
    let flops = 2 * 6 * (4 * 96) + 2 * 6 * 2 * 96 + 4 * 2 * 3 * 3 * 12 + 960;
    assert_eq!(r.totals.flops_useful, flops);
    // The cache holds K and V of 4 heads x 3: 2 * 12 floats a position (not 2 * 8).
    let g = generation(&decoder("dense", "head_dim = 3"));
    assert_eq!(g.kv_cache_bytes, 2 * 12 * 4 * 2 * 5);
    // A step: linears 2*B*(4*96 + 2*96), attention 4*B*c*12 at contexts 4 and 5, head 320.
    assert_eq!(
        g.decode_step_flops,
        (2 * 2 * 576) as f64 + 96.0 * 4.5 + 320.0
    );
}

#[test]
fn d_model_need_not_divide_by_n_heads_once_the_head_size_is_given() {
    let text = |extra: &str| {
        format!(
            "[suite]\nname = \"t\"\nbatch = 1\nseq_len = 3\nvocab = 10\nbaseline = \"x\"\n\n\
             [[variant]]\nname = \"x\"\nfamily = \"dense\"\nd_model = 10\nn_heads = 4\nd_ff = 12\nn_layers = 1\n{extra}"
        )
    };
    assert!(parse_suite(&text(""), "t.toml").is_err());
    let suite = parse_suite(&text("head_dim = 2"), "t.toml").unwrap();
    // Q, K and V are Linear(10, 8), O is Linear(8, 10).
    let r = count(&suite);
    let attention = 3 * (10 * 8 + 8) + (8 * 10 + 10);
    let ffn = 20 + (10 * 12 + 12) + (12 * 10 + 10);
    assert_eq!(
        r.params_total,
        10 * 10 + 3 * 10 + 20 + attention + ffn + 20 + 10 * 10
    );
}

#[test]
fn narrower_experts_and_a_gated_shared_expert() {
    // Qwen2-MoE's layer: 4 experts of width 6 (two GELU projections with biases, 2*8*6 + 6 + 8
    // = 110 each), a shared expert of width 10 (8*10 + 10 and 10*8 + 8) with its gate
    // Linear(8, 1) without bias, the router 8*4 and the norm 16, in place of the FFN's 228.
    let r = count(&decoder(
        "moe",
        "n_experts = 4\ntop_k = 2\ncapacity_factor = 2.0\nexpert_d_ff = 6\nshared_d_ff = 10\nshared_gate = true",
    ));
    let shared = 90 + 88 + 8;
    assert_eq!(
        r.params_total,
        BASE_PARAMS - 228 + 16 + 32 + 4 * 110 + shared
    );
    assert_eq!(
        r.params_active,
        BASE_PARAMS - 228 + 16 + 32 + 2 * 110 + shared
    );
    // Over T = 6 tokens: the router 2*T*8*4, 2 experts per token at 2*2*8*6 each, the shared
    // expert 2*T*(8*10 + 10*8) and its gate 2*T*8, beside attention's 3072 + 576 and the head.
    let moe = 384 + 12 * 192 + 12 * 160 + 96;
    assert_eq!(r.totals.flops_useful, 3072 + 576 + moe + 960);
}

#[test]
fn query_and_key_norms_over_the_projection_or_per_head() {
    // OLMoE's: RMSNorm weights over all of q (8) and of k (one head: 2); 0 FLOPs.
    let full = count(&decoder("dense", "qk_norm = \"full\"\nn_kv_heads = 1"));
    let gqa = count(&decoder("dense", "n_kv_heads = 1"));
    assert_eq!(full.params_total, gqa.params_total + 8 + 2);
    assert_eq!(full.totals.flops_useful, gqa.totals.flops_useful);
    // Qwen3's: one head's width (2) for q and one for k, shared by the heads.
    let head = count(&decoder("dense", "qk_norm = \"head\""));
    assert_eq!(head.params_total, BASE_PARAMS + 2 + 2);
    // A pass over q and k each, read and written: 2 * T * (8 + 8) floats, and the weights.
    let base = count(&decoder("dense", ""));
    let attention = |r: &CostReport| r.layers[1].counts.mem_access_bytes();
    assert_eq!(attention(&head) - attention(&base), (2 * 6 * 16 + 4) * 4);
}

#[test]
fn post_norms_add_a_norm_after_each_sublayer() {
    // Two LayerNorms of 2d more per layer, 0 FLOPs.
    let r = count(&decoder("dense", "post_norms = true"));
    assert_eq!(r.params_total, BASE_PARAMS + 2 * 16);
    assert_eq!(r.totals.flops_useful, BASE_FLOPS);
}

#[test]
fn positions_learned_none_or_rotary() {
    assert_eq!(
        count(&decoder("dense", "positions = \"none\"")).params_total,
        BASE_PARAMS - 40
    );
    let rotary = count(&decoder("dense", "positions = \"rotary\""));
    assert_eq!(rotary.params_total, BASE_PARAMS - 40);
    // 0 FLOPs, but it reads and writes Q and K.
    assert_eq!(rotary.totals.flops_useful, BASE_FLOPS);
    let base = count(&decoder("dense", "positions = \"none\""));
    assert_eq!(
        rotary.totals.mem_access_bytes - base.totals.mem_access_bytes,
        // The learned table's read is gone in both; rotary adds 2 * T * (d + kv) elements.
        2 * 6 * 16 * 4
    );
    // A table of 16 rows, whatever the context.
    assert_eq!(
        count(&decoder("dense", "max_positions = 16")).params_total,
        BASE_PARAMS - 40 + 16 * 8
    );
}

#[test]
fn a_variant_with_its_own_vocabulary() {
    let r = count(&decoder("dense", "vocab = 20"));
    assert_eq!(r.params_total, BASE_PARAMS + 2 * 80);
    assert_eq!(r.totals.flops_useful, BASE_FLOPS + 960);
}

#[test]
fn every_llama_choice_at_once() {
    let r = count(&decoder(
        "dense",
        "n_kv_heads = 2\nnorm = \"rmsnorm\"\nffn = \"swiglu\"\nbias = false\npositions = \"rotary\"\ntie_embeddings = true",
    ));
    // Embedding 80; attention norm 8 + Q 64 + K 32 + V 32 + O 64; FFN norm 8 + 3 * 96; final 8.
    assert_eq!(r.params_total, 80 + 200 + 296 + 8);
    let linears = 2 * 6 * (64 + 32 + 32 + 64 + 3 * 96);
    assert_eq!(r.totals.flops_useful, linears + 576 + 960);
}

#[test]
fn moe_experts_take_the_options_too() {
    // 4 SwiGLU experts without biases, top-2, none dropped (capacity 4 = E / k x 2).
    let r = count(&decoder(
        "moe",
        "n_experts = 4\ntop_k = 2\ncapacity_factor = 2.0\nnorm = \"rmsnorm\"\nffn = \"swiglu\"\nbias = false\npositions = \"none\"",
    ));
    let expert = 3 * 96;
    // Embedding 80; attention 8 + 4 * 64; MoE norm 8 + router 32 + 4 experts; final 8; head 80.
    assert_eq!(r.params_total, 80 + 264 + (8 + 32 + 4 * expert) + 8 + 80);
    assert_eq!(r.params_active, r.params_total - 2 * expert);
    // Attention linears 2*T*4*64; router 2*T*d*E; experts k*T*(2*3*d*f); attention; head.
    let useful = 2 * 6 * 256 + 2 * 6 * 32 + 2 * 6 * (6 * 96) + 576 + 960;
    assert_eq!(r.totals.flops_useful, useful);
}

fn preset(name: &str) -> CostReport {
    let suite = spec::load_suite("llm-shapes").unwrap();
    let v = suite.variant(name).unwrap();
    cost::analyze(v, &suite.workload).unwrap()
}

#[test]
fn gpt2_small_has_its_published_parameter_count() {
    let r = preset("gpt2-small");
    assert_eq!(r.params_total, 124_439_808);
    // FlopCounterMode over the 128-token prompt, batch 1: per layer 2*S*(4d^2 + 2df) for the
    // linears and 4*S*S*d for attention, then the tied head 2*S*d*V.
    let (s, d, f, v, l) = (128u64, 768u64, 3072u64, 50257u64, 12u64);
    let flops = l * (2 * s * (4 * d * d + 2 * d * f) + 4 * s * s * d) + 2 * s * d * v;
    assert_eq!(r.totals.flops_useful, flops);
}

#[test]
fn gpt2_medium_has_its_published_parameter_count() {
    assert_eq!(preset("gpt2-medium").params_total, 354_823_168);
}

#[test]
fn llama_1b_has_the_parameter_count_of_llama_3_2_1b() {
    let r = preset("llama-1b");
    assert_eq!(r.params_total, 1_235_814_400);
    // Grouped-query attention: K and V are 2048 -> 512.
    let (s, d, kv, f, v, l) = (128u64, 2048u64, 512u64, 8192u64, 128_256u64, 16u64);
    let flops = l * (2 * s * (2 * d * d + 2 * d * kv + 3 * d * f) + 4 * s * s * d) + 2 * s * d * v;
    assert_eq!(r.totals.flops_useful, flops);
}

#[test]
fn mixtral_has_its_published_parameter_count_and_active_parameters() {
    let r = preset("mixtral-8x7b");
    assert_eq!(r.params_total, 46_702_792_704);
    // Shared weights and routers, plus 2 of the 8 SwiGLU experts (3 * 4096 * 14336) per layer.
    let expert = 3 * 4096 * 14336u64;
    assert_eq!(r.params_active, 46_702_792_704 - 32 * 6 * expert);
    assert_eq!(r.params_active, 12_879_925_248);
    // Every token visits 2 experts: useful FLOPs as HF's Mixtral runs them.
    let (s, d, kv, f, v, e, l) = (128u64, 4096u64, 1024u64, 14336u64, 32000u64, 8u64, 32u64);
    let per_layer = 2 * s * (2 * d * d + 2 * d * kv) + 2 * s * d * e + 2 * s * 6 * d * f;
    let flops = l * (per_layer + 4 * s * s * d) + 2 * s * d * v;
    assert_eq!(r.totals.flops_useful, flops);
}

#[test]
fn the_generation_suite_matches_compute_and_parameters() {
    let suite = spec::load_suite("generation").unwrap();
    for v in &suite.variants {
        if let Some(m) = &v.matched {
            assert!(m.within_tolerance, "{}: {m:?}", v.name);
        }
    }
    let r = |name: &str| {
        let v = suite.variant(name).unwrap();
        cost::analyze(v, &suite.workload).unwrap()
    };
    let (dense, gqa, top1) = (r("dense"), r("gqa"), r("moe-top1"));
    // GQA barely changes parameters and FLOPs.
    assert!(gqa.params_total < dense.params_total);
    assert!((gqa.params_total as f64) > 0.9 * dense.params_total as f64);
    // The top-1 MoE holds several times the dense model's parameters for its FLOPs.
    assert!(top1.params_total > 3 * dense.params_total);
    let pmatch = r("dense-pmatch");
    let ratio = pmatch.params_total as f64 / top1.params_total as f64;
    assert!((0.98..=1.02).contains(&ratio), "{ratio}");
}

fn generation(suite: &Suite) -> cost::GenerationCost {
    cost::generation_cost(&suite.variants[0], &suite.workload)
        .unwrap()
        .expect("a generation suite")
}

#[test]
fn prefill_and_decode_steps_by_hand() {
    let g = generation(&decoder("dense", ""));
    // Prefill: the layers over T = 6 tokens (5376 + 576), the head at the last position of
    // each sequence only, 2*B*d*V = 320.
    assert_eq!(g.prefill_flops, 5376 + 576 + 320);
    // A step at context c: linears 2*B*(4d^2 + 2df) = 1792, attention 4*B*c*d = 64c, head 320;
    // contexts 4 and 5, mean 4.5.
    assert_eq!(g.decode_step_flops, 1792.0 + 64.0 * 4.5 + 320.0);
    assert_eq!(
        g.request_flops,
        6272 + (1792 + 256 + 320) + (1792 + 320 + 320)
    );
    // K and V: 2 * layers * d * 4 bytes = 64 bytes a position, 2 sequences, 5 positions.
    assert_eq!(g.kv_cache_bytes, 64 * 2 * 5);
    assert_eq!(g.decode_step_kv_written_bytes, 64 * 2);
    assert_eq!(g.decode_step_kv_read_bytes, 64.0 * 2.0 * 4.5);
    // Every weight but the embedding tables, of which 2 token rows and 1 position row are read:
    // 24 + attention 304 + FFN 228 + final norm 16 + head 80 elements.
    assert_eq!(g.decode_step_weight_bytes, (24 + 304 + 228 + 16 + 80) * 4);
    assert!(g.decode_arithmetic_intensity > 0.0);
    assert_eq!(g.expected_experts_per_layer, None);
    let forward = count(&decoder("dense", ""));
    assert_eq!(
        g.memory_estimate_bytes,
        forward.totals.param_bytes
            + cost::analyze_pass(
                &decoder("dense", "").variants[0],
                &decoder("dense", "").workload,
                cost::Pass::Prefill
            )
            .unwrap()
            .totals
            .activation_peak_bytes
            + g.kv_cache_bytes
    );
}

#[test]
fn grouped_query_attention_shrinks_the_cache_by_its_group() {
    let mha = generation(&decoder("dense", ""));
    let gqa = generation(&decoder("dense", "n_kv_heads = 1"));
    assert_eq!(mha.kv_cache_bytes, 4 * gqa.kv_cache_bytes);
    assert_eq!(
        mha.decode_step_kv_written_bytes,
        4 * gqa.decode_step_kv_written_bytes
    );
}

#[test]
fn a_decode_step_reads_the_experts_its_batch_is_expected_to_choose() {
    // 4 experts, top-2, batch 2: 4 * (1 - (1 - 2/4)^2) = 3 experts expected per layer.
    let s = decoder(
        "moe",
        "n_experts = 4\ntop_k = 2\ncapacity_factor = 2.0\nbias = false\npositions = \"none\"",
    );
    let g = generation(&s);
    assert_eq!(g.expected_experts_per_layer, Some(3.0));
    let dense = generation(&decoder("dense", "bias = false\npositions = \"none\""));
    // The MoE reads its router (32) and 3 experts (2 * 96 each) where the dense model reads
    // one FFN of the same width.
    let expert = 2 * 96 * 4;
    assert_eq!(
        g.decode_step_weight_bytes,
        dense.decode_step_weight_bytes - expert + 32 * 4 + 3 * expert
    );
    // Decode runs only the chosen experts: k * B tokens, no capacity padding.
    let moe_step = 2 * 2 * 2 * 8 * 12 * 2;
    let dense_ffn = 2 * 2 * 2 * 8 * 12;
    assert_eq!(
        g.decode_step_flops - dense.decode_step_flops,
        (moe_step - dense_ffn + 2 * 2 * 8 * 4) as f64
    );
}

#[test]
fn mixtral_reads_two_experts_at_batch_1_and_nearly_all_at_batch_32() {
    let suite = spec::load_suite("llm-shapes").unwrap();
    let mut one = suite.clone();
    one.workload.batch = 1;
    let mut many = suite.clone();
    many.workload.batch = 32;
    let v = suite.variant("mixtral-8x7b").unwrap();
    let at = |s: &Suite| cost::generation_cost(v, &s.workload).unwrap().unwrap();
    let (g1, g32) = (at(&one), at(&many));
    assert_eq!(g1.expected_experts_per_layer, Some(2.0));
    let e32 = g32.expected_experts_per_layer.unwrap();
    assert!((e32 - 8.0 * (1.0 - 0.75f64.powi(32))).abs() < 1e-9, "{e32}");
    // At batch 1 a step reads about the active parameters; at 32 about all of them.
    let report = cost::analyze(v, &suite.workload).unwrap();
    let active = report.params_active as f64 * 4.0;
    let total = report.params_total as f64 * 4.0;
    let w1 = g1.decode_step_weight_bytes as f64;
    let w32 = g32.decode_step_weight_bytes as f64;
    // Both read the head but only a row of the (untied) embedding table: 131M parameters apart.
    assert!((w1 - active).abs() / active < 0.02, "{w1} vs {active}");
    assert!((w32 - total).abs() / total < 0.02, "{w32} vs {total}");
}

#[test]
fn an_moe_prefill_counts_useful_flops_apart_from_its_padded_kernels() {
    // 4 GELU experts, top-2, capacity ceil(2 * 6 / 4 * 2) = 6: 24 slots for 12 routed choices,
    // each 4*d*f = 384 FLOPs.
    let g = generation(&decoder(
        "moe",
        "n_experts = 4\ntop_k = 2\ncapacity_factor = 2.0",
    ));
    assert_eq!(g.prefill_flops_executed - g.prefill_flops, 12 * 384);
}
