//! Verifying a commit Portcullis (or gitsign, gpgsm, `git commit -S`) signed, without git's
//! signature programs: the signed payload is rebuilt from the raw commit object exactly as git
//! does, the signature checked in process, and the Portcullis trailers read back.
//!
//! Owns: X.509 (detached CMS in PEM) signatures checked against trusted CA certificates at
//! the authenticated signing time, gitsign-style ([`x509`]); keyless signatures whose
//! embedded Rekor entry is checked against a Sigstore trusted root, the certificate valid at
//! the integrated time ([`keyless`]); OpenPGP signatures checked by
//! gpgme against a GnuPG home with an optional fingerprint allowlist ([`openpgp`]).
//!
//! A caller must know: the X.509 signing time is the one the signer's key signed; a
//! certificate valid then verifies even when it has expired since (short-lived keyless
//! certificates live minutes). [`VerifyCommitError::is_rejection`] separates a refused commit
//! from an input error (no such commit, unreadable CA file).

mod error;
mod keyless;
mod object;
mod openpgp;
mod x509;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use error::VerifyCommitError;

use crate::sign::SignatureFormat;
use crate::template::{ChangeTrailer, parse_trailers};

/// What to verify a commit against.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// PEM file with the trusted CA certificates (needed for X.509 signatures).
    pub trusted_ca: Option<PathBuf>,
    /// Sigstore `trusted_root.json` (needed for keyless signatures: Fulcio CAs, Rekor keys).
    pub trusted_root: Option<PathBuf>,
    /// The GnuPG home holding the OpenPGP public keys; `None`: `GNUPGHOME` or `~/.gnupg`.
    pub gnupg_home: Option<PathBuf>,
    /// OpenPGP fingerprints allowed to sign; empty: any key the GnuPG home fully trusts.
    pub allowed_keys: Vec<String>,
    /// Keyless: the identities (certificate identity, OIDC issuer, claims) allowed to sign;
    /// required for a keyless signature, since anyone can get a Fulcio certificate.
    pub identities: Vec<portcullis_verify::Identity>,
}

impl VerifyOptions {
    /// No CA, the default GnuPG home, no allowlist.
    pub fn new() -> Self {
        Self::default()
    }

    /// With the trusted CA certificates in `path`.
    pub fn with_trusted_ca(mut self, path: impl Into<PathBuf>) -> Self {
        self.trusted_ca = Some(path.into());
        self
    }

    /// With the Sigstore trusted root in `path`, for keyless signatures.
    pub fn with_trusted_root(mut self, path: impl Into<PathBuf>) -> Self {
        self.trusted_root = Some(path.into());
        self
    }

    /// Allows keyless signatures by `identity` (repeatable: any one suffices).
    pub fn with_identity(mut self, identity: portcullis_verify::Identity) -> Self {
        self.identities.push(identity);
        self
    }

    /// With the GnuPG home `dir`.
    pub fn with_gnupg_home(mut self, dir: impl Into<PathBuf>) -> Self {
        self.gnupg_home = Some(dir.into());
        self
    }

    /// With one more allowed OpenPGP fingerprint.
    pub fn with_allowed_key(mut self, fingerprint: impl Into<String>) -> Self {
        self.allowed_keys.push(fingerprint.into());
        self
    }
}

/// Who signed a verified commit.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommitSigner {
    /// An X.509 certificate chaining to a trusted CA.
    X509 {
        /// The certificate subject (RFC 4514).
        subject: String,
        /// The first e-mail (or URI) subject alternative name.
        email: Option<String>,
        /// The subject of the trusted CA the chain ends at.
        issuer: String,
    },
    /// An OpenPGP key.
    OpenPgp {
        /// The primary key fingerprint.
        fingerprint: String,
        /// The key's first user ID.
        user_id: Option<String>,
    },
}

impl std::fmt::Display for CommitSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::X509 { subject, email, .. } => match email {
                Some(email) => write!(f, "{email} ({subject})"),
                None => f.write_str(subject),
            },
            Self::OpenPgp {
                fingerprint,
                user_id,
            } => match user_id {
                Some(uid) => write!(f, "{uid} ({fingerprint})"),
                None => f.write_str(fingerprint),
            },
        }
    }
}

/// A commit whose signature verified, with its Portcullis trailers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedCommit {
    /// The full commit id.
    pub commit: String,
    /// The kind of signature.
    pub format: SignatureFormat,
    /// Who signed.
    pub signer: CommitSigner,
    /// When: the authenticated signing time (X.509), Rekor's integrated time (keyless) or
    /// the signature creation time (OpenPGP).
    pub signing_time: Option<SystemTime>,
    /// The Rekor log index of a keyless signature.
    pub rekor_log_index: Option<u64>,
    /// The `Portcullis-Change` trailers.
    pub changes: Vec<ChangeTrailer>,
    /// The `Portcullis-Policy` trailer.
    pub policy: Option<String>,
}

/// Verifies the signature of commit `rev` in the repository at `repo`.
pub fn verify_commit(
    repo: &Path,
    rev: &str,
    options: &VerifyOptions,
) -> Result<VerifiedCommit, VerifyCommitError> {
    let (commit, raw) = object::read_commit(repo, rev)?;
    verify_object(commit, &raw, options)
}

/// Verifies a raw commit object (as `git cat-file commit` prints it) whose id is `commit`.
pub fn verify_object(
    commit: String,
    raw: &[u8],
    options: &VerifyOptions,
) -> Result<VerifiedCommit, VerifyCommitError> {
    // A SHA-256 repository's commit ids are 64 hex digits; its signature header is
    // `gpgsig-sha256`.
    let split = object::split(raw, commit.len() == 64)?;
    let signature = split.signature.ok_or(VerifyCommitError::Unsigned)?;
    let head = signature.trim_start();
    let mut log_index = None;
    let (format, signer, signing_time) = if head.starts_with("-----BEGIN PGP SIGNATURE-----") {
        let allowed: Vec<String> = options
            .allowed_keys
            .iter()
            .map(|k| openpgp::normalize(k))
            .collect();
        let s = openpgp::verify(
            &signature,
            &split.payload,
            options.gnupg_home.as_deref(),
            &allowed,
        )?;
        let signer = CommitSigner::OpenPgp {
            fingerprint: s.fingerprint,
            user_id: s.user_id,
        };
        (SignatureFormat::OpenPgp, signer, s.signing_time)
    } else if head.starts_with("-----BEGIN SIGNED MESSAGE-----") {
        let trust = load_trust(options)?;
        let s = x509::verify(&signature, &split.payload, &trust)?;
        log_index = s.log_index;
        if s.log_index.is_some() {
            allowed_identity(&s, &options.identities)?;
        }
        let signer = CommitSigner::X509 {
            subject: s.subject,
            email: s.email,
            issuer: s.issuer,
        };
        (SignatureFormat::X509, signer, Some(s.signing_time))
    } else {
        let first: String = head
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(60)
            .collect();
        return Err(VerifyCommitError::UnknownFormat(format!(
            "the gpgsig header starts with '{first}'"
        )));
    };
    let (changes, policy) = parse_trailers(&split.message);
    Ok(VerifiedCommit {
        commit,
        format,
        signer,
        signing_time,
        rekor_log_index: log_index,
        changes,
        policy,
    })
}

/// The X.509 trust material `options` names, loaded.
fn load_trust(options: &VerifyOptions) -> Result<x509::Trust, VerifyCommitError> {
    if options.trusted_ca.is_none() && options.trusted_root.is_none() {
        return Err(VerifyCommitError::NoTrustedCa);
    }
    let mut trust = x509::Trust::default();
    if let Some(path) = &options.trusted_ca {
        let ca_error = |detail: String| VerifyCommitError::TrustedCa {
            path: path.clone(),
            detail,
        };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        trust.ca = Some(x509::load_trusted(&pem).map_err(ca_error)?);
    }
    if let Some(path) = &options.trusted_root {
        let root_error = |detail: String| VerifyCommitError::TrustedRoot {
            path: path.clone(),
            detail,
        };
        let json = std::fs::read(path).map_err(|e| root_error(e.to_string()))?;
        trust.keyless = Some(keyless::KeylessTrust::from_json(&json).map_err(root_error)?);
    }
    Ok(trust)
}

/// A keyless signer must be one of the allowed identities: its certificate identity, its
/// OIDC issuer (Fulcio's extension) and every claim the identity names.
fn allowed_identity(
    signer: &x509::X509Signer,
    identities: &[portcullis_verify::Identity],
) -> Result<(), VerifyCommitError> {
    if identities.is_empty() {
        return Err(VerifyCommitError::NoIdentity);
    }
    let san = signer.email.as_deref().unwrap_or("");
    let issuer = signer
        .claims
        .get("1.3.6.1.4.1.57264.1.8")
        .or_else(|| signer.claims.get("1.3.6.1.4.1.57264.1.1"))
        .map(String::as_str)
        .unwrap_or("");
    let allowed = identities.iter().any(|id| {
        id.san().matches(san)
            && id.issuer().matches(issuer)
            && id
                .extensions()
                .iter()
                .all(|(oid, value)| signer.claims.get(oid) == Some(value))
    });
    if allowed {
        Ok(())
    } else {
        Err(VerifyCommitError::IdentityMismatch {
            identity: san.to_owned(),
            issuer: issuer.to_owned(),
        })
    }
}
