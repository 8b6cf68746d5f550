//! Verifying one Sigstore bundle against an artifact, a policy and a trusted root.
//!
//! The cryptography (certificate chain, SCT, transparency log, timestamps, signature, log
//! entry consistency) is the upstream `sigstore-verify` crate's; this module adds the checks
//! the Sigstore client specification leaves to the caller and those this project insists on,
//! in this order (see `docs/verification.md` for each):
//!
//! 1. parse: UTF-8, JSON, the protobuf-specs bundle shape, a known media type;
//! 2. ours: the bundle's material is the policy's kind (key vs certificate);
//! 3. ours: exactly one transparency log entry, with the evidence its bundle version requires;
//! 4. upstream: signing times, chain, SCT, log inclusion, signature, digest, entry consistency;
//! 5. ours: the upstream result reports every check the policy required;
//! 6. ours: the certificate's identity and issuer are on the policy's allowlist, with the
//!    certificate extension values (Fulcio claims) that identity requires;
//! 7. ours: a DSSE payload is an in-toto statement with a subject of the artifact's digest.
//!
//! Pure and synchronous: no I/O, no clock but the one upstream reads to refuse future times.

use std::collections::BTreeMap;

use sigstore_verify::types::bundle::VerificationMaterialContent;
use sigstore_verify::types::{Bundle, MediaType, SignatureContent};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, VerificationResult};

use portcullis_image::Digest;

use crate::artifact::Artifact;
use crate::binding;
use crate::claims;
use crate::danger;
use crate::identity::{self, Match};
use crate::policy::{Authority, BundlePolicy, Checks};
use crate::refusal::{Material, Reason, Refusal, upstream};
use crate::trust_root::TrustRoot;
use crate::unlogged;
use crate::verified::{BundleVerified, Signer};

/// Verifies a Sigstore bundle (`*.sigstore.json`, media types v0.1 to v0.3, message
/// signature or DSSE) for `artifact` under `policy`, against `trust`.
///
/// Returns what the bundle proves, or the first check that failed. Never panics on any input.
pub fn verify_bundle(
    bundle_json: &[u8],
    artifact: &Artifact,
    policy: &BundlePolicy,
    trust: &TrustRoot,
) -> Result<BundleVerified, Refusal> {
    let digest = artifact.digest();
    let outcome = verify(bundle_json, artifact, &digest, policy, trust);
    match &outcome {
        Ok(verified) => tracing::debug!(
            artifact = %verified.artifact(),
            identity = verified.identity().unwrap_or("(key)"),
            log_index = verified.log_index(),
            "bundle verified"
        ),
        Err(refusal) => tracing::debug!(
            artifact = %digest,
            code = refusal.code(),
            "bundle refused"
        ),
    }
    outcome
}

/// `digest` is `artifact.digest()`, computed once by the caller.
pub(crate) fn verify(
    bundle_json: &[u8],
    artifact: &Artifact,
    digest: &Digest,
    policy: &BundlePolicy,
    trust: &TrustRoot,
) -> Result<BundleVerified, Refusal> {
    danger::warn_if_relaxed(policy);

    // 1. Parse.
    let text = std::str::from_utf8(bundle_json).map_err(|_| Refusal::MalformedBundle {
        source: Reason::NotUtf8.into(),
    })?;
    let bundle = Bundle::from_json(text).map_err(|source| Refusal::MalformedBundle {
        source: upstream(source),
    })?;

    // 2. and 3. Structure the policy depends on.
    check_material(&bundle, &policy.authority)?;
    check_log_evidence(&bundle, policy.checks)?;

    // 4. Upstream verification.
    let input = artifact
        .upstream()
        .map_err(|source| Refusal::UnsupportedArtifact {
            artifact: digest.clone(),
            source: upstream(source),
        })?;
    // 4a. A key signature in no log and without a timestamp, the log explicitly waived: no
    // signing time to establish, so only the signature is checked (see `unlogged`).
    if let Authority::Key(key) = &policy.authority
        && !policy.checks.tlog
        && unlogged::applies(&bundle)
    {
        unlogged::verify(&bundle, artifact, digest, key)?;
        let statement = statement_predicate(&bundle, artifact, digest)?;
        let (predicate_type, predicate) = statement.unzip();
        return Ok(BundleVerified {
            signer: Signer::Key {
                algorithm: key.algorithm(),
                fingerprint: key.fingerprint().to_owned(),
            },
            artifact: digest.clone(),
            log_index: None,
            integrated_time: None,
            signed_times: Vec::new(),
            predicate_type,
            predicate,
            tlog_verified: false,
            sct_verified: false,
            claims: BTreeMap::new(),
        });
    }

    let verifier = trust.verifier();
    let result = match &policy.authority {
        Authority::Key(key) => {
            let mut rules = PublicKeyVerificationPolicy::new(key.der().clone());
            if !policy.checks.tlog {
                rules = rules.skip_tlog_unsafe();
            }
            verifier.verify(input, &bundle, &rules)
        }
        Authority::Keyless(_) => {
            // Identity and issuer are matched below, against the whole allowlist.
            let mut rules = VerificationPolicy::any_identity();
            if !policy.checks.tlog {
                rules = rules.skip_tlog_unsafe();
            }
            if !policy.checks.sct {
                rules = rules.skip_sct();
            }
            verifier.verify(input, &bundle, &rules)
        }
    }
    .map_err(|error| Refusal::from_upstream(error, digest))?;

    // 5. Every required check was performed.
    check_performed(&result, policy)?;

    // 6. Who signed.
    let (signer, claims) = match &policy.authority {
        Authority::Key(key) => (
            Signer::Key {
                algorithm: key.algorithm(),
                fingerprint: key.fingerprint().to_owned(),
            },
            BTreeMap::new(),
        ),
        Authority::Keyless(allowed) => {
            let claims = leaf_certificate(&bundle)
                .map(claims::read)
                .unwrap_or_default();
            (allowed_signer(&result, allowed, &claims)?, claims)
        }
    };

    // 7. What was signed.
    let (predicate_type, predicate) = statement_predicate(&bundle, artifact, digest)?.unzip();

    let keyless = matches!(policy.authority, Authority::Keyless(_));
    Ok(BundleVerified {
        signer,
        artifact: digest.clone(),
        log_index: bundle
            .verification_material
            .tlog_entries
            .first()
            .map(|entry| entry.log_index.get()),
        integrated_time: result.integrated_time(),
        signed_times: result.verified_timestamps().to_vec(),
        predicate_type,
        predicate,
        tlog_verified: result.tlog_verified(),
        sct_verified: keyless && result.sct_verified(),
        claims,
    })
}

/// For a DSSE bundle, the in-toto statement's predicate type and predicate, once its subject
/// is checked to be the artifact; `None` for a message signature.
fn statement_predicate(
    bundle: &Bundle,
    artifact: &Artifact,
    digest: &Digest,
) -> Result<Option<(String, serde_json::Value)>, Refusal> {
    let SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        return Ok(None);
    };
    binding::check_statement(envelope.payload.as_bytes(), artifact, digest)
        .map(|t| Some((t, binding::predicate(envelope.payload.as_bytes()))))
        .map_err(|reason| match reason {
            Reason::NoMatchingSubject { .. } => Refusal::DigestMismatch {
                artifact: digest.clone(),
                source: reason.into(),
            },
            _ => Refusal::UnsupportedBundle {
                source: reason.into(),
            },
        })
}

/// The DER of the signing (leaf) certificate, for a certificate bundle: the one the upstream
/// verifier checked.
fn leaf_certificate(bundle: &Bundle) -> Option<&[u8]> {
    match &bundle.verification_material.content {
        VerificationMaterialContent::Certificate(certificate) => {
            Some(certificate.raw_bytes.as_bytes())
        }
        VerificationMaterialContent::X509CertificateChain { certificates } => {
            certificates.first().map(|c| c.raw_bytes.as_bytes())
        }
        _ => None,
    }
}

/// What the bundle verifies with, if it is a kind this crate knows.
fn material(bundle: &Bundle) -> Option<Material> {
    match &bundle.verification_material.content {
        VerificationMaterialContent::PublicKey(_) => Some(Material::PublicKey),
        VerificationMaterialContent::Certificate(_)
        | VerificationMaterialContent::X509CertificateChain { .. } => Some(Material::Certificate),
        _ => None,
    }
}

/// A key policy accepts only public-key bundles and a keyless one only certificates: a
/// certificate's key must never stand in for the configured key, nor a bare key for an
/// identity. A certificate chain must also pass [`check_chain`].
fn check_material(bundle: &Bundle, authority: &Authority) -> Result<(), Refusal> {
    let expected = match authority {
        Authority::Key(_) => Material::PublicKey,
        Authority::Keyless(_) => Material::Certificate,
    };
    if let VerificationMaterialContent::X509CertificateChain { certificates } =
        &bundle.verification_material.content
    {
        check_chain(certificates.iter().map(|c| c.raw_bytes.as_bytes()))?;
    }
    match material(bundle) {
        Some(found) if found == expected => Ok(()),
        Some(found) => Err(Refusal::MaterialMismatch { expected, found }),
        None => Err(Refusal::UnsupportedBundle {
            source: upstream(sigstore_verify::bundle::Error::UnsupportedVerificationMaterial),
        }),
    }
}

/// A shipped chain holds at least the signing certificate and no root: trust ends at the
/// trusted root's authorities, never at a certificate the bundle brings along.
fn check_chain<'a>(certificates: impl ExactSizeIterator<Item = &'a [u8]>) -> Result<(), Refusal> {
    use x509_cert::der::Decode;
    if certificates.len() == 0 {
        return Err(Refusal::MalformedBundle {
            source: Reason::EmptyCertificateChain.into(),
        });
    }
    for (position, der) in certificates.enumerate() {
        let certificate =
            x509_cert::Certificate::from_der(der).map_err(|_| Refusal::MalformedBundle {
                source: Reason::CertificateNotDer { position }.into(),
            })?;
        let tbs = &certificate.tbs_certificate;
        if tbs.subject == tbs.issuer {
            return Err(Refusal::MalformedBundle {
                source: Reason::RootCertificateInChain { position }.into(),
            });
        }
    }
    Ok(())
}

/// Exactly one log entry, carrying what the protobuf-specs require of its bundle version:
/// an inclusion promise (signed entry timestamp) in v0.1, an inclusion proof from v0.2 on.
/// Upstream checks that *some* entry has it; this pins it to the entry that is reported.
fn check_log_evidence(bundle: &Bundle, checks: Checks) -> Result<(), Refusal> {
    let entries = &bundle.verification_material.tlog_entries;
    if entries.len() > 1 {
        return Err(Refusal::UnsupportedBundle {
            source: Reason::SeveralLogEntries {
                count: entries.len(),
            }
            .into(),
        });
    }
    if !checks.tlog {
        return Ok(());
    }
    let Some(entry) = entries.first() else {
        return Err(Refusal::TlogMissing {
            source: Reason::NoLogEntry.into(),
        });
    };
    let media_type = bundle.media_type();
    let v0_1 = matches!(media_type, MediaType::Bundle0_1);
    if v0_1 && entry.inclusion_promise.is_none() {
        return Err(Refusal::TlogMissing {
            source: Reason::NoInclusionPromise {
                media_type: media_type.as_str().to_owned(),
            }
            .into(),
        });
    }
    if !v0_1 && entry.inclusion_proof.is_none() {
        return Err(Refusal::TlogMissing {
            source: Reason::NoInclusionProof {
                media_type: media_type.as_str().to_owned(),
            }
            .into(),
        });
    }
    if let Some(proof) = &entry.inclusion_proof {
        check_checkpoint_signer(proof.checkpoint.checkpoint())?;
    }
    Ok(())
}

/// A signed note names each signature's key (`— <name> <base64>`), and a log signs its
/// checkpoints under its own name, the origin's first word (`rekor.sigstore.dev` for
/// `rekor.sigstore.dev - 1193050959916656506`, the whole origin for Rekor v2). Upstream
/// checks only the key hint and the signature, so a checkpoint whose log signature line had
/// its name changed still verified; this requires a line under the log's name (witness
/// cosignatures under other names may sit beside it). An unparsable checkpoint is left to
/// upstream, which refuses it.
fn check_checkpoint_signer(
    checkpoint: Option<&sigstore_verify::types::Checkpoint>,
) -> Result<(), Refusal> {
    let Some(checkpoint) = checkpoint else {
        return Ok(());
    };
    let origin = checkpoint.origin();
    let name = origin.split_whitespace().next().unwrap_or(origin);
    if checkpoint.signatures().iter().any(|s| s.name == name) {
        return Ok(());
    }
    Err(Refusal::TlogInvalid {
        source: Reason::CheckpointSigner {
            name: name.to_owned(),
        }
        .into(),
    })
}

/// Defence in depth: upstream reports which checks it ran; a success that skipped one the
/// policy requires is a refusal, whatever the reason.
fn check_performed(result: &VerificationResult, policy: &BundlePolicy) -> Result<(), Refusal> {
    let missing = |check| Reason::CheckNotPerformed { check }.into();
    if policy.checks.tlog && !result.tlog_verified() {
        return Err(Refusal::TlogMissing {
            source: missing("transparency log"),
        });
    }
    if let Authority::Keyless(_) = policy.authority {
        if !result.certificate_verified() {
            return Err(Refusal::CertificateChain {
                source: missing("certificate chain"),
            });
        }
        if policy.checks.sct && !result.sct_verified() {
            return Err(Refusal::SctInvalid {
                source: missing("signed certificate timestamp"),
            });
        }
    }
    Ok(())
}

/// Matches the verified certificate's identity, issuer and extension `claims` against the
/// allowlist.
fn allowed_signer(
    result: &VerificationResult,
    allowed: &[identity::Identity],
    claims: &BTreeMap<String, String>,
) -> Result<Signer, Refusal> {
    let san = result.identity().map(|san| san.as_str().to_owned());
    let issuer = result.issuer().map(str::to_owned);
    match identity::check(allowed, san.as_deref(), issuer.as_deref(), claims) {
        Match::Allowed { san, issuer } => Ok(Signer::Certificate {
            identity: san,
            issuer,
        }),
        Match::IdentityMismatch { expected } => Err(Refusal::IdentityMismatch {
            expected,
            actual: san,
        }),
        Match::IssuerMismatch { expected } => Err(Refusal::IssuerMismatch {
            expected,
            actual: issuer,
            identity: san.unwrap_or_default(),
        }),
        Match::ClaimMismatch {
            oid,
            expected,
            actual,
        } => Err(Refusal::ClaimMismatch {
            claim: claims::describe(&oid),
            oid,
            expected,
            actual,
            identity: san.unwrap_or_default(),
        }),
    }
}
