//! Engine overhead: a variant's throughput as `effprof bench` measures it against a bare loop
//! of forward + sync on the same model in the same process.
//!
//! `cargo run --example engine_overhead [BACKEND] [VARIANT] [SECONDS]` (default: ndarray,
//! dense-base, 5). Alternates bare loop and engine twice, so drift hits both alike.

use std::time::{Duration, Instant};

use burn::prelude::*;
use effprof::backend::Backend;
use effprof::engine::EngineConfig;
use effprof::headless::{self, Stop};
use effprof::{spec, zoo};

fn bare_loop(suite: &spec::Suite, name: &str, backend: Backend, seconds: f64) -> f64 {
    let variant = suite.variant(name).expect("the variant exists");
    let w = &suite.workload;
    let device = backend.device().expect("the backend opens");
    let model =
        zoo::build_lm(variant, w, backend, u64::MAX, "the bare loop").expect("the model builds");
    let tokens_of = w.token_workload().expect("a token suite");
    let mut tokens = zoo::random_tokens(&tokens_of, &device);
    let step = |tokens: Tensor<2, Int>| {
        let out = model.forward(tokens.clone());
        let next = zoo::chained_input(tokens, out.logits);
        device.sync().expect("the device works");
        next
    };
    for _ in 0..20 {
        tokens = step(tokens);
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        tokens = step(tokens);
        n += 1;
    }
    (n * w.batch as u64) as f64 / start.elapsed().as_secs_f64()
}

fn engine(suite: &spec::Suite, name: &str, backend: Backend, seconds: f64) -> f64 {
    let mut config = EngineConfig::new(suite.clone(), backend, u64::MAX);
    config.variants = vec![name.to_owned()];
    config.measure_peaks = false;
    if let Ok(ms) = std::env::var("SUMMARY_MS") {
        config.summary_every = Duration::from_millis(ms.parse().expect("milliseconds"));
    }
    let summary = headless::run(
        config,
        Stop::Duration(Duration::from_secs_f64(seconds)),
        |_| {},
    )
    .expect("the engine runs");
    summary.variants[0].samples_per_s.expect("measured")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let backend: Backend = args
        .next()
        .unwrap_or("ndarray".into())
        .parse()
        .expect("a backend");
    let name = args.next().unwrap_or("dense-base".into());
    let seconds: f64 = args
        .next()
        .map(|s| s.parse().expect("seconds"))
        .unwrap_or(5.0);
    let suite = spec::load_suite("misnomer").expect("the default suite loads");
    let mut ratios = Vec::new();
    for round in 1..=2 {
        let bare = bare_loop(&suite, &name, backend, seconds);
        let measured = engine(&suite, &name, backend, seconds);
        println!(
            "round {round}: bare loop {bare:.2} samples/s, effprof engine {measured:.2} samples/s, ratio {:.3}",
            measured / bare
        );
        ratios.push(measured / bare);
    }
    println!(
        "{name} on {backend}: engine / bare = {:.3} (mean of {} rounds)",
        ratios.iter().sum::<f64>() / ratios.len() as f64,
        ratios.len()
    );
}
