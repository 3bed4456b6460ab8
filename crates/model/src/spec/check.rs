//! The invariants of a solved suite, checked on one that did not come from a suite file: the
//! copy a snapshot or a stream header carries, which a hand edit can break. Suite files get
//! the same rules (with lines) from the parser; this is what every later stage relies on.

use super::parse::{MAX_DIM, MAX_TOP_K, MAX_WIDTH};
use super::{SpecError, Suite};
use crate::arch::{Dims, Input, MAX_BATCH, MAX_IMAGE, MAX_SEQ_LEN, Positions, TokenShape, Variant};
use crate::family::{ConvKind, Family, InputKind};

/// The parser's other limits.
const MAX_EXPERTS: usize = 1 << 12;
const MAX_BLOCKS: usize = 1 << 12;

impl Suite {
    /// Checks every invariant later stages assume; `file` names where the suite was read from.
    pub fn check(&self, file: &str) -> Result<(), SpecError> {
        let fail = |key: String, message: String| Err(SpecError::new(file, message).key(key));
        if self.name.trim().is_empty() {
            return fail("suite: name".into(), "must not be empty".into());
        }
        let w = &self.workload;
        in_range(file, "suite: batch", w.batch, 1, MAX_BATCH)?;
        match w.input {
            Input::Tokens(t) => {
                in_range(file, "suite: seq_len", t.seq_len, 1, MAX_SEQ_LEN)?;
                in_range(file, "suite: vocab", t.vocab, 2, MAX_DIM as usize)?;
                if let Some(gen_len) = t.gen_len {
                    in_range(file, "suite: gen_len", gen_len, 1, MAX_SEQ_LEN - t.seq_len)?;
                }
            }
            Input::Images(i) => {
                in_range(file, "suite: image_size", i.image_size, 1, MAX_IMAGE)?;
                in_range(file, "suite: in_channels", i.in_channels, 1, MAX_IMAGE)?;
                in_range(file, "suite: classes", i.classes, 2, MAX_DIM as usize)?;
            }
            // Each variant of your own makes its input; there is nothing here to check.
            Input::Custom(_) => {}
        }
        if self.variants.is_empty() {
            return fail(
                "suite: variants".into(),
                "must name at least one variant".into(),
            );
        }
        for (i, v) in self.variants.iter().enumerate() {
            if v.name.trim().is_empty() {
                return fail(
                    format!("variant {}: name", i + 1),
                    "must not be empty".into(),
                );
            }
            if self.variants[..i]
                .iter()
                .any(|earlier| earlier.name == v.name)
            {
                return fail(
                    format!("variant \"{}\": name", v.name),
                    "is used by an earlier variant; names must be unique".into(),
                );
            }
            check_variant(file, v, &w.input)?;
        }
        if self.variant(&w.baseline).is_none() {
            let names: Vec<&str> = self.variants.iter().map(|v| v.name.as_str()).collect();
            return fail(
                "suite: baseline".into(),
                format!(
                    "`{}` is not one of the suite's variants ({})",
                    w.baseline,
                    names.join(", ")
                ),
            );
        }
        Ok(())
    }
}

fn check_variant(file: &str, v: &Variant, input: &Input) -> Result<(), SpecError> {
    let scope = format!("variant \"{}\"", v.name);
    let key = |k: &str| format!("{scope}: {k}");
    let fail = |k: &str, message: String| Err(SpecError::new(file, message).key(key(k)));
    let dim = |k: &str, value: usize| in_range(file, &key(k), value, 1, MAX_DIM as usize);
    let no_shape = |what: &str| {
        fail(
            "d_model",
            format!("{what} has no transformer shape (d_model, n_heads, d_ff, n_layers)"),
        )
    };
    let family = &v.family;
    match (family.kind().input(), input) {
        (InputKind::Own, Input::Custom(_)) => match v.dims {
            Some(_) => no_shape("a model of your own"),
            None => Ok(()),
        },
        (InputKind::Own, _) => fail(
            "family",
            "custom variants take the input of their own profile, not a suite file's".into(),
        ),
        (_, Input::Custom(_)) => fail(
            "family",
            format!(
                "{} variants take a suite's tokens or images, and this suite's input is a model of your own's",
                family.name()
            ),
        ),
        (InputKind::Images, Input::Tokens(_)) => fail(
            "family",
            format!(
                "{} variants take images, and this suite gives token sequences",
                family.name()
            ),
        ),
        (InputKind::Tokens, Input::Images(_)) => fail(
            "family",
            format!(
                "{} variants take token sequences, and this suite gives images",
                family.name()
            ),
        ),
        (InputKind::Images, Input::Images(_)) if v.dims.is_some() => {
            no_shape(&format!("a {} variant", family.name()))
        }
        (InputKind::Images, Input::Images(i)) => match family {
            Family::Conv(spec) => {
                in_range(file, &key("width"), spec.width, 1, MAX_WIDTH)?;
                in_range(file, &key("blocks"), spec.blocks, 1, MAX_BLOCKS)?;
                if let ConvKind::Grouped { groups } = spec.kind
                    && (groups < 2 || !spec.width.is_multiple_of(groups))
                {
                    return fail(
                        "groups",
                        format!(
                            "must be at least 2 and divide width ({}); got {groups}",
                            spec.width
                        ),
                    );
                }
                Ok(())
            }
            Family::Vision(spec) => check_vision(spec, i.image_size)
                .map_err(|(k, m)| SpecError::new(file, m).key(key(k))),
            // The other image families' options are checked where they are parsed.
            _ => Ok(()),
        },
        (InputKind::Tokens, Input::Tokens(tokens)) => {
            let Some(d) = v.dims else {
                return fail(
                    "d_model",
                    "missing; every transformer variant needs d_model, n_heads, d_ff and n_layers"
                        .into(),
                );
            };
            dim("d_model", d.d_model)?;
            dim("n_heads", d.n_heads)?;
            dim("d_ff", d.d_ff)?;
            dim("n_layers", d.n_layers)?;
            if d.options.head_dim.is_none() && !d.d_model.is_multiple_of(d.n_heads) {
                return fail(
                    "d_model",
                    format!(
                        "must be divisible by n_heads ({}), or head_dim given; got {}",
                        d.n_heads, d.d_model
                    ),
                );
            }
            check_options(file, &scope, &d, tokens)?;
            match family {
                Family::Moe(m) => {
                    in_range(file, &key("n_experts"), m.n_experts, 1, MAX_EXPERTS)?;
                    if !(1..=MAX_TOP_K.min(m.n_experts)).contains(&m.top_k) {
                        return fail(
                            "top_k",
                            format!(
                                "must be at least 1 and at most n_experts ({}) and {MAX_TOP_K}; got {}",
                                m.n_experts, m.top_k
                            ),
                        );
                    }
                    for (key, width) in [
                        ("expert_d_ff", m.expert_d_ff),
                        ("shared_d_ff", m.shared_d_ff),
                    ] {
                        if let Some(width) = width {
                            dim(key, width)?;
                        }
                    }
                    if m.shared_gate && m.shared_d_ff.is_none() {
                        return fail(
                            "shared_gate",
                            "gates the shared expert: give shared_d_ff too".into(),
                        );
                    }
                    let cf = m.capacity_factor;
                    if !(cf.is_finite() && cf > 0.0 && cf <= 64.0) {
                        return fail(
                            "capacity_factor",
                            format!("must be greater than 0 and at most 64; got {cf}"),
                        );
                    }
                    dim("moe_every", m.moe_every)
                }
                Family::Pruned(p) => {
                    let s = p.sparsity;
                    if s.is_finite() && (0.0..1.0).contains(&s) {
                        Ok(())
                    } else {
                        fail(
                            "sparsity",
                            format!("must be at least 0 and below 1 (0 <= s < 1); got {s}"),
                        )
                    }
                }
                // The other families' options are checked where they are parsed.
                _ => Ok(()),
            }
        }
    }
}

/// The language-model choices against the shape and the suite's tokens.
fn check_options(file: &str, scope: &str, d: &Dims, tokens: &TokenShape) -> Result<(), SpecError> {
    let fail =
        |k: &str, message: String| Err(SpecError::new(file, message).key(format!("{scope}: {k}")));
    let o = &d.options;
    if let Some(kv) = o.n_kv_heads
        && (kv == 0 || !d.n_heads.is_multiple_of(kv))
    {
        return fail(
            "n_kv_heads",
            format!("must divide n_heads ({}); got {kv}", d.n_heads),
        );
    }
    if let Some(vocab) = o.vocab
        && !(tokens.vocab..=MAX_DIM as usize).contains(&vocab)
    {
        return fail(
            "vocab",
            format!(
                "must be at least the suite's vocab ({}) and at most {MAX_DIM}; got {vocab}",
                tokens.vocab
            ),
        );
    }
    if let Some(head_dim) = o.head_dim
        && !(1..=MAX_DIM as usize).contains(&head_dim)
    {
        return fail(
            "head_dim",
            format!("must be at least 1 and at most {MAX_DIM}; got {head_dim}"),
        );
    }
    if o.qkv_bias && o.bias {
        return fail(
            "qkv_bias",
            "only with bias = false: bias = true already puts biases on q, k and v".into(),
        );
    }
    if o.positions == Positions::Rotary && !d.head_dim().is_multiple_of(2) {
        return fail(
            "positions",
            format!(
                "rotary positions need an even head size (head_dim, or d_model / n_heads); got {}",
                d.head_dim()
            ),
        );
    }
    let context = tokens.seq_len + tokens.gen_len.unwrap_or(0);
    match (o.max_positions, o.positions) {
        (Some(rows), Positions::Learned) if !(context..=MAX_SEQ_LEN).contains(&rows) => fail(
            "max_positions",
            format!(
                "must be at least the suite's longest sequence ({context}) and at most {MAX_SEQ_LEN}; got {rows}"
            ),
        ),
        (Some(_), Positions::None | Positions::Rotary) => {
            fail("max_positions", "only for learned positions".into())
        }
        _ => Ok(()),
    }
}

/// The bounds a vision variant's overrides keep, for the images it runs on: the key at fault
/// and what is wrong.
pub(crate) fn check_vision(
    spec: &crate::vision::VisionSpec,
    image_size: usize,
) -> Result<(), (&'static str, String)> {
    use crate::vision::Preset;
    for (key, m) in [
        ("width_mult", spec.width_mult),
        ("depth_mult", spec.depth_mult),
    ] {
        if !(m.is_finite() && m > 0.0 && m <= 4.0) {
            return Err((key, format!("must be above 0 and at most 4; got {m}")));
        }
    }
    let vit = matches!(spec.preset, Preset::VitB16 | Preset::VitB32);
    match (spec.patch_size, vit) {
        (Some(_), false) => Err((
            "patch_size",
            format!(
                "only for the ViT presets; {} has no patches",
                spec.preset.name()
            ),
        )),
        (_, true) => {
            let patch = spec.patch_size.unwrap_or(if spec.preset == Preset::VitB16 {
                16
            } else {
                32
            });
            if patch == 0 || !image_size.is_multiple_of(patch) {
                Err((
                    "patch_size",
                    format!(
                        "patches of {patch} pixels must tile the {image_size}-pixel image: image_size must be a multiple of it"
                    ),
                ))
            } else {
                Ok(())
            }
        }
        (None, false) => Ok(()),
    }
}

fn in_range(file: &str, key: &str, value: usize, min: usize, max: usize) -> Result<(), SpecError> {
    let message = if value < min {
        format!("must be at least {min}; got {value}")
    } else if value > max {
        format!("must be at most {max}; got {value}")
    } else {
        return Ok(());
    };
    Err(SpecError::new(file, message).key(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{BUILTIN_SUITES, load_suite};

    #[test]
    fn every_builtin_suite_passes() {
        for builtin in BUILTIN_SUITES {
            let suite = load_suite(builtin.name).unwrap();
            suite.check("builtin").unwrap();
        }
    }

    #[test]
    fn each_broken_invariant_is_named() {
        let good = load_suite("tiny").unwrap();
        type Breaks = Box<dyn Fn(&mut Suite)>;
        let cases: Vec<(&str, Breaks)> = vec![
            (
                "suite: baseline",
                Box::new(|s| s.workload.baseline = "nope".into()),
            ),
            ("suite: variants", Box::new(|s| s.variants.clear())),
            ("suite: batch", Box::new(|s| s.workload.batch = 0)),
            (
                "suite: vocab",
                Box::new(|s| {
                    if let Input::Tokens(t) = &mut s.workload.input {
                        t.vocab = 1;
                    }
                }),
            ),
            (
                ": n_heads",
                Box::new(|s| s.variants[0].dims.as_mut().unwrap().n_heads = 0),
            ),
            (
                ": d_model",
                Box::new(|s| s.variants[0].dims.as_mut().unwrap().d_model += 1),
            ),
            (
                ": name",
                Box::new(|s| {
                    let first = s.variants[0].clone();
                    s.variants.push(first);
                }),
            ),
        ];
        for (key, break_it) in cases {
            let mut suite = good.clone();
            break_it(&mut suite);
            let e = suite.check("s.json").expect_err(key);
            assert!(e.to_string().starts_with("s.json: "), "{e}");
            assert!(e.key.as_deref().unwrap_or("").contains(key), "{key}: {e}");
        }
    }
}
