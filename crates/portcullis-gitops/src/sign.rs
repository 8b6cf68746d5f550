//! Commit signing: one [`Signer`] per write-back target, built once from a [`SigningConfig`]
//! and used for every commit that target makes.
//!
//! Owns: OpenPGP signatures through gpgme ([`OpenPgpSigner`], loopback pinentry with the
//! passphrase read from a file at each signature); X.509 signatures as detached CMS
//! `SignedData` in the PEM form gpgsm and gitsign write ([`X509Signer`]); keyless signatures
//! with a short-lived Fulcio certificate and a Rekor entry, as gitsign makes them
//! ([`KeylessSigner`]); the refusal of unsigned commits unless
//! [`danger::AllowUnsignedCommits`] is passed.
//!
//! A caller must know: keys and certificates are loaded and checked when the signer is built
//! (a missing key, a certificate that does not match its key, an unknown OpenPGP key are
//! configuration errors then, not at the first commit); a passphrase is never kept in memory
//! between signatures and never appears in `Debug`, logs or errors. A keyless signer checks
//! its URLs and token file when built, and calls Fulcio and Rekor at every signature.

mod cms;
pub mod danger;
mod error;
mod keyless;
mod openpgp;
mod secret;
mod x509;

pub use error::{KeylessError, OpenPgpError, SignError, X509Error};
pub(crate) use keyless::REKOR_ENTRY_OID;
pub use keyless::{KeylessConfig, KeylessSigner};
pub use openpgp::{OpenPgpConfig, OpenPgpKeySource, OpenPgpSigner};
pub(crate) use x509::pem_certificates;
pub use x509::{X509Config, X509Signer};

/// How commits are signed, as configured: nothing is read until [`Signer::from_config`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningConfig {
    /// OpenPGP through gpgme (`gpg.format=openpgp`, git's default).
    OpenPgp(OpenPgpConfig),
    /// X.509 with a certificate and its private key (`gpg.format=x509`, verified by gpgsm).
    X509(X509Config),
    /// Keyless: a short-lived certificate from a Fulcio instance for an OIDC identity, the
    /// signature logged in Rekor, as gitsign does (`gpg.format=x509`).
    Keyless(KeylessConfig),
    /// No signature. Refused unless [`danger::AllowUnsignedCommits`] is given.
    Unsigned,
}

/// A loaded, checked commit signer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Signer {
    /// OpenPGP through gpgme.
    OpenPgp(OpenPgpSigner),
    /// X.509, detached CMS.
    X509(X509Signer),
    /// Keyless: detached CMS with a Fulcio certificate and the Rekor entry.
    Keyless(KeylessSigner),
    /// Commits are not signed: only reachable through [`danger::AllowUnsignedCommits`].
    Unsigned(danger::UnsignedCommits),
}

/// The kind of a signature, as git names it in `gpg.format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureFormat {
    /// `-----BEGIN PGP SIGNATURE-----`, verified by gpg.
    OpenPgp,
    /// `-----BEGIN SIGNED MESSAGE-----`, verified by gpgsm (or gitsign).
    X509,
}

impl SignatureFormat {
    /// The value of git's `gpg.format` that verifies this kind.
    pub fn git_format(self) -> &'static str {
        match self {
            Self::OpenPgp => "openpgp",
            Self::X509 => "x509",
        }
    }
}

/// An ASCII-armoured detached signature, ready for a commit's `gpgsig` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    format: SignatureFormat,
    armored: String,
}

impl Signature {
    fn new(format: SignatureFormat, mut armored: String) -> Self {
        if !armored.ends_with('\n') {
            armored.push('\n');
        }
        Self { format, armored }
    }

    /// The kind of signature.
    pub fn format(&self) -> SignatureFormat {
        self.format
    }

    /// The armoured text, ending in a newline.
    pub fn armored(&self) -> &str {
        &self.armored
    }
}

impl Signer {
    /// Loads and checks the signer `config` describes. `allow_unsigned` is the only way to
    /// get a [`Signer::Unsigned`]; without it [`SigningConfig::Unsigned`] is refused.
    pub fn from_config(
        config: &SigningConfig,
        allow_unsigned: Option<danger::AllowUnsignedCommits>,
    ) -> Result<Self, SignError> {
        match config {
            SigningConfig::OpenPgp(c) => Ok(Self::OpenPgp(OpenPgpSigner::new(c)?)),
            SigningConfig::X509(c) => Ok(Self::X509(X509Signer::new(c)?)),
            SigningConfig::Keyless(c) => Ok(Self::Keyless(KeylessSigner::new(c)?)),
            SigningConfig::Unsigned => match allow_unsigned {
                Some(allow) => Ok(Self::Unsigned(danger::UnsignedCommits::new(allow))),
                None => Err(SignError::UnsignedNotAllowed),
            },
        }
    }

    /// Signs `payload` (the exact unsigned commit object text) detached; `None` only for
    /// [`Signer::Unsigned`].
    pub fn sign(&self, payload: &[u8]) -> Result<Option<Signature>, SignError> {
        match self {
            Self::OpenPgp(s) => Ok(Some(s.sign(payload)?)),
            Self::X509(s) => Ok(Some(s.sign(payload)?)),
            Self::Keyless(s) => Ok(Some(s.sign(payload)?)),
            Self::Unsigned(_) => Ok(None),
        }
    }

    /// The kind of signature this signer makes, `None` when it makes none.
    pub fn format(&self) -> Option<SignatureFormat> {
        match self {
            Self::OpenPgp(_) => Some(SignatureFormat::OpenPgp),
            Self::X509(_) | Self::Keyless(_) => Some(SignatureFormat::X509),
            Self::Unsigned(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_is_refused_without_the_danger_switch() {
        let err = Signer::from_config(&SigningConfig::Unsigned, None).unwrap_err();
        assert!(matches!(err, SignError::UnsignedNotAllowed), "{err}");
        assert!(err.to_string().contains("refused"));
    }

    #[test]
    fn unsigned_with_the_danger_switch_signs_nothing() {
        let allow = danger::AllowUnsignedCommits::i_accept_unsigned_commits();
        let signer = Signer::from_config(&SigningConfig::Unsigned, Some(allow)).unwrap();
        assert_eq!(signer.sign(b"tree x\n").unwrap(), None);
        assert_eq!(signer.format(), None);
    }

    #[test]
    fn keyless_checks_its_urls_and_token_file_when_built() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        let keyless = |fulcio: &str| {
            SigningConfig::Keyless(KeylessConfig::new(fulcio, "https://rekor.example", &token))
        };
        let err = Signer::from_config(&keyless("https://fulcio.example"), None).unwrap_err();
        assert!(matches!(err, SignError::ReadFile { .. }), "{err}");
        std::fs::write(&token, "e30.eyJzdWIiOiJzIn0.\n").unwrap();
        let signer = Signer::from_config(&keyless("https://fulcio.example"), None).unwrap();
        assert_eq!(signer.format(), Some(SignatureFormat::X509));
        let err = Signer::from_config(&keyless("ftp://fulcio.example"), None).unwrap_err();
        assert!(err.to_string().contains("fulcioUrl"), "{err}");
    }

    #[test]
    fn signers_and_repositories_can_move_to_blocking_tasks() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Signer>();
        send_sync::<crate::git::Repository>();
    }

    #[test]
    fn signature_text_always_ends_in_a_newline() {
        let sig = Signature::new(SignatureFormat::X509, "abc".to_owned());
        assert_eq!(sig.armored(), "abc\n");
        assert_eq!(sig.format().git_format(), "x509");
    }
}
