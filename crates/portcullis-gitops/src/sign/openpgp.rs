//! OpenPGP commit signatures through gpgme: the same engine (`gpg`, `gpg-agent`) that
//! `git commit -S` drives, so the signature is exactly what git would have produced.
//!
//! The key comes from a GnuPG home directory, or from an armoured secret key file imported
//! into a private home that lives as long as the signer (its agent is stopped on drop). The
//! passphrase, when there is one, is read from its file at each signature and handed to the
//! agent through loopback pinentry: no pinentry program, no terminal, no cache this crate
//! controls. A fresh gpgme context per signature keeps [`OpenPgpSigner`] `Send + Sync`.

use std::path::{Path, PathBuf};

use gpgme::{Context, PinentryMode, Protocol};

use super::error::{BoxError, OpenPgpError, SignError};
use super::secret::Passphrase;
use super::{Signature, SignatureFormat};

/// Where the OpenPGP secret key lives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenPgpKeySource {
    /// A GnuPG home directory (`GNUPGHOME`) holding the secret key.
    HomeDir(PathBuf),
    /// An ASCII-armoured secret key file (`gpg --armor --export-secret-keys`), imported into
    /// a private home when the signer is built.
    ArmoredKeyFile(PathBuf),
}

/// OpenPGP signing settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenPgpConfig {
    /// Where the secret key lives.
    pub keyring: OpenPgpKeySource,
    /// The key to sign with: a fingerprint (preferred) or anything `gpg --list-secret-keys`
    /// accepts that matches exactly one key.
    pub key: String,
    /// A file holding the key's passphrase, if it has one.
    pub passphrase_file: Option<PathBuf>,
}

impl OpenPgpConfig {
    /// Settings for `key` in `keyring`, without a passphrase.
    pub fn new(keyring: OpenPgpKeySource, key: impl Into<String>) -> Self {
        Self {
            keyring,
            key: key.into(),
            passphrase_file: None,
        }
    }

    /// With the passphrase in `path`.
    pub fn with_passphrase_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.passphrase_file = Some(path.into());
        self
    }
}

/// The GnuPG home a signer uses.
#[derive(Debug)]
enum Home {
    /// The operator's directory: left as found.
    Configured(PathBuf),
    /// A private directory for an imported key file: its agent is stopped and the directory
    /// removed on drop.
    Private(tempfile::TempDir),
}

impl Home {
    fn path(&self) -> &Path {
        match self {
            Self::Configured(p) => p,
            Self::Private(t) => t.path(),
        }
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if let Self::Private(dir) = self {
            // The agent that import and signing started would outlive the directory.
            let _ = std::process::Command::new("gpgconf")
                .arg("--homedir")
                .arg(dir.path())
                .args(["--kill", "all"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// A checked OpenPGP signer: the key was found, is unique and can sign.
#[derive(Debug)]
pub struct OpenPgpSigner {
    home: Home,
    fingerprint: String,
    passphrase_file: Option<PathBuf>,
}

fn gpgme_err(operation: &'static str) -> impl FnOnce(gpgme::Error) -> OpenPgpError {
    move |e| OpenPgpError::Gpgme {
        operation,
        source: Box::new(e) as BoxError,
    }
}

impl OpenPgpSigner {
    /// Loads the key `config` names and checks it can sign.
    pub fn new(config: &OpenPgpConfig) -> Result<Self, SignError> {
        let home = match &config.keyring {
            OpenPgpKeySource::HomeDir(dir) => Home::Configured(dir.clone()),
            OpenPgpKeySource::ArmoredKeyFile(file) => {
                let home = Home::Private(tempfile::tempdir().map_err(OpenPgpError::TempHome)?);
                import_key_file(home.path(), file)?;
                home
            }
        };
        if let Some(p) = &config.passphrase_file {
            // Fail at configuration time, not at the first commit.
            drop(Passphrase::read(p)?);
        }
        let mut ctx = context(home.path())?;
        let keys: Vec<gpgme::Key> = ctx
            .find_secret_keys([config.key.as_str()])
            .map_err(gpgme_err("secret key listing"))?
            .filter_map(Result::ok)
            .collect();
        let key = match keys.as_slice() {
            [] => {
                return Err(OpenPgpError::KeyNotFound {
                    key: config.key.clone(),
                }
                .into());
            }
            [key] => key,
            more => {
                return Err(OpenPgpError::AmbiguousKey {
                    key: config.key.clone(),
                    count: more.len(),
                }
                .into());
            }
        };
        let fingerprint = key.fingerprint().unwrap_or_default().to_owned();
        if !key.can_sign() || key.is_expired() || key.is_revoked() || key.is_disabled() {
            return Err(OpenPgpError::KeyCannotSign { fingerprint }.into());
        }
        Ok(Self {
            home,
            fingerprint,
            passphrase_file: config.passphrase_file.clone(),
        })
    }

    /// The fingerprint of the signing key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A detached, armoured signature over `payload`.
    pub(crate) fn sign(&self, payload: &[u8]) -> Result<Signature, SignError> {
        let mut ctx = context(self.home.path())?;
        ctx.set_armor(true);
        let key = ctx.get_secret_key(self.fingerprint.as_str()).map_err(|_| {
            OpenPgpError::KeyNotFound {
                key: self.fingerprint.clone(),
            }
        })?;
        ctx.add_signer(&key).map_err(gpgme_err("add signer"))?;
        let passphrase = match &self.passphrase_file {
            Some(p) => Some(Passphrase::read(p)?),
            None => None,
        };
        let mut out = Vec::new();
        let result = ctx.with_passphrase_provider(
            move |request: gpgme::PassphraseRequest<'_>, w: &mut dyn std::io::Write| {
                // A second request means the first answer was wrong: asking again cannot help.
                match (&passphrase, request.prev_attempt_failed) {
                    (Some(p), false) => w.write_all(p.expose()).map_err(gpgme::Error::from),
                    _ => Err(gpgme::Error::BAD_PASSPHRASE),
                }
            },
            |ctx| ctx.sign_detached(payload, &mut out),
        );
        let no_signature = || OpenPgpError::NoSignature {
            fingerprint: self.fingerprint.clone(),
        };
        let result = match result {
            Ok(r) => r,
            Err(e) if e.code() == gpgme::Error::BAD_PASSPHRASE.code() => {
                return Err(no_signature().into());
            }
            Err(e) => return Err(gpgme_err("sign")(e).into()),
        };
        let made = result
            .new_signatures()
            .any(|s| s.fingerprint().is_ok_and(|f| f == self.fingerprint));
        if !made || result.invalid_signers().count() > 0 {
            return Err(no_signature().into());
        }
        let armored = String::from_utf8(out).map_err(|_| no_signature())?;
        Ok(Signature::new(SignatureFormat::OpenPgp, armored))
    }
}

fn context(home: &Path) -> Result<Context, OpenPgpError> {
    let mut ctx = Context::from_protocol(Protocol::OpenPgp).map_err(gpgme_err("context"))?;
    let home = home.to_str().ok_or_else(|| OpenPgpError::Gpgme {
        operation: "home directory",
        source: "the GnuPG home path is not UTF-8".into(),
    })?;
    ctx.set_engine_home_dir(home)
        .map_err(gpgme_err("home directory"))?;
    ctx.set_pinentry_mode(PinentryMode::Loopback)
        .map_err(gpgme_err("loopback pinentry"))?;
    Ok(ctx)
}

fn import_key_file(home: &Path, file: &Path) -> Result<(), SignError> {
    let armored = std::fs::read(file).map_err(|source| SignError::ReadFile {
        what: "OpenPGP key file",
        path: file.to_path_buf(),
        source,
    })?;
    let mut ctx = context(home)?;
    // gpg imports a protected secret key in batch mode without its passphrase.
    let result = ctx
        .import(&armored)
        .map_err(gpgme_err("secret key import"))?;
    if result.secret_considered() == 0 {
        return Err(OpenPgpError::NoSecretKeyInFile {
            path: file.to_path_buf(),
        }
        .into());
    }
    Ok(())
}
