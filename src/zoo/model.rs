//! The pre-LN transformer encoder every family is built from.

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, Linear};
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;

use super::init::WeightInit;
use super::moe::{MoeFfn, RoutingTensors};
use super::sparse::Proj;
use crate::arch::{Attention, Dims, Family, PruneSpec, TokenWorkload};

#[derive(Module, Debug)]
pub struct SelfAttention {
    query: Proj,
    key: Proj,
    value: Proj,
    output: Proj,
    n_heads: usize,
    /// burn's attention op instead of matmul, softmax, matmul.
    fused: bool,
}

impl SelfAttention {
    fn new(init: &mut WeightInit, dims: &Dims, prune: Option<PruneSpec>) -> Self {
        let d = dims.d_model;
        Self {
            query: Proj::build(init, d, d, prune),
            key: Proj::build(init, d, d, prune),
            value: Proj::build(init, d, d, prune),
            output: Proj::build(init, d, d, prune),
            n_heads: dims.n_heads,
            fused: dims.attention == Attention::Fused,
        }
    }

    /// Bidirectional attention over `[B, S, d]`.
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [b, s, d] = x.dims();
        let (h, dh) = (self.n_heads, d / self.n_heads);
        let heads = |t: Tensor<3>| t.reshape([b, s, h, dh]).swap_dims(1, 2);
        let q = heads(self.query.forward(x.clone()));
        let k = heads(self.key.forward(x.clone()));
        let v = heads(self.value.forward(x));
        let context = if self.fused {
            // Scaled by 1/sqrt(dh), as below.
            attention(q, k, v, None, None, AttentionModuleOptions::default())
        } else {
            let scores = q.matmul(k.swap_dims(2, 3)).div_scalar((dh as f64).sqrt());
            softmax(scores, 3).matmul(v)
        };
        self.output
            .forward(context.swap_dims(1, 2).reshape([b, s, d]))
    }
}

#[derive(Module, Debug)]
pub struct DenseFfn {
    up: Proj,
    down: Proj,
}

#[derive(Module, Debug)]
pub enum FeedForward {
    Dense(DenseFfn),
    Moe(MoeFfn),
}

#[derive(Module, Debug)]
pub struct Block {
    attention_norm: LayerNorm,
    attention: SelfAttention,
    ffn_norm: LayerNorm,
    ffn: FeedForward,
}

impl Block {
    fn forward(&self, x: Tensor<3>, routing: &mut Vec<RoutingTensors>) -> Tensor<3> {
        self.feed_forward(self.attend(x), routing)
    }

    /// The attention sublayer: norm, attention, residual.
    fn attend(&self, x: Tensor<3>) -> Tensor<3> {
        x.clone() + self.attention.forward(self.attention_norm.forward(x))
    }

    /// The feed-forward sublayer (dense or MoE): norm, FFN, residual.
    fn feed_forward(&self, x: Tensor<3>, routing: &mut Vec<RoutingTensors>) -> Tensor<3> {
        let h = self.ffn_norm.forward(x.clone());
        let update = match &self.ffn {
            FeedForward::Dense(ffn) => ffn.down.forward(gelu(ffn.up.forward(h))),
            FeedForward::Moe(moe) => {
                let [b, s, d] = h.dims();
                let (mixed, stats) = moe.forward(h.reshape([b * s, d]));
                routing.push(stats);
                mixed.reshape([b, s, d])
            }
        };
        x + update
    }
}

/// A language model over token ids: embeddings, `n_layers` encoder layers, LM head.
#[derive(Module, Debug)]
pub struct TransformerLm {
    token_embedding: Embedding,
    position_embedding: Param<Tensor<2>>,
    /// One block per layer, or a single shared block (Universal Transformer).
    blocks: Vec<Block>,
    n_layers: usize,
    final_norm: LayerNorm,
    head: Linear,
}

/// The result of one forward pass.
pub struct ForwardOutput {
    /// `[batch, seq_len, vocab]`.
    pub logits: Tensor<3>,
    /// One entry per MoE layer, in layer order.
    pub routing: Vec<RoutingTensors>,
}

impl TransformerLm {
    pub(super) fn new(
        dims: &Dims,
        family: &Family,
        workload: &TokenWorkload,
        init: &mut WeightInit,
    ) -> Self {
        let (d, f) = (dims.d_model, dims.d_ff);
        let token_embedding = init.embedding(workload.vocab, d);
        let position_embedding = Param::from_tensor(init.unit_variance([workload.seq_len, d]));
        let prune = match family {
            Family::Pruned(p) => Some(*p),
            _ => None,
        };
        let distinct_blocks = match family {
            Family::Universal => 1,
            _ => dims.n_layers,
        };
        let blocks = (0..distinct_blocks)
            .map(|layer| {
                let attention_norm = init.layer_norm(d);
                let attention = SelfAttention::new(init, dims, prune);
                let ffn_norm = init.layer_norm(d);
                let ffn = match family {
                    Family::Moe(m) if m.is_moe_layer(layer) => {
                        FeedForward::Moe(MoeFfn::new(init, d, f, m))
                    }
                    _ => FeedForward::Dense(DenseFfn {
                        up: Proj::build(init, d, f, prune),
                        down: Proj::build(init, f, d, prune),
                    }),
                };
                Block {
                    attention_norm,
                    attention,
                    ffn_norm,
                    ffn,
                }
            })
            .collect();
        Self {
            token_embedding,
            position_embedding,
            blocks,
            n_layers: dims.n_layers,
            final_norm: init.layer_norm(d),
            head: init.linear(d, workload.vocab, false),
        }
    }

    /// `tokens`: `[batch, seq_len]` ids below the vocabulary size.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> ForwardOutput {
        let mut routing = Vec::new();
        let x = self.layers(self.embed(tokens), 0..self.n_layers, &mut routing);
        ForwardOutput {
            logits: self.project(x),
            routing,
        }
    }

    /// Layers (blocks) applied, counting a Universal Transformer's repeats.
    pub fn n_layers(&self) -> usize {
        self.n_layers
    }

    /// Token plus position embeddings: `[batch, seq_len, d_model]`.
    pub fn embed(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let [_, s] = tokens.dims();
        let positions = self
            .position_embedding
            .val()
            .narrow(0, 0, s)
            .unsqueeze::<3>();
        self.token_embedding.forward(tokens) + positions
    }

    /// Layers `range` of the stack (a pipeline stage's share), MoE routing appended.
    pub fn layers(
        &self,
        mut x: Tensor<3>,
        range: std::ops::Range<usize>,
        routing: &mut Vec<RoutingTensors>,
    ) -> Tensor<3> {
        for layer in range {
            x = self.blocks[layer % self.blocks.len()].forward(x, routing);
        }
        x
    }

    /// Layer `layer`'s attention sublayer (norm, attention, residual) alone.
    pub fn attention_sublayer(&self, layer: usize, x: Tensor<3>) -> Tensor<3> {
        self.blocks[layer % self.blocks.len()].attend(x)
    }

    /// Layer `layer`'s feed-forward sublayer (norm, dense FFN or MoE, residual) alone.
    pub fn ffn_sublayer(
        &self,
        layer: usize,
        x: Tensor<3>,
        routing: &mut Vec<RoutingTensors>,
    ) -> Tensor<3> {
        self.blocks[layer % self.blocks.len()].feed_forward(x, routing)
    }

    /// Final norm and LM head: `[batch, seq_len, vocab]` logits.
    pub fn project(&self, x: Tensor<3>) -> Tensor<3> {
        self.head.forward(self.final_norm.forward(x))
    }
}
