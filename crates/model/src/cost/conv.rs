//! Counts of the convolutional family ([`ConvSpec`] on an [`ImageWorkload`]), per layer: FLOPs as
//! torch counts a convolution, 2 * N * prod(out) * prod(kernel) * Cout * Cin / groups
//! (elementwise work counts no FLOPs, as everywhere here), parameters, and the bytes each layer
//! reads and writes. Every convolution has stride 1 and "same" padding, and no bias.

use super::F32_BYTES;
use super::row::{LayerCost, LayerKind, OpCounts, Row};
use crate::arch::ImageWorkload;
use crate::family::{ConvKind, ConvSpec};

/// One convolution's counts on `n` images of `hw` pixels.
struct Conv {
    cin: u64,
    cout: u64,
    k: u64,
    groups: u64,
}

impl Conv {
    fn params(&self) -> u64 {
        self.k * self.k * (self.cin / self.groups) * self.cout
    }

    fn counts(&self, n: u64, hw: u64) -> OpCounts {
        let flops = 2 * n * hw * self.k * self.k * self.cout * self.cin / self.groups;
        OpCounts {
            weight_bytes: self.params() * F32_BYTES,
            ..[
                OpCounts::flops(flops),
                OpCounts::memory(n * self.cin * hw, n * self.cout * hw),
            ]
            .into_iter()
            .sum()
        }
    }
}

/// The convolutions of one residual unit (a block has two).
fn unit(kind: ConvKind, width: u64) -> Vec<Conv> {
    let full = |groups| Conv {
        cin: width,
        cout: width,
        k: 3,
        groups,
    };
    match kind {
        ConvKind::Standard => vec![full(1)],
        ConvKind::DepthwiseSeparable => vec![
            full(width),
            Conv {
                cin: width,
                cout: width,
                k: 1,
                groups: 1,
            },
        ],
        ConvKind::Grouped { groups } => vec![full(groups as u64)],
    }
}

/// A layer that owns `params` (all active) and holds at most `peak` activation elements.
fn row(name: String, kind: LayerKind, params: u64, counts: OpCounts, peak: u64) -> LayerCost {
    let mut row = Row::new(name, kind);
    row.op(counts)
        .params(params, params, params * F32_BYTES)
        .peak(peak);
    row.finish()
}

/// Per layer: the stem, each residual block, and the pooled classifier.
pub fn conv_layer_costs(spec: &ConvSpec, w: &ImageWorkload) -> Vec<LayerCost> {
    let n = w.batch as u64;
    let hw = (w.image_size * w.image_size) as u64;
    let width = spec.width as u64;
    let map = n * width * hw;
    let mut rows = Vec::with_capacity(spec.blocks + 2);

    let stem = Conv {
        cin: w.in_channels as u64,
        cout: width,
        k: 3,
        groups: 1,
    };
    rows.push(row(
        "stem".into(),
        LayerKind::Conv,
        stem.params(),
        [stem.counts(n, hw), OpCounts::memory(map, map)]
            .into_iter()
            .sum(),
        n * w.in_channels as u64 * hw + map,
    ));

    for b in 0..spec.blocks {
        let convs: Vec<Conv> = (0..2).flat_map(|_| unit(spec.kind, width)).collect();
        let params = convs.iter().map(Conv::params).sum();
        let mut counts: Vec<OpCounts> = convs.iter().map(|c| c.counts(n, hw)).collect();
        // ReLU after the first unit; the residual add; ReLU after it.
        counts.push(OpCounts::memory(map, map));
        counts.push(OpCounts::memory(2 * map, map));
        counts.push(OpCounts::memory(map, map));
        // The block's input (kept for the residual), and two maps in flight.
        rows.push(row(
            format!("block{b}"),
            LayerKind::Conv,
            params,
            counts.into_iter().sum(),
            3 * map,
        ));
    }

    let classes = w.classes as u64;
    let head_params = width * classes + classes;
    let head = OpCounts {
        weight_bytes: head_params * F32_BYTES,
        ..[
            OpCounts::flops(2 * n * width * classes),
            OpCounts::memory(map + n * width, n * width + n * classes),
        ]
        .into_iter()
        .sum()
    };
    rows.push(row(
        "pool + head".into(),
        LayerKind::Head,
        head_params,
        head,
        map + n * width + n * classes,
    ));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload() -> ImageWorkload {
        ImageWorkload {
            batch: 1,
            image_size: 8,
            in_channels: 3,
            classes: 10,
            seed: 0,
        }
    }

    fn totals(kind: ConvKind) -> (u64, u64) {
        let spec = ConvSpec {
            kind,
            width: 16,
            blocks: 1,
        };
        let rows = conv_layer_costs(&spec, &workload());
        (
            rows.iter().map(|r| r.params).sum(),
            rows.iter().map(|r| r.counts.flops_executed).sum(),
        )
    }

    /// By hand, one 8x8 image, 3 -> 16 channels, one block, 10 classes:
    /// stem: 9 * 3 * 16 = 432 params, 2 * 64 * 9 * 16 * 3 = 55 296 FLOPs;
    /// head: 16 * 10 + 10 = 170 params, 2 * 16 * 10 = 320 FLOPs.
    const STEM_AND_HEAD: (u64, u64) = (432 + 170, 55_296 + 320);

    #[test]
    fn standard_convolutions_by_hand() {
        // Two 3x3 16 -> 16: 2304 params and 2 * 64 * 9 * 16 * 16 = 294 912 FLOPs each.
        assert_eq!(
            totals(ConvKind::Standard),
            (STEM_AND_HEAD.0 + 2 * 2304, STEM_AND_HEAD.1 + 2 * 294_912)
        );
    }

    #[test]
    fn depthwise_separable_by_hand() {
        // Per unit: depthwise 9 * 1 * 16 = 144 params, 2 * 64 * 9 * 16 * 16 / 16 = 18 432
        // FLOPs; pointwise 16 * 16 = 256 params, 2 * 64 * 16 * 16 = 32 768 FLOPs. Two units.
        assert_eq!(
            totals(ConvKind::DepthwiseSeparable),
            (
                STEM_AND_HEAD.0 + 2 * (144 + 256),
                STEM_AND_HEAD.1 + 2 * (18_432 + 32_768)
            )
        );
    }

    #[test]
    fn grouped_by_hand() {
        // 4 groups: 9 * 4 * 16 = 576 params, 2 * 64 * 9 * 16 * 16 / 4 = 73 728 FLOPs each.
        assert_eq!(
            totals(ConvKind::Grouped { groups: 4 }),
            (STEM_AND_HEAD.0 + 2 * 576, STEM_AND_HEAD.1 + 2 * 73_728)
        );
    }

    #[test]
    fn depthwise_moves_nearly_as_many_bytes_for_far_fewer_flops() {
        // The point the family makes: the intensity of a depthwise-separable network is a
        // fraction of the standard one's, so its FLOPs overstate its savings.
        let w = ImageWorkload {
            batch: 8,
            image_size: 32,
            in_channels: 3,
            classes: 10,
            seed: 0,
        };
        let intensity = |kind| {
            let rows = conv_layer_costs(
                &ConvSpec {
                    kind,
                    width: 64,
                    blocks: 4,
                },
                &w,
            );
            let f: u64 = rows.iter().map(|r| r.counts.flops_executed).sum();
            let b: u64 = rows.iter().map(|r| r.counts.mem_access_bytes()).sum();
            (f, b, f as f64 / b as f64)
        };
        let (fs, bs, is) = intensity(ConvKind::Standard);
        let (fd, bd, id) = intensity(ConvKind::DepthwiseSeparable);
        assert!(fd * 5 < fs, "far fewer FLOPs: {fd} vs {fs}");
        assert!(bd * 10 > bs * 8, "not far fewer bytes: {bd} vs {bs}");
        assert!(
            id * 4.0 < is,
            "a fraction of the intensity: {id:.1} vs {is:.1}"
        );
    }
}
