//! The thing a bundle must be about: its bytes, or a digest of them.
//!
//! A digest is enough for everything but an Ed25519 message signature, which signs the bytes
//! themselves. For a DSSE (in-toto) bundle the digest is the one its statement's subject
//! names: for an image, the manifest digest.

use std::path::{Path, PathBuf};

use portcullis_image::{Digest, DigestError};
use sigstore_verify::types::{ArtifactDigest, DigestBytes, HashAlgorithm};

/// The artifact a bundle is verified against.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Artifact {
    /// The artifact's complete bytes.
    Bytes(Vec<u8>),
    /// A digest of the artifact (`sha256:<hex>` or `sha512:<hex>`): the bytes are not at hand.
    Digest(Digest),
}

/// Why an artifact could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArtifactError {
    /// The file could not be read.
    #[error("cannot read artifact {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The argument looked like a digest but is not a valid one.
    #[error("artifact digest is invalid")]
    Digest(#[from] DigestError),
}

impl Artifact {
    /// Reads a file's bytes.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ArtifactError> {
        let path = path.as_ref();
        std::fs::read(path)
            .map(Self::Bytes)
            .map_err(|source| ArtifactError::Read {
                path: path.to_owned(),
                source,
            })
    }

    /// Interprets a command-line argument the way the sigstore-conformance client protocol
    /// says: a path when a file of that name exists, else `sha256:<hex>` or `sha512:<hex>` is
    /// a digest, and anything else a path to read.
    pub fn from_file_or_digest(arg: &str) -> Result<Self, ArtifactError> {
        Self::from_file_or_digest_in(Path::new("."), arg)
    }

    /// [`Self::from_file_or_digest`] with relative paths taken from `dir`.
    fn from_file_or_digest_in(dir: &Path, arg: &str) -> Result<Self, ArtifactError> {
        let path = dir.join(arg);
        if !path.exists() && (arg.starts_with("sha256:") || arg.starts_with("sha512:")) {
            Ok(Self::Digest(arg.parse()?))
        } else {
            Self::read(path)
        }
    }

    /// The artifact's digest: the one given, or the `sha256` of the bytes.
    pub fn digest(&self) -> Digest {
        match self {
            Self::Bytes(bytes) => sha256_digest(bytes),
            Self::Digest(digest) => digest.clone(),
        }
    }

    /// The artifact's digest in `algorithm` (`sha256` or `sha512`), when it can be known: always
    /// from bytes, from a digest only in its own algorithm.
    pub(crate) fn digest_in(&self, algorithm: &str) -> Option<Digest> {
        match self {
            Self::Bytes(bytes) => match algorithm {
                "sha256" => Some(sha256_digest(bytes)),
                "sha512" => {
                    let hex = sigstore_verify::crypto::sha512(bytes).to_hex();
                    format!("sha512:{hex}").parse().ok()
                }
                _ => None,
            },
            Self::Digest(digest) => (digest.algorithm() == algorithm).then(|| digest.clone()),
        }
    }

    /// The form the upstream verifier takes. Cannot fail for a parsed [`Digest`] (lower-case
    /// hex of the algorithm's exact length); the error is passed on rather than assumed away.
    pub(crate) fn upstream(
        &self,
    ) -> Result<sigstore_verify::types::Artifact<'_>, sigstore_verify::types::Error> {
        Ok(match self {
            Self::Bytes(bytes) => sigstore_verify::types::Artifact::Blob(bytes),
            Self::Digest(digest) => {
                let algorithm = match digest.algorithm() {
                    "sha512" => HashAlgorithm::Sha2512,
                    _ => HashAlgorithm::Sha2256,
                };
                let value = ArtifactDigest::new(algorithm, DigestBytes::from_hex(digest.hex())?)?;
                sigstore_verify::types::Artifact::Digest(value)
            }
        })
    }
}

impl std::fmt::Debug for Artifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never dump the bytes: an artifact may be large.
        match self {
            Self::Bytes(bytes) => f
                .debug_struct("Bytes")
                .field("len", &bytes.len())
                .field("sha256", &self.digest().as_str())
                .finish(),
            Self::Digest(digest) => f.debug_tuple("Digest").field(digest).finish(),
        }
    }
}

impl From<Digest> for Artifact {
    fn from(digest: Digest) -> Self {
        Self::Digest(digest)
    }
}

impl From<Vec<u8>> for Artifact {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Bytes(bytes)
    }
}

#[allow(
    clippy::expect_used,
    reason = "a hasher's output is 64 lower-case hex digits, which is what a sha256 Digest is"
)]
fn sha256_digest(bytes: &[u8]) -> Digest {
    let hex = sigstore_verify::crypto::sha256(bytes).to_hex();
    Digest::from_sha256_hex(&hex).expect("sha256 hex output parses as a digest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_digest_is_their_sha256() {
        let artifact = Artifact::Bytes(b"hello".to_vec());
        assert_eq!(
            artifact.digest().as_str(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(artifact.digest_in("sha256"), Some(artifact.digest()));
        assert!(
            artifact
                .digest_in("sha512")
                .is_some_and(|d| d.hex().starts_with("9b71d224bd62f378"))
        );
    }

    #[test]
    fn digest_argument_is_a_digest_and_other_arguments_are_paths() {
        let arg = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let artifact = Artifact::from_file_or_digest(arg).unwrap();
        assert_eq!(artifact, Artifact::Digest(arg.parse().unwrap()));
        assert_eq!(artifact.digest_in("sha512"), None);

        assert!(matches!(
            Artifact::from_file_or_digest("sha256:abc"),
            Err(ArtifactError::Digest(_))
        ));
        assert!(matches!(
            Artifact::from_file_or_digest("/nonexistent/artifact"),
            Err(ArtifactError::Read { path, .. }) if path == Path::new("/nonexistent/artifact")
        ));
    }

    #[test]
    fn a_file_named_like_a_digest_is_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let name = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        std::fs::write(dir.path().join(name), b"artifact bytes").unwrap();
        let artifact = Artifact::from_file_or_digest_in(dir.path(), name).unwrap();
        assert_eq!(artifact, Artifact::Bytes(b"artifact bytes".to_vec()));
        // Elsewhere the same argument is the digest.
        let elsewhere = tempfile::tempdir().unwrap();
        let artifact = Artifact::from_file_or_digest_in(elsewhere.path(), name).unwrap();
        assert_eq!(artifact, Artifact::Digest(name.parse().unwrap()));
    }

    #[test]
    fn digest_is_handed_upstream_as_its_bytes() {
        let digest: Digest =
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
                .parse()
                .unwrap();
        let artifact = Artifact::Digest(digest);
        let upstream = artifact.upstream().unwrap();
        let value = upstream.digest().unwrap();
        assert_eq!(value.algorithm(), HashAlgorithm::Sha2256);
        assert_eq!(
            value.as_bytes(),
            sigstore_verify::crypto::sha256(b"hello").as_slice()
        );
    }

    #[test]
    fn debug_never_prints_the_bytes() {
        let shown = format!("{:?}", Artifact::Bytes(b"secret-ish payload".to_vec()));
        assert!(!shown.contains("secret-ish"), "{shown}");
        assert!(shown.contains("len: 18"), "{shown}");
    }
}
