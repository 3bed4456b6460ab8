//! The regression gate CI relies on, on the real binary: two `bench` snapshots of one suite
//! pass `diff --fail-on regressed`; a baseline edited to be 20% faster fails it, and so does
//! `bench --compare` against that baseline. A test binary of its own, so that no other test
//! shares the machine while it measures.

use std::path::Path;
use std::process::{Command, Output};

fn effprof(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_effprof"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// The run both snapshots and the one-go comparison make: tiny's dense and moe, 2 s, then
/// `rest`.
fn bench(rest: &[&str]) -> Output {
    let run = [
        "bench",
        "--suite",
        "tiny",
        "--variants",
        "dense,moe",
        "--duration",
        "2",
    ];
    effprof(&[&run[..], rest].concat())
}

fn snapshot(out: &Path) {
    let o = bench(&["--format", "json", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `snapshot` as if every latency were 20% shorter (and every rate 1 / 0.8 higher): the
/// figures, their intervals and their extremes.
fn faster(snapshot: &Path, to: &Path) {
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(snapshot).unwrap()).unwrap();
    // Only numbers that are there: an interval too few runs could give stays null.
    let scale = |v: Option<&mut serde_json::Value>, by: f64| {
        if let Some(v) = v
            && let Some(x) = v.as_f64()
        {
            *v = serde_json::json!(x * by);
        }
    };
    for v in doc["variants"].as_array_mut().unwrap() {
        let m = v["measured"].as_object_mut().unwrap();
        let l = m["latency"].as_object_mut().unwrap();
        for key in [
            "mean_s", "p50_s", "p90_s", "p99_s", "min_s", "max_s", "stdev_s",
        ] {
            scale(l.get_mut(key), 0.8);
        }
        let intervals = l["intervals"].as_object_mut().unwrap();
        for key in ["p50_s", "p90_s", "p99_s", "mean_s"] {
            if let Some(i) = intervals.get_mut(key).and_then(|i| i.as_object_mut()) {
                scale(i.get_mut("lo"), 0.8);
                scale(i.get_mut("hi"), 0.8);
            }
        }
        for key in [
            "samples_per_s",
            "tokens_per_s",
            "flops_per_s",
            "bytes_per_s",
        ] {
            scale(m.get_mut(key), 1.0 / 0.8);
        }
    }
    std::fs::write(to, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

#[test]
fn two_runs_pass_the_gate_and_a_planted_slowdown_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, fast) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("fast.json"),
    );
    snapshot(&a);
    snapshot(&b);
    let path = |p: &Path| p.to_str().unwrap().to_owned();

    // Two runs of one suite: no regression at the default threshold.
    let same = effprof(&["diff", &path(&a), &path(&b), "--fail-on", "regressed"]);
    let text = String::from_utf8_lossy(&same.stdout);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert!(text.contains("within noise"), "{text}");
    assert!(
        text.contains("counted figures (parameters, FLOPs, bytes): all equal"),
        "{text}"
    );

    // Against a baseline 20% faster, B regressed by 25%: exit 4, every regression named.
    faster(&a, &fast);
    let slower = effprof(&["diff", &path(&fast), &path(&b), "--fail-on", "regressed"]);
    let err = String::from_utf8_lossy(&slower.stderr);
    assert_eq!(slower.status.code(), Some(4), "{err}");
    assert!(err.contains("dense latency p50 +"), "{err}");
    assert!(err.contains("moe latency p50 +"), "{err}");
    // The report is still written, each verdict in its cell.
    let text = String::from_utf8_lossy(&slower.stdout);
    assert!(text.contains("regressed"), "{text}");
    // Gated beyond 50%, a 25% regression passes.
    let loose = effprof(&[
        "diff",
        &path(&fast),
        &path(&b),
        "--fail-on",
        "regressed:50%",
    ]);
    assert_eq!(loose.status.code(), Some(0));

    // Measure and judge in one go.
    let compared = bench(&[
        "--compare",
        &path(&fast),
        "--fail-on",
        "regressed",
        "--format",
        "csv",
    ]);
    let err = String::from_utf8_lossy(&compared.stderr);
    assert_eq!(compared.status.code(), Some(4), "{err}");
    let csv = String::from_utf8_lossy(&compared.stdout);
    let p50 = csv
        .lines()
        .find(|l| l.starts_with("dense,latency_p50,"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(p50.contains(",regressed,z-test,"), "{p50}");
}
