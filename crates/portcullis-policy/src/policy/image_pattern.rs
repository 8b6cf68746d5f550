//! Repository globs of a rule's `images`: `*` matches within one path element, `**` across
//! elements. A pattern is normalised the way Docker normalises a name before matching
//! (`nginx` → `docker.io/library/nginx`, `acme/app` → `docker.io/acme/app`,
//! `index.docker.io/...` → `docker.io/...`), so it matches what
//! [`portcullis_image::Repository`] prints. `**` on its own matches every repository.
//!
//! A pattern names repositories only: a tag or digest in it is an error (tags are limited
//! with `update.constraint`).

use std::fmt;

use portcullis_image::{DOCKER_HUB, Repository};
use regex::Regex;

const LEGACY_DOCKER_HUB: &str = "index.docker.io";

/// A compiled repository glob.
#[derive(Clone, Debug)]
pub struct ImagePattern {
    written: String,
    normalised: String,
    regex: Regex,
}

/// Why a pattern is not a repository glob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImagePatternError {
    /// Empty pattern.
    #[error("an image pattern must not be empty")]
    Empty,
    /// A tag or digest in the pattern.
    #[error("image pattern '{0}' names a tag or digest; patterns match repositories only")]
    TagOrDigest(String),
    /// Wildcards in a position they cannot be used in (`***`, `a**b`).
    #[error("image pattern '{0}': '**' must be a whole path element (write 'ghcr.io/acme/**')")]
    BadDoubleStar(String),
    /// The literal parts are not a valid repository name.
    #[error("image pattern '{pattern}' is not a valid repository glob ({reason})")]
    Invalid {
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ImagePattern {
    /// Parses and normalises a pattern.
    pub fn parse(pattern: &str) -> Result<Self, ImagePatternError> {
        let trimmed = pattern.trim();
        if trimmed.is_empty() {
            return Err(ImagePatternError::Empty);
        }
        if trimmed.contains('@') || trimmed.split('/').skip(1).any(|e| e.contains(':')) {
            return Err(ImagePatternError::TagOrDigest(pattern.to_owned()));
        }
        if trimmed.split('/').any(|e| e.contains("**") && e != "**") {
            return Err(ImagePatternError::BadDoubleStar(pattern.to_owned()));
        }
        let normalised = normalise(trimmed);
        check_literals(pattern, &normalised)?;
        let regex = compile(&normalised).map_err(|e| ImagePatternError::Invalid {
            pattern: pattern.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            written: pattern.to_owned(),
            normalised,
            regex,
        })
    }

    /// Whether the pattern matches the repository.
    pub fn matches(&self, repository: &Repository) -> bool {
        self.regex.is_match(&repository.to_string())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// The pattern after normalisation, e.g. `docker.io/library/nginx`.
    pub fn normalised(&self) -> &str {
        &self.normalised
    }

    /// The registry the pattern is limited to, when its registry part has no wildcard.
    pub fn registry(&self) -> Option<&str> {
        let first = self.normalised.split('/').next()?;
        (!first.contains('*') && self.normalised.contains('/')).then_some(first)
    }
}

impl fmt::Display for ImagePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// Docker's rule: the first element is a registry when it contains `.` or `:`, is
/// `localhost`, or has upper-case letters; otherwise the name is on Docker Hub, and a
/// single-element path gets `library/`.
fn normalise(pattern: &str) -> String {
    if pattern == "**" {
        return pattern.to_owned();
    }
    let (first, rest) = match pattern.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (pattern, None),
    };
    let is_registry = first.contains(['.', ':'])
        || first == "localhost"
        || first.chars().any(|c| c.is_ascii_uppercase());
    let (registry, path) = match (is_registry, rest) {
        (true, Some(rest)) => (first, rest.to_owned()),
        _ => (DOCKER_HUB, pattern.to_owned()),
    };
    let registry = if registry == LEGACY_DOCKER_HUB {
        DOCKER_HUB
    } else {
        registry
    };
    let path = if registry == DOCKER_HUB && !path.contains('/') && path != "**" {
        format!("library/{path}")
    } else {
        path
    };
    format!("{registry}/{path}")
}

/// The literal parts must form a valid repository when every wildcard is replaced by a
/// letter: catches upper-case paths, spaces, stray characters.
fn check_literals(written: &str, normalised: &str) -> Result<(), ImagePatternError> {
    if normalised == "**" {
        return Ok(());
    }
    let probe = normalised.replace("**", "x").replace('*', "x");
    probe
        .parse::<Repository>()
        .map(|_| ())
        .map_err(|e| ImagePatternError::Invalid {
            pattern: written.to_owned(),
            reason: e
                .to_string()
                .split_once(": ")
                .map_or_else(|| e.to_string(), |(_, why)| why.to_owned()),
        })
}

fn compile(normalised: &str) -> Result<Regex, regex::Error> {
    let mut re = String::from("^");
    let mut rest = normalised;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("**") {
            re.push_str(".*");
            rest = after;
        } else if let Some(after) = rest.strip_prefix('*') {
            re.push_str("[^/]*");
            rest = after;
        } else {
            let end = rest.find('*').unwrap_or(rest.len());
            re.push_str(&regex::escape(&rest[..end]));
            rest = &rest[end..];
        }
    }
    re.push('$');
    Regex::new(&re)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(s: &str) -> Repository {
        s.parse().unwrap()
    }

    #[test]
    fn globs_match_normalised_repositories() {
        // (pattern, repository, matches)
        let table: &[(&str, &str, bool)] = &[
            ("ghcr.io/acme/**", "ghcr.io/acme/app", true),
            ("ghcr.io/acme/**", "ghcr.io/acme/team/app", true),
            ("ghcr.io/acme/**", "ghcr.io/other/app", false),
            ("ghcr.io/acme/*", "ghcr.io/acme/app", true),
            ("ghcr.io/acme/*", "ghcr.io/acme/team/app", false),
            ("ghcr.io/acme/app-*", "ghcr.io/acme/app-web", true),
            ("nginx", "nginx", true),
            ("nginx", "docker.io/library/nginx", true),
            ("docker.io/nginx", "nginx", true),
            ("index.docker.io/library/nginx", "nginx", true),
            ("acme/app", "docker.io/acme/app", true),
            ("library/*", "redis", true),
            ("**", "ghcr.io/x/y", true),
            ("**", "nginx", true),
            ("*.gcr.io/**", "eu.gcr.io/p/app", true),
            ("*.gcr.io/**", "ghcr.io/p/app", false),
            ("localhost:5000/*", "localhost:5000/app", true),
        ];
        for (pattern, r, want) in table {
            let p = ImagePattern::parse(pattern).unwrap();
            assert_eq!(p.matches(&repo(r)), *want, "{pattern} on {r}");
        }
    }

    #[test]
    fn bad_patterns_say_why() {
        for bad in [
            "",
            "ghcr.io/acme/app:1.0",
            "ghcr.io/acme/app@sha256:abc",
            "ghcr.io/Acme/**",
            "ghcr.io/acme/a**",
            "ghcr.io/acme app",
        ] {
            assert!(ImagePattern::parse(bad).is_err(), "{bad:?}");
        }
        let err = ImagePattern::parse("ghcr.io/acme/app:1.0").unwrap_err();
        assert_eq!(
            err.to_string(),
            "image pattern 'ghcr.io/acme/app:1.0' names a tag or digest; patterns match repositories only"
        );
    }

    #[test]
    fn registry_is_known_when_literal() {
        assert_eq!(
            ImagePattern::parse("ghcr.io/acme/**").unwrap().registry(),
            Some("ghcr.io")
        );
        assert_eq!(
            ImagePattern::parse("nginx").unwrap().registry(),
            Some("docker.io")
        );
        assert_eq!(ImagePattern::parse("**").unwrap().registry(), None);
        assert_eq!(ImagePattern::parse("*.gcr.io/**").unwrap().registry(), None);
    }
}
