//! The dtype a variant is stored and computed in, and the weight quantization on top of it:
//! parameters and FLOPs do not change with either; every byte figure does.

use serde::{Deserialize, Serialize};

/// The float dtype of a variant's weights and activations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    #[default]
    F32,
    F16,
    Bf16,
}

impl Dtype {
    pub const ALL: [(&'static str, Dtype); 3] = [
        ("f32", Dtype::F32),
        ("f16", Dtype::F16),
        ("bf16", Dtype::Bf16),
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F16 => "f16",
            Dtype::Bf16 => "bf16",
        }
    }

    pub fn bytes(self) -> u64 {
        match self {
            Dtype::F32 => 4,
            Dtype::F16 | Dtype::Bf16 => 2,
        }
    }
}

/// How many bits each quantized weight keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuantBits {
    Int8,
    Int4,
}

impl QuantBits {
    pub const ALL: [(&'static str, QuantBits); 2] =
        [("int8", QuantBits::Int8), ("int4", QuantBits::Int4)];

    pub fn name(self) -> &'static str {
        match self {
            QuantBits::Int8 => "int8",
            QuantBits::Int4 => "int4",
        }
    }

    pub fn bits(self) -> u64 {
        match self {
            QuantBits::Int8 => 8,
            QuantBits::Int4 => 4,
        }
    }
}

/// Bytes of each block's scale: an f32.
pub const SCALE_BYTES: u64 = 4;

/// Symmetric weight quantization in blocks: each run of `block` consecutive weights of a
/// matrix shares one f32 scale, and symmetric values need no zero-point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quantize {
    pub bits: QuantBits,
    pub block: usize,
}

/// The default block: 32 weights a scale, as GGML's Q8_0 and Q4_0 and burn's examples use.
pub const DEFAULT_BLOCK: usize = 32;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Precision {
    #[serde(default)]
    pub dtype: Dtype,
    /// The matrices' weights quantized (the linear layers' and the experts'); the embedding
    /// table, norms, biases and the router stay at `dtype`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantize: Option<Quantize>,
}

impl Precision {
    pub fn is_default(&self) -> bool {
        *self == Precision::default()
    }

    /// Bytes of one float element: activations, the KV cache, and weights kept unquantized.
    pub fn float_bytes(&self) -> u64 {
        self.dtype.bytes()
    }

    /// Bytes of a weight matrix of `numel` elements as stored: quantized values and one scale
    /// per block (a block cut short by the end of the matrix has one too), or floats.
    pub fn matrix_bytes(&self, numel: u64) -> u64 {
        match self.quantize {
            None => numel * self.float_bytes(),
            Some(q) => {
                (numel * q.bits.bits()).div_ceil(8) + numel.div_ceil(q.block as u64) * SCALE_BYTES
            }
        }
    }

    /// Briefly, as a table's cell shows it: `f32`, `bf16`, `int4/32 bf16`.
    pub fn label(&self) -> String {
        match self.quantize {
            None => self.dtype.name().to_owned(),
            Some(q) => format!("{}/{} {}", q.bits.name(), q.block, self.dtype.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantized_matrices_keep_their_bits_and_a_scale_per_block() {
        let f32 = Precision::default();
        assert_eq!(f32.matrix_bytes(4096), 16_384);
        let bf16 = Precision {
            dtype: Dtype::Bf16,
            quantize: None,
        };
        assert_eq!(bf16.matrix_bytes(4096), 8192);
        let int8 = Precision {
            dtype: Dtype::Bf16,
            quantize: Some(Quantize {
                bits: QuantBits::Int8,
                block: 32,
            }),
        };
        // 4096 bytes of values, 128 blocks of one f32 scale.
        assert_eq!(int8.matrix_bytes(4096), 4096 + 512);
        let int4 = Precision {
            quantize: Some(Quantize {
                bits: QuantBits::Int4,
                block: 32,
            }),
            ..int8
        };
        assert_eq!(int4.matrix_bytes(4096), 2048 + 512);
        // 33 weights: two blocks, the second of one weight; 4 bits each, rounded up to bytes.
        assert_eq!(int4.matrix_bytes(33), 17 + 8);
        assert_eq!(int4.float_bytes(), 2);
        assert_eq!(int4.label(), "int4/32 bf16");
    }
}
