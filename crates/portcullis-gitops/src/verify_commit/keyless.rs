//! Keyless commit signatures: the Rekor entry Portcullis' keyless signer carries in the CMS
//! signature as an unsigned attribute ([`crate::sign::REKOR_ENTRY_OID`]), checked offline
//! against a Sigstore trusted root (`trusted_root.json`).
//!
//! Checks: the signed entry timestamp (SET) verifies with the key of the log the entry names,
//! a key the trusted root holds for that log at the integrated time, over the canonical JSON
//! of `body`, `integratedTime`, `logID` and `logIndex` (as Rekor and sigstore-js compute it);
//! the body is a `hashedrekord` 0.0.1 whose hash is the SHA-256 of the signed attributes,
//! whose signature is the CMS signature and whose public key is the signer's certificate.
//! The integrated time then stands for the signing time: the certificate chain (to the
//! trusted root's Fulcio CAs) must be valid at it. The inclusion proof is not checked: the
//! SET is the log's promise of inclusion, as in Rekor v1 bundles without a proof.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde_json::Value;
use sigstore_verify::crypto::VerificationKey;
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{LogKeyId, SignatureBytes};
use x509_cert::Certificate;
use x509_cert::der::{Decode as _, Encode as _};

use super::error::VerifyCommitError;

/// How far in the future an integrated time may lie (clock skew).
const FUTURE_SKEW: Duration = Duration::from_secs(300);

/// A loaded trusted root: its Fulcio CA certificates and its Rekor keys.
pub(crate) struct KeylessTrust {
    root: TrustedRoot,
    cas: Vec<Certificate>,
}

impl KeylessTrust {
    /// Parses a `trusted_root.json`.
    pub(crate) fn from_json(json: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(json).map_err(|e| format!("not UTF-8: {e}"))?;
        let root = TrustedRoot::from_json(text).map_err(|e| e.to_string())?;
        let cas = root
            .fulcio_certs()
            .iter()
            .map(|der| Certificate::from_der(der.as_bytes()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        if cas.is_empty() {
            return Err("no certificate authority in it".to_owned());
        }
        Ok(Self { root, cas })
    }

    /// The Fulcio CA certificates.
    pub(crate) fn cas(&self) -> &[Certificate] {
        &self.cas
    }
}

/// Where and when the log recorded the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Logged {
    pub(crate) integrated_time: SystemTime,
    pub(crate) log_index: u64,
}

fn refused(what: impl std::fmt::Display) -> VerifyCommitError {
    VerifyCommitError::TransparencyLog(what.to_string())
}

/// Checks the embedded Rekor `entry` (JSON) against `trust` and the signature it must
/// describe: `signed_attrs_der` signed into `signature` by `leaf`.
pub(crate) fn verify_entry(
    entry: &[u8],
    trust: &KeylessTrust,
    signed_attrs_der: &[u8],
    signature: &[u8],
    leaf: &Certificate,
) -> Result<Logged, VerifyCommitError> {
    let entry: Value =
        serde_json::from_slice(entry).map_err(|e| refused(format!("entry is not JSON: {e}")))?;
    let field = |name: &str| {
        entry
            .get(name)
            .ok_or_else(|| refused(format!("entry has no {name}")))
    };
    let body = field("body")?
        .as_str()
        .ok_or_else(|| refused("body is not a string"))?;
    let integrated = field("integratedTime")?
        .as_u64()
        .ok_or_else(|| refused("integratedTime is not a count of seconds"))?;
    let log_id = field("logID")?
        .as_str()
        .ok_or_else(|| refused("logID is not a string"))?;
    let log_index = field("logIndex")?
        .as_u64()
        .ok_or_else(|| refused("logIndex is not a count"))?;
    let set = entry
        .pointer("/verification/signedEntryTimestamp")
        .and_then(Value::as_str)
        .ok_or_else(|| refused("entry has no verification.signedEntryTimestamp"))?;

    // The SET: the log's signature over the canonical JSON of the four fields (keys sorted,
    // no white space). Only base64 and hex go into the strings, so nothing needs escaping
    // beyond what serde_json does.
    let canonical = format!(
        "{{\"body\":{},\"integratedTime\":{integrated},\"logID\":{},\"logIndex\":{log_index}}}",
        json_string(body),
        json_string(log_id),
    );
    let id_bytes = unhex(log_id).ok_or_else(|| refused("logID is not hex"))?;
    let at = i64::try_from(integrated)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .ok_or_else(|| refused("integratedTime is out of range"))?;
    let key = trust
        .root
        .rekor_key_for_log_at(&LogKeyId::from_bytes(&id_bytes), at)
        .map_err(|e| {
            refused(format!(
                "the trusted root has no key for log {log_id} at {at}: {e}"
            ))
        })?;
    let set = b64(set).ok_or_else(|| refused("signedEntryTimestamp is not base64"))?;
    VerificationKey::from_spki(&key)
        .and_then(|k| k.verify(canonical.as_bytes(), &SignatureBytes::from_bytes(&set)))
        .map_err(|e| refused(format!("the signed entry timestamp does not verify: {e}")))?;

    check_body(body, signed_attrs_der, signature, leaf)?;

    let integrated_time = SystemTime::UNIX_EPOCH + Duration::from_secs(integrated);
    if SystemTime::now()
        .checked_add(FUTURE_SKEW)
        .is_some_and(|limit| integrated_time > limit)
    {
        return Err(VerifyCommitError::SigningTimeInFuture {
            signing_time_unix: integrated,
        });
    }
    Ok(Logged {
        integrated_time,
        log_index,
    })
}

/// The logged body must be the `hashedrekord` of exactly this signature.
fn check_body(
    body: &str,
    signed_attrs_der: &[u8],
    signature: &[u8],
    leaf: &Certificate,
) -> Result<(), VerifyCommitError> {
    let body = b64(body).ok_or_else(|| refused("body is not base64"))?;
    let body: Value =
        serde_json::from_slice(&body).map_err(|e| refused(format!("body is not JSON: {e}")))?;
    let text = |pointer: &str| body.pointer(pointer).and_then(Value::as_str);
    if text("/kind") != Some("hashedrekord") || text("/apiVersion") != Some("0.0.1") {
        return Err(refused("the entry is not a hashedrekord 0.0.1"));
    }
    let digest = sigstore_verify::crypto::sha256(signed_attrs_der);
    if text("/spec/data/hash/algorithm") != Some("sha256")
        || text("/spec/data/hash/value").map(str::to_ascii_lowercase)
            != Some(hex(digest.as_bytes()))
    {
        return Err(refused(
            "the entry's hash is not the SHA-256 of this signature's signed attributes",
        ));
    }
    let logged_sig = text("/spec/signature/content").and_then(b64);
    if logged_sig.as_deref() != Some(signature) {
        return Err(refused("the entry logs another signature"));
    }
    let logged_cert = text("/spec/signature/publicKey/content")
        .and_then(b64)
        .and_then(|pem| crate::sign::pem_certificates(&pem).ok())
        .and_then(|certs| certs.into_iter().next())
        .and_then(|c| c.to_der().ok());
    if logged_cert.is_none() || logged_cert != leaf.to_der().ok() {
        return Err(refused("the entry logs another certificate"));
    }
    Ok(())
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        assert_eq!(unhex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(hex(&[0, 255]), "00ff");
    }

    #[test]
    fn a_trusted_root_without_a_ca_is_refused() {
        let json = br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}"#;
        assert!(KeylessTrust::from_json(json).is_err());
        assert!(KeylessTrust::from_json(b"{").is_err());
    }
}
