//! `effprof models`: Every variant's analytic indicators, without running a model; the list of suites.

use super::*;
use crate::document::{Document, Format};
use crate::report::{ModelsDocument, ModelsReport};

#[derive(Debug, clap::Args)]
pub struct ModelsArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Variants to show, comma-separated (default: all); the baseline is always shown.
    #[arg(long, value_delimiter = ',')]
    pub variants: Vec<String>,
    #[arg(long, short, default_value = "table", value_parser = formats(<crate::report::ModelsDocument as Document>::FORMATS))]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// List the suites: built in, and in ./models.
    #[arg(long)]
    pub list: bool,
    /// Only the analytic counts: do not record each variant's forward pass (the traced rows).
    #[arg(long, conflicts_with = "ops")]
    pub no_trace: bool,
    /// Each variant's recorded forward pass by operation kind: count, FLOPs, bytes read and
    /// written, share of the traffic.
    #[arg(long)]
    pub ops: bool,
    /// Where each variant's cost goes: `module` breaks it into its modules (embedding, each
    /// layer's attention and FFN or MoE, final norm, head; identical layers folded), with
    /// parameters, FLOPs and, for a transformer, its traced bytes and ops.
    #[arg(long, value_name = "module", value_parser = ["module"], conflicts_with_all = ["list", "ops", "no_trace"])]
    pub by: Option<String>,
    /// Count a safetensors checkpoint (a file, its model.safetensors.index.json, or their
    /// folder) from its header alone: parameters and bytes by dtype, no weights loaded.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["list", "ops"])]
    pub checkpoint: Option<PathBuf>,
}

pub(super) fn run(args: ModelsArgs) -> Result<(), CliError> {
    if args.list {
        return emit(&list_suites(), args.out.as_ref());
    }
    if let Some(path) = &args.checkpoint {
        let checkpoint =
            crate::checkpoint::read_checkpoint(path).map_err(|e| CliError::Usage(e.to_string()))?;
        let name = checkpoint.source.clone();
        let architecture = architecture_beside(path)?;
        let doc = crate::report::CheckpointDocument {
            checkpoint,
            architecture,
        };
        return write_document(&doc, args.format, &name, args.out.as_ref());
    }
    if spec::is_onnx(std::path::Path::new(&args.suite.suite)) {
        return count_onnx(&args);
    }
    let suite = select_variants(spec::load_suite(&args.suite.suite)?, &args.variants)?;
    if args.by.is_some() {
        let doc = crate::report::ModulesDocument::new(&suite)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        return write_document(&doc, args.format, &suite.name, args.out.as_ref());
    }
    let mut report = ModelsReport::new(&suite).map_err(|e| CliError::Usage(e.to_string()))?;
    let limit = memory_limit(&args.suite);
    if !args.no_trace {
        let progress = crate::headless::spinner();
        report.trace(limit, |name| {
            progress.set_message(format!("recording the forward pass of {name}"))
        });
        progress.finish_and_clear();
    }
    let mut table = report.table();
    for v in &report.variants {
        let Some(estimate) = v.cost.as_ref().map(|c| c.totals.memory_estimate_bytes) else {
            continue;
        };
        if estimate > limit {
            table.notes.push(format!(
                "warning: `{}` needs an estimated {}, over the memory limit of {}; it will be refused when built",
                v.name,
                units::bytes(estimate),
                units::bytes(limit)
            ));
        }
    }
    let name = suite.name.clone();
    if args.ops {
        let doc = crate::report::OpsDocument {
            variants: report.variants,
        };
        return write_document(&doc, args.format, &name, args.out.as_ref());
    }
    let doc = ModelsDocument { report, table };
    write_document(&doc, args.format, &name, args.out.as_ref())
}

/// `effprof models --suite model.onnx`: the file's graph counted; the options that choose a
/// suite's variants or its tables do not apply to it.
fn count_onnx(args: &ModelsArgs) -> Result<(), CliError> {
    let path = std::path::Path::new(&args.suite.suite);
    let refused = [
        (!args.variants.is_empty(), "--variants"),
        (args.ops, "--ops (the op table is always shown)"),
        (args.by.is_some(), "--by"),
        (args.no_trace, "--no-trace"),
    ];
    if let Some((_, option)) = refused.iter().find(|(set, _)| *set) {
        return Err(CliError::Usage(format!(
            "{}: {option} applies to a suite's variants, not to an ONNX graph",
            path.display()
        )));
    }
    let progress = crate::headless::spinner();
    progress.set_message(format!("parsing {}", path.display()));
    let count = crate::onnx::count_file(path);
    progress.finish_and_clear();
    let doc = crate::report::OnnxDocument {
        count: count.map_err(|e| CliError::Usage(e.to_string()))?,
    };
    let name = path
        .file_stem()
        .map_or_else(|| "onnx".to_owned(), |s| s.to_string_lossy().into_owned());
    write_document(&doc, args.format, &name, args.out.as_ref())
}

/// effprof's count of the architecture in the `config.json` beside a checkpoint, where there is
/// one; a config effprof cannot read is an error, as it would be for `--suite`.
fn architecture_beside(
    checkpoint: &std::path::Path,
) -> Result<Option<crate::report::ArchitectureCount>, CliError> {
    let dir = if checkpoint.is_dir() {
        checkpoint
    } else {
        checkpoint.parent().unwrap_or(std::path::Path::new("."))
    };
    let config = dir.join("config.json");
    if !config.is_file() {
        return Ok(None);
    }
    let suite = spec::load_suite(&config.display().to_string())?;
    let report = crate::cost::analyze(&suite.variants[0], &suite.workload)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(Some(crate::report::ArchitectureCount {
        config: config.display().to_string(),
        params: report.params_total,
    }))
}

pub(super) fn list_suites() -> String {
    let mut out = String::from("built-in suites (--suite NAME):\n");
    for b in BUILTIN_SUITES {
        let summary = match spec::parse_suite(b.text, b.name) {
            Ok(s) => format!("{} variants: {}", s.variants.len(), s.description),
            Err(e) => format!("invalid: {e}"),
        };
        out.push_str(&format!("  {:<12} {summary}\n", b.name));
    }
    if let Ok(entries) = std::fs::read_dir("models") {
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        if !files.is_empty() {
            out.push_str("files in ./models (--suite PATH):\n");
            for path in files {
                let shown = path.display().to_string();
                let summary = match spec::load_suite(&shown) {
                    Ok(s) => format!("{} variants: {}", s.variants.len(), s.description),
                    Err(e) => format!("invalid: {e}"),
                };
                out.push_str(&format!("  {shown:<24} {summary}\n"));
            }
        }
    }
    out
}
