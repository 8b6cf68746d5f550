//! Keyless identities a policy allows: who (the certificate's subject alternative name) and
//! vouched for by whom (the OIDC issuer Fulcio recorded in the certificate).
//!
//! Both halves are always required: an identity without an issuer would accept the same
//! name asserted by any identity provider. Regular expressions must match the whole value
//! (they are anchored), unlike cosign's `--certificate-identity-regexp`, which accepts a match
//! anywhere in it; see `docs/verification.md`.
//!
//! An identity may also require exact values of Fulcio certificate extensions (the GitHub
//! workflow claims, or any extension by OID, see [`crate::claims`]): all of them must hold.

use std::collections::BTreeMap;
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
    /// An extension condition names something that is not a dotted object identifier.
    #[error(
        "'{oid}' is not an object identifier (expected dotted numbers, e.g. 1.3.6.1.4.1.57264.1.5)"
    )]
    Oid {
        /// The OID as written.
        oid: String,
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
    /// Certificate extensions that must hold exactly these values: (dotted OID, value).
    extensions: Vec<(String, String)>,
}

impl Identity {
    /// Allows certificates whose subject alternative name matches `san` and whose Fulcio OIDC
    /// issuer extension matches `issuer`.
    pub fn new(san: Matcher, issuer: Matcher) -> Self {
        Self {
            san,
            issuer,
            extensions: Vec::new(),
        }
    }

    /// Also requires the certificate extension `oid` (dotted, e.g. `1.3.6.1.4.1.57264.1.5`, see
    /// the constants of [`crate::claims`]) to hold exactly `value` (case-sensitive). A
    /// certificate without the extension is refused. May be called several times; every
    /// condition must hold.
    pub fn require_extension(
        mut self,
        oid: &str,
        value: impl Into<String>,
    ) -> Result<Self, IdentityError> {
        let oid = crate::claims::canonical_oid(oid).ok_or_else(|| IdentityError::Oid {
            oid: oid.to_owned(),
        })?;
        let value = value.into();
        if value.is_empty() {
            return Err(IdentityError::Empty {
                field: "extension value",
            });
        }
        self.extensions.push((oid, value));
        Ok(self)
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

    /// The certificate extensions required, as (dotted OID, exact value), in the order given.
    pub fn extensions(&self) -> &[(String, String)] {
        &self.extensions
    }

    /// The first required extension the certificate's `claims` lack or hold another value of:
    /// (OID, expected, found).
    fn unmet_extension<'a>(
        &'a self,
        claims: &'a BTreeMap<String, String>,
    ) -> Option<(&'a str, &'a str, Option<&'a str>)> {
        self.extensions.iter().find_map(|(oid, expected)| {
            let found = claims.get(oid).map(String::as_str);
            (found != Some(expected.as_str())).then_some((oid.as_str(), expected.as_str(), found))
        })
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from issuer {}", self.san, self.issuer)?;
        for (oid, value) in &self.extensions {
            write!(f, " with {} '{value}'", crate::claims::describe(oid))?;
        }
        Ok(())
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
    /// Some identity's name and issuer matched, but each such identity requires an extension
    /// value the certificate lacks; carries the first unmet condition of the first of them.
    ClaimMismatch {
        oid: String,
        expected: String,
        actual: Option<String>,
    },
}

/// Matches a certificate's claims against an allowlist (any one identity suffices).
/// `claims` are the certificate's textual extensions, keyed by dotted OID.
pub(crate) fn check(
    allowed: &[Identity],
    san: Option<&str>,
    issuer: Option<&str>,
    claims: &BTreeMap<String, String>,
) -> Match {
    let by_name: Vec<&Identity> = allowed
        .iter()
        .filter(|identity| san.is_some_and(|san| identity.san.matches(san)))
        .collect();
    if by_name.is_empty() {
        return Match::IdentityMismatch {
            expected: join(allowed.iter().map(|identity| &identity.san)),
        };
    }
    if let (Some(san), Some(issuer)) = (san, issuer) {
        let by_issuer: Vec<&Identity> = by_name
            .iter()
            .copied()
            .filter(|identity| identity.issuer.matches(issuer))
            .collect();
        let mut first_unmet = None;
        for identity in &by_issuer {
            match identity.unmet_extension(claims) {
                None => {
                    return Match::Allowed {
                        san: san.to_owned(),
                        issuer: issuer.to_owned(),
                    };
                }
                Some(unmet) => {
                    first_unmet.get_or_insert(unmet);
                }
            }
        }
        if let Some((oid, expected, actual)) = first_unmet {
            return Match::ClaimMismatch {
                oid: oid.to_owned(),
                expected: expected.to_owned(),
                actual: actual.map(str::to_owned),
            };
        }
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
    const REPOSITORY: &str = crate::claims::GITHUB_WORKFLOW_REPOSITORY;

    fn none() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    fn claims(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn extension_conditions_must_all_hold() {
        let identity = Identity::exact(WORKFLOW, GITHUB)
            .unwrap()
            .require_extension(REPOSITORY, "acme/app")
            .unwrap()
            .require_extension(crate::claims::GITHUB_WORKFLOW_REF, "refs/heads/main")
            .unwrap();
        let allowed = [identity];
        let good = claims(&[
            (REPOSITORY, "acme/app"),
            ("1.3.6.1.4.1.57264.1.6", "refs/heads/main"),
        ]);
        assert!(matches!(
            check(&allowed, Some(WORKFLOW), Some(GITHUB), &good),
            Match::Allowed { .. }
        ));
        let other_ref = claims(&[
            (REPOSITORY, "acme/app"),
            ("1.3.6.1.4.1.57264.1.6", "refs/heads/dev"),
        ]);
        assert_eq!(
            check(&allowed, Some(WORKFLOW), Some(GITHUB), &other_ref),
            Match::ClaimMismatch {
                oid: "1.3.6.1.4.1.57264.1.6".to_owned(),
                expected: "refs/heads/main".to_owned(),
                actual: Some("refs/heads/dev".to_owned()),
            }
        );
        assert_eq!(
            check(&allowed, Some(WORKFLOW), Some(GITHUB), &none()),
            Match::ClaimMismatch {
                oid: REPOSITORY.to_owned(),
                expected: "acme/app".to_owned(),
                actual: None,
            }
        );
        assert!(
            matches!(
                check(
                    &allowed,
                    Some(WORKFLOW),
                    Some("https://evil.example"),
                    &good
                ),
                Match::IssuerMismatch { .. }
            ),
            "the issuer is checked before the claims"
        );
    }

    #[test]
    fn another_identity_without_the_condition_may_allow() {
        let allowed = [
            Identity::exact(WORKFLOW, GITHUB)
                .unwrap()
                .require_extension(REPOSITORY, "acme/app")
                .unwrap(),
            Identity::exact(WORKFLOW, GITHUB).unwrap(),
        ];
        assert!(matches!(
            check(&allowed, Some(WORKFLOW), Some(GITHUB), &none()),
            Match::Allowed { .. }
        ));
    }

    #[test]
    fn extension_conditions_are_validated() {
        let identity = Identity::exact(WORKFLOW, GITHUB).unwrap();
        assert!(matches!(
            identity.clone().require_extension("1.3.6.x", "v"),
            Err(IdentityError::Oid { .. })
        ));
        assert!(matches!(
            identity.clone().require_extension(REPOSITORY, ""),
            Err(IdentityError::Empty {
                field: "extension value"
            })
        ));
        let identity = identity.require_extension(REPOSITORY, "acme/app").unwrap();
        assert_eq!(
            identity.to_string(),
            format!(
                "'{WORKFLOW}' from issuer '{GITHUB}' with github-workflow-repository (1.3.6.1.4.1.57264.1.5) 'acme/app'"
            )
        );
    }

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
            check(&allowed, Some(WORKFLOW), Some(GITHUB), &none()),
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
            check(&allowed, Some("mallory@example.com"), Some(GITHUB), &none()),
            Match::IdentityMismatch {
                expected: format!("'{WORKFLOW}'")
            }
        );
        assert!(matches!(
            check(&allowed, None, Some(GITHUB), &none()),
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
            check(
                &allowed,
                Some(WORKFLOW),
                Some("https://evil.example"),
                &none()
            ),
            Match::IssuerMismatch {
                expected: format!("'{GITHUB}'")
            }
        );
        assert!(matches!(
            check(&allowed, Some(WORKFLOW), None, &none()),
            Match::IssuerMismatch { .. }
        ));
    }
}
