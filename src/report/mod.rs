//! Tables and documents made from a suite's figures, for the terminal, Markdown, CSV and JSON.

mod bench;
mod models;
mod table;

pub use bench::{BenchReport, BenchVariant, format_seconds};
pub use models::{ModelsReport, VariantCost};
pub use table::{Better, Cell, IndicatorTable, Row, ratio_text};
