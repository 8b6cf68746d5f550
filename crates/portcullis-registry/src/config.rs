//! The registries configuration: which registries exist, where their API is, how to reach
//! them, their credentials and limits. Compatible in spirit with Argo CD Image Updater's
//! `registries.conf` (same field names, same validation wording); `docs/registries.md` has
//! the format and every difference.
//!
//! Loading is two-phase: a strict wire form (unknown fields are errors, with line and
//! column) is validated into [`RegistriesConfig`], and only the validated form travels.
//! Insecure settings and their checks live in [`danger`].

pub mod danger;
mod wire;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::credentials::{CredentialError, CredentialSource};

/// Requests per second for a configured or inferred registry unless `limit` says otherwise
/// (Image Updater's value for inferred registries).
pub const DEFAULT_RATE_LIMIT: u32 = 20;
/// Requests per second for the built-in Docker Hub entry (Image Updater's value).
pub const DOCKER_HUB_RATE_LIMIT: u32 = 10;
/// Concurrent requests per registry unless `max_concurrent` says otherwise.
pub const DEFAULT_MAX_CONCURRENT: usize = 8;
/// Timeout of one request unless `timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The host images use for Docker Hub.
const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's legacy host, the same registry.
const DOCKER_HUB_LEGACY: &str = "index.docker.io";

/// The order a registry returns tags in (Image Updater's `tagsortmode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TagSortMode {
    /// No order promised (written `none`, `""`, or left out).
    #[default]
    Unsorted,
    /// Newest tags first (`latest-first`).
    LatestFirst,
    /// Newest tags last (`latest-last`).
    LatestLast,
}

impl TagSortMode {
    /// Parses Image Updater's spelling, case-insensitively; `None` for anything else.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "latest-first" => Some(Self::LatestFirst),
            "latest-last" => Some(Self::LatestLast),
            "none" | "" => Some(Self::Unsorted),
            _ => None,
        }
    }

    /// The name Image Updater prints: `latest-first`, `latest-last` or `unsorted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsorted => "unsorted",
            Self::LatestFirst => "latest-first",
            Self::LatestLast => "latest-last",
        }
    }

    /// Whether the registry's listing order follows creation time.
    pub fn is_time_sorted(self) -> bool {
        matches!(self, Self::LatestFirst | Self::LatestLast)
    }
}

impl fmt::Display for TagSortMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an endpoint's settings came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointOrigin {
    /// An entry of the registries configuration (or added with [`RegistriesConfig::upsert`]).
    Configured,
    /// The built-in Docker Hub entry.
    BuiltIn,
    /// Nobody configured this registry: `https://<host>` with defaults.
    Inferred,
}

/// One registry: where it is and how to talk to it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RegistryEndpoint {
    /// Human name, for messages (`name`).
    pub name: String,
    /// What images name the registry by (`prefix`): a host such as `ghcr.io` or
    /// `localhost:5000`, optionally with a path (`ghcr.io/my-org`); empty for a default
    /// registry configured without one.
    pub prefix: String,
    /// Base URL of the distribution API, no trailing slash (`api_url`).
    pub api_url: String,
    /// Plain HTTP allowed and TLS certificates not verified (`insecure`; see [`danger`]).
    pub insecure: bool,
    /// Image Updater's `ping`; accepted and kept, requests work without it.
    pub ping: bool,
    /// Whether this registry serves images named without a registry host (`default`).
    pub default: bool,
    /// Namespace put in front of single-element paths (`defaultns`, `library` on Docker Hub).
    pub defaultns: Option<String>,
    /// Where this registry's credentials come from (`credentials`).
    pub credentials: Option<CredentialSource>,
    /// How long resolved credentials are reused before they are fetched again
    /// (`credsexpire`); `None` means until the process ends, as in Image Updater.
    pub creds_expire: Option<Duration>,
    /// Requests per second (`limit`).
    pub limit_rps: u32,
    /// Concurrent requests (`max_concurrent`).
    pub max_concurrent: usize,
    /// Tag order (`tagsortmode`).
    pub tag_sort: TagSortMode,
    /// Timeout of one request (`timeout`).
    pub timeout: Duration,
    /// PEM file with extra CA certificates for this registry (`ca_file`).
    pub ca_file: Option<PathBuf>,
    /// Inline PEM with extra CA certificates (`ca_data`).
    pub ca_data: Option<String>,
    /// Where these settings came from.
    pub origin: EndpointOrigin,
}

impl RegistryEndpoint {
    /// The built-in Docker Hub entry: prefix `docker.io`, API `https://registry-1.docker.io`,
    /// namespace `library`, 10 requests per second.
    pub fn docker_hub() -> Self {
        Self {
            name: "Docker Hub".to_owned(),
            prefix: DOCKER_HUB.to_owned(),
            api_url: "https://registry-1.docker.io".to_owned(),
            ping: true,
            default: true,
            defaultns: Some("library".to_owned()),
            limit_rps: DOCKER_HUB_RATE_LIMIT,
            origin: EndpointOrigin::BuiltIn,
            ..Self::inferred(DOCKER_HUB)
        }
    }

    /// The entry assumed for a registry nobody configured: `https://<host>`, 20 requests
    /// per second, unsorted tags, TLS verified, no credentials.
    pub fn inferred(host: &str) -> Self {
        Self {
            name: host.to_owned(),
            prefix: host.to_owned(),
            api_url: format!("https://{host}"),
            insecure: false,
            ping: false,
            default: false,
            defaultns: None,
            credentials: None,
            creds_expire: None,
            limit_rps: DEFAULT_RATE_LIMIT,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            tag_sort: TagSortMode::Unsorted,
            timeout: DEFAULT_TIMEOUT,
            ca_file: None,
            ca_data: None,
            origin: EndpointOrigin::Inferred,
        }
    }

    /// A copy with another API URL and `insecure` setting (tests, loopback registries).
    #[must_use]
    pub fn with_api_url(mut self, api_url: &str, insecure: bool) -> Self {
        self.api_url = api_url.trim_end_matches('/').to_owned();
        self.insecure = insecure;
        self
    }

    /// A copy with a credential source.
    #[must_use]
    pub fn with_credentials(mut self, source: CredentialSource) -> Self {
        self.credentials = Some(source);
        self
    }

    /// The registry host (with port): the host part of the prefix, else of the API URL.
    pub fn host(&self) -> &str {
        let from_prefix = self.prefix.split('/').next().unwrap_or_default();
        if !from_prefix.is_empty() {
            return from_prefix;
        }
        let rest = self
            .api_url
            .split_once("://")
            .map_or(self.api_url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or_default()
    }

    /// Whether this is Docker Hub, whatever it is called.
    pub fn is_docker_hub(&self) -> bool {
        let host = self.host();
        host == DOCKER_HUB
            || host == DOCKER_HUB_LEGACY
            || self.api_url == "https://registry-1.docker.io"
            || self.api_url == "https://index.docker.io"
    }

    /// For an inferred loopback registry (`localhost:5000`), the advice to configure it for
    /// plain HTTP, which such registries usually speak; meant for connection errors.
    pub fn plain_http_hint(&self) -> Option<String> {
        (self.origin == EndpointOrigin::Inferred && danger::is_loopback_host(self.host())).then(
            || {
                format!(
                    "{host} is a loopback registry and was not configured, so https://{host} was \
                     assumed; if it speaks plain HTTP, add a registries.conf entry with \
                     'prefix: {host}', 'api_url: http://{host}' and 'insecure: true'",
                    host = self.host()
                )
            },
        )
    }
}

/// Why a registries configuration cannot be used. Messages carry Image Updater's wording
/// (so people who know it recognise them), the entry, and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file does not exist.
    #[error(
        "cannot read registries configuration {path}: no such file or directory (create it, or point to the right file)"
    )]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The file cannot be read.
    #[error("cannot read registries configuration {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// YAML syntax, a wrong type, or an unknown field.
    #[error("{}", yaml_message(origin, *line, *column, message))]
    Yaml {
        /// The file, or `registries configuration` for text.
        origin: String,
        /// 1-based line, when known.
        line: Option<u64>,
        /// 1-based column, when known.
        column: Option<u64>,
        /// What the YAML reader said.
        message: String,
    },
    /// An entry without `name`.
    #[error(
        "registry name is missing for entry {index} (api_url {api_url}): add 'name: <a name for messages>'"
    )]
    MissingName {
        /// 1-based entry number.
        index: usize,
        /// Its `api_url`, to find it (`<none>` when missing too).
        api_url: String,
    },
    /// An entry without `api_url`.
    #[error("API URL must be specified for registry {name}: add e.g. 'api_url: https://ghcr.io'")]
    MissingApiUrl {
        /// The entry.
        name: String,
    },
    /// An `api_url` that is not an http(s) URL with a host.
    #[error(
        "API URL '{url}' of registry {name} is not usable: {problem} (write e.g. 'api_url: https://ghcr.io')"
    )]
    BadApiUrl {
        /// The entry.
        name: String,
        /// The URL.
        url: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A plain-HTTP `api_url` without `insecure: true`.
    #[error(
        "API URL '{url}' of registry {name} is plain HTTP: use https://, or add 'insecure: true' to allow HTTP for this registry"
    )]
    PlainHttp {
        /// The entry.
        name: String,
        /// The URL.
        url: String,
    },
    /// A `prefix` written as a URL or with spaces.
    #[error(
        "prefix '{prefix}' of registry {name} must be how images name the registry, a host with optional port and path such as 'ghcr.io' or 'localhost:5000', without scheme"
    )]
    BadPrefix {
        /// The entry.
        name: String,
        /// The prefix.
        prefix: String,
    },
    /// Two entries with the same prefix.
    #[error(
        "registries {first} and {second} both have prefix '{prefix}': remove one or give it another prefix"
    )]
    DuplicatePrefix {
        /// The first entry.
        first: String,
        /// The second entry.
        second: String,
        /// The prefix.
        prefix: String,
    },
    /// Two entries without prefix.
    #[error(
        "there must be only one default registry (already is {first}), {second} needs a prefix"
    )]
    TwoWithoutPrefix {
        /// The first entry without prefix.
        first: String,
        /// The second.
        second: String,
    },
    /// Two entries marked `default: true`.
    #[error(
        "cannot set registry {second} as default - only one default registry allowed, currently set to {first}: remove 'default: true' from one of them"
    )]
    TwoDefaults {
        /// The entry already default.
        first: String,
        /// The entry that also claims it.
        second: String,
    },
    /// An unknown `tagsortmode`.
    #[error(
        "unknown tag sort mode for registry {name}: {mode} (use latest-first, latest-last or none)"
    )]
    TagSortMode {
        /// The entry.
        name: String,
        /// The value.
        mode: String,
    },
    /// A duration that does not parse or is out of range.
    #[error("invalid {field} '{value}' for registry {name}: {problem}")]
    Duration {
        /// The entry.
        name: String,
        /// The field.
        field: &'static str,
        /// The value.
        value: String,
        /// What is wrong, and what to write.
        problem: &'static str,
    },
    /// A `credentials` spec that does not parse.
    #[error("invalid credentials for registry {name}")]
    Credentials {
        /// The entry.
        name: String,
        /// Why.
        #[source]
        source: CredentialError,
    },
    /// A limit below 1.
    #[error("{field} of registry {name} is {value}, must be at least 1: {fix}")]
    Limit {
        /// The entry.
        name: String,
        /// The field.
        field: &'static str,
        /// The value.
        value: i64,
        /// What to write instead.
        fix: &'static str,
    },
    /// `ca_data` without a PEM certificate.
    #[error(
        "ca_data does not contain a valid PEM certificate for registry {name}: paste the CA certificate including its -----BEGIN CERTIFICATE----- line"
    )]
    CaData {
        /// The entry.
        name: String,
    },
    /// A `ca_file` that cannot be read or holds no certificate (checked by
    /// [`RegistriesConfig::load`] only).
    #[error("CA file {path} of registry {name} {problem}")]
    CaFile {
        /// The entry.
        name: String,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: &'static str,
    },
}

fn yaml_message(origin: &str, line: Option<u64>, column: Option<u64>, message: &str) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{origin}:{l}:{c}: {message}"),
        (Some(l), None) => format!("{origin}:{l}: {message}"),
        _ => format!("{origin}: {message}"),
    }
}

/// The validated registries configuration.
#[derive(Clone, Debug, Default)]
pub struct RegistriesConfig {
    registries: Vec<RegistryEndpoint>,
}

impl RegistriesConfig {
    /// Reads and validates a file; also checks that every `ca_file` of a registry that is
    /// not insecure can be read and holds a certificate.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_owned(),
                }
            } else {
                ConfigError::Read {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        let config = wire::parse(&text, &path.display().to_string())?;
        for r in config.registries.iter().filter(|r| !r.insecure) {
            if let Some(ca) = &r.ca_file {
                wire::check_ca_file(&r.name, ca)?;
            }
        }
        Ok(config)
    }

    /// Parses and validates YAML text. No file is read (`ca_file` is not checked).
    pub fn parse(yaml: &str) -> Result<Self, ConfigError> {
        wire::parse(yaml, "registries configuration")
    }

    /// The configured entries, in file order.
    pub fn registries(&self) -> &[RegistryEndpoint] {
        &self.registries
    }

    /// Adds `endpoint`, replacing an entry with the same prefix (CLI flags, tests). An
    /// endpoint marked default takes that role from any other entry.
    pub fn upsert(&mut self, mut endpoint: RegistryEndpoint) {
        endpoint.origin = EndpointOrigin::Configured;
        if endpoint.default {
            for r in &mut self.registries {
                r.default = false;
            }
        }
        self.registries.retain(|r| r.prefix != endpoint.prefix);
        self.registries.push(endpoint);
    }

    /// The registry for images named without a registry host: the entry marked `default`,
    /// else the entry without prefix, else built-in Docker Hub.
    pub fn default_endpoint(&self) -> RegistryEndpoint {
        self.registries
            .iter()
            .find(|r| r.default)
            .or_else(|| self.registries.iter().find(|r| r.prefix.is_empty()))
            .cloned()
            .unwrap_or_else(RegistryEndpoint::docker_hub)
    }

    /// The registry that serves images on `host` (`ghcr.io`, `localhost:5000`).
    ///
    /// `""` gives [`Self::default_endpoint`]. Otherwise the entry whose prefix is `host`
    /// (case-insensitive); for `docker.io` (where images without a host are normalised to)
    /// the default endpoint when no entry names `docker.io`; for any other host an inferred
    /// `https://<host>` entry. Entries whose prefix has a path (`ghcr.io/org`) are only
    /// found by [`Self::endpoint_for_image`].
    pub fn endpoint_for(&self, host: &str) -> RegistryEndpoint {
        self.endpoint_for_image(host, "")
    }

    /// The registry that serves the image `host/path`: like [`Self::endpoint_for`], and an
    /// entry whose prefix has a path (`ghcr.io/my-org`) wins when `host/path` starts with
    /// it at a `/` boundary; the longest such prefix wins.
    pub fn endpoint_for_image(&self, host: &str, path: &str) -> RegistryEndpoint {
        let host = normalise_host(host);
        if host.is_empty() {
            return self.default_endpoint();
        }
        let full = if path.is_empty() {
            host.clone()
        } else {
            format!("{host}/{}", path.trim_matches('/'))
        };
        let best = self
            .registries
            .iter()
            .filter(|r| !r.prefix.is_empty())
            .filter(|r| {
                let p = normalise_host(&r.prefix);
                full == p || full.starts_with(&format!("{p}/"))
            })
            .max_by_key(|r| r.prefix.len());
        if let Some(r) = best {
            return r.clone();
        }
        if host == DOCKER_HUB {
            return self.default_endpoint();
        }
        RegistryEndpoint::inferred(&host)
    }
}

/// Lower-cases and maps Docker Hub's legacy host to `docker.io`.
fn normalise_host(prefix: &str) -> String {
    let lower = prefix.trim().trim_end_matches('/').to_ascii_lowercase();
    match lower.strip_prefix(DOCKER_HUB_LEGACY) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{DOCKER_HUB}{rest}"),
        _ => lower,
    }
}

#[cfg(test)]
mod tests;
