//! Docker's `config.json`: `auths`, `credHelpers`, `credsStore`, and the credential-helper
//! protocol (`docker-credential-<name> get`, server URL on stdin, JSON on stdout).

use std::collections::HashMap;

use base64::Engine;
use serde::Deserialize;

use crate::credentials::Credentials;
use crate::secret::Secret;

#[derive(Debug, Deserialize)]
pub(crate) struct DockerConfig {
    auths: Option<HashMap<String, AuthEntry>>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

/// What a lookup found.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// Credentials stored in the file.
    Found(Credentials),
    /// Ask this helper for this server.
    Helper { helper: String, server: String },
    /// Nothing for this registry.
    None,
}

/// Strips scheme, trailing slashes and a `/v1` or `/v2` API suffix.
fn normalise(key: &str) -> String {
    let s = key
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    s.strip_suffix("/v1")
        .or_else(|| s.strip_suffix("/v2"))
        .unwrap_or(s)
        .to_owned()
}

const DOCKER_HUB_KEYS: [&str; 4] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

impl DockerConfig {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))
    }

    /// Credentials for a registry known by its prefix and API URL. Keys of `auths` match by
    /// prefix against the API URL with or without scheme, as Image Updater matches them;
    /// Docker Hub's several host names are one registry.
    pub(crate) fn lookup(&self, prefix: &str, api_url: &str) -> Lookup {
        let api = normalise(api_url);
        let prefix = normalise(prefix);
        let hub =
            DOCKER_HUB_KEYS.contains(&prefix.as_str()) || DOCKER_HUB_KEYS.contains(&api.as_str());
        let matches = |key: &str| {
            let k = normalise(key);
            !k.is_empty()
                && (api.starts_with(&k)
                    || k == prefix
                    || (hub && DOCKER_HUB_KEYS.contains(&k.as_str())))
        };
        if let Some((_, helper)) = self.cred_helpers.iter().find(|(k, _)| matches(k)) {
            return Lookup::Helper {
                helper: helper.clone(),
                server: if prefix.is_empty() { api } else { prefix },
            };
        }
        if let Some(auths) = &self.auths
            && let Some(entry) = auths.iter().find(|(k, _)| matches(k)).map(|(_, v)| v)
            && let Some(c) = entry.credentials()
        {
            return Lookup::Found(c);
        }
        match &self.creds_store {
            Some(store) if !store.is_empty() => Lookup::Helper {
                helper: store.clone(),
                server: if prefix.is_empty() { api } else { prefix },
            },
            _ => Lookup::None,
        }
    }

    /// Whether the file has an `auths` section (Image Updater requires one in pull secrets).
    pub(crate) fn has_auths(&self) -> bool {
        self.auths.is_some()
    }
}

impl AuthEntry {
    fn credentials(&self) -> Option<Credentials> {
        if let Some(token) = self.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            return Some(Credentials::Token(Secret::new(token)));
        }
        if let Some(auth) = self.auth.as_deref().filter(|a| !a.is_empty()) {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()?;
            let pair = String::from_utf8(bytes).ok()?;
            let (u, p) = pair.split_once(':')?;
            return Some(Credentials::Basic {
                username: u.to_owned(),
                password: Secret::new(p),
            });
        }
        match (&self.username, &self.password) {
            (Some(u), Some(p)) => Some(Credentials::Basic {
                username: u.clone(),
                password: Secret::new(p.clone()),
            }),
            _ => None,
        }
    }
}

/// Parses a helper's answer: `{"ServerURL": ..., "Username": ..., "Secret": ...}`; the
/// username `<token>` marks an identity token.
pub(crate) fn parse_helper_output(out: &str) -> Result<Credentials, String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Username")]
        username: String,
        #[serde(rename = "Secret")]
        secret: String,
    }
    let a: Answer = serde_json::from_str(out).map_err(|_| {
        "answer is not the credential-helper JSON ({\"Username\":...,\"Secret\":...})".to_owned()
    })?;
    if a.username == "<token>" {
        Ok(Credentials::Token(Secret::new(a.secret)))
    } else {
        Ok(Credentials::Basic {
            username: a.username,
            password: Secret::new(a.secret),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(c: &Credentials) -> (&str, &str) {
        match c {
            Credentials::Basic { username, password } => (username, password.expose()),
            Credentials::Token(_) => panic!("expected basic"),
        }
    }

    #[test]
    fn auths_match_with_and_without_scheme() {
        let cfg = DockerConfig::parse(
            r#"{"auths":{"https://registry-1.docker.io/v2/":{"auth":"Zm9vOmJhcg=="}}}"#,
        )
        .unwrap();
        match cfg.lookup("docker.io", "https://registry-1.docker.io") {
            Lookup::Found(c) => assert_eq!(basic(&c), ("foo", "bar")),
            other => panic!("{other:?}"),
        }
        let cfg = DockerConfig::parse(r#"{"auths":{"ghcr.io":{"username":"u","password":"p"}}}"#)
            .unwrap();
        assert!(matches!(
            cfg.lookup("ghcr.io", "https://ghcr.io"),
            Lookup::Found(_)
        ));
        assert!(matches!(
            cfg.lookup("quay.io", "https://quay.io"),
            Lookup::None
        ));
    }

    #[test]
    fn docker_hub_keys_are_one_registry() {
        let cfg = DockerConfig::parse(
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"Zm9vOmJhcg=="}}}"#,
        )
        .unwrap();
        assert!(matches!(
            cfg.lookup("docker.io", "https://registry-1.docker.io"),
            Lookup::Found(_)
        ));
    }

    #[test]
    fn helpers_win_over_auths_and_store_is_the_fallback() {
        let cfg = DockerConfig::parse(
            r#"{"auths":{"ghcr.io":{}},"credHelpers":{"ghcr.io":"gh"},"credsStore":"desktop"}"#,
        )
        .unwrap();
        assert!(
            matches!(cfg.lookup("ghcr.io", "https://ghcr.io"), Lookup::Helper { ref helper, .. } if helper == "gh")
        );
        assert!(
            matches!(cfg.lookup("quay.io", "https://quay.io"), Lookup::Helper { ref helper, .. } if helper == "desktop")
        );
    }

    #[test]
    fn helper_output_and_identity_tokens() {
        let c = parse_helper_output(r#"{"ServerURL":"ghcr.io","Username":"me","Secret":"s3cr3t"}"#)
            .unwrap();
        assert_eq!(basic(&c), ("me", "s3cr3t"));
        let t = parse_helper_output(r#"{"ServerURL":"x","Username":"<token>","Secret":"tok"}"#)
            .unwrap();
        assert!(matches!(t, Credentials::Token(_)));
        let err = parse_helper_output("not json s3cr3t").unwrap_err();
        assert!(!err.contains("s3cr3t"));
    }
}
