//! What can go wrong while making test signatures: only the encoders and the crypto backend
//! can fail, and a test reports either as a failure of its set-up.

/// Why a test signature could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestSignError {
    /// The crypto backend refused (key generation or signing).
    #[error("crypto backend: {0}")]
    Crypto(String),
    /// A DER structure could not be encoded.
    #[error("DER encoding: {0}")]
    Der(String),
    /// A file could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON document could not be encoded.
    #[error("JSON encoding: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<x509_cert::der::Error> for TestSignError {
    fn from(e: x509_cert::der::Error) -> Self {
        Self::Der(e.to_string())
    }
}

impl From<sigstore_verify::crypto::Error> for TestSignError {
    fn from(e: sigstore_verify::crypto::Error) -> Self {
        Self::Crypto(e.to_string())
    }
}
