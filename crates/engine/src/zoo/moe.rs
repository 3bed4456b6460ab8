//! Switch-style mixture of experts with fixed expert capacity.
//!
//! Routing runs on the device with static shapes (every expert gets `capacity` slots, padded
//! with a zero row), so a new batch never means new kernel shapes on wgpu, and the experts run
//! as two batched matmuls.

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;
use burn::tensor::activation::{sigmoid, softmax};

use super::init::WeightInit;
use super::model::{Activation, DenseFfn};
use crate::arch::{Dims, FfnKind};
use crate::family::MoeSpec;
use crate::measured::RoutingStats;
use crate::numerics::Numerics;

#[derive(Module, Debug)]
pub struct MoeFfn {
    router: Linear,
    /// `[E, d, f]` and `[E, 1, f]`; SwiGLU's gate the same; `[E, f, d]` and `[E, 1, d]`. The
    /// biases are absent in a variant without them.
    up: Param<Tensor<3>>,
    up_bias: Option<Param<Tensor<3>>>,
    gate: Option<Param<Tensor<3>>>,
    gate_bias: Option<Param<Tensor<3>>>,
    down: Param<Tensor<3>>,
    down_bias: Option<Param<Tensor<3>>>,
    n_experts: usize,
    top_k: usize,
    capacity_factor: f64,
    #[module(skip)]
    act: Activation,
    /// Each token's top-k gate weights divided by their sum.
    norm_topk: bool,
    /// The expert every token goes through beside its routed ones.
    shared: Option<SharedExpert>,
}

/// A shared expert: a dense FFN, its output scaled by sigmoid(gate(x)) where it has a gate.
#[derive(Module, Debug)]
pub struct SharedExpert {
    ffn: DenseFfn,
    /// Linear(d, 1) without bias (Qwen2-MoE).
    gate: Option<Linear>,
}

impl SharedExpert {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let out = self.ffn.forward(x.clone());
        match &self.gate {
            Some(gate) => out * sigmoid(gate.forward(x)),
            None => out,
        }
    }
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
pub fn route(probs: Tensor<2>, top_k: usize, capacity: usize, norm_topk: bool) -> Dispatch {
    let [tokens, n_experts] = probs.dims();
    let device = probs.device();
    let (gates, choices) = top_choices(probs, top_k, norm_topk);
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

/// Each token's `top_k` gate weights `[T, k]` (divided by their sum when `norm_topk`) and the
/// experts they choose.
fn top_choices(probs: Tensor<2>, top_k: usize, norm_topk: bool) -> (Tensor<2>, Tensor<2, Int>) {
    let (gates, choices) = probs.topk_with_indices(top_k, 1);
    let gates = if norm_topk {
        gates.clone() / gates.sum_dim(1)
    } else {
        gates
    };
    (gates, choices)
}

impl MoeFfn {
    pub fn new(init: &mut WeightInit, dims: &Dims, spec: &MoeSpec, numerics: &Numerics) -> Self {
        let act = Activation::new(dims, numerics);
        let (d_model, d_ff, bias) = (
            dims.d_model,
            spec.expert_width(dims.d_ff),
            dims.options.bias,
        );
        let e = spec.n_experts;
        let router = init.linear(d_model, e, false);
        let mut stacked = |d_in: usize, d_out: usize| {
            if init.is_shapes_only() {
                let bound = 1.0 / (d_in as f32).sqrt();
                return (
                    Param::from_tensor(init.drawn([e, d_in, d_out], bound)),
                    bias.then(|| Param::from_tensor(init.drawn([e, 1, d_out], bound))),
                );
            }
            let (mut w, mut b) = (Vec::new(), Vec::new());
            for _ in 0..e {
                w.extend(init.linear_weights(d_in, d_out));
                if bias {
                    b.extend(init.uniform(d_out, 1.0 / (d_in as f32).sqrt()));
                }
            }
            (
                Param::from_tensor(init.tensor(w, [e, d_in, d_out])),
                bias.then(|| Param::from_tensor(init.tensor(b, [e, 1, d_out]))),
            )
        };
        let (up, up_bias) = stacked(d_model, d_ff);
        let (gate, gate_bias) = match dims.options.ffn {
            FfnKind::Gelu => (None, None),
            FfnKind::SwiGlu | FfnKind::GeGlu => {
                let (g, b) = stacked(d_model, d_ff);
                (Some(g), b)
            }
        };
        let (down, down_bias) = stacked(d_ff, d_model);
        let shared = spec.shared_d_ff.map(|f| SharedExpert {
            ffn: DenseFfn::of_width(init, dims, f, None, act),
            gate: spec.shared_gate.then(|| init.linear(d_model, 1, false)),
        });
        Self {
            shared,
            act,
            norm_topk: numerics.norm_topk,
            router,
            up,
            up_bias,
            gate,
            gate_bias,
            down,
            down_bias,
            n_experts: e,
            top_k: spec.top_k,
            capacity_factor: spec.capacity_factor,
        }
    }

    pub fn capacity(&self, tokens: usize) -> usize {
        MoeSpec::new(self.n_experts, self.top_k, self.capacity_factor, 1).capacity(tokens)
    }

    /// The routed experts' `mixed` output plus the shared expert's over `x`, where there is one.
    fn with_shared(&self, mixed: Tensor<2>, x: Tensor<2>) -> Tensor<2> {
        match &self.shared {
            Some(shared) => mixed + shared.forward(x),
            None => mixed,
        }
    }

    /// One expert's FFN over its tokens `x` (`[n, d]`).
    fn expert(&self, e: usize, x: Tensor<2>) -> Tensor<2> {
        let take = |w: &Param<Tensor<3>>| {
            let [_, rows, cols] = w.val().dims();
            w.val().narrow(0, e, 1).reshape([rows, cols])
        };
        let bias = |b: &Option<Param<Tensor<3>>>| {
            b.as_ref().map(|b| {
                let [_, _, cols] = b.val().dims();
                b.val().narrow(0, e, 1).reshape([1, cols])
            })
        };
        let project = |x: Tensor<2>, w: &Param<Tensor<3>>, b: &Option<Param<Tensor<3>>>| {
            let y = x.matmul(take(w));
            match bias(b) {
                Some(b) => y + b,
                None => y,
            }
        };
        let up = project(x.clone(), &self.up, &self.up_bias);
        let hidden = match &self.gate {
            None => self.act.apply(false, up),
            Some(gate) => self.act.apply(true, project(x, gate, &self.gate_bias)) * up,
        };
        project(hidden, &self.down, &self.down_bias)
    }

    /// A decode step's MoE: each token's k choices read back to the host, then only the
    /// experts chosen run, each over the tokens that chose it (no capacity, nothing dropped).
    /// Returns the mixture `[T, d]` and how many distinct experts ran.
    pub fn forward_chosen(&self, x: Tensor<2>) -> (Tensor<2>, usize) {
        let [tokens, d] = x.dims();
        let device = x.device();
        let probs = softmax(self.router.forward(x.clone()), 1);
        let (gates, choices) = top_choices(probs, self.top_k, self.norm_topk);
        let choices: Vec<i64> = choices.into_data().iter::<i64>().collect();
        let gates = gates.reshape([tokens * self.top_k, 1]);
        let mut mixed = Tensor::<2>::zeros([tokens, d], (&device, x.dtype()));
        let mut touched = 0;
        for e in 0..self.n_experts {
            // (token, flat choice index) of every choice of expert e.
            let (rows, picks): (Vec<i64>, Vec<i64>) = choices
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == e as i64)
                .map(|(i, _)| ((i / self.top_k) as i64, i as i64))
                .unzip();
            if rows.is_empty() {
                continue;
            }
            touched += 1;
            let n = rows.len();
            let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [n]), &device);
            let picks = Tensor::<1, Int>::from_data(TensorData::new(picks, [n]), &device);
            let out =
                self.expert(e, x.clone().select(0, rows.clone())) * gates.clone().select(0, picks);
            mixed = mixed.select_assign(0, rows, out, IndexingUpdateOp::Add);
        }
        (self.with_shared(mixed, x), touched)
    }

    /// `x`: `[T, d]` after the layer norm. Returns the expert mixture `[T, d]`.
    pub fn forward(&self, x: Tensor<2>) -> (Tensor<2>, RoutingTensors) {
        let [tokens, d] = x.dims();
        let device = x.device();
        let e = self.n_experts;
        let capacity = self.capacity(tokens);
        let probs = softmax(self.router.forward(x.clone()), 1);
        let dispatch = route(probs, self.top_k, capacity, self.norm_topk);

        // Which input row fills each slot: row 0 is zeros, token t is row t + 1.
        let token_rows = Tensor::<1, Int>::arange(1..tokens as i64 + 1, &device);
        let mut slot_rows = Tensor::<1, Int>::zeros([e * capacity + 1], &device);
        for slot in &dispatch.slots {
            slot_rows =
                slot_rows.scatter(0, slot.clone(), token_rows.clone(), IndexingUpdateOp::Add);
        }
        let slot_rows = slot_rows.narrow(0, 0, e * capacity);
        let shared_in = x.clone();
        let dtype = x.dtype();
        let padded = Tensor::cat(vec![Tensor::zeros([1, d], (&device, dtype)), x], 0);
        let expert_in = padded.select(0, slot_rows).reshape([e, capacity, d]);

        let project = |x: Tensor<3>, w: &Param<Tensor<3>>, b: &Option<Param<Tensor<3>>>| {
            let y = x.matmul(w.val());
            match b {
                Some(b) => y + b.val(),
                None => y,
            }
        };
        let up = project(expert_in.clone(), &self.up, &self.up_bias);
        let hidden = match &self.gate {
            None => self.act.apply(false, up),
            Some(gate) => {
                self.act
                    .apply(true, project(expert_in, gate, &self.gate_bias))
                    * up
            }
        };
        let expert_out = project(hidden, &self.down, &self.down_bias).reshape([e * capacity, d]);
        // The extra slot `E * capacity` is zeros: dropped choices add nothing.
        let expert_out = Tensor::cat(vec![expert_out, Tensor::zeros([1, d], (&device, dtype))], 0);

        let mut mixed = Tensor::<2>::zeros([tokens, d], (&device, dtype));
        for (slot, gate) in dispatch.slots.into_iter().zip(dispatch.gates) {
            mixed = mixed + expert_out.clone().select(0, slot) * gate;
        }
        (
            self.with_shared(mixed, shared_in),
            RoutingTensors {
                assigned: dispatch.assigned,
                capacity,
            },
        )
    }
}
