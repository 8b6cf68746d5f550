//! OpenPGP commit signatures, checked through gpgme against a GnuPG home: the same engine
//! `git verify-commit` drives.
//!
//! Accepted: exactly one signature, good (`GOODSIG`, key neither expired nor revoked). With
//! an allowlist, the signing key (primary or subkey fingerprint) must be on it: pinning the
//! fingerprint is the trust decision. Without one, the keyring's own trust decides: the
//! signature must be fully valid (`VALID`), as for a key the operator certified or trusts
//! ultimately.

use std::path::Path;
use std::time::SystemTime;

use gpgme::{Context, Protocol, SignatureSummary};

use super::error::VerifyCommitError;

/// What a verified OpenPGP signature says about its signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenPgpSigner {
    pub(crate) fingerprint: String,
    pub(crate) user_id: Option<String>,
    pub(crate) signing_time: Option<SystemTime>,
}

fn gpgme_err(operation: &'static str) -> impl FnOnce(gpgme::Error) -> VerifyCommitError {
    move |e| VerifyCommitError::Gpgme {
        operation,
        source: Box::new(e),
    }
}

/// A fingerprint as compared: hex digits only, upper case.
pub(crate) fn normalize(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Verifies the armoured `signature` over `payload` with the keys in `home` (the default
/// GnuPG home when `None`); `allowed` are normalized fingerprints, empty for "any key the
/// keyring fully trusts".
pub(crate) fn verify(
    signature: &str,
    payload: &[u8],
    home: Option<&Path>,
    allowed: &[String],
) -> Result<OpenPgpSigner, VerifyCommitError> {
    let mut ctx = Context::from_protocol(Protocol::OpenPgp).map_err(gpgme_err("context"))?;
    if let Some(home) = home {
        let home = home.to_str().ok_or_else(|| VerifyCommitError::Gpgme {
            operation: "home directory",
            source: "the GnuPG home path is not UTF-8".into(),
        })?;
        ctx.set_engine_home_dir(home)
            .map_err(gpgme_err("home directory"))?;
    }
    // Key lookups must not reach a keyserver.
    ctx.set_offline(true);
    let result = ctx
        .verify_detached(signature.as_bytes(), payload)
        .map_err(|e| VerifyCommitError::MalformedSignature(format!("OpenPGP: {e}")))?;
    let mut signatures = result.signatures();
    let sig = match (signatures.next(), signatures.next()) {
        (Some(sig), None) => sig,
        (None, _) => {
            return Err(VerifyCommitError::MalformedSignature(
                "no OpenPGP signature".into(),
            ));
        }
        (Some(_), Some(_)) => {
            return Err(VerifyCommitError::MalformedSignature(
                "more than one OpenPGP signature".into(),
            ));
        }
    };
    let fingerprint = normalize(sig.fingerprint().unwrap_or_default());
    let summary = sig.summary();
    if summary.contains(SignatureSummary::KEY_MISSING) {
        return Err(VerifyCommitError::UntrustedKey(format!(
            "no public key {fingerprint} in the GnuPG home"
        )));
    }
    if let Err(e) = sig.status() {
        let why = if summary.contains(SignatureSummary::KEY_REVOKED) {
            "the key is revoked".to_owned()
        } else if summary.contains(SignatureSummary::KEY_EXPIRED) {
            "the key has expired".to_owned()
        } else if summary.contains(SignatureSummary::SIG_EXPIRED) {
            "the signature has expired".to_owned()
        } else {
            e.to_string()
        };
        return Err(VerifyCommitError::BadSignature(format!(
            "OpenPGP signature by {fingerprint}: {why}"
        )));
    }
    if summary.contains(SignatureSummary::RED) {
        return Err(VerifyCommitError::BadSignature(format!(
            "OpenPGP signature by {fingerprint} is marked bad"
        )));
    }
    let key = ctx.get_key(fingerprint.as_str()).ok();
    let primary = key
        .as_ref()
        .and_then(|k| k.fingerprint().ok())
        .map(normalize)
        .unwrap_or_else(|| fingerprint.clone());
    let user_id = key
        .as_ref()
        .and_then(|k| k.user_ids().next())
        .and_then(|u| u.id().ok().map(str::to_owned));
    if allowed.is_empty() {
        if !summary.contains(SignatureSummary::VALID) {
            return Err(VerifyCommitError::UntrustedKey(format!(
                "{primary} made a good signature but the GnuPG home does not fully trust the key \
                 (certify it, or pin its fingerprint with an allowlist)"
            )));
        }
    } else if !allowed.iter().any(|a| *a == primary || *a == fingerprint) {
        return Err(VerifyCommitError::UntrustedKey(format!(
            "{primary} is not in the allowed fingerprints"
        )));
    }
    Ok(OpenPgpSigner {
        fingerprint: primary,
        user_id,
        signing_time: sig.creation_time(),
    })
}
