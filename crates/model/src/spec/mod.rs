//! Model suites: the `models/*.toml` files that name the variants to compare and the workload
//! they share. Parsing, validation and dimension matching live here; nothing here touches burn.

mod builtin;
mod check;
mod error;
pub mod hf;
mod matching;
mod parse;
pub mod reference;

pub use builtin::{BUILTIN_SUITES, BuiltinSuite, DEFAULT_SUITE};
pub use error::{SpecError, line_of};
pub use matching::MATCH_TOLERANCE;
pub use parse::{is_onnx, load_suite, parse_suite};

use crate::arch::{Variant, Workload};

use serde::{Deserialize, Serialize};

/// A validated suite with every matched dimension solved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    pub name: String,
    pub description: String,
    /// Where the suite came from: a file path, or `builtin:NAME`.
    pub source: String,
    pub workload: Workload,
    pub variants: Vec<Variant>,
}

impl Suite {
    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }

    /// The suite measured at `batch` instead of its own.
    pub fn at_batch(&self, batch: usize) -> Suite {
        let mut suite = self.clone();
        suite.workload.batch = batch;
        suite
    }

    pub fn baseline(&self) -> &Variant {
        self.variant(&self.workload.baseline)
            .expect("validation guarantees the baseline exists")
    }
}
