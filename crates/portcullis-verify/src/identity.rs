//! Keyless identities a policy allows: who (the certificate's subject alternative name) and
//! vouched for by whom (the OIDC issuer Fulcio recorded in the certificate).
//!
//! Both halves are always required: an identity without an issuer would accept the same
//! name asserted by any identity provider. Regular expressions must match the whole value
//! (they are anchored), unlike cosign's `--certificate-identity-regexp`, which accepts a match
//! anywhere in it; see `docs/verification.md`.

use std::fmt;

use regex::Regex;

/// Why an identity could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// An exact value or a pattern is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// Which value: `identity`, `issuer`, or `value` for a bare [`Matcher`].
        field: &'static str,
    },
    /// A pattern is not a valid regular expression.
    #[error("{field} pattern '{pattern}' is not a valid regular expression")]
    Regex {
        /// Which value: `identity`, `issuer`, or `value` for a bare [`Matcher`].
        field: &'static str,
        /// The pattern as written.
        pattern: String,
        /// What the regex compiler reported.
        #[source]
        source: regex::Error,
    },
    /// A keyless policy was given no identity at all.
    #[error("a keyless policy needs at least one identity")]
    NoIdentity,
}

/// How one certificate value is matched: exactly, or by a whole-value regular expression.
#[derive(Clone)]
pub struct Matcher(Repr);

#[derive(Clone)]
enum Repr {
    Exact(String),
    /// The pattern as written, and its anchored compilation.
    Regex(String, Regex),
}

impl Matcher {
    /// Matches exactly `value` (case-sensitive, no normalisation).
    pub fn exact(value: impl Into<String>) -> Result<Self, IdentityError> {
        Self::exact_for("value", value.into())
    }

    /// Matches any value the regular expression `pattern` matches in full: `pattern` is
    /// anchored at both ends, so `https://github\.com/acme/.*` does not match
    /// `https://evil.example/?https://github.com/acme/x`.
    pub fn regex(pattern: &str) -> Result<Self, IdentityError> {
        Self::regex_for("value", pattern)
    }

    pub(crate) fn exact_for(field: &'static str, value: String) -> Result<Self, IdentityError> {
        if value.is_empty() {
            return Err(IdentityError::Empty { field });
        }
        Ok(Self(Repr::Exact(value)))
    }

    pub(crate) fn regex_for(field: &'static str, pattern: &str) -> Result<Self, IdentityError> {
        if pattern.is_empty() {
            return Err(IdentityError::Empty { field });
        }
        let anchored = format!("^(?:{pattern})$");
        let compiled = Regex::new(&anchored).map_err(|source| IdentityError::Regex {
            field,
            pattern: pattern.to_owned(),
            source,
        })?;
        Ok(Self(Repr::Regex(pattern.to_owned(), compiled)))
    }

    /// Whether `value` is allowed.
    pub fn matches(&self, value: &str) -> bool {
        match &self.0 {
            Repr::Exact(expected) => expected == value,
            Repr::Regex(_, regex) => regex.is_match(value),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Exact(value) => write!(f, "'{value}'"),
            Repr::Regex(pattern, _) => write!(f, "regexp '{pattern}'"),
        }
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Exact(value) => f.debug_tuple("Exact").field(value).finish(),
            Repr::Regex(pattern, _) => f.debug_tuple("Regex").field(pattern).finish(),
        }
    }
}

/// One allowed keyless signer: a certificate identity and the OIDC issuer that vouched for it.
#[derive(Clone, Debug)]
pub struct Identity {
    san: Matcher,
    issuer: Matcher,
}

impl Identity {
    /// Allows certificates whose subject alternative name matches `san` and whose Fulcio OIDC
    /// issuer extension matches `issuer`.
    pub fn new(san: Matcher, issuer: Matcher) -> Self {
        Self { san, issuer }
    }

    /// Shorthand for the common case of two exact values (cosign's `--certificate-identity`
    /// and `--certificate-oidc-issuer`).
    pub fn exact(san: impl Into<String>, issuer: impl Into<String>) -> Result<Self, IdentityError> {
        Ok(Self::new(
            Matcher::exact_for("identity", san.into())?,
            Matcher::exact_for("issuer", issuer.into())?,
        ))
    }

    /// Shorthand for two regular expressions (cosign's `--certificate-identity-regexp` and
    /// `--certificate-oidc-issuer-regexp`), each anchored at both ends.
    pub fn regex(san: &str, issuer: &str) -> Result<Self, IdentityError> {
        Ok(Self::new(
            Matcher::regex_for("identity", san)?,
            Matcher::regex_for("issuer", issuer)?,
        ))
    }

    /// How the subject alternative name is matched.
    pub fn san(&self) -> &Matcher {
        &self.san
    }

    /// How the OIDC issuer is matched.
    pub fn issuer(&self) -> &Matcher {
        &self.issuer
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from issuer {}", self.san, self.issuer)
    }
}

/// The outcome of matching a certificate against an allowlist.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Match {
    /// An identity matched both values, which are these.
    Allowed { san: String, issuer: String },
    /// No identity's subject alternative name matched; carries the allowed names.
    IdentityMismatch { expected: String },
    /// Some identity's name matched, but none of those identities' issuers did; carries the
    /// issuers allowed for the name.
    IssuerMismatch { expected: String },
}

/// Matches a certificate's claims against an allowlist (any one identity suffices).
pub(crate) fn check(allowed: &[Identity], san: Option<&str>, issuer: Option<&str>) -> Match {
    let by_name: Vec<&Identity> = allowed
        .iter()
        .filter(|identity| san.is_some_and(|san| identity.san.matches(san)))
        .collect();
    if by_name.is_empty() {
        return Match::IdentityMismatch {
            expected: join(allowed.iter().map(|identity| &identity.san)),
        };
    }
    if let (Some(san), Some(issuer)) = (san, issuer)
        && by_name
            .iter()
            .any(|identity| identity.issuer.matches(issuer))
    {
        return Match::Allowed {
            san: san.to_owned(),
            issuer: issuer.to_owned(),
        };
    }
    Match::IssuerMismatch {
        expected: join(by_name.iter().map(|identity| &identity.issuer)),
    }
}

fn join<'a>(matchers: impl Iterator<Item = &'a Matcher>) -> String {
    let all: Vec<String> = matchers.map(ToString::to_string).collect();
    all.join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKFLOW: &str =
        "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
    const GITHUB: &str = "https://token.actions.githubusercontent.com";

    #[test]
    fn exact_matches_only_the_same_value() {
        let matcher = Matcher::exact(WORKFLOW).unwrap();
        assert!(matcher.matches(WORKFLOW));
        assert!(!matcher.matches(&format!("{WORKFLOW}x")));
        assert!(!matcher.matches(&WORKFLOW.to_uppercase()));
    }

    #[test]
    fn regex_must_match_the_whole_value() {
        let matcher = Matcher::regex(r"https://github\.com/acme/.*").unwrap();
        assert!(matcher.matches(WORKFLOW));
        assert!(!matcher.matches("https://evil.example/?https://github.com/acme/x"));
        let alternation = Matcher::regex("a|b").unwrap();
        assert!(alternation.matches("a"));
        assert!(
            !alternation.matches("ab"),
            "alternation stays inside the anchors"
        );
    }

    #[test]
    fn empty_and_invalid_values_are_rejected_with_the_field_named() {
        assert!(matches!(
            Identity::exact(WORKFLOW, ""),
            Err(IdentityError::Empty { field: "issuer" })
        ));
        let error = Identity::regex("(", GITHUB).unwrap_err();
        assert_eq!(
            error.to_string(),
            "identity pattern '(' is not a valid regular expression"
        );
    }

    #[test]
    fn any_identity_of_the_allowlist_suffices() {
        let allowed = [
            Identity::exact("someone@example.com", "https://accounts.google.com").unwrap(),
            Identity::exact(WORKFLOW, GITHUB).unwrap(),
        ];
        assert_eq!(
            check(&allowed, Some(WORKFLOW), Some(GITHUB)),
            Match::Allowed {
                san: WORKFLOW.to_owned(),
                issuer: GITHUB.to_owned()
            }
        );
    }

    #[test]
    fn a_wrong_name_is_an_identity_mismatch_listing_the_allowed_names() {
        let allowed = [Identity::exact(WORKFLOW, GITHUB).unwrap()];
        assert_eq!(
            check(&allowed, Some("mallory@example.com"), Some(GITHUB)),
            Match::IdentityMismatch {
                expected: format!("'{WORKFLOW}'")
            }
        );
        assert!(matches!(
            check(&allowed, None, Some(GITHUB)),
            Match::IdentityMismatch { .. }
        ));
    }

    #[test]
    fn a_right_name_from_the_wrong_issuer_is_an_issuer_mismatch() {
        let allowed = [
            Identity::exact(WORKFLOW, GITHUB).unwrap(),
            Identity::exact("someone@example.com", "https://accounts.google.com").unwrap(),
        ];
        assert_eq!(
            check(&allowed, Some(WORKFLOW), Some("https://evil.example")),
            Match::IssuerMismatch {
                expected: format!("'{GITHUB}'")
            }
        );
        assert!(matches!(
            check(&allowed, Some(WORKFLOW), None),
            Match::IssuerMismatch { .. }
        ));
    }
}
