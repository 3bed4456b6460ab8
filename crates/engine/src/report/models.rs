//! What `effprof models` prints: every variant's analytic indicators side by side.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::table::{Better, Cell, IndicatorTable, Row, Source};
use crate::arch::{Dims, MatchOutcome, Variant};
use crate::cost::{self, CONVENTIONS, CostReport, GenerationCost};
use crate::family::Family;
use crate::family::Feature;
use crate::precision::Precision;
use crate::spec::Suite;
use crate::traced::{Traced, TracedCounts};
use crate::units;

/// The analytic figures of one variant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VariantCost {
    pub name: String,
    pub family: Family,
    /// The transformer shape; absent for the `conv` family, whose shape is in `family`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dims: Option<Dims>,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub matched: Option<MatchOutcome>,
    /// The dtype and quantization its bytes are counted at.
    #[serde(default, skip_serializing_if = "Precision::is_default")]
    pub precision: Precision,
    /// None for a model of your own, which effprof's formulas do not count.
    #[serde(flatten)]
    pub cost: Option<CostReport>,
    /// What generating costs, for a decoder of a generation suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<GenerationCost>,
    /// Counted from the recorded graph of one forward pass, where it was traced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traced: Option<Traced>,
}

/// What an analytic cell of a model of your own says.
pub use crate::family::NOT_BUILT_IN;

/// The JSON document of `effprof models --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct ModelsReport {
    pub schema: &'static str,
    pub effprof_version: &'static str,
    pub conventions: BTreeMap<&'static str, &'static str>,
    pub suite: Suite,
    /// Baseline first, then the suite's order.
    pub variants: Vec<VariantCost>,
}

impl ModelsReport {
    pub fn new(suite: &Suite) -> Result<Self, cost::CountError> {
        let mut ordered: Vec<&Variant> = vec![suite.baseline()];
        ordered.extend(
            suite
                .variants
                .iter()
                .filter(|v| v.name != suite.workload.baseline),
        );
        let variants = ordered
            .into_iter()
            .map(|v| {
                Ok(VariantCost {
                    name: v.name.clone(),
                    family: v.family,
                    dims: v.dims,
                    matched: v.matched.clone(),
                    precision: v.precision,
                    cost: match v.family.supports(Feature::AnalyticCounts) {
                        true => Some(cost::analyze(v, &suite.workload)?),
                        false => None,
                    },
                    generation: cost::generation_cost(v, &suite.workload)?,
                    traced: None,
                })
            })
            .collect::<Result<_, cost::CountError>>()?;
        Ok(Self {
            schema: "effprof.models/1",
            effprof_version: env!("CARGO_PKG_VERSION"),
            conventions: CONVENTIONS.iter().copied().collect(),
            suite: suite.clone(),
            variants,
        })
    }

    /// Records every variant's forward pass and counts it ([`crate::traced`]), each built
    /// within `memory_limit` bytes; `progress` hears each variant's name first.
    pub fn trace(&mut self, memory_limit: u64, mut progress: impl FnMut(&str)) {
        for v in &mut self.variants {
            progress(&v.name);
            let variant = self
                .suite
                .variant(&v.name)
                .expect("the report's variants are the suite's");
            v.traced = Some(crate::traced::trace(
                variant,
                &self.suite.workload,
                memory_limit,
            ));
        }
    }

    pub fn table(&self) -> IndicatorTable {
        let variants: Vec<&VariantCost> = self.variants.iter().collect();
        analytic_table(&self.suite, &variants)
    }
}

/// What `effprof models` writes: the report, and its table with the command's own notes.
pub struct ModelsDocument {
    pub report: ModelsReport,
    pub table: IndicatorTable,
}

impl crate::document::Document for ModelsDocument {
    fn text(&self) -> String {
        let suite = &self.report.suite;
        format!(
            "suite {} ({}): {}\n{}",
            suite.name,
            suite.source,
            suite.description,
            self.table.to_text(None)
        )
    }
    fn markdown(&self) -> String {
        self.table.to_markdown()
    }
    fn csv(&self) -> Result<String, csv::Error> {
        self.table.to_csv()
    }
    /// The report is its own document (`effprof.models/1`), its suite inside.
    fn json(&self, _suite: &str) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(&self.report)
    }
}

/// The analytic rows of `variants` (baseline first) on `suite`'s workload, with the matches
/// and the workload as notes.
pub fn analytic_table(suite: &Suite, vs: &[&VariantCost]) -> IndicatorTable {
    let number = |key, label, unit, better, f: &dyn Fn(&CostReport) -> (f64, String)| Row {
        key,
        label,
        unit,
        better,
        source: Source::Analytic,
        cells: vs
            .iter()
            .map(|v| match &v.cost {
                Some(cost) => {
                    let (value, text) = f(cost);
                    Cell::number(value, text)
                }
                None => Cell::NotAvailable(NOT_BUILT_IN.into()),
            })
            .collect(),
    };
    let text = |key, label, f: &dyn Fn(&VariantCost) -> String| Row {
        key,
        label,
        unit: "",
        better: Better::Neither,
        source: Source::Analytic,
        cells: vs.iter().map(|v| Cell::Text(f(v))).collect(),
    };
    let count = |v: u64| (v as f64, units::si(v as f64));
    let flops = |v: u64| (v as f64, units::flops(v));
    let bytes = |v: u64| (v as f64, units::bytes(v));
    let low = Better::Lower;
    let rows = vec![
        text("family", "family", &|v| v.family.label()),
        text("shape", "shape", &|v| {
            shape_label(&v.family, v.dims.as_ref(), &v.precision)
        }),
        number("params_total", "params total", "params", low, &|c| {
            count(c.params_total)
        }),
        number(
            "params_active",
            // Every weight of a convolutional network touches every sample.
            if suite.workload.tokens().is_some() {
                "params active/token"
            } else {
                "params active"
            },
            "params",
            low,
            &|c| count(c.params_active),
        ),
        number("flops_dense", "FLOPs dense-equiv", "FLOP", low, &|c| {
            flops(c.totals.flops_dense)
        }),
        number("flops_useful", "FLOPs useful", "FLOP", low, &|c| {
            flops(c.totals.flops_useful)
        }),
        number("flops_executed", "FLOPs executed", "FLOP", low, &|c| {
            flops(c.totals.flops_executed)
        }),
        number("macs", "MACs executed", "MAC", low, &|c| {
            count(c.totals.macs)
        }),
        number("train_flops", "FLOPs train step", "FLOP", low, &|c| {
            flops(c.totals.train_flops)
        }),
        number("mem_access_bytes", "memory access", "B", low, &|c| {
            bytes(c.totals.mem_access_bytes)
        }),
        number(
            "arithmetic_intensity",
            "arithmetic intensity",
            "FLOP/B",
            Better::Neither,
            &|c| {
                let ai = c.totals.arithmetic_intensity;
                (ai, format!("{ai:.1}"))
            },
        ),
        number("param_bytes", "param memory", "B", low, &|c| {
            bytes(c.totals.param_bytes)
        }),
        number(
            "activation_peak_bytes",
            "activation peak (est.)",
            "B",
            low,
            &|c| bytes(c.totals.activation_peak_bytes),
        ),
        number("memory_estimate_bytes", "memory estimate", "B", low, &|c| {
            bytes(c.totals.memory_estimate_bytes)
        }),
    ];
    let mut rows = rows;
    if vs.iter().any(|v| v.traced.is_some()) {
        rows.extend(traced_rows(vs));
    }
    if vs.iter().any(|v| v.generation.is_some()) {
        rows.extend(generation_rows(vs));
    }
    let w = &suite.workload;
    let mut notes = vec![format!("workload: {}", w.describe())];
    notes.extend(vs.iter().filter_map(|v| {
        v.matched.as_ref().map(|m| {
            let verdict = if m.within_tolerance {
                "within 2%".to_owned()
            } else {
                "outside 2%: closest achievable".to_owned()
            };
            format!(
                "{}: {} = {} matches `{}` by {} at {} ({verdict})",
                v.name,
                m.solve.name(),
                m.value,
                m.variant,
                m.by.name(),
                crate::document::ratio_text(m.ratio)
            )
        })
    }));
    notes.extend(traced_notes(vs));
    IndicatorTable {
        columns: vs.iter().map(|v| v.name.clone()).collect(),
        rows,
        notes,
    }
}

/// The rows counted from each variant's recorded forward pass.
fn traced_rows(vs: &[&VariantCost]) -> Vec<Row> {
    let traced: Vec<Option<&Traced>> = vs.iter().map(|v| v.traced.as_ref()).collect();
    rows_of_traced(&traced)
}

/// "params (burn)", "FLOPs traced", "memory traffic traced" and "ops per forward", one cell per
/// traced pass (None: not traced).
pub fn rows_of_traced(traced: &[Option<&Traced>]) -> Vec<Row> {
    let row = |key, label, unit, f: &dyn Fn(&TracedCounts) -> (f64, String)| Row {
        key,
        label,
        unit,
        better: Better::Lower,
        source: Source::Traced,
        cells: traced
            .iter()
            .map(|t| match t {
                Some(Traced::Counted(c)) => {
                    let (value, text) = f(c);
                    Cell::number(value, text)
                }
                Some(Traced::NotAvailable { why }) => Cell::NotAvailable(why.clone()),
                None => Cell::NotAvailable("not traced".into()),
            })
            .collect(),
    };
    vec![
        row("params_traced", "params (burn)", "params", &|c| {
            (c.params as f64, units::si(c.params as f64))
        }),
        row("flops_traced", "FLOPs traced", "FLOP", &|c| {
            (c.flops as f64, units::flops(c.flops))
        }),
        row("mem_traffic_traced", "memory traffic traced", "B", &|c| {
            (c.bytes as f64, units::bytes(c.bytes))
        }),
        row("ops_traced", "ops per forward", "ops", &|c| {
            (c.ops as f64, c.ops.to_string())
        }),
    ]
}

/// The traced FLOPs against the analytic executed FLOPs: where they agree, one line; where
/// they do not, the difference and the operation kinds that carry FLOPs; and the kernels that
/// run outside burn's graph.
fn traced_notes(vs: &[&VariantCost]) -> Vec<String> {
    let counted: Vec<(&VariantCost, &TracedCounts)> = vs
        .iter()
        .filter_map(|v| Some((*v, v.traced.as_ref()?.counts()?)))
        .collect();
    if counted.is_empty() {
        return Vec::new();
    }
    let mut notes = Vec::new();
    // A model of your own has no analytic count to compare with.
    let compared: Vec<(&VariantCost, &CostReport, &TracedCounts)> = counted
        .iter()
        .filter_map(|(v, c)| Some((*v, v.cost.as_ref()?, *c)))
        .collect();
    let differ: Vec<&(&VariantCost, &CostReport, &TracedCounts)> = compared
        .iter()
        .filter(|(_, a, c)| c.flops != a.totals.flops_executed)
        .collect();
    if differ.is_empty() && !compared.is_empty() {
        notes.push(format!(
            "traced FLOPs equal the analytic executed FLOPs for all {} traced variants",
            compared.len()
        ));
    }
    for (v, c) in &counted {
        for k in c.kinds.iter().filter(|k| k.unknown) {
            notes.push(format!(
                "{}: {} x{}: its FLOPs are not counted (effprof's counter has no rule for it)",
                v.name, k.kind, k.ops
            ));
        }
    }
    for (v, analytic, c) in differ {
        let by_kind: Vec<String> = c
            .kinds
            .iter()
            .filter(|k| k.flops > 0)
            .map(|k| format!("{} x{} {}", k.kind, k.ops, units::flops(k.flops)))
            .collect();
        notes.push(format!(
            "{}: traced FLOPs {} against the analytic executed {} ({:+}); by operation: {}",
            v.name,
            units::flops(c.flops),
            units::flops(analytic.totals.flops_executed),
            c.flops as i128 - analytic.totals.flops_executed as i128,
            by_kind.join(", ")
        ));
    }
    for (v, c) in &counted {
        for k in c.kinds.iter().filter(|k| k.host) {
            notes.push(format!(
                "{}: {} runs on the host, outside burn's graph: its {} and {} are counted from its matrices",
                v.name,
                k.kind,
                units::flops(k.flops),
                units::bytes(k.bytes())
            ));
        }
    }
    notes
}

/// The analytic rows of generation: what the prefill and a decode step cost.
fn generation_rows(vs: &[&VariantCost]) -> Vec<Row> {
    let row =
        |key, label, unit, better, f: &dyn Fn(&GenerationCost) -> Option<(f64, String)>| Row {
            key,
            label,
            unit,
            better,
            source: Source::Analytic,
            cells: vs
                .iter()
                .map(|v| match v.generation.as_ref().and_then(f) {
                    Some((value, text)) => Cell::number(value, text),
                    None => Cell::NotAvailable(match v.generation {
                        Some(_) => "not an MoE".into(),
                        None => "does not generate".into(),
                    }),
                })
                .collect(),
        };
    let bytes = |v: f64| Some((v, units::bytes(v.round() as u64)));
    let flops = |v: f64| Some((v, units::flops(v.round() as u64)));
    let low = Better::Lower;
    vec![
        row("kv_cache_bytes", "KV cache", "B", low, &|g| {
            bytes(g.kv_cache_bytes as f64)
        }),
        row(
            "generation_memory_estimate_bytes",
            "memory to generate (+KV)",
            "B",
            low,
            &|g| bytes(g.memory_estimate_bytes as f64),
        ),
        row("prefill_flops", "prefill FLOPs", "FLOP", low, &|g| {
            flops(g.prefill_flops as f64)
        }),
        row(
            "decode_step_flops",
            "decode FLOPs/step",
            "FLOP",
            low,
            &|g| flops(g.decode_step_flops),
        ),
        row(
            "decode_step_weight_bytes",
            "weights read/step",
            "B",
            low,
            &|g| bytes(g.decode_step_weight_bytes as f64),
        ),
        row(
            "decode_step_kv_read_bytes",
            "KV read/step",
            "B",
            low,
            &|g| bytes(g.decode_step_kv_read_bytes),
        ),
        row(
            "decode_arithmetic_intensity",
            "decode intensity",
            "FLOP/B",
            Better::Neither,
            &|g| {
                let ai = g.decode_arithmetic_intensity;
                Some((ai, format!("{ai:.2}")))
            },
        ),
        row(
            "expected_experts_per_layer",
            "experts/step expected",
            "experts",
            Better::Neither,
            &|g| g.expected_experts_per_layer.map(|e| (e, format!("{e:.2}"))),
        ),
    ]
}

/// The size of a variant in one short cell: `d128 h4 f512 L4`, or `w64 B4` (width, residual
/// blocks) for a convolutional network; its precision first where not f32, so a cell cut
/// short still shows it.
pub fn shape_label(family: &Family, dims: Option<&Dims>, precision: &Precision) -> String {
    let shape = shape_alone(family, dims);
    match precision.is_default() {
        true => shape,
        false => format!("{} {shape}", precision.label()),
    }
}

fn shape_alone(family: &Family, dims: Option<&Dims>) -> String {
    if let Some(shape) = family.own_shape() {
        return shape;
    }
    match dims {
        Some(d) => {
            // Fused attention is the default; the other kind is named.
            let attention = match d.attention {
                crate::arch::Attention::Fused => "",
                crate::arch::Attention::Explicit => " explicit",
            };
            format!(
                "d{} h{} f{} L{}{attention}{}",
                d.d_model,
                d.n_heads,
                d.d_ff,
                d.n_layers,
                options_label(d)
            )
        }
        None => "-".to_owned(),
    }
}

/// The language-model choices that differ from the defaults, briefly: ` kv2 rms swiglu rope
/// tied nobias V50257`.
fn options_label(d: &Dims) -> String {
    use crate::arch::{FfnKind, Norm, Positions};
    let o = &d.options;
    let mut parts = Vec::new();
    if d.kv_heads() != d.n_heads {
        parts.push(format!("kv{}", d.kv_heads()));
    }
    if let Some(head_dim) = o.head_dim {
        parts.push(format!("hd{head_dim}"));
    }
    if o.norm == Norm::RmsNorm {
        parts.push("rms".to_owned());
    }
    match o.ffn {
        FfnKind::Gelu => {}
        FfnKind::SwiGlu => parts.push("swiglu".to_owned()),
        FfnKind::GeGlu => parts.push("geglu".to_owned()),
    }
    match o.qk_norm {
        None => {}
        Some(crate::arch::QkNorm::Full) => parts.push("qknorm".to_owned()),
        Some(crate::arch::QkNorm::Head) => parts.push("qknorm/head".to_owned()),
    }
    if o.post_norms {
        parts.push("postnorm".to_owned());
    }
    if o.scale_embeddings {
        parts.push("xsqrt(d)".to_owned());
    }
    match o.positions {
        Positions::Learned => {}
        Positions::None => parts.push("nopos".to_owned()),
        Positions::Rotary => parts.push("rope".to_owned()),
    }
    if o.tie_embeddings {
        parts.push("tied".to_owned());
    }
    if o.qkv_bias {
        parts.push("qkvbias".to_owned());
    } else if !o.bias {
        parts.push("nobias".to_owned());
    }
    if let Some(v) = o.vocab {
        parts.push(format!("V{v}"));
    }
    parts.iter().map(|p| format!(" {p}")).collect()
}
