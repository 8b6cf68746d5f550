//! Version constraints in Masterminds/semver v3.4 syntax, with its exact semantics.
//!
//! Grammar: `a || b` (either group), a group is constraints joined by `,` or whitespace
//! (all must hold); a constraint is an operator (`=`, `!=`, `>`, `<`, `>=`, `=>`, `<=`,
//! `=<`, `~`, `~>`, `^`, or none) and a version in which `x`, `X`, `*` or a missing part is
//! a wildcard; `1.2 - 1.4.5` (spaces required) is `>= 1.2, <= 1.4.5`.
//!
//! Pre-releases: a pre-release version satisfies a group only when some constraint *in that
//! group* names a pre-release (`>=1.2.0-0, <2` admits `1.5.0-rc.1`; `^1.2` does not).
//!
//! Hand-written because no Rust crate implements this grammar: Cargo's `semver` crate reads
//! a bare `1.2` as `^1.2` and scopes pre-releases differently. The recognising expressions
//! mirror Masterminds' own, so what it accepts and rejects is accepted and rejected here.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;

use crate::version::{Version, compare_prerelease};

/// Go's `\s` (ASCII only, no `\v`).
const WS: &str = r"[\t\n\f\r ]";
/// A version with wildcards. Like Masterminds', the numeric class admits a literal `|`:
/// such a part fails later, unless an earlier wildcard makes it irrelevant (`x.|`).
const CV: &str = r"v?([0-9|xX*]+)(\.[0-9|xX*]+)?(\.[0-9|xX*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
/// Operators, in Masterminds' order (leftmost-first alternation matters).
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

// The expressions are constants that every test compiles; a failure is a programming error
// caught before release, so `expect` cannot fire on input.
#[allow(clippy::expect_used)]
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")).expect("range expression")
});
#[allow(clippy::expect_used)]
static FIND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"({OPS}){WS}*({CV})")).expect("find expression"));
#[allow(clippy::expect_used)]
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"
    ))
    .expect("validation expression")
});
#[allow(clippy::expect_used)]
static ONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$")).expect("single expression")
});

/// A parsed constraint expression such as `>=1.2, <2 || ^3.0.0-0`.
#[derive(Clone, Debug)]
pub struct Constraint {
    groups: Vec<Group>,
    text: String,
}

/// Constraints that must all hold.
#[derive(Clone, Debug)]
struct Group {
    items: Vec<Single>,
    /// Some item names a pre-release, so pre-release versions are considered for the group.
    admits_prerelease: bool,
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
    #[error(
        "empty semver constraint '{input}' (leave the constraint out to accept any release, or write e.g. '^1.2')"
    )]
    Empty {
        /// The constraint as written.
        input: String,
    },
    /// A part that is not an operator followed by a version.
    #[error(
        "invalid semver constraint '{input}': '{part}' is not a version constraint (use e.g. '~1.2', '^1.2.0', '1.x', '>=1.2, <2' or 'a || b')"
    )]
    Improper {
        /// The whole constraint.
        input: String,
        /// The `||` group or single constraint at fault.
        part: String,
    },
}

impl Constraint {
    /// `*`: every release, no pre-release. What Image Updater uses when no constraint is set.
    pub fn any_release() -> Self {
        Self {
            groups: vec![Group {
                items: vec![Single {
                    op: Op::TildeOrEqual,
                    version: Version::zero(),
                    dirty: true,
                    minor_dirty: false,
                    patch_dirty: false,
                }],
                admits_prerelease: false,
            }],
            text: "*".to_owned(),
        }
    }

    /// Whether some `||` group names a pre-release, and so admits pre-release versions.
    pub fn admits_prerelease(&self) -> bool {
        self.groups.iter().any(|g| g.admits_prerelease)
    }

    /// Whether `v` satisfies the constraint (Masterminds' `Constraints.Check`).
    pub fn matches(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .any(|g| g.items.iter().all(|c| c.check(v, g.admits_prerelease)))
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
            return Err(ConstraintError::Empty {
                input: input.to_owned(),
            });
        }
        let rewritten = rewrite_ranges(input);
        let mut groups = Vec::new();
        for group in rewritten.split("||") {
            let improper = |part: &str| ConstraintError::Improper {
                input: input.to_owned(),
                part: part.trim().to_owned(),
            };
            if !VALID.is_match(group) {
                return Err(improper(group));
            }
            let mut items = Vec::new();
            for m in FIND.find_iter(group) {
                items.push(parse_single(m.as_str()).ok_or_else(|| improper(m.as_str()))?);
            }
            if items.is_empty() {
                return Err(improper(group));
            }
            let admits_prerelease = items.iter().any(|c| c.version.is_prerelease());
            groups.push(Group {
                items,
                admits_prerelease,
            });
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

/// `a - b` becomes `>= a, <= b ` (trailing space included, as Masterminds writes it, so a
/// constraint that follows stays separated).
fn rewrite_ranges(input: &str) -> String {
    let mut out = input.to_owned();
    for caps in RANGE.captures_iter(input) {
        let (Some(whole), Some(lo), Some(hi)) = (caps.get(0), caps.get(1), caps.get(11)) else {
            continue;
        };
        let replacement = format!(">= {}, <= {} ", lo.as_str(), hi.as_str());
        out = out.replacen(whole.as_str(), &replacement, 1);
    }
    out
}

fn undot(s: &str) -> &str {
    s.strip_prefix('.').unwrap_or(s)
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

/// One operator and version. Wildcards become zeros with the matching "dirty" flags, and
/// the resulting version must parse as a version (pre-release rules included).
fn parse_single(s: &str) -> Option<Single> {
    let caps = ONE.captures(s)?;
    let op = match caps.get(1)?.as_str() {
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
    let part = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let (major, minor, patch, pre) = (part(3), part(4), part(5), part(6));
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let text = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if minor.is_empty() || is_x(undot(minor)) {
        dirty = true;
        minor_dirty = true;
        format!("{major}.0.0{pre}")
    } else if patch.is_empty() || is_x(undot(patch)) {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        part(2).to_owned()
    };
    let version = text.parse().ok()?;
    Some(Single {
        op,
        version,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Single {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if v.is_prerelease() && !include_pre {
            return false;
        }
        match self.op {
            Op::TildeOrEqual if self.dirty => self.tilde(v),
            Op::TildeOrEqual => v.precedence(&self.version).is_eq(),
            Op::NotEqual => self.not_equal(v),
            Op::Greater => self.greater(v),
            Op::Less => v.precedence(&self.version).is_lt(),
            Op::GreaterEqual => v.precedence(&self.version).is_ge(),
            Op::LessEqual => self.less_equal(v),
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
            }
            if self.minor_dirty {
                return false;
            }
            if c.patch() != v.patch() && !self.patch_dirty {
                return true;
            }
            if self.patch_dirty {
                return (v.is_prerelease() || c.is_prerelease())
                    && compare_prerelease(v.pre(), c.pre()).is_ne();
            }
        }
        v.precedence(c).is_ne()
    }

    /// `>1.1` is "a later minor" (1.1.9 is not greater), `>11` "a later major".
    fn greater(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return v.precedence(c).is_gt();
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
        v.precedence(c).is_gt()
    }

    /// `<=1.1` admits every 1.1.z, `<=1.x` every 1.y.z.
    fn less_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return v.precedence(c).is_le();
        }
        if v.major() > c.major() {
            return false;
        }
        !(v.major() == c.major() && v.minor() > c.minor() && !self.minor_dirty)
    }

    /// `~1.2.3` → `>=1.2.3, <1.3.0`; `~1` → `>=1.0.0, <2.0.0`; `~0.0.0` and `~*` → anything.
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
    /// Note `^*` reads as `^0.0.0` and so admits only 0.0.0: Masterminds documents it as
    /// "any", but its code (which Image Updater runs) does this.
    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.precedence(c).is_lt() {
            return false;
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
