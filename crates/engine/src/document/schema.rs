//! Reading a document's `schema` back: `effprof.snapshot/1` names the kind of document and
//! its version, and a reader refuses other kinds and versions newer than it knows.

use serde_json::Value;

/// Why a JSON value is not a document of the kind asked for, or not one this effprof reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaProblem {
    NotAnObject,
    NoSchema,
    NotAString,
    /// Another kind of document (the schema found).
    OtherKind(String),
    /// The right kind, with a version that is not a number.
    BadVersion(String),
    /// The right kind, newer than this effprof reads (the schema found).
    Newer(String),
}

impl SchemaProblem {
    /// Why, as the rest of a sentence that starts with the document's name.
    pub fn why(&self, kind: &str) -> String {
        match self {
            SchemaProblem::NotAnObject => "it is not a JSON object".into(),
            SchemaProblem::NoSchema => "it has no `schema` field".into(),
            SchemaProblem::NotAString => "its `schema` is not a string".into(),
            SchemaProblem::OtherKind(schema) => {
                format!("its schema is `{schema}`; they have `{kind}/N`")
            }
            SchemaProblem::BadVersion(version) => {
                format!("its schema version `{version}` is not a number")
            }
            SchemaProblem::Newer(schema) => format!("its schema `{schema}` is newer than {kind}"),
        }
    }
}

/// The schema of `value` when it is a `kind/N` document with N at most `newest`.
pub fn read_schema(value: &Value, kind: &str, newest: u32) -> Result<String, SchemaProblem> {
    let schema = match value.get("schema") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(SchemaProblem::NotAString),
        None if value.is_object() => return Err(SchemaProblem::NoSchema),
        None => return Err(SchemaProblem::NotAnObject),
    };
    let Some(version) = schema.strip_prefix(kind).and_then(|v| v.strip_prefix('/')) else {
        return Err(SchemaProblem::OtherKind(schema));
    };
    match version.parse::<u32>() {
        Err(_) => Err(SchemaProblem::BadVersion(version.to_owned())),
        Ok(n) if n > newest => Err(SchemaProblem::Newer(schema)),
        Ok(_) => Ok(schema),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_schema_is_read_only_for_its_kind_and_known_versions() {
        let read = |v: Value| read_schema(&v, "effprof.thing", 2);
        assert_eq!(
            read(json!({"schema": "effprof.thing/2"})),
            Ok("effprof.thing/2".into())
        );
        assert_eq!(
            read(json!({"schema": "effprof.thing/3"})),
            Err(SchemaProblem::Newer("effprof.thing/3".into()))
        );
        assert_eq!(
            read(json!({"schema": "effprof.thingy/1"})),
            Err(SchemaProblem::OtherKind("effprof.thingy/1".into()))
        );
        assert_eq!(
            read(json!({"schema": "effprof.thing/x"})),
            Err(SchemaProblem::BadVersion("x".into()))
        );
        assert_eq!(read(json!({"schema": 1})), Err(SchemaProblem::NotAString));
        assert_eq!(read(json!({})), Err(SchemaProblem::NoSchema));
        assert_eq!(read(json!([1])), Err(SchemaProblem::NotAnObject));
    }
}
