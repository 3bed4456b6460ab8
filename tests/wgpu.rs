//! The models on wgpu. In CI (EFFPROF_REQUIRE_WGPU=1) a missing adapter fails the test; on a
//! machine without one it is skipped with a message.

use burn::tensor::Tolerance;
use effprof::backend::Backend;
use effprof::spec;
use effprof::zoo;

mod common;
use common::wgpu;

#[test]
fn dense_and_moe_on_wgpu_match_ndarray() {
    let Some(backend) = wgpu() else { return };
    let suite = spec::load_suite("tiny").unwrap();
    let w = &suite.workload;
    for name in ["dense", "moe"] {
        let v = suite.variant(name).unwrap();
        let logits = |b: Backend| {
            let model = zoo::build_lm(v, w, b, u64::MAX, "a test").unwrap();
            let tokens = w.token_workload().unwrap();
            let out = model.forward(zoo::random_tokens(&tokens, &b.device().unwrap()));
            (
                out.logits.into_data(),
                out.routing
                    .into_iter()
                    .map(|r| r.read())
                    .collect::<Vec<_>>(),
            )
        };
        let (gpu, gpu_routing) = logits(backend);
        let (cpu, cpu_routing) = logits(Backend::Ndarray);
        gpu.assert_approx_eq::<f32>(&cpu, Tolerance::absolute(1e-3));
        assert_eq!(
            gpu_routing, cpu_routing,
            "{name}: same routing on both backends"
        );
    }
}

#[test]
fn a_real_run_on_wgpu_stays_below_the_peak_and_refuses_csr() {
    let Some(backend) = wgpu() else { return };
    // Few shapes: each new one compiles and autotunes kernels on a software adapter.
    let last = common::real_run(
        backend,
        &["moe-matched", "universal", "pruned-dense"],
        &["pruned-csr"],
    );
    assert!(!last.run.adapter.is_empty());
    let memory = last.run.device_memory.expect("wgpu reports its allocator");
    assert!(memory.reserved_bytes >= memory.in_use_bytes && memory.in_use_bytes > 0);
    let csr = last
        .variants
        .iter()
        .find(|v| v.name == "pruned-csr")
        .unwrap();
    assert!(
        matches!(&csr.phase, effprof::engine::Phase::Failed { reason } if reason.contains("unsupported on wgpu"))
    );
}

#[test]
fn a_real_run_of_the_conv_family_on_wgpu() {
    let Some(backend) = wgpu() else { return };
    // The peaks on wgpu are the business of the run above; measuring them twice would double
    // the file's time on lavapipe.
    let last = common::real_conv_run(backend, common::Peaks::Skipped);
    assert!(last.run.device_memory.is_some_and(|m| m.in_use_bytes > 0));
}

#[test]
fn pipeline_stages_on_wgpu() {
    let Some(backend) = wgpu() else { return };
    let suite = spec::load_suite("tiny").unwrap();
    let v = suite.variant("dense").unwrap();
    let s = effprof::pipeline::measure_stages(
        v,
        &suite.workload,
        backend,
        2,
        u64::MAX,
        std::time::Duration::from_millis(30),
    )
    .unwrap();
    assert!(s.forward_s.iter().all(|t| *t > 0.0));
    assert!(s.backward_s.unwrap().iter().all(|t| *t > 0.0));
}

#[test]
fn roofline_parts_and_training_steps_on_wgpu() {
    let Some(backend) = wgpu() else { return };
    let suite = spec::load_suite("tiny").unwrap();
    let v = suite.variant("dense").unwrap();
    let parts = effprof::roofline::measure_parts(
        v,
        &suite.workload,
        backend,
        u64::MAX,
        std::time::Duration::from_millis(20),
    )
    .unwrap();
    assert!(parts.parts.iter().all(|p| p.seconds > 0.0), "{parts:?}");
    // A few real Adam steps on the autodiff twin of the adapter: the loss is finite and falls
    // from its start near ln(vocab).
    let config = effprof::train::TrainConfig {
        max_steps: 20,
        ..Default::default()
    };
    let run =
        effprof::train::train_variant(v, &suite.workload, backend, u64::MAX, &config, |_, _, _| {})
            .unwrap();
    assert_eq!(run.steps, 20);
    assert!(run.losses.iter().all(|(_, l)| l.is_finite()));
    assert!(run.best_loss < run.losses[0].1, "{:?}", run.losses);
}

#[test]
fn a_depthwise_separable_network_on_wgpu_matches_ndarray() {
    let Some(backend) = wgpu() else { return };
    use effprof::arch::ImageWorkload;
    use effprof::family::{ConvKind, ConvSpec};
    let w = ImageWorkload {
        batch: 1,
        image_size: 8,
        in_channels: 3,
        classes: 4,
        seed: 1,
    };
    let spec = ConvSpec {
        kind: ConvKind::DepthwiseSeparable,
        width: 8,
        blocks: 1,
    };
    let logits = |b: Backend| {
        let device = b.device().unwrap();
        zoo::build_conv(&spec, &w, &device)
            .forward(zoo::random_images(&w, &device))
            .into_data()
    };
    logits(backend).assert_approx_eq::<f32>(&logits(Backend::Ndarray), Tolerance::relative(1e-3));
}

#[test]
fn a_kv_cached_decoder_on_wgpu_generates_what_ndarray_does() {
    let Some(backend) = wgpu() else { return };
    // A Llama-style MoE decoder: grouped-query attention, rotary positions, the chosen-experts
    // MoE at decode. Prompt 4, then 2 steps: few shapes to compile on a software adapter.
    let suite = spec::parse_suite(
        "[suite]\nname = \"t\"\nbatch = 2\nprompt_len = 4\ngen_len = 2\nvocab = 16\nbaseline = \"m\"\n\n\
         [[variant]]\nname = \"m\"\nfamily = \"moe\"\nd_model = 16\nn_heads = 4\nn_kv_heads = 2\nd_ff = 24\n\
         n_layers = 2\nn_experts = 4\ntop_k = 2\ncapacity_factor = 2.0\nnorm = \"rmsnorm\"\nffn = \"swiglu\"\n\
         bias = false\npositions = \"rotary\"\n",
        "t.toml",
    )
    .unwrap();
    let v = &suite.variants[0];
    let generate = |b: Backend| {
        let device = b.device().unwrap();
        let model = zoo::build_lm(v, &suite.workload, b, u64::MAX, "a test").unwrap();
        let tokens = suite.workload.token_workload().unwrap();
        let mut cache = model.new_cache(2, 6, &device);
        let first = model.prefill(zoo::random_tokens(&tokens, &device), &mut cache);
        let mut logits = vec![first.logits.clone().into_data()];
        let mut next = first.logits.argmax(1);
        let mut touched = Vec::new();
        for _ in 0..2 {
            let out = model.decode(next, &mut cache);
            logits.push(out.logits.clone().into_data());
            touched.push(out.experts_touched);
            next = out.logits.argmax(1);
        }
        (logits, touched)
    };
    let (gpu, gpu_touched) = generate(backend);
    let (cpu, cpu_touched) = generate(Backend::Ndarray);
    for (g, c) in gpu.iter().zip(&cpu) {
        g.assert_approx_eq::<f32>(c, Tolerance::absolute(1e-3));
    }
    assert_eq!(gpu_touched, cpu_touched);
}

/// A transformers checkpoint on wgpu: its logits in f32 are transformers', in f16 (where the
/// adapter has shader f16) near them; bf16 and quantized matrices are refused by name.
#[test]
fn a_checkpoint_on_wgpu_gives_transformers_logits() {
    let Some(backend) = wgpu() else { return };
    let tiny = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{tiny}/qwen2_moe/expected.json")).unwrap(),
    )
    .unwrap();
    let prompt: Vec<i64> = serde_json::from_value(expected["prompt"].clone()).unwrap();
    let want: Vec<f32> = serde_json::from_value::<Vec<Vec<f32>>>(expected["logits"].clone())
        .unwrap()
        .concat();
    let suite = |extra: &str| {
        let text = format!(
            "[suite]\nname = \"t\"\nbatch = 1\nprompt_len = 12\ngen_len = 1\nvocab = 96\nbaseline = \"m\"\n\n\
             [[variant]]\nname = \"m\"\nfrom = \"qwen2_moe\"\nweights = \"qwen2_moe/model.safetensors\"\n{extra}"
        );
        spec::parse_suite(&text, &format!("{tiny}/suite.toml")).unwrap()
    };
    let device = backend.device().unwrap();
    let n = prompt.len();
    for (extra, tolerance) in [("", 1e-4f32), ("dtype = \"f16\"", 0.02)] {
        let s = suite(extra);
        let model = match zoo::build_lm(&s.variants[0], &s.workload, backend, u64::MAX, "a test") {
            Ok(model) => model,
            Err(e) if !extra.is_empty() => {
                let e = e.to_string();
                assert!(e.contains("f16"), "{e}");
                eprintln!("skipping f16: {e}");
                continue;
            }
            Err(e) => panic!("{e}"),
        };
        let tokens = burn::tensor::Tensor::<2, burn::tensor::Int>::from_data(
            burn::tensor::TensorData::new(prompt.clone(), [1, n]),
            &device,
        );
        let got: Vec<f32> = model
            .forward(tokens)
            .logits
            .cast(burn::tensor::FloatDType::F32)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let diff = got
            .iter()
            .zip(&want)
            .map(|(g, w)| (g - w).abs())
            .fold(0.0f32, f32::max);
        assert!(
            diff <= tolerance,
            "{extra}: {diff} from transformers' logits"
        );
    }
    for extra in ["dtype = \"bf16\"", "quantize = \"int8\"\nquant_block = 16"] {
        let s = suite(extra);
        let e = zoo::build_lm(&s.variants[0], &s.workload, backend, u64::MAX, "a test")
            .expect_err("refused on wgpu")
            .to_string();
        assert!(e.contains("wgpu"), "{e}");
    }
}
