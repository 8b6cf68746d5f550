//! GitHub App authentication: a JWT (RS256, signed with the app's private key through
//! aws-lc-rs) exchanged for an installation access token, which is cached and replaced five
//! minutes before it expires. The key file is read again for every JWT, so a rotated key is
//! picked up.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::Deserialize;
use serde_json::json;

use super::ForgeError;
use super::api::{header_value, message_of};
use super::secret::Secret;

/// How far back the JWT's `iat` is set, against clock drift (GitHub's advice).
const JWT_BACKDATE: SignedDuration = SignedDuration::from_secs(60);
/// How long the JWT is valid (GitHub allows at most ten minutes).
const JWT_LIFETIME: SignedDuration = SignedDuration::from_secs(9 * 60);
/// How long before its expiry a cached installation token is replaced.
const REFRESH_BEFORE: SignedDuration = SignedDuration::from_secs(5 * 60);

/// A GitHub App installation: the app, where it is installed, and its private key.
#[derive(Debug)]
pub struct GitHubApp {
    app_id: String,
    installation_id: u64,
    private_key_file: PathBuf,
    cache: Mutex<Option<Cached>>,
}

#[derive(Debug, Clone)]
struct Cached {
    token: Secret,
    expires_at: Timestamp,
}

/// `POST /app/installations/{id}/access_tokens`, as much of it as is used.
#[derive(Deserialize)]
struct AccessToken {
    token: String,
    expires_at: Timestamp,
}

impl GitHubApp {
    /// The app `app_id` (its numeric id or client id) installed as `installation_id`, with
    /// its PEM private key (PKCS#1 `RSA PRIVATE KEY`, as GitHub hands it out, or PKCS#8).
    pub fn new(app_id: impl Into<String>, installation_id: u64, private_key_file: PathBuf) -> Self {
        Self {
            app_id: app_id.into(),
            installation_id,
            private_key_file,
            cache: Mutex::new(None),
        }
    }

    /// The cached installation token, or a new one when it expires within five minutes.
    pub(crate) async fn installation_token(
        &self,
        http: &reqwest::Client,
        api: &str,
    ) -> Result<Secret, ForgeError> {
        let now = Timestamp::now();
        if let Some(c) = self.cached()
            && now + REFRESH_BEFORE < c.expires_at
        {
            return Ok(c.token);
        }
        let jwt = mint_jwt(&self.app_id, &self.private_key_file, now)?;
        let url = format!(
            "{api}/app/installations/{}/access_tokens",
            self.installation_id
        );
        let method = "POST";
        let request_error = |source: reqwest::Error| ForgeError::Request {
            method,
            url: url.clone(),
            source: source.without_url(),
        };
        let response = http
            .post(&url)
            .header(
                AUTHORIZATION,
                header_value(&format!("Bearer {}", jwt.expose()))?,
            )
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .json(&json!({}))
            .send()
            .await
            .map_err(request_error)?;
        let status = response.status();
        let body = crate::http_body::read_capped(response, super::api::MAX_BODY)
            .await
            .map_err(|e| match e {
                crate::http_body::BodyError::Transfer(source) => request_error(source),
                crate::http_body::BodyError::TooLarge(limit) => ForgeError::TooLarge {
                    method,
                    url: url.clone(),
                    limit,
                },
            })?;
        if !status.is_success() {
            let message = jwt.mask(&message_of(&body));
            return Err(
                if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                    ForgeError::Unauthorized {
                        method,
                        url,
                        status: status.as_u16(),
                        message,
                    }
                } else {
                    ForgeError::Status {
                        method,
                        url,
                        status: status.as_u16(),
                        message,
                    }
                },
            );
        }
        let answer: AccessToken =
            serde_json::from_slice(&body).map_err(|source| ForgeError::Body {
                method,
                url: url.clone(),
                source,
            })?;
        let fresh = Cached {
            token: Secret::new(answer.token),
            expires_at: answer.expires_at,
        };
        tracing::debug!(installation = self.installation_id, expires_at = %fresh.expires_at,
            "installation token minted");
        if let Ok(mut slot) = self.cache.lock() {
            *slot = Some(fresh.clone());
        }
        Ok(fresh.token)
    }

    fn cached(&self) -> Option<Cached> {
        // A poisoned lock only means another task panicked mid-update: mint afresh.
        self.cache.lock().ok().and_then(|c| c.clone())
    }
}

/// A JWT for `app_id`, issued at `now` less a minute, valid nine minutes, signed RS256 with
/// the key in `key_file`.
pub(crate) fn mint_jwt(
    app_id: &str,
    key_file: &Path,
    now: Timestamp,
) -> Result<Secret, ForgeError> {
    let key = load_key(key_file)?;
    let header = json!({"alg": "RS256", "typ": "JWT"});
    let claims = json!({
        "iat": (now - JWT_BACKDATE).as_second(),
        "exp": (now + JWT_LIFETIME).as_second(),
        "iss": app_id,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| ForgeError::Sign {
        path: key_file.to_owned(),
    })?;
    Ok(Secret::new(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    )))
}

/// The RSA key in a PEM file: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`).
fn load_key(path: &Path) -> Result<RsaKeyPair, ForgeError> {
    let text = std::fs::read_to_string(path).map_err(|source| ForgeError::ReadKey {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |reason: &str| ForgeError::InvalidKey {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let (label, der) = pem_block(&text).map_err(&invalid)?;
    match label {
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der).map_err(|e| invalid(&e.to_string())),
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der).map_err(|e| invalid(&e.to_string())),
        "ENCRYPTED PRIVATE KEY" => Err(invalid("encrypted keys are not supported")),
        _ => Err(invalid("unexpected PEM label")),
    }
}

/// The label and decoded contents of the first PEM block in `text`.
fn pem_block(text: &str) -> Result<(&str, Vec<u8>), &'static str> {
    let mut lines = text.lines().map(str::trim);
    let label = lines
        .by_ref()
        .find_map(|l| l.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .ok_or("no PEM block")?;
    let end = format!("-----END {label}-----");
    let mut b64 = String::new();
    let mut closed = false;
    for line in lines {
        if line == end {
            closed = true;
            break;
        }
        if line.contains(':') {
            // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) mark a legacy encrypted key.
            return Err("encrypted keys are not supported");
        }
        b64.push_str(line);
    }
    if !closed {
        return Err("the PEM block is not closed");
    }
    let der = STANDARD
        .decode(b64)
        .map_err(|_| "the PEM body is not base64")?;
    Ok((label, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_read_and_checked() {
        let ok = "junk\n-----BEGIN RSA PRIVATE KEY-----\nAAEC\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(pem_block(ok), Ok(("RSA PRIVATE KEY", vec![0, 1, 2])));
        assert!(pem_block("-----BEGIN PRIVATE KEY-----\nAAEC\n").is_err());
        let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n\
                   -----END RSA PRIVATE KEY-----\n";
        assert_eq!(pem_block(enc), Err("encrypted keys are not supported"));
        assert!(pem_block("no key here").is_err());
    }

    #[test]
    fn a_key_that_is_not_rsa_is_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("key.pem");
        std::fs::write(
            &path,
            "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n",
        )?;
        let e = mint_jwt("1", &path, Timestamp::UNIX_EPOCH);
        assert!(matches!(e, Err(ForgeError::InvalidKey { .. })));
        Ok(())
    }
}
