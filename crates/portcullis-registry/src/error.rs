//! Errors of the registry client, classified by variant (never by message text).
//!
//! Every variant names the registry and, where one is involved, the repository; URLs are
//! redacted and no variant can hold a credential. Errors are `Clone` (transport and
//! credential sources are shared) so that one failed listing can answer every caller that
//! waited on it within a cycle.

use std::error::Error as StdError;
use std::sync::Arc;

use crate::credentials::CredentialError;

/// What went wrong talking to a registry.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The connection failed or timed out (after the retries).
    #[error("registry {registry}: cannot reach {url} (for {repository})")]
    Connect {
        /// Registry host.
        registry: String,
        /// Repository path (empty for a token endpoint).
        repository: String,
        /// Redacted URL.
        url: String,
        /// The transport error.
        #[source]
        source: Arc<reqwest::Error>,
    },
    /// The registry refused access, or demanded credentials and none are configured.
    #[error(
        "registry {registry}: access to {repository} denied: {reason}; check the credentials configured for this registry"
    )]
    Unauthorized {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// The HTTP status that said so (`401`, `403`, or the token endpoint's).
        status: u16,
        /// Why, as far as the exchange tells.
        reason: AuthFailure,
    },
    /// A repository, tag, manifest or blob that does not exist (`404`).
    #[error("registry {registry}: {what} not found in {repository}")]
    NotFound {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// What was looked for (`manifest 1.2.3`, `config blob sha256:…`).
        what: String,
    },
    /// Still throttled (`429`) after the allowed waits.
    #[error(
        "registry {registry}: still rate-limited (429) for {repository} after {attempts} attempts; lower 'limit' for this registry"
    )]
    RateLimited {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// Attempts made.
        attempts: u32,
    },
    /// An unexpected HTTP status (after the retries, for `5xx`).
    #[error("registry {registry}: {method} {url} answered {status} (for {repository})")]
    Status {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// Method.
        method: String,
        /// Redacted URL.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// An answer that is not what the distribution spec says it should be: not JSON, the
    /// wrong shape, a body cut short.
    #[error("registry {registry}: malformed {what} for {repository}: {detail}")]
    Malformed {
        /// Registry host.
        registry: String,
        /// Repository path.
        repository: String,
        /// What was being read (`tag list`, `manifest`, `config blob`, `token answer`).
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// Content whose digest is not the one it was asked for or announced with.
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
        "{} has no manifest for platform(s) {wanted} (available: {available})",
        image_reference(repository, reference)
    )]
    NoPlatform {
        /// Repository (`registry/path`).
        repository: String,
        /// Tag or digest.
        reference: String,
        /// Wanted platforms.
        wanted: String,
        /// Platforms the index offers.
        available: String,
    },
    /// An `http://` URL (API, token realm or redirect) for a registry not marked insecure.
    #[error(
        "registry {registry}: refusing plain HTTP to {url}; set 'insecure: true' for this registry if that is intended"
    )]
    PlainHttp {
        /// Registry host.
        registry: String,
        /// Redacted URL.
        url: String,
    },
    /// A URL that does not parse: the configured `api_url`, or a token realm.
    #[error("registry {registry}: invalid URL {url}; check api_url for this registry")]
    InvalidUrl {
        /// Registry host.
        registry: String,
        /// Redacted URL.
        url: String,
    },
    /// The HTTP client for the registry cannot be built (CA certificates that do not load).
    #[error("registry {registry}: cannot set up TLS: {detail}")]
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
        source: Arc<CredentialError>,
    },
}

/// Why access was denied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFailure {
    /// The registry asked for credentials and none are configured.
    #[error("credentials required and none are configured")]
    NoCredentials,
    /// The registry refused the credentials (or the token obtained with them).
    #[error("the credentials were refused")]
    Refused,
    /// `403`: the credentials are valid but may not read this repository.
    #[error("forbidden")]
    Forbidden,
    /// A `401` without a challenge we can answer.
    #[error("401 without a usable WWW-Authenticate challenge")]
    NoChallenge,
    /// A challenge in a scheme other than Basic or Bearer.
    #[error("unsupported auth scheme '{0}'")]
    UnsupportedScheme(String),
    /// The token endpoint refused to issue a token.
    #[error("the token endpoint refused to issue a token")]
    TokenRefused,
    /// The token endpoint answered without a token.
    #[error("the token answer has no token")]
    NoToken,
}

/// `repo:tag` or `repo@digest`.
fn image_reference(repository: &str, reference: &str) -> String {
    if reference.contains(':') {
        format!("{repository}@{reference}")
    } else {
        format!("{repository}:{reference}")
    }
}

impl RegistryError {
    /// Worth trying again later: network trouble, `5xx`, throttling.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { source, .. } => !(source.is_builder() || source.is_redirect()),
            Self::RateLimited { .. } => true,
            Self::Status { status, .. } => *status >= 500 || *status == 408,
            _ => false,
        }
    }

    /// A credentials problem: refused, missing, or not resolvable.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Unauthorized { .. } | Self::Credentials { .. })
    }

    /// Something does not exist (repository, tag, manifest, blob).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// The first [`RegistryError`] in `err`'s `source()` chain (itself included), so a
    /// caller holding a wrapped error (an `anyhow` chain in the binary) can classify it.
    pub fn find_in<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a RegistryError> {
        let mut current = Some(err);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<RegistryError>() {
                return Some(found);
            }
            current = e.source();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("while checking an image")]
    struct Wrapper(#[source] RegistryError);

    #[test]
    fn classification_walks_the_source_chain() {
        let inner = RegistryError::NotFound {
            registry: "r.io".into(),
            repository: "a/b".into(),
            what: "manifest 1.0".into(),
        };
        let wrapped = Wrapper(inner);
        let found = RegistryError::find_in(&wrapped).unwrap();
        assert!(found.is_not_found());
        assert!(!found.is_retryable());
        let status = RegistryError::Status {
            registry: "r.io".into(),
            repository: "a/b".into(),
            method: "GET".into(),
            url: "https://r.io/v2/".into(),
            status: 503,
        };
        assert!(status.is_retryable());
    }

    #[test]
    fn platform_errors_name_the_image_as_written() {
        let e = RegistryError::NoPlatform {
            repository: "r.io/team/app".into(),
            reference: "1.0".into(),
            wanted: "linux/s390x".into(),
            available: "linux/amd64".into(),
        };
        assert_eq!(
            e.to_string(),
            "r.io/team/app:1.0 has no manifest for platform(s) linux/s390x (available: linux/amd64)"
        );
    }

    #[test]
    fn denial_messages_say_why_and_what_to_check() {
        let e = RegistryError::Unauthorized {
            registry: "r.io".into(),
            repository: "team/app".into(),
            status: 401,
            reason: AuthFailure::NoCredentials,
        };
        assert_eq!(
            e.to_string(),
            "registry r.io: access to team/app denied: credentials required and none are configured; check the credentials configured for this registry"
        );
        assert!(e.is_auth());
    }
}
