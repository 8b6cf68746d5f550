//! Signing an image as cosign does, with a key or with a certificate from the test CA, in the
//! two layouts a registry holds signatures in: a legacy `.sig` layer (simple-signing payload
//! plus annotations) and a Sigstore bundle v0.3 (message signature over the image digest),
//! each logged in the Rekor-like log unless told otherwise.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde_json::{Value, json};
use sigstore_verify::crypto::sha256;

use crate::ca::LeafSpec;
use crate::encoding::{hex, pem};
use crate::error::TestSignError;
use crate::key::SigningKey;
use crate::log::LogEntry;
use crate::trusted_root::TestSigstore;
use crate::{CertificateAuthority, TransparencyLog};

/// Who signs: a long-lived key (`cosign sign --key`), or an ephemeral key with a leaf
/// certificate (keyless).
#[derive(Debug)]
pub enum Signer {
    /// Key-based.
    Key(SigningKey),
    /// Keyless: the ephemeral key and its certificate (DER).
    Keyless {
        /// The ephemeral key.
        key: SigningKey,
        /// The leaf certificate, DER.
        certificate: Vec<u8>,
    },
}

/// How a signature is made beyond who signs it.
#[derive(Clone, Debug)]
pub struct SigningOptions {
    /// Log the signature in the Rekor-like log (default); without, there is no log evidence.
    pub log: bool,
    /// The integrated time to log at (default: now).
    pub integrated_time: Option<Timestamp>,
}

impl Default for SigningOptions {
    fn default() -> Self {
        Self {
            log: true,
            integrated_time: None,
        }
    }
}

/// One layer of a cosign `.sig` manifest: the payload blob and the layer's annotations.
#[derive(Clone, Debug)]
pub struct LegacyLayer {
    /// The simple-signing payload, exact bytes.
    pub payload: Vec<u8>,
    /// The layer annotations (`dev.cosignproject.cosign/signature`, ...).
    pub annotations: BTreeMap<String, String>,
}

impl Signer {
    /// The public key PEM of a key signer, or the certificate PEM of a keyless one: what a
    /// `hashedrekord` entry records as the verifier.
    pub fn verifier_pem(&self) -> String {
        match self {
            Signer::Key(key) => key.public_key_pem(),
            Signer::Keyless { certificate, .. } => pem("CERTIFICATE", certificate),
        }
    }

    pub(crate) fn key(&self) -> &SigningKey {
        match self {
            Signer::Key(key) | Signer::Keyless { key, .. } => key,
        }
    }
}

impl TestSigstore {
    /// A key signer with a fresh key.
    pub fn key_signer(&self) -> Result<Signer, TestSignError> {
        Ok(Signer::Key(SigningKey::generate()?))
    }

    /// A keyless signer whose certificate this instance's CA issues as `spec` says.
    pub fn keyless_signer(&self, spec: &LeafSpec) -> Result<Signer, TestSignError> {
        issue(&self.ca, &self.ct_log, spec)
    }

    /// A keyless signer whose certificate `ca` issues (a CA this instance does not trust),
    /// with an SCT from this instance's CT log.
    pub fn keyless_signer_from(
        &self,
        ca: &CertificateAuthority,
        spec: &LeafSpec,
    ) -> Result<Signer, TestSignError> {
        issue(ca, &self.ct_log, spec)
    }

    /// Signs the image `image_digest` (`sha256:<hex>`) known as `reference` in cosign's legacy
    /// layout.
    pub fn legacy_layer(
        &self,
        signer: &Signer,
        reference: &str,
        image_digest: &str,
        options: &SigningOptions,
    ) -> Result<LegacyLayer, TestSignError> {
        let payload = serde_json::to_vec(&json!({
            "critical": {
                "identity": {"docker-reference": reference},
                "image": {"docker-manifest-digest": image_digest},
                "type": "cosign container image signature",
            },
            "optional": null,
        }))?;
        self.legacy_layer_for_payload(signer, payload, options)
    }

    /// Signs an arbitrary simple-signing `payload` in the legacy layout (for payloads that
    /// name another image, another type, or are not JSON at all).
    pub fn legacy_layer_for_payload(
        &self,
        signer: &Signer,
        payload: Vec<u8>,
        options: &SigningOptions,
    ) -> Result<LegacyLayer, TestSignError> {
        let signature = signer.key().sign(&payload)?;
        let mut annotations = self.layer_annotations(signer, STANDARD.encode(&signature));
        if options.log {
            let digest = sha256(&payload);
            let entry = self.log_hashedrekord(signer, digest.as_bytes(), &signature, options)?;
            annotations.insert(
                "dev.sigstore.cosign/bundle".to_owned(),
                cosign_bundle_annotation(&entry)?,
            );
        }
        Ok(LegacyLayer {
            payload,
            annotations,
        })
    }

    /// A cosign layer's annotations: `signature` and, for a keyless signer, its certificate
    /// and the CA chain.
    pub(crate) fn layer_annotations(
        &self,
        signer: &Signer,
        signature: String,
    ) -> BTreeMap<String, String> {
        let mut annotations = BTreeMap::new();
        annotations.insert("dev.cosignproject.cosign/signature".to_owned(), signature);
        if let Signer::Keyless { certificate, .. } = signer {
            annotations.insert(
                "dev.sigstore.cosign/certificate".to_owned(),
                pem("CERTIFICATE", certificate),
            );
            annotations.insert(
                "dev.sigstore.cosign/chain".to_owned(),
                self.ca.certificate_pem(),
            );
        }
        annotations
    }

    /// Signs the image `image_digest` (`sha256:<hex>`) as a Sigstore bundle v0.3 with a
    /// message signature over the digest, logged with inclusion proof, checkpoint and SET.
    pub fn message_bundle(
        &self,
        signer: &Signer,
        image_digest: &str,
        options: &SigningOptions,
    ) -> Result<Vec<u8>, TestSignError> {
        let digest = digest_bytes(image_digest)?;
        let signature = signer.key().sign_digest(&digest)?;
        let mut material = serde_json::Map::new();
        match signer {
            Signer::Key(_) => {
                material.insert("publicKey".to_owned(), json!({"hint": ""}));
            }
            Signer::Keyless { certificate, .. } => {
                material.insert(
                    "certificate".to_owned(),
                    json!({"rawBytes": STANDARD.encode(certificate)}),
                );
            }
        }
        let mut entries = Vec::new();
        if options.log {
            let entry = self.log_hashedrekord(signer, &digest, &signature, options)?;
            entries.push(bundle_entry(&entry, "hashedrekord"));
        }
        material.insert("tlogEntries".to_owned(), Value::Array(entries));
        let bundle = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": material,
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": STANDARD.encode(digest)},
                "signature": STANDARD.encode(&signature),
            },
        });
        Ok(serde_json::to_vec_pretty(&bundle)?)
    }

    fn log_hashedrekord(
        &self,
        signer: &Signer,
        digest: &[u8],
        signature: &[u8],
        options: &SigningOptions,
    ) -> Result<LogEntry, TestSignError> {
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex(digest)}},
                "signature": {
                    "content": STANDARD.encode(signature),
                    "publicKey": {"content": STANDARD.encode(signer.verifier_pem())},
                },
            },
        }))?;
        let time = options.integrated_time.unwrap_or_else(Timestamp::now);
        self.rekor.integrate(&body, time.as_second())
    }
}

/// cosign's `dev.sigstore.cosign/bundle` annotation for a log entry: the SET and the entry.
pub(crate) fn cosign_bundle_annotation(entry: &LogEntry) -> Result<String, TestSignError> {
    Ok(serde_json::to_string(&json!({
        "SignedEntryTimestamp": STANDARD.encode(&entry.signed_entry_timestamp),
        "Payload": {
            "body": STANDARD.encode(&entry.body),
            "integratedTime": entry.integrated_time,
            "logIndex": entry.log_index,
            "logID": hex(&entry.log_id),
        },
    }))?)
}

fn issue(
    ca: &CertificateAuthority,
    ct_log: &TransparencyLog,
    spec: &LeafSpec,
) -> Result<Signer, TestSignError> {
    let key = SigningKey::generate()?;
    let certificate = ca.issue(key.spki_der(), spec, ct_log)?;
    Ok(Signer::Keyless { key, certificate })
}

fn bundle_entry(entry: &LogEntry, kind: &str) -> Value {
    json!({
        "logIndex": entry.log_index.to_string(),
        "logId": {"keyId": STANDARD.encode(entry.log_id)},
        "kindVersion": {"kind": kind, "version": "0.0.1"},
        "integratedTime": entry.integrated_time.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": STANDARD.encode(&entry.signed_entry_timestamp)},
        "inclusionProof": {
            "logIndex": entry.log_index.to_string(),
            "rootHash": STANDARD.encode(entry.root_hash),
            "treeSize": entry.tree_size.to_string(),
            "hashes": entry.hashes.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
            "checkpoint": {"envelope": entry.checkpoint},
        },
        "canonicalizedBody": STANDARD.encode(&entry.body),
    })
}

/// The 32 bytes of a `sha256:<hex>` digest.
fn digest_bytes(digest: &str) -> Result<[u8; 32], TestSignError> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64)
        .ok_or_else(|| TestSignError::Der(format!("{digest} is not a sha256 digest")))?;
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .map_err(|_| TestSignError::Der(format!("{digest} is not hex")))?;
    }
    Ok(out)
}
