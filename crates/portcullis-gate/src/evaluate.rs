//! One rule against the signatures and attestations found for one image digest.
//!
//! Every authority of the rule is tried against every signature (legacy `.sig` layers and
//! referrer bundles), each on its own; the rule holds when at least `require` distinct
//! authorities verified, each by a signature of its own (a `static: allow` authority counts,
//! `static: deny` fails the rule)
//! and every required attestation verifies under one of its authorities with all its
//! conditions true. A failure is classified for its reason code: no signature at all,
//! signatures of the wrong signer, too few authorities, or signatures that do not verify.

use portcullis_image::Digest;
use portcullis_policy::policy::{AttestationRequirement, Authority, Policy, Rule};
use portcullis_registry::{BundleLayer, SignatureLayer};
use portcullis_verify::{
    BundleVerified, Expectation, Refusal, Signer, verify_image_bundle, verify_legacy_attestation,
    verify_legacy_signature,
};

use crate::decision::Reason;
use crate::signers;
use crate::trust::{Prepared, TrustStore};

/// The signatures and attestations found for one digest, in both layouts.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// Layers of the legacy `sha256-<hex>.sig` manifest.
    pub layers: Vec<SignatureLayer>,
    /// Sigstore bundles attached as referrers.
    pub bundles: Vec<BundleLayer>,
    /// DSSE envelope layers of the legacy `sha256-<hex>.att` manifest (read only when a
    /// rule requires attestations).
    pub attestation_layers: Vec<SignatureLayer>,
}

impl Evidence {
    /// Whether nothing at all was found.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty() && self.bundles.is_empty()
    }
}

/// A rule that held: the verification that makes the image (absent when only `static:
/// allow` authorities held) and the authorities that verified.
#[derive(Clone, Debug)]
pub(crate) struct Held {
    pub(crate) verified: Option<Box<(BundleVerified, String)>>,
    pub(crate) authorities: Vec<String>,
}

/// A rule that failed: its reason and what to tell people.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub(crate) reason: Reason,
    pub(crate) detail: String,
    /// The signature that held when the rule failed for something else (an attestation, a
    /// threshold not met): a rule in `warn` mode may still make the image from it.
    pub(crate) signed: Option<Box<(BundleVerified, String)>>,
}

impl PartialEq for Failure {
    fn eq(&self, other: &Self) -> bool {
        self.reason == other.reason && self.detail == other.detail
    }
}

impl Eq for Failure {}

impl Failure {
    fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
            signed: None,
        }
    }
}

/// Evaluates `rule` for the image `digest` with `evidence`.
pub(crate) async fn rule(
    store: &TrustStore,
    policy: &Policy,
    rule: &Rule,
    digest: &Digest,
    evidence: &Evidence,
) -> Result<Held, Failure> {
    let mut held = Held {
        verified: None,
        authorities: Vec::new(),
    };
    let mut refusals: Vec<&'static str> = Vec::new();
    let mut unusable = Vec::new();
    // Authorities that verified something: name, its first verification, and who signed
    // (each signer numbered once across the rule's authorities).
    let mut verifying: Vec<(&str, BundleVerified, Vec<usize>)> = Vec::new();
    let mut signer_ids: std::collections::HashMap<String, usize> = Default::default();
    // With `require` above one every signature counts; otherwise the first will do.
    let every = rule.require > 1;
    for authority in &rule.authorities {
        match store.prepare(policy, authority).await {
            Err(why) => unusable.push(why),
            Ok(Prepared::Deny) => {
                return Err(Failure::new(
                    Reason::PolicyDenied,
                    format!(
                        "rule '{}' denies it (authority '{}' is static: deny)",
                        rule.name, authority.name
                    ),
                ));
            }
            Ok(Prepared::Allow) => held.authorities.push(authority.name.clone()),
            Ok(Prepared::Verify { policy, trust }) => {
                match signed_by(&policy, &trust, digest, evidence, every) {
                    Ok(verified) => {
                        let mut signers: Vec<usize> = verified
                            .iter()
                            .map(|v| {
                                let next = signer_ids.len();
                                *signer_ids.entry(signer_key(v)).or_insert(next)
                            })
                            .collect();
                        signers.sort_unstable();
                        signers.dedup();
                        let first = verified.into_iter().next();
                        if let Some(first) = first {
                            verifying.push((authority.name.as_str(), first, signers));
                        }
                    }
                    Err(codes) => refusals.extend(codes),
                }
            }
        }
    }
    let signers: Vec<Vec<usize>> = verifying.iter().map(|(_, _, s)| s.clone()).collect();
    let mut shared = Vec::new();
    for ((name, first, _), matched) in verifying.into_iter().zip(signers::distinct(&signers)) {
        if !matched {
            shared.push(name);
            continue;
        }
        held.authorities.push(name.to_owned());
        if held.verified.is_none() {
            let label = format!("{}/{}", rule.name, name);
            held.verified = Some(Box::new((first, label)));
        }
    }
    if held.authorities.len() < rule.require {
        let mut failure = classify(rule, &held, &refusals, &unusable, evidence);
        if !shared.is_empty() {
            failure.detail.push_str(&format!(
                "; {} verified only signers already counted for another authority",
                shared.join(", ")
            ));
        }
        return Err(failure);
    }
    for requirement in &rule.attestations {
        attestation(store, policy, requirement, digest, evidence)
            .await
            .map_err(|detail| Failure {
                signed: held.verified.clone(),
                ..Failure::new(
                    Reason::AttestationFailed,
                    format!(
                        "rule '{}': attestation '{}' ({}): {detail}",
                        rule.name, requirement.name, requirement.predicate_type
                    ),
                )
            })?;
    }
    Ok(held)
}

/// The signatures in `evidence` that verify under `policy` (legacy layers first, then
/// bundles): every one when `every`, else the first; or every refusal code.
fn signed_by(
    policy: &portcullis_verify::BundlePolicy,
    trust: &portcullis_verify::TrustRoot,
    digest: &Digest,
    evidence: &Evidence,
    every: bool,
) -> Result<Vec<BundleVerified>, Vec<&'static str>> {
    let mut codes = Vec::new();
    let mut verified = Vec::new();
    let legacy = evidence.layers.iter().map(|layer| {
        verify_legacy_signature(&layer.payload, &layer.annotations, digest, policy, trust)
    });
    let bundles = evidence.bundles.iter().map(|bundle| {
        verify_image_bundle(
            &bundle.bundle,
            digest,
            &Expectation::Signature,
            policy,
            trust,
        )
    });
    for outcome in legacy.chain(bundles) {
        match outcome {
            Ok(v) => {
                verified.push(v);
                if !every {
                    break;
                }
            }
            Err(r) => codes.push(r.code()),
        }
    }
    if verified.is_empty() {
        Err(codes)
    } else {
        Ok(verified)
    }
}

/// Who signed, as one comparable string: the key's fingerprint, or the certificate's issuer
/// and identity. Two signatures by one signer (signed twice, or one signature in both
/// layouts) are one signer.
fn signer_key(v: &BundleVerified) -> String {
    match v.signer() {
        Signer::Key { fingerprint, .. } => format!("key {fingerprint}"),
        Signer::Certificate { identity, issuer } => format!("identity {issuer} {identity}"),
        other => format!("{other:?}"),
    }
}

fn classify(
    rule: &Rule,
    held: &Held,
    refusals: &[&'static str],
    unusable: &[String],
    evidence: &Evidence,
) -> Failure {
    let wanted = format!(
        "rule '{}' requires {} of {} authorities ({})",
        rule.name,
        rule.require,
        rule.authorities.len(),
        rule.authorities
            .iter()
            .map(|a: &Authority| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !unusable.is_empty() && held.authorities.is_empty() && refusals.is_empty() {
        return Failure::new(
            Reason::TrustUnavailable,
            format!("{wanted}; {}", unusable.join("; ")),
        );
    }
    if evidence.is_empty() {
        return Failure::new(
            Reason::SignatureMissing,
            format!("no signature in either layout; {wanted}"),
        );
    }
    // Only attestations were found: the image is unsigned, not badly signed.
    if !refusals.is_empty() && refusals.iter().all(|c| *c == "not_a_signature") {
        return Failure::new(
            Reason::SignatureMissing,
            format!("no signature, only attestations; {wanted}"),
        );
    }
    if !held.authorities.is_empty() {
        // Some authority did verify: a rule in `warn` mode may still make the image from it.
        return Failure {
            signed: held.verified.clone(),
            ..Failure::new(
                Reason::ThresholdNotMet,
                format!(
                    "{wanted}; only {} verified ({})",
                    held.authorities.len(),
                    held.authorities.join(", ")
                ),
            )
        };
    }
    let identity = [
        "identity_mismatch",
        "issuer_mismatch",
        "claim_mismatch",
        "material_mismatch",
    ];
    let mut codes: Vec<&str> = refusals.to_vec();
    codes.sort_unstable();
    codes.dedup();
    let by_wrong_signer = refusals.iter().any(|c| identity.contains(c))
        && refusals
            .iter()
            .all(|c| identity.contains(c) || *c == "signature_invalid");
    let reason = if by_wrong_signer {
        Reason::IdentityMismatch
    } else {
        Reason::SignatureInvalid
    };
    let mut detail = format!("{wanted}; none verified (refusals: {})", codes.join(", "));
    if !unusable.is_empty() {
        detail.push_str(&format!("; unusable: {}", unusable.join("; ")));
    }
    Failure::new(reason, detail)
}

/// Whether `requirement` holds: a referrer bundle or a legacy `.att` layer that verifies as
/// an attestation of its predicate type under one of its authorities, with every condition
/// true.
async fn attestation(
    store: &TrustStore,
    policy: &Policy,
    requirement: &AttestationRequirement,
    digest: &Digest,
    evidence: &Evidence,
) -> Result<(), String> {
    let expect = Expectation::Attestation {
        predicate_type: requirement.predicate_type.clone(),
    };
    let mut seen = Vec::new();
    for authority in &requirement.authorities {
        let Prepared::Verify { policy, trust } = store.prepare(policy, authority).await? else {
            continue;
        };
        let bundles = evidence
            .bundles
            .iter()
            .map(|bundle| verify_image_bundle(&bundle.bundle, digest, &expect, &policy, &trust));
        let legacy = evidence.attestation_layers.iter().map(|layer| {
            verify_legacy_attestation(
                &layer.payload,
                &layer.annotations,
                digest,
                &expect,
                &policy,
                &trust,
            )
        });
        for outcome in bundles.chain(legacy) {
            match outcome {
                Ok(verified) => {
                    let predicate = verified
                        .predicate()
                        .cloned()
                        .unwrap_or(serde_json::Value::Null);
                    match requirement.check_predicate(&predicate) {
                        Ok(()) => return Ok(()),
                        Err(failure) => seen.push(crate::trust::error_chain(&failure)),
                    }
                }
                Err(Refusal::WrongPredicateType { .. } | Refusal::NotAnAttestation { .. }) => {}
                Err(r) => seen.push(r.code().to_owned()),
            }
        }
    }
    if seen.is_empty() {
        Err("no attestation of this type signed by an allowed authority".to_owned())
    } else {
        seen.sort();
        seen.dedup();
        Err(seen.join("; "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use portcullis_image::ImageRef;
    use portcullis_registry::BundleLayer;

    use super::*;

    fn rule() -> Rule {
        let loaded = Policy::from_yaml(
            "apiVersion: portcullis.dev/v1alpha1\nkind: VerificationPolicy\nrules:\n  - name: r\n    images: ['ghcr.io/acme/**']\n    authorities:\n      - keyless:\n          identities: [{subject: a@acme.test, issuer: https://issuer.test}]\n",
            "policy.yaml",
        )
        .unwrap();
        let image: ImageRef = "ghcr.io/acme/app".parse().unwrap();
        loaded.policy.rules_for(&image)[0].clone()
    }

    fn one_bundle() -> Evidence {
        let digest = Digest::from_sha256_hex(&"ab".repeat(32)).unwrap();
        Evidence {
            layers: Vec::new(),
            attestation_layers: Vec::new(),
            bundles: vec![BundleLayer {
                referrer: digest.clone(),
                digest,
                media_type: "application/vnd.dev.sigstore.bundle.v0.3+json".to_owned(),
                bundle: b"{}".to_vec(),
            }],
        }
    }

    fn nothing_held() -> Held {
        Held {
            verified: None,
            authorities: Vec::new(),
        }
    }

    #[test]
    fn only_attestations_is_an_unsigned_image() {
        let f = classify(
            &rule(),
            &nothing_held(),
            &["not_a_signature", "not_a_signature"],
            &[],
            &one_bundle(),
        );
        assert_eq!(f.reason, Reason::SignatureMissing, "{}", f.detail);
        assert!(f.detail.contains("only attestations"), "{}", f.detail);
        // An attestation beside a signature that does not verify: badly signed.
        let f = classify(
            &rule(),
            &nothing_held(),
            &["not_a_signature", "signature_invalid"],
            &[],
            &one_bundle(),
        );
        assert_eq!(f.reason, Reason::SignatureInvalid, "{}", f.detail);
    }
}
