//! Plain text output shared by every document: terminal and Markdown tables, CSV into memory,
//! and numbers printed so that a value read back from JSON prints the same.

use comfy_table::presets::{ASCII_MARKDOWN, UTF8_FULL_CONDENSED};
use comfy_table::{ContentArrangement, Table};

/// A table for the terminal (wrapped to fit) or, with `markdown`, for GitHub-flavoured
/// Markdown, under `header`.
pub fn text_table<T: Into<comfy_table::Cell>>(
    markdown: bool,
    header: impl IntoIterator<Item = T>,
) -> Table {
    let mut table = Table::new();
    if markdown {
        table.load_preset(ASCII_MARKDOWN);
    } else {
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
    }
    table.set_header(header);
    table
}

/// `table` and what is said under it: on a terminal, `legend` (what its marks mean) and then
/// each note on its own line; in Markdown, the notes as a list.
pub fn table_with_notes(
    table: &Table,
    legend: Option<&str>,
    notes: &[String],
    markdown: bool,
) -> String {
    let mut out = table.to_string();
    out.push('\n');
    if markdown {
        if !notes.is_empty() {
            out.push('\n');
        }
        for note in notes {
            out.push_str(&format!("- {note}\n"));
        }
        return out;
    }
    if let Some(legend) = legend {
        out.push_str(legend);
        out.push('\n');
    }
    with_lines(out, notes)
}

/// What a CSV writer into memory wrote, as text.
pub fn csv_text(w: csv::Writer<Vec<u8>>) -> Result<String, csv::Error> {
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("csv writes the UTF-8 it was given"))
}

/// Integers print exactly; other numbers to 12 significant digits, more than any measurement
/// here resolves, so a value read back from JSON (which may differ in its last bit) prints the
/// same.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else if v.is_finite() {
        let rounded: f64 = format!("{v:.11e}").parse().unwrap_or(v);
        format!("{rounded}")
    } else {
        format!("{v}")
    }
}

/// `1.00x`, `0.12x`, `12.3x`.
pub fn ratio_text(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.1}x")
    } else if r >= 0.01 || r == 0.0 {
        format!("{r:.2}x")
    } else {
        format!("{r:.4}x")
    }
}

/// `text` with `lines` after it, one per line: notes such as the variants a command skipped.
pub fn with_lines(mut text: String, lines: &[String]) -> String {
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_to_twelve_digits_and_integers_exactly() {
        assert_eq!(format_number(37026.653349800756), "37026.6533498");
        assert_eq!(format_number(37026.65334980075), "37026.6533498");
        assert_eq!(format_number(0.000838655), "0.000838655");
        assert_eq!(format_number(21760.0), "21760");
        assert_eq!(format_number(2.5e-7), "0.00000025");
    }
}
