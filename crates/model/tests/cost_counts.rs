//! The analytic cost model against counts derived by hand, and the default suite's matches.

use effprof_model::arch::{
    Attention, Dims, Input, LmOptions, MatchBy, TokenShape, Variant, Workload,
};
use effprof_model::cost::{self, LayerKind};
use effprof_model::family::{Family, Kernel, MoeSpec, PruneSpec};
use effprof_model::spec;

/// B=2, S=3 (T=6), V=5, d=4, h=2, f=6.
fn workload() -> Workload {
    Workload {
        batch: 2,
        input: Input::Tokens(TokenShape {
            seq_len: 3,
            vocab: 5,
            gen_len: None,
        }),
        seed: 0,
        baseline: "x".into(),
    }
}

fn variant(family: Family, n_layers: usize) -> Variant {
    Variant {
        name: "x".into(),
        dims: Some(Dims {
            d_model: 4,
            n_heads: 2,
            d_ff: 6,
            n_layers,
            attention: Attention::Explicit,
            options: LmOptions::default(),
        }),
        family,
        matched: None,
        numerics: Default::default(),
        precision: Default::default(),
        weights: None,
    }
}

#[test]
fn dense_counts_by_hand() {
    let r = cost::analyze(&variant(Family::Dense, 1), &workload()).unwrap();
    // Embeddings 5*4 + 3*4 = 32; attention LN 8 + 4*(16+4) = 88; FFN LN 8 + (24+6) + (24+4) = 66;
    // final LN 8; head 5*4 = 20.
    assert_eq!(r.params_total, 32 + 88 + 66 + 8 + 20);
    assert_eq!(r.params_active, r.params_total);
    // Q,K,V,O 4 * 2*6*4*4 = 768; scores + weighted sum 4*B*S*S*d = 288; FFN 2 * 2*6*4*6 = 576;
    // head 2*6*4*5 = 240.
    let flops = 768 + 288 + 576 + 240;
    assert_eq!(r.totals.flops_dense, flops);
    assert_eq!(r.totals.flops_useful, flops);
    assert_eq!(r.totals.flops_executed, flops);
    assert_eq!(r.totals.macs, flops / 2);
    assert_eq!(r.totals.train_flops, 3 * flops);

    let kinds: Vec<LayerKind> = r.layers.iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        [
            LayerKind::Embedding,
            LayerKind::Attention,
            LayerKind::Ffn,
            LayerKind::Norm,
            LayerKind::Head
        ]
    );
    let head = r.layers.last().unwrap();
    // Head: weights 20*4 B, reads 6*4 activations, writes 6*5 logits.
    assert_eq!(head.counts.weight_bytes, 80);
    assert_eq!(head.counts.act_read_bytes, 96);
    assert_eq!(head.counts.act_written_bytes, 120);
    assert_eq!(
        r.totals.mem_access_bytes,
        r.layers
            .iter()
            .map(|l| l.counts.mem_access_bytes())
            .sum::<u64>()
    );
    assert!(
        (r.totals.arithmetic_intensity - flops as f64 / r.totals.mem_access_bytes as f64).abs()
            < 1e-12
    );
    // The largest live set is the attention layer's: x, q, k, v (4 * 6*4) + 2 score tensors
    // (2 * B*H*S*S = 2 * 36), f32.
    assert_eq!(r.totals.activation_peak_bytes, (4 * 24 + 72) * 4);
    assert_eq!(r.totals.param_bytes, r.params_total * 4);
}

#[test]
fn fused_attention_moves_no_scores_and_does_the_same_flops() {
    let explicit = variant(Family::Dense, 1);
    let mut fused = explicit.clone();
    fused.dims.as_mut().unwrap().attention = Attention::Fused;
    let e = cost::analyze(&explicit, &workload()).unwrap();
    let f = cost::analyze(&fused, &workload()).unwrap();
    let attention = |r: &cost::CostReport| {
        r.layers
            .iter()
            .find(|l| l.kind == LayerKind::Attention)
            .unwrap()
            .clone()
    };
    let (ea, fa) = (attention(&e), attention(&f));
    assert_eq!(e.totals.flops_executed, f.totals.flops_executed);
    assert_eq!(e.params_total, f.params_total);
    // B*H*S*S = 2*2*3*3 = 36 scores. Explicit: q @ k^T reads q, k (2 * T*d = 48) and writes
    // the scores (36); softmax reads and writes them (36 + 36); @ v reads them and v (36 + 24)
    // and writes the context (24). Fused: reads q, k, v (72), writes the context (24).
    let explicit_core = (48 + 36 + 36 + 36 + 36 + 24 + 24) * 4;
    let fused_core = (72 + 24) * 4;
    assert_eq!(
        ea.counts.mem_access_bytes() - fa.counts.mem_access_bytes(),
        explicit_core - fused_core
    );
    assert_eq!(
        e.totals.mem_access_bytes - f.totals.mem_access_bytes,
        explicit_core - fused_core
    );
    // Peak: x, q, k, v (4 * 24) and, explicit, two score tensors (72), fused, the context (24).
    assert_eq!(ea.activation_peak_bytes, (4 * 24 + 72) * 4);
    assert_eq!(fa.activation_peak_bytes, (4 * 24 + 24) * 4);
}

fn moe(capacity_factor: f64, top_k: usize) -> Family {
    Family::Moe(MoeSpec::new(2, top_k, capacity_factor, 1))
}

#[test]
fn moe_counts_by_hand() {
    let dense = cost::analyze(&variant(Family::Dense, 1), &workload()).unwrap();
    let r = cost::analyze(&variant(moe(1.0, 1), 1), &workload()).unwrap();
    let expert_params = 4 * 6 + 6 + 6 * 4 + 4; // 58
    let ffn = r.layers.iter().find(|l| l.kind == LayerKind::Moe).unwrap();
    // LN 8 + router 4*2 + 2 experts.
    assert_eq!(ffn.params, 8 + 8 + 2 * expert_params);
    assert_eq!(ffn.params_active, 8 + 8 + expert_params);
    assert_eq!(r.params_total, dense.params_total - 66 + ffn.params);
    // Router 2*6*4*2 = 96. Capacity ceil(1*6/2*1.0) = 3, so E*C = 6 slots = every token.
    let per_token = 4 * 4 * 6;
    assert_eq!(ffn.counts.flops_dense, 96 + 2 * 6 * per_token);
    assert_eq!(ffn.counts.flops_useful, 96 + 6 * per_token);
    assert_eq!(ffn.counts.flops_executed, 96 + 6 * per_token);

    // Capacity factor 0.5: C = ceil(1.5) = 2, 4 slots; useful = min(6, 4) tokens.
    let r = cost::analyze(&variant(moe(0.5, 1), 1), &workload()).unwrap();
    let ffn = r.layers.iter().find(|l| l.kind == LayerKind::Moe).unwrap();
    assert_eq!(ffn.counts.flops_useful, 96 + 4 * per_token);
    assert_eq!(ffn.counts.flops_executed, 96 + 4 * per_token);

    // Top-2 with capacity factor 2: C = ceil(2*6/2*2) = 12, 24 slots padded, 12 choices useful.
    let r = cost::analyze(&variant(moe(2.0, 2), 1), &workload()).unwrap();
    let ffn = r.layers.iter().find(|l| l.kind == LayerKind::Moe).unwrap();
    assert_eq!(ffn.counts.flops_useful, 96 + 12 * per_token);
    assert_eq!(ffn.counts.flops_executed, 96 + 24 * per_token);
    assert_eq!(ffn.params_active, 8 + 8 + 2 * expert_params);
}

#[test]
fn moe_every_other_layer() {
    let every2 = Family::Moe(MoeSpec::new(2, 1, 1.0, 2));
    let r = cost::analyze(&variant(every2, 4), &workload()).unwrap();
    let names: Vec<&str> = r
        .layers
        .iter()
        .filter(|l| matches!(l.kind, LayerKind::Ffn | LayerKind::Moe))
        .map(|l| l.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["layer0.ffn", "layer1.moe", "layer2.ffn", "layer3.moe"]
    );
}

#[test]
fn universal_shares_parameters_not_flops() {
    let dense = cost::analyze(&variant(Family::Dense, 3), &workload()).unwrap();
    let ut = cost::analyze(&variant(Family::Universal, 3), &workload()).unwrap();
    assert_eq!(ut.totals.flops_executed, dense.totals.flops_executed);
    assert_eq!(dense.params_total - ut.params_total, 2 * (88 + 66));
    let shared: Vec<_> = ut
        .layers
        .iter()
        .filter_map(|l| l.shared_with.as_deref())
        .collect();
    assert_eq!(
        shared,
        [
            "layer0.attention",
            "layer0.ffn",
            "layer0.attention",
            "layer0.ffn"
        ]
    );
}

fn pruned(kernel: Kernel) -> Family {
    Family::Pruned(PruneSpec {
        sparsity: 0.5,
        kernel,
    })
}

#[test]
fn pruned_counts_by_hand() {
    let dense = cost::analyze(&variant(Family::Dense, 1), &workload()).unwrap();
    let masked = cost::analyze(&variant(pruned(Kernel::Dense), 1), &workload()).unwrap();
    let csr = cost::analyze(&variant(pruned(Kernel::Csr), 1), &workload()).unwrap();
    // Q,K,V,O: 16 weights each, 8 kept; FFN: 24 each, 12 kept. Pruned weights: 4*8 + 2*12 = 56.
    assert_eq!(masked.params_total, dense.params_total);
    assert_eq!(masked.params_active, dense.params_total - 56);
    assert_eq!(csr.params_active, masked.params_active);
    // Useful: those 56 weights no longer multiply on any of the 6 rows.
    let saved = 2 * 6 * 56;
    assert_eq!(masked.totals.flops_dense, dense.totals.flops_dense);
    assert_eq!(
        masked.totals.flops_useful,
        dense.totals.flops_useful - saved
    );
    assert_eq!(masked.totals.flops_executed, dense.totals.flops_executed);
    assert_eq!(csr.totals.flops_executed, csr.totals.flops_useful);
    // CSR stores values + column indices (8 B per non-zero) and d_out + 1 row pointers.
    let attn = csr
        .layers
        .iter()
        .find(|l| l.kind == LayerKind::Attention)
        .unwrap();
    let dense_attn = dense
        .layers
        .iter()
        .find(|l| l.kind == LayerKind::Attention)
        .unwrap();
    assert_eq!(
        attn.counts.weight_bytes,
        dense_attn.counts.weight_bytes - 4 * 16 * 4 + 4 * (8 * 8 + 5 * 4)
    );
}

#[test]
fn pruned_count_is_exact() {
    assert_eq!(cost::pruned_count(16384, 0.9), 14745);
    assert_eq!(cost::pruned_count(10, 0.0), 0);
    assert_eq!(cost::pruned_count(7, 0.5), 3);
}

#[test]
fn huge_models_are_refused_not_wrapped() {
    let mut v = variant(Family::Dense, 4096);
    v.dims = Some(Dims {
        d_model: 1 << 20,
        n_heads: 1,
        d_ff: 1 << 20,
        n_layers: 4096,
        attention: Attention::Explicit,
        options: LmOptions::default(),
    });
    let e = cost::analyze(&v, &workload()).unwrap_err();
    assert!(e.to_string().contains("too large to count"), "{e}");
}

#[test]
fn default_suite_matches_land_within_two_percent() {
    let suite = spec::load_suite("misnomer").unwrap();
    let mut checked = 0;
    for v in &suite.variants {
        let Some(m) = &v.matched else { continue };
        let target = suite.variant(&m.variant).unwrap();
        let mine = cost::analyze(v, &suite.workload).unwrap();
        let theirs = cost::analyze(target, &suite.workload).unwrap();
        let (a, b) = match m.by {
            MatchBy::Flops => (mine.totals.flops_useful, theirs.totals.flops_useful),
            MatchBy::Params => (mine.params_total, theirs.params_total),
        };
        let ratio = a as f64 / b as f64;
        assert!((ratio - 1.0).abs() <= 0.02, "{}: ratio {ratio}", v.name);
        assert!(m.within_tolerance, "{}", v.name);
        assert!((m.ratio - ratio).abs() < 1e-12);
        checked += 1;
    }
    assert_eq!(checked, 4, "the default suite has four matched variants");
}

#[test]
fn default_suite_shows_the_misnomer() {
    // The paper's point, in this suite's numbers: the cheapest variant by one indicator is not
    // the cheapest by another.
    let suite = spec::load_suite("misnomer").unwrap();
    let cost = |name: &str| cost::analyze(suite.variant(name).unwrap(), &suite.workload).unwrap();
    let base = cost("dense-base");
    let moe = cost("switch-8e");
    let ut = cost("universal-base");
    let csr = cost("pruned90-csr");
    assert!(moe.params_total > 2 * base.params_total);
    assert!(ut.params_total < base.params_total);
    assert_eq!(ut.totals.flops_useful, base.totals.flops_useful);
    assert!(csr.totals.flops_executed * 3 < base.totals.flops_executed);
    assert_eq!(csr.params_total, base.params_total);
}
