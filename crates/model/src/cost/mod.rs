//! The analytic cost model: parameters, FLOPs, memory traffic and a memory estimate, per layer
//! and in total. Pure arithmetic over a [`Variant`] and its [`Workload`]; no burn calls.
//!
//! FLOPs follow `torch.utils.flop_counter.FlopCounterMode` (linear 2*M*N*K with bias not
//! counted, batched matmul 2*B*M*N*K, attention 4*B*H*S*S*Dh, softmax, norms, activations,
//! residual adds and lookups 0). Parameters follow `sum(p.numel() for p in m.parameters())`.
//! See [`CONVENTIONS`] for the full list every export carries.

mod conv;
mod conventions;
mod generation;
mod layers;
mod row;
mod vision;

pub use conv::conv_layer_costs;
pub use conventions::CONVENTIONS;
pub use generation::{GenerationCost, generation_cost};
pub use layers::{Pass, expected_experts};
pub use row::{LayerCost, LayerKind, OpCounts};
pub use vision::{ShapeError, vision_layer_costs, vision_leaf_costs};

use serde::{Deserialize, Serialize};

use crate::arch::{Dims, ImageWorkload, TokenWorkload, Variant, Workload};
use crate::family::{Arch, ArchMismatch, ConvSpec, Family};

/// Bytes per element of f32: the dtype the conv and vision families run in, and a
/// transformer's unless its precision says otherwise.
pub const F32_BYTES: u64 = 4;
/// Bytes per stored index of a CSR matrix (u32 column indices and row pointers).
pub const INDEX_BYTES: u64 = 4;

/// Above this many FLOPs or parameters a model is refused as too large to count exactly.
const COUNT_LIMIT: f64 = 1e17;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    /// Trainable parameters, as PyTorch counts them (a pruned weight counts in full).
    pub params_total: u64,
    /// Parameters used per token: MoE counts shared weights, the router and k experts;
    /// pruned counts non-zero weights only.
    pub params_active: u64,
    pub totals: Totals,
    pub layers: Vec<LayerCost>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Every weight used on every token: MoE as if each token went to every expert, pruned as
    /// if no weight were zero.
    pub flops_dense: u64,
    /// What the architecture needs: MoE at balanced load of routed tokens, pruned non-zeros.
    pub flops_useful: u64,
    /// What the chosen kernels run: MoE padded to expert capacity, pruned with the dense
    /// kernel as dense, with the CSR kernel 2 * nnz * rows.
    pub flops_executed: u64,
    /// Multiply-accumulates executed: flops_executed / 2.
    pub macs: u64,
    /// Forward plus backward FLOPs of one training step, as torch counts them (3x forward).
    pub train_flops: u64,
    /// Bytes of weights read plus activations read and written, per forward pass.
    pub mem_access_bytes: u64,
    /// flops_executed / mem_access_bytes.
    pub arithmetic_intensity: f64,
    /// Bytes the parameters take in memory (with CSR index arrays).
    pub param_bytes: u64,
    /// Largest set of activations alive at once during a forward pass (estimate).
    pub activation_peak_bytes: u64,
    /// param_bytes + activation_peak_bytes: what building and running the model needs.
    pub memory_estimate_bytes: u64,
}

/// Why a variant could not be counted.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CountError {
    #[error("`{variant}` is too large to count exactly (about {estimate:.2e} FLOPs or parameters)")]
    TooLarge { variant: String, estimate: f64 },
    #[error(transparent)]
    Mismatch(#[from] ArchMismatch),
    #[error("`{variant}` cannot run on this input: {why}")]
    Shape { variant: String, why: String },
}

/// Number of weights magnitude pruning zeroes in a tensor of `numel` elements.
///
/// The zoo prunes exactly this many, so the analytic non-zero count is exact.
pub fn pruned_count(numel: usize, sparsity: f64) -> usize {
    ((numel as f64) * sparsity).floor() as usize
}

/// The analytic useful FLOPs of an MoE variant with each MoE layer's balanced load replaced by
/// the tokens its experts really processed (`processed`, one entry per MoE layer, as routed
/// by a real pass); `None` for other families or without routing figures.
pub fn routed_useful_flops(
    variant: &Variant,
    workload: &Workload,
    report: &CostReport,
    processed: &[u64],
) -> Option<u64> {
    let (Family::Moe(moe), Some(dims), Some(tokens)) =
        (&variant.family, variant.dims, workload.tokens())
    else {
        return None;
    };
    if processed.is_empty() {
        return None;
    }
    let per_token = layers::expert_flops_per_token(&dims, moe);
    let balanced = layers::balanced_routed_tokens(moe, tokens);
    let shortfall: u64 = processed
        .iter()
        .map(|p| balanced.saturating_sub(*p) * per_token)
        .sum();
    Some(report.totals.flops_useful.saturating_sub(shortfall))
}

/// Counts every layer of `variant` on `workload`: one forward pass.
pub fn analyze(variant: &Variant, workload: &Workload) -> Result<CostReport, CountError> {
    analyze_pass(variant, workload, Pass::Forward)
}

/// Counts every layer of `variant` on `workload` for one `pass` (a generation's prefill or one
/// of its decode steps; a convolutional network has forward passes only).
pub fn analyze_pass(
    variant: &Variant,
    workload: &Workload,
    pass: Pass,
) -> Result<CostReport, CountError> {
    let arch = variant.arch(workload)?;
    let estimate = match arch {
        Arch::Transformer {
            dims,
            family,
            workload,
        } => transformer_size(&dims, family, &workload),
        Arch::Conv { spec, workload } => conv_size(&spec, &workload),
        // Bounded when parsed (widths, depths and images); counted exactly below.
        Arch::Vision { .. } => 0.0,
    };
    if estimate.is_nan() || estimate >= COUNT_LIMIT {
        return Err(CountError::TooLarge {
            variant: variant.name.clone(),
            estimate,
        });
    }
    let layers = match arch {
        Arch::Transformer {
            dims,
            family,
            workload,
        } => layers::layer_costs(&dims, family, &workload, pass, variant.precision),
        Arch::Conv { spec, workload } => conv_layer_costs(&spec, &workload),
        Arch::Vision { spec, workload } => {
            let net = crate::vision::network(&spec, workload.in_channels, workload.classes);
            vision_layer_costs(&net, workload.batch, workload.image_size).map_err(|e| {
                CountError::Shape {
                    variant: variant.name.clone(),
                    why: e.0,
                }
            })?
        }
    };
    Ok(report_of(layers))
}

/// Totals of a pass from its layers.
fn report_of(layers: Vec<LayerCost>) -> CostReport {
    let sum = |f: fn(&LayerCost) -> u64| layers.iter().map(f).sum::<u64>();
    let flops_executed = sum(|l| l.counts.flops_executed);
    let mem_access_bytes = sum(|l| l.counts.mem_access_bytes());
    let param_bytes = sum(|l| l.param_bytes);
    let activation_peak_bytes = layers
        .iter()
        .map(|l| l.activation_peak_bytes)
        .max()
        .unwrap_or(0);
    let totals = Totals {
        flops_dense: sum(|l| l.counts.flops_dense),
        flops_useful: sum(|l| l.counts.flops_useful),
        flops_executed,
        macs: flops_executed / 2,
        train_flops: 3 * flops_executed,
        mem_access_bytes,
        arithmetic_intensity: if mem_access_bytes == 0 {
            0.0
        } else {
            flops_executed as f64 / mem_access_bytes as f64
        },
        param_bytes,
        activation_peak_bytes,
        memory_estimate_bytes: param_bytes + activation_peak_bytes,
    };
    CostReport {
        params_total: sum(|l| l.params),
        params_active: sum(|l| l.params_active),
        totals,
        layers,
    }
}

/// A float upper bound of the largest count, to refuse models whose counts would overflow.
fn transformer_size(dims: &Dims, family: &Family, workload: &TokenWorkload) -> f64 {
    let d = dims.d_model as f64;
    // The widest FFN of any kind, and the widest attention.
    let f = match family {
        Family::Moe(m) => [
            dims.d_ff,
            m.expert_width(dims.d_ff),
            m.shared_d_ff.unwrap_or(0),
        ]
        .into_iter()
        .max()
        .unwrap_or(dims.d_ff),
        _ => dims.d_ff,
    } as f64;
    let a = dims.q_dim().max(dims.d_model) as f64;
    let l = dims.n_layers as f64;
    let (b, s, v) = (
        workload.batch as f64,
        workload.seq_len as f64,
        workload.vocab as f64,
    );
    let experts = match family {
        Family::Moe(m) => m.n_experts as f64 + 1.0,
        _ => 1.0,
    };
    let positions = dims.options.max_positions.unwrap_or(0) as f64 + s;
    let params =
        (v + positions) * d + l * (4.0 * d * a + experts * 3.0 * d * f + 8.0 * a + f) + v * d;
    let flops = 2.0 * b * s * params + 4.0 * b * s * s * a * l;
    params.max(flops).max(b * s * v * 4.0)
}

/// The same bound for a convolutional network: every unit counted as a standard 3x3 and a 1x1.
fn conv_size(spec: &ConvSpec, workload: &ImageWorkload) -> f64 {
    let w = spec.width as f64;
    let c = workload.in_channels as f64;
    // A 3x3 over every channel plus a 1x1: the most any kind of unit holds.
    let per_unit = 10.0 * w * w;
    let params = 9.0 * c * w + 2.0 * spec.blocks as f64 * per_unit + w * workload.classes as f64;
    let pixels = workload.batch as f64 * (workload.image_size as f64).powi(2);
    let flops = 2.0 * pixels * params;
    params.max(flops).max(pixels * (c + w) * 4.0)
}
