//! Snapshots: the JSON round trip, the schema docs/snapshots.md documents, golden Markdown and CSV,
//! the SVG plots, `diff`, the export folder and every way a file can be wrong.
//!
//! The fixtures are real runs of the tiny suite, recorded with
//! `effprof bench --suite tiny --duration 2 --backend {ndarray,flex} --format json`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use effprof::backend::Backend;
use effprof::pipeline::{PipelineReport, StageLatencies, pipeline_svg};
use effprof::snapshot::{
    Diff, FILES, PIPELINE_FILE, Snapshot, SnapshotError, relative_svg, scatter_svg, write_set,
};

use crate::common;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Two measured stages; with or without a backward (the CSR kernel has none).
fn stages(backward: bool) -> StageLatencies {
    StageLatencies {
        variant: "dense".into(),
        backend: Backend::Ndarray,
        micro_batch: 2,
        layers: vec![0..1, 1..2],
        forward_s: vec![0.001, 0.0015],
        train_forward_s: backward.then(|| vec![0.0012, 0.0018]),
        backward_s: backward.then(|| vec![0.002, 0.003]),
        backward_na: (!backward).then(|| "the CSR kernel has no backward pass".into()),
    }
}

/// A sweep whose second variant overtakes the first between batch 1 and 2.
fn sweep() -> effprof::sweep::SweepReport {
    let point = |batch, a, b| common::sweep_point(batch, Some(16), &[("dense", a), ("moe", b)]);
    effprof::sweep::SweepReport::new(
        Backend::Ndarray,
        vec![point(1, 100.0, 50.0), point(2, 150.0, 200.0)],
    )
}

/// Parts of the dense variant as the Roofline view times them.
fn parts() -> effprof::roofline::PartsReport {
    use effprof::roofline::PartTiming;
    let part = |part: &str, flops: u64, bytes: u64, seconds: f64| PartTiming {
        part: part.into(),
        flops,
        bytes,
        seconds,
    };
    effprof::roofline::PartsReport {
        variant: "dense".into(),
        backend: Backend::Ndarray,
        batch: 2,
        parts: vec![
            part("embedding", 0, 18_432, 2e-5),
            part("attention", 655_360, 239_000, 4e-4),
            part("ffn", 524_288, 157_000, 2e-4),
        ],
    }
}

fn train_run(reached: bool) -> effprof::train::TrainRun {
    effprof::train::TrainRun {
        variant: if reached { "dense" } else { "moe" }.into(),
        backend: Backend::Ndarray,
        floor: 1.26,
        target: 1.36,
        reached,
        steps: 3,
        tokens: 96,
        wall_s: 0.01,
        step_s: 0.003,
        train_flops: 3 * 3_932_160,
        best_loss: 1.3,
        losses: vec![(1, 4.1), (2, 2.0), (3, 1.3)],
        note: (!reached).then(|| "the target was not reached in 3 steps".into()),
    }
}

fn ndarray() -> Snapshot {
    Snapshot::load(&fixture("snapshot-tiny-ndarray.json")).expect("the fixture loads")
}

/// The engine's summary of `suite` on `backend` with `variants` measured, the rest of it
/// borrowed from `base`.
fn summary_of(
    suite: &effprof::spec::Suite,
    base: &Snapshot,
    backend: Backend,
    variants: Vec<effprof::engine::VariantSummary>,
    seq_len: Option<usize>,
) -> effprof::engine::Summary {
    effprof::engine::Summary {
        suite: suite.name.clone(),
        run: effprof::engine::RunHeader {
            backend,
            batch: suite.workload.batch,
            ..base.run.clone()
        },
        paused: false,
        seq_len,
        focus: suite.variants[0].name.clone(),
        busy: None,
        variants,
    }
}

/// A snapshot of the conv suite, its measured figures borrowed from the ndarray fixture: an
/// image workload, conv families, no tokens.
fn conv() -> Snapshot {
    let suite = effprof::spec::load_suite(fixture("tiny-conv.toml").to_str().unwrap()).unwrap();
    let base = ndarray();
    let variants = suite
        .variants
        .iter()
        .zip(&base.variants)
        .map(|(v, b)| effprof::engine::VariantSummary {
            name: v.name.clone(),
            tokens_per_s: None,
            routing: vec![],
            flops_useful_routed: None,
            ..b.measured.clone()
        })
        .collect();
    let summary = summary_of(&suite, &base, base.run.backend, variants, None);
    let mut snapshot = Snapshot::new(
        &suite,
        &summary,
        base.host.clone(),
        std::time::SystemTime::now(),
    )
    .unwrap();
    snapshot.sweep = Some(image_sweep());
    snapshot
}

/// A snapshot of the generation suite (3 tokens generated), its forward-pass figures borrowed
/// from the ndarray fixture, with two decoders' generation measured for real on flex.
fn generation() -> Snapshot {
    let mut suite = effprof::spec::load_suite("generation").unwrap();
    if let effprof::arch::Input::Tokens(t) = &mut suite.workload.input {
        t.gen_len = Some(3);
    }
    let base = ndarray();
    let variants = suite
        .variants
        .iter()
        .zip(base.variants.iter().cycle())
        .map(|(v, b)| effprof::engine::VariantSummary {
            name: v.name.clone(),
            routing: vec![],
            flops_useful_routed: None,
            ..b.measured.clone()
        })
        .collect();
    let seq_len = suite.workload.token_workload().map(|t| t.seq_len);
    let summary = summary_of(&suite, &base, Backend::Flex, variants, seq_len);
    let mut snapshot = Snapshot::new(
        &suite,
        &summary,
        base.host.clone(),
        std::time::SystemTime::now(),
    )
    .unwrap();
    let options = effprof::generate::GenerateOptions {
        requests: 1,
        memory_limit: u64::MAX,
    };
    snapshot.generation = Some(
        ["dense", "moe-top1"]
            .map(|name| {
                effprof::generate::measure_generation(
                    suite.variant(name).unwrap(),
                    &suite.workload,
                    Backend::Flex,
                    options,
                    |_, _| true,
                )
                .unwrap()
            })
            .to_vec(),
    );
    snapshot
}

#[test]
fn generation_travels_with_the_snapshot() {
    let s = generation();
    assert_eq!(s.schema, "effprof.snapshot/4");
    let json = s.to_json();
    let back = Snapshot::from_json(&json, "generation.json").unwrap();
    same_json(
        &serde_json::from_str(&json).unwrap(),
        &serde_json::from_str(&back.to_json()).unwrap(),
        "",
    );
    let runs = back.generation.as_ref().unwrap();
    assert_eq!(runs[1].variant, "moe-top1");
    assert_eq!(runs[1].step_p50s.len(), 3);
    // Each variant's analytic part carries what generating costs.
    let dense = &back.variants[0].analytic;
    let g = dense.generation.as_ref().unwrap();
    assert_eq!(g.gen_len, 3);
    assert!(g.kv_cache_bytes > 0);
    let md = back.to_markdown();
    assert!(md.contains("### Generation on flex"), "{md}");
    assert!(md.contains("ITL p50"), "{md}");
    assert!(md.contains("KV cache"), "{md}");
    // The decoders' choices travel in the suite.
    assert!(json.contains("\"positions\": \"rotary\""), "{json}");
    // The side-by-side table and the rank agreement take generation in.
    let table = back.table();
    let itl = table.rows.iter().find(|r| r.key == "itl_p50").unwrap();
    assert!(
        matches!(&itl.cells[0], effprof::report::Cell::Value { value, .. } if *value == runs[0].itl.p50)
    );
    assert!(
        matches!(&itl.cells[2], effprof::report::Cell::NotAvailable(why) if why == "not generated"),
        "moe-top2 did not generate"
    );
    let ranks = effprof::report::Ranks::from_table(&table);
    let keys: Vec<&str> = ranks.ranks.iter().map(|(k, _, _)| k.as_str()).collect();
    for key in [
        "kv_cache_bytes",
        "decode_step_weight_bytes",
        "ttft_p50",
        "itl_p50",
        "decode_tokens_per_s",
    ] {
        assert!(keys.contains(&key), "{key}: {keys:?}");
    }
}

/// A sweep of images along the batch alone, where `depthwise` overtakes `standard`.
fn image_sweep() -> effprof::sweep::SweepReport {
    let point =
        |batch, a, b| common::sweep_point(batch, None, &[("standard", a), ("depthwise", b)]);
    effprof::sweep::SweepReport::new(
        Backend::Ndarray,
        vec![point(1, 100.0, 50.0), point(4, 150.0, 200.0)],
    )
}

#[test]
fn a_conv_snapshot_round_trips_and_counts_samples_not_tokens() {
    let s = conv();
    let back: Snapshot = serde_json::from_str(&s.to_json()).unwrap();
    same_json(
        &serde_json::from_str(&back.to_json()).unwrap(),
        &serde_json::from_str(&s.to_json()).unwrap(),
        "",
    );
    assert_eq!(back.suite, s.suite);
    let md = s.to_markdown();
    assert!(
        md.contains("throughput samples/s") && !md.contains("tokens/s"),
        "{md}"
    );
    assert!(md.contains("images, 4 classes"), "{md}");
    // Ranks take samples/s where there are no tokens.
    assert!(s.ranks.ranks.iter().any(|(k, _, _)| k == "samples_per_s"));
    let svg = scatter_svg(&s).unwrap();
    assert!(svg.contains("throughput [samples/s]"));
    // A sweep of images ranks by samples/s along the batch, with no sequence length.
    let sweep = s.sweep.as_ref().unwrap();
    assert_eq!(sweep.flips.len(), 1);
    let flip = sweep.flips[0].describe();
    assert_eq!(
        flip,
        "batch 1 -> 4: depthwise overtakes standard in samples/s (50 vs 100 -> 200 vs 150)"
    );
    assert!(md.contains("p50 · samples/s") && md.contains(&flip), "{md}");
    let csv = sweep.to_csv().unwrap();
    assert!(csv.contains("depthwise,1,,,0.02,,50,10"), "{csv}");
    let svg = effprof::sweep::sweep_svg(sweep).unwrap();
    assert!(svg.contains("throughput [samples/s]") && svg.contains("images"));
}

fn flex() -> Snapshot {
    Snapshot::load(&fixture("snapshot-tiny-flex.json")).expect("the fixture loads")
}

/// Equal JSON, floats to within an ulp or two (serde_json's default float parser may round the
/// last bit differently from the printer).
fn same_json(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value::*;
    match (a, b) {
        (Object(x), Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{path}"
            );
            for (k, v) in x {
                same_json(v, &y[k], &format!("{path}.{k}"));
            }
        }
        (Array(x), Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                same_json(v, w, &format!("{path}[{i}]"));
            }
        }
        (Number(x), Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs()),
                "{path}: {x} vs {y}"
            );
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn json_round_trips() {
    let text = std::fs::read_to_string(fixture("snapshot-tiny-ndarray.json")).unwrap();
    let snapshot = Snapshot::from_json(&text, "fixture").unwrap();
    let written = snapshot.to_json();
    same_json(
        &serde_json::from_str(&text).unwrap(),
        &serde_json::from_str(&written).unwrap(),
        "",
    );
    // What was read back and written again is written the same way from then on.
    let again = Snapshot::from_json(&written, "again").unwrap();
    assert_eq!(again.to_json(), written);
    assert_eq!(again.table().to_markdown(), snapshot.table().to_markdown());
}

#[test]
fn the_snapshot_has_every_part_the_format_promises() {
    // The fixture was written with schema 1, before generation: it reads as it is.
    let s = ndarray();
    assert_eq!(s.schema, "effprof.snapshot/1");
    assert!(s.host.logical_cores >= 1 && s.host.memory_bytes > 0);
    assert!(!s.conventions.is_empty());
    assert_eq!(s.variants.len(), s.suite.variants.len());
    for v in &s.variants {
        assert!(
            !v.analytic.cost.as_ref().unwrap().layers.is_empty(),
            "{}: per-layer breakdown",
            v.analytic.name
        );
        assert!(v.measured.latency.is_some_and(|l| l.iterations > 0));
    }
    // Ranks over the usual indicators, a square tau matrix with 1 on the diagonal.
    let n = s.ranks.ranks.len();
    assert!(n >= 6, "{:?}", s.ranks.ranks);
    assert_eq!(s.ranks.tau.len(), n);
    for (i, row) in s.ranks.tau.iter().enumerate() {
        assert_eq!(row.len(), n);
        assert_eq!(row[i], Some(1.0));
    }
}

/// Every path of a JSON value, arrays as `[]`; the `conventions` map as one path.
fn paths(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) if prefix != "conventions" => {
            for (k, v) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                paths(v, &p, out);
            }
        }
        serde_json::Value::Array(items) if !items.is_empty() && prefix != "ranks.ranks" => {
            for item in items {
                paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

/// The paths the snapshot reference (docs/snapshots.md) lists; `?` marks one that may be absent.
fn documented() -> (BTreeSet<String>, BTreeSet<String>) {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/snapshots.md"))
            .unwrap();
    let start = doc
        .find("<!-- snapshot-schema -->")
        .expect("docs/snapshots.md marks the snapshot schema");
    let block = &doc[start..];
    let block = &block[block.find("```").unwrap() + 3..];
    let block = &block[block.find('\n').unwrap() + 1..block.find("\n```").unwrap()];
    let (mut all, mut optional) = (BTreeSet::new(), BTreeSet::new());
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let path = line.split_whitespace().next().unwrap();
        match path.strip_suffix('?') {
            Some(p) => {
                optional.insert(p.to_owned());
                all.insert(p.to_owned());
            }
            None => {
                all.insert(path.to_owned());
            }
        }
    }
    (all, optional)
}

#[test]
fn the_docs_give_the_schema_the_code_writes() {
    let (all, optional) = documented();
    let mut written = BTreeSet::new();
    for name in ["snapshot-tiny-ndarray.json", "snapshot-tiny-flex.json"] {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap();
        paths(&value, "", &mut written);
    }
    // A snapshot taken live, too, so a new field cannot hide behind an old fixture, with the
    // optional parts: pipeline figures with and without a backward.
    for backward in [true, false] {
        let mut live = ndarray();
        live.pipeline = Some(PipelineReport::new(stages(backward), &[1, 4]));
        live.sweep = Some(sweep());
        live.parts = Some(parts());
        live.training = Some(vec![train_run(true), train_run(false)]);
        // Every variant's recorded pass (the CSR one with its host kernel), and one that
        // could not be recorded.
        for v in &mut live.variants {
            let variant = live.suite.variant(&v.analytic.name).unwrap();
            v.analytic.traced = Some(effprof::traced::trace(
                variant,
                &live.suite.workload,
                u64::MAX,
            ));
        }
        live.variants[0].analytic.traced = Some(effprof::traced::Traced::NotAvailable {
            why: "too large".into(),
        });
        let live: serde_json::Value = serde_json::from_str(&live.to_json()).unwrap();
        paths(&live, "", &mut written);
    }
    let conv: serde_json::Value = serde_json::from_str(&conv().to_json()).unwrap();
    paths(&conv, "", &mut written);
    let generation: serde_json::Value = serde_json::from_str(&generation().to_json()).unwrap();
    paths(&generation, "", &mut written);
    let undocumented: Vec<_> = written.difference(&all).collect();
    assert!(
        undocumented.is_empty(),
        "written but not in docs/snapshots.md: {undocumented:?}"
    );
    let missing: Vec<_> = all
        .difference(&written)
        .filter(|p| !optional.contains(*p))
        .collect();
    assert!(
        missing.is_empty(),
        "in docs/snapshots.md but never written: {missing:?}"
    );
}

#[test]
fn golden_markdown_and_csv() {
    let s = ndarray();
    insta::assert_snapshot!("snapshot_markdown", s.to_markdown());
    insta::assert_snapshot!("snapshot_csv", s.to_csv().unwrap());
}

#[test]
fn csv_has_a_value_unit_and_source_for_every_variant_and_indicator() {
    let s = ndarray();
    let csv = s.to_csv().unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header[..5],
        ["variant", "indicator", "value", "unit", "source"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let table = s.table();
    assert_eq!(rows.len(), table.rows.len() * s.variants.len());
    let p50 = rows
        .iter()
        .find(|r| &r[0] == "dense" && &r[1] == "latency_p50")
        .unwrap();
    assert_eq!((&p50[3], &p50[4]), ("s", "measured"));
    let measured: f64 = p50[2].parse().unwrap();
    assert_eq!(measured, s.variants[0].measured.latency.unwrap().p50_s);
    let params = rows
        .iter()
        .find(|r| &r[0] == "moe" && &r[1] == "params_total")
        .unwrap();
    assert_eq!((&params[3], &params[4]), ("params", "analytic"));
}

/// The text of every `<text>` element.
fn svg_texts(svg: &str) -> String {
    let mut texts = String::new();
    let mut in_text = false;
    for event in xml::reader::EventReader::from_str(svg) {
        match event.expect("the SVG is well-formed XML") {
            xml::reader::XmlEvent::StartElement { name, .. } if name.local_name == "text" => {
                in_text = true
            }
            xml::reader::XmlEvent::EndElement { name } if name.local_name == "text" => {
                in_text = false;
                texts.push('\n');
            }
            xml::reader::XmlEvent::Characters(t) if in_text => texts.push_str(&t),
            _ => {}
        }
    }
    texts
}

#[test]
fn svg_plots_parse_and_name_every_variant() {
    let s = ndarray();
    for (which, svg) in [
        ("scatter", scatter_svg(&s).unwrap()),
        ("relative", relative_svg(&s).unwrap()),
    ] {
        let texts = svg_texts(&svg);
        for v in &s.variants {
            assert!(
                texts.contains(&v.analytic.name),
                "{which} names {}:\n{texts}",
                v.analytic.name
            );
        }
    }
    let scatter = svg_texts(&scatter_svg(&s).unwrap());
    for panel in [
        "FLOPs vs latency",
        "Parameters vs latency",
        "FLOPs vs throughput",
    ] {
        assert!(scatter.contains(panel), "{scatter}");
    }
    let relative = svg_texts(&relative_svg(&s).unwrap());
    for row in ["params total", "latency p50", "throughput tokens/s"] {
        assert!(relative.contains(row), "{relative}");
    }
}

#[test]
fn a_variant_without_a_measurement_is_named_as_such_in_the_scatter() {
    let mut s = ndarray();
    s.variants[2].measured.latency = None;
    s.variants[2].measured.tokens_per_s = None;
    let texts = svg_texts(&scatter_svg(&s).unwrap());
    assert!(
        texts.contains(&format!("not measured: {}", s.variants[2].analytic.name)),
        "{texts}"
    );
}

#[test]
fn diff_of_two_backends() {
    let (a, b) = (ndarray(), flex());
    let diff = Diff::new(&a, &b, "ndarray.json", "flex.json");
    assert_eq!(diff.variants.len(), 6);
    assert!(diff.only_a.is_empty() && diff.only_b.is_empty());
    // The architecture did not change: analytic rows are equal and rank the same.
    let params = diff.rows.iter().find(|r| r.key == "params_total").unwrap();
    assert!((0..6).all(|i| params.ratio(i) == Some(1.0)));
    assert_eq!(params.ranking_changed, Some(false));
    // Latency ratios are the two measurements' quotient.
    let p50 = diff.rows.iter().find(|r| r.key == "latency_p50").unwrap();
    let expected = b.variants[1].measured.latency.unwrap().p50_s
        / a.variants[1].measured.latency.unwrap().p50_s;
    assert!((p50.ratio(1).unwrap() - expected).abs() < 1e-12);
    insta::assert_snapshot!("diff_ndarray_flex", diff.to_markdown());
}

#[test]
fn diff_marks_a_planted_ranking_flip() {
    let a = ndarray();
    let mut b = ndarray();
    // Make the slowest variant the fastest in B.
    let p50 = |s: &Snapshot, i: usize| s.variants[i].measured.latency.unwrap().p50_s;
    let slowest = (0..a.variants.len())
        .max_by(|&i, &j| p50(&a, i).total_cmp(&p50(&a, j)))
        .unwrap();
    let fastest = (0..a.variants.len())
        .min_by(|&i, &j| p50(&a, i).total_cmp(&p50(&a, j)))
        .unwrap();
    let mut l = b.variants[slowest].measured.latency.unwrap();
    l.p50_s = p50(&a, fastest) / 2.0;
    b.variants[slowest].measured.latency = Some(l);
    let diff = Diff::new(&a, &b, "a.json", "b.json");
    let changed: Vec<&str> = diff.changed().map(|r| r.key.as_str()).collect();
    assert_eq!(changed, ["latency_p50"]);
    let text = diff.to_text(Some(200));
    assert!(text.contains("CHANGED"), "{text}");
    assert!(
        text.contains(&format!("B ranks {}", a.variants[slowest].analytic.name)),
        "{text}"
    );
}

#[test]
fn an_export_writes_every_file_atomically_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let s = ndarray();
    let first = write_set(dir.path(), &s, "the screen\n").unwrap();
    assert_eq!(first.file_name().unwrap().to_str().unwrap(), s.stem());
    for name in FILES {
        let len = std::fs::metadata(first.join(name)).unwrap().len();
        assert!(len > 0, "{name}");
    }
    let json = std::fs::read_to_string(first.join("snapshot.json")).unwrap();
    assert_eq!(json, s.to_json());
    let md = std::fs::read_to_string(first.join("snapshot.md")).unwrap();
    assert_eq!(md, s.to_markdown());
    // The same second again: a new folder, the first untouched.
    let second = write_set(dir.path(), &s, "another screen\n").unwrap();
    assert_ne!(first, second);
    assert!(second.to_str().unwrap().ends_with("-2"));
    assert_eq!(
        std::fs::read_to_string(first.join("screen.txt")).unwrap(),
        "the screen\n"
    );
    // Nothing half-written is left behind.
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    // report and diff read what was exported.
    let back = Snapshot::load(&second.join("snapshot.json")).unwrap();
    assert_eq!(back.to_json(), s.to_json());
}

#[test]
fn a_failed_write_names_the_path_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: no permission trick, so it fails for root too.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "x").unwrap();
    let err = write_set(&blocker.join("snaps"), &ndarray(), "").unwrap_err();
    assert!(err.to_string().contains("not-a-folder"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

fn load_text(text: &str) -> SnapshotError {
    Snapshot::from_json(text, "some/snap.json").unwrap_err()
}

#[test]
fn every_way_a_snapshot_can_be_wrong_is_named() {
    let text = std::fs::read_to_string(fixture("snapshot-tiny-ndarray.json")).unwrap();

    let missing = Snapshot::load(Path::new("no/such/snapshot.json")).unwrap_err();
    assert!(matches!(missing, SnapshotError::Read { .. }));
    assert!(
        missing.to_string().contains("no/such/snapshot.json"),
        "{missing}"
    );

    let truncated = load_text(&text[..text.len() / 2]);
    assert!(
        matches!(truncated, SnapshotError::Truncated { .. }),
        "{truncated}"
    );
    assert!(
        truncated
            .to_string()
            .starts_with("some/snap.json is truncated"),
        "{truncated}"
    );

    let corrupt = load_text(&text.replacen("\"backend\"", "\"backend\" oops", 1));
    assert!(
        matches!(corrupt, SnapshotError::Corrupt { .. }),
        "{corrupt}"
    );
    assert!(corrupt.to_string().contains("line"), "{corrupt}");

    let newer = load_text(&text.replacen("effprof.snapshot/1", "effprof.snapshot/5", 1));
    assert!(matches!(newer, SnapshotError::Newer { .. }), "{newer}");
    assert!(newer.to_string().contains("effprof.snapshot/5"), "{newer}");
    assert!(newer.to_string().contains("upgrade"), "{newer}");

    let other = load_text(r#"{"schema": "effprof.models/1", "variants": []}"#);
    assert!(
        matches!(other, SnapshotError::NotASnapshot { .. }),
        "{other}"
    );
    assert!(other.to_string().contains("effprof.models/1"), "{other}");
    let no_schema = load_text(r#"{"variants": []}"#);
    assert!(no_schema.to_string().contains("no `schema`"), "{no_schema}");
    let not_object = load_text("[1, 2]");
    assert!(
        matches!(not_object, SnapshotError::NotASnapshot { .. }),
        "{not_object}"
    );

    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value.as_object_mut().unwrap().remove("variants");
    let schema = load_text(&value.to_string());
    assert!(matches!(schema, SnapshotError::Schema { .. }), "{schema}");
    assert!(schema.to_string().contains("variants"), "{schema}");
}

#[test]
fn pipeline_figures_travel_with_the_snapshot() {
    let mut s = ndarray();
    s.pipeline = Some(PipelineReport::new(stages(true), &[1, 4]));
    let back = Snapshot::from_json(&s.to_json(), "with-pipeline").unwrap();
    assert_eq!(back.pipeline, s.pipeline);
    assert!(
        s.to_markdown()
            .contains("### Pipeline: `dense` in 2 stages")
    );

    let svg = pipeline_svg(s.pipeline.as_ref().unwrap()).unwrap();
    let texts = svg_texts(&svg);
    for needle in [
        "stage 0",
        "stage 1",
        "training, GPipe",
        "training, 1F1B",
        "inference",
        "F0",
        "B0",
    ] {
        assert!(texts.contains(needle), "{needle}:\n{texts}");
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = write_set(dir.path(), &s, "").unwrap();
    assert!(folder.join(PIPELINE_FILE).is_file());
    // Without pipeline figures there is no pipeline plot.
    let folder = write_set(dir.path(), &ndarray(), "").unwrap();
    assert!(!folder.join(PIPELINE_FILE).exists());
}

#[test]
fn sweeps_travel_with_the_snapshot() {
    let mut s = ndarray();
    s.sweep = Some(sweep());
    let back = Snapshot::from_json(&s.to_json(), "with-sweep").unwrap();
    assert_eq!(back.sweep, s.sweep);
    assert_eq!(s.sweep.as_ref().unwrap().flips.len(), 1);
    assert!(s.to_markdown().contains("### Sweep on ndarray"));
    assert!(s.to_markdown().contains("moe overtakes dense"));
    let texts = svg_texts(&effprof::sweep::sweep_svg(s.sweep.as_ref().unwrap()).unwrap());
    for needle in ["dense", "moe", "b1", "b2", "seq_len 16", "1 ranking flips"] {
        assert!(texts.contains(needle), "{needle}:\n{texts}");
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = write_set(dir.path(), &s, "").unwrap();
    assert!(folder.join(effprof::snapshot::SWEEP_FILE).is_file());
}

#[test]
fn the_roofline_places_every_measured_variant_and_the_parts() {
    let mut s = ndarray();
    let r = s.roofline().expect("the fixture has peaks");
    assert_eq!(r.points.len(), s.variants.len());
    for (p, v) in r.points.iter().zip(&s.variants) {
        // Analytic intensity, measured FLOP/s.
        let t = &v.analytic.cost.as_ref().unwrap().totals;
        assert!((p.intensity - t.flops_executed as f64 / t.mem_access_bytes as f64).abs() < 1e-9);
        assert!((p.achieved_flops_per_s - v.measured.flops_per_s.unwrap()).abs() < 1e-3);
        assert!(p.pct_of_roof > 0.0 && p.pct_of_roof < 100.0, "{p:?}");
    }
    s.parts = Some(parts());
    let r = s.roofline().unwrap();
    assert!(r.points.iter().any(|p| p.part == "attention"));
    assert!(r.notes[0].contains("embedding"), "{:?}", r.notes);
    let texts = svg_texts(&effprof::roofline::roofline_svg(&r).unwrap());
    for needle in [
        "dense: model",
        "dense: attention",
        "pruned-csr: model",
        "ridge",
    ] {
        assert!(texts.contains(needle), "{needle}:\n{texts}");
    }
    assert!(s.to_markdown().contains("### Roofline of ndarray"));
    let dir = tempfile::tempdir().unwrap();
    let folder = write_set(dir.path(), &s, "").unwrap();
    assert!(folder.join(effprof::snapshot::ROOFLINE_FILE).is_file());
}

#[test]
fn training_runs_travel_with_the_snapshot() {
    let mut s = ndarray();
    s.training = Some(vec![train_run(true), train_run(false)]);
    let back = Snapshot::from_json(&s.to_json(), "with-training").unwrap();
    assert_eq!(back.training, s.training);
    let md = s.to_markdown();
    assert!(md.contains("### Time to convergence on ndarray"), "{md}");
    assert!(md.contains("the target was not reached in 3 steps"), "{md}");
    let texts = svg_texts(&effprof::train::train_svg(s.training.as_ref().unwrap()).unwrap());
    for needle in [
        "dense: reached in 3 steps",
        "moe: not reached in 3 steps",
        "floor",
        "target",
    ] {
        assert!(texts.contains(needle), "{needle}:\n{texts}");
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = write_set(dir.path(), &s, "").unwrap();
    assert!(folder.join(effprof::snapshot::TRAIN_FILE).is_file());
}
