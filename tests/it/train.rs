//! Time to convergence on the tiny suite: a variant reaches the target above the task's floor
//! within a bounded number of steps, never beats the floor, and a target below the floor is
//! reported as not reached with the best loss.

use std::time::Duration;

use effprof::backend::Backend;
use effprof::spec;
use effprof::train::{TrainConfig, task, train_variant};

#[test]
fn dense_reaches_the_target_above_the_floor_within_bounded_steps() {
    let suite = spec::load_suite("tiny").unwrap();
    let v = suite.variant("dense").unwrap();
    let config = TrainConfig {
        max_steps: 4000,
        max_time: Duration::from_secs(120),
        ..TrainConfig::default()
    };
    let mut seen = 0;
    let run = train_variant(
        v,
        &suite.workload,
        Backend::Ndarray,
        u64::MAX,
        &config,
        |step, _, _| seen = step,
    )
    .unwrap();
    assert!(run.reached, "{:?}", run.note);
    assert_eq!(seen, run.steps, "every step is reported");
    assert!(run.steps < 4000);
    let floor = task(&suite.workload.token_workload().unwrap()).entropy_rate();
    assert_eq!(run.floor, floor);
    assert!((run.target - (floor + 0.1)).abs() < 1e-12);
    // Learning happened: from about ln(vocab) down to the target, and never below the floor
    // by more than the noise of a 32-token batch.
    assert!(
        run.losses[0].1 > 3.5,
        "starts near ln 64: {:?}",
        run.losses[0]
    );
    assert!(
        run.best_loss <= run.target && run.best_loss > floor - 0.1,
        "{run:?}"
    );
    assert_eq!(run.tokens, (run.steps * 32) as u64);
    let per_step = effprof::cost::analyze(v, &suite.workload)
        .unwrap()
        .totals
        .train_flops;
    assert_eq!(run.train_flops, per_step * run.steps as u64);
}

#[test]
fn a_target_below_the_floor_is_not_reached_and_says_so() {
    let suite = spec::load_suite("tiny").unwrap();
    let floor = task(&suite.workload.token_workload().unwrap()).entropy_rate();
    let config = TrainConfig {
        target_loss: Some(floor - 0.5),
        max_steps: 30,
        ..TrainConfig::default()
    };
    let v = suite.variant("moe").unwrap();
    let run = train_variant(
        v,
        &suite.workload,
        Backend::Flex,
        u64::MAX,
        &config,
        |_, _, _| {},
    )
    .unwrap();
    assert!(!run.reached);
    assert_eq!(run.steps, 30);
    assert!(run.note.unwrap().contains("not reached in 30 steps"));
    assert!(run.best_loss.is_finite());

    let csr = suite.variant("pruned-csr").unwrap();
    let e = train_variant(
        csr,
        &suite.workload,
        Backend::Ndarray,
        u64::MAX,
        &config,
        |_, _, _| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            &e,
            effprof::error::MeasureError::NotApplicable(
                effprof::error::NotApplicable::NoBackward { .. }
            )
        ) && e.to_string().contains("no backward"),
        "{e}"
    );
}
