//! This crate's checks on a cosign simple-signing payload: that it is a container image
//! signature, and of which image.
//!
//! Runs only after the signature over the payload verified, so what it reads is authentic.
//! Parsed leniently (unknown fields and `optional` are ignored), but the two fields that
//! decide what was signed must be present and exact: `critical.type` and
//! `critical.image.docker-manifest-digest`. The latter must equal the image being verified,
//! so a signature copied from another image never counts. `critical.identity.docker-reference`
//! is not checked: images are copied between registries with their signatures, as cosign
//! allows.

use portcullis_image::Digest;
use serde_json::Value;

use crate::refusal::{Reason, Refusal};

/// The only `critical.type` a container image signature has.
pub(crate) const SIGNATURE_TYPE: &str = "cosign container image signature";

/// Checks that `payload` signs the image `image_digest`.
pub(crate) fn check(payload: &[u8], image_digest: &Digest) -> Result<(), Refusal> {
    let malformed = |detail: String| Refusal::MalformedPayload {
        source: Reason::BadPayload { detail }.into(),
    };
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| malformed(format!("is not json: {e}")))?;
    let critical = value
        .get("critical")
        .filter(|c| c.is_object())
        .ok_or_else(|| malformed("has no 'critical' object".to_owned()))?;
    let kind = critical
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("has no 'critical.type' string".to_owned()))?;
    if kind != SIGNATURE_TYPE {
        return Err(Refusal::UnsupportedPayload {
            source: Reason::PayloadType {
                found: kind.to_owned(),
            }
            .into(),
        });
    }
    let claimed = critical
        .get("image")
        .and_then(|image| image.get("docker-manifest-digest"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            malformed("has no 'critical.image.docker-manifest-digest' string".to_owned())
        })?;
    // Exact comparison: a digest is lower-case hex by construction on our side, and cosign
    // writes it so; any other spelling is not the digest we verified.
    if claimed != image_digest.as_str() {
        return Err(Refusal::DigestMismatch {
            artifact: image_digest.clone(),
            source: Reason::PayloadDigest {
                claimed: claimed.to_owned(),
                expected: image_digest.clone(),
            }
            .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:d454b76c23edb9f9abf0541257dc0e92ee9c16df25d4676ec0946f6beae12ef5";

    fn payload(kind: &str, digest: &str) -> Vec<u8> {
        serde_json::json!({
            "critical": {
                "identity": {"docker-reference": "index.docker.io/acme/app"},
                "image": {"docker-manifest-digest": digest},
                "type": kind,
            },
            "optional": {"anything": "goes"},
        })
        .to_string()
        .into_bytes()
    }

    fn digest() -> Digest {
        DIGEST.parse().unwrap()
    }

    #[test]
    fn a_signature_of_this_image_passes() {
        assert!(check(&payload(SIGNATURE_TYPE, DIGEST), &digest()).is_ok());
    }

    #[test]
    fn a_signature_of_another_image_is_a_digest_mismatch() {
        let other = format!("sha256:{}", "0".repeat(64));
        let refusal = check(&payload(SIGNATURE_TYPE, &other), &digest()).unwrap_err();
        assert_eq!(refusal.code(), "digest_mismatch");
        // Upper-case hex is not the digest that was verified either.
        let upper = check(&payload(SIGNATURE_TYPE, &DIGEST.to_uppercase()), &digest());
        assert_eq!(upper.unwrap_err().code(), "digest_mismatch");
    }

    #[test]
    fn another_payload_type_is_unsupported() {
        let refusal = check(
            &payload("cosign container image attestation", DIGEST),
            &digest(),
        )
        .unwrap_err();
        assert_eq!(refusal.code(), "unsupported_payload");
    }

    #[test]
    fn malformed_payloads_are_refused_without_panicking() {
        for bad in [
            &b"not json"[..],
            b"{}",
            br#"{"critical": "x"}"#,
            br#"{"critical": {"type": 1}}"#,
            br#"{"critical": {"type": "cosign container image signature"}}"#,
            br#"{"critical": {"type": "cosign container image signature", "image": {}}}"#,
        ] {
            assert_eq!(
                check(bad, &digest()).unwrap_err().code(),
                "malformed_payload",
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
