//! Human-readable numbers in decimal units (1 GFLOP = 1e9 FLOP, 1 MB = 1e6 bytes), and
//! parsing of byte sizes given on the command line.

const PREFIXES: [(f64, &str); 6] = [
    (1e15, "P"),
    (1e12, "T"),
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
];

/// Three significant digits with a decimal prefix: `1.07 G`, `512`, `12.3 k`.
pub fn si(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let magnitude = value.abs();
    let (scale, prefix) = PREFIXES
        .iter()
        .copied()
        .find(|(scale, _)| magnitude >= *scale)
        .unwrap_or((1.0, ""));
    let mut scaled = value / scale;
    let mut prefix = prefix;
    // 999.6 M would print as "1000 M": promote it to the next prefix.
    if scaled.abs() >= 999.5
        && let Some(&(next, p)) = PREFIXES.iter().rev().find(|(s, _)| *s > scale)
    {
        scaled = value / next;
        prefix = p;
    }
    let digits = decimals_for_three_digits(scaled);
    if prefix.is_empty() && value.fract() == 0.0 {
        format!("{value}")
    } else if prefix.is_empty() {
        format!("{scaled:.digits$}")
    } else {
        format!("{scaled:.digits$} {prefix}")
    }
}

/// Decimals that show `v` (between 1 and 1000) with three significant digits.
fn decimals_for_three_digits(v: f64) -> usize {
    if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    }
}

/// Three significant digits: `1.20 s`, `84.6 ms`, `850 µs`.
/// 494032768 as 494,032,768.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn seconds(s: f64) -> String {
    let (value, unit) = if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else {
        (s * 1e6, "µs")
    };
    let digits = decimals_for_three_digits(value);
    format!("{value:.digits$} {unit}")
}

/// `si` followed by a unit, without a doubled space for plain numbers: `1.07 GFLOP`, `512 B`.
pub fn with_unit(value: f64, unit: &str) -> String {
    let s = si(value);
    if s.ends_with(|c: char| c.is_ascii_alphabetic()) {
        format!("{s}{unit}")
    } else {
        format!("{s} {unit}")
    }
}

pub fn bytes(value: u64) -> String {
    with_unit(value as f64, "B")
}

pub fn flops(value: u64) -> String {
    with_unit(value as f64, "FLOP")
}

/// Parses `123`, `500MB`, `4GiB`, `1.5 GB`, `2G` (decimal and binary prefixes).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size; use e.g. 4GB, 512MiB or 1000000"))?;
    let multiplier = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`; allowed: B, kB, MB, GB, TB, KiB, MiB, GiB, TiB"
            ));
        }
    };
    Ok((number * multiplier).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_three_significant_digits() {
        assert_eq!(si(1_073_741_824.0), "1.07 G");
        assert_eq!(si(12_345.0), "12.3 k");
        assert_eq!(si(512.0), "512");
        assert_eq!(si(0.25), "0.25");
        assert_eq!(flops(268_435_456), "268 MFLOP");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(flops(999_600_000), "1.00 GFLOP");
        assert_eq!(seconds(0.084_607), "84.6 ms");
        assert_eq!(seconds(0.1234), "123 ms");
        assert_eq!(seconds(1.5), "1.50 s");
        assert_eq!(seconds(0.000_85), "850 µs");
    }

    #[test]
    fn parses_decimal_and_binary_sizes() {
        assert_eq!(parse_bytes("4GiB"), Ok(4 * 1024 * 1024 * 1024));
        assert_eq!(parse_bytes("1.5 GB"), Ok(1_500_000_000));
        assert_eq!(parse_bytes("123"), Ok(123));
        assert!(parse_bytes("lots").unwrap_err().contains("not a size"));
        assert!(
            parse_bytes("3 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
    }
}
