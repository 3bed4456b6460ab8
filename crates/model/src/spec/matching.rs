//! Solving one free dimension of a variant so that an indicator matches another variant's.

use super::SpecError;
use super::parse::MAX_WIDTH;
use super::parse::{Ctx, MAX_DIM};
use crate::arch::{MatchBy, MatchOutcome, Positions, SolveDim, Variant, Workload};
use crate::cost;
use crate::family::{ConvKind, Family};

/// A match lands when the achieved indicator is within this fraction of the target.
pub const MATCH_TOLERANCE: f64 = 0.02;

/// Largest layer count a match may solve for.
const MAX_SOLVED_LAYERS: usize = 4096;

#[derive(Clone, Debug)]
pub(crate) struct MatchRequest {
    pub variant: String,
    pub target: String,
    pub by: MatchBy,
    pub solve: SolveDim,
    pub line: usize,
}

/// Resolves every match, targets first, so a variant may match one that is itself matched.
pub(crate) fn resolve_matches(
    variants: &mut [Variant],
    requests: &[MatchRequest],
    workload: &Workload,
    ctx: &Ctx<'_>,
) -> Result<(), SpecError> {
    for r in requests {
        if !variants.iter().any(|v| v.name == r.target) {
            return Err(SpecError::new(
                ctx.file,
                format!(
                    "target `{}` names no variant; variants are: {}",
                    r.target,
                    crate::arch::names(variants)
                ),
            )
            .at(Some(r.line))
            .key(format!("variant \"{}\": match.variant", r.variant)));
        }
    }

    let mut pending: Vec<&MatchRequest> = requests.iter().collect();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|r| !pending.iter().any(|other| other.variant == r.target));
        let Some(index) = ready else {
            let cycle = describe_cycle(&pending);
            let first = pending[0];
            return Err(SpecError::new(
                ctx.file,
                format!("matches form a cycle ({cycle}); one variant of the cycle must have fixed dimensions"),
            )
            .at(Some(first.line))
            .key(format!("variant \"{}\": match.variant", first.variant)));
        };
        let request = pending.remove(index);
        let target = variants
            .iter()
            .find(|v| v.name == request.target)
            .expect("targets were checked above")
            .clone();
        let slot = variants
            .iter_mut()
            .find(|v| v.name == request.variant)
            .expect("requests come from variants");
        solve(slot, &target, request, workload).map_err(|message| {
            SpecError::new(ctx.file, message)
                .at(Some(request.line))
                .key(format!("variant \"{}\": match", request.variant))
        })?;
    }
    Ok(())
}

fn describe_cycle(pending: &[&MatchRequest]) -> String {
    let mut chain = vec![pending[0].variant.as_str()];
    let mut current = pending[0];
    while let Some(next) = pending.iter().find(|r| r.variant == current.target) {
        chain.push(next.variant.as_str());
        if next.variant == pending[0].variant || chain.len() > pending.len() + 1 {
            break;
        }
        current = next;
    }
    chain.join(" -> ")
}

fn indicator(variant: &Variant, workload: &Workload, by: MatchBy) -> Option<u64> {
    let report = cost::analyze(variant, workload).ok()?;
    Some(match by {
        MatchBy::Flops => report.totals.flops_useful,
        MatchBy::Params => report.params_total,
    })
}

fn with_value(variant: &Variant, solve: SolveDim, value: usize) -> Variant {
    let mut v = variant.clone();
    match (solve, &mut v.dims) {
        (SolveDim::DFf, Some(dims)) => dims.d_ff = value,
        (SolveDim::DModel, Some(dims)) => dims.d_model = value,
        (SolveDim::NLayers, Some(dims)) => dims.n_layers = value,
        (SolveDim::DFf | SolveDim::DModel | SolveDim::NLayers, None) => {}
        (SolveDim::NExperts, _) => {
            if let Family::Moe(moe) = &mut v.family {
                moe.n_experts = value;
            }
        }
        (SolveDim::Width, _) => {
            if let Family::Conv(conv) = &mut v.family {
                conv.width = value;
            }
        }
        (SolveDim::PatchSize, _) => {
            if let Family::Vision(spec) = &mut v.family {
                spec.patch_size = Some(value);
            }
        }
    }
    v
}

/// A patch side: no indicator moves one way with it (FLOPs fall as patches grow; parameters
/// fall with the position table and rise with the patch projection), and only the sides that
/// tile the image are allowed, so every one is counted and the closest kept (the larger patch
/// on a tie: fewer tokens).
fn solve_patch(
    variant: &mut Variant,
    target: &Variant,
    request: &MatchRequest,
    workload: &Workload,
    target_value: u64,
) -> Result<(), String> {
    let image = match workload.input {
        crate::arch::Input::Images(i) => i.image_size,
        crate::arch::Input::Tokens(_) | crate::arch::Input::Custom(_) => {
            return Err("vision variants take images".to_owned());
        }
    };
    let distance = |v: u64| (v as f64 / target_value as f64 - 1.0).abs();
    let best = (1..=image)
        .rev()
        .filter(|p| image.is_multiple_of(*p))
        .filter_map(|p| {
            let v = indicator(&with_value(variant, request.solve, p), workload, request.by)?;
            Some((p, v))
        })
        .min_by(|a, b| distance(a.1).total_cmp(&distance(b.1)))
        .ok_or_else(|| {
            format!(
                "no patch_size that tiles the {image}-pixel image gives a countable {}",
                request.by.name()
            )
        })?;
    let (patch, achieved) = best;
    let ratio = achieved as f64 / target_value as f64;
    *variant = with_value(variant, request.solve, patch);
    variant.matched = Some(MatchOutcome {
        variant: target.name.clone(),
        by: request.by,
        solve: request.solve,
        value: patch,
        target: target_value,
        achieved,
        ratio,
        within_tolerance: (ratio - 1.0).abs() <= MATCH_TOLERANCE,
    });
    Ok(())
}

/// Finds the value of the free dimension whose indicator lies closest to the target's.
///
/// Every indicator grows with every dimension, so a binary search over the admissible values
/// (multiples of n_heads for d_model) finds the first value at or above the target; the answer
/// is that value or the one before it.
fn solve(
    variant: &mut Variant,
    target: &Variant,
    request: &MatchRequest,
    workload: &Workload,
) -> Result<(), String> {
    let target_value = indicator(target, workload, request.by)
        .ok_or_else(|| format!("target `{}` is too large to count", target.name))?;
    if request.solve == SolveDim::PatchSize {
        return solve_patch(variant, target, request, workload, target_value);
    }
    let heads = variant.dims.map_or(1, |d| d.n_heads);
    let (step, lo, hi) = match (request.solve, &variant.family) {
        // Grouped convolutions need a width the groups divide.
        (SolveDim::Width, Family::Conv(c)) => {
            let groups = match c.kind {
                ConvKind::Grouped { groups } => groups,
                _ => 1,
            };
            (groups, 1, MAX_WIDTH / groups)
        }
        (SolveDim::Width, _) => unreachable!("parsing allows width for conv only"),
        // Rotary positions rotate pairs of features: the head size stays even.
        (SolveDim::DModel, _) => {
            let rotary = variant
                .dims
                .is_some_and(|d| d.options.positions == Positions::Rotary);
            let step = if rotary { 2 * heads } else { heads };
            (step, 1, MAX_DIM as usize / step)
        }
        (SolveDim::DFf, _) => (1, 1, MAX_DIM as usize),
        (SolveDim::NLayers, Family::Moe(moe)) => (1, moe.moe_every, MAX_SOLVED_LAYERS),
        (SolveDim::NLayers, _) => (1, 1, MAX_SOLVED_LAYERS),
        (SolveDim::NExperts, Family::Moe(moe)) => (1, moe.top_k, 1 << 12),
        (SolveDim::NExperts, _) => unreachable!("parsing allows n_experts for moe only"),
        (SolveDim::PatchSize, _) => unreachable!("solved above"),
    };
    let value_at = |i: usize| i * step;
    // None (too large to count) sorts above every target.
    let eval = |i: usize| {
        indicator(
            &with_value(variant, request.solve, value_at(i)),
            workload,
            request.by,
        )
    };

    let dim = request.solve.name();
    let by = request.by.name();
    let describe = |i: usize, v: Option<u64>| match v {
        Some(v) => format!(
            "{dim} = {} gives {by} {} ({:.3}x the target)",
            value_at(i),
            v,
            v as f64 / target_value as f64
        ),
        None => format!("{dim} = {} is too large to count", value_at(i)),
    };
    let tol = MATCH_TOLERANCE;
    let low = eval(lo);
    if let Some(v) = low
        && v as f64 > target_value as f64 * (1.0 + tol)
    {
        return Err(format!(
            "unsatisfiable: `{}` has {by} {target_value}, but even the smallest {}",
            target.name,
            describe(lo, low)
        ));
    }
    let high = eval(hi);
    if let Some(v) = high
        && (v as f64) < target_value as f64 * (1.0 - tol)
    {
        return Err(format!(
            "unsatisfiable: `{}` has {by} {target_value}, but even the largest {}",
            target.name,
            describe(hi, high)
        ));
    }

    // Smallest index whose indicator reaches the target.
    let (mut a, mut b) = (lo, hi);
    while a < b {
        let mid = a + (b - a) / 2;
        match eval(mid) {
            Some(v) if v < target_value => a = mid + 1,
            _ => b = mid,
        }
    }
    let distance = |v: Option<u64>| {
        v.map(|v| (v as f64 / target_value as f64 - 1.0).abs())
            .unwrap_or(f64::INFINITY)
    };
    let mut best = (a, eval(a));
    if a > lo {
        let below = eval(a - 1);
        if distance(below) <= distance(best.1) {
            best = (a - 1, below);
        }
    }
    let achieved = best
        .1
        .ok_or_else(|| format!("no {dim} gives a countable {by}"))?;
    let ratio = achieved as f64 / target_value as f64;
    *variant = with_value(variant, request.solve, value_at(best.0));
    variant.matched = Some(MatchOutcome {
        variant: target.name.clone(),
        by: request.by,
        solve: request.solve,
        value: value_at(best.0),
        target: target_value,
        achieved,
        ratio,
        within_tolerance: (ratio - 1.0).abs() <= tol,
    });
    Ok(())
}
