//! OCI platforms (`os/architecture[/variant]`) and the filter that picks manifests from an index.
//!
//! Matching follows Argo CD Image Updater: a requested platform without a variant matches
//! every variant of its os/architecture; one with a variant matches only that variant; an
//! unparseable request is kept as a constraint nothing satisfies (fail closed), never dropped.
//! Beyond it, architectures are normalised as containerd does (`x86_64` → `amd64`,
//! `aarch64` → `arm64`, and `arm64` with no variant is `arm64/v8`), so `linux/arm64/v8`
//! finds the many indexes that omit the variant.

use std::fmt;
use std::str::FromStr;

/// A platform such as `linux/amd64` or `linux/arm/v7`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    os: String,
    architecture: String,
    variant: Option<String>,
}

/// Why a string is not a [`Platform`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// Not two or three non-empty `/`-separated parts.
    #[error(
        "invalid platform '{input}': expected 'os/arch' or 'os/arch/variant', e.g. 'linux/amd64' or 'linux/arm64/v8'"
    )]
    Malformed {
        /// The rejected input.
        input: String,
    },
}

impl Platform {
    /// Builds a platform from its parts; an empty variant means none.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        let architecture = match architecture.to_ascii_lowercase().as_str() {
            "x86_64" | "x86-64" => "amd64".to_owned(),
            "aarch64" => "arm64".to_owned(),
            other => other.to_owned(),
        };
        let variant = variant
            .filter(|v| !v.is_empty())
            .map(str::to_ascii_lowercase);
        Self {
            os: os.to_ascii_lowercase(),
            architecture,
            variant,
        }
    }

    /// The operating system, e.g. `linux`.
    pub fn os(&self) -> &str {
        &self.os
    }

    /// The architecture, e.g. `amd64`.
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The variant, e.g. `v7`.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// Whether `self`, taken as a request, accepts the `offered` platform.
    pub fn accepts(&self, offered: &Platform) -> bool {
        self.os == offered.os
            && self.architecture == offered.architecture
            && (self.variant.is_none() || self.effective_variant() == offered.effective_variant())
    }

    /// The variant with containerd's default filled in (`arm64` without one is `v8`).
    fn effective_variant(&self) -> Option<&str> {
        match (self.architecture.as_str(), self.variant.as_deref()) {
            ("arm64", None) => Some("v8"),
            (_, v) => v,
        }
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = input.trim().split('/').collect();
        let malformed = || PlatformError::Malformed {
            input: input.to_owned(),
        };
        if parts.iter().any(|p| p.is_empty()) {
            return Err(malformed());
        }
        match parts.as_slice() {
            [os, arch] => Ok(Self::new(os, arch, None)),
            [os, arch, variant] => Ok(Self::new(os, arch, Some(variant))),
            _ => Err(malformed()),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Platform({self})")
    }
}

impl serde::Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The platforms an image is wanted for. Empty (or `any`) wants every platform.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformFilter {
    requested: Vec<Platform>,
    invalid: Vec<String>,
}

impl PlatformFilter {
    /// A filter that wants every platform.
    pub fn any() -> Self {
        Self::default()
    }

    /// Builds a filter from strings such as `linux/amd64`. `any` or `*` mean no constraint;
    /// an unparseable string is kept as a constraint nothing satisfies (see [`Self::invalid`]).
    pub fn from_specs<S: AsRef<str>>(specs: &[S]) -> Self {
        let mut filter = Self::default();
        for spec in specs {
            let spec = spec.as_ref().trim();
            if spec.is_empty() || spec == "any" || spec == "*" {
                continue;
            }
            match spec.parse() {
                Ok(p) => filter.requested.push(p),
                Err(_) => filter.invalid.push(spec.to_owned()),
            }
        }
        filter
    }

    /// Whether this filter places no constraint at all.
    pub fn is_any(&self) -> bool {
        self.requested.is_empty() && self.invalid.is_empty()
    }

    /// Whether a manifest for `offered` is wanted.
    pub fn wants(&self, offered: &Platform) -> bool {
        self.is_any() || self.requested.iter().any(|r| r.accepts(offered))
    }

    /// The valid requested platforms.
    pub fn requested(&self) -> &[Platform] {
        &self.requested
    }

    /// Requested strings that did not parse; they match nothing.
    pub fn invalid(&self) -> &[String] {
        &self.invalid
    }
}

impl fmt::Display for PlatformFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            return f.write_str("any");
        }
        let all: Vec<String> = self
            .requested
            .iter()
            .map(ToString::to_string)
            .chain(self.invalid.iter().map(|s| format!("{s} (invalid)")))
            .collect();
        f.write_str(&all.join(", "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn p(os: &str, arch: &str, variant: &str) -> Platform {
        Platform::new(os, arch, Some(variant))
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!(
            "linux/amd64".parse::<Platform>().unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            "linux/arm/v6".parse::<Platform>().unwrap().to_string(),
            "linux/arm/v6"
        );
        assert_eq!(
            "linux/arm64".parse::<Platform>().unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(
            "linux/x86_64".parse::<Platform>().unwrap().to_string(),
            "linux/amd64"
        );
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", ""] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }

    #[test]
    fn variantless_request_matches_any_variant() {
        let f = PlatformFilter::from_specs(&["linux/arm"]);
        assert!(f.wants(&p("linux", "arm", "v7")));
        assert!(f.wants(&p("linux", "arm", "")));
        assert!(!f.wants(&p("linux", "amd64", "")));
    }

    #[test]
    fn variant_request_is_exact() {
        let f = PlatformFilter::from_specs(&["linux/arm/v7"]);
        assert!(f.wants(&p("linux", "arm", "v7")));
        assert!(!f.wants(&p("linux", "arm", "v6")));
        assert!(!f.wants(&p("linux", "arm", "")));
    }

    #[test]
    fn arm64_v8_is_the_default_variant() {
        let f = PlatformFilter::from_specs(&["linux/arm64/v8"]);
        assert!(f.wants(&p("linux", "arm64", "")));
        assert!(f.wants(&p("linux", "aarch64", "v8")));
        assert!(!f.wants(&p("linux", "arm64", "v9")));
        let any_arm64 = PlatformFilter::from_specs(&["linux/arm64"]);
        assert!(any_arm64.wants(&p("linux", "arm64", "v9")));
    }

    #[test]
    fn invalid_request_matches_nothing() {
        let f = PlatformFilter::from_specs(&["invalid"]);
        assert!(!f.is_any());
        assert_eq!(f.invalid(), ["invalid".to_owned()]);
        assert!(!f.wants(&p("linux", "amd64", "")));
    }

    #[test]
    fn empty_and_any_want_everything() {
        assert!(PlatformFilter::from_specs::<&str>(&[]).wants(&p("windows", "amd64", "")));
        assert!(PlatformFilter::from_specs(&["any"]).wants(&p("linux", "s390x", "")));
    }
}
