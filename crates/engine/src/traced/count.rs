//! The counts of a recorded graph, operation by operation. FLOPs follow
//! `torch.utils.flop_counter.FlopCounterMode`: matmul and linear 2·M·N·K (bias not counted),
//! convolutions 2·(output elements)·(input channels per group)·(kernel area), attention
//! 4·B·H·Sq·Sk·D; every other operation counts 0 and is listed by kind with its count, except
//! those torch counts and effprof has no rule for (transposed and deformable convolutions, custom
//! ops), which are marked as not counted rather than shown as 0. Bytes are
//! what an operation reads and writes at its tensors' dtypes; a view (reshape, transpose,
//! permute, expand, slice) moves none, since backends change only its strides.

use burn_ir::{BaseOperationIr, FloatOperationIr, ModuleOperationIr, OperationIr, TensorIr};
use serde::{Deserialize, Serialize};

/// Every operation of one kind in a graph.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpKind {
    /// burn's name for the operation, in snake case (`matmul`, `conv2d`, `softmax`, `add`, ...).
    pub kind: String,
    /// How many times it runs per forward pass.
    pub ops: u64,
    /// FLOPs by torch's convention (0 for the kinds torch does not count).
    pub flops: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// A view: it moves no bytes and launches no kernel.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub view: bool,
    /// A kernel that runs on the host, outside burn's graph (the CSR kernel): counted from
    /// its own matrix and shapes, not from recorded operations.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub host: bool,
    /// An operation the counter has no FLOP rule for (a transposed or deformable convolution,
    /// a custom op): its FLOPs are not counted, and every table says so rather than show 0.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
}

impl OpKind {
    /// The CSV columns every per-kind table starts with, and [`OpKind::csv_fields`] fills.
    pub const CSV_COLUMNS: [&'static str; 6] = [
        "op",
        "count",
        "flops",
        "bytes_read",
        "bytes_written",
        "view",
    ];

    /// This kind's values under [`OpKind::CSV_COLUMNS`].
    pub fn csv_fields(&self) -> [String; 6] {
        [
            self.kind.clone(),
            self.ops.to_string(),
            self.flops.to_string(),
            self.bytes_read.to_string(),
            self.bytes_written.to_string(),
            self.view.to_string(),
        ]
    }

    pub fn bytes(&self) -> u64 {
        self.bytes_read + self.bytes_written
    }

    /// Its name as tables show it: `reshape (view)`, `csr_matmul (host)`,
    /// `conv_transpose2d (FLOPs not counted)`.
    pub fn label(&self) -> String {
        let mark = match (self.view, self.host, self.unknown) {
            (true, _, _) => " (view)",
            (_, true, _) => " (host)",
            (_, _, true) => " (FLOPs not counted)",
            _ => "",
        };
        format!("{}{mark}", self.kind)
    }
}

/// What one forward pass does, counted from its recorded graph.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TracedCounts {
    /// The parameters of the module whose pass was recorded, as burn counts them.
    pub params: u64,
    pub flops: u64,
    /// Bytes read and written by every operation (views move none).
    pub bytes: u64,
    /// Operations a backend launches (views left out).
    pub ops: u64,
    /// Views: reshapes, transposes, permutes, expands and slices.
    pub views: u64,
    /// Per kind, the most bytes first.
    pub kinds: Vec<OpKind>,
}

impl TracedCounts {
    pub fn kind(&self, kind: &str) -> Option<&OpKind> {
        self.kinds.iter().find(|k| k.kind == kind)
    }

    /// Adds one operation of `kind` that reads and writes these bytes; `flops` is `None` for
    /// one the counter has no rule for (its kind is then marked as not counted).
    pub(crate) fn record(
        &mut self,
        kind: String,
        view: bool,
        flops: Option<u64>,
        read: u64,
        written: u64,
    ) {
        let entry = match self.kinds.iter().position(|k| k.kind == kind) {
            Some(i) => &mut self.kinds[i],
            None => {
                self.kinds.push(OpKind {
                    kind,
                    view,
                    ..OpKind::default()
                });
                self.kinds.last_mut().expect("just pushed")
            }
        };
        entry.ops += 1;
        entry.unknown |= flops.is_none();
        let f = flops.unwrap_or(0);
        entry.flops += f;
        entry.bytes_read += read;
        entry.bytes_written += written;
        self.flops += f;
        self.bytes += read + written;
        match view {
            true => self.views += 1,
            false => self.ops += 1,
        }
    }

    /// The kinds that move the most bytes first (then the most run).
    pub(crate) fn sort_kinds(&mut self) {
        self.kinds
            .sort_by(|a, b| b.bytes().cmp(&a.bytes()).then(b.ops.cmp(&a.ops)));
    }
}

fn numel(t: &TensorIr) -> u64 {
    t.shape.iter().map(|d| *d as u64).product()
}

fn bytes(t: &TensorIr) -> u64 {
    numel(t) * t.dtype.size() as u64
}

/// The last dimension of `t` (1 for a scalar).
fn last(t: &TensorIr) -> u64 {
    t.shape.iter().last().map_or(1, |d| *d as u64)
}

/// An operation's FLOPs by torch's convention; `None` for one the counter has no rule for.
fn flops(op: &OperationIr) -> Option<u64> {
    Some(match op {
        OperationIr::Float(_, FloatOperationIr::Matmul(m)) => 2 * numel(&m.out) * last(&m.lhs),
        // torch counts these (transposed convolutions) or effprof cannot say (a custom op).
        OperationIr::Module(
            ModuleOperationIr::ConvTranspose1d(_)
            | ModuleOperationIr::ConvTranspose2d(_)
            | ModuleOperationIr::ConvTranspose3d(_)
            | ModuleOperationIr::DeformableConv2d(_),
        )
        | OperationIr::Custom(_) => return None,
        OperationIr::Module(m) => match m {
            ModuleOperationIr::Linear(l) => 2 * numel(&l.out) * last(&l.x),
            ModuleOperationIr::Conv1d(c) => conv(&c.weight, &c.out),
            ModuleOperationIr::Conv2d(c) => conv(&c.weight, &c.out),
            ModuleOperationIr::Conv3d(c) => conv(&c.weight, &c.out),
            ModuleOperationIr::Attention(a) => {
                // [B, H, Sq, D] queries against [B, H, Sk, D] keys and [B, H, Sk, Dv] values:
                // the scores and the weighted sum, over the full square.
                let dims =
                    |t: &TensorIr| -> Vec<u64> { t.shape.iter().map(|d| *d as u64).collect() };
                let (q, k, v) = (dims(&a.query), dims(&a.key), dims(&a.value));
                let lead: u64 = q[..q.len() - 2].iter().product();
                let (sq, d) = (q[q.len() - 2], q[q.len() - 1]);
                let sk = k[k.len() - 2];
                let dv = v[v.len() - 1];
                2 * lead * sq * sk * d + 2 * lead * sq * sk * dv
            }
            _ => 0,
        },
        _ => 0,
    })
}

/// A convolution: every output element is a dot product over the weight's input channels and
/// kernel (its elements per output channel).
fn conv(weight: &TensorIr, out: &TensorIr) -> u64 {
    let per_filter =
        numel(weight) / (weight.shape.iter().next().copied().unwrap_or(1).max(1) as u64);
    2 * numel(out) * per_filter
}

fn is_view(op: &OperationIr) -> bool {
    let base = match op {
        OperationIr::BaseFloat(b) | OperationIr::BaseInt(b) | OperationIr::BaseBool(b) => b,
        _ => return false,
    };
    matches!(
        base,
        BaseOperationIr::Reshape(_)
            | BaseOperationIr::SwapDims(_)
            | BaseOperationIr::Permute(_)
            | BaseOperationIr::Expand(_)
            | BaseOperationIr::Slice(_)
    )
}

/// burn's name for an operation: the innermost variant of its `Debug` form, in snake case.
fn kind_name(op: &OperationIr) -> String {
    let debug = match op {
        OperationIr::BaseFloat(b) | OperationIr::BaseInt(b) | OperationIr::BaseBool(b) => {
            format!("{b:?}")
        }
        OperationIr::NumericFloat(_, n) | OperationIr::NumericInt(_, n) => format!("{n:?}"),
        OperationIr::Bool(b) => format!("{b:?}"),
        OperationIr::Int(i) => format!("{i:?}"),
        OperationIr::Float(_, f) => format!("{f:?}"),
        OperationIr::Module(m) => format!("{m:?}"),
        OperationIr::Activation(a) => format!("{a:?}"),
        OperationIr::Custom(c) => return c.id.to_string(),
        other => format!("{other:?}"),
    };
    let name = debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("unknown");
    snake(name)
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Adds the CSR kernel's `calls` (recorded beside the graph) to `counts` as the kind
/// `csr_matmul`: 2 FLOPs per non-zero and row; it reads the input rows, the values, column
/// indices and row pointers and the bias, and writes the output rows.
pub fn add_host_kernels(counts: &mut TracedCounts, calls: &[crate::zoo::HostKernelCall]) {
    if calls.is_empty() {
        return;
    }
    let f32s = |n: usize| 4 * n as u64;
    let mut kind = OpKind {
        kind: "csr_matmul".to_owned(),
        host: true,
        ..OpKind::default()
    };
    for c in calls {
        kind.ops += 1;
        kind.flops += 2 * (c.nnz * c.rows) as u64;
        kind.bytes_read +=
            f32s(c.rows * c.d_in) + f32s(2 * c.nnz) + f32s(c.d_out + 1) + f32s(c.d_out);
        kind.bytes_written += f32s(c.rows * c.d_out);
    }
    counts.flops += kind.flops;
    counts.bytes += kind.bytes();
    counts.ops += kind.ops;
    counts.kinds.push(kind);
    counts.sort_kinds();
}

/// Counts `operations` (a recorded forward pass of a module with `params` parameters):
/// constants' initialisation and drops are not operations of the pass and are left out.
pub fn count_operations(operations: &[OperationIr], params: u64) -> TracedCounts {
    let mut counts = TracedCounts {
        params,
        ..TracedCounts::default()
    };
    for op in operations {
        if matches!(op, OperationIr::Init(_) | OperationIr::Drop(_)) {
            continue;
        }
        let view = is_view(op);
        let (read, written) = if view {
            (0, 0)
        } else {
            (
                op.inputs().map(bytes).sum::<u64>(),
                op.outputs().map(bytes).sum::<u64>(),
            )
        };
        counts.record(kind_name(op), view, flops(op), read, written);
    }
    counts.sort_kinds();
    counts
}
