//! What the policy requires of one image, for `portcullis policy explain` (text or JSON).

use std::fmt::Write as _;

use serde::Serialize;

use super::duration;
use super::rule::{Mode, NoMatch, OnFailure, Rule};

/// Which rules apply to an image and what they require.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Explanation {
    /// The image, normalised.
    pub image: String,
    /// The policy revision ([`super::PolicyHash`]).
    pub policy_revision: String,
    /// Every matching rule; all of them must be satisfied.
    pub rules: Vec<RuleExplanation>,
    /// When no rule matches: what happens to the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_match: Option<NoMatch>,
}

/// One matching rule.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RuleExplanation {
    /// The rule's name.
    pub name: String,
    /// The patterns that matched.
    pub matched_by: Vec<String>,
    /// Enforce or warn.
    pub mode: Mode,
    /// How many authorities must verify.
    pub require: usize,
    /// What each authority requires, one line each.
    pub authorities: Vec<String>,
    /// Required attestations: name, predicate type, conditions.
    pub attestations: Vec<AttestationExplanation>,
    /// The update limits, one line each.
    pub update: Vec<String>,
    /// External gates.
    pub gates: Vec<String>,
    /// What happens on failure.
    pub on_failure: OnFailure,
}

/// One required attestation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AttestationExplanation {
    /// Its name.
    pub name: String,
    /// Its predicate type.
    pub predicate_type: String,
    /// Who may sign it.
    pub signed_by: Vec<String>,
    /// Its conditions.
    pub conditions: Vec<String>,
}

pub(crate) fn rule(rule: &Rule, repository: &portcullis_image::Repository) -> RuleExplanation {
    let u = &rule.update;
    let mut update = Vec::new();
    if let Some(r) = &u.registries {
        update.push(format!("registries: {}", r.join(", ")));
    }
    if let Some(c) = &u.constraint {
        update.push(format!("constraint: {c}"));
    }
    update.push(format!(
        "pre-releases: {}",
        if u.prereleases { "allowed" } else { "refused" }
    ));
    if let Some(s) = &u.strategies {
        let names: Vec<&str> = s.iter().map(|s| s.as_str()).collect();
        update.push(format!("strategies: {}", names.join(", ")));
    }
    if let Some(age) = u.min_age {
        update.push(format!("minimum age: {}", duration::format(age)));
    }
    update.push(format!(
        "downgrades: {}",
        if u.allow_downgrade {
            "allowed"
        } else {
            "refused"
        }
    ));
    RuleExplanation {
        name: rule.name.clone(),
        matched_by: rule
            .images
            .iter()
            .filter(|p| p.matches(repository))
            .map(|p| p.as_str().to_owned())
            .collect(),
        mode: rule.mode,
        require: rule.require,
        authorities: rule
            .authorities
            .iter()
            .map(|a| format!("{}: {}", a.name, a.describe()))
            .collect(),
        attestations: rule
            .attestations
            .iter()
            .map(|a| AttestationExplanation {
                name: a.name.clone(),
                predicate_type: a.predicate_type.clone(),
                signed_by: a.authorities.iter().map(|x| x.name.clone()).collect(),
                conditions: a.conditions.iter().map(|c| c.as_str().to_owned()).collect(),
            })
            .collect(),
        update,
        gates: rule.gates.clone(),
        on_failure: rule.on_failure,
    }
}

impl Explanation {
    /// The explanation as text for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "image: {}", self.image);
        let _ = writeln!(out, "policy revision: {}", self.policy_revision);
        if let Some(no_match) = self.no_match {
            let what = match no_match {
                NoMatch::Deny => "deny: the image is never updated (defaults.noMatch)",
                NoMatch::Allow => {
                    "allow: the image is not updated (nothing to verify it against), and that is expected (defaults.noMatch)"
                }
                NoMatch::Warn => {
                    "warn: the image is not updated (nothing to verify it against), and a warning event says so (defaults.noMatch)"
                }
            };
            let _ = writeln!(out, "no rule matches; {what}");
            return out;
        }
        if self.rules.len() == 1 {
            let _ = writeln!(out, "1 rule matches; it must be satisfied");
        } else {
            let _ = writeln!(
                out,
                "{} rules match; every one must be satisfied",
                self.rules.len()
            );
        }
        for r in &self.rules {
            let _ = writeln!(
                out,
                "\nrule '{}' (matched by {})",
                r.name,
                r.matched_by.join(", ")
            );
            let mode = match r.mode {
                Mode::Enforce => "enforce: a failing candidate is never committed",
                Mode::Warn => {
                    "warn: a failing candidate is committed with a warning event if an \
                     authority verified its signature; an image nobody allowed signed never is"
                }
            };
            let _ = writeln!(out, "  mode: {mode}");
            let _ = writeln!(
                out,
                "  signatures: {} of {} authorit{} must verify",
                r.require,
                r.authorities.len(),
                if r.authorities.len() == 1 { "y" } else { "ies" }
            );
            for a in &r.authorities {
                let _ = writeln!(out, "    - {a}");
            }
            for a in &r.attestations {
                let _ = writeln!(
                    out,
                    "  attestation '{}': {} signed by {}",
                    a.name,
                    a.predicate_type,
                    a.signed_by.join(" or ")
                );
                for c in &a.conditions {
                    let _ = writeln!(out, "    - {c}");
                }
            }
            for u in &r.update {
                let _ = writeln!(out, "  update {u}");
            }
            if !r.gates.is_empty() {
                let _ = writeln!(out, "  gates: {}", r.gates.join(", "));
            }
            let failure = match r.on_failure {
                OnFailure::TryOlder { max_candidates } => {
                    format!("try older candidates, at most {max_candidates} in all")
                }
                _ => "stop (stay on the current image)".to_owned(),
            };
            let _ = writeln!(out, "  on failure: {failure}");
        }
        out
    }
}
