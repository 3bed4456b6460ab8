//! The burn models: built on real backends, counted by burn, run forward.

use burn::prelude::*;
use burn::tensor::Tolerance;
use effprof::backend::{Backend, WgpuAdapter};
use effprof::cost;
use effprof::family::{Family, Kernel};
use effprof::spec::{self, Suite};
use effprof::zoo::{self, BuildError, RoutingStats, route};

const NO_LIMIT: u64 = u64::MAX;

fn tiny() -> Suite {
    spec::load_suite("tiny").unwrap()
}

#[test]
fn tiny_suite_covers_every_family_and_kernel() {
    let suite = tiny();
    let has = |f: &dyn Fn(&Family) -> bool| suite.variants.iter().any(|v| f(&v.family));
    assert!(has(&|f| matches!(f, Family::Dense)));
    assert!(has(&|f| matches!(f, Family::Moe(_))));
    assert!(has(&|f| matches!(f, Family::Universal)));
    assert!(has(
        &|f| matches!(f, Family::Pruned(p) if p.kernel == Kernel::Dense)
    ));
    assert!(has(
        &|f| matches!(f, Family::Pruned(p) if p.kernel == Kernel::Csr)
    ));
}

#[test]
fn analytic_parameters_equal_burn_num_params() {
    let suite = tiny();
    for v in &suite.variants {
        let model = zoo::build(v, &suite.workload, Backend::Flex, NO_LIMIT).unwrap();
        let report = cost::analyze(v, &suite.workload).unwrap();
        // A CSR layer holds only its non-zeros as parameters; PyTorch's count (params_total)
        // counts the pruned weight in full.
        let expected = match v.family {
            Family::Pruned(p) if p.kernel == Kernel::Csr => report.params_active,
            _ => report.params_total,
        };
        assert_eq!(model.num_params() as u64, expected, "{}", v.name);
    }
}

#[test]
fn default_suite_parameters_equal_burn_num_params() {
    let suite = spec::load_suite("misnomer").unwrap();
    for v in suite
        .variants
        .iter()
        .filter(|v| !matches!(v.family, Family::Pruned(p) if p.kernel == Kernel::Csr))
    {
        let model = zoo::build(v, &suite.workload, Backend::Flex, NO_LIMIT).unwrap();
        let report = cost::analyze(v, &suite.workload).unwrap();
        assert_eq!(model.num_params() as u64, report.params_total, "{}", v.name);
    }
}

fn forward_every_variant(backend: Backend) {
    let suite = tiny();
    let w = &suite.workload.token_workload().unwrap();
    let device = backend.device().unwrap();
    for v in &suite.variants {
        let model = zoo::build_lm(v, &suite.workload, backend, NO_LIMIT, "a test").unwrap();
        let out = model.forward(zoo::random_tokens(w, &device));
        assert_eq!(
            out.logits.dims(),
            [w.batch, w.seq_len, w.vocab],
            "{}",
            v.name
        );
        let values: Vec<f32> = out.logits.into_data().iter::<f32>().collect();
        assert!(
            values.iter().all(|x| x.is_finite()),
            "{} on {backend}",
            v.name
        );
        assert!(values.iter().any(|x| *x != 0.0), "{} on {backend}", v.name);
        let moe_layers = match v.family {
            Family::Moe(m) => (0..v.dims.unwrap().n_layers)
                .filter(|l| m.is_moe_layer(*l))
                .count(),
            _ => 0,
        };
        assert_eq!(out.routing.len(), moe_layers, "{}", v.name);
        for r in out.routing {
            let stats = r.read();
            let Family::Moe(m) = v.family else {
                unreachable!()
            };
            // Every token makes k choices.
            assert_eq!(
                stats.assigned.iter().sum::<u64>(),
                (m.top_k * w.tokens()) as u64
            );
            assert_eq!(
                stats.processed + stats.dropped,
                (m.top_k * w.tokens()) as u64
            );
        }
    }
}

#[test]
fn every_family_runs_forward_on_ndarray() {
    forward_every_variant(Backend::Ndarray);
}

#[test]
fn every_family_runs_forward_on_flex() {
    forward_every_variant(Backend::Flex);
}

#[test]
fn backends_build_identical_models_from_one_seed() {
    let suite = tiny();
    let v = suite.variant("moe").unwrap();
    let logits = |backend: Backend| {
        let model = zoo::build_lm(v, &suite.workload, backend, NO_LIMIT, "a test").unwrap();
        let tokens = suite.workload.token_workload().unwrap();
        model
            .forward(zoo::random_tokens(&tokens, &backend.device().unwrap()))
            .logits
            .into_data()
    };
    logits(Backend::Ndarray).assert_approx_eq::<f32>(&logits(Backend::Flex), Tolerance::default());
}

#[test]
fn fused_attention_computes_what_explicit_attention_does() {
    // The same weights (one seed, one architecture); only how attention runs differs.
    let text = spec::BUILTIN_SUITES
        .iter()
        .find(|b| b.name == "attention")
        .unwrap()
        .text
        .replace("seq_len = 512", "seq_len = 64");
    let suite = spec::parse_suite(&text, "attention-short").unwrap();
    let w = &suite.workload;
    for backend in [Backend::Flex, Backend::Ndarray] {
        let device = backend.device().unwrap();
        let run = |name: &str| {
            let v = suite.variant(name).unwrap();
            let model = zoo::build_lm(v, w, backend, NO_LIMIT, "a test").unwrap();
            model
                .forward(zoo::random_tokens(&w.token_workload().unwrap(), &device))
                .logits
                .into_data()
        };
        let fused = run("fused");
        let explicit = run("explicit");
        fused.assert_approx_eq::<f32>(&explicit, Tolerance::absolute(1e-3));
    }
}

#[test]
fn csr_kernel_computes_what_the_masked_dense_kernel_does() {
    // Same architecture and sparsity, so the same seed and the same pruned weights.
    let suite = spec::parse_suite(
        &spec::BUILTIN_SUITES
            .iter()
            .find(|b| b.name == "tiny")
            .unwrap()
            .text
            .replace("sparsity = 0.5", "sparsity = 0.75"),
        "tiny-equal-sparsity",
    )
    .unwrap();
    let w = &suite.workload;
    let device = Backend::Ndarray.device().unwrap();
    let run = |name: &str| {
        let v = suite.variant(name).unwrap();
        let model = zoo::build_lm(v, w, Backend::Ndarray, NO_LIMIT, "a test").unwrap();
        model
            .forward(zoo::random_tokens(&w.token_workload().unwrap(), &device))
            .logits
            .into_data()
    };
    let csr = run("pruned-csr");
    let masked = run("pruned-dense");
    csr.assert_approx_eq::<f32>(&masked, Tolerance::absolute(1e-3));
    // And pruning changed the model: the dense variant differs.
    let dense = run("dense");
    let diff: f32 = dense
        .iter::<f32>()
        .zip(masked.iter::<f32>())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(
        diff > 1e-2,
        "pruning 75% of the weights must change the output"
    );
}

#[test]
fn routing_matches_a_hand_computed_case() {
    // 6 tokens, 3 experts, capacity 2. Top-1 choices: e0, e0, e1, e0, e2, e0.
    // e0 gets tokens 0, 1 (slots 0, 1); tokens 3 and 5 are over capacity and dropped.
    let device = Backend::Ndarray.device().unwrap();
    let probs = Tensor::<2>::from_data(
        [
            [0.7, 0.2, 0.1],
            [0.5, 0.3, 0.2],
            [0.15, 0.8, 0.05],
            [0.6, 0.3, 0.1],
            [0.25, 0.15, 0.6],
            [0.9, 0.06, 0.04],
        ],
        &device,
    );
    let d = route(probs.clone(), 1, 2, false);
    let slots: Vec<i64> = d.slots[0].clone().into_data().iter::<i64>().collect();
    let dump = 3 * 2;
    assert_eq!(slots, [0, 1, 2, dump, 4, dump]);
    let gates: Vec<f32> = d.gates[0].clone().into_data().iter::<f32>().collect();
    assert_eq!(gates, [0.7, 0.5, 0.8, 0.6, 0.6, 0.9]);
    let assigned: Vec<i64> = d.assigned.into_data().iter::<i64>().collect();
    assert_eq!(assigned, [4, 1, 1]);

    let stats = RoutingStats::from_assigned(vec![4, 1, 1], 2);
    assert_eq!(stats.dropped, 2);
    assert_eq!(stats.processed, 4);
    assert!((stats.imbalance - 2.0).abs() < 1e-12); // max 4 / mean 2

    // Top-2: second choices queue after every first choice.
    // Second choices: e1, e1, e0, e1, e0, e1.
    let d = route(probs, 2, 3, false);
    let first: Vec<i64> = d.slots[0].clone().into_data().iter::<i64>().collect();
    // e0 has capacity 3: tokens 0, 1, 3 fit (slots 0, 1, 2); token 5 is dropped (dump = 9).
    assert_eq!(first, [0, 1, 3, 2, 6, 9]);
    let second: Vec<i64> = d.slots[1].clone().into_data().iter::<i64>().collect();
    // e1 already holds token 2 (slot 3): token 0 -> 4, token 1 -> 5, tokens 3 and 5 dropped;
    // e0 is full, so the second choices of tokens 2 and 4 are dropped.
    assert_eq!(second, [4, 5, 9, 9, 9, 9]);
}

#[test]
fn models_over_the_memory_limit_are_refused_before_allocation() {
    let suite = tiny();
    let v = suite.variant("dense").unwrap();
    let err = zoo::build(v, &suite.workload, Backend::Ndarray, 1000).unwrap_err();
    let estimate = cost::analyze(v, &suite.workload)
        .unwrap()
        .totals
        .memory_estimate_bytes;
    assert!(matches!(err, BuildError::TooLarge { estimate: e, .. } if e == estimate));
    let msg = err.to_string();
    assert!(
        msg.contains("`dense` needs an estimated") && msg.contains("over the limit of 1.00 kB"),
        "{msg}"
    );
}

#[test]
fn csr_is_unsupported_on_wgpu_rather_than_falling_back() {
    let suite = tiny();
    let v = suite.variant("pruned-csr").unwrap();
    // Refused before any adapter is looked up.
    let err = zoo::build(
        v,
        &suite.workload,
        Backend::Wgpu(WgpuAdapter::Default),
        NO_LIMIT,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unsupported on wgpu"), "{err}");
}
