//! `--tags-file`: a registry listing from a file, for offline dry runs.
//!
//! One tag per line, optionally followed by whitespace and the image creation time in
//! RFC 3339 (what newest-build sorts by). Blank lines and lines starting with `#` are skipped.

use std::path::Path;

use anyhow::{Context, bail};
use jiff::Timestamp;

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedTag {
    pub(crate) name: String,
    pub(crate) created: Option<Timestamp>,
}

pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<ListedTag>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read tags file {}", path.display()))?;
    parse(&text).with_context(|| format!("in tags file {}", path.display()))
}

pub(crate) fn parse(text: &str) -> anyhow::Result<Vec<ListedTag>> {
    let mut tags = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let name = parts.next().unwrap_or_default().to_owned();
        let created = match parts.next() {
            None => None,
            Some(t) => Some(t.parse::<Timestamp>().with_context(|| {
                format!(
                    "line {}: '{t}' is not an RFC 3339 time (write e.g. 2026-01-31T12:00:00Z)",
                    i + 1
                )
            })?),
        };
        if let Some(extra) = parts.next() {
            bail!(
                "line {}: unexpected '{extra}' after the creation time (one tag and at most one time per line)",
                i + 1
            );
        }
        tags.push(ListedTag { name, created });
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_times_comments_and_blank_lines() {
        let tags = parse(
            "# listing\n1.0.0 2026-01-01T00:00:00Z\n\n  1.1.0\nlatest\t2026-02-01T10:00:00+01:00\n",
        )
        .unwrap();
        assert_eq!(tags.len(), 3);
        assert_eq!(tags[0].name, "1.0.0");
        assert_eq!(
            tags[0].created,
            Some("2026-01-01T00:00:00Z".parse().unwrap())
        );
        assert_eq!(
            tags[1],
            ListedTag {
                name: "1.1.0".into(),
                created: None
            }
        );
        assert_eq!(
            tags[2].created,
            Some("2026-02-01T09:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn bad_time_names_the_line_and_the_fix() {
        let err = parse("1.0.0\n1.1.0 yesterday\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("line 2"), "{msg}");
        assert!(msg.contains("RFC 3339"), "{msg}");
    }

    #[test]
    fn trailing_garbage_is_refused() {
        let err = parse("1.0.0 2026-01-01T00:00:00Z extra\n").unwrap_err();
        assert!(format!("{err:#}").contains("unexpected 'extra'"));
    }
}
