//! The FLOPs, bytes and operations of one run of a parsed ONNX graph, node by node, by the
//! conventions of [`crate::traced`]: MatMul, Gemm and Linear 2·M·N·K (bias not counted), Conv
//! 2·(output elements)·(input channels per group)·(kernel area), Attention 2·Sk·(query + output
//! elements); every other operation 0, except those named in [`UNKNOWN_OPS`], whose FLOPs are
//! not counted and are marked so. Bytes are what a node reads (its weights included) and
//! writes at the inferred shapes; views move none.

use std::collections::HashMap;

use onnx_ir::{ArgType, Argument, Node, NodeType, OnnxGraph, TensorType};
use serde::Serialize;

use super::Value;
use super::stored::FileNames;
use crate::traced::TracedCounts;

/// Operation kinds PyTorch counts FLOPs for (or whose FLOPs hide in a subgraph or a custom
/// kernel) and the counter has no rule for: their FLOPs are not counted, never shown as 0.
pub const UNKNOWN_OPS: &[&str] = &[
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "ConvTranspose",
    "DeformConv",
    "Einsum",
    "Lstm",
    "Gru",
    "Rnn",
    "MatMulInteger",
    "ConvInteger",
    "QLinearConv",
    "QLinearMatMul",
    "If",
    "Loop",
    "Scan",
];

/// An operation whose count is incomplete, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unresolved {
    /// The node's name in the graph.
    pub node: String,
    pub op: String,
    pub why: String,
}

pub(super) struct GraphCount {
    pub inputs: Vec<Value>,
    pub outputs: Vec<Value>,
    pub counts: TracedCounts,
    pub unresolved: Vec<Unresolved>,
    pub no_rule: Vec<String>,
}

/// A node's FLOPs by rule.
enum Flops {
    Counted(u64),
    /// A kind in [`UNKNOWN_OPS`], or a custom op.
    NoRule,
    /// The rule needs a shape the parser did not infer: which tensor's.
    ShapeUnknown(String),
    /// The shapes contradict the operation: the file is malformed.
    Malformed(String),
}

fn kind_name(node: &Node) -> String {
    match node {
        Node::Custom(c) if c.domain.is_empty() => c.op_type.clone(),
        Node::Custom(c) => format!("{}.{}", c.domain, c.op_type),
        other => other.node_type().to_string(),
    }
}

fn is_view(ty: &NodeType) -> bool {
    matches!(
        ty,
        NodeType::Reshape
            | NodeType::Flatten
            | NodeType::Squeeze
            | NodeType::Unsqueeze
            | NodeType::Transpose
            | NodeType::Expand
            | NodeType::Slice
            | NodeType::Identity
    )
}

/// Every value's known shape by name. The parser gives a value's shape from the file's
/// `value_info` to the node that reads it, not always to the node that makes it (a MatMul's
/// output): any argument that knows the shape tells the others.
struct Shapes(HashMap<String, Vec<u64>>);

impl Shapes {
    fn of(graph: &OnnxGraph) -> Self {
        let mut known = HashMap::new();
        let args = graph.inputs.iter().chain(&graph.outputs).chain(
            graph
                .nodes
                .iter()
                .flat_map(|n| n.inputs().iter().chain(n.outputs())),
        );
        for a in args {
            if let Some(d) = own_dims(a) {
                known.entry(a.name.clone()).or_insert(d);
            }
        }
        let mut shapes = Shapes(known);
        // The parser infers no MatMul's output shape: numpy's rules give it from the inputs'
        // (in the graph's order, so one MatMul's output can feed the next).
        for node in &graph.nodes {
            let (Node::MatMul(m), [out, ..]) = (node, node.outputs()) else {
                continue;
            };
            if shapes.dims(out).is_some() {
                continue;
            }
            let (Some(a), Some(b)) = (
                m.inputs.first().and_then(|a| shapes.dims(a)),
                m.inputs.get(1).and_then(|b| shapes.dims(b)),
            ) else {
                continue;
            };
            if let Some(d) = matmul_out(&a, &b) {
                shapes.0.insert(out.name.clone(), d);
            }
        }
        shapes
    }

    /// Every dimension of `arg`, where some argument of its name knows them all.
    fn dims(&self, arg: &Argument) -> Option<Vec<u64>> {
        own_dims(arg).or_else(|| self.0.get(&arg.name).cloned())
    }

    /// The bytes `arg` holds, where its shape is known.
    fn bytes(&self, arg: &Argument) -> Option<u64> {
        let element = match &arg.ty {
            ArgType::Tensor(t) => t.dtype.size() as u64,
            ArgType::ScalarTensor(d) | ArgType::ScalarNative(d) => d.size() as u64,
            // A shape is a vector of 64-bit integers.
            ArgType::Shape(_) => 8,
        };
        Some(self.dims(arg)?.iter().product::<u64>() * element)
    }
}

/// The output shape of a MatMul of `a` by `b`, by numpy's rules: the leading dimensions
/// broadcast, a 1-D operand is a vector whose dimension drops out.
fn matmul_out(a: &[u64], b: &[u64]) -> Option<Vec<u64>> {
    let (a_lead, m) = match a {
        [] => return None,
        [_] => (&[][..], None),
        [lead @ .., m, _] => (lead, Some(*m)),
    };
    let (b_lead, n) = match b {
        [] => return None,
        [_] => (&[][..], None),
        [lead @ .., _, n] => (lead, Some(*n)),
    };
    let rank = a_lead.len().max(b_lead.len());
    let at = |lead: &[u64], i: usize| (i + lead.len()).checked_sub(rank).map_or(1, |j| lead[j]);
    let mut out = Vec::with_capacity(rank + 2);
    for i in 0..rank {
        let (x, y) = (at(a_lead, i), at(b_lead, i));
        out.push(match (x, y) {
            (x, y) if x == y || y == 1 => x,
            (1, y) => y,
            _ => return None,
        });
    }
    out.extend(m);
    out.extend(n);
    Some(out)
}

/// Every dimension of `arg`, where the parser knows them all.
fn own_dims(arg: &Argument) -> Option<Vec<u64>> {
    match &arg.ty {
        ArgType::Tensor(t) => t
            .static_shape_known()
            .map(|s| s.into_iter().map(|d| d as u64).collect()),
        ArgType::ScalarTensor(_) | ArgType::ScalarNative(_) => Some(vec![]),
        ArgType::Shape(rank) => Some(vec![*rank as u64]),
    }
}

/// `node`'s FLOPs; `kind` is its [`kind_name`].
fn flops(node: &Node, kind: &str, shapes: &Shapes) -> Flops {
    if matches!(node, Node::Custom(_)) || UNKNOWN_OPS.contains(&kind) {
        return Flops::NoRule;
    }
    let known = |arg: Option<&Argument>| -> Result<Vec<u64>, Flops> {
        match arg {
            Some(a) => shapes
                .dims(a)
                .ok_or_else(|| Flops::ShapeUnknown(a.name.clone())),
            None => Err(Flops::ShapeUnknown("a missing input or output".to_owned())),
        }
    };
    let numel = |d: &[u64]| d.iter().product::<u64>();
    let input = |i: usize| known(node.inputs().get(i));
    let output = || known(node.outputs().first());
    let rule = || -> Result<u64, Flops> {
        Ok(match node {
            Node::MatMul(_) => {
                let (a, b, out) = (input(0)?, input(1)?, output()?);
                let inner = b.len().checked_sub(2).map_or(b.first(), |i| b.get(i));
                if a.last() != inner {
                    return Err(Flops::Malformed(format!(
                        "a MatMul of {a:?} by {b:?}: the inner dimensions differ"
                    )));
                }
                2 * numel(&out) * a.last().copied().unwrap_or(1)
            }
            Node::Linear(_) => {
                let (a, out) = (input(0)?, output()?);
                2 * numel(&out) * a.last().copied().unwrap_or(1)
            }
            Node::Gemm(g) => {
                let (a, out) = (input(0)?, output()?);
                let k = match (g.config.trans_a != 0, a.as_slice()) {
                    (false, [_, k]) | (true, [k, _]) => *k,
                    _ => return Err(Flops::ShapeUnknown(node.inputs()[0].name.clone())),
                };
                2 * numel(&out) * k
            }
            Node::Conv1d(_) | Node::Conv2d(_) | Node::Conv3d(_) => {
                let (w, out) = (input(1)?, output()?);
                2 * numel(&out) * (numel(&w) / w.first().copied().unwrap_or(1).max(1))
            }
            Node::Attention(_) => {
                // [B, H, S, D] (or [B, S, H·D]) queries against keys of length Sk: the scores
                // and the weighted sum, over the full square.
                let (q, k, out) = (input(0)?, input(1)?, output()?);
                let sk = if k.len() == 4 {
                    k[2]
                } else {
                    k.get(1).copied().unwrap_or(1)
                };
                2 * sk * (numel(&q) + numel(&out))
            }
            _ => 0,
        })
    };
    match rule() {
        Ok(f) => Flops::Counted(f),
        Err(e) => e,
    }
}

/// Counts one run of `graph`, naming its nodes and values by the file's `names`; an operation
/// whose shapes contradict it is an error naming its node.
pub(super) fn count(graph: &OnnxGraph, names: &FileNames) -> Result<GraphCount, String> {
    let shapes = Shapes::of(graph);
    let mut counts = TracedCounts::default();
    let mut unresolved = Vec::new();
    let mut no_rule: Vec<String> = Vec::new();
    for node in &graph.nodes {
        let ty = node.node_type();
        // A constant is stored data, not an operation of the run.
        if ty == NodeType::Constant {
            continue;
        }
        let view = is_view(&ty);
        let kind = kind_name(node);
        let mut missing = None;
        let mut traffic = |args: &[Argument]| -> u64 {
            args.iter()
                .filter(|a| !a.is_optional())
                .map(|a| {
                    shapes.bytes(a).unwrap_or_else(|| {
                        missing.get_or_insert_with(|| a.name.clone());
                        0
                    })
                })
                .sum()
        };
        let (read, written) = match view {
            true => (0, 0),
            false => (traffic(node.inputs()), traffic(node.outputs())),
        };
        let named = || match names.node(node.name()) {
            Some(file) => format!("{file} ({})", node.name()),
            None => node.name().to_owned(),
        };
        let f = match flops(node, &kind, &shapes) {
            Flops::Counted(f) => Some(f),
            Flops::NoRule => {
                if !no_rule.contains(&kind) {
                    no_rule.push(kind.clone());
                }
                None
            }
            Flops::ShapeUnknown(tensor) => {
                missing.get_or_insert(tensor);
                None
            }
            Flops::Malformed(why) => return Err(format!("node {}: {why}", named())),
        };
        if let Some(tensor) = missing {
            unresolved.push(Unresolved {
                node: named(),
                op: kind.clone(),
                why: format!("the shape of `{tensor}` is not known"),
            });
        }
        counts.record(kind, view, f, read, written);
    }
    counts.sort_kinds();
    // The parser renames the graph's values after their nodes; the file's names are in order.
    let values = |args: &[Argument], file: &[String]| {
        args.iter()
            .enumerate()
            .map(|(i, a)| Value {
                name: match file.len() == args.len() {
                    true => file[i].clone(),
                    false => a.name.clone(),
                },
                ty: match (&a.ty, shapes.dims(a)) {
                    (ArgType::Tensor(t), Some(d)) => ArgType::Tensor(TensorType::new_known(
                        t.dtype,
                        d.into_iter().map(|d| d as usize).collect(),
                    ))
                    .to_string(),
                    (ty, _) => ty.to_string(),
                },
            })
            .collect()
    };
    Ok(GraphCount {
        inputs: values(&graph.inputs, &names.inputs),
        outputs: values(&graph.outputs, &names.outputs),
        counts,
        unresolved,
        no_rule,
    })
}
