//! The live stream of `effprof bench --format jsonl`: a header line that carries everything the
//! views need besides the measurements (suite, analytic figures, host), then one engine summary
//! per line. `effprof view` reads it back, from a file or a pipe, on a thread of its own.

use std::io::BufRead;
use std::path::Path;
use std::sync::mpsc::{self, Receiver};

use serde::{Deserialize, Serialize};

use crate::document::{SchemaProblem, read_schema};
use crate::engine::{EngineError, EngineEvent};
use crate::measured::Summary;
use crate::report::{ModelsReport, VariantCost};
use crate::snapshot::{BURN_VERSION, Host};
use crate::spec::Suite;

pub const STREAM_SCHEMA: &str = "effprof.stream/1";
const STREAM_NAME: &str = "effprof.stream";
const STREAM_VERSION: u32 = 1;

/// The first line of a stream.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StreamHeader {
    pub schema: String,
    pub effprof_version: String,
    pub burn_version: String,
    pub host: Host,
    /// The suite as measured: selected variants, the batch of the run.
    pub suite: Suite,
    /// Each variant's analytic figures at that batch.
    pub analytic: Vec<VariantCost>,
}

impl StreamHeader {
    pub fn new(suite: &Suite, host: Host) -> Result<Self, crate::cost::CountError> {
        Ok(Self {
            schema: STREAM_SCHEMA.to_owned(),
            effprof_version: env!("CARGO_PKG_VERSION").to_owned(),
            burn_version: BURN_VERSION.to_owned(),
            host,
            suite: suite.clone(),
            analytic: ModelsReport::new(suite)?.variants,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("cannot read {origin}: {source}")]
    Read {
        origin: String,
        source: std::io::Error,
    },
    #[error("{origin} is empty: no stream header (record one with `effprof bench --format jsonl`)")]
    Empty { origin: String },
    #[error(
        "{origin} line 1 is not an effprof stream header ({STREAM_SCHEMA}): {why}; record one with `effprof bench --format jsonl`"
    )]
    NoHeader { origin: String, why: String },
    #[error(
        "{origin} is a {schema} stream, newer than this effprof {} reads (up to {STREAM_SCHEMA}); upgrade effprof to view it",
        env!("CARGO_PKG_VERSION")
    )]
    Newer { origin: String, schema: String },
    #[error("{origin} line {line}: {why}")]
    BadLine {
        origin: String,
        line: usize,
        why: String,
    },
}

/// Reads and checks the header, the stream's first line.
pub fn read_header(reader: &mut impl BufRead, origin: &str) -> Result<StreamHeader, StreamError> {
    let mut line = String::new();
    let n = reader
        .read_line(&mut line)
        .map_err(|source| StreamError::Read {
            origin: origin.to_owned(),
            source,
        })?;
    if n == 0 {
        return Err(StreamError::Empty {
            origin: origin.to_owned(),
        });
    }
    let no = |why: String| StreamError::NoHeader {
        origin: origin.to_owned(),
        why,
    };
    let value: serde_json::Value =
        serde_json::from_str(&line).map_err(|e| no(format!("not valid JSON ({e})")))?;
    match read_schema(&value, STREAM_NAME, STREAM_VERSION) {
        Ok(_) => {}
        Err(SchemaProblem::Newer(schema)) => {
            return Err(StreamError::Newer {
                origin: origin.to_owned(),
                schema,
            });
        }
        Err(SchemaProblem::OtherKind(schema)) => {
            return Err(no(format!("its schema is `{schema}`")));
        }
        Err(problem) => return Err(no(problem.why(STREAM_NAME))),
    }
    let header: StreamHeader = serde_json::from_value(value).map_err(|e| no(e.to_string()))?;
    header.check(origin)?;
    Ok(header)
}

impl StreamHeader {
    /// What the views rely on: a valid suite, and analytic figures for its variants.
    fn check(&self, origin: &str) -> Result<(), StreamError> {
        let invalid = |why: String| StreamError::BadLine {
            origin: origin.to_owned(),
            line: 1,
            why,
        };
        self.suite.check(origin).map_err(|e| {
            invalid(format!(
                "the header's suite is invalid: {}",
                e.field_and_message()
            ))
        })?;
        if let Some(extra) = self
            .analytic
            .iter()
            .find(|a| self.suite.variant(&a.name).is_none())
        {
            return Err(invalid(format!(
                "the header's analytic figures name `{}`, which is not in its suite",
                extra.name
            )));
        }
        Ok(())
    }
}

/// One summary line; `line` is its 1-based number, for the error.
pub fn parse_summary(text: &str, line: usize, origin: &str) -> Result<Summary, StreamError> {
    serde_json::from_str(text).map_err(|e| StreamError::BadLine {
        origin: origin.to_owned(),
        line,
        why: if e.is_eof() {
            "truncated (the line ends early)".to_owned()
        } else {
            format!("not an engine summary: {e}")
        },
    })
}

/// What the stream's reader thread hands over.
pub enum StreamItem {
    Event(crate::tasks::Event),
    /// The stream ended; how it went.
    End(String),
}

/// A stream whose header has been read: what `effprof view` shows.
pub struct StreamSource {
    origin: String,
    header: StreamHeader,
    reader: Box<dyn BufRead + Send>,
}

impl StreamSource {
    pub fn file(path: &Path) -> Result<Self, StreamError> {
        let origin = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| StreamError::Read {
            origin: origin.clone(),
            source,
        })?;
        Self::new(origin, Box::new(std::io::BufReader::new(file)))
    }

    pub fn stdin() -> Result<Self, StreamError> {
        Self::new(
            "standard input".to_owned(),
            Box::new(std::io::BufReader::new(std::io::stdin())),
        )
    }

    pub fn new(origin: String, mut reader: Box<dyn BufRead + Send>) -> Result<Self, StreamError> {
        let header = read_header(&mut reader, &origin)?;
        Ok(Self {
            origin,
            header,
            reader,
        })
    }

    /// The app that shows this stream: its suite, host and analytic figures.
    pub fn app(&self) -> Result<crate::app::App, crate::cost::CountError> {
        crate::app::App::watching(
            self.header.suite.clone(),
            self.header.host.clone(),
            self.origin.clone(),
        )
    }

    /// Reads the summaries on a thread of their own; a bad line is reported and skipped, the
    /// end of the stream reported once.
    pub fn spawn(self) -> Receiver<StreamItem> {
        let (tx, rx) = mpsc::channel();
        let origin = self.origin;
        let mut reader = self.reader;
        let read = move || {
            let mut summaries = 0usize;
            let mut line = String::new();
            for n in 2.. {
                line.clear();
                let event = match reader.read_line(&mut line) {
                    Ok(0) => {
                        let _ = tx.send(StreamItem::End(format!(
                            "end of {origin}: {summaries} summaries read; the figures shown are the run's last"
                        )));
                        return;
                    }
                    Ok(_) if line.trim().is_empty() => continue,
                    Ok(_) => match parse_summary(&line, n, &origin) {
                        Ok(summary) => {
                            summaries += 1;
                            StreamItem::Event(EngineEvent::Summary(Box::new(summary)))
                        }
                        Err(e) => StreamItem::Event(EngineEvent::Error(EngineError::Replay(
                            e.to_string(),
                        ))),
                    },
                    Err(e) => {
                        let _ = tx.send(StreamItem::Event(EngineEvent::Error(
                            EngineError::Replay(format!("cannot read {origin}: {e}")),
                        )));
                        return;
                    }
                };
                if tx.send(event).is_err() {
                    return;
                }
            }
        };
        let _ = std::thread::Builder::new()
            .name("effprof-stream".into())
            .spawn(read);
        rx
    }
}
