//! Switch-style mixture of experts with fixed expert capacity.
//!
//! Routing runs on the device with static shapes (every expert gets `capacity` slots, padded
//! with a zero row), so a new batch never means new kernel shapes on wgpu, and the experts run
//! as two batched matmuls.

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;
use burn::tensor::activation::{gelu, softmax};

use super::init::WeightInit;
use crate::arch::MoeSpec;
use crate::measured::RoutingStats;

#[derive(Module, Debug)]
pub struct MoeFfn {
    router: Linear,
    /// `[E, d, f]`, `[E, 1, f]`, `[E, f, d]`, `[E, 1, d]`.
    up: Param<Tensor<3>>,
    up_bias: Param<Tensor<3>>,
    down: Param<Tensor<3>>,
    down_bias: Param<Tensor<3>>,
    n_experts: usize,
    top_k: usize,
    capacity_factor: f64,
}

/// Where one MoE layer sent its tokens; read back to the host only when asked.
#[derive(Debug, Clone)]
pub struct RoutingTensors {
    /// Tokens whose choices picked each expert, before capacity: `[E]`.
    pub assigned: Tensor<1, Int>,
    pub capacity: usize,
}

impl RoutingTensors {
    pub fn read(self) -> RoutingStats {
        let assigned: Vec<u64> = self
            .assigned
            .into_data()
            .iter::<i64>()
            .map(|v| v.max(0) as u64)
            .collect();
        RoutingStats::from_assigned(assigned, self.capacity as u64)
    }
}

/// Slots chosen for the tokens: for each of the k choices, a `[T]` slot index into the
/// `E * capacity` expert buffer, with dropped choices pointing at the extra slot `E * capacity`.
pub struct Dispatch {
    pub slots: Vec<Tensor<1, Int>>,
    pub gates: Vec<Tensor<2>>,
    pub assigned: Tensor<1, Int>,
}

/// Top-k routing with capacity: earlier tokens claim an expert's slots first; every first
/// choice is placed before any second choice, as in GShard.
pub fn route(probs: Tensor<2>, top_k: usize, capacity: usize) -> Dispatch {
    let [tokens, n_experts] = probs.dims();
    let device = probs.device();
    let (gates, choices) = probs.topk_with_indices(top_k, 1);
    let experts = Tensor::<1, Int>::arange(0..n_experts as i64, &device)
        .reshape([1, n_experts])
        .expand([tokens, n_experts]);
    let dump = (n_experts * capacity) as i64;
    let mut taken = Tensor::<2, Int>::zeros([1, n_experts], &device);
    let mut slots = Vec::with_capacity(top_k);
    let mut gate_list = Vec::with_capacity(top_k);
    for j in 0..top_k {
        let choice = choices.clone().slice([0..tokens, j..j + 1]);
        let onehot = experts
            .clone()
            .equal(choice.clone().expand([tokens, n_experts]))
            .int();
        // 0-based position of each token in its expert's queue, after earlier choices.
        let position = (onehot.clone().cumsum(0) + taken.clone())
            .mul(onehot.clone())
            .sum_dim(1)
            .sub_scalar(1);
        taken = taken + onehot.sum_dim(0);
        let over = position.clone().greater_equal_elem(capacity as i64);
        let slot = (choice * capacity as i64 + position).mask_fill(over, dump);
        slots.push(slot.reshape([tokens]));
        gate_list.push(gates.clone().slice([0..tokens, j..j + 1]));
    }
    Dispatch {
        slots,
        gates: gate_list,
        assigned: taken.reshape([n_experts]),
    }
}

impl MoeFfn {
    pub fn new(init: &mut WeightInit, d_model: usize, d_ff: usize, spec: &MoeSpec) -> Self {
        let e = spec.n_experts;
        let router = init.linear(d_model, e, false);
        let mut stacked = |d_in: usize, d_out: usize| {
            let (mut w, mut b) = (Vec::new(), Vec::new());
            for _ in 0..e {
                w.extend(init.linear_weights(d_in, d_out));
                b.extend(init.uniform(d_out, 1.0 / (d_in as f32).sqrt()));
            }
            (
                Param::from_tensor(init.tensor(w, [e, d_in, d_out])),
                Param::from_tensor(init.tensor(b, [e, 1, d_out])),
            )
        };
        let (up, up_bias) = stacked(d_model, d_ff);
        let (down, down_bias) = stacked(d_ff, d_model);
        Self {
            router,
            up,
            up_bias,
            down,
            down_bias,
            n_experts: e,
            top_k: spec.top_k,
            capacity_factor: spec.capacity_factor,
        }
    }

    pub fn capacity(&self, tokens: usize) -> usize {
        MoeSpec {
            n_experts: self.n_experts,
            top_k: self.top_k,
            capacity_factor: self.capacity_factor,
            moe_every: 1,
        }
        .capacity(tokens)
    }

    /// `x`: `[T, d]` after the layer norm. Returns the expert mixture `[T, d]`.
    pub fn forward(&self, x: Tensor<2>) -> (Tensor<2>, RoutingTensors) {
        let [tokens, d] = x.dims();
        let device = x.device();
        let e = self.n_experts;
        let capacity = self.capacity(tokens);
        let probs = softmax(self.router.forward(x.clone()), 1);
        let dispatch = route(probs, self.top_k, capacity);

        // Which input row fills each slot: row 0 is zeros, token t is row t + 1.
        let token_rows = Tensor::<1, Int>::arange(1..tokens as i64 + 1, &device);
        let mut slot_rows = Tensor::<1, Int>::zeros([e * capacity + 1], &device);
        for slot in &dispatch.slots {
            slot_rows =
                slot_rows.scatter(0, slot.clone(), token_rows.clone(), IndexingUpdateOp::Add);
        }
        let slot_rows = slot_rows.narrow(0, 0, e * capacity);
        let padded = Tensor::cat(vec![Tensor::zeros([1, d], &device), x], 0);
        let expert_in = padded.select(0, slot_rows).reshape([e, capacity, d]);

        let hidden = gelu(expert_in.matmul(self.up.val()) + self.up_bias.val());
        let expert_out =
            (hidden.matmul(self.down.val()) + self.down_bias.val()).reshape([e * capacity, d]);
        // The extra slot `E * capacity` is zeros: dropped choices add nothing.
        let expert_out = Tensor::cat(vec![expert_out, Tensor::zeros([1, d], &device)], 0);

        let mut mixed = Tensor::<2>::zeros([tokens, d], &device);
        for (slot, gate) in dispatch.slots.into_iter().zip(dispatch.gates) {
            mixed = mixed + expert_out.clone().select(0, slot) * gate;
        }
        (
            mixed,
            RoutingTensors {
                assigned: dispatch.assigned,
                capacity,
            },
        )
    }
}
