//! Attestations a rule requires: a predicate type, who may have signed the attestation, and
//! CEL conditions over its predicate. Cosign's short predicate names are accepted and
//! stored as the URI they stand for.

use serde::Serialize;

use super::authority::Authority;
use super::condition::Condition;

pub use portcullis_image::PREDICATE_SHORT_NAMES;

/// The URI a predicate type stands for: a short name's URI, or the input when it is a URI
/// (`scheme://...`). `None` otherwise.
pub fn predicate_type_uri(written: &str) -> Option<&str> {
    if let Some(uri) = portcullis_image::predicate_short_name(written) {
        return Some(uri);
    }
    let (scheme, rest) = written.split_once("://")?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (scheme_ok && !rest.is_empty() && !written.contains(char::is_whitespace)).then_some(written)
}

/// One required attestation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AttestationRequirement {
    /// Its name, unique within the rule.
    pub name: String,
    /// The in-toto predicate type (a URI; short names are resolved).
    pub predicate_type: String,
    /// Who may have signed it; any one suffices.
    pub authorities: Vec<Authority>,
    /// Conditions over the predicate; all must be true.
    pub conditions: Vec<Condition>,
}

impl AttestationRequirement {
    /// Whether `predicate` satisfies every condition. The first condition that is false or
    /// cannot be decided is returned as the error; `Ok(())` when all hold.
    pub fn check_predicate(&self, predicate: &serde_json::Value) -> Result<(), ConditionFailure> {
        for condition in &self.conditions {
            match condition.evaluate(predicate) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(ConditionFailure::False {
                        condition: condition.as_str().to_owned(),
                    });
                }
                Err(source) => return Err(ConditionFailure::Error { source }),
            }
        }
        Ok(())
    }
}

/// Why an attestation's predicate did not satisfy its conditions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConditionFailure {
    /// A condition evaluated to false.
    #[error("condition '{condition}' is false")]
    False {
        /// The condition.
        condition: String,
    },
    /// A condition could not be evaluated (treated as not satisfied).
    #[error("condition could not be evaluated")]
    Error {
        /// Why.
        #[source]
        source: super::condition::EvaluationError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_uris() {
        assert_eq!(
            predicate_type_uri("slsaprovenance1"),
            Some("https://slsa.dev/provenance/v1")
        );
        assert_eq!(
            predicate_type_uri("https://example.com/predicate/v1"),
            Some("https://example.com/predicate/v1")
        );
        assert_eq!(predicate_type_uri("slsa"), None);
        assert_eq!(predicate_type_uri("https://"), None);
        assert_eq!(predicate_type_uri("://x"), None);
    }
}
