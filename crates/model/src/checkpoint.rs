//! A safetensors checkpoint read without its weights: each tensor's name, dtype and shape from
//! the file's JSON header, so a model of any size is counted in milliseconds and no memory.
//! A sharded checkpoint is read through its `model.safetensors.index.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The most a header may hold: far above any real checkpoint's, and a bound on what a corrupt
/// length makes us read.
const MAX_HEADER: u64 = 100 << 20;

/// One tensor of a checkpoint, as its header describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// The safetensors dtype: `F32`, `BF16`, `I8`, ...
    pub dtype: String,
    pub shape: Vec<u64>,
    /// Elements: the product of the shape.
    pub params: u64,
    /// Bytes of its data in the file.
    pub bytes: u64,
    /// Where its data starts, in bytes from the start of its file.
    pub offset: u64,
    /// Its file: an index into [`Checkpoint::files`].
    pub file: usize,
}

/// A checkpoint's tensors, in the order of the files and of their data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// What was asked for: a file, an index or a folder.
    pub source: String,
    /// The `.safetensors` files read.
    pub files: Vec<String>,
    pub tensors: Vec<TensorInfo>,
}

/// The tensors of one dtype, together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DtypeTotal {
    pub dtype: String,
    pub tensors: usize,
    pub params: u64,
    pub bytes: u64,
}

/// Why a checkpoint could not be read: the file, the tensor where there is one, and what is
/// wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {}{message}", tensor.as_ref().map(|t| format!("tensor `{t}`: ")).unwrap_or_default())]
pub struct CheckpointError {
    pub file: String,
    pub tensor: Option<String>,
    pub message: String,
}

impl CheckpointError {
    fn new(file: &Path, message: impl Into<String>) -> Self {
        CheckpointError {
            file: file.display().to_string(),
            tensor: None,
            message: message.into(),
        }
    }

    fn tensor(mut self, name: &str) -> Self {
        self.tensor = Some(name.to_owned());
        self
    }
}

impl Checkpoint {
    /// Every tensor's elements, as `sum(p.numel())` counts a state dict's.
    pub fn params(&self) -> u64 {
        self.tensors.iter().map(|t| t.params).sum()
    }

    pub fn bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.bytes).sum()
    }

    /// The tensors grouped by dtype, the largest share of bytes first.
    pub fn by_dtype(&self) -> Vec<DtypeTotal> {
        let mut totals: BTreeMap<&str, DtypeTotal> = BTreeMap::new();
        for t in &self.tensors {
            let total = totals.entry(&t.dtype).or_insert_with(|| DtypeTotal {
                dtype: t.dtype.clone(),
                tensors: 0,
                params: 0,
                bytes: 0,
            });
            total.tensors += 1;
            total.params += t.params;
            total.bytes += t.bytes;
        }
        let mut totals: Vec<DtypeTotal> = totals.into_values().collect();
        totals.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.dtype.cmp(&b.dtype)));
        totals
    }
}

/// Bits per element of a safetensors dtype; `None` for a dtype effprof does not know.
pub fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "F64" | "I64" | "U64" => 64,
        "F32" | "I32" | "U32" => 32,
        "F16" | "BF16" | "I16" | "U16" => 16,
        "F8_E4M3" | "F8_E5M2" | "F8_E8M0" | "I8" | "U8" | "BOOL" => 8,
        "F4" => 4,
        _ => return None,
    })
}

const DTYPES: &str = "F64, F32, F16, BF16, F8_E4M3, F8_E5M2, F8_E8M0, F4, I64, I32, I16, I8, U64, U32, U16, U8, BOOL";

/// Reads the checkpoint at `path`: a `.safetensors` file, a `model.safetensors.index.json`,
/// or a folder holding either.
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let source = path.display().to_string();
    let file = if path.is_dir() {
        let index = path.join("model.safetensors.index.json");
        let single = path.join("model.safetensors");
        if index.is_file() {
            index
        } else if single.is_file() {
            single
        } else {
            return Err(CheckpointError::new(
                path,
                "holds neither model.safetensors nor model.safetensors.index.json",
            ));
        }
    } else {
        path.to_path_buf()
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(".index.json") {
        return read_index(&file, source);
    }
    let tensors = read_header(&file)?;
    Ok(Checkpoint {
        source,
        files: vec![file.display().to_string()],
        tensors,
    })
}

/// A sharded checkpoint: every shard its index names, each tensor found where it says.
fn read_index(index: &Path, source: String) -> Result<Checkpoint, CheckpointError> {
    let text = std::fs::read_to_string(index)
        .map_err(|e| CheckpointError::new(index, format!("cannot read the index: {e}")))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| CheckpointError::new(index, format!("not a JSON index: {e}")))?;
    let Some(Value::Object(map)) = value.get("weight_map") else {
        return Err(CheckpointError::new(
            index,
            "no `weight_map` object (tensor name -> shard file)",
        ));
    };
    let mut wanted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (tensor, shard) in map {
        let Value::String(shard) = shard else {
            return Err(CheckpointError::new(
                index,
                format!("must name a shard file; got {shard}"),
            )
            .tensor(tensor));
        };
        if shard.contains('/') || shard.contains('\\') || shard == ".." {
            return Err(CheckpointError::new(
                index,
                format!("`{shard}` is not a file beside the index"),
            )
            .tensor(tensor));
        }
        wanted.entry(shard).or_default().insert(tensor);
    }
    let dir = index.parent().unwrap_or(Path::new("."));
    let mut files = Vec::new();
    let mut tensors = Vec::new();
    for (shard, names) in wanted {
        let file: PathBuf = dir.join(shard);
        let mut found = read_header(&file)?;
        for t in &mut found {
            t.file = files.len();
        }
        let present: BTreeSet<&str> = found.iter().map(|t| t.name.as_str()).collect();
        if let Some(missing) = names.iter().find(|n| !present.contains(**n)) {
            return Err(CheckpointError::new(
                &file,
                format!("is not in this shard, where {} puts it", index.display()),
            )
            .tensor(missing));
        }
        files.push(file.display().to_string());
        tensors.extend(found);
    }
    Ok(Checkpoint {
        source,
        files,
        tensors,
    })
}

/// The tensors of one `.safetensors` file, checked against the file's size: every dtype known,
/// every shape's bytes those of its data, no two tensors' data overlapping.
pub fn read_header(file: &Path) -> Result<Vec<TensorInfo>, CheckpointError> {
    let err = |message: String| CheckpointError::new(file, message);
    let mut f = std::fs::File::open(file).map_err(|e| err(format!("cannot open: {e}")))?;
    let size = f
        .metadata()
        .map_err(|e| err(format!("cannot read its size: {e}")))?
        .len();
    let mut len = [0u8; 8];
    f.read_exact(&mut len)
        .map_err(|_| err(format!("{size} bytes: too short for a safetensors header")))?;
    let header_len = u64::from_le_bytes(len);
    if header_len > MAX_HEADER || header_len > size - 8 {
        return Err(err(format!(
            "the header would be {header_len} bytes, but the file holds {size} (at most {MAX_HEADER}): truncated or not safetensors"
        )));
    }
    let mut header = vec![0u8; header_len as usize];
    f.read_exact(&mut header)
        .map_err(|e| err(format!("cannot read the header: {e}")))?;
    let value: Value =
        serde_json::from_slice(&header).map_err(|e| err(format!("the header is not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(err("the header is not a JSON object".into()));
    };
    let data = size - 8 - header_len;
    let mut tensors = Vec::with_capacity(map.len());
    let mut spans = Vec::with_capacity(map.len());
    for (name, entry) in &map {
        if name == "__metadata__" {
            continue;
        }
        let bad = |message: String| err(message).tensor(name);
        let dtype = match entry.get("dtype") {
            Some(Value::String(d)) => d.clone(),
            _ => return Err(bad("no `dtype` string".into())),
        };
        let Some(bits) = dtype_bits(&dtype) else {
            return Err(bad(format!("unknown dtype `{dtype}`; known: {DTYPES}")));
        };
        let shape: Vec<u64> = match entry.get("shape") {
            Some(Value::Array(dims)) => dims
                .iter()
                .map(|d| d.as_u64())
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| {
                    bad(format!(
                        "`shape` must hold whole numbers; got {}",
                        entry["shape"]
                    ))
                })?,
            _ => return Err(bad("no `shape` array".into())),
        };
        let params = shape
            .iter()
            .try_fold(1u64, |n, d| n.checked_mul(*d))
            .filter(|n| n.checked_mul(bits).is_some())
            .ok_or_else(|| bad(format!("shape {shape:?} is too large to count")))?;
        let (start, end) = match entry.get("data_offsets") {
            Some(Value::Array(o)) if o.len() == 2 => match (o[0].as_u64(), o[1].as_u64()) {
                (Some(a), Some(b)) if a <= b => (a, b),
                _ => {
                    return Err(bad(format!(
                        "`data_offsets` must be [start, end] with start <= end; got {}",
                        entry["data_offsets"]
                    )));
                }
            },
            _ => return Err(bad("no `data_offsets` [start, end]".into())),
        };
        if (params * bits) % 8 != 0 {
            return Err(bad(format!(
                "{params} elements of {dtype} do not fill whole bytes"
            )));
        }
        let bytes = params * bits / 8;
        if end - start != bytes {
            return Err(bad(format!(
                "shape {shape:?} of {dtype} is {bytes} bytes, but its data_offsets span {}",
                end - start
            )));
        }
        if end > data {
            return Err(bad(format!(
                "its data ends at byte {end} of the data, which holds {data}: truncated"
            )));
        }
        spans.push((start, end, name.clone()));
        tensors.push(TensorInfo {
            name: name.clone(),
            dtype,
            shape,
            params,
            bytes,
            offset: 8 + header_len + start,
            file: 0,
        });
    }
    spans.sort();
    for pair in spans.windows(2) {
        if pair[1].0 < pair[0].1 {
            return Err(
                err(format!("its data overlaps that of `{}`", pair[0].2)).tensor(&pair[1].2)
            );
        }
    }
    let order: BTreeMap<&str, u64> = spans.iter().map(|(s, _, n)| (n.as_str(), *s)).collect();
    tensors.sort_by_key(|t| order[t.name.as_str()]);
    Ok(tensors)
}
