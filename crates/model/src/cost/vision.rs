//! Counts of the vision zoo's layer programs ([`crate::vision`]): parameters as
//! `sum(p.numel())`, FLOPs as `FlopCounterMode` counts the torchvision model (convolutions,
//! linears and attention's matmuls; batch norm, activations, pooling, squeeze-and-excitation's
//! sigmoid and scaling, and residual adds 0), and the bytes each op reads and writes. One row
//! per top-level layer of the program.

use super::F32_BYTES;
use super::row::{LayerCost, LayerKind, OpCounts, Row};
use crate::vision::{Layer, Network};

/// The activation flowing between layers: a feature map, a token sequence, or a vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Map { c: u64, h: u64, w: u64 },
    Tokens { t: u64, d: u64 },
    Vector { d: u64 },
}

impl Shape {
    /// Elements per sample.
    fn numel(self) -> u64 {
        match self {
            Shape::Map { c, h, w } => c * h * w,
            Shape::Tokens { t, d } => t * d,
            Shape::Vector { d } => d,
        }
    }
}

/// Why a program cannot run on an image of the size asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(pub String);

/// Counts `net` on `batch` square images of `image_size` pixels: one row per top-level layer.
pub fn vision_layer_costs(
    net: &Network,
    batch: usize,
    image_size: usize,
) -> Result<Vec<LayerCost>, ShapeError> {
    let n = batch as u64;
    let mut shape = Shape::Map {
        c: net.in_channels as u64,
        h: image_size as u64,
        w: image_size as u64,
    };
    let mut rows = Vec::with_capacity(net.layers.len());
    for (i, layer) in net.layers.iter().enumerate() {
        let mut row = Row::new(format!("{i}.{}", name(layer)), kind(layer));
        shape = count(layer, shape, n, &mut row)?;
        rows.push(row.finish());
    }
    Ok(rows)
}

/// Counts `net` as [`vision_layer_costs`] does, one row per layer with a residual block split
/// into the layers of its body and shortcut and its add, each labelled with its
/// [`part`](crate::vision::part), in the order they run.
pub fn vision_leaf_costs(
    net: &Network,
    batch: usize,
    image_size: usize,
) -> Result<Vec<(&'static str, LayerCost)>, ShapeError> {
    let input = Shape::Map {
        c: net.in_channels as u64,
        h: image_size as u64,
        w: image_size as u64,
    };
    let mut rows = Vec::new();
    leaves(&net.layers, input, batch as u64, &mut rows)?;
    Ok(rows)
}

fn leaves(
    layers: &[Layer],
    mut shape: Shape,
    n: u64,
    rows: &mut Vec<(&'static str, LayerCost)>,
) -> Result<Shape, ShapeError> {
    for layer in layers {
        shape = match layer {
            Layer::Residual {
                body,
                shortcut,
                after,
            } => {
                let main = leaves(body, shape, n, rows)?;
                let side = leaves(shortcut, shape, n, rows)?;
                let mut row = Row::new(format!("{}.add", rows.len()), LayerKind::Conv);
                let out = count_add(shape, main, side, after.is_some(), n, &mut row)?;
                rows.push((crate::vision::RESIDUAL_ADD, row.finish()));
                out
            }
            _ => {
                let mut row = Row::new(format!("{}.{}", rows.len(), name(layer)), kind(layer));
                let out = count(layer, shape, n, &mut row)?;
                rows.push((crate::vision::part(layer), row.finish()));
                out
            }
        };
    }
    Ok(shape)
}

/// A residual block's add of `side` to `main` (and the activation after it when `act`), on a
/// block whose input is `input`.
fn count_add(
    input: Shape,
    main: Shape,
    side: Shape,
    act: bool,
    n: u64,
    row: &mut Row,
) -> Result<Shape, ShapeError> {
    if main != side {
        return Err(ShapeError(format!("a residual adds {main:?} to {side:?}")));
    }
    row.op(OpCounts::memory(2 * n * main.numel(), n * main.numel()));
    if act {
        row.op(OpCounts::memory(n * main.numel(), n * main.numel()));
    }
    // The block's input is held for the shortcut while the body runs.
    row.peak(n * (input.numel() + 2 * main.numel()));
    Ok(main)
}

fn name(layer: &Layer) -> &'static str {
    match layer {
        Layer::Conv { groups, cin, .. } if *groups > 1 && groups == cin => "dwconv",
        Layer::Conv { .. } => "conv",
        Layer::BatchNorm { .. } => "bn",
        Layer::Act(_) => "act",
        Layer::MaxPool { .. } => "maxpool",
        Layer::Residual { .. } => "block",
        Layer::SqueezeExcite { .. } => "se",
        Layer::GlobalAvgPool => "avgpool",
        Layer::Linear { .. } => "head",
        Layer::Patchify { .. } => "patchify",
        Layer::Encoder { .. } => "encoder",
        Layer::LayerNorm { .. } => "norm",
        Layer::ClassToken => "class_token",
    }
}

fn kind(layer: &Layer) -> LayerKind {
    match layer {
        Layer::Linear { .. } => LayerKind::Head,
        Layer::Encoder { .. } => LayerKind::Attention,
        Layer::LayerNorm { .. } => LayerKind::Norm,
        Layer::Patchify { .. } => LayerKind::Embedding,
        _ => LayerKind::Conv,
    }
}

fn out_size(size: u64, kernel: u64, stride: u64, padding: u64) -> Option<u64> {
    (size + 2 * padding)
        .checked_sub(kernel)
        .map(|room| room / stride + 1)
}

/// Adds `layer`'s parameters, FLOPs and traffic on `n` samples of `shape` to `row`; returns
/// the shape it produces.
fn count(layer: &Layer, shape: Shape, n: u64, row: &mut Row) -> Result<Shape, ShapeError> {
    let b = F32_BYTES;
    let map = |s: Shape| match s {
        Shape::Map { c, h, w } => Ok((c, h, w)),
        other => Err(ShapeError(format!(
            "a feature map was expected and the layer before produced {other:?}"
        ))),
    };
    Ok(match layer {
        &Layer::Conv {
            cin,
            cout,
            kernel,
            stride,
            padding,
            groups,
            bias,
        } => {
            let (c, h, w) = map(shape)?;
            let (cin, cout, k, g) = (cin as u64, cout as u64, kernel as u64, groups as u64);
            if c != cin {
                return Err(ShapeError(format!(
                    "a convolution of {cin} input channels met {c}"
                )));
            }
            let too_small = || {
                ShapeError(format!(
                    "the image is too small: a {k}x{k} convolution meets a {h}x{w} map"
                ))
            };
            let ho = out_size(h, k, stride as u64, padding as u64).ok_or_else(too_small)?;
            let wo = out_size(w, k, stride as u64, padding as u64).ok_or_else(too_small)?;
            let weights = cout * (cin / g) * k * k;
            let bias_n = if bias { cout } else { 0 };
            let flops = 2 * n * ho * wo * weights;
            row.op(OpCounts {
                weight_bytes: (weights + bias_n) * b,
                ..OpCounts::flops(flops)
            })
            .op(OpCounts::memory(n * c * h * w, n * cout * ho * wo));
            row.params(weights + bias_n, weights + bias_n, (weights + bias_n) * b);
            let out = Shape::Map {
                c: cout,
                h: ho,
                w: wo,
            };
            row.peak(n * (shape.numel() + out.numel()));
            out
        }
        &Layer::BatchNorm { channels } => {
            let c = channels as u64;
            row.op(OpCounts {
                weight_bytes: 4 * c * b,
                ..OpCounts::memory(n * shape.numel(), n * shape.numel())
            });
            row.params(2 * c, 2 * c, 2 * c * b);
            row.peak(2 * n * shape.numel());
            shape
        }
        Layer::Act(_) => {
            row.op(OpCounts::memory(n * shape.numel(), n * shape.numel()));
            row.peak(2 * n * shape.numel());
            shape
        }
        &Layer::MaxPool {
            kernel,
            stride,
            padding,
        } => {
            let (c, h, w) = map(shape)?;
            let (k, s, p) = (kernel as u64, stride as u64, padding as u64);
            let too_small = || ShapeError(format!("the image is too small to pool {h}x{w}"));
            let out = Shape::Map {
                c,
                h: out_size(h, k, s, p).ok_or_else(too_small)?,
                w: out_size(w, k, s, p).ok_or_else(too_small)?,
            };
            row.op(OpCounts::memory(n * shape.numel(), n * out.numel()));
            row.peak(n * (shape.numel() + out.numel()));
            out
        }
        Layer::Residual {
            body,
            shortcut,
            after,
        } => {
            let mut main = shape;
            for l in body {
                main = count(l, main, n, row)?;
            }
            let mut side = shape;
            for l in shortcut {
                side = count(l, side, n, row)?;
            }
            count_add(shape, main, side, after.is_some(), n, row)?
        }
        &Layer::SqueezeExcite { channels, squeeze } => {
            let (c, h, w) = map(shape)?;
            let s = squeeze as u64;
            if c != channels as u64 {
                return Err(ShapeError(format!(
                    "squeeze-and-excitation of {channels} channels met {c}"
                )));
            }
            let params = 2 * c * s + s + c;
            // Pool to [N, C, 1, 1]; two 1x1 convolutions on one pixel; sigmoid; scale.
            row.op(OpCounts {
                weight_bytes: params * b,
                ..OpCounts::flops(2 * n * c * s + 2 * n * s * c)
            })
            .op(OpCounts::memory(n * c * h * w, n * c))
            .op(OpCounts::memory(n * c * h * w + n * c, n * c * h * w));
            row.params(params, params, params * b);
            row.peak(2 * n * shape.numel());
            shape
        }
        Layer::GlobalAvgPool => {
            let (c, _, _) = map(shape)?;
            row.op(OpCounts::memory(n * shape.numel(), n * c));
            Shape::Vector { d: c }
        }
        &Layer::Linear { d_in, d_out, bias } => {
            let (din, dout) = (d_in as u64, d_out as u64);
            let rows = match shape {
                Shape::Vector { d } if d == din => n,
                other => {
                    return Err(ShapeError(format!(
                        "a linear layer of {din} inputs met {other:?}"
                    )));
                }
            };
            let bias_n = if bias { dout } else { 0 };
            row.op(OpCounts {
                weight_bytes: (din * dout + bias_n) * b,
                ..OpCounts::flops(2 * rows * din * dout)
            })
            .op(OpCounts::memory(rows * din, rows * dout));
            let p = din * dout + bias_n;
            row.params(p, p, p * b);
            row.peak(rows * (din + dout));
            Shape::Vector { d: dout }
        }
        &Layer::Patchify { cin, dim, patch } => {
            let (c, h, w) = map(shape)?;
            let (cin, d, p) = (cin as u64, dim as u64, patch as u64);
            if c != cin || p == 0 || h % p != 0 || w % p != 0 {
                return Err(ShapeError(format!(
                    "patches of {p}x{p} must tile the {h}x{w} image exactly"
                )));
            }
            let patches = (h / p) * (w / p);
            let t = patches + 1;
            let weights = d * cin * p * p;
            // The conv, the class token and one learned position per token.
            let params = weights + d + d + t * d;
            row.op(OpCounts {
                weight_bytes: params * b,
                ..OpCounts::flops(2 * n * patches * weights)
            })
            .op(OpCounts::memory(n * c * h * w, n * t * d))
            .op(OpCounts::memory(n * t * d, n * t * d));
            row.params(params, params, params * b);
            row.peak(n * (shape.numel() + t * d));
            Shape::Tokens { t, d }
        }
        &Layer::Encoder { dim, heads, mlp } => {
            let (t, d) = match shape {
                Shape::Tokens { t, d } if d == dim as u64 => (t, d),
                other => {
                    return Err(ShapeError(format!(
                        "an encoder layer of width {dim} met {other:?}"
                    )));
                }
            };
            let _ = heads;
            let f = mlp as u64;
            let rows = n * t;
            let linear = |row: &mut Row, din: u64, dout: u64| {
                let p = din * dout + dout;
                row.op(OpCounts {
                    weight_bytes: p * b,
                    ..OpCounts::flops(2 * rows * din * dout)
                })
                .op(OpCounts::memory(rows * din, rows * dout));
                row.params(p, p, p * b);
            };
            let norm = |row: &mut Row| {
                row.op(OpCounts {
                    weight_bytes: 2 * d * b,
                    ..OpCounts::memory(rows * d, rows * d)
                });
                row.params(2 * d, 2 * d, 2 * d * b);
            };
            norm(row);
            linear(row, d, 3 * d);
            // Scaled dot-product attention: 4*N*T*T*d, reading Q, K, V and writing the context.
            row.op(OpCounts::flops(4 * n * t * t * d))
                .op(OpCounts::memory(3 * rows * d, rows * d));
            linear(row, d, d);
            row.op(OpCounts::memory(2 * rows * d, rows * d));
            norm(row);
            linear(row, d, f);
            row.op(OpCounts::memory(rows * f, rows * f));
            linear(row, f, d);
            row.op(OpCounts::memory(2 * rows * d, rows * d));
            row.peak(rows * (2 * d + 3 * d).max(2 * d + 2 * f));
            shape
        }
        &Layer::LayerNorm { dim } => {
            let d = dim as u64;
            row.op(OpCounts {
                weight_bytes: 2 * d * b,
                ..OpCounts::memory(n * shape.numel(), n * shape.numel())
            });
            row.params(2 * d, 2 * d, 2 * d * b);
            shape
        }
        Layer::ClassToken => match shape {
            Shape::Tokens { d, .. } => {
                row.op(OpCounts::memory(n * d, n * d));
                Shape::Vector { d }
            }
            other => {
                return Err(ShapeError(format!(
                    "the class token needs a token sequence; got {other:?}"
                )));
            }
        },
    })
}
