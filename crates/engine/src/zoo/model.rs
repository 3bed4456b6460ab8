//! The pre-norm transformer every family is built from: a bidirectional encoder, or a causal
//! decoder in a generation suite, with the language-model choices of its variant.

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::{Embedding, LayerNorm, Linear, RmsNorm, RmsNormConfig};
use burn::prelude::*;
use burn::tensor::FloatDType;
use burn::tensor::activation::{gelu, gelu_approximate, silu, softmax, tanh};
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;

use super::init::WeightInit;
use super::moe::{MoeFfn, RoutingTensors};
use super::sparse::Proj;
use crate::arch::{Attention, Dims, FfnKind, Norm, Positions, QkNorm, TokenWorkload};
use crate::family::{Family, PruneSpec};
use crate::numerics::{Gelu, Numerics};

/// LayerNorm or RMSNorm, as the variant chose.
#[derive(Module, Debug)]
pub enum NormLayer {
    Layer(LayerNorm),
    Rms(RmsNorm),
}

impl NormLayer {
    fn new(init: &WeightInit, d: usize, norm: Norm, eps: f64) -> Self {
        match norm {
            Norm::LayerNorm => NormLayer::Layer(init.layer_norm_eps(d, eps)),
            Norm::RmsNorm => {
                NormLayer::Rms(RmsNormConfig::new(d).with_epsilon(eps).init(init.device()))
            }
        }
    }

    fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self {
            NormLayer::Layer(n) => n.forward(x),
            NormLayer::Rms(n) => n.forward(x),
        }
    }
}

/// Rotary position embedding in the rotate-half form of GPT-NeoX and Llama: elementwise only
/// (torch counts it 0 FLOPs, and so does effprof), with its tables held as constants, not
/// parameters.
#[derive(Module, Debug)]
pub struct Rotary {
    /// `[positions, head_dim]`: each frequency twice, as rotate-half pairs feature i with
    /// feature i + head_dim / 2.
    cos: Tensor<2>,
    sin: Tensor<2>,
}

impl Rotary {
    fn new(positions: usize, head_dim: usize, theta: f64, device: &Device) -> Self {
        let half = head_dim / 2;
        let mut cos = Vec::with_capacity(positions * head_dim);
        let mut sin = Vec::with_capacity(positions * head_dim);
        for p in 0..positions {
            let angles: Vec<f64> = (0..half)
                .map(|i| p as f64 / theta.powf(2.0 * i as f64 / head_dim as f64))
                .collect();
            for _ in 0..2 {
                cos.extend(angles.iter().map(|a| a.cos() as f32));
                sin.extend(angles.iter().map(|a| a.sin() as f32));
            }
        }
        let table = |v| Tensor::from_data(TensorData::new(v, [positions, head_dim]), device);
        Self {
            cos: table(cos),
            sin: table(sin),
        }
    }

    fn cast(self, dtype: FloatDType) -> Self {
        Self {
            cos: self.cos.cast(dtype),
            sin: self.sin.cast(dtype),
        }
    }

    /// `x`: `[B, H, S, Dh]` at positions `start..start + S`.
    fn apply(&self, x: Tensor<4>, start: usize) -> Tensor<4> {
        let [_, _, s, dh] = x.dims();
        let half = dh / 2;
        let at = |t: &Tensor<2>| t.clone().narrow(0, start, s).reshape([1, 1, s, dh]);
        let rotated = Tensor::cat(
            vec![
                x.clone().narrow(3, half, half).neg(),
                x.clone().narrow(3, 0, half),
            ],
            3,
        );
        x * at(&self.cos) + rotated * at(&self.sin)
    }
}

#[derive(Module, Debug)]
pub struct SelfAttention {
    query: Proj,
    /// `d -> n_kv_heads * head_dim`: narrower than the query under grouped-query attention.
    key: Proj,
    value: Proj,
    output: Proj,
    n_heads: usize,
    n_kv_heads: usize,
    head_dim: usize,
    /// RMSNorms of the queries and of the keys (OLMoE over the whole projection, Qwen3 per
    /// head), applied before rotary positions.
    q_norm: Option<NormLayer>,
    k_norm: Option<NormLayer>,
    /// The norms are per head (Qwen3) rather than over the whole projection.
    qk_norm_per_head: bool,
    /// What the scores are multiplied by, where not 1 / sqrt(head_dim).
    #[module(skip)]
    scale: Option<f64>,
    /// `cap * tanh(score / cap)` before the softmax (Gemma 2).
    #[module(skip)]
    softcap: Option<f64>,
    /// burn's attention op instead of matmul, softmax, matmul.
    fused: bool,
    /// Each position attends to itself and earlier ones only (a decoder).
    causal: bool,
    rotary: Option<Rotary>,
}

impl SelfAttention {
    fn new(
        init: &mut WeightInit,
        dims: &Dims,
        prune: Option<PruneSpec>,
        workload: &TokenWorkload,
        numerics: &Numerics,
    ) -> Self {
        let (d, q, kv) = (dims.d_model, dims.q_dim(), dims.kv_dim());
        let eps = numerics.norm_eps;
        let qkv_bias = dims.qkv_bias();
        Self {
            query: Proj::build(init, d, q, qkv_bias, prune),
            key: Proj::build(init, d, kv, qkv_bias, prune),
            value: Proj::build(init, d, kv, qkv_bias, prune),
            output: Proj::build(init, q, d, dims.options.bias, prune),
            n_heads: dims.n_heads,
            n_kv_heads: dims.kv_heads(),
            head_dim: dims.head_dim(),
            q_norm: dims.options.qk_norm.map(|qk| match qk {
                QkNorm::Full => NormLayer::new(init, q, Norm::RmsNorm, eps),
                QkNorm::Head => NormLayer::new(init, dims.head_dim(), Norm::RmsNorm, eps),
            }),
            k_norm: dims.options.qk_norm.map(|qk| match qk {
                QkNorm::Full => NormLayer::new(init, kv, Norm::RmsNorm, eps),
                QkNorm::Head => NormLayer::new(init, dims.head_dim(), Norm::RmsNorm, eps),
            }),
            qk_norm_per_head: dims.options.qk_norm == Some(QkNorm::Head),
            scale: numerics.attn_scale,
            softcap: numerics.attn_softcap,
            fused: dims.attention == Attention::Fused,
            causal: workload.causal(),
            rotary: (dims.options.positions == Positions::Rotary).then(|| {
                Rotary::new(
                    workload.context(),
                    dims.head_dim(),
                    numerics.rope_theta,
                    init.device(),
                )
            }),
        }
    }

    /// Self-attention over `[B, S, d]` (causal in a decoder).
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let (q, k, v) = self.project(x, 0);
        let context = self.attend(q, k, v, self.causal);
        self.merge(context)
    }

    /// Attention of `x` (`[B, n, d]`, positions `start..start + n`) over the cache's first
    /// `start` positions and itself; its keys and values are written into the cache in place.
    fn forward_cached(
        &self,
        x: Tensor<3>,
        cache: LayerCache,
        start: usize,
    ) -> (Tensor<3>, LayerCache) {
        let (q, k, v) = self.project(x, start);
        let [b, kvh, n, dh] = k.dims();
        let at = [0..b, 0..kvh, start..start + n, 0..dh];
        let keys = cache.keys.slice_assign(at.clone(), k);
        let values = cache.values.slice_assign(at, v);
        let seen = [0..b, 0..kvh, 0..start + n, 0..dh];
        let context = self.attend(
            q,
            keys.clone().slice(seen.clone()),
            values.clone().slice(seen),
            true,
        );
        (self.merge(context), LayerCache { keys, values })
    }

    /// Q `[B, H, n, Dh]`, K and V `[B, kv_heads, n, Dh]` of `x`, rotated to positions
    /// `start..start + n` when the positions are rotary.
    fn project(&self, x: Tensor<3>, start: usize) -> (Tensor<4>, Tensor<4>, Tensor<4>) {
        let [b, n, _] = x.dims();
        let dh = self.head_dim;
        let per_head = self.qk_norm_per_head;
        // `[B, n, width]` into `[B, count, n, dh]`, normalised over the width or per head.
        let heads = |t: Tensor<3>, count: usize, norm: &Option<NormLayer>| {
            let t = match norm {
                Some(norm) if !per_head => norm.forward(t),
                _ => t,
            };
            let t = t.reshape([b, n, count, dh]);
            let t = match norm {
                Some(norm) if per_head => norm.forward(t),
                _ => t,
            };
            t.swap_dims(1, 2)
        };
        let mut q = heads(self.query.forward(x.clone()), self.n_heads, &self.q_norm);
        let mut k = heads(self.key.forward(x.clone()), self.n_kv_heads, &self.k_norm);
        let v = heads(self.value.forward(x), self.n_kv_heads, &None);
        if let Some(rotary) = &self.rotary {
            q = rotary.apply(q, start);
            k = rotary.apply(k, start);
        }
        (q, k, v)
    }

    /// The context of queries `q` over keys `k` and values `v` (as many or more positions,
    /// the queries being the last ones); causal: each query sees its own position and earlier.
    fn attend(&self, q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, causal: bool) -> Tensor<4> {
        let [b, h, n, dh] = q.dims();
        let [_, kvh, keys, _] = k.dims();
        // Each key/value head serves n_heads / n_kv_heads query heads.
        let repeat = |t: Tensor<4>| {
            if kvh == h {
                t
            } else {
                t.unsqueeze_dim::<5>(2)
                    .expand([b, kvh, h / kvh, keys, dh])
                    .reshape([b, h, keys, dh])
            }
        };
        let (k, v) = (repeat(k), repeat(v));
        if self.fused {
            // Scaled as below; burn aligns the causal mask to the last key.
            let options = AttentionModuleOptions {
                is_causal: causal,
                scale: self.scale,
                softcap: self.softcap,
            };
            attention(q, k, v, None, None, options)
        } else {
            let scale = self.scale.unwrap_or(1.0 / (dh as f64).sqrt());
            let mut scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale);
            if let Some(cap) = self.softcap {
                scores = softcap(scores, cap);
            }
            if causal {
                let offset = (keys - n) as i64;
                let future = Tensor::<2, Bool>::tril_mask([n, keys], offset, &scores.device());
                scores = scores.mask_fill(future.reshape([1, 1, n, keys]), f32::NEG_INFINITY);
            }
            softmax(scores, 3).matmul(v)
        }
    }

    /// The heads' context `[B, H, n, Dh]` merged and through the output projection.
    fn merge(&self, context: Tensor<4>) -> Tensor<3> {
        let [b, h, n, dh] = context.dims();
        self.output
            .forward(context.swap_dims(1, 2).reshape([b, n, h * dh]))
    }
}

/// One layer's keys and values: `[B, kv_heads, capacity, head_dim]` each, allocated for the
/// whole context at once and written in place position by position.
#[derive(Debug)]
pub struct LayerCache {
    keys: Tensor<4>,
    values: Tensor<4>,
}

/// The KV cache of a generation: one [`LayerCache`] per layer applied (a Universal
/// Transformer's shared layer gets one per application), and how many positions are filled.
#[derive(Debug)]
pub struct KvCache {
    layers: Vec<Option<LayerCache>>,
    len: usize,
    capacity: usize,
}

impl KvCache {
    /// Positions filled so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// What a prefill or decode step returns.
pub struct StepOutput {
    /// `[batch, vocab]`: the logits of each sequence's last position.
    pub logits: Tensor<2>,
    /// Distinct experts each MoE layer ran in this step, in layer order (decode steps only).
    pub experts_touched: Vec<usize>,
    /// One entry per MoE layer (prefill only: it routes with expert capacity, as a forward
    /// pass does).
    pub routing: Vec<RoutingTensors>,
}

/// `cap * tanh(x / cap)`: values squashed into (-cap, cap), nearly unchanged well inside.
fn softcap<const D: usize>(x: Tensor<D>, cap: f64) -> Tensor<D> {
    tanh(x.div_scalar(cap)).mul_scalar(cap)
}

/// An FFN's activation: GELU over an ungated FFN's hidden layer, and over a gated one's gate
/// SiLU (SwiGLU) or GELU (GeGLU); GELU in its erf or tanh form.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Activation {
    gelu_gate: bool,
    gelu: Gelu,
}

impl Activation {
    pub(crate) fn new(dims: &Dims, numerics: &Numerics) -> Self {
        Self {
            gelu_gate: dims.options.ffn == FfnKind::GeGlu,
            gelu: numerics.gelu,
        }
    }

    /// The activation of a gated FFN's gate (`gated`), or of an ungated one's hidden layer.
    pub(crate) fn apply<const D: usize>(self, gated: bool, x: Tensor<D>) -> Tensor<D> {
        match (gated && !self.gelu_gate, self.gelu) {
            (true, _) => silu(x),
            (false, Gelu::Exact) => gelu(x),
            (false, Gelu::Tanh) => gelu_approximate(x),
        }
    }
}

#[derive(Module, Debug)]
pub struct DenseFfn {
    up: Proj,
    /// SwiGLU's gate projection: SiLU(gate(x)) * up(x) (GELU for GeGLU).
    gate: Option<Proj>,
    down: Proj,
    #[module(skip)]
    act: Activation,
}

impl DenseFfn {
    fn new(init: &mut WeightInit, dims: &Dims, prune: Option<PruneSpec>, act: Activation) -> Self {
        Self::of_width(init, dims, dims.d_ff, prune, act)
    }

    /// The layer's FFN `f` wide (a shared expert's width, where not d_ff).
    pub(crate) fn of_width(
        init: &mut WeightInit,
        dims: &Dims,
        f: usize,
        prune: Option<PruneSpec>,
        act: Activation,
    ) -> Self {
        let (d, bias) = (dims.d_model, dims.options.bias);
        let up = Proj::build(init, d, f, bias, prune);
        let gate = dims
            .options
            .ffn
            .gated()
            .then(|| Proj::build(init, d, f, bias, prune));
        let down = Proj::build(init, f, d, bias, prune);
        Self {
            up,
            gate,
            down,
            act,
        }
    }

    pub(crate) fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let hidden = match &self.gate {
            None => self.act.apply(false, self.up.forward(x)),
            Some(gate) => self.act.apply(true, gate.forward(x.clone())) * self.up.forward(x),
        };
        self.down.forward(hidden)
    }
}

// One per layer, built once: the size is nothing, and burn's Module has no Box.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum FeedForward {
    Dense(DenseFfn),
    Moe(MoeFfn),
}

#[derive(Module, Debug)]
pub struct Block {
    attention_norm: NormLayer,
    /// Gemma 2's norms of each sublayer's output, before the residual add.
    post_attention_norm: Option<NormLayer>,
    post_ffn_norm: Option<NormLayer>,
    attention: SelfAttention,
    ffn_norm: NormLayer,
    ffn: FeedForward,
}

impl Block {
    fn forward(&self, x: Tensor<3>, routing: &mut Vec<RoutingTensors>) -> Tensor<3> {
        self.feed_forward(self.attend(x), routing)
    }

    /// The attention sublayer: norm, attention, residual.
    fn attend(&self, x: Tensor<3>) -> Tensor<3> {
        let out = self
            .attention
            .forward(self.attention_norm.forward(x.clone()));
        x + post(&self.post_attention_norm, out)
    }

    /// The feed-forward sublayer (dense or MoE): norm, FFN, residual.
    fn feed_forward(&self, x: Tensor<3>, routing: &mut Vec<RoutingTensors>) -> Tensor<3> {
        let h = self.ffn_norm.forward(x.clone());
        let update = match &self.ffn {
            FeedForward::Dense(ffn) => ffn.forward(h),
            FeedForward::Moe(moe) => {
                let [b, s, d] = h.dims();
                let (mixed, stats) = moe.forward(h.reshape([b * s, d]));
                routing.push(stats);
                mixed.reshape([b, s, d])
            }
        };
        x + post(&self.post_ffn_norm, update)
    }
}

/// A sublayer's output, normalised where the model has post-norms.
fn post(norm: &Option<NormLayer>, out: Tensor<3>) -> Tensor<3> {
    match norm {
        Some(norm) => norm.forward(out),
        None => out,
    }
}

impl Block {
    /// The layer over `x` at positions `start..`, with its cache; a decode step's MoE runs the
    /// chosen experts only and reports how many it ran.
    fn forward_cached(
        &self,
        x: Tensor<3>,
        cache: LayerCache,
        start: usize,
        step: &mut StepOutput,
        decode: bool,
    ) -> (Tensor<3>, LayerCache) {
        let (attended, cache) =
            self.attention
                .forward_cached(self.attention_norm.forward(x.clone()), cache, start);
        let x = x + post(&self.post_attention_norm, attended);
        let h = self.ffn_norm.forward(x.clone());
        let update = match &self.ffn {
            FeedForward::Dense(ffn) => ffn.forward(h),
            FeedForward::Moe(moe) => {
                let [b, n, d] = h.dims();
                let flat = h.reshape([b * n, d]);
                let mixed = if decode {
                    let (mixed, touched) = moe.forward_chosen(flat);
                    step.experts_touched.push(touched);
                    mixed
                } else {
                    let (mixed, routing) = moe.forward(flat);
                    step.routing.push(routing);
                    mixed
                };
                mixed.reshape([b, n, d])
            }
        };
        (x + post(&self.post_ffn_norm, update), cache)
    }
}

/// A language model over token ids: embeddings, `n_layers` layers, LM head.
#[derive(Module, Debug)]
pub struct TransformerLm {
    token_embedding: Embedding,
    /// Learned positions; `None` with rotary positions or none.
    position_embedding: Option<Param<Tensor<2>>>,
    /// What the token embeddings are multiplied by: sqrt(d_model) for Gemma, else 1.
    embedding_scale: f64,
    /// One block per layer, or a single shared block (Universal Transformer).
    blocks: Vec<Block>,
    n_layers: usize,
    final_norm: NormLayer,
    /// The LM head's own weights; `None` when it reads the token embedding's table again.
    head: Option<Linear>,
    /// `cap * tanh(logit / cap)` over the logits (Gemma 2).
    #[module(skip)]
    logit_softcap: Option<f64>,
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
        numerics: &Numerics,
        init: &mut WeightInit,
    ) -> Self {
        let d = dims.d_model;
        let norm = dims.options.norm;
        let eps = numerics.norm_eps;
        let act = Activation::new(dims, numerics);
        let token_embedding = init.embedding(workload.vocab, d);
        let position_embedding = match dims.position_rows(workload) {
            0 => None,
            rows => Some(Param::from_tensor(init.unit_variance([rows, d]))),
        };
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
                let attention_norm = NormLayer::new(init, d, norm, eps);
                let attention = SelfAttention::new(init, dims, prune, workload, numerics);
                let ffn_norm = NormLayer::new(init, d, norm, eps);
                let post_norm = || {
                    dims.options
                        .post_norms
                        .then(|| NormLayer::new(init, d, norm, eps))
                };
                let (post_attention_norm, post_ffn_norm) = (post_norm(), post_norm());
                let ffn = match family {
                    Family::Moe(m) if m.is_moe_layer(layer) => {
                        FeedForward::Moe(MoeFfn::new(init, dims, m, numerics))
                    }
                    _ => FeedForward::Dense(DenseFfn::new(init, dims, prune, act)),
                };
                Block {
                    attention_norm,
                    post_attention_norm,
                    post_ffn_norm,
                    attention,
                    ffn_norm,
                    ffn,
                }
            })
            .collect();
        Self {
            token_embedding,
            position_embedding,
            embedding_scale: if dims.options.scale_embeddings {
                (d as f64).sqrt()
            } else {
                1.0
            },
            blocks,
            n_layers: dims.n_layers,
            final_norm: NormLayer::new(init, d, norm, eps),
            head: (!dims.options.tie_embeddings).then(|| init.linear(d, workload.vocab, false)),
            logit_softcap: numerics.logit_softcap,
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

    /// The model with every weight (and the rotary tables) in `dtype`: what it computes in.
    pub fn cast(self, dtype: FloatDType) -> Self {
        let mut model = self.map(&mut CastParams { dtype });
        for block in &mut model.blocks {
            if let Some(rotary) = block.attention.rotary.take() {
                block.attention.rotary = Some(rotary.cast(dtype));
            }
        }
        model
    }

    /// The dtype its weights and activations are in.
    pub fn dtype(&self) -> burn::tensor::DType {
        self.token_embedding.weight.val().dtype()
    }

    /// An empty KV cache for `batch` sequences of up to `capacity` positions, in the model's
    /// dtype.
    pub fn new_cache(&self, batch: usize, capacity: usize, device: &Device) -> KvCache {
        let attention = &self.blocks[0].attention;
        let shape = [batch, attention.n_kv_heads, capacity, attention.head_dim];
        let dtype = self.dtype();
        KvCache {
            layers: (0..self.n_layers)
                .map(|_| {
                    Some(LayerCache {
                        keys: Tensor::zeros(shape, (device, dtype)),
                        values: Tensor::zeros(shape, (device, dtype)),
                    })
                })
                .collect(),
            len: 0,
            capacity,
        }
    }

    /// The prompt `[batch, n]` in one causal pass, its keys and values written to `cache`
    /// (which it must find empty); returns the logits of each sequence's last position.
    pub fn prefill(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> StepOutput {
        self.forward_cached(tokens, cache, false)
    }

    /// One token per sequence (`[batch, 1]`) after the cached positions.
    pub fn decode(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> StepOutput {
        self.forward_cached(tokens, cache, true)
    }

    fn forward_cached(
        &self,
        tokens: Tensor<2, Int>,
        cache: &mut KvCache,
        decode: bool,
    ) -> StepOutput {
        let [b, n] = tokens.dims();
        let start = cache.len;
        assert!(
            start + n <= cache.capacity,
            "the KV cache holds {} positions; {start} + {n} do not fit",
            cache.capacity
        );
        let embedded = self.token_vectors(tokens);
        let mut x = match &self.position_embedding {
            Some(table) => embedded + table.val().narrow(0, start, n).unsqueeze::<3>(),
            None => embedded,
        };
        let mut step = StepOutput {
            logits: Tensor::zeros([1, 1], &x.device()),
            experts_touched: Vec::new(),
            routing: Vec::new(),
        };
        for layer in 0..self.n_layers {
            let held = cache.layers[layer]
                .take()
                .expect("every layer's cache is put back after use");
            let (y, held) = self.blocks[layer % self.blocks.len()]
                .forward_cached(x, held, start, &mut step, decode);
            cache.layers[layer] = Some(held);
            x = y;
        }
        cache.len = start + n;
        let [vocab, _] = self.token_embedding.weight.val().dims();
        step.logits = self.project(x.narrow(1, n - 1, 1)).reshape([b, vocab]);
        step
    }

    /// Layers (blocks) applied, counting a Universal Transformer's repeats.
    pub fn n_layers(&self) -> usize {
        self.n_layers
    }

    /// Token plus position embeddings: `[batch, seq_len, d_model]`.
    /// The token embeddings, scaled where the model scales them.
    fn token_vectors(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let embedded = self.token_embedding.forward(tokens);
        if self.embedding_scale == 1.0 {
            embedded
        } else {
            embedded.mul_scalar(self.embedding_scale)
        }
    }

    pub fn embed(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let [_, s] = tokens.dims();
        let embedded = self.token_vectors(tokens);
        match &self.position_embedding {
            Some(table) => embedded + table.val().narrow(0, 0, s).unsqueeze::<3>(),
            None => embedded,
        }
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
        self.head_logits(self.norm_final(x))
    }

    /// The final norm alone.
    pub fn norm_final(&self, x: Tensor<3>) -> Tensor<3> {
        self.final_norm.forward(x)
    }

    /// The LM head (and its soft-capping) over the normalised `x`.
    pub fn head_logits(&self, x: Tensor<3>) -> Tensor<3> {
        let logits = match &self.head {
            Some(head) => head.forward(x),
            // (E @ x^T)^T: the token table `[vocab, d]` serves as the head's weight, read as
            // stored; x @ E^T would copy the transposed table on every call.
            None => {
                let [b, n, d] = x.dims();
                let table = self.token_embedding.weight.val();
                let [vocab, _] = table.dims();
                table
                    .matmul(x.reshape([b * n, d]).transpose())
                    .transpose()
                    .reshape([b, n, vocab])
            }
        };
        match self.logit_softcap {
            Some(cap) => softcap(logits, cap),
            None => logits,
        }
    }
}

/// Every float parameter cast to one dtype.
struct CastParams {
    dtype: FloatDType,
}

impl ModuleMapper for CastParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let dtype = self.dtype;
        // A leaf again, as it was: the cast is no step of a training graph.
        param.map(|t| {
            let trained = t.is_require_grad();
            let t = t.cast(dtype).detach();
            if trained { t.require_grad() } else { t }
        })
    }
}
