//! Why a bundle was refused: one variant per failed check, each with a stable [`Refusal::code`].
//!
//! A variant names the check that failed, not the library that noticed. The detail travels as
//! the error's `source()` (a [`Reason`] when the check is ours, the upstream verifier's error
//! otherwise), so the binary can print the whole chain. Match on the variant or on the code,
//! never on a message: messages may be reworded, codes may not.

use std::fmt;

use portcullis_image::Digest;
use sigstore_verify::{CertificateError, TransparencyLogError};

/// The detail behind a refusal, as reported by the check that failed.
pub type Detail = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An upstream error as a [`Detail`]. The upstream crates print their sources inside their
/// own messages, so this shows the message and reports no further source: a printed chain
/// then says everything exactly once.
pub(crate) struct Upstream<E>(pub(crate) E);

impl<E: fmt::Display> fmt::Display for Upstream<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: fmt::Debug> fmt::Debug for Upstream<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Upstream<E> {}

/// Boxes an upstream error as a [`Detail`].
pub(crate) fn upstream<E>(error: E) -> Detail
where
    E: fmt::Debug + fmt::Display + Send + Sync + 'static,
{
    Box::new(Upstream(error))
}

/// A bundle that must not be trusted, and why.
///
/// Every variant is a "no": there is no partial success. The first failed check wins; the
/// order is documented in `docs/verification.md`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The input is not a Sigstore bundle: not UTF-8 JSON, not the protobuf-specs shape,
    /// an unknown media type, bad base64, a negative log index, a root certificate in the
    /// chain, or fields that contradict each other.
    #[error("bundle is not a valid sigstore bundle")]
    MalformedBundle {
        /// What was wrong with it.
        #[source]
        source: Detail,
    },
    /// A well-formed bundle that uses something this verifier does not check, such as several
    /// transparency log entries, a DSSE payload that is not an in-toto statement, or a log
    /// entry kind that does not fit the signature.
    #[error("bundle uses a form this verifier does not accept")]
    UnsupportedBundle {
        /// What it uses.
        #[source]
        source: Detail,
    },
    /// The policy names a public key and the bundle carries a certificate, or the other way
    /// round. Keyless bundles are never accepted by a key policy, nor key bundles by an
    /// identity policy.
    #[error("bundle carries {found} but the policy expects {expected}")]
    MaterialMismatch {
        /// What the policy verifies with.
        expected: Material,
        /// What the bundle carries.
        found: Material,
    },
    /// The bundle has no transparency log entry, or an entry without the inclusion evidence its
    /// bundle version requires (an inclusion proof from v0.2 on, an inclusion promise in v0.1).
    #[error("bundle lacks the transparency log evidence it must carry")]
    TlogMissing {
        /// Which evidence is missing.
        #[source]
        source: Detail,
    },
    /// The transparency log evidence does not verify: an inclusion proof that does not reach
    /// the root, a checkpoint not signed by a trusted log, a bad signed entry timestamp, or a
    /// log the trusted root does not know.
    #[error("bundle's transparency log evidence does not verify")]
    TlogInvalid {
        /// Which evidence failed.
        #[source]
        source: Detail,
    },
    /// The transparency log entry records a different signature, key, certificate or artifact
    /// than the bundle carries, or cannot be read as the entry kind it claims to be.
    #[error("bundle's transparency log entry does not record this signature")]
    TlogEntryMismatch {
        /// What differs.
        #[source]
        source: Detail,
    },
    /// No trustworthy signing time: the log's integrated time is in the future or outside
    /// the certificate's validity, an RFC 3161 timestamp does not verify or is outside its
    /// authority's validity, or there is no verified time at all.
    #[error("bundle has no trustworthy signing time")]
    SigningTime {
        /// Which time was rejected.
        #[source]
        source: Detail,
    },
    /// The signing certificate is malformed, does not chain to a Fulcio authority of the
    /// trusted root that was valid at the signing time, or lacks the code-signing usage.
    #[error("bundle's signing certificate does not chain to a trusted authority")]
    CertificateChain {
        /// Why the chain was rejected.
        #[source]
        source: Detail,
    },
    /// The signing certificate was not yet valid, or had expired, at a verified signing time.
    #[error("bundle's signing certificate was not valid at the signing time")]
    CertificateValidity {
        /// Which bound was crossed.
        #[source]
        source: Detail,
    },
    /// The signing certificate's signed certificate timestamp is missing or not signed by a
    /// certificate-transparency log of the trusted root.
    #[error("bundle's signing certificate has no valid signed certificate timestamp")]
    SctInvalid {
        /// Why the SCT was rejected.
        #[source]
        source: Detail,
    },
    /// The signature does not verify with the signing key over the artifact (or the DSSE
    /// envelope), or is not even decodable as a signature.
    #[error("bundle's signature does not verify for artifact {artifact}")]
    SignatureInvalid {
        /// The artifact, as its digest.
        artifact: Digest,
        /// What the signature check reported.
        #[source]
        source: Detail,
    },
    /// The bundle is about another artifact: its message digest differs, or no in-toto
    /// subject names this digest.
    #[error("bundle does not describe artifact {artifact}")]
    DigestMismatch {
        /// The artifact, as its digest.
        artifact: Digest,
        /// What differs.
        #[source]
        source: Detail,
    },
    /// The artifact was given in a form this bundle cannot be checked against, such as a
    /// `sha256` digest for an Ed25519 message signature (which signs the bytes themselves):
    /// pass the artifact's bytes instead.
    #[error("bundle cannot be checked against artifact {artifact} in the form it was given")]
    UnsupportedArtifact {
        /// The artifact, as its digest.
        artifact: Digest,
        /// What the check needs.
        #[source]
        source: Detail,
    },
    /// The certificate's subject alternative name is not one the policy allows.
    #[error(
        "certificate identity {} is not allowed: expected {expected}",
        quoted_or_none(actual.as_deref())
    )]
    IdentityMismatch {
        /// The identities the policy allows, as written in it.
        expected: String,
        /// The identity in the certificate, if it has one.
        actual: Option<String>,
    },
    /// The certificate's identity is allowed, but not from the OIDC issuer it was issued by.
    #[error(
        "certificate oidc issuer {} is not allowed for identity '{identity}': expected {expected}",
        quoted_or_none(actual.as_deref())
    )]
    IssuerMismatch {
        /// The issuers the policy allows for this identity, as written in it.
        expected: String,
        /// The issuer in the certificate, if it has one.
        actual: Option<String>,
        /// The certificate identity the issuer was checked for.
        identity: String,
    },
    /// The certificate's identity and issuer are allowed, but a certificate extension the
    /// policy requires (a Fulcio claim such as the GitHub workflow repository) is missing or
    /// holds another value.
    #[error(
        "certificate claim {claim} is {} but identity '{identity}' requires '{expected}'",
        quoted_or_none(actual.as_deref())
    )]
    ClaimMismatch {
        /// The claim: its name and OID for a named Fulcio claim, the OID otherwise.
        claim: String,
        /// The extension's dotted OID.
        oid: String,
        /// The value the policy requires.
        expected: String,
        /// The value in the certificate, if it has the extension.
        actual: Option<String>,
        /// The certificate identity the claim was checked for.
        identity: String,
    },
    /// The trusted root cannot verify this bundle (for example, it has no key for the log the
    /// bundle names in a way the upstream verifier reports as a trust-root problem).
    #[error("trusted root cannot be used to verify this bundle")]
    TrustRoot {
        /// What the verifier reported.
        #[source]
        source: Detail,
    },
    /// A legacy cosign signature layer (`sha256-<hex>.sig`) whose annotations cannot be read:
    /// the signature is missing or not base64, the certificate is not PEM, the Rekor bundle or
    /// timestamp annotation is not the JSON cosign writes.
    #[error("cosign signature layer is not a valid legacy signature")]
    MalformedSignature {
        /// What was wrong with it.
        #[source]
        source: Detail,
    },
    /// The signed simple-signing payload is not the JSON cosign writes (checked only after the
    /// signature over it verified).
    #[error("cosign simple-signing payload is malformed")]
    MalformedPayload {
        /// What was wrong with it.
        #[source]
        source: Detail,
    },
    /// The signed payload is well formed but is not a container image signature (its
    /// `critical.type` is something else).
    #[error("cosign payload is not a container image signature")]
    UnsupportedPayload {
        /// What it is instead.
        #[source]
        source: Detail,
    },
    /// A verified bundle attached to an image is an attestation (an in-toto statement with a
    /// predicate other than cosign's signature predicate), and an attestation is never an
    /// image signature, however valid.
    #[error(
        "bundle is an attestation of predicate type '{predicate_type}', not an image signature"
    )]
    NotASignature {
        /// The attestation's predicate type.
        predicate_type: String,
    },
    /// Attestations of one predicate type were asked for, and this verified bundle is of
    /// another.
    #[error(
        "bundle is an attestation of predicate type '{actual}', but '{expected}' was asked for"
    )]
    WrongPredicateType {
        /// The predicate type asked for.
        expected: String,
        /// The bundle's predicate type.
        actual: String,
    },
    /// Attestations were asked for, and this verified bundle is a message signature, which
    /// has no predicate at all.
    #[error("bundle is a message signature, not an attestation of predicate type '{expected}'")]
    NotAnAttestation {
        /// The predicate type asked for.
        expected: String,
    },
    /// A failure the upstream verifier reported in a category this crate does not know yet.
    /// Still a refusal: unknown means no.
    #[error("bundle verification failed")]
    Unclassified {
        /// What the verifier reported.
        #[source]
        source: Detail,
    },
}

impl Refusal {
    /// A stable, bounded reason code for events, metrics and exit codes, e.g.
    /// `signature_invalid`. Codes are never renamed; new variants add new codes.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedBundle { .. } => "malformed_bundle",
            Self::UnsupportedBundle { .. } => "unsupported_bundle",
            Self::MaterialMismatch { .. } => "material_mismatch",
            Self::TlogMissing { .. } => "tlog_missing",
            Self::TlogInvalid { .. } => "tlog_invalid",
            Self::TlogEntryMismatch { .. } => "tlog_entry_mismatch",
            Self::SigningTime { .. } => "signing_time",
            Self::CertificateChain { .. } => "certificate_chain",
            Self::CertificateValidity { .. } => "certificate_validity",
            Self::SctInvalid { .. } => "sct_invalid",
            Self::SignatureInvalid { .. } => "signature_invalid",
            Self::DigestMismatch { .. } => "digest_mismatch",
            Self::UnsupportedArtifact { .. } => "unsupported_artifact",
            Self::IdentityMismatch { .. } => "identity_mismatch",
            Self::IssuerMismatch { .. } => "issuer_mismatch",
            Self::ClaimMismatch { .. } => "claim_mismatch",
            Self::TrustRoot { .. } => "trust_root",
            Self::MalformedSignature { .. } => "malformed_signature",
            Self::MalformedPayload { .. } => "malformed_payload",
            Self::UnsupportedPayload { .. } => "unsupported_payload",
            Self::NotASignature { .. } => "not_a_signature",
            Self::WrongPredicateType { .. } => "wrong_predicate_type",
            Self::NotAnAttestation { .. } => "not_an_attestation",
            Self::Unclassified { .. } => "verification_failed",
        }
    }

    /// Classifies an error from the upstream verifier by the check that failed.
    pub(crate) fn from_upstream(error: sigstore_verify::Error, artifact: &Digest) -> Self {
        use sigstore_verify::Error as E;
        let artifact = artifact.clone();
        match error {
            E::SignatureInvalid(_) => Self::SignatureInvalid {
                artifact,
                source: upstream(error),
            },
            E::ArtifactMismatch(_) => Self::DigestMismatch {
                artifact,
                source: upstream(error),
            },
            E::UnsupportedArtifact(_) | E::ArtifactRead(_) => Self::UnsupportedArtifact {
                artifact,
                source: upstream(error),
            },
            E::Certificate(ref certificate) => match certificate {
                CertificateError::NotYetValid { .. } | CertificateError::Expired { .. } => {
                    Self::CertificateValidity {
                        source: upstream(error),
                    }
                }
                CertificateError::Sct(_) => Self::SctInvalid {
                    source: upstream(error),
                },
                // The path builder (webpki) reports a certificate outside its validity at
                // the signing time as a chain failure; upstream carries its variant only as
                // text, so it is recognised by name. The chain itself is sound: say so.
                CertificateError::ChainInvalid(detail)
                    if detail.contains("CertExpired") || detail.contains("CertNotValidYet") =>
                {
                    Self::CertificateValidity {
                        source: upstream(error),
                    }
                }
                // Malformed, ChainInvalid, NoValidAuthority, and whatever comes next.
                _ => Self::CertificateChain {
                    source: upstream(error),
                },
            },
            E::TransparencyLog(ref tlog) => match tlog {
                // An entry body that cannot be read as the kind it claims records nothing
                // about this signature either.
                TransparencyLogError::EntryMismatch(_)
                | TransparencyLogError::MalformedEntry(_) => Self::TlogEntryMismatch {
                    source: upstream(error),
                },
                TransparencyLogError::IntegratedTime(_) => Self::SigningTime {
                    source: upstream(error),
                },
                _ => Self::TlogInvalid {
                    source: upstream(error),
                },
            },
            E::Timestamp(_) => Self::SigningTime {
                source: upstream(error),
            },
            E::Bundle(ref structure) => {
                let refuse = classify_structure(structure);
                refuse(upstream(error))
            }
            E::InvalidBundle(_) | E::Types(_) => Self::MalformedBundle {
                source: upstream(error),
            },
            E::UnsupportedBundle(_) => Self::UnsupportedBundle {
                source: upstream(error),
            },
            E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_) => {
                Self::TrustRoot {
                    source: upstream(error),
                }
            }
            // Identity and issuer are matched by this crate (the upstream policy is asked for
            // any identity), so these two only appear if that ever changes.
            E::IdentityMismatch { .. } | E::IssuerMismatch { .. } => Self::Unclassified {
                source: upstream(error),
            },
            _ => Self::Unclassified {
                source: upstream(error),
            },
        }
    }
}

/// Which refusal a structural-validation error is; returned as a constructor so the caller can
/// move the error into it.
fn classify_structure(structure: &sigstore_verify::bundle::Error) -> fn(Detail) -> Refusal {
    use sigstore_verify::bundle::Error as B;
    match structure {
        B::MissingInclusionPromise(_)
        | B::MissingInclusionProof(_)
        | B::MissingSigningTimeEvidence
        | B::MissingCheckpoint => |source| Refusal::TlogMissing { source },
        B::UnsupportedMediaType(_) | B::UnsupportedVerificationMaterial => {
            |source| Refusal::UnsupportedBundle { source }
        }
        _ => |source| Refusal::MalformedBundle { source },
    }
}

fn quoted_or_none(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".to_owned(), |v| format!("'{v}'"))
}

/// What a bundle verifies with, or what a policy expects it to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Material {
    /// A caller-supplied public key (cosign `--key`).
    PublicKey,
    /// A Fulcio-issued signing certificate (keyless).
    Certificate,
}

impl fmt::Display for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PublicKey => "a public key",
            Self::Certificate => "a signing certificate",
        })
    }
}

/// What this crate's own checks found wrong, as the `source()` of a [`Refusal`].
///
/// These are the checks layered over the upstream verifier; see `docs/verification.md`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// The bundle is not UTF-8, so it cannot be JSON.
    #[error("bundle is not utf-8 text")]
    NotUtf8,
    /// The certificate chain is present but empty: there is no signing certificate.
    #[error("bundle's certificate chain is empty")]
    EmptyCertificateChain,
    /// A certificate of the bundle's chain is not DER X.509.
    #[error("certificate {position} of the bundle's chain is not a der x.509 certificate")]
    CertificateNotDer {
        /// Its position in the chain, 0 being the signing certificate.
        position: usize,
    },
    /// The bundle's chain carries a self-issued (root) certificate. Roots come from the trusted
    /// root only; a bundle that ships one is refused, as the Sigstore conformance suite
    /// requires.
    #[error("certificate {position} of the bundle's chain is a root certificate")]
    RootCertificateInChain {
        /// Its position in the chain, 0 being the signing certificate.
        position: usize,
    },
    /// No transparency log entry at all.
    #[error("bundle has no transparency log entry")]
    NoLogEntry,
    /// More than one transparency log entry. Sigstore clients write exactly one; several
    /// would leave open which one the reported log index and time belong to.
    #[error("bundle has {count} transparency log entries, exactly one is supported")]
    SeveralLogEntries {
        /// How many there are.
        count: usize,
    },
    /// The log entry lacks the inclusion proof that bundles from v0.2 on must carry.
    #[error("log entry has no inclusion proof, which {media_type} bundles must carry")]
    NoInclusionProof {
        /// The bundle's media type.
        media_type: String,
    },
    /// The log entry of a v0.1 bundle lacks its inclusion promise (signed entry timestamp).
    #[error("log entry has no inclusion promise, which {media_type} bundles must carry")]
    NoInclusionPromise {
        /// The bundle's media type.
        media_type: String,
    },
    /// The DSSE envelope's payload is not an in-toto statement of a known version.
    #[error("dsse payload is not an in-toto statement ({detail})")]
    NotAnInTotoStatement {
        /// What was found instead.
        detail: String,
    },
    /// No subject of the in-toto statement carries the artifact's digest.
    #[error("no in-toto subject has digest {artifact}")]
    NoMatchingSubject {
        /// The artifact's digest.
        artifact: Digest,
    },
    /// A legacy signature layer lacks an annotation it must carry.
    #[error("signature layer has no '{key}' annotation")]
    MissingAnnotation {
        /// The annotation key.
        key: &'static str,
    },
    /// A legacy signature layer annotation cannot be decoded.
    #[error("signature layer annotation '{key}' is invalid: {detail}")]
    BadAnnotation {
        /// The annotation key.
        key: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// A legacy attestation layer is not a DSSE envelope with one signature.
    #[error("attestation layer is not a DSSE envelope with one signature: {detail}")]
    BadEnvelope {
        /// What is wrong.
        detail: String,
    },
    /// A legacy signature manifest has no layer at all.
    #[error("signature manifest has no simple-signing layer")]
    NoSignatureLayer,
    /// The Rekor entry of a legacy signature is of a kind this verifier does not check (for
    /// example `rekord`, which early cosign releases wrote).
    #[error(
        "rekor entry kind {kind} {version} is not supported here (signatures: hashedrekord \
         0.0.1; attestations: intoto 0.0.2, dsse 0.0.1)"
    )]
    UnsupportedLogEntryKind {
        /// The entry's `kind`.
        kind: String,
        /// The entry's `apiVersion`.
        version: String,
    },
    /// The simple-signing payload is not JSON, or lacks a required field.
    #[error("simple-signing payload {detail}")]
    BadPayload {
        /// What is wrong.
        detail: String,
    },
    /// The simple-signing payload's `critical.type` is not `cosign container image signature`.
    #[error("payload type is '{found}', expected 'cosign container image signature'")]
    PayloadType {
        /// The type found.
        found: String,
    },
    /// The simple-signing payload names another image.
    #[error("payload signs image {claimed}, not {expected}")]
    PayloadDigest {
        /// The `critical.image.docker-manifest-digest` of the payload.
        claimed: String,
        /// The image digest the signature was checked for.
        expected: Digest,
    },
    /// A message signature's digest is not the artifact's.
    #[error("message signature is over {signed}, not {artifact}")]
    MessageDigest {
        /// The digest the bundle says was signed.
        signed: String,
        /// The artifact's digest.
        artifact: Digest,
    },
    /// No signature line of the checkpoint is under the log's own name.
    #[error("checkpoint carries no signature under the log's name '{name}'")]
    CheckpointSigner {
        /// The log's name, from the checkpoint origin.
        name: String,
    },
    /// The bundle holds neither a message signature nor a DSSE envelope.
    #[error("bundle content is neither a message signature nor a dsse envelope")]
    UnknownContent,
    /// An Ed25519 message signature signs the bytes, which a digest cannot stand for.
    #[error("an ed25519 message signature needs the artifact's bytes, not its digest")]
    Ed25519NeedsBytes,
    /// The upstream verifier returned success without a check this crate requires.
    #[error("the verifier did not perform the {check} check")]
    CheckNotPerformed {
        /// The missing check.
        check: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use sigstore_verify::Error as E;

    fn artifact() -> Digest {
        format!("sha256:{}", "ab".repeat(32)).parse().unwrap()
    }

    #[test]
    fn upstream_errors_are_classified_by_the_check_that_failed() {
        let cases: Vec<(E, &str)> = vec![
            (E::SignatureInvalid("bad".into()), "signature_invalid"),
            (E::ArtifactMismatch("other".into()), "digest_mismatch"),
            (
                E::UnsupportedArtifact("ed25519".into()),
                "unsupported_artifact",
            ),
            (
                CertificateError::Expired {
                    time: jiff::Timestamp::UNIX_EPOCH,
                    not_after: jiff::Timestamp::UNIX_EPOCH,
                }
                .into(),
                "certificate_validity",
            ),
            (
                CertificateError::ChainInvalid("x".into()).into(),
                "certificate_chain",
            ),
            (CertificateError::Sct("x".into()).into(), "sct_invalid"),
            (
                TransparencyLogError::InclusionProof("x".into()).into(),
                "tlog_invalid",
            ),
            (
                TransparencyLogError::EntryMismatch("x".into()).into(),
                "tlog_entry_mismatch",
            ),
            (
                TransparencyLogError::IntegratedTime("x".into()).into(),
                "signing_time",
            ),
            (
                sigstore_verify::TimestampError::NoVerifiedTimestamp("x".into()).into(),
                "signing_time",
            ),
            (
                E::Bundle(sigstore_verify::bundle::Error::MissingSigningTimeEvidence),
                "tlog_missing",
            ),
            (
                E::Bundle(sigstore_verify::bundle::Error::CheckpointRootMismatch),
                "malformed_bundle",
            ),
            (E::UnsupportedBundle("x".into()), "unsupported_bundle"),
            (E::InvalidTrustRoot("x".into()), "trust_root"),
        ];
        for (error, code) in cases {
            let shown = error.to_string();
            assert_eq!(
                Refusal::from_upstream(error, &artifact()).code(),
                code,
                "{shown}"
            );
        }
    }

    #[test]
    fn an_upstream_detail_is_printed_once() {
        let refusal = Refusal::from_upstream(
            E::Bundle(sigstore_verify::bundle::Error::MissingCheckpoint),
            &artifact(),
        );
        let detail = refusal.source().unwrap();
        assert_eq!(
            detail.to_string(),
            "Bundle error: inclusion proof has no checkpoint"
        );
        assert!(
            detail.source().is_none(),
            "the message already holds the cause"
        );
    }

    #[test]
    fn mismatch_messages_name_both_values() {
        let refusal = Refusal::IdentityMismatch {
            expected: "'a@example.com'".to_owned(),
            actual: None,
        };
        assert_eq!(
            refusal.to_string(),
            "certificate identity (none) is not allowed: expected 'a@example.com'"
        );
        let refusal = Refusal::ClaimMismatch {
            claim: "github-workflow-ref (1.3.6.1.4.1.57264.1.6)".to_owned(),
            oid: "1.3.6.1.4.1.57264.1.6".to_owned(),
            expected: "refs/heads/main".to_owned(),
            actual: None,
            identity: "a@example.com".to_owned(),
        };
        assert_eq!(refusal.code(), "claim_mismatch");
        assert_eq!(
            refusal.to_string(),
            "certificate claim github-workflow-ref (1.3.6.1.4.1.57264.1.6) is (none) but \
             identity 'a@example.com' requires 'refs/heads/main'"
        );
        let refusal = Refusal::MaterialMismatch {
            expected: Material::PublicKey,
            found: Material::Certificate,
        };
        assert_eq!(
            refusal.to_string(),
            "bundle carries a signing certificate but the policy expects a public key"
        );
    }
}
