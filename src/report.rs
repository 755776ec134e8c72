//! The headless face: tables as aligned text, CSV or JSON. Text never carries control
//! characters from the data, so a hostile product name cannot drive the terminal.

use std::io::Write;

use anyhow::Result;

use crate::analysis::eda::Eda;
use crate::analysis::{Table, Value};

/// Output formats of `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
}

/// One line on standard error, "segscope: " first, made safe for the terminal; a stderr that
/// cannot be written (a full disk) is not worth a panic.
pub fn say(message: &str) {
    crate::progress::above(|| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "segscope: {}", sanitize(message));
    });
}

/// Replaces control characters (C0, DEL, C1, and bidi/zero-width format characters) with
/// U+FFFD, so data can never emit escape sequences or reorder the terminal's text.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe(c) { '\u{fffd}' } else { c })
        .collect()
}

/// Escapes, as JSON `\uXXXX`, the characters [`sanitize`] would replace. serde_json already
/// escapes C0 controls; this adds DEL, C1 and bidi/zero-width characters. Lossless: a JSON
/// reader gets the same string back.
pub fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        // A raw newline is only ever layout: serde_json escapes the ones inside strings.
        if is_unsafe(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that must never reach a terminal or a joined file raw: controls, zero-width
/// and bidi formatting characters.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{180e}' | '\u{feff}')
}

/// [`sanitize`] for files other programs join on (CSV): each unsafe character becomes a
/// visible `<U+XXXX>`, so ids that differ only by an invisible character stay different.
pub fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The most characters a text-table cell shows; longer text is cut, with "…".
pub const TEXT_CELL_MAX: usize = 200;

/// A cell as text output shows it: safe for the terminal, at most [`TEXT_CELL_MAX`] wide.
fn text_cell(s: &str) -> String {
    let s = sanitize(s);
    if s.chars().count() <= TEXT_CELL_MAX {
        return s;
    }
    let mut cut: String = s.chars().take(TEXT_CELL_MAX - 1).collect();
    cut.push('…');
    cut
}

/// Display width in terminal columns (characters; wide glyphs are rare in this data).
fn width(s: &str) -> usize {
    s.chars().count()
}

/// Writes one table as aligned text: numbers right-aligned, text left-aligned.
pub fn write_text_table(out: &mut dyn Write, t: &Table) -> std::io::Result<()> {
    let cells: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| text_cell(&crate::humanize::cell(v)))
                .collect()
        })
        .collect();
    let headers: Vec<String> = t.columns.iter().map(|c| text_cell(c)).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(c));
        }
    }
    let numeric: Vec<bool> = (0..t.columns.len())
        .map(|i| t.rows.iter().all(|r| !matches!(r[i], Value::Text(_))) && !t.rows.is_empty())
        .collect();
    writeln!(out, "== {} ({}) ==", sanitize(&t.title), t.name)?;
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i].saturating_sub(width(c));
                if numeric[i] {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", line(&headers))?;
    for row in &cells {
        writeln!(out, "{}", line(row))?;
    }
    writeln!(out)
}

/// One CSV field: unsafe characters made [`visible`], quoted when it must be (RFC 4180).
pub fn csv_field(s: &str) -> String {
    let s = visible(s);
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Writes one table as RFC 4180 CSV with a header row. Numbers are written at full precision.
pub fn write_csv_table(out: &mut dyn Write, t: &Table) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        t.columns
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(",")
    )?;
    for row in &t.rows {
        let fields: Vec<String> = row.iter().map(|v| csv_field(&v.full())).collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// Writes a whole EDA result in the chosen format; text shows the first `top` rows of each
/// ranked table and says how many more there are (CSV and JSON have them all).
pub fn write_eda(out: &mut dyn Write, eda: &Eda, format: Format, top: usize) -> Result<()> {
    match format {
        Format::Json => {
            writeln!(out, "{}", json_safe(&serde_json::to_string_pretty(eda)?))?;
        }
        Format::Text => {
            for t in &eda.tables {
                let ranked = crate::analysis::eda::RANKED.contains(&t.name.as_str());
                if ranked && t.rows.len() > top {
                    let first = Table {
                        rows: t.rows[..top].to_vec(),
                        ..t.clone()
                    };
                    write_text_table(out, &first)?;
                    writeln!(
                        out,
                        "… {} more rows: --top N shows more; --format csv or json has them all\n",
                        t.rows.len() - top
                    )?;
                } else {
                    write_text_table(out, t)?;
                }
            }
            if !eda.skipped.is_empty() {
                writeln!(out, "== Skipped ==")?;
                for s in &eda.skipped {
                    writeln!(out, "{}: {}", s.table, sanitize(&s.reason))?;
                }
            }
        }
        Format::Csv => {
            // Several tables in one stream: each starts with a "# name" line, then its CSV.
            for (i, t) in eda.tables.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "# {}", t.name)?;
                write_csv_table(out, t)?;
            }
        }
    }
    Ok(())
}

/// Writes what `inspect` found: JSON as is, or text a file at a time.
pub fn write_inspection(
    out: &mut dyn Write,
    found: &crate::data::inspect::Inspection,
    format: Format,
) -> Result<()> {
    match format {
        Format::Json => writeln!(out, "{}", json_safe(&serde_json::to_string_pretty(found)?))?,
        Format::Csv => crate::bail_input!("--format csv: inspect writes text or json"),
        Format::Text => {
            writeln!(out, "dataset  {}", sanitize(&found.dataset))?;
            writeln!(out, "layout   {}", found.layout)?;
            for f in &found.files {
                write_file_inspection(out, f)?;
            }
        }
    }
    Ok(())
}

/// One file of `inspect`'s text: how it is read, its columns' roles, then what it notes.
fn write_file_inspection(
    out: &mut dyn Write,
    f: &crate::data::inspect::FileInspection,
) -> Result<()> {
    writeln!(out)?;
    writeln!(out, "== {} ==", sanitize(&f.file))?;
    writeln!(out, "format     {}", sanitize(&f.dialect.format))?;
    if let Some(d) = &f.dialect.delimiter {
        writeln!(out, "delimiter  {d}")?;
    }
    if let Some(e) = &f.dialect.encoding {
        writeln!(out, "encoding   {e}")?;
    }
    writeln!(out, "header     {}", f.dialect.header)?;
    writeln!(out, "decimal    {}", f.decimal_mark)?;
    writeln!(out, "rows seen  {}", f.rows_sampled)?;
    let mut t = Table::new(
        "columns",
        "Columns",
        &["column", "role", "type", "format", "samples"],
    );
    for c in &f.columns {
        let role = match (&c.role, &c.runner_up) {
            (Some(r), Some(u)) => format!("{r} (over {u})"),
            (Some(r), None) => r.clone(),
            _ => "-".into(),
        };
        t.push(vec![
            Value::text(&c.name),
            Value::text(role),
            Value::text(&c.kind),
            Value::text(c.format.as_deref().unwrap_or("-")),
            Value::text(c.samples.join(" | ")),
        ]);
    }
    write_text_table(out, &t)?;
    for x in &f.extras {
        writeln!(
            out,
            "extra: {}: {}",
            sanitize(&x.column.column),
            sanitize(&x.column.describe())
        )?;
    }
    for n in &f.notes {
        writeln!(out, "note: {}", sanitize(n))?;
    }
    for p in &f.problems {
        writeln!(out, "problem: {}", sanitize(p))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_never_reach_the_terminal() {
        let s = sanitize("a\u{1b}[31mred\u{7}\u{9b}x\u{202e}y\u{200b}z\tq");
        assert!(!s.chars().any(is_unsafe), "{s:?}");
        assert!(s.contains("red") && s.contains('a'));
    }

    #[test]
    fn json_escapes_c1_and_bidi_losslessly() {
        let name = "a\u{9b}31m\u{202e}b\nc";
        let json = json_safe(&serde_json::to_string_pretty(&vec![name]).unwrap());
        assert_eq!(json, "[\n  \"a\\u009b31m\\u202eb\\nc\"\n]");
        assert_eq!(
            serde_json::from_str::<Vec<String>>(&json).unwrap(),
            vec![name]
        );
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut t = Table::new("t", "T", &["a", "b"]);
        t.push(vec![Value::text("x,\"y\""), Value::Money(1.5)]);
        let mut out = Vec::new();
        write_csv_table(&mut out, &t).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,b\n\"x,\"\"y\"\"\",1.5\n"
        );
    }

    #[test]
    fn text_aligns_numbers_right() {
        let mut t = Table::new("t", "T", &["name", "n"]);
        t.push(vec![Value::text("long name"), Value::Int(5)]);
        t.push(vec![Value::text("x"), Value::Int(12345)]);
        let mut out = Vec::new();
        write_text_table(&mut out, &t).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("long name       5\nx          12,345\n"),
            "{text}"
        );
    }
}
