//! Spreadsheets (.xlsx, .xls, .xlsb, .ods) as text frames: the first sheet, or `--sheet NAME`.
//! Date cells become ISO text; numbers keep their shortest decimal spelling, so a
//! spreadsheet's columns go through the same per-role parsing as a CSV's.

use std::io::Cursor;
use std::path::Path;

use anyhow::Result;
use calamine::{Data, Range, Reader, Sheets};
use polars::prelude::*;

use super::formats::dates;
use super::read::{Dialect, RawFile, ReadAs, first_line_is_data};
use crate::bail_input;
use crate::error::first_line;

const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Whether `path` names a spreadsheet, by its extension.
pub fn is_spreadsheet(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .is_some_and(|e| EXTENSIONS.contains(&e.as_str()))
}

/// Whether bytes (from stdin) are a spreadsheet: a zip with a workbook part, or an OLE file.
pub fn is_spreadsheet_bytes(bytes: &[u8]) -> bool {
    let ole = bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    let zip = bytes.starts_with(b"PK\x03\x04")
        && memchr::memmem::find(&bytes[..bytes.len().min(1 << 16)], b"xl/").is_some();
    ole || zip
}

/// Reads one sheet of the workbook at `path`.
pub fn read_sheet(path: &Path, how: ReadAs) -> Result<RawFile> {
    let name = path.display().to_string();
    match calamine::open_workbook_auto(path) {
        Ok(book) => from_book(&name, book, how),
        Err(e) => bail_input!(
            "{name}: not a readable spreadsheet ({}); re-save it as .xlsx or export a CSV",
            first_line(&e)
        ),
    }
}

/// Reads one sheet of a workbook held in memory (stdin).
pub fn read_sheet_bytes(name: &str, bytes: Vec<u8>, how: ReadAs) -> Result<RawFile> {
    match calamine::open_workbook_auto_from_rs(Cursor::new(bytes)) {
        Ok(book) => from_book(name, book, how),
        Err(e) => bail_input!(
            "{name}: not a readable spreadsheet ({}); re-save it as .xlsx or export a CSV",
            first_line(&e)
        ),
    }
}

fn from_book<R: std::io::Read + std::io::Seek>(
    name: &str,
    mut book: Sheets<R>,
    how: ReadAs,
) -> Result<RawFile> {
    let names = book.sheet_names().to_vec();
    let sheet = match how.sheet {
        Some(s) => match names
            .iter()
            .find(|n| n.as_str() == s || n.trim() == s.trim())
        {
            Some(n) => n.clone(),
            None => bail_input!(
                "--sheet {s:?}: {name} has no sheet of that name (sheets: {})",
                names.join(", ")
            ),
        },
        None => match names.first() {
            Some(n) => n.clone(),
            None => bail_input!("{name}: the workbook has no sheets"),
        },
    };
    let range = match book.worksheet_range(&sheet) {
        Ok(r) => r,
        Err(e) => bail_input!(
            "{name}: sheet {sheet:?} cannot be read ({})",
            first_line(&e)
        ),
    };
    let df = frame_of(name, &sheet, &range, how.columns)?;
    let header = if how.columns.is_some() {
        "--columns"
    } else {
        "first row"
    };
    let mut dialect = Dialect {
        format: format!("spreadsheet (sheet {sheet:?} of {})", names.len()),
        delimiter: None,
        encoding: None,
        header: header.into(),
        spreadsheet: true,
    };
    if names.len() > 1 && how.sheet.is_none() {
        dialect.format = format!(
            "spreadsheet (first sheet {sheet:?}; others: {}; choose with --sheet)",
            names[1..].join(", ")
        );
    }
    Ok(RawFile::from_frame(name, df, dialect))
}

/// A cell as text: dates as ISO, numbers in their shortest spelling, empties and errors missing.
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty | Data::Error(_) => None,
        Data::String(s) => Some(s.clone()),
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) => Some(f.to_string()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(d) if d.is_datetime() => d
            .as_datetime()
            .or_else(|| dates::excel(d.as_f64()))
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
        Data::DateTime(d) => Some(d.as_f64().to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
    }
}

/// The sheet's used range as text columns named by its first row (or `--columns`).
fn frame_of(
    name: &str,
    sheet: &str,
    range: &Range<Data>,
    columns: Option<&[String]>,
) -> Result<DataFrame> {
    let mut rows = range.rows();
    let Some(first) = rows.next() else {
        bail_input!("{name}: sheet {sheet:?} is empty; expected a header row and rows");
    };
    let first_text: Vec<String> = first
        .iter()
        .map(|c| cell_text(c).unwrap_or_default().trim().to_string())
        .collect();
    let data_first = first_line_is_data(&first_text);
    let names: Vec<String> = match columns {
        Some(cols) if cols.len() != first.len() => bail_input!(
            "--columns: {} names given, but sheet {sheet:?} of {name} has {} columns; give one name per column",
            cols.len(),
            first.len()
        ),
        Some(cols) => cols.to_vec(),
        None if data_first => bail_input!(
            "{name}: sheet {sheet:?} starts with data, not column names ({:?}); name the {} columns with --columns NAME,NAME,…",
            first_text.join(",").chars().take(60).collect::<String>(),
            first.len()
        ),
        None => unique_names(&first_text),
    };
    let body: Vec<&[Data]> = if columns.is_some() && data_first {
        std::iter::once(first).chain(rows).collect()
    } else {
        rows.collect()
    };
    if body.is_empty() {
        bail_input!("{name}: sheet {sheet:?} has a header row but no rows");
    }
    let cols: Vec<Column> = names
        .iter()
        .enumerate()
        .map(|(j, n)| {
            let values: Vec<Option<String>> =
                body.iter().map(|r| r.get(j).and_then(cell_text)).collect();
            Column::new(n.as_str().into(), values)
        })
        .collect();
    Ok(DataFrame::new(body.len(), cols)?)
}

/// Header cells as column names: blanks named by position, repeats numbered.
fn unique_names(header: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let base = if h.is_empty() {
                format!("column_{}", i + 1)
            } else {
                h.clone()
            };
            let mut n = base.clone();
            let mut k = 2;
            while !seen.insert(n.clone()) {
                n = format!("{base}_{k}");
                k += 1;
            }
            n
        })
        .collect()
}
