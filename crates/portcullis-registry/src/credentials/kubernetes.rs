//! The seam to Kubernetes secrets: `pullsecret:` and `secret:` sources are resolved through a
//! [`SecretReader`] that the in-cluster controller provides. Without one they fail with an
//! error that names the alternatives; this crate never talks to the Kubernetes API itself.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::secret::Secret;

/// What [`SecretReader::read_field`] returns.
pub type SecretFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Secret, SecretReadError>> + Send + 'a>>;

/// Reads one field of a Kubernetes secret (decoded from base64).
pub trait SecretReader: Send + Sync + fmt::Debug {
    /// The value of `field` in secret `namespace/name`.
    fn read_field<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
        field: &'a str,
    ) -> SecretFuture<'a>;
}

/// Why a secret field could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretReadError {
    /// No such secret.
    #[error("the secret does not exist (check namespace and name)")]
    NotFound,
    /// The secret lacks the field.
    #[error("the secret has no such field (check the part after '#')")]
    NoField,
    /// Anything else (API errors, permissions).
    #[error("the Kubernetes API refused or failed")]
    Api(#[source] Box<dyn std::error::Error + Send + Sync>),
}
