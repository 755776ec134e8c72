//! Integer codes for text ids that are a fixed prefix and a number ("C000123", "P051",
//! "17850"): each line's code is read off a dense table indexed by the number, instead of
//! a hash join on text (`SEGSCOPE_TIMINGS=1` shows them as "code products" and "code
//! customers"). Ids of any other shape keep the join.

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
        let numbers: Vec<u64> = ids
            .iter()
            .map(|id| number(id?, prefix, width))
            .collect::<Option<_>>()?;
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

    /// The code of `id`: its number's, when it has this prefix and width; none otherwise.
    #[inline]
    fn code_of(&self, id: &str) -> Option<IdxSize> {
        let n = number(id, &self.prefix, self.width)?;
        let slot = usize::try_from(n.checked_sub(self.lo)?).ok()?;
        self.table.get(slot).copied().flatten()
    }
}

/// The number of `id` when it is `prefix` then only digits, `width` bytes in all (at most
/// [`MAX_DIGITS`] digits, so it fits).
#[inline]
fn number(id: &str, prefix: &str, width: usize) -> Option<u64> {
    let digits = id.strip_prefix(prefix)?;
    if id.len() != width {
        return None;
    }
    let mut n: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

/// Codes for the ids of one reference file (`dict`: columns `key` and `code`, keys unique),
/// shaped once and applied to each set of lines: by number where the ids allow it, else by a
/// join on the text.
pub(super) struct Coder<'a> {
    dict: &'a DataFrame,
    key: &'a str,
    code: &'a str,
    numbered: Option<Numbered>,
}

impl<'a> Coder<'a> {
    pub(super) fn new(dict: &'a DataFrame, key: &'a str, code: &'a str) -> Result<Coder<'a>> {
        let text = dict
            .column(key)
            .is_ok_and(|c| c.dtype() == &DataType::String);
        let numbered = if text && dict.height() > 0 {
            let codes = dict.column(code)?.cast(&IDX_DTYPE)?;
            let codes: Vec<IdxSize> = codes.idx()?.into_no_null_iter().collect();
            Numbered::of(dict.column(key)?.str()?, &codes)
        } else {
            None
        };
        Ok(Coder {
            dict,
            key,
            code,
            numbered,
        })
    }

    /// Each line's code for its `key`, in the lines' order.
    pub(super) fn codes(&self, lines: &DataFrame) -> Result<Column> {
        if let Some(coded) = self.by_number(lines)? {
            return Ok(coded);
        }
        super::codes_for(lines, &self.dict.clone().lazy(), self.key, self.code)
    }

    /// [`Coder::codes`] by number, `None` when the ids are not numbered. One pass over the
    /// ids' bytes (no text is copied); polars' string expressions for the same test and parse
    /// (slice, cast, compare, gather) took several times as long.
    fn by_number(&self, lines: &DataFrame) -> Result<Option<Column>> {
        let Some(numbered) = &self.numbered else {
            return Ok(None);
        };
        let Ok(ids) = lines.column(self.key).and_then(|c| c.str()) else {
            return Ok(None);
        };
        let coded: IdxCa = ids
            .iter()
            .map(|id| id.and_then(|id| numbered.code_of(id)))
            .collect();
        Ok(Some(coded.with_name(self.code.into()).into_column()))
    }
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
        let numbered = Coder::new(&d, "id", "code")
            .unwrap()
            .by_number(&l)
            .unwrap()
            .expect("numbered");
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
                Coder::new(&dict(ids), "id", "code")
                    .unwrap()
                    .by_number(&l)
                    .unwrap()
                    .is_none(),
                "{ids:?}"
            );
        }
        // Plain numbers written as text are numbered with an empty prefix.
        let d = dict(&["12600", "12590", "12583"]);
        let l = lines(&[Some("12590"), Some("12600"), Some("1260")]);
        let c = Coder::new(&d, "id", "code")
            .unwrap()
            .by_number(&l)
            .unwrap()
            .expect("numbered");
        assert_eq!(codes(&c), vec![Some(1), Some(0), None]);
    }
}
