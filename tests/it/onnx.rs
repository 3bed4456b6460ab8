//! ONNX files counted (`effprof models --suite model.onnx`): the fixtures of
//! tests/fixtures/onnx (made by its make.py) against figures derived by hand from their
//! architectures, the zoo's exports against effprof's own presets at the same input size, and
//! malformed files against the rule that an error names the file, never a panic.

use std::io::Read;
use std::path::{Path, PathBuf};

use effprof::cost;
use effprof::onnx::{OnnxCount, count_file};
use effprof::spec::parse_suite;
use proptest::prelude::*;

use super::bin::effprof;
use super::properties::config;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/onnx")
        .join(name)
}

/// A gzipped fixture, unpacked into `dir`.
fn unpacked(name: &str, dir: &Path) -> PathBuf {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixture(&format!("{name}.onnx.gz"))).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let path = dir.join(format!("{name}.onnx"));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn kind<'a>(c: &'a OnnxCount, kind: &str) -> &'a effprof::traced::OpKind {
    c.counts
        .kind(kind)
        .unwrap_or_else(|| panic!("no {kind} in {:?}", c.counts.kinds))
}

/// effprof's analytic count of `preset` at batch 1, `image`x`image`, 1000 classes.
fn preset(preset: &str, image: usize) -> cost::CostReport {
    let suite = parse_suite(
        &format!(
            "[suite]\nname = \"one\"\nbatch = 1\nimage_size = {image}\nin_channels = 3\nclasses = 1000\nbaseline = \"net\"\n\n[[variant]]\nname = \"net\"\nfamily = \"vision\"\npreset = \"{preset}\"\n"
        ),
        "one.toml",
    )
    .unwrap();
    cost::analyze(&suite.variants[0], &suite.workload).unwrap()
}

#[test]
fn resnet18_counts_torchvisions_parameters_and_effprofs_flops() {
    let dir = tempfile::tempdir().unwrap();
    let c = count_file(&unpacked("resnet18", dir.path())).unwrap();
    // torchvision's sum(p.numel()): the 20 batch norms' running means and variances
    // (2 x 4,800 channels) are buffers, not parameters.
    assert_eq!(c.stored.params, 11_689_512);
    assert_eq!(c.stored.buffers, 2 * 4_800);
    assert_eq!(c.stored.param_bytes, 4 * 11_689_512);
    let analytic = preset("resnet18", 224);
    assert_eq!(c.stored.params, analytic.params_total);
    assert_eq!(c.counts.flops, analytic.totals.flops_executed);
    assert!(c.unresolved.is_empty(), "{:?}", c.unresolved);
    assert!(c.no_rule.is_empty());
    // 20 convolutions, each with its batch norm, 17 ReLUs, 8 residual adds, the stem's max
    // pool, the global average pool and the classifier; the flatten is a view.
    assert_eq!(kind(&c, "Conv2d").ops, 20);
    assert_eq!(kind(&c, "BatchNormalization").ops, 20);
    assert_eq!(kind(&c, "Relu").ops, 17);
    assert_eq!(kind(&c, "Add").ops, 8);
    assert_eq!(c.counts.ops, 20 + 20 + 17 + 8 + 1 + 1 + 1);
    assert_eq!(c.counts.views, 1);
    assert_eq!(c.inputs[0].ty, "F32[1, 3, 224, 224]");
    // Every convolution reads its weights: at least the 11.68 M convolution weights' bytes.
    let conv_weights = 11_689_512 - 2 * 4_800 - (512 * 1000 + 1000);
    assert!(kind(&c, "Conv2d").bytes_read > 4 * conv_weights as u64);
}

#[test]
fn mobilenet_v2_counts_its_grouped_convolutions_as_effprof_does() {
    let dir = tempfile::tempdir().unwrap();
    let c = count_file(&unpacked("mobilenet_v2", dir.path())).unwrap();
    assert_eq!(c.stored.params, 3_504_872);
    let analytic = preset("mobilenet_v2", 64);
    assert_eq!(c.stored.params, analytic.params_total);
    assert_eq!(c.counts.flops, analytic.totals.flops_executed);
    assert!(c.unresolved.is_empty(), "{:?}", c.unresolved);
    // 52 convolutions (17 of them depthwise), ReLU6 exported as Clip.
    assert_eq!(kind(&c, "Conv2d").ops, 52);
}

#[test]
fn blocks_count_by_hand() {
    let c = count_file(&fixture("blocks.onnx")).unwrap();
    // w1 [32, 64], b1 [64], w2 [64, 64] (read twice, stored once), wt [3, 5, 2, 2].
    assert_eq!(c.stored.params, 32 * 64 + 64 + 64 * 64 + 3 * 5 * 2 * 2);
    assert_eq!(c.stored.param_tensors, 4);
    assert_eq!(c.stored.param_bytes, 4 * c.stored.params);
    // x [4, 8, 32]: fc1 to 64 features, fc2 and the tied fc3 at 64; 2·M·N·K each, the bias
    // add not counted. The transposed convolution, the Einsum and the custom op have no rule.
    let m = 4 * 8;
    assert_eq!(c.counts.flops, 2 * m * 64 * 32 + 2 * (2 * m * 64 * 64));
    let mut no_rule = c.no_rule.clone();
    no_rule.sort();
    assert_eq!(
        no_rule,
        ["ConvTranspose2d", "Einsum", "com.example.FancyOp"]
    );
    for k in &no_rule {
        assert!(kind(&c, k).unknown && kind(&c, k).label().ends_with("(FLOPs not counted)"));
    }
    // Bytes at f32: onnx-ir merges fc1's MatMul and bias Add into one Linear, which reads x,
    // w1 and b1 and writes h; each [4, 8, 64] activation is 8,192 bytes.
    let act = 4 * 8 * 64 * 4;
    let x = 4 * 8 * 32 * 4;
    let linear = x + 32 * 64 * 4 + 64 * 4 + act;
    let relu = 2 * act;
    let matmul = act + 64 * 64 * 4 + act;
    let softmax = 2 * act;
    let conv_t = 3 * 8 * 8 * 4 + 3 * 5 * 2 * 2 * 4 + 5 * 16 * 16 * 4;
    let einsum = 2 * x + 4 * 8 * 8 * 4;
    let fancy = 2 * act;
    assert_eq!(
        c.counts.bytes,
        linear + relu + 2 * matmul + softmax + conv_t + einsum + fancy
    );
    // The transpose of the tied weight is a view: no bytes, no kernel.
    assert_eq!(c.counts.views, 1);
    assert_eq!(kind(&c, "Transpose").bytes(), 0);
    assert_eq!(c.counts.ops, 8);
    assert!(c.unresolved.is_empty(), "{:?}", c.unresolved);
}

#[test]
fn a_symbolic_dimension_leaves_its_operation_uncounted_and_named() {
    let c = count_file(&fixture("dynamic.onnx")).unwrap();
    assert_eq!(c.stored.params, 16 * 8);
    assert_eq!(c.counts.flops, 0);
    assert_eq!(c.unresolved.len(), 1, "{:?}", c.unresolved);
    assert!(c.unresolved[0].why.contains("`x`"), "{:?}", c.unresolved);
    let doc = effprof::report::OnnxDocument { count: c };
    let notes = doc.notes().join("\n");
    assert!(notes.contains("could not infer"), "{notes}");
}

#[test]
fn models_counts_an_onnx_file_from_the_command_line() {
    let out = effprof(&[
        "models",
        "--suite",
        fixture("blocks.onnx").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("opset 17"), "{text}");
    assert!(text.contains("6.27 k (6,268)"), "{text}");
    assert!(
        text.contains("com.example.FancyOp (FLOPs not counted)"),
        "{text}"
    );
    let json = effprof(&[
        "models",
        "--suite",
        fixture("blocks.onnx").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["schema"], "effprof.onnx/1");
    assert_eq!(doc["stored"]["params"], 6268);
    assert_eq!(doc["traced"]["flops"], 655_360);
}

#[test]
fn other_commands_refuse_an_onnx_file_by_name() {
    let out = effprof(&["bench", "--suite", fixture("blocks.onnx").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("blocks.onnx") && err.contains("effprof models"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_onnx_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("empty.onnx", &b""[..]),
        ("text.onnx", &b"this is not a protobuf"[..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = effprof(&["models", "--suite", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A node the parser does not support, and one whose shapes contradict it: the file and
    // the node, by the file's name for it.
    for (name, node) in [
        ("unsupported.onnx", "pool_rois"),
        ("mismatch.onnx", "mismatched"),
    ] {
        let out = effprof(&["models", "--suite", fixture(name).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name) && err.contains(node), "{err}");
    }
    let missing = dir.path().join("missing.onnx");
    let out = effprof(&["models", "--suite", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.onnx"));
}

/// A mutation of a valid file: bytes overwritten, a span cut out, or the file truncated.
#[derive(Clone, Debug)]
enum Mutation {
    Overwrite(Vec<(prop::sample::Index, u8)>),
    Cut(prop::sample::Index, usize),
    Truncate(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
            .prop_map(Mutation::Overwrite),
        1 => (any::<prop::sample::Index>(), 1usize..64).prop_map(|(at, n)| Mutation::Cut(at, n)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    match m {
        Mutation::Overwrite(edits) => {
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = *b;
            }
        }
        Mutation::Cut(at, n) => {
            let i = at.index(bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Truncate(at) => bytes.truncate(at.index(bytes.len())),
    }
    bytes
}

proptest! {
    #![proptest_config(config(96))]

    /// A mutated file is counted or refused with an error naming it; nothing panics out of
    /// the counter (a panic inside the parser becomes such an error).
    #[test]
    fn mutated_onnx_files_are_counted_or_refused_by_name(m in mutation()) {
        let original = std::fs::read(fixture("blocks.onnx")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutated.onnx");
        std::fs::write(&path, mutate(original, &m)).unwrap();
        match count_file(&path) {
            Ok(c) => prop_assert!(c.counts.ops + c.counts.views <= 64),
            Err(e) => prop_assert!(e.to_string().contains("mutated.onnx"), "{e}"),
        }
    }
}
