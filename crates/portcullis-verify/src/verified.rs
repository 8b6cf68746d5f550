//! What a verified bundle proves: who signed which artifact, and where it was logged.
//!
//! A [`BundleVerified`] only comes out of [`crate::verify_bundle`]: its constructor is private,
//! so holding one means every check of the policy passed.

use std::collections::BTreeMap;

use jiff::Timestamp;
use portcullis_image::Digest;

use crate::key::KeyAlgorithm;

/// Who signed a verified bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signer {
    /// The holder of the policy's public key.
    Key {
        /// The key's algorithm.
        algorithm: KeyAlgorithm,
        /// `sha256:<hex>` of the key's DER SubjectPublicKeyInfo.
        fingerprint: String,
    },
    /// The subject of a Fulcio certificate that chains to the trusted root.
    Certificate {
        /// The certificate's subject alternative name (an email address or a URI such as a
        /// CI workflow reference).
        identity: String,
        /// The OIDC issuer that vouched for the identity (Fulcio's issuer extension).
        issuer: String,
    },
}

impl Signer {
    /// The certificate identity (subject alternative name), for a keyless signature.
    pub fn identity(&self) -> Option<&str> {
        match self {
            Self::Certificate { identity, .. } => Some(identity),
            Self::Key { .. } => None,
        }
    }

    /// The OIDC issuer, for a keyless signature.
    pub fn issuer(&self) -> Option<&str> {
        match self {
            Self::Certificate { issuer, .. } => Some(issuer),
            Self::Key { .. } => None,
        }
    }

    /// The key's fingerprint (`sha256:<hex>` of its DER SubjectPublicKeyInfo), for a
    /// key-based signature.
    pub fn key_fingerprint(&self) -> Option<&str> {
        match self {
            Self::Key { fingerprint, .. } => Some(fingerprint),
            Self::Certificate { .. } => None,
        }
    }
}

/// A bundle that passed every check of its policy.
#[derive(Clone, Debug)]
#[must_use]
pub struct BundleVerified {
    pub(crate) signer: Signer,
    pub(crate) artifact: Digest,
    pub(crate) log_index: Option<u64>,
    pub(crate) integrated_time: Option<Timestamp>,
    pub(crate) signed_times: Vec<Timestamp>,
    pub(crate) predicate_type: Option<String>,
    pub(crate) predicate: Option<serde_json::Value>,
    pub(crate) tlog_verified: bool,
    pub(crate) sct_verified: bool,
    pub(crate) claims: BTreeMap<String, String>,
}

impl BundleVerified {
    /// Who signed.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The certificate identity (subject alternative name), for a keyless bundle.
    pub fn identity(&self) -> Option<&str> {
        self.signer.identity()
    }

    /// The OIDC issuer, for a keyless bundle.
    pub fn issuer(&self) -> Option<&str> {
        self.signer.issuer()
    }

    /// The digest of the artifact the bundle was verified against: the one given, or the
    /// `sha256` of the bytes given.
    pub fn artifact(&self) -> &Digest {
        &self.artifact
    }

    /// The transparency log index of the bundle's entry, as the bundle states it. For a Rekor
    /// v1 entry the signed entry timestamp covers it when present; for Rekor v2 it is the leaf
    /// index the inclusion proof was verified at. `None` only when the log was skipped and
    /// the bundle has no entry.
    pub fn log_index(&self) -> Option<u64> {
        self.log_index
    }

    /// When the Rekor v1 log integrated the entry, authenticated by its signed entry timestamp.
    /// `None` for Rekor v2, which has no integrated time (an RFC 3161 timestamp stands in, see
    /// [`Self::signed_times`]).
    pub fn integrated_time(&self) -> Option<Timestamp> {
        self.integrated_time
    }

    /// Every authenticated signing time the certificate was checked against: RFC 3161
    /// timestamps and the Rekor v1 integrated time. For a key-based bundle, the times that were
    /// verified (a key has no validity window to check them against).
    pub fn signed_times(&self) -> &[Timestamp] {
        &self.signed_times
    }

    /// The in-toto predicate type, for a DSSE attestation bundle (`None` for a plain
    /// message signature).
    pub fn predicate_type(&self) -> Option<&str> {
        self.predicate_type.as_deref()
    }

    /// The in-toto predicate of an attestation, authenticated (`None` for a signature).
    pub fn predicate(&self) -> Option<&serde_json::Value> {
        self.predicate.as_ref()
    }

    /// Whether transparency-log inclusion was verified (always, unless the policy used
    /// [`crate::BundlePolicy::dangerously_skip_tlog`]).
    pub fn tlog_verified(&self) -> bool {
        self.tlog_verified
    }

    /// Whether the certificate's SCT was verified (always for keyless bundles, unless the
    /// policy used [`crate::BundlePolicy::dangerously_skip_sct`]; never for key-based ones,
    /// which have no certificate).
    pub fn sct_verified(&self) -> bool {
        self.sct_verified
    }

    /// The signing certificate's textual extensions, keyed by dotted OID: the Fulcio claims
    /// (`1.3.6.1.4.1.57264.1.*`: issuer, GitHub workflow trigger, commit, repository, ref,
    /// build signer, runner...) and any other extension holding a DER `UTF8String`; see
    /// [`crate::claims`]. Read from the certificate that chained to the trusted root. Empty for
    /// a key-based bundle.
    pub fn claims(&self) -> &BTreeMap<String, String> {
        &self.claims
    }
}
