//! Pipeline stages measured for real on the CPU backends: every stage has a forward latency, a
//! training forward and a backward; the CSR kernel says why it has no backward; a stage count
//! the variant cannot hold is refused.

use std::time::Duration;

use effprof::backend::Backend;
use effprof::pipeline::{Mode, PipelineReport, measure_stages, textbook_bubble};
use effprof::spec;

const BUDGET: Duration = Duration::from_millis(30);

#[test]
fn stages_of_dense_and_moe_on_ndarray_and_flex() {
    let suite = spec::load_suite("tiny").unwrap();
    for backend in [Backend::Ndarray, Backend::Flex] {
        for name in ["dense", "moe", "universal"] {
            let v = suite.variant(name).unwrap();
            let s = measure_stages(v, &suite.workload, backend, 2, u64::MAX, BUDGET).unwrap();
            assert_eq!(s.layers.len(), 2);
            assert_eq!(s.layers.last().unwrap().end, v.dims.unwrap().n_layers);
            let backward = s.backward_s.as_ref().expect("autodiff gives a backward");
            let train = s.train_forward_s.as_ref().unwrap();
            for stage in 0..2 {
                assert!(s.forward_s[stage] > 0.0, "{name} on {backend}");
                assert!(
                    train[stage] > 0.0 && backward[stage] > 0.0,
                    "{name} on {backend}"
                );
            }
            // The simulated bubble of real, unequal stages is at least the textbook one: equal
            // stages minimise it.
            let report = PipelineReport::new(s, &[4]);
            for p in &report.points {
                assert!(
                    p.bubble_fraction >= textbook_bubble(2, 4) - 1e-9,
                    "{name}: {p:?}"
                );
                assert!(p.samples_per_s > 0.0);
            }
            assert!(report.points.iter().any(|p| p.mode == Mode::Training));
        }
    }
}

#[test]
fn csr_has_no_backward_and_too_many_stages_are_refused() {
    let suite = spec::load_suite("tiny").unwrap();
    let csr = suite.variant("pruned-csr").unwrap();
    let s = measure_stages(csr, &suite.workload, Backend::Ndarray, 1, u64::MAX, BUDGET).unwrap();
    assert!(s.backward_s.is_none());
    assert!(s.backward_na.as_ref().unwrap().contains("no backward"));
    assert_eq!(
        PipelineReport::new(s, &[2]).points.len(),
        1,
        "inference only"
    );

    let dense = suite.variant("dense").unwrap();
    let e = measure_stages(
        dense,
        &suite.workload,
        Backend::Ndarray,
        3,
        u64::MAX,
        BUDGET,
    )
    .unwrap_err();
    assert!(
        matches!(
            &e,
            effprof::error::MeasureError::NotApplicable(effprof::error::NotApplicable::Stages {
                stages: 3,
                layers: 2,
                ..
            })
        ) && e.to_string().contains("1 to 2 stages"),
        "{e}"
    );
}
