//! What every command and export writes, whatever the feature: tables for the terminal and
//! Markdown, CSV, and the helpers they share. Features build their documents from these.

mod text;

pub use text::{csv_text, format_number, ratio_text, text_table};
