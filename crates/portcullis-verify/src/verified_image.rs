//! The one thing write-back accepts: an image whose digest a signature was verified for.
//!
//! A [`VerifiedImage`] is built only from a [`Candidate`] and a successful verification
//! ([`BundleVerified`], which nothing outside this crate can make) whose digest is the
//! candidate's; its fields are read through getters only.
//! Holding one therefore means "this repository's tag resolved to this digest, and an allowed
//! signer signed this digest".

use std::collections::BTreeMap;

use jiff::Timestamp;
use portcullis_image::{Candidate, Digest, Repository, Tag};

use crate::legacy::verify_legacy_signature;
use crate::policy::BundlePolicy;
use crate::refusal::Refusal;
use crate::trust_root::TrustRoot;
use crate::verified::{BundleVerified, Signer};

/// A candidate image proven to be signed by an allowed signer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct VerifiedImage {
    repository: Repository,
    tag: Tag,
    digest: Digest,
    signer: Signer,
    log_index: Option<u64>,
    integrated_time: Option<Timestamp>,
    authority: Option<String>,
}

impl VerifiedImage {
    /// Joins a candidate with the verification of its digest. `None` if the verification is
    /// about another digest: the only way this type comes to exist.
    pub(crate) fn new(candidate: &Candidate, verified: &BundleVerified) -> Option<Self> {
        (verified.artifact() == candidate.digest()).then(|| Self {
            repository: candidate.repository().clone(),
            tag: candidate.tag().clone(),
            digest: candidate.digest().clone(),
            signer: verified.signer().clone(),
            log_index: verified.log_index(),
            integrated_time: verified.integrated_time(),
            authority: None,
        })
    }

    /// Joins a candidate with a successful verification of its digest (a [`BundleVerified`]
    /// exists only as the result of one): `digest_mismatch` if the verification is about
    /// another digest.
    pub fn from_verified(
        candidate: &Candidate,
        verified: &BundleVerified,
    ) -> Result<Self, Refusal> {
        Self::new(candidate, verified).ok_or_else(|| Refusal::DigestMismatch {
            artifact: candidate.digest().clone(),
            source: crate::refusal::Reason::PayloadDigest {
                claimed: verified.artifact().to_string(),
                expected: candidate.digest().clone(),
            }
            .into(),
        })
    }

    /// Labels the image with the policy authority (rule and authority names) whose
    /// verification made it; a label, it changes nothing that was verified.
    pub fn with_authority(mut self, authority: impl Into<String>) -> Self {
        self.authority = Some(authority.into());
        self
    }

    /// The policy authority that matched, when the caller labelled it.
    pub fn authority(&self) -> Option<&str> {
        self.authority.as_deref()
    }

    /// The repository the image lives in.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The tag that resolved to [`Self::digest`] when the candidate was picked.
    pub fn tag(&self) -> &Tag {
        &self.tag
    }

    /// The verified digest: the one to commit.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Who signed: the key (algorithm and fingerprint) or the certificate identity and issuer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The certificate identity, for a keyless signature.
    pub fn identity(&self) -> Option<&str> {
        self.signer.identity()
    }

    /// The OIDC issuer, for a keyless signature.
    pub fn issuer(&self) -> Option<&str> {
        self.signer.issuer()
    }

    /// The key's fingerprint (`sha256:<hex>` of its DER SubjectPublicKeyInfo), for a key-based
    /// signature.
    pub fn key_fingerprint(&self) -> Option<&str> {
        self.signer.key_fingerprint()
    }

    /// The transparency log index of the signature's entry; `None` only when the log was
    /// skipped by a [`crate::danger`] switch and the signature was never logged.
    pub fn log_index(&self) -> Option<u64> {
        self.log_index
    }

    /// When the log integrated the entry, authenticated by its signed entry timestamp.
    pub fn integrated_time(&self) -> Option<Timestamp> {
        self.integrated_time
    }
}

/// Verifies a candidate against the layers of its legacy cosign signature manifest (tag
/// `sha256-<hex>.sig`), each a payload blob and its annotations.
///
/// Each layer is verified on its own; the first that verifies for the candidate's digest
/// makes the [`VerifiedImage`]. If none does, the refusal of the layer that got furthest is
/// returned (a refusal about the signer or the signed image over one about the evidence, and
/// that over one about a malformed layer; the first layer wins a tie); with no layers at all,
/// `malformed_signature`.
pub fn verify_candidate_legacy(
    candidate: &Candidate,
    layers: &[(Vec<u8>, BTreeMap<String, String>)],
    policy: &BundlePolicy,
    trust: &TrustRoot,
) -> Result<VerifiedImage, Refusal> {
    let mut best: Option<Refusal> = None;
    for (payload, annotations) in layers {
        match verify_legacy_signature(payload, annotations, candidate.digest(), policy, trust) {
            Ok(verified) => {
                if let Some(image) = VerifiedImage::new(candidate, &verified) {
                    return Ok(image);
                }
            }
            Err(refusal) => {
                if best
                    .as_ref()
                    .is_none_or(|b| specificity(&refusal) > specificity(b))
                {
                    best = Some(refusal);
                }
            }
        }
    }
    Err(best.unwrap_or(Refusal::MalformedSignature {
        source: crate::refusal::Reason::NoSignatureLayer.into(),
    }))
}

/// How far a layer got before it was refused: a refusal about who signed or what was signed
/// (after the cryptography passed) says more than one about a broken or foreign layer.
fn specificity(refusal: &Refusal) -> u8 {
    match refusal {
        Refusal::MalformedSignature { .. } | Refusal::MalformedBundle { .. } => 0,
        Refusal::MaterialMismatch { .. } | Refusal::UnsupportedBundle { .. } => 1,
        Refusal::IdentityMismatch { .. }
        | Refusal::IssuerMismatch { .. }
        | Refusal::DigestMismatch { .. }
        | Refusal::UnsupportedPayload { .. }
        | Refusal::MalformedPayload { .. }
        | Refusal::NotASignature { .. }
        | Refusal::WrongPredicateType { .. }
        | Refusal::NotAnAttestation { .. } => 3,
        _ => 2,
    }
}
