//! Pages of the registry's lists (SPEC §5): at most `limit` items (1–1000) after a cursor,
//! the last id (or number) of the previous page. The lists are ordered by that key, the
//! list's own order: credentials, agents and providers by id (time-ordered ULIDs, monotonic
//! in a process: creation order), numbers by number. So a page always knows where it
//! stands, even when the item its cursor names was deleted since.

use crate::error::{Error, ErrorCode, Result};

/// Which page of a list: at most `limit` items after `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    limit: usize,
    after: Option<String>,
}

impl Page {
    /// The largest page.
    pub const MAX_LIMIT: u64 = 1000;

    /// A page of `limit` items (1–1000) after `after` (the last id or number of the previous
    /// page; `None` for the first page). A `limit` out of range is `invalid_option` (field
    /// `limit`); the cursor is checked by the list it is used on (field `after`).
    pub fn new(limit: u64, after: Option<&str>) -> Result<Page> {
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(Error::invalid(
                ErrorCode::InvalidOption,
                "limit",
                format!("limit {limit} is out of range: a page holds 1 to 1000 items"),
            ));
        }
        Ok(Page {
            limit: limit as usize,
            after: after.map(str::to_owned),
        })
    }

    /// The page a surface's optional `limit` and `after` ask for, the one rule of every
    /// surface: `None` (the whole list) when both are absent; `after` alone pages
    /// [`Page::MAX_LIMIT`] at a time; `limit` alone is the first page.
    ///
    /// ```
    /// use sipcreds::Page;
    /// assert_eq!(Page::from_options(None, None).unwrap(), None);
    /// assert_eq!(Page::from_options(None, Some("cred_x")).unwrap().unwrap().limit(), 1000);
    /// assert_eq!(Page::from_options(Some(5), None).unwrap().unwrap().after(), None);
    /// assert_eq!(Page::from_options(Some(0), None).unwrap_err().field(), Some("limit"));
    /// ```
    pub fn from_options(limit: Option<u64>, after: Option<&str>) -> Result<Option<Page>> {
        match (limit, after) {
            (None, None) => Ok(None),
            (limit, after) => Page::new(limit.unwrap_or(Self::MAX_LIMIT), after).map(Some),
        }
    }

    /// The first page of `limit` items.
    pub fn first(limit: u64) -> Result<Page> {
        Page::new(limit, None)
    }

    /// Every item of a paged list, read a page of [`Page::MAX_LIMIT`] at a time.
    pub fn all<T>(mut page: impl FnMut(&Page) -> Result<Paged<T>>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let p = page(&Page::new(Page::MAX_LIMIT, after.as_deref())?)?;
            out.extend(p.items);
            match p.next {
                Some(n) => after = Some(n),
                None => return Ok(out),
            }
        }
    }

    /// At most this many items.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The cursor, as given.
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The cursor parsed by `parse` (an id or number parser); a cursor it refuses is
    /// `invalid_option` (field `after`) naming what the list expects.
    pub(crate) fn cursor<T>(
        &self,
        what: &str,
        parse: impl FnOnce(&str) -> Result<T>,
    ) -> Result<Option<T>> {
        let Some(after) = self.after.as_deref() else {
            return Ok(None);
        };
        parse(after).map(Some).map_err(|_| {
            Error::invalid(
                ErrorCode::InvalidOption,
                "after",
                format!(
                    "after {} is not {what}: give the last one of the previous page (its \"next\")",
                    crate::text::quote(after)
                ),
            )
        })
    }
}

/// One page of a list: the items, and the cursor of the next page (`None` on the last).
/// On every surface: `{"items": [...], "next": cursor | null}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Paged<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// The `after` of the next page, or `None` when this page ends the list.
    pub next: Option<String>,
}

impl<T> Paged<T> {
    /// The page from up to `limit + 1` items read after the cursor: the extra one only says
    /// that the list goes on.
    pub(crate) fn from_lookahead(
        mut items: Vec<T>,
        limit: usize,
        key: impl Fn(&T) -> String,
    ) -> Self {
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(key)
        } else {
            None
        };
        Paged { items, next }
    }

    /// The page with each item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// The first `n` items of `all` whose key is above `after`, in key order: the default of the
/// storage trait's page reads (a backend with an index reads only those).
pub(crate) fn after_in<T, K: Ord>(
    mut all: Vec<T>,
    after: Option<&K>,
    n: usize,
    key: impl Fn(&T) -> &K,
) -> Vec<T> {
    all.sort_by(|a, b| key(a).cmp(key(b)));
    let start = match after {
        Some(a) => all.partition_point(|x| key(x) <= a),
        None => 0,
    };
    all.into_iter().skip(start).take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_out_of_range_are_invalid_option_on_limit() {
        for bad in [0, 1001, u64::MAX] {
            let e = Page::new(bad, None).unwrap_err();
            assert_eq!(
                (e.code(), e.field()),
                (ErrorCode::InvalidOption, Some("limit"))
            );
        }
        assert_eq!(Page::new(1000, Some("x")).unwrap().limit(), 1000);
    }

    #[test]
    fn a_lookahead_item_makes_the_cursor_and_is_dropped() {
        let p = Paged::from_lookahead(vec![1, 2, 3], 2, |x| x.to_string());
        assert_eq!((p.items, p.next), (vec![1, 2], Some("2".into())));
        let p = Paged::from_lookahead(vec![1, 2], 2, |x| x.to_string());
        assert_eq!((p.items, p.next), (vec![1, 2], None));
    }

    #[test]
    fn after_in_pages_on_from_a_key_that_is_not_there() {
        let all = vec![5, 1, 9, 3, 7];
        assert_eq!(after_in(all.clone(), None, 2, |x| x), vec![1, 3]);
        assert_eq!(after_in(all.clone(), Some(&3), 2, |x| x), vec![5, 7]);
        assert_eq!(after_in(all.clone(), Some(&4), 10, |x| x), vec![5, 7, 9]);
        assert_eq!(after_in(all, Some(&9), 10, |x| x), Vec::<i32>::new());
    }
}
