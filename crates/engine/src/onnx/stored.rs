//! What an ONNX file stores: its initializers, read from the file's own protobuf (the parser
//! folds them into its graph and no longer says which were initializers), counted as PyTorch
//! counts a module's tensors.

use onnx_ir::{Message, ModelProto, TensorProto};
use serde::Serialize;

/// The initializers of a file, sorted the way `sum(p.numel() for p in model.parameters())`
/// sorts a module's tensors.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stored {
    /// Elements of the initializers that are weights: every floating-point or small-integer
    /// (quantized) tensor of rank 1 or more, each counted once however many nodes read it (a
    /// tied weight is one), batch-norm running statistics excepted.
    pub params: u64,
    /// How many initializers those are.
    pub param_tensors: u64,
    /// Bytes those weights take in the file, at their stored dtypes.
    pub param_bytes: u64,
    /// Elements of `BatchNormalization`'s running mean and variance: PyTorch keeps them as
    /// buffers, not parameters.
    pub buffers: u64,
    /// Elements of every other initializer: 64- and 32-bit integers (shapes, axes, indices),
    /// booleans, strings and scalars.
    pub constants: u64,
    /// The program that wrote the file, as it says (`pytorch 2.9.1`); empty where it does not.
    #[serde(skip)]
    pub producer: String,
    /// The default domain's operator set.
    #[serde(skip)]
    pub opset: u64,
}

/// ONNX's `TensorProto.DataType` codes of the dtypes a weight is stored in, with their bits.
fn weight_bits(data_type: i32) -> Option<u64> {
    Some(match data_type {
        1 => 32,           // FLOAT
        11 => 64,          // DOUBLE
        10 | 16 => 16,     // FLOAT16, BFLOAT16
        17..=20 | 24 => 8, // the FLOAT8 kinds
        2 | 3 => 8,        // UINT8, INT8: quantized weights
        21..=23 => 4,      // UINT4, INT4, FLOAT4E2M1
        25 | 26 => 2,      // UINT2, INT2
        _ => return None,
    })
}

/// The names the file gives its nodes and values. The parser renames every node after its
/// kind and order (`matmul3` is the third MatMul, `conv2d5` the fifth 2-D Conv) and its
/// values after their node; messages name the file's own.
#[derive(Clone, Debug, Default)]
pub(super) struct FileNames {
    /// Node names by op type in lower case, in the file's order.
    nodes: std::collections::HashMap<String, Vec<String>>,
    /// The graph's inputs (initializers listed as inputs left out) and outputs.
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

impl FileNames {
    /// The file's name of the node the parser calls `parsed` (`matmul3`): the node of the
    /// same kind and ordinal. `None` for a node the parser made by merging two (`linear1`
    /// from a MatMul and its Add) or one the file leaves unnamed.
    pub fn node(&self, parsed: &str) -> Option<&str> {
        let kind = parsed.trim_end_matches(|c: char| c.is_ascii_digit());
        let ordinal: usize = parsed[kind.len()..].parse().ok()?;
        // The parser's kinds name a convolution's or pool's dimensions (`conv2d`).
        let op = kind
            .strip_suffix("1d")
            .or_else(|| kind.strip_suffix("2d"))
            .or_else(|| kind.strip_suffix("3d"))
            .filter(|op| self.nodes.contains_key(*op) && !self.nodes.contains_key(kind))
            .unwrap_or(kind);
        let name = self.nodes.get(op)?.get(ordinal.checked_sub(1)?)?;
        (!name.is_empty()).then_some(name.as_str())
    }
}

/// Reads the initializers, header and names of the ONNX protobuf in `bytes`.
pub(super) fn read(bytes: &[u8]) -> Result<(Stored, FileNames), String> {
    let model = ModelProto::parse_from_bytes(bytes)
        .map_err(|e| format!("not an ONNX model (its protobuf does not parse): {e}"))?;
    let graph = model.graph.as_ref().ok_or("the model has no graph")?;
    let running: std::collections::HashSet<&str> = graph
        .node
        .iter()
        .filter(|n| n.op_type == "BatchNormalization" && n.domain.is_empty())
        .flat_map(|n| n.input.iter().skip(3).take(2).map(String::as_str))
        .collect();
    let mut stored = Stored {
        producer: format!("{} {}", model.producer_name, model.producer_version)
            .trim()
            .to_owned(),
        opset: model
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map_or(0, |o| o.version.max(0) as u64),
        ..Stored::default()
    };
    let mut names = FileNames::default();
    for n in &graph.node {
        names
            .nodes
            .entry(n.op_type.to_lowercase())
            .or_default()
            .push(n.name.clone());
    }
    let initializers: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|t| t.name.as_str()).collect();
    names.inputs = graph
        .input
        .iter()
        .filter(|v| !initializers.contains(v.name.as_str()))
        .map(|v| v.name.clone())
        .collect();
    names.outputs = graph.output.iter().map(|v| v.name.clone()).collect();
    let mut seen = std::collections::HashSet::new();
    for t in &graph.initializer {
        if !seen.insert(t.name.as_str()) {
            continue;
        }
        let elements = elements(t).map_err(|why| format!("initializer `{}`: {why}", t.name))?;
        match weight_bits(t.data_type) {
            _ if running.contains(t.name.as_str()) => stored.buffers += elements,
            Some(bits) if !t.dims.is_empty() => {
                stored.params += elements;
                stored.param_tensors += 1;
                stored.param_bytes += (elements * bits).div_ceil(8);
            }
            _ => stored.constants += elements,
        }
    }
    Ok((stored, names))
}

/// The elements of `t` by its dims (negative dims are refused, not wrapped).
fn elements(t: &TensorProto) -> Result<u64, String> {
    t.dims.iter().try_fold(1u64, |n, &d| {
        let d = u64::try_from(d).map_err(|_| format!("dimension {d} is negative"))?;
        n.checked_mul(d)
            .ok_or_else(|| format!("dims {:?} overflow a 64-bit count", t.dims))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(nodes: &[(&str, &[&str])]) -> FileNames {
        FileNames {
            nodes: nodes
                .iter()
                .map(|(op, ns)| (op.to_string(), ns.iter().map(|n| n.to_string()).collect()))
                .collect(),
            ..FileNames::default()
        }
    }

    #[test]
    fn the_parsers_node_names_lead_back_to_the_files() {
        let n = names(&[
            ("matmul", &["fc1", "fc2", ""]),
            ("conv", &["stem", "block"]),
            ("conv2d", &["own"]),
        ]);
        assert_eq!(n.node("matmul2"), Some("fc2"));
        // A kind of the parser's own (`maxpool2d`, `conv2d`) is the file's op without its
        // dimensions, unless the file has an op of that very name.
        assert_eq!(
            names(&[("conv", &["stem", "block"])]).node("conv2d2"),
            Some("block")
        );
        assert_eq!(n.node("conv2d1"), Some("own"));
        // Unnamed in the file, past the file's count, or made by merging: no name.
        assert_eq!(n.node("matmul3"), None);
        assert_eq!(n.node("matmul4"), None);
        assert_eq!(n.node("matmul0"), None);
        assert_eq!(n.node("linear1"), None);
        assert_eq!(n.node("matmul"), None);
    }
}
