//! The trusted root kept current through TUF (The Update Framework), as Sigstore distributes
//! it: the public-good instance by default, or any TUF repository given its URL and the
//! `root.json` to start trust from.
//!
//! The TUF client is the Sigstore project's own (`sigstore-trust-root` with `sigstore-tuf`):
//! it walks root → timestamp → snapshot → targets, checks every signature threshold, version
//! and expiry, and the target's length and hashes, and keeps a cache on disk. This module
//! adds the policy an operator expects: refresh when the repository answers; when it does
//! not, use the cache only after the same verification, offline, and say so; with neither,
//! fail with an error that names the repository, the cache and the two ways out. This is the
//! one place this crate talks to the network, and only when asked.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sigstore_trust_root::{TufBootstrap, TufConfig};
use sigstore_verify::trust_root::TrustedRoot;

use crate::refusal::{Detail, upstream};
use crate::trust_root::{TrustRoot, TrustRootError};

/// The public-good instance's TUF repository.
pub const PUBLIC_GOOD_TUF_URL: &str = "https://tuf-repo-cdn.sigstore.dev";

/// Sigstore's staging TUF repository.
pub const STAGING_TUF_URL: &str = "https://tuf-repo-cdn.sigstage.dev";

/// Where a trusted root comes from over TUF.
#[derive(Clone, Debug)]
pub struct TufSource {
    url: String,
    bootstrap: Option<Vec<u8>>,
    cache_dir: PathBuf,
    timeout: Duration,
}

/// How the trusted root was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Freshness {
    /// The repository answered; metadata and target are current.
    Refreshed,
    /// The repository did not answer (or was not asked); the verified cache was used.
    Cached,
}

/// Whether to ask the repository at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TufMode {
    /// Refresh from the repository; fall back to the verified cache when it cannot be reached.
    Online,
    /// Use the verified cache only; make no network request.
    Offline,
}

impl TufSource {
    /// The Sigstore public-good repository, starting from the `root.json` that ships with the
    /// upstream client, cached in `cache_dir`.
    pub fn public_good(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            url: PUBLIC_GOOD_TUF_URL.to_owned(),
            bootstrap: None,
            cache_dir: cache_dir.into(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Sigstore's staging repository (`sigstore-conformance --staging`), starting from the
    /// staging `root.json` that ships with the upstream client, cached in `cache_dir`.
    pub fn staging(cache_dir: impl Into<PathBuf>) -> Self {
        let staging = sigstore_trust_root::SigstoreInstance::Staging;
        Self::custom(STAGING_TUF_URL, staging.tuf_root().to_vec(), cache_dir)
    }

    /// Another repository (a mirror, a private Sigstore instance), trusting `root_json` as
    /// its initial root.
    pub fn custom(url: &str, root_json: Vec<u8>, cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            bootstrap: Some(root_json),
            cache_dir: cache_dir.into(),
            timeout: Duration::from_secs(30),
        }
    }

    /// The limit on each request (default 30 s); a repository slower than that counts as
    /// unreachable.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The repository URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The cache directory.
    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    fn config(&self, mode: TufMode) -> Result<TufConfig, Detail> {
        let mut config = match &self.bootstrap {
            None => TufConfig::production(),
            Some(root) => TufConfig::custom(self.url.clone(), TufBootstrap::trusted(root)),
        }
        .with_cache_dir(self.cache_dir.clone());
        match mode {
            TufMode::Offline => config = config.offline(),
            TufMode::Online => {
                let client = reqwest::Client::builder()
                    .connect_timeout(self.timeout)
                    .timeout(self.timeout)
                    .build()
                    .map_err(upstream)?;
                config = config.with_http_client(client);
            }
        }
        Ok(config)
    }

    async fn fetch(&self, mode: TufMode) -> Result<TrustedRoot, Detail> {
        let config = self.config(mode)?;
        TrustedRoot::from_tuf(config).await.map_err(upstream)
    }
}

impl TrustRoot {
    /// The trusted root of `source`, through TUF. Online, a repository that cannot be
    /// reached falls back to the cache, verified offline (one that answers with metadata
    /// that does not verify does not); the result says which was used. Fails only when neither gives a
    /// root, naming the repository, the cache directory and what to do.
    pub async fn from_tuf(
        source: &TufSource,
        mode: TufMode,
    ) -> Result<(Self, Freshness), TrustRootError> {
        let origin = format!("{} (TUF)", source.url);
        let online = match mode {
            TufMode::Online => match source.fetch(TufMode::Online).await {
                Ok(root) => {
                    return Self::from_upstream(&root, origin).map(|r| (r, Freshness::Refreshed));
                }
                // Only an unreachable repository falls back to the cache. A repository that
                // answers with metadata that does not verify may be holding clients on old
                // metadata (a freeze or rollback attack): that is an error, not a fallback.
                // Upstream reports both as text; transport failures say so.
                Err(error) if !error.to_string().contains("transport error") => {
                    return Err(TrustRootError::Tuf {
                        url: source.url.clone(),
                        cache_dir: source.cache_dir.clone(),
                        online: Some(error.to_string()),
                        source: "the repository answered with metadata that does not verify; \
                                 the cache is not used in its place"
                            .into(),
                    });
                }
                Err(error) => {
                    tracing::warn!(
                        url = %source.url,
                        error = %error,
                        "TUF repository unreachable; trying the verified cache"
                    );
                    Some(error)
                }
            },
            TufMode::Offline => None,
        };
        match source.fetch(TufMode::Offline).await {
            Ok(root) => Self::from_upstream(&root, format!("{origin}, cached"))
                .map(|r| (r, Freshness::Cached)),
            Err(cached) => Err(TrustRootError::Tuf {
                url: source.url.clone(),
                cache_dir: source.cache_dir.clone(),
                online: online.map(|e| e.to_string()),
                source: cached,
            }),
        }
    }
}
