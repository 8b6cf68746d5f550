//! The forge module's one error type. Messages never contain a token: response bodies quoted
//! here are shortened and masked before they are stored.

use std::path::PathBuf;

use super::Provider;

/// Why a pull request could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForgeError {
    /// The provider name is not one of `github`, `gitlab`, `gitea`.
    #[error("unknown pull request provider '{0}' (use github, gitlab or gitea)")]
    UnknownProvider(String),
    /// The provider has no public instance and no API URL was given.
    #[error("{0}: apiUrl is required (for example https://gitea.example.com/api/v1)")]
    MissingApiUrl(Provider),
    /// The API URL is not an HTTP(S) URL.
    #[error("api URL '{0}' must start with https:// (or http://)")]
    InvalidApiUrl(String),
    /// The repository is not `owner/name` (GitLab: a project path).
    #[error("{provider}: repository '{repository}' is not owner/name{}",
        if *.provider == Provider::GitLab { " (or group/.../project)" } else { "" })]
    InvalidRepository {
        /// The provider.
        provider: Provider,
        /// What was given.
        repository: String,
    },
    /// GitHub App credentials were given for another provider.
    #[error("{0}: githubApp authentication works with github only; use a token file")]
    GitHubAppOnly(Provider),
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client")]
    Client {
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The token file could not be read.
    #[error("cannot read the token file {path}")]
    ReadToken {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The forge answered with a body longer than Portcullis reads.
    #[error("{method} {url}: the answer is longer than {limit} bytes")]
    TooLarge {
        /// The method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// The installation token could not be written for git.
    #[error("cannot write the installation token file {path}")]
    WriteToken {
        /// The file (or the directory it was to go in).
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The token file holds nothing.
    #[error("the token file {path} is empty")]
    EmptyToken {
        /// The file.
        path: PathBuf,
    },
    /// The token holds characters an HTTP header cannot carry.
    #[error("the token holds characters an HTTP header cannot carry (a binary file?)")]
    InvalidToken,
    /// The GitHub App's private key could not be read.
    #[error("cannot read the GitHub App private key {path}")]
    ReadKey {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The GitHub App's private key is not a usable RSA key.
    #[error(
        "the GitHub App private key {path} is not an RSA private key in PEM \
         (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY): {reason}"
    )]
    InvalidKey {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Signing the GitHub App's JWT failed.
    #[error("cannot sign the GitHub App JWT with {path}")]
    Sign {
        /// The key file.
        path: PathBuf,
    },
    /// The request did not get an answer (connection, TLS, timeout).
    #[error("{method} {url}: no answer")]
    Request {
        /// The HTTP method.
        method: &'static str,
        /// The URL (never carries a token).
        url: String,
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The forge refused the credentials (401) or their permissions (403).
    #[error(
        "{method} {url}: HTTP {status}: the forge refused the credentials: {message} \
         (check the token, its expiry and its permission to open pull requests)"
    )]
    Unauthorized {
        /// The HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// 401 or 403.
        status: u16,
        /// The forge's message, shortened, token masked.
        message: String,
    },
    /// The forge answered with another unexpected status.
    #[error("{method} {url}: HTTP {status}: {message}")]
    Status {
        /// The HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The forge's message, shortened, token masked.
        message: String,
    },
    /// The answer's body is not what the API documents.
    #[error("{method} {url}: unexpected response body")]
    Body {
        /// The HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The forge said a request already exists, but none is open from head (in the
    /// configured repository itself, not a fork) to base.
    #[error(
        "{provider}: the forge reports a request from {head} into {base} already exists, \
         but none is open from this repository's own {head} (a fork's does not count)"
    )]
    ExistingNotFound {
        /// The provider.
        provider: Provider,
        /// The head branch.
        head: String,
        /// The base branch.
        base: String,
    },
}

impl ForgeError {
    /// Whether the credentials were refused (401 or 403).
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Unauthorized { .. })
    }

    /// Whether trying again later may succeed (no answer, or a 5xx or 429 answer).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Request { .. } => true,
            Self::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}
