//! The registries configuration: which registries exist, where their API is, how to reach
//! them, and their limits. Compatible in spirit with Argo CD Image Updater's `registries.conf`
//! (same field names and validation messages); see `docs/registries.md`.
//!
//! Loading is two-phase: a strict wire form (unknown fields are errors) is validated into
//! [`RegistriesConfig`], and only the validated form travels.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::credentials::{CredentialError, CredentialSource};
use crate::duration::parse_go_duration;

/// Requests per second a registry gets unless configured otherwise (Image Updater's default).
pub const DEFAULT_RATE_LIMIT: u32 = 20;
/// Concurrent requests per registry unless configured otherwise.
pub const DEFAULT_MAX_CONCURRENT: usize = 8;
/// Timeout of one request unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The order a registry returns tags in (Image Updater's `tagsortmode`), used to stop
/// listing early where it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TagSortMode {
    /// No order promised (default; written `none` or left out).
    #[default]
    Unsorted,
    /// Newest tags first.
    LatestFirst,
    /// Newest tags last.
    LatestLast,
}

/// One registry: where it is and how to talk to it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RegistryEndpoint {
    /// Human name, for messages.
    pub name: String,
    /// The registry host images name (`ghcr.io`, `localhost:5000`); empty for a default
    /// registry configured without one.
    pub prefix: String,
    /// Base URL of the distribution API, no trailing slash (`https://registry-1.docker.io`).
    pub api_url: String,
    /// Plain HTTP allowed and TLS certificates not verified (see the `danger` notes).
    pub insecure: bool,
    /// Whether to ping `/v2/` first (accepted for compatibility; requests work without).
    pub ping: bool,
    /// Whether this is the registry for images without a registry host.
    pub default: bool,
    /// Namespace prefixed to single-element paths (`library` on Docker Hub).
    pub defaultns: Option<String>,
    /// Where this registry's credentials come from.
    pub credentials: Option<CredentialSource>,
    /// How long resolved credentials stay valid before they are fetched again.
    pub creds_expire: Option<Duration>,
    /// Requests per second.
    pub limit_rps: u32,
    /// Concurrent requests.
    pub max_concurrent: usize,
    /// Tag order.
    pub tag_sort: TagSortMode,
    /// Timeout of one request.
    pub timeout: Duration,
    /// PEM file with extra CA certificates for this registry.
    pub ca_file: Option<PathBuf>,
    /// Inline PEM with extra CA certificates.
    pub ca_data: Option<String>,
}

impl RegistryEndpoint {
    /// The built-in Docker Hub entry.
    pub fn docker_hub() -> Self {
        Self {
            name: "Docker Hub".to_owned(),
            prefix: "docker.io".to_owned(),
            api_url: "https://registry-1.docker.io".to_owned(),
            default: true,
            defaultns: Some("library".to_owned()),
            ..Self::inferred("docker.io")
        }
    }

    /// The entry assumed for a registry nobody configured: `https://<host>`, defaults.
    pub fn inferred(host: &str) -> Self {
        Self {
            name: host.to_owned(),
            prefix: host.to_owned(),
            api_url: format!("https://{host}"),
            insecure: false,
            ping: true,
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
        }
    }

    /// A copy that talks plain HTTP to `api_url` (tests, loopback registries).
    #[must_use]
    pub fn with_api_url(mut self, api_url: &str, insecure: bool) -> Self {
        self.api_url = api_url.trim_end_matches('/').to_owned();
        self.insecure = insecure;
        self
    }
}

/// Why a configuration cannot be used. Messages carry Image Updater's wording so people
/// who know it recognise them, plus the entry and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read registries configuration {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// YAML syntax or an unknown field; the message has the line and column.
    #[error("invalid registries configuration: {0}")]
    Yaml(String),
    /// An entry without `name`.
    #[error("registry name is missing for entry {index} (every entry needs 'name: ...')")]
    MissingName {
        /// 1-based entry number.
        index: usize,
    },
    /// An entry without `api_url`.
    #[error("API URL must be specified for registry {name} (add e.g. 'api_url: https://ghcr.io')")]
    MissingApiUrl {
        /// The entry.
        name: String,
    },
    /// An `api_url` that is not http(s).
    #[error(
        "API URL '{url}' of registry {name} must start with https:// (or http:// with 'insecure: true')"
    )]
    BadApiUrl {
        /// The entry.
        name: String,
        /// The URL.
        url: String,
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
        "cannot set registry {second} as default - only one default registry allowed, currently {first} is default"
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
    /// A duration that does not parse.
    #[error(
        "invalid {field} '{value}' for registry {name} (write a duration such as 30s, 5m or 1h30m)"
    )]
    Duration {
        /// The entry.
        name: String,
        /// The field.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// A credentials spec that does not parse.
    #[error("invalid credentials for registry {name}")]
    Credentials {
        /// The entry.
        name: String,
        /// Why.
        #[source]
        source: CredentialError,
    },
    /// Limits that would stop all traffic.
    #[error("{field} of registry {name} must be at least 1")]
    ZeroLimit {
        /// The entry.
        name: String,
        /// The field.
        field: &'static str,
    },
}

/// A boolean as YAML 1.1 writes it too (`yes`/`no`, `on`/`off`), since Image Updater's
/// examples use `ping: no`.
#[derive(Debug, Clone, Copy)]
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bool(b) => Ok(Self(b)),
            Raw::Text(t) => match t.to_ascii_lowercase().as_str() {
                "yes" | "y" | "on" | "true" => Ok(Self(true)),
                "no" | "n" | "off" | "false" => Ok(Self(false)),
                _ => Err(serde::de::Error::custom(format!(
                    "'{t}' is not a boolean (use true or false)"
                ))),
            },
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFile {
    #[serde(default)]
    registries: Vec<WireRegistry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireRegistry {
    name: Option<String>,
    prefix: Option<String>,
    api_url: Option<String>,
    credentials: Option<String>,
    credsexpire: Option<String>,
    default: Option<Flag>,
    defaultns: Option<String>,
    insecure: Option<Flag>,
    ping: Option<Flag>,
    limit: Option<u32>,
    tagsortmode: Option<String>,
    ca_file: Option<PathBuf>,
    ca_data: Option<String>,
    max_concurrent: Option<usize>,
    timeout: Option<String>,
}

/// The validated registries configuration.
#[derive(Clone, Debug, Default)]
pub struct RegistriesConfig {
    registries: Vec<RegistryEndpoint>,
}

impl RegistriesConfig {
    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|e| match e {
            ConfigError::Yaml(msg) => ConfigError::Yaml(format!("{}: {msg}", path.display())),
            other => other,
        })
    }

    /// Parses and validates YAML text.
    pub fn parse(yaml: &str) -> Result<Self, ConfigError> {
        if yaml.trim().is_empty() {
            return Ok(Self::default());
        }
        let wire: WireFile =
            serde_saphyr::from_str(yaml).map_err(|e| ConfigError::Yaml(e.to_string()))?;
        let mut registries = Vec::with_capacity(wire.registries.len());
        let mut without_prefix: Option<String> = None;
        let mut default: Option<String> = None;
        for (i, w) in wire.registries.into_iter().enumerate() {
            let name = w
                .name
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .ok_or(ConfigError::MissingName { index: i + 1 })?;
            let api_url = w
                .api_url
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty())
                .ok_or_else(|| ConfigError::MissingApiUrl { name: name.clone() })?;
            if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
                return Err(ConfigError::BadApiUrl { name, url: api_url });
            }
            let prefix = w.prefix.unwrap_or_default().trim().to_owned();
            if prefix.is_empty() {
                if let Some(first) = &without_prefix {
                    return Err(ConfigError::TwoWithoutPrefix {
                        first: first.clone(),
                        second: name,
                    });
                }
                without_prefix = Some(name.clone());
            }
            let tag_sort = match w.tagsortmode.as_deref().unwrap_or("") {
                "latest-first" => TagSortMode::LatestFirst,
                "latest-last" => TagSortMode::LatestLast,
                "none" | "" => TagSortMode::Unsorted,
                other => {
                    return Err(ConfigError::TagSortMode {
                        name,
                        mode: other.to_owned(),
                    });
                }
            };
            let duration = |field: &'static str, value: Option<String>| match value {
                None => Ok(None),
                Some(v) => parse_go_duration(&v)
                    .map(Some)
                    .ok_or(ConfigError::Duration {
                        name: name.clone(),
                        field,
                        value: v,
                    }),
            };
            let creds_expire = duration("credsexpire", w.credsexpire)?;
            let timeout = duration("timeout", w.timeout)?.unwrap_or(DEFAULT_TIMEOUT);
            let credentials = w
                .credentials
                .map(|c| CredentialSource::parse(&c, false))
                .transpose()
                .map_err(|source| ConfigError::Credentials {
                    name: name.clone(),
                    source,
                })?;
            let is_default = w.default.is_some_and(|f| f.0);
            if is_default {
                if let Some(first) = &default {
                    return Err(ConfigError::TwoDefaults {
                        first: first.clone(),
                        second: name,
                    });
                }
                default = Some(name.clone());
            }
            let limit_rps = w.limit.unwrap_or(DEFAULT_RATE_LIMIT);
            if limit_rps == 0 {
                return Err(ConfigError::ZeroLimit {
                    name,
                    field: "limit",
                });
            }
            let max_concurrent = w.max_concurrent.unwrap_or(DEFAULT_MAX_CONCURRENT);
            if max_concurrent == 0 {
                return Err(ConfigError::ZeroLimit {
                    name,
                    field: "max_concurrent",
                });
            }
            registries.push(RegistryEndpoint {
                name,
                prefix,
                api_url,
                insecure: w.insecure.is_some_and(|f| f.0),
                ping: w.ping.is_none_or(|f| f.0),
                default: is_default,
                defaultns: w.defaultns.filter(|n| !n.is_empty()),
                credentials,
                creds_expire,
                limit_rps,
                max_concurrent,
                tag_sort,
                timeout,
                ca_file: w.ca_file,
                ca_data: w.ca_data,
            });
        }
        Ok(Self { registries })
    }

    /// The configured entries, in file order.
    pub fn registries(&self) -> &[RegistryEndpoint] {
        &self.registries
    }

    /// Adds or replaces the entry for `endpoint.prefix` (used by the CLI and tests).
    pub fn upsert(&mut self, endpoint: RegistryEndpoint) {
        self.registries.retain(|r| r.prefix != endpoint.prefix);
        self.registries.push(endpoint);
    }

    /// The registry that serves images on `host`.
    ///
    /// An entry whose prefix is `host`; for `""` and `docker.io` (where images without a
    /// registry host go), else the entry marked `default` or without prefix, else built-in
    /// Docker Hub; for any other host, an inferred `https://<host>` entry.
    pub fn endpoint_for(&self, host: &str) -> RegistryEndpoint {
        if !host.is_empty()
            && let Some(r) = self.registries.iter().find(|r| r.prefix == host)
        {
            return r.clone();
        }
        if host.is_empty() || host == "docker.io" {
            if let Some(r) = self
                .registries
                .iter()
                .find(|r| r.default)
                .or_else(|| self.registries.iter().find(|r| r.prefix.is_empty()))
            {
                return r.clone();
            }
            return RegistryEndpoint::docker_hub();
        }
        RegistryEndpoint::inferred(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_defaults() {
        let c = RegistriesConfig::parse(
            "registries:\n- name: GHCR\n  prefix: ghcr.io\n  api_url: https://ghcr.io/\n  ping: no\n  limit: 5\n  credsexpire: 1h30m\n  tagsortmode: latest-first\n  credentials: env:GHCR_CREDS\n",
        )
        .unwrap();
        let r = c.endpoint_for("ghcr.io");
        assert_eq!(r.api_url, "https://ghcr.io");
        assert!(!r.ping);
        assert_eq!(r.limit_rps, 5);
        assert_eq!(r.creds_expire, Some(Duration::from_secs(5400)));
        assert_eq!(r.tag_sort, TagSortMode::LatestFirst);
        assert_eq!(r.max_concurrent, DEFAULT_MAX_CONCURRENT);
        assert!(r.credentials.is_some());
    }

    #[test]
    fn unknown_fields_are_errors_with_a_location() {
        let err =
            RegistriesConfig::parse("registries:\n- name: X\n  api_url: https://x\n  apiurl: y\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("apiurl"), "{err}");
        assert!(err.contains('4') || err.contains("line"), "{err}");
    }

    #[test]
    fn docker_hub_and_inference() {
        let c = RegistriesConfig::default();
        assert_eq!(c.endpoint_for("").api_url, "https://registry-1.docker.io");
        assert_eq!(
            c.endpoint_for("docker.io").defaultns.as_deref(),
            Some("library")
        );
        let inferred = c.endpoint_for("quay.io");
        assert_eq!(inferred.api_url, "https://quay.io");
        assert!(!inferred.insecure);
    }

    #[test]
    fn a_configured_default_takes_docker_hub_images() {
        let c = RegistriesConfig::parse(
            "registries:\n- name: Mirror\n  prefix: mirror.local\n  api_url: https://mirror.local\n  default: true\n",
        )
        .unwrap();
        assert_eq!(c.endpoint_for("").name, "Mirror");
        assert_eq!(c.endpoint_for("docker.io").name, "Mirror");
    }

    #[test]
    fn bad_values_name_the_entry() {
        let e =
            RegistriesConfig::parse("registries:\n- name: A\n  api_url: ftp://a\n").unwrap_err();
        assert!(e.to_string().contains("registry A"), "{e}");
        let e = RegistriesConfig::parse(
            "registries:\n- name: A\n  api_url: https://a\n  credsexpire: 5d\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("credsexpire '5d'"), "{e}");
        let e =
            RegistriesConfig::parse("registries:\n- name: A\n  api_url: https://a\n  limit: 0\n")
                .unwrap_err();
        assert!(e.to_string().contains("at least 1"), "{e}");
    }
}
