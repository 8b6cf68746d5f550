//! Errors of the registry client, classified by variant (never by message text).

use crate::credentials::CredentialError;

/// What went wrong talking to a registry. Every variant names the registry and, where one
/// is involved, the repository; URLs are redacted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The connection failed or timed out (after retries).
    #[error("registry {registry}: cannot reach {url}")]
    Connect {
        /// Registry host.
        registry: String,
        /// Redacted URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The registry refused the credentials, or demanded some and none are configured.
    #[error(
        "registry {registry}: access to {repository} denied ({detail}); check the credentials configured for this registry"
    )]
    Unauthorized {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// What the registry said (status, challenge kind).
        detail: String,
    },
    /// A repository, tag or blob that does not exist.
    #[error("registry {registry}: {what} not found in {repository}")]
    NotFound {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// What was looked for.
        what: String,
    },
    /// Still throttled (`429`) after the allowed waits.
    #[error(
        "registry {registry}: still rate-limited (429) after {attempts} attempts; lower 'limit' for this registry"
    )]
    RateLimited {
        /// Registry host.
        registry: String,
        /// Attempts made.
        attempts: u32,
    },
    /// An unexpected HTTP status (after retries for 5xx).
    #[error("registry {registry}: {method} {url} answered {status}")]
    Status {
        /// Registry host.
        registry: String,
        /// Method.
        method: String,
        /// Redacted URL.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// An answer that is not what the distribution spec says it should be.
    #[error("registry {registry}: malformed {what} for {repository}: {detail}")]
    Malformed {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// What was being read.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// Content whose sha256 is not the digest it was asked for or announced with.
    #[error(
        "registry {registry}: content of {repository} has digest {actual}, expected {expected}"
    )]
    DigestMismatch {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// Expected digest.
        expected: String,
        /// Computed digest.
        actual: String,
    },
    /// A body larger than the limit for its kind.
    #[error("registry {registry}: {what} of {repository} exceeds {limit} bytes")]
    TooLarge {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// What was being read.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// An image index without a manifest for the wanted platforms.
    #[error(
        "{repository}:{reference} has no manifest for platform(s) {wanted} (available: {available})"
    )]
    NoPlatform {
        /// Repository.
        repository: String,
        /// Tag or digest.
        reference: String,
        /// Wanted platforms.
        wanted: String,
        /// Platforms the index offers.
        available: String,
    },
    /// An `http://` API URL on a registry not marked insecure.
    #[error(
        "registry {registry}: refusing plain HTTP to {url}; set 'insecure: true' for this registry if that is intended"
    )]
    PlainHttp {
        /// Registry host.
        registry: String,
        /// Redacted URL.
        url: String,
    },
    /// Extra CA certificates that do not load.
    #[error("registry {registry}: cannot use its CA certificates: {detail}")]
    Tls {
        /// Registry host.
        registry: String,
        /// What is wrong.
        detail: String,
    },
    /// Credentials could not be resolved.
    #[error("registry {registry}: cannot get credentials")]
    Credentials {
        /// Registry host.
        registry: String,
        /// Why.
        #[source]
        source: CredentialError,
    },
}

impl RegistryError {
    /// Worth trying again later (network, 5xx, throttling).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::RateLimited { .. } => true,
            Self::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// A credentials problem.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Unauthorized { .. } | Self::Credentials { .. })
    }

    /// Something does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}
