//! Hugging Face configs counted as the models transformers builds from them: parameters
//! against `sum(p.numel())` of the real models, FLOPs derived by hand from each architecture,
//! and every key either mapped, known to change no count, or refused by name.

use effprof_model::arch::Variant;
use effprof_model::cost::{self, CostReport};
use effprof_model::family::Family;
use effprof_model::spec::hf::parse_config;
use effprof_model::spec::{Suite, load_suite, parse_suite};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/hf");

fn config(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn bare(name: &str) -> Suite {
    load_suite(&config(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn count(suite: &Suite) -> CostReport {
    cost::analyze(&suite.variants[0], &suite.workload).unwrap()
}

/// A suite file beside the fixtures, so `from` is relative to their folder.
fn with_from(variant_keys: &str, header: &str) -> Result<Suite, String> {
    let text = format!(
        "[suite]\nname = \"s\"\nbatch = 1\n{header}\nbaseline = \"m\"\n\n[[variant]]\nname = \"m\"\n{variant_keys}\n"
    );
    parse_suite(&text, &format!("{FIXTURES}/suite.toml")).map_err(|e| e.to_string())
}

const GENERATE: &str = "prompt_len = 128\ngen_len = 32\nvocab = 32000";

#[test]
fn bare_configs_have_the_parameters_transformers_counts() {
    for (name, params) in [
        ("qwen2.5-0.5b", 494_032_768u64),
        ("mistral-7b-v0.1", 7_241_732_096),
        ("llama-3.2-1b", 1_235_814_400),
        ("gpt2", 124_439_808),
        ("mixtral-8x7b-v0.1", 46_702_792_704),
        ("phi-3-mini-4k", 3_821_079_552),
        ("gemma-2b", 2_506_172_416),
        ("olmoe-1b-7b", 6_919_161_856),
        ("qwen3-30b-a3b", 30_532_122_624),
        ("qwen3-0.6b", 596_049_920),
        ("gemma-2-2b", 2_614_341_888),
    ] {
        let suite = bare(name);
        assert_eq!(suite.variants.len(), 1);
        assert_eq!(count(&suite).params_total, params, "{name}");
    }
    let mixtral = count(&bare("mixtral-8x7b-v0.1"));
    assert_eq!(mixtral.params_active, 12_879_925_248);
}

#[test]
fn qwen2_moe_by_hand_narrow_experts_and_a_gated_shared_expert() {
    let suite = bare("qwen1.5-moe-a2.7b");
    let Family::Moe(m) = suite.variants[0].family else {
        panic!("{:?}", suite.variants[0].family)
    };
    assert_eq!((m.n_experts, m.top_k, m.moe_every), (60, 4, 1));
    assert_eq!(
        (m.expert_d_ff, m.shared_d_ff, m.shared_gate),
        (Some(1408), Some(5632), true)
    );
    // Per layer: q, k, v 2048x2048 with biases and o without; 60 SwiGLU experts of 1408, the
    // router 2048x60, a shared SwiGLU expert of 5632 and its gate 2048x1; two RMSNorms.
    let (d, v, l) = (2048u64, 151_936u64, 24u64);
    let attention = 3 * (d * d + d) + d * d;
    let expert = 3 * d * 1408;
    let shared = 3 * d * 5632 + d;
    let layer = |experts: u64| attention + experts * expert + d * 60 + shared + 2 * d;
    let r = count(&suite);
    // Untied: the embedding and the head, and the final norm.
    assert_eq!(r.params_total, 2 * v * d + l * layer(60) + d);
    assert_eq!(r.params_total, 14_315_784_192);
    // "A2.7B": 4 of the 60 experts active per token.
    assert_eq!(r.params_active, 2 * v * d + l * layer(4) + d);
    assert_eq!(r.params_active, 2_689_173_504);
    // A decode step: one token through attention, the router, 4 experts, the shared expert
    // and its gate, at mean context 144.5, and the head.
    let g = cost::generation_cost(&suite.variants[0], &suite.workload)
        .unwrap()
        .unwrap();
    let per_token = 2 * (4 * d * d) + 2 * d * 60 + 4 * 2 * expert + 2 * shared;
    let step = l as f64 * (per_token as f64 + 4.0 * 144.5 * d as f64) + (2 * d * v) as f64;
    assert_eq!(g.decode_step_flops, step);
}

#[test]
fn qwen2_by_hand_biases_on_q_k_v_only_grouped_query_and_a_tied_head() {
    let suite = bare("qwen2.5-0.5b");
    let v = &suite.variants[0];
    let dims = v.dims.unwrap();
    assert!(!dims.options.bias && dims.options.qkv_bias && dims.options.tie_embeddings);
    assert_eq!((dims.kv_heads(), dims.head_dim()), (2, 64));
    // Per layer: q 896x896 + 896, k and v 896x128 + 128, o 896x896, three MLP projections of
    // 896x4864, two RMSNorms of 896. Embedding 151936x896 shared with the head; a final norm.
    let (d, kv, f, vocab, layers) = (896u64, 128u64, 4864u64, 151_936u64, 24u64);
    let layer = (d * d + d) + 2 * (d * kv + kv) + d * d + 3 * d * f + 2 * d;
    assert_eq!(count(&suite).params_total, vocab * d + layers * layer + d);

    // FlopCounterMode: per token 2 x the linears' weights, attention 4*S*K*(H*hd) per layer.
    let g = cost::generation_cost(v, &suite.workload).unwrap().unwrap();
    let linears = 2 * (2 * d * d + 2 * d * kv + 3 * d * f);
    let (s, head) = (128u64, 2 * d * vocab);
    assert_eq!(
        g.prefill_flops,
        layers * (s * linears + 4 * s * s * d) + head
    );
    // A decode step at context c (129 to 160, mean 144.5): one token through every layer.
    let step = layers as f64 * (linears as f64 + 4.0 * 144.5 * d as f64) + head as f64;
    assert_eq!(g.decode_step_flops, step);
    // K and V of 2 heads x 64 per layer, for 160 positions.
    assert_eq!(g.kv_cache_bytes, 2 * layers * kv * 4 * 160);
}

#[test]
fn phi3_by_hand_fused_projections_count_as_apart() {
    // qkv_proj 3072 -> 3*3072 and gate_up_proj 3072 -> 2*8192, without biases: the same
    // weights as q, k, v and gate, up apart. An untied head of 32064 rows.
    let (d, f, v, l) = (3072u64, 8192u64, 32_064u64, 32u64);
    let layer = 3 * d * d + d * d + 2 * d * f + f * d + 2 * d;
    let suite = bare("phi-3-mini-4k");
    assert_eq!(count(&suite).params_total, 2 * v * d + l * layer + d);
    // Its 2047-token sliding window covers the 160-token workload; a longer one is refused.
    let e = with_from("from = \"phi-3-mini-4k\"", "seq_len = 3000\nvocab = 100").unwrap_err();
    assert!(
        e.contains("sliding_window") && e.contains("phi-3-mini-4k"),
        "{e}"
    );
}

#[test]
fn gemma_by_hand_wide_heads_one_kv_head_geglu_and_a_tied_head() {
    let suite = bare("gemma-2b");
    let dims = suite.variants[0].dims.unwrap();
    assert_eq!(
        (dims.head_dim(), dims.q_dim(), dims.kv_dim()),
        (256, 2048, 256)
    );
    assert!(dims.options.scale_embeddings && dims.options.tie_embeddings);
    // q and o 2048x2048 (8 heads of 256), k and v 2048x256 (one head), GeGLU's three
    // 2048x16384 projections, two RMSNorms; the 256000-row table shared with the head.
    let (d, kv, f, v, l) = (2048u64, 256u64, 16384u64, 256_000u64, 18u64);
    let layer = 2 * d * d + 2 * d * kv + 3 * d * f + 2 * d;
    let r = count(&suite);
    assert_eq!(r.params_total, v * d + l * layer + d);
    // Over 128 tokens: the linears, attention 4*S*S*(8*256), the head; the scale is 0 FLOPs.
    let s = 128u64;
    let flops = l * (2 * s * (2 * d * d + 2 * d * kv + 3 * d * f) + 4 * s * s * d) + 2 * s * d * v;
    assert_eq!(r.totals.flops_useful, flops);
    // The scale is one more pass over the embeddings, in bytes only.
    let plain = with_from("from = \"gemma-2b\"\nscale_embeddings = false", GENERATE).unwrap();
    let scaled = with_from("from = \"gemma-2b\"", GENERATE).unwrap();
    let embedding = |s: &Suite| count(s).layers[0].counts;
    assert_eq!(
        embedding(&scaled).flops_useful,
        embedding(&plain).flops_useful
    );
    assert_eq!(
        embedding(&scaled).mem_access_bytes() - embedding(&plain).mem_access_bytes(),
        2 * 128 * d * 4
    );
}

#[test]
fn olmoe_and_qwen3_moe_by_hand_query_and_key_norms_and_many_small_experts() {
    // OLMoE: top-8 of 64 SwiGLU experts of 1024 in every layer; RMSNorms over all of q and k.
    let (d, v) = (2048u64, 50_304u64);
    let attention = 4 * d * d + 2 * d;
    let layer = |experts: u64| attention + d * 64 + experts * 3 * d * 1024 + 2 * d;
    let r = count(&bare("olmoe-1b-7b"));
    assert_eq!(r.params_total, 2 * v * d + 16 * layer(64) + d);
    assert_eq!(r.params_active, 2 * v * d + 16 * layer(8) + d);
    // Qwen3-30B-A3B: 32 query heads of 128 (q is 4096 wide for d 2048), 4 key/value heads,
    // per-head norms of 128 for q and k; top-8 of 128 experts of 768.
    let (q, kv, v) = (4096u64, 512u64, 151_936u64);
    let attention = 2 * d * q + 2 * d * kv + 2 * 128;
    let layer = |experts: u64| attention + d * 128 + experts * 3 * d * 768 + 2 * d;
    let suite = bare("qwen3-30b-a3b");
    let r = count(&suite);
    assert_eq!(r.params_total, 2 * v * d + 48 * layer(128) + d);
    assert_eq!(r.params_active, 2 * v * d + 48 * layer(8) + d);
    // Qwen3-0.6B, dense: q 1024 -> 2048 (16 heads of 128), k and v 1024 -> 1024, per-head
    // norms, a tied head.
    let (d6, q6) = (1024u64, 2048u64);
    let layer6 = 2 * d6 * q6 + 2 * d6 * 1024 + 2 * 128 + 3 * d6 * 3072 + 2 * d6;
    let dense = count(&bare("qwen3-0.6b"));
    assert_eq!(dense.params_total, v * d6 + 28 * layer6 + d6);
    // Attention over 128 tokens is 4*S*S*(32*128), wider than d.
    let s = 128u64;
    let per_token = 2 * (2 * d * q + 2 * d * kv + d * 128 + 8 * 3 * d * 768);
    let flops = 48 * (s * per_token + 4 * s * s * q) + 2 * s * d * v;
    assert_eq!(r.totals.flops_useful, flops);
}

#[test]
fn gemma2_by_hand_four_norms_a_layer() {
    // q 2304 -> 2048 (8 heads of 256), k and v 2304 -> 1024 (4 heads), o 2048 -> 2304, GeGLU of
    // 9216, and four RMSNorms: before and after attention, before and after the FFN.
    let (d, q, kv, f, v, l) = (2304u64, 2048u64, 1024u64, 9216u64, 256_000u64, 26u64);
    let layer = 2 * d * q + 2 * d * kv + 3 * d * f + 4 * d;
    let suite = bare("gemma-2-2b");
    let r = count(&suite);
    assert_eq!(r.params_total, v * d + l * layer + d);
    let s = 128u64;
    let flops = l * (2 * s * (2 * d * q + 2 * d * kv + 3 * d * f) + 4 * s * s * q) + 2 * s * d * v;
    assert_eq!(r.totals.flops_useful, flops);
    // Its 4096-token window covers the workload.
    let e = with_from("from = \"gemma-2-2b\"", "seq_len = 5000\nvocab = 100").unwrap_err();
    assert!(e.contains("sliding_window"), "{e}");
}

#[test]
fn mistral_and_gpt2_forward_flops_by_hand() {
    // Mistral-7B over 128 tokens: q and o 4096x4096, k and v 4096x1024, SwiGLU 3x4096x14336,
    // attention 4*S*S*d per layer, an untied head over every position.
    let (s, d, kv, f, v, l) = (128u64, 4096u64, 1024u64, 14336u64, 32000u64, 32u64);
    let flops = l * (2 * s * (2 * d * d + 2 * d * kv + 3 * d * f) + 4 * s * s * d) + 2 * s * d * v;
    assert_eq!(count(&bare("mistral-7b-v0.1")).totals.flops_useful, flops);
    // GPT-2: 4 d x d projections and a 4d MLP with biases (not counted), a tied head.
    let (d, f, v, l) = (768u64, 3072u64, 50257u64, 12u64);
    let flops = l * (2 * s * (4 * d * d + 2 * d * f) + 4 * s * s * d) + 2 * s * d * v;
    assert_eq!(count(&bare("gpt2")).totals.flops_useful, flops);
    let gpt2 = bare("gpt2");
    let dims = gpt2.variants[0].dims.unwrap();
    assert_eq!(dims.options.max_positions, Some(1024));
}

#[test]
fn a_variant_from_a_config_takes_overrides() {
    let suite = with_from(
        "from = \"qwen2.5-0.5b\"\nn_layers = 12\nn_kv_heads = 7",
        GENERATE,
    )
    .unwrap();
    let v: &Variant = &suite.variants[0];
    let dims = v.dims.unwrap();
    assert_eq!((dims.n_layers, dims.kv_heads(), dims.d_model), (12, 7, 896));
    // The model keeps its own vocabulary beside the suite's smaller one.
    assert_eq!(dims.options.vocab, Some(151_936));
    let (d, kv, f) = (896u64, 7 * 64u64, 4864u64);
    let layer = (d * d + d) + 2 * (d * kv + kv) + d * d + 3 * d * f + 2 * d;
    assert_eq!(count(&suite).params_total, 151_936 * d + 12 * layer + d);
    // A config's family comes with it; an MoE's overrides are its own keys.
    let moe = with_from("from = \"mixtral-8x7b-v0.1\"\nn_experts = 4", GENERATE).unwrap();
    match moe.variants[0].family {
        Family::Moe(m) => assert_eq!((m.n_experts, m.top_k), (4, 2)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_wrong_value_from_a_config_names_the_config_and_its_key() {
    // Seven key/value heads would serve 14 query heads, but the override makes them 3.
    let e = with_from("from = \"qwen2.5-0.5b\"\nn_heads = 3", GENERATE).unwrap_err();
    assert!(e.contains("qwen2.5-0.5b/config.json"), "{e}");
    assert!(e.contains("num_key_value_heads"), "{e}");
    // A suite vocabulary above the model's own.
    let e = with_from(
        "from = \"gpt2\"",
        "prompt_len = 8\ngen_len = 8\nvocab = 60000",
    )
    .unwrap_err();
    assert!(
        e.contains("gpt2/config.json") && e.contains("vocab_size"),
        "{e}"
    );
    // GPT-2's position table is shorter than the suite's sequences.
    let e = with_from("from = \"gpt2\"", "seq_len = 2048\nvocab = 100").unwrap_err();
    assert!(e.contains("n_positions"), "{e}");
    // Images are no language model's input.
    let e = with_from(
        "from = \"gpt2\"",
        "image_size = 8\nin_channels = 3\nclasses = 10",
    )
    .unwrap_err();
    assert!(e.contains("from") && e.contains("token sequences"), "{e}");
    // A missing config.
    let e = with_from("from = \"no-such-model\"", GENERATE).unwrap_err();
    assert!(
        e.contains("no-such-model") && e.contains("cannot read"),
        "{e}"
    );
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}/config.json")).unwrap()
}

#[test]
fn every_key_is_mapped_known_or_refused_by_name() {
    let text = fixture_text("llama-3.2-1b");
    let with = |key: &str, value: &str| {
        text.replacen(
            "\"model_type\"",
            &format!("\"{key}\": {value},\n  \"model_type\""),
            1,
        )
    };
    let e = parse_config(&with("qk_layernorm", "true"), "c.json", 160).unwrap_err();
    assert_eq!(e.file, "c.json");
    assert_eq!(e.key.as_deref(), Some("qk_layernorm"));
    assert!(e.message.contains("does not model"), "{e}");
    // A sliding window shorter than the sequences would cut attention's FLOPs.
    let mistral = fixture_text("mistral-7b-v0.1");
    assert!(parse_config(&mistral, "m.json", 4096).is_ok());
    let e = parse_config(&mistral, "m.json", 4097).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("sliding_window"));
    // Qwen2's window is off (use_sliding_window false), whatever its size.
    let qwen = fixture_text("qwen2.5-0.5b")
        .replace("\"sliding_window\": 32768", "\"sliding_window\": 4096");
    assert!(parse_config(&qwen, "q.json", 8000).is_ok());
    let on = qwen.replace(
        "\"use_sliding_window\": false",
        "\"use_sliding_window\": true",
    );
    let e = parse_config(&on, "q.json", 8000).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("sliding_window"));
    // A context past the rotary models' longest.
    let e = parse_config(&qwen, "q.json", 40_000).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("max_position_embeddings"));
    // Another activation would change the FFN.
    let e = parse_config(&text.replace("\"silu\"", "\"gelu\""), "c.json", 160).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("hidden_act"));
    // Biases on the attention alone.
    let e = parse_config(
        &text.replace("\"attention_bias\": false", "\"attention_bias\": true"),
        "c.json",
        160,
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("attention_bias"));
    // A model type effprof does not map lists those it does.
    let e = parse_config(&text.replace("\"llama\"", "\"mamba\""), "c.json", 160).unwrap_err();
    assert!(
        e.message.contains("mamba") && e.message.contains("qwen2"),
        "{e}"
    );
    let e = parse_config("[1, 2]", "c.json", 160).unwrap_err();
    assert!(e.message.contains("JSON object"), "{e}");
    let e = parse_config("{\"model_type\": ", "c.json", 160).unwrap_err();
    assert!(e.message.contains("not a JSON config"), "{e}");
}

#[test]
fn mutated_configs_are_refused_with_the_file_never_a_panic() {
    // Every key of every fixture removed, nulled or set to a wrong value, alone.
    for name in [
        "gpt2",
        "llama-3.2-1b",
        "mistral-7b-v0.1",
        "qwen2.5-0.5b",
        "mixtral-8x7b-v0.1",
        "qwen1.5-moe-a2.7b",
        "phi-3-mini-4k",
        "gemma-2b",
        "olmoe-1b-7b",
        "qwen3-30b-a3b",
        "qwen3-0.6b",
        "gemma-2-2b",
    ] {
        let text = fixture_text(name);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let map = value.as_object().unwrap();
        for key in map.keys() {
            for replacement in [
                None,
                Some(serde_json::Value::Null),
                Some((-1).into()),
                Some(0.into()),
                Some("x".into()),
                Some(u64::MAX.into()),
                Some(true.into()),
                Some(3.into()),
            ] {
                let mut mutated = map.clone();
                match &replacement {
                    None => drop(mutated.remove(key)),
                    Some(v) => drop(mutated.insert(key.clone(), v.clone())),
                }
                let text = serde_json::to_string(&mutated).unwrap();
                let file = format!("{name}/config.json");
                match parse_config(&text, &file, 160) {
                    Ok(model) => {
                        // What was accepted must still make a suite or be refused clearly.
                        let dir = std::env::temp_dir()
                            .join(format!("effprof-hf-{}-{name}-{key}", std::process::id()));
                        std::fs::create_dir_all(&dir).unwrap();
                        std::fs::write(dir.join("config.json"), &text).unwrap();
                        let loaded = load_suite(dir.to_str().unwrap());
                        if let Err(e) = &loaded {
                            assert!(e.to_string().contains("config.json"), "{e}");
                        }
                        std::fs::remove_dir_all(&dir).unwrap();
                        assert_eq!(model.file, file);
                    }
                    Err(e) => assert_eq!(e.file, file, "{key} -> {replacement:?}: {e}"),
                }
            }
        }
    }
}

/// Prefill over the 128-token prompt (the head at its last position only) and the mean decode
/// step (contexts 129 to 160, mean 144.5), from per-token linear FLOPs `linears`, the attention
/// width `q` and the head `2 * d * V`, over `l` layers.
fn by_hand(l: u64, linears: u64, q: u64, head: u64) -> (u64, f64) {
    let s = 128u64;
    let prefill = l * (s * linears + 4 * s * s * q) + head;
    let step = l as f64 * (linears as f64 + 4.0 * 144.5 * q as f64) + head as f64;
    (prefill, step)
}

#[test]
fn prefill_and_decode_flops_by_hand_for_the_moe_and_gemma_configs() {
    let check = |name: &str, expected: (u64, f64)| {
        let suite = bare(name);
        let g = cost::generation_cost(&suite.variants[0], &suite.workload)
            .unwrap()
            .unwrap();
        assert_eq!((g.prefill_flops, g.decode_step_flops), expected, "{name}");
    };
    // Mixtral: q and o 4096^2, k and v 4096x1024, the router 4096x8, 2 of 8 SwiGLU experts.
    let (d, kv, f) = (4096u64, 1024u64, 14336u64);
    let linears = 2 * (2 * d * d + 2 * d * kv) + 2 * d * 8 + 2 * 2 * 3 * d * f;
    check("mixtral-8x7b-v0.1", by_hand(32, linears, d, 2 * d * 32_000));
    // OLMoE: 4 projections of 2048^2, the router 2048x64, 8 of 64 experts of 1024.
    let d = 2048u64;
    let linears = 2 * 4 * d * d + 2 * d * 64 + 8 * 2 * 3 * d * 1024;
    check("olmoe-1b-7b", by_hand(16, linears, d, 2 * d * 50_304));
    // Qwen3-30B-A3B: q 2048 -> 4096, k and v 2048 -> 512, o 4096 -> 2048, 8 of 128 experts.
    let linears = 2 * (2 * d * 4096 + 2 * d * 512) + 2 * d * 128 + 8 * 2 * 3 * d * 768;
    check("qwen3-30b-a3b", by_hand(48, linears, 4096, 2 * d * 151_936));
    // Gemma 2 2B: q 2304 -> 2048, k and v 2304 -> 1024, o 2048 -> 2304, GeGLU of 9216.
    let d = 2304u64;
    let linears = 2 * (2 * d * 2048 + 2 * d * 1024 + 3 * d * 9216);
    check("gemma-2-2b", by_hand(26, linears, 2048, 2 * d * 256_000));
    // Phi-3 mini: 4 projections of 3072^2, gate and up 3072x8192 and down.
    let d = 3072u64;
    let linears = 2 * (4 * d * d + 3 * d * 8192);
    check("phi-3-mini-4k", by_hand(32, linears, d, 2 * d * 32_064));
}

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/tiny");

/// The tiny checkpoints' configs are what transformers 5 writes (`rope_parameters`,
/// `layer_types`, `sliding_window = 0`, Qwen3-MoE's `num_local_experts`): they parse, and count
/// the parameters `make.py` printed for the models transformers built from them.
#[test]
fn configs_written_by_transformers_5_count_as_transformers_built_them() {
    for (name, params) in [
        ("gpt2", 36_736u64),
        ("llama", 21_664),
        ("mistral", 21_664),
        ("qwen2", 21_792),
        ("phi3", 21_664),
        ("gemma", 24_736),
        ("gemma2", 24_864),
        ("qwen3", 27_872),
        ("mixtral", 49_568),
        ("qwen2_moe", 39_008),
        ("qwen3_moe", 37_344),
        ("olmoe", 31_232),
    ] {
        let suite = load_suite(&format!("{TINY}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(count(&suite).params_total, params, "{name}");
    }
}

/// The values behind no count come from the config, each from its own key.
#[test]
fn configs_give_the_values_the_logits_depend_on() {
    let numerics = |name: &str| {
        load_suite(&format!("{TINY}/{name}"))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .variants[0]
            .numerics
    };
    use effprof_model::numerics::Gelu;
    let gpt2 = numerics("gpt2");
    assert_eq!((gpt2.gelu, gpt2.norm_eps), (Gelu::Tanh, 1e-5));
    let llama = numerics("llama");
    assert_eq!((llama.rope_theta, llama.norm_eps), (500_000.0, 1e-6));
    assert_eq!(llama.gelu, Gelu::Exact);
    let gemma2 = numerics("gemma2");
    assert_eq!(gemma2.attn_scale, Some(0.25));
    assert_eq!(
        (gemma2.attn_softcap, gemma2.logit_softcap),
        (Some(2.0), Some(3.0))
    );
    assert_eq!(numerics("gemma").gelu, Gelu::Tanh);
    assert!(numerics("mixtral").norm_topk && numerics("qwen3_moe").norm_topk);
    assert!(!numerics("qwen2_moe").norm_topk && !numerics("olmoe").norm_topk);
    assert_eq!(numerics("mixtral").rope_theta, 1e6);
    // Untouched where the config is silent: the defaults of a hand-written variant.
    assert_eq!(numerics("gemma").attn_scale, None);
}

#[test]
fn weights_need_a_config_and_a_file_and_values_effprof_computes() {
    let tiny = |keys: &str| {
        let text = format!(
            "[suite]\nname = \"s\"\nbatch = 1\nprompt_len = 8\ngen_len = 4\nvocab = 96\nbaseline = \"m\"\n\n[[variant]]\nname = \"m\"\n{keys}\n"
        );
        parse_suite(&text, &format!("{TINY}/suite.toml")).map_err(|e| e.to_string())
    };
    let suite = tiny("from = \"llama\"\nweights = \"llama/model.safetensors\"").unwrap();
    let source = suite.variants[0].weights.clone().unwrap();
    assert_eq!(source.model_type, "llama");
    assert!(
        source.path.ends_with("llama/model.safetensors"),
        "{}",
        source.path
    );

    let err = tiny("family = \"dense\"\nd_model = 32\nn_heads = 4\nd_ff = 48\nn_layers = 2\nweights = \"llama/model.safetensors\"").unwrap_err();
    assert!(
        err.contains("weights") && err.contains("needs `from`"),
        "{err}"
    );
    let err = tiny("from = \"llama\"\nweights = \"llama/none.safetensors\"").unwrap_err();
    assert!(
        err.contains("weights") && err.contains("no file") && err.contains("none.safetensors"),
        "{err}"
    );

    // A rotary scaling is counted (0 FLOPs) but not computed: weights are refused by its key.
    let dir = std::env::temp_dir().join(format!("effprof-scaled-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{TINY}/llama/config.json")).unwrap(),
    )
    .unwrap();
    config["rope_parameters"]["rope_type"] = "llama3".into();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    std::fs::copy(
        format!("{TINY}/llama/model.safetensors"),
        dir.join("model.safetensors"),
    )
    .unwrap();
    let text = "[suite]\nname = \"s\"\nbatch = 1\nprompt_len = 8\ngen_len = 4\nvocab = 96\nbaseline = \"m\"\n\n[[variant]]\nname = \"m\"\nfrom = \".\"\nweights = \"model.safetensors\"\n";
    let counted = parse_suite(
        &text.replace("weights = \"model.safetensors\"\n", ""),
        &dir.join("s.toml").display().to_string(),
    );
    assert!(counted.is_ok(), "{:?}", counted.err());
    let err = parse_suite(text, &dir.join("s.toml").display().to_string())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rope_parameters.rope_type") && err.contains("llama3"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn numerics_are_checked_in_suite_files() {
    let err = with_from("from = \"gpt2\"\nnorm_eps = -1.0", GENERATE).unwrap_err();
    assert!(err.contains("norm_eps") && err.contains("above 0"), "{err}");
    let err = with_from("from = \"gpt2\"\ngelu = \"fast\"", GENERATE).unwrap_err();
    assert!(
        err.contains("gelu") && err.contains("exact") && err.contains("tanh"),
        "{err}"
    );
    let suite = with_from(
        "from = \"gpt2\"\ngelu = \"exact\"\nrope_theta = 5.0",
        GENERATE,
    )
    .unwrap();
    assert_eq!(
        suite.variants[0].numerics.gelu,
        effprof_model::numerics::Gelu::Exact
    );
}
