//! Tag filters applied before any strategy: `allow-tags` and `ignore-tags`.
//!
//! `allow-tags` is `regexp:<re>` (unanchored, prefix case-insensitive) or `any` (any case);
//! empty means any, as in Image Updater. A malformed value (bad expression, unknown match
//! function) allows *no* tag and says why, so a typo can never widen what is allowed.
//!
//! `ignore-tags` entries are Go `filepath.Match` globs over the whole tag (see the `glob`
//! module) or, beyond Image Updater, `regexp:<re>` (unanchored). A malformed entry ignores
//! *every* tag and says why (Image Updater skips such an entry; a gate fails closed).
//!
//! Expressions use Rust's `regex` syntax, which for the ASCII tag alphabet reads as Go's
//! RE2 does.

use std::fmt;

use regex::Regex;

use crate::glob::Glob;

/// A parsed `allow-tags` value.
#[derive(Clone, Debug)]
pub struct AllowTags {
    text: String,
    kind: AllowKind,
}

#[derive(Clone, Debug)]
enum AllowKind {
    Any,
    Regexp(Regex),
    /// Malformed: matches nothing. Holds the reason.
    Nothing(String),
}

impl AllowTags {
    /// Parses an `allow-tags` value. Never fails: a malformed value allows no tag and
    /// reports itself through [`AllowTags::problem`].
    pub fn parse(value: &str) -> Self {
        let kind = if value.is_empty() || value.eq_ignore_ascii_case("any") {
            AllowKind::Any
        } else {
            match value.split_once(':') {
                Some((func, re)) if func.eq_ignore_ascii_case("regexp") => match Regex::new(re) {
                    Ok(r) => AllowKind::Regexp(r),
                    Err(e) => AllowKind::Nothing(format!(
                        "allow-tags '{value}': the regular expression does not compile ({}); no tag is allowed",
                        one_line(&e.to_string())
                    )),
                },
                Some((func, _)) => AllowKind::Nothing(format!(
                    "allow-tags '{value}': unknown match function '{func}' (use 'regexp:<expression>' or 'any'); no tag is allowed"
                )),
                None => AllowKind::Nothing(format!(
                    "allow-tags '{value}': not 'any' and not 'regexp:<expression>'; no tag is allowed"
                )),
            }
        };
        Self {
            text: value.to_owned(),
            kind,
        }
    }

    /// Allows every tag.
    pub fn any() -> Self {
        Self {
            text: "any".to_owned(),
            kind: AllowKind::Any,
        }
    }

    /// Whether `tag` passes.
    pub fn allows(&self, tag: &str) -> bool {
        match &self.kind {
            AllowKind::Any => true,
            AllowKind::Regexp(r) => r.is_match(tag),
            AllowKind::Nothing(_) => false,
        }
    }

    /// The problem with a malformed value, if it is one.
    pub fn problem(&self) -> Option<&str> {
        match &self.kind {
            AllowKind::Nothing(why) => Some(why),
            _ => None,
        }
    }

    /// Which match function this is, in Image Updater's terms: `any`, `regexp` or `none`
    /// (a malformed value).
    pub fn function(&self) -> &'static str {
        match self.kind {
            AllowKind::Any => "any",
            AllowKind::Regexp(_) => "regexp",
            AllowKind::Nothing(_) => "none",
        }
    }

    /// The value as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Default for AllowTags {
    fn default() -> Self {
        Self::any()
    }
}

impl fmt::Display for AllowTags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One parsed `ignore-tags` entry.
#[derive(Clone, Debug)]
pub struct IgnorePattern {
    text: String,
    kind: IgnoreKind,
}

#[derive(Clone, Debug)]
enum IgnoreKind {
    Glob(Glob),
    Regexp(Regex),
    /// Malformed: ignores every tag. Holds the reason.
    Everything(String),
}

impl IgnorePattern {
    /// Parses one entry. Never fails: a malformed entry ignores every tag and reports
    /// itself through [`IgnorePattern::problem`].
    pub fn parse(value: &str) -> Self {
        let regexp = value
            .split_once(':')
            .filter(|(func, _)| func.eq_ignore_ascii_case("regexp"))
            .map(|(_, re)| re);
        let kind = match regexp {
            Some(re) => match Regex::new(re) {
                Ok(r) => IgnoreKind::Regexp(r),
                Err(e) => IgnoreKind::Everything(format!(
                    "ignore-tags '{value}': the regular expression does not compile ({}); every tag is ignored",
                    one_line(&e.to_string())
                )),
            },
            None => match Glob::parse(value) {
                Ok(g) => IgnoreKind::Glob(g),
                Err(e) => IgnoreKind::Everything(format!(
                    "ignore-tags '{value}': malformed pattern ({}; escape it with '\\' or use 'regexp:<expression>'); every tag is ignored",
                    e.0
                )),
            },
        };
        Self {
            text: value.to_owned(),
            kind,
        }
    }

    /// Whether this entry ignores `tag`.
    pub fn ignores(&self, tag: &str) -> bool {
        match &self.kind {
            IgnoreKind::Glob(g) => g.is_match(tag),
            IgnoreKind::Regexp(r) => r.is_match(tag),
            IgnoreKind::Everything(_) => true,
        }
    }

    /// The problem with a malformed entry, if it is one.
    pub fn problem(&self) -> Option<&str> {
        match &self.kind {
            IgnoreKind::Everything(why) => Some(why),
            _ => None,
        }
    }

    /// The entry as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for IgnorePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `regex` errors span several lines (a caret under the pattern); a warning is one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_tags_forms() {
        // (value, tag, allowed, function)
        let table: &[(&str, &str, bool, &str)] = &[
            ("", "anything", true, "any"),
            ("any", "anything", true, "any"),
            ("ANY", "anything", true, "any"),
            ("regexp:^v1\\.", "v1.2", true, "regexp"),
            ("regexp:^v1\\.", "v2.0", false, "regexp"),
            // unanchored: a match anywhere in the tag allows it
            ("regexp:rc", "1.0.0-rc.1", true, "regexp"),
            ("RegExp:[aA-zZ]", "MatchFuncRegexp-tag-name", true, "regexp"),
            ("regexp:[a-z]+", "lemon", true, "regexp"),
            ("regexp:[a-z]+", "31337", false, "regexp"),
            ("regexp:", "x", true, "regexp"),
            ("regexp:[aA-zZ", "MatchFuncNone-tag-name", false, "none"),
            ("other", "any tag", false, "none"),
            ("not-regexp:a-z", "a", false, "none"),
            ("glob:*", "1.0.0", false, "none"),
            (" any", "x", false, "none"),
        ];
        for (value, tag, want, func) in table {
            let f = AllowTags::parse(value);
            assert_eq!(f.allows(tag), *want, "{value:?} on {tag:?}");
            assert_eq!(f.function(), *func, "{value:?}");
            assert_eq!(f.problem().is_some(), *func == "none", "{value:?}");
            assert_eq!(f.as_str(), *value);
        }
    }

    #[test]
    fn malformed_allow_tags_say_why_on_one_line() {
        let bad = AllowTags::parse("regexp:((");
        let why = bad.problem().unwrap();
        assert!(
            why.starts_with("allow-tags 'regexp:((': the regular expression does not compile"),
            "{why}"
        );
        assert!(why.ends_with("no tag is allowed"), "{why}");
        assert!(!why.contains('\n'), "{why}");
        let unknown = AllowTags::parse("glob:*").problem().unwrap().to_owned();
        assert!(
            unknown.contains("unknown match function 'glob'"),
            "{unknown}"
        );
    }

    #[test]
    fn ignore_entries() {
        // (entry, tag, ignored)
        let table: &[(&str, &str, bool)] = &[
            ("tag1", "tag1", true),
            ("tag1", "tag3", false),
            ("tag?", "tag1", true),
            ("tag?", "tag10", false),
            ("*", "anything", true),
            ("*-debug", "1.0-debug", true),
            ("*-debug", "1.0-debug-x", false),
            ("v1.*", "v1.2.3", true),
            ("v1.*", "v10.0", false),
            ("[0-9]*", "1.0", true),
            ("[0-9]*", "latest", false),
            ("", "latest", false),
            ("regexp:^sha-", "sha-abc", true),
            ("regexp:rc", "1.0-rc.1", true),
            ("REGEXP:^dev$", "dev", true),
            ("regexp:^dev$", "devel", false),
            // malformed: every tag ignored
            ("[a-", "1.0.0", true),
            ("regexp:((", "1.0.0", true),
        ];
        for (entry, tag, want) in table {
            let p = IgnorePattern::parse(entry);
            assert_eq!(p.ignores(tag), *want, "{entry:?} on {tag:?}");
            assert_eq!(p.as_str(), *entry);
        }
    }

    #[test]
    fn malformed_ignore_entries_say_why() {
        let p = IgnorePattern::parse("[a-");
        let why = p.problem().unwrap();
        assert!(
            why.starts_with("ignore-tags '[a-': malformed pattern (unclosed '['"),
            "{why}"
        );
        assert!(why.ends_with("every tag is ignored"), "{why}");
        assert!(IgnorePattern::parse("*").problem().is_none());
    }
}
