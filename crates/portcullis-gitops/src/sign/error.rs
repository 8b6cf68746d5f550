//! Errors of commit signing: what was configured wrong, or what the signing backend refused.

use std::path::PathBuf;

/// A signer could not be built or could not sign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// `Unsigned` was configured without the danger switch.
    #[error(
        "unsigned commits are refused: configure an OpenPGP, X.509 or keyless signer, or allow unsigned commits explicitly"
    )]
    UnsignedNotAllowed,
    /// A key, certificate or passphrase file could not be read.
    #[error("cannot read {what} {path}")]
    ReadFile {
        /// What the file was meant to hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// OpenPGP signing failed.
    #[error(transparent)]
    OpenPgp(#[from] OpenPgpError),
    /// X.509 signing failed.
    #[error(transparent)]
    X509(#[from] X509Error),
    /// Keyless signing failed.
    #[error(transparent)]
    Keyless(#[from] KeylessError),
}

/// The underlying cause from a backend library, kept opaque so its types stay out of this
/// crate's API.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// OpenPGP (gpgme) signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenPgpError {
    /// gpgme or the gpg engine failed in `operation`.
    #[error("gpgme {operation} failed")]
    Gpgme {
        /// What was being done.
        operation: &'static str,
        /// gpgme's error.
        #[source]
        source: BoxError,
    },
    /// No secret key matches.
    #[error(
        "no OpenPGP secret key matches '{key}' in the configured keyring (check the fingerprint and that the secret key was imported)"
    )]
    KeyNotFound {
        /// The configured key id or fingerprint.
        key: String,
    },
    /// More than one secret key matches.
    #[error("'{key}' matches {count} OpenPGP secret keys: configure the full fingerprint")]
    AmbiguousKey {
        /// The configured key id or fingerprint.
        key: String,
        /// How many keys matched.
        count: usize,
    },
    /// The key exists but cannot sign (expired, revoked, disabled, no signing subkey).
    #[error(
        "OpenPGP key {fingerprint} cannot sign (expired, revoked, disabled or no signing subkey)"
    )]
    KeyCannotSign {
        /// The key's fingerprint.
        fingerprint: String,
    },
    /// The engine returned without a signature (typically a wrong passphrase).
    #[error(
        "gpg made no signature with key {fingerprint} (wrong passphrase, or the key needs one and none was configured)"
    )]
    NoSignature {
        /// The key's fingerprint.
        fingerprint: String,
    },
    /// An armoured key file held no secret key.
    #[error("{path} holds no OpenPGP secret key (export it with gpg --armor --export-secret-keys)")]
    NoSecretKeyInFile {
        /// The key file.
        path: PathBuf,
    },
    /// A private keyring directory could not be made.
    #[error("cannot create a private GnuPG home for the imported key")]
    TempHome(#[source] std::io::Error),
}

/// X.509 (CMS) signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// A PEM or DER structure did not parse.
    #[error("{path}: not a valid {what}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        what: &'static str,
        /// The parser's error.
        #[source]
        source: BoxError,
    },
    /// The certificate file holds no certificate.
    #[error("{path} holds no certificate (expected PEM '-----BEGIN CERTIFICATE-----')")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The private key is not one this signer supports.
    #[error("{path}: unsupported private key (expected an ECDSA P-256 key in PKCS#8 PEM)")]
    UnsupportedKey {
        /// The key file.
        path: PathBuf,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// The certificate certifies another key.
    #[error("certificate {cert} does not certify the public key of {key}")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// The certificate is outside its validity window now.
    #[error(
        "certificate {cert} is not valid now (valid from {not_before_unix} to {not_after_unix}, unix seconds): renew it"
    )]
    NotValidNow {
        /// The certificate file.
        cert: PathBuf,
        /// Start of validity.
        not_before_unix: u64,
        /// End of validity.
        not_after_unix: u64,
    },
    /// Encoding the CMS structure failed.
    #[error("cannot encode the CMS signature")]
    Encode(#[source] BoxError),
    /// The signing operation failed.
    #[error("ECDSA signing failed")]
    Sign(#[source] BoxError),
}

/// Keyless (Fulcio and Rekor) signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeylessError {
    /// A configured URL is unusable.
    #[error("keyless signing: {what} '{url}' is not a usable URL: {detail}")]
    Url {
        /// The setting.
        what: &'static str,
        /// Its value.
        url: String,
        /// Why.
        detail: String,
    },
    /// The OIDC token file does not hold a usable JWT (its content is never quoted).
    #[error("{path}: not a usable OIDC identity token: {detail}")]
    Token {
        /// The token file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// Fulcio or Rekor failed or answered something unexpected.
    #[error("{service} at {url}: {detail}")]
    Service {
        /// `Fulcio` or `Rekor`.
        service: &'static str,
        /// The URL asked.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The ephemeral key could not be made or used.
    #[error("keyless signing: ephemeral key")]
    Key(#[source] BoxError),
    /// Fulcio's certificate or Rekor's entry does not fit the signature.
    #[error("keyless signing: {0}")]
    Certificate(String),
    /// The Rekor entry could not be embedded.
    #[error("keyless signing: cannot embed the Rekor entry")]
    Encode(#[source] BoxError),
}
