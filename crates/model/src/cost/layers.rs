//! Per-layer counts of the transformer families. Each op adds its FLOPs and the bytes it
//! reads and writes; a layer row is the sum of its ops.

use super::row::{LayerCost, LayerKind, OpCounts, Row};
use super::{INDEX_BYTES, pruned_count};
use crate::arch::{Attention, Dims, FfnKind, LmOptions, Norm, Positions, QkNorm, TokenWorkload};
use crate::family::{Family, Kernel, MoeSpec, PruneSpec};
use crate::precision::Precision;

/// Sizes of the workload and variant, as u64 so products cannot wrap (the caller has bounded
/// them), with the variant's language-model choices.
struct Shape {
    b: u64,
    s: u64,
    t: u64,
    d: u64,
    h: u64,
    f: u64,
    v: u64,
    /// Width of the key and of the value projection (q unless grouped-query).
    kv: u64,
    /// Width of the query and of the attention's context: n_heads x head_dim (d unless
    /// head_dim is set apart).
    q: u64,
    /// Each head's width.
    hd: u64,
    /// Rows of the learned position table (0 without one).
    positions: u64,
    causal: bool,
    o: LmOptions,
    /// Keys each query attends to: `s` in one forward pass, the context in a decode step.
    keys: u64,
    pass: Pass,
    /// The dtype bytes are counted at, and the matrices' quantization.
    p: Precision,
}

/// What a pass over the model does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// One forward pass over `seq_len` tokens per sequence, logits at every position.
    Forward,
    /// A generation's first pass: the prompt, its keys and values written to the cache, logits
    /// at the last position only (all the next token needs).
    Prefill,
    /// One token per sequence attending to `context` cached positions (itself included); its
    /// MoE layers run only the experts its tokens chose.
    Decode { context: u64 },
}

/// A Linear(d_in, d_out) applied to `rows` rows, dense or pruned; adds FLOPs, traffic and
/// parameters to `row`.
fn linear(row: &mut Row, rows: u64, d_in: u64, d_out: u64, bias: bool, prune: Option<PruneSpec>) {
    let numel = d_in * d_out;
    let bias_n = if bias { d_out } else { 0 };
    let dense_flops = 2 * rows * numel;
    let p = row.precision();
    let float = p.float_bytes();
    let matrix = p.matrix_bytes(numel);
    let (nnz, executed, stored_bytes) = match prune {
        None => (numel, dense_flops, matrix),
        Some(prune) => {
            let nnz = numel - pruned_count(numel as usize, prune.sparsity) as u64;
            match prune.kernel {
                Kernel::Dense => (nnz, dense_flops, matrix),
                Kernel::Csr => {
                    // Values and column indices per non-zero, one row pointer per output row.
                    let csr = nnz * (float + INDEX_BYTES) + (d_out + 1) * INDEX_BYTES;
                    (nnz, 2 * rows * nnz, csr)
                }
            }
        }
    };
    row.op(OpCounts {
        flops_dense: dense_flops,
        flops_useful: 2 * rows * nnz,
        flops_executed: executed,
        weight_bytes: stored_bytes + bias_n * float,
        act_read_bytes: rows * d_in * float,
        act_written_bytes: rows * d_out * float,
    });
    // PyTorch counts a pruned weight in full whatever kernel runs it; active counts non-zeros.
    row.params(numel + bias_n, nnz + bias_n, stored_bytes + bias_n * float);
}

/// A Linear(d_in, d_out) without bias kept at the float dtype when the matrices are quantized:
/// an MoE's router (quantizing it would change the routing) and a shared expert's gate.
fn float_linear(row: &mut Row, rows: u64, d_in: u64, d_out: u64) {
    let float = row.precision().float_bytes();
    let numel = d_in * d_out;
    row.op(OpCounts {
        weight_bytes: numel * float,
        act_read_bytes: rows * d_in * float,
        act_written_bytes: rows * d_out * float,
        ..OpCounts::flops(2 * rows * numel)
    })
    .params(numel, numel, numel * float);
}

/// LayerNorm (a weight and a bias per feature) or RMSNorm (a weight).
fn norm(row: &mut Row, sh: &Shape) {
    let n = match sh.o.norm {
        Norm::LayerNorm => 2 * sh.d,
        Norm::RmsNorm => sh.d,
    };
    let bytes = n * sh.p.float_bytes();
    row.op(OpCounts {
        weight_bytes: bytes,
        ..Default::default()
    })
    .mem(sh.t * sh.d, sh.t * sh.d)
    .params(n, n, bytes);
}

/// The sublayer's output (normalised first where the model has post-norms) added to the stream.
fn residual(row: &mut Row, sh: &Shape) {
    if sh.o.post_norms {
        norm(row, sh);
    }
    row.mem(2 * sh.t * sh.d, sh.t * sh.d);
}

/// Norm -> Q, K, V (K and V narrower under grouped-query attention) -> rotary positions ->
/// K, V repeated to every query head -> scores -> (causal mask) -> softmax -> weighted sum ->
/// O -> residual. Explicit attention writes the scores and their softmax to memory and reads
/// them back; fused attention keeps them inside the kernel (and the causal mask too), so only
/// Q, K, V are read and the context written. The FLOPs are the same, and torch counts a causal
/// attention in full.
fn attention(name: String, sh: &Shape, kind: Attention, prune: Option<PruneSpec>) -> LayerCost {
    let mut row = Row::at(name, LayerKind::Attention, sh.p);
    norm(&mut row, sh);
    let qkv_bias = sh.o.bias || sh.o.qkv_bias;
    linear(&mut row, sh.t, sh.d, sh.q, qkv_bias, prune);
    linear(&mut row, sh.t, sh.d, sh.kv, qkv_bias, prune);
    linear(&mut row, sh.t, sh.d, sh.kv, qkv_bias, prune);
    if let Some(qk) = sh.o.qk_norm {
        // RMSNorms of the queries and keys: 0 FLOPs, a pass over each.
        let weights = match qk {
            QkNorm::Full => sh.q + sh.kv,
            QkNorm::Head => 2 * sh.hd,
        };
        let bytes = weights * sh.p.float_bytes();
        row.op(OpCounts {
            weight_bytes: bytes,
            ..Default::default()
        })
        .mem(sh.t * (sh.q + sh.kv), sh.t * (sh.q + sh.kv))
        .params(weights, weights, bytes);
    }
    if sh.o.positions == Positions::Rotary {
        // Queries and keys rotated in place: 0 FLOPs by torch's convention.
        row.mem(sh.t * (sh.q + sh.kv), sh.t * (sh.q + sh.kv));
    }
    if sh.pass != Pass::Forward {
        // This pass's keys and values written into the cache.
        row.mem(2 * sh.t * sh.kv, 2 * sh.t * sh.kv);
    }
    // Keys (and values) attended to, over the whole batch.
    let keys = sh.b * sh.keys;
    if sh.kv < sh.q {
        row.mem(2 * keys * sh.kv, 2 * keys * sh.q);
    }
    let scores = sh.b * sh.h * sh.s * sh.keys;
    // q @ k^T: 2*B*H*S*K*Dh; attn @ v: the same. Together 4*B*S*K*H*Dh (K = S in a forward
    // pass; H*Dh = d unless head_dim is set apart).
    let half = 2 * sh.b * sh.s * sh.keys * sh.q;
    let in_flight = match kind {
        Attention::Explicit => {
            row.op(OpCounts::flops(half))
                .mem(sh.t * sh.q + keys * sh.q, scores);
            if sh.causal {
                row.mem(scores, scores);
            }
            row.mem(scores, scores)
                .op(OpCounts::flops(half))
                .mem(scores + keys * sh.q, sh.t * sh.q);
            // The scores and their softmax at once.
            2 * scores
        }
        Attention::Fused => {
            row.op(OpCounts::flops(2 * half))
                .mem(sh.t * sh.q + 2 * keys * sh.q, sh.t * sh.q);
            // The context it writes.
            sh.t * sh.q
        }
    };
    linear(&mut row, sh.t, sh.q, sh.d, sh.o.bias, prune);
    residual(&mut row, sh);
    // The residual stream, q, k, v, and what attention holds.
    row.peak(sh.t * sh.d + 3 * sh.t * sh.q + in_flight);
    row.finish()
}

/// Norm -> Linear(d, f) -> GELU -> Linear(f, d) -> residual, or for SwiGLU
/// norm -> SiLU(gate(x)) * up(x) -> down -> residual.
fn ffn(name: String, sh: &Shape, prune: Option<PruneSpec>) -> LayerCost {
    let mut row = Row::at(name, LayerKind::Ffn, sh.p);
    norm(&mut row, sh);
    let (t, f) = (sh.t, sh.f);
    match sh.o.ffn {
        FfnKind::Gelu => {
            linear(&mut row, t, sh.d, f, sh.o.bias, prune);
            row.mem(t * f, t * f);
            row.peak(2 * t * sh.d + 2 * t * f);
        }
        FfnKind::SwiGlu | FfnKind::GeGlu => {
            linear(&mut row, t, sh.d, f, sh.o.bias, prune);
            linear(&mut row, t, sh.d, f, sh.o.bias, prune);
            row.mem(t * f, t * f).mem(2 * t * f, t * f);
            row.peak(2 * t * sh.d + 3 * t * f);
        }
    }
    linear(&mut row, t, f, sh.d, sh.o.bias, prune);
    residual(&mut row, sh);
    row.finish()
}

/// FLOPs of one expert FFN (two linears, three for SwiGLU; biases not counted) per token it
/// processes.
pub(super) fn expert_flops_per_token(dims: &Dims, moe: &MoeSpec) -> u64 {
    let f = moe.expert_width(dims.d_ff) as u64;
    2 * dims.options.ffn.projections() * dims.d_model as u64 * f
}

/// Parameters of an FFN `f` wide: its projections' weights and, with biases, theirs.
fn ffn_params(dims: &Dims, f: usize) -> u64 {
    let (d, f) = (dims.d_model as u64, f as u64);
    let projections = dims.options.ffn.projections();
    let biases = if dims.options.bias {
        (projections - 1) * f + d
    } else {
        0
    };
    projections * d * f + biases
}

/// Parameters of one expert FFN.
pub(super) fn expert_params(dims: &Dims, moe: &MoeSpec) -> u64 {
    ffn_params(dims, moe.expert_width(dims.d_ff))
}

/// Bytes of one expert FFN as stored: its matrices at `p` (quantized where it says), its
/// biases as floats.
pub(super) fn expert_bytes(dims: &Dims, moe: &MoeSpec, p: Precision) -> u64 {
    let (d, f) = (dims.d_model as u64, moe.expert_width(dims.d_ff) as u64);
    let projections = dims.options.ffn.projections();
    let biases = expert_params(dims, moe) - projections * d * f;
    projections * p.matrix_bytes(d * f) + biases * p.float_bytes()
}

/// The shared expert every token goes through (and its sigmoid gate, Linear(d, 1)), counted
/// into `row` with the parameters it owns, all active.
fn shared_expert(row: &mut Row, sh: &Shape, moe: &MoeSpec) {
    let Some(f) = moe.shared_d_ff else {
        return;
    };
    let (t, f) = (sh.t, f as u64);
    for _ in 1..sh.o.ffn.projections() {
        linear(row, t, sh.d, f, sh.o.bias, None);
    }
    // The activation (and SwiGLU's product), as in a dense FFN.
    row.mem(t * f, t * f);
    if sh.o.ffn.gated() {
        row.mem(2 * t * f, t * f);
    }
    linear(row, t, f, sh.d, sh.o.bias, None);
    if moe.shared_gate {
        float_linear(row, t, sh.d, 1);
        // sigmoid, then the scale of the shared output.
        row.mem(t, t).mem(t * sh.d + t, t * sh.d);
    }
    // Added to the routed experts' mixture.
    row.mem(2 * t * sh.d, t * sh.d);
}

/// Tokens the experts of one MoE layer process at balanced load: every token's `k` choices,
/// up to the capacity-padded slots.
pub(super) fn balanced_routed_tokens(moe: &MoeSpec, tokens: usize) -> u64 {
    let slots = moe.n_experts as u64 * moe.capacity(tokens) as u64;
    (moe.top_k as u64 * tokens as u64).min(slots)
}

/// Norm -> router -> softmax -> top-k -> dispatch to capacity-padded expert buffers ->
/// expert FFNs as batched matmuls -> weighted combine -> residual.
fn moe(name: String, sh: &Shape, dims: &Dims, moe: &MoeSpec, tokens: usize) -> LayerCost {
    let mut row = Row::at(name, LayerKind::Moe, sh.p);
    let e = moe.n_experts as u64;
    let k = moe.top_k as u64;
    norm(&mut row, sh);
    // Router: Linear(d, E) without bias, then softmax and top-k.
    float_linear(&mut row, sh.t, sh.d, e);
    row.mem(sh.t * e, sh.t * e).mem(sh.t * e, 2 * sh.t * k);
    shared_expert(&mut row, sh, moe);
    if let Pass::Decode { .. } = sh.pass {
        return grouped_experts(row, sh, dims, moe);
    }
    let c = moe.capacity(tokens) as u64;
    let slots = e * c;
    // Dispatch: gather the routed tokens into E x C slots.
    row.mem(slots * sh.d, slots * sh.d);
    let routed = balanced_routed_tokens(moe, tokens);
    let weights = e * expert_bytes(dims, moe, sh.p);
    expert_ffns(row, sh, dims, moe, slots, routed, weights)
}

/// The experts' FFNs over `rows` token rows (capacity-padded slots, or a decode step's routed
/// choices), `useful` of them real, reading `weight_bytes` of expert weights; then the
/// weighted combine, the residual, the layer's expert parameters and its peak.
fn expert_ffns(
    mut row: Row,
    sh: &Shape,
    dims: &Dims,
    moe: &MoeSpec,
    rows: u64,
    useful: u64,
    weight_bytes: u64,
) -> LayerCost {
    let e = moe.n_experts as u64;
    let k = moe.top_k as u64;
    let per_token = expert_flops_per_token(dims, moe);
    let expert_params = expert_params(dims, moe);
    let f = moe.expert_width(dims.d_ff) as u64;
    // Each projection's input and output, and the activation between them.
    let (read, written) = match sh.o.ffn {
        FfnKind::Gelu => (rows * sh.d + 3 * rows * f, 2 * rows * f + rows * sh.d),
        FfnKind::SwiGlu | FfnKind::GeGlu => {
            (2 * rows * sh.d + 4 * rows * f, 4 * rows * f + rows * sh.d)
        }
    };
    row.op(OpCounts {
        flops_dense: e * sh.t * per_token,
        flops_useful: useful * per_token,
        flops_executed: rows * per_token,
        weight_bytes,
        act_read_bytes: read * sh.p.float_bytes(),
        act_written_bytes: written * sh.p.float_bytes(),
    });
    // Combine: each token gathers its k expert outputs, scaled by the router probability.
    row.mem(k * sh.t * sh.d, sh.t * sh.d);
    residual(&mut row, sh);
    // The router's weights are counted by `linear`; they are active for every token already.
    row.params(
        e * expert_params,
        k * expert_params,
        e * expert_bytes(dims, moe, sh.p),
    );
    let hidden = sh.o.ffn.projections() - 1;
    row.peak(2 * sh.t * sh.d + 2 * sh.t * e + rows * sh.d + (hidden + 1) * rows * f);
    row.finish()
}

/// Expected distinct experts one MoE layer's `tokens` choose under uniform top-k routing:
/// E * (1 - (1 - k/E)^tokens).
pub fn expected_experts(moe: &MoeSpec, tokens: u64) -> f64 {
    let e = moe.n_experts as f64;
    let miss = 1.0 - moe.top_k as f64 / e;
    e * (1.0 - miss.powf(tokens as f64))
}

/// A decode step's experts: each token's k choices gathered and run by the experts chosen,
/// with no capacity padding; only the chosen experts' weights are read (the expectation under
/// uniform routing, [`expected_experts`]).
fn grouped_experts(mut row: Row, sh: &Shape, dims: &Dims, moe: &MoeSpec) -> LayerCost {
    let routed = moe.top_k as u64 * sh.t;
    let touched = expected_experts(moe, sh.t);
    // The chosen tokens' rows gathered per expert.
    row.mem(routed * sh.d, routed * sh.d);
    let weights = (touched * expert_bytes(dims, moe, sh.p) as f64).round() as u64;
    expert_ffns(row, sh, dims, moe, routed, routed, weights)
}

pub(super) fn layer_costs(
    dims: &Dims,
    family: &Family,
    workload: &TokenWorkload,
    pass: Pass,
    precision: Precision,
) -> Vec<LayerCost> {
    // A decode step runs one token per sequence.
    let (s, keys) = match pass {
        Pass::Forward | Pass::Prefill => (workload.seq_len as u64, workload.seq_len as u64),
        Pass::Decode { context } => (1, context),
    };
    let sh = Shape {
        b: workload.batch as u64,
        s,
        t: workload.batch as u64 * s,
        d: dims.d_model as u64,
        h: dims.n_heads as u64,
        f: dims.d_ff as u64,
        v: workload.vocab as u64,
        kv: dims.kv_dim() as u64,
        q: dims.q_dim() as u64,
        hd: dims.head_dim() as u64,
        positions: dims.position_rows(workload) as u64,
        causal: workload.causal(),
        o: dims.options,
        keys,
        pass,
        p: precision,
    };
    let prune = match family {
        Family::Pruned(p) => Some(*p),
        _ => None,
    };
    let mut rows = Vec::with_capacity(2 * dims.n_layers + 3);

    let float = sh.p.float_bytes();
    let mut embed = Row::at("embedding".into(), LayerKind::Embedding, sh.p);
    let table = sh.v * sh.d + sh.positions * sh.d;
    embed.params(table, table, table * float);
    if sh.positions > 0 {
        // Token rows gathered, then the positions added.
        embed
            .op(OpCounts {
                weight_bytes: (sh.t * sh.d + sh.s * sh.d) * float,
                ..Default::default()
            })
            .mem(sh.t * sh.d, 2 * sh.t * sh.d);
    } else {
        embed
            .op(OpCounts {
                weight_bytes: sh.t * sh.d * float,
                ..Default::default()
            })
            .mem(0, sh.t * sh.d);
    }
    if sh.o.scale_embeddings {
        // Multiplied by sqrt(d): 0 FLOPs, one more pass over the embeddings.
        embed.mem(sh.t * sh.d, sh.t * sh.d);
    }
    embed.peak(2 * sh.t * sh.d);
    rows.push(embed.finish());

    for layer in 0..dims.n_layers {
        let mut attn = attention(
            format!("layer{layer}.attention"),
            &sh,
            dims.attention,
            prune,
        );
        let mut ff = match family {
            Family::Moe(m) if m.is_moe_layer(layer) => {
                moe(format!("layer{layer}.moe"), &sh, dims, m, sh.t as usize)
            }
            _ => ffn(format!("layer{layer}.ffn"), &sh, prune),
        };
        if matches!(family, Family::Universal) && layer > 0 {
            for (row, part) in [(&mut attn, "attention"), (&mut ff, "ffn")] {
                row.params = 0;
                row.params_active = 0;
                row.param_bytes = 0;
                row.shared_with = Some(format!("layer0.{part}"));
            }
        }
        rows.push(attn);
        rows.push(ff);
    }

    let mut final_norm = Row::at("final_norm".into(), LayerKind::Norm, sh.p);
    norm(&mut final_norm, &sh);
    final_norm.peak(2 * sh.t * sh.d);
    rows.push(final_norm.finish());

    // A tied head reads the embedding table, which is never quantized.
    let head_precision = if sh.o.tie_embeddings {
        Precision {
            quantize: None,
            ..sh.p
        }
    } else {
        sh.p
    };
    let mut head = Row::at("head".into(), LayerKind::Head, head_precision);
    // Generation needs the logits of each sequence's last position only.
    let head_rows = match pass {
        Pass::Forward => sh.t,
        Pass::Prefill | Pass::Decode { .. } => sh.b,
    };
    if head_rows < sh.t {
        // The last position's hidden state picked out of each sequence.
        head.mem(head_rows * sh.d, head_rows * sh.d);
    }
    linear(&mut head, head_rows, sh.d, sh.v, false, None);
    head.peak(sh.t * sh.d + head_rows * sh.v);
    let mut head = head.finish();
    if sh.o.tie_embeddings {
        // The token table read again: PyTorch counts a shared parameter once.
        head.params = 0;
        head.params_active = 0;
        head.param_bytes = 0;
        head.shared_with = Some("embedding".into());
    }
    rows.push(head);
    rows
}
