//! Seeded weights made on the host, so every backend builds bit-identical models from one seed.

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A stable 64-bit hash (FNV-1a), so a variant's seed does not change between builds.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub struct WeightInit {
    rng: StdRng,
    device: Device,
    /// Shapes alone: every weight a tensor of zeros made on the device, so a model is counted
    /// without its values (on the capture device, a recorded op that holds no data).
    shapes_only: bool,
}

impl WeightInit {
    pub fn new(seed: u64, device: &Device) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            device: device.clone(),
            shapes_only: false,
        }
    }

    /// Weights of the right shapes and no values drawn.
    pub fn shapes(device: &Device) -> Self {
        Self {
            shapes_only: true,
            ..Self::new(0, device)
        }
    }

    pub fn is_shapes_only(&self) -> bool {
        self.shapes_only
    }

    /// A weight of `shape` drawn from U(-bound, bound), or zeros when only shapes are wanted.
    pub fn drawn<const D: usize>(&mut self, shape: [usize; D], bound: f32) -> Tensor<D> {
        if self.shapes_only {
            return Tensor::zeros(shape, &self.device);
        }
        let values = self.uniform(shape.iter().product(), bound);
        self.tensor(values, shape)
    }

    /// `n` values from U(-bound, bound).
    pub fn uniform(&mut self, n: usize, bound: f32) -> Vec<f32> {
        (0..n)
            .map(|_| self.rng.random_range(-bound..=bound))
            .collect()
    }

    pub fn tensor<const D: usize>(&self, values: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
        Tensor::from_data(TensorData::new(values, shape), &self.device)
    }

    /// PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
    pub fn linear_weights(&mut self, d_in: usize, d_out: usize) -> Vec<f32> {
        self.uniform(d_in * d_out, fan_in_bound(d_in))
    }

    pub fn bias_values(&mut self, d_in: usize, d_out: usize) -> Vec<f32> {
        self.uniform(d_out, fan_in_bound(d_in))
    }

    pub fn bias(&mut self, d_in: usize, d_out: usize) -> Tensor<1> {
        let values = self.bias_values(d_in, d_out);
        self.tensor(values, [d_out])
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Linear(d_in, d_out) from weights already drawn (row-major `[d_in, d_out]`).
    pub fn linear_from(
        &mut self,
        weights: Vec<f32>,
        d_in: usize,
        d_out: usize,
        bias: bool,
    ) -> Linear {
        let weight = Param::from_tensor(self.tensor(weights, [d_in, d_out]));
        let bias = bias.then(|| Param::from_tensor(self.bias(d_in, d_out)));
        Linear { weight, bias }
    }

    pub fn linear(&mut self, d_in: usize, d_out: usize, bias: bool) -> Linear {
        if self.shapes_only {
            let bound = fan_in_bound(d_in);
            return Linear {
                weight: Param::from_tensor(self.drawn([d_in, d_out], bound)),
                bias: bias.then(|| Param::from_tensor(self.drawn([d_out], bound))),
            };
        }
        let weights = self.linear_weights(d_in, d_out);
        self.linear_from(weights, d_in, d_out, bias)
    }

    /// Unit-variance values; uniform rather than normal, which needs no extra crate and trains
    /// the same at these sizes.
    pub fn embedding(&mut self, rows: usize, d: usize) -> Embedding {
        Embedding {
            weight: Param::from_tensor(self.unit_variance([rows, d])),
        }
    }

    pub fn unit_variance(&mut self, shape: [usize; 2]) -> Tensor<2> {
        self.drawn(shape, 3f32.sqrt())
    }

    pub fn layer_norm(&self, d: usize) -> LayerNorm {
        LayerNormConfig::new(d).init(&self.device)
    }

    pub fn layer_norm_eps(&self, d: usize, eps: f64) -> LayerNorm {
        LayerNormConfig::new(d).with_epsilon(eps).init(&self.device)
    }
}

fn fan_in_bound(fan_in: usize) -> f32 {
    1.0 / (fan_in as f32).sqrt()
}
