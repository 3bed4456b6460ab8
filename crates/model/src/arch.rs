//! What a variant is, as plain data: its family and dimensions, and the workload it runs on.
//! Suite files (the `spec` module) are parsed into these; the cost model, the models and every
//! report read them. Nothing here parses, counts or touches burn.

use serde::{Deserialize, Serialize};

pub use crate::vision::{Preset, VisionSpec};

use crate::family::{Arch, ArchMismatch, Family, InputKind};
use crate::numerics::{Numerics, WeightsSource};
use crate::precision::Precision;

/// The largest batch a workload may have (suite files, commands, keys and sweeps alike): far
/// past any run this tool makes, and small enough that no shape overflows.
pub const MAX_BATCH: usize = 1 << 16;
/// The longest token sequence a workload may have, for the same reasons.
pub const MAX_SEQ_LEN: usize = 1 << 16;
/// The largest image side in pixels, for the same reasons.
pub const MAX_IMAGE: usize = 4096;

/// The input every variant of a suite is measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub batch: usize,
    /// Token sequences for the transformer families, images for the `conv` family.
    #[serde(flatten)]
    pub input: Input,
    pub seed: u64,
    pub baseline: String,
}

/// What one sample of a workload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Tokens(TokenShape),
    Images(ImageShape),
    /// Whatever the variants of your own model take (`effprof::custom`): each variant makes
    /// its own batch.
    Custom(CustomInput),
}

/// The input of a `effprof::custom::Profile`'s variants, known by the profile it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomInput {
    /// The profile, as numbered in this process (it means nothing in another one).
    pub custom_profile: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenShape {
    /// Tokens per sequence in one forward pass; a generation suite's prompt length.
    pub seq_len: usize,
    pub vocab: usize,
    /// Tokens generated after the prompt, one decode step each; present in a generation suite
    /// only, whose transformer variants are causal decoders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gen_len: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    /// Height and width, in pixels.
    pub image_size: usize,
    pub in_channels: usize,
    pub classes: usize,
}

impl Workload {
    /// Tokens in one forward pass; `None` for an image workload.
    pub fn tokens(&self) -> Option<usize> {
        self.token_workload().map(|w| w.tokens())
    }

    /// What the throughput gauges count: tokens for token sequences, samples for images.
    pub fn throughput_unit(&self) -> &'static str {
        match self.input {
            Input::Tokens(_) => "tokens/s",
            Input::Images(_) | Input::Custom(_) => "samples/s",
        }
    }

    /// The workload in the form its family takes it.
    pub fn samples(&self) -> Samples {
        match self.input {
            Input::Tokens(t) => Samples::Tokens(TokenWorkload {
                batch: self.batch,
                seq_len: t.seq_len,
                vocab: t.vocab,
                seed: self.seed,
                gen_len: t.gen_len,
            }),
            Input::Images(i) => Samples::Images(ImageWorkload {
                batch: self.batch,
                image_size: i.image_size,
                in_channels: i.in_channels,
                classes: i.classes,
                seed: self.seed,
            }),
            Input::Custom(c) => Samples::Custom {
                batch: self.batch,
                profile: c.custom_profile,
            },
        }
    }

    /// The workload as the transformer families take it; `None` for images.
    pub fn token_workload(&self) -> Option<TokenWorkload> {
        match self.samples() {
            Samples::Tokens(t) => Some(t),
            Samples::Images(_) | Samples::Custom { .. } => None,
        }
    }

    /// The workload as the `conv` family takes it; `None` for tokens.
    pub fn image_workload(&self) -> Option<ImageWorkload> {
        match self.samples() {
            Samples::Images(i) => Some(i),
            Samples::Tokens(_) | Samples::Custom { .. } => None,
        }
    }

    /// Tokens generated after the prompt; `None` unless this is a generation workload.
    pub fn gen_len(&self) -> Option<usize> {
        match self.input {
            Input::Tokens(t) => t.gen_len,
            Input::Images(_) | Input::Custom(_) => None,
        }
    }

    /// One line: what a forward pass takes.
    pub fn describe(&self) -> String {
        match self.input {
            Input::Tokens(TokenShape {
                seq_len,
                vocab,
                gen_len: Some(gen_len),
            }) => format!(
                "batch {} x prompt {seq_len} tokens, then {gen_len} generated one at a time, vocab {vocab}, seed {}",
                self.batch, self.seed
            ),
            Input::Tokens(t) => format!(
                "batch {} x seq_len {} = {} tokens, vocab {}, seed {}",
                self.batch,
                t.seq_len,
                self.batch * t.seq_len,
                t.vocab,
                self.seed
            ),
            Input::Images(i) => format!(
                "batch {} x {}x{}x{} images, {} classes, seed {}",
                self.batch, i.in_channels, i.image_size, i.image_size, i.classes, self.seed
            ),
            Input::Custom(_) => format!(
                "batch {}, each variant's own input (a model of your own)",
                self.batch
            ),
        }
    }
}

/// A [`Workload`] with its batch and seed, in the form one family takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Samples {
    Tokens(TokenWorkload),
    Images(ImageWorkload),
    /// Your own model's: `batch` samples of what each variant's input function makes.
    Custom {
        batch: usize,
        profile: u32,
    },
}

/// The token sequences the transformer families are measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenWorkload {
    pub batch: usize,
    /// Tokens per sequence in one forward pass (the prompt, when generating).
    pub seq_len: usize,
    /// The model's vocabulary: the suite's, or the variant's own.
    pub vocab: usize,
    pub seed: u64,
    /// Tokens generated after the prompt; `Some` makes the model a causal decoder.
    pub gen_len: Option<usize>,
}

impl TokenWorkload {
    /// Tokens in one forward pass.
    pub fn tokens(&self) -> usize {
        self.batch * self.seq_len
    }

    /// Whether attention is causal: a decoder generating tokens.
    pub fn causal(&self) -> bool {
        self.gen_len.is_some()
    }

    /// The longest sequence the model sees: the prompt plus what it generates.
    pub fn context(&self) -> usize {
        self.seq_len + self.gen_len.unwrap_or(0)
    }
}

/// The variants' names as an error message lists them: `dense, moe, pruned`.
pub fn names(variants: &[Variant]) -> String {
    variants
        .iter()
        .map(|v| v.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    /// The transformer shape; `None` for the `conv` family, whose shape is in its [`ConvSpec`].
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub dims: Option<Dims>,
    pub family: Family,
    /// Present when a dimension was solved to match another variant.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "match")]
    pub matched: Option<MatchOutcome>,
    /// The values behind no count (a config's rotary base, epsilon, ...).
    #[serde(default, skip_serializing_if = "Numerics::is_default")]
    pub numerics: Numerics,
    /// The dtype it is stored and computed in, and its weights' quantization.
    #[serde(default, skip_serializing_if = "Precision::is_default")]
    pub precision: Precision,
    /// The checkpoint its weights come from; drawn at random from the seed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<WeightsSource>,
}

impl Variant {
    /// This variant with its input, or why the two do not go together.
    pub fn arch(&self, workload: &Workload) -> Result<Arch<'_>, ArchMismatch> {
        self.family.arch(&self.name, self.dims.as_ref(), workload)
    }

    /// The transformer shape, for the views that only transformers have.
    pub fn transformer_dims(&self) -> Option<Dims> {
        match self.family.kind().input() {
            InputKind::Tokens => self.dims,
            InputKind::Images | InputKind::Own => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dims {
    pub d_model: usize,
    pub n_heads: usize,
    pub d_ff: usize,
    pub n_layers: usize,
    /// How self-attention is computed. Documents from before the choice ran explicit attention,
    /// so that is what an absent field means (a suite file's own default is fused).
    #[serde(
        default = "Attention::before_the_choice",
        skip_serializing_if = "Attention::is_explicit"
    )]
    pub attention: Attention,
    /// The choices language models make beyond their size.
    #[serde(flatten)]
    pub options: LmOptions,
}

/// What distinguishes one language model from another of the same size: GPT-2's choices by
/// default (the shape every effprof transformer had before the choices), so a document
/// without them reads as before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LmOptions {
    /// Key and value heads: `n_heads` when absent (multi-head attention), fewer for
    /// grouped-query attention, 1 for multi-query attention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_kv_heads: Option<usize>,
    /// The LM head reuses the token embedding's table (counted once, as PyTorch does).
    #[serde(default, skip_serializing_if = "is_false")]
    pub tie_embeddings: bool,
    #[serde(default, skip_serializing_if = "Norm::is_layer_norm")]
    pub norm: Norm,
    #[serde(default, skip_serializing_if = "FfnKind::is_gelu")]
    pub ffn: FfnKind,
    /// Biases on the linear layers (the router and the LM head never have one).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub bias: bool,
    /// RMSNorms on the queries and keys before attention (OLMoE, Qwen3); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qk_norm: Option<QkNorm>,
    /// A norm on each sublayer's output too, before the residual add (Gemma 2's four norms per
    /// layer).
    #[serde(default, skip_serializing_if = "is_false")]
    pub post_norms: bool,
    /// The token embeddings multiplied by sqrt(d_model) (Gemma): no parameter, 0 FLOPs.
    #[serde(default, skip_serializing_if = "is_false")]
    pub scale_embeddings: bool,
    /// Biases on the query, key and value projections only, where `bias` is false (Qwen2).
    #[serde(default, skip_serializing_if = "is_false")]
    pub qkv_bias: bool,
    /// Each attention head's width, when it is not d_model / n_heads (Gemma, Llama 3.2's
    /// smaller models): the query is n_heads x head_dim wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_dim: Option<usize>,
    #[serde(default, skip_serializing_if = "Positions::is_learned")]
    pub positions: Positions,
    /// Rows of a learned position table: the workload's longest sequence when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_positions: Option<usize>,
    /// The model's own vocabulary, when it differs from the suite's (at least the suite's, so
    /// every model can embed the suite's tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocab: Option<usize>,
}

impl Default for LmOptions {
    fn default() -> Self {
        LmOptions {
            n_kv_heads: None,
            tie_embeddings: false,
            norm: Norm::LayerNorm,
            ffn: FfnKind::Gelu,
            bias: true,
            qkv_bias: false,
            head_dim: None,
            scale_embeddings: false,
            qk_norm: None,
            post_norms: false,
            positions: Positions::Learned,
            max_positions: None,
            vocab: None,
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The normalisation before each sublayer and before the head.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// `nn.LayerNorm`: a weight and a bias per feature.
    #[default]
    LayerNorm,
    /// `nn.RMSNorm`: a weight per feature.
    RmsNorm,
}

impl Norm {
    pub const ALL: [(&'static str, Norm); 2] =
        [("layernorm", Norm::LayerNorm), ("rmsnorm", Norm::RmsNorm)];

    fn is_layer_norm(&self) -> bool {
        *self == Norm::LayerNorm
    }
}

/// The feed-forward network of a layer (and of each expert).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FfnKind {
    /// Linear(d, f), GELU, Linear(f, d).
    #[default]
    Gelu,
    /// SiLU(gate(x)) * up(x), then down: three projections (Llama, Mixtral).
    SwiGlu,
    /// GELU(gate(x)) * up(x), then down: three projections (Gemma).
    GeGlu,
}

impl FfnKind {
    pub const ALL: [(&'static str, FfnKind); 3] = [
        ("gelu", FfnKind::Gelu),
        ("swiglu", FfnKind::SwiGlu),
        ("geglu", FfnKind::GeGlu),
    ];

    fn is_gelu(&self) -> bool {
        *self == FfnKind::Gelu
    }

    /// Whether a gate projection's activation multiplies the up projection.
    pub fn gated(&self) -> bool {
        matches!(self, FfnKind::SwiGlu | FfnKind::GeGlu)
    }

    /// Projections of one FFN: two, or three when gated.
    pub fn projections(&self) -> u64 {
        if self.gated() { 3 } else { 2 }
    }
}

/// Where the queries' and keys' RMSNorms normalise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QkNorm {
    /// Over each projection's whole width: n_heads x head_dim and n_kv_heads x head_dim
    /// weights (OLMoE).
    Full,
    /// Over each head, one head_dim of weights shared by the heads, for q and for k (Qwen3).
    Head,
}

impl QkNorm {
    pub const ALL: [(&'static str, QkNorm); 2] = [("full", QkNorm::Full), ("head", QkNorm::Head)];
}

/// How a token's position enters the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Positions {
    /// A learned table added to the token embeddings (GPT-2).
    #[default]
    Learned,
    /// None at all: attention alone tells positions apart, through the causal mask.
    None,
    /// Rotary position embedding applied to queries and keys: no parameters, 0 FLOPs.
    Rotary,
}

impl Positions {
    pub const ALL: [(&'static str, Positions); 3] = [
        ("learned", Positions::Learned),
        ("none", Positions::None),
        ("rotary", Positions::Rotary),
    ];

    fn is_learned(&self) -> bool {
        *self == Positions::Learned
    }
}

/// How self-attention is computed: the same FLOPs either way, different memory traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Attention {
    /// burn's attention op: the scores stay inside the kernel (flex tiles them, flash-style,
    /// at longer sequences; wgpu has its own kernels; ndarray runs burn's decomposition). The
    /// default: the faster on flex and wgpu, as fast on ndarray (docs/suite-files.md, `attention`).
    #[default]
    Fused,
    /// Matmul, softmax, matmul: the scores are written to memory and read back.
    Explicit,
}

impl Attention {
    pub const ALL: [(&'static str, Attention); 2] = [
        ("fused", Attention::Fused),
        ("explicit", Attention::Explicit),
    ];

    /// What a document from before the choice ran.
    pub fn before_the_choice() -> Self {
        Attention::Explicit
    }

    /// Explicit attention is left out of documents: readers take an absent field for it.
    pub fn is_explicit(&self) -> bool {
        *self == Attention::Explicit
    }
}

impl Dims {
    pub fn head_dim(&self) -> usize {
        self.options.head_dim.unwrap_or(self.d_model / self.n_heads)
    }

    /// Width of the query (and of the attention's context): n_heads x head_dim.
    pub fn q_dim(&self) -> usize {
        self.n_heads * self.head_dim()
    }

    /// Whether the query, key and value projections have biases.
    pub fn qkv_bias(&self) -> bool {
        self.options.bias || self.options.qkv_bias
    }

    /// Key and value heads (`n_heads` unless grouped-query or multi-query).
    pub fn kv_heads(&self) -> usize {
        self.options.n_kv_heads.unwrap_or(self.n_heads)
    }

    /// Width of the key (and of the value) projection: kv_heads x head_dim.
    pub fn kv_dim(&self) -> usize {
        self.kv_heads() * self.head_dim()
    }

    /// Rows of the learned position table for `workload` (0 without learned positions).
    pub fn position_rows(&self, workload: &TokenWorkload) -> usize {
        match self.options.positions {
            Positions::Learned => self.options.max_positions.unwrap_or(workload.context()),
            Positions::None | Positions::Rotary => 0,
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
    /// A convolutional network's channels.
    Width,
    /// A ViT's patch side, in pixels.
    PatchSize,
}

impl SolveDim {
    pub const ALL: [(&'static str, SolveDim); 6] = [
        ("d_ff", SolveDim::DFf),
        ("d_model", SolveDim::DModel),
        ("n_experts", SolveDim::NExperts),
        ("n_layers", SolveDim::NLayers),
        ("width", SolveDim::Width),
        ("patch_size", SolveDim::PatchSize),
    ];

    pub fn name(&self) -> &'static str {
        match self {
            SolveDim::DFf => "d_ff",
            SolveDim::DModel => "d_model",
            SolveDim::NExperts => "n_experts",
            SolveDim::NLayers => "n_layers",
            SolveDim::Width => "width",
            SolveDim::PatchSize => "patch_size",
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
