//! Reading a snapshot back, with errors that name the file and what is wrong with it.

use std::path::Path;

use super::{SCHEMA, SCHEMA_NAME, SCHEMA_VERSION, Snapshot};
use crate::document::{SchemaProblem, read_schema};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "{file} is truncated: the JSON ends early at line {line}, column {column} (was its write interrupted?)"
    )]
    Truncated {
        file: String,
        line: usize,
        column: usize,
    },
    #[error("{file} is not valid JSON: {message}")]
    Corrupt { file: String, message: String },
    #[error("{file} is not an effprof snapshot: {why}")]
    NotASnapshot { file: String, why: String },
    #[error(
        "{file} was written with schema {schema}, newer than this effprof {ours} reads (up to {SCHEMA}); upgrade effprof to read it"
    )]
    Newer {
        file: String,
        schema: String,
        ours: &'static str,
    },
    #[error("{file} does not match schema {schema}: {message}")]
    Schema {
        file: String,
        schema: String,
        message: String,
    },
}

impl Snapshot {
    pub fn load(path: &Path) -> Result<Self, SnapshotError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Read {
            file: file.clone(),
            source,
        })?;
        Self::from_json(&text, &file)
    }

    /// Parses a snapshot; `file` names it in errors.
    pub fn from_json(text: &str, file: &str) -> Result<Self, SnapshotError> {
        let file = file.to_owned();
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            if e.is_eof() {
                SnapshotError::Truncated {
                    file: file.clone(),
                    line: e.line(),
                    column: e.column(),
                }
            } else {
                SnapshotError::Corrupt {
                    file: file.clone(),
                    message: e.to_string(),
                }
            }
        })?;
        let not = |why: String| SnapshotError::NotASnapshot {
            file: file.clone(),
            why,
        };
        let schema = match read_schema(&value, SCHEMA_NAME, SCHEMA_VERSION) {
            Ok(schema) => schema,
            Err(SchemaProblem::Newer(schema)) => {
                return Err(SnapshotError::Newer {
                    file,
                    schema,
                    ours: env!("CARGO_PKG_VERSION"),
                });
            }
            Err(SchemaProblem::OtherKind(schema)) => {
                return Err(not(format!(
                    "its schema is `{schema}`; snapshots have `{SCHEMA_NAME}/N`"
                )));
            }
            Err(problem) => return Err(not(problem.why(SCHEMA_NAME))),
        };
        // From the text, not the value: the message then says at which line and column.
        drop(value);
        let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| SnapshotError::Schema {
            file: file.clone(),
            schema: schema.clone(),
            message: e.to_string(),
        })?;
        snapshot
            .check(&file)
            .map_err(|message| SnapshotError::Schema {
                file,
                schema,
                message,
            })?;
        Ok(snapshot)
    }

    /// What `report`, `diff` and the views rely on beyond the JSON's shape; the message names
    /// the field at fault.
    fn check(&self, file: &str) -> Result<(), String> {
        self.suite
            .check(file)
            .map_err(|e| format!("the suite it carries is invalid: {}", e.field_and_message()))?;
        if self.run.batch == 0 {
            return Err("batch: must be at least 1; got 0".into());
        }
        if self.variants.is_empty() {
            return Err("variants: must hold at least one measured variant; got none".into());
        }
        for v in &self.variants {
            let name = &v.analytic.name;
            if self.suite.variant(name).is_none() {
                return Err(format!(
                    "variants: `{name}` is not a variant of the snapshot's suite"
                ));
            }
            if v.measured.name != *name {
                return Err(format!(
                    "variants: `{name}` carries the measurements of `{}`",
                    v.measured.name
                ));
            }
        }
        if let Some(p) = &self.pipeline {
            check_pipeline(p).map_err(|e| format!("pipeline: {e}"))?;
        }
        if let Some(sweep) = &self.sweep
            && let Some(bad) = sweep.points.iter().find(|p| p.batch == 0)
        {
            return Err(format!(
                "sweep: points: batch must be at least 1; got {}",
                bad.batch
            ));
        }
        Ok(())
    }
}

/// Stage lists one entry per stage, micro-batch counts effprof could have simulated, times that
/// are times.
fn check_pipeline(p: &crate::pipeline::PipelineReport) -> Result<(), String> {
    use crate::pipeline::MAX_MICRO_BATCHES;
    let s = &p.stages;
    let stages = s.layers.len();
    if stages == 0 {
        return Err("stages: layers: must list at least one stage".into());
    }
    if s.micro_batch == 0 {
        return Err("stages: micro_batch: must be at least 1; got 0".into());
    }
    if let Some(r) = s.layers.iter().find(|r| r.start >= r.end) {
        return Err(format!(
            "stages: layers: {}..{} holds no layer",
            r.start, r.end
        ));
    }
    let lists = [
        ("forward_s", Some(&s.forward_s)),
        ("train_forward_s", s.train_forward_s.as_ref()),
        ("backward_s", s.backward_s.as_ref()),
    ];
    for (key, list) in lists {
        let Some(list) = list else { continue };
        if list.len() != stages {
            return Err(format!(
                "stages: {key}: must hold one time per stage ({stages}); got {}",
                list.len()
            ));
        }
        if let Some(t) = list.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            return Err(format!("stages: {key}: {t} is not a time in seconds"));
        }
    }
    if s.train_forward_s.is_some() != s.backward_s.is_some() {
        return Err("stages: train_forward_s and backward_s: give both or neither".into());
    }
    let micro =
        std::iter::once(p.drawn_micro_batches).chain(p.points.iter().map(|x| x.micro_batches));
    for m in micro {
        if !(1..=MAX_MICRO_BATCHES).contains(&m) {
            return Err(format!(
                "micro-batches: must be 1 to {MAX_MICRO_BATCHES}; got {m}"
            ));
        }
    }
    Ok(())
}
