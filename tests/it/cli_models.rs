//! `effprof models` as a user runs it.

use std::process::Output;

use crate::bin::effprof;

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn default_suite_table() {
    let o = effprof(&["models"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("dense-base (baseline)"), "{out}");
    for name in [
        "switch-8e",
        "dense-pmatch-moe",
        "universal-pmatch",
        "pruned90-csr",
        "wide-shallow",
    ] {
        assert!(out.contains(name), "{name} missing:\n{out}");
    }
    assert!(out.contains("FLOPs useful"), "{out}");
    assert!(
        out.contains("switch-8e: d_ff = "),
        "the match is reported:\n{out}"
    );
}

#[test]
fn json_holds_every_indicator_and_per_layer_rows() {
    let o = effprof(&["models", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    assert_eq!(doc["schema"], "effprof.models/1");
    assert!(
        doc["conventions"]["flops"]
            .as_str()
            .unwrap()
            .contains("FlopCounterMode")
    );
    let variants = doc["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 9);
    assert_eq!(variants[0]["name"], "dense-base", "baseline first");
    for v in variants {
        for key in ["params_total", "params_active"] {
            assert!(v[key].as_u64().unwrap() > 0, "{key} in {v}");
        }
        let t = &v["totals"];
        for key in [
            "flops_dense",
            "flops_useful",
            "flops_executed",
            "macs",
            "mem_access_bytes",
        ] {
            assert!(t[key].as_u64().unwrap() > 0, "{key}");
        }
        assert!(t["arithmetic_intensity"].as_f64().unwrap() > 0.0);
        let layers = v["layers"].as_array().unwrap();
        let n_layers = v["dims"]["n_layers"].as_u64().unwrap() as usize;
        assert_eq!(layers.len(), 2 * n_layers + 3);
        let layer_flops: u64 = layers
            .iter()
            .map(|l| l["flops_executed"].as_u64().unwrap())
            .sum();
        assert_eq!(layer_flops, t["flops_executed"].as_u64().unwrap());
    }
    let moe = variants.iter().find(|v| v["name"] == "switch-8e").unwrap();
    assert_eq!(moe["match"]["variant"], "dense-base");
    assert_eq!(moe["family"]["kind"], "moe");
}

#[test]
fn csv_and_markdown() {
    let o = effprof(&["models", "--suite", "tiny", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    assert!(csv.starts_with("variant,indicator,value,unit,source,ratio_to_baseline,best\n"));
    assert!(
        csv.contains("\ndense,params_total,21760,params,analytic,1,false\n"),
        "{csv}"
    );

    let o = effprof(&["models", "--suite", "tiny", "--format", "md"]);
    let md = stdout(&o);
    assert!(md.lines().nth(1).unwrap().starts_with("|--"), "{md}");
    assert!(md.contains("**"), "best values are bold: {md}");
}

#[test]
fn list_names_the_builtin_suites() {
    let o = effprof(&["models", "--list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for name in ["misnomer", "tiny", "moe-scaling", "sparsity", "convnets"] {
        assert!(out.contains(name), "{out}");
    }
}

#[test]
fn bad_suite_exits_2_naming_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("effprof-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    let text = std::fs::read_to_string("models/tiny.toml")
        .unwrap()
        .replacen("family = \"dense\"", "family = \"densest\"", 1);
    std::fs::write(&path, &text).unwrap();
    let o = effprof(&["models", "--suite", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let line = text.lines().position(|l| l.contains("densest")).unwrap() + 1;
    assert!(
        err.contains(&format!(
            "bad.toml:{line}: variant \"dense\": family: unknown family `densest`"
        )),
        "{err}"
    );
    assert!(o.stdout.is_empty());

    let o = effprof(&["models", "--suite", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no built-in suite"));

    let o = effprof(&["models", "--format", "yaml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn over_the_memory_limit_is_flagged() {
    let o = effprof(&["models", "--suite", "tiny", "--max-memory", "10kB"]);
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("over the memory limit of 10.0 kB"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_generation_suite_shows_what_generating_costs() {
    let o = crate::bin::effprof(&["models", "--suite", "generation"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    for row in [
        "KV cache",
        "prefill FLOPs",
        "decode FLOPs/step",
        "weights read/step",
        "experts/step expected",
    ] {
        assert!(text.contains(row), "{row}: {text}");
    }
    // The shape names the choices: grouped-query attention, RMSNorm, SwiGLU, rotary, no bias.
    assert!(text.contains("kv2 rms swiglu rope nobias"), "{text}");
    let o = crate::bin::effprof(&["models", "--suite", "misnomer"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.contains("KV cache"), "{text}");
}

#[test]
fn traced_rows_stand_beside_the_analytic_ones_and_ops_break_them_down() {
    let o = effprof(&["models", "--suite", "misnomer"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for row in ["FLOPs traced", "memory traffic traced", "ops per forward"] {
        assert!(text.contains(row), "{row}: {text}");
    }
    assert!(
        text.contains("traced FLOPs equal the analytic executed FLOPs for all 9 traced variants"),
        "{text}"
    );
    assert!(
        text.contains("pruned90-csr: csr_matmul runs on the host, outside burn's graph"),
        "{text}"
    );
    let o = effprof(&["models", "--suite", "misnomer", "--no-trace"]);
    assert!(!stdout(&o).contains("FLOPs traced"));

    // The breakdown: dense-base's 4 layers run 6 matmuls each and the head one; each bias and
    // residual add is an op of its own (24 biases, 8 residuals, the positions).
    let o = effprof(&[
        "models",
        "--suite",
        "misnomer",
        "--variants",
        "pruned90-csr",
        "--ops",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    let row = |variant: &str, op: &str| -> Vec<String> {
        csv.lines()
            .find(|l| l.starts_with(&format!("{variant},{op},")))
            .unwrap_or_else(|| panic!("{variant} {op}: {csv}"))
            .split(',')
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(row("dense-base", "matmul")[2], "25");
    assert_eq!(row("dense-base", "add")[2], "33");
    assert_eq!(row("dense-base", "attention")[2], "4");
    // The pruned variant's 24 projections run on the host: one CSR call each, and the head a
    // dense matmul.
    let csr = row("pruned90-csr", "csr_matmul");
    assert_eq!((csr[2].as_str(), csr[7].as_str()), ("24", "true"));
    assert_eq!(row("pruned90-csr", "matmul")[2], "1");

    let o = effprof(&["models", "--suite", "tiny", "--ops", "--no-trace"]);
    assert_eq!(o.status.code(), Some(2), "--ops needs the trace");
}

/// A safetensors file of `tensors` (name, dtype, shape, bytes per element), data zeroed.
fn safetensors(tensors: &[(&str, &str, &[u64], u64)]) -> Vec<u8> {
    let mut offset = 0;
    let mut entries = Vec::new();
    for (name, dtype, shape, size) in tensors {
        let bytes = shape.iter().product::<u64>() * size;
        entries.push(format!(
            "\"{name}\": {{\"dtype\": \"{dtype}\", \"shape\": {shape:?}, \"data_offsets\": [{offset}, {}]}}",
            offset + bytes
        ));
        offset += bytes;
    }
    let header = format!("{{{}}}", entries.join(", "));
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend(header.as_bytes());
    file.extend(std::iter::repeat_n(0u8, offset as usize));
    file
}

#[test]
fn a_checkpoint_is_counted_from_its_header_by_dtype() {
    let dir = std::env::temp_dir().join(format!("effprof-cli-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("model.safetensors");
    std::fs::write(
        &file,
        safetensors(&[
            ("embed.weight", "BF16", &[1000, 64], 2),
            ("layer.0.weight", "I8", &[64, 256], 1),
            ("layer.0.scale", "F32", &[256], 4),
        ]),
    )
    .unwrap();
    let o = effprof(&["models", "--checkpoint", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // 64,000 + 16,384 + 256 parameters; BF16 first (128 kB), then I8, then F32.
    assert!(out.contains("80,640"), "{out}");
    let (bf16, i8, f32) = (
        out.find("BF16").unwrap(),
        out.find("I8").unwrap(),
        out.find("F32").unwrap(),
    );
    assert!(bf16 < i8 && i8 < f32, "{out}");
    let json = effprof(&[
        "models",
        "--checkpoint",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["schema"], "effprof.checkpoint/1");
    assert_eq!(doc["params"], 80_640);
    assert_eq!(doc["bytes"], 128_000 + 16_384 + 1024);
    // A truncated file: a usage error naming the file and the tensor, no panic.
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 10]).unwrap();
    let o = effprof(&["models", "--checkpoint", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("model.safetensors") && err.contains("layer.0.scale"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_checkpoint_beside_its_config_is_set_against_effprofs_count_of_the_architecture() {
    let dir = std::env::temp_dir().join(format!("effprof-cli-arch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        r#"{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2,
            "num_key_value_heads": 1, "num_hidden_layers": 1, "intermediate_size": 12,
            "vocab_size": 16, "max_position_embeddings": 512, "tie_word_embeddings": false}"#,
    )
    .unwrap();
    // Llama's state dict: K and V one head of 4 wide, three MLP projections, two norms, the
    // final norm and an untied head: 128 + 192 + 288 + 16 + 8 + 128 = 760.
    let layer = "model.layers.0";
    let names: Vec<(String, &[u64])> = vec![
        ("model.embed_tokens.weight".into(), &[16, 8]),
        (format!("{layer}.self_attn.q_proj.weight"), &[8, 8]),
        (format!("{layer}.self_attn.k_proj.weight"), &[4, 8]),
        (format!("{layer}.self_attn.v_proj.weight"), &[4, 8]),
        (format!("{layer}.self_attn.o_proj.weight"), &[8, 8]),
        (format!("{layer}.mlp.gate_proj.weight"), &[12, 8]),
        (format!("{layer}.mlp.up_proj.weight"), &[12, 8]),
        (format!("{layer}.mlp.down_proj.weight"), &[8, 12]),
        (format!("{layer}.input_layernorm.weight"), &[8]),
        (format!("{layer}.post_attention_layernorm.weight"), &[8]),
        ("model.norm.weight".into(), &[8]),
        ("lm_head.weight".into(), &[16, 8]),
    ];
    let tensors: Vec<(&str, &str, &[u64], u64)> = names
        .iter()
        .map(|(n, s)| (n.as_str(), "BF16", *s, 2))
        .collect();
    std::fs::write(dir.join("model.safetensors"), safetensors(&tensors)).unwrap();
    let o = effprof(&["models", "--checkpoint", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("760 parameters as effprof counts its architecture; equal"),
        "{out}"
    );
    // An old checkpoint's rotary buffer is stored beside the weights.
    let mut with_buffer = tensors.clone();
    with_buffer.push((
        "model.layers.0.self_attn.rotary_emb.inv_freq",
        "F32",
        &[2],
        4,
    ));
    std::fs::write(dir.join("model.safetensors"), safetensors(&with_buffer)).unwrap();
    let o = effprof(&[
        "models",
        "--checkpoint",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["params"], 762);
    assert_eq!(doc["architecture"]["params"], 760);
    let text = stdout(&effprof(&["models", "--checkpoint", dir.to_str().unwrap()]));
    assert!(text.contains("holds 2 more"), "{text}");
    // A config effprof cannot read stops with its error, naming the file and key.
    std::fs::write(dir.join("config.json"), r#"{"model_type": "mamba"}"#).unwrap();
    let o = effprof(&["models", "--checkpoint", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("model_type"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}
