//! Weight quantization through burn's own: the matrices (the linear layers' weights and the
//! experts') quantized symmetrically in blocks with an f32 scale each; the embedding table,
//! the norms, the biases and the router stay in the float dtype, as the cost model counts.

use burn::module::{Module, ModuleVisitor, Param, ParamGroup, ParamId, Quantizer};
use burn::prelude::*;
use burn::tensor::quantization::{Calibration, QuantScheme, QuantValue, ScaleDtype};

use super::model::TransformerLm;
use crate::precision::{QuantBits, Quantize};

/// The enum variants a module path passes through, which name no module of their own.
const VARIANTS: [&str; 5] = ["Dense", "Csr", "Layer", "Rms", "Moe"];

/// A module path without its enum variants: `blocks.0.attention.query.weight`.
pub(crate) fn module_path(path: &[String]) -> String {
    path.iter()
        .filter(|p| !VARIANTS.contains(&p.as_str()))
        .cloned()
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether the parameter at `path` is a matrix that quantization applies to.
pub(crate) fn is_quantized_matrix(path: &str) -> bool {
    const PROJECTIONS: [&str; 7] = [
        "attention.query.weight",
        "attention.key.weight",
        "attention.value.weight",
        "attention.output.weight",
        "ffn.up.weight",
        "ffn.gate.weight",
        "ffn.down.weight",
    ];
    const EXPERTS: [&str; 3] = ["ffn.up", "ffn.gate", "ffn.down"];
    path == "head.weight"
        || PROJECTIONS.iter().any(|p| path.ends_with(p))
        || (path.starts_with("blocks.") && EXPERTS.iter().any(|e| path.ends_with(e)))
}

/// The ids of the matrices, with the width of each one's last dimension.
#[derive(Default)]
struct Matrices {
    path: Vec<String>,
    found: Vec<(ParamId, String, usize)>,
}

impl ModuleVisitor for Matrices {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let path = module_path(&self.path);
        if is_quantized_matrix(&path) {
            let last = param.val().dims()[D - 1];
            self.found.push((param.id, path, last));
        }
    }
}

/// burn's scheme for `q` on `device`: symmetric values of its bits, a block of weights along
/// the last dimension per f32 scale, stored as the device stores them (flex and ndarray one
/// value a byte, wgpu packed into u32s).
fn scheme(q: Quantize, device: &Device) -> QuantScheme {
    let value = match q.bits {
        QuantBits::Int8 => QuantValue::Q8S,
        QuantBits::Int4 => QuantValue::Q4S,
    };
    device
        .settings()
        .quantization
        .scheme
        .with_value(value)
        .per_block([q.block as u8], ScaleDtype::F32)
}

/// Why `model`'s matrices cannot be quantized in blocks of `q.block`: a matrix whose last
/// dimension the block does not divide, or a block burn cannot hold.
pub fn unsupported(model: &TransformerLm, q: Quantize) -> Option<String> {
    if q.block > u8::MAX as usize {
        return Some(format!(
            "burn's blocks hold at most {} weights; got {}",
            u8::MAX,
            q.block
        ));
    }
    let mut matrices = Matrices::default();
    model.visit(&mut matrices);
    matrices
        .found
        .iter()
        .find(|(_, _, last)| last % q.block != 0)
        .map(|(_, path, last)| {
            format!(
                "`{path}` is {last} wide, which blocks of {} do not divide",
                q.block
            )
        })
}

/// `model` (on `device`) with its matrices quantized as `q` says.
pub fn quantize(model: TransformerLm, q: Quantize, device: &Device) -> TransformerLm {
    let mut matrices = Matrices::default();
    model.visit(&mut matrices);
    let ids = matrices.found.into_iter().map(|(id, _, _)| id).collect();
    let mut quantizer = Quantizer::new(Calibration::MinMax, scheme(q, device));
    model.quantize_weights_group(&mut quantizer, ParamGroup::from_ids(ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrices_are_the_projections_the_experts_and_an_untied_head() {
        for path in [
            "blocks.0.attention.query.weight",
            "blocks.3.ffn.down.weight",
            "blocks.1.ffn.shared.ffn.up.weight",
            "blocks.1.ffn.up",
            "head.weight",
        ] {
            assert!(is_quantized_matrix(path), "{path}");
        }
        for path in [
            "token_embedding.weight",
            "position_embedding",
            "blocks.0.attention.query.bias",
            "blocks.0.attention_norm.gamma",
            "blocks.0.ffn.router.weight",
            "blocks.0.ffn.shared.gate.weight",
            "blocks.0.ffn.up_bias",
            "final_norm.gamma",
        ] {
            assert!(!is_quantized_matrix(path), "{path}");
        }
    }
}
