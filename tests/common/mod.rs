//! Helpers shared by the engine tests and the views' tests.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use effprof::backend::{Backend, WgpuAdapter};
use effprof::engine::{EngineConfig, EngineEvent, Flag, Received, Summary};
use effprof::spec;
use effprof::tasks::Engine;

pub fn config(iterations: Option<u64>) -> EngineConfig {
    let suite = spec::load_suite("tiny").unwrap();
    let mut c = EngineConfig::new(suite, Backend::Ndarray, u64::MAX);
    c.slice = Duration::from_millis(20);
    c.summary_every = Duration::from_millis(20);
    c.measure_peaks = false;
    c.iterations = iterations;
    c.warmup.max_runs = 5;
    c
}

/// Collects events until `Finished` or the deadline.
pub fn run_to_end(engine: &Engine, deadline: Duration) -> (Vec<Summary>, Vec<String>, bool) {
    let start = Instant::now();
    let (mut summaries, mut errors) = (Vec::new(), Vec::new());
    while start.elapsed() < deadline {
        let event = match engine.recv_timeout(Duration::from_millis(100)) {
            Received::Event(event) => event,
            Received::Nothing => continue,
            // The worker died without a `Finished`.
            Received::Gone => break,
        };
        match event {
            EngineEvent::Summary(s) => summaries.push(*s),
            EngineEvent::Error(e) => errors.push(e.to_string()),
            EngineEvent::Unavailable { reason, .. } => errors.push(reason),
            EngineEvent::Finished => return (summaries, errors, true),
            EngineEvent::SweepPoint(_) | EngineEvent::Report(_) => {}
        }
    }
    (summaries, errors, false)
}

/// A real run of the tiny suite with peaks measured: every variant measured, below the peak,
/// and nothing flagged implausible.
pub fn real_run(backend: Backend, skip: &[&str], expect_failed: &[&str]) -> Summary {
    real_run_of(
        config(Some(3)),
        backend,
        Peaks::Measured,
        skip,
        expect_failed,
    )
}

/// Whether a real run measures the backend's peaks. They take over a minute on a software
/// Vulkan adapter (a 1024-square matmul and a 256 MB copy), so tests about something else may
/// leave them to the tests about peaks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Peaks {
    Measured,
    Skipped,
}

/// The suite of the conv tests: every kind of convolution at toy size.
pub fn tiny_conv() -> spec::Suite {
    spec::load_suite(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tiny-conv.toml"
    ))
    .unwrap()
}

/// [`real_run`] of the conv suite: measured as samples, with no tokens to count.
pub fn real_conv_run(backend: Backend, peaks: Peaks) -> Summary {
    let mut c = config(Some(3));
    c.variants = tiny_conv()
        .variants
        .iter()
        .map(|v| v.name.clone())
        .collect();
    c.suite = tiny_conv();
    c.batch = c.suite.workload.batch;
    let last = real_run_of(c, backend, peaks, &[], &[]);
    assert_eq!(last.seq_len, None);
    for v in &last.variants {
        assert_eq!(v.tokens_per_s, None, "{}: images have no tokens", v.name);
        let samples = v.samples_per_s.expect("samples/s measured");
        let p50 = v.latency.unwrap().mean_s;
        let expected = last.run.batch as f64 / p50;
        assert!((samples - expected).abs() < 1e-6 * samples, "{}", v.name);
        assert_eq!(v.throughput(), Some(samples));
    }
    last
}

fn real_run_of(
    mut c: EngineConfig,
    backend: Backend,
    peaks: Peaks,
    skip: &[&str],
    expect_failed: &[&str],
) -> Summary {
    c.backend = backend;
    c.measure_peaks = peaks == Peaks::Measured;
    c.variants.retain(|v| !skip.contains(&v.as_str()));
    let engine = Engine::spawn(c).unwrap();
    let (summaries, errors, finished) = run_to_end(&engine, Duration::from_secs(300));
    assert!(finished, "the run finishes");
    for e in &errors {
        assert!(
            expect_failed.iter().any(|n| e.contains(&format!("`{n}`"))),
            "unexpected error: {e}"
        );
    }
    let last = summaries.last().unwrap().clone();
    let peaks = match peaks {
        Peaks::Measured => {
            let p = last.run.peaks.expect("peaks measured");
            assert!(p.flops_per_s > 0.0 && p.bytes_per_s > 0.0);
            Some(p)
        }
        Peaks::Skipped => {
            assert!(last.run.peaks.is_none(), "peaks were not asked for");
            None
        }
    };
    for v in last
        .variants
        .iter()
        .filter(|v| !expect_failed.contains(&v.name.as_str()))
    {
        let l = v.latency.expect("measured");
        assert!(l.iterations >= 3 && l.p50_s > 0.0, "{}", v.name);
        let achieved = v.flops_per_s.unwrap();
        assert!(achieved > 0.0, "{}", v.name);
        if let Some(peaks) = peaks {
            assert!(
                achieved < peaks.flops_per_s,
                "{}: {achieved} vs peak {}",
                v.name,
                peaks.flops_per_s
            );
        }
        assert!(
            !v.flags
                .iter()
                .any(|f| matches!(f, Flag::Implausible { .. })),
            "{}",
            v.name
        );
    }
    last
}

/// The first summary that satisfies `pred`, waiting up to `timeout`.
pub fn summary_where(
    engine: &Engine,
    timeout: Duration,
    pred: &dyn Fn(&Summary) -> bool,
) -> Summary {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Some(EngineEvent::Summary(s)) =
            engine.recv_timeout(Duration::from_millis(100)).event()
            && pred(&s)
        {
            return *s;
        }
    }
    panic!("no summary matched within {timeout:?}");
}

/// A sweep point where each variant reaches the given throughput: tokens/s at `seq_len`, or
/// samples/s for images (`None`), ten iterations each.
pub fn sweep_point(
    batch: usize,
    seq_len: Option<usize>,
    throughputs: &[(&str, f64)],
) -> effprof::sweep::SweepPoint {
    let per_sample = seq_len.unwrap_or(1) as f64;
    effprof::sweep::SweepPoint {
        batch,
        seq_len,
        image_size: None,
        values: throughputs
            .iter()
            .map(|(name, t)| effprof::sweep::SweepValue {
                variant: (*name).into(),
                p50_s: batch as f64 * per_sample / t,
                tokens_per_s: seq_len.map(|_| *t),
                samples_per_s: t / per_sample,
                iterations: 10,
            })
            .collect(),
    }
}

/// The wgpu backend, or `None` (after saying why) when no adapter exists and none is required.
pub fn wgpu() -> Option<Backend> {
    let backend = Backend::Wgpu(WgpuAdapter::Default);
    let reason = match backend.open() {
        Ok(_) => return Some(backend),
        Err(e) => e.to_string(),
    };
    if std::env::var("EFFPROF_REQUIRE_WGPU").is_ok_and(|v| v == "1") {
        panic!(
            "EFFPROF_REQUIRE_WGPU=1 but no wgpu adapter works ({reason}); install mesa-vulkan-drivers for lavapipe"
        );
    }
    eprintln!("skipping: {reason} (set EFFPROF_REQUIRE_WGPU=1 to make this a failure)");
    None
}

/// The message on top of `app`, which is then dismissed as Esc would.
pub fn take_message(app: &mut effprof::app::App) -> Option<effprof::app::Message> {
    let message = app.message().cloned();
    if app.show_help() {
        app.update(effprof::app::Action::ToggleHelp);
    }
    app.update(effprof::app::Action::Dismiss);
    message
}
