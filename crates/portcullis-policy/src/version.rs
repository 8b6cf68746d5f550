//! Lenient semantic versions, as Masterminds/semver v3's `NewVersion` reads tags.
//!
//! `v1.2.3`, `1.2`, `1` (missing parts are zero), pre-release and build metadata. Written
//! by hand because Cargo's `semver` crate is strict (no `v`, no missing parts) and the
//! comparison must match what Argo CD Image Updater users already rely on.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A parsed version, keeping the string it came from.
#[derive(Clone, Debug)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    build: String,
    original: String,
}

/// Why a tag is not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a semantic version (expected e.g. 1.2.3, v1.2, 1.2.3-rc.1)")]
pub struct VersionError {
    input: String,
}

impl Version {
    /// Major component.
    pub fn major(&self) -> u64 {
        self.major
    }
    /// Minor component (0 when absent).
    pub fn minor(&self) -> u64 {
        self.minor
    }
    /// Patch component (0 when absent).
    pub fn patch(&self) -> u64 {
        self.patch
    }
    /// Pre-release identifiers after `-`, empty when none.
    pub fn pre(&self) -> &str {
        &self.pre
    }
    /// Whether this is a pre-release.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
    /// The string it was parsed from (e.g. `v1.2`).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Precedence per semver 2.0: build metadata ignored, a pre-release sorts before its release.
    pub fn precedence(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(&self.pre, &other.pre),
            })
    }

    pub(crate) fn from_parts(major: u64, minor: u64, patch: u64, pre: &str) -> Self {
        Self {
            major,
            minor,
            patch,
            pre: pre.to_owned(),
            build: String::new(),
            original: String::new(),
        }
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(n), Ok(m)) => n.cmp(&m),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*`
pub(crate) fn valid_identifiers(s: &str) -> bool {
    s.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Splits `1.2.3-pre+build` (no `v`) into numbers, pre-release and build; each numeric part
/// may be validated by the caller (constraints allow `x`, `*`).
pub(crate) fn split_version(s: &str) -> Option<(Vec<&str>, &str, &str)> {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, b),
        None => (s, ""),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, p),
        None => (rest, ""),
    };
    if (rest.contains('-') && !valid_identifiers(pre))
        || (s.contains('+') && !valid_identifiers(build))
    {
        return None;
    }
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    Some((parts, pre, build))
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || VersionError {
            input: input.to_owned(),
        };
        let body = input.strip_prefix('v').unwrap_or(input);
        let (parts, pre, build) = split_version(body).ok_or_else(err)?;
        let mut nums = [0u64; 3];
        for (slot, part) in nums.iter_mut().zip(&parts) {
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            *slot = part.parse().map_err(|_| err())?;
        }
        Ok(Self {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre: pre.to_owned(),
            build: build.to_owned(),
            original: input.to_owned(),
        })
    }
}

impl fmt::Display for Version {
    /// The canonical form (`1.2.0` for `v1.2`); [`Version::original`] has the tag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn lenient_forms() {
        assert_eq!(v("v1.2.3").to_string(), "1.2.3");
        assert_eq!(v("1.0").to_string(), "1.0.0");
        assert_eq!(v("2").to_string(), "2.0.0");
        assert_eq!(v("1.2.3-rc.1+build.5").to_string(), "1.2.3-rc.1+build.5");
        assert_eq!(v("v1.0").original(), "v1.0");
        for bad in [
            "",
            "v",
            "latest",
            "1.2.3.4",
            "1..2",
            "1.2.x",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "V1.0",
            "-1",
            "1.2.3-ä",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} must not parse");
        }
    }

    #[test]
    fn precedence_follows_semver() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
            "10.0.0",
        ];
        for w in ordered.windows(2) {
            assert_eq!(
                v(w[0]).precedence(&v(w[1])),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
        }
        assert_eq!(v("1.0").precedence(&v("v1.0.0")), Ordering::Equal);
        assert_eq!(v("1.0.0+a").precedence(&v("1.0.0+b")), Ordering::Equal);
    }

    proptest! {
        #[test]
        fn display_parses_back_to_an_equal_version(
            major in 0u64..1000, minor in 0u64..1000, patch in 0u64..1000,
            pre in proptest::option::of("[0-9A-Za-z-]{1,5}(\\.[0-9A-Za-z-]{1,5}){0,2}"),
        ) {
            let s = match &pre { Some(p) => format!("{major}.{minor}.{patch}-{p}"), None => format!("{major}.{minor}.{patch}") };
            let parsed: Version = s.parse().unwrap();
            let again: Version = parsed.to_string().parse().unwrap();
            prop_assert_eq!(parsed.precedence(&again), Ordering::Equal);
            prop_assert_eq!(parsed.to_string(), s);
        }

        #[test]
        fn precedence_is_a_total_order(a in "[0-9]{1,2}\\.[0-9]{1,2}(-[a-z0-9]{1,3})?", b in "[0-9]{1,2}\\.[0-9]{1,2}(-[a-z0-9]{1,3})?", c in "[0-9]{1,2}\\.[0-9]{1,2}(-[a-z0-9]{1,3})?") {
            let (a, b, c) = (v(&a), v(&b), v(&c));
            prop_assert_eq!(a.precedence(&b), b.precedence(&a).reverse());
            if a.precedence(&b) != Ordering::Greater && b.precedence(&c) != Ordering::Greater {
                prop_assert_ne!(a.precedence(&c), Ordering::Greater);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = s.parse::<Version>();
        }
    }
}
