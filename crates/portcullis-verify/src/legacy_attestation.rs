//! Legacy cosign attestations: one layer of the OCI manifest cosign stores at tag
//! `sha256-<hex>.att` (`cosign attest` without the bundle format), verified through the same
//! path as an attestation bundle.
//!
//! A layer is a DSSE envelope (the layer blob: `payloadType`, base64 `payload`, one
//! signature) plus the annotations a `.sig` layer carries (the signing certificate, cosign's
//! Rekor bundle with an `intoto` 0.0.2 or `dsse` 0.0.1 entry, an RFC 3161 timestamp; the
//! signature annotation is empty, the signature being in the envelope). The adapter builds a
//! Sigstore bundle v0.1 holding the envelope and hands it to [`crate::image_bundle`], so the
//! signature over the DSSE encoding, the entry's binding to it, the SET, the chain at the
//! integrated time, the in-toto subject (this image) and the predicate type are checked as
//! for any attestation bundle.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portcullis_image::Digest;
use serde_json::{Value, json};

use crate::image_bundle::{Expectation, verify_image_bundle};
use crate::legacy::Material;
use crate::policy::BundlePolicy;
use crate::refusal::{Reason, Refusal};
use crate::trust_root::TrustRoot;
use crate::verified::BundleVerified;

/// Rekor entry kinds a `.att` layer's bundle may hold: what cosign logs for an attestation.
const ATTESTATION_ENTRY_KINDS: &[(&str, &str)] = &[("intoto", "0.0.2"), ("dsse", "0.0.1")];

/// Verifies one legacy cosign attestation layer for the image `image_digest`.
///
/// `envelope` is the layer's blob (the DSSE envelope JSON) and `annotations` the layer's
/// annotations. Succeeds only if the envelope's signature verifies under `policy` against
/// `trust` (with transparency-log and SCT evidence unless a [`crate::danger`] switch lifted
/// it), the in-toto statement names `image_digest` as a subject, and it is what `expect` asks
/// for. Never panics on any input.
pub fn verify_legacy_attestation(
    envelope: &[u8],
    annotations: &BTreeMap<String, String>,
    image_digest: &Digest,
    expect: &Expectation,
    policy: &BundlePolicy,
    trust: &TrustRoot,
) -> Result<BundleVerified, Refusal> {
    let envelope = dsse_envelope(envelope)?;
    let material = Material::parse(annotations, ATTESTATION_ENTRY_KINDS)?;
    let bundle = material.bundle("dsseEnvelope", envelope)?;
    let outcome = verify_image_bundle(&bundle, image_digest, expect, policy, trust);
    match &outcome {
        Ok(v) => tracing::debug!(image = %image_digest, predicate = v.predicate_type(),
            "legacy attestation verified"),
        Err(r) => tracing::debug!(image = %image_digest, code = r.code(),
            "legacy attestation refused"),
    }
    outcome
}

fn bad(detail: impl Into<String>) -> Refusal {
    Refusal::MalformedSignature {
        source: Reason::BadEnvelope {
            detail: detail.into(),
        }
        .into(),
    }
}

/// The envelope as a bundle's `dsseEnvelope`: its payload type, base64 payload and its one
/// signature (cosign writes one per layer; more would be ambiguous about who signed).
fn dsse_envelope(bytes: &[u8]) -> Result<Value, Refusal> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not json: {e}")))?;
    let text = |name: &str| -> Result<String, Refusal> {
        value
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad(format!("no '{name}' string")))
    };
    let payload_type = text("payloadType")?;
    let payload = text("payload")?;
    STANDARD
        .decode(&payload)
        .map_err(|e| bad(format!("payload is not base64: {e}")))?;
    let signatures = value
        .get("signatures")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no 'signatures' list"))?;
    let [signature] = signatures.as_slice() else {
        return Err(bad(format!("{} signatures", signatures.len())));
    };
    let sig = signature
        .get("sig")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("the signature has no 'sig'"))?;
    STANDARD
        .decode(sig)
        .map_err(|e| bad(format!("sig is not base64: {e}")))?;
    let keyid = signature
        .get("keyid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(json!({
        "payload": payload,
        "payloadType": payload_type,
        "signatures": [{"sig": sig, "keyid": keyid}],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_read_strictly() {
        let ok = br#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"MEUC"}]}"#;
        let v = dsse_envelope(ok).unwrap();
        assert_eq!(v["signatures"][0]["sig"], "MEUC");
        for bad_envelope in [
            &b"not json"[..],
            br#"{"payload":"e30=","signatures":[{"sig":"MEUC"}]}"#,
            br#"{"payloadType":"t","payload":"!!","signatures":[{"sig":"MEUC"}]}"#,
            br#"{"payloadType":"t","payload":"e30=","signatures":[]}"#,
            br#"{"payloadType":"t","payload":"e30=","signatures":[{"sig":"MEUC"},{"sig":"MEUC"}]}"#,
            br#"{"payloadType":"t","payload":"e30=","signatures":[{"sig":""}]}"#,
        ] {
            let refusal = dsse_envelope(bad_envelope).unwrap_err();
            assert_eq!(refusal.code(), "malformed_signature");
        }
    }
}
