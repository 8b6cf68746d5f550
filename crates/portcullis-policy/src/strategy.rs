//! The update strategies, their names as Image Updater spells them, and their properties.
//!
//! Names parse case-insensitively; `latest` (newest-build) and `name` (alphabetical) are
//! deprecated aliases that come with a warning. Unlike Image Updater, which falls back to
//! semver on an unknown name, an unknown name is an error: a gate fails closed.

use std::fmt;
use std::str::FromStr;

/// How the tag to move to is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Strategy {
    /// Highest semantic version that satisfies the constraint (the default).
    #[default]
    Semver,
    /// Most recently built image, by the creation date in its config.
    NewestBuild,
    /// Last tag in lexical (byte) order.
    Alphabetical,
    /// Follow one mutable tag: an update is a new digest behind the same tag.
    Digest,
}

/// A strategy name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown update strategy '{input}' (use semver, newest-build, digest or alphabetical; Image Updater would silently use semver here)"
)]
pub struct StrategyError {
    input: String,
}

/// A parsed strategy name, with the deprecation warning an old alias earns.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParsedStrategy {
    /// The strategy.
    pub strategy: Strategy,
    /// Set when a deprecated alias (`latest`, `name`) was used.
    pub warning: Option<String>,
}

impl Strategy {
    /// Every strategy, in Image Updater's numbering order.
    pub const ALL: [Self; 4] = [
        Self::Semver,
        Self::NewestBuild,
        Self::Alphabetical,
        Self::Digest,
    ];

    /// Parses a name case-insensitively, accepting the deprecated aliases `latest`
    /// (newest-build) and `name` (alphabetical) with a warning. Whitespace is not trimmed.
    pub fn parse_name(input: &str) -> Result<ParsedStrategy, StrategyError> {
        let lower = input.to_ascii_lowercase();
        let (strategy, renamed_to) = match lower.as_str() {
            "semver" => (Self::Semver, None),
            "newest-build" => (Self::NewestBuild, None),
            "latest" => (Self::NewestBuild, Some("newest-build")),
            "alphabetical" => (Self::Alphabetical, None),
            "name" => (Self::Alphabetical, Some("alphabetical")),
            "digest" => (Self::Digest, None),
            _ => {
                return Err(StrategyError {
                    input: input.to_owned(),
                });
            }
        };
        Ok(ParsedStrategy {
            strategy,
            warning: renamed_to.map(|new| {
                format!("update strategy '{input}' is deprecated and was renamed to '{new}'; write '{new}'")
            }),
        })
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Semver => "semver",
            Self::NewestBuild => "newest-build",
            Self::Alphabetical => "alphabetical",
            Self::Digest => "digest",
        }
    }

    /// Whether tag metadata may be cached between cycles (not for digest: the tag moves).
    pub fn is_cacheable(self) -> bool {
        !matches!(self, Self::Digest)
    }

    /// Whether the strategy needs per-tag metadata from the registry (creation dates).
    pub fn needs_metadata(self) -> bool {
        matches!(self, Self::NewestBuild)
    }

    /// Whether a constraint is mandatory (digest: the tag to follow).
    pub fn needs_version_constraint(self) -> bool {
        matches!(self, Self::Digest)
    }

    /// Whether only the tag named by the constraint is of interest.
    pub fn wants_only_constraint_tag(self) -> bool {
        matches!(self, Self::Digest)
    }
}

impl FromStr for Strategy {
    type Err = StrategyError;

    /// Like [`Strategy::parse_name`], dropping any deprecation warning.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_name(s).map(|p| p.strategy)
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_aliases_and_case() {
        // (written, strategy, deprecated)
        let table: &[(&str, Strategy, bool)] = &[
            ("semver", Strategy::Semver, false),
            ("SemVer", Strategy::Semver, false),
            ("newest-build", Strategy::NewestBuild, false),
            ("Newest-Build", Strategy::NewestBuild, false),
            ("latest", Strategy::NewestBuild, true),
            ("LATEST", Strategy::NewestBuild, true),
            ("alphabetical", Strategy::Alphabetical, false),
            ("name", Strategy::Alphabetical, true),
            ("NAME", Strategy::Alphabetical, true),
            ("digest", Strategy::Digest, false),
            ("DIGEST", Strategy::Digest, false),
        ];
        for (written, strategy, deprecated) in table {
            let parsed = Strategy::parse_name(written).unwrap();
            assert_eq!(parsed.strategy, *strategy, "{written}");
            assert_eq!(parsed.warning.is_some(), *deprecated, "{written}");
            assert_eq!(written.parse::<Strategy>().unwrap(), *strategy);
        }
        let warning = Strategy::parse_name("latest").unwrap().warning.unwrap();
        assert_eq!(
            warning,
            "update strategy 'latest' is deprecated and was renamed to 'newest-build'; write 'newest-build'"
        );
    }

    #[test]
    fn unknown_or_empty_is_an_error_naming_the_choices() {
        for bad in ["newest", "", " semver", "semver ", "lexical"] {
            let err = bad.parse::<Strategy>().unwrap_err().to_string();
            assert_eq!(
                err,
                format!(
                    "unknown update strategy '{bad}' (use semver, newest-build, digest or alphabetical; Image Updater would silently use semver here)"
                )
            );
        }
    }

    #[test]
    fn display_round_trips_and_default_is_semver() {
        for s in Strategy::ALL {
            assert_eq!(s.to_string().parse::<Strategy>().unwrap(), s);
        }
        assert_eq!(Strategy::default(), Strategy::Semver);
    }

    #[test]
    fn properties_as_image_updater_declares_them() {
        // (strategy, cacheable, needs metadata, needs constraint, only the constraint tag)
        let table = [
            (Strategy::Semver, true, false, false, false),
            (Strategy::NewestBuild, true, true, false, false),
            (Strategy::Alphabetical, true, false, false, false),
            (Strategy::Digest, false, false, true, true),
        ];
        for (s, cache, meta, constraint, only) in table {
            assert_eq!(s.is_cacheable(), cache, "{s}");
            assert_eq!(s.needs_metadata(), meta, "{s}");
            assert_eq!(s.needs_version_constraint(), constraint, "{s}");
            assert_eq!(s.wants_only_constraint_tag(), only, "{s}");
        }
    }
}
