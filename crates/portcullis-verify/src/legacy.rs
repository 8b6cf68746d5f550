//! Legacy cosign signatures: one layer of the OCI manifest cosign stores at tag
//! `sha256-<hex>.sig`, verified through the same code path as a Sigstore bundle.
//!
//! A layer is the simple-signing payload (the layer blob, exact bytes) plus annotations:
//! the signature over the payload, the signing certificate and its chain, cosign's Rekor
//! bundle (signed entry timestamp and entry body) and an optional RFC 3161 timestamp. The
//! adapter turns them into a Sigstore bundle v0.1 (message signature, the leaf certificate or
//! a public-key hint, one log entry with its inclusion promise, the timestamp) and hands that
//! to [`crate::bundle`], so the SET, the entry's binding to this signature, payload and
//! certificate, the Fulcio chain at the integrated time and the SCT are checked exactly as for
//! a bundle. The payload is then checked by [`crate::simple_signing`]: it must sign this image.
//!
//! The `dev.sigstore.cosign/chain` annotation is never used: it is untrusted input, and the
//! path is built to the trusted root's authorities only. A caller must hand in one layer at a
//! time; which layers exist is the registry crate's business.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portcullis_image::Digest;
use serde_json::{Value, json};
use sigstore_verify::types::{DerCertificate, SignatureBytes};

use crate::artifact::Artifact;
use crate::bundle;
use crate::policy::BundlePolicy;
use crate::refusal::{Reason, Refusal};
use crate::simple_signing;
use crate::trust_root::TrustRoot;
use crate::verified::BundleVerified;

/// `dev.cosignproject.cosign/signature`: base64 signature over the payload bytes.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// `dev.sigstore.cosign/certificate`: the PEM signing certificate (keyless).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// `dev.sigstore.cosign/chain`: PEM intermediates and root. Untrusted; never used.
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// `dev.sigstore.cosign/bundle`: cosign's Rekor bundle (signed entry timestamp and entry).
pub const REKOR_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// `dev.sigstore.cosign/rfc3161timestamp`: `{"SignedRFC3161Timestamp": "<base64 DER>"}`.
pub const TIMESTAMP_ANNOTATION: &str = "dev.sigstore.cosign/rfc3161timestamp";

/// Verifies one legacy cosign signature layer for the image `image_digest`.
///
/// `payload` is the layer's blob (the simple-signing JSON, exact bytes) and `annotations`
/// the layer's annotations. Succeeds only if the signature verifies under `policy` against
/// `trust` (with transparency-log and SCT evidence unless a [`crate::danger`] switch lifted
/// it) and the signed payload is a container image signature of `image_digest`. Never panics
/// on any input.
pub fn verify_legacy_signature(
    payload: &[u8],
    annotations: &BTreeMap<String, String>,
    image_digest: &Digest,
    policy: &BundlePolicy,
    trust: &TrustRoot,
) -> Result<BundleVerified, Refusal> {
    let outcome = verify(payload, annotations, image_digest, policy, trust);
    match &outcome {
        Ok(verified) => tracing::debug!(
            image = %image_digest,
            identity = verified.identity().unwrap_or("(key)"),
            log_index = verified.log_index(),
            "legacy signature verified"
        ),
        Err(refusal) => tracing::debug!(
            image = %image_digest,
            code = refusal.code(),
            "legacy signature refused"
        ),
    }
    outcome
}

fn verify(
    payload: &[u8],
    annotations: &BTreeMap<String, String>,
    image_digest: &Digest,
    policy: &BundlePolicy,
    trust: &TrustRoot,
) -> Result<BundleVerified, Refusal> {
    let layer = Layer::parse(annotations)?;
    let artifact = Artifact::Bytes(payload.to_vec());
    // A key signature in no log reaches the bundle path's unlogged check (when the policy
    // waives the log) like any other bundle.
    let bundle_json = layer.to_bundle(payload)?;
    let mut verified = bundle::verify(&bundle_json, &artifact, &artifact.digest(), policy, trust)?;
    // What was signed: authenticated now.
    simple_signing::check(payload, image_digest)?;
    verified.artifact = image_digest.clone();
    Ok(verified)
}

/// The annotations of one layer, decoded.
#[derive(Debug)]
struct Layer {
    signature: SignatureBytes,
    material: Material,
}

/// What the annotations of a `.sig` or `.att` layer say besides the signature: the signing
/// certificate, cosign's Rekor bundle and an RFC 3161 timestamp.
#[derive(Debug)]
pub(crate) struct Material {
    certificate: Option<DerCertificate>,
    rekor: Option<RekorBundle>,
    timestamp: Option<String>,
}

/// Rekor entry kinds a `.sig` layer's bundle may hold.
const SIGNATURE_ENTRY_KINDS: &[(&str, &str)] = &[("hashedrekord", "0.0.1")];

/// cosign's Rekor bundle annotation: `{"SignedEntryTimestamp", "Payload": {"body",
/// "integratedTime", "logIndex", "logID"}}`.
#[derive(Debug)]
struct RekorBundle {
    signed_entry_timestamp: String,
    body: String,
    kind: String,
    version: String,
    integrated_time: i64,
    log_index: i64,
    log_id: Vec<u8>,
}

fn bad(key: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal::MalformedSignature {
        source: Reason::BadAnnotation {
            key,
            detail: detail.into(),
        }
        .into(),
    }
}

impl Layer {
    fn parse(annotations: &BTreeMap<String, String>) -> Result<Self, Refusal> {
        let signature =
            annotations
                .get(SIGNATURE_ANNOTATION)
                .ok_or(Refusal::MalformedSignature {
                    source: Reason::MissingAnnotation {
                        key: SIGNATURE_ANNOTATION,
                    }
                    .into(),
                })?;
        let signature = STANDARD
            .decode(signature.trim())
            .map_err(|e| bad(SIGNATURE_ANNOTATION, format!("not base64: {e}")))?;
        if signature.is_empty() {
            return Err(bad(SIGNATURE_ANNOTATION, "empty"));
        }
        Ok(Self {
            signature: SignatureBytes::new(signature),
            material: Material::parse(annotations, SIGNATURE_ENTRY_KINDS)?,
        })
    }

    /// The Sigstore bundle v0.1 carrying the same evidence.
    fn to_bundle(&self, payload: &[u8]) -> Result<Vec<u8>, Refusal> {
        let digest = sigstore_verify::crypto::sha256(payload);
        self.material.bundle(
            "messageSignature",
            json!({
                "messageDigest": {
                    "algorithm": "SHA2_256",
                    "digest": STANDARD.encode(digest.as_slice()),
                },
                "signature": STANDARD.encode(self.signature.as_bytes()),
            }),
        )
    }
}

impl Material {
    /// The certificate, Rekor bundle (of one of the `accepted` entry kinds) and timestamp
    /// annotations, each optional.
    pub(crate) fn parse(
        annotations: &BTreeMap<String, String>,
        accepted: &[(&str, &str)],
    ) -> Result<Self, Refusal> {
        let certificate = annotations
            .get(CERTIFICATE_ANNOTATION)
            .filter(|pem| !pem.trim().is_empty())
            .map(|pem| {
                DerCertificate::from_pem(pem)
                    .map_err(|e| bad(CERTIFICATE_ANNOTATION, e.to_string()))
            })
            .transpose()?;
        let rekor = annotations
            .get(REKOR_BUNDLE_ANNOTATION)
            .map(|json| RekorBundle::parse(json, accepted))
            .transpose()?;
        let timestamp = annotations
            .get(TIMESTAMP_ANNOTATION)
            .map(|json| parse_timestamp(json))
            .transpose()?;
        Ok(Self {
            certificate,
            rekor,
            timestamp,
        })
    }

    /// The Sigstore bundle v0.1 of this material and `content` (a `messageSignature` or a
    /// `dsseEnvelope`, named by `kind`), as JSON bytes.
    pub(crate) fn bundle(&self, kind: &str, content: Value) -> Result<Vec<u8>, Refusal> {
        let mut bundle = serde_json::Map::new();
        bundle.insert(
            "mediaType".to_owned(),
            Value::from("application/vnd.dev.sigstore.bundle+json;version=0.1"),
        );
        bundle.insert(
            "verificationMaterial".to_owned(),
            Value::Object(self.verification_material()),
        );
        bundle.insert(kind.to_owned(), content);
        serde_json::to_vec(&Value::Object(bundle))
            .map_err(|e| bad(REKOR_BUNDLE_ANNOTATION, e.to_string()))
    }

    /// A bundle's `verificationMaterial`: the leaf certificate or a public-key hint, the log
    /// entry with its inclusion promise, the timestamp.
    fn verification_material(&self) -> serde_json::Map<String, Value> {
        let material = match &self.certificate {
            Some(certificate) => json!({
                "x509CertificateChain": {
                    "certificates": [{"rawBytes": STANDARD.encode(certificate.as_bytes())}]
                }
            }),
            None => json!({"publicKey": {"hint": ""}}),
        };
        let mut material = match material {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let entries: Vec<Value> = self
            .rekor
            .iter()
            .map(|rekor| {
                json!({
                    "logIndex": rekor.log_index.to_string(),
                    "logId": {"keyId": STANDARD.encode(&rekor.log_id)},
                    "kindVersion": {"kind": rekor.kind, "version": rekor.version},
                    "integratedTime": rekor.integrated_time.to_string(),
                    "inclusionPromise": {"signedEntryTimestamp": rekor.signed_entry_timestamp},
                    "canonicalizedBody": rekor.body,
                })
            })
            .collect();
        material.insert("tlogEntries".to_owned(), Value::Array(entries));
        if let Some(timestamp) = &self.timestamp {
            material.insert(
                "timestampVerificationData".to_owned(),
                json!({"rfc3161Timestamps": [{"signedTimestamp": timestamp}]}),
            );
        }
        material
    }
}

impl RekorBundle {
    fn parse(json: &str, accepted: &[(&str, &str)]) -> Result<Self, Refusal> {
        const KEY: &str = REKOR_BUNDLE_ANNOTATION;
        let value: Value =
            serde_json::from_str(json).map_err(|e| bad(KEY, format!("not json: {e}")))?;
        let field = |name: &str| -> Result<&Value, Refusal> {
            value
                .get("Payload")
                .and_then(|p| p.get(name))
                .ok_or_else(|| bad(KEY, format!("no Payload.{name}")))
        };
        let signed_entry_timestamp = value
            .get("SignedEntryTimestamp")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(KEY, "no SignedEntryTimestamp string"))?
            .to_owned();
        let body = field("body")?
            .as_str()
            .ok_or_else(|| bad(KEY, "Payload.body is not a string"))?
            .to_owned();
        let integrated_time = field("integratedTime")?
            .as_i64()
            .ok_or_else(|| bad(KEY, "Payload.integratedTime is not an integer"))?;
        let log_index = field("logIndex")?
            .as_i64()
            .filter(|i| *i >= 0)
            .ok_or_else(|| bad(KEY, "Payload.logIndex is not a non-negative integer"))?;
        let log_id = field("logID")?
            .as_str()
            .and_then(decode_hex)
            .ok_or_else(|| bad(KEY, "Payload.logID is not hex"))?;
        let decoded = STANDARD
            .decode(&body)
            .map_err(|e| bad(KEY, format!("Payload.body is not base64: {e}")))?;
        let entry: Value = serde_json::from_slice(&decoded)
            .map_err(|e| bad(KEY, format!("Payload.body is not json: {e}")))?;
        let kind = entry
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let version = entry
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !accepted.contains(&(kind, version)) {
            return Err(Refusal::UnsupportedBundle {
                source: Reason::UnsupportedLogEntryKind {
                    kind: kind.to_owned(),
                    version: version.to_owned(),
                }
                .into(),
            });
        }
        Ok(Self {
            signed_entry_timestamp,
            body,
            kind: kind.to_owned(),
            version: version.to_owned(),
            integrated_time,
            log_index,
            log_id,
        })
    }
}

fn parse_timestamp(json: &str) -> Result<String, Refusal> {
    const KEY: &str = TIMESTAMP_ANNOTATION;
    let value: Value =
        serde_json::from_str(json).map_err(|e| bad(KEY, format!("not json: {e}")))?;
    let timestamp = value
        .get("SignedRFC3161Timestamp")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(KEY, "no SignedRFC3161Timestamp string"))?;
    STANDARD
        .decode(timestamp)
        .map_err(|e| bad(KEY, format!("not base64: {e}")))?;
    Ok(timestamp.to_owned())
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes_pairs_and_refuses_odd_or_non_hex() {
        assert_eq!(decode_hex("c0d2"), Some(vec![0xc0, 0xd2]));
        assert_eq!(decode_hex("c0d"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex(""), None);
    }

    #[test]
    fn a_layer_without_signature_is_refused_by_name() {
        let refusal = Layer::parse(&BTreeMap::new()).unwrap_err();
        assert_eq!(refusal.code(), "malformed_signature");
        let detail = std::error::Error::source(&refusal).unwrap().to_string();
        assert!(detail.contains(SIGNATURE_ANNOTATION), "{detail}");
    }

    #[test]
    fn a_rekord_entry_is_refused_as_unsupported() {
        let body = STANDARD.encode(br#"{"apiVersion":"0.0.1","kind":"rekord","spec":{}}"#);
        let json = format!(
            r#"{{"SignedEntryTimestamp":"AA==","Payload":{{"body":"{body}","integratedTime":1,"logIndex":1,"logID":"00"}}}}"#
        );
        let refusal = RekorBundle::parse(&json, SIGNATURE_ENTRY_KINDS).unwrap_err();
        assert_eq!(refusal.code(), "unsupported_bundle");
        let detail = std::error::Error::source(&refusal).unwrap().to_string();
        assert!(detail.contains("rekord 0.0.1 is not supported"), "{detail}");
    }
}
