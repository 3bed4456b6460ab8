//! Reading a snapshot back, with errors that name the file and what is wrong with it.

use std::path::Path;

use super::{SCHEMA, SCHEMA_NAME, SCHEMA_VERSION, Snapshot};

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
        let schema = match value.get("schema") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(_) => return Err(not("its `schema` is not a string".into())),
            None if value.is_object() => return Err(not("it has no `schema` field".into())),
            None => return Err(not("it is not a JSON object".into())),
        };
        let version = schema
            .strip_prefix(SCHEMA_NAME)
            .and_then(|v| v.strip_prefix('/'))
            .ok_or_else(|| {
                not(format!(
                    "its schema is `{schema}`; snapshots have `{SCHEMA_NAME}/N`"
                ))
            })?;
        let version: u32 = version
            .parse()
            .map_err(|_| not(format!("its schema version `{version}` is not a number")))?;
        if version > SCHEMA_VERSION {
            return Err(SnapshotError::Newer {
                file,
                schema,
                ours: env!("CARGO_PKG_VERSION"),
            });
        }
        serde_json::from_value(value).map_err(|e| SnapshotError::Schema {
            file,
            schema,
            message: e.to_string(),
        })
    }
}
