//! The best a backend did on microbenchmarks: the roof every variant's figures are read
//! against.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Peaks {
    /// Best matmul FLOP/s over the repetitions.
    pub flops_per_s: f64,
    pub matmul_size: usize,
    /// Best elementwise read + write bytes/s.
    pub bytes_per_s: f64,
    pub copy_bytes: u64,
}
