//! Tag filters applied before any strategy: `allow-tags` and `ignore-tags`.
//!
//! `allow-tags` is `regexp:<re>` (unanchored, as in Image Updater) or `any`; a malformed
//! value matches nothing and says why, so a typo can never widen what is allowed.
//! `ignore-tags` entries are globs (`*`, `?`, `[...]`) matched against the whole tag, or,
//! beyond Image Updater, `regexp:<re>`; a malformed entry ignores every tag (fail closed).

use globset::{Glob, GlobMatcher};
use regex::Regex;

/// The `allow-tags` filter.
#[derive(Clone, Debug)]
pub enum AllowTags {
    /// Every tag.
    Any,
    /// Tags in which the regular expression finds a match (unanchored).
    Regexp(Regex),
    /// A malformed value: matches nothing. Holds the reason.
    Invalid(String),
}

impl AllowTags {
    /// Parses an `allow-tags` value. Never fails: a bad value becomes [`AllowTags::Invalid`].
    pub fn parse(value: &str) -> Self {
        let value = value.trim();
        if value == "any" {
            return Self::Any;
        }
        match value.strip_prefix("regexp:") {
            Some(re) => match Regex::new(re) {
                Ok(r) => Self::Regexp(r),
                Err(e) => Self::Invalid(format!(
                    "allow-tags '{value}': the regular expression does not compile ({e}); no tag is allowed"
                )),
            },
            None => Self::Invalid(format!(
                "allow-tags '{value}': unknown match function (use 'regexp:<expression>' or 'any'); no tag is allowed"
            )),
        }
    }

    /// Whether `tag` passes.
    pub fn allows(&self, tag: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Regexp(r) => r.is_match(tag),
            Self::Invalid(_) => false,
        }
    }

    /// The problem with a malformed value.
    pub fn problem(&self) -> Option<&str> {
        match self {
            Self::Invalid(why) => Some(why),
            _ => None,
        }
    }
}

/// One `ignore-tags` entry.
#[derive(Clone, Debug)]
pub enum IgnorePattern {
    /// A glob over the whole tag.
    Glob(GlobMatcher),
    /// `regexp:<re>`, unanchored.
    Regexp(Regex),
    /// A malformed entry: ignores every tag. Holds the reason.
    Invalid(String),
}

impl IgnorePattern {
    /// Parses one entry. Never fails: a bad entry becomes [`IgnorePattern::Invalid`].
    pub fn parse(value: &str) -> Self {
        let value = value.trim();
        if let Some(re) = value.strip_prefix("regexp:") {
            return match Regex::new(re) {
                Ok(r) => Self::Regexp(r),
                Err(e) => Self::Invalid(format!(
                    "ignore-tags '{value}': the regular expression does not compile ({e}); every tag is ignored"
                )),
            };
        }
        match Glob::new(value) {
            Ok(g) => Self::Glob(g.compile_matcher()),
            Err(e) => Self::Invalid(format!(
                "ignore-tags '{value}': not a valid glob ({e}); every tag is ignored"
            )),
        }
    }

    /// Whether `tag` is ignored by this entry.
    pub fn ignores(&self, tag: &str) -> bool {
        match self {
            Self::Glob(g) => g.is_match(tag),
            Self::Regexp(r) => r.is_match(tag),
            Self::Invalid(_) => true,
        }
    }

    /// The problem with a malformed entry.
    pub fn problem(&self) -> Option<&str> {
        match self {
            Self::Invalid(why) => Some(why),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_tags_regexp_is_unanchored() {
        let f = AllowTags::parse("regexp:^v1\\.");
        assert!(f.allows("v1.2"));
        assert!(!f.allows("v2.0"));
        let unanchored = AllowTags::parse("regexp:rc");
        assert!(unanchored.allows("1.0.0-rc.1"));
        assert!(AllowTags::parse("any").allows("whatever"));
    }

    #[test]
    fn malformed_allow_tags_match_nothing_and_say_why() {
        let f = AllowTags::parse("regexp:(");
        assert!(!f.allows("1.0.0"));
        assert!(f.problem().unwrap().contains("does not compile"));
        let g = AllowTags::parse("glob:*");
        assert!(!g.allows("1.0.0"));
        assert!(g.problem().unwrap().contains("unknown match function"));
    }

    #[test]
    fn ignore_globs_match_whole_tags() {
        let p = IgnorePattern::parse("*-debug");
        assert!(p.ignores("1.0-debug"));
        assert!(!p.ignores("1.0-debug-x"));
        assert!(IgnorePattern::parse("1.?").ignores("1.5"));
        assert!(!IgnorePattern::parse("1.?").ignores("1.50"));
        assert!(IgnorePattern::parse("*").ignores("anything"));
        assert!(IgnorePattern::parse("regexp:^sha-").ignores("sha-abc"));
    }

    #[test]
    fn malformed_ignore_entries_ignore_everything() {
        let p = IgnorePattern::parse("[a-");
        assert!(p.ignores("1.0.0"));
        assert!(p.problem().is_some());
    }
}
