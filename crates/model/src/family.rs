//! What each model family is and what it supports, said in one place.
//!
//! A suite file names a family by a string; it is parsed once into a [`FamilyKind`], which says
//! which input the family takes and which keys it has. What a family can be measured by
//! ([`Feature`]) is answered by [`Family::unsupported`], which the app, the engine and the
//! reports ask instead of matching on families themselves.
//!
//! Adding a family: its options and its lines here ([`Family`], [`FamilyKind`], [`Family::arch`]
//! and the [`Arch`] it gives), the parsing of its keys in `spec/parse.rs`, its counts behind
//! `cost/mod.rs`'s dispatch on [`Arch`], and its model behind `zoo/mod.rs`'s `Model`. Everything
//! else (checks by input kind, timing its parts as one whole pass, tracing, tables) follows.

use serde::{Deserialize, Serialize};

use crate::arch::{Dims, ImageWorkload, TokenWorkload, Workload};
use crate::vision::VisionSpec;

/// A family by name, before its options are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FamilyKind {
    Dense,
    Moe,
    Universal,
    Pruned,
    Conv,
    Vision,
    /// A model of your own (`effprof::custom`), which a suite file cannot name.
    Custom,
}

/// What a family's variants are fed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Tokens,
    Images,
    /// Whatever the model's own input function makes.
    Own,
}

/// The keys every transformer family takes (dense, moe, universal, pruned).
pub const TRANSFORMER_KEYS: &[&str] = &[
    "d_model",
    "n_heads",
    "d_ff",
    "n_layers",
    "attention",
    "n_kv_heads",
    "tie_embeddings",
    "norm",
    "ffn",
    "bias",
    "qkv_bias",
    "head_dim",
    "scale_embeddings",
    "qk_norm",
    "post_norms",
    "positions",
    "max_positions",
    "vocab",
    "rope_theta",
    "norm_eps",
    "gelu",
    "attn_scale",
    "attn_softcap",
    "logit_softcap",
    "dtype",
    "quantize",
    "quant_block",
    "from",
    "weights",
    "match",
];

impl FamilyKind {
    /// The families a suite file can name, by the name it uses.
    pub const IN_SUITE_FILES: [(&'static str, FamilyKind); 6] = [
        (FamilyKind::Dense.name(), FamilyKind::Dense),
        (FamilyKind::Moe.name(), FamilyKind::Moe),
        (FamilyKind::Universal.name(), FamilyKind::Universal),
        (FamilyKind::Pruned.name(), FamilyKind::Pruned),
        (FamilyKind::Conv.name(), FamilyKind::Conv),
        (FamilyKind::Vision.name(), FamilyKind::Vision),
    ];

    pub const fn name(self) -> &'static str {
        match self {
            FamilyKind::Dense => "dense",
            FamilyKind::Moe => "moe",
            FamilyKind::Universal => "universal",
            FamilyKind::Pruned => "pruned",
            FamilyKind::Conv => "conv",
            FamilyKind::Vision => "vision",
            FamilyKind::Custom => "custom",
        }
    }

    pub fn input(self) -> InputKind {
        match self {
            FamilyKind::Dense | FamilyKind::Moe | FamilyKind::Universal | FamilyKind::Pruned => {
                InputKind::Tokens
            }
            FamilyKind::Conv | FamilyKind::Vision => InputKind::Images,
            FamilyKind::Custom => InputKind::Own,
        }
    }

    /// The keys of the family's shape, shared with the families of its kind of input.
    pub fn shape_keys(self) -> &'static [&'static str] {
        match self.input() {
            InputKind::Tokens => TRANSFORMER_KEYS,
            InputKind::Images | InputKind::Own => &[],
        }
    }

    /// The keys of the family's own options.
    pub fn own_keys(self) -> &'static [&'static str] {
        match self {
            FamilyKind::Moe => &[
                "n_experts",
                "top_k",
                "capacity_factor",
                "moe_every",
                "expert_d_ff",
                "shared_d_ff",
                "shared_gate",
                "norm_topk",
            ],
            FamilyKind::Pruned => &["sparsity", "kernel"],
            FamilyKind::Conv => &["conv", "groups", "width", "blocks", "match"],
            FamilyKind::Vision => &["preset", "width_mult", "depth_mult", "patch_size", "match"],
            FamilyKind::Dense | FamilyKind::Universal | FamilyKind::Custom => &[],
        }
    }

    /// The dimensions a `match` may solve for this family: a transformer's shape (and an MoE's
    /// experts), a convolutional network's width, a ViT's patch size.
    pub fn solvable(self) -> &'static [&'static str] {
        match self {
            FamilyKind::Conv => &["width"],
            FamilyKind::Vision => &["patch_size"],
            FamilyKind::Moe => &["d_ff", "d_model", "n_experts", "n_layers"],
            FamilyKind::Dense | FamilyKind::Universal | FamilyKind::Pruned => {
                &["d_ff", "d_model", "n_layers"]
            }
            FamilyKind::Custom => &[],
        }
    }

    /// Whether a suite file's variant of this family may give `key`.
    pub fn takes_key(self, key: &str) -> bool {
        matches!(key, "name" | "family")
            || self.shape_keys().contains(&key)
            || self.own_keys().contains(&key)
    }

    /// Every key a variant of this family may give, in the order the docs list them.
    pub fn keys(self) -> Vec<&'static str> {
        let mut keys = vec!["name", "family"];
        keys.extend_from_slice(self.shape_keys());
        keys.extend_from_slice(self.own_keys());
        keys
    }
}

/// Why a model of your own has no analytic counts, as its cells say after "n/a".
pub const NOT_BUILT_IN: &str = "not a built-in family";

/// What effprof can do with a variant beyond timing its forward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Parameters, FLOPs and memory traffic from effprof's formulas.
    AnalyticCounts,
    /// Each part of the model (attention, FFN, convolution, ...) timed alone.
    Parts,
    /// The layers split into pipeline stages.
    PipelineStages,
    /// Training on the next-token convergence task.
    Training,
    /// Experts, their routing and the tokens each receives.
    Routing,
}

impl Family {
    pub fn kind(&self) -> FamilyKind {
        match self {
            Family::Dense => FamilyKind::Dense,
            Family::Moe(_) => FamilyKind::Moe,
            Family::Universal => FamilyKind::Universal,
            Family::Pruned(_) => FamilyKind::Pruned,
            Family::Conv(_) => FamilyKind::Conv,
            Family::Vision(_) => FamilyKind::Vision,
            Family::Custom => FamilyKind::Custom,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// A variant of this family named `variant`, with its shape, on `workload`: what the cost
    /// model and the zoo build, or why the family does not take that input.
    pub fn arch<'a>(
        &'a self,
        variant: &str,
        dims: Option<&Dims>,
        workload: &Workload,
    ) -> Result<Arch<'a>, ArchMismatch> {
        let mismatch = |input| ArchMismatch {
            variant: variant.to_owned(),
            family: self.name(),
            input,
        };
        let images = || {
            workload
                .image_workload()
                .ok_or_else(|| mismatch("token sequences"))
        };
        match (self, dims) {
            (Family::Custom, _) => Err(mismatch(
                "effprof's formulas, which cover its built-in families only",
            )),
            (Family::Conv(spec), _) => images().map(|workload| Arch::Conv {
                spec: *spec,
                workload,
            }),
            (Family::Vision(spec), _) => images().map(|workload| Arch::Vision {
                spec: *spec,
                workload,
            }),
            (
                Family::Dense | Family::Moe(_) | Family::Universal | Family::Pruned(_),
                Some(dims),
            ) => workload
                .token_workload()
                .map(|workload| Arch::Transformer {
                    dims: *dims,
                    family: self,
                    workload: TokenWorkload {
                        vocab: dims.options.vocab.unwrap_or(workload.vocab),
                        ..workload
                    },
                })
                .ok_or_else(|| mismatch("images")),
            (_, None) => Err(mismatch(
                "a shape without d_model, n_heads, d_ff and n_layers",
            )),
        }
    }

    /// Why this family's variants cannot have `feature`, as shown to users after "n/a"; `None`
    /// where they can.
    pub fn unsupported(&self, feature: Feature) -> Option<&'static str> {
        let kind = self.kind();
        match (feature, kind.input()) {
            (Feature::AnalyticCounts, InputKind::Own) => Some(NOT_BUILT_IN),
            (Feature::Parts, InputKind::Own) => {
                Some("a model of your own: effprof knows the layers of its own families only")
            }
            (Feature::PipelineStages, InputKind::Own) => Some(
                "a model of your own; pipeline stages split the layers of effprof's transformers only",
            ),
            (Feature::PipelineStages, InputKind::Images) => Some(
                "an image model; pipeline stages split the layers of effprof's transformers only",
            ),
            (Feature::Training, InputKind::Own) => Some(
                "a model of your own: the convergence task is next-token prediction on effprof's transformers",
            ),
            (Feature::Training, InputKind::Images) => Some(
                "an image model: the convergence task is next-token prediction (transformer families)",
            ),
            (Feature::Routing, _) if kind != FamilyKind::Moe => Some("not an MoE"),
            _ => None,
        }
    }

    pub fn supports(&self, feature: Feature) -> bool {
        self.unsupported(feature).is_none()
    }

    /// The size of a variant whose shape is in its family's options, in one short cell: `w64
    /// B4` (width, residual blocks) for a convolutional network; `None` for the transformers,
    /// whose shape is their [`Dims`].
    pub fn own_shape(&self) -> Option<String> {
        match self {
            Family::Conv(c) => Some(format!("w{} B{}", c.width, c.blocks)),
            Family::Vision(v) => {
                let mut label = format!("x{} width, x{} depth", v.width_mult, v.depth_mult);
                if let Some(p) = v.patch_size {
                    label.push_str(&format!(", patch {p}"));
                }
                Some(label)
            }
            Family::Dense
            | Family::Moe(_)
            | Family::Universal
            | Family::Pruned(_)
            | Family::Custom => None,
        }
    }

    /// The family with its options, briefly, as the tables show it: `moe 8e top-2 cf1.25
    /// every 2`, `conv depthwise_separable`.
    pub fn label(&self) -> String {
        match self {
            Family::Conv(c) => format!("conv {}", c.kind.label()),
            Family::Vision(v) => format!("vision {}", v.preset.name()),
            Family::Custom => "your own".into(),
            Family::Dense => "dense".into(),
            Family::Universal => "universal".into(),
            Family::Moe(m) => {
                let mut label = format!(
                    "moe {}e top-{} cf{} every {}",
                    m.n_experts, m.top_k, m.capacity_factor, m.moe_every
                );
                if let Some(f) = m.expert_d_ff {
                    label.push_str(&format!(" f{f}"));
                }
                if let Some(f) = m.shared_d_ff {
                    label.push_str(&format!(" +shared f{f}"));
                }
                label
            }
            Family::Pruned(p) => {
                format!("pruned {:.0}% {}", p.sparsity * 100.0, p.kernel.name())
            }
        }
    }
}

/// A variant with the input it runs on, matched once: transformer families on tokens, the
/// `conv` family on images.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arch<'a> {
    Transformer {
        dims: Dims,
        family: &'a Family,
        workload: TokenWorkload,
    },
    Conv {
        spec: ConvSpec,
        workload: ImageWorkload,
    },
    Vision {
        spec: VisionSpec,
        workload: ImageWorkload,
    },
}

/// A variant whose family does not take the suite's input (only a hand-built suite can hold
/// one; suite files are checked when parsed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{variant}` is a {family} variant, which does not take {input}")]
pub struct ArchMismatch {
    pub variant: String,
    pub family: &'static str,
    pub input: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Family {
    /// Pre-LN transformer encoder with an LM head.
    Dense,
    /// The dense encoder with every `moe_every`-th FFN replaced by a Switch-style MoE.
    Moe(MoeSpec),
    /// One encoder layer with shared weights, applied `n_layers` times.
    Universal,
    /// The dense encoder with attention and FFN weights magnitude-pruned.
    Pruned(PruneSpec),
    /// A small ResNet-style network on images, with standard, depthwise-separable or grouped
    /// 3x3 convolutions.
    Conv(ConvSpec),
    /// A network of the vision zoo (ResNet, MobileNetV2, EfficientNet, ViT) by its preset.
    Vision(VisionSpec),
    /// A model of your own (`effprof::custom`): built, run and traced by your code, with no
    /// formulas of effprof's to count it.
    Custom,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoeSpec {
    pub n_experts: usize,
    pub top_k: usize,
    pub capacity_factor: f64,
    pub moe_every: usize,
    /// Each expert's FFN width, when it is not d_ff (Qwen-MoE's and OLMoE's
    /// moe_intermediate_size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expert_d_ff: Option<usize>,
    /// The width of a shared expert that every token goes through beside its routed ones;
    /// none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_d_ff: Option<usize>,
    /// The shared expert's output scaled by sigmoid(Linear(d, 1)), as Qwen2-MoE's is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared_gate: bool,
}

impl MoeSpec {
    /// A Switch-style MoE: every expert as wide as a dense FFN, no shared expert.
    pub fn new(n_experts: usize, top_k: usize, capacity_factor: f64, moe_every: usize) -> Self {
        MoeSpec {
            n_experts,
            top_k,
            capacity_factor,
            moe_every,
            expert_d_ff: None,
            shared_d_ff: None,
            shared_gate: false,
        }
    }

    /// Each expert's FFN width in a model whose dense FFN is `d_ff` wide.
    pub fn expert_width(&self, d_ff: usize) -> usize {
        self.expert_d_ff.unwrap_or(d_ff)
    }

    /// Whether layer `index` (0-based) carries the MoE FFN: the `moe_every`-th, `2*moe_every`-th, ...
    pub fn is_moe_layer(&self, index: usize) -> bool {
        (index + 1).is_multiple_of(self.moe_every)
    }

    /// Tokens each expert can take in one forward pass: ceil(k * T / E * capacity_factor).
    pub fn capacity(&self, tokens: usize) -> usize {
        let c = (self.top_k * tokens) as f64 / self.n_experts as f64 * self.capacity_factor;
        // Guard against 12.000000001 rounding up to 13.
        let rounded = c.round();
        if (c - rounded).abs() < 1e-9 {
            rounded as usize
        } else {
            c.ceil() as usize
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PruneSpec {
    pub sparsity: f64,
    pub kernel: Kernel,
}

/// How a pruned variant runs its sparse weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// Masked weights, dense matmul: the zeros are multiplied too.
    Dense,
    /// Compressed sparse rows: only non-zeros are multiplied (CPU backends only).
    Csr,
}

impl Kernel {
    pub const ALL: [(&'static str, Kernel); 2] = [("dense", Kernel::Dense), ("csr", Kernel::Csr)];

    pub fn name(&self) -> &'static str {
        match self {
            Kernel::Dense => "dense",
            Kernel::Csr => "csr",
        }
    }
}

/// How a convolutional network's 3x3 layers are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "conv", rename_all = "snake_case")]
pub enum ConvKind {
    /// Every 3x3 convolution sees every input channel.
    Standard,
    /// A depthwise 3x3 (one filter per channel) followed by a pointwise 1x1.
    DepthwiseSeparable,
    /// 3x3 convolutions in `groups` independent channel groups.
    Grouped { groups: usize },
}

impl ConvKind {
    /// The names suite files use for the `conv` key.
    pub const NAMES: [&'static str; 3] = ["standard", "depthwise_separable", "grouped"];

    pub fn name(&self) -> &'static str {
        match self {
            ConvKind::Standard => "standard",
            ConvKind::DepthwiseSeparable => "depthwise_separable",
            ConvKind::Grouped { .. } => "grouped",
        }
    }

    /// The name with its group count, for tables.
    pub fn label(&self) -> String {
        match self {
            ConvKind::Grouped { groups } => format!("grouped/{groups}"),
            other => other.name().to_owned(),
        }
    }
}

/// A small ResNet-style network: a 3x3 stem to `width` channels, `blocks` residual blocks of two
/// convolutions each (at full resolution), global average pooling and a linear classifier.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvSpec {
    #[serde(flatten)]
    pub kind: ConvKind,
    pub width: usize,
    pub blocks: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_a_suite_file_names_parses_back_to_itself() {
        for (name, kind) in FamilyKind::IN_SUITE_FILES {
            assert_eq!(kind.name(), name);
            assert_ne!(kind.input(), InputKind::Own, "{name}");
        }
    }

    #[test]
    fn keys_are_those_of_the_input_and_the_family_once_each() {
        let moe = FamilyKind::Moe.keys();
        assert!(moe.contains(&"d_model") && moe.contains(&"top_k"));
        let conv = FamilyKind::Conv.keys();
        assert!(!conv.contains(&"d_model") && conv.contains(&"width"));
        for (_, kind) in FamilyKind::IN_SUITE_FILES {
            let keys = kind.keys();
            let mut unique = keys.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), keys.len(), "{kind:?}: {keys:?}");
            assert!(keys.iter().all(|k| kind.takes_key(k)));
        }
        assert!(!FamilyKind::Dense.takes_key("top_k"));
    }

    #[test]
    fn only_transformers_train_and_split_into_stages_and_only_moe_routes() {
        let conv = Family::Conv(ConvSpec {
            kind: ConvKind::Standard,
            width: 8,
            blocks: 1,
        });
        for family in [Family::Dense, Family::Universal] {
            assert!(family.supports(Feature::Training), "{family:?}");
            assert!(family.supports(Feature::PipelineStages), "{family:?}");
            assert!(!family.supports(Feature::Routing), "{family:?}");
        }
        assert!(!conv.supports(Feature::Training));
        assert!(!conv.supports(Feature::PipelineStages));
        assert!(conv.supports(Feature::Parts) && conv.supports(Feature::AnalyticCounts));
        for feature in [
            Feature::AnalyticCounts,
            Feature::Parts,
            Feature::PipelineStages,
            Feature::Training,
        ] {
            let why = Family::Custom.unsupported(feature);
            assert!(why.is_some_and(|w| !w.is_empty()), "{feature:?}");
        }
    }
}
