//! Checkpoints of transformers models loaded into effprof's decoder: the logits are the ones
//! transformers gives (`tests/fixtures/tiny/make.py` wrote them beside each tiny checkpoint),
//! over the whole prompt and step by step through the KV cache, for every mapped model_type;
//! a checkpoint that does not fit is an error naming the file and the tensor.

use burn::prelude::*;
use effprof::backend::Backend;
use effprof::spec::{Suite, parse_suite};
use effprof::zoo::{self, BuildError};

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny");

/// Every model_type `make.py` writes a checkpoint of.
const MODEL_TYPES: [&str; 12] = [
    "gpt2",
    "llama",
    "mistral",
    "qwen2",
    "phi3",
    "gemma",
    "gemma2",
    "qwen3",
    "mixtral",
    "qwen2_moe",
    "qwen3_moe",
    "olmoe",
];

/// The largest difference from transformers' logits allowed: both compute in f32, in other
/// orders, and `expected.json` keeps 6 decimals. The logits are of order 1; the largest
/// difference seen is 5e-6 (Phi-3), and GELU's other form alone moves Gemma's by 6e-4.
const TOLERANCE: f32 = 2e-5;

struct Expected {
    prompt: Vec<i64>,
    /// `[positions][vocab]`.
    logits: Vec<Vec<f32>>,
}

fn expected(model_type: &str) -> Expected {
    let text = std::fs::read_to_string(format!("{TINY}/{model_type}/expected.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    Expected {
        prompt: serde_json::from_value(v["prompt"].clone()).unwrap(),
        logits: serde_json::from_value(v["logits"].clone()).unwrap(),
    }
}

/// A suite of the tiny model with its weights, `extra` keys added to the variant.
fn suite(model_type: &str, extra: &str) -> Result<Suite, String> {
    let text = format!(
        "[suite]\nname = \"tiny\"\nbatch = 1\nprompt_len = 12\ngen_len = 1\nvocab = 96\nbaseline = \"m\"\n\n\
         [[variant]]\nname = \"m\"\nfrom = \"{model_type}\"\nweights = \"{model_type}/model.safetensors\"\n{extra}"
    );
    parse_suite(&text, &format!("{TINY}/suite.toml")).map_err(|e| e.to_string())
}

fn build(suite: &Suite, device: &Device) -> Result<zoo::TransformerLm, BuildError> {
    zoo::build_lm_on(&suite.variants[0], &suite.workload, device, "a logits test")
}

fn max_difference(got: &[f32], want: &[f32]) -> f32 {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f32::max)
}

#[test]
fn every_mapped_model_type_gives_transformers_logits_forward_and_cached() {
    let device = Backend::Flex.device().unwrap();
    for model_type in MODEL_TYPES {
        let want = expected(model_type);
        let suite = suite(model_type, "").unwrap_or_else(|e| panic!("{e}"));
        let model = build(&suite, &device).unwrap_or_else(|e| panic!("{model_type}: {e}"));
        let n = want.prompt.len();
        let tokens =
            Tensor::<2, Int>::from_data(TensorData::new(want.prompt.clone(), [1, n]), &device);

        let forward: Vec<f32> = model
            .forward(tokens.clone())
            .logits
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let flat: Vec<f32> = want.logits.concat();
        let diff = max_difference(&forward, &flat);
        assert!(
            diff <= TOLERANCE,
            "{model_type}: forward logits {diff} from transformers'"
        );

        // Prefill 8 positions, then decode the rest one at a time through the cache.
        let mut cache = model.new_cache(1, n, &device);
        let prefill = 8;
        let first = model.prefill(tokens.clone().narrow(1, 0, prefill), &mut cache);
        let mut steps = vec![(prefill - 1, first.logits)];
        for pos in prefill..n {
            steps.push((
                pos,
                model
                    .decode(tokens.clone().narrow(1, pos, 1), &mut cache)
                    .logits,
            ));
        }
        for (pos, logits) in steps {
            let got: Vec<f32> = logits.into_data().try_to_vec::<f32>().unwrap();
            let diff = max_difference(&got, &want.logits[pos]);
            assert!(
                diff <= TOLERANCE,
                "{model_type}: cached logits at position {pos} {diff} from transformers'"
            );
        }
    }
}

/// The test above can fail: a checkpoint loaded into a model that computes otherwise (GELU's
/// other form, another rotary base, epsilon or scale, no soft-capping, the top-k weights
/// left unnormalised) is far from transformers' logits.
#[test]
fn a_model_that_computes_otherwise_is_caught() {
    let device = Backend::Flex.device().unwrap();
    for (model_type, extra) in [
        ("gemma", "gelu = \"exact\""),
        ("llama", "rope_theta = 10000.0"),
        ("qwen3", "norm_eps = 0.1"),
        ("gemma2", "attn_scale = 0.3535"),
        ("gemma2", "attn_softcap = 1000.0"),
        ("gemma2", "logit_softcap = 1000.0"),
        ("qwen3_moe", "norm_topk = false"),
        ("mixtral", "norm_topk = false"),
    ] {
        let want = expected(model_type);
        let model = build(&suite(model_type, extra).unwrap(), &device).unwrap();
        let n = want.prompt.len();
        let tokens =
            Tensor::<2, Int>::from_data(TensorData::new(want.prompt.clone(), [1, n]), &device);
        let got: Vec<f32> = model
            .forward(tokens)
            .logits
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let diff = max_difference(&got, &want.logits.concat());
        assert!(
            diff > 10.0 * TOLERANCE,
            "{model_type} with {extra}: only {diff} apart"
        );
    }
}

#[test]
fn a_variant_the_checkpoint_does_not_fit_names_the_tensor() {
    let device = Backend::Flex.device().unwrap();
    // One layer fewer: the checkpoint's second layer has no place.
    let err = build(&suite("llama", "n_layers = 1").unwrap(), &device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.safetensors")
            && err.contains("model.layers.1.")
            && err.contains("no place"),
        "{err}"
    );
    // One layer more: the third layer's tensors are missing.
    let err = build(&suite("llama", "n_layers = 3").unwrap(), &device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.layers.2.") && err.contains("missing"),
        "{err}"
    );
    // Wider FFN: the shape named with both sides.
    let err = build(&suite("qwen2", "d_ff = 64").unwrap(), &device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("mlp.") && err.contains("[48, 32]") && err.contains("needs"),
        "{err}"
    );
    // More experts than the checkpoint holds.
    let err = build(
        &suite("mixtral", "n_experts = 6\ncapacity_factor = 3.0").unwrap(),
        &device,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("block_sparse_moe.gate.weight")
            && err.contains("[4, 32]")
            && err.contains("[6, 32]"),
        "{err}"
    );
}

/// A copy of a tiny model's folder in a temporary one, its checkpoint replaced by `bytes`, and
/// a suite loading it.
fn with_checkpoint(model_type: &str, bytes: &[u8]) -> (tempfile::TempDir, Suite) {
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(format!("{TINY}/{model_type}/config.json")).unwrap();
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    std::fs::write(dir.path().join("model.safetensors"), bytes).unwrap();
    let text = "[suite]\nname = \"tiny\"\nbatch = 1\nprompt_len = 12\ngen_len = 1\nvocab = 96\nbaseline = \"m\"\n\n\
                [[variant]]\nname = \"m\"\nfrom = \".\"\nweights = \"model.safetensors\"\n";
    let suite = parse_suite(text, &dir.path().join("s.toml").display().to_string()).unwrap();
    (dir, suite)
}

/// A header length and JSON of a safetensors file: `(data start, header)`.
fn header_of(bytes: &[u8]) -> (usize, serde_json::Value) {
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (8 + len, serde_json::from_slice(&bytes[8..8 + len]).unwrap())
}

/// A header rewritten (kept the same length with trailing spaces, as safetensors allows, or
/// grown), the data after it unchanged.
fn with_header(bytes: &[u8], header: &serde_json::Value) -> Vec<u8> {
    let (start, _) = header_of(bytes);
    let mut text = serde_json::to_vec(header).unwrap();
    while text.len() < start - 8 {
        text.push(b' ');
    }
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend(text);
    out.extend(&bytes[start..]);
    out
}

#[test]
fn a_checkpoint_renamed_retyped_or_reshaped_names_the_file_and_the_tensor() {
    let device = Backend::Flex.device().unwrap();
    let original = std::fs::read(format!("{TINY}/qwen2/model.safetensors")).unwrap();
    let (_, header) = header_of(&original);
    let tensor = "model.layers.0.self_attn.k_proj.bias";

    let mut renamed = header.clone();
    let entry = renamed.as_object_mut().unwrap().remove(tensor).unwrap();
    renamed["model.layers.0.self_attn.k_proj.biases"] = entry;
    let mut int8 = header.clone();
    int8[tensor]["dtype"] = "I16".into();
    let mut reshaped = header.clone();
    reshaped[tensor]["shape"] = serde_json::json!([4, 4]);
    for (what, header, says) in [
        ("renamed", renamed, "missing"),
        ("int16", int8, "I16"),
        ("reshaped", reshaped, "[4, 4]"),
    ] {
        let (dir, suite) = with_checkpoint("qwen2", &with_header(&original, &header));
        let err = build(&suite, &device).unwrap_err().to_string();
        let file = dir.path().join("model.safetensors").display().to_string();
        assert!(
            err.contains(&file) && err.contains(tensor) && err.contains(says),
            "{what}: {err}"
        );
    }
}

mod properties {
    use super::*;
    use crate::properties::config;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(config(48))]

        /// Bytes changed anywhere, or the file cut anywhere: the checkpoint loads (a byte of
        /// data changed is still a checkpoint) or the error names the file; never a panic.
        #[test]
        fn corrupted_or_truncated_checkpoints_load_or_name_the_file(
            model_type in proptest::sample::select(&MODEL_TYPES[..]),
            cut in proptest::option::of(0.0f64..1.0),
            flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..6),
            in_header in any::<bool>(),
        ) {
            let mut bytes = std::fs::read(format!("{TINY}/{model_type}/model.safetensors")).unwrap();
            let (start, _) = header_of(&bytes);
            for (at, value) in flips {
                let span = if in_header { start } else { bytes.len() };
                bytes[(at * span as f64) as usize % span] = value;
            }
            if let Some(cut) = cut {
                bytes.truncate((cut * bytes.len() as f64) as usize);
            }
            let (dir, suite) = with_checkpoint(model_type, &bytes);
            let device = Backend::Flex.device().unwrap();
            match build(&suite, &device) {
                Ok(model) => prop_assert!(model.n_layers() == 2),
                Err(e) => {
                    let file = dir.path().join("model.safetensors").display().to_string();
                    prop_assert!(e.to_string().contains(&file), "{e}");
                }
            }
        }
    }
}

/// The same checkpoint computed in bf16 and f16 on flex: near transformers' f32 logits, as
/// close as 8 and 11 bits of mantissa allow, forward and cached; ndarray has neither dtype.
#[test]
fn half_precision_stays_near_the_f32_logits_and_ndarray_says_it_cannot() {
    let device = Backend::Flex.device().unwrap();
    for model_type in ["llama", "qwen2_moe", "gemma2", "gpt2"] {
        let want = expected(model_type);
        let flat = want.logits.concat();
        let n = want.prompt.len();
        let tokens =
            Tensor::<2, Int>::from_data(TensorData::new(want.prompt.clone(), [1, n]), &device);
        for (dtype, tolerance) in [("bf16", 0.15f32), ("f16", 0.02)] {
            let suite = suite(model_type, &format!("dtype = \"{dtype}\"")).unwrap();
            let model =
                build(&suite, &device).unwrap_or_else(|e| panic!("{model_type} {dtype}: {e}"));
            let got = model
                .forward(tokens.clone())
                .logits
                .cast(burn::tensor::FloatDType::F32);
            let got: Vec<f32> = got.into_data().try_to_vec::<f32>().unwrap();
            let diff = max_difference(&got, &flat);
            assert!(
                diff <= tolerance,
                "{model_type} in {dtype}: {diff} from transformers' f32 logits"
            );
            let mut cache = model.new_cache(1, n, &device);
            model.prefill(tokens.clone().narrow(1, 0, n - 1), &mut cache);
            let last = model
                .decode(tokens.clone().narrow(1, n - 1, 1), &mut cache)
                .logits;
            let last: Vec<f32> = last
                .cast(burn::tensor::FloatDType::F32)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            let diff = max_difference(&last, &want.logits[n - 1]);
            assert!(diff <= tolerance, "{model_type} in {dtype}, cached: {diff}");
        }
    }
    let suite = suite("llama", "dtype = \"bf16\"").unwrap();
    let err = zoo::build(
        &suite.variants[0],
        &suite.workload,
        Backend::Ndarray,
        u64::MAX,
    )
    .expect_err("ndarray has no bf16")
    .to_string();
    assert!(err.contains("bf16") && err.contains("ndarray"), "{err}");
}

/// Quantized matrices (blocks of 16, f32 scales): int8 stays near the f32 logits, int4 some
/// 16 times further (its 7 levels a side against int8's 127), on flex and, for int8, ndarray;
/// ndarray's int4 is refused before burn is asked.
#[test]
fn quantized_weights_stay_near_the_f32_logits() {
    for backend in [Backend::Flex, Backend::Ndarray] {
        let device = backend.device().unwrap();
        for model_type in ["llama", "mixtral", "gpt2"] {
            let want = expected(model_type);
            let flat = want.logits.concat();
            let n = want.prompt.len();
            let tokens =
                Tensor::<2, Int>::from_data(TensorData::new(want.prompt.clone(), [1, n]), &device);
            let mut diffs = Vec::new();
            for bits in ["int8", "int4"] {
                let suite = suite(
                    model_type,
                    &format!("quantize = \"{bits}\"\nquant_block = 16"),
                )
                .unwrap();
                let built = zoo::build(&suite.variants[0], &suite.workload, backend, u64::MAX);
                let model = match (backend, bits, built) {
                    (_, _, Ok(zoo::Model::Transformer(m))) => m,
                    (Backend::Ndarray, "int4", Err(e)) => {
                        let e = e.to_string();
                        assert!(e.contains("ndarray") && e.contains("int4"), "{e}");
                        continue;
                    }
                    (_, _, Err(e)) => panic!("{backend:?} {model_type} {bits}: {e}"),
                    (_, _, Ok(_)) => unreachable!("a decoder"),
                };
                let got: Vec<f32> = model
                    .forward(tokens.clone())
                    .logits
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap();
                diffs.push(max_difference(&got, &flat));
            }
            let int8 = diffs[0];
            assert!(
                int8 > TOLERANCE && int8 < 0.15,
                "{backend:?} {model_type} int8: {int8}"
            );
            if let Some(int4) = diffs.get(1) {
                assert!(
                    *int4 < 3.0 && *int4 > 8.0 * int8,
                    "{model_type}: int4 {int4}, int8 {int8}"
                );
            }
        }
    }
}
