//! `effprof models --checkpoint`: a checkpoint's parameters and bytes by dtype, read from its
//! header alone.

use comfy_table::CellAlignment;
use serde_json::json;

use crate::checkpoint::Checkpoint;
use crate::document::{Document, envelope, text_table};
use crate::units;

/// A checkpoint's tensors, counted by dtype.
#[derive(Clone, Debug)]
pub struct CheckpointDocument {
    pub checkpoint: Checkpoint,
    /// The parameters effprof counts for the architecture of the config beside the
    /// checkpoint, where there is one.
    pub architecture: Option<ArchitectureCount>,
}

/// effprof's count of the architecture a config describes, to set beside a checkpoint's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchitectureCount {
    pub config: String,
    pub params: u64,
}

impl CheckpointDocument {
    /// The line that sets the config's count beside the checkpoint's.
    fn architecture_line(&self) -> Option<String> {
        let a = self.architecture.as_ref()?;
        let stored = self.checkpoint.params();
        let verdict = match stored.cmp(&a.params) {
            std::cmp::Ordering::Equal => "equal".to_owned(),
            std::cmp::Ordering::Greater => format!(
                "the checkpoint holds {} more (buffers, or tensors the architecture lacks)",
                units::grouped(stored - a.params)
            ),
            std::cmp::Ordering::Less => format!(
                "the checkpoint holds {} fewer (tensors missing, or shared ones stored once)",
                units::grouped(a.params - stored)
            ),
        };
        Some(format!(
            "{}: {} parameters as effprof counts its architecture; {verdict}\n",
            a.config,
            units::grouped(a.params)
        ))
    }
}

impl CheckpointDocument {
    fn render(&self, markdown: bool) -> String {
        let c = &self.checkpoint;
        let mut table = text_table(
            markdown,
            ["dtype", "tensors", "parameters", "bytes", "bytes/param"],
        );
        let per_param = |bytes: u64, params: u64| {
            if params == 0 {
                "-".to_owned()
            } else {
                format!("{:.2}", bytes as f64 / params as f64)
            }
        };
        for d in c.by_dtype() {
            table.add_row([
                d.dtype.clone(),
                d.tensors.to_string(),
                units::si(d.params as f64),
                units::bytes(d.bytes),
                per_param(d.bytes, d.params),
            ]);
        }
        table.add_row([
            "total".to_owned(),
            c.tensors.len().to_string(),
            units::si(c.params() as f64),
            units::bytes(c.bytes()),
            per_param(c.bytes(), c.params()),
        ]);
        for column in table.column_iter_mut().skip(1) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        format!(
            "{}: {} parameters ({}) in {} tensors, {} file{}; read from the header{}, no weights loaded\n{}{table}\n",
            c.source,
            units::si(c.params() as f64),
            units::grouped(c.params()),
            c.tensors.len(),
            c.files.len(),
            if c.files.len() == 1 { "" } else { "s" },
            if c.files.len() == 1 { "" } else { "s" },
            self.architecture_line().unwrap_or_default(),
        )
    }
}

impl Document for CheckpointDocument {
    fn text(&self) -> String {
        self.render(false)
    }

    fn markdown(&self) -> String {
        self.render(true)
    }

    /// One row per tensor.
    fn csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["tensor", "dtype", "shape", "parameters", "bytes"])?;
        for t in &self.checkpoint.tensors {
            let shape: Vec<String> = t.shape.iter().map(u64::to_string).collect();
            w.write_record([
                t.name.clone(),
                t.dtype.clone(),
                shape.join("x"),
                t.params.to_string(),
                t.bytes.to_string(),
            ])?;
        }
        crate::document::csv_text(w)
    }

    fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
        let c = &self.checkpoint;
        let by_dtype: Vec<serde_json::Value> = c
            .by_dtype()
            .into_iter()
            .map(|d| json!({"dtype": d.dtype, "tensors": d.tensors, "params": d.params, "bytes": d.bytes}))
            .collect();
        let tensors: Vec<serde_json::Value> = c
            .tensors
            .iter()
            .map(|t| json!({"name": t.name, "dtype": t.dtype, "shape": t.shape, "params": t.params, "bytes": t.bytes}))
            .collect();
        envelope(
            "effprof.checkpoint/1",
            suite,
            [
                ("files", json!(c.files)),
                ("params", json!(c.params())),
                ("bytes", json!(c.bytes())),
                ("by_dtype", json!(by_dtype)),
                ("tensors", json!(tensors)),
                (
                    "architecture",
                    json!(
                        self.architecture
                            .as_ref()
                            .map(|a| json!({"config": a.config, "params": a.params}))
                    ),
                ),
            ],
        )
    }
}
