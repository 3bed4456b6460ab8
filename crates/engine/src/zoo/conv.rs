//! The convolutional family as a burn model: a 3x3 stem, residual blocks of standard,
//! depthwise-separable or grouped 3x3 convolutions at full resolution, global average pooling
//! and a linear classifier. Weights come from the host with a seed, as for the transformers, so
//! every backend holds the same network. Suite files take it from a later version; the cost
//! model counts the same layers (`cost::conv_layer_costs`).

use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::init::WeightInit;
use crate::arch::ImageWorkload;
use crate::family::{ConvKind, ConvSpec};

/// One residual unit's convolutions: one 3x3, or a depthwise 3x3 then a pointwise 1x1.
#[derive(Module, Debug)]
pub struct ConvUnit {
    convs: Vec<Conv2d>,
}

impl ConvUnit {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.convs.iter().fold(x, |x, c| c.forward(x))
    }
}

#[derive(Module, Debug)]
pub struct ResidualBlock {
    first: ConvUnit,
    second: ConvUnit,
}

#[derive(Module, Debug)]
pub struct ConvNet {
    stem: Conv2d,
    blocks: Vec<ResidualBlock>,
    head: burn::nn::Linear,
}

/// A bias-free, stride-1, "same"-padded convolution with PyTorch's default initialisation
/// (U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
fn conv(init: &mut WeightInit, cin: usize, cout: usize, k: usize, groups: usize) -> Conv2d {
    let fan_in = cin / groups * k * k;
    let values = init.uniform(cout * fan_in, 1.0 / (fan_in as f32).sqrt());
    Conv2d {
        weight: Param::from_tensor(init.tensor(values, [cout, cin / groups, k, k])),
        bias: None,
        stride: [1, 1],
        kernel_size: [k, k],
        dilation: [1, 1],
        groups,
        padding: PaddingConfig2d::Same,
    }
}

fn unit(init: &mut WeightInit, kind: ConvKind, width: usize) -> ConvUnit {
    let convs = match kind {
        ConvKind::Standard => vec![conv(init, width, width, 3, 1)],
        ConvKind::DepthwiseSeparable => vec![
            conv(init, width, width, 3, width),
            conv(init, width, width, 1, 1),
        ],
        ConvKind::Grouped { groups } => vec![conv(init, width, width, 3, groups)],
    };
    ConvUnit { convs }
}

impl ConvNet {
    pub fn new(spec: &ConvSpec, workload: &ImageWorkload, init: &mut WeightInit) -> Self {
        let width = spec.width;
        Self {
            stem: conv(init, workload.in_channels, width, 3, 1),
            blocks: (0..spec.blocks)
                .map(|_| ResidualBlock {
                    first: unit(init, spec.kind, width),
                    second: unit(init, spec.kind, width),
                })
                .collect(),
            head: init.linear(width, workload.classes, true),
        }
    }

    /// `images`: `[batch, in_channels, size, size]`; returns `[batch, classes]` logits.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = (0..self.blocks.len()).fold(self.stem(images), |x, i| self.block(i, x));
        self.head(x)
    }

    /// Residual blocks, for timing each alone.
    pub fn n_blocks(&self) -> usize {
        self.blocks.len()
    }

    /// The stem and its ReLU: `[batch, width, size, size]`.
    pub fn stem(&self, images: Tensor<4>) -> Tensor<4> {
        relu(self.stem.forward(images))
    }

    /// Residual block `index`: unit, ReLU, unit, add, ReLU.
    pub fn block(&self, index: usize, x: Tensor<4>) -> Tensor<4> {
        let b = &self.blocks[index];
        let y = relu(b.first.forward(x.clone()));
        relu(b.second.forward(y) + x)
    }

    /// Global average pooling and the classifier: `[batch, classes]` logits.
    pub fn head(&self, x: Tensor<4>) -> Tensor<2> {
        let [n, c, _, _] = x.dims();
        let pooled = x.mean_dim(3).mean_dim(2).reshape([n, c]);
        self.head.forward(pooled)
    }
}

/// `[batch, in_channels, size, size]` pixels from U(-1, 1), drawn from the workload's seed.
pub fn random_images(workload: &ImageWorkload, device: &Device) -> Tensor<4> {
    let shape = [
        workload.batch,
        workload.in_channels,
        workload.image_size,
        workload.image_size,
    ];
    let mut init = WeightInit::new(workload.seed, device);
    let values = init.uniform(shape.iter().product(), 1.0);
    init.tensor(values, shape)
}
