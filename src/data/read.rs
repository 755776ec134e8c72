//! Turning one file into a DataFrame: gzip, a UTF-8 BOM, Latin-1 bytes and the delimiter are
//! handled here so the rest of loading sees clean text columns.

use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use anyhow::Result;
use polars::prelude::*;

use super::roles::{Role, RoleMap, RoleOverride};
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
    /// For each row, whether it repeats an earlier row byte for byte: known when lines and
    /// rows correspond one to one (no quoted value spans lines), so cleaning drops exact
    /// duplicates by this mask instead of comparing parsed rows.
    pub duplicates: Duplicates,
    /// Some value may start or end with whitespace (false only when the bytes show none can),
    /// so cleaning trims text only where it could change something.
    pub padded: bool,
    /// How the file was read, for the LoadReport and `inspect`.
    pub dialect: Dialect,
}

/// How a file's bytes became rows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Dialect {
    /// "csv", "whitespace-separated text", "parquet" or "spreadsheet".
    pub format: String,
    /// The field delimiter of a text file.
    pub delimiter: Option<String>,
    /// "UTF-8" or "Latin-1" for text files.
    pub encoding: Option<String>,
    /// Where the column names came from: "first line", "--columns", "file schema", "first row".
    pub header: String,
    /// A spreadsheet: numbers in a date column are Excel serial dates.
    pub spreadsheet: bool,
}

impl Dialect {
    fn schema(format: &str, header: &str) -> Dialect {
        Dialect {
            format: format.into(),
            delimiter: None,
            encoding: None,
            header: header.into(),
            spreadsheet: false,
        }
    }
}

/// What a reader needs to know beyond the bytes: `--map` (which columns hold numbers, parsed
/// while reading), and for a transaction log `--columns` (the names of a header-less file's
/// columns, or new names for a file's own) and `--sheet`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadAs<'a> {
    pub overrides: &'a [RoleOverride],
    pub columns: Option<&'a [String]>,
    pub sheet: Option<&'a str>,
}

/// A file's bytes, shared with the duplicate scan, which may outlive the parse.
type Shared = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// The duplicate-line mask of [`duplicate_lines`], from a scan that starts beside the parse
/// and may go on into cleaning: cleaning waits for it only where it needs it, and the scan's
/// core time falls where cleaning leaves a core idle. Dropped unwaited, the scan stops.
pub struct Duplicates {
    scan: Option<JoinHandle<Option<Vec<bool>>>>,
    stop: Arc<AtomicBool>,
    /// The file has no quote, so lines are rows and the scan will give a mask: cleaning may
    /// wait for it late. (With quotes, it may give none, and then rows are compared early.)
    pub sure: bool,
    /// Rows parsed: a mask of another length is not used.
    rows: usize,
}

impl Duplicates {
    fn none() -> Duplicates {
        Duplicates {
            scan: None,
            stop: Arc::new(AtomicBool::new(false)),
            sure: false,
            rows: 0,
        }
    }

    /// Starts the scan of `bytes[skip..]`, which holds a quote somewhere if `quoted`.
    fn scan(bytes: Shared, skip: usize, quoted: bool) -> Duplicates {
        let stop = Arc::new(AtomicBool::new(false));
        let scan = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let _t = crate::timing::phase("read: duplicate scan");
                duplicate_lines(&(*bytes).as_ref()[skip..], quoted, &stop)
            })
        };
        Duplicates {
            scan: Some(scan),
            stop,
            sure: !quoted,
            rows: 0,
        }
    }

    /// The mask, one entry per row; `None` when lines need not be rows (a quoted value spans
    /// lines), or there was no scan.
    pub fn wait(mut self) -> Option<Vec<bool>> {
        let scan = self.scan.take()?;
        let rows = self.rows;
        crate::parallel::joined(scan).filter(|mask| mask.len() == rows)
    }
}

impl Drop for Duplicates {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
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

/// Reads a CSV, CSV.gz or Parquet file from disk; `overrides` (`--map`) say which columns
/// hold numbers, which are parsed while reading.
///
/// A large file is mapped rather than copied into memory: its pages come from the page cache
/// as they are parsed, instead of a fresh buffer of the file's size that the kernel must zero
/// first.
pub fn read_path(path: &Path, how: ReadAs) -> Result<RawFile> {
    let name = path.display().to_string();
    if super::sheet::is_spreadsheet(path) {
        return super::sheet::read_sheet(path, how);
    }
    // Told before opening: opening a FIFO blocks until something writes to it.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        bail_input!(
            "{name}: is not a regular file (a FIFO, socket, device or folder); give a file"
        );
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail_input!("{name}: no such file")
        }
        Err(e) => bail_input!("{name}: cannot read ({e}); check its permissions"),
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => bail_input!("{name}: cannot read ({e}); check its permissions"),
    };
    if !meta.is_file() {
        bail_input!(
            "{name}: is not a regular file (a FIFO, socket, device or folder); give a file"
        );
    }
    let len = meta.len();
    if len >= MAP_MIN {
        // Populated up front: one call maps every page the cache holds (faulting them in one
        // by one as the parse reaches them cost more than a copy did).
        // SAFETY: the map is read-only and dropped before this returns; a file truncated by
        // another process while it is read raises SIGBUS, which crate::guard turns into a
        // one-line error and exit 2.
        crate::guard::reading(&name);
        if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
            // Test-only: cut the file right after mapping, as a writer truncating it mid-read
            // would (tests/hardening.rs).
            if std::env::var_os("SEGSCOPE_TEST_TRUNCATE_AFTER_MAP").is_some() {
                let _ = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .and_then(|f| f.set_len(0));
            }
            return read_shared(&name, Arc::new(map), how);
        }
    }
    let mut bytes = Vec::with_capacity(len as usize);
    if let Err(e) = (&file).read_to_end(&mut bytes) {
        bail_input!("{name}: cannot read ({e}); check its permissions");
    }
    read_bytes(&name, bytes, how)
}

/// The first `limit` bytes of a text file (whole lines), read as a file: a quick look for a
/// trial load or `inspect`. `None` where a head says nothing or cannot be taken: compressed,
/// Parquet and spreadsheet files, and anything that is not a regular file (opening a FIFO
/// could block).
pub fn read_head(path: &Path, how: ReadAs, limit: usize) -> Result<Option<RawFile>> {
    use std::io::Read;
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) || super::sheet::is_spreadsheet(path) {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    match std::fs::File::open(path) {
        Ok(f) => f.take(limit as u64).read_to_end(&mut bytes)?,
        Err(_) => return Ok(None),
    };
    if bytes.starts_with(b"PAR1")
        || bytes.starts_with(&[0x1f, 0x8b])
        || super::sheet::is_spreadsheet_bytes(&bytes)
    {
        return Ok(None);
    }
    if bytes.len() == limit {
        let end = bytes
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap_or(bytes.len());
        bytes.truncate(end + 1);
    }
    read_bytes(&path.display().to_string(), bytes, how).map(Some)
}

/// Files at least this large are mapped (below it a copy costs less than the map).
const MAP_MIN: u64 = 1 << 20;

/// Reads a file's bytes; `name` only labels messages and the format is sniffed from content.
pub fn read_bytes(name: &str, bytes: Vec<u8>, how: ReadAs) -> Result<RawFile> {
    read_shared(name, Arc::new(bytes), how)
}

fn read_shared(name: &str, data: Shared, how: ReadAs) -> Result<RawFile> {
    let bytes = (*data).as_ref();
    if bytes.starts_with(b"PAR1") {
        return read_parquet(name, bytes.to_vec());
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let bytes = gunzip(name, bytes)?;
        if bytes.starts_with(b"PAR1") {
            return read_parquet(name, bytes);
        }
        return read_csv(name, Arc::new(bytes), how);
    }
    if super::sheet::is_spreadsheet_bytes(bytes) {
        return super::sheet::read_sheet_bytes(name, bytes.to_vec(), how);
    }
    if let Some(sheet) = how.sheet {
        bail_input!("--sheet {sheet:?}: {name} is not a spreadsheet; leave --sheet out for it");
    }
    read_csv(name, data, how)
}

/// The most a gzip file may expand to here: 100 times its size (text compresses 5 to 20
/// times), at least 256 MB and at most 8 GB. Beyond it the file is a gzip bomb, or too large
/// to hold whole: decompressed on disk first, it is mapped instead.
fn gunzip_limit(compressed: usize) -> u64 {
    (compressed as u64)
        .saturating_mul(100)
        .clamp(256 << 20, 8 << 30)
}

fn gunzip(name: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let limit = gunzip_limit(bytes.len());
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(1 << 30));
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    if let Err(e) = decoder.take(limit + 1).read_to_end(&mut out) {
        bail_input!(
            "{name}: corrupt or truncated gzip data ({e}); re-download or re-compress the file"
        );
    }
    if out.len() as u64 > limit {
        bail_input!(
            "{name}: expands to more than {} MB ({} times its size: a gzip bomb, or a file too large to read whole); decompress it first (gunzip -k) and give the .csv",
            limit >> 20,
            limit / bytes.len().max(1) as u64
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
    Ok(RawFile::from_frame(
        name,
        df,
        Dialect::schema("parquet", "file schema"),
    ))
}

impl RawFile {
    /// A file read whole into a frame (Parquet, a spreadsheet, parts put together): no
    /// duplicate mask, and values may be padded.
    pub fn from_frame(name: &str, df: DataFrame, dialect: Dialect) -> RawFile {
        RawFile {
            name: name.to_string(),
            df,
            latin1: false,
            duplicates: Duplicates::none(),
            padded: true,
            dialect,
        }
    }
}

/// Reads CSV text in stages: re-encoded where needed, made UTF-8, its delimiter and header
/// found, then parsed with the duplicate scan and the padding test beside the parse.
fn read_csv(name: &str, data: Shared, how: ReadAs) -> Result<RawFile> {
    let _t = crate::timing::phase("read_csv");
    if let Some(rewritten) = rewritten_lines((*data).as_ref()) {
        return read_csv(name, Arc::new(rewritten), how);
    }
    let (data, skip, latin1) = as_utf8(name, data)?;
    let text = text_layout(name, data, skip, how.columns)?;
    let bytes = &(*text.data).as_ref()[text.skip..];
    // The duplicate scan starts beside the parse (and may go on into cleaning); the padding
    // test, which cleaning needs first, runs beside the parse too.
    let mut duplicates = Duplicates::scan(text.data.clone(), text.skip, text.quoted);
    let (padded, df) = parse_rows(name, bytes, text.separator, text.quoted, how.overrides)?;
    duplicates.rows = df.height();
    Ok(RawFile {
        name: name.to_string(),
        df,
        latin1,
        duplicates,
        padded,
        dialect: text.dialect(latin1),
    })
}

/// The whole text rewritten before it is read: UTF-16 as UTF-8, CR-only line ends as LF.
fn rewritten_lines(all: &[u8]) -> Option<Vec<u8>> {
    if let Some(text) = utf16(all) {
        return Some(text.into_bytes());
    }
    cr_only_lines(&all[utf8_bom(all)..])
}

/// The length of a UTF-8 byte-order mark at the start of `bytes` (0 or 3).
fn utf8_bom(bytes: &[u8]) -> usize {
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        3
    } else {
        0
    }
}

/// The text as UTF-8 from `skip` on (past a BOM), and whether it was decoded from Latin-1;
/// an empty or binary file is refused.
fn as_utf8(name: &str, data: Shared) -> Result<(Shared, usize, bool)> {
    let all = (*data).as_ref();
    let bom = utf8_bom(all);
    let bytes = &all[bom..];
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        bail_input!("{name}: the file is empty; expected a header line and rows");
    }
    if bytes.contains(&0) {
        bail_input!("{name}: looks like a binary file, not CSV text (it contains NUL bytes)");
    }
    // ASCII (the common case) is UTF-8, and much faster to tell.
    let latin1 = !bytes.is_ascii() && std::str::from_utf8(bytes).is_err();
    if latin1 {
        // Every byte is a Latin-1 code point, so this never fails and loses nothing.
        let decoded = bytes
            .iter()
            .map(|&b| b as char)
            .collect::<String>()
            .into_bytes();
        return Ok((Arc::new(decoded), 0, true));
    }
    Ok((data, bom, false))
}

/// UTF-8 text ready to parse: the bytes from `skip` on, with a header line, and how they
/// are laid out.
struct TextLayout {
    data: Shared,
    skip: usize,
    separator: u8,
    /// The bytes hold a quote somewhere.
    quoted: bool,
    /// "csv" or "whitespace-separated text".
    format: &'static str,
    /// Where the column names came from: "first line" or "--columns".
    header: &'static str,
}

impl TextLayout {
    fn dialect(&self, latin1: bool) -> Dialect {
        let delimiter = match self.separator {
            b'\t' if self.format != "csv" => "whitespace".to_string(),
            b'\t' => "tab".to_string(),
            b => (b as char).to_string(),
        };
        Dialect {
            format: self.format.into(),
            delimiter: Some(delimiter),
            encoding: Some(if latin1 { "Latin-1" } else { "UTF-8" }.into()),
            header: self.header.into(),
            spreadsheet: false,
        }
    }
}

/// Finds the delimiter (whitespace-separated text is rewritten as tab-separated, one field
/// per run) and the header (`--columns`, or the first line), and refuses repeated names.
fn text_layout(
    name: &str,
    data: Shared,
    skip: usize,
    columns: Option<&[String]>,
) -> Result<TextLayout> {
    let bytes = &(*data).as_ref()[skip..];
    let mut separator = sniff_separator(bytes);
    let mut quoted = memchr::memchr(b'"', bytes).is_some();
    let mut format = "csv";
    // Whitespace-separated text (CDNOW): rewritten as tab-separated, one field per run.
    let (data, skip) = if !quoted && whitespace_separated(bytes) {
        format = "whitespace-separated text";
        separator = b'\t';
        (Arc::new(runs_to_tabs(bytes)) as Shared, 0)
    } else {
        (data, skip)
    };
    let bytes = &(*data).as_ref()[skip..];
    let (data, skip, header) = match named_header(name, bytes, separator, columns)? {
        Some(named) => {
            quoted |= named.contains(&b'"');
            (Arc::new(named) as Shared, 0, "--columns")
        }
        None => (data, skip, "first line"),
    };
    let bytes = &(*data).as_ref()[skip..];
    refuse_repeated_names(name, &first_fields(bytes, separator))?;
    Ok(TextLayout {
        data,
        skip,
        separator,
        quoted,
        format,
        header,
    })
}

/// Parses the rows (numeric-role columns typed in a large file, else all text) beside the
/// padding test: (padded, rows). A failed parse names the ragged line where there is one.
fn parse_rows(
    name: &str,
    bytes: &[u8],
    separator: u8,
    quoted: bool,
    overrides: &[RoleOverride],
) -> Result<(bool, DataFrame)> {
    let (padded, parsed) = crate::parallel::beside(
        || padded_fields(bytes, separator),
        || match read_typed(bytes, separator, quoted, overrides) {
            Some(df) => Ok(df),
            None => csv_reader(bytes, separator, quoted, Some(0), None),
        },
    );
    let df = match parsed {
        Ok(df) => df,
        Err(e) => match ragged_line(bytes, separator) {
            Some((line, found, expected)) => bail_input!(
                "{name}: line {line} has {found} fields where the header has {expected}; fix or remove that line (a value with the delimiter {:?} in it needs quotes)",
                separator as char
            ),
            None => bail_input!("{name}: cannot parse as CSV ({})", first_line(&e)),
        },
    };
    if df.height() == 0 {
        bail_input!("{name}: has a header but no rows");
    }
    Ok((padded, df))
}

/// Two columns of one name: which one a role means cannot be told, so the file is refused.
fn refuse_repeated_names(name: &str, header: &[String]) -> Result<()> {
    for (j, h) in header.iter().enumerate() {
        if let Some(i) = header[..j].iter().position(|x| x == h) {
            bail_input!(
                "{name}: two columns are named {h:?} (columns {} and {}); rename one, or name them all with --columns",
                i + 1,
                j + 1
            );
        }
    }
    Ok(())
}

/// The first line (1-based) with more fields than the header, with both counts: what a
/// parse failure most often is, said with the line to fix.
fn ragged_line(bytes: &[u8], separator: u8) -> Option<(usize, usize, usize)> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split('\n');
    let expected = split_fields(lines.next()?.trim_end_matches('\r'), separator as char).len();
    lines
        .enumerate()
        .map(|(i, l)| {
            (
                i + 2,
                split_fields(l.trim_end_matches('\r'), separator as char).len(),
            )
        })
        .find(|&(_, n)| n > expected)
        .map(|(line, n)| (line, n, expected))
}

/// UTF-16 text (Excel's "Unicode text" export), told by its byte-order mark, as UTF-8.
fn utf16(bytes: &[u8]) -> Option<String> {
    let little = bytes.starts_with(&[0xff, 0xfe]);
    if !little && !bytes.starts_with(&[0xfe, 0xff]) {
        return None;
    }
    let units = bytes[2..].chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{fffd}'))
            .collect(),
    )
}

/// Lines ended by CR alone (old Mac exports) as LF lines; `None` when the bytes hold an LF.
fn cr_only_lines(bytes: &[u8]) -> Option<Vec<u8>> {
    if memchr::memchr(b'\n', bytes).is_some() || memchr::memchr(b'\r', bytes).is_none() {
        return None;
    }
    Some(
        bytes
            .iter()
            .map(|&b| if b == b'\r' { b'\n' } else { b })
            .collect(),
    )
}

/// A header line with none of the usual delimiters whose words are separated by spaces, and
/// data lines that split into as many words: text laid out in whitespace-separated columns.
fn whitespace_separated(bytes: &[u8]) -> bool {
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty());
    let Some(header) = lines.next() else {
        return false;
    };
    if header.iter().any(|b| b",;\t|".contains(b)) {
        return false;
    }
    let words = |l: &[u8]| {
        l.split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .count()
    };
    let n = words(header);
    n >= 2
        && lines
            .take(20)
            .all(|l| words(l) == n && !l.iter().any(|b| b",;|".contains(b)))
}

/// Each line's runs of spaces and tabs as one tab, with leading and trailing ones removed.
fn runs_to_tabs(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let mut gap = false;
        for &b in line {
            if b == b' ' || b == b'\t' || b == b'\r' {
                gap = true;
            } else {
                if gap {
                    out.push(b'\t');
                    gap = false;
                }
                out.push(b);
            }
        }
        out.push(b'\n');
    }
    out
}

/// The first line's fields, unquoted and trimmed.
fn first_fields(bytes: &[u8], separator: u8) -> Vec<String> {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = String::from_utf8_lossy(line);
    split_fields(line.trim_end_matches('\r'), separator as char)
}

/// A line's fields: split on `separator` outside quotes, quotes removed, trimmed.
fn split_fields(line: &str, separator: char) -> Vec<String> {
    let (mut out, mut field, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c == separator && !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

/// Whether a header field is a value rather than a name: a number or a date.
pub fn looks_like_value(field: &str) -> bool {
    use super::formats::{dates, numbers};
    let f = field.trim();
    if f.is_empty() {
        return false;
    }
    let number = numbers::infer([f], false).is_ok_and(|fmt| numbers::parse(f, fmt).is_some());
    number
        || matches!(
            dates::infer(&[f]),
            dates::Decision::Formats(_) | dates::Decision::Ambiguous { .. }
        )
}

/// Column names guessed from one line of values, for the `--columns` hint: the first id-like
/// value is the customer, a date the date, a small whole number the quantity, a decimal
/// the amount; the rest are numbered.
pub fn guess_names(fields: &[String]) -> Vec<String> {
    use super::formats::dates;
    let mut taken = std::collections::HashSet::new();
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let date = matches!(
                dates::infer(&[f.as_str()]),
                dates::Decision::Formats(_) | dates::Decision::Ambiguous { .. }
            );
            let whole = !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit());
            let guess = if date {
                "date"
            } else if f.parse::<f64>().is_ok() && f.contains('.') {
                "amount"
            } else if whole && !f.starts_with('0') && f.len() <= 4 {
                "quantity"
            } else {
                "customer_id"
            };
            if taken.insert(guess) {
                guess.to_string()
            } else {
                format!("column_{}", i + 1)
            }
        })
        .collect()
}

/// Whether a first line holds data, not column names: some field is a number or a date.
pub fn first_line_is_data(fields: &[String]) -> bool {
    fields.iter().any(|f| looks_like_value(f))
}

/// The bytes with `--columns` as their header line (in front of a header-less file, or in
/// place of the file's own header), or `None` to read the file's own. A header-less file
/// without `--columns` is refused, naming the flag.
fn named_header(
    name: &str,
    bytes: &[u8],
    separator: u8,
    columns: Option<&[String]>,
) -> Result<Option<Vec<u8>>> {
    let fields = first_fields(bytes, separator);
    let data_first = first_line_is_data(&fields);
    let Some(columns) = columns else {
        if data_first {
            let shown: String = fields.join(",").chars().take(60).collect();
            bail_input!(
                "{name}: the first line looks like data, not column names ({shown:?}); name the {} columns with --columns NAME,NAME,… (from the values, perhaps --columns {})",
                fields.len(),
                guess_names(&fields).join(",")
            );
        }
        return Ok(None);
    };
    if columns.len() != fields.len() {
        bail_input!(
            "--columns: {} names given, but {name} has {} columns; give one name per column",
            columns.len(),
            fields.len()
        );
    }
    let sep = separator as char;
    let header: Vec<String> = columns
        .iter()
        .map(|c| {
            if c.contains(sep) || c.contains('"') {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    let mut out = header.join(&sep.to_string()).into_bytes();
    out.push(b'\n');
    let body = if data_first {
        bytes
    } else {
        memchr::memchr(b'\n', bytes).map_or(&[][..], |p| &bytes[p + 1..])
    };
    out.extend_from_slice(body);
    Ok(Some(out))
}

/// Roles whose columns are parsed as numbers while reading (parsing them later from text is
/// most of a load's time). Dates stay text: their format is chosen from a sample in cleaning.
const NUMERIC_ROLES: &[Role] = &[Role::Quantity, Role::UnitPrice, Role::Amount];

/// Above this many bytes a file is read with its numeric columns typed.
const TYPED_READ_MIN: usize = 1 << 20;

/// `quoted`: the bytes hold a quote somewhere. Without one the parser need not track quotes,
/// and then splits the bytes into chunks and lines faster (same rows, same values).
fn csv_reader(
    bytes: &[u8],
    separator: u8,
    quoted: bool,
    infer: Option<usize>,
    overwrite: Option<Schema>,
) -> PolarsResult<DataFrame> {
    let quote = quoted.then_some(b'"');
    let parse = CsvParseOptions::default()
        .with_separator(separator)
        .with_quote_char(quote)
        .with_missing_is_null(true);
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(infer)
        .with_schema_overwrite(overwrite.map(Arc::new))
        .with_parse_options(parse)
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
}

/// A large file read with its numeric-role columns typed and every other column text, so ids
/// keep their leading zeros. `None` when a later value does not fit the inferred type (a stray
/// "N/A"): the caller then reads all text and cleaning counts the bad values.
fn read_typed(
    bytes: &[u8],
    separator: u8,
    quoted: bool,
    overrides: &[RoleOverride],
) -> Option<DataFrame> {
    if bytes.len() < TYPED_READ_MIN {
        return None;
    }
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let head = csv_reader(line, separator, quoted, Some(0), None).ok()?;
    let headers: Vec<String> = head
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let roles = RoleMap::detect(&headers, overrides);
    let numeric: Vec<&str> = NUMERIC_ROLES.iter().filter_map(|&r| roles.get(r)).collect();
    if numeric.is_empty() {
        return None;
    }
    let text: Schema = headers
        .iter()
        .filter(|h| !numeric.contains(&h.as_str()))
        .map(|h| Field::new(h.as_str().into(), DataType::String))
        .collect();
    let df = csv_reader(bytes, separator, quoted, Some(10_000), Some(text)).ok()?;
    // A numeric column inferred as text or a non-number type goes through the text path.
    let typed = numeric.iter().all(|c| {
        df.column(c)
            .map(|s| s.dtype().is_primitive_numeric())
            .unwrap_or(false)
    });
    typed.then_some(df)
}

/// Which data lines repeat an earlier line byte for byte: a hash per line, a bitmap of the
/// hashes seen, and only lines whose hash bit was hit twice are compared (far cheaper than
/// de-duplicating parsed rows, or sorting every hash). `None` when lines need not be rows (a
/// line with an odd number of quotes: a quoted value spans lines); a trailing CR is ignored,
/// as the parser does. `quoted`: the bytes hold a quote somewhere.
fn duplicate_lines(bytes: &[u8], quoted: bool, stop: &AtomicBool) -> Option<Vec<bool>> {
    let Some(header_end) = memchr::memchr(b'\n', bytes) else {
        return Some(Vec::new());
    };
    if unbalanced(quoted, &bytes[..header_end]) {
        return None;
    }
    let body = &bytes[header_end + 1..];
    let (hashes, starts) = hash_lines(body, quoted, stop)?;
    let mut repeats = vec![false; hashes.len()];
    let Some(again) = hashes_seen_twice(&hashes) else {
        return Some(repeats);
    };
    compare_same_hashes(body, &hashes, &starts, &again, &mut repeats);
    Some(repeats)
}

/// A quoted value that spans lines leaves an odd number of quotes on its lines.
#[inline]
fn unbalanced(quoted: bool, l: &[u8]) -> bool {
    quoted && memchr::memchr_iter(b'"', l).count() % 2 == 1
}

/// Each non-empty line's hash and start in `body` (trailing CR ignored); `None` for an
/// unbalanced line, or once the stop flag is set.
fn hash_lines(body: &[u8], quoted: bool, stop: &AtomicBool) -> Option<(Vec<u64>, Vec<usize>)> {
    let estimate = body.len() / 48 + 1;
    let (mut hashes, mut starts) = (Vec::with_capacity(estimate), Vec::with_capacity(estimate));
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len())) {
        let l = &body[start..end];
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if unbalanced(quoted, l) {
            return None;
        }
        if !l.is_empty() {
            hashes.push(hash_line(l));
            starts.push(start);
            // Nobody is waiting any more (a reference file, or a failed load).
            if hashes.len() % STOP_CHECK == 0 && stop.load(Ordering::Relaxed) {
                return None;
            }
        }
        start = end + 1;
    }
    Some((hashes, starts))
}

/// The bitmap of hashes met more than once (false hits included); `None` when none was.
fn hashes_seen_twice(hashes: &[u64]) -> Option<Bits> {
    // The bitmap tests run apart from the hashing: the loop is short, so the cache misses of
    // many lines overlap instead of stalling one line at a time.
    let mut seen = Bits::new(hashes.len());
    let mut again = Bits::new(hashes.len());
    let mut any = false;
    for &h in hashes {
        if seen.test_and_set(h) {
            again.set(h);
            any = true;
        }
    }
    any.then_some(again)
}

/// Marks in `repeats` each line whose bytes equal an earlier line's, comparing only lines
/// with equal full hashes among those `again` hit.
fn compare_same_hashes(
    body: &[u8],
    hashes: &[u64],
    starts: &[usize],
    again: &Bits,
    repeats: &mut [bool],
) {
    let line_at = |start: usize| -> &[u8] {
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |p| start + p);
        let l = &body[start..end];
        l.strip_suffix(b"\r").unwrap_or(l)
    };
    let mut candidates: Vec<(u64, u32)> = hashes
        .iter()
        .enumerate()
        .filter(|&(_, &h)| again.get(h))
        .map(|(i, &h)| (h, i as u32))
        .collect();
    candidates.sort_unstable();
    for run in candidates
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|r| r.len() > 1)
    {
        for (j, &(_, later)) in run.iter().enumerate().skip(1) {
            let line = line_at(starts[later as usize]);
            repeats[later as usize] = run[..j]
                .iter()
                .any(|&(_, earlier)| line_at(starts[earlier as usize]) == line);
        }
    }
}

/// Lines between looks at the scan's stop flag.
const STOP_CHECK: usize = 1 << 16;

/// A set of hashes as one bit per value of their top bits: a test is one memory access,
/// and a hit can be a false one, so hits are checked on the full hash and the bytes.
struct Bits {
    words: Vec<u64>,
    shift: u32,
}

impl Bits {
    /// About 16 bits per line (a false hit on about one line in sixteen), at most 2^27 (16 MB).
    fn new(lines: usize) -> Bits {
        let bits = (lines.max(1) * 16)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(12, 27);
        Bits {
            words: vec![0; 1 << (bits - 6)],
            shift: 64 - bits,
        }
    }
    fn slot(&self, h: u64) -> (usize, u64) {
        let b = (h >> self.shift) as usize;
        (b >> 6, 1 << (b & 63))
    }
    fn get(&self, h: u64) -> bool {
        let (w, m) = self.slot(h);
        self.words[w] & m != 0
    }
    fn set(&mut self, h: u64) {
        let (w, m) = self.slot(h);
        self.words[w] |= m;
    }
    /// Sets the bit of `h`; whether it was set already.
    fn test_and_set(&mut self, h: u64) -> bool {
        let (w, m) = self.slot(h);
        let was = self.words[w] & m != 0;
        self.words[w] |= m;
        was
    }
}

/// Whether some data value may start or end with whitespace (true when that can't be told
/// from the bytes: quotes, or text other than ASCII), as [`padded_fields_exact`] tells it, in
/// one branch-free pass that vectorises; bodies it does not judge go to that function.
fn padded_fields(bytes: &[u8], separator: u8) -> bool {
    let Some(body) = memchr::memchr(b'\n', bytes).map(|p| &bytes[p + 1..]) else {
        return false;
    };
    let n = body.len();
    // Bytes the one-pass test below does not judge (text other than ASCII, quotes, vertical
    // tabs, form feeds, CRs) send the body to the exact test. The tests are on u8s, not
    // bools, so the loop below has no branch and vectorises.
    let odd = |c: u8| {
        u8::from(c >= 0x80)
            | u8::from(c == b'"')
            | u8::from(c == 0x0b)
            | u8::from(c == 0x0c)
            | u8::from(c == b'\r')
    };
    let ws = |c: u8| u8::from(c == b' ') | u8::from(c == b'\t');
    let boundary = |c: u8| u8::from(c == separator) | u8::from(c == b'\n');
    if n < 3 || odd(body[0]) | odd(body[n - 1]) != 0 {
        return padded_fields_exact(bytes, separator);
    }
    // The body's first and last bytes touch a line's start or end.
    let padded = ws(body[0]) | ws(body[n - 1]) != 0;
    // Each byte with its neighbours: (previous, this, next).
    let (a, m, z) = (&body[..n - 2], &body[1..n - 1], &body[2..]);
    const BLOCK: usize = 4096;
    let mut i = 0;
    while i < m.len() {
        let e = (i + BLOCK).min(m.len());
        let (mut pad, mut other) = (0u8, 0u8);
        for ((&p, &c), &q) in a[i..e].iter().zip(&m[i..e]).zip(&z[i..e]) {
            pad |= ws(c) & (boundary(p) | boundary(q));
            other |= odd(c);
        }
        if other != 0 {
            return padded_fields_exact(bytes, separator);
        }
        if pad != 0 {
            return true;
        }
        i = e;
    }
    padded
}

/// [`padded_fields`] for any bytes: whether some data value may start or end with whitespace
/// (true when that can't be told from the bytes: quotes, or text other than ASCII). A space,
/// tab or CR counts when it touches a separator or a line's start or end (a CR right before
/// the newline is the line end, as the parser reads it). The header is not a value.
fn padded_fields_exact(bytes: &[u8], separator: u8) -> bool {
    let Some(body) = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| &bytes[p + 1..])
    else {
        return false;
    };
    if !body.is_ascii() || memchr::memchr3(b'"', 0x0b, 0x0c, body).is_some() {
        return true;
    }
    let boundary = |p: Option<usize>| match p {
        None => true,
        Some(p) => match body.get(p) {
            None => true,
            Some(&b) => {
                b == separator
                    || b == b'\n'
                    || (b == b'\r' && body.get(p + 1).is_none_or(|&n| n == b'\n'))
            }
        },
    };
    memchr::memchr3_iter(b' ', b'\t', b'\r', body).any(|p| {
        let line_end = body[p] == b'\r' && body.get(p + 1).is_none_or(|&n| n == b'\n');
        !line_end && (boundary(p.checked_sub(1)) || boundary(Some(p + 1)))
    })
}

/// FNV-1a over 8-byte words: fast, and good enough to tell lines apart (collisions are safe).
fn hash_line(line: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ line.len() as u64;
    let mut words = line.chunks_exact(8);
    for w in &mut words {
        let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = (h ^ v).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 31)
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

    /// [`duplicate_lines`] of whole bytes, never stopped.
    fn dups(bytes: &[u8]) -> Option<Vec<bool>> {
        duplicate_lines(bytes, bytes.contains(&b'"'), &AtomicBool::new(false))
    }

    #[test]
    fn separator_is_sniffed_from_the_header() {
        assert_eq!(sniff_separator(b"a;b;c\n1;2;3"), b';');
        assert_eq!(sniff_separator(b"a\tb\n1\t2"), b'\t');
        assert_eq!(sniff_separator(b"\"x;y\",b\n"), b',');
        assert_eq!(sniff_separator(b"single\n1"), b',');
    }

    #[test]
    fn bom_crlf_and_latin1_are_read() {
        let raw = read_bytes(
            "t.csv",
            b"\xef\xbb\xbfId,Name\r\n1,Caf\xe9\r\n".to_vec(),
            ReadAs::default(),
        )
        .unwrap();
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
    fn repeated_lines_are_found_byte_for_byte_and_quotes_defer_to_the_parser() {
        assert_eq!(dups(b"a,b\n1,2\n1,3\r\n"), Some(vec![false, false]));
        assert_eq!(
            dups(b"a,b\n1,2\n1,2.0\n1,2\r\n1,2\n"),
            Some(vec![false, false, true, true]),
            "the same bytes (CRLF or not) repeat; 2.0 is other text"
        );
        assert_eq!(
            dups(b"a,b\n\"1\",2\n1,2\n\"1\",2\n"),
            Some(vec![false, false, true]),
            "quotes within a line: bytes still decide"
        );
        assert_eq!(
            dups(b"a,b\n\"1\n2\",3\n\"1\n2\",3\n"),
            None,
            "a quoted value spans lines: the parser decides"
        );
        // Read through the parser: the mask is kept only when it has one entry per row.
        let raw = read_bytes("d.csv", b"a,b\n1,2\n1,2\n3,4\n".to_vec(), ReadAs::default()).unwrap();
        assert!(raw.duplicates.sure, "no quote: the scan will give a mask");
        assert_eq!(raw.duplicates.wait(), Some(vec![false, true, false]));
        let quoted = read_bytes("q.csv", b"a,b\n\"1\n2\",3\n".to_vec(), ReadAs::default()).unwrap();
        assert!(!quoted.duplicates.sure);
        assert_eq!(
            quoted.duplicates.wait(),
            None,
            "a value spans lines: no mask"
        );
    }

    #[test]
    fn padding_is_seen_next_to_separators_and_line_ends() {
        let clean = b" Id , Name\nC1,2024-01-01 10:00\r\nC2,x\n";
        assert!(
            !padded_fields(clean, b','),
            "inner spaces and CRLF are not padding"
        );
        assert!(padded_fields(b"a,b\n1, 2\n", b','));
        assert!(padded_fields(b"a,b\n1 ,2\n", b','));
        assert!(padded_fields(b"a,b\n 1,2\n", b','));
        assert!(padded_fields(b"a,b\n1,2 \r\n", b','));
        assert!(padded_fields(b"a,b\n1,2\t", b','));
        assert!(padded_fields(b"a;b\n1;\t2\n", b';'));
        assert!(
            padded_fields(b"a,b\n1,\r2\n", b','),
            "a lone CR is whitespace"
        );
        assert!(
            !padded_fields(b"a;b\n1, 2;3\n", b';'),
            "a comma is not the separator"
        );
        assert!(padded_fields(b"a,b\n\"1\",2\n", b','), "quotes: can't tell");
        assert!(
            padded_fields("a,b\n1,\u{a0}2\n".as_bytes(), b','),
            "non-ASCII: can't tell"
        );
        assert!(
            !read_bytes("p.csv", b"a,b\n1,2\n".to_vec(), ReadAs::default())
                .unwrap()
                .padded
        );
        assert!(
            read_bytes("p.csv", b"a,b\n1, 2\n".to_vec(), ReadAs::default())
                .unwrap()
                .padded
        );
    }

    proptest::proptest! {
        #[test]
        fn the_one_pass_padding_test_agrees_with_the_exact_one(
            body in proptest::collection::vec(
                proptest::sample::select(b"ab,; \t\n\r\"".to_vec()), 0..300),
            long in proptest::bool::ANY,
        ) {
            // Long bodies cross the vectorised blocks' edges.
            let mut bytes = b"h,i\n".to_vec();
            if long {
                bytes.extend(std::iter::repeat_n(b"xy,z\n".as_slice(), 900).flatten());
            }
            bytes.extend(&body);
            for sep in [b',', b';'] {
                proptest::prop_assert_eq!(
                    padded_fields(&bytes, sep),
                    padded_fields_exact(&bytes, sep)
                );
            }
        }

        #[test]
        fn repeated_lines_match_a_set_of_lines_seen(
            lines in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(b"ab,\r".to_vec()), 0..4),
                0..60),
        ) {
            let mut bytes = b"h,i\n".to_vec();
            for l in &lines {
                bytes.extend(l);
                bytes.push(b'\n');
            }
            // The definition: non-empty lines, a trailing CR ignored, each compared with all
            // earlier ones.
            let mut seen = std::collections::HashSet::new();
            let expected: Vec<bool> = lines
                .iter()
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                .filter(|l| !l.is_empty())
                .map(|l| !seen.insert(l.to_vec()))
                .collect();
            proptest::prop_assert_eq!(dups(&bytes), Some(expected));
        }
    }

    #[test]
    fn a_large_file_is_mapped_and_read_like_its_bytes() {
        // Above MAP_MIN, with a BOM and a repeated line, so the mapped path strips and scans
        // the same bytes the copied path would.
        let mut bytes = b"\xef\xbb\xbfId,Qty\n".to_vec();
        let rows = (MAP_MIN as usize) / 6 + 1000;
        for i in 0..rows {
            bytes.extend(format!("C{i},{}\n", i % 7).as_bytes());
        }
        bytes.extend(b"C3,3\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, &bytes).unwrap();
        assert!(bytes.len() as u64 >= MAP_MIN);
        let mapped = read_path(&path, ReadAs::default()).unwrap();
        let copied = read_bytes("big.csv", bytes, ReadAs::default()).unwrap();
        assert_eq!(mapped.df.height(), rows + 1);
        assert_eq!(mapped.headers(), vec!["Id", "Qty"]);
        assert!(mapped.df.equals_missing(&copied.df));
        let dups = mapped.duplicates.wait().unwrap();
        assert_eq!(dups.iter().filter(|&&d| d).count(), 1);
        assert!(dups[rows]);
    }

    #[test]
    fn a_scan_nobody_waits_for_stops() {
        let stop = AtomicBool::new(true);
        let mut many = b"h\n".to_vec();
        many.extend(b"1\n".repeat(STOP_CHECK + 1));
        assert_eq!(duplicate_lines(&many, false, &stop), None);
        let go = AtomicBool::new(false);
        assert_eq!(
            duplicate_lines(&many, false, &go).map(|m| m.len()),
            Some(STOP_CHECK + 1)
        );
    }

    #[test]
    fn empty_and_header_only_are_input_errors() {
        let e = read_bytes("e.csv", b"  \n".to_vec(), ReadAs::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("e.csv") && e.contains("empty"), "{e}");
        let e = read_bytes("h.csv", b"a,b\n".to_vec(), ReadAs::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("h.csv") && e.contains("no rows"), "{e}");
        let e = read_bytes(
            "g.csv.gz",
            vec![0x1f, 0x8b, 8, 0, 1, 2, 3],
            ReadAs::default(),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("g.csv.gz") && e.contains("gzip"), "{e}");
    }
}
