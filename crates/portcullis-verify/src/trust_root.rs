//! The trust anchors a bundle is verified against: a Sigstore `trusted_root.json`.
//!
//! A trusted root (the protobuf-specs `TrustedRoot` message as JSON) lists the Fulcio
//! certificate authorities, the Rekor logs, the certificate-transparency logs and the
//! timestamp authorities, each with the window in which it may be trusted. It is parsed and
//! checked once, when loaded (malformed keys, duplicate log IDs and inverted windows are
//! refused then), and can be shared by any number of verifications: clones are cheap.
//!
//! Nothing here fetches anything: [`crate::tuf`] keeps a root current through TUF. A stale
//! root given as a file fails closed once keys rotate.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sigstore_verify::Verifier;
use sigstore_verify::trust_root::{SIGSTORE_PRODUCTION_TRUSTED_ROOT, TrustedRoot};

use crate::refusal::{Detail, upstream};

/// Why a trusted root could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustRootError {
    /// The file could not be read.
    #[error("cannot read trusted root {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a `TrustedRoot` JSON document.
    #[error("trusted root {origin} is not a valid trusted_root.json")]
    Parse {
        /// Where it came from: a path, or a description.
        origin: String,
        /// What the parser reported.
        #[source]
        source: Detail,
    },
    /// A well-formed trusted root whose material cannot be used (a malformed key or
    /// certificate, a duplicate log ID, a validity window that ends before it starts).
    #[error("trusted root {origin} cannot be used for verification")]
    Unusable {
        /// Where it came from: a path, or a description.
        origin: String,
        /// What was wrong with it.
        #[source]
        source: Detail,
    },
    /// Neither the TUF repository nor the cache gave a trusted root.
    #[error(
        "cannot get a trusted root through TUF from {url}{}, and the cache in {} holds no valid copy; \
         allow access to {url}, or give a trusted_root.json file (--trusted-root)",
        online.as_ref().map(|e| format!(" ({e})")).unwrap_or_else(|| " (offline: not asked)".to_owned()),
        cache_dir.display()
    )]
    Tuf {
        /// The repository.
        url: String,
        /// The cache directory.
        cache_dir: PathBuf,
        /// Why the repository gave nothing, when it was asked.
        online: Option<String>,
        /// Why the cache gave nothing.
        #[source]
        source: Detail,
    },
}

/// A loaded, checked trusted root.
#[derive(Clone)]
pub struct TrustRoot {
    verifier: Arc<Verifier>,
    origin: Arc<str>,
}

impl TrustRoot {
    /// Loads a `trusted_root.json` file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, TrustRootError> {
        let path = path.as_ref();
        let json = std::fs::read(path).map_err(|source| TrustRootError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::load(&json, path.display().to_string())
    }

    /// Loads a trusted root from its JSON text; `origin` names it in errors.
    pub fn from_json(json: &[u8], origin: &str) -> Result<Self, TrustRootError> {
        Self::load(json, origin.to_owned())
    }

    /// The Sigstore public-good instance's trusted root as shipped in the upstream verifier
    /// release this crate builds on. It is a snapshot: prefer a file kept current over TUF,
    /// and use this only where no such file is configured.
    pub fn sigstore_public_good() -> Result<Self, TrustRootError> {
        Self::load(
            SIGSTORE_PRODUCTION_TRUSTED_ROOT.as_bytes(),
            "(built-in sigstore public-good snapshot)".to_owned(),
        )
    }

    /// Where the root came from: its path, or the description it was loaded with.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    pub(crate) fn from_upstream(
        root: &TrustedRoot,
        origin: String,
    ) -> Result<Self, TrustRootError> {
        let verifier = Verifier::new(root).map_err(|source| TrustRootError::Unusable {
            origin: origin.clone(),
            source: upstream(source),
        })?;
        Ok(Self {
            verifier: Arc::new(verifier),
            origin: origin.into(),
        })
    }

    fn load(json: &[u8], origin: String) -> Result<Self, TrustRootError> {
        let text = std::str::from_utf8(json).map_err(|source| TrustRootError::Parse {
            origin: origin.clone(),
            source: source.into(),
        })?;
        let root = TrustedRoot::from_json(text).map_err(|source| TrustRootError::Parse {
            origin: origin.clone(),
            source: upstream(source),
        })?;
        Self::from_upstream(&root, origin)
    }
}

impl fmt::Debug for TrustRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustRoot")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_public_good_root_loads() {
        let root = TrustRoot::sigstore_public_good().unwrap();
        assert!(root.origin().contains("public-good"));
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let error = TrustRoot::from_file("/nonexistent/trusted_root.json").unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot read trusted root /nonexistent/trusted_root.json"
        );
    }

    #[test]
    fn json_of_another_shape_is_a_parse_error() {
        let error = TrustRoot::from_json(b"{\"tlogs\": 3}", "test").unwrap_err();
        assert!(matches!(error, TrustRootError::Parse { .. }), "{error:?}");
        let error = TrustRoot::from_json(b"\xff", "test").unwrap_err();
        assert!(matches!(error, TrustRootError::Parse { .. }), "{error:?}");
    }
}
