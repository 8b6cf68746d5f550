//! A Sigstore bundle attached to an image (as an OCI 1.1 referrer): verified for the image's
//! digest, then sorted into what it proves, a signature of the image or an attestation
//! about it.
//!
//! The split is cosign's: a DSSE bundle whose in-toto predicate type is
//! [`COSIGN_SIGN_PREDICATE`], or a message-signature bundle over the image digest, is an
//! image signature; a DSSE bundle of any other predicate type is an attestation, and never
//! counts as a signature, however valid. The predicate type is read from the authenticated
//! payload, so the sorting happens only after every check of [`verify_bundle`] passed.

use portcullis_image::Digest;

use crate::artifact::Artifact;
use crate::bundle::verify_bundle;
use crate::policy::BundlePolicy;
use crate::refusal::Refusal;
use crate::trust_root::TrustRoot;
use crate::verified::BundleVerified;

/// The in-toto predicate type cosign gives a DSSE bundle that signs an image.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// What a bundle attached to an image must prove to count.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expectation {
    /// An image signature (`cosign verify`): a message signature over the image digest, or a
    /// DSSE statement of predicate type [`COSIGN_SIGN_PREDICATE`].
    Signature,
    /// An attestation of this predicate type about the image (`cosign verify-attestation
    /// --type`): the in-toto subject is the image digest.
    Attestation {
        /// The predicate type asked for, compared exactly.
        predicate_type: String,
    },
}

/// Verifies a Sigstore bundle attached to the image `image` (its manifest digest) under
/// `policy`, then requires it to be what `expect` asks for: `not_a_signature` for an
/// attestation where a signature is wanted, `wrong_predicate_type` or `not_an_attestation`
/// where an attestation of one predicate type is.
pub fn verify_image_bundle(
    bundle_json: &[u8],
    image: &Digest,
    expect: &Expectation,
    policy: &BundlePolicy,
    trust: &TrustRoot,
) -> Result<BundleVerified, Refusal> {
    let verified = verify_bundle(bundle_json, &Artifact::Digest(image.clone()), policy, trust)?;
    classify(verified, expect)
}

fn classify(verified: BundleVerified, expect: &Expectation) -> Result<BundleVerified, Refusal> {
    match (expect, verified.predicate_type()) {
        (Expectation::Signature, None | Some(COSIGN_SIGN_PREDICATE)) => Ok(verified),
        (Expectation::Signature, Some(other)) => Err(Refusal::NotASignature {
            predicate_type: other.to_owned(),
        }),
        (Expectation::Attestation { predicate_type }, Some(actual)) if actual == predicate_type => {
            Ok(verified)
        }
        (Expectation::Attestation { predicate_type }, Some(actual)) => {
            Err(Refusal::WrongPredicateType {
                expected: predicate_type.clone(),
                actual: actual.to_owned(),
            })
        }
        (Expectation::Attestation { predicate_type }, None) => Err(Refusal::NotAnAttestation {
            expected: predicate_type.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verified::Signer;

    const CUSTOM: &str = "https://cosign.sigstore.dev/attestation/v1";

    fn verified(predicate_type: Option<&str>) -> BundleVerified {
        BundleVerified {
            signer: Signer::Certificate {
                identity: "a@example.com".to_owned(),
                issuer: "https://issuer.example".to_owned(),
            },
            artifact: format!("sha256:{}", "ab".repeat(32)).parse().unwrap(),
            log_index: Some(1),
            integrated_time: None,
            signed_times: Vec::new(),
            predicate_type: predicate_type.map(str::to_owned),
            predicate: None,
            tlog_verified: true,
            sct_verified: true,
            claims: std::collections::BTreeMap::new(),
        }
    }

    fn code(r: Result<BundleVerified, Refusal>) -> &'static str {
        r.map_or_else(|e| e.code(), |_| "ok")
    }

    #[test]
    fn signatures_and_attestations_are_told_apart_by_predicate_type() {
        let attestation = |t: &str| Expectation::Attestation {
            predicate_type: t.to_owned(),
        };
        let table = [
            (None, Expectation::Signature, "ok"),
            (Some(COSIGN_SIGN_PREDICATE), Expectation::Signature, "ok"),
            (Some(CUSTOM), Expectation::Signature, "not_a_signature"),
            (Some(CUSTOM), attestation(CUSTOM), "ok"),
            (
                Some(CUSTOM),
                attestation("https://slsa.dev/provenance/v1"),
                "wrong_predicate_type",
            ),
            (None, attestation(CUSTOM), "not_an_attestation"),
            (
                Some(COSIGN_SIGN_PREDICATE),
                attestation(COSIGN_SIGN_PREDICATE),
                "ok",
            ),
        ];
        for (predicate, expect, want) in table {
            assert_eq!(
                code(classify(verified(predicate), &expect)),
                want,
                "{predicate:?} for {expect:?}"
            );
        }
    }

    #[test]
    fn refusals_name_the_predicate_types() {
        let r = classify(verified(Some(CUSTOM)), &Expectation::Signature).unwrap_err();
        assert_eq!(
            r.to_string(),
            format!(
                "bundle is an attestation of predicate type '{CUSTOM}', not an image signature"
            )
        );
    }
}
