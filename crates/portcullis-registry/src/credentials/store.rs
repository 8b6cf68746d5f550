//! [`CredentialStore`]: resolves an endpoint's credential source and caches the result.
//!
//! Cached per endpoint (prefix, API URL and source) until the endpoint's `credsexpire`
//! elapses, forever when it is unset (Image Updater's rule). Concurrent calls for the same
//! endpoint wait for one resolution instead of running a script many times. Failures are
//! not cached: the next call tries again. Time is tokio's clock, so tests can pause it.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;

use super::docker_config::{DockerConfig, Lookup};
use super::helper::{self, HelperCall};
use super::{
    CredentialError, CredentialSource, Credentials, DEFAULT_COMMAND_TIMEOUT, PULL_SECRET_FIELD,
    SecretReader, user_password,
};
use crate::config::RegistryEndpoint;
use crate::secret::Secret;

/// A `file:` source larger than this is not credentials.
const CREDENTIALS_FILE_LIMIT: usize = 64 * 1024;
/// A docker config larger than this is refused.
const DOCKER_CONFIG_LIMIT: usize = 4 * 1024 * 1024;

type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What one endpoint resolved to, and when.
#[derive(Debug)]
struct Entry {
    credentials: Option<Credentials>,
    resolved_at: Instant,
}

type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

/// Resolves and caches registry credentials. Cloning shares the cache.
#[derive(Clone)]
pub struct CredentialStore {
    overrides: Vec<(String, CredentialSource)>,
    cache: Arc<Mutex<HashMap<String, Slot>>>,
    env: EnvLookup,
    helper_path: Option<Vec<PathBuf>>,
    secrets: Option<Arc<dyn SecretReader>>,
    command_timeout: Duration,
}

impl fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialStore")
            .field("overrides", &self.overrides)
            .field("helper_path", &self.helper_path)
            .field("secrets", &self.secrets)
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for CredentialStore {
    fn default() -> Self {
        Self::new()
    }
}

impl CredentialStore {
    /// A store reading the process environment, finding credential helpers on `$PATH`, with
    /// no Kubernetes secret reader and a 10 s limit for scripts and helpers.
    pub fn new() -> Self {
        Self {
            overrides: Vec::new(),
            cache: Arc::default(),
            env: Arc::new(|k| std::env::var(k).ok()),
            helper_path: None,
            secrets: None,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
        }
    }

    /// Uses `source` for the registry with prefix (or host) `registry` instead of what the
    /// configuration says (the CLI's `--credentials`). An empty `registry` takes the one
    /// the spec names (`ghcr.io=env:X`).
    #[must_use]
    pub fn with_override(mut self, registry: &str, source: CredentialSource) -> Self {
        let key = if registry.is_empty() {
            source.registry()
        } else {
            registry
        };
        let key = key.trim_end_matches('/').to_ascii_lowercase();
        self.overrides.retain(|(k, _)| *k != key);
        self.overrides.push((key, source));
        self
    }

    /// Replaces environment lookups for `env:` sources and `$PATH` (tests: the process
    /// environment cannot be changed safely from a multi-threaded test).
    #[must_use]
    pub fn with_env(
        mut self,
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Arc::new(env);
        self
    }

    /// Directories to find `docker-credential-<name>` helpers in, instead of `$PATH`.
    #[must_use]
    pub fn with_helper_path(mut self, dirs: Vec<PathBuf>) -> Self {
        self.helper_path = Some(dirs);
        self
    }

    /// Reads `pullsecret:` and `secret:` sources through `reader` (the in-cluster
    /// controller provides one).
    #[must_use]
    pub fn with_secret_reader(mut self, reader: Arc<dyn SecretReader>) -> Self {
        self.secrets = Some(reader);
        self
    }

    /// How long an `ext:` script or a credential helper may run.
    #[must_use]
    pub fn with_command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// The source in effect for `endpoint`: an override, else its configured source.
    pub fn source_for<'a>(
        &'a self,
        endpoint: &'a RegistryEndpoint,
    ) -> Option<&'a CredentialSource> {
        let prefix = endpoint.prefix.to_ascii_lowercase();
        let host = endpoint.host().to_ascii_lowercase();
        self.overrides
            .iter()
            .find(|(k, _)| *k == prefix)
            .or_else(|| self.overrides.iter().find(|(k, _)| *k == host))
            .map(|(_, s)| s)
            .or(endpoint.credentials.as_ref())
    }

    /// The credentials for `endpoint`; `None` for anonymous access (no source, or a
    /// credential helper that has nothing stored). Cached as the module notes say.
    pub async fn get(
        &self,
        endpoint: &RegistryEndpoint,
    ) -> Result<Option<Credentials>, CredentialError> {
        let Some(source) = self.source_for(endpoint) else {
            return Ok(None);
        };
        let slot = self.slot(&cache_key(endpoint, source));
        let mut entry = slot.lock().await;
        if let Some(e) = entry.as_ref() {
            let fresh = endpoint
                .creds_expire
                .is_none_or(|ttl| now().saturating_duration_since(e.resolved_at) < ttl);
            if fresh {
                return Ok(e.credentials.clone());
            }
            tracing::debug!(registry = %endpoint.prefix, source = source.kind(), "credentials expired");
        }
        *entry = None;
        let credentials = self.resolve(source, endpoint).await?;
        tracing::debug!(
            registry = %endpoint.prefix,
            source = source.kind(),
            anonymous = credentials.is_none(),
            "credentials resolved"
        );
        *entry = Some(Entry {
            credentials: credentials.clone(),
            resolved_at: now(),
        });
        Ok(credentials)
    }

    /// Forgets what is cached for `endpoint`, so the next [`Self::get`] resolves again
    /// (after the registry refused the credentials).
    pub fn invalidate(&self, endpoint: &RegistryEndpoint) {
        if let Some(source) = self.source_for(endpoint) {
            let key = cache_key(endpoint, source);
            self.cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&key);
        }
    }

    fn slot(&self, key: &str) -> Slot {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.to_owned())
            .or_default()
            .clone()
    }

    async fn resolve(
        &self,
        source: &CredentialSource,
        endpoint: &RegistryEndpoint,
    ) -> Result<Option<Credentials>, CredentialError> {
        match source {
            CredentialSource::PullSecret {
                namespace, name, ..
            } => {
                let value = self
                    .read_secret("pullsecret", namespace, name, PULL_SECRET_FIELD)
                    .await?;
                let origin = format!("pull secret {namespace}/{name}");
                let config = DockerConfig::parse(value.expose(), &origin)?;
                config.pull_secret(endpoint).map(Some)
            }
            CredentialSource::Secret {
                namespace,
                name,
                field,
                ..
            } => {
                let value = self.read_secret("secret", namespace, name, field).await?;
                let origin = format!("field '{field}' of secret {namespace}/{name}");
                user_password(value.expose(), &origin, false).map(Some)
            }
            CredentialSource::Env { var, .. } => {
                let value = (self.env)(var)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| CredentialError::EnvMissing { var: var.clone() })?;
                let origin = format!("environment variable {var}");
                user_password(&value, &origin, true).map(Some)
            }
            CredentialSource::Ext { script, .. } => {
                helper::run_script(script, self.command_timeout)
                    .await
                    .map(Some)
            }
            CredentialSource::File { path, .. } => {
                let text = read_capped(path, CREDENTIALS_FILE_LIMIT).await?;
                file_credentials(&text, path).map(Some)
            }
            CredentialSource::DockerConfig { path, .. } => {
                let text = read_capped(path, DOCKER_CONFIG_LIMIT).await?;
                let origin = format!("docker config {}", path.display());
                match DockerConfig::parse(&text, &origin)?.lookup(endpoint)? {
                    Lookup::Found(c) => Ok(Some(c)),
                    Lookup::Helper { helper, server } => {
                        let search_path = self.search_path();
                        helper::ask_helper(HelperCall {
                            helper: &helper,
                            config: &origin,
                            server: &server,
                            search_path: &search_path,
                            timeout: self.command_timeout,
                        })
                        .await
                    }
                }
            }
        }
    }

    async fn read_secret(
        &self,
        kind: &'static str,
        namespace: &str,
        name: &str,
        field: &str,
    ) -> Result<Secret, CredentialError> {
        let Some(reader) = &self.secrets else {
            return Err(CredentialError::NeedsKubernetes {
                kind,
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            });
        };
        reader
            .read_field(namespace, name, field)
            .await
            .map_err(|source| CredentialError::KubernetesSecret {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                field: field.to_owned(),
                source,
            })
    }

    fn search_path(&self) -> Vec<PathBuf> {
        match &self.helper_path {
            Some(dirs) => dirs.clone(),
            None => (self.env)("PATH")
                .map(|p| std::env::split_paths(&p).collect())
                .unwrap_or_default(),
        }
    }
}

fn cache_key(endpoint: &RegistryEndpoint, source: &CredentialSource) -> String {
    format!("{}\n{}\n{source}", endpoint.prefix, endpoint.api_url)
}

/// Now, on tokio's clock when a runtime is running (pausable in tests).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// A `file:` source: `user:password`, or a bare token.
fn file_credentials(text: &str, path: &Path) -> Result<Credentials, CredentialError> {
    let value = text.trim();
    let origin = format!("credentials file {}", path.display());
    if value.is_empty() {
        return Err(CredentialError::Malformed {
            origin,
            problem: "it is empty; write user:password or a token",
        });
    }
    if value.contains(':') {
        user_password(value, &origin, true)
    } else if value.contains(['\n', '\r']) {
        Err(CredentialError::Malformed {
            origin,
            problem: "it must be a single line",
        })
    } else {
        Ok(Credentials::Token(Secret::new(value)))
    }
}

/// Reads at most `limit` bytes of a file (a path to a device or a huge file fails instead
/// of hanging or filling memory).
async fn read_capped(path: &Path, limit: usize) -> Result<String, CredentialError> {
    let read_error = |source| CredentialError::Read {
        path: path.to_owned(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(read_error)?;
    if bytes.len() > limit {
        return Err(CredentialError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|_| CredentialError::Malformed {
        origin: path.display().to_string(),
        problem: "it is not UTF-8 text",
    })
}
