//! A model of your own, profiled as effprof profiles its zoo: a two-layer MLP written here,
//! dense and block-sparse (its weights in 4 diagonal blocks: a quarter of the parameters and of
//! the FLOPs), counted from their recorded forward passes and timed side by side.
//!
//! `cargo run --example own_model` opens the TUI on them; `cargo run --example own_model --
//! bench --iters 5` prints the table `effprof bench` prints (`--help` for the rest).

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::gelu;
use effprof::custom::Profile;
use effprof::engine::heap::CountingAllocator;

const D: usize = 512;
const HIDDEN: usize = 2048;
const BLOCKS: usize = 4;

// Optional: counts heap bytes, so the engine can report what a forward pass allocates.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[derive(Module, Debug)]
struct Mlp {
    up: Linear,
    down: Linear,
}

impl Mlp {
    fn new(device: &Device) -> Self {
        Self {
            up: LinearConfig::new(D, HIDDEN).init(device),
            down: LinearConfig::new(HIDDEN, D).init(device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.down.forward(gelu(self.up.forward(x)))
    }
}

/// The same MLP with block-diagonal weights: each of the `BLOCKS` slices of the input feeds
/// only its own slice of the hidden layer.
#[derive(Module, Debug)]
struct BlockSparseMlp {
    up: Param<Tensor<3>>,
    down: Param<Tensor<3>>,
}

impl BlockSparseMlp {
    fn new(device: &Device) -> Self {
        let init = |shape: [usize; 3]| {
            let bound = 1.0 / (shape[1] as f64).sqrt();
            Param::from_tensor(Tensor::random(
                shape,
                Distribution::Uniform(-bound, bound),
                device,
            ))
        };
        Self {
            up: init([BLOCKS, D / BLOCKS, HIDDEN / BLOCKS]),
            down: init([BLOCKS, HIDDEN / BLOCKS, D / BLOCKS]),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let [n, d] = x.dims();
        let blocks = x.reshape([n, BLOCKS, d / BLOCKS]).swap_dims(0, 1);
        let hidden = gelu(blocks.matmul(self.up.val()));
        hidden
            .matmul(self.down.val())
            .swap_dims(0, 1)
            .reshape([n, d])
    }
}

fn main() -> std::process::ExitCode {
    let input = |device: &Device, batch: usize| {
        Tensor::<2>::random([batch, D], Distribution::Default, device)
    };
    let mut profile = Profile::new("mlp 512-2048-512", 64);
    profile
        .variant("dense", Mlp::new, input, |m, x| m.forward(x))
        .variant("block-sparse-4", BlockSparseMlp::new, input, |m, x| {
            m.forward(x)
        });
    profile.main()
}
