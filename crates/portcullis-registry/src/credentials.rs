//! Where registry credentials come from, and resolving them.
//!
//! Sources, in Image Updater's syntax `[registry=]type:definition`:
//! `pullsecret:ns/name` and `secret:ns/name#field` (Kubernetes secrets: parsed here, resolved
//! only by the in-cluster controller), `env:VAR` (`user:password`), `ext:/abs/script` (prints
//! `user:password`), and ours: `file:/path` (`user:password`, or a bare token) and
//! `dockerconfig:/path/config.json` (docker's `auths`, `credHelpers`, `credsStore`).
//! Resolved credentials are cached per registry until `credsexpire` elapses. No value ever
//! reaches an error, a log or `Debug`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::RegistryEndpoint;
use crate::docker_config;
use crate::secret::Secret;

/// How long an `ext:` script or a credential helper may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials for one registry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// Username and password (or a token used as password).
    Basic {
        /// The user.
        username: String,
        /// The password.
        password: Secret,
    },
    /// A bearer token sent as is.
    Token(Secret),
}

impl Credentials {
    /// Parses `user:password`; without a colon, the whole value is a token.
    pub fn from_pair(value: &str) -> Self {
        match value.trim().split_once(':') {
            Some((u, p)) => Self::Basic {
                username: u.to_owned(),
                password: Secret::new(p),
            },
            None => Self::Token(Secret::new(value.trim())),
        }
    }
}

/// A parsed credential source.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// A Kubernetes pull secret (`.dockerconfigjson`).
    PullSecret {
        /// Registry prefix, empty when not given.
        registry: String,
        /// Namespace.
        namespace: String,
        /// Secret name.
        name: String,
    },
    /// A field of a Kubernetes secret holding `user:password`.
    Secret {
        /// Registry prefix, empty when not given.
        registry: String,
        /// Namespace.
        namespace: String,
        /// Secret name.
        name: String,
        /// The field.
        field: String,
    },
    /// An environment variable holding `user:password`.
    Env {
        /// Registry prefix, empty when not given.
        registry: String,
        /// Variable name.
        var: String,
    },
    /// An executable printing `user:password`.
    Ext {
        /// Registry prefix, empty when not given.
        registry: String,
        /// Absolute path.
        script: PathBuf,
    },
    /// A file holding `user:password` or a token.
    File {
        /// Registry prefix, empty when not given.
        registry: String,
        /// The file.
        path: PathBuf,
    },
    /// A docker `config.json`.
    DockerConfig {
        /// Registry prefix, empty when not given.
        registry: String,
        /// The file.
        path: PathBuf,
    },
}

/// Why credentials cannot be parsed or resolved. Never contains a credential value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The spec does not have the `[registry=]type:definition` shape.
    #[error(
        "invalid credential spec '{spec}': expected [registry=]type:definition, e.g. env:REGISTRY_CREDS or ghcr.io=file:/etc/creds"
    )]
    Spec {
        /// The spec.
        spec: String,
    },
    /// An unknown type.
    #[error(
        "unknown credential source '{kind}' in '{spec}' (use pullsecret, secret, env, ext, file or dockerconfig)"
    )]
    UnknownType {
        /// The spec.
        spec: String,
        /// The type.
        kind: String,
    },
    /// A bad definition for a known type.
    #[error("invalid {kind} definition in '{spec}': {why}")]
    Definition {
        /// The spec.
        spec: String,
        /// The type.
        kind: &'static str,
        /// What is wrong.
        why: &'static str,
    },
    /// A Kubernetes source outside Kubernetes.
    #[error(
        "{kind}:{namespace}/{name} needs the in-cluster controller to read Kubernetes secrets; outside a cluster use env:, file: or dockerconfig:"
    )]
    NeedsKubernetes {
        /// The type.
        kind: &'static str,
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// An environment variable is not set.
    #[error("environment variable {var} is not set (it should hold user:password)")]
    EnvMissing {
        /// The variable.
        var: String,
    },
    /// A file cannot be read.
    #[error("cannot read credentials file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A command failed to run or exited non-zero.
    #[error("credential command {command} failed: {why}")]
    Command {
        /// The command.
        command: String,
        /// What happened (exit status or spawn error; never its output).
        why: String,
    },
    /// A docker config that does not parse or lacks what is needed.
    #[error("docker config {path}: {why}")]
    DockerConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

impl CredentialSource {
    /// Parses a spec. With `require_registry`, the `registry=` prefix is mandatory (as for
    /// Image Updater's `pull-secret` annotation).
    pub fn parse(spec: &str, require_registry: bool) -> Result<Self, CredentialError> {
        let bad = || CredentialError::Spec {
            spec: spec.to_owned(),
        };
        let (registry, definition) = match spec.split_once('=') {
            Some((r, d)) if !r.is_empty() && !d.is_empty() => (r.to_owned(), d),
            _ if require_registry => return Err(bad()),
            _ => (String::new(), spec),
        };
        let parts: Vec<&str> = definition.split(':').collect();
        let (kind, def) = match parts.as_slice() {
            [k, d] if !k.is_empty() && !d.is_empty() => (k.to_ascii_lowercase(), *d),
            _ => return Err(bad()),
        };
        let definition_error =
            |kind: &'static str, why: &'static str| CredentialError::Definition {
                spec: spec.to_owned(),
                kind,
                why,
            };
        let ns_name = |kind: &'static str, s: &str| -> Result<(String, String), CredentialError> {
            match s.split('/').collect::<Vec<_>>().as_slice() {
                [ns, name] if !ns.is_empty() && !name.is_empty() => {
                    Ok(((*ns).to_owned(), (*name).to_owned()))
                }
                _ => Err(definition_error(kind, "expected namespace/name")),
            }
        };
        match kind.as_str() {
            "pullsecret" => {
                let (namespace, name) = ns_name("pullsecret", def)?;
                Ok(Self::PullSecret {
                    registry,
                    namespace,
                    name,
                })
            }
            "secret" => {
                let (ns_part, field) = match def.split('#').collect::<Vec<_>>().as_slice() {
                    [a, f] if !a.is_empty() && !f.is_empty() => ((*a).to_owned(), (*f).to_owned()),
                    _ => return Err(definition_error("secret", "expected namespace/name#field")),
                };
                let (namespace, name) = ns_name("secret", &ns_part)?;
                Ok(Self::Secret {
                    registry,
                    namespace,
                    name,
                    field,
                })
            }
            "env" => Ok(Self::Env {
                registry,
                var: def.to_owned(),
            }),
            "ext" => {
                if !def.starts_with('/') {
                    return Err(definition_error("ext", "the script path must be absolute"));
                }
                Ok(Self::Ext {
                    registry,
                    script: PathBuf::from(def),
                })
            }
            "file" => Ok(Self::File {
                registry,
                path: PathBuf::from(def),
            }),
            "dockerconfig" => Ok(Self::DockerConfig {
                registry,
                path: PathBuf::from(def),
            }),
            _ => Err(CredentialError::UnknownType {
                spec: spec.to_owned(),
                kind: parts[0].to_owned(),
            }),
        }
    }

    /// The registry prefix the spec names, empty when none.
    pub fn registry(&self) -> &str {
        match self {
            Self::PullSecret { registry, .. }
            | Self::Secret { registry, .. }
            | Self::Env { registry, .. }
            | Self::Ext { registry, .. }
            | Self::File { registry, .. }
            | Self::DockerConfig { registry, .. } => registry,
        }
    }
}

/// The clock the credential cache expires by; replaceable in tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Resolved credentials (or none) and when they were resolved.
type Cached = (Option<Credentials>, Instant);

type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Resolves and caches credentials per registry.
#[derive(Clone)]
pub struct CredentialStore {
    overrides: HashMap<String, CredentialSource>,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
    clock: Arc<dyn Clock>,
    env: EnvLookup,
    helper_path: Option<Vec<PathBuf>>,
}

impl std::fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialStore")
            .field("overrides", &self.overrides)
            .finish_non_exhaustive()
    }
}

impl Default for CredentialStore {
    fn default() -> Self {
        Self::new()
    }
}

impl CredentialStore {
    /// A store reading the process environment, the system clock and `$PATH`.
    pub fn new() -> Self {
        Self {
            overrides: HashMap::new(),
            cache: Arc::default(),
            clock: Arc::new(SystemClock),
            env: Arc::new(|k| std::env::var(k).ok()),
            helper_path: None,
        }
    }

    /// Uses `source` for `registry` instead of what the configuration says.
    #[must_use]
    pub fn with_override(mut self, registry: &str, source: CredentialSource) -> Self {
        self.overrides.insert(registry.to_owned(), source);
        self
    }

    /// Replaces the clock (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces environment lookups (tests; the process environment cannot be changed
    /// safely from a multi-threaded test).
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

    /// The credentials for `endpoint`, from an override or its configured source; `None`
    /// for anonymous access. Cached until the endpoint's `creds_expire` elapses (forever
    /// when unset, as in Image Updater).
    pub async fn get(
        &self,
        endpoint: &RegistryEndpoint,
    ) -> Result<Option<Credentials>, CredentialError> {
        let key = endpoint.prefix.clone();
        let now = self.clock.now();
        if let Ok(cache) = self.cache.lock()
            && let Some((creds, at)) = cache.get(&key)
        {
            let fresh = endpoint
                .creds_expire
                .is_none_or(|ttl| now.saturating_duration_since(*at) < ttl);
            if fresh {
                return Ok(creds.clone());
            }
        }
        let source = self.overrides.get(&key).or(endpoint.credentials.as_ref());
        let creds = match source {
            None => None,
            Some(s) => self.resolve(s, endpoint).await?,
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, (creds.clone(), now));
        }
        Ok(creds)
    }

    async fn resolve(
        &self,
        source: &CredentialSource,
        endpoint: &RegistryEndpoint,
    ) -> Result<Option<Credentials>, CredentialError> {
        match source {
            CredentialSource::PullSecret {
                namespace, name, ..
            } => Err(CredentialError::NeedsKubernetes {
                kind: "pullsecret",
                namespace: namespace.clone(),
                name: name.clone(),
            }),
            CredentialSource::Secret {
                namespace, name, ..
            } => Err(CredentialError::NeedsKubernetes {
                kind: "secret",
                namespace: namespace.clone(),
                name: name.clone(),
            }),
            CredentialSource::Env { var, .. } => {
                let value = (self.env)(var)
                    .ok_or_else(|| CredentialError::EnvMissing { var: var.clone() })?;
                Ok(Some(Credentials::from_pair(&value)))
            }
            CredentialSource::File { path, .. } => {
                let value = read(path)?;
                Ok(Some(Credentials::from_pair(&value)))
            }
            CredentialSource::Ext { script, .. } => {
                let out = run_command(script, &[], None).await?;
                Ok(Some(Credentials::from_pair(&out)))
            }
            CredentialSource::DockerConfig { path, .. } => {
                let text = read(path)?;
                let config = docker_config::DockerConfig::parse(&text).map_err(|why| {
                    CredentialError::DockerConfig {
                        path: path.clone(),
                        why,
                    }
                })?;
                match config.lookup(&endpoint.prefix, &endpoint.api_url) {
                    docker_config::Lookup::Found(c) => Ok(Some(c)),
                    docker_config::Lookup::None => Ok(None),
                    docker_config::Lookup::Helper { helper, server } => {
                        let program = self.find_helper(&helper);
                        let out = run_command(&program, &["get"], Some(&server)).await?;
                        docker_config::parse_helper_output(&out)
                            .map(Some)
                            .map_err(|why| CredentialError::Command {
                                command: program.display().to_string(),
                                why,
                            })
                    }
                }
            }
        }
    }

    fn find_helper(&self, helper: &str) -> PathBuf {
        let name = format!("docker-credential-{helper}");
        match &self.helper_path {
            Some(dirs) => dirs
                .iter()
                .map(|d| d.join(&name))
                .find(|p| p.is_file())
                .unwrap_or_else(|| PathBuf::from(&name)),
            None => PathBuf::from(name),
        }
    }
}

/// Credentials for the registry at `api_url` from a pull secret's `.dockerconfigjson` (the
/// controller reads the secret; this reads its content). Like Image Updater, a document
/// without `auths` is an error.
pub fn credentials_from_pull_secret(
    dockerconfigjson: &str,
    prefix: &str,
    api_url: &str,
) -> Result<Option<Credentials>, CredentialError> {
    let err = |why: String| CredentialError::DockerConfig {
        path: PathBuf::from(".dockerconfigjson"),
        why,
    };
    let config = docker_config::DockerConfig::parse(dockerconfigjson).map_err(err)?;
    if !config.has_auths() {
        return Err(err("no 'auths' section".to_owned()));
    }
    match config.lookup(prefix, api_url) {
        docker_config::Lookup::Found(c) => Ok(Some(c)),
        _ => Ok(None),
    }
}

fn read(path: &Path) -> Result<String, CredentialError> {
    std::fs::read_to_string(path).map_err(|source| CredentialError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Runs a program directly (no shell), feeding `stdin`, with a timeout; returns stdout.
async fn run_command(
    program: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<String, CredentialError> {
    use tokio::io::AsyncWriteExt;
    let fail = |why: String| CredentialError::Command {
        command: program.display().to_string(),
        why,
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(format!("cannot start it ({e})")))?;
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes())
                .await
                .map_err(|e| fail(format!("cannot write its input ({e})")))?;
        }
        drop(pipe);
    }
    let output = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| fail(format!("no answer within {}s", COMMAND_TIMEOUT.as_secs())))?
        .map_err(|e| fail(format!("{e}")))?;
    if !output.status.success() {
        return Err(fail(format!("exited with {}", output.status)));
    }
    String::from_utf8(output.stdout)
        .map(|s| s.trim().to_owned())
        .map_err(|_| fail("printed something that is not UTF-8".to_owned()))
}
