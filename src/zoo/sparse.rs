//! Magnitude pruning and the CSR kernel that runs only the non-zeros.

use std::sync::Arc;

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use rayon::prelude::*;

use super::init::WeightInit;
use crate::cost::pruned_count;
use crate::spec::{Kernel, PruneSpec};

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

    /// `Y^T = W^T X^T`: `xt` is `[d_in, n]` row-major, the result `[d_out, n]`.
    ///
    /// Each non-zero scales one contiguous row of `xt` into one contiguous output row (an axpy
    /// the compiler vectorises), and output rows are split across threads.
    pub fn spmm_transposed(&self, xt: &[f32], n: usize) -> Vec<f32> {
        assert_eq!(xt.len(), self.d_in * n, "input must be d_in x n");
        let mut out = vec![0.0f32; self.d_out * n];
        // Enough rows per task to amortise scheduling, few enough to balance two cores.
        let rows_per_task = (self.d_out / (4 * rayon::current_num_threads()).max(1)).max(1);
        out.par_chunks_mut(n * rows_per_task)
            .enumerate()
            .for_each(|(chunk, block)| {
                for (r, out_row) in block.chunks_mut(n).enumerate() {
                    let o = chunk * rows_per_task + r;
                    let (start, end) = (self.row_ptr[o] as usize, self.row_ptr[o + 1] as usize);
                    for (&i, &w) in self.col_idx[start..end]
                        .iter()
                        .zip(&self.values[start..end])
                    {
                        let x_row = &xt[i as usize * n..(i as usize + 1) * n];
                        for (y, x) in out_row.iter_mut().zip(x_row) {
                            *y += w * x;
                        }
                    }
                }
            });
        out
    }
}

/// A linear layer whose weight is a CSR matrix. Runs on host backends only.
#[derive(Module, Debug)]
pub struct CsrLinear {
    /// The non-zero weights, as parameters, so the module counts what it holds.
    pub values: Param<Tensor<1>>,
    pub bias: Param<Tensor<1>>,
    /// The same non-zeros with their indices, kept on the host for the kernel.
    #[module(skip)]
    pub matrix: Arc<CsrMatrix>,
}

impl CsrLinear {
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        let dims = input.dims();
        let rows: usize = dims[..D - 1].iter().product();
        let m = &self.matrix;
        let device = input.device();
        let xt = input
            .reshape([rows, m.d_in])
            .transpose()
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32 data converts to f32");
        let yt = m.spmm_transposed(&xt, rows);
        let y: Tensor<2> = Tensor::from_data(TensorData::new(yt, [m.d_out, rows]), &device);
        let mut out_dims = dims;
        out_dims[D - 1] = m.d_out;
        (y.transpose() + self.bias.val().unsqueeze::<2>()).reshape(out_dims)
    }
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

    /// Linear(d_in, d_out) with bias, pruned when `prune` is set.
    pub fn build(
        init: &mut WeightInit,
        d_in: usize,
        d_out: usize,
        prune: Option<PruneSpec>,
    ) -> Self {
        let mut weights = init.linear_weights(d_in, d_out);
        match prune {
            None => Proj::Dense(init.linear_from(weights, d_in, d_out, true)),
            Some(p) => {
                magnitude_prune(&mut weights, p.sparsity);
                match p.kernel {
                    Kernel::Dense => Proj::Dense(init.linear_from(weights, d_in, d_out, true)),
                    Kernel::Csr => {
                        let matrix = CsrMatrix::from_dense(&weights, d_in, d_out);
                        let values = init.tensor(matrix.values.clone(), [matrix.nnz()]);
                        Proj::Csr(CsrLinear {
                            values: Param::from_tensor(values),
                            bias: Param::from_tensor(init.bias(d_in, d_out)),
                            matrix: Arc::new(matrix),
                        })
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
        // W [3, 2] row-major, X [4, 3].
        let w = [1.0, 0.0, 0.0, 2.0, -1.0, 0.5];
        let x = [1.0, 2.0, 3.0, 0.0, 1.0, 0.0, -1.0, 0.0, 2.0, 4.0, 4.0, 4.0];
        let m = CsrMatrix::from_dense(&w, 3, 2);
        assert_eq!(m.nnz(), 4);
        assert_eq!(m.row_ptr, vec![0, 2, 4]);
        let mut xt = vec![0.0; 12];
        for t in 0..4 {
            for i in 0..3 {
                xt[i * 4 + t] = x[t * 3 + i];
            }
        }
        let yt = m.spmm_transposed(&xt, 4);
        for t in 0..4 {
            for o in 0..2 {
                let dense: f32 = (0..3).map(|i| x[t * 3 + i] * w[i * 2 + o]).sum();
                assert_eq!(yt[o * 4 + t], dense, "t={t} o={o}");
            }
        }
    }
}
