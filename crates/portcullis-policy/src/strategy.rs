//! The update strategies and their names, as Argo CD Image Updater spells them.

use std::fmt;
use std::str::FromStr;

/// How the tag to move to is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Strategy {
    /// Highest semantic version that satisfies the constraint (the default).
    Semver,
    /// Most recently built image, by the creation date in its config.
    NewestBuild,
    /// Follow one mutable tag: an update is a new digest behind the same tag.
    Digest,
    /// Last tag in lexical order.
    Alphabetical,
}

/// A strategy name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown update strategy '{input}' (use semver, newest-build, digest or alphabetical)")]
pub struct StrategyError {
    input: String,
}

/// A parsed strategy name, with the deprecation warning an old alias earns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedStrategy {
    /// The strategy.
    pub strategy: Strategy,
    /// Set when a deprecated alias (`latest`, `name`) was used.
    pub warning: Option<String>,
}

impl Strategy {
    /// Parses a name case-insensitively, accepting Image Updater's deprecated aliases
    /// `latest` (newest-build) and `name` (alphabetical) with a warning. Unlike Image
    /// Updater, which falls back to semver, an unknown name is an error: a gate fails closed.
    pub fn parse_name(input: &str) -> Result<ParsedStrategy, StrategyError> {
        let lower = input.trim().to_ascii_lowercase();
        let (strategy, alias_of) = match lower.as_str() {
            "semver" => (Self::Semver, None),
            "newest-build" => (Self::NewestBuild, None),
            "latest" => (Self::NewestBuild, Some("newest-build")),
            "digest" => (Self::Digest, None),
            "alphabetical" => (Self::Alphabetical, None),
            "name" => (Self::Alphabetical, Some("alphabetical")),
            _ => {
                return Err(StrategyError {
                    input: input.to_owned(),
                });
            }
        };
        Ok(ParsedStrategy {
            strategy,
            warning: alias_of
                .map(|new| format!("update strategy '{lower}' is deprecated, use '{new}' instead")),
        })
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Semver => "semver",
            Self::NewestBuild => "newest-build",
            Self::Digest => "digest",
            Self::Alphabetical => "alphabetical",
        }
    }

    /// Whether a result may be cached between cycles (not for digest: the tag moves).
    pub fn is_cacheable(self) -> bool {
        !matches!(self, Self::Digest)
    }

    /// Whether tags need metadata (creation dates) from the registry.
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
        assert_eq!("SemVer".parse::<Strategy>().unwrap(), Strategy::Semver);
        let latest = Strategy::parse_name("latest").unwrap();
        assert_eq!(latest.strategy, Strategy::NewestBuild);
        assert!(latest.warning.unwrap().contains("deprecated"));
        let name = Strategy::parse_name("NAME").unwrap();
        assert_eq!(name.strategy, Strategy::Alphabetical);
        assert!(Strategy::parse_name("digest").unwrap().warning.is_none());
    }

    #[test]
    fn unknown_is_an_error_naming_the_choices() {
        let err = "newest".parse::<Strategy>().unwrap_err().to_string();
        assert!(
            err.contains("'newest'") && err.contains("newest-build"),
            "{err}"
        );
    }
}
