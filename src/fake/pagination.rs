//! Keyset pagination with opaque cursors, as DS's dossier connections do it.
//!
//! Rows are ordered by (timestamp, number); a cursor is the base64 of
//! `"<nanoseconds>;<number>"` of a row, and `after` returns the rows strictly
//! greater. `first` defaults to 100 and is silently capped at 100. Pure
//! functions: the resolver gathers and filters the rows, this module orders
//! and cuts them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Largest page DS returns.
pub(crate) const MAX_PAGE: usize = 100;

/// A decoded cursor: the row's sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cursor {
    pub(crate) key: i128,
    pub(crate) number: u64,
}

impl Cursor {
    pub(crate) fn encode(self) -> String {
        STANDARD.encode(format!("{};{}", self.key, self.number))
    }

    pub(crate) fn decode(text: &str) -> Option<Self> {
        let raw = String::from_utf8(STANDARD.decode(text).ok()?).ok()?;
        let (key, number) = raw.split_once(';')?;
        Some(Self {
            key: key.parse().ok()?,
            number: number.parse().ok()?,
        })
    }
}

/// The page size for a `first` argument.
///
/// # Errors
/// A negative `first`, with DS's message.
pub(crate) fn page_size(first: Option<i64>) -> Result<usize, String> {
    match first {
        None => Ok(MAX_PAGE),
        Some(n) if n < 0 => Err("Argument 'first' on Field 'nodes' cannot be negative".into()),
        Some(n) => Ok(usize::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE)),
    }
}

/// One page of rows with their cursors.
#[derive(Debug)]
pub(crate) struct Page<T> {
    pub(crate) rows: Vec<(T, String)>,
    pub(crate) has_next: bool,
    pub(crate) has_previous: bool,
}

impl<T> Page<T> {
    pub(crate) fn start_cursor(&self) -> Option<&str> {
        self.rows.first().map(|(_, c)| c.as_str())
    }

    pub(crate) fn end_cursor(&self) -> Option<&str> {
        self.rows.last().map(|(_, c)| c.as_str())
    }
}

/// Order `rows` by (key, number) and return the `first` after `after`.
pub(crate) fn paginate<T>(
    mut rows: Vec<(Cursor, T)>,
    first: usize,
    after: Option<Cursor>,
) -> Page<T> {
    rows.sort_by_key(|(c, _)| *c);
    let before_len = rows.len();
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|(c, _)| after.is_none_or(|a| *c > a))
        .collect();
    let has_previous = after.is_some() && rows.len() < before_len;
    let has_next = rows.len() > first;
    let rows = rows
        .into_iter()
        .take(first)
        .map(|(c, t)| (t, c.encode()))
        .collect();
    Page {
        rows,
        has_next,
        has_previous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(keys: &[(i128, u64)]) -> Vec<(Cursor, u64)> {
        keys.iter()
            .map(|&(key, number)| (Cursor { key, number }, number))
            .collect()
    }

    #[test]
    fn cursor_round_trip_and_garbage() {
        let c = Cursor {
            key: 1_709_629_920_000_000_000,
            number: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not base64!"), None);
        assert_eq!(Cursor::decode(&STANDARD.encode("12")), None);
    }

    #[test]
    fn pages_in_key_then_number_order_without_gaps() {
        // Keys out of number order, with a tie broken by number.
        let all = rows(&[(30, 1), (10, 2), (20, 3), (20, 4), (5, 5)]);
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = paginate(all.clone(), 2, after);
            seen.extend(page.rows.iter().map(|(n, _)| *n));
            if !page.has_next {
                break;
            }
            after = page.end_cursor().and_then(Cursor::decode);
        }
        assert_eq!(seen, vec![5, 2, 3, 4, 1]);
    }

    #[test]
    fn empty_page_has_no_cursor() {
        let page = paginate(rows(&[(1, 1)]), 10, Some(Cursor { key: 1, number: 1 }));
        assert!(page.rows.is_empty());
        assert!(!page.has_next);
        assert_eq!(page.end_cursor(), None);
    }

    #[test]
    fn page_size_caps_and_rejects_negative() {
        assert_eq!(page_size(None), Ok(100));
        assert_eq!(page_size(Some(500)), Ok(100));
        assert_eq!(page_size(Some(7)), Ok(7));
        assert!(page_size(Some(-1)).is_err());
    }
}
