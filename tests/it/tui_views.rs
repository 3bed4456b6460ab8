//! The TUI, drawn from hand-built state: every view at two sizes, the help, the too-small
//! message, and every action's effect on the state.

use effprof::app::{Action, App, Effect, FilterKey, Scroll, View};
use effprof::arch;
use effprof::backend::Backend;
use effprof::engine::stats::LatencySummary;
use effprof::engine::{
    EngineCmd, EngineEvent, Peaks, Phase, ProcessMemory, RunHeader, Summary, VariantSummary,
};
use effprof::error::{EngineError, MeasureError, NotApplicable};
use effprof::family;
use effprof::snapshot::Host;
use effprof::spec;
use effprof::tasks::{Report, Request, VariantFailure};
use effprof::ui::{self, Theme};
use effprof::zoo::RoutingStats;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common::{self, take_message};

fn variant(name: &str, i: usize) -> VariantSummary {
    let p50 = 0.001 * (1.0 + i as f64 * 0.25);
    VariantSummary {
        name: name.into(),
        phase: if i == 5 {
            Phase::WarmingUp {
                runs: 3,
                elapsed_s: 1.5,
            }
        } else {
            Phase::Measuring
        },
        cold_start_s: Some(0.002),
        warmup_runs: 6,
        latency: (i != 5).then_some(LatencySummary {
            iterations: 100 + i as u64,
            mean_s: p50 * 1.02,
            p50_s: p50,
            p90_s: p50 * 1.1,
            p99_s: p50 * 1.3,
            min_s: p50 * 0.9,
            max_s: p50 * 1.5,
            stdev_s: p50 * 0.05,
            cv: 0.05,
            intervals: None,
            outliers: None,
            effective_iterations: None,
        }),
        samples_per_s: (i != 5).then_some(2.0 / p50),
        tokens_per_s: (i != 5).then_some(32.0 / p50),
        flops_per_s: (i != 5).then_some(1.0e9 + i as f64 * 1e8),
        bytes_per_s: (i != 5).then_some(5e8),
        pct_peak_flops: (i != 5).then_some(2.0 + i as f64),
        pct_peak_bandwidth: (i != 5).then_some(3.0),
        flags: vec![],
        heap_peak_bytes: Some(160_000),
        recent_latency_s: (0..40)
            .map(|k| p50 * (1.0 + (k % 7) as f64 * 0.03))
            .collect(),
        routing: if name.starts_with("moe") {
            vec![
                RoutingStats::from_assigned(vec![10, 6, 9, 7], 8),
                RoutingStats::from_assigned(vec![8, 8, 8, 8], 8),
            ]
        } else {
            vec![]
        },
        flops_useful_routed: None,
    }
}

/// The tiny suite's variants, in its order.
pub(crate) const TINY: [&str; 6] = [
    "dense",
    "moe",
    "moe-matched",
    "universal",
    "pruned-dense",
    "pruned-csr",
];

fn summary(elapsed_s: f64) -> Summary {
    let names = TINY;
    Summary {
        suite: "tiny".into(),
        run: RunHeader {
            backend: Backend::Ndarray,
            adapter: "Test CPU (2 threads)".into(),
            driver: "host".into(),
            batch: 2,
            elapsed_s,
            peaks: Some(Peaks {
                flops_per_s: 50e9,
                matmul_size: 1024,
                bytes_per_s: 15e9,
                copy_bytes: 1 << 28,
            }),
            process: ProcessMemory {
                rss_bytes: 48_000_000,
                rss_peak_bytes: 180_000_000,
                total_memory_bytes: 25_000_000_000,
            },
            device_memory: None,
            device_memory_na: Some(
                "ndarray allocates from the process heap: see heap and RSS".into(),
            ),
            first_figure_s: Some(1.5),
        },
        paused: false,
        seq_len: Some(16),
        focus: "dense".into(),
        busy: None,
        variants: names
            .iter()
            .enumerate()
            .map(|(i, n)| variant(n, i))
            .collect(),
    }
}

fn app_with_data() -> App {
    let mut app = App::new(
        spec::load_suite("tiny").unwrap(),
        Backend::Ndarray,
        Host::unknown(),
    )
    .unwrap();
    for t in 1..=12 {
        app.on_engine(EngineEvent::Summary(Box::new(summary(t as f64))));
    }
    app
}

/// The screen at `width` x `height`, with what drawing it learned (click areas, the scrolled
/// rows) handed to the app, as the terminal loop does.
fn draw(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let mut drawn = None;
    terminal
        .draw(|f| drawn = Some(ui::render(app, &Theme::plain(), f)))
        .unwrap();
    app.on_drawn(drawn.unwrap());
    format!("{}", terminal.backend())
}

#[test]
fn live_view() {
    let mut app = app_with_data();
    insta::assert_snapshot!("live_100x30", draw(&mut app, 100, 30));
    insta::assert_snapshot!("live_160x48", draw(&mut app, 160, 48));
}

#[test]
fn compare_view() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Compare));
    // The summary's time to the first figure is in the table's first note.
    let provenance = &app.table().notes[0];
    assert!(
        provenance.contains("; first figure 1.50 s after opening it"),
        "{provenance}"
    );
    insta::assert_snapshot!("compare_100x30", draw(&mut app, 100, 30));
    insta::assert_snapshot!("compare_160x48", draw(&mut app, 160, 48));
}

#[test]
fn ranks_view() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Ranks));
    let screen = draw(&mut app, 160, 48);
    // By hand-built latency the baseline is fastest; by FLOPs pruned-csr is cheapest.
    assert!(
        screen.contains("Rank agreement (Kendall tau-b, +1 same order, -1 opposite) over (n) variants, none under 4"),
        "{screen}"
    );
    insta::assert_snapshot!("ranks_160x48", screen);
    insta::assert_snapshot!("ranks_100x30", draw(&mut app, 100, 30));
}

#[test]
fn routing_view() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Routing));
    let screen = draw(&mut app, 160, 48);
    assert!(
        screen.contains("moe · 2 MoE layers · dropped choices 3 · worst imbalance 1.25"),
        "{screen}"
    );
    assert!(
        screen.contains("MoE layer 0: capacity 8, dropped 3"),
        "{screen}"
    );
    insta::assert_snapshot!("routing_160x48", screen);
    insta::assert_snapshot!("routing_100x30", draw(&mut app, 100, 30));

    let mut misnomer = spec::load_suite("misnomer").unwrap();
    misnomer
        .variants
        .retain(|v| !matches!(v.family, family::Family::Moe(_)));
    let mut dense_only = App::new(misnomer, Backend::Ndarray, Host::unknown()).unwrap();
    dense_only.update(Action::ShowView(View::Routing));
    assert!(draw(&mut dense_only, 100, 30).contains("n/a: no MoE variant in this suite"));
}

#[test]
fn help_overlay_and_error_message() {
    let mut app = app_with_data();
    app.update(Action::ToggleHelp);
    insta::assert_snapshot!("help_100x30", draw(&mut app, 100, 30));
    // On a short screen the help scrolls, and the view under it does not.
    let short = draw(&mut app, 80, 24);
    let total = effprof::app::help_rows(app.keys()).len();
    assert!(
        short.contains(&format!("keys 1-22 of {total} (↑↓ scroll")),
        "{short}"
    );
    assert!(!short.contains("Generate: generate tokens"), "{short}");
    app.update(Action::Scroll(Scroll::End));
    let end = draw(&mut app, 80, 24);
    assert!(end.contains(&format!("of {total} (↑↓ scroll")), "{end}");
    assert!(end.contains("Generate: generate tokens"), "{end}");
    assert_eq!(
        app.scroll(),
        0,
        "the view under the help stays where it was"
    );
    app.update(Action::Dismiss);
    app.on_engine(EngineEvent::Unavailable {
        backend: Backend::Wgpu(effprof::backend::WgpuAdapter::Default),
        reason: "no adapter found".into(),
        staying_on: Some(Backend::Ndarray),
    });
    let screen = draw(&mut app, 100, 30);
    assert!(
        screen.contains("wgpu is unavailable: no adapter found"),
        "{screen}"
    );
}

#[test]
fn too_small_terminal() {
    let mut app = app_with_data();
    let screen = draw(&mut app, 79, 24);
    assert!(
        screen.contains("terminal too small: 79x24, effprof needs 80x24"),
        "{screen}"
    );
    assert!(!draw(&mut app, 80, 24).contains("too small"));
}

#[test]
fn warming_up_shows_in_the_header() {
    let screen = draw(&mut app_with_data(), 160, 48);
    assert!(
        screen.contains("warming up pruned-csr (3 runs, 1.5 s)"),
        "{screen}"
    );
}

#[test]
fn every_action_updates_the_state_and_asks_the_engine() {
    let mut app = app_with_data();
    assert_eq!(
        app.update(Action::NextBackend),
        [Effect::Engine(EngineCmd::SelectBackend(Backend::Flex))]
    );
    assert_eq!(
        app.update(Action::PrevBackend),
        [Effect::Engine(EngineCmd::SelectBackend(Backend::Ndarray))]
    );
    assert_eq!(
        app.update(Action::PrevBackend),
        [Effect::Engine(EngineCmd::SelectBackend(Backend::CYCLE[2]))]
    );
    assert_eq!(
        app.update(Action::FocusNext),
        [Effect::Engine(EngineCmd::Focus("moe".into()))]
    );
    assert_eq!(
        app.update(Action::FocusPrev),
        [Effect::Engine(EngineCmd::Focus("dense".into()))]
    );
    assert_eq!(
        app.update(Action::FocusPrev),
        [Effect::Engine(EngineCmd::Focus("pruned-csr".into()))]
    );
    assert_eq!(
        app.update(Action::TogglePause),
        [Effect::Engine(EngineCmd::Pause)]
    );
    assert!(app.paused());
    assert_eq!(
        app.update(Action::TogglePause),
        [Effect::Engine(EngineCmd::Resume)]
    );

    let flops_at = |app: &App| {
        app.analytic()[0]
            .cost
            .as_ref()
            .unwrap()
            .totals
            .flops_executed
    };
    let before = flops_at(&app);
    assert_eq!(
        app.update(Action::DoubleBatch),
        [Effect::Engine(EngineCmd::SetBatch(4))]
    );
    assert_eq!(
        flops_at(&app),
        2 * before,
        "analytic figures follow the batch"
    );
    assert_eq!(
        app.update(Action::HalveBatch),
        [Effect::Engine(EngineCmd::SetBatch(2))]
    );
    assert_eq!(
        app.update(Action::HalveBatch),
        [Effect::Engine(EngineCmd::SetBatch(1))]
    );
    assert!(
        app.update(Action::HalveBatch).is_empty(),
        "batch stays at 1"
    );

    assert!(
        app.history().series.is_empty(),
        "a new batch starts the charts afresh"
    );
    app.on_engine(EngineEvent::Summary(Box::new(summary(13.0))));
    assert!(!app.history().series.is_empty());
    assert_eq!(
        app.update(Action::ResetStats),
        [Effect::Engine(EngineCmd::ResetStats)]
    );
    assert!(app.history().series.is_empty());
    assert_eq!(app.update(Action::Snapshot), [Effect::Snapshot]);

    assert_eq!(app.view(), View::Live);
    app.update(Action::NextView);
    assert_eq!(app.view(), View::Compare);
    app.update(Action::NextView);
    assert_eq!(app.view(), View::Ranks);
    app.update(Action::NextView);
    assert_eq!(app.view(), View::Routing);
    assert_eq!(
        app.update(Action::NextView),
        [Effect::Engine(EngineCmd::Run(Request::Stages(2)))]
    );
    assert_eq!(app.view(), View::Pipeline);
    app.update(Action::NextView);
    assert_eq!(app.view(), View::Sweep);
    assert_eq!(
        app.update(Action::NextView),
        [Effect::Engine(EngineCmd::Run(Request::Parts))]
    );
    assert_eq!(app.view(), View::Roofline);
    app.update(Action::NextView);
    assert_eq!(app.view(), View::Train);
    app.update(Action::NextView);
    assert_eq!(app.view(), View::Generate);
    app.update(Action::NextView);
    assert_eq!(app.view(), View::Live);
    app.update(Action::ToggleHelp);
    assert!(app.show_help());
    app.update(Action::Dismiss);
    assert!(!app.show_help());
    app.error("x".into());
    app.update(Action::Dismiss);
    assert!(app.message().is_none());
    assert_eq!(app.update(Action::Quit), [Effect::Engine(EngineCmd::Stop)]);
    assert!(app.should_quit());
}

#[test]
fn an_unavailable_backend_falls_back_to_the_previous_one() {
    let mut app = app_with_data();
    app.update(Action::PrevBackend); // wgpu
    app.on_engine(EngineEvent::Unavailable {
        backend: Backend::CYCLE[2],
        reason: "no adapter".into(),
        staying_on: Some(Backend::Ndarray),
    });
    assert_eq!(app.backend(), Backend::Ndarray);
    assert!(app.message().unwrap().is_error);
    // From then on `b` skips it: ndarray → flex → ndarray, and back the other way.
    assert_eq!(
        app.update(Action::NextBackend),
        [Effect::Engine(EngineCmd::SelectBackend(Backend::Flex))]
    );
    let next = app.update(Action::NextBackend);
    // The one after flex that is not wgpu: ndarray, or CUDA in a build that has it.
    let cycle = Backend::cycle();
    let flex = cycle.iter().position(|b| *b == Backend::Flex).unwrap();
    let expected = *cycle
        .iter()
        .cycle()
        .skip(flex + 1)
        .find(|b| !matches!(b, Backend::Wgpu(_)))
        .unwrap();
    assert_eq!(
        next,
        [Effect::Engine(EngineCmd::SelectBackend(expected))],
        "wgpu is skipped"
    );
}

fn stage_latencies(variant: &str, stages: usize) -> effprof::pipeline::StageLatencies {
    effprof::pipeline::StageLatencies {
        variant: variant.into(),
        backend: Backend::Ndarray,
        micro_batch: 2,
        layers: effprof::pipeline::split_layers(2, stages),
        forward_s: (0..stages).map(|s| 0.001 * (1.0 + s as f64)).collect(),
        train_forward_s: Some((0..stages).map(|s| 0.0012 * (1.0 + s as f64)).collect()),
        backward_s: Some((0..stages).map(|s| 0.002 * (1.0 + s as f64)).collect()),
        backward_na: None,
    }
}

#[test]
fn pipeline_view_measures_on_demand_and_simulates_on_keys() {
    let mut app = app_with_data();
    // Showing the view asks for the focused variant's stages, once.
    assert_eq!(
        app.update(Action::ShowView(View::Pipeline)),
        [Effect::Engine(EngineCmd::Run(Request::Stages(2)))]
    );
    assert!(draw(&mut app, 100, 30).contains("measuring dense in 2 stages"));
    assert_eq!(app.update(Action::ShowView(View::Pipeline)), []);
    app.on_engine(EngineEvent::Report(Report::Stages(Box::new(
        stage_latencies("dense", 2),
    ))));
    assert!(!app.pipeline().pending);
    let screen = draw(&mut app, 160, 48);
    // Stages of 1 and 2 ms forward: 4 micro-batches take (4 + 1) x 2 ms on the slower stage's
    // clock = 9 ms; busy 4 + 8 of 2 x 9: bubble 1/3.
    assert!(
        screen.contains("inference: step 9.00 ms · bubble 33.3% (textbook 20.0%)"),
        "{screen}"
    );
    assert!(screen.contains("training, 1F1B"), "{screen}");
    insta::assert_snapshot!("pipeline_160x48", screen);
    insta::assert_snapshot!("pipeline_100x30", draw(&mut app, 100, 30));

    // Micro-batches re-simulate without measuring.
    assert_eq!(app.update(Action::MoreMicroBatches), []);
    assert_eq!(app.pipeline().micro_batches, 8);
    assert!(draw(&mut app, 160, 48).contains("inference: step 17.0 ms"));
    assert_eq!(app.update(Action::FewerMicroBatches), []);
    // Stages are measured again; the tiny suite's 2 layers bound them.
    assert_eq!(
        app.update(Action::FewerStages),
        [Effect::Engine(EngineCmd::Run(Request::Stages(1)))]
    );
    app.on_engine(EngineEvent::Report(Report::Stages(Box::new(
        stage_latencies("dense", 1),
    ))));
    assert_eq!(
        app.update(Action::MoreStages),
        [Effect::Engine(EngineCmd::Run(Request::Stages(2)))]
    );
    app.on_engine(EngineEvent::Report(Report::Stages(Box::new(
        stage_latencies("dense", 2),
    ))));
    assert_eq!(app.update(Action::MoreStages), []);
    assert!(
        take_message(&mut app)
            .unwrap()
            .text
            .contains("1 to 2 stages")
    );
    // A new focus is a new variant to measure.
    assert_eq!(
        app.update(Action::FocusNext),
        [
            Effect::Engine(EngineCmd::Focus("moe".into())),
            Effect::Engine(EngineCmd::Run(Request::Stages(2)))
        ]
    );
    // A failed measurement answers the request.
    app.on_engine(EngineEvent::Error(EngineError::Replay("no".into())));
    assert!(!app.pipeline().pending);

    // The snapshot carries the figures, drawn at the view's micro-batches.
    app.on_engine(EngineEvent::Report(Report::Stages(Box::new(
        stage_latencies("moe", 2),
    ))));
    let snapshot = app
        .snapshot(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .unwrap();
    let pipeline = snapshot
        .pipeline
        .expect("measured stages go into the snapshot");
    assert_eq!(pipeline.stages.variant, "moe");
    assert_eq!(pipeline.drawn_micro_batches, 4);
    assert_eq!(pipeline.points.len(), 5 * 3);
}

fn sweep_point(batch: usize, tps: &[(&str, f64)]) -> effprof::sweep::SweepPoint {
    common::sweep_point(batch, Some(16), tps)
}

#[test]
fn sweep_view_collects_points_and_calls_out_flips() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Sweep));
    assert!(draw(&mut app, 100, 30).contains("press w to measure every variant"));
    assert_eq!(
        app.update(Action::StartSweep),
        [Effect::Engine(EngineCmd::Sweep(vec![1, 2, 4, 8, 16]))]
    );
    // A second w while it runs only says so.
    assert_eq!(app.update(Action::StartSweep), []);
    assert!(take_message(&mut app).unwrap().text.contains("0 of 5"));
    // The MoE overtakes the dense model between batch 4 and 8.
    let rates = [
        (1, 30e3, 20e3),
        (2, 38e3, 30e3),
        (4, 47e3, 44e3),
        (8, 60e3, 70e3),
        (16, 70e3, 90e3),
    ];
    for (i, (batch, dense, moe)) in rates.iter().enumerate() {
        app.on_engine(EngineEvent::SweepPoint(Box::new(sweep_point(
            *batch,
            &[("dense", *dense), ("moe", *moe)],
        ))));
        assert_eq!(app.sweep().running(), i < 4);
    }
    assert_eq!(app.batch(), 2, "back at the batch the sweep started from");
    assert!(
        take_message(&mut app)
            .unwrap()
            .text
            .contains("1 ranking flips")
    );
    let screen = draw(&mut app, 160, 48);
    assert!(
        screen.contains("flip: batch 4 -> 8 (seq_len 16): moe overtakes dense"),
        "{screen}"
    );
    insta::assert_snapshot!("sweep_160x48", screen);
    let snapshot = app
        .snapshot(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .unwrap();
    let sweep = snapshot
        .sweep
        .expect("a finished sweep goes into the snapshot");
    assert_eq!(sweep.points.len(), 5);
    assert_eq!(sweep.flips.len(), 1);
}

#[test]
fn roofline_view_places_every_variant_and_the_focused_parts() {
    let mut app = app_with_data();
    assert_eq!(
        app.update(Action::ShowView(View::Roofline)),
        [Effect::Engine(EngineCmd::Run(Request::Parts))]
    );
    assert_eq!(app.update(Action::ShowView(View::Roofline)), []);
    let parts = effprof::roofline::PartsReport {
        variant: "dense".into(),
        backend: Backend::Ndarray,
        batch: 2,
        parts: vec![
            effprof::roofline::PartTiming {
                part: "embedding".into(),
                flops: 0,
                bytes: 18_432,
                seconds: 2e-5,
            },
            effprof::roofline::PartTiming {
                part: "attention".into(),
                flops: 655_360,
                bytes: 239_000,
                seconds: 4e-4,
            },
            effprof::roofline::PartTiming {
                part: "ffn".into(),
                flops: 524_288,
                bytes: 157_000,
                seconds: 2e-4,
            },
        ],
    };
    app.on_engine(EngineEvent::Report(Report::Parts(Box::new(parts))));
    assert!(!app.parts_pending());
    let screen = draw(&mut app, 160, 48);
    assert!(screen.contains("· attention"), "{screen}");
    assert!(screen.contains("embedding moves"), "{screen}");
    insta::assert_snapshot!("roofline_160x48", screen);
    // A new focus asks for that variant's parts.
    assert_eq!(
        app.update(Action::FocusNext),
        [
            Effect::Engine(EngineCmd::Focus("moe".into())),
            Effect::Engine(EngineCmd::Run(Request::Parts))
        ]
    );
    let snapshot = app
        .snapshot(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .unwrap();
    let r = snapshot.roofline().expect("peaks were measured");
    assert!(
        r.points
            .iter()
            .any(|p| p.variant == "dense" && p.part == "ffn")
    );
    assert_eq!(
        r.points.iter().filter(|p| p.part == "model").count(),
        5,
        "every measured variant (pruned-csr is still warming up)"
    );
}

#[test]
fn train_view_draws_curves_and_the_finished_runs() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Train));
    assert!(draw(&mut app, 100, 30).contains("press t to train every variant"));
    assert_eq!(
        app.update(Action::StartTraining),
        [Effect::Engine(EngineCmd::Run(Request::Train))]
    );
    assert_eq!(app.update(Action::StartTraining), []);
    assert!(take_message(&mut app).unwrap().text.contains("0 of 6"));
    let floor = effprof::train::loss_floor(&app.suite().workload).unwrap();
    let curve: Vec<(usize, f64)> = (1..=40).map(|s| (s, floor + 3.0 / s as f64)).collect();
    app.on_engine(EngineEvent::Report(Report::TrainProgress {
        variant: "dense".into(),
        points: curve[..20].to_vec(),
    }));
    app.on_engine(EngineEvent::Report(Report::TrainProgress {
        variant: "dense".into(),
        points: curve[20..].to_vec(),
    }));
    assert_eq!(
        app.training().partial[0].1.len(),
        40,
        "progress accumulates"
    );
    let run = effprof::train::TrainRun {
        variant: "dense".into(),
        backend: Backend::Ndarray,
        floor,
        target: floor + 0.1,
        reached: true,
        steps: 40,
        tokens: 40 * 32,
        wall_s: 0.2,
        step_s: 0.005,
        train_flops: 40 * 3_932_160,
        best_loss: floor + 0.075,
        losses: curve.clone(),
        note: None,
    };
    app.on_engine(EngineEvent::Report(Report::Trained(Box::new(Ok(run)))));
    app.on_engine(EngineEvent::Report(Report::Trained(Box::new(Err(
        VariantFailure {
            variant: "pruned-csr".into(),
            error: NotApplicable::NoBackward {
                variant: "pruned-csr".into(),
            }
            .into(),
        },
    )))));
    for name in ["moe", "moe-matched", "universal", "pruned-dense"] {
        app.on_engine(EngineEvent::Report(Report::Trained(Box::new(Err(
            VariantFailure {
                variant: name.into(),
                error: MeasureError::Cancelled,
            },
        )))));
    }
    assert!(!app.training().running());
    assert!(
        take_message(&mut app)
            .unwrap()
            .text
            .contains("1 of 6 variants reached")
    );
    let screen = draw(&mut app, 160, 48);
    assert!(
        screen.contains("157 MFLOP"),
        "40 steps x 3.93 MFLOP:\n{screen}"
    );
    assert!(
        screen.contains("pruned-csr: n/a, `pruned-csr` uses the csr kernel")
            && screen.contains("has no backward pass"),
        "{screen}"
    );
    insta::assert_snapshot!("train_160x48", screen);
    let snapshot = app
        .snapshot(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .unwrap();
    assert_eq!(snapshot.training.unwrap()[0].steps, 40);
}

#[test]
fn every_view_draws_at_the_smallest_size_with_and_without_figures() {
    let mut full = app_with_data();
    full.on_engine(EngineEvent::Report(Report::Stages(Box::new(
        stage_latencies("dense", 2),
    ))));
    full.on_engine(EngineEvent::SweepPoint(Box::new(sweep_point(
        1,
        &[("dense", 1e3)],
    ))));
    let empty = App::new(
        spec::load_suite("tiny").unwrap(),
        Backend::Ndarray,
        Host::unknown(),
    )
    .unwrap();
    for mut app in [full, empty] {
        for view in View::all() {
            app.update(Action::ShowView(view));
            for (w, h) in [(80, 24), (81, 25), (200, 60)] {
                let screen = draw(&mut app, w, h);
                assert!(
                    screen.contains(view.title()),
                    "{view:?} at {w}x{h}:\n{screen}"
                );
            }
        }
        app.update(Action::ToggleHelp);
        let help = draw(&mut app, 80, 24);
        assert!(help.contains("quit"), "the whole help fits:\n{help}");
    }
}

/// The conv suite with a measured summary: samples, no tokens.
fn conv_app() -> App {
    let suite = spec::load_suite(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tiny-conv.toml"
    ))
    .unwrap();
    let names: Vec<String> = suite.variants.iter().map(|v| v.name.clone()).collect();
    let mut app = App::new(suite, Backend::Ndarray, Host::unknown()).unwrap();
    for t in 1..=12 {
        let mut s = summary(t as f64);
        s.suite = "tiny-conv".into();
        s.seq_len = None;
        s.focus = names[0].clone();
        s.variants = names
            .iter()
            .enumerate()
            .map(|(i, n)| VariantSummary {
                tokens_per_s: None,
                ..variant(n, i)
            })
            .collect();
        app.on_engine(EngineEvent::Summary(Box::new(s)));
    }
    app
}

#[test]
fn a_conv_suite_shows_samples_and_says_na_where_only_transformers_go() {
    let mut app = conv_app();
    let live = draw(&mut app, 160, 48);
    assert!(
        live.contains("samples/s") && !live.contains("tokens/s"),
        "{live}"
    );
    insta::assert_snapshot!("conv_live_160x48", live);
    app.update(Action::ShowView(View::Compare));
    let compare = draw(&mut app, 160, 48);
    assert!(compare.contains("conv depthwise_separable") && compare.contains("w16 B2"));
    assert!(!compare.contains("tokens/s"), "{compare}");
    insta::assert_snapshot!("conv_compare_160x48", compare);

    // Pipeline stages split transformer layers: nothing is asked of the engine, and the views
    // say why; the roofline times a convolutional network's parts like any other.
    let effects = app.update(Action::ShowView(View::Roofline));
    assert!(effects.contains(&Effect::Engine(EngineCmd::Run(Request::Parts))));
    for (view, words) in [
        (View::Pipeline, "n/a: an image model"),
        (
            View::Train,
            "n/a: the convergence task is next-token prediction",
        ),
    ] {
        let effects = app.update(Action::ShowView(view));
        assert!(
            !effects.iter().any(|e| matches!(
                e,
                Effect::Engine(EngineCmd::Run(Request::Stages(_)) | EngineCmd::Run(Request::Parts))
            )),
            "{view:?}"
        );
        let screen = draw(&mut app, 160, 48);
        assert!(screen.contains(words), "{view:?}: {screen}");
    }
    assert!(app.update(Action::StartTraining).is_empty());

    // A sweep of images runs along the batch and ranks by samples/s.
    let effects = app.update(Action::StartSweep);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Engine(EngineCmd::Sweep(_)))),
        "{effects:?}"
    );
    app.update(Action::ShowView(View::Sweep));
    for (batch, standard, depthwise) in [(1, 100.0, 50.0), (2, 150.0, 200.0)] {
        let point = common::sweep_point(
            batch,
            None,
            &[("standard", standard), ("depthwise", depthwise)],
        );
        app.on_engine(EngineEvent::SweepPoint(Box::new(point)));
    }
    let screen = draw(&mut app, 160, 48);
    assert!(
        screen.contains("flip: batch 1 -> 2: depthwise overtakes standard in samples/s"),
        "{screen}"
    );
    assert!(
        screen.contains("samples/s (log)") && !screen.contains("seq_len"),
        "{screen}"
    );
}

/// A real generation run of `name` from the `generation` suite on flex: 3 generated tokens,
/// one timed request.
fn generation_run(suite: &spec::Suite, name: &str) -> effprof::generate::GenerationRun {
    let mut suite = suite.clone();
    if let arch::Input::Tokens(t) = &mut suite.workload.input {
        t.gen_len = Some(3);
    }
    effprof::generate::measure_generation(
        suite.variant(name).unwrap(),
        &suite.workload,
        Backend::Flex,
        effprof::generate::GenerateOptions {
            requests: 1,
            memory_limit: u64::MAX,
        },
        |_, _| true,
    )
    .unwrap()
}

#[test]
fn generate_view_sets_the_decoders_side_by_side_and_details_the_focused_one() {
    let suite = spec::load_suite("generation").unwrap();
    let mut app = App::new(suite.clone(), Backend::Flex, Host::unknown()).unwrap();
    app.update(Action::ShowView(View::Generate));
    assert!(draw(&mut app, 100, 30).contains("press g to generate"));
    assert_eq!(
        app.update(Action::StartGeneration),
        [Effect::Engine(EngineCmd::Run(Request::Generate))]
    );
    // Asked again while it runs: it says how far it got instead.
    assert_eq!(app.update(Action::StartGeneration), []);
    assert!(take_message(&mut app).unwrap().text.contains("0 of 5"));
    let dense = generation_run(&suite, "dense");
    let moe = generation_run(&suite, "moe-top2");
    let ttft = effprof::units::seconds(dense.ttft.p50);
    let kv = effprof::units::bytes(dense.analytic.kv_cache_bytes);
    for run in [dense, moe] {
        app.on_engine(EngineEvent::Report(Report::Generated(Box::new(Ok(run)))));
    }
    app.on_engine(EngineEvent::Report(Report::Generated(Box::new(Err(
        VariantFailure {
            variant: "dense-pmatch".into(),
            error: NotApplicable::KvCacheTooLarge {
                variant: "dense-pmatch".into(),
                estimate: 82_000_000,
                limit: 64_000_000,
            }
            .into(),
        },
    )))));
    assert!(app.generation().running(), "moe-top1 and gqa still to come");
    let screen = draw(&mut app, 160, 48);
    assert!(screen.contains(&ttft), "{ttft}:\n{screen}");
    // The MoE's experts: two a step at batch 1, as expected.
    assert!(screen.contains("2.00 (exp. 2.00)"), "{screen}");
    assert!(screen.contains("n/a: not an MoE"), "{screen}");
    assert!(screen.contains("needs an estimated 82.0 MB"), "{screen}");
    // The focused variant (the baseline, dense) in detail.
    assert!(screen.contains("dense: per-token latency"), "{screen}");
    assert!(screen.contains("prefill | decode"), "{screen}");
    assert!(
        screen.contains(&format!("{kv} of")),
        "the KV cache gauge:\n{screen}"
    );
    for name in ["moe-top1", "gqa"] {
        app.on_engine(EngineEvent::Report(Report::Generated(Box::new(Err(
            VariantFailure {
                variant: name.into(),
                error: MeasureError::Cancelled,
            },
        )))));
    }
    assert!(!app.generation().running());
    assert!(
        take_message(&mut app)
            .unwrap()
            .text
            .contains("2 of 5 variants measured")
    );
    // Every size draws it.
    for (w, h) in [(80, 24), (100, 30)] {
        assert!(draw(&mut app, w, h).contains("Generate"));
    }
    // Basic mode: the figures as text, no chart and no bar.
    let basic = Theme::chosen(Some(effprof::config::ThemeName::Plain), true);
    let screen = draw_with(&mut app, &basic, 160, 48);
    assert!(screen.contains(&format!("{kv} of")), "{screen}");
    assert!(screen.contains("prefill | decode"), "{screen}");
    for glyph in ['█', '⣀', '┌'] {
        assert!(!screen.contains(glyph), "`{glyph}`:\n{screen}");
    }
}

#[test]
fn generation_is_na_on_a_suite_that_runs_one_forward_pass() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Generate));
    assert!(app.update(Action::StartGeneration).is_empty());
    assert!(
        take_message(&mut app)
            .unwrap()
            .text
            .contains("generation needs a suite with prompt_len and gen_len")
    );
    assert!(draw(&mut app, 100, 30).contains("n/a: this suite runs one forward pass"));
}

#[test]
fn traced_rows_arrive_once_per_batch_and_reach_compare_ranks_and_snapshots() {
    let mut app = app_with_data();
    // The runtime records the passes off the UI thread, once per batch.
    let suite = app.trace_wanted().expect("nothing traced yet");
    let batch = suite.workload.batch;
    app.trace_started(batch);
    assert!(app.trace_wanted().is_none(), "asked once per batch");
    let counts = effprof::traced::trace_suite(&suite, u64::MAX);
    // Counts for a batch the app has left are dropped.
    app.on_traced(batch + 1, counts.clone());
    assert!(!app.table().rows.iter().any(|r| r.key == "flops_traced"));
    app.on_traced(batch, counts);
    let row = app
        .table()
        .rows
        .iter()
        .find(|r| r.key == "mem_traffic_traced")
        .expect("the traced rows are in Compare");
    assert!(
        row.cells
            .iter()
            .all(|c| matches!(c, effprof::report::Cell::Value { .. }))
    );
    let snapshot = app
        .snapshot(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .unwrap();
    assert!(
        snapshot
            .variants
            .iter()
            .all(|v| v.analytic.traced.is_some())
    );
    assert!(
        snapshot
            .ranks
            .ranks
            .iter()
            .any(|(key, _, _)| key == "mem_traffic_traced"),
        "traffic is ranked"
    );
    // Another batch asks again.
    app.update(Action::DoubleBatch);
    assert_eq!(
        app.trace_wanted().map(|s| s.workload.batch),
        Some(app.batch())
    );
}

#[test]
fn o_shows_the_focused_variants_operations_in_compare_and_back() {
    let mut app = app_with_data();
    // Before the trace is back the panel says so.
    app.update(Action::ToggleOps);
    assert_eq!(app.view(), View::Compare);
    assert!(draw(&mut app, 100, 30).contains("recording the forward passes"));
    let suite = app.trace_wanted().unwrap();
    app.trace_started(suite.workload.batch);
    let counts = effprof::traced::trace_suite(&suite, u64::MAX);
    app.on_traced(suite.workload.batch, counts);
    let screen = draw(&mut app, 100, 30);
    assert!(screen.contains("Ops · dense"), "{screen}");
    // tiny's dense model: 2 layers of 6 matmuls and the head.
    let matmul = screen
        .lines()
        .find(|l| l.contains("│matmul "))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(matmul.contains(" 13 "), "{matmul}");
    // The CSR variant's kernel runs on the host and says so.
    while app.focused_name() != "pruned-csr" {
        app.update(Action::FocusNext);
    }
    assert!(draw(&mut app, 100, 30).contains("csr_matmul (host)"));
    app.update(Action::ToggleOps);
    assert!(draw(&mut app, 100, 30).contains("Compare"));
    assert!(!app.show_ops());
}

#[test]
fn d_shows_the_focused_variant_by_module_in_compare_and_back() {
    let mut app = app_with_data();
    app.update(Action::ToggleModules);
    assert_eq!(app.view(), View::Compare);
    assert!(draw(&mut app, 120, 30).contains("counting the modules"));
    let suite = app.trace_wanted().unwrap();
    app.trace_started(suite.workload.batch);
    let doc = effprof::report::ModulesDocument::new(&suite).unwrap();
    app.on_modules(suite.workload.batch, doc.variants);
    let screen = draw(&mut app, 120, 30);
    assert!(screen.contains("Modules · dense"), "{screen}");
    // tiny's dense model: its two identical layers folded into one group of two.
    let layers = screen
        .lines()
        .find(|l| l.contains("layers 0-1"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(layers.contains("x2"), "{layers}");
    // o and d take turns; d again gives the table back.
    app.update(Action::ToggleOps);
    assert!(app.show_ops() && !app.show_modules());
    app.update(Action::ToggleModules);
    assert!(app.show_modules() && !app.show_ops());
    app.update(Action::ToggleModules);
    assert!(draw(&mut app, 120, 30).contains("Compare"));
    // Counted at another batch, the modules wait for this one's.
    app.update(Action::DoubleBatch);
    app.update(Action::ToggleModules);
    assert!(draw(&mut app, 120, 30).contains("counting the modules"));
}

#[test]
fn compare_scrolls_to_its_last_row_and_back_at_80x24() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Compare));
    let last = app.table().rows.last().unwrap().label;
    let total = app.table().rows.len();
    let screen = draw(&mut app, 80, 24);
    assert!(!screen.contains(last), "{screen}");
    assert!(
        screen.contains(&format!("rows 1-18 of {total}")),
        "{screen}"
    );
    // End: the last full screen, its last row the table's.
    app.update(Action::Scroll(Scroll::End));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains(last), "{screen}");
    assert!(
        screen.contains(&format!("rows {}-{total} of {total}", total - 17)),
        "{screen}"
    );
    // Past the end nothing moves; a page up and a line down move by what the screen holds.
    app.update(Action::Scroll(Scroll::Lines(5)));
    assert!(draw(&mut app, 80, 24).contains(&format!("rows {}-{total}", total - 17)));
    app.update(Action::Scroll(Scroll::Pages(-1)));
    app.update(Action::Scroll(Scroll::Lines(1)));
    // 0-based: the last screen starts at total - 18; a page up, then a line down.
    let offset = (total - 18).saturating_sub(18) + 1;
    assert!(
        draw(&mut app, 80, 24).contains(&format!("rows {}-{} of {total}", offset + 1, offset + 18)),
        "{}",
        draw(&mut app, 80, 24)
    );
    // Home, and another view starts at the top.
    app.update(Action::Scroll(Scroll::End));
    app.update(Action::Scroll(Scroll::Home));
    assert!(draw(&mut app, 80, 24).contains("rows 1-18"));
    app.update(Action::Scroll(Scroll::End));
    app.update(Action::ShowView(View::Ranks));
    app.update(Action::ShowView(View::Compare));
    assert!(draw(&mut app, 80, 24).contains("rows 1-18"));
}

/// The misnomer suite, measured: nine variants, more rows and names than 80x24 holds.
fn misnomer_app() -> App {
    let suite = spec::load_suite("misnomer").unwrap();
    let names: Vec<String> = suite.variants.iter().map(|v| v.name.clone()).collect();
    let mut app = App::new(suite, Backend::Ndarray, Host::unknown()).unwrap();
    for t in 1..=12 {
        let mut s = summary(t as f64);
        s.suite = "misnomer".into();
        s.variants = names
            .iter()
            .enumerate()
            .map(|(i, n)| variant(n, i))
            .collect();
        app.on_engine(EngineEvent::Summary(Box::new(s)));
    }
    app
}

#[test]
fn every_view_fits_80x24_100x30_and_160x48_and_scrolls_to_its_last_row() {
    let mut app = misnomer_app();
    app.on_engine(EngineEvent::SweepPoint(Box::new(sweep_point(
        1,
        &[("dense-base", 1e3), ("switch-8e", 2e3)],
    ))));
    for view in View::all() {
        app.update(Action::ShowView(view));
        for (w, h) in [(80u16, 24u16), (100, 30), (160, 48)] {
            let screen = draw(&mut app, w, h);
            let lines: Vec<&str> = screen.lines().collect();
            // The footer keeps its pinned keys; the tab bar names the view whole.
            let footer = lines.last().unwrap();
            assert!(
                footer.contains("? help") && footer.contains("q quit"),
                "{view:?} at {w}x{h}: {footer}"
            );
            assert!(
                lines[1].contains(view.title()),
                "{view:?} at {w}x{h}: {}",
                lines[1]
            );
            let name = format!("misnomer_{}_{w}x{h}", view.title().to_lowercase());
            insta::assert_snapshot!(name, screen);
        }
    }
    // Scrolled to the end at 80x24: the last row of Compare and of Ranks.
    for (view, last) in [
        (View::Compare, "heap peak / forward"),
        (View::Ranks, "cold"),
    ] {
        app.update(Action::ShowView(view));
        draw(&mut app, 80, 24);
        app.update(Action::Scroll(effprof::app::Scroll::End));
        let screen = draw(&mut app, 80, 24);
        assert!(screen.contains(last), "{view:?}:\n{screen}");
        let name = format!("misnomer_{}_80x24_end", view.title().to_lowercase());
        insta::assert_snapshot!(name, screen);
    }
}

#[test]
fn a_click_on_a_tab_shows_its_view_and_a_click_on_a_variant_focuses_it() {
    let mut app = misnomer_app();
    draw(&mut app, 80, 24);
    for tab in effprof::app::tab_bar(80, app.view()) {
        assert_eq!(
            app.action_at(tab.start + tab.width / 2, 1),
            Some(Action::ShowView(tab.view)),
            "{tab:?}"
        );
        if tab.start > 0 {
            assert_eq!(app.action_at(tab.start - 1, 1), None, "a divider: {tab:?}");
        }
    }
    // Live lists the variants; the third one's row focuses it.
    let screen = draw(&mut app, 160, 48);
    let row = screen
        .lines()
        .position(|l| l.contains("■ ") && l.contains("switch-8e"))
        .expect("the legend lists the variant") as u16;
    let column = 3;
    let action = app
        .action_at(column, row)
        .expect("a variant's row is clickable");
    app.update(action);
    assert_eq!(app.focused_name(), "switch-8e");
    // Compare: a click on a column's name.
    app.update(Action::ShowView(View::Compare));
    let screen = draw(&mut app, 160, 48);
    let header = screen.lines().nth(3).unwrap();
    let at = header.find("dense-base").expect("the baseline's column") as u16;
    // The screen's lines are quoted: one character before the first column.
    let column = header[..at as usize].chars().count() as u16 - 1;
    app.update(
        app.action_at(column + 1, 3)
            .expect("a column's name is clickable"),
    );
    assert_eq!(app.focused_name(), "dense-base");
}

#[test]
fn pipeline_timelines_scroll_on_a_short_screen() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Pipeline));
    app.on_engine(EngineEvent::Report(Report::Stages(Box::new(
        stage_latencies("dense", 4),
    ))));
    // Three timelines of four stages do not fit in 80x24: two do, the third is a scroll away.
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("timelines 1-2 of 3"), "{screen}");
    assert!(!screen.contains("inference"), "{screen}");
    app.update(Action::Scroll(effprof::app::Scroll::End));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("inference"), "{screen}");
}

#[test]
fn a_lost_remote_device_says_so_and_points_to_the_local_backends() {
    let mut app = app_with_data();
    let remote: Backend = "remote:ws://gpu-box:3000".parse().unwrap();
    let failure = || MeasureError::DeviceFailed {
        backend: remote,
        failure: effprof::error::DeviceFailure("Remote response channel closed".into()),
    };
    let lost = EngineError::Measure {
        variant: "dense".into(),
        backend: remote,
        error: failure(),
    };
    assert!(lost.lost_remote());
    app.on_engine(EngineEvent::Error(lost));
    let message = app.message().unwrap();
    assert!(message.is_error);
    assert!(message.text.contains("connection lost"), "{}", message.text);
    assert!(message.text.contains("b switches"), "{}", message.text);
    // The same failure on a local backend is not a lost connection.
    let local = EngineError::Measure {
        variant: "dense".into(),
        backend: Backend::Flex,
        error: MeasureError::DeviceFailed {
            backend: Backend::Flex,
            failure: effprof::error::DeviceFailure("out of memory".into()),
        },
    };
    assert!(!local.lost_remote());
}

/// The screen drawn with `theme`, as [`draw`] does with the plain one.
fn draw_with(app: &mut App, theme: &Theme, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let mut drawn = None;
    terminal
        .draw(|f| drawn = Some(ui::render(app, theme, f)))
        .unwrap();
    app.on_drawn(drawn.unwrap());
    format!("{}", terminal.backend())
}

/// Where `text` first stands on `screen` (as [`draw`] writes it: each row in quotes), as the
/// (column, row) of its first cell.
fn cell_of(screen: &str, text: &str) -> (u16, u16) {
    screen
        .lines()
        .enumerate()
        .find_map(|(row, line)| {
            let at = line.find(text)?;
            Some((line[..at].chars().count() as u16 - 1, row as u16))
        })
        .unwrap_or_else(|| panic!("`{text}` is not on the screen:\n{screen}"))
}

/// The place of each of `names` on the line of `screen` that holds `marker`, in screen order.
fn order_on(screen: &str, marker: &str, names: &[&str]) -> Vec<String> {
    let line = screen
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no `{marker}`:\n{screen}"));
    line.split(|c: char| c.is_whitespace() || c == '│' || c == '"')
        .filter(|w| names.contains(w))
        .map(str::to_owned)
        .collect()
}

#[test]
fn compare_and_ranks_sorted_by_an_indicator_and_inverted() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Compare));
    app.update(Action::SortBy("params_total"));
    let screen = draw(&mut app, 160, 48);
    assert!(screen.contains("sorted by params total ↑"), "{screen}");
    // Parameters: universal 13.2 k, the pruned ones 21.8 k (in the suite's order), the MoEs
    // 34.1 k and 47.2 k; the baseline first whatever its count.
    let names = |app: &App| -> Vec<String> {
        app.shown()
            .iter()
            .map(|&i| app.analytic()[i].name.clone())
            .collect()
    };
    assert_eq!(
        names(&app),
        [
            "dense",
            "universal",
            "pruned-dense",
            "pruned-csr",
            "moe-matched",
            "moe"
        ]
    );
    // The screen shows them in that order, as many as fit.
    let order = order_on(&screen, "indicator", &TINY);
    assert!(order.len() >= 3, "{screen}");
    assert_eq!(order, names(&app)[..order.len()], "{screen}");
    insta::assert_snapshot!("compare_sorted_160x48", screen);
    // The same indicator again: the other way round.
    app.update(Action::SortBy("params_total"));
    let screen = draw(&mut app, 160, 48);
    assert!(screen.contains("sorted by params total ↓"), "{screen}");
    assert_eq!(
        names(&app),
        [
            "dense",
            "moe",
            "moe-matched",
            "pruned-dense",
            "pruned-csr",
            "universal"
        ]
    );
    let order = order_on(&screen, "indicator", &TINY);
    assert_eq!(order, names(&app)[..order.len()], "{screen}");
    // ← → follow the order shown: from the baseline to the most parameters.
    app.update(Action::FocusNext);
    assert_eq!(app.focused_name(), "moe");
    // Ranks: the variants in the same order, and the indicators by agreement with the sort.
    app.update(Action::ShowView(View::Ranks));
    let ranks = draw(&mut app, 160, 48);
    assert_eq!(
        order_on(&ranks, "rank (1 = cheapest)", &TINY),
        names(&app),
        "{ranks}"
    );
    let first_row = ranks
        .lines()
        .skip_while(|l| !l.contains("rank (1 = cheapest)"))
        .nth(1)
        .unwrap();
    assert!(first_row.contains("params ↓"), "{ranks}");
    insta::assert_snapshot!("ranks_sorted_160x48", ranks);
}

#[test]
fn a_click_on_an_indicator_sorts_by_it() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Compare));
    let screen = draw(&mut app, 160, 48);
    let (x, y) = cell_of(&screen, "latency p50");
    let action = app.action_at(x, y);
    assert_eq!(action, Some(Action::SortBy("latency_p50")), "{screen}");
    app.update(action.unwrap());
    assert!(draw(&mut app, 160, 48).contains("sorted by latency p50 ↑"));
    // At 80 columns the focused column does not fit whole and the layout narrows it: a click
    // on the name where it is drawn still focuses it.
    let screen = draw(&mut app, 80, 24);
    let second = app.analytic()[app.shown()[1]].name.clone();
    let (x, y) = cell_of(&screen, &format!(" {second} "));
    for x in [x + 1, x + second.len() as u16] {
        assert_eq!(
            app.action_at(x, y),
            Some(Action::Focus(app.shown()[1])),
            "{screen}"
        );
    }
}

#[test]
fn a_filter_keeps_the_baseline_and_the_variants_it_names() {
    let mut app = app_with_data();
    app.update(Action::ShowView(View::Compare));
    app.update(Action::Filter(FilterKey::Open));
    for c in "family:pruned".chars() {
        app.update(Action::Filter(FilterKey::Char(c)));
    }
    let typing = draw(&mut app, 100, 30);
    assert!(
        typing.contains("/family:pruned█  3 of 6 variants  Enter keeps"),
        "{typing}"
    );
    app.update(Action::Filter(FilterKey::Apply));
    let screen = draw(&mut app, 100, 30);
    assert!(screen.contains("filter family:pruned (3 of 6)"), "{screen}");
    let shown: Vec<&str> = app
        .shown()
        .iter()
        .map(|&i| app.analytic()[i].name.as_str())
        .collect();
    assert_eq!(shown, ["dense", "pruned-dense", "pruned-csr"]);
    assert_eq!(
        order_on(&screen, "indicator", &TINY),
        ["dense", "pruned-dense"],
        "{screen}"
    );
    insta::assert_snapshot!("compare_filtered_100x30", screen);
    // The focus moves onto a variant shown.
    assert!(app.focused_name() == "dense" || app.focused_name().starts_with("pruned"));
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    assert!(["dense", "pruned-dense", "pruned-csr"].contains(&app.focused_name()));
    // Live lists the same variants.
    app.update(Action::ShowView(View::Live));
    let live = draw(&mut app, 100, 30);
    assert!(
        live.contains("pruned-csr") && !live.contains("moe-matched"),
        "{live}"
    );
    // Esc while typing clears it.
    app.update(Action::Filter(FilterKey::Open));
    app.update(Action::Filter(FilterKey::Clear));
    assert!(app.filter().is_empty());
    assert_eq!(app.shown().len(), 6);
}

#[test]
fn basic_mode_draws_no_border_and_no_chart() {
    let mut app = app_with_data();
    let basic = Theme::chosen(Some(effprof::config::ThemeName::Plain), true);
    let live = draw_with(&mut app, &basic, 100, 30);
    for glyph in ['┌', '┐', '└', '┘', '─', '⣀', '█'] {
        assert!(!live.contains(glyph), "`{glyph}` in basic mode:\n{live}");
    }
    // The figures are there as text, with the share the gauge would have drawn.
    assert!(live.contains("throughput (of the best seen)"), "{live}");
    insta::assert_snapshot!("live_basic_100x30", live);
    app.update(Action::ShowView(View::Compare));
    let compare = draw_with(&mut app, &basic, 80, 24);
    assert!(
        !compare.contains('┌') && compare.contains("params total"),
        "{compare}"
    );
    insta::assert_snapshot!("compare_basic_80x24", compare);
    // A click on a variant's name still focuses it, one cell further left than with borders
    // (on a screen where the columns keep their widths).
    let compare = draw_with(&mut app, &basic, 100, 30);
    let (x, y) = cell_of(&compare, " moe ");
    assert_eq!(app.action_at(x + 1, y), Some(Action::Focus(1)), "{compare}");
    app.update(Action::ShowView(View::Routing));
    // Every view draws in basic mode at the smallest size, without a box character.
    for view in [
        View::Ranks,
        View::Pipeline,
        View::Sweep,
        View::Roofline,
        View::Train,
    ] {
        app.update(Action::ShowView(view));
        let screen = draw_with(&mut app, &basic, 80, 24);
        for glyph in ['┌', '└', '─', '│'] {
            assert!(!screen.contains(glyph), "{view:?}: `{glyph}`\n{screen}");
        }
    }
    app.update(Action::ShowView(View::Routing));
    let routing = draw_with(&mut app, &basic, 100, 30);
    assert!(
        routing.contains("MoE layer 0: capacity 8, dropped 3"),
        "{routing}"
    );
    assert!(!routing.contains('█'), "{routing}");
}
