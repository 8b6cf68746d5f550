//! Lenient semantic versions, read exactly as Masterminds/semver v3.4 `NewVersion` reads tags.
//!
//! Accepted: an optional lowercase `v`, one to three numeric parts (missing parts are zero,
//! leading zeros allowed: `1` = `1.0.0`, `v1.02` = `1.2.0`), a pre-release after `-` and
//! build metadata after `+`. Pre-release identifiers are non-empty `[0-9A-Za-z-]` and a
//! numeric one has no leading zero; build identifiers are non-empty `[0-9A-Za-z-]`.
//!
//! Written by hand, not on the `semver` crate: that crate is Cargo's (strict `1.2.3` only,
//! no `v`, no `1.2`), while Argo CD Image Updater users rely on Masterminds' reading of tags.
//!
//! Ordering: [`Version::precedence`] is semver 2.0 precedence (build metadata ignored). The
//! `Ord` impl breaks precedence ties on the original string, as Image Updater sorts tags, so
//! it is total and consistent with `Eq` (two versions are equal only when written the same).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A parsed version, keeping the string it came from.
#[derive(Clone, Debug)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    /// Byte ranges of the pre-release and build metadata in `original` (one allocation per
    /// version: selection parses every tag of a repository).
    pre: (usize, usize),
    build: (usize, usize),
    original: String,
}

/// Why a string is not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a semantic version: {reason} (expected e.g. 1.2.3, v1.2, 1.2.3-rc.1)")]
pub struct VersionError {
    input: String,
    reason: &'static str,
}

impl VersionError {
    /// The string that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }
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
        self.original
            .get(self.pre.0..self.pre.1)
            .unwrap_or_default()
    }

    /// Build metadata after `+`, empty when none.
    pub fn build(&self) -> &str {
        self.original
            .get(self.build.0..self.build.1)
            .unwrap_or_default()
    }

    /// Whether this is a pre-release.
    pub fn is_prerelease(&self) -> bool {
        self.pre.1 > self.pre.0
    }

    /// The string it was parsed from (e.g. `v1.2`).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// `0.0.0`, the version a wildcard constraint compares against.
    pub(crate) fn zero() -> Self {
        Self {
            major: 0,
            minor: 0,
            patch: 0,
            pre: (0, 0),
            build: (0, 0),
            original: "0.0.0".to_owned(),
        }
    }

    /// Precedence per semver 2.0 (Masterminds' `Compare`): build metadata ignored, a
    /// pre-release sorts before its release, numeric identifiers compare as numbers.
    pub fn precedence(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.is_prerelease(), other.is_prerelease()) {
                (false, false) => Ordering::Equal,
                (false, true) => Ordering::Greater,
                (true, false) => Ordering::Less,
                (true, true) => compare_prerelease(self.pre(), other.pre()),
            })
    }
}

/// Masterminds' `comparePrerelease`: identifier by identifier, a missing identifier (the
/// shorter list) sorts first, numbers before words, numbers numerically, words bytewise.
pub(crate) fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    loop {
        let (x, y) = match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => (x.unwrap_or(""), y.unwrap_or("")),
        };
        let ord = compare_identifier(x, y);
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

fn compare_identifier(x: &str, y: &str) -> Ordering {
    if x == y {
        return Ordering::Equal;
    }
    if x.is_empty() {
        return Ordering::Less;
    }
    if y.is_empty() {
        return Ordering::Greater;
    }
    match (numeric(x), numeric(y)) {
        (Some(n), Some(m)) => n.cmp(&m),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => x.cmp(y),
    }
}

/// A numeric identifier as Go's `ParseUint` reads it (digits only, fits in 64 bits).
fn numeric(s: &str) -> Option<u64> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn check_prerelease(pre: &str) -> Result<(), &'static str> {
    for id in pre.split('.') {
        if id.is_empty() {
            return Err("empty pre-release identifier");
        }
        if !id.bytes().all(is_ident_byte) {
            return Err("pre-release may hold only [0-9A-Za-z-] and dots");
        }
        if id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()) {
            return Err("numeric pre-release identifier with a leading zero");
        }
    }
    Ok(())
}

fn check_build(build: &str) -> Result<(), &'static str> {
    for id in build.split('.') {
        if id.is_empty() || !id.bytes().all(is_ident_byte) {
            return Err("build metadata must be dot-separated [0-9A-Za-z-] identifiers");
        }
    }
    Ok(())
}

fn parse(input: &str) -> Result<Version, &'static str> {
    let body = input.strip_prefix('v').unwrap_or(input);
    // The core is digits and dots only, so the first `+` starts the build metadata and the
    // first `-` before it starts the pre-release.
    let (rest, build) = match body.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (body, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let mut nums = [0u64; 3];
    for (i, part) in core.split('.').enumerate() {
        let slot = nums.get_mut(i).ok_or("more than three numeric parts")?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err("numeric parts must be digits (major[.minor[.patch]])");
        }
        *slot = part.parse().map_err(|_| "numeric part too large")?;
    }
    if let Some(p) = pre {
        check_prerelease(p)?;
    }
    if let Some(b) = build {
        check_build(b)?;
    }
    Ok(Version {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        pre: pre.map_or((0, 0), |p| {
            let start = input.len() - body.len() + core.len() + 1;
            (start, start + p.len())
        }),
        build: build.map_or((0, 0), |b| (input.len() - b.len(), input.len())),
        original: input.to_owned(),
    })
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input).map_err(|reason| VersionError {
            input: input.to_owned(),
            reason,
        })
    }
}

impl Ord for Version {
    /// Precedence, then the original string (Image Updater's tie rule: of `1.0`, `1.0.0`
    /// and `v1.0.0` the greatest is `v1.0.0`).
    fn cmp(&self, other: &Self) -> Ordering {
        self.precedence(other)
            .then_with(|| self.original.cmp(&other.original))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    /// The canonical form (`1.2.0` for `v1.2`); [`Version::original`] has the tag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if self.is_prerelease() {
            write!(f, "-{}", self.pre())?;
        }
        let build = self.build();
        if !build.is_empty() {
            write!(f, "+{build}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
