//! ONNX files, counted: parameters from the stored initializers, FLOPs, bytes and operations
//! from the graph as burn-onnx's parser (`onnx-ir`) reads it, with its types and shapes
//! inferred, by the conventions the traced counts use (PyTorch's `FlopCounterMode`).

mod graph;
mod stored;

pub use graph::{UNKNOWN_OPS, Unresolved};
pub use stored::Stored;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::traced::TracedCounts;

/// The name of the thread that parses an ONNX file, so a panic inside the parser is reported
/// as an error about the file (and the panic hook can stay quiet for it).
pub const PARSER_THREAD: &str = "onnx-import";

/// An ONNX file that cannot be counted, and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OnnxError {
    pub path: String,
    pub message: String,
}

/// One input or output of the graph.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Value {
    pub name: String,
    /// Its dtype and shape as the parser inferred them (`F32[1, 3, 224, 224]`, `?` for a
    /// dimension it does not know).
    pub ty: String,
}

/// What one ONNX file holds and what one run of its graph costs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OnnxCount {
    pub source: String,
    pub inputs: Vec<Value>,
    pub outputs: Vec<Value>,
    pub stored: Stored,
    /// FLOPs, bytes and operations of one run, by kind (`params` is `stored.params`).
    pub counts: TracedCounts,
    /// Operations whose shapes the parser could not infer: their FLOPs and bytes are not in
    /// the totals.
    pub unresolved: Vec<Unresolved>,
    /// The kinds whose FLOPs the counter has no rule for ([`UNKNOWN_OPS`] and custom ops).
    pub no_rule: Vec<String>,
}

/// The parser's message with each node it names (`Node 'matmul3'`) followed by the file's
/// name for it.
fn with_file_names(message: &str, names: &stored::FileNames) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find("ode '") {
        let (head, tail) = rest.split_at(at + "ode '".len());
        out.push_str(head);
        let Some(end) = tail.find('\'') else {
            rest = tail;
            break;
        };
        let parsed = &tail[..end];
        out.push_str(parsed);
        out.push('\'');
        if let Some(file) = names.node(parsed) {
            out.push_str(&format!(" (`{file}` in the file)"));
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Counts the ONNX file at `path`: its initializers from the file itself, its graph through
/// `onnx-ir`. The parser runs on its own thread ([`PARSER_THREAD`]): a file it cannot read,
/// even one that makes it panic, is an error naming the file.
pub fn count_file(path: &Path) -> Result<OnnxCount, OnnxError> {
    let shown = path.display().to_string();
    let error = |message: String| OnnxError {
        path: shown.clone(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| error(format!("cannot read the file: {e}")))?;
    let (stored, names) = stored::read(&bytes).map_err(&error)?;
    drop(bytes);
    let owned: PathBuf = path.to_owned();
    let file_names = names.clone();
    let parsed = std::thread::Builder::new()
        .name(PARSER_THREAD.to_owned())
        .spawn(move || -> Result<graph::GraphCount, String> {
            let graph = onnx_ir::OnnxGraphBuilder::new()
                // The graph as the file states it: no node removed or merged beyond what
                // the parser always does (a MatMul and its bias Add become one Linear).
                .simplify(false)
                .parse_file(&owned)
                .map_err(|e| e.to_string())?;
            graph::count(&graph, &file_names)
        })
        .map_err(|e| error(format!("cannot start the parser: {e}")))?
        .join();
    let graph = match parsed {
        Ok(Ok(graph)) => graph,
        Ok(Err(message)) => return Err(error(with_file_names(&message, &names))),
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            return Err(error(format!("the ONNX parser failed on this file: {why}")));
        }
    };
    let mut counts = graph.counts;
    counts.params = stored.params;
    Ok(OnnxCount {
        source: shown,
        inputs: graph.inputs,
        outputs: graph.outputs,
        stored,
        counts,
        unresolved: graph.unresolved,
        no_rule: graph.no_rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parsers_messages_name_the_files_nodes_too() {
        let (_, names) = stored::read(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/onnx/blocks.onnx"
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            with_file_names("Node 'matmul3' (MatMul): bad, and node 'relu1' too", &names),
            "Node 'matmul3' (`fc3` in the file) (MatMul): bad, and node 'relu1' (`act` in the file) too"
        );
        assert_eq!(with_file_names("Node 'unclosed", &names), "Node 'unclosed");
    }
}
