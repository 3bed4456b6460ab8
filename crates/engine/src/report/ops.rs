//! `effprof models --ops`: where each variant's forward pass spends its FLOPs and bytes, by
//! operation kind, from its recorded graph, beside the analytic memory access estimate.

use serde::Serialize;

use super::VariantCost;
use crate::document::{Document, envelope, text_table};
use crate::traced::{OpKind, Traced, TracedCounts};
use crate::units;

/// The analytic estimate of `v`'s memory traffic beside the `traced` bytes: "12 MB estimated
/// (1.37x)", or why there is none.
fn estimated(v: &VariantCost, traced: u64) -> String {
    match &v.cost {
        Some(c) => {
            let analytic = c.totals.mem_access_bytes;
            format!(
                "{} estimated ({})",
                units::bytes(analytic),
                crate::document::ratio_text(traced as f64 / analytic.max(1) as f64)
            )
        }
        None => format!("n/a estimated: {}", super::NOT_BUILT_IN),
    }
}

/// `counts` by kind: count, FLOPs, bytes read and written, share of the traffic.
pub fn kinds_table(counts: &TracedCounts, markdown: bool) -> comfy_table::Table {
    let mut table = text_table(
        markdown,
        ["op", "count", "FLOPs", "read", "written", "of traffic"],
    );
    for k in &counts.kinds {
        table.add_row([
            k.label(),
            k.ops.to_string(),
            units::flops(k.flops),
            units::bytes(k.bytes_read),
            units::bytes(k.bytes_written),
            format!(
                "{:.1}%",
                100.0 * k.bytes() as f64 / counts.bytes.max(1) as f64
            ),
        ]);
    }
    for column in table.column_iter_mut().skip(1) {
        column.set_cell_alignment(comfy_table::CellAlignment::Right);
    }
    table
}

/// The op breakdown of a suite's variants.
#[derive(Clone, Debug, Serialize)]
pub struct OpsDocument {
    pub variants: Vec<VariantCost>,
}

impl OpsDocument {
    fn sections(&self, markdown: bool) -> String {
        let mut out = String::new();
        for v in &self.variants {
            let counts = match &v.traced {
                Some(Traced::Counted(c)) => c,
                Some(Traced::NotAvailable { why }) => {
                    out.push_str(&format!("{}: n/a: {why}\n\n", v.name));
                    continue;
                }
                None => continue,
            };
            out.push_str(&format!(
                "{}: {} ops and {} views per forward, {} traced; memory traffic {} traced against {}\n",
                v.name,
                counts.ops,
                counts.views,
                units::flops(counts.flops),
                units::bytes(counts.bytes),
                estimated(v, counts.bytes)
            ));
            let table = kinds_table(counts, markdown);
            out.push_str(&table.to_string());
            out.push_str("\n\n");
        }
        out
    }
}

impl Document for OpsDocument {
    fn text(&self) -> String {
        self.sections(false)
    }
    fn markdown(&self) -> String {
        self.sections(true)
    }
    /// One row per variant and op kind.
    fn csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(
            ["variant"]
                .iter()
                .chain(&OpKind::CSV_COLUMNS)
                .chain(&["host"]),
        )?;
        for v in &self.variants {
            let Some(Traced::Counted(c)) = &v.traced else {
                continue;
            };
            for k in &c.kinds {
                let fields = k.csv_fields();
                w.write_record(
                    [&v.name]
                        .into_iter()
                        .chain(&fields)
                        .chain([&k.host.to_string()]),
                )?;
            }
        }
        crate::document::csv_text(w)
    }
    fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
        let ops: Vec<serde_json::Value> = self
            .variants
            .iter()
            .map(|v| {
                serde_json::json!({
                    "variant": v.name,
                    "mem_access_bytes": v.cost.as_ref().map(|c| c.totals.mem_access_bytes),
                    "flops_executed": v.cost.as_ref().map(|c| c.totals.flops_executed),
                    "traced": v.traced,
                })
            })
            .collect();
        envelope(
            "effprof.ops/1",
            suite,
            [("variants", serde_json::Value::Array(ops))],
        )
    }
}
