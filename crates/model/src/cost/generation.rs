//! What generating costs: the prompt's prefill pass, then `gen_len` decode steps of one token
//! per sequence, each attending to a context one longer than the last. Everything a step does
//! grows linearly with its context (attention, the KV-cache reads), so the mean over the steps
//! is the mean of the first and the last, exactly.

use serde::{Deserialize, Serialize};

use super::{CountError, Pass, analyze_pass};
use crate::arch::{Variant, Workload};
use crate::family::{Arch, Family};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerationCost {
    pub batch: usize,
    pub prompt_len: usize,
    pub gen_len: usize,
    /// The prefill pass: the prompt through every layer, logits at its last position; useful
    /// FLOPs, as PyTorch counts the same model (an MoE at balanced load).
    pub prefill_flops: u64,
    /// What effprof's kernels run for it (an MoE's capacity-padded experts).
    pub prefill_flops_executed: u64,
    pub prefill_mem_access_bytes: u64,
    /// One decode step, averaged over the steps (context `prompt_len + 1 ..= prompt_len +
    /// gen_len`).
    pub decode_step_flops: f64,
    /// Weights read by one step: every weight a dense model holds (the embedding's gathered rows
    /// only); an MoE's shared weights plus the experts its tokens choose, expected under
    /// uniform routing.
    pub decode_step_weight_bytes: u64,
    /// The part of `decode_step_weight_bytes` that is not experts: what every step reads.
    pub decode_step_shared_weight_bytes: u64,
    /// Bytes of one expert's weights (MoE only): a step reads this once per expert it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expert_bytes: Option<u64>,
    /// Layers whose FFN is a mixture of experts.
    #[serde(default)]
    pub moe_layers: usize,
    /// Keys and values read from the cache by one step, on average.
    pub decode_step_kv_read_bytes: f64,
    /// Keys and values one step writes to the cache.
    pub decode_step_kv_written_bytes: u64,
    /// Every byte one step reads and writes, on average.
    pub decode_step_mem_access_bytes: f64,
    /// decode_step_flops / decode_step_mem_access_bytes.
    pub decode_arithmetic_intensity: f64,
    /// The cache at `prompt_len + gen_len` positions: K and V of every layer.
    pub kv_cache_bytes: u64,
    /// Parameters + the prefill's activation peak + the full cache.
    pub memory_estimate_bytes: u64,
    /// Expected distinct experts per MoE layer and step under uniform top-k routing at this
    /// batch, E * (1 - (1 - k/E)^B); `None` for other families.
    pub expected_experts_per_layer: Option<f64>,
    /// Prefill (useful) plus every decode step.
    pub request_flops: u64,
}

/// The cost of one generation request of `workload` (its batch, prompt and `gen_len`); `None`
/// when the workload does not generate or the variant is not a transformer.
pub fn generation_cost(
    variant: &Variant,
    workload: &Workload,
) -> Result<Option<GenerationCost>, CountError> {
    let Ok(Arch::Transformer {
        dims,
        family,
        workload: tokens,
    }) = variant.arch(workload)
    else {
        return Ok(None);
    };
    let Some(gen_len) = tokens.gen_len else {
        return Ok(None);
    };
    let prefill = analyze_pass(variant, workload, Pass::Prefill)?;
    let first = analyze_pass(
        variant,
        workload,
        Pass::Decode {
            context: (tokens.seq_len + 1) as u64,
        },
    )?;
    let last = analyze_pass(
        variant,
        workload,
        Pass::Decode {
            context: tokens.context() as u64,
        },
    )?;
    let mean = |a: u64, b: u64| (a as f64 + b as f64) / 2.0;
    let (b, layers) = (tokens.batch as u64, dims.n_layers as u64);
    // K and V of one position of one sequence, over every layer.
    let kv_per_position = 2 * layers * dims.kv_dim() as u64 * variant.precision.float_bytes();
    let kv_cache_bytes = kv_per_position * b * tokens.context() as u64;
    let decode_step_flops = mean(first.totals.flops_executed, last.totals.flops_executed);
    let decode_step_mem_access_bytes =
        mean(first.totals.mem_access_bytes, last.totals.mem_access_bytes);
    // Steps' contexts run prompt+1 ..= prompt+gen; the sum of a linear count over them is
    // gen * (first + last) / 2, an integer since gen * (2 * prompt + gen + 1) is even.
    let decode_flops_sum =
        (first.totals.flops_executed + last.totals.flops_executed) * gen_len as u64 / 2;
    let (expected_experts_per_layer, expert_bytes, moe_layers) = match family {
        Family::Moe(m) => (
            Some(super::expected_experts(m, b)),
            Some(super::layers::expert_bytes(&dims, m, variant.precision)),
            (0..dims.n_layers).filter(|l| m.is_moe_layer(*l)).count(),
        ),
        _ => (None, None, 0),
    };
    let decode_step_weight_bytes: u64 = first.layers.iter().map(|l| l.counts.weight_bytes).sum();
    let expected_expert_bytes = match (expected_experts_per_layer, expert_bytes) {
        (Some(e), Some(bytes)) => (e * bytes as f64).round() as u64 * moe_layers as u64,
        _ => 0,
    };
    Ok(Some(GenerationCost {
        batch: tokens.batch,
        prompt_len: tokens.seq_len,
        gen_len,
        prefill_flops: prefill.totals.flops_useful,
        prefill_flops_executed: prefill.totals.flops_executed,
        prefill_mem_access_bytes: prefill.totals.mem_access_bytes,
        decode_step_flops,
        decode_step_weight_bytes,
        decode_step_shared_weight_bytes: decode_step_weight_bytes - expected_expert_bytes,
        expert_bytes,
        moe_layers,
        decode_step_kv_read_bytes: mean(
            kv_per_position * b * (tokens.seq_len as u64 + 1),
            kv_per_position * b * tokens.context() as u64,
        ),
        decode_step_kv_written_bytes: kv_per_position * b,
        decode_step_mem_access_bytes,
        decode_arithmetic_intensity: if decode_step_mem_access_bytes > 0.0 {
            decode_step_flops / decode_step_mem_access_bytes
        } else {
            0.0
        },
        kv_cache_bytes,
        memory_estimate_bytes: prefill.totals.param_bytes
            + prefill.totals.activation_peak_bytes
            + kv_cache_bytes,
        expected_experts_per_layer,
        request_flops: prefill.totals.flops_useful + decode_flops_sum,
    }))
}
