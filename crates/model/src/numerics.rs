//! What changes a model's values but none of its counts: the rotary base, the norms' epsilon,
//! GELU's form, the attention scale, soft-capping and how MoE weights its top-k choices. Random
//! weights do not care; a checkpoint's logits do, so a config's values are kept here and the
//! decoder computes with them.

use serde::{Deserialize, Serialize};

/// GELU as `erf` defines it, or its tanh approximation (GPT-2's `gelu_new`, Gemma's
/// `gelu_pytorch_tanh`): the same 0 FLOPs, values apart by up to about 1e-3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gelu {
    #[default]
    Exact,
    Tanh,
}

impl Gelu {
    pub const ALL: [(&'static str, Gelu); 2] = [("exact", Gelu::Exact), ("tanh", Gelu::Tanh)];
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Numerics {
    /// The base of the rotary frequencies.
    pub rope_theta: f64,
    /// Every norm's epsilon.
    pub norm_eps: f64,
    pub gelu: Gelu,
    /// What the attention scores are multiplied by: 1 / sqrt(head_dim) when absent (Gemma 2
    /// uses 1 / sqrt(query_pre_attn_scalar)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attn_scale: Option<f64>,
    /// `cap * tanh(score / cap)` over the attention scores before the softmax (Gemma 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attn_softcap: Option<f64>,
    /// The same over the final logits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logit_softcap: Option<f64>,
    /// An MoE token's top-k gate weights divided by their sum (Mixtral, Qwen3-MoE), rather
    /// than left as the softmax over every expert gave them.
    pub norm_topk: bool,
}

impl Default for Numerics {
    fn default() -> Self {
        Numerics {
            rope_theta: 10_000.0,
            norm_eps: 1e-5,
            gelu: Gelu::Exact,
            attn_scale: None,
            attn_softcap: None,
            logit_softcap: None,
            norm_topk: false,
        }
    }
}

impl Numerics {
    pub fn is_default(&self) -> bool {
        *self == Numerics::default()
    }
}

/// A checkpoint to load into the variant, and the `model_type` whose tensor names it uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsSource {
    /// A `.safetensors` file, or a sharded checkpoint's `.safetensors.index.json`.
    pub path: String,
    pub model_type: String,
}
