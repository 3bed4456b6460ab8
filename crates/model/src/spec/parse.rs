//! TOML -> validated [`Suite`]. Every error names the file, the line and the key.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::line_of;
use super::hf;
use super::matching::{MatchRequest, resolve_matches};
use crate::family::{FamilyKind, InputKind};
use crate::numerics::{Gelu, Numerics, WeightsSource};
use crate::precision::{DEFAULT_BLOCK, Dtype, Precision, QuantBits, Quantize};

use super::{BUILTIN_SUITES, SpecError, Suite};
use crate::arch::{
    Attention, Dims, FfnKind, ImageShape, Input, LmOptions, MAX_BATCH, MAX_SEQ_LEN, MatchBy, Norm,
    Positions, Preset, QkNorm, SolveDim, TokenShape, Variant, VisionSpec, Workload, names,
};
use crate::family::{ConvKind, ConvSpec, Family, Kernel, MoeSpec, PruneSpec};

/// Largest size accepted for any one dimension; keeps every count exact in 64 bits.
pub(crate) const MAX_DIM: i64 = 1 << 20;
/// Most experts a token may be routed to.
pub(crate) const MAX_TOP_K: usize = 64;
/// Largest channel count of a convolutional network.
pub(crate) const MAX_WIDTH: usize = 1 << 16;

const TOKEN_KEYS: &str = "seq_len and vocab";
const GENERATION_KEYS: &str = "prompt_len, gen_len and vocab";
const IMAGE_KEYS: &str = "image_size, in_channels and classes";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    suite: Spanned<RawHeader>,
    #[serde(default, rename = "variant")]
    variants: Vec<Spanned<RawVariant>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    batch: Spanned<i64>,
    seq_len: Option<Spanned<i64>>,
    prompt_len: Option<Spanned<i64>>,
    gen_len: Option<Spanned<i64>>,
    vocab: Option<Spanned<i64>>,
    image_size: Option<Spanned<i64>>,
    in_channels: Option<Spanned<i64>>,
    classes: Option<Spanned<i64>>,
    #[serde(default)]
    seed: Option<Spanned<i64>>,
    /// The dtype of the variants that give none.
    #[serde(default)]
    dtype: Option<Spanned<String>>,
    baseline: Spanned<String>,
}

/// A `[[variant]]` table as written. Every optional key is named once, here: the macro gives
/// the struct and [`RawVariant::given`], the keys present with where each starts, from the same
/// list.
macro_rules! raw_variant {
    ($($key:literal => $field:ident: $ty:ty,)*) => {
        #[derive(Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawVariant {
            name: Spanned<String>,
            family: Option<Spanned<String>>,
            $(#[serde(rename = $key)] $field: Option<Spanned<$ty>>,)*
        }

        impl RawVariant {
            /// Sets `key` to `value`, placed at `span`, unless the variant gives it itself;
            /// whether it was set.
            fn fill(
                &mut self,
                key: &str,
                value: &toml::Value,
                span: std::ops::Range<usize>,
            ) -> Result<bool, String> {
                match key {
                    $($key => {
                        if self.$field.is_some() {
                            return Ok(false);
                        }
                        let value = value.clone().try_into().map_err(|e| e.to_string())?;
                        self.$field = Some(Spanned::new(span, value));
                        Ok(true)
                    })*
                    other => Err(format!("`{other}` is no key of a variant")),
                }
            }

            /// The optional keys given, in the order they stand in the file.
            fn given(&self) -> Vec<(&'static str, usize)> {
                let mut keys = Vec::new();
                $(if let Some(v) = &self.$field {
                    keys.push(($key, v.span().start));
                })*
                keys.sort_by_key(|(_, at)| *at);
                keys
            }
        }
    };
}

raw_variant! {
    "d_model" => d_model: i64,
    "n_heads" => n_heads: i64,
    "d_ff" => d_ff: i64,
    "n_layers" => n_layers: i64,
    "attention" => attention: String,
    "n_kv_heads" => n_kv_heads: i64,
    "tie_embeddings" => tie_embeddings: bool,
    "norm" => norm: String,
    "ffn" => ffn: String,
    "bias" => bias: bool,
    "qkv_bias" => qkv_bias: bool,
    "scale_embeddings" => scale_embeddings: bool,
    "qk_norm" => qk_norm: String,
    "post_norms" => post_norms: bool,
    "head_dim" => head_dim: i64,
    "positions" => positions: String,
    "max_positions" => max_positions: i64,
    "vocab" => vocab: i64,
    "n_experts" => n_experts: i64,
    "top_k" => top_k: i64,
    "capacity_factor" => capacity_factor: f64,
    "moe_every" => moe_every: i64,
    "expert_d_ff" => expert_d_ff: i64,
    "shared_d_ff" => shared_d_ff: i64,
    "shared_gate" => shared_gate: bool,
    "sparsity" => sparsity: f64,
    "kernel" => kernel: String,
    "conv" => conv: String,
    "preset" => preset: String,
    "width_mult" => width_mult: f64,
    "depth_mult" => depth_mult: f64,
    "patch_size" => patch_size: i64,
    "groups" => groups: i64,
    "width" => width: i64,
    "blocks" => blocks: i64,
    "rope_theta" => rope_theta: f64,
    "norm_eps" => norm_eps: f64,
    "gelu" => gelu: String,
    "attn_scale" => attn_scale: f64,
    "attn_softcap" => attn_softcap: f64,
    "logit_softcap" => logit_softcap: f64,
    "norm_topk" => norm_topk: bool,
    "dtype" => dtype: String,
    "quantize" => quantize: String,
    "quant_block" => quant_block: i64,
    "from" => from: String,
    "weights" => weights: String,
    "match" => matching: RawMatch,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    variant: Spanned<String>,
    by: Spanned<String>,
    solve: Spanned<String>,
}

/// The keys each table of a suite file accepts, as the parser reads them: the top level,
/// `[suite]`, `[[variant]]` and a variant's `match`.
pub(crate) fn accepted_keys() -> [(&'static str, &'static [&'static str]); 4] {
    [
        ("top level", super::reference::fields_of::<RawSuite>()),
        ("[suite]", super::reference::fields_of::<RawHeader>()),
        ("[[variant]]", super::reference::fields_of::<RawVariant>()),
        ("match", super::reference::fields_of::<RawMatch>()),
    ]
}

/// Reads a suite given as a path or as the name of a built-in suite.
///
/// A value naming an existing file is read from disk; otherwise a built-in suite of that name
/// (with or without `.toml`) is used.
pub fn load_suite(name_or_path: &str) -> Result<Suite, SpecError> {
    let path = Path::new(name_or_path);
    if is_onnx(path) {
        return Err(SpecError::new(
            name_or_path,
            "an ONNX graph is counted, not run: `effprof models --suite FILE.onnx` counts it; the other commands take a suite (TOML) or a Hugging Face config",
        ));
    }
    let config = hf::config_path(path);
    if config.extension().is_some_and(|e| e == "json") && config.is_file() {
        return config_suite(&config);
    }
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SpecError::new(name_or_path, format!("cannot read the file: {e}")))?;
        return parse_suite(&text, name_or_path);
    }
    let stem = name_or_path.strip_suffix(".toml").unwrap_or(name_or_path);
    let stem = stem.strip_prefix("models/").unwrap_or(stem);
    if let Some(builtin) = BUILTIN_SUITES.iter().find(|b| b.name == stem) {
        return parse_suite(builtin.text, &format!("builtin:{}", builtin.name));
    }
    let known: Vec<&str> = BUILTIN_SUITES.iter().map(|b| b.name).collect();
    Err(SpecError::new(
        name_or_path,
        format!(
            "no such file, and no built-in suite of that name; built-in suites: {}",
            known.join(", ")
        ),
    ))
}

/// An ONNX file, by its name: effprof counts it (`effprof models`) but builds no model from it.
pub fn is_onnx(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// The workload a bare config is counted on: one sequence, a 128-token prompt and 32 tokens
/// generated (as the `llm-shapes` suite).
const CONFIG_PROMPT: usize = 128;
const CONFIG_GENERATED: usize = 32;

/// A Hugging Face config as a suite of one variant.
fn config_suite(config: &Path) -> Result<Suite, SpecError> {
    let model = hf::read_config(config, CONFIG_PROMPT + CONFIG_GENERATED)?;
    let file_name = config.file_name().map_or_else(
        || "config.json".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = toml::Value::String(model.name.clone());
    // The checkpoint beside the config, where effprof computes what the config sets.
    let dir = config.parent().unwrap_or(Path::new("."));
    let checkpoint = ["model.safetensors.index.json", "model.safetensors"]
        .into_iter()
        .find(|f| dir.join(f).is_file());
    let (weights, description) = match (checkpoint, model.unreproduced.first()) {
        (Some(file), None) => (
            format!("weights = {}\n", toml::Value::String(file.to_owned())),
            format!("a {} config with its weights", model.model_type),
        ),
        (Some(_), Some((key, _))) => (
            String::new(),
            format!(
                "a {} config; random weights: it sets {key}, which effprof does not compute",
                model.model_type
            ),
        ),
        (None, _) => (String::new(), format!("a {} config", model.model_type)),
    };
    let text = format!(
        "[suite]\nname = {name}\ndescription = {}\nbatch = 1\nprompt_len = {CONFIG_PROMPT}\ngen_len = {CONFIG_GENERATED}\nvocab = {}\nbaseline = {name}\n\n[[variant]]\nname = {name}\nfrom = {}\n{weights}",
        toml::Value::String(description),
        model.vocab(),
        toml::Value::String(file_name),
    );
    // The text is made here: its lines mean nothing to the user.
    parse_suite(&text, &model.file).map_err(|e| e.at(None))
}

/// Parses and validates suite text; `file` names it in errors and becomes [`Suite::source`].
pub fn parse_suite(text: &str, file: &str) -> Result<Suite, SpecError> {
    let raw: RawSuite = toml::from_str(text).map_err(|e| {
        SpecError::new(file, e.message().trim().to_owned())
            .at(e.span().map(|s| line_of(text, s.start)))
    })?;
    let mut ctx = Ctx {
        text,
        file,
        dtype: Dtype::F32,
    };
    let header = raw.suite.get_ref();
    if let Some(d) = &header.dtype {
        ctx.dtype = ctx.one_of(d, "suite", "dtype", &Dtype::ALL)?;
    }
    let workload = Workload {
        batch: ctx.size(&header.batch, "suite", "batch", MAX_BATCH as i64)?,
        input: ctx.input(header, raw.suite.span().start)?,
        seed: match &header.seed {
            None => 0,
            Some(seed) if *seed.get_ref() >= 0 => *seed.get_ref() as u64,
            Some(seed) => {
                return Err(ctx.err(seed.span().start, "suite", "seed", "must be 0 or more"));
            }
        },
        baseline: header.baseline.get_ref().clone(),
    };
    if header.name.get_ref().trim().is_empty() {
        return Err(ctx.err(
            header.name.span().start,
            "suite",
            "name",
            "must not be empty",
        ));
    }
    if raw.variants.is_empty() {
        return Err(SpecError::new(
            file,
            "the suite has no [[variant]] tables; add at least one",
        )
        .at(Some(line_of(text, raw.suite.span().start))));
    }

    let mut seen = HashSet::new();
    let mut variants = Vec::with_capacity(raw.variants.len());
    let mut requests = Vec::new();
    for raw_variant in &raw.variants {
        let rv = raw_variant.get_ref();
        let name = rv.name.get_ref().clone();
        if name.trim().is_empty() {
            return Err(ctx.err(rv.name.span().start, "variant", "name", "must not be empty"));
        }
        if !seen.insert(name.clone()) {
            return Err(ctx.err(
                rv.name.span().start,
                "variant",
                "name",
                &format!("`{name}` is used by an earlier variant; names must be unique"),
            ));
        }
        let (variant, request) = ctx.variant(rv, raw_variant.span().start, &workload.input)?;
        if let Some(request) = request {
            requests.push(request);
        }
        variants.push(variant);
    }

    if !seen.contains(&workload.baseline) {
        return Err(ctx.err(
            header.baseline.span().start,
            "suite",
            "baseline",
            &format!("names no variant; variants are: {}", names(&variants)),
        ));
    }

    resolve_matches(&mut variants, &requests, &workload, &ctx)?;

    Ok(Suite {
        name: header.name.get_ref().clone(),
        description: header.description.clone(),
        source: file.to_owned(),
        workload,
        variants,
    })
}

/// The file being validated, so every check can point at its line.
pub(crate) struct Ctx<'a> {
    text: &'a str,
    pub(crate) file: &'a str,
    /// The suite's dtype, for variants that give none.
    dtype: Dtype,
}

/// The least a workload size may be, and why when it is more than 1: a vocabulary or a set of
/// classes of one leaves the training task (and cross-entropy) nothing to choose between.
fn min_size(key: &str) -> (i64, &'static str) {
    match key {
        "vocab" => (2, " (the training task is a Markov chain between tokens)"),
        "classes" => (2, " (a classifier needs classes to tell apart)"),
        _ => (1, ""),
    }
}

impl Ctx<'_> {
    pub(crate) fn err(&self, offset: usize, scope: &str, key: &str, message: &str) -> SpecError {
        SpecError::new(self.file, message)
            .at(Some(line_of(self.text, offset)))
            .key(format!("{scope}: {key}"))
    }

    /// The choice `value` names, or an error listing the names allowed for `key`.
    fn one_of<T: Copy>(
        &self,
        value: &Spanned<String>,
        scope: &str,
        key: &str,
        choices: &[(&str, T)],
    ) -> Result<T, SpecError> {
        let name = value.get_ref().as_str();
        match choices.iter().find(|(n, _)| *n == name) {
            Some((_, choice)) => Ok(*choice),
            None => {
                let allowed: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                Err(self.err(
                    value.span().start,
                    scope,
                    key,
                    &format!("unknown {key} `{name}`; allowed: {}", allowed.join(", ")),
                ))
            }
        }
    }

    fn size(
        &self,
        value: &Spanned<i64>,
        scope: &str,
        key: &str,
        max: i64,
    ) -> Result<usize, SpecError> {
        self.size_from(value, scope, key, (1, ""), max)
    }

    /// A size in `min..=max`; `min` comes with why it is the least allowed.
    fn size_from(
        &self,
        value: &Spanned<i64>,
        scope: &str,
        key: &str,
        (min, why): (i64, &str),
        max: i64,
    ) -> Result<usize, SpecError> {
        let v = *value.get_ref();
        if v < min {
            Err(self.err(
                value.span().start,
                scope,
                key,
                &format!("must be at least {min}{why}; got {v}"),
            ))
        } else if v > max {
            Err(self.err(
                value.span().start,
                scope,
                key,
                &format!("must be at most {max}; got {v}"),
            ))
        } else {
            Ok(v as usize)
        }
    }

    /// Token sequences, generation or images: one of the three sets of keys, complete.
    fn input(&self, header: &RawHeader, table_start: usize) -> Result<Input, SpecError> {
        let tokens = [("seq_len", &header.seq_len)];
        let generation = [
            ("prompt_len", &header.prompt_len),
            ("gen_len", &header.gen_len),
        ];
        let images = [
            ("image_size", &header.image_size),
            ("in_channels", &header.in_channels),
            ("classes", &header.classes),
        ];
        fn given(keys: &[(&'static str, &Option<Spanned<i64>>)]) -> Option<(&'static str, usize)> {
            keys.iter()
                .find_map(|(key, v)| v.as_ref().map(|v| (*key, v.span().start)))
        }
        let required = |value: &Option<Spanned<i64>>, what: &str, key: &str, max| match value {
            Some(v) => self.size_from(v, "suite", key, min_size(key), max),
            None => Err(self.err(table_start, "suite", key, &format!("missing; {what}"))),
        };
        let token_keys = given(&tokens)
            .or(given(&generation))
            .or_else(|| header.vocab.as_ref().map(|v| ("vocab", v.span().start)));
        if let (Some((token_key, _)), Some((image_key, at))) = (token_keys, given(&images)) {
            return Err(self.err(
                at,
                "suite",
                image_key,
                &format!(
                    "a suite takes token sequences ({TOKEN_KEYS} or {GENERATION_KEYS}) or images ({IMAGE_KEYS}), not both; `{token_key}` is given too"
                ),
            ));
        }
        if let (Some(_), Some((generation_key, at))) = (given(&tokens), given(&generation)) {
            return Err(self.err(
                at,
                "suite",
                generation_key,
                &format!(
                    "a suite runs one forward pass of seq_len tokens or generates ({GENERATION_KEYS}), not both; `seq_len` is given too"
                ),
            ));
        }
        if given(&images).is_some() {
            let what = format!("an image workload needs {IMAGE_KEYS}");
            return Ok(Input::Images(ImageShape {
                image_size: required(&header.image_size, &what, "image_size", 4096)?,
                in_channels: required(&header.in_channels, &what, "in_channels", 4096)?,
                classes: required(&header.classes, &what, "classes", MAX_DIM)?,
            }));
        }
        if given(&generation).is_some() {
            let what = format!("a generation workload needs {GENERATION_KEYS}");
            let prompt_len = required(&header.prompt_len, &what, "prompt_len", MAX_SEQ_LEN as i64)?;
            let gen_len = required(&header.gen_len, &what, "gen_len", MAX_SEQ_LEN as i64)?;
            if prompt_len + gen_len > MAX_SEQ_LEN
                && let Some(g) = &header.gen_len
            {
                return Err(self.err(
                    g.span().start,
                    "suite",
                    "gen_len",
                    &format!(
                        "prompt_len + gen_len must be at most {MAX_SEQ_LEN}; got {prompt_len} + {gen_len}"
                    ),
                ));
            }
            return Ok(Input::Tokens(TokenShape {
                seq_len: prompt_len,
                vocab: required(&header.vocab, &what, "vocab", MAX_DIM)?,
                gen_len: Some(gen_len),
            }));
        }
        if token_keys.is_none() {
            return Err(self.err(
                table_start,
                "suite",
                "seq_len",
                &format!(
                    "missing the input: token sequences ({TOKEN_KEYS}) or generation ({GENERATION_KEYS}) for transformer variants, or images ({IMAGE_KEYS}) for conv variants"
                ),
            ));
        }
        let what = format!("a token workload needs {TOKEN_KEYS}");
        Ok(Input::Tokens(TokenShape {
            seq_len: required(&header.seq_len, &what, "seq_len", MAX_SEQ_LEN as i64)?,
            vocab: required(&header.vocab, &what, "vocab", MAX_DIM)?,
            gen_len: None,
        }))
    }

    fn variant(
        &self,
        rv: &RawVariant,
        table_start: usize,
        input: &Input,
    ) -> Result<(Variant, Option<MatchRequest>), SpecError> {
        let Some(from) = &rv.from else {
            return self.variant_as_written(rv, table_start, input);
        };
        let name = rv.name.get_ref();
        let scope = format!("variant \"{name}\"");
        let at = from.span().start;
        let Input::Tokens(tokens) = input else {
            return Err(self.err(
                at,
                &scope,
                "from",
                &format!("a Hugging Face config is a language model: put it in a suite of token sequences ({TOKEN_KEYS})"),
            ));
        };
        let path = self.beside(from.get_ref());
        let model = hf::read_config(&path, tokens.seq_len + tokens.gen_len.unwrap_or(0))?;
        let mut filled = rv.clone();
        if filled.family.is_none() {
            filled.family = Some(Spanned::new(from.span(), model.family.name().to_owned()));
        }
        let mut from_config = Vec::new();
        for m in &model.keys {
            if filled
                .fill(m.key, &m.value, from.span())
                .map_err(|e| self.err(at, &scope, m.key, &e))?
            {
                from_config.push(m);
            }
        }
        let (mut variant, request) = self
            .variant_as_written(&filled, table_start, input)
            .map_err(|e| {
                // A value the config gave is wrong: name the config's key, and where it was used.
                let key = e
                    .key
                    .as_deref()
                    .and_then(|k| k.strip_prefix(&format!("{scope}: ")));
                match from_config.iter().find(|m| Some(m.key) == key) {
                    Some(m) => SpecError::new(
                        &model.file,
                        format!(
                            "{} (read as `{}` for variant \"{name}\" of {})",
                            e.message, m.key, self.file
                        ),
                    )
                    .key(m.from.clone()),
                    None => e,
                }
            })?;
        if let Some(w) = &rv.weights {
            let err = |message: &str| self.err(w.span().start, &scope, "weights", message);
            let path = self.beside(w.get_ref());
            if !path.is_file() {
                return Err(err(&format!("no file {}", path.display())));
            }
            if !matches!(variant.family, Family::Dense | Family::Moe(_)) {
                return Err(err(&format!(
                    "loads into a dense or moe variant; a {} variant's layers are not the checkpoint's",
                    variant.family.name()
                )));
            }
            if let Some((key, why)) = model.unreproduced.first() {
                return Err(err(&format!(
                    "{} sets `{key}`, which effprof counts but does not compute ({why}): its logits would not be the checkpoint's",
                    model.file
                )));
            }
            variant.weights = Some(WeightsSource {
                path: path.display().to_string(),
                model_type: model.model_type.clone(),
            });
        }
        Ok((variant, request))
    }

    /// `path` as written in the suite file: relative to the file's folder.
    fn beside(&self, path: &str) -> std::path::PathBuf {
        let path = Path::new(path);
        match Path::new(self.file).parent() {
            Some(dir) if path.is_relative() && !self.file.starts_with("builtin:") => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// A variant from its keys as written (or filled from a config).
    fn variant_as_written(
        &self,
        rv: &RawVariant,
        table_start: usize,
        input: &Input,
    ) -> Result<(Variant, Option<MatchRequest>), SpecError> {
        let name = rv.name.get_ref();
        let scope = format!("variant \"{name}\"");
        let scope = scope.as_str();
        let Some(family) = &rv.family else {
            return Err(self.err(
                table_start,
                scope,
                "family",
                &format!(
                    "missing; one of {} (or `from` a Hugging Face config)",
                    FamilyKind::IN_SUITE_FILES.map(|(n, _)| n).join(", ")
                ),
            ));
        };
        let kind = self.one_of(family, scope, "family", &FamilyKind::IN_SUITE_FILES)?;
        let family_name = kind.name();
        let wrong_input = match (kind.input(), input) {
            (InputKind::Images, Input::Tokens(_)) => Some(format!(
                "{family_name} variants take images, and this suite's [suite] gives token sequences ({TOKEN_KEYS}); put them in a suite with {IMAGE_KEYS}"
            )),
            (InputKind::Tokens, Input::Images(_)) => Some(format!(
                "{family_name} variants take token sequences, and this suite's [suite] gives images ({IMAGE_KEYS}); only conv and vision variants take images"
            )),
            _ => None,
        };
        if let Some(message) = wrong_input {
            return Err(self.err(family.span().start, scope, "family", &message));
        }

        // Keys that only some families take: name the family and what it allows.
        if let Some((key, at)) = rv.given().into_iter().find(|(key, _)| !kind.takes_key(key)) {
            return Err(self.err(
                at,
                scope,
                key,
                &format!(
                    "not allowed for family `{family_name}`; allowed keys: {}",
                    kind.keys().join(", ")
                ),
            ));
        }

        let request = match &rv.matching {
            Some(m) => Some(self.match_request(m, scope, kind)?),
            None => None,
        };
        let solved = request.as_ref().map(|r| r.solve);
        let request = request.map(|r| MatchRequest {
            variant: name.clone(),
            ..r
        });

        let dims = || self.dims(rv, scope, table_start, input, solved).map(Some);
        let (family, dims) = match (kind, input) {
            (FamilyKind::Vision, Input::Images(images)) => {
                let spec = self.vision(rv, scope, table_start, images.image_size, solved)?;
                (Family::Vision(spec), None)
            }
            (FamilyKind::Conv, Input::Images(_)) => (
                Family::Conv(self.conv(rv, scope, table_start, solved)?),
                None,
            ),
            (FamilyKind::Dense, Input::Tokens(_)) => (Family::Dense, dims()?),
            (FamilyKind::Universal, Input::Tokens(_)) => (Family::Universal, dims()?),
            (FamilyKind::Moe, Input::Tokens(_)) => {
                let dims = dims()?;
                (Family::Moe(self.moe(rv, scope, table_start, solved)?), dims)
            }
            (FamilyKind::Pruned, Input::Tokens(_)) => {
                let dims = dims()?;
                (Family::Pruned(self.pruned(rv, scope, table_start)?), dims)
            }
            (kind, _) => {
                return Err(self.err(
                    family.span().start,
                    scope,
                    "family",
                    &format!(
                        "{} variants cannot run on this suite's input; allowed families: {}",
                        kind.name(),
                        FamilyKind::IN_SUITE_FILES.map(|(n, _)| n).join(", ")
                    ),
                ));
            }
        };
        if let (Some(w), None) = (&rv.weights, &rv.from) {
            return Err(self.err(
                w.span().start,
                scope,
                "weights",
                "needs `from` a Hugging Face config too: the config's model_type says how the checkpoint names its tensors",
            ));
        }
        Ok((
            Variant {
                name: name.clone(),
                dims,
                family,
                matched: None,
                numerics: self.numerics(rv, scope)?,
                // Conv and vision variants run at f32 whatever the suite's dtype.
                precision: match kind.input() {
                    InputKind::Tokens => self.precision(rv, scope, &family)?,
                    InputKind::Images | InputKind::Own => Precision::default(),
                },
                weights: None,
            },
            request,
        ))
    }

    /// The dtype (the suite's where the variant gives none) and the weights' quantization.
    fn precision(
        &self,
        rv: &RawVariant,
        scope: &str,
        family: &Family,
    ) -> Result<Precision, SpecError> {
        let dtype = match &rv.dtype {
            Some(d) => self.one_of(d, scope, "dtype", &Dtype::ALL)?,
            None => self.dtype,
        };
        let quantize = match (&rv.quantize, &rv.quant_block) {
            (None, None) => None,
            (None, Some(b)) => {
                return Err(self.err(
                    b.span().start,
                    scope,
                    "quant_block",
                    "is the block of `quantize`: give quantize = \"int8\" or \"int4\" too",
                ));
            }
            (Some(q), _) if matches!(family, Family::Pruned(_)) => {
                return Err(self.err(
                    q.span().start,
                    scope,
                    "quantize",
                    "not with a pruned variant: its masked and CSR weights are not quantized",
                ));
            }
            (Some(q), block) => Some(Quantize {
                bits: self.one_of(q, scope, "quantize", &QuantBits::ALL)?,
                block: match block {
                    Some(b) => self.size(b, scope, "quant_block", 1 << 16)?,
                    None => DEFAULT_BLOCK,
                },
            }),
        };
        Ok(Precision { dtype, quantize })
    }

    /// The values behind no count, each checked where given.
    fn numerics(&self, rv: &RawVariant, scope: &str) -> Result<Numerics, SpecError> {
        let defaults = Numerics::default();
        let positive = |value: &Option<Spanned<f64>>, key: &str| match value {
            Some(v) if !(v.get_ref().is_finite() && *v.get_ref() > 0.0) => Err(self.err(
                v.span().start,
                scope,
                key,
                &format!("must be a number above 0; got {}", v.get_ref()),
            )),
            Some(v) => Ok(Some(*v.get_ref())),
            None => Ok(None),
        };
        Ok(Numerics {
            rope_theta: positive(&rv.rope_theta, "rope_theta")?.unwrap_or(defaults.rope_theta),
            norm_eps: positive(&rv.norm_eps, "norm_eps")?.unwrap_or(defaults.norm_eps),
            gelu: match &rv.gelu {
                Some(g) => self.one_of(g, scope, "gelu", &Gelu::ALL)?,
                None => defaults.gelu,
            },
            attn_scale: positive(&rv.attn_scale, "attn_scale")?,
            attn_softcap: positive(&rv.attn_softcap, "attn_softcap")?,
            logit_softcap: positive(&rv.logit_softcap, "logit_softcap")?,
            norm_topk: rv.norm_topk.as_ref().is_some_and(|n| *n.get_ref()),
        })
    }

    /// A transformer's shape: its dimensions and language-model options, checked together.
    fn dims(
        &self,
        rv: &RawVariant,
        scope: &str,
        table_start: usize,
        input: &Input,
        solved: Option<SolveDim>,
    ) -> Result<Dims, SpecError> {
        // A dimension the match solves must be left out; every other one is required.
        let dim = |value: &Option<Spanned<i64>>, key: &str, which: SolveDim| match (
            value,
            solved == Some(which),
        ) {
            (Some(v), true) => Err(self.err(
                v.span().start,
                scope,
                key,
                "is solved by `match`; remove it from the variant",
            )),
            (None, true) => Ok(0),
            (Some(v), false) => self.size(v, scope, key, MAX_DIM),
            (None, false) => Err(self.err(
                table_start,
                scope,
                key,
                "missing; every variant needs d_model, n_heads, d_ff and n_layers",
            )),
        };
        let dims = Dims {
            d_model: dim(&rv.d_model, "d_model", SolveDim::DModel)?,
            n_heads: match &rv.n_heads {
                Some(v) => self.size(v, scope, "n_heads", MAX_DIM)?,
                None => {
                    return Err(self.err(
                        table_start,
                        scope,
                        "n_heads",
                        "missing; every variant needs d_model, n_heads, d_ff and n_layers",
                    ));
                }
            },
            d_ff: dim(&rv.d_ff, "d_ff", SolveDim::DFf)?,
            n_layers: dim(&rv.n_layers, "n_layers", SolveDim::NLayers)?,
            attention: match &rv.attention {
                None => Attention::default(),
                Some(a) => self.one_of(a, scope, "attention", &Attention::ALL)?,
            },
            options: self.lm_options(rv, scope, input)?,
        };
        if let (Positions::Rotary, Some(p)) = (dims.options.positions, &rv.positions)
            && solved != Some(SolveDim::DModel)
            && !dims.head_dim().is_multiple_of(2)
        {
            return Err(self.err(
                p.span().start,
                scope,
                "positions",
                &format!(
                    "rotary positions rotate pairs of features: the head size (head_dim, or d_model / n_heads) must be even; got {}",
                    dims.head_dim()
                ),
            ));
        }
        if let (Some(kv), Some(v)) = (dims.options.n_kv_heads, &rv.n_kv_heads)
            && !dims.n_heads.is_multiple_of(kv)
        {
            return Err(self.err(
                v.span().start,
                scope,
                "n_kv_heads",
                &format!(
                    "must divide n_heads ({}) so that each key/value head serves as many query heads; got {kv}",
                    dims.n_heads
                ),
            ));
        }
        if solved != Some(SolveDim::DModel)
            && dims.options.head_dim.is_none()
            && !dims.d_model.is_multiple_of(dims.n_heads)
        {
            let at = rv
                .d_model
                .as_ref()
                .map(|s| s.span().start)
                .unwrap_or(table_start);
            return Err(self.err(
                at,
                scope,
                "d_model",
                &format!(
                    "must be divisible by n_heads ({}), or head_dim given; got {}",
                    dims.n_heads, dims.d_model
                ),
            ));
        }
        Ok(dims)
    }

    /// The language-model choices of a transformer variant, each checked against the suite.
    fn lm_options(
        &self,
        rv: &RawVariant,
        scope: &str,
        input: &Input,
    ) -> Result<LmOptions, SpecError> {
        let defaults = LmOptions::default();
        let Input::Tokens(tokens) = input else {
            return Ok(defaults);
        };
        let n_kv_heads = match &rv.n_kv_heads {
            Some(v) => Some(self.size(v, scope, "n_kv_heads", MAX_DIM)?),
            None => None,
        };
        let positions = match &rv.positions {
            Some(p) => self.one_of(p, scope, "positions", &Positions::ALL)?,
            None => defaults.positions,
        };
        let context = tokens.seq_len + tokens.gen_len.unwrap_or(0);
        let max_positions = match &rv.max_positions {
            Some(v) if positions != Positions::Learned => {
                return Err(self.err(
                    v.span().start,
                    scope,
                    "max_positions",
                    "only for positions = \"learned\" (the rows of the position table); remove it",
                ));
            }
            Some(v) => {
                let rows = self.size(v, scope, "max_positions", MAX_SEQ_LEN as i64)?;
                if rows < context {
                    return Err(self.err(
                        v.span().start,
                        scope,
                        "max_positions",
                        &format!(
                            "must be at least the suite's longest sequence ({context} tokens), or some positions would have no row; got {rows}"
                        ),
                    ));
                }
                Some(rows)
            }
            None => None,
        };
        let vocab = match &rv.vocab {
            Some(v) => {
                let own = self.size(v, scope, "vocab", MAX_DIM)?;
                if own < tokens.vocab {
                    return Err(self.err(
                        v.span().start,
                        scope,
                        "vocab",
                        &format!(
                            "must be at least the suite's vocab ({}), whose tokens every variant embeds; got {own}",
                            tokens.vocab
                        ),
                    ));
                }
                Some(own)
            }
            None => None,
        };
        let bias = rv.bias.as_ref().map_or(defaults.bias, |b| *b.get_ref());
        let qkv_bias = match &rv.qkv_bias {
            Some(q) if *q.get_ref() && bias => {
                return Err(self.err(
                    q.span().start,
                    scope,
                    "qkv_bias",
                    "only with bias = false: bias = true already puts biases on q, k and v",
                ));
            }
            Some(q) => *q.get_ref(),
            None => defaults.qkv_bias,
        };
        Ok(LmOptions {
            n_kv_heads,
            tie_embeddings: rv
                .tie_embeddings
                .as_ref()
                .map_or(defaults.tie_embeddings, |t| *t.get_ref()),
            norm: match &rv.norm {
                Some(n) => self.one_of(n, scope, "norm", &Norm::ALL)?,
                None => defaults.norm,
            },
            ffn: match &rv.ffn {
                Some(f) => self.one_of(f, scope, "ffn", &FfnKind::ALL)?,
                None => defaults.ffn,
            },
            bias,
            qkv_bias,
            qk_norm: match &rv.qk_norm {
                Some(q) => Some(self.one_of(q, scope, "qk_norm", &QkNorm::ALL)?),
                None => None,
            },
            post_norms: rv.post_norms.as_ref().is_some_and(|p| *p.get_ref()),
            scale_embeddings: rv.scale_embeddings.as_ref().is_some_and(|s| *s.get_ref()),
            head_dim: match &rv.head_dim {
                Some(v) => Some(self.size(v, scope, "head_dim", MAX_DIM)?),
                None => None,
            },
            positions,
            max_positions,
            vocab,
        })
    }

    fn moe(
        &self,
        rv: &RawVariant,
        scope: &str,
        table_start: usize,
        solved: Option<SolveDim>,
    ) -> Result<MoeSpec, SpecError> {
        let n_experts = match (&rv.n_experts, solved == Some(SolveDim::NExperts)) {
            (Some(v), true) => {
                return Err(self.err(
                    v.span().start,
                    scope,
                    "n_experts",
                    "is solved by `match`; remove it from the variant",
                ));
            }
            (None, true) => 0,
            (Some(v), false) => self.size(v, scope, "n_experts", 1 << 12)?,
            (None, false) => {
                return Err(self.err(
                    table_start,
                    scope,
                    "n_experts",
                    "missing; a moe variant needs n_experts and top_k",
                ));
            }
        };
        let top_k = match &rv.top_k {
            Some(v) => {
                let k = *v.get_ref();
                if !(1..=MAX_TOP_K as i64).contains(&k) {
                    return Err(self.err(
                        v.span().start,
                        scope,
                        "top_k",
                        &format!("must be at least 1 and at most {MAX_TOP_K}; got {k}"),
                    ));
                }
                if solved != Some(SolveDim::NExperts) && k as usize > n_experts {
                    return Err(self.err(
                        v.span().start,
                        scope,
                        "top_k",
                        &format!("must be at most n_experts ({n_experts}); got {k}"),
                    ));
                }
                k as usize
            }
            None => {
                return Err(self.err(
                    table_start,
                    scope,
                    "top_k",
                    "missing; a moe variant needs n_experts and top_k",
                ));
            }
        };
        let capacity_factor = match &rv.capacity_factor {
            Some(v) => {
                let cf = *v.get_ref();
                if !(cf.is_finite() && cf > 0.0 && cf <= 64.0) {
                    return Err(self.err(
                        v.span().start,
                        scope,
                        "capacity_factor",
                        &format!("must be greater than 0 and at most 64; got {cf}"),
                    ));
                }
                cf
            }
            None => 1.25,
        };
        let moe_every = match &rv.moe_every {
            Some(v) => self.size(v, scope, "moe_every", MAX_DIM)?,
            None => 1,
        };
        if let (Some(v), Some(n_layers)) = (&rv.moe_every, &rv.n_layers)
            && moe_every > *n_layers.get_ref() as usize
        {
            return Err(self.err(
                v.span().start,
                scope,
                "moe_every",
                &format!(
                    "must be at most n_layers ({}), or no layer would be an MoE layer; got {moe_every}",
                    n_layers.get_ref()
                ),
            ));
        }
        let width = |value: &Option<Spanned<i64>>, key: &str| match value {
            Some(v) => self.size(v, scope, key, MAX_DIM).map(Some),
            None => Ok(None),
        };
        let shared_d_ff = width(&rv.shared_d_ff, "shared_d_ff")?;
        let shared_gate = match &rv.shared_gate {
            Some(g) if *g.get_ref() && shared_d_ff.is_none() => {
                return Err(self.err(
                    g.span().start,
                    scope,
                    "shared_gate",
                    "gates the shared expert: give shared_d_ff too",
                ));
            }
            Some(g) => *g.get_ref(),
            None => false,
        };
        Ok(MoeSpec {
            n_experts,
            top_k,
            capacity_factor,
            moe_every,
            expert_d_ff: width(&rv.expert_d_ff, "expert_d_ff")?,
            shared_d_ff,
            shared_gate,
        })
    }

    fn pruned(
        &self,
        rv: &RawVariant,
        scope: &str,
        table_start: usize,
    ) -> Result<PruneSpec, SpecError> {
        let sparsity = match &rv.sparsity {
            Some(v) => {
                let s = *v.get_ref();
                if !(s.is_finite() && (0.0..1.0).contains(&s)) {
                    return Err(self.err(
                        v.span().start,
                        scope,
                        "sparsity",
                        &format!("must be at least 0 and below 1 (0 <= s < 1); got {s}"),
                    ));
                }
                s
            }
            None => {
                return Err(self.err(
                    table_start,
                    scope,
                    "sparsity",
                    "missing; a pruned variant needs sparsity (0 <= s < 1)",
                ));
            }
        };
        let kernel = match &rv.kernel {
            None => Kernel::Dense,
            Some(k) => self.one_of(k, scope, "kernel", &Kernel::ALL)?,
        };
        Ok(PruneSpec { sparsity, kernel })
    }

    /// A vision-zoo variant: its preset and the overrides, checked against the images.
    fn vision(
        &self,
        rv: &RawVariant,
        scope: &str,
        table_start: usize,
        image_size: usize,
        solved: Option<SolveDim>,
    ) -> Result<VisionSpec, SpecError> {
        let Some(preset) = &rv.preset else {
            let names: Vec<&str> = Preset::ALL.iter().map(|(n, _)| *n).collect();
            return Err(self.err(
                table_start,
                scope,
                "preset",
                &format!(
                    "missing; a vision variant names its network, one of: {}",
                    names.join(", ")
                ),
            ));
        };
        let spec = VisionSpec {
            preset: self.one_of(preset, scope, "preset", &Preset::ALL)?,
            width_mult: rv.width_mult.as_ref().map_or(1.0, |w| *w.get_ref()),
            depth_mult: rv.depth_mult.as_ref().map_or(1.0, |d| *d.get_ref()),
            patch_size: match &rv.patch_size {
                Some(p) => Some(self.size(p, scope, "patch_size", 4096)?),
                None => None,
            },
        };
        let mut checked = spec;
        if solved == Some(SolveDim::PatchSize) {
            let at = rv.matching.as_ref().map_or(table_start, |m| m.span().start);
            if let Some(p) = &rv.patch_size {
                return Err(self.err(
                    p.span().start,
                    scope,
                    "patch_size",
                    "is solved by `match`; remove it from the variant",
                ));
            }
            if !matches!(spec.preset, Preset::VitB16 | Preset::VitB32) {
                return Err(self.err(
                    at,
                    scope,
                    "match.solve",
                    &format!(
                        "patch_size can only be solved for a ViT preset (vit_b_16, vit_b_32); {} has no patches",
                        spec.preset.name()
                    ),
                ));
            }
            // Any patch the solver picks tiles the image; check the rest with one that does.
            checked.patch_size = Some(1);
        }
        super::check::check_vision(&checked, image_size).map_err(|(key, message)| {
            let at = match key {
                "width_mult" => rv.width_mult.as_ref().map(|s| s.span().start),
                "depth_mult" => rv.depth_mult.as_ref().map(|s| s.span().start),
                _ => rv.patch_size.as_ref().map(|s| s.span().start),
            };
            self.err(at.unwrap_or(table_start), scope, key, &message)
        })?;
        Ok(spec)
    }

    fn conv(
        &self,
        rv: &RawVariant,
        scope: &str,
        table_start: usize,
        solved: Option<SolveDim>,
    ) -> Result<ConvSpec, SpecError> {
        let required = |value: &Option<Spanned<i64>>, key: &str, max| {
            match value {
            Some(v) => self.size(v, scope, key, max),
            None => Err(self.err(
                table_start,
                scope,
                key,
                "missing; a conv variant needs conv, width and blocks (and groups when conv = \"grouped\")",
            )),
        }
        };
        // A width the match solves is left out (0 until solved); otherwise it is required.
        let width_solved = solved == Some(SolveDim::Width);
        let width = match (&rv.width, width_solved) {
            (Some(v), true) => {
                return Err(self.err(
                    v.span().start,
                    scope,
                    "width",
                    "is solved by `match`; remove it from the variant",
                ));
            }
            (None, true) => 0,
            (value, false) => required(value, "width", MAX_WIDTH as i64)?,
        };
        let blocks = required(&rv.blocks, "blocks", 1 << 12)?;
        let Some(conv) = &rv.conv else {
            return Err(self.err(
                table_start,
                scope,
                "conv",
                &format!(
                    "missing; a conv variant names its convolutions, one of: {}",
                    ConvKind::NAMES.join(", ")
                ),
            ));
        };
        let kind = match conv.get_ref().as_str() {
            "standard" => ConvKind::Standard,
            "depthwise_separable" => ConvKind::DepthwiseSeparable,
            "grouped" => {
                let groups = required(&rv.groups, "groups", MAX_WIDTH as i64)?;
                let at = rv.groups.as_ref().map_or(table_start, |g| g.span().start);
                if groups < 2 || (!width_solved && !width.is_multiple_of(groups)) {
                    return Err(self.err(
                        at,
                        scope,
                        "groups",
                        &format!("must be at least 2 and divide width ({width}); got {groups}"),
                    ));
                }
                ConvKind::Grouped { groups }
            }
            other => {
                return Err(self.err(
                    conv.span().start,
                    scope,
                    "conv",
                    &format!(
                        "unknown convolution `{other}`; allowed: {}",
                        ConvKind::NAMES.join(", ")
                    ),
                ));
            }
        };
        if let (Some(g), false) = (&rv.groups, matches!(kind, ConvKind::Grouped { .. })) {
            return Err(self.err(
                g.span().start,
                scope,
                "groups",
                &format!(
                    "only for conv = \"grouped\"; this variant's convolutions are {}",
                    kind.name()
                ),
            ));
        }
        Ok(ConvSpec {
            kind,
            width,
            blocks,
        })
    }

    fn match_request(
        &self,
        m: &Spanned<RawMatch>,
        scope: &str,
        family: FamilyKind,
    ) -> Result<MatchRequest, SpecError> {
        let raw = m.get_ref();
        let by = MatchBy::ALL
            .iter()
            .find(|(n, _)| *n == raw.by.get_ref())
            .map(|(_, b)| *b)
            .ok_or_else(|| {
                self.err(
                    raw.by.span().start,
                    scope,
                    "match.by",
                    &format!(
                        "unknown indicator `{}`; allowed: flops, params",
                        raw.by.get_ref()
                    ),
                )
            })?;
        let solve = SolveDim::ALL
            .iter()
            .find(|(n, _)| *n == raw.solve.get_ref())
            .map(|(_, s)| *s)
            .ok_or_else(|| {
                self.err(
                    raw.solve.span().start,
                    scope,
                    "match.solve",
                    &format!(
                        "unknown dimension `{}`; allowed: d_ff, d_model, n_experts, n_layers, width, patch_size",
                        raw.solve.get_ref()
                    ),
                )
            })?;
        // What each family can solve: a transformer's shape (and an MoE's experts), a
        // convolutional network's width.
        let allowed = family.solvable();
        if !allowed.contains(&solve.name()) {
            let only = match solve {
                SolveDim::NExperts => "a moe variant",
                SolveDim::Width => "a conv variant",
                SolveDim::PatchSize => "a vision variant of a ViT preset",
                _ => "a transformer variant",
            };
            return Err(self.err(
                raw.solve.span().start,
                scope,
                "match.solve",
                &format!(
                    "{} can only be solved for {only}, not `{}`; allowed: {}",
                    solve.name(),
                    family.name(),
                    allowed.join(", ")
                ),
            ));
        }
        Ok(MatchRequest {
            variant: String::new(),
            target: raw.variant.get_ref().clone(),
            by,
            solve,
            line: line_of(self.text, m.span().start),
        })
    }
}
