//! Errors are values: bad input becomes an [`InputError`] (exit code 2, one line naming the
//! file, column or flag and what to do); anything else is a bug (exit code 1).

use std::fmt;

/// A problem with what the user gave us (a file, a column, a flag), not with segscope.
#[derive(Debug)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Builds an input error (exit code 2) from a message.
pub fn input(msg: impl Into<String>) -> anyhow::Error {
    InputError(msg.into()).into()
}

/// Returns early with an input error built by `format!`.
#[macro_export]
macro_rules! bail_input {
    ($($arg:tt)*) => {
        return Err($crate::error::input(format!($($arg)*)))
    };
}

/// True when the error (or anything it wraps) is the user's input, not a bug.
pub fn is_input(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref::<InputError>().is_some())
}

/// The first line of an error message: polars and IO errors can run to many lines.
pub fn first_line(err: &dyn fmt::Display) -> String {
    let text = err.to_string();
    text.lines().next().unwrap_or("").trim().to_string()
}

/// Reads a small text file a flag names (`--model`, `--config`, `--theme`): only a regular
/// file, at most `limit` bytes, so `/dev/zero` or a FIFO is refused instead of read forever.
/// `what` names the flag and file in messages.
pub fn read_small_file(path: &std::path::Path, what: &str, limit: u64) -> anyhow::Result<String> {
    use std::io::Read;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => bail_input!("{what}: cannot read ({e})"),
    };
    if !meta.is_file() {
        bail_input!("{what}: is not a regular file (a folder, device or FIFO); give a file");
    }
    if meta.len() > limit {
        bail_input!(
            "{what}: is {} bytes, more than the {} such a file can be; is it the right file?",
            meta.len(),
            limit
        );
    }
    let mut text = String::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_string(&mut text));
    match read {
        Ok(n) if n as u64 > limit => bail_input!("{what}: grew past {limit} bytes while read"),
        Ok(_) => Ok(text),
        Err(e) => bail_input!("{what}: cannot read ({e})"),
    }
}
