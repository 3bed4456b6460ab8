//! The options several commands share: what they measure, and how `--format` is read.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use crate::backend::Backend;
use crate::document::Format;
use crate::spec::DEFAULT_SUITE;
use crate::units;

/// `--format`'s parser: the formats a command's document is written in, by name.
pub(super) fn formats(allowed: &'static [Format]) -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(
        allowed
            .iter()
            .map(|f| PossibleValue::new(f.name()).help(f.help())),
    )
    .try_map(|name| Format::from_name(&name).ok_or("not a format"))
}

/// What a measuring command measures: which suite, which of its variants, on which backend.
#[derive(Debug, clap::Args)]
pub struct Selection {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Variants, comma-separated (default: all of the suite's); the baseline is always kept.
    #[arg(long, value_delimiter = ',')]
    pub variants: Vec<String>,
    /// ndarray, flex, wgpu, wgpu:cpu, wgpu:discrete:N, wgpu:integrated:N, cuda:N, rocm:N
    /// (in a build with them), or remote:ws://HOST:PORT (a machine running `effprof serve`).
    #[arg(long, short, default_value = "flex")]
    pub backend: Backend,
}

#[derive(Debug, clap::Args)]
pub struct ViewArgs {
    /// A file recorded with `effprof bench --format jsonl`, or - for standard input.
    pub stream: String,
    /// Folder that `s` writes snapshots into.
    #[arg(long, default_value = "effprof-snapshots")]
    pub out_dir: PathBuf,
    #[command(flatten)]
    pub look: super::LookArgs,
}

#[derive(Debug, clap::Args)]
pub struct SuiteArgs {
    /// A suite file, the name of a built-in suite (see `effprof models --list`), or a Hugging
    /// Face config.json (or the folder holding it) as a suite of that one model.
    #[arg(long, short, default_value = DEFAULT_SUITE)]
    pub suite: String,
    /// Refuse models whose estimated memory exceeds this (e.g. 4GB, 512MiB); default: half of
    /// the available memory.
    #[arg(long, value_parser = units::parse_bytes)]
    pub max_memory: Option<u64>,
}
