//! `effprof models --suite model.onnx`: an ONNX file's parameters and one run's FLOPs, bytes
//! and operations by kind, with what the counter could not count named.

use serde_json::json;

use super::ops::kinds_table;
use crate::document::{Document, envelope};
use crate::onnx::OnnxCount;
use crate::traced::OpKind;
use crate::units;

/// An ONNX file, counted.
#[derive(Clone, Debug)]
pub struct OnnxDocument {
    pub count: OnnxCount,
}

impl OnnxDocument {
    /// What the totals leave out: kinds without a FLOP rule, nodes without shapes.
    pub fn notes(&self) -> Vec<String> {
        let c = &self.count;
        let mut notes = Vec::new();
        let no_rule: Vec<String> = c
            .counts
            .kinds
            .iter()
            .filter(|k| c.no_rule.contains(&k.kind))
            .map(|k| format!("{} ({})", k.kind, k.ops))
            .collect();
        if !no_rule.is_empty() {
            notes.push(format!(
                "FLOPs not counted (no rule for these kinds): {}",
                no_rule.join(", ")
            ));
        }
        if !c.unresolved.is_empty() {
            const SHOWN: usize = 8;
            let named: Vec<String> = c
                .unresolved
                .iter()
                .take(SHOWN)
                .map(|u| format!("{} ({}): {}", u.node, u.op, u.why))
                .collect();
            let more = c.unresolved.len().saturating_sub(SHOWN);
            notes.push(format!(
                "{} operations have shapes the parser could not infer, so their FLOPs and bytes are not in the totals: {}{}. Fix the inputs' sizes and give the file its shapes (onnx.shape_inference.infer_shapes) to count them",
                c.unresolved.len(),
                named.join("; "),
                if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        notes
    }

    fn render(&self, markdown: bool) -> String {
        let c = &self.count;
        let s = &c.stored;
        let values = |vs: &[crate::onnx::Value]| {
            vs.iter()
                .map(|v| format!("{} {}", v.name, v.ty))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = format!(
            "{}: ONNX graph, opset {}{}; parsed by burn-onnx's onnx-ir\n",
            c.source,
            s.opset,
            match s.producer.is_empty() {
                true => String::new(),
                false => format!(", written by {}", s.producer),
            }
        );
        out.push_str(&format!("inputs:  {}\n", values(&c.inputs)));
        out.push_str(&format!("outputs: {}\n", values(&c.outputs)));
        out.push_str(&format!(
            "parameters: {} ({}) in {} initializers, {} stored\n",
            units::si(s.params as f64),
            units::grouped(s.params),
            s.param_tensors,
            units::bytes(s.param_bytes),
        ));
        if s.buffers > 0 {
            out.push_str(&format!(
                "buffers: {} batch-norm running statistics (PyTorch's buffers, not parameters)\n",
                units::grouped(s.buffers)
            ));
        }
        out.push_str(&format!(
            "one run: {} (PyTorch's FlopCounterMode convention), {} read and written by {} ops and {} views\n",
            units::flops(c.counts.flops),
            units::bytes(c.counts.bytes),
            c.counts.ops,
            c.counts.views,
        ));
        out.push_str(&kinds_table(&c.counts, markdown).to_string());
        out.push('\n');
        for note in self.notes() {
            out.push_str(&format!("note: {note}\n"));
        }
        out
    }
}

impl Document for OnnxDocument {
    fn text(&self) -> String {
        self.render(false)
    }

    fn markdown(&self) -> String {
        self.render(true)
    }

    /// One row per operation kind.
    fn csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(OpKind::CSV_COLUMNS.iter().chain(&["flops_counted"]))?;
        for k in &self.count.counts.kinds {
            w.write_record(k.csv_fields().iter().chain([&(!k.unknown).to_string()]))?;
        }
        crate::document::csv_text(w)
    }

    fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
        let c = &self.count;
        envelope(
            "effprof.onnx/1",
            suite,
            [
                ("source", json!(c.source)),
                ("producer", json!(c.stored.producer)),
                ("opset", json!(c.stored.opset)),
                ("inputs", json!(c.inputs)),
                ("outputs", json!(c.outputs)),
                ("stored", json!(c.stored)),
                ("traced", json!(c.counts)),
                ("unresolved", json!(c.unresolved)),
                ("flops_not_counted", json!(c.no_rule)),
                ("notes", json!(self.notes())),
            ],
        )
    }
}
