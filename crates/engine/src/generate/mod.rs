//! Generation measured: each variant of a generation suite prefills its prompt and decodes
//! `gen_len` tokens one at a time from a KV cache, on a backend. Time to first token,
//! inter-token latency and the experts each step ran, beside what the cost model says a step
//! costs.

mod measure;
mod report;

pub use measure::{GenerateOptions, measure_generation};
pub use report::{GenerateReport, GenerationRun, Latencies, measured_rows};
