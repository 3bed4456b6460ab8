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

/// Each module's time lands on its own row: a group's children sum the times of every layer
/// they fold (not one layer's times the count), the groups sum to the variant's time. The
/// times are made up, one distinct value per module, so a misplaced one shows.
#[test]
fn module_times_fold_with_their_layers() {
    let suite = load_suite("misnomer").unwrap();
    let doc = ModulesDocument::timed(&suite, effprof::backend::Backend::Flex, |v| {
        let rows = effprof::cost::analyze(v, &suite.workload)
            .unwrap()
            .layers
            .len();
        Ok((0..rows).map(|i| 2f64.powi(i as i32)).collect())
    })
    .unwrap();
    for v in &doc.variants {
        let at = &v.variant;
        let rows = v.rows.len();
        let whole = v
            .seconds
            .unwrap_or_else(|| panic!("{at}: {:?}", v.timed_na));
        let top: f64 = v
            .rows
            .iter()
            .filter(|r| r.depth == 0)
            .map(|r| r.seconds.unwrap())
            .sum();
        assert_eq!(top, whole, "{at}");
        // Powers of two: the sum over n modules is 2^n - 1, exact in an f64.
        let modules = effprof::cost::analyze(suite.variant(at).unwrap(), &suite.workload)
            .unwrap()
            .layers
            .len();
        assert_eq!(whole, 2f64.powi(modules as i32) - 1.0, "{at}");
        // Walk the modules in order: module m took 2^m seconds.
        let mut m = 0;
        for (i, top) in v.rows.iter().enumerate().filter(|(_, r)| r.depth == 0) {
            let children: Vec<_> = v.rows[i + 1..]
                .iter()
                .take_while(|r| r.depth == 1)
                .collect();
            if children.is_empty() {
                assert_eq!(top.seconds, Some(2f64.powi(m)), "{at}: {}", top.module);
                m += 1;
                continue;
            }
            let width = children.len() as i32;
            for (j, child) in children.iter().enumerate() {
                let expected: f64 = (0..top.count as i32)
                    .map(|k| 2f64.powi(m + j as i32 + k * width))
                    .sum();
                assert_eq!(child.seconds, Some(expected), "{at}: {}", child.module);
            }
            m += width * top.count as i32;
        }
        assert_eq!(m as usize, modules, "{at} ({rows} rows)");
        let text = doc.text();
        assert!(
            text.contains("of time") && text.contains("timed on flex"),
            "{text}"
        );
    }
    let unmeasured = ModulesDocument::timed(&suite, effprof::backend::Backend::Flex, |_| {
        Err("not this one".to_owned())
    })
    .unwrap();
    assert!(
        unmeasured
            .variants
            .iter()
            .all(|v| v.seconds.is_none() && v.timed_na.as_deref() == Some("not this one"))
    );
    assert!(unmeasured.text().contains("n/a: not this one"));
}

/// `bench --by module` times the modules of a real model and writes their table.
#[test]
fn bench_by_module_writes_each_modules_time() {
    let out = super::bin::effprof(&[
        "bench",
        "--suite",
        "tiny",
        "--variants",
        "moe",
        "--by",
        "module",
        "--duration",
        "0.3",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["timed_on"], "flex");
    let moe = doc["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variant"] == "moe")
        .unwrap();
    let rows = moe["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .all(|r| r["seconds"].as_f64().is_some_and(|s| s > 0.0)),
        "{rows:?}"
    );
    assert!(rows.iter().any(|r| r["module"] == "moe"), "{rows:?}");
}
