//! Your own model through `effprof::custom`: made into a suite, measured by the engine as
//! `bench` measures the zoo, counted by burn and from its recorded forward pass, written as a
//! snapshot, and its analytic rows saying why they are missing.

use std::sync::atomic::{AtomicUsize, Ordering};

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use effprof::backend::Backend;
use effprof::custom::{Profile, ProfileError};
use effprof::engine::EngineConfig;
use effprof::headless::Stop;
use effprof::report::Cell;
use effprof::snapshot::Snapshot;
use effprof::traced::Traced;

#[derive(Module, Debug)]
struct Tiny {
    layer: Linear,
}

fn tiny(d: &Device) -> Tiny {
    Tiny {
        layer: LinearConfig::new(8, 16).init(d),
    }
}

fn ones(d: &Device, batch: usize) -> Tensor<2> {
    Tensor::ones([batch, 8], d)
}

fn profile() -> Profile {
    let mut profile = Profile::new("tiny", 3);
    profile
        .variant("linear", tiny, ones, |m, x| m.layer.forward(x))
        .variant(
            // Its forward pass reads a value back to the host: it can be timed, not recorded.
            "reads-back",
            tiny,
            ones,
            |m, x| {
                let y = m.layer.forward(x);
                let scale: f32 = y.clone().sum().into_scalar();
                y.mul_scalar(scale)
            },
        );
    profile
}

#[test]
fn an_own_model_is_measured_traced_and_written_as_a_snapshot() {
    let (snapshot, last) = profile()
        .bench(Backend::Ndarray, Stop::Iterations(3))
        .unwrap();
    let linear = &snapshot.variants[0];
    assert_eq!(linear.analytic.name, "linear");
    assert!(linear.analytic.cost.is_none());
    // Linear(8, 16) with a bias: 8·16 + 16 parameters; 2·3·8·16 FLOPs (the bias add is not
    // counted, by torch's rule); the matmul reads [3, 8] and [8, 16] and writes [3, 16].
    let Some(Traced::Counted(c)) = &linear.analytic.traced else {
        panic!("{:?}", linear.analytic.traced)
    };
    assert_eq!(c.params, 8 * 16 + 16);
    assert_eq!(c.flops, 2 * 3 * 8 * 16);
    let matmul = c.kind("matmul").unwrap();
    assert_eq!(matmul.bytes_read, 4 * (3 * 8 + 8 * 16));
    assert_eq!(matmul.bytes_written, 4 * 3 * 16);
    // Nothing of the initialisation is in the pass: no drawing of random weights.
    assert!(c.kind("random").is_none(), "{c:?}");
    for v in &last.variants {
        assert!(v.latency.is_some_and(|l| l.iterations >= 3), "{v:?}");
        // No formula counts its FLOPs, so none is made up per second.
        assert!(v.flops_per_s.is_none(), "{v:?}");
    }

    let back = &snapshot.variants[1];
    match &back.analytic.traced {
        Some(Traced::NotAvailable { why }) => assert!(why.contains("reads values back"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(back.measured.latency.is_some());

    let table = snapshot.table();
    let row = |key: &str| table.rows.iter().find(|r| r.key == key).unwrap();
    assert!(
        matches!(&row("flops_executed").cells[0], Cell::NotAvailable(why) if why == "not a built-in family")
    );
    assert!(matches!(&row("flops_traced").cells[0], Cell::Value { value, .. } if *value == 768.0));
    assert!(matches!(
        &row("flops_traced").cells[1],
        Cell::NotAvailable(_)
    ));
    let text = table.to_text(None);
    assert!(text.contains("n/a: not a built-in family"), "{text}");

    // The snapshot is the one `bench` writes: it reads back as it was written.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let loaded = Snapshot::load(&path).unwrap();
    assert_eq!(loaded.variants.len(), 2);
    assert!(loaded.variants[0].analytic.cost.is_none());
    assert_eq!(loaded.variants[0].analytic.traced, linear.analytic.traced);
}

#[test]
fn the_engine_hands_an_own_model_the_batch_it_measures() {
    static SEEN: AtomicUsize = AtomicUsize::new(0);
    let mut profile = Profile::new("batch", 2);
    profile.variant(
        "linear",
        tiny,
        |d, batch| {
            SEEN.store(batch, Ordering::SeqCst);
            ones(d, batch)
        },
        |m, x| m.layer.forward(x),
    );
    let suite = profile.suite().unwrap();
    let mut config = EngineConfig::new(suite, Backend::Ndarray, u64::MAX);
    config.batch = 5;
    let last = effprof::headless::run(config, Stop::Iterations(2), |_| {}).unwrap();
    assert_eq!(SEEN.load(Ordering::SeqCst), 5);
    assert_eq!(last.run.batch, 5);
    let p50 = last.variants[0].latency.unwrap().p50_s;
    let per_s = last.variants[0].samples_per_s.unwrap();
    assert!(per_s > 0.0 && p50 > 0.0);
}

#[test]
fn a_profile_that_cannot_be_measured_says_why() {
    let empty = Profile::new("empty", 1);
    assert!(matches!(empty.suite(), Err(ProfileError::NoVariants(_))));

    let mut twice = Profile::new("twice", 1);
    twice
        .variant("a", tiny, ones, |m, x| m.layer.forward(x))
        .variant("a", tiny, ones, |m, x| m.layer.forward(x));
    let e = twice.suite().unwrap_err();
    assert!(e.to_string().contains("two variants are named `a`"), "{e}");

    let mut no_batch = Profile::new("no-batch", 0);
    no_batch.variant("a", tiny, ones, |m, x| m.layer.forward(x));
    let e = no_batch.suite().unwrap_err();
    assert!(e.to_string().contains("between 1 and"), "{e}");
}
