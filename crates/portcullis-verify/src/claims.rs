//! Fulcio certificate extension claims: what the signing certificate says about the build
//! that requested it (repository, commit, workflow, trigger...), keyed by extension OID.
//!
//! Fulcio records these under the arc `1.3.6.1.4.1.57264.1`. The deprecated GitHub workflow
//! extensions `.1.1` to `.1.6` hold the value's raw UTF-8 bytes; everything from `.1.8` on
//! holds a DER `UTF8String`. Any other extension is read only when it holds a DER
//! `UTF8String`, so standard X.509 extensions (sequences, bit strings) never show up as text.
//!
//! Claims are read from the leaf certificate only after the upstream verifier has checked its
//! chain to a trusted Fulcio authority: they are what that authority vouched for.

use std::collections::BTreeMap;

use x509_cert::der::Decode;
use x509_cert::der::asn1::{ObjectIdentifier, Utf8StringRef};

/// The Fulcio extension arc; its direct children are the claims.
pub const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1";
const ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap(FULCIO_ARC);
/// The GitHub workflow trigger (`push`, `workflow_dispatch`...); cosign's
/// `--certificate-github-workflow-trigger`. Deprecated by Fulcio in favour of `.1.20`.
pub const GITHUB_WORKFLOW_TRIGGER: &str = "1.3.6.1.4.1.57264.1.2";
/// The commit the GitHub workflow ran at; cosign's `--certificate-github-workflow-sha`.
pub const GITHUB_WORKFLOW_SHA: &str = "1.3.6.1.4.1.57264.1.3";
/// The GitHub workflow's name; cosign's `--certificate-github-workflow-name`.
pub const GITHUB_WORKFLOW_NAME: &str = "1.3.6.1.4.1.57264.1.4";
/// The `owner/name` repository the GitHub workflow ran in; cosign's
/// `--certificate-github-workflow-repository`.
pub const GITHUB_WORKFLOW_REPOSITORY: &str = "1.3.6.1.4.1.57264.1.5";
/// The Git ref the GitHub workflow ran for (`refs/heads/main`); cosign's
/// `--certificate-github-workflow-ref`.
pub const GITHUB_WORKFLOW_REF: &str = "1.3.6.1.4.1.57264.1.6";

/// A readable name for the Fulcio claims the CLI exposes by name, for messages.
pub(crate) fn name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        GITHUB_WORKFLOW_TRIGGER => "github-workflow-trigger",
        GITHUB_WORKFLOW_SHA => "github-workflow-sha",
        GITHUB_WORKFLOW_NAME => "github-workflow-name",
        GITHUB_WORKFLOW_REPOSITORY => "github-workflow-repository",
        GITHUB_WORKFLOW_REF => "github-workflow-ref",
        _ => return None,
    })
}

/// `name (oid)` for a named claim, the OID alone otherwise.
pub(crate) fn describe(oid: &str) -> String {
    match name(oid) {
        Some(name) => format!("{name} ({oid})"),
        None => oid.to_owned(),
    }
}

/// The textual extensions of a DER certificate, keyed by dotted OID (Fulcio's legacy raw
/// values and DER strings alike). Extensions whose value cannot be read as text are left
/// out; a certificate that cannot be parsed has none. The certificate is not verified here:
/// read only one whose chain was.
pub fn read(certificate_der: &[u8]) -> BTreeMap<String, String> {
    let mut claims = BTreeMap::new();
    let Ok(certificate) = x509_cert::Certificate::from_der(certificate_der) else {
        return claims;
    };
    for extension in certificate.tbs_certificate.extensions.iter().flatten() {
        let bytes = extension.extn_value.as_bytes();
        let legacy = extension.extn_id.parent() == Some(ARC)
            && extension
                .extn_id
                .arc(ARC.len())
                .is_some_and(|n| (1..=6).contains(&n));
        let value = if legacy {
            // A DER UTF8String is accepted too: no legacy value starts with its tag byte.
            der_string(bytes).or_else(|| std::str::from_utf8(bytes).ok().map(str::to_owned))
        } else {
            der_string(bytes)
        };
        if let Some(value) = value {
            claims.insert(extension.extn_id.to_string(), value);
        }
    }
    claims
}

fn der_string(bytes: &[u8]) -> Option<String> {
    Utf8StringRef::from_der(bytes)
        .ok()
        .map(|value| value.as_str().to_owned())
}

/// The canonical dotted form of `oid`, if it is a valid object identifier.
pub(crate) fn canonical_oid(oid: &str) -> Option<String> {
    ObjectIdentifier::new(oid.trim())
        .ok()
        .map(|o| o.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_are_canonicalised_and_checked() {
        assert_eq!(
            canonical_oid("1.3.6.1.4.1.57264.1.5").as_deref(),
            Some(GITHUB_WORKFLOW_REPOSITORY)
        );
        assert_eq!(canonical_oid("not-an-oid"), None);
        assert_eq!(canonical_oid(""), None);
    }

    #[test]
    fn garbage_has_no_claims() {
        assert!(read(b"not a certificate").is_empty());
    }

    #[test]
    fn named_claims_are_described_with_their_oid() {
        assert_eq!(
            describe(GITHUB_WORKFLOW_REF),
            "github-workflow-ref (1.3.6.1.4.1.57264.1.6)"
        );
        assert_eq!(describe("1.2.3"), "1.2.3");
    }
}
