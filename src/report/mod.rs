//! Tables and documents made from a suite's figures, for the terminal, Markdown, CSV and JSON.

mod bench;
mod models;
mod ranks;
mod table;

pub use models::{ModelsReport, VariantCost};
pub use ranks::{RANKED, Ranks, kendall_tau_b, rank};
pub use table::{
    Better, Cell, IndicatorTable, Row, Source, csv_text, format_number, ratio_text, text_table,
};
