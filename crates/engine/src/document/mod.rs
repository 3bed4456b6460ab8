//! What every command and export writes, whatever the feature: the [`Document`] trait and its
//! formats, tables for the terminal and Markdown, CSV, and the helpers they share. Features
//! implement [`Document`] for their figures; the front ends only choose a [`Format`].

mod format;
pub mod plot;
mod schema;
mod text;

pub use format::{Document, DocumentError, Format, PLOTTED, TABULAR, envelope, render};
pub use schema::{SchemaProblem, read_schema};
pub use text::{csv_text, format_number, ratio_text, table_with_notes, text_table, with_lines};
