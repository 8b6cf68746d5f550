//! X.509 commit signatures: a detached CMS `SignedData` (RFC 5652) in the PEM form gpgsm
//! and gitsign write (`-----BEGIN SIGNED MESSAGE-----`), which `git -c gpg.format=x509
//! verify-commit` hands to gpgsm.
//!
//! The signature is ECDSA P-256 with SHA-256 over signed attributes (content type, message
//! digest, signing time), made by aws-lc-rs through the same key type the Sigstore crates
//! use. The leaf certificate and the configured chain travel inside the signature, so a
//! verifier needs only the root. The certificate must certify the key and be valid at each
//! signature: an expired certificate is refused here rather than at verification.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sigstore_verify::crypto::KeyPair;
use x509_cert::Certificate;

use super::Signature;
use super::cms;
use super::error::{BoxError, SignError, X509Error};

/// X.509 signing settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct X509Config {
    /// PEM file with the signing certificate first, optionally followed by its chain.
    pub certificate: PathBuf,
    /// PKCS#8 PEM file (`-----BEGIN PRIVATE KEY-----`) with the ECDSA P-256 private key.
    pub private_key: PathBuf,
    /// Further PEM files with intermediate certificates to embed (not the root).
    pub chain: Vec<PathBuf>,
}

impl X509Config {
    /// Settings for the certificate and key in these files, with no further chain.
    pub fn new(certificate: impl Into<PathBuf>, private_key: impl Into<PathBuf>) -> Self {
        Self {
            certificate: certificate.into(),
            private_key: private_key.into(),
            chain: Vec::new(),
        }
    }

    /// With one more chain file.
    pub fn with_chain_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.chain.push(path.into());
        self
    }
}

/// A checked X.509 signer: the key parsed, the certificate certifies it.
#[derive(Debug)]
pub struct X509Signer {
    certificate_path: PathBuf,
    key: KeyPair,
    // Boxed: a certificate is large, and `Signer` should not be.
    leaf: Box<Certificate>,
    chain: Vec<Certificate>,
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, SignError> {
    std::fs::read(path).map_err(|source| SignError::ReadFile {
        what,
        path: path.to_path_buf(),
        source,
    })
}

fn load_certificates(path: &Path) -> Result<Vec<Certificate>, SignError> {
    let pem = read("certificate file", path)?;
    pem_certificates(&pem).map_err(|e| {
        X509Error::Parse {
            path: path.to_path_buf(),
            what: "PEM certificate file",
            source: e.into(),
        }
        .into()
    })
}

/// The PEM certificates in `pem`, in order; empty when there are none. x509-cert 0.2's
/// `load_pem_chain` panics (an underflow) on input that is blank, so blank input is answered
/// here: no certificates.
pub(crate) fn pem_certificates(pem: &[u8]) -> Result<Vec<Certificate>, String> {
    if pem.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    Certificate::load_pem_chain(pem).map_err(|e| e.to_string())
}

impl X509Signer {
    /// Loads the certificate, chain and key `config` names and checks they belong together.
    pub fn new(config: &X509Config) -> Result<Self, SignError> {
        let mut certs = load_certificates(&config.certificate)?.into_iter();
        let leaf = certs.next().ok_or_else(|| X509Error::NoCertificate {
            path: config.certificate.clone(),
        })?;
        let mut chain: Vec<Certificate> = certs.collect();
        for path in &config.chain {
            chain.extend(load_certificates(path)?);
        }
        let key = load_key(&config.private_key)?;
        if !cms::certifies(&leaf, &key) {
            return Err(X509Error::KeyMismatch {
                cert: config.certificate.clone(),
                key: config.private_key.clone(),
            }
            .into());
        }
        let signer = Self {
            certificate_path: config.certificate.clone(),
            key,
            leaf: Box::new(leaf),
            chain,
        };
        signer.check_validity(SystemTime::now())?;
        Ok(signer)
    }

    fn check_validity(&self, now: SystemTime) -> Result<(), X509Error> {
        let validity = &self.leaf.tbs_certificate.validity;
        let not_before = validity.not_before.to_system_time();
        let not_after = validity.not_after.to_system_time();
        if now < not_before || now > not_after {
            return Err(X509Error::NotValidNow {
                cert: self.certificate_path.clone(),
                not_before_unix: validity.not_before.to_unix_duration().as_secs(),
                not_after_unix: validity.not_after.to_unix_duration().as_secs(),
            });
        }
        Ok(())
    }

    /// A detached CMS signature over `payload`, PEM-armoured.
    pub(crate) fn sign(&self, payload: &[u8]) -> Result<Signature, SignError> {
        let now = SystemTime::now();
        self.check_validity(now)?;
        let signed = cms::sign_attributes(&self.key, payload, now)?;
        Ok(cms::assemble(signed, &self.leaf, &self.chain, Vec::new())?)
    }
}

fn load_key(path: &Path) -> Result<KeyPair, SignError> {
    let pem = read("private key file", path)?;
    let unsupported = |source: BoxError| X509Error::UnsupportedKey {
        path: path.to_path_buf(),
        source,
    };
    let (label, der) = x509_cert::der::pem::decode_vec(&pem)
        .map_err(|e| unsupported(Box::new(x509_cert::der::Error::from(e))))?;
    if label != "PRIVATE KEY" {
        let hint: BoxError = format!(
            "PEM label '{label}', expected 'PRIVATE KEY' (convert with openssl pkcs8 -topk8 -nocrypt)"
        )
        .into();
        return Err(unsupported(hint).into());
    }
    Ok(KeyPair::from_pkcs8_der(&der).map_err(|e| unsupported(Box::new(e)))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_or_garbage_certificate_files_are_errors_not_panics() {
        assert!(pem_certificates(b"").unwrap().is_empty());
        assert!(pem_certificates(b"\n\n  \n").unwrap().is_empty());
        assert!(pem_certificates(b"-----BEGIN CERTIFICATE-----\nAAAA\n").is_err());
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("empty.pem");
        std::fs::write(&cert, "\n").unwrap();
        let err = X509Signer::new(&X509Config::new(&cert, dir.path().join("key.pem")));
        assert!(err.is_err());
    }

    #[test]
    fn a_missing_certificate_file_is_a_configuration_error() {
        let dir = tempfile::tempdir().unwrap();
        let config = X509Config::new(dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let err = X509Signer::new(&config).unwrap_err();
        assert!(err.to_string().contains("cert.pem"), "{err}");
    }

    #[test]
    fn a_sec1_key_is_refused_with_a_conversion_hint() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        std::fs::write(
            &key,
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
        )
        .unwrap();
        let err = load_key(&key).unwrap_err();
        let chain = format!("{err} / {:?}", std::error::Error::source(&err));
        assert!(chain.contains("ECDSA P-256"), "{chain}");
    }
}
