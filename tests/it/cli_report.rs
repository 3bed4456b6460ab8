//! `effprof report`, `effprof diff` and `bench --export` as a user runs them.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::bin::effprof;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn bench_export_writes_the_set_that_report_and_diff_read() {
    let dir = tempfile::tempdir().unwrap();
    let o = effprof(&[
        "bench",
        "--suite",
        "tiny",
        "--iters",
        "3",
        "--variants",
        "moe",
        "--format",
        "json",
        "--export",
        dir.path().to_str().unwrap(),
    ]);
    let json = stdout(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let folders: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 1);
    let folder = &folders[0];
    assert!(
        stderr.contains(&folder.display().to_string()),
        "the path is said: {stderr}"
    );
    for name in effprof::snapshot::FILES {
        assert!(folder.join(name).is_file(), "{name}");
    }
    // The exported JSON is the document --format json printed.
    let exported = std::fs::read_to_string(folder.join("snapshot.json")).unwrap();
    assert_eq!(exported, json);
    let screen = std::fs::read_to_string(folder.join("screen.txt")).unwrap();
    assert!(screen.contains("Compare"), "{screen}");

    let snap = folder.join("snapshot.json");
    let snap = snap.to_str().unwrap();
    let table = stdout(&effprof(&["report", snap]));
    assert!(
        table.contains("latency p50") && table.contains("moe"),
        "{table}"
    );
    let md = stdout(&effprof(&["report", snap, "--format", "md"]));
    assert_eq!(
        md,
        std::fs::read_to_string(folder.join("snapshot.md")).unwrap()
    );
    let csv = stdout(&effprof(&["report", snap, "--format", "csv"]));
    assert_eq!(
        csv,
        std::fs::read_to_string(folder.join("snapshot.csv")).unwrap()
    );
    let svg = stdout(&effprof(&[
        "report", snap, "--format", "svg", "--plot", "relative",
    ]));
    assert!(svg.starts_with("<svg") && svg.contains("moe"), "{svg}");

    let diff = stdout(&effprof(&["diff", snap, snap]));
    assert!(diff.contains("indicator (B / A)"), "{diff}");
    assert!(
        !diff.contains("CHANGED ("),
        "a snapshot against itself:\n{diff}"
    );
}

#[test]
fn diff_of_two_fixtures_as_csv() {
    let o = effprof(&[
        "diff",
        &fixture("snapshot-tiny-ndarray.json"),
        &fixture("snapshot-tiny-flex.json"),
        "--format",
        "csv",
    ]);
    let csv = stdout(&o);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "variant,indicator,unit,a,b,ratio,ratio_lo,ratio_hi,verdict,test,ranking_changed"
    );
    let params = csv
        .lines()
        .find(|l| l.starts_with("moe,params_total,"))
        .unwrap();
    // A count has a ratio and no verdict.
    assert!(params.ends_with(",1,,,,,false"), "{params}");
    // These fixtures are schema 1, from before intervals: latency is judged on the threshold
    // alone, and says so.
    let p50: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("moe,latency_p50,"))
        .unwrap()
        .split(',')
        .collect();
    assert!(
        ["improved", "regressed", "within noise"].contains(&p50[8]),
        "{p50:?}"
    );
    assert_eq!(p50[9], "threshold only", "{p50:?}");
}

#[test]
fn a_bad_snapshot_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("half.json");
    let text = std::fs::read_to_string(fixture("snapshot-tiny-ndarray.json")).unwrap();
    std::fs::write(&bad, &text[..1000]).unwrap();
    let o = effprof(&["report", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("half.json is truncated"), "{err}");

    let o = effprof(&["diff", bad.to_str().unwrap(), "missing.json"]);
    assert_eq!(o.status.code(), Some(2));

    let o = effprof(&["view", "missing.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot read missing.jsonl"), "{err}");
}

#[test]
fn pipeline_and_sweep_commands() {
    let o = effprof(&[
        "pipeline",
        "--suite",
        "tiny",
        "--variants",
        "dense",
        "--stages",
        "1,2,3",
        "--micro-batches",
        "1,4",
        "--budget",
        "0.02",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let reports = doc["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2, "3 stages of 2 layers are skipped");
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 stages skipped"));
    // Per m: inference, training GPipe, training 1F1B.
    assert_eq!(reports[1]["points"].as_array().unwrap().len(), 2 * 3);
    let o = effprof(&["pipeline", "--suite", "tiny", "--stages", "0"]);
    assert_eq!(o.status.code(), Some(2));

    let o = effprof(&[
        "sweep",
        "--suite",
        "tiny",
        "--variants",
        "moe",
        "--batch",
        "1,2",
        "--duration",
        "0.2",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let points = doc["sweep"]["points"].as_array().unwrap();
    let batches: Vec<u64> = points
        .iter()
        .map(|p| p["batch"].as_u64().unwrap())
        .collect();
    assert_eq!(batches, [1, 2]);
    assert_eq!(
        points[0]["values"].as_array().unwrap().len(),
        2,
        "moe and the baseline"
    );
    let o = effprof(&[
        "sweep",
        "--suite",
        "tiny",
        "--variants",
        "moe",
        "--batch",
        "1",
        "--seq",
        "8,16",
        "--duration",
        "0.2",
        "--format",
        "svg",
    ]);
    let svg = stdout(&o);
    assert!(svg.starts_with("<svg") && svg.contains("seq_len 8") && svg.contains("seq_len 16"));
    let o = effprof(&["sweep", "--suite", "tiny", "--batch", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn roofline_and_train_commands() {
    let o = effprof(&[
        "roofline",
        "--suite",
        "tiny",
        "--variants",
        "moe",
        "--budget",
        "0.02",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["schema"], "effprof.roofline/1");
    let points = doc["roofline"]["points"].as_array().unwrap();
    let parts: Vec<&str> = points.iter().map(|p| p["part"].as_str().unwrap()).collect();
    assert_eq!(parts, ["model", "attention", "moe", "norm + head"]);
    for p in points {
        let (achieved, roof) = (
            p["achieved_flops_per_s"].as_f64().unwrap(),
            p["attainable_flops_per_s"].as_f64().unwrap(),
        );
        assert!(achieved > 0.0 && achieved < 1.2 * roof, "{p}");
    }
    let svg = stdout(&effprof(&[
        "roofline",
        "--suite",
        "tiny",
        "--variants",
        "dense",
        "--budget",
        "0.02",
        "--format",
        "svg",
    ]));
    assert!(svg.starts_with("<svg") && svg.contains("dense: attention"));

    let o = effprof(&[
        "train",
        "--suite",
        "tiny",
        "--variants",
        "dense,pruned-csr",
        "--max-steps",
        "15",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["steps"], 15);
    assert_eq!(runs[0]["reached"], false);
    assert!(doc["skipped"][0].as_str().unwrap().contains("pruned-csr"));
    assert!(doc["floor"].as_f64().unwrap() > 0.0);
    let o = effprof(&["train", "--suite", "tiny", "--lr", "-1"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_gate_without_a_baseline_or_with_a_bad_one_is_refused_before_measuring() {
    let o = effprof(&["bench", "--suite", "tiny", "--fail-on", "regressed"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--compare SNAPSHOT"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("base.json");
    std::fs::write(&bad, "{").unwrap();
    let o = effprof(&[
        "bench",
        "--suite",
        "tiny",
        "--compare",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("base.json"));
    let a = fixture("snapshot-tiny-ndarray.json");
    let o = effprof(&["diff", &a, &a, "--fail-on", "regressed", "--gate", "p95"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("figures are: p50, p90"));
    let o = effprof(&["diff", &a, &a, "--fail-on", "slower"]);
    assert_eq!(o.status.code(), Some(2));
    // A snapshot against itself: nothing regressed, every counted figure equal.
    let o = effprof(&["diff", &a, &a, "--fail-on", "regressed", "--gate", "all"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("all equal"));
}

#[test]
fn a_changed_count_is_reported_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture("snapshot-tiny-ndarray.json");
    let text = std::fs::read_to_string(&a).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let moe = doc["variants"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|v| v["name"] == "moe")
        .unwrap();
    let params = moe["params_total"].as_u64().unwrap();
    moe["params_total"] = serde_json::json!(params + 1);
    let b = dir.path().join("b.json");
    std::fs::write(&b, serde_json::to_string(&doc).unwrap()).unwrap();
    let o = effprof(&["diff", &a, b.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    let grouped = effprof::units::grouped;
    // One parameter in 47,168 is a ratio of 1.00x: the note gives both counts exactly.
    assert!(
        out.contains(&format!(
            "counted figure changed: moe params total: {} ",
            grouped(params)
        )) && out.contains(&format!("→ {} (", grouped(params + 1))),
        "{out}"
    );
}
