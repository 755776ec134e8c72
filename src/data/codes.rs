//! Integer codes for text ids that are a fixed prefix and a number ("C000123", "P051",
//! "17850"): each line's code is read off a dense table indexed by the number, instead of
//! a hash join on text (at 10M lines the two joins on text ids took ~2 s of a ~10 s run).
//! Ids of any other shape keep the join.

use anyhow::Result;
use polars::prelude::*;

/// How a reference file writes its ids: every id is `prefix` then digits, `width` bytes in
/// all, and the numbers lie in `lo ..= lo + table.len() - 1`.
struct Numbered {
    prefix: String,
    width: usize,
    lo: u64,
    /// The code of each number from `lo` on; missing where no id has that number.
    table: Vec<Option<IdxSize>>,
}

/// At most this many table slots per id (sparser numbering keeps the join).
const SLOTS_PER_ID: usize = 4;
/// Digits after the prefix at most (a number that fits a u64 with room to spare).
const MAX_DIGITS: usize = 18;

impl Numbered {
    /// The shape of `ids` (with their `codes`), when they all share one; `None` for any id
    /// missing, of another width or prefix, or a numbering too sparse for a table.
    fn of(ids: &StringChunked, codes: &[IdxSize]) -> Option<Numbered> {
        let first = ids.get(0)?;
        let width = first.len();
        let prefix_len = first.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let digits = width - prefix_len;
        if digits == 0 || digits > MAX_DIGITS || !first.is_ascii() {
            return None;
        }
        let prefix = &first[..prefix_len];
        let mut numbers = Vec::with_capacity(ids.len());
        for id in ids.iter() {
            let id = id?;
            let rest = id.strip_prefix(prefix)?;
            if id.len() != width || !rest.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            numbers.push(rest.parse::<u64>().ok()?);
        }
        let lo = *numbers.iter().min()?;
        let span = usize::try_from(numbers.iter().max()? - lo).ok()? + 1;
        if span > SLOTS_PER_ID * numbers.len() + 4096 {
            return None;
        }
        let mut table = vec![None; span];
        for (&n, &code) in numbers.iter().zip(codes) {
            table[(n - lo) as usize] = Some(code);
        }
        Some(Numbered {
            prefix: prefix.to_string(),
            width,
            lo,
            table,
        })
    }

    /// The code of `id`: its number's, when it has this prefix and width and digits after
    /// the prefix; none otherwise.
    #[inline]
    fn code_of(&self, id: &str) -> Option<IdxSize> {
        let digits = id.strip_prefix(self.prefix.as_str())?;
        if id.len() != self.width {
            return None;
        }
        let mut n: u64 = 0;
        for b in digits.bytes() {
            if !b.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u64::from(b - b'0');
        }
        let slot = usize::try_from(n.checked_sub(self.lo)?).ok()?;
        self.table.get(slot).copied().flatten()
    }
}

/// Each line's code for its `key` from `dict` (columns `key` and `code`, keys unique), in the
/// lines' order: by number where the ids allow it, else by a join on the text.
pub(super) fn code_ids(
    lines: &DataFrame,
    dict: &DataFrame,
    key: &str,
    code: &str,
) -> Result<Column> {
    if let Some(coded) = by_number(lines, dict, key, code)? {
        return Ok(coded);
    }
    super::codes_for(lines, &dict.clone().lazy(), key, code)
}

/// [`code_ids`] by number, `None` when the ids are not numbered.
fn by_number(lines: &DataFrame, dict: &DataFrame, key: &str, code: &str) -> Result<Option<Column>> {
    let text = |df: &DataFrame| df.column(key).is_ok_and(|c| c.dtype() == &DataType::String);
    if !text(lines) || !text(dict) || dict.height() == 0 {
        return Ok(None);
    }
    let codes = dict.column(code)?.cast(&IDX_DTYPE)?;
    let codes: Vec<IdxSize> = codes.idx()?.into_no_null_iter().collect();
    let Some(numbered) = Numbered::of(dict.column(key)?.str()?, &codes) else {
        return Ok(None);
    };
    // One pass over the ids' bytes (no text is copied); polars' string expressions for the
    // same test and parse (slice, cast, compare, gather) took several times as long.
    let ids = lines.column(key)?.str()?;
    let coded: IdxCa = ids
        .iter()
        .map(|id| id.and_then(|id| numbered.code_of(id)))
        .collect();
    Ok(Some(coded.with_name(code.into()).into_column()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(ids: &[&str]) -> DataFrame {
        df!("id" => ids)
            .unwrap()
            .with_row_index("code".into(), None)
            .unwrap()
    }

    fn lines(ids: &[Option<&str>]) -> DataFrame {
        df!("id" => ids).unwrap()
    }

    fn codes(c: &Column) -> Vec<Option<IdxSize>> {
        c.idx().unwrap().iter().collect()
    }

    #[test]
    fn numbered_ids_are_coded_as_the_join_codes_them() {
        let d = dict(&["C0003", "C0001", "C0007", "C0002"]);
        let l = lines(&[
            Some("C0001"),
            Some("C0007"),
            Some("C0003"),
            None,
            Some("C0004"), // a number no id has
            Some("C0000"), // below the lowest
            Some("C9999"), // above the highest
            Some("C001"),  // same number, other width
            Some("C00001"),
            Some("C+001"), // the parser would read +001 as 1
            Some("c0001"),
            Some("X0001"),
            Some("C00a1"),
            Some(""),
            Some("C0002"),
        ]);
        let numbered = by_number(&l, &d, "id", "code").unwrap().expect("numbered");
        let joined = super::super::codes_for(&l, &d.clone().lazy(), "id", "code").unwrap();
        assert_eq!(codes(&numbered), codes(&joined));
        assert_eq!(
            codes(&numbered)[..3],
            [Some(1), Some(2), Some(0)],
            "row of the id in the file"
        );
        assert_eq!(numbered.null_count(), 11);
    }

    #[test]
    fn ids_of_other_shapes_keep_the_join() {
        let l = lines(&[Some("A1")]);
        for ids in [
            &["C01", "C002"][..],      // widths differ
            &["C01", "D02"],           // prefixes differ
            &["C1", "C1000000"],       // widths differ (and sparse)
            &["C0000001", "C9000000"], // too sparse for a table
            &["AB", "AC"],             // no number
        ] {
            assert!(
                by_number(&l, &dict(ids), "id", "code").unwrap().is_none(),
                "{ids:?}"
            );
        }
        // Plain numbers written as text are numbered with an empty prefix.
        let d = dict(&["12600", "12590", "12583"]);
        let l = lines(&[Some("12590"), Some("12600"), Some("1260")]);
        let c = by_number(&l, &d, "id", "code").unwrap().expect("numbered");
        assert_eq!(codes(&c), vec![Some(1), Some(0), None]);
    }
}
