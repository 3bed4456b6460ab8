//! Model suites: the `models/*.toml` files that name the variants to compare and the workload
//! they share. Parsing, validation and dimension matching live here; nothing here touches burn.

mod builtin;
mod error;
mod matching;
mod parse;

pub use builtin::{BUILTIN_SUITES, BuiltinSuite, DEFAULT_SUITE};
pub use error::SpecError;
pub use matching::MATCH_TOLERANCE;
pub use parse::{load_suite, parse_suite};

use serde::{Deserialize, Serialize};

/// A validated suite with every matched dimension solved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    pub name: String,
    pub description: String,
    /// Where the suite came from: a file path, or `builtin:NAME`.
    pub source: String,
    pub workload: Workload,
    pub variants: Vec<Variant>,
}

impl Suite {
    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }

    pub fn baseline(&self) -> &Variant {
        self.variant(&self.workload.baseline)
            .expect("validation guarantees the baseline exists")
    }
}

/// The input every variant of a suite is measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub batch: usize,
    pub seq_len: usize,
    pub vocab: usize,
    pub seed: u64,
    pub baseline: String,
}

impl Workload {
    /// Tokens in one forward pass.
    pub fn tokens(&self) -> usize {
        self.batch * self.seq_len
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    #[serde(flatten)]
    pub dims: Dims,
    pub family: Family,
    /// Present when a dimension was solved to match another variant.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "match")]
    pub matched: Option<MatchOutcome>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dims {
    pub d_model: usize,
    pub n_heads: usize,
    pub d_ff: usize,
    pub n_layers: usize,
}

impl Dims {
    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads
    }
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
}

impl Family {
    pub fn name(&self) -> &'static str {
        match self {
            Family::Dense => "dense",
            Family::Moe(_) => "moe",
            Family::Universal => "universal",
            Family::Pruned(_) => "pruned",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoeSpec {
    pub n_experts: usize,
    pub top_k: usize,
    pub capacity_factor: f64,
    pub moe_every: usize,
}

impl MoeSpec {
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
    pub fn name(&self) -> &'static str {
        match self {
            Kernel::Dense => "dense",
            Kernel::Csr => "csr",
        }
    }
}

/// Which indicator a match equalises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchBy {
    /// Useful forward FLOPs (what the architecture needs per forward pass).
    Flops,
    /// Total parameters.
    Params,
}

impl MatchBy {
    pub const ALL: [(&'static str, MatchBy); 2] =
        [("flops", MatchBy::Flops), ("params", MatchBy::Params)];

    pub fn name(&self) -> &'static str {
        match self {
            MatchBy::Flops => "flops",
            MatchBy::Params => "params",
        }
    }
}

/// The dimension a match solves for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolveDim {
    DFf,
    DModel,
    NExperts,
    NLayers,
}

impl SolveDim {
    pub const ALL: [(&'static str, SolveDim); 4] = [
        ("d_ff", SolveDim::DFf),
        ("d_model", SolveDim::DModel),
        ("n_experts", SolveDim::NExperts),
        ("n_layers", SolveDim::NLayers),
    ];

    pub fn name(&self) -> &'static str {
        match self {
            SolveDim::DFf => "d_ff",
            SolveDim::DModel => "d_model",
            SolveDim::NExperts => "n_experts",
            SolveDim::NLayers => "n_layers",
        }
    }
}

/// What a match achieved: the solved value and how close the indicator came to its target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchOutcome {
    pub variant: String,
    pub by: MatchBy,
    pub solve: SolveDim,
    pub value: usize,
    pub target: u64,
    pub achieved: u64,
    /// achieved / target.
    pub ratio: f64,
    /// False when no value of the free dimension lands within the tolerance and the closest
    /// achievable one was taken.
    pub within_tolerance: bool,
}

/// How a convolutional network's 3x3 layers are built (the `conv` family, counted and built;
/// suite files take it from a later version).
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

/// A small ResNet-style network: a 3x3 stem to `width` channels, `blocks` residual blocks of two
/// convolutions each (at full resolution), global average pooling and a linear classifier.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvSpec {
    #[serde(flatten)]
    pub kind: ConvKind,
    pub width: usize,
    pub blocks: usize,
}

/// The images a convolutional network is measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageWorkload {
    pub batch: usize,
    /// Height and width, in pixels.
    pub image_size: usize,
    pub in_channels: usize,
    pub classes: usize,
    pub seed: u64,
}
