//! Every way a suite can be wrong gets one clear error: file, line, key, what is allowed.

use effprof::spec::{SpecError, load_suite, parse_suite};

const HEADER: &str = r#"[suite]
name = "t"
batch = 2
seq_len = 8
vocab = 32
baseline = "a"
"#;

fn suite(variants: &str) -> String {
    format!("{HEADER}\n{variants}")
}

const DENSE_A: &str = r#"[[variant]]
name = "a"
family = "dense"
d_model = 16
n_heads = 2
d_ff = 32
n_layers = 2
"#;

fn error(text: &str) -> SpecError {
    parse_suite(text, "bad.toml").expect_err("the suite should be rejected")
}

/// The error names the file and the 1-based line of `needle` in `text`.
fn assert_points_at(e: &SpecError, text: &str, needle: &str) {
    let line = text
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle is in the text")
        + 1;
    assert_eq!(e.file, "bad.toml");
    assert_eq!(e.line, Some(line), "{e}");
    assert!(
        e.to_string().starts_with(&format!("bad.toml:{line}: ")),
        "{e}"
    );
}

#[test]
fn a_valid_suite_parses() {
    let s = parse_suite(&suite(DENSE_A), "ok.toml").unwrap();
    assert_eq!(s.variants.len(), 1);
    assert_eq!(s.workload.tokens(), 16);
    assert_eq!(s.source, "ok.toml");
}

#[test]
fn unknown_family() {
    let text = suite(&DENSE_A.replace("\"dense\"", "\"transformer\""));
    let e = error(&text);
    assert_points_at(&e, &text, "transformer");
    let msg = e.to_string();
    assert!(msg.contains("variant \"a\": family"), "{msg}");
    assert!(
        msg.contains("unknown family `transformer`; allowed: dense, moe, universal, pruned"),
        "{msg}"
    );
}

#[test]
fn unknown_key() {
    let text = suite(&DENSE_A.replace("d_ff = 32", "d_ff = 32\ndropout = 0.1"));
    let e = error(&text);
    assert_points_at(&e, &text, "dropout");
    assert!(e.message.contains("unknown field `dropout`"), "{e}");
    assert!(e.message.contains("d_model"), "lists what is allowed: {e}");
}

#[test]
fn key_of_another_family() {
    let text = suite(&DENSE_A.replace("d_ff = 32", "d_ff = 32\nn_experts = 4"));
    let e = error(&text);
    assert_points_at(&e, &text, "n_experts");
    let msg = e.to_string();
    assert!(
        msg.contains("variant \"a\": n_experts: not allowed for family `dense`"),
        "{msg}"
    );
    assert!(msg.contains("allowed keys: name, family, d_model"), "{msg}");
}

#[test]
fn missing_key() {
    let text = suite(&DENSE_A.replace("n_layers = 2\n", ""));
    let e = error(&text);
    assert_points_at(&e, &text, "[[variant]]");
    assert!(e.to_string().contains("n_layers: missing"), "{e}");
}

#[test]
fn missing_suite_key() {
    let text = suite(DENSE_A).replace("vocab = 32\n", "");
    let e = error(&text);
    assert!(e.message.contains("missing field `vocab`"), "{e}");
    assert!(e.line.is_some(), "{e}");
}

#[test]
fn d_model_not_divisible_by_heads() {
    let text = suite(&DENSE_A.replace("n_heads = 2", "n_heads = 3"));
    let e = error(&text);
    assert_points_at(&e, &text, "d_model");
    assert!(
        e.to_string()
            .contains("must be divisible by n_heads (3); got 16"),
        "{e}"
    );
}

#[test]
fn top_k_above_experts() {
    let moe = r#"[[variant]]
name = "m"
family = "moe"
d_model = 16
n_heads = 2
d_ff = 32
n_layers = 2
n_experts = 1
top_k = 2
"#;
    let text = suite(&format!("{DENSE_A}\n{moe}"));
    let e = error(&text);
    assert_points_at(&e, &text, "top_k");
    assert!(
        e.to_string()
            .contains("variant \"m\": top_k: must be at most n_experts (1); got 2"),
        "{e}"
    );

    let text = suite(&format!(
        "{DENSE_A}\n{}",
        moe.replace("top_k = 2", "top_k = 3")
            .replace("n_experts = 1", "n_experts = 8")
    ));
    assert!(error(&text).to_string().contains("must be 1 or 2; got 3"));
}

#[test]
fn sparsity_out_of_range() {
    for bad in ["1.0", "-0.1", "1.5"] {
        let pruned = format!(
            "[[variant]]\nname = \"p\"\nfamily = \"pruned\"\nd_model = 16\nn_heads = 2\nd_ff = 32\nn_layers = 2\nsparsity = {bad}\n"
        );
        let text = suite(&format!("{DENSE_A}\n{pruned}"));
        let e = error(&text);
        assert_points_at(&e, &text, "sparsity");
        assert!(
            e.to_string()
                .contains("sparsity: must be at least 0 and below 1"),
            "{e}"
        );
    }
}

#[test]
fn unknown_kernel() {
    let pruned = "[[variant]]\nname = \"p\"\nfamily = \"pruned\"\nd_model = 16\nn_heads = 2\nd_ff = 32\nn_layers = 2\nsparsity = 0.5\nkernel = \"bsr\"\n";
    let e = error(&suite(&format!("{DENSE_A}\n{pruned}")));
    assert!(
        e.to_string()
            .contains("unknown kernel `bsr`; allowed: dense, csr"),
        "{e}"
    );
}

#[test]
fn zero_and_negative_sizes() {
    let text = suite(&DENSE_A.replace("d_ff = 32", "d_ff = 0"));
    let e = error(&text);
    assert_points_at(&e, &text, "d_ff");
    assert!(
        e.to_string().contains("d_ff: must be at least 1; got 0"),
        "{e}"
    );

    let text = suite(DENSE_A).replace("batch = 2", "batch = -4");
    let e = error(&text);
    assert_points_at(&e, &text, "batch");
    assert!(
        e.to_string()
            .contains("suite: batch: must be at least 1; got -4"),
        "{e}"
    );
}

#[test]
fn wrong_type() {
    let text = suite(&DENSE_A.replace("d_ff = 32", "d_ff = \"wide\""));
    let e = error(&text);
    assert_points_at(&e, &text, "wide");
    assert!(e.message.contains("invalid type"), "{e}");
}

#[test]
fn duplicate_names() {
    let e = error(&suite(&format!("{DENSE_A}\n{DENSE_A}")));
    assert!(
        e.to_string().contains("`a` is used by an earlier variant"),
        "{e}"
    );
}

#[test]
fn baseline_names_no_variant() {
    let text = suite(DENSE_A).replace("baseline = \"a\"", "baseline = \"zzz\"");
    let e = error(&text);
    assert_points_at(&e, &text, "zzz");
    assert!(
        e.to_string()
            .contains("baseline: names no variant; variants are: a"),
        "{e}"
    );
}

fn matched(name: &str, target: &str, by: &str, solve: &str) -> String {
    format!(
        "[[variant]]\nname = \"{name}\"\nfamily = \"dense\"\nd_model = 16\nn_heads = 2\nn_layers = 2\nmatch = {{ variant = \"{target}\", by = \"{by}\", solve = \"{solve}\" }}\n"
    )
}

#[test]
fn match_target_missing() {
    let text = suite(&format!(
        "{DENSE_A}\n{}",
        matched("b", "nobody", "flops", "d_ff")
    ));
    let e = error(&text);
    assert_points_at(&e, &text, "nobody");
    assert!(
        e.to_string()
            .contains("target `nobody` names no variant; variants are: a, b"),
        "{e}"
    );
}

#[test]
fn match_cycle() {
    let text = suite(&format!(
        "{DENSE_A}\n{}\n{}",
        matched("b", "c", "flops", "d_ff"),
        matched("c", "b", "params", "d_ff")
    ));
    let e = error(&text);
    let msg = e.to_string();
    assert!(msg.contains("matches form a cycle (b -> c -> b)"), "{msg}");
    assert!(e.line.is_some());

    let text = suite(&format!(
        "{DENSE_A}\n{}",
        matched("b", "b", "flops", "d_ff")
    ));
    assert!(error(&text).to_string().contains("cycle (b -> b)"));
}

#[test]
fn match_solved_dimension_given_too() {
    let text = suite(&format!(
        "{DENSE_A}\n{}",
        matched("b", "a", "flops", "d_ff").replace("n_layers = 2", "n_layers = 2\nd_ff = 64")
    ));
    let e = error(&text);
    assert_points_at(&e, &text, "d_ff = 64");
    assert!(
        e.to_string().contains("is solved by `match`; remove it"),
        "{e}"
    );
}

#[test]
fn unsatisfiable_match() {
    // Even one layer of a 512-wide model has more parameters than all of `a`.
    let wide = "[[variant]]\nname = \"w\"\nfamily = \"dense\"\nd_model = 512\nn_heads = 2\nd_ff = 32\nmatch = { variant = \"a\", by = \"params\", solve = \"n_layers\" }\n";
    let text = suite(&format!("{DENSE_A}\n{wide}"));
    let e = error(&text);
    assert_points_at(&e, &text, "match =");
    let msg = e.to_string();
    assert!(msg.contains("unsatisfiable"), "{msg}");
    assert!(
        msg.contains("even the smallest n_layers = 1 gives params"),
        "{msg}"
    );
}

#[test]
fn n_experts_solved_for_a_dense_variant() {
    let text = suite(&format!(
        "{DENSE_A}\n{}",
        matched("b", "a", "params", "n_experts").replace("n_layers = 2", "n_layers = 2\nd_ff = 8")
    ));
    let e = error(&text);
    assert!(
        e.to_string()
            .contains("n_experts can only be solved for a moe variant"),
        "{e}"
    );
}

#[test]
fn toml_syntax_error_has_a_line() {
    let text = suite(DENSE_A).replace("d_ff = 32", "d_ff = = 32");
    let e = error(&text);
    assert_points_at(&e, &text, "d_ff = = 32");
}

#[test]
fn no_variants() {
    let e = error(HEADER);
    assert!(e.to_string().contains("no [[variant]] tables"), "{e}");
}

#[test]
fn unknown_suite_name_lists_the_builtins() {
    let e = load_suite("no-such-suite").unwrap_err().to_string();
    assert!(
        e.contains("no-such-suite: no such file, and no built-in suite"),
        "{e}"
    );
    assert!(e.contains("misnomer") && e.contains("tiny"), "{e}");
}

#[test]
fn builtin_suites_load_by_name_and_by_models_path() {
    assert_eq!(load_suite("tiny").unwrap().source, "builtin:tiny");
    assert_eq!(load_suite("models/tiny.toml").unwrap().name, "tiny");
}
