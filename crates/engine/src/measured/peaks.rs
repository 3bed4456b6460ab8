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

/// Round peaks for the unit tests' arithmetic: 100 GFLOP/s and 10 GB/s, a ridge at 10 FLOP/B.
#[cfg(test)]
pub(crate) const TEST_PEAKS: Peaks = Peaks {
    flops_per_s: 100e9,
    matmul_size: 1024,
    bytes_per_s: 10e9,
    copy_bytes: 1 << 28,
};
