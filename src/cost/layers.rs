//! Per-layer counts of the transformer families. Each op adds its FLOPs and the bytes it
//! reads and writes; a layer row is the sum of its ops.

use super::row::{LayerCost, LayerKind, OpCounts, Row};
use super::{DTYPE_BYTES, INDEX_BYTES, pruned_count};
use crate::arch::{Attention, Dims, Family, Kernel, MoeSpec, PruneSpec, TokenWorkload};

/// Sizes of the workload and variant, as u64 so products cannot wrap (the caller has bounded
/// them).
struct Shape {
    b: u64,
    s: u64,
    t: u64,
    d: u64,
    h: u64,
    f: u64,
    v: u64,
}

/// A Linear(d_in, d_out) applied to `rows` rows, dense or pruned; adds FLOPs, traffic and
/// parameters to `row`.
fn linear(row: &mut Row, rows: u64, d_in: u64, d_out: u64, bias: bool, prune: Option<PruneSpec>) {
    let numel = d_in * d_out;
    let bias_n = if bias { d_out } else { 0 };
    let dense_flops = 2 * rows * numel;
    let (nnz, executed, weight_bytes, stored_bytes) = match prune {
        None => (numel, dense_flops, numel * DTYPE_BYTES, numel * DTYPE_BYTES),
        Some(p) => {
            let nnz = numel - pruned_count(numel as usize, p.sparsity) as u64;
            match p.kernel {
                Kernel::Dense => (nnz, dense_flops, numel * DTYPE_BYTES, numel * DTYPE_BYTES),
                Kernel::Csr => {
                    // Values and column indices per non-zero, one row pointer per output row.
                    let csr = nnz * (DTYPE_BYTES + INDEX_BYTES) + (d_out + 1) * INDEX_BYTES;
                    (nnz, 2 * rows * nnz, csr, csr)
                }
            }
        }
    };
    row.op(OpCounts {
        flops_dense: dense_flops,
        flops_useful: 2 * rows * nnz,
        flops_executed: executed,
        weight_bytes: weight_bytes + bias_n * DTYPE_BYTES,
        act_read_bytes: rows * d_in * DTYPE_BYTES,
        act_written_bytes: rows * d_out * DTYPE_BYTES,
    });
    // PyTorch counts a pruned weight in full whatever kernel runs it; active counts non-zeros.
    row.params(
        numel + bias_n,
        nnz + bias_n,
        stored_bytes + bias_n * DTYPE_BYTES,
    );
}

fn layer_norm(row: &mut Row, sh: &Shape) {
    row.op(OpCounts {
        weight_bytes: 2 * sh.d * DTYPE_BYTES,
        ..OpCounts::memory(sh.t * sh.d, sh.t * sh.d)
    });
    row.params(2 * sh.d, 2 * sh.d, 2 * sh.d * DTYPE_BYTES);
}

fn residual(row: &mut Row, sh: &Shape) {
    row.op(OpCounts::memory(2 * sh.t * sh.d, sh.t * sh.d));
}

/// LayerNorm -> Q, K, V -> scores -> softmax -> weighted sum -> O -> residual. Explicit
/// attention writes the scores and their softmax to memory and reads them back; fused attention
/// keeps them inside the kernel, so only Q, K, V are read and the context written. The FLOPs
/// are the same.
fn attention(name: String, sh: &Shape, kind: Attention, prune: Option<PruneSpec>) -> LayerCost {
    let mut row = Row::new(name, LayerKind::Attention);
    layer_norm(&mut row, sh);
    for _ in 0..3 {
        linear(&mut row, sh.t, sh.d, sh.d, true, prune);
    }
    let scores = sh.b * sh.h * sh.s * sh.s;
    // q @ k^T: 2*B*H*S*S*Dh; attn @ v: the same. Together 4*B*S*S*d.
    let half = 2 * sh.b * sh.s * sh.s * sh.d;
    let in_flight = match kind {
        Attention::Explicit => {
            row.op(OpCounts::flops(half))
                .op(OpCounts::memory(2 * sh.t * sh.d, scores))
                .op(OpCounts::memory(scores, scores))
                .op(OpCounts::flops(half))
                .op(OpCounts::memory(scores + sh.t * sh.d, sh.t * sh.d));
            // The scores and their softmax at once.
            2 * scores
        }
        Attention::Fused => {
            row.op(OpCounts::flops(2 * half))
                .op(OpCounts::memory(3 * sh.t * sh.d, sh.t * sh.d));
            // The context it writes.
            sh.t * sh.d
        }
    };
    linear(&mut row, sh.t, sh.d, sh.d, true, prune);
    residual(&mut row, sh);
    // The residual stream, q, k, v, and what attention holds.
    row.peak(sh.t * sh.d + 3 * sh.t * sh.d + in_flight);
    row.finish()
}

/// LayerNorm -> Linear(d, f) -> GELU -> Linear(f, d) -> residual.
fn ffn(name: String, sh: &Shape, prune: Option<PruneSpec>) -> LayerCost {
    let mut row = Row::new(name, LayerKind::Ffn);
    layer_norm(&mut row, sh);
    linear(&mut row, sh.t, sh.d, sh.f, true, prune);
    row.op(OpCounts::memory(sh.t * sh.f, sh.t * sh.f));
    linear(&mut row, sh.t, sh.f, sh.d, true, prune);
    residual(&mut row, sh);
    row.peak(2 * sh.t * sh.d + 2 * sh.t * sh.f);
    row.finish()
}

/// FLOPs of one expert FFN (two linears, biases not counted) per token it processes.
pub(super) fn expert_flops_per_token(d_model: u64, d_ff: u64) -> u64 {
    4 * d_model * d_ff
}

/// Tokens the experts of one MoE layer process at balanced load: every token's `k` choices,
/// up to the capacity-padded slots.
pub(super) fn balanced_routed_tokens(moe: &MoeSpec, tokens: usize) -> u64 {
    let slots = moe.n_experts as u64 * moe.capacity(tokens) as u64;
    (moe.top_k as u64 * tokens as u64).min(slots)
}

/// LayerNorm -> router -> softmax -> top-k -> dispatch to capacity-padded expert buffers ->
/// expert FFNs as batched matmuls -> weighted combine -> residual.
fn moe(name: String, sh: &Shape, moe: &MoeSpec, tokens: usize) -> LayerCost {
    let mut row = Row::new(name, LayerKind::Moe);
    let e = moe.n_experts as u64;
    let k = moe.top_k as u64;
    let c = moe.capacity(tokens) as u64;
    let slots = e * c;
    layer_norm(&mut row, sh);
    // Router: Linear(d, E) without bias, then softmax and top-k.
    linear(&mut row, sh.t, sh.d, e, false, None);
    row.op(OpCounts::memory(sh.t * e, sh.t * e))
        .op(OpCounts::memory(sh.t * e, 2 * sh.t * k));
    // Dispatch: gather the routed tokens into E x C slots.
    row.op(OpCounts::memory(slots * sh.d, slots * sh.d));
    let ffn_flops_per_token = expert_flops_per_token(sh.d, sh.f);
    let routed = balanced_routed_tokens(moe, tokens);
    row.op(OpCounts {
        flops_dense: e * sh.t * ffn_flops_per_token,
        flops_useful: routed * ffn_flops_per_token,
        flops_executed: slots * ffn_flops_per_token,
        weight_bytes: e * (2 * sh.d * sh.f + sh.f + sh.d) * DTYPE_BYTES,
        act_read_bytes: (slots * sh.d + 2 * slots * sh.f + slots * sh.f) * DTYPE_BYTES,
        act_written_bytes: (slots * sh.f + slots * sh.f + slots * sh.d) * DTYPE_BYTES,
    });
    // Combine: each token gathers its k expert outputs, scaled by the router probability.
    row.op(OpCounts::memory(k * sh.t * sh.d, sh.t * sh.d));
    residual(&mut row, sh);
    let expert_params = 2 * sh.d * sh.f + sh.f + sh.d;
    row.params(
        e * expert_params,
        k * expert_params,
        e * expert_params * DTYPE_BYTES,
    );
    // The router's weights are counted by `linear`; they are active for every token already.
    row.peak(2 * sh.t * sh.d + 2 * sh.t * e + slots * sh.d + 2 * slots * sh.f);
    row.finish()
}

pub(super) fn layer_costs(
    dims: &Dims,
    family: &Family,
    workload: &TokenWorkload,
) -> Vec<LayerCost> {
    let sh = Shape {
        b: workload.batch as u64,
        s: workload.seq_len as u64,
        t: workload.tokens() as u64,
        d: dims.d_model as u64,
        h: dims.n_heads as u64,
        f: dims.d_ff as u64,
        v: workload.vocab as u64,
    };
    let prune = match family {
        Family::Pruned(p) => Some(*p),
        _ => None,
    };
    let mut rows = Vec::with_capacity(2 * dims.n_layers + 3);

    let mut embed = Row::new("embedding".into(), LayerKind::Embedding);
    let table = sh.v * sh.d + sh.s * sh.d;
    embed
        .params(table, table, table * DTYPE_BYTES)
        // Token rows gathered, then the positions added.
        .op(OpCounts {
            weight_bytes: (sh.t * sh.d + sh.s * sh.d) * DTYPE_BYTES,
            ..OpCounts::memory(sh.t * sh.d, 2 * sh.t * sh.d)
        })
        .peak(2 * sh.t * sh.d);
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
                moe(format!("layer{layer}.moe"), &sh, m, workload.tokens())
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

    let mut norm = Row::new("final_norm".into(), LayerKind::Norm);
    layer_norm(&mut norm, &sh);
    norm.peak(2 * sh.t * sh.d);
    rows.push(norm.finish());

    let mut head = Row::new("head".into(), LayerKind::Head);
    linear(&mut head, sh.t, sh.d, sh.v, false, None);
    head.peak(sh.t * sh.d + sh.t * sh.v);
    rows.push(head.finish());
    rows
}
