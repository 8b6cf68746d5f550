//! Version constraints in Masterminds/semver v3 syntax, with its exact semantics.
//!
//! Grammar: `a || b` (any group), a group is constraints joined by `,` or spaces (all must
//! hold); a constraint is an operator (`=`, `!=`, `>`, `<`, `>=`, `=>`, `<=`, `=<`, `~`, `~>`,
//! `^`, or none) and a version where `x`, `X` or `*` (or a missing part) is a wildcard;
//! `1.2 - 1.4.5` is `>= 1.2, <= 1.4.5`. A pre-release version satisfies a constraint only if
//! that constraint itself carries a pre-release (`>=1.2.0-0`), checked constraint by
//! constraint as Masterminds does. Hand-written because no Rust crate implements this
//! grammar: Cargo's `semver` crate reads a bare `1.2` as `^1.2` and has other pre-release rules.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;

use crate::version::{Version, split_version};

const CV: &str = r"v?([0-9xX*]+)(\.[0-9xX*]+)?(\.[0-9xX*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

#[allow(clippy::expect_used)] // the patterns are constants, checked by every test
static RANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\s*({CV})\s+-\s+({CV})\s*")).expect("range regex"));
#[allow(clippy::expect_used)]
static FIND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"({OPS})\s*({CV})")).expect("find regex"));
#[allow(clippy::expect_used)]
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
    ))
    .expect("valid regex")
});
#[allow(clippy::expect_used)]
static ONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^\s*({OPS})\s*({CV})\s*$")).expect("one regex"));

/// A parsed constraint expression such as `>=1.2, <2 || ^3.0.0-0`.
#[derive(Clone, Debug)]
pub struct Constraint {
    groups: Vec<Vec<Single>>,
    text: String,
}

#[derive(Clone, Debug)]
struct Single {
    op: Op,
    version: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

/// Why a constraint does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConstraintError {
    /// Empty or whitespace only.
    #[error("empty version constraint (omit it to accept any release, or write e.g. '^1.2')")]
    Empty,
    /// A group that is not a list of operator + version.
    #[error(
        "invalid semver constraint '{input}': '{group}' is not a constraint (write e.g. '~1.2', '^1.2.0', '1.x', '>=1.2, <2', 'a || b')"
    )]
    Improper {
        /// The whole constraint.
        input: String,
        /// The `||` group at fault.
        group: String,
    },
}

impl Constraint {
    /// Whether any part of the constraint names a pre-release (and so admits some).
    pub fn has_prerelease(&self) -> bool {
        self.groups
            .iter()
            .flatten()
            .any(|c| c.version.is_prerelease())
    }

    /// Whether `v` satisfies the constraint.
    pub fn matches(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .any(|group| group.iter().all(|c| c.check(v)))
    }

    /// The text the constraint was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Constraint {
    type Err = ConstraintError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.trim().is_empty() {
            return Err(ConstraintError::Empty);
        }
        let rewritten = RANGE.replace_all(input, |caps: &regex::Captures<'_>| {
            format!(">= {}, <= {}", &caps[1], &caps[11])
        });
        let mut groups = Vec::new();
        for group in rewritten.split("||") {
            let improper = || ConstraintError::Improper {
                input: input.to_owned(),
                group: group.trim().to_owned(),
            };
            if !VALID.is_match(group) {
                return Err(improper());
            }
            let mut singles = Vec::new();
            for m in FIND.find_iter(group) {
                singles.push(parse_single(m.as_str()).ok_or_else(improper)?);
            }
            if singles.is_empty() {
                return Err(improper());
            }
            groups.push(singles);
        }
        Ok(Self {
            groups,
            text: input.to_owned(),
        })
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn parse_single(s: &str) -> Option<Single> {
    let caps = ONE.captures(s)?;
    let op = match &caps[1] {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        "^" => Op::Caret,
        _ => return None,
    };
    let text = caps[2].strip_prefix('v').unwrap_or(&caps[2]);
    let (parts, pre, _build) = split_version(text)?;
    let num = |i: usize| parts.get(i).copied();
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let (major, minor, patch);
    match (num(0), num(1), num(2)) {
        (Some(m), _, _) if is_x(m) => {
            dirty = true;
            (major, minor, patch) = (0, 0, 0);
        }
        (Some(m), None, _) => {
            dirty = true;
            minor_dirty = true;
            (major, minor, patch) = (m.parse().ok()?, 0, 0);
        }
        (Some(m), Some(n), _) if is_x(n) => {
            dirty = true;
            minor_dirty = true;
            (major, minor, patch) = (m.parse().ok()?, 0, 0);
        }
        (Some(m), Some(n), p) if p.is_none_or(is_x) => {
            dirty = true;
            patch_dirty = true;
            (major, minor, patch) = (m.parse().ok()?, n.parse().ok()?, 0);
        }
        (Some(m), Some(n), Some(p)) => {
            (major, minor, patch) = (m.parse().ok()?, n.parse().ok()?, p.parse().ok()?);
        }
        _ => return None,
    }
    Some(Single {
        op,
        version: Version::from_parts(major, minor, patch, pre),
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Single {
    fn check(&self, v: &Version) -> bool {
        // A pre-release only satisfies a constraint that itself names a pre-release.
        if v.is_prerelease() && !self.version.is_prerelease() {
            return false;
        }
        let c = &self.version;
        let cmp = v.precedence(c);
        match self.op {
            Op::TildeOrEqual if self.dirty => self.tilde(v),
            Op::TildeOrEqual => cmp.is_eq(),
            Op::NotEqual => self.not_equal(v),
            Op::Greater => {
                if !self.dirty {
                    return cmp.is_gt();
                }
                if v.major() != c.major() {
                    return v.major() > c.major();
                }
                if self.minor_dirty {
                    return false;
                }
                if self.patch_dirty {
                    return v.minor() > c.minor();
                }
                cmp.is_gt()
            }
            Op::Less => cmp.is_lt(),
            Op::GreaterEqual => cmp.is_ge(),
            Op::LessEqual => {
                if !self.dirty {
                    return cmp.is_le();
                }
                if v.major() > c.major() {
                    return false;
                }
                !(v.major() == c.major() && v.minor() > c.minor() && !self.minor_dirty)
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => self.caret(v),
        }
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if self.dirty {
            if c.major() != v.major() {
                return true;
            }
            if c.minor() != v.minor() && !self.minor_dirty {
                return true;
            } else if self.minor_dirty {
                return false;
            } else if c.patch() != v.patch() && !self.patch_dirty {
                return true;
            } else if self.patch_dirty {
                return (v.is_prerelease() || c.is_prerelease()) && v.pre() != c.pre();
            }
        }
        !v.precedence(c).is_eq()
    }

    /// `~1.2.3` → `>=1.2.3, <1.3.0`; `~1` → `>=1.0.0, <2.0.0`; `~0.0.0` or `~*` → anything.
    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.precedence(c).is_lt() {
            return false;
        }
        if c.major() == 0
            && c.minor() == 0
            && c.patch() == 0
            && !self.minor_dirty
            && !self.patch_dirty
        {
            return true;
        }
        if v.major() != c.major() {
            return false;
        }
        v.minor() == c.minor() || self.minor_dirty
    }

    /// `^1.2.3` → `<2.0.0`; `^0.2.3` → `<0.3.0`; `^0.0.3` → `=0.0.3`; `^0` → `<1.0.0`.
    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.precedence(c).is_lt() {
            return false;
        }
        // `^*`, `^x`: any version, as Masterminds documents it.
        if self.dirty && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if c.major() > 0 || self.minor_dirty {
            return v.major() == c.major();
        }
        if v.major() > 0 {
            return false;
        }
        if c.minor() > 0 || self.patch_dirty {
            return v.minor() == c.minor();
        }
        if v.minor() > 0 {
            return false;
        }
        v.patch() == c.patch()
    }
}

#[cfg(test)]
mod tests;
