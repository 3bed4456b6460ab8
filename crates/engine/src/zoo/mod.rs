//! burn models for every family of a suite, built on any backend from a seed.

mod conv;
mod custom;
mod init;
mod model;
mod moe;
mod quantize;
mod sparse;
mod vision;
mod weights;

pub use crate::measured::RoutingStats;
pub use conv::{ConvNet, random_images};
pub use custom::{
    CustomBatch, Input, NotRecorded, Recorded, Registered, Runnable, Variant as CustomVariant,
    lookup, register,
};
pub use init::stable_hash;
pub use model::{ForwardOutput, KvCache, StepOutput, TransformerLm};
pub use moe::{Dispatch, RoutingTensors, route};
pub use sparse::{
    CsrLayerHost, CsrLinear, CsrMatrix, HostKernelCall, magnitude_prune, record_host_kernels,
};
pub use vision::{Leaf as VisionLeaf, Value as VisionValue, VisionNet};

/// Reads every parameter of `module` once. burn draws a parameter's initial values when it is
/// first read; a module moved onto the capture device before that would have the drawing
/// recorded as part of its forward pass.
pub fn materialize<M: burn::module::Module>(module: &M) {
    struct Read;
    impl burn::module::ModuleVisitor for Read {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            drop(param.val());
        }
        fn visit_int<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D, Int>>) {
            drop(param.val());
        }
        fn visit_bool<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D, Bool>>) {
            drop(param.val());
        }
    }
    module.visit(&mut Read);
}

/// Builds the vision network `net` on `device` for square images of `image_size` pixels, its
/// weights drawn from `seed` (so every backend holds the same network).
pub fn build_vision(
    net: &crate::vision::Network,
    image_size: usize,
    seed: u64,
    device: &Device,
) -> VisionNet {
    let mut init = init::WeightInit::new(seed, device);
    VisionNet::new(net, image_size, &mut init)
}

use burn::prelude::*;
use burn::tensor::FloatDType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::arch::{
    Dims, ImageWorkload, LmOptions, Positions, Samples, TokenWorkload, Variant, Workload,
};
use crate::backend::Backend;
use crate::cost;
use crate::family::{Arch, ConvSpec, Family, Kernel};
use crate::precision::{Dtype, QuantBits};

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BuildError {
    #[error(
        "`{variant}` needs an estimated {} ({} of parameters + {} of activations), over the limit of {}; lower the batch or the model size, or raise --max-memory",
        crate::units::bytes(*estimate), crate::units::bytes(*params), crate::units::bytes(*activations), crate::units::bytes(*limit)
    )]
    TooLarge {
        variant: String,
        estimate: u64,
        params: u64,
        activations: u64,
        limit: u64,
    },
    #[error(transparent)]
    Uncountable(#[from] cost::CountError),
    #[error(
        "`{variant}` uses the csr kernel, which runs on the CPU backends (ndarray, flex) only; it is unsupported on {backend}"
    )]
    Unsupported { variant: String, backend: Backend },
    #[error(
        "`{variant}` has {rows} learned positions (max_positions) and this workload needs {needed}; shorten the sequence or raise max_positions"
    )]
    TooFewPositions {
        variant: String,
        rows: usize,
        needed: usize,
    },
    #[error("`{variant}` is a conv variant: {what} covers the transformer families only")]
    NotTransformer { variant: String, what: &'static str },
    #[error(transparent)]
    Unavailable(#[from] crate::backend::Unavailable),
    #[error("`{variant}`: {backend} does not compute in {dtype}")]
    DtypeUnsupported {
        variant: String,
        dtype: &'static str,
        backend: Backend,
    },
    #[error("`{variant}` cannot be quantized: {why}")]
    Quantized { variant: String, why: String },
    /// The variant's checkpoint does not fit its architecture, or cannot be read.
    #[error(transparent)]
    Weights(#[from] crate::checkpoint::CheckpointError),
    /// A model of your own that this process cannot find.
    #[error(transparent)]
    Unregistered(#[from] Unregistered),
}

/// Why a model of your own cannot be found in this process.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unregistered {
    #[error("`{0}` is a model of your own, defined by a program other than this one")]
    OtherProgram(String),
    #[error("`{0}` is not a variant of its profile")]
    NotInProfile(String),
    #[error("`{0}` is not a model of your own with its profile's input")]
    NotOwnModel(String),
}

/// Why a built model cannot run the pass asked of it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    #[error("a model of your own has an output effprof cannot read as logits")]
    NoLogits,
    #[error("the input does not match the model's family")]
    WrongFamily,
    #[error("the input was made for another variant")]
    OtherVariantsInput,
}

/// A built variant of any family.
#[derive(Debug)]
pub enum Model {
    Transformer(TransformerLm),
    Conv(ConvNet),
    Vision(VisionNet),
    /// A model of your own (`effprof::custom`).
    Custom(Box<dyn Runnable>),
}

/// One forward pass's input: token ids for a transformer, pixels for a convolutional network.
#[derive(Clone)]
pub enum Batch {
    Tokens(Tensor<2, Int>),
    Images(Tensor<4>),
    Custom(CustomBatch),
}

/// What a forward pass returns, in the form the engine times.
pub struct Output {
    /// The input of the next pass, made to depend on this pass's output.
    pub next: Batch,
    /// One entry per MoE layer, in layer order (empty for other families).
    pub routing: Vec<RoutingTensors>,
    /// A model of your own's output, whose type effprof does not know: held until the device
    /// has finished the pass, as the next input holds the others'.
    pub held: Option<Box<dyn std::any::Any>>,
}

impl Model {
    /// Parameters as burn counts them.
    pub fn num_params(&self) -> usize {
        match self {
            Model::Transformer(m) => burn::module::Module::num_params(m),
            Model::Conv(m) => burn::module::Module::num_params(m),
            Model::Vision(m) => burn::module::Module::num_params(m),
            Model::Custom(m) => m.num_params(),
        }
    }

    /// Reads every parameter once (see [`materialize`]); a model of your own draws its own.
    pub fn materialize(&self) {
        match self {
            Model::Transformer(m) => materialize(m),
            Model::Conv(m) => materialize(m),
            Model::Vision(m) => materialize(m),
            Model::Custom(_) => {}
        }
    }

    /// The model with every weight moved to `device`.
    pub fn to_device(self, device: &Device) -> Model {
        use burn::module::Module;
        match self {
            Model::Transformer(m) => Model::Transformer(m.to_device(device)),
            Model::Conv(m) => Model::Conv(m.to_device(device)),
            Model::Vision(m) => Model::Vision(m.to_device(device)),
            Model::Custom(m) => Model::Custom(m.to_device(device)),
        }
    }

    /// One forward pass of `input`, nothing chained to it; its logits, flattened.
    pub fn forward(&self, input: Batch) -> Result<Tensor<1>, ForwardError> {
        match (self, input) {
            (Model::Transformer(m), Batch::Tokens(tokens)) => {
                Ok(m.forward(tokens).logits.flatten(0, 2))
            }
            (Model::Conv(m), Batch::Images(images)) => Ok(m.forward(images).flatten(0, 1)),
            (Model::Vision(m), Batch::Images(images)) => Ok(m.forward(images).flatten(0, 1)),
            (Model::Custom(_), _) => Err(ForwardError::NoLogits),
            _ => Err(ForwardError::WrongFamily),
        }
    }

    /// One forward pass of `input`, with the next pass's input chained to its output (see
    /// [`chained_input`]). A mismatched input (tokens to a conv network) is an error.
    pub fn forward_chained(&self, input: Batch) -> Result<Output, ForwardError> {
        match (self, input) {
            (Model::Transformer(m), Batch::Tokens(tokens)) => {
                let out = m.forward(tokens.clone());
                Ok(Output {
                    next: Batch::Tokens(chained_input(tokens, out.logits)),
                    routing: out.routing,
                    held: None,
                })
            }
            (Model::Conv(m), Batch::Images(images)) => {
                let logits = m.forward(images.clone());
                Ok(Output {
                    next: Batch::Images(chained_images(images, logits)),
                    routing: Vec::new(),
                    held: None,
                })
            }
            (Model::Vision(m), Batch::Images(images)) => {
                let logits = m.forward(images.clone());
                Ok(Output {
                    next: Batch::Images(chained_images(images, logits)),
                    routing: Vec::new(),
                    held: None,
                })
            }
            // Its output has no type effprof knows to chain the next input to: the same input
            // again, the output held until the device is done.
            (Model::Custom(m), Batch::Custom(input)) => {
                let held = m.forward(&input)?;
                Ok(Output {
                    next: Batch::Custom(input),
                    routing: Vec::new(),
                    held: Some(held),
                })
            }
            _ => Err(ForwardError::WrongFamily),
        }
    }
}

/// The seed a variant's weights are drawn from.
///
/// It depends on the suite seed and the architecture, not on the variant's name or kernel, so
/// a pruned variant is its dense counterpart's weights with the smallest ones removed, and the
/// two kernels of one pruned model hold identical weights.
pub fn variant_seed(workload: &TokenWorkload, dims: &Dims, family: &Family) -> u64 {
    let family = match family {
        Family::Dense | Family::Pruned(_) => "dense".to_owned(),
        Family::Universal => "universal".to_owned(),
        Family::Moe(m) => {
            let mut key = format!(
                "moe:{}:{}:{}:{}",
                m.n_experts, m.top_k, m.capacity_factor, m.moe_every
            );
            // The later choices enter only when made, so a Switch MoE keeps its weights.
            if m.expert_d_ff.is_some() || m.shared_d_ff.is_some() {
                key.push_str(&format!(":{}", described(m)));
            }
            key
        }
        // Only transformers are built from this seed; the other families draw theirs where
        // they are built (and your own models draw their own).
        other => other.name().to_owned(),
    };
    let d = dims;
    let mut key = format!(
        "{}|{family}|{}|{}|{}|{}|{}|{}",
        workload.seed, d.d_model, d.n_heads, d.d_ff, d.n_layers, workload.vocab, workload.seq_len
    );
    // The choices enter only when made, so the default shape keeps its weights.
    if d.options != LmOptions::default() {
        key.push_str(&format!("|{}", described(&d.options)));
    }
    stable_hash(key.as_bytes())
}

/// A part of a variant as a seed's key, in the words of the snapshot schema: its keys are the
/// schema's, which a field renamed in Rust keeps, so renaming code never changes the weights.
fn described(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("the schema's types serialize to JSON")
}

/// Builds `variant` on `backend`, after checking it can run there and fits in `memory_limit`
/// bytes; nothing is allocated when a check fails.
pub fn build(
    variant: &Variant,
    workload: &Workload,
    backend: Backend,
    memory_limit: u64,
) -> Result<Model, BuildError> {
    check(variant, workload, backend, memory_limit)?;
    build_on(variant, workload, &backend.device()?)
}

/// [`build`] on `device`, without its checks.
pub fn build_on(
    variant: &Variant,
    workload: &Workload,
    device: &Device,
) -> Result<Model, BuildError> {
    let device = device.clone();
    if let Family::Custom = variant.family {
        return Ok(Model::Custom(
            custom_variant(variant, workload)?.build(&device),
        ));
    }
    Ok(
        match variant.arch(workload).map_err(cost::CountError::from)? {
            Arch::Transformer {
                dims,
                family,
                workload,
            } => Model::Transformer(transformer(variant, &dims, family, &workload, &device)?),
            Arch::Conv { spec, workload } => Model::Conv(build_conv(&spec, &workload, &device)),
            Arch::Vision { spec, workload } => {
                let net = crate::vision::network(&spec, workload.in_channels, workload.classes);
                // The batch is not part of the network: the same weights at every batch.
                let key = format!(
                    "{}|vision|{}|{}|{}|{}",
                    workload.seed,
                    described(&spec),
                    workload.image_size,
                    workload.in_channels,
                    workload.classes
                );
                Model::Vision(build_vision(
                    &net,
                    workload.image_size,
                    stable_hash(key.as_bytes()),
                    &device,
                ))
            }
        },
    )
}

/// [`build`] for the measurements that only transformers have (pipeline stages); `what` names
/// the measurement in the error a conv variant gets.
pub fn build_lm(
    variant: &Variant,
    workload: &Workload,
    backend: Backend,
    memory_limit: u64,
    what: &'static str,
) -> Result<TransformerLm, BuildError> {
    check(variant, workload, backend, memory_limit)?;
    build_lm_on(variant, workload, &backend.device()?, what)
}

/// The checks of [`build`] alone: the variant's kernel runs on `backend`, and its estimated
/// memory fits in `memory_limit`.
pub fn check(
    variant: &Variant,
    workload: &Workload,
    backend: Backend,
    memory_limit: u64,
) -> Result<(), BuildError> {
    // A model of your own has no estimate to check; burn reports it if it does not fit.
    if let Family::Custom = variant.family {
        return custom_variant(variant, workload).map(drop);
    }
    if let Family::Pruned(p) = variant.family
        && p.kernel == Kernel::Csr
        && !backend.is_host()
    {
        return Err(BuildError::Unsupported {
            variant: variant.name.clone(),
            backend,
        });
    }
    let dtype = variant.precision.dtype;
    if dtype != Dtype::F32 && !backend.device()?.supports_dtype(float_dtype(dtype)) {
        return Err(BuildError::DtypeUnsupported {
            variant: variant.name.clone(),
            dtype: dtype.name(),
            backend,
        });
    }
    // burn's ndarray quantizes to 8 bits only (it panics on 4), and burn 0.22's quantized
    // matmul on wgpu panics in its kernels (cubecl's quantized view) on a decoder's shapes.
    if let Some(q) = variant.precision.quantize
        && ((q.bits == QuantBits::Int4 && backend == Backend::Ndarray) || !backend.is_host())
    {
        return Err(BuildError::DtypeUnsupported {
            variant: variant.name.clone(),
            dtype: q.bits.name(),
            backend,
        });
    }
    if let Ok(Arch::Transformer { dims, workload, .. }) = variant.arch(workload)
        && dims.options.positions == Positions::Learned
        && dims.position_rows(&workload) < workload.context()
    {
        return Err(BuildError::TooFewPositions {
            variant: variant.name.clone(),
            rows: dims.position_rows(&workload),
            needed: workload.context(),
        });
    }
    let report = cost::analyze(variant, workload)?;
    let totals = &report.totals;
    if totals.memory_estimate_bytes > memory_limit {
        return Err(BuildError::TooLarge {
            variant: variant.name.clone(),
            estimate: totals.memory_estimate_bytes,
            params: totals.param_bytes,
            activations: totals.activation_peak_bytes,
            limit: memory_limit,
        });
    }
    Ok(())
}

/// Builds a transformer `variant` on `device` without the checks of [`build`] (for a device
/// derived from a checked backend, such as its autodiff twin); a conv variant gets an error
/// naming `what`.
pub fn build_lm_on(
    variant: &Variant,
    workload: &Workload,
    device: &Device,
    what: &'static str,
) -> Result<TransformerLm, BuildError> {
    match variant.arch(workload).map_err(cost::CountError::from)? {
        Arch::Transformer {
            dims,
            family,
            workload,
        } => transformer(variant, &dims, family, &workload, device),
        _ => Err(BuildError::NotTransformer {
            variant: variant.name.clone(),
            what,
        }),
    }
}

/// `variant`'s transformer on `device` with weights of the right shapes and no values (zeros
/// made on the device: on the capture device, recorded ops holding no data), in its dtype;
/// `None` for what cannot be built so (another family, a CSR kernel, whose non-zeros depend
/// on the values, quantized matrices, whose quantizing reads them).
pub fn build_shapes(
    variant: &Variant,
    workload: &Workload,
    device: &Device,
) -> Result<Option<TransformerLm>, BuildError> {
    let Arch::Transformer {
        dims,
        family,
        workload,
    } = variant.arch(workload).map_err(cost::CountError::from)?
    else {
        return Ok(None);
    };
    let csr = matches!(family, Family::Pruned(p) if p.kernel == Kernel::Csr);
    if csr || variant.precision.quantize.is_some() {
        return Ok(None);
    }
    let mut init = init::WeightInit::shapes(device);
    let model = TransformerLm::new(&dims, family, &workload, &variant.numerics, &mut init);
    Ok(Some(in_dtype(model, variant.precision.dtype)))
}

/// `model`, built in f32, in `dtype`.
fn in_dtype(model: TransformerLm, dtype: Dtype) -> TransformerLm {
    match float_dtype(dtype) {
        FloatDType::F32 => model,
        dtype => model.cast(dtype),
    }
}

/// The variant's transformer, its weights drawn from the seed or loaded from its checkpoint.
fn transformer(
    variant: &Variant,
    dims: &Dims,
    family: &Family,
    workload: &TokenWorkload,
    device: &Device,
) -> Result<TransformerLm, BuildError> {
    let mut init = init::WeightInit::new(variant_seed(workload, dims, family), device);
    let model = TransformerLm::new(dims, family, workload, &variant.numerics, &mut init);
    let model = match &variant.weights {
        None => model,
        Some(source) => weights::load(model, source, dims, device)?,
    };
    let model = in_dtype(model, variant.precision.dtype);
    Ok(match variant.precision.quantize {
        None => model,
        Some(q) => {
            if let Some(why) = quantize::unsupported(&model, q) {
                return Err(BuildError::Quantized {
                    variant: variant.name.clone(),
                    why,
                });
            }
            quantize::quantize(model, q, device)
        }
    })
}

/// burn's dtype of a variant's.
pub fn float_dtype(dtype: Dtype) -> FloatDType {
    match dtype {
        Dtype::F32 => FloatDType::F32,
        Dtype::F16 => FloatDType::F16,
        Dtype::Bf16 => FloatDType::BF16,
    }
}

/// Builds a convolutional network on `device`, its weights drawn from the workload's seed and
/// the architecture (so every backend holds the same network).
pub fn build_conv(spec: &ConvSpec, workload: &ImageWorkload, device: &Device) -> ConvNet {
    let key = format!(
        "{}|conv|{}|{}|{}|{}|{}|{}",
        workload.seed,
        described(&spec.kind),
        spec.width,
        spec.blocks,
        workload.image_size,
        workload.in_channels,
        workload.classes
    );
    let mut init = init::WeightInit::new(stable_hash(key.as_bytes()), device);
    ConvNet::new(spec, workload, &mut init)
}

/// The next forward pass's input, made to depend on this pass's output: the ids do not change
/// (no logit exceeds f32::MAX), but no lazy backend can skip a pass or overlap it with the
/// next, so a timer stopped after a device sync measures the whole pass.
pub fn chained_input(tokens: Tensor<2, Int>, logits: Tensor<3>) -> Tensor<2, Int> {
    let [b, s] = tokens.dims();
    let dependency = logits
        .slice([0..1, 0..1, 0..1])
        .greater_elem(f32::MAX)
        .int()
        .reshape([1, 1])
        .expand([b, s]);
    tokens + dependency
}

/// The images' counterpart of [`chained_input`]: unchanged pixels (no logit exceeds f32::MAX)
/// that depend on the previous pass's logits.
pub fn chained_images(images: Tensor<4>, logits: Tensor<2>) -> Tensor<4> {
    let dims = images.dims();
    let dependency = logits
        .slice([0..1, 0..1])
        .greater_elem(f32::MAX)
        .float()
        .reshape([1, 1, 1, 1])
        .expand(dims);
    images + dependency
}

/// `variant`'s input for one forward pass: [`random_tokens`] or [`random_images`] drawn from
/// the suite's seed, or what a model of your own makes.
pub fn input(variant: &Variant, workload: &Workload, device: &Device) -> Result<Batch, BuildError> {
    Ok(match workload.samples() {
        Samples::Tokens(tokens) => Batch::Tokens(random_tokens(&tokens, device)),
        Samples::Images(images) => Batch::Images(random_images(&images, device)),
        Samples::Custom { batch, .. } => {
            Batch::Custom(custom_variant(variant, workload)?.input(device, batch))
        }
    })
}

/// A model of your own, found by its profile's number and its name.
pub fn custom_variant(
    variant: &Variant,
    workload: &Workload,
) -> Result<std::sync::Arc<dyn Registered>, BuildError> {
    match (variant.family, workload.samples()) {
        (Family::Custom, Samples::Custom { profile, .. }) => Ok(lookup(profile, &variant.name)?),
        _ => Err(Unregistered::NotOwnModel(variant.name.clone()).into()),
    }
}

/// `[batch, seq_len]` token ids drawn uniformly from the vocabulary with the suite's seed.
pub fn random_tokens(workload: &TokenWorkload, device: &Device) -> Tensor<2, Int> {
    let mut rng = StdRng::seed_from_u64(workload.seed);
    let ids: Vec<i64> = (0..workload.tokens())
        .map(|_| rng.random_range(0..workload.vocab as i64))
        .collect();
    Tensor::from_data(
        TensorData::new(ids, [workload.batch, workload.seq_len]),
        device,
    )
}
