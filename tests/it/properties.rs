//! Every loader against generated and hand-mutated input: suite files, snapshots, stream
//! headers and summary lines, and what `report`, `diff` and the views render from them. The
//! property is always the same: no panic, and either the input is accepted (and then renders)
//! or the error names the file. Seeded, so a run is repeatable; a few hundred cases each.

use effprof::snapshot::{Diff, Snapshot};
use effprof::spec::{BUILTIN_SUITES, parse_suite};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};
use serde_json::Value;

pub(crate) fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x0eff_9f0f),
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------- suite files

/// A value for a suite key: often sensible, sometimes out of range, sometimes the wrong type.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1i64..=128).prop_map(|n| n.to_string()),
        1 => prop_oneof![Just(0i64), Just(-1), Just(1), Just(2), Just(1 << 21), Just(i64::MAX)]
            .prop_map(|n| n.to_string()),
        1 => prop_oneof![Just("0.5"), Just("\"wide\""), Just("[]"), Just("nan")]
            .prop_map(str::to_owned),
    ]
}

fn fraction() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0.0f64..1.0).prop_map(|x| format!("{x:.3}")),
        1 => prop_oneof![Just("1.0"), Just("-0.1"), Just("inf"), Just("100.0"), Just("0")]
            .prop_map(str::to_owned),
    ]
}

/// The language-model choices of a transformer variant, each present or not; valid for a
/// variant of `heads` heads of `head_dim` features.
fn lm_options(heads: usize, head_dim: usize) -> impl Strategy<Value = String> {
    (
        proptest::option::of(prop_oneof![Just(1usize), Just(heads)]),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![Just("layernorm"), Just("rmsnorm")]),
        proptest::option::of(prop_oneof![Just("gelu"), Just("swiglu"), Just("geglu")]),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![Just("learned"), Just("none"), Just("rotary")]),
        proptest::option::of(64usize..=128),
        proptest::option::of(1usize..=8),
        any::<bool>(),
        proptest::option::of(prop_oneof![Just("full"), Just("head")]),
    )
        .prop_map(
            move |(kv, tie, norm, ffn, bias, positions, vocab, own_head, qkv, qk_norm)| {
                let mut text = String::new();
                // A head size apart from d_model / n_heads (Gemma's).
                let head_dim = match own_head {
                    Some(h) => {
                        text.push_str(&format!("head_dim = {h}\n"));
                        h
                    }
                    None => head_dim,
                };
                if bias == Some(false) && qkv {
                    text.push_str("qkv_bias = true\n");
                }
                if let Some(qk) = qk_norm {
                    text.push_str(&format!("qk_norm = \"{qk}\"\n"));
                }
                if tie == Some(true) && qkv {
                    text.push_str("scale_embeddings = true\n");
                }
                if norm == Some("rmsnorm") && qkv {
                    text.push_str("post_norms = true\n");
                }
                if let Some(kv) = kv {
                    text.push_str(&format!("n_kv_heads = {kv}\n"));
                }
                if let Some(tie) = tie {
                    text.push_str(&format!("tie_embeddings = {tie}\n"));
                }
                if let Some(norm) = norm {
                    text.push_str(&format!("norm = \"{norm}\"\n"));
                }
                if let Some(ffn) = ffn {
                    text.push_str(&format!("ffn = \"{ffn}\"\n"));
                }
                if let Some(bias) = bias {
                    text.push_str(&format!("bias = {bias}\n"));
                }
                // Rotary positions need an even head size.
                if let Some(p) = positions.filter(|p| *p != "rotary" || head_dim.is_multiple_of(2))
                {
                    text.push_str(&format!("positions = \"{p}\"\n"));
                }
                if let Some(vocab) = vocab {
                    text.push_str(&format!("vocab = {vocab}\n"));
                }
                text
            },
        )
}

/// A transformer variant that is valid for its family.
fn transformer(name: String) -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("dense"), Just("moe"), Just("universal"), Just("pruned")],
        (1usize..=4, 1usize..=8, 1usize..=64, 1usize..=3),
        (1usize..=8, 0usize..3, 0.5f64..2.0, 0usize..3),
        (0.0f64..0.95, any::<bool>()),
    )
        .prop_flat_map(|(family, shape, moe, pruned)| {
            let (heads, head_dim, ..) = shape;
            (
                Just((family, shape, moe, pruned)),
                proptest::option::of(lm_options(heads, head_dim)),
            )
        })
        .prop_map(
            move |((family, (heads, head_dim, d_ff, layers), moe, (sparsity, csr)), options)| {
                let mut text = format!(
                    "[[variant]]\nname = \"{name}\"\nfamily = \"{family}\"\nd_model = {}\nn_heads = {heads}\nd_ff = {d_ff}\nn_layers = {layers}\n{}",
                    heads * head_dim,
                    options.unwrap_or_default()
                );
                let (experts, k, capacity, every) = moe;
                match family {
                    "moe" => {
                        text.push_str(&format!(
                            "n_experts = {experts}\ntop_k = {}\ncapacity_factor = {capacity:.2}\nmoe_every = {}\n",
                            (k + 1).min(experts),
                            every % layers + 1
                        ));
                        // Qwen-MoE's narrower experts and gated shared expert, now and then.
                        if k == 2 {
                            text.push_str(&format!(
                                "expert_d_ff = {}\nshared_d_ff = {d_ff}\nshared_gate = {}\n",
                                d_ff.div_ceil(2),
                                every == 0
                            ));
                        }
                    }
                    "pruned" => text.push_str(&format!(
                        "sparsity = {sparsity:.2}\nkernel = \"{}\"\n",
                        if csr { "csr" } else { "dense" }
                    )),
                    _ => {}
                }
                text
            },
        )
}

/// A conv variant that is valid.
fn conv(name: String) -> impl Strategy<Value = String> {
    (0usize..3, 2usize..=4, 1usize..=8, 1usize..=3).prop_map(move |(kind, groups, k, blocks)| {
        let (conv, width, extra) = match kind {
            0 => ("standard", k * 2, String::new()),
            1 => ("depthwise_separable", k * 2, String::new()),
            _ => ("grouped", groups * k, format!("groups = {groups}\n")),
        };
        format!(
            "[[variant]]\nname = \"{name}\"\nfamily = \"conv\"\nconv = \"{conv}\"\nwidth = {width}\nblocks = {blocks}\n{extra}"
        )
    })
}

/// A vision-zoo variant that is valid on images of `image` pixels.
fn vision(name: String, image: usize) -> impl Strategy<Value = String> {
    (
        0usize..4,
        prop_oneof![Just(0.25f64), Just(0.5), Just(1.0)],
        prop_oneof![Just(0.5f64), Just(1.0)],
    )
        .prop_map(move |(which, width, depth)| {
            let (preset, extra) = match which {
                0 => ("resnet18", String::new()),
                1 => ("mobilenet_v2", String::new()),
                2 => ("efficientnet_b0", String::new()),
                // One patch covers the whole image.
                _ => ("vit_b_16", format!("patch_size = {image}\n")),
            };
            format!(
                "[[variant]]\nname = \"{name}\"\nfamily = \"vision\"\npreset = \"{preset}\"\nwidth_mult = {width}\ndepth_mult = {depth}\n{extra}"
            )
        })
}

/// A suite of one to three variants, valid as drawn; the edits below break them.
pub(crate) fn valid_suite_text() -> BoxedStrategy<String> {
    let tokens = (
        1usize..=4,
        1usize..=16,
        2usize..=64,
        1usize..=3,
        proptest::option::of(1usize..=8),
    )
        .prop_flat_map(|(batch, seq, vocab, n, gen_len)| {
            // A generation suite's prompt and generated tokens, or one forward pass's.
            let input = match gen_len {
                Some(g) => format!("prompt_len = {seq}\ngen_len = {g}"),
                None => format!("seq_len = {seq}"),
            };
            let header = format!(
                "[suite]\nname = \"gen\"\nbatch = {batch}\n{input}\nvocab = {vocab}\nbaseline = \"v0\"\n\n"
            );
            (0..n)
                .map(|i| transformer(format!("v{i}")))
                .collect::<Vec<_>>()
                .prop_map(move |vs| format!("{header}{}", vs.join("\n")))
        });
    let images = (1usize..=4, 4usize..=12, 1usize..=3, 2usize..=10, 1usize..=3).prop_flat_map(
        |(batch, size, channels, classes, n)| {
            let header = format!(
                "[suite]\nname = \"gen\"\nbatch = {batch}\nimage_size = {size}\nin_channels = {channels}\nclasses = {classes}\nbaseline = \"v0\"\n\n"
            );
            (0..n)
                .map(|i| {
                    let name = format!("v{i}");
                    // Every other variant from the vision zoo.
                    if i % 2 == 1 {
                        vision(name, size).boxed()
                    } else {
                        conv(name).boxed()
                    }
                })
                .collect::<Vec<_>>()
                .prop_map(move |vs| format!("{header}{}", vs.join("\n")))
        },
    );
    prop_oneof![3 => tokens, 1 => images].boxed()
}

/// A generated suite, whole or with up to two hand edits.
fn suite_text() -> impl Strategy<Value = String> {
    (valid_suite_text(), proptest::collection::vec(edit(), 0..3))
        .prop_map(|(text, edits)| edits.iter().fold(text, |t, e| apply(&t, e)))
}

/// Parses `text` as `file`; an accepted suite must hold every invariant and count without
/// panicking, a refused one must name the file and, when it has one, a line of the text.
fn suite_property(text: &str, file: &str) -> Result<(), TestCaseError> {
    match parse_suite(text, file) {
        Ok(suite) => {
            prop_assert!(suite.check(file).is_ok(), "{:?}", suite.check(file));
            let _ = effprof::report::ModelsReport::new(&suite);
        }
        Err(e) => {
            prop_assert_eq!(&e.file, file);
            prop_assert!(e.to_string().starts_with(file), "{}", e);
            if let Some(line) = e.line {
                prop_assert!(
                    line >= 1 && line <= text.lines().count().max(1) + 1,
                    "{}",
                    e
                );
            }
        }
    }
    Ok(())
}

/// A text edit a hand might make: a line dropped, doubled or cut short, a value replaced.
#[derive(Clone, Debug)]
enum Edit {
    DropLine(Index),
    DoubleLine(Index),
    Truncate(Index),
    ReplaceValue(Index, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::DropLine),
        any::<Index>().prop_map(Edit::DoubleLine),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), number()).prop_map(|(i, v)| Edit::ReplaceValue(i, v)),
        (any::<Index>(), fraction()).prop_map(|(i, v)| Edit::ReplaceValue(i, v)),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        return String::new();
    }
    match edit {
        Edit::DropLine(i) => {
            lines.remove(i.index(lines.len()));
        }
        Edit::DoubleLine(i) => {
            let at = i.index(lines.len());
            lines.insert(at, lines[at].clone());
        }
        Edit::Truncate(i) => {
            let joined = lines.join("\n");
            let mut cut = i.index(joined.len() + 1);
            while !joined.is_char_boundary(cut) {
                cut -= 1;
            }
            return joined[..cut].to_owned();
        }
        Edit::ReplaceValue(i, value) => {
            let with_values: Vec<usize> = (0..lines.len())
                .filter(|&n| lines[n].contains(" = "))
                .collect();
            if let Some(&n) = with_values.get(i.index(with_values.len().max(1))) {
                let key = lines[n].split(" = ").next().unwrap().to_owned();
                lines[n] = format!("{key} = {value}");
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn generated_suites_are_accepted_whole_or_refused_by_file(text in suite_text()) {
        suite_property(&text, "gen.toml")?;
    }

    #[test]
    fn hand_edited_builtin_suites_are_accepted_whole_or_refused_by_file(
        which in any::<Index>(),
        edits in proptest::collection::vec(edit(), 1..4),
    ) {
        let builtin = &BUILTIN_SUITES[which.index(BUILTIN_SUITES.len())];
        let mut text = builtin.text.to_owned();
        for e in &edits {
            text = apply(&text, e);
        }
        suite_property(&text, "edited.toml")?;
    }
}

// ---------------------------------------------------------------- snapshots and streams

/// A change to one leaf (or container) of a JSON document.
#[derive(Clone, Debug)]
enum JsonEdit {
    Remove(Index),
    SetNumber(Index, f64),
    SetInteger(Index, i64),
    SetString(Index, String),
    Empty(Index),
    SetNull(Index),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    let int = prop_oneof![
        Just(0i64),
        Just(-1),
        Just(1),
        Just(i64::MAX),
        Just(1 << 40),
        any::<i64>()
    ];
    let float = prop_oneof![
        Just(0.0f64),
        Just(-1.0),
        Just(1e300),
        Just(-1e-300),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |x| x.is_finite())
    ];
    let string = prop_oneof![
        Just(String::new()),
        Just("dense".to_owned()),
        Just("nope".to_owned()),
        Just("wgpu:discrete:7".to_owned()),
        "[a-z]{0,8}"
    ];
    prop_oneof![
        any::<Index>().prop_map(JsonEdit::Remove),
        (any::<Index>(), float).prop_map(|(i, x)| JsonEdit::SetNumber(i, x)),
        (any::<Index>(), int).prop_map(|(i, x)| JsonEdit::SetInteger(i, x)),
        (any::<Index>(), string).prop_map(|(i, x)| JsonEdit::SetString(i, x)),
        any::<Index>().prop_map(JsonEdit::Empty),
        any::<Index>().prop_map(JsonEdit::SetNull),
    ]
}

/// Every path into `value`: object keys and array positions.
fn paths(value: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                prefix.push(PathStep::Key(k.clone()));
                out.push(prefix.clone());
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                prefix.push(PathStep::At(i));
                out.push(prefix.clone());
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    At(usize),
}

fn edit_json(doc: &mut Value, edit: &JsonEdit) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let index = match edit {
        JsonEdit::Remove(i)
        | JsonEdit::SetNumber(i, _)
        | JsonEdit::SetInteger(i, _)
        | JsonEdit::SetString(i, _)
        | JsonEdit::Empty(i)
        | JsonEdit::SetNull(i) => i,
    };
    if all.is_empty() {
        return;
    }
    let path = &all[index.index(all.len())];
    let (last, parents) = path.split_last().unwrap();
    let mut parent = &mut *doc;
    for step in parents {
        parent = match step {
            PathStep::Key(k) => &mut parent[k.as_str()],
            PathStep::At(i) => &mut parent[*i],
        };
    }
    if let JsonEdit::Remove(_) = edit {
        match (parent, last) {
            (Value::Object(map), PathStep::Key(k)) => {
                map.remove(k);
            }
            (Value::Array(items), PathStep::At(i)) => {
                items.remove(*i);
            }
            _ => {}
        }
        return;
    }
    let target = match last {
        PathStep::Key(k) => &mut parent[k.as_str()],
        PathStep::At(i) => &mut parent[*i],
    };
    *target = match edit {
        JsonEdit::SetNumber(_, x) => serde_json::json!(x),
        JsonEdit::SetInteger(_, x) => serde_json::json!(x),
        JsonEdit::SetString(_, s) => Value::String(s.clone()),
        JsonEdit::Empty(_) => match &*target {
            Value::Array(_) => Value::Array(Vec::new()),
            Value::Object(_) => Value::Object(Default::default()),
            Value::String(_) => Value::String(String::new()),
            _ => serde_json::json!(0),
        },
        JsonEdit::SetNull(_) | JsonEdit::Remove(_) => Value::Null,
    };
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A snapshot with every optional section, so edits reach them all.
fn full_snapshot() -> Value {
    let mut doc: Value = serde_json::from_str(&fixture("snapshot-tiny-ndarray.json")).unwrap();
    let stages = effprof::pipeline::StageLatencies {
        variant: "dense".into(),
        backend: effprof::backend::Backend::Ndarray,
        micro_batch: 2,
        layers: effprof::pipeline::split_layers(2, 2),
        forward_s: vec![0.001, 0.002],
        train_forward_s: Some(vec![0.001, 0.002]),
        backward_s: Some(vec![0.002, 0.004]),
        backward_na: None,
    };
    doc["pipeline"] =
        serde_json::to_value(effprof::pipeline::PipelineReport::new(stages, &[1, 4])).unwrap();
    doc
}

/// Everything `report` and `diff` make of a snapshot.
fn render_all(s: &Snapshot, other: &Snapshot) {
    let _ = s.to_text(Some(100));
    let _ = s.to_markdown();
    let _ = s.to_csv();
    let _ = s.to_json();
    let _ = effprof::snapshot::scatter_svg(s);
    let _ = effprof::snapshot::relative_svg(s);
    if let Some(p) = &s.pipeline {
        let _ = effprof::pipeline::pipeline_svg(p);
    }
    if let Some(sweep) = &s.sweep {
        let _ = effprof::sweep::sweep_svg(sweep);
    }
    if let Some(r) = s.roofline() {
        let _ = effprof::roofline::roofline_svg(&r);
    }
    if let Some(runs) = &s.training {
        let _ = effprof::train::train_svg(runs);
    }
    for diff in [Diff::new(s, other, "a", "b"), Diff::new(other, s, "b", "a")] {
        let _ = diff.to_text(Some(100));
        let _ = diff.to_markdown();
        let _ = diff.to_csv();
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn hand_edited_snapshots_render_or_are_refused_by_file(
        edits in proptest::collection::vec(json_edit(), 1..4),
    ) {
        let original = full_snapshot();
        let good = Snapshot::from_json(&original.to_string(), "good.json").unwrap();
        let mut doc = original;
        for e in &edits {
            edit_json(&mut doc, e);
        }
        match Snapshot::from_json(&doc.to_string(), "edited.json") {
            Ok(s) => render_all(&s, &good),
            Err(e) => prop_assert!(e.to_string().contains("edited.json"), "{}", e),
        }
    }

    #[test]
    fn hand_edited_stream_headers_and_lines_are_read_or_refused_by_file(
        header_edits in proptest::collection::vec(json_edit(), 0..3),
        line_edits in proptest::collection::vec(json_edit(), 0..3),
        cut in any::<Index>(),
    ) {
        let text = fixture("run-tiny.jsonl");
        let mut lines = text.lines();
        let mut header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        let mut line: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        for e in &header_edits {
            edit_json(&mut header, e);
        }
        for e in &line_edits {
            edit_json(&mut line, e);
        }
        let header_text = format!("{header}\n");
        let mut reader = std::io::Cursor::new(header_text.into_bytes());
        match effprof::stream::read_header(&mut reader, "edited.jsonl") {
            Err(e) => prop_assert!(e.to_string().contains("edited.jsonl"), "{}", e),
            Ok(_) => {
                // What `effprof view` builds from the header, and draws.
                let source = effprof::stream::StreamSource::new(
                    "edited.jsonl".into(),
                    Box::new(std::io::Cursor::new(format!("{header}\n").into_bytes())),
                )
                .unwrap();
                // An app that cannot be made is an error `view` reports, not a panic.
                let Ok(mut app) = source.app() else {
                    return Ok(());
                };
                let line_text = line.to_string();
                let at = {
                    let mut c = cut.index(line_text.len() + 1);
                    while !line_text.is_char_boundary(c) {
                        c -= 1;
                    }
                    c
                };
                for candidate in [line_text.as_str(), &line_text[..at]] {
                    match effprof::stream::parse_summary(candidate, 2, "edited.jsonl") {
                        Ok(summary) => {
                            app.on_engine(effprof::engine::EngineEvent::Summary(Box::new(summary)));
                            for view in effprof::app::View::all() {
                                app.update(effprof::app::Action::ShowView(view));
                                let _ = effprof::ui::screen_text(
                                    &app,
                                    &effprof::ui::Theme::plain(),
                                    120,
                                    40,
                                );
                            }
                        }
                        Err(e) => prop_assert!(e.to_string().contains("edited.jsonl"), "{}", e),
                    }
                }
            }
        }
    }
}

/// The generators reach both sides: a property that only ever sees refused suites (or only
/// valid ones) would test little.
#[test]
fn generated_and_edited_suites_are_both_accepted_and_refused() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::new(config(1));
    let (mut generated, mut edited) = ((0, 0), (0, 0));
    let text = suite_text();
    let edits = (any::<Index>(), proptest::collection::vec(edit(), 1..4));
    for _ in 0..300 {
        let t = text.new_tree(&mut runner).unwrap().current();
        match parse_suite(&t, "gen.toml") {
            Ok(_) => generated.0 += 1,
            Err(_) => generated.1 += 1,
        }
        let (which, list) = edits.new_tree(&mut runner).unwrap().current();
        let mut t = BUILTIN_SUITES[which.index(BUILTIN_SUITES.len())]
            .text
            .to_owned();
        for e in &list {
            t = apply(&t, e);
        }
        match parse_suite(&t, "edited.toml") {
            Ok(_) => edited.0 += 1,
            Err(_) => edited.1 += 1,
        }
    }
    let mut snapshots = (0, 0);
    let json_edits = proptest::collection::vec(json_edit(), 1..4);
    for _ in 0..300 {
        let mut doc = full_snapshot();
        for e in &json_edits.new_tree(&mut runner).unwrap().current() {
            edit_json(&mut doc, e);
        }
        match Snapshot::from_json(&doc.to_string(), "edited.json") {
            Ok(_) => snapshots.0 += 1,
            Err(_) => snapshots.1 += 1,
        }
    }
    eprintln!(
        "(accepted, refused): generated suites {generated:?}, edited suites {edited:?}, edited snapshots {snapshots:?}"
    );
    for (what, (ok, refused)) in [
        ("generated", generated),
        ("edited", edited),
        ("snapshots", snapshots),
    ] {
        assert!(
            ok >= 15 && refused >= 15,
            "{what}: {ok} accepted, {refused} refused"
        );
    }
}
