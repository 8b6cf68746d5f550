//! Why a commit did not verify: a refusal (the commit is not what it should be) or an input
//! error (the repository, the revision or the trust material could not be used).

use std::path::PathBuf;

/// The underlying cause from a backend library, kept opaque.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A commit could not be verified. [`VerifyCommitError::is_rejection`] tells a refused
/// commit from an input error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyCommitError {
    /// git could not be run.
    #[error("cannot run git in {repo}")]
    Git {
        /// The repository.
        repo: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The revision does not name a commit.
    #[error("'{rev}' is not a commit: {detail}")]
    NotACommit {
        /// The revision asked for.
        rev: String,
        /// What git said.
        detail: String,
    },
    /// The trusted CA file could not be read or holds no certificate.
    #[error("cannot use {path} as the trusted CA certificates: {detail}")]
    TrustedCa {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The commit is X.509-signed but no trusted CA was given.
    #[error("the commit has an X.509 signature: give the trusted CA certificates (--ca)")]
    NoTrustedCa,
    /// The trusted root file could not be read or used.
    #[error("cannot use {path} as the trusted root: {detail}")]
    TrustedRoot {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The commit is keyless-signed but no trusted root was given.
    #[error(
        "the commit has a keyless signature (with a Rekor entry): give the Sigstore trusted root (--trusted-root)"
    )]
    NoTrustedRoot,
    /// The OpenPGP engine could not be set up.
    #[error("GnuPG: {operation}")]
    Gpgme {
        /// What was being done.
        operation: &'static str,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A keyless signature, and no identity to hold it to.
    #[error(
        "the commit has a keyless signature: say who may sign (--certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp])"
    )]
    NoIdentity,
    /// A keyless signer that is not an allowed identity.
    #[error("keyless signer '{identity}' from '{issuer}' is not an allowed identity")]
    IdentityMismatch {
        /// The certificate identity.
        identity: String,
        /// The OIDC issuer.
        issuer: String,
    },
    /// The commit has no signature header.
    #[error("the commit is not signed (no gpgsig header)")]
    Unsigned,
    /// The commit object is not one git would write.
    #[error("malformed commit object: {0}")]
    MalformedCommit(String),
    /// The signature header holds neither an OpenPGP nor an X.509 signature.
    #[error("unknown signature format: {0}")]
    UnknownFormat(String),
    /// The signature could not be parsed, or lacks what a commit signature needs.
    #[error("malformed signature: {0}")]
    MalformedSignature(String),
    /// The signed message digest is not the digest of the commit: the commit was changed.
    #[error(
        "message digest mismatch: the signature covers other content than this commit (sha256 signed {signed}, commit {actual})"
    )]
    DigestMismatch {
        /// The digest in the signed attributes, hex.
        signed: String,
        /// The digest of the commit payload, hex.
        actual: String,
    },
    /// The signature does not verify with the signer's key.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// The signer certificate does not chain to a trusted CA.
    #[error("untrusted CA: {0}")]
    UntrustedCa(String),
    /// A certificate of the chain was not valid when the commit was signed.
    #[error(
        "certificate '{subject}' was not valid at the signing time {signing_time_unix} (valid from {not_before_unix} to {not_after_unix}, unix seconds)"
    )]
    NotValidAtSigningTime {
        /// The certificate's subject.
        subject: String,
        /// The authenticated signing time.
        signing_time_unix: u64,
        /// Start of validity.
        not_before_unix: u64,
        /// End of validity.
        not_after_unix: u64,
    },
    /// The signing time lies in the future.
    #[error("the signing time {signing_time_unix} (unix seconds) lies in the future")]
    SigningTimeInFuture {
        /// The signed time.
        signing_time_unix: u64,
    },
    /// The embedded Rekor entry of a keyless signature does not prove this signature.
    #[error("transparency log entry refused: {0}")]
    TransparencyLog(String),
    /// The OpenPGP signature is good but its key is not trusted (or not allowed).
    #[error("untrusted OpenPGP key: {0}")]
    UntrustedKey(String),
}

impl VerifyCommitError {
    /// Whether the commit was refused (exit 3), as opposed to an input error (exit 1).
    pub fn is_rejection(&self) -> bool {
        !matches!(
            self,
            Self::Git { .. }
                | Self::NotACommit { .. }
                | Self::TrustedCa { .. }
                | Self::NoTrustedCa
                | Self::TrustedRoot { .. }
                | Self::NoTrustedRoot
                | Self::NoIdentity
                | Self::Gpgme { .. }
        )
    }
}
