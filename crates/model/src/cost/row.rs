//! A layer's row of counts, and the one way to build it: ops added one by one, each with its
//! FLOPs and the bytes it reads and writes, then the parameters the layer owns.

use serde::{Deserialize, Serialize};

use super::F32_BYTES;
use crate::precision::Precision;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    Embedding,
    Attention,
    Ffn,
    Moe,
    Norm,
    Head,
    /// A convolution (with its activation), or a residual block of them.
    Conv,
}

/// FLOPs and bytes of one op or one layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    pub flops_dense: u64,
    pub flops_useful: u64,
    pub flops_executed: u64,
    pub weight_bytes: u64,
    pub act_read_bytes: u64,
    pub act_written_bytes: u64,
}

impl std::iter::Sum for OpCounts {
    fn sum<I: Iterator<Item = OpCounts>>(iter: I) -> Self {
        iter.fold(OpCounts::default(), |mut acc, c| {
            acc.add(c);
            acc
        })
    }
}

impl OpCounts {
    pub fn mem_access_bytes(&self) -> u64 {
        self.weight_bytes + self.act_read_bytes + self.act_written_bytes
    }

    pub(super) fn add(&mut self, other: OpCounts) {
        self.flops_dense += other.flops_dense;
        self.flops_useful += other.flops_useful;
        self.flops_executed += other.flops_executed;
        self.weight_bytes += other.weight_bytes;
        self.act_read_bytes += other.act_read_bytes;
        self.act_written_bytes += other.act_written_bytes;
    }

    /// An op with no FLOPs reading `read` and writing `written` f32 activation elements.
    pub(super) fn memory(read: u64, written: u64) -> Self {
        Self::memory_of(read, written, F32_BYTES)
    }

    /// The same, of elements `bytes` wide.
    pub(super) fn memory_of(read: u64, written: u64, bytes: u64) -> Self {
        OpCounts {
            act_read_bytes: read * bytes,
            act_written_bytes: written * bytes,
            ..Default::default()
        }
    }

    /// The same FLOPs under all three counts.
    pub(super) fn flops(flops: u64) -> Self {
        OpCounts {
            flops_dense: flops,
            flops_useful: flops,
            flops_executed: flops,
            ..Default::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerCost {
    /// `embedding`, `layer3.attention`, `layer3.moe`, `final_norm`, `head`.
    pub name: String,
    pub kind: LayerKind,
    /// Parameters this row owns (0 for a row that reuses a shared layer's weights).
    pub params: u64,
    pub params_active: u64,
    pub param_bytes: u64,
    /// The row whose weights this one reuses (Universal Transformer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_with: Option<String>,
    #[serde(flatten)]
    pub counts: OpCounts,
    pub activation_peak_bytes: u64,
}

/// One layer under construction, its bytes counted at its precision.
pub(super) struct Row {
    cost: LayerCost,
    precision: Precision,
}

impl Row {
    /// A row at f32.
    pub(super) fn new(name: String, kind: LayerKind) -> Self {
        Self::at(name, kind, Precision::default())
    }

    pub(super) fn at(name: String, kind: LayerKind, precision: Precision) -> Self {
        Row {
            precision,
            cost: LayerCost {
                name,
                kind,
                params: 0,
                params_active: 0,
                param_bytes: 0,
                shared_with: None,
                counts: OpCounts::default(),
                activation_peak_bytes: 0,
            },
        }
    }

    pub(super) fn op(&mut self, counts: OpCounts) -> &mut Self {
        self.cost.counts.add(counts);
        self
    }

    pub(super) fn precision(&self) -> Precision {
        self.precision
    }

    /// An op with no FLOPs reading `read` and writing `written` activation elements, at the
    /// row's float dtype.
    pub(super) fn mem(&mut self, read: u64, written: u64) -> &mut Self {
        let bytes = self.precision.float_bytes();
        self.op(OpCounts::memory_of(read, written, bytes))
    }

    /// Parameters owned by this row: `total` as PyTorch counts them, `active` per token,
    /// `bytes` as stored.
    pub(super) fn params(&mut self, total: u64, active: u64, bytes: u64) -> &mut Self {
        self.cost.params += total;
        self.cost.params_active += active;
        self.cost.param_bytes += bytes;
        self
    }

    pub(super) fn peak(&mut self, elements: u64) -> &mut Self {
        self.cost.activation_peak_bytes = self
            .cost
            .activation_peak_bytes
            .max(elements * self.precision.float_bytes());
        self
    }

    pub(super) fn finish(self) -> LayerCost {
        self.cost
    }
}
