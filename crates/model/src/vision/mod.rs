//! The paper's vision zoo as layer programs: ResNet-18 and -50, MobileNetV2, EfficientNet-B0
//! and ViT-B at their torchvision shapes, scaled by a width and a depth multiplier (and, for
//! ViT, a patch size). One program describes a network; the cost model counts it and the zoo
//! builds it, so the two cannot drift apart. Plain data: nothing here counts or touches burn.

use serde::{Deserialize, Serialize};

/// A network of the zoo, by its torchvision name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Resnet18,
    Resnet50,
    MobilenetV2,
    EfficientnetB0,
    VitB16,
    VitB32,
}

impl Preset {
    pub const ALL: [(&'static str, Preset); 6] = [
        ("resnet18", Preset::Resnet18),
        ("resnet50", Preset::Resnet50),
        ("mobilenet_v2", Preset::MobilenetV2),
        ("efficientnet_b0", Preset::EfficientnetB0),
        ("vit_b_16", Preset::VitB16),
        ("vit_b_32", Preset::VitB32),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(n, _)| *n)
            .expect("every preset is named")
    }
}

/// A preset with its overrides.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisionSpec {
    pub preset: Preset,
    /// Channels (ViT: the hidden size and the MLP) scaled by this, rounded as torchvision
    /// rounds them (to a multiple of 8 for MobileNetV2 and EfficientNet).
    pub width_mult: f64,
    /// Blocks per stage (ViT: encoder layers) scaled by this, rounded up.
    pub depth_mult: f64,
    /// ViT only: the side of a square patch; the preset's (16 or 32) when absent.
    pub patch_size: Option<usize>,
}

impl VisionSpec {
    pub fn of(preset: Preset) -> Self {
        VisionSpec {
            preset,
            width_mult: 1.0,
            depth_mult: 1.0,
            patch_size: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    Relu,
    Relu6,
    Silu,
    Gelu,
}

/// One step of a network, in order. Shapes follow from the input image.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    /// `Conv2d(cin, cout, kernel, stride, padding, groups, bias)`.
    Conv {
        cin: usize,
        cout: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        groups: usize,
        bias: bool,
    },
    /// BatchNorm2d in inference mode: a weight and a bias per channel.
    BatchNorm {
        channels: usize,
    },
    Act(Act),
    MaxPool {
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    /// `body`, plus `shortcut` (the identity when empty) added to it, then `after`.
    Residual {
        body: Vec<Layer>,
        shortcut: Vec<Layer>,
        after: Option<Act>,
    },
    /// torchvision's SqueezeExcitation: average pool, 1x1 conv to `squeeze` (bias), SiLU, 1x1
    /// conv back (bias), sigmoid, scale.
    SqueezeExcite {
        channels: usize,
        squeeze: usize,
    },
    /// Global average pooling and flatten: `[N, C, H, W]` to `[N, C]`.
    GlobalAvgPool,
    Linear {
        d_in: usize,
        d_out: usize,
        bias: bool,
    },
    /// ViT's patch embedding (a `patch`-strided conv with bias), the class token prepended and
    /// learned positions added: `[N, C, H, W]` to `[N, 1 + (H/patch)(W/patch), dim]`.
    Patchify {
        cin: usize,
        dim: usize,
        patch: usize,
    },
    /// A pre-LN encoder layer: LayerNorm, multi-head self-attention (a joint QKV projection
    /// with bias, as `nn.MultiheadAttention`), residual, LayerNorm, MLP with GELU, residual.
    Encoder {
        dim: usize,
        heads: usize,
        mlp: usize,
    },
    LayerNorm {
        dim: usize,
    },
    /// The class token's row: `[N, T, dim]` to `[N, dim]`.
    ClassToken,
}

/// A network of the zoo: its layers, from images of `in_channels` to `classes` logits.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub layers: Vec<Layer>,
    pub in_channels: usize,
    pub classes: usize,
}

/// torchvision's `_make_divisible`: `v` to the nearest multiple of `divisor`, never below
/// `divisor` nor more than 10% under `v`.
pub fn make_divisible(v: f64, divisor: usize) -> usize {
    let d = divisor as f64;
    let mut new = (d).max(((v + d / 2.0) / d).floor() * d);
    if new < 0.9 * v {
        new += d;
    }
    new as usize
}

fn conv(cin: usize, cout: usize, kernel: usize, stride: usize, groups: usize) -> Layer {
    Layer::Conv {
        cin,
        cout,
        kernel,
        stride,
        padding: (kernel - 1) / 2,
        groups,
        bias: false,
    }
}

/// Conv (no bias), BatchNorm and an activation: torchvision's `Conv2dNormActivation`.
fn conv_bn(
    cin: usize,
    cout: usize,
    kernel: usize,
    stride: usize,
    groups: usize,
    act: Option<Act>,
) -> Vec<Layer> {
    let mut v = vec![
        conv(cin, cout, kernel, stride, groups),
        Layer::BatchNorm { channels: cout },
    ];
    v.extend(act.map(Layer::Act));
    v
}

fn scaled(blocks: usize, depth_mult: f64) -> usize {
    ((blocks as f64 * depth_mult).ceil() as usize).max(1)
}

/// The network of `spec` for images of `in_channels` into `classes`.
pub fn network(spec: &VisionSpec, in_channels: usize, classes: usize) -> Network {
    let layers = match spec.preset {
        Preset::Resnet18 => resnet(spec, false, [2, 2, 2, 2], in_channels, classes),
        Preset::Resnet50 => resnet(spec, true, [3, 4, 6, 3], in_channels, classes),
        Preset::MobilenetV2 => mobilenet_v2(spec, in_channels, classes),
        Preset::EfficientnetB0 => efficientnet(spec, in_channels, classes),
        Preset::VitB16 => vit(spec, 16, in_channels, classes),
        Preset::VitB32 => vit(spec, 32, in_channels, classes),
    };
    Network {
        layers,
        in_channels,
        classes,
    }
}

/// torchvision's ResNet (v1.5: the stride in the 3x3 of a bottleneck).
fn resnet(
    spec: &VisionSpec,
    bottleneck: bool,
    blocks: [usize; 4],
    in_channels: usize,
    classes: usize,
) -> Vec<Layer> {
    let w = |c: usize| ((c as f64 * spec.width_mult).round() as usize).max(1);
    let expansion = if bottleneck { 4 } else { 1 };
    let stem = w(64);
    let mut layers = vec![
        Layer::Conv {
            cin: in_channels,
            cout: stem,
            kernel: 7,
            stride: 2,
            padding: 3,
            groups: 1,
            bias: false,
        },
        Layer::BatchNorm { channels: stem },
        Layer::Act(Act::Relu),
        Layer::MaxPool {
            kernel: 3,
            stride: 2,
            padding: 1,
        },
    ];
    let mut cin = stem;
    for (stage, (&base, &n)) in [64, 128, 256, 512].iter().zip(&blocks).enumerate() {
        let width = w(base);
        let cout = width * expansion;
        for b in 0..scaled(n, spec.depth_mult) {
            let stride = if stage > 0 && b == 0 { 2 } else { 1 };
            let body = if bottleneck {
                [
                    conv_bn(cin, width, 1, 1, 1, Some(Act::Relu)),
                    conv_bn(width, width, 3, stride, 1, Some(Act::Relu)),
                    conv_bn(width, cout, 1, 1, 1, None),
                ]
                .concat()
            } else {
                [
                    conv_bn(cin, width, 3, stride, 1, Some(Act::Relu)),
                    conv_bn(width, cout, 3, 1, 1, None),
                ]
                .concat()
            };
            let shortcut = if stride != 1 || cin != cout {
                conv_bn(cin, cout, 1, stride, 1, None)
            } else {
                Vec::new()
            };
            layers.push(Layer::Residual {
                body,
                shortcut,
                after: Some(Act::Relu),
            });
            cin = cout;
        }
    }
    layers.push(Layer::GlobalAvgPool);
    layers.push(Layer::Linear {
        d_in: cin,
        d_out: classes,
        bias: true,
    });
    layers
}

/// torchvision's MobileNetV2: inverted residuals with ReLU6.
fn mobilenet_v2(spec: &VisionSpec, in_channels: usize, classes: usize) -> Vec<Layer> {
    // (expand ratio t, channels c, blocks n, stride s)
    const SETTING: [(usize, usize, usize, usize); 7] = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ];
    let wm = spec.width_mult;
    let mut cin = make_divisible(32.0 * wm, 8);
    let last = make_divisible(1280.0 * wm.max(1.0), 8);
    let mut layers = conv_bn(in_channels, cin, 3, 2, 1, Some(Act::Relu6));
    for (t, c, n, s) in SETTING {
        let cout = make_divisible(c as f64 * wm, 8);
        for b in 0..scaled(n, spec.depth_mult) {
            let stride = if b == 0 { s } else { 1 };
            let hidden = (cin as f64 * t as f64).round() as usize;
            let mut body = Vec::new();
            if t != 1 {
                body.extend(conv_bn(cin, hidden, 1, 1, 1, Some(Act::Relu6)));
            }
            body.extend(conv_bn(hidden, hidden, 3, stride, hidden, Some(Act::Relu6)));
            body.extend(conv_bn(hidden, cout, 1, 1, 1, None));
            push_block(&mut layers, body, stride == 1 && cin == cout);
            cin = cout;
        }
    }
    layers.extend(classifier(cin, last, Act::Relu6, classes));
    layers
}

/// An inverted-residual block: its body, added to its input when `residual`.
fn push_block(layers: &mut Vec<Layer>, body: Vec<Layer>, residual: bool) {
    if residual {
        layers.push(Layer::Residual {
            body,
            shortcut: Vec::new(),
            after: None,
        });
    } else {
        layers.extend(body);
    }
}

/// The last 1x1 convolution to `last` channels, pooling and the linear classifier.
fn classifier(cin: usize, last: usize, act: Act, classes: usize) -> Vec<Layer> {
    let mut layers = conv_bn(cin, last, 1, 1, 1, Some(act));
    layers.push(Layer::GlobalAvgPool);
    layers.push(Layer::Linear {
        d_in: last,
        d_out: classes,
        bias: true,
    });
    layers
}

/// torchvision's EfficientNet-B0 stage table, with MBConv blocks (squeeze-and-excitation,
/// SiLU); stochastic depth is the identity at inference.
fn efficientnet(spec: &VisionSpec, in_channels: usize, classes: usize) -> Vec<Layer> {
    // (expand ratio, kernel, stride, input channels, output channels, blocks)
    const B0: [(usize, usize, usize, usize, usize, usize); 7] = [
        (1, 3, 1, 32, 16, 1),
        (6, 3, 2, 16, 24, 2),
        (6, 5, 2, 24, 40, 2),
        (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3),
        (6, 5, 2, 112, 192, 4),
        (6, 3, 1, 192, 320, 1),
    ];
    let ch = |c: usize| make_divisible(c as f64 * spec.width_mult, 8);
    let stem = ch(B0[0].3);
    let mut layers = conv_bn(in_channels, stem, 3, 2, 1, Some(Act::Silu));
    let mut cin = stem;
    for (expand, kernel, s, _, out, n) in B0 {
        let cout = ch(out);
        for b in 0..scaled(n, spec.depth_mult) {
            let stride = if b == 0 { s } else { 1 };
            let hidden = make_divisible(cin as f64 * expand as f64, 8);
            let mut body = Vec::new();
            if hidden != cin {
                body.extend(conv_bn(cin, hidden, 1, 1, 1, Some(Act::Silu)));
            }
            body.extend(conv_bn(
                hidden,
                hidden,
                kernel,
                stride,
                hidden,
                Some(Act::Silu),
            ));
            body.push(Layer::SqueezeExcite {
                channels: hidden,
                squeeze: (cin / 4).max(1),
            });
            body.extend(conv_bn(hidden, cout, 1, 1, 1, None));
            push_block(&mut layers, body, stride == 1 && cin == cout);
            cin = cout;
        }
    }
    layers.extend(classifier(cin, 4 * cin, Act::Silu, classes));
    layers
}

/// torchvision's ViT-B: hidden 768, 12 heads, MLP 3072, 12 layers.
fn vit(spec: &VisionSpec, default_patch: usize, in_channels: usize, classes: usize) -> Vec<Layer> {
    let heads = 12;
    // Width scales the head size, so the hidden size stays a multiple of the heads.
    let head_dim = ((64.0 * spec.width_mult).round() as usize).max(1);
    let dim = heads * head_dim;
    let mlp = 4 * dim;
    let mut layers = vec![Layer::Patchify {
        cin: in_channels,
        dim,
        patch: spec.patch_size.unwrap_or(default_patch),
    }];
    for _ in 0..scaled(12, spec.depth_mult) {
        layers.push(Layer::Encoder { dim, heads, mlp });
    }
    layers.extend([
        Layer::LayerNorm { dim },
        Layer::ClassToken,
        Layer::Linear {
            d_in: dim,
            d_out: classes,
            bias: true,
        },
    ]);
    layers
}

/// The part of a network that a layer (not a residual block, whose body is split into its
/// layers) belongs to on the roofline: layers of one kind together, so that depthwise
/// convolutions, pointwise ones and the memory-only steps between them are placed apart.
pub fn part(layer: &Layer) -> &'static str {
    match layer {
        Layer::Conv { groups, cin, .. } if *groups > 1 && groups == cin => "depthwise",
        Layer::Conv { kernel: 1, .. } => "conv 1x1",
        Layer::Conv { .. } => "conv",
        Layer::BatchNorm { .. } | Layer::Act(_) => "bn + act",
        Layer::MaxPool { .. } | Layer::GlobalAvgPool => "pooling",
        Layer::Residual { .. } => RESIDUAL_ADD,
        Layer::SqueezeExcite { .. } => "squeeze-excite",
        Layer::Patchify { .. } => "patchify",
        Layer::Encoder { .. } => "encoder",
        Layer::Linear { .. } | Layer::LayerNorm { .. } | Layer::ClassToken => "norm + head",
    }
}

/// The part of a residual block's add (and the activation after it).
pub const RESIDUAL_ADD: &str = "residual add";
