//! `effprof models --by module`: each variant's modules, their shares adding up to the whole,
//! and the traced parts adding up to the recorded pass.

use effprof::document::Document;
use effprof::report::ModulesDocument;
use effprof::spec::load_suite;
use effprof::traced::trace_variant;

/// The top-level rows add up to the variant's parameters and executed FLOPs, a group's
/// children to the group, and the traced parts to the pass recorded whole.
#[test]
fn module_shares_add_up_to_the_totals() {
    for name in ["misnomer", "generation", "tiny", "llm-shapes"] {
        let suite = load_suite(name).unwrap();
        let doc = ModulesDocument::new(&suite).unwrap();
        for v in &doc.variants {
            let top: Vec<_> = v.rows.iter().filter(|r| r.depth == 0).collect();
            let at = format!("{name}/{}", v.variant);
            assert_eq!(
                top.iter().map(|r| r.params).sum::<u64>(),
                v.params_total,
                "{at}"
            );
            assert_eq!(
                top.iter().map(|r| r.flops).sum::<u64>(),
                v.flops_executed,
                "{at}"
            );
            // Each group is followed by its children, which sum to it.
            for (i, group) in v.rows.iter().enumerate().filter(|(_, r)| r.depth == 0) {
                let children: Vec<_> = v.rows[i + 1..]
                    .iter()
                    .take_while(|r| r.depth == 1)
                    .collect();
                if !children.is_empty() {
                    assert_eq!(
                        children.iter().map(|c| c.flops).sum::<u64>(),
                        group.flops,
                        "{at}"
                    );
                    assert!(children.iter().all(|c| c.count == group.count), "{at}");
                }
            }
            let variant = suite.variant(&v.variant).unwrap();
            let whole = trace_variant(variant, &suite.workload, u64::MAX).unwrap();
            let Some(traced) = v.traced else {
                // Only what is traced whole (a CSR kernel) has no parts.
                assert!(v.traced_na.is_some(), "{at}");
                continue;
            };
            assert_eq!(
                (traced.flops, traced.bytes, traced.ops),
                (whole.flops, whole.bytes, whole.ops),
                "{at}: the parts against the whole pass"
            );
        }
    }
}

/// Identical layers fold into one group with their count; layers that differ do not.
#[test]
fn identical_layers_fold_and_others_stand_apart() {
    let suite = load_suite("misnomer").unwrap();
    let doc = ModulesDocument::new(&suite).unwrap();
    let rows = |variant: &str| {
        doc.variants
            .iter()
            .find(|v| v.variant == variant)
            .unwrap()
            .rows
            .iter()
            .filter(|r| r.depth == 0)
            .map(|r| (r.module.clone(), r.count))
            .collect::<Vec<_>>()
    };
    let modules = |pairs: &[(&str, usize)]| {
        pairs
            .iter()
            .map(|(m, c)| (m.to_string(), *c))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rows("dense-base"),
        modules(&[
            ("embedding", 1),
            ("layers 0-3", 4),
            ("final_norm", 1),
            ("head", 1)
        ])
    );
    // An MoE every other layer: no two neighbouring layers are the same.
    assert_eq!(
        rows("switch-8e"),
        modules(&[
            ("embedding", 1),
            ("layer 0", 1),
            ("layer 1", 1),
            ("layer 2", 1),
            ("layer 3", 1),
            ("final_norm", 1),
            ("head", 1)
        ])
    );
    // The Universal Transformer's later layers reuse the first one's weights.
    assert_eq!(
        rows("universal-base"),
        modules(&[
            ("embedding", 1),
            ("layer 0", 1),
            ("layers 1-3", 3),
            ("final_norm", 1),
            ("head", 1)
        ])
    );
}

#[test]
fn module_tables_of_three_suites() {
    for name in ["misnomer", "generation", "zoo-small"] {
        let suite = load_suite(name).unwrap();
        let doc = ModulesDocument::new(&suite).unwrap();
        insta::assert_snapshot!(format!("modules_{name}"), doc.text());
    }
}
