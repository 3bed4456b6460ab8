//! `effprof generate` as a user and a script run it.

use crate::bin::effprof;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn json_gives_each_decoder_its_latencies_and_costs() {
    let o = effprof(&[
        "generate",
        "--suite",
        "generation",
        "--variants",
        "moe-top2",
        "--requests",
        "2",
        "--gen-len",
        "5",
        "--batch",
        "3",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(doc["schema"], "effprof.generate/1");
    let g = &doc["generate"];
    assert_eq!(g["backend"], "flex");
    let runs = g["runs"].as_array().unwrap();
    // The baseline comes along.
    let names: Vec<&str> = runs
        .iter()
        .map(|r| r["variant"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dense", "moe-top2"]);
    for r in runs {
        // Two timed requests of one prefill and five steps each.
        assert_eq!(r["ttft"]["samples"], 2);
        assert_eq!(r["itl"]["samples"], 10);
        assert_eq!(r["request"]["samples"], 2);
        let itl = &r["itl"];
        assert!(itl["min"].as_f64().unwrap() > 0.0);
        assert!(itl["p50"].as_f64().unwrap() <= itl["p99"].as_f64().unwrap());
        assert!(r["request"]["p50"].as_f64().unwrap() > r["ttft"]["p50"].as_f64().unwrap());
        assert_eq!(r["analytic"]["gen_len"], 5);
        assert_eq!(r["analytic"]["batch"], 3);
        let decode = r["decode_tokens_per_s"].as_f64().unwrap();
        let mean = itl["mean"].as_f64().unwrap();
        assert!((decode - 3.0 / mean).abs() / decode < 1e-9);
    }
    // The empty cache as the heap saw it: the analytic bytes and a little bookkeeping.
    for r in runs {
        let measured = r["kv_cache_measured"]["bytes"].as_f64().unwrap();
        let analytic = r["analytic"]["kv_cache_bytes"].as_f64().unwrap();
        assert!(
            measured >= analytic && measured <= analytic * 1.05 + 16_384.0,
            "{measured} vs {analytic}"
        );
    }
    let moe = &runs[1];
    // Top-2 of 8 experts for 3 tokens: between 2 and 6 distinct experts a layer and step.
    let touched = moe["experts_per_step"].as_f64().unwrap();
    assert!((2.0..=6.0).contains(&touched), "{touched}");
    let expected = moe["analytic"]["expected_experts_per_layer"]
        .as_f64()
        .unwrap();
    assert!((expected - 8.0 * (1.0 - 0.75f64.powi(3))).abs() < 1e-9);
    // What the routing read sits between the shared weights and all the experts.
    let routed = moe["weight_bytes_per_step"].as_f64().unwrap();
    let shared = moe["analytic"]["decode_step_shared_weight_bytes"]
        .as_f64()
        .unwrap();
    let expert = moe["analytic"]["expert_bytes"].as_f64().unwrap();
    let layers = moe["analytic"]["moe_layers"].as_f64().unwrap();
    assert!((routed - (shared + touched * expert * layers)).abs() < 1.0);
    assert!(runs[0].get("experts_per_step").is_none());
}

#[test]
fn the_table_sets_the_variants_side_by_side_and_says_what_is_not_an_moe() {
    let o = effprof(&[
        "generate",
        "--suite",
        "generation",
        "--variants",
        "moe-top1",
        "--requests",
        "1",
        "--gen-len",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    for row in [
        "TTFT p50",
        "ITL p99",
        "KV cache",
        "decode tokens/s",
        "experts/step routed",
    ] {
        assert!(text.contains(row), "{row}: {text}");
    }
    assert!(text.contains("n/a: not an MoE"), "{text}");
    assert!(text.contains("moe-top1: ITL p50"), "{text}");
    assert!(text.contains("then 3 generated one at a time"), "{text}");
}

#[test]
fn a_suite_that_does_not_generate_is_a_usage_error() {
    let o = effprof(&["generate", "--suite", "tiny"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("prompt_len and gen_len"),
        "{}",
        stderr(&o)
    );
    let o = effprof(&["generate", "--suite", "convnets"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("holds images"), "{}", stderr(&o));
}

#[test]
fn bad_options_are_usage_errors() {
    for args in [
        &["--requests", "0"][..],
        &["--gen-len", "0"],
        &["--batch", "0"],
        &["--prompt-len", "70000"],
    ] {
        let mut all = vec!["generate", "--suite", "generation"];
        all.extend_from_slice(args);
        let o = effprof(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(args[0]), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn variants_over_the_memory_limit_are_skipped_with_the_reason() {
    // 2 MB: no decoder of the suite fits with its cache.
    let o = effprof(&["generate", "--suite", "generation", "--max-memory", "2MB"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("dense: not measured"), "{err}");
    assert!(err.contains("with its KV cache"), "{err}");
}

#[test]
fn a_decode_sweep_sets_an_moe_against_the_dense_model_of_its_size_along_the_batch() {
    let o = effprof(&[
        "sweep",
        "--suite",
        "generation",
        "--decode",
        "--batch",
        "1,2",
        "--requests",
        "1",
        "--variants",
        "moe-top1,dense-pmatch",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sweep = &doc["sweep"];
    assert_eq!(sweep["decode"], true);
    let points = sweep["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    for p in points {
        // The prompt is the fixed length; every variant generated.
        assert_eq!(p["seq_len"], 64);
        let values = p["values"].as_array().unwrap();
        assert_eq!(
            values.len(),
            3,
            "dense (the baseline), moe-top1, dense-pmatch"
        );
        for v in values {
            let p50 = v["p50_s"].as_f64().unwrap();
            let batch = p["batch"].as_f64().unwrap();
            assert!((v["tokens_per_s"].as_f64().unwrap() - batch / p50).abs() < 1e-6);
            // 32 steps of one request.
            assert_eq!(v["iterations"], 32);
        }
    }
    let notes: Vec<&str> = sweep["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("moe-top1 / dense-pmatch tokens/s: "),
        "{notes:?}"
    );
    assert!(notes[0].contains("at batch 1") && notes[0].contains("at batch 2"));
}

#[test]
fn a_decode_sweep_needs_a_generation_suite() {
    let o = effprof(&["sweep", "--suite", "tiny", "--decode"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--decode needs a generation suite"),
        "{}",
        stderr(&o)
    );
}

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny");

/// A folder with a config and its checkpoint runs with the checkpoint's weights; a checkpoint
/// cut short stops the run with an error naming the file and the tensor, not a panic.
#[test]
fn a_folder_with_its_checkpoint_runs_it_and_a_truncated_one_is_named() {
    let args = |suite: &str| {
        effprof(&[
            "generate",
            "--suite",
            suite,
            "--requests",
            "1",
            "--gen-len",
            "3",
            "--format",
            "json",
        ])
    };
    let o = args(&format!("{TINY}/mixtral"));
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let run = &doc["generate"]["runs"][0];
    let weights = run["weights"].as_str().unwrap_or_default();
    assert!(weights.ends_with("mixtral/model.safetensors"), "{run}");
    // Routed by the trained router: two of four experts per token.
    assert!(run["experts_per_step"].as_f64().unwrap() >= 1.0, "{run}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{TINY}/mixtral/config.json"),
        dir.path().join("config.json"),
    )
    .unwrap();
    let bytes = std::fs::read(format!("{TINY}/mixtral/model.safetensors")).unwrap();
    std::fs::write(
        dir.path().join("model.safetensors"),
        &bytes[..bytes.len() - 100],
    )
    .unwrap();
    let o = args(&dir.path().display().to_string());
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("model.safetensors") && err.contains("tensor `") && err.contains("truncated"),
        "{err}"
    );
}
