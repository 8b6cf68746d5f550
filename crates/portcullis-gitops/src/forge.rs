//! Opening a pull request (GitHub, Gitea) or merge request (GitLab) for a commit pushed to a
//! separate write branch, through the forge's REST API.
//!
//! Owns: the three providers' create and list calls ([`ForgeClient::open_pull_request`]),
//! their authentication ([`Auth`]: a token file, re-read on every call, or a GitHub App
//! installation token minted from the app's private key and cached until five minutes before
//! it expires), the same installation token kept in a file for Git over HTTPS
//! ([`GitHubAppToken`]), and the errors they answer with ([`ForgeError`]).
//!
//! A caller must know:
//! - Opening is idempotent: when the forge answers that a request from the same head to the
//!   same base is already open, that one is looked up and returned as success. Only a request
//!   whose head branch is in the configured repository itself counts, never a fork's branch
//!   of the same name.
//! - Every call has a timeout ([`REQUEST_TIMEOUT`]) and is not retried here: a failed call
//!   leaves the pushed branch as it is, and the next cycle's push opens the request again.
//! - Tokens never reach `Debug`, `Display`, logs or errors; response bodies quoted in errors
//!   are shortened and have the token masked.

mod api;
mod error;
mod git_token;
mod github_app;
mod secret;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

pub use error::ForgeError;
pub use git_token::{GitHubAppToken, INSTALLATION_TOKEN_USER};
pub use github_app::GitHubApp;

/// The time limit of one HTTP call to the forge.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A forge with a pull/merge request API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provider {
    /// GitHub or GitHub Enterprise Server (`/repos/{owner}/{repo}/pulls`).
    GitHub,
    /// GitLab (`/projects/{path}/merge_requests`), with a project access token.
    GitLab,
    /// Gitea or Forgejo (`/repos/{owner}/{repo}/pulls`).
    Gitea,
}

impl Provider {
    /// The public instance's API root, when there is one (Gitea has none).
    pub fn default_api_url(self) -> Option<&'static str> {
        match self {
            Self::GitHub => Some("https://api.github.com"),
            Self::GitLab => Some("https://gitlab.com/api/v4"),
            Self::Gitea => None,
        }
    }

    /// The lowercase name used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
            Self::Gitea => "gitea",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = ForgeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "github" => Ok(Self::GitHub),
            "gitlab" => Ok(Self::GitLab),
            "gitea" => Ok(Self::Gitea),
            other => Err(ForgeError::UnknownProvider(other.to_owned())),
        }
    }
}

/// How requests to the forge are authenticated.
#[derive(Debug)]
#[non_exhaustive]
pub enum Auth {
    /// A token read from this file (trimmed) on every call, so a rotated token is picked up.
    /// GitHub: sent as `Authorization: Bearer`; GitLab: `PRIVATE-TOKEN` (a project access
    /// token); Gitea: `Authorization: token`.
    TokenFile(PathBuf),
    /// A GitHub App's installation token (GitHub only).
    GitHubApp(GitHubApp),
}

/// What to open: from `head` into `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestSpec {
    /// The branch holding the commit (the write branch).
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// The title (the commit message's first line, say).
    pub title: String,
    /// The description.
    pub body: String,
}

/// An open pull or merge request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// Its number (GitLab: the project-scoped `iid`).
    pub number: u64,
    /// Its web page.
    pub url: String,
}

/// The API base URL: `api_url`, else the provider's default, without a trailing `/`;
/// HTTP(S) only.
fn api_base(provider: Provider, api_url: Option<&str>) -> Result<String, ForgeError> {
    let api = match api_url.or(provider.default_api_url()) {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => return Err(ForgeError::MissingApiUrl(provider)),
    };
    if !(api.starts_with("https://") || api.starts_with("http://")) {
        return Err(ForgeError::InvalidApiUrl(api));
    }
    Ok(api)
}

/// The HTTP client of every forge call: time limit and user agent.
fn http_client() -> Result<reqwest::Client, ForgeError> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("portcullis/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|source| ForgeError::Client { source })
}

/// A client for one repository on one forge.
#[derive(Debug)]
pub struct ForgeClient {
    provider: Provider,
    api: String,
    repository: ForgeRepository,
    auth: Auth,
    http: reqwest::Client,
}

impl ForgeClient {
    /// A client for `repository` (`owner/name`; GitLab: the project path, groups allowed)
    /// at `api_url` (the provider's default when `None`).
    pub fn new(
        provider: Provider,
        api_url: Option<&str>,
        repository: &str,
        auth: Auth,
    ) -> Result<Self, ForgeError> {
        let api = api_base(provider, api_url)?;
        if matches!(auth, Auth::GitHubApp(_)) && provider != Provider::GitHub {
            return Err(ForgeError::GitHubAppOnly(provider));
        }
        let repository = ForgeRepository::parse(provider, repository)?;
        let http = http_client()?;
        Ok(Self {
            provider,
            api,
            repository,
            auth,
            http,
        })
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Opens a request from `spec.head` into `spec.base`, or finds the one already open.
    #[tracing::instrument(skip_all, fields(provider = %self.provider, repository = %self.repository.0, head = %spec.head, base = %spec.base))]
    pub async fn open_pull_request(
        &self,
        spec: &PullRequestSpec,
    ) -> Result<PullRequest, ForgeError> {
        let token = match &self.auth {
            Auth::TokenFile(path) => secret::read_token_file(path)?,
            Auth::GitHubApp(app) => app.installation_token(&self.http, &self.api).await?,
        };
        let call = api::Call {
            http: &self.http,
            provider: self.provider,
            api: &self.api,
            repository: &self.repository.0,
            token: &token,
        };
        let pr = call.open(spec).await?;
        tracing::info!(number = pr.number, url = %pr.url, "pull request open");
        Ok(pr)
    }
}

/// `owner/name`, or a GitLab project path (`group/subgroup/name`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ForgeRepository(String);

impl ForgeRepository {
    fn parse(provider: Provider, text: &str) -> Result<Self, ForgeError> {
        let parts: Vec<&str> = text.split('/').collect();
        let shape_ok = match provider {
            Provider::GitLab => parts.len() >= 2,
            _ => parts.len() == 2,
        };
        let parts_ok = parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
        if shape_ok && parts_ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(ForgeError::InvalidRepository {
                provider,
                repository: text.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_shapes_follow_the_provider() {
        assert!(ForgeRepository::parse(Provider::GitHub, "acme/deploy").is_ok());
        assert!(ForgeRepository::parse(Provider::GitHub, "acme/infra/deploy").is_err());
        assert!(ForgeRepository::parse(Provider::GitLab, "acme/infra/deploy").is_ok());
        assert!(ForgeRepository::parse(Provider::Gitea, "acme").is_err());
        assert!(ForgeRepository::parse(Provider::Gitea, "acme/../x").is_err());
        assert!(ForgeRepository::parse(Provider::GitHub, "acme/de ploy").is_err());
    }

    #[test]
    fn gitea_needs_an_api_url() {
        let e = ForgeClient::new(
            Provider::Gitea,
            None,
            "acme/deploy",
            Auth::TokenFile("t".into()),
        );
        assert!(matches!(e, Err(ForgeError::MissingApiUrl(Provider::Gitea))));
    }

    #[test]
    fn provider_names_round_trip() {
        for p in [Provider::GitHub, Provider::GitLab, Provider::Gitea] {
            assert_eq!(p.as_str().parse::<Provider>().ok(), Some(p));
        }
        assert!("bitbucket".parse::<Provider>().is_err());
    }
}
