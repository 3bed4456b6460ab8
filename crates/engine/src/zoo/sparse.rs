//! Magnitude pruning and the CSR kernel that runs only the non-zeros.

use std::sync::Arc;

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use rayon::prelude::*;

use super::init::WeightInit;
use crate::cost::pruned_count;
use crate::family::{Kernel, PruneSpec};

/// Zeroes exactly `pruned_count(len, sparsity)` weights of smallest magnitude.
///
/// Exactly that many, ties or not, so the analytic non-zero count holds.
pub fn magnitude_prune(weights: &mut [f32], sparsity: f64) {
    let k = pruned_count(weights.len(), sparsity);
    if k == 0 {
        return;
    }
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.select_nth_unstable_by(k - 1, |&a, &b| {
        weights[a].abs().total_cmp(&weights[b].abs())
    });
    for &i in &order[..k] {
        weights[i] = 0.0;
    }
}

/// A weight matrix `W [d_in, d_out]` stored as `W^T` in compressed sparse rows: one row per
/// output feature, listing the inputs it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix {
    pub d_in: usize,
    pub d_out: usize,
    /// `row_ptr[o]..row_ptr[o + 1]` indexes the non-zeros of output `o`.
    pub row_ptr: Vec<u32>,
    pub col_idx: Vec<u32>,
    pub values: Vec<f32>,
}

impl CsrMatrix {
    /// From row-major `[d_in, d_out]` weights, keeping the non-zeros.
    pub fn from_dense(weights: &[f32], d_in: usize, d_out: usize) -> Self {
        assert_eq!(weights.len(), d_in * d_out, "weights must be d_in x d_out");
        let mut row_ptr = Vec::with_capacity(d_out + 1);
        let mut col_idx = Vec::new();
        let mut values = Vec::new();
        row_ptr.push(0);
        for o in 0..d_out {
            for i in 0..d_in {
                let w = weights[i * d_out + o];
                if w != 0.0 {
                    col_idx.push(i as u32);
                    values.push(w);
                }
            }
            row_ptr.push(values.len() as u32);
        }
        Self {
            d_in,
            d_out,
            row_ptr,
            col_idx,
            values,
        }
    }

    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// `Y = X W + bias` for row-major `x [rows, d_in]`, returning row-major `[rows, d_out]`.
    ///
    /// Rows are taken in blocks of [`BLOCK`]: a block's inputs are transposed into a small tile
    /// that stays in L1, then each output feature accumulates `w * tile[i]` over its non-zeros
    /// in a register-sized array the compiler vectorises. Blocks run in parallel and write
    /// disjoint rows of `Y`.
    pub fn forward_rows(&self, x: &[f32], rows: usize, bias: &[f32]) -> Vec<f32> {
        let (d_in, d_out) = (self.d_in, self.d_out);
        assert_eq!(x.len(), rows * d_in, "input must be rows x d_in");
        assert_eq!(bias.len(), d_out, "one bias per output");
        let mut y = vec![0.0f32; rows * d_out];
        y.par_chunks_mut(BLOCK * d_out)
            .enumerate()
            .for_each(|(block, y_block)| {
                let r0 = block * BLOCK;
                let n = y_block.len() / d_out;
                let mut tile = vec![0.0f32; d_in * BLOCK];
                for (r, x_row) in x[r0 * d_in..(r0 + n) * d_in].chunks_exact(d_in).enumerate() {
                    for (i, &v) in x_row.iter().enumerate() {
                        tile[i * BLOCK + r] = v;
                    }
                }
                // Outputs feature-major first, so each feature's sums land contiguously.
                let mut out_tile = vec![0.0f32; d_out * BLOCK];
                for (o, out) in out_tile.chunks_exact_mut(BLOCK).enumerate() {
                    let mut acc = [bias[o]; BLOCK];
                    let (start, end) = (self.row_ptr[o] as usize, self.row_ptr[o + 1] as usize);
                    for (&i, &w) in self.col_idx[start..end]
                        .iter()
                        .zip(&self.values[start..end])
                    {
                        let xs: &[f32; BLOCK] = tile[i as usize * BLOCK..(i as usize + 1) * BLOCK]
                            .try_into()
                            .expect("a tile row is BLOCK long");
                        for (a, x) in acc.iter_mut().zip(xs) {
                            *a += w * x;
                        }
                    }
                    out.copy_from_slice(&acc);
                }
                for (r, y_row) in y_block.chunks_exact_mut(d_out).enumerate() {
                    for (o, y) in y_row.iter_mut().enumerate() {
                        *y = out_tile[o * BLOCK + r];
                    }
                }
            });
        y
    }
}

/// One call of the CSR kernel while a forward pass is recorded and not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostKernelCall {
    /// Rows of the input (tokens).
    pub rows: usize,
    pub d_in: usize,
    pub d_out: usize,
    pub nnz: usize,
}

thread_local! {
    /// Set while [`record_host_kernels`] runs: the CSR kernel's calls, which a recorded graph
    /// cannot hold (the kernel runs on the host, on values a recorded graph does not have).
    static HOST_CALLS: std::cell::RefCell<Option<Vec<HostKernelCall>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with the CSR kernel recording its calls instead of running: each returns zeros of
/// its output's shape. For a forward pass on a device that records operations and runs none.
pub fn record_host_kernels<T>(f: impl FnOnce() -> T) -> (T, Vec<HostKernelCall>) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            HOST_CALLS.with(|c| c.borrow_mut().take());
        }
    }
    HOST_CALLS.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let reset = Reset;
    let out = f();
    let calls = HOST_CALLS
        .with(|c| c.borrow_mut().take())
        .unwrap_or_default();
    drop(reset);
    (out, calls)
}

/// Rows the CSR kernel takes at once: four AVX registers of f32 per accumulator.
const BLOCK: usize = 32;

/// A linear layer whose weight is a CSR matrix. Runs on host backends only.
#[derive(Module, Debug)]
pub struct CsrLinear {
    /// The non-zero weights, as parameters, so the module counts what it holds.
    pub values: Param<Tensor<1>>,
    pub bias: Option<Param<Tensor<1>>>,
    /// The same non-zeros with their indices, and the bias, kept on the host for the kernel.
    #[module(skip)]
    pub matrix: Arc<CsrLayerHost>,
}

impl CsrLinear {
    /// A CSR layer from its matrix and bias (none: the kernel adds zeros), on `device`.
    pub fn new(matrix: CsrMatrix, bias: Option<Vec<f32>>, device: &Device) -> Self {
        if let Some(bias) = &bias {
            assert_eq!(bias.len(), matrix.d_out, "one bias per output");
        }
        let values = Tensor::from_data(
            TensorData::new(matrix.values.clone(), [matrix.nnz()]),
            device,
        );
        let bias_param = bias.as_ref().map(|b| {
            Param::from_tensor(Tensor::from_data(
                TensorData::new(b.clone(), [matrix.d_out]),
                device,
            ))
        });
        let bias = bias.unwrap_or_else(|| vec![0.0; matrix.d_out]);
        Self {
            values: Param::from_tensor(values),
            bias: bias_param,
            matrix: Arc::new(CsrLayerHost { matrix, bias }),
        }
    }

    /// `[..., d_in]` -> `[..., d_out]`. The input is read back to the host once, contiguous;
    /// transposes, kernel and bias run there, and the result goes back in one piece.
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        let dims = input.dims();
        let rows: usize = dims[..D - 1].iter().product();
        let host = &self.matrix;
        let device = input.device();
        let mut out_dims = dims;
        out_dims[D - 1] = host.matrix.d_out;
        let call = HostKernelCall {
            rows,
            d_in: host.matrix.d_in,
            d_out: host.matrix.d_out,
            nnz: host.matrix.nnz(),
        };
        let recorded = HOST_CALLS.with(|c| c.borrow_mut().as_mut().map(|calls| calls.push(call)));
        if recorded.is_some() {
            // The copy the kernel's read-back starts with is on the device: record it.
            drop(input.mul_scalar(1.0));
            let zeros = TensorData::new(vec![0.0f32; rows * host.matrix.d_out], out_dims);
            return Tensor::from_data(zeros, &device);
        }
        // burn-ndarray reads back a tensor whose buffer is shared (the attention input feeds Q,
        // K and V) element by element: 4 ms for 128k floats. A fresh buffer from a trivial
        // elementwise op is handed over at memory speed (50 us).
        let x = input
            .mul_scalar(1.0)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32 data converts to f32");
        let y = host.matrix.forward_rows(&x, rows, &host.bias);
        Tensor::from_data(TensorData::new(y, out_dims), &device)
    }
}

/// What the CSR kernel reads on the host: the matrix and a copy of the bias.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrLayerHost {
    pub matrix: CsrMatrix,
    pub bias: Vec<f32>,
}

/// A projection: a plain linear layer, or a CSR one for pruned variants with the CSR kernel.
#[derive(Module, Debug)]
pub enum Proj {
    Dense(Linear),
    Csr(CsrLinear),
}

impl Proj {
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        match self {
            Proj::Dense(linear) => linear.forward(input),
            Proj::Csr(csr) => csr.forward(input),
        }
    }

    /// Linear(d_in, d_out), with a bias when `bias`, pruned when `prune` is set.
    pub fn build(
        init: &mut WeightInit,
        d_in: usize,
        d_out: usize,
        bias: bool,
        prune: Option<PruneSpec>,
    ) -> Self {
        // Without values a pruned matrix's non-zeros are unknown: only shapes build densely.
        let csr = prune.is_some_and(|p| p.kernel == Kernel::Csr);
        if init.is_shapes_only() && !csr {
            return Proj::Dense(init.linear(d_in, d_out, bias));
        }
        let mut weights = init.linear_weights(d_in, d_out);
        match prune {
            None => Proj::Dense(init.linear_from(weights, d_in, d_out, bias)),
            Some(p) => {
                magnitude_prune(&mut weights, p.sparsity);
                match p.kernel {
                    Kernel::Dense => Proj::Dense(init.linear_from(weights, d_in, d_out, bias)),
                    Kernel::Csr => {
                        let matrix = CsrMatrix::from_dense(&weights, d_in, d_out);
                        let bias = bias.then(|| init.bias_values(d_in, d_out));
                        Proj::Csr(CsrLinear::new(matrix, bias, init.device()))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_zeroes_exactly_the_smallest_magnitudes() {
        let mut w = vec![0.5, -0.1, 0.3, -0.9, 0.2, 0.05, -0.4, 0.8, 0.7, -0.6];
        magnitude_prune(&mut w, 0.35); // floor(3.5) = 3 weights
        assert_eq!(w, vec![0.5, 0.0, 0.3, -0.9, 0.0, 0.0, -0.4, 0.8, 0.7, -0.6]);
    }

    #[test]
    fn pruning_with_ties_still_zeroes_the_exact_count() {
        let mut w = vec![1.0f32; 100];
        magnitude_prune(&mut w, 0.9);
        assert_eq!(w.iter().filter(|x| **x == 0.0).count(), 90);
    }

    #[test]
    fn csr_product_equals_the_dense_product() {
        // W [3, 2] row-major; X has 37 rows, so the last block of 16 is partial.
        let w = [1.0, 0.0, 0.0, 2.0, -1.0, 0.5];
        let m = CsrMatrix::from_dense(&w, 3, 2);
        assert_eq!(m.nnz(), 4);
        assert_eq!(m.row_ptr, vec![0, 2, 4]);
        let rows = 37;
        let x: Vec<f32> = (0..rows * 3).map(|v| (v % 7) as f32 - 3.0).collect();
        let bias = [0.25, -0.5];
        let y = m.forward_rows(&x, rows, &bias);
        for t in 0..rows {
            for o in 0..2 {
                let dense: f32 = bias[o] + (0..3).map(|i| x[t * 3 + i] * w[i * 2 + o]).sum::<f32>();
                assert_eq!(y[t * 2 + o], dense, "t={t} o={o}");
            }
        }
    }
}
