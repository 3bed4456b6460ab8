//! A Hugging Face checkpoint loaded into effprof's decoder.
//!
//! Every parameter of the built model is given its checkpoint tensor by the `model_type`'s
//! names, and every name and shape is checked against the safetensors header before a byte of
//! data is read: a missing, mis-shaped or unused tensor is an error naming the file and the
//! tensor. PyTorch's `[out, in]` linear weights are transposed into burn's `[in, out]`, fused
//! projections (Phi-3's qkv and gate_up, GPT-2's c_attn) are split, an MoE's experts are
//! stacked, and Gemma's norms, which scale by `1 + w`, get their 1 added.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use burn::tensor::{bf16, f16};

use super::model::TransformerLm;
use super::quantize::module_path;
use crate::arch::Dims;
use crate::checkpoint::{Checkpoint, CheckpointError, TensorInfo, read_checkpoint};
use crate::numerics::WeightsSource;

/// Where a parameter's values come from in the checkpoint.
#[derive(Clone, Debug, PartialEq)]
enum Take {
    /// One tensor; a linear weight is transposed from PyTorch's `[out, in]`.
    Whole { name: String, transpose: bool },
    /// Rows `start..start + len` of a fused `[out, in]` weight or `[out]` bias, transposed
    /// where a weight.
    Rows {
        name: String,
        start: usize,
        len: usize,
        transpose: bool,
    },
    /// Columns `start..start + len` of GPT-2's fused `[in, out]` Conv1D weight.
    Cols {
        name: String,
        start: usize,
        len: usize,
    },
    /// One `[out, in]` weight per expert, stacked into `[E, in, out]`.
    Experts(Vec<String>),
}

impl Take {
    fn names(&self) -> Vec<&str> {
        match self {
            Take::Whole { name, .. } | Take::Rows { name, .. } | Take::Cols { name, .. } => {
                vec![name]
            }
            Take::Experts(names) => names.iter().map(String::as_str).collect(),
        }
    }
}

/// A parameter's source, and whether 1 is added to it (Gemma's norms).
#[derive(Clone, Debug, PartialEq)]
struct Source {
    take: Take,
    plus_one: bool,
}

/// The widths a fused tensor is split by.
struct Widths {
    q: usize,
    kv: usize,
    d_ff: usize,
    d: usize,
}

/// The checkpoint tensor of the zoo parameter at `path` (its module path without the enum
/// variants), for a `model_type`; `None` when the model type has no tensor for it.
fn source(model_type: &str, path: &str, w: &Widths, n_experts: usize) -> Option<Source> {
    let gemma = model_type.starts_with("gemma");
    let norm = |name: String| Source {
        take: Take::Whole {
            name,
            transpose: false,
        },
        plus_one: gemma,
    };
    let whole = |name: String, transpose: bool| Source {
        take: Take::Whole { name, transpose },
        plus_one: false,
    };
    if model_type == "gpt2" {
        return gpt2(path, w.d);
    }
    let (layer, rest) = match path.strip_prefix("blocks.") {
        Some(rest) => {
            let (i, rest) = rest.split_once('.')?;
            (Some(i), rest)
        }
        None => (None, path),
    };
    let Some(i) = layer else {
        return match rest {
            "token_embedding.weight" => Some(whole("model.embed_tokens.weight".into(), false)),
            "final_norm.gamma" => Some(norm("model.norm.weight".into())),
            "head.weight" => Some(whole("lm_head.weight".into(), true)),
            _ => None,
        };
    };
    let at = |name: &str| format!("model.layers.{i}.{name}");
    let moe = if model_type == "mixtral" {
        "block_sparse_moe"
    } else {
        "mlp"
    };
    let (gate, up, down) = if model_type == "mixtral" {
        ("w1", "w3", "w2")
    } else {
        ("gate_proj", "up_proj", "down_proj")
    };
    let experts = |proj: &str| Source {
        take: Take::Experts(
            (0..n_experts)
                .map(|e| at(&format!("{moe}.experts.{e}.{proj}.weight")))
                .collect(),
        ),
        plus_one: false,
    };
    let phi3 = model_type == "phi3";
    let rows = |name: String, start: usize, len: usize, transpose: bool| Source {
        take: Take::Rows {
            name,
            start,
            len,
            transpose,
        },
        plus_one: false,
    };
    let ffn_norm = if model_type == "gemma2" {
        "pre_feedforward_layernorm"
    } else {
        "post_attention_layernorm"
    };
    Some(match rest {
        "attention_norm.gamma" => norm(at("input_layernorm.weight")),
        "ffn_norm.gamma" => norm(at(&format!("{ffn_norm}.weight"))),
        "post_attention_norm.gamma" => norm(at("post_attention_layernorm.weight")),
        "post_ffn_norm.gamma" => norm(at("post_feedforward_layernorm.weight")),
        "attention.query.weight" if phi3 => rows(at("self_attn.qkv_proj.weight"), 0, w.q, true),
        "attention.key.weight" if phi3 => rows(at("self_attn.qkv_proj.weight"), w.q, w.kv, true),
        "attention.value.weight" if phi3 => {
            rows(at("self_attn.qkv_proj.weight"), w.q + w.kv, w.kv, true)
        }
        "ffn.gate.weight" if phi3 => rows(at("mlp.gate_up_proj.weight"), 0, w.d_ff, true),
        "ffn.up.weight" if phi3 => rows(at("mlp.gate_up_proj.weight"), w.d_ff, w.d_ff, true),
        "attention.q_norm.gamma" => norm(at("self_attn.q_norm.weight")),
        "attention.k_norm.gamma" => norm(at("self_attn.k_norm.weight")),
        "ffn.router.weight" => whole(at(&format!("{moe}.gate.weight")), true),
        "ffn.gate" => experts(gate),
        "ffn.up" => experts(up),
        "ffn.down" => experts(down),
        "ffn.shared.gate.weight" => whole(at("mlp.shared_expert_gate.weight"), true),
        other => {
            let (module, param) = other.rsplit_once('.')?;
            let transpose = param == "weight";
            let name = match module {
                "attention.query" => "self_attn.q_proj",
                "attention.key" => "self_attn.k_proj",
                "attention.value" => "self_attn.v_proj",
                "attention.output" => "self_attn.o_proj",
                "ffn.gate" => "mlp.gate_proj",
                "ffn.up" => "mlp.up_proj",
                "ffn.down" => "mlp.down_proj",
                "ffn.shared.ffn.gate" => "mlp.shared_expert.gate_proj",
                "ffn.shared.ffn.up" => "mlp.shared_expert.up_proj",
                "ffn.shared.ffn.down" => "mlp.shared_expert.down_proj",
                _ => return None,
            };
            whole(at(&format!("{name}.{param}")), transpose)
        }
    })
}

/// GPT-2's names: Conv1D weights stored `[in, out]` as burn's are, q, k and v fused in c_attn.
fn gpt2(path: &str, d: usize) -> Option<Source> {
    let plain = |name: String| Source {
        take: Take::Whole {
            name,
            transpose: false,
        },
        plus_one: false,
    };
    let top = |name: &str| Some(plain(format!("transformer.{name}")));
    match path {
        "token_embedding.weight" => return top("wte.weight"),
        "position_embedding" => return top("wpe.weight"),
        "final_norm.gamma" => return top("ln_f.weight"),
        "final_norm.beta" => return top("ln_f.bias"),
        _ => {}
    }
    let (i, rest) = path.strip_prefix("blocks.")?.split_once('.')?;
    let at = |name: &str| format!("transformer.h.{i}.{name}");
    let (module, param) = rest.rsplit_once('.')?;
    let part = |k: usize| {
        let name = at(&format!("attn.c_attn.{param}"));
        let take = if param == "weight" {
            Take::Cols {
                name,
                start: k * d,
                len: d,
            }
        } else {
            Take::Rows {
                name,
                start: k * d,
                len: d,
                transpose: false,
            }
        };
        Some(Source {
            take,
            plus_one: false,
        })
    };
    let name = match module {
        "attention.query" => return part(0),
        "attention.key" => return part(1),
        "attention.value" => return part(2),
        "attention_norm" => "ln_1",
        "ffn_norm" => "ln_2",
        "attention.output" => "attn.c_proj",
        "ffn.up" => "mlp.c_fc",
        "ffn.down" => "mlp.c_proj",
        _ => return None,
    };
    let param = match param {
        "gamma" => "weight",
        "beta" => "bias",
        other => other,
    };
    Some(plain(at(&format!("{name}.{param}"))))
}

/// Module paths of the model's float parameters, with their shapes, in visiting order.
#[derive(Default)]
struct Shapes {
    path: Vec<String>,
    found: Vec<(String, Vec<usize>)>,
}

impl ModuleVisitor for Shapes {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.found
            .push((module_path(&self.path), param.val().dims().to_vec()));
    }
}

/// Loads `source` into `model` (built with the same architecture), checking every name and
/// shape first.
pub fn load(
    model: TransformerLm,
    source: &WeightsSource,
    dims: &Dims,
    device: &Device,
) -> Result<TransformerLm, CheckpointError> {
    let checkpoint = read_checkpoint(Path::new(&source.path))?;
    let mut shapes = Shapes::default();
    model.visit(&mut shapes);
    let plan = plan(&checkpoint, &source.model_type, dims, &shapes.found)?;
    let mut loader = Loader {
        path: Vec::new(),
        plan,
        checkpoint: &checkpoint,
        files: BTreeMap::new(),
        device: device.clone(),
        error: None,
    };
    let model = model.map(&mut loader);
    match loader.error {
        Some(e) => Err(e),
        None => Ok(model),
    }
}

fn error(file: &str, tensor: Option<&str>, message: String) -> CheckpointError {
    CheckpointError {
        file: file.to_owned(),
        tensor: tensor.map(str::to_owned),
        message,
    }
}

/// Each parameter's source, checked against the header: every tensor it names present, of
/// the shape it needs, and every tensor of the checkpoint used.
fn plan(
    checkpoint: &Checkpoint,
    model_type: &str,
    dims: &Dims,
    params: &[(String, Vec<usize>)],
) -> Result<BTreeMap<String, Source>, CheckpointError> {
    let by_name: BTreeMap<&str, &TensorInfo> = checkpoint
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let n_experts = params
        .iter()
        .find(|(path, _)| path.ends_with("ffn.up") || path.ends_with("ffn.gate"))
        .map_or(0, |(_, shape)| shape[0]);
    let widths = Widths {
        q: dims.q_dim(),
        kv: dims.kv_dim(),
        d_ff: dims.d_ff,
        d: dims.d_model,
    };
    let mut plan = BTreeMap::new();
    let mut used = BTreeSet::new();
    for (path, shape) in params {
        let Some(src) = source(model_type, path, &widths, n_experts) else {
            return Err(error(
                &checkpoint.source,
                None,
                format!(
                    "effprof's `{path}` has no `{model_type}` tensor name; this is a bug in effprof's mapping"
                ),
            ));
        };
        for name in src.take.names() {
            let Some(info) = by_name.get(name) else {
                return Err(error(
                    &checkpoint.source,
                    Some(name),
                    format!(
                        "missing; a `{model_type}` model of this shape needs it (shape {})",
                        show(&needed_shape(&src.take, shape))
                    ),
                ));
            };
            let found: Vec<usize> = info.shape.iter().map(|d| *d as usize).collect();
            let fits = match &src.take {
                Take::Whole { .. } | Take::Experts(_) => found == needed_shape(&src.take, shape),
                Take::Rows { start, len, .. } => {
                    found.first().is_some_and(|rows| start + len <= *rows)
                        && found[1..] == needed_shape(&src.take, shape)[1..]
                }
                Take::Cols { start, len, .. } => {
                    found.len() == 2 && start + len <= found[1] && found[0] == shape[0]
                }
            };
            if !fits {
                return Err(error(
                    &checkpoint.files[info.file],
                    Some(name),
                    format!(
                        "has shape {}, where effprof's architecture needs {}",
                        show(&found),
                        show(&needed_shape(&src.take, shape))
                    ),
                ));
            }
            dtype_of(info).map_err(|m| error(&checkpoint.files[info.file], Some(name), m))?;
            used.insert(name.to_owned());
        }
        plan.insert(path.clone(), src);
    }
    let tied = !params.iter().any(|(p, _)| p == "head.weight");
    let unused: Vec<&TensorInfo> = checkpoint
        .tensors
        .iter()
        .filter(|t| !used.contains(&t.name))
        // A tied head's copy, and rotary tables some checkpoints keep, are not weights.
        .filter(|t| {
            let tied_head = tied && t.name == "lm_head.weight";
            !tied_head && !t.name.ends_with("rotary_emb.inv_freq")
        })
        .collect();
    if let Some(first) = unused.first() {
        let more = match unused.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        return Err(error(
            &checkpoint.files[first.file],
            Some(&first.name),
            format!(
                "has no place in the architecture the config and the variant give{more}: a layer, expert or projection the variant does not have"
            ),
        ));
    }
    Ok(plan)
}

/// The checkpoint shape a parameter of burn shape `shape` needs (PyTorch's, before any
/// transpose; the fused tensors' rows or columns are checked apart).
fn needed_shape(take: &Take, shape: &[usize]) -> Vec<usize> {
    match take {
        Take::Whole {
            transpose: true, ..
        }
        | Take::Rows {
            transpose: true, ..
        } => shape.iter().rev().cloned().collect(),
        Take::Experts(_) => vec![shape[2], shape[1]],
        _ => shape.to_vec(),
    }
}

fn show(shape: &[usize]) -> String {
    format!(
        "[{}]",
        shape
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The floating dtypes effprof reads into its f32 model.
#[derive(Clone, Copy)]
enum Stored {
    F64,
    F32,
    F16,
    Bf16,
}

fn dtype_of(info: &TensorInfo) -> Result<Stored, String> {
    Ok(match info.dtype.as_str() {
        "F64" => Stored::F64,
        "F32" => Stored::F32,
        "F16" => Stored::F16,
        "BF16" => Stored::Bf16,
        other => {
            return Err(format!(
                "is {other}; effprof loads F32, F16, BF16 and F64 weights"
            ));
        }
    })
}

struct Loader<'a> {
    path: Vec<String>,
    plan: BTreeMap<String, Source>,
    checkpoint: &'a Checkpoint,
    files: BTreeMap<usize, File>,
    device: Device,
    /// The first error met; the rest of the model is left as it was.
    error: Option<CheckpointError>,
}

impl Loader<'_> {
    /// A tensor's values as f32, row-major in its own shape.
    fn read(&mut self, name: &str) -> Result<(Vec<f32>, Vec<usize>), CheckpointError> {
        let info = self
            .checkpoint
            .tensors
            .iter()
            .find(|t| t.name == name)
            .expect("the plan names only tensors of the header");
        let file_name = &self.checkpoint.files[info.file];
        let err = |m: String| error(file_name, Some(name), m);
        let file = match self.files.entry(info.file) {
            std::collections::btree_map::Entry::Occupied(f) => f.into_mut(),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(File::open(file_name).map_err(|e| err(format!("cannot open: {e}")))?)
            }
        };
        let mut bytes = vec![0u8; info.bytes as usize];
        file.seek(SeekFrom::Start(info.offset))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|e| err(format!("cannot read its data: {e}")))?;
        let values = match dtype_of(info).map_err(err)? {
            Stored::F64 => bytes
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
                .collect(),
            Stored::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                .collect(),
            Stored::F16 => bytes
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Stored::Bf16 => bytes
                .chunks_exact(2)
                .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
        };
        Ok((values, info.shape.iter().map(|d| *d as usize).collect()))
    }

    /// The values of a parameter of burn shape `shape`, row-major.
    fn values(&mut self, src: &Source, shape: &[usize]) -> Result<Vec<f32>, CheckpointError> {
        let mut values = match &src.take {
            Take::Whole { name, transpose } => {
                let (v, s) = self.read(name)?;
                if *transpose { transposed(&v, &s) } else { v }
            }
            Take::Rows {
                name,
                start,
                len,
                transpose,
            } => {
                let (v, s) = self.read(name)?;
                let row: usize = s[1..].iter().product();
                let v = v[start * row..(start + len) * row].to_vec();
                if *transpose {
                    transposed(&v, &[*len, row])
                } else {
                    v
                }
            }
            Take::Cols { name, start, len } => {
                let (v, s) = self.read(name)?;
                v.chunks_exact(s[1])
                    .flat_map(|row| row[*start..start + len].iter().copied())
                    .collect()
            }
            Take::Experts(names) => {
                let mut all = Vec::with_capacity(shape.iter().product());
                for name in names {
                    let (v, s) = self.read(name)?;
                    all.extend(transposed(&v, &s));
                }
                all
            }
        };
        if src.plus_one {
            values.iter_mut().for_each(|v| *v += 1.0);
        }
        Ok(values)
    }
}

/// A row-major `[rows, cols]` matrix transposed.
fn transposed(values: &[f32], shape: &[usize]) -> Vec<f32> {
    let (rows, cols) = (shape[0], shape[1]);
    let mut out = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

impl ModuleMapper for Loader<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        let path = module_path(&self.path);
        let Some(src) = self.plan.get(&path).cloned() else {
            return param;
        };
        let shape = param.val().dims();
        match self.values(&src, &shape) {
            Ok(values) => Param::from_tensor(Tensor::from_data(
                TensorData::new(values, shape),
                &self.device,
            )),
            Err(e) => {
                self.error = Some(e);
                param
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposing_swaps_rows_and_columns() {
        // [[1, 2, 3], [4, 5, 6]] -> [[1, 4], [2, 5], [3, 6]]
        let t = transposed(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        assert_eq!(t, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }

    #[test]
    fn fused_projections_split_where_transformers_splits_them() {
        let w = Widths {
            q: 32,
            kv: 16,
            d_ff: 48,
            d: 32,
        };
        let phi_value = source("phi3", "blocks.1.attention.value.weight", &w, 0).unwrap();
        assert_eq!(
            phi_value.take,
            Take::Rows {
                name: "model.layers.1.self_attn.qkv_proj.weight".into(),
                start: 48,
                len: 16,
                transpose: true
            }
        );
        // Phi-3's gate comes first in gate_up_proj.
        let phi_up = source("phi3", "blocks.0.ffn.up.weight", &w, 0).unwrap();
        assert!(matches!(
            phi_up.take,
            Take::Rows {
                start: 48,
                len: 48,
                ..
            }
        ));
        let gpt_key = source("gpt2", "blocks.0.attention.key.weight", &w, 0).unwrap();
        assert!(matches!(
            gpt_key.take,
            Take::Cols {
                start: 32,
                len: 32,
                ..
            }
        ));
        let gpt_bias = source("gpt2", "blocks.0.attention.value.bias", &w, 0).unwrap();
        assert!(matches!(
            gpt_bias.take,
            Take::Rows {
                start: 64,
                len: 32,
                transpose: false,
                ..
            }
        ));
        // Gemma 2's FFN norm is its pre-feedforward one; Llama's is post-attention.
        let gemma2 = source("gemma2", "blocks.0.ffn_norm.gamma", &w, 0).unwrap();
        assert!(gemma2.plus_one);
        assert_eq!(
            gemma2.take.names(),
            ["model.layers.0.pre_feedforward_layernorm.weight"]
        );
        let llama = source("llama", "blocks.0.ffn_norm.gamma", &w, 0).unwrap();
        assert!(!llama.plus_one);
        assert_eq!(
            llama.take.names(),
            ["model.layers.0.post_attention_layernorm.weight"]
        );
        let mixtral = source("mixtral", "blocks.0.ffn.up", &w, 2).unwrap();
        assert_eq!(
            mixtral.take.names(),
            [
                "model.layers.0.block_sparse_moe.experts.0.w3.weight",
                "model.layers.0.block_sparse_moe.experts.1.w3.weight"
            ]
        );
    }
}
