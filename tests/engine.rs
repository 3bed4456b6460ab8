//! The measurement engine on small real models. No timing assertions: only that it measures,
//! reports, obeys commands and keeps what it measured.

use std::time::{Duration, Instant};

use effprof::backend::{Backend, WgpuAdapter};
use effprof::engine::{EngineCmd, EngineEvent, Phase, Summary};
use effprof::tasks::{Engine, Report, Request};

mod common;
use common::{config, real_run, run_to_end, summary_where, wgpu};

#[test]
fn measures_every_variant_and_finishes_after_the_iterations() {
    let engine = Engine::spawn(config(Some(3))).unwrap();
    let (summaries, errors, finished) = run_to_end(&engine, Duration::from_secs(120));
    assert!(finished, "the engine finishes by itself");
    assert!(errors.is_empty(), "{errors:?}");
    let last = summaries.last().expect("a final summary");
    assert_eq!(last.run.backend, Backend::Ndarray);
    assert_eq!(last.run.driver, "host");
    assert_eq!(last.variants.len(), 6);
    assert_eq!(last.variants[0].name, "dense", "baseline first");
    for v in &last.variants {
        assert_eq!(v.phase, Phase::Measuring, "{}", v.name);
        let l = v.latency.expect("measured");
        assert!(l.iterations >= 3, "{}: {}", v.name, l.iterations);
        assert!(
            l.min_s > 0.0 && l.min_s <= l.p50_s && l.p50_s <= l.max_s,
            "{}: {l:?}",
            v.name
        );
        assert!(v.cold_start_s.unwrap() > 0.0);
        let tokens = v.tokens_per_s.unwrap();
        assert!(
            (tokens / v.samples_per_s.unwrap() - 16.0).abs() < 1e-6,
            "seq_len 16"
        );
        assert!(v.flops_per_s.unwrap() > 0.0);
    }
    // The first figure came after the first variant's cold start and warm-up, and before the
    // run ended.
    let first = last
        .run
        .first_figure_s
        .expect("the time to the first figure");
    let earliest_cold_start = last
        .variants
        .iter()
        .filter_map(|v| v.cold_start_s)
        .fold(f64::INFINITY, f64::min);
    assert!(
        first >= earliest_cold_start && first <= last.run.elapsed_s,
        "first figure {first} s, cold start {earliest_cold_start} s, run {} s",
        last.run.elapsed_s
    );
    let before = summaries
        .iter()
        .find(|s| s.variants.iter().all(|v| v.latency.is_none()));
    assert!(before.is_none_or(|s| s.run.first_figure_s.is_none()));
    assert!(last.run.device_memory.is_none());
    assert!(
        last.run
            .device_memory_na
            .as_deref()
            .unwrap()
            .contains("process heap")
    );
    // Routing statistics come back for the MoE variants only.
    let moe = last.variants.iter().find(|v| v.name == "moe").unwrap();
    assert_eq!(moe.routing.len(), 2);
    assert!(moe.flops_useful_routed.is_some());
    assert!(
        last.variants
            .iter()
            .find(|v| v.name == "dense")
            .unwrap()
            .routing
            .is_empty()
    );
    // Building and warming up were reported on the way.
    assert!(summaries.iter().any(|s| {
        s.variants
            .iter()
            .any(|v| matches!(v.phase, Phase::WarmingUp { .. }))
    }));
}

#[test]
fn stops_within_a_second() {
    let engine = Engine::spawn(config(None)).unwrap();
    // Let it get going.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Some(EngineEvent::Summary(s)) =
            engine.recv_timeout(Duration::from_millis(100)).event()
            && s.variants.iter().all(|v| v.latency.is_some())
        {
            break;
        }
    }
    let t = Instant::now();
    assert!(engine.send(EngineCmd::Stop));
    let (_, _, finished) = run_to_end(&engine, Duration::from_secs(5));
    assert!(finished);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "stopped after {:?}",
        t.elapsed()
    );
}

#[test]
fn pause_focus_batch_and_reset() {
    let engine = Engine::spawn(config(None)).unwrap();
    let next =
        |pred: &dyn Fn(&Summary) -> bool| summary_where(&engine, Duration::from_secs(60), pred);
    next(&|s| s.variants.iter().all(|v| v.latency.is_some()));

    engine.send(EngineCmd::Focus("moe".into()));
    assert_eq!(next(&|s| s.focus == "moe").focus, "moe");

    engine.send(EngineCmd::Pause);
    let paused = next(&|s| s.paused);
    let later = next(&|s| s.paused && s.run.elapsed_s > paused.run.elapsed_s + 0.1);
    let count = |s: &Summary| {
        s.variants
            .iter()
            .map(|v| v.latency.map_or(0, |l| l.iterations))
            .sum::<u64>()
    };
    assert_eq!(count(&paused), count(&later), "nothing runs while paused");
    engine.send(EngineCmd::Resume);

    // A new batch is a new workload: fresh statistics, and throughput follows the batch.
    engine.send(EngineCmd::SetBatch(4));
    let at4 = next(&|s| s.run.batch == 4 && s.variants.iter().all(|v| v.latency.is_some()));
    for v in &at4.variants {
        assert!((v.tokens_per_s.unwrap() / v.samples_per_s.unwrap() - 16.0).abs() < 1e-6);
    }
    engine.send(EngineCmd::ResetStats);
    let reset = next(&|s| s.run.batch == 4 && s.variants.iter().any(|v| v.latency.is_none()));
    assert!(reset.variants.iter().any(|v| v.latency.is_none()));

    engine.send(EngineCmd::Focus("nobody".into()));
    let start = Instant::now();
    let mut saw_error = false;
    while start.elapsed() < Duration::from_secs(10) && !saw_error {
        if let Some(EngineEvent::Error(e)) = engine.recv_timeout(Duration::from_millis(100)).event()
        {
            assert!(e.to_string().contains("cannot focus `nobody`"), "{e}");
            saw_error = true;
        }
    }
    assert!(saw_error);
}

#[test]
fn statistics_survive_a_backend_switch_and_back() {
    let engine = Engine::spawn(config(None)).unwrap();
    let wait =
        |pred: &dyn Fn(&Summary) -> bool| summary_where(&engine, Duration::from_secs(90), pred);
    let before = wait(&|s| {
        s.run.backend == Backend::Ndarray
            && s.variants
                .iter()
                .all(|v| v.latency.is_some_and(|l| l.iterations >= 3))
    });
    engine.send(EngineCmd::SelectBackend(Backend::Flex));
    wait(&|s| s.run.backend == Backend::Flex && s.variants.iter().all(|v| v.latency.is_some()));
    engine.send(EngineCmd::SelectBackend(Backend::Ndarray));
    let after = wait(&|s| s.run.backend == Backend::Ndarray);
    for (b, a) in before.variants.iter().zip(&after.variants) {
        let (b, a) = (
            b.latency.unwrap().iterations,
            a.latency.map_or(0, |l| l.iterations),
        );
        assert!(a >= b, "ndarray statistics were kept: {a} < {b}");
    }
}

/// A backend visited once must not keep its allocation for the rest of the session: leaving
/// wgpu hands its pool pages back (on a software adapter they are the process's own memory).
#[test]
fn leaving_wgpu_hands_its_memory_pool_back() {
    let Some(wgpu) = wgpu() else { return };
    let mut c = config(None);
    c.backend = wgpu;
    // One variant is enough to hold pages, and each one compiles kernels on lavapipe.
    c.variants = vec![c.suite.workload.baseline.clone()];
    let engine = Engine::spawn(c).unwrap();
    let wait =
        |pred: &dyn Fn(&Summary) -> bool| summary_where(&engine, Duration::from_secs(300), pred);
    let on_wgpu = wait(&|s| {
        s.run.backend == wgpu
            && s.run.device_memory.is_some()
            && s.variants.iter().all(|v| v.latency.is_some())
    });
    let held = on_wgpu.run.device_memory.unwrap().reserved_bytes;
    assert!(held > 0, "measuring on wgpu reserved no device memory");
    engine.send(EngineCmd::SelectBackend(Backend::Ndarray));
    wait(&|s| s.run.backend == Backend::Ndarray);
    // This process's only user of the device is the engine, so what is left is its doing.
    let left = wgpu
        .open()
        .unwrap()
        .device
        .memory_pool_usage()
        .unwrap()
        .bytes_reserved;
    eprintln!("wgpu pool: {held} bytes reserved while measuring, {left} after leaving");
    assert!(
        left <= held / 4,
        "wgpu still reserves {left} bytes after the engine left it (it held {held})"
    );
}

#[test]
fn an_unavailable_adapter_is_reported_and_the_engine_stays() {
    let engine = Engine::spawn(config(None)).unwrap();
    engine.send(EngineCmd::SelectBackend(Backend::Wgpu(
        WgpuAdapter::Discrete(99),
    )));
    let start = Instant::now();
    let mut reported = false;
    let mut still_ndarray = false;
    while start.elapsed() < Duration::from_secs(90) && !(reported && still_ndarray) {
        match engine.recv_timeout(Duration::from_millis(100)).event() {
            Some(EngineEvent::Unavailable {
                backend,
                staying_on,
                ..
            }) => {
                assert_eq!(backend, Backend::Wgpu(WgpuAdapter::Discrete(99)));
                assert_eq!(staying_on, Some(Backend::Ndarray));
                reported = true;
            }
            Some(EngineEvent::Summary(s)) if reported => {
                assert_eq!(s.run.backend, Backend::Ndarray);
                still_ndarray = true;
            }
            _ => {}
        }
    }
    assert!(reported && still_ndarray);
}

/// The terminal UI's start on a backend that cannot be opened: it says why and measures on
/// the fallback instead of finishing with nothing to show.
#[test]
fn an_unavailable_start_falls_back_when_there_is_a_fallback() {
    let mut c = config(None);
    c.backend = Backend::Wgpu(WgpuAdapter::Discrete(99));
    c.fallback = Some(Backend::Ndarray);
    let engine = Engine::spawn(c).unwrap();
    let start = Instant::now();
    let mut reported = false;
    let mut on_ndarray = false;
    while start.elapsed() < Duration::from_secs(90) && !(reported && on_ndarray) {
        match engine.recv_timeout(Duration::from_millis(100)).event() {
            Some(EngineEvent::Unavailable {
                backend,
                staying_on,
                reason,
            }) => {
                assert_eq!(backend, Backend::Wgpu(WgpuAdapter::Discrete(99)));
                assert_eq!(staying_on, Some(Backend::Ndarray), "{reason}");
                reported = true;
            }
            Some(EngineEvent::Summary(s)) if reported => {
                assert_eq!(s.run.backend, Backend::Ndarray);
                on_ndarray = s.variants.iter().any(|v| v.latency.is_some());
            }
            Some(EngineEvent::Finished) => panic!("the engine gave up instead of falling back"),
            _ => {}
        }
    }
    assert!(reported && on_ndarray);
}

#[test]
fn a_real_run_on_ndarray_stays_below_the_peak() {
    real_run(Backend::Ndarray, &[], &[]);
}

#[test]
fn a_real_run_on_flex_stays_below_the_peak() {
    let last = real_run(Backend::Flex, &[], &[]);
    assert_eq!(last.run.backend, Backend::Flex);
}

#[test]
fn a_real_run_of_the_conv_family_on_ndarray_and_flex() {
    for backend in [Backend::Ndarray, Backend::Flex] {
        let last = common::real_conv_run(backend, common::Peaks::Measured);
        assert_eq!(last.run.backend, backend);
        assert_eq!(last.variants.len(), 3);
    }
}

#[test]
fn a_consumer_that_stops_reading_neither_stalls_nor_bloats_the_worker() {
    let engine = Engine::spawn(config(None)).unwrap();
    // Read nothing for a while: the worker fills the channel, then drops summaries.
    std::thread::sleep(Duration::from_secs(3));
    let waiting = engine.drain();
    assert!(
        waiting.len() <= 16,
        "the channel is bounded: {} events waited",
        waiting.len()
    );
    let iterations = |s: &Summary| {
        s.variants
            .iter()
            .map(|v| v.latency.map_or(0, |l| l.iterations))
            .sum::<u64>()
    };
    let stale = waiting
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Summary(s) => Some(iterations(s)),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    // Fresh summaries follow at once, and the worker kept measuring meanwhile.
    let start = Instant::now();
    let mut fresh = 0;
    while start.elapsed() < Duration::from_secs(10) && fresh <= stale {
        if let Some(EngineEvent::Summary(s)) =
            engine.recv_timeout(Duration::from_millis(100)).event()
        {
            fresh = iterations(&s);
        }
    }
    assert!(
        fresh > stale,
        "the worker went on measuring: {fresh} <= {stale}"
    );
}

#[test]
fn the_engine_measures_the_focused_variants_pipeline_stages_on_request() {
    let engine = Engine::spawn(config(None)).unwrap();
    engine.send(EngineCmd::Focus("moe".into()));
    engine.send(EngineCmd::Run(Request::Stages(2)));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut busy_seen = false;
    let stages = loop {
        assert!(Instant::now() < deadline, "no stages within 60 s");
        match engine.recv_timeout(Duration::from_millis(100)).event() {
            Some(EngineEvent::Report(Report::Stages(s))) => break s,
            Some(EngineEvent::Summary(s)) => {
                busy_seen |= s.long_work().is_some_and(|w| w.contains("pipeline stages"));
            }
            Some(EngineEvent::Error(e)) => panic!("{e}"),
            _ => {}
        }
    };
    assert!(busy_seen, "the work shows while it runs");
    assert_eq!(stages.variant, "moe");
    assert_eq!(stages.layers.len(), 2);
    assert!(stages.backward_s.is_some());
    // Too many stages is an error event, not a crash.
    engine.send(EngineCmd::Run(Request::Stages(5)));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "no error within 30 s");
        if let Some(EngineEvent::Error(e)) = engine.recv_timeout(Duration::from_millis(100)).event()
        {
            assert!(e.to_string().contains("1 to 2 stages"), "{e}");
            break;
        }
    }
    engine.stop();
}

#[test]
fn a_sweep_reports_a_point_per_batch_and_returns_to_the_batch_it_had() {
    let mut c = config(None);
    c.variants = vec!["dense".into(), "moe".into()];
    let engine = Engine::spawn(c).unwrap();
    engine.send(EngineCmd::Sweep(vec![1, 4]));
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut points = Vec::new();
    while points.len() < 2 {
        assert!(
            Instant::now() < deadline,
            "{} points within 90 s",
            points.len()
        );
        match engine.recv_timeout(Duration::from_millis(100)).event() {
            Some(EngineEvent::SweepPoint(p)) => points.push(*p),
            Some(EngineEvent::Error(e)) => panic!("{e}"),
            _ => {}
        }
    }
    assert_eq!(points.iter().map(|p| p.batch).collect::<Vec<_>>(), [1, 4]);
    for p in &points {
        assert_eq!(p.values.len(), 2, "{p:?}");
        assert!(
            p.values
                .iter()
                .all(|v| v.iterations >= 10 && v.tokens_per_s.is_some_and(|t| t > 0.0))
        );
    }
    // The engine returns to the suite's batch (summary_where panics otherwise).
    let back = summary_where(&engine, Duration::from_secs(30), &|s| s.run.batch == 2);
    assert!(back.long_work().is_none_or(|w| !w.contains("sweeping")));
    engine.stop();
}

#[test]
fn the_engine_times_the_focused_variants_parts_on_request() {
    let engine = Engine::spawn(config(None)).unwrap();
    engine.send(EngineCmd::Focus("moe".into()));
    engine.send(EngineCmd::Run(Request::Parts));
    let deadline = Instant::now() + Duration::from_secs(60);
    let parts = loop {
        assert!(Instant::now() < deadline, "no parts within 60 s");
        match engine.recv_timeout(Duration::from_millis(100)).event() {
            Some(EngineEvent::Report(Report::Parts(p))) => break p,
            Some(EngineEvent::Error(e)) => panic!("{e}"),
            _ => {}
        }
    };
    assert_eq!(parts.variant, "moe");
    let names: Vec<&str> = parts.parts.iter().map(|p| p.part.as_str()).collect();
    assert_eq!(names, ["embedding", "attention", "moe", "norm + head"]);
    assert!(parts.parts.iter().all(|p| p.seconds > 0.0 && p.bytes > 0));
    // The parts add up to the whole model's counted FLOPs.
    let suite = effprof::spec::load_suite("tiny").unwrap();
    let total = effprof::cost::analyze(suite.variant("moe").unwrap(), &suite.workload)
        .unwrap()
        .totals;
    assert_eq!(
        parts.parts.iter().map(|p| p.flops).sum::<u64>(),
        total.flops_executed
    );
    assert_eq!(
        parts.parts.iter().map(|p| p.bytes).sum::<u64>(),
        total.mem_access_bytes
    );
    engine.stop();
}

#[test]
fn the_engine_trains_each_variant_and_reports_progress_and_the_run() {
    let mut c = config(None);
    c.variants = vec!["dense".into(), "pruned-csr".into()];
    let engine = Engine::spawn(c).unwrap();
    engine.send(EngineCmd::Run(Request::Train));
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut progress, mut runs, mut failed) = (0usize, Vec::new(), Vec::new());
    while runs.len() + failed.len() < 2 {
        assert!(
            Instant::now() < deadline,
            "training did not end within 120 s"
        );
        match engine.recv_timeout(Duration::from_millis(100)).event() {
            Some(EngineEvent::Report(Report::TrainProgress { variant, points })) => {
                assert_eq!(variant, "dense");
                progress += points.len();
            }
            Some(EngineEvent::Report(Report::Trained(result))) => match *result {
                Ok(run) => runs.push(run),
                Err(e) => failed.push(e),
            },
            _ => {}
        }
    }
    assert_eq!(runs.len(), 1);
    assert!(runs[0].reached, "{:?}", runs[0].note);
    assert_eq!(progress, runs[0].steps, "every step was reported once");
    assert_eq!(failed[0].variant, "pruned-csr");
    assert!(failed[0].error.to_string().contains("no backward"));
    // Measuring goes on afterwards.
    summary_where(&engine, Duration::from_secs(30), &|s| s.busy.is_none());
    engine.stop();
}
