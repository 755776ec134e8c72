//! Turning one file into a DataFrame: gzip, a UTF-8 BOM, Latin-1 bytes and the delimiter are
//! handled here so the rest of loading sees clean text columns.

use std::io::{Cursor, Read};
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use crate::bail_input;
use crate::error::first_line;

/// One file's rows as read, every CSV column as text (types are decided per role later, so a
/// stray "N/A" in a numeric column is counted instead of failing the whole read).
pub struct RawFile {
    /// How the file is named in messages.
    pub name: String,
    pub df: DataFrame,
    /// The bytes were not UTF-8 and were decoded as Latin-1.
    pub latin1: bool,
}

impl RawFile {
    pub fn headers(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }
}

/// Reads a CSV, CSV.gz or Parquet file from disk.
pub fn read_path(path: &Path) -> Result<RawFile> {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail_input!("{name}: no such file")
        }
        Err(e) => bail_input!("{name}: cannot read ({e}); check its permissions"),
    };
    read_bytes(&name, bytes)
}

/// Reads a file's bytes; `name` only labels messages and the format is sniffed from content.
pub fn read_bytes(name: &str, bytes: Vec<u8>) -> Result<RawFile> {
    if bytes.starts_with(b"PAR1") {
        return read_parquet(name, bytes);
    }
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        gunzip(name, &bytes)?
    } else {
        bytes
    };
    if bytes.starts_with(b"PAR1") {
        return read_parquet(name, bytes);
    }
    read_csv(name, bytes)
}

fn gunzip(name: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    if let Err(e) = flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out) {
        bail_input!(
            "{name}: corrupt or truncated gzip data ({e}); re-download or re-compress the file"
        );
    }
    Ok(out)
}

fn read_parquet(name: &str, bytes: Vec<u8>) -> Result<RawFile> {
    let df = match ParquetReader::new(Cursor::new(bytes)).finish() {
        Ok(df) => df,
        Err(e) => bail_input!("{name}: not a readable Parquet file ({})", first_line(&e)),
    };
    if df.height() == 0 {
        bail_input!("{name}: has no rows");
    }
    Ok(RawFile {
        name: name.to_string(),
        df,
        latin1: false,
    })
}

fn read_csv(name: &str, mut bytes: Vec<u8>) -> Result<RawFile> {
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        bytes.drain(..3);
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        bail_input!("{name}: the file is empty; expected a header line and rows");
    }
    if bytes.contains(&0) {
        bail_input!("{name}: looks like a binary file, not CSV text (it contains NUL bytes)");
    }
    let latin1 = std::str::from_utf8(&bytes).is_err();
    if latin1 {
        // Every byte is a Latin-1 code point, so this never fails and loses nothing.
        bytes = bytes
            .iter()
            .map(|&b| b as char)
            .collect::<String>()
            .into_bytes();
    }
    let separator = sniff_separator(&bytes);
    let parse = CsvParseOptions::default()
        .with_separator(separator)
        .with_missing_is_null(true);
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_parse_options(parse)
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish();
    let df = match df {
        Ok(df) => df,
        Err(e) => bail_input!("{name}: cannot parse as CSV ({})", first_line(&e)),
    };
    if df.height() == 0 {
        bail_input!("{name}: has a header but no rows");
    }
    Ok(RawFile {
        name: name.to_string(),
        df,
        latin1,
    })
}

/// Picks the delimiter that splits the header line most often (outside quotes).
fn sniff_separator(bytes: &[u8]) -> u8 {
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = candidates.iter().position(|&c| c == b) {
            counts[i] += 1;
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], 4 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_is_sniffed_from_the_header() {
        assert_eq!(sniff_separator(b"a;b;c\n1;2;3"), b';');
        assert_eq!(sniff_separator(b"a\tb\n1\t2"), b'\t');
        assert_eq!(sniff_separator(b"\"x;y\",b\n"), b',');
        assert_eq!(sniff_separator(b"single\n1"), b',');
    }

    #[test]
    fn bom_crlf_and_latin1_are_read() {
        let raw = read_bytes("t.csv", b"\xef\xbb\xbfId,Name\r\n1,Caf\xe9\r\n".to_vec()).unwrap();
        assert!(raw.latin1);
        assert_eq!(raw.headers(), vec!["Id", "Name"]);
        let name = raw
            .df
            .column("Name")
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .unwrap()
            .to_string();
        assert_eq!(name, "Caf\u{e9}");
    }

    #[test]
    fn empty_and_header_only_are_input_errors() {
        let e = read_bytes("e.csv", b"  \n".to_vec())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("e.csv") && e.contains("empty"), "{e}");
        let e = read_bytes("h.csv", b"a,b\n".to_vec())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("h.csv") && e.contains("no rows"), "{e}");
        let e = read_bytes("g.csv.gz", vec![0x1f, 0x8b, 8, 0, 1, 2, 3])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("g.csv.gz") && e.contains("gzip"), "{e}");
    }
}
