//! The real binary where things go wrong: no Vulkan driver, hand-edited files, a closed pipe, a
//! closed stdin, a signal. Each ends with a clear message and the documented exit code, within
//! seconds, and never with a panic.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::bin::command;

/// Waits for `child` up to `limit`, reading its output meanwhile (so a full pipe never blocks
/// it); kills it and fails the test when it is still running.
fn wait_within(mut child: Child, limit: Duration, what: &str) -> (ExitStatus, String, String) {
    fn drain(stream: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut s) = stream {
                let _ = s.read_to_string(&mut text);
            }
            text
        })
    }
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited on") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what}: still running after {limit:?}; its stderr:\n{}",
                err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, out.join().unwrap(), err.join().unwrap())
}

fn run_within(cmd: &mut Command, limit: Duration, what: &str) -> (ExitStatus, String, String) {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    wait_within(child, limit, what)
}

fn assert_no_panic(what: &str, stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{what} panicked:\n{stderr}"
    );
}

/// A machine with no Vulkan driver (only Mesa's GL, as on many servers and containers): wgpu
/// used to fall back to OpenGL and hang, or deadlock in `train`. Every command that measures
/// on wgpu now says the backend is unavailable and exits with 3, in seconds.
#[test]
fn no_vulkan_driver_is_exit_code_3_within_seconds() {
    let commands: [&[&str]; 4] = [
        &[
            "bench",
            "--suite",
            "tiny",
            "--backend",
            "wgpu",
            "--iters",
            "2",
        ],
        &[
            "train",
            "--suite",
            "tiny",
            "--backend",
            "wgpu",
            "--max-steps",
            "2",
        ],
        &["roofline", "--suite", "tiny", "--backend", "wgpu"],
        &["pipeline", "--suite", "tiny", "--backend", "wgpu"],
    ];
    for args in commands {
        let what = args.join(" ");
        let started = Instant::now();
        let (status, _, stderr) = run_within(
            command()
                .args(args)
                .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
                .env("VK_DRIVER_FILES", "/nonexistent/icd.json"),
            Duration::from_secs(30),
            &what,
        );
        assert_no_panic(&what, &stderr);
        assert_eq!(status.code(), Some(3), "{what}:\n{stderr}");
        assert!(stderr.contains("wgpu is unavailable"), "{what}:\n{stderr}");
        assert!(
            stderr.contains("Vulkan"),
            "{what} names what it needs:\n{stderr}"
        );
        eprintln!(
            "{what}: exit 3 after {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
}

/// `bench` of the tiny suite on flex, its output piped back.
fn bench_on_flex(format: &str, seconds: &str) -> Child {
    command()
        .args([
            "bench",
            "--suite",
            "tiny",
            "--backend",
            "flex",
            "--format",
            format,
        ])
        .args(["--duration", seconds])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_vocabulary_of_one_is_refused_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = include_str!("../../models/tiny.toml").replace("vocab = 64", "vocab = 1");
    let line = tiny.lines().position(|l| l.contains("vocab = 1")).unwrap() + 1;
    let path = write(dir.path(), "one.toml", &tiny);
    for sub in ["models", "train"] {
        let (status, _, stderr) = run_within(
            command().args([sub, "--suite", &path]),
            Duration::from_secs(30),
            sub,
        );
        assert_no_panic(sub, &stderr);
        assert_eq!(status.code(), Some(2), "{sub}:\n{stderr}");
        assert!(
            stderr.contains(&format!("{path}:{line}: suite: vocab: must be at least 2")),
            "{sub}:\n{stderr}"
        );
    }
}

fn fixture(name: &str) -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    serde_json::from_str(&std::fs::read_to_string(format!("{path}{name}")).unwrap()).unwrap()
}

/// `report` on a hand-edited snapshot: refused with the file and the field, exit code 2.
fn report_refuses(snapshot: &serde_json::Value, plot: &str, field: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "s.json", &snapshot.to_string());
    let what = format!("report --plot {plot} ({field})");
    let (status, _, stderr) = run_within(
        command().args(["report", &path, "--format", "svg", "--plot", plot]),
        Duration::from_secs(30),
        &what,
    );
    assert_no_panic(&what, &stderr);
    assert_eq!(status.code(), Some(2), "{what}:\n{stderr}");
    assert!(
        stderr.contains(&path) && stderr.contains(field),
        "{what}:\n{stderr}"
    );
}

#[test]
fn hand_edited_snapshots_are_refused_with_the_field() {
    let good = fixture("snapshot-tiny-ndarray.json");

    let mut empty = good.clone();
    empty["variants"] = serde_json::json!([]);
    report_refuses(&empty, "relative", "variants");

    let mut no_baseline = good.clone();
    no_baseline["suite"]["workload"]["baseline"] = "nope".into();
    report_refuses(&no_baseline, "scatter", "baseline");

    // A pipeline section as effprof writes it, then broken three ways.
    let stages = effprof::pipeline::StageLatencies {
        variant: "dense".into(),
        backend: effprof::backend::Backend::Ndarray,
        micro_batch: 2,
        layers: effprof::pipeline::split_layers(2, 2),
        forward_s: vec![0.001, 0.002],
        train_forward_s: Some(vec![0.001, 0.002]),
        backward_s: Some(vec![0.002, 0.004]),
        backward_na: None,
    };
    let pipeline = effprof::pipeline::PipelineReport::new(stages, &[1, 4]);
    let mut with_pipeline = good.clone();
    with_pipeline["pipeline"] = serde_json::to_value(&pipeline).unwrap();

    let mut zero = with_pipeline.clone();
    zero["pipeline"]["drawn_micro_batches"] = 0.into();
    report_refuses(&zero, "pipeline", "micro-batches");

    let mut huge = with_pipeline.clone();
    huge["pipeline"]["drawn_micro_batches"] = (1u64 << 40).into();
    report_refuses(&huge, "pipeline", "micro-batches");

    let mut short = with_pipeline;
    short["pipeline"]["stages"]["backward_s"] = serde_json::json!([0.002]);
    report_refuses(&short, "pipeline", "backward_s");
}

#[test]
fn a_stream_whose_suite_lacks_its_baseline_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/run-tiny.jsonl"
    ))
    .unwrap();
    let mut lines = text.lines();
    let mut header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    header["suite"]["workload"]["baseline"] = "gone".into();
    let rest: Vec<&str> = lines.collect();
    let path = write(
        dir.path(),
        "run.jsonl",
        &format!("{header}\n{}\n", rest.join("\n")),
    );
    let (status, _, stderr) = run_within(
        command().args(["view", &path]),
        Duration::from_secs(30),
        "view",
    );
    assert_no_panic("view", &stderr);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&path) && stderr.contains("baseline") && stderr.contains("gone"),
        "{stderr}"
    );
}

#[test]
fn micro_batches_that_would_allocate_gigabytes_are_refused() {
    let (status, _, stderr) = run_within(
        command().args([
            "pipeline",
            "--suite",
            "tiny",
            "--micro-batches",
            "4000000000",
        ]),
        Duration::from_secs(30),
        "pipeline --micro-batches",
    );
    assert_no_panic("pipeline", &stderr);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--micro-batches"), "{stderr}");
}

#[test]
fn a_closed_stdin_is_an_empty_stream() {
    let (status, _, stderr) = run_within(
        command().args(["view", "-"]),
        Duration::from_secs(30),
        "view -",
    );
    assert_no_panic("view -", &stderr);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("standard input is empty"), "{stderr}");
}

/// `bench --format jsonl | head -1`: the reader leaves after one line; effprof ends quietly.
#[test]
fn a_reader_that_leaves_early_ends_the_run_quietly() {
    let mut child = bench_on_flex("jsonl", "3");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("effprof.stream/1"), "{first}");
    // The pipe is closed here (the reader is dropped); the run goes on to its end quietly.
    let (status, _, stderr) = wait_within(child, Duration::from_secs(90), "bench | head -1");
    assert_no_panic("bench | head -1", &stderr);
    assert!(status.success(), "{status:?}:\n{stderr}");
}

/// Sends SIGINT to `child` and waits for it to end, without a panic and with exit code 130:
/// its stdout, stderr, and how long it took after the signal.
#[cfg(unix)]
fn interrupt(child: Child, what: &str) -> (String, String, Duration) {
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (status, out, stderr) = wait_within(child, Duration::from_secs(5), what);
    let stopped_in = sent.elapsed();
    assert_no_panic(what, &stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    (out, stderr, stopped_in)
}

/// Ctrl-C (or SIGTERM) during `bench`: the figures measured so far are written, the run says
/// it was interrupted, and the exit code is 130.
#[cfg(unix)]
#[test]
fn an_interrupted_bench_writes_what_it_has() {
    let child = bench_on_flex("json", "60");
    // Long enough for every variant to be measured a few times.
    std::thread::sleep(Duration::from_secs(8));
    let (out, stderr, stopped_in) = interrupt(child, "interrupted bench");
    assert!(stderr.contains("interrupted after"), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("the snapshot so far");
    assert_eq!(doc["schema"], "effprof.snapshot/4");
    assert!(!doc["variants"].as_array().unwrap().is_empty());
    assert!(
        stopped_in < Duration::from_secs(2),
        "stopped {stopped_in:?} after the signal"
    );
}

/// Ctrl-C during `generate`: it stops between requests, writes the variants generated so far
/// with a note that it was interrupted, and exits with 130.
#[cfg(unix)]
#[test]
fn an_interrupted_generate_writes_what_it_has() {
    let child = command()
        .args([
            "generate",
            "--suite",
            "generation",
            "--requests",
            "400",
            "--format",
            "json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The baseline's 400 requests take 10-20 s: it is under way, and nothing is written yet.
    std::thread::sleep(Duration::from_secs(3));
    let (out, stderr, stopped_in) = interrupt(child, "interrupted generate");
    assert!(
        stderr.contains("interrupted while dense was generating"),
        "{stderr}"
    );
    // Nothing finished: nothing to write.
    assert!(out.trim().is_empty(), "{out}");
    assert!(
        stopped_in < Duration::from_secs(2),
        "stopped {stopped_in:?} after the signal"
    );
}
