//! The vision zoo's layer programs ([`crate::vision`]) built as burn modules: one module per
//! layer of the program, run in its order, so what is counted is what runs. Batch norm runs in
//! inference mode from its running statistics; weights are drawn on the host from a seed, so
//! every backend builds the same network.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::{LayerNorm, Linear, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{gelu, relu, sigmoid, silu};
use burn::tensor::module::{attention, batch_norm, max_pool2d};
use burn::tensor::ops::{AttentionModuleOptions, MaxPoolOptions};

use super::init::WeightInit;
use crate::vision::{Act, Layer, Network};

/// Batch norm with its statistics held as constants: a weight and a bias per channel are the
/// parameters, as `nn.BatchNorm2d` counts them.
#[derive(Module, Debug)]
pub struct FrozenBatchNorm {
    gamma: Param<Tensor<1>>,
    beta: Param<Tensor<1>>,
    mean: Tensor<1>,
    var: Tensor<1>,
}

/// A layer without parameters: an activation, max pooling, global average pooling or the
/// class token's row.
#[derive(Module, Debug)]
pub struct Stateless {
    op: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
}

const RELU: usize = 0;
const RELU6: usize = 1;
const SILU: usize = 2;
const GELU: usize = 3;
const MAX_POOL: usize = 4;
const AVG_POOL: usize = 5;
const CLASS_TOKEN: usize = 6;

#[derive(Module, Debug)]
pub struct Residual {
    body: Vec<VisionOp>,
    shortcut: Vec<VisionOp>,
    /// An activation after the add ([`Stateless`] op), or none.
    after: Option<Stateless>,
}

#[derive(Module, Debug)]
pub struct SqueezeExcite {
    reduce: Conv2d,
    expand: Conv2d,
}

#[derive(Module, Debug)]
pub struct Patchify {
    conv: Conv2d,
    class_token: Param<Tensor<3>>,
    positions: Param<Tensor<3>>,
}

#[derive(Module, Debug)]
pub struct Encoder {
    norm1: LayerNorm,
    qkv: Linear,
    out: Linear,
    norm2: LayerNorm,
    up: Linear,
    down: Linear,
    heads: usize,
}

// A network holds a few dozen ops, built once: their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum VisionOp {
    Conv(Conv2d),
    Norm(FrozenBatchNorm),
    Stateless(Stateless),
    Residual(Residual),
    SqueezeExcite(SqueezeExcite),
    Linear(Linear),
    Patchify(Patchify),
    Encoder(Encoder),
    LayerNorm(LayerNorm),
}

/// What flows between the layers.
#[derive(Clone, Debug)]
pub enum Value {
    Map(Tensor<4>),
    Tokens(Tensor<3>),
    Vector(Tensor<2>),
}

impl Value {
    fn map(self) -> Tensor<4> {
        match self {
            Value::Map(t) => t,
            _ => panic!("the program was counted, so its shapes hold: a feature map here"),
        }
    }
}

/// A network of the vision zoo, built.
#[derive(Module, Debug)]
pub struct VisionNet {
    ops: Vec<VisionOp>,
}

fn conv(init: &mut WeightInit, layer: &Layer) -> Conv2d {
    let &Layer::Conv {
        cin,
        cout,
        kernel,
        stride,
        padding,
        groups,
        bias,
    } = layer
    else {
        unreachable!("called with convolutions only")
    };
    conv2d(init, cin, cout, kernel, stride, padding, groups, bias)
}

#[allow(clippy::too_many_arguments)]
fn conv2d(
    init: &mut WeightInit,
    cin: usize,
    cout: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    groups: usize,
    bias: bool,
) -> Conv2d {
    let fan_in = cin / groups * kernel * kernel;
    let bound = 1.0 / (fan_in as f32).sqrt();
    let values = init.uniform(cout * fan_in, bound);
    let bias = bias.then(|| {
        let b = init.uniform(cout, bound);
        Param::from_tensor(init.tensor(b, [cout]))
    });
    Conv2d {
        weight: Param::from_tensor(init.tensor(values, [cout, cin / groups, kernel, kernel])),
        bias,
        stride: [stride, stride],
        kernel_size: [kernel, kernel],
        dilation: [1, 1],
        groups,
        padding: PaddingConfig2d::Explicit(padding, padding, padding, padding),
    }
}

fn stateless(op: usize) -> Stateless {
    Stateless {
        op,
        kernel: 0,
        stride: 0,
        padding: 0,
    }
}

fn act_code(act: Act) -> usize {
    match act {
        Act::Relu => RELU,
        Act::Relu6 => RELU6,
        Act::Silu => SILU,
        Act::Gelu => GELU,
    }
}

fn build(init: &mut WeightInit, layer: &Layer) -> VisionOp {
    match layer {
        Layer::Conv { .. } => VisionOp::Conv(conv(init, layer)),
        &Layer::BatchNorm { channels } => {
            // Running statistics as a trained network has them: near 0 and 1, drawn, so the
            // normalisation is not the identity.
            let mean = init.uniform(channels, 0.1);
            let var: Vec<f32> = init
                .uniform(channels, 0.1)
                .into_iter()
                .map(|v| 1.0 + v)
                .collect();
            let gamma: Vec<f32> = init
                .uniform(channels, 0.1)
                .into_iter()
                .map(|v| 1.0 + v)
                .collect();
            let beta = init.uniform(channels, 0.1);
            VisionOp::Norm(FrozenBatchNorm {
                gamma: Param::from_tensor(init.tensor(gamma, [channels])),
                beta: Param::from_tensor(init.tensor(beta, [channels])),
                mean: init.tensor(mean, [channels]),
                var: init.tensor(var, [channels]),
            })
        }
        Layer::Act(a) => VisionOp::Stateless(stateless(act_code(*a))),
        &Layer::MaxPool {
            kernel,
            stride,
            padding,
        } => VisionOp::Stateless(Stateless {
            op: MAX_POOL,
            kernel,
            stride,
            padding,
        }),
        Layer::Residual {
            body,
            shortcut,
            after,
        } => VisionOp::Residual(Residual {
            body: body.iter().map(|l| build(init, l)).collect(),
            shortcut: shortcut.iter().map(|l| build(init, l)).collect(),
            after: after.map(|a| stateless(act_code(a))),
        }),
        &Layer::SqueezeExcite { channels, squeeze } => VisionOp::SqueezeExcite(SqueezeExcite {
            reduce: conv2d(init, channels, squeeze, 1, 1, 0, 1, true),
            expand: conv2d(init, squeeze, channels, 1, 1, 0, 1, true),
        }),
        Layer::GlobalAvgPool => VisionOp::Stateless(stateless(AVG_POOL)),
        &Layer::Linear { d_in, d_out, bias } => VisionOp::Linear(init.linear(d_in, d_out, bias)),
        &Layer::Patchify { cin, dim, patch } => VisionOp::Patchify(Patchify {
            conv: conv2d(init, cin, dim, patch, patch, 0, 1, true),
            class_token: Param::from_tensor(init.unit_variance([1, dim]).unsqueeze()),
            // The table is sized when the image size is known; see `VisionNet::new`.
            positions: Param::from_tensor(init.unit_variance([1, dim]).unsqueeze()),
        }),
        &Layer::Encoder { dim, heads, mlp } => VisionOp::Encoder(Encoder {
            norm1: init.layer_norm(dim),
            qkv: init.linear(dim, 3 * dim, true),
            out: init.linear(dim, dim, true),
            norm2: init.layer_norm(dim),
            up: init.linear(dim, mlp, true),
            down: init.linear(mlp, dim, true),
            heads,
        }),
        &Layer::LayerNorm { dim } => VisionOp::LayerNorm(init.layer_norm(dim)),
        Layer::ClassToken => VisionOp::Stateless(stateless(CLASS_TOKEN)),
    }
}

impl VisionNet {
    /// Builds `net` for square images of `image_size` pixels (a ViT's position table has one
    /// row per patch and the class token).
    pub fn new(net: &Network, image_size: usize, init: &mut WeightInit) -> Self {
        let ops = net
            .layers
            .iter()
            .map(|layer| {
                let mut op = build(init, layer);
                if let (VisionOp::Patchify(p), Layer::Patchify { dim, patch, .. }) =
                    (&mut op, layer)
                {
                    let tokens = (image_size / patch) * (image_size / patch) + 1;
                    p.positions =
                        Param::from_tensor(init.unit_variance([tokens, *dim]).unsqueeze());
                }
                op
            })
            .collect();
        Self { ops }
    }

    /// `[N, C, H, W]` images to `[N, classes]` logits.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        match run(&self.ops, Value::Map(images)) {
            Value::Vector(logits) => logits,
            _ => panic!("every program of the zoo ends in a linear head"),
        }
    }
}

/// A layer of the network as a function of its input, for [`VisionNet::walk_leaves`].
pub type Leaf<'a> = &'a dyn Fn(Value) -> Value;

impl VisionNet {
    /// Runs the network on `images` one layer at a time, in the order and the split of
    /// [`crate::cost::vision_leaf_costs`] (a residual block as the layers of its body and
    /// shortcut, then its add): `visit` gets each layer and its input, and returns the layer's
    /// output for the next.
    pub fn walk_leaves<E>(
        &self,
        images: Tensor<4>,
        visit: &mut dyn FnMut(Leaf<'_>, Value) -> Result<Value, E>,
    ) -> Result<(), E> {
        walk(&self.ops, Value::Map(images), visit).map(drop)
    }
}

fn walk<E>(
    ops: &[VisionOp],
    mut x: Value,
    visit: &mut dyn FnMut(Leaf<'_>, Value) -> Result<Value, E>,
) -> Result<Value, E> {
    for op in ops {
        x = match op {
            VisionOp::Residual(r) => {
                let main = walk(&r.body, x.clone(), visit)?;
                let side = walk(&r.shortcut, x, visit)?.map();
                let add = move |main: Value| {
                    let sum = Value::Map(main.map() + side.clone());
                    match &r.after {
                        Some(a) => activate(a.op, sum),
                        None => sum,
                    }
                };
                visit(&add, main)?
            }
            _ => visit(&|x| step(op, x), x)?,
        };
    }
    Ok(x)
}

fn run(ops: &[VisionOp], x: Value) -> Value {
    ops.iter().fold(x, |x, op| step(op, x))
}

fn activate(op: usize, x: Value) -> Value {
    let f = |t: Tensor<4>| match op {
        RELU => relu(t),
        RELU6 => t.clamp(0.0, 6.0),
        SILU => silu(t),
        _ => gelu(t),
    };
    match x {
        Value::Map(t) => Value::Map(f(t)),
        other => other,
    }
}

fn step(op: &VisionOp, x: Value) -> Value {
    match op {
        VisionOp::Conv(c) => Value::Map(c.forward(x.map())),
        VisionOp::Norm(bn) => Value::Map(batch_norm(
            x.map(),
            bn.gamma.val(),
            bn.beta.val(),
            bn.mean.clone(),
            bn.var.clone(),
            1e-5,
        )),
        VisionOp::Stateless(s) => match s.op {
            MAX_POOL => Value::Map(max_pool2d(
                x.map(),
                MaxPoolOptions::new([s.kernel, s.kernel])
                    .with_stride([s.stride, s.stride])
                    .with_padding([s.padding, s.padding]),
            )),
            AVG_POOL => {
                let t = x.map();
                let [n, c, _, _] = t.dims();
                Value::Vector(t.mean_dim(3).mean_dim(2).reshape([n, c]))
            }
            CLASS_TOKEN => match x {
                Value::Tokens(t) => {
                    let [n, _, d] = t.dims();
                    Value::Vector(t.narrow(1, 0, 1).reshape([n, d]))
                }
                other => other,
            },
            act => activate(act, x),
        },
        VisionOp::Residual(r) => {
            let input = x.map();
            let body = run(&r.body, Value::Map(input.clone())).map();
            let shortcut = run(&r.shortcut, Value::Map(input)).map();
            let sum = Value::Map(body + shortcut);
            match &r.after {
                Some(a) => activate(a.op, sum),
                None => sum,
            }
        }
        VisionOp::SqueezeExcite(se) => {
            let t = x.map();
            let pooled = t.clone().mean_dim(3).mean_dim(2);
            let scale = sigmoid(se.expand.forward(silu(se.reduce.forward(pooled))));
            Value::Map(t * scale)
        }
        VisionOp::Linear(l) => match x {
            Value::Vector(v) => Value::Vector(l.forward(v)),
            Value::Tokens(t) => Value::Tokens(l.forward(t)),
            Value::Map(_) => panic!("a linear layer takes vectors or tokens"),
        },
        VisionOp::Patchify(p) => {
            let patches = p.conv.forward(x.map());
            let [n, d, h, w] = patches.dims();
            let tokens = patches.reshape([n, d, h * w]).swap_dims(1, 2);
            let class = p.class_token.val().expand([n, 1, d]);
            Value::Tokens(Tensor::cat(vec![class, tokens], 1) + p.positions.val())
        }
        VisionOp::Encoder(e) => {
            let Value::Tokens(x) = x else {
                panic!("an encoder layer takes tokens")
            };
            let [n, t, d] = x.dims();
            let (h, dh) = (e.heads, d / e.heads);
            let qkv = e.qkv.forward(e.norm1.forward(x.clone()));
            let heads = |i: usize| {
                qkv.clone()
                    .narrow(2, i * d, d)
                    .reshape([n, t, h, dh])
                    .swap_dims(1, 2)
            };
            let context = attention(
                heads(0),
                heads(1),
                heads(2),
                None,
                None,
                AttentionModuleOptions::default(),
            );
            let x = x + e.out.forward(context.swap_dims(1, 2).reshape([n, t, d]));
            let mlp = e
                .down
                .forward(gelu(e.up.forward(e.norm2.forward(x.clone()))));
            Value::Tokens(x + mlp)
        }
        VisionOp::LayerNorm(ln) => match x {
            Value::Tokens(t) => Value::Tokens(ln.forward(t)),
            other => other,
        },
    }
}
