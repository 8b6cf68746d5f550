//! Tag-list pagination (`GET /v2/<name>/tags/list`), as the distribution spec describes it
//! and as registries actually behave.
//!
//! The first page asks for `n` tags. The next page is the `Link: <…>; rel="next"` target
//! (relative or absolute); without a `Link`, a page of exactly `n` tags continues with
//! `last=<its last tag>`. A page that is empty, brings no tag not seen before, or points at
//! a URL already fetched ends the listing, and so does the page limit: a registry that
//! ignores `n` (Debian's 2.8 does) answers everything at once and is asked once.

use std::collections::HashSet;

use reqwest::Url;
use reqwest::header::{HeaderMap, LINK};

/// One tag-list page as the spec shapes it. `tags` may be `null` or absent.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Page {
    #[serde(default)]
    pub(crate) tags: Option<Vec<String>>,
}

/// Walks the pages of one listing.
#[derive(Debug)]
pub(crate) struct Pager {
    base: Url,
    page_size: usize,
    fetched: HashSet<String>,
    seen: HashSet<String>,
    tags: Vec<String>,
}

impl Pager {
    /// A listing of `base` (`…/v2/<name>/tags/list`, no query) asking `page_size` per page.
    pub(crate) fn new(base: Url, page_size: usize) -> Self {
        Self {
            base,
            page_size: page_size.max(1),
            fetched: HashSet::new(),
            seen: HashSet::new(),
            tags: Vec::new(),
        }
    }

    /// The URL of the first page.
    pub(crate) fn first(&self) -> Url {
        self.with_query(None)
    }

    fn with_query(&self, last: Option<&str>) -> Url {
        let mut url = self.base.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("n", &self.page_size.to_string());
            if let Some(last) = last {
                q.append_pair("last", last);
            }
        }
        url
    }

    /// Takes in the page fetched from `url` and says where to go next (`None`: done). A
    /// `Link` to another origin is refused: our credentials go with every page request.
    pub(crate) fn next(
        &mut self,
        url: &Url,
        link: Option<&str>,
        page: Vec<String>,
    ) -> Result<Option<Url>, &'static str> {
        self.fetched.insert(url.to_string());
        let count = page.len();
        let last = page.last().cloned();
        let mut fresh = 0usize;
        for tag in page {
            if self.seen.insert(tag.clone()) {
                self.tags.push(tag);
                fresh += 1;
            }
        }
        if fresh == 0 {
            return Ok(None); // empty, or a page we already had
        }
        let next = match link {
            Some(target) => url
                .join(target)
                .map_err(|_| "the Link header's next target is not a URL")?,
            None if count == self.page_size => self.with_query(last.as_deref()),
            None => return Ok(None),
        };
        if next.origin() != self.base.origin() {
            return Err("the Link header points to another origin");
        }
        Ok((!self.fetched.contains(next.as_str())).then_some(next))
    }

    /// Every tag seen, in registry order, without duplicates.
    pub(crate) fn into_tags(self) -> Vec<String> {
        self.tags
    }
}

/// The `rel="next"` target of the `Link` headers, as written (resolve it against the URL
/// of the page). Link values may be comma-separated; commas inside `<…>` do not split.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(next_in_link_value)
}

fn next_in_link_value(value: &str) -> Option<String> {
    let mut rest = value;
    loop {
        let open = rest.find('<')?;
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        // Parameters run to the next link-value, which starts at the next '<'.
        let params_end = after.find('<').unwrap_or(after.len());
        let params = &after[..params_end];
        let is_next = params.split(';').any(|p| {
            let Some((k, v)) = p.split_once('=') else {
                return false;
            };
            k.trim().eq_ignore_ascii_case("rel")
                && v.trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.trim().to_owned());
        }
        rest = &after[params_end..];
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:5000/v2/team/app/tags/list").unwrap()
    }

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn link_targets_relative_and_absolute() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static(r#"</v2/a/tags/list?n=2&last=b>; rel="next""#),
        );
        assert_eq!(next_link(&h).as_deref(), Some("/v2/a/tags/list?n=2&last=b"));
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static(
                r#"<https://r.io/v2/x?last=1,2>; rel="prev", <https://r.io/v2/x?last=3>; title="t"; rel="next""#,
            ),
        );
        assert_eq!(next_link(&h).as_deref(), Some("https://r.io/v2/x?last=3"));
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static(r#"<https://r.io/v2/x>; rel="prev""#),
        );
        assert_eq!(next_link(&h), None);
        h.insert(LINK, HeaderValue::from_static("garbage, <unterminated"));
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn follows_link_relative_to_the_page() {
        let mut p = Pager::new(base(), 2);
        let first = p.first();
        assert_eq!(
            first.as_str(),
            "http://127.0.0.1:5000/v2/team/app/tags/list?n=2"
        );
        let next = p
            .next(
                &first,
                Some("/v2/team/app/tags/list?n=2&last=b"),
                tags(&["a", "b"]),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            next.as_str(),
            "http://127.0.0.1:5000/v2/team/app/tags/list?n=2&last=b"
        );
        let next2 = p
            .next(&next, Some("list?n=2&last=d"), tags(&["c", "d"]))
            .unwrap()
            .unwrap();
        assert_eq!(
            next2.as_str(),
            "http://127.0.0.1:5000/v2/team/app/tags/list?n=2&last=d"
        );
        assert_eq!(
            p.next(&next2, None, tags(&["e"])),
            Ok(None),
            "short page, no link: done"
        );
        assert_eq!(p.into_tags(), tags(&["a", "b", "c", "d", "e"]));
    }

    #[test]
    fn full_page_without_link_continues_with_last() {
        let mut p = Pager::new(base(), 2);
        let first = p.first();
        let next = p.next(&first, None, tags(&["a", "b c"])).unwrap().unwrap();
        assert_eq!(
            next.as_str(),
            "http://127.0.0.1:5000/v2/team/app/tags/list?n=2&last=b+c",
            "last is encoded"
        );
        assert_eq!(p.next(&next, None, vec![]), Ok(None), "empty page: done");
    }

    #[test]
    fn a_registry_ignoring_n_is_asked_once() {
        let mut p = Pager::new(base(), 2);
        let first = p.first();
        assert_eq!(p.next(&first, None, tags(&["a", "b", "c"])), Ok(None));
        assert_eq!(p.into_tags().len(), 3);
    }

    #[test]
    fn repeated_pages_and_links_stop() {
        let mut p = Pager::new(base(), 2);
        let first = p.first();
        let link = "/v2/team/app/tags/list?n=2&last=b";
        let next = p
            .next(&first, Some(link), tags(&["a", "b"]))
            .unwrap()
            .unwrap();
        assert_eq!(
            p.next(&next, Some(link), tags(&["a", "b"])),
            Ok(None),
            "same page again"
        );
        let mut p = Pager::new(base(), 2);
        let first = p.first();
        let next = p
            .next(&first, Some(link), tags(&["a", "b"]))
            .unwrap()
            .unwrap();
        assert_eq!(
            p.next(&next, Some(link), tags(&["c", "d"])),
            Ok(None),
            "link to a fetched URL"
        );
        assert_eq!(p.into_tags(), tags(&["a", "b", "c", "d"]));
    }

    #[test]
    fn links_to_another_origin_are_refused() {
        let mut p = Pager::new(base(), 2);
        let first = p.first();
        let elsewhere = p.next(
            &first,
            Some("https://evil.example/v2/x?last=b"),
            tags(&["a", "b"]),
        );
        assert!(elsewhere.is_err());
        let mut p = Pager::new(base(), 2);
        let first = p.first();
        let absolute_same = p
            .next(
                &first,
                Some("http://127.0.0.1:5000/v2/team/app/tags/list?last=b"),
                tags(&["a", "b"]),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            absolute_same.as_str(),
            "http://127.0.0.1:5000/v2/team/app/tags/list?last=b"
        );
    }
}
