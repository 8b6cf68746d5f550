//! The auth handshake of one registry: what to send (a cached token, basic credentials, a
//! token fetched ahead once the realm is known), answering a `401` challenge (one handshake
//! at a time per registry, so concurrent challenges share one token fetch), and fetching
//! tokens (`GET` with basic credentials, or docker's OAuth2 refresh-token grant for an
//! identity token, which is never sent as a password). Refused credentials are invalidated
//! in the store so the next cycle resolves them again.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use tracing::debug;

use super::{Registry, RetryPolicy};
use crate::auth::{Challenge, Realm, TokenAnswer, parse_challenge};
use crate::credentials::{CredentialStore, Credentials};
use crate::error::{AuthFailure, RegistryError};
use crate::secret::{Secret, redact_url};
use crate::stats::Kind;

const TOKEN_LIMIT: usize = 1024 * 1024;
/// How long a configured bearer token (sent as is) is assumed to last.
const STATIC_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

impl Registry {
    /// The `Authorization` value for the next request to `scope`, if any: a fresh token,
    /// basic credentials once the registry asked for them, or a token fetched now when the
    /// registry's token service is already known.
    pub(super) async fn authorization(
        &self,
        creds: &CredentialStore,
        policy: &RetryPolicy,
        scope: &str,
        repository: &str,
    ) -> Result<Option<Secret>, RegistryError> {
        if let Some(t) = self.auth.token(scope) {
            return Ok(Some(bearer(&t)));
        }
        if self.auth.basic() {
            return Ok(self
                .credentials(creds)
                .await?
                .and_then(|c| credentials_header(&c)));
        }
        let Some(realm) = self.auth.realm() else {
            return Ok(None);
        };
        let _one_at_a_time = self.auth.handshake.lock().await;
        if let Some(t) = self.auth.token(scope) {
            return Ok(Some(bearer(&t)));
        }
        self.obtain_token(creds, policy, &realm, scope, None, repository)
            .await?;
        Ok(self.auth.token(scope).map(|t| bearer(&t)))
    }

    /// Answers a `401` challenge: fetch a bearer token, or switch to basic credentials.
    /// `generation` is the auth state the refused request was sent with: if it changed
    /// meanwhile, another request already answered and this one just retries.
    pub(super) async fn answer_challenge(
        &self,
        creds: &CredentialStore,
        policy: &RetryPolicy,
        headers: &HeaderMap,
        scope: &str,
        repository: &str,
        generation: u64,
    ) -> Result<(), RegistryError> {
        let _one_at_a_time = self.auth.handshake.lock().await;
        if self.auth.generation() != generation {
            return Ok(());
        }
        let denied = |reason: AuthFailure| RegistryError::Unauthorized {
            registry: self.host.clone(),
            repository: repository.to_owned(),
            status: 401,
            reason,
        };
        let challenge = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(parse_challenge)
            .min_by_key(|c| match c {
                Challenge::Bearer { .. } => 0,
                Challenge::Basic => 1,
                Challenge::Other(_) => 2,
            });
        match challenge {
            Some(Challenge::Basic) => {
                let usable = self
                    .credentials(creds)
                    .await?
                    .is_some_and(|c| credentials_header(&c).is_some());
                if !usable {
                    return Err(denied(AuthFailure::NoCredentials));
                }
                if self.auth.basic() {
                    return Err(denied(AuthFailure::Refused));
                }
                self.auth.use_basic();
                Ok(())
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope: asked,
            }) => {
                let realm = Realm { realm, service };
                self.auth.remember_realm(realm.clone());
                self.obtain_token(creds, policy, &realm, scope, asked.as_deref(), repository)
                    .await
            }
            Some(Challenge::Other(scheme)) => Err(denied(AuthFailure::UnsupportedScheme(scheme))),
            None => Err(denied(AuthFailure::NoChallenge)),
        }
    }

    /// Gets a token for `scope` from `realm` (or takes the configured one) and stores it:
    /// `GET` with basic credentials (or none), or, for an identity token, the OAuth2
    /// refresh-token grant (`POST`, form-encoded) as docker does.
    async fn obtain_token(
        &self,
        creds_store: &CredentialStore,
        policy: &RetryPolicy,
        realm: &Realm,
        scope: &str,
        asked_scope: Option<&str>,
        repository: &str,
    ) -> Result<(), RegistryError> {
        let creds = self.credentials(creds_store).await?;
        if let Some(Credentials::Token(t)) = &creds {
            // A token configured as such is the bearer itself.
            self.auth
                .store_token(scope, t.clone(), STATIC_TOKEN_LIFETIME);
            return Ok(());
        }
        if !crate::danger::scheme_allowed(&realm.realm, self.endpoint.insecure) {
            return Err(RegistryError::PlainHttp {
                registry: self.host.clone(),
                url: redact_url(&realm.realm),
            });
        }
        let realm_url = Url::parse(&realm.realm).map_err(|_| RegistryError::InvalidUrl {
            registry: self.host.clone(),
            url: redact_url(&realm.realm),
        })?;
        let token_scope = asked_scope.unwrap_or(scope);
        let identity = creds
            .as_ref()
            .and_then(Credentials::identity_token)
            .cloned();
        let mut url = realm_url.clone();
        let refresh_form = match &identity {
            None => {
                let mut q = url.query_pairs_mut();
                q.append_pair("scope", token_scope);
                if let Some(s) = &realm.service {
                    q.append_pair("service", s);
                }
                None
            }
            Some(refresh_token) => Some(refresh_grant(
                &realm_url,
                refresh_token,
                realm.service.as_deref(),
                token_scope,
            )),
        };
        let basic = creds.as_ref().and_then(credentials_header);
        let mut attempt: u32 = 0;
        let answer = loop {
            let rb = match &refresh_form {
                Some(form) => self
                    .http
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form.expose().to_owned()),
                None => {
                    let rb = self.http.get(url.clone());
                    match &basic {
                        Some(b) => rb.header(AUTHORIZATION, b.expose()),
                        None => rb,
                    }
                }
            }
            .header(ACCEPT, "application/json");
            let wait = match self.attempt(rb, Kind::Token, attempt > 0).await {
                Err(source) => {
                    if source.is_builder() || source.is_redirect() || attempt >= policy.retries {
                        return Err(self.connect_error(repository, &url, source));
                    }
                    policy.backoff(attempt)
                }
                Ok(answer) => match answer.resp.status() {
                    s if s.is_success() => break answer,
                    s @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                        creds_store.invalidate(&self.endpoint);
                        return Err(RegistryError::Unauthorized {
                            registry: self.host.clone(),
                            repository: repository.to_owned(),
                            status: s.as_u16(),
                            reason: AuthFailure::TokenRefused,
                        });
                    }
                    StatusCode::TOO_MANY_REQUESTS => {
                        self.throttled(policy, answer.resp.headers(), attempt, repository)
                            .await?
                    }
                    s if s.is_server_error() && attempt < policy.retries => {
                        policy.server_wait(answer.resp.headers(), attempt)
                    }
                    s => return Err(self.status_error(repository, &Method::GET, &url, s)),
                },
            };
            attempt += 1;
            tokio::time::sleep(wait).await;
        };
        let body = answer
            .body(TOKEN_LIMIT, &self.host, repository, "token answer")
            .await?;
        let parsed: TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| RegistryError::Malformed {
                registry: self.host.clone(),
                repository: repository.to_owned(),
                what: "token answer",
                // Position only: serde's message may quote a value, and this one holds a token.
                detail: format!(
                    "not the token JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            })?;
        let token = parsed.token().ok_or_else(|| RegistryError::Unauthorized {
            registry: self.host.clone(),
            repository: repository.to_owned(),
            status: 200,
            reason: AuthFailure::NoToken,
        })?;
        self.auth.store_token(
            scope,
            Secret::new(token),
            Duration::from_secs(parsed.lifetime_secs()),
        );
        debug!(registry = %self.host, %scope, "bearer token obtained");
        Ok(())
    }

    async fn credentials(
        &self,
        creds: &CredentialStore,
    ) -> Result<Option<Credentials>, RegistryError> {
        creds
            .get(&self.endpoint)
            .await
            .map_err(|source| RegistryError::Credentials {
                registry: self.host.clone(),
                source: Arc::new(source),
            })
    }
}

fn bearer(token: &Secret) -> Secret {
    Secret::new(format!("Bearer {}", token.expose()))
}

/// The `Authorization` value credentials give directly; `None` for an identity token, which
/// is only ever exchanged at a token endpoint.
fn credentials_header(c: &Credentials) -> Option<Secret> {
    use base64::Engine;
    if c.identity_token().is_some() {
        return None;
    }
    match c {
        Credentials::Basic { username, password } => {
            let raw = format!("{username}:{}", password.expose());
            Some(Secret::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )))
        }
        Credentials::Token(t) => Some(bearer(t)),
    }
}

/// The form body of an OAuth2 refresh-token grant (the URL serializer does the encoding).
fn refresh_grant(
    realm: &Url,
    refresh_token: &Secret,
    service: Option<&str>,
    scope: &str,
) -> Secret {
    let mut carrier = realm.clone();
    carrier.set_query(None);
    {
        let mut q = carrier.query_pairs_mut();
        q.append_pair("grant_type", "refresh_token");
        q.append_pair("refresh_token", refresh_token.expose());
        q.append_pair("client_id", "portcullis");
        q.append_pair("scope", scope);
        if let Some(s) = service {
            q.append_pair("service", s);
        }
    }
    Secret::new(carrier.query().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_never_show_credentials() {
        let h = credentials_header(&Credentials::basic("u", "hunter2")).unwrap();
        assert_eq!(format!("{h:?}"), "[redacted]");
        assert_eq!(h.expose(), "Basic dTpodW50ZXIy");
        let identity = Credentials::basic(Credentials::IDENTITY_TOKEN_USER, "refresh-me");
        assert!(
            credentials_header(&identity).is_none(),
            "an identity token is never sent as a password"
        );
    }

    #[test]
    fn refresh_grant_is_form_encoded() {
        let realm = Url::parse("https://auth.example/token?x=1").unwrap();
        let form = refresh_grant(
            &realm,
            &Secret::new("a&b=c"),
            Some("registry.example"),
            "repository:team/app:pull",
        );
        assert_eq!(
            form.expose(),
            "grant_type=refresh_token&refresh_token=a%26b%3Dc&client_id=portcullis&scope=repository%3Ateam%2Fapp%3Apull&service=registry.example"
        );
    }
}
