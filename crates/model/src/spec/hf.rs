//! Hugging Face `config.json` files as variants: each `model_type` effprof maps is read into the
//! suite keys of the same architecture, so a config is checked and counted exactly as a
//! hand-written variant is. Every key of the config is either mapped, known to change no count
//! (its reason is kept beside it), or refused by name: nothing is silently dropped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::SpecError;
use crate::family::FamilyKind;

/// The `model_type`s effprof maps, in the order error messages list them.
pub const MAPPED: [&str; 12] = [
    "gpt2",
    "llama",
    "mistral",
    "qwen2",
    "mixtral",
    "qwen2_moe",
    "phi3",
    "gemma",
    "gemma2",
    "qwen3",
    "qwen3_moe",
    "olmoe",
];

/// A config read into the suite keys of the same architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct HfModel {
    /// The config file read.
    pub file: String,
    pub model_type: String,
    /// The model's name: `_name_or_path`, else the folder holding the config.
    pub name: String,
    pub family: FamilyKind,
    /// Suite keys with their values, each with the config key it came from.
    pub keys: Vec<Mapped>,
    /// Keys whose values effprof counts but does not compute (a rotary scaling, say), with
    /// why: random weights do not care, a checkpoint's logits would.
    pub unreproduced: Vec<(String, String)>,
}

impl HfModel {
    /// The model's own vocabulary.
    pub fn vocab(&self) -> usize {
        self.keys
            .iter()
            .find(|m| m.key == "vocab")
            .and_then(|m| m.value.as_integer())
            .unwrap_or(0) as usize
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mapped {
    pub key: &'static str,
    pub value: toml::Value,
    /// The config key (or keys) the value was read from, or why it is a default.
    pub from: String,
}

/// Keys that change neither a parameter nor a FLOP, with why: each config key is here, mapped,
/// or refused.
const NO_COUNT: &[(&str, &str)] = &[
    ("_name_or_path", "a name"),
    ("architectures", "the class transformers builds"),
    ("model_type", "read first"),
    ("transformers_version", "a version"),
    (
        "torch_dtype",
        "the stored dtype; effprof counts bytes at f32",
    ),
    ("dtype", "the stored dtype; effprof counts bytes at f32"),
    ("bos_token_id", "a token id"),
    ("eos_token_id", "a token id"),
    ("pad_token_id", "a token id"),
    ("initializer_range", "random initialisation only"),
    ("use_cache", "a runtime choice"),
    ("attention_dropout", "training only"),
    ("hidden_dropout", "training only"),
    ("resid_pdrop", "training only"),
    ("embd_pdrop", "training only"),
    ("attn_pdrop", "training only"),
    ("summary_type", "GPT2DoubleHeadsModel's head only"),
    ("summary_use_proj", "GPT2DoubleHeadsModel's head only"),
    ("summary_activation", "GPT2DoubleHeadsModel's head only"),
    ("summary_proj_to_labels", "GPT2DoubleHeadsModel's head only"),
    ("summary_first_dropout", "GPT2DoubleHeadsModel's head only"),
    ("task_specific_params", "generation settings"),
    ("n_ctx", "an old name of n_positions"),
    ("scale_attn_weights", "a scale: 0 FLOPs"),
    ("output_router_logits", "training only"),
    ("router_aux_loss_coef", "training only"),
    ("router_jitter_noise", "training only"),
    (
        "max_window_layers",
        "layers that would use the sliding window, which is off",
    ),
    ("auto_map", "the classes trust_remote_code would load"),
    ("cache_implementation", "how generate keeps its cache"),
    (
        "original_max_position_embeddings",
        "the length a rotary scaling starts from: read with rope_scaling",
    ),
    (
        "pretraining_tp",
        "splits each projection's matmul into slices: the same FLOPs",
    ),
];

/// The config at `path` (a file, or a folder holding `config.json`).
pub fn config_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("config.json")
    } else {
        path.to_path_buf()
    }
}

/// Reads the config at `path` for a workload whose sequences are `context` tokens long.
pub fn read_config(path: &Path, context: usize) -> Result<HfModel, SpecError> {
    let file = config_path(path);
    let name = file.display().to_string();
    let text = std::fs::read_to_string(&file)
        .map_err(|e| SpecError::new(&name, format!("cannot read the config: {e}")))?;
    parse_config(&text, &name, context)
}

/// Maps config text; `file` names it in errors.
pub fn parse_config(text: &str, file: &str, context: usize) -> Result<HfModel, SpecError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| SpecError::new(file, format!("not a JSON config: {e}")).at(Some(e.line())))?;
    let Value::Object(map) = value else {
        return Err(SpecError::new(file, "not a JSON object"));
    };
    let mut c = Config {
        file,
        map: &map,
        read: BTreeSet::new(),
        keys: Vec::new(),
        unreproduced: Vec::new(),
    };
    let model_type = c.string("model_type")?.ok_or_else(|| {
        c.err(
            "model_type",
            format!("missing; effprof maps {}", MAPPED.join(", ")),
        )
    })?;
    let family = match model_type.as_str() {
        "gpt2" => c.gpt2()?,
        mapped if MAPPED.contains(&mapped) => c.llama_like(mapped, context)?,
        other => {
            return Err(c.err(
                "model_type",
                format!(
                    "`{other}` is not mapped yet; effprof maps {}",
                    MAPPED.join(", ")
                ),
            ));
        }
    };
    for (key, _) in NO_COUNT {
        c.read.insert(key);
    }
    if let Some((key, value)) = map.iter().find(|(k, _)| !c.read.contains(k.as_str())) {
        return Err(c.err(
            key,
            format!(
                "= {value}: effprof does not model this key of a `{model_type}` config, so it cannot count what it changes; remove it only if the architecture does not depend on it"
            ),
        ));
    }
    let name = match map.get("_name_or_path") {
        Some(Value::String(n)) if !n.trim().is_empty() => n.clone(),
        _ => Path::new(file)
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| model_type.clone()),
    };
    Ok(HfModel {
        file: file.to_owned(),
        model_type,
        name,
        family,
        keys: c.keys,
        unreproduced: c.unreproduced,
    })
}

struct Config<'a> {
    file: &'a str,
    map: &'a Map<String, Value>,
    read: BTreeSet<&'a str>,
    keys: Vec<Mapped>,
    unreproduced: Vec<(String, String)>,
}

impl<'a> Config<'a> {
    fn err(&self, key: &str, message: String) -> SpecError {
        SpecError::new(self.file, message).key(key.to_owned())
    }

    /// The value of `key`, marked as read; JSON `null` reads as absent.
    fn get(&mut self, key: &'a str) -> Option<&'a Value> {
        self.read.insert(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn int(&mut self, key: &'a str) -> Result<Option<i64>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n > 0) => Ok(n.as_i64()),
            Some(v) => Err(self.err(key, format!("must be a whole number above 0; got {v}"))),
        }
    }

    fn required(&mut self, key: &'a str) -> Result<i64, SpecError> {
        self.int(key)?
            .ok_or_else(|| self.err(key, "missing; the architecture needs it".into()))
    }

    fn boolean(&mut self, key: &'a str) -> Result<Option<bool>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.err(key, format!("must be true or false; got {v}"))),
        }
    }

    fn string(&mut self, key: &'a str) -> Result<Option<String>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.err(key, format!("must be a string; got {v}"))),
        }
    }

    fn real(&mut self, key: &'a str) -> Result<Option<f64>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_f64().is_some_and(|v| v > 0.0) => Ok(n.as_f64()),
            Some(v) => Err(self.err(key, format!("must be a number above 0; got {v}"))),
        }
    }

    fn unreproduced(&mut self, key: &str, why: &str) {
        self.unreproduced.push((key.to_owned(), why.to_owned()));
    }

    /// The norms' epsilon, `default` where the config gives none.
    fn norm_eps(&mut self, key: &'a str, default: f64) -> Result<(), SpecError> {
        match self.real(key)? {
            Some(eps) => self.set("norm_eps", eps, key),
            None => self.set("norm_eps", default, &format!("{key}'s default")),
        }
        Ok(())
    }

    /// GELU's form: transformers' tanh approximations, or erf.
    fn gelu_form(&mut self, act: &str, key: &str) {
        let form = if act == "gelu" { "exact" } else { "tanh" };
        self.set("gelu", form, key);
    }

    /// The rotary base and any scaling, from transformers 4's `rope_theta` and `rope_scaling`
    /// or 5's `rope_parameters`.
    fn rotary(&mut self, default_theta: f64) -> Result<(), SpecError> {
        let mut theta = self
            .real("rope_theta")?
            .map(|t| (t, "rope_theta".to_owned()));
        for key in ["rope_parameters", "rope_scaling"] {
            let Some(value) = self.get(key) else { continue };
            let Value::Object(params) = value else {
                return Err(self.err(key, format!("must be an object; got {value}")));
            };
            for (name, v) in params {
                match (name.as_str(), v) {
                    ("rope_theta", Value::Number(n)) if n.as_f64().is_some_and(|t| t > 0.0) => {
                        theta = Some((n.as_f64().unwrap_or_default(), format!("{key}.rope_theta")));
                    }
                    ("rope_type" | "type", Value::String(t)) if t == "default" => {}
                    ("partial_rotary_factor", Value::Number(n)) if n.as_f64() == Some(1.0) => {}
                    (_, Value::Null) => {}
                    _ => self.unreproduced(
                        &format!("{key}.{name}"),
                        &format!("= {v}: effprof rotates every feature at the default frequencies"),
                    ),
                }
            }
        }
        if let Some(f) = self.real("partial_rotary_factor")?
            && f != 1.0
        {
            self.unreproduced(
                "partial_rotary_factor",
                &format!("= {f}: effprof rotates every feature"),
            );
        }
        match theta {
            Some((t, from)) => self.set("rope_theta", t, &from),
            None => self.set("rope_theta", default_theta, "rope_theta's default"),
        }
        Ok(())
    }

    /// The required whole number `from`, as the suite key `key`.
    fn copy(&mut self, key: &'static str, from: &'a str) -> Result<i64, SpecError> {
        let value = self.required(from)?;
        self.set(key, value, from);
        Ok(value)
    }

    fn set(&mut self, key: &'static str, value: impl Into<toml::Value>, from: &str) {
        self.keys.push(Mapped {
            key,
            value: value.into(),
            from: from.to_owned(),
        });
    }

    /// An activation of the FFN: `allowed` names those that give `ffn`'s kind.
    fn activation(
        &mut self,
        key: &'a str,
        allowed: &[&str],
        default: &str,
    ) -> Result<String, SpecError> {
        let act = self.string(key)?.unwrap_or_else(|| default.to_owned());
        if allowed.contains(&act.as_str()) {
            Ok(act)
        } else {
            Err(self.err(
                key,
                format!(
                    "`{act}` is not modelled (it would change the FFN's activation); allowed: {}",
                    allowed.join(", ")
                ),
            ))
        }
    }

    /// GPT-2 (`GPT2LMHeadModel`): learned positions, LayerNorm, GELU, biases, a tied head.
    fn gpt2(&mut self) -> Result<FamilyKind, SpecError> {
        let d = self.copy("d_model", "n_embd")?;
        self.copy("n_heads", "n_head")?;
        self.copy("n_layers", "n_layer")?;
        match self.int("n_inner")? {
            Some(f) => self.set("d_ff", f, "n_inner"),
            None => self.set("d_ff", 4 * d, "4 x n_embd (n_inner is null)"),
        }
        self.copy("vocab", "vocab_size")?;
        self.set("positions", "learned", "GPT-2's learned position table");
        self.copy("max_positions", "n_positions")?;
        // gelu_new (tanh) and gelu count the same: 0 FLOPs, but compute apart.
        let act = self.activation(
            "activation_function",
            &["gelu_new", "gelu", "gelu_pytorch_tanh"],
            "gelu_new",
        )?;
        self.gelu_form(&act, "activation_function");
        self.norm_eps("layer_norm_epsilon", 1e-5)?;
        let tie = self.boolean("tie_word_embeddings")?.unwrap_or(true);
        self.set("tie_embeddings", tie, "tie_word_embeddings (default true)");
        for (key, what) in [
            (
                "add_cross_attention",
                "a cross-attention block in every layer",
            ),
            (
                "scale_attn_by_inverse_layer_idx",
                "nothing counted, but the logits",
            ),
            ("reorder_and_upcast_attn", "nothing counted, but the logits"),
        ] {
            if self.boolean(key)? == Some(true) {
                return Err(self.err(key, format!("= true is not modelled: it adds {what}")));
            }
        }
        Ok(FamilyKind::Dense)
    }

    /// Llama and the models that share its layers: Mistral, Qwen2 (biases on q, k and v),
    /// Phi-3 (its q, k and v in one projection and its gate and up in another: the same
    /// parameters and FLOPs as apart), Gemma and Gemma 2, Qwen3, and the dropless MoEs
    /// (Mixtral, Qwen2-MoE and Qwen3-MoE with narrower experts, OLMoE).
    fn llama_like(&mut self, model_type: &str, context: usize) -> Result<FamilyKind, SpecError> {
        let d = self.copy("d_model", "hidden_size")?;
        let heads = self.copy("n_heads", "num_attention_heads")?;
        self.copy("n_layers", "num_hidden_layers")?;
        self.copy("d_ff", "intermediate_size")?;
        if let Some(kv) = self.int("num_key_value_heads")? {
            self.set("n_kv_heads", kv, "num_key_value_heads");
        }
        if let Some(head_dim) = self.int("head_dim")?
            && (d % heads != 0 || head_dim != d / heads)
        {
            self.set("head_dim", head_dim, "head_dim");
        }
        self.copy("vocab", "vocab_size")?;
        // Gemma's RMSNorm scales by 1 + w: the same parameters.
        self.set("norm", "rmsnorm", "RMSNorm");
        let gemma = model_type.starts_with("gemma");
        if gemma {
            // hidden_activation, where given, is the one transformers uses.
            let key = if self.map.contains_key("hidden_activation") {
                self.read.insert("hidden_act");
                "hidden_activation"
            } else {
                "hidden_act"
            };
            // transformers' Gemma approximates GELU unless hidden_activation says otherwise.
            let act = self.activation(key, &["gelu_pytorch_tanh", "gelu"], "gelu_pytorch_tanh")?;
            if key == "hidden_activation" {
                self.gelu_form(&act, key);
            } else {
                self.set("gelu", "tanh", "Gemma's approximate GELU");
            }
            self.set("ffn", "geglu", "GELU(gate) * up, then down");
            self.set(
                "scale_embeddings",
                true,
                "Gemma's embeddings times sqrt(hidden_size)",
            );
        } else {
            self.set("ffn", "swiglu", "gate, up and down projections");
            self.activation("hidden_act", &["silu"], "silu")?;
        }
        self.set("positions", "rotary", "rotary embedding");
        self.rotary(if model_type == "mixtral" { 1e6 } else { 1e4 })?;
        let eps = match model_type {
            "phi3" | "olmoe" | "mixtral" => 1e-5,
            _ => 1e-6,
        };
        self.norm_eps("rms_norm_eps", eps)?;
        if let Some(clip) = self.get("clip_qkv") {
            let why = format!("= {clip}: effprof does not clamp q, k and v");
            self.unreproduced("clip_qkv", &why);
        }
        if model_type == "gemma2" {
            if let Some(s) = self.real("query_pre_attn_scalar")? {
                self.set(
                    "attn_scale",
                    1.0 / s.sqrt(),
                    "1 / sqrt(query_pre_attn_scalar)",
                );
            }
            if let Some(cap) = self.real("attn_logit_softcapping")? {
                self.set("attn_softcap", cap, "attn_logit_softcapping");
            }
            if let Some(cap) = self.real("final_logit_softcapping")? {
                self.set("logit_softcap", cap, "final_logit_softcapping");
            }
        }
        if self.boolean("use_bidirectional_attention")? == Some(true) {
            return Err(self.err(
                "use_bidirectional_attention",
                "= true is not modelled: effprof's decoder is causal".into(),
            ));
        }
        if let Some(types) = self.get("layer_types") {
            let known = ["full_attention", "sliding_attention"];
            let fine = matches!(types, Value::Array(t) if t.iter().all(|t| t.as_str().is_some_and(|t| known.contains(&t))));
            if !fine {
                return Err(self.err(
                    "layer_types",
                    format!(
                        "= {types}: each layer's must be one of {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        // Rotary models have no position table: the length only bounds the context.
        if let Some(max) = self.int("max_position_embeddings")?
            && (max as usize) < context
        {
            return Err(self.err(
                "max_position_embeddings",
                format!("= {max} is shorter than the suite's sequences ({context} tokens)"),
            ));
        }
        // transformers' default: tied for Gemma, untied for the others.
        let tie = self.boolean("tie_word_embeddings")?.unwrap_or(gemma);
        self.set("tie_embeddings", tie, "tie_word_embeddings");
        let attention_bias = self.boolean("attention_bias")?.unwrap_or(false);
        let mlp_bias = self.boolean("mlp_bias")?.unwrap_or(false);
        // transformers 5 writes Qwen2-MoE's choice as qkv_bias.
        let qkv_bias = self.boolean("qkv_bias")?.unwrap_or(true);
        match (model_type, attention_bias, mlp_bias) {
            // Qwen2's q, k and v have biases, its output projection and MLP none.
            ("qwen2" | "qwen2_moe", _, false) => {
                self.set("bias", false, "Qwen2's linears");
                self.set("qkv_bias", qkv_bias, "Qwen2's q, k and v");
            }
            (_, false, false) => self.set("bias", false, "attention_bias and mlp_bias"),
            (_, true, true) => self.set("bias", true, "attention_bias and mlp_bias"),
            _ => {
                return Err(self.err(
                    if mlp_bias { "mlp_bias" } else { "attention_bias" },
                    "biases on the attention or on the MLP alone are not modelled (effprof's `bias` puts them on both)".into(),
                ));
            }
        }
        let window_on = self
            .boolean("use_sliding_window")?
            .unwrap_or(model_type != "qwen2");
        // With the window off, transformers 5 may write it as 0.
        let window = match self.get("sliding_window") {
            Some(Value::Number(n)) if !window_on && n.as_u64() == Some(0) => None,
            _ => self.int("sliding_window")?,
        };
        if let Some(window) = window
            && window_on
            && (window as usize) < context
        {
            return Err(self.err(
                "sliding_window",
                format!(
                    "= {window} is shorter than the suite's sequences ({context} tokens): each token would attend to {window} keys, not all of them; effprof does not model sliding windows yet"
                ),
            ));
        }
        match model_type {
            "qwen3" | "qwen3_moe" => self.set("qk_norm", "head", "Qwen3's q_norm and k_norm"),
            "olmoe" => self.set("qk_norm", "full", "OLMoE's q_norm and k_norm"),
            // Gemma 2 normalises each sublayer's output as well as its input.
            "gemma2" => self.set(
                "post_norms",
                true,
                "Gemma 2's post-attention and post-FFN norms",
            ),
            _ => {}
        }
        let experts_key = match model_type {
            "mixtral" => "num_local_experts",
            // transformers 5 writes Qwen3-MoE's as num_local_experts.
            "qwen3_moe" if !self.map.contains_key("num_experts") => "num_local_experts",
            "qwen2_moe" | "qwen3_moe" | "olmoe" => "num_experts",
            _ => return Ok(FamilyKind::Dense),
        };
        let experts = self.copy("n_experts", experts_key)?;
        let top_k = self.copy("top_k", "num_experts_per_tok")?;
        if model_type.starts_with("qwen") {
            self.copy("expert_d_ff", "moe_intermediate_size")?;
            let every = self.int("decoder_sparse_step")?.unwrap_or(1);
            self.set("moe_every", every, "decoder_sparse_step");
        } else {
            // Mixtral's and OLMoE's experts are intermediate_size wide, in every layer.
            self.set("moe_every", 1, "an MoE in every layer");
        }
        if let Some(f) = self.int("shared_expert_intermediate_size")? {
            self.set("shared_d_ff", f, "shared_expert_intermediate_size");
            self.set("shared_gate", true, "shared_expert_gate");
        }
        if let Some(Value::Array(dense)) = self.get("mlp_only_layers")
            && !dense.is_empty()
        {
            return Err(self.err(
                "mlp_only_layers",
                "dense layers among the MoE ones are not modelled (effprof places them every moe_every layers)".into(),
            ));
        }
        // Mixtral always divides its top-k weights by their sum; the others when asked.
        if model_type == "mixtral" {
            self.set("norm_topk", true, "Mixtral's normalised top-k weights");
        } else {
            let norm = self.boolean("norm_topk_prob")?.unwrap_or(false);
            self.set("norm_topk", norm, "norm_topk_prob");
        }
        // Dropless: an expert can take every token routed to it.
        self.set(
            "capacity_factor",
            experts as f64 / top_k as f64,
            "dropless routing (n_experts / top_k)",
        );
        Ok(FamilyKind::Moe)
    }
}
