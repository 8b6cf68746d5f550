//! Docker's `config.json` (and a pull secret's `.dockerconfigjson`, the same format): finding
//! the entry for a registry in `auths`, and which credential helper `credHelpers` or
//! `credsStore` names.
//!
//! Matching follows Image Updater: an `auths` key matches when it starts with the registry's
//! API URL, with or without scheme (`https://registry-1.docker.io/v2/` and
//! `registry-1.docker.io` both match `https://registry-1.docker.io`), but only at a `/`
//! boundary; a key naming the registry's host matches too, and Docker Hub's host names
//! (`docker.io`, `index.docker.io`, `registry-1.docker.io`) are one registry. When several
//! keys match, the most exact wins. Parsed leniently (unknown keys are ignored); nothing
//! here echoes a value.

use base64::Engine;
use serde_json::{Map, Value};

use super::{CredentialError, Credentials};
use crate::config::RegistryEndpoint;
use crate::secret::Secret;

/// Docker Hub's host names.
const DOCKER_HUB_HOSTS: [&str; 4] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// The server address docker uses for Docker Hub with credential helpers.
const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

/// What a docker config says about one registry.
#[derive(Debug)]
pub(super) enum Lookup {
    /// Credentials stored in the file.
    Found(Credentials),
    /// Ask this helper for this server address.
    Helper {
        /// The helper name.
        helper: String,
        /// The server address.
        server: String,
    },
}

/// A parsed docker config.
#[derive(Debug)]
pub(super) struct DockerConfig {
    origin: String,
    auths: Option<Map<String, Value>>,
    cred_helpers: Map<String, Value>,
    creds_store: Option<String>,
}

impl DockerConfig {
    /// Parses `text`; `origin` names the file or secret in messages.
    pub(super) fn parse(text: &str, origin: &str) -> Result<Self, CredentialError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| CredentialError::DockerConfigSyntax {
                origin: origin.to_owned(),
                line: e.line(),
                column: e.column(),
            })?;
        let shape = |problem: String| CredentialError::DockerConfigShape {
            origin: origin.to_owned(),
            problem,
        };
        let Value::Object(mut top) = value else {
            return Err(shape("the document must be a JSON object".to_owned()));
        };
        let auths = match top.remove("auths") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => return Err(shape("'auths' must be an object".to_owned())),
        };
        let cred_helpers = match top.remove("credHelpers") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(shape("'credHelpers' must be an object".to_owned())),
        };
        let creds_store = match top.remove("credsStore") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s).filter(|s| !s.is_empty()),
            Some(_) => return Err(shape("'credsStore' must be a string".to_owned())),
        };
        Ok(Self {
            origin: origin.to_owned(),
            auths,
            cred_helpers,
            creds_store,
        })
    }

    /// For a docker `config.json`: a helper from `credHelpers`, else credentials in
    /// `auths`, else the `credsStore` helper.
    pub(super) fn lookup(&self, endpoint: &RegistryEndpoint) -> Result<Lookup, CredentialError> {
        let server = server_address(endpoint);
        if let Some((key, helper)) = best_match(self.cred_helpers.iter(), endpoint) {
            let helper = helper.as_str().ok_or_else(|| {
                self.bad_entry("credHelpers", key, "must name a helper as a string")
            })?;
            return Ok(Lookup::Helper {
                helper: helper.to_owned(),
                server,
            });
        }
        let entry = self
            .auths
            .as_ref()
            .and_then(|a| best_match(a.iter(), endpoint));
        if let Some((key, entry)) = entry
            && let Some(c) = self.entry_credentials(key, entry)?
        {
            return Ok(Lookup::Found(c));
        }
        if let Some(store) = &self.creds_store {
            return Ok(Lookup::Helper {
                helper: store.clone(),
                server,
            });
        }
        match entry {
            // docker writes `{}` when a credential store holds the secret.
            Some((key, _)) => Err(self.bad_entry(
                "auths",
                key,
                "holds no credentials and the file names no credsStore (log in again)",
            )),
            None => Err(self.no_entry(endpoint)),
        }
    }

    /// For a pull secret, Image Updater's rules: `auths` is required, the matching entry
    /// must hold credentials; helpers are never run for what a cluster secret names.
    pub(super) fn pull_secret(
        &self,
        endpoint: &RegistryEndpoint,
    ) -> Result<Credentials, CredentialError> {
        let auths = self
            .auths
            .as_ref()
            .ok_or_else(|| CredentialError::DockerConfigShape {
                origin: self.origin.clone(),
                problem: "no credentials in image pull secret: it has no 'auths' section"
                    .to_owned(),
            })?;
        let (key, entry) =
            best_match(auths.iter(), endpoint).ok_or_else(|| self.no_entry(endpoint))?;
        self.entry_credentials(key, entry)?.ok_or_else(|| {
            self.bad_entry(
                "auths",
                key,
                "holds no credentials ('auth', or 'username' and 'password')",
            )
        })
    }

    /// The credentials an `auths` entry holds: `identitytoken`, `registrytoken`, `auth`
    /// (base64 `user:password`), or `username` and `password`. `None` for an empty entry.
    fn entry_credentials(
        &self,
        key: &str,
        entry: &Value,
    ) -> Result<Option<Credentials>, CredentialError> {
        let Value::Object(entry) = entry else {
            return Err(self.bad_entry("auths", key, "must be an object"));
        };
        let field = |name: &str| -> Result<Option<&str>, CredentialError> {
            match entry.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(self.bad_entry(
                    "auths",
                    key,
                    "has a field that should be a string and is not",
                )),
            }
        };
        if let Some(token) = field("identitytoken")? {
            return Ok(Some(Credentials::basic(
                Credentials::IDENTITY_TOKEN_USER,
                token,
            )));
        }
        if let Some(token) = field("registrytoken")? {
            return Ok(Some(Credentials::Token(Secret::new(token))));
        }
        if let Some(auth) = field("auth")? {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| self.bad_entry("auths", key, "has an 'auth' that is not base64"))?;
            let pair = String::from_utf8(bytes)
                .map_err(|_| self.bad_entry("auths", key, "has an 'auth' that is not text"))?;
            let (user, password) = pair.split_once(':').ok_or_else(|| {
                self.bad_entry(
                    "auths",
                    key,
                    "has an 'auth' that does not decode to user:password",
                )
            })?;
            return Ok(Some(Credentials::basic(user, password)));
        }
        match (field("username")?, field("password")?) {
            (Some(user), Some(password)) => Ok(Some(Credentials::basic(user, password))),
            _ => Ok(None),
        }
    }

    fn bad_entry(&self, section: &str, key: &str, problem: &str) -> CredentialError {
        CredentialError::DockerConfigShape {
            origin: self.origin.clone(),
            problem: format!("the {section} entry '{}' {problem}", printable_key(key)),
        }
    }

    fn no_entry(&self, endpoint: &RegistryEndpoint) -> CredentialError {
        CredentialError::NoEntry {
            origin: self.origin.clone(),
            registry: endpoint.host().to_owned(),
        }
    }
}

/// Credentials for `endpoint` from the content of a pull secret's `.dockerconfigjson`, by
/// Image Updater's rules: an error when it has no `auths` section, when no entry matches the
/// registry (see the module notes for matching), or when the entry holds no credentials.
/// `origin` names the secret in messages. Credential helpers are never run.
pub fn pull_secret_credentials(
    dockerconfigjson: &str,
    origin: &str,
    endpoint: &RegistryEndpoint,
) -> Result<Credentials, CredentialError> {
    DockerConfig::parse(dockerconfigjson, origin)?.pull_secret(endpoint)
}

/// The address docker passes to helpers: Docker Hub's legacy URL, else the registry host.
fn server_address(endpoint: &RegistryEndpoint) -> String {
    if endpoint.is_docker_hub() {
        DOCKER_HUB_SERVER.to_owned()
    } else {
        endpoint.host().to_owned()
    }
}

/// Drops the scheme and trailing slashes, lower-cases.
fn normalise(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    s.trim_end_matches('/').to_ascii_lowercase()
}

/// How well a key names the endpoint: 0 is best, `None` is no match.
fn rank(key: &str, endpoint: &RegistryEndpoint) -> Option<u8> {
    let key = normalise(key);
    if key.is_empty() {
        return None;
    }
    let api = normalise(&endpoint.api_url);
    let host = endpoint.host().to_ascii_lowercase();
    let key_host = key.split('/').next().unwrap_or_default();
    if key == api {
        Some(0)
    } else if key.starts_with(&format!("{api}/")) {
        Some(1)
    } else if key_host == host {
        Some(2)
    } else if endpoint.is_docker_hub() && DOCKER_HUB_HOSTS.contains(&key_host) {
        Some(3)
    } else {
        None
    }
}

/// The best-matching key (ties: the first in key order, so the choice is stable).
fn best_match<'a>(
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    endpoint: &RegistryEndpoint,
) -> Option<(&'a str, &'a Value)> {
    let mut matches: Vec<(u8, &'a str, &'a Value)> = entries
        .filter_map(|(k, v)| rank(k, endpoint).map(|r| (r, k.as_str(), v)))
        .collect();
    matches.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    matches.into_iter().next().map(|(_, k, v)| (k, v))
}

/// Keys are registry addresses; one that is not may be a pasted secret.
fn printable_key(key: &str) -> String {
    if key.len() <= 256
        && key.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '/' | '[' | ']')
        })
    {
        key.to_owned()
    } else {
        "<not shown>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(api: &str) -> RegistryEndpoint {
        let host = normalise(api);
        let host = host.split('/').next().unwrap_or_default().to_owned();
        RegistryEndpoint::inferred(&host).with_api_url(api, false)
    }

    fn found(cfg: &str, api: &str) -> Credentials {
        match DockerConfig::parse(cfg, "config.json")
            .unwrap()
            .lookup(&endpoint(api))
            .unwrap()
        {
            Lookup::Found(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn auths_keys_match_as_image_updater_matches_them() {
        let full = r#"{"auths":{"https://registry-1.docker.io/v2/":{"auth":"Zm9vOmJhcg=="}}}"#;
        let bare = r#"{"auths":{"registry-1.docker.io":{"auth":"Zm9vOmJhcg=="}}}"#;
        for (cfg, api) in [
            (full, "https://registry-1.docker.io"),
            (bare, "https://registry-1.docker.io"),
            (bare, "http://registry-1.docker.io"),
            (bare, "https://registry-1.docker.io/"),
        ] {
            assert_eq!(found(cfg, api), Credentials::basic("foo", "bar"), "{api}");
        }
        let err = DockerConfig::parse(full, "config.json")
            .unwrap()
            .lookup(&endpoint("https://gcr.io"))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("no valid auth entry for registry gcr.io"),
            "{err}"
        );
    }

    #[test]
    fn a_longer_host_is_not_a_match() {
        let cfg = r#"{"auths":{"ghcr.io.evil.example":{"auth":"Zm9vOmJhcg=="}}}"#;
        let c = DockerConfig::parse(cfg, "config.json").unwrap();
        assert!(matches!(
            c.lookup(&endpoint("https://ghcr.io")),
            Err(CredentialError::NoEntry { .. })
        ));
    }

    #[test]
    fn docker_hub_keys_are_one_registry_and_the_most_exact_key_wins() {
        let cfg = r#"{"auths":{
            "https://index.docker.io/v1/":{"auth":"aHViOmxlZ2FjeQ=="},
            "registry-1.docker.io":{"username":"hub","password":"exact"}}}"#;
        let hub = RegistryEndpoint::docker_hub();
        match DockerConfig::parse(cfg, "c").unwrap().lookup(&hub).unwrap() {
            Lookup::Found(c) => assert_eq!(c, Credentials::basic("hub", "exact")),
            other => panic!("{other:?}"),
        }
        let legacy_only =
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViOmxlZ2FjeQ=="}}}"#;
        match DockerConfig::parse(legacy_only, "c")
            .unwrap()
            .lookup(&hub)
            .unwrap()
        {
            Lookup::Found(c) => assert_eq!(c, Credentials::basic("hub", "legacy")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn helpers_first_then_inline_then_store() {
        let cfg = r#"{"auths":{"quay.io":{"auth":"Zm9vOmJhcg=="},"ghcr.io":{}},
                      "credHelpers":{"ghcr.io":"gh"},"credsStore":"desktop"}"#;
        let c = DockerConfig::parse(cfg, "c").unwrap();
        assert!(matches!(
            c.lookup(&endpoint("https://ghcr.io")).unwrap(),
            Lookup::Helper { ref helper, ref server } if helper == "gh" && server == "ghcr.io"
        ));
        assert!(matches!(
            c.lookup(&endpoint("https://quay.io")).unwrap(),
            Lookup::Found(_)
        ));
        assert!(matches!(
            c.lookup(&RegistryEndpoint::docker_hub()).unwrap(),
            Lookup::Helper { ref helper, ref server } if helper == "desktop" && server == DOCKER_HUB_SERVER
        ));
    }

    #[test]
    fn identity_and_registry_tokens() {
        let c = found(
            r#"{"auths":{"ghcr.io":{"identitytoken":"refresh-me"}}}"#,
            "https://ghcr.io",
        );
        assert_eq!(c.identity_token(), Some(&Secret::new("refresh-me")));
        let t = found(
            r#"{"auths":{"ghcr.io":{"registrytoken":"bearer-me"}}}"#,
            "https://ghcr.io",
        );
        assert_eq!(t, Credentials::Token(Secret::new("bearer-me")));
    }

    #[test]
    fn pull_secrets_need_auths_and_never_name_helpers() {
        let ep = endpoint("https://ghcr.io");
        let err =
            pull_secret_credentials(r#"{"BAD-KEY":{}}"#, "pull secret ns/s", &ep).unwrap_err();
        assert!(
            err.to_string()
                .contains("no credentials in image pull secret"),
            "{err}"
        );
        let err = pull_secret_credentials(
            r#"{"auths":{},"credsStore":"evil"}"#,
            "pull secret ns/s",
            &ep,
        )
        .unwrap_err();
        assert!(matches!(err, CredentialError::NoEntry { .. }), "{err}");
    }

    #[test]
    fn errors_never_echo_values() {
        let ep = endpoint("https://ghcr.io");
        for cfg in [
            r#"{"auths":{"ghcr.io":"c2VjcmV0LXZhbHVl"}}"#,
            r#"{"auths":{"ghcr.io":{"auth":"secret-value!"}}}"#,
            r#"{"auths":{"ghcr.io":{"auth":"c2VjcmV0LXZhbHVl"}}}"#,
            r#"{"auths":{"ghcr.io":{"password":["secret-value"]}}}"#,
            r#"{"auths":{"ghcr.io":{"auth":"secret-value""#,
        ] {
            let err = pull_secret_credentials(cfg, "pull secret ns/s", &ep).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(!text.contains("secret-value"), "{text}");
            assert!(!text.contains("c2VjcmV0LXZhbHVl"), "{text}");
        }
    }
}
