//! `effprof bench` as a user and a script run it.

use crate::bin::effprof;
use effprof::backend::Backend;

#[test]
fn json_has_analytic_and_measured_figures_for_every_variant() {
    let o = effprof(&[
        "bench",
        "--suite",
        "tiny",
        "--iters",
        "3",
        "--format",
        "json",
        "--variants",
        "dense,moe,pruned-csr",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(doc["schema"], "effprof.snapshot/4");
    assert!(doc["host"]["logical_cores"].as_u64().unwrap() >= 1);
    assert!(!doc["ranks"]["tau"].as_array().unwrap().is_empty());
    // flex is the default backend.
    assert_eq!(doc["backend"], "flex");
    let peaks = &doc["peaks"];
    assert!(peaks["flops_per_s"].as_f64().unwrap() > 0.0);
    let variants = doc["variants"].as_array().unwrap();
    assert_eq!(variant_names(&doc), ["dense", "moe", "pruned-csr"]);

    for v in variants {
        assert!(v["totals"]["flops_executed"].as_u64().unwrap() > 0);
        let m = &v["measured"];
        assert_eq!(m["phase"], "measuring");
        assert!(m["latency"]["iterations"].as_u64().unwrap() >= 3);
        assert!(m["latency"]["p99_s"].as_f64().unwrap() > 0.0);
        // The binary counts its heap: a forward pass allocates.
        assert!(m["heap_peak_bytes"].as_u64().unwrap() > 0);
    }
    assert!(doc["process"]["rss_peak_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn the_baseline_is_measured_even_when_not_named() {
    // So ratios have a reference.
    let o = effprof(&[
        "bench",
        "--suite",
        "tiny",
        "--iters",
        "2",
        "--format",
        "json",
        "--variants",
        "universal",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(variant_names(&doc), ["dense", "universal"]);
}

fn variant_names(doc: &serde_json::Value) -> Vec<&str> {
    doc["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect()
}

#[test]
fn jsonl_streams_one_summary_per_line() {
    let o = effprof(&[
        "bench",
        "--suite",
        "tiny",
        "--iters",
        "2",
        "--format",
        "jsonl",
        "--variants",
        "dense",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(lines.len() >= 3, "{text}");
    // The header carries what a viewer needs besides the measurements.
    assert_eq!(lines[0]["schema"], "effprof.stream/1");
    assert_eq!(lines[0]["suite"]["variants"].as_array().unwrap().len(), 1);
    assert!(
        lines[0]["analytic"][0]["totals"]["flops_executed"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(lines.last().unwrap()["variants"][0]["phase"], "measuring");
}

#[test]
fn table_marks_best_and_names_the_backend() {
    let o = effprof(&[
        "bench",
        "--suite",
        "tiny",
        "--iters",
        "2",
        "--variants",
        "dense,universal",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("latency p50") && out.contains("throughput tokens/s"),
        "{out}"
    );
    assert!(out.contains("backend flex on"), "{out}");
}

#[test]
fn exit_codes() {
    let o = effprof(&["bench", "--suite", "tiny", "--variants", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`nope` is not a variant"));

    let o = effprof(&["bench", "--backend", "metal"]);
    assert_eq!(o.status.code(), Some(2));

    // A build without CUDA (the default) says how to get one, as an unavailable backend.
    if Backend::Cuda(0).compiled_in().is_err() {
        let o = effprof(&[
            "bench",
            "--suite",
            "tiny",
            "--backend",
            "cuda",
            "--iters",
            "1",
        ]);
        assert_eq!(o.status.code(), Some(3));
        assert!(String::from_utf8_lossy(&o.stderr).contains("--features cuda"));
    }

    let o = effprof(&[
        "bench",
        "--suite",
        "tiny",
        "--backend",
        "wgpu:discrete:99",
        "--iters",
        "1",
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("wgpu:discrete:99 is unavailable"));
}

#[test]
fn a_conv_suite_is_measured_in_samples_and_the_transformer_only_commands_say_na() {
    let suite = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-conv.toml");
    let o = effprof(&[
        "bench", "--suite", suite, "--iters", "2", "--format", "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(variant_names(&doc), ["standard", "grouped", "depthwise"]);
    assert_eq!(doc["suite"]["workload"]["image_size"], 8);
    for v in doc["variants"].as_array().unwrap() {
        assert_eq!(v["family"]["kind"], "conv");
        let m = &v["measured"];
        assert!(m["samples_per_s"].as_f64().unwrap() > 0.0);
        assert!(m["tokens_per_s"].is_null());
    }
    let flops = |i: usize| {
        doc["variants"][i]["totals"]["flops_executed"]
            .as_u64()
            .unwrap()
    };
    assert!(flops(2) * 4 < flops(0), "depthwise needs far fewer FLOPs");

    let table = effprof(&["bench", "--suite", suite, "--iters", "2"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("throughput samples/s") && !text.contains("tokens/s"),
        "{text}"
    );
    assert!(
        text.contains("conv depthwise_separable") && text.contains("w16 B2"),
        "{text}"
    );

    for (args, words) in [
        (
            vec!["sweep", "--suite", suite, "--batch", "1", "--seq", "8"],
            "--seq is for token workloads; suite `tiny-conv` runs on images",
        ),
        (vec!["train", "--suite", suite], "training is n/a"),
        (
            vec!["sweep", "--suite", suite, "--image-size", "0"],
            "--image-size takes sizes between 1 and 4096 pixels, not 0",
        ),
    ] {
        let o = effprof(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(words), "{err}");
    }
    let o = effprof(&["sweep", "--suite", "tiny", "--image-size", "32"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--image-size is for image workloads") && err.contains("--seq"),
        "{err}"
    );
    // Along the image size: a line of batch sizes per size, each point carrying its size.
    let o = effprof(&[
        "sweep",
        "--suite",
        suite,
        "--batch",
        "1,2",
        "--image-size",
        "8,16",
        "--duration",
        "0.2",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let at: Vec<(u64, u64)> = doc["sweep"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["image_size"].as_u64().unwrap(),
                p["batch"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(at, [(8, 1), (8, 2), (16, 1), (16, 2)]);
    // A sweep of images is along the batch alone, in samples/s.
    let o = effprof(&[
        "sweep",
        "--suite",
        suite,
        "--batch",
        "1,2",
        "--duration",
        "0.3",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let points = doc["sweep"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    for p in points {
        assert!(p.get("seq_len").is_none(), "{p}");
        for v in p["values"].as_array().unwrap() {
            assert!(v.get("tokens_per_s").is_none() && v["samples_per_s"].as_f64().unwrap() > 0.0);
        }
    }

    let o = effprof(&["pipeline", "--suite", suite, "--stages", "2"]);
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("standard: n/a, an image model"), "{out}");

    // The roofline places a convolutional network's parts.
    let o = effprof(&[
        "roofline",
        "--suite",
        suite,
        "--variants",
        "depthwise",
        "--budget",
        "0.01",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8_lossy(&o.stdout);
    for part in ["model", "stem", "blocks", "pool + head"] {
        assert!(csv.contains(&format!("depthwise,{part},")), "{part}: {csv}");
    }
}
