//! `effprof models --by module`: where each variant's cost goes. One row per module of the
//! analytic counts (embedding, each layer's attention and FFN or MoE, final norm, head), with
//! its parameters, executed FLOPs and, for a transformer, what its part of the recorded forward
//! pass does (FLOPs, bytes, ops); runs of identical layers fold into one group with a count.
//! `effprof bench --by module` adds each module's measured time, each run alone at the model's
//! shapes as the roofline times its parts, so the share of time sits beside the share of FLOPs.

use serde::Serialize;

use crate::cost::{self, LayerCost};
use crate::document::{Document, envelope, text_table};
use crate::spec::Suite;
use crate::traced::{TraceError, TracedCounts, trace_modules};
use crate::units;

/// What one module's part of the recorded forward pass does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ModuleTraced {
    pub flops: u64,
    pub bytes: u64,
    pub ops: u64,
}

impl ModuleTraced {
    /// The figures of `count` such modules.
    fn times(self, count: usize) -> Self {
        let n = count as u64;
        ModuleTraced {
            flops: self.flops * n,
            bytes: self.bytes * n,
            ops: self.ops * n,
        }
    }
}

impl std::iter::Sum for ModuleTraced {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(ModuleTraced::default(), |a, b| ModuleTraced {
            flops: a.flops + b.flops,
            bytes: a.bytes + b.bytes,
            ops: a.ops + b.ops,
        })
    }
}

impl From<&TracedCounts> for ModuleTraced {
    fn from(c: &TracedCounts) -> Self {
        ModuleTraced {
            flops: c.flops,
            bytes: c.bytes,
            ops: c.ops,
        }
    }
}

/// One module of one variant, or a group of identical ones.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModuleRow {
    /// `embedding`, `layers 0-3`, `attention`, `head`.
    pub module: String,
    /// How deep in the tree: 0 for a top-level module, 1 inside a group of layers.
    pub depth: usize,
    /// How many identical modules the row stands for; its figures are their sum.
    pub count: usize,
    pub params: u64,
    pub flops: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traced: Option<ModuleTraced>,
    /// Seconds per forward pass: the sum of each module's median, where it was timed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// The modules of one variant.
#[derive(Clone, Debug, Serialize)]
pub struct VariantModules {
    pub variant: String,
    pub rows: Vec<ModuleRow>,
    pub params_total: u64,
    pub flops_executed: u64,
    /// The whole recorded pass, as the rows of depth 0 add up to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traced: Option<ModuleTraced>,
    /// Why the modules are not traced, where they are not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traced_na: Option<String>,
    /// The modules' measured times summed, where they were timed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Why the modules are not timed, where timing was asked for and they are not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timed_na: Option<String>,
}

/// The module breakdown of a suite's variants.
#[derive(Clone, Debug, Serialize)]
pub struct ModulesDocument {
    /// The backend the modules were timed on (`bench --by module`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timed_on: Option<crate::backend::Backend>,
    pub variants: Vec<VariantModules>,
}

/// A variant's module times, one per cost row, or why it has none.
pub type ModuleTimes = Result<Vec<f64>, String>;

impl ModulesDocument {
    /// Counts every variant of `suite` by module, and traces the transformers' modules.
    pub fn new(suite: &Suite) -> Result<Self, cost::CountError> {
        Self::build(suite, None, |_| None)
    }

    /// [`ModulesDocument::new`] with each module's time on `backend`, from `time` (called once
    /// per variant, in the suite's order).
    pub fn timed(
        suite: &Suite,
        backend: crate::backend::Backend,
        mut time: impl FnMut(&crate::arch::Variant) -> ModuleTimes,
    ) -> Result<Self, cost::CountError> {
        Self::build(suite, Some(backend), |v| Some(time(v)))
    }

    fn build(
        suite: &Suite,
        timed_on: Option<crate::backend::Backend>,
        mut time: impl FnMut(&crate::arch::Variant) -> Option<ModuleTimes>,
    ) -> Result<Self, cost::CountError> {
        let variants = suite
            .variants
            .iter()
            .filter(|v| v.family.supports(crate::family::Feature::AnalyticCounts))
            .map(|v| {
                let report = cost::analyze(v, &suite.workload)?;
                let traced = trace_modules(v, &suite.workload);
                Ok(variant_modules(&v.name, &report, traced, time(v)))
            })
            .collect::<Result<_, cost::CountError>>()?;
        Ok(ModulesDocument { timed_on, variants })
    }
}

/// The rows of one variant: its layers folded where identical, with their traced parts and,
/// where timed, their times (a folded row's time is the sum of its layers' own).
fn variant_modules(
    name: &str,
    report: &cost::CostReport,
    traced: Result<Option<Vec<TracedCounts>>, TraceError>,
    times: Option<ModuleTimes>,
) -> VariantModules {
    let (times, timed_na) = match times {
        Some(Ok(t)) if t.len() == report.layers.len() => (Some(t), None),
        Some(Ok(t)) => (
            None,
            Some(format!(
                "{} modules timed for {} counted",
                t.len(),
                report.layers.len()
            )),
        ),
        Some(Err(why)) => (None, Some(why)),
        None => (None, None),
    };
    let time = |i: usize| times.as_ref().map(|t| t[i]);
    let (parts, traced_na) = match traced {
        Ok(Some(parts)) if parts.len() == report.layers.len() => (Some(parts), None),
        Ok(Some(parts)) => (
            None,
            Some(format!(
                "{} recorded parts for {} modules",
                parts.len(),
                report.layers.len()
            )),
        ),
        Ok(None) => (
            None,
            Some(
                "a CSR kernel (whose non-zeros need its values), a conv or a vision network is traced whole, not by module"
                    .to_owned(),
            ),
        ),
        Err(e) => (None, Some(e.to_string())),
    };
    let part = |i: usize| parts.as_ref().map(|p| ModuleTraced::from(&p[i]));
    let leaf = |i: usize, l: &LayerCost, depth: usize, module: String| ModuleRow {
        module,
        depth,
        count: 1,
        params: l.params,
        flops: l.counts.flops_executed,
        traced: part(i),
        seconds: time(i),
    };
    // Each layer of a transformer is two rows, `layerN.attention` and `layerN.ffn|moe`.
    let mut rows = Vec::new();
    let mut i = 0;
    let layers = &report.layers;
    while i < layers.len() {
        let Some(layer) = layer_of(&layers[i].name) else {
            rows.push(leaf(i, &layers[i], 0, layers[i].name.clone()));
            i += 1;
            continue;
        };
        // The block: this layer's rows.
        let block: Vec<usize> = (i..layers.len())
            .take_while(|j| layer_of(&layers[*j].name) == Some(layer))
            .collect();
        let same = |a: usize, b: usize| {
            let (x, y) = (&layers[a], &layers[b]);
            x.params == y.params
                && x.counts == y.counts
                && suffix(&x.name) == suffix(&y.name)
                && part(a) == part(b)
        };
        // How many blocks that follow are the same as this one.
        let width = block.len();
        let mut count = 1;
        while block.iter().all(|j| {
            let k = j + count * width;
            k < layers.len() && layer_of(&layers[k].name) == Some(layer + count) && same(*j, k)
        }) {
            count += 1;
        }
        let label = match count {
            1 => format!("layer {layer}"),
            n => format!("layers {layer}-{}", layer + n - 1),
        };
        let children: Vec<ModuleRow> = block
            .iter()
            .map(|j| ModuleRow {
                count,
                params: layers[*j].params * count as u64,
                flops: layers[*j].counts.flops_executed * count as u64,
                traced: part(*j).map(|t| t.times(count)),
                seconds: times
                    .as_ref()
                    .map(|t| (0..count).map(|k| t[j + k * width]).sum()),
                ..leaf(*j, &layers[*j], 1, suffix(&layers[*j].name).to_owned())
            })
            .collect();
        rows.push(ModuleRow {
            module: label,
            depth: 0,
            count,
            params: children.iter().map(|c| c.params).sum(),
            flops: children.iter().map(|c| c.flops).sum(),
            traced: parts
                .as_ref()
                .map(|_| children.iter().filter_map(|c| c.traced).sum()),
            seconds: times
                .as_ref()
                .map(|_| children.iter().filter_map(|c| c.seconds).sum()),
        });
        rows.extend(children);
        i += width * count;
    }
    let traced = parts.as_ref().map(|_| {
        rows.iter()
            .filter(|r| r.depth == 0)
            .filter_map(|r| r.traced)
            .sum()
    });
    VariantModules {
        variant: name.to_owned(),
        rows,
        params_total: report.params_total,
        flops_executed: report.totals.flops_executed,
        traced,
        traced_na,
        seconds: times.as_ref().map(|t| t.iter().sum()),
        timed_na,
    }
}

/// The layer a row named `layerN.part` belongs to.
fn layer_of(name: &str) -> Option<usize> {
    name.strip_prefix("layer")?.split_once('.')?.0.parse().ok()
}

/// `attention` of `layer3.attention`.
fn suffix(name: &str) -> &str {
    name.split_once('.').map_or(name, |(_, s)| s)
}

/// `part` as a percentage of `whole`, as the module tables show it; `-` of nothing.
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_owned()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

impl ModulesDocument {
    fn sections(&self, markdown: bool) -> String {
        use comfy_table::CellAlignment;
        let mut out = String::new();
        for v in &self.variants {
            let timed = match (self.timed_on, v.seconds, &v.timed_na) {
                (Some(backend), Some(s), _) => format!(
                    "; timed on {backend}: {} per pass, summed over its modules each run alone",
                    units::seconds(s)
                ),
                (Some(backend), None, Some(why)) => format!("; timed on {backend}: n/a: {why}"),
                _ => String::new(),
            };
            out.push_str(&format!(
                "{}: {} parameters, {} executed{}{timed}\n",
                v.variant,
                units::si(v.params_total as f64),
                units::flops(v.flops_executed),
                match (&v.traced, &v.traced_na) {
                    (Some(t), _) => format!(
                        "; traced {}, {}, {} ops",
                        units::flops(t.flops),
                        units::bytes(t.bytes),
                        t.ops
                    ),
                    (None, Some(why)) => format!("; traced by module: n/a: {why}"),
                    (None, None) => String::new(),
                }
            ));
            let mut header = vec![
                "module",
                "x",
                "params",
                "of params",
                "FLOPs",
                "of FLOPs",
                "traced bytes",
                "of bytes",
                "ops",
            ];
            if self.timed_on.is_some() {
                header.extend(["time", "of time"]);
            }
            let mut table = text_table(markdown, header);
            for r in &v.rows {
                let indent = if markdown { "- " } else { "  " };
                let (bytes, bytes_share, ops) = match (&r.traced, &v.traced) {
                    (Some(t), Some(whole)) => (
                        units::bytes(t.bytes),
                        share(t.bytes, whole.bytes),
                        t.ops.to_string(),
                    ),
                    _ => ("n/a".into(), "-".into(), "-".into()),
                };
                let mut row = vec![
                    format!("{}{}", indent.repeat(r.depth), r.module),
                    r.count.to_string(),
                    units::si(r.params as f64),
                    share(r.params, v.params_total),
                    units::flops(r.flops),
                    share(r.flops, v.flops_executed),
                    bytes,
                    bytes_share,
                    ops,
                ];
                if self.timed_on.is_some() {
                    match (r.seconds, v.seconds) {
                        (Some(s), Some(whole)) => row.extend([
                            units::seconds(s),
                            format!("{:.1}%", 100.0 * s / whole.max(f64::MIN_POSITIVE)),
                        ]),
                        _ => row.extend(["n/a".into(), "-".into()]),
                    }
                }
                table.add_row(row);
            }
            for column in table.column_iter_mut().skip(1) {
                column.set_cell_alignment(CellAlignment::Right);
            }
            out.push_str(&table.to_string());
            out.push_str("\n\n");
        }
        out
    }
}

impl Document for ModulesDocument {
    fn text(&self) -> String {
        self.sections(false)
    }
    fn markdown(&self) -> String {
        self.sections(true)
    }
    /// One row per variant and module.
    fn csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "variant",
            "module",
            "depth",
            "count",
            "params",
            "flops",
            "traced_flops",
            "traced_bytes",
            "traced_ops",
            "seconds",
        ])?;
        for v in &self.variants {
            for r in &v.rows {
                let t = |f: fn(&ModuleTraced) -> u64| {
                    r.traced
                        .as_ref()
                        .map(f)
                        .map(|x| x.to_string())
                        .unwrap_or_default()
                };
                w.write_record([
                    v.variant.clone(),
                    r.module.clone(),
                    r.depth.to_string(),
                    r.count.to_string(),
                    r.params.to_string(),
                    r.flops.to_string(),
                    t(|t| t.flops),
                    t(|t| t.bytes),
                    t(|t| t.ops),
                    r.seconds.map(|s| s.to_string()).unwrap_or_default(),
                ])?;
            }
        }
        crate::document::csv_text(w)
    }
    fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
        let mut fields = vec![("variants", serde_json::to_value(&self.variants)?)];
        if let Some(backend) = self.timed_on {
            fields.insert(0, ("timed_on", serde_json::to_value(backend)?));
        }
        envelope("effprof.modules/1", suite, fields)
    }
}
