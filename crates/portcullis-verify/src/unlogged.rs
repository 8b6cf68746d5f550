//! A key-based signature that is in no transparency log and carries no timestamp, accepted
//! only when the policy explicitly waives the log (`--insecure-ignore-tlog`, or the policy's
//! per-authority switch), as cosign accepts it.
//!
//! The upstream verifier wants log or timestamp evidence in every bundle, so the signature
//! itself is checked here with the upstream key primitive: over the artifact bytes (or, for
//! a message signature, the digest the bundle states, which must be the artifact's), or over
//! the DSSE pre-authentication encoding. What a DSSE statement is about is checked by the
//! caller afterwards, as for any bundle.

use sigstore_verify::crypto::VerificationKey;
use sigstore_verify::types::{Bundle, SignatureContent};

use portcullis_image::Digest;

use crate::artifact::Artifact;
use crate::key::PublicKey;
use crate::refusal::{Reason, Refusal, upstream};

/// Whether `bundle` is one this path takes: no log entry and no timestamp.
pub(crate) fn applies(bundle: &Bundle) -> bool {
    let material = &bundle.verification_material;
    material.tlog_entries.is_empty()
        && material
            .timestamp_verification_data
            .rfc3161_timestamps
            .is_empty()
}

/// Checks the bundle's signature with `key` against `artifact` (whose digest is `digest`).
pub(crate) fn verify(
    bundle: &Bundle,
    artifact: &Artifact,
    digest: &Digest,
    key: &PublicKey,
) -> Result<(), Refusal> {
    let invalid = |source| Refusal::SignatureInvalid {
        artifact: digest.clone(),
        source,
    };
    let verifier = VerificationKey::from_spki(key.der()).map_err(|e| invalid(upstream(e)))?;
    match &bundle.content {
        SignatureContent::MessageSignature(message) => {
            if let Some(stated) = &message.message_digest {
                let stated_hex: String = stated
                    .digest
                    .as_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if stated_hex != digest.hex() {
                    return Err(Refusal::DigestMismatch {
                        artifact: digest.clone(),
                        source: Reason::MessageDigest {
                            signed: format!("{}:{stated_hex}", digest.algorithm()),
                            artifact: digest.clone(),
                        }
                        .into(),
                    });
                }
            }
            match artifact {
                Artifact::Bytes(bytes) => verifier.verify(bytes, &message.signature),
                Artifact::Digest(_) if matches!(key.algorithm(), crate::KeyAlgorithm::Ed25519) => {
                    return Err(Refusal::UnsupportedArtifact {
                        artifact: digest.clone(),
                        source: Reason::Ed25519NeedsBytes.into(),
                    });
                }
                Artifact::Digest(d) => {
                    let bytes = hex_bytes(d.hex());
                    verifier.verify_prehashed(&bytes, &message.signature)
                }
            }
            .map_err(|e| invalid(upstream(e)))
        }
        SignatureContent::DsseEnvelope(envelope) => verifier
            .verify(envelope.pae(), &envelope.signature.sig)
            .map_err(|e| invalid(upstream(e))),
        _ => Err(Refusal::UnsupportedBundle {
            source: Reason::UnknownContent.into(),
        }),
    }
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}
