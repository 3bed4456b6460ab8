//! The formats a document is written in, and the one trait every feature's output implements.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// An output format, as `--format` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    Md,
    Csv,
    Json,
    Svg,
    /// One JSON summary per line while a run goes on.
    Jsonl,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Table,
        Format::Md,
        Format::Csv,
        Format::Json,
        Format::Svg,
        Format::Jsonl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Md => "md",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Svg => "svg",
            Format::Jsonl => "jsonl",
        }
    }

    /// What `--help` says of it.
    pub fn help(self) -> &'static str {
        match self {
            Format::Table => "aligned columns for a terminal",
            Format::Md => "Markdown",
            Format::Csv => "comma-separated values, one row per figure",
            Format::Json => "one JSON document, the source of truth",
            Format::Svg => "the figures drawn (SVG)",
            Format::Jsonl => "one JSON summary per line while the run goes on",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Read by people rather than programs: notes such as skipped variants go into it.
    pub fn is_prose(self) -> bool {
        matches!(self, Format::Table | Format::Md)
    }
}

/// The formats of a document that has no plot.
pub const TABULAR: &[Format] = &[Format::Table, Format::Json, Format::Csv, Format::Md];
/// The formats of a document that also draws itself.
pub const PLOTTED: &[Format] = &[
    Format::Table,
    Format::Json,
    Format::Csv,
    Format::Md,
    Format::Svg,
];

/// What a command writes: a feature's figures in every format it supports. The JSON form is
/// the source of truth; a document that is not its own envelope puts its fields under
/// [`envelope`].
pub trait Document {
    /// The formats `--format` offers for it.
    const FORMATS: &'static [Format] = TABULAR;
    fn text(&self) -> String;
    fn markdown(&self) -> String;
    fn csv(&self) -> Result<String, csv::Error>;
    /// The JSON document, about the suite named `suite`, pretty-printed.
    fn json(&self, suite: &str) -> Result<String, serde_json::Error>;
    /// The document drawn, where it has a plot.
    fn svg(&self) -> Option<Result<String, String>> {
        None
    }
}

/// Why a document could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot draw the plot: {0}")]
    Plot(String),
    #[error("{0} is not a format of this document")]
    Unsupported(&'static str),
}

/// `doc`, about the suite named `suite`, in `format`.
pub fn render<D: Document>(doc: &D, format: Format, suite: &str) -> Result<String, DocumentError> {
    Ok(match format {
        Format::Table => doc.text(),
        Format::Md => doc.markdown(),
        Format::Csv => doc.csv()?,
        Format::Json => {
            let mut text = doc.json(suite)?;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text
        }
        Format::Svg => match doc.svg() {
            Some(svg) => svg.map_err(DocumentError::Plot)?,
            None => return Err(DocumentError::Unsupported(format.name())),
        },
        Format::Jsonl => return Err(DocumentError::Unsupported(format.name())),
    })
}

/// A JSON document, pretty-printed: its schema (`effprof.sweep/1`), the effprof that wrote it,
/// the suite, then the feature's `fields` in their order.
pub fn envelope(
    schema: &str,
    suite: &str,
    fields: impl IntoIterator<Item = (&'static str, Value)>,
) -> Result<String, serde_json::Error> {
    struct Envelope<'a> {
        schema: &'a str,
        suite: &'a str,
        fields: Vec<(&'static str, Value)>,
    }
    impl Serialize for Envelope<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(3 + self.fields.len()))?;
            map.serialize_entry("schema", self.schema)?;
            map.serialize_entry("effprof_version", env!("CARGO_PKG_VERSION"))?;
            map.serialize_entry("suite", self.suite)?;
            for (key, value) in &self.fields {
                map.serialize_entry(key, value)?;
            }
            map.end()
        }
    }
    serde_json::to_string_pretty(&Envelope {
        schema,
        suite,
        fields: fields.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;

    impl Document for Plain {
        fn text(&self) -> String {
            "text\n".into()
        }
        fn markdown(&self) -> String {
            "| md |\n".into()
        }
        fn csv(&self) -> Result<String, csv::Error> {
            Ok("a,b\n".into())
        }
        fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
            envelope("effprof.plain/1", suite, [("n", 3.into())])
        }
    }

    #[test]
    fn every_format_name_reads_back() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("yaml"), None);
    }

    #[test]
    fn a_document_is_written_in_its_formats_and_refuses_the_others() {
        assert_eq!(render(&Plain, Format::Table, "tiny").unwrap(), "text\n");
        assert_eq!(render(&Plain, Format::Md, "tiny").unwrap(), "| md |\n");
        let text = render(&Plain, Format::Json, "tiny").unwrap();
        assert!(
            text.starts_with("{\n  \"schema\": \"effprof.plain/1\""),
            "{text}"
        );
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["schema"], "effprof.plain/1");
        assert_eq!(json["suite"], "tiny");
        assert_eq!(json["n"], 3);
        assert_eq!(json["effprof_version"], env!("CARGO_PKG_VERSION"));
        for f in [Format::Svg, Format::Jsonl] {
            let e = render(&Plain, f, "tiny").unwrap_err();
            assert!(e.to_string().contains(f.name()), "{e}");
        }
    }
}
