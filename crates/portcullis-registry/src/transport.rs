//! One registry's connection and the exchange every request goes through.
//!
//! For each request: wait for the registry's limits (a concurrency slot and a rate token,
//! token fetches included), attach what auth has taught us, send, classify the answer:
//! - `401`: answer the challenge once (bearer token or basic), then send again;
//! - `429`: the whole registry waits `Retry-After` (seconds or HTTP date, capped), then the
//!   request is retried, as a retry;
//! - `5xx` and connection errors: retried with exponential back-off and jitter;
//! - any other `4xx`: returned at once (`404` as `NotFound`, `403` as `Unauthorized`).
//!
//! Every request sent is counted, redirect hops included (the redirect policy counts them;
//! hops go to blob storage, so they do not take rate tokens). Redirects to plain HTTP are
//! refused unless the registry is insecure. Bodies are read under a size cap while the
//! concurrency slot is still held.

mod handshake;
mod retry;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap};
use reqwest::{Method, StatusCode, Url};
use tokio::sync::OwnedSemaphorePermit;
use tracing::{debug, warn};

use crate::auth::AuthState;
use crate::config::RegistryEndpoint;
use crate::credentials::CredentialStore;
use crate::error::{AuthFailure, RegistryError};
use crate::limits::Limits;
use crate::secret::redact_url;
use crate::stats::{Counters, Kind};

pub(crate) use retry::RetryPolicy;

const MAX_REDIRECTS: usize = 5;

/// One request to make.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) accept: Option<&'static str>,
    pub(crate) kind: Kind,
    /// Repository path (for scopes and errors).
    pub(crate) repository: &'a str,
    /// What is being asked for, for `NotFound` (`manifest 1.2.3`).
    pub(crate) what: String,
}

/// A successful answer. Holds the registry's concurrency slot until the body is read.
#[derive(Debug)]
pub(crate) struct Answer {
    resp: reqwest::Response,
    _slot: Option<OwnedSemaphorePermit>,
}

impl Answer {
    pub(crate) fn headers(&self) -> &HeaderMap {
        self.resp.headers()
    }

    /// The body, at most `limit` bytes.
    pub(crate) async fn body(
        mut self,
        limit: usize,
        registry: &str,
        repository: &str,
        what: &'static str,
    ) -> Result<Vec<u8>, RegistryError> {
        let too_large = || RegistryError::TooLarge {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            what,
            limit,
        };
        if self.resp.content_length().is_some_and(|l| l > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        loop {
            match self.resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => {
                    return Err(RegistryError::Malformed {
                        registry: registry.to_owned(),
                        repository: repository.to_owned(),
                        what,
                        detail: format!("body cut short after {} bytes ({e})", body.len()),
                    });
                }
            }
        }
    }
}

/// One registry: endpoint, HTTP client, limits, counters, auth state.
#[derive(Debug)]
pub(crate) struct Registry {
    /// The host images name it by (the stats key).
    pub(crate) host: String,
    pub(crate) endpoint: RegistryEndpoint,
    base: Url,
    http: reqwest::Client,
    limits: Limits,
    pub(crate) counters: Arc<Counters>,
    auth: AuthState,
}

impl Registry {
    /// Sets up the connection to `endpoint` (no request is sent).
    pub(crate) fn open(host: &str, endpoint: RegistryEndpoint) -> Result<Self, RegistryError> {
        let tls = |detail: String| RegistryError::Tls {
            registry: host.to_owned(),
            detail,
        };
        if !crate::danger::scheme_allowed(&endpoint.api_url, endpoint.insecure) {
            return Err(RegistryError::PlainHttp {
                registry: host.to_owned(),
                url: redact_url(&endpoint.api_url),
            });
        }
        let base = Url::parse(&endpoint.api_url).map_err(|_| RegistryError::InvalidUrl {
            registry: host.to_owned(),
            url: redact_url(&endpoint.api_url),
        })?;
        let counters = Arc::new(Counters::default());
        let redirect_counters = counters.clone();
        let insecure = endpoint.insecure;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error("too many redirects");
            }
            if !crate::danger::scheme_allowed(attempt.url().as_str(), insecure) {
                return attempt.error("refusing a redirect to plain HTTP");
            }
            redirect_counters.add(Kind::Request);
            redirect_counters.add(Kind::Redirect);
            attempt.follow()
        });
        let mut builder = reqwest::Client::builder()
            .timeout(endpoint.timeout)
            .connect_timeout(endpoint.timeout.min(Duration::from_secs(10)))
            .redirect(redirects)
            .user_agent(concat!("portcullis/", env!("CARGO_PKG_VERSION")));
        builder = crate::danger::apply_insecure(builder, endpoint.insecure, &endpoint.api_url);
        let mut pems = Vec::new();
        if let Some(path) = &endpoint.ca_file {
            pems.push(
                std::fs::read(path)
                    .map_err(|e| tls(format!("cannot read ca_file {}: {e}", path.display())))?,
            );
        }
        if let Some(data) = &endpoint.ca_data {
            pems.push(data.as_bytes().to_vec());
        }
        for pem in pems {
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| tls(format!("not PEM certificates: {e}")))?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
            .build()
            .map_err(|e| tls(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            host: host.to_owned(),
            limits: Limits::new(endpoint.limit_rps, endpoint.max_concurrent),
            endpoint,
            base,
            http,
            counters,
            auth: AuthState::default(),
        })
    }

    /// `<api_url>/v2/<path segments>/<tail…>`, each segment percent-encoded as needed (a tag
    /// a registry made up cannot change the path or add a query).
    pub(crate) fn api_url(&self, path: &str, tail: &[&str]) -> Result<Url, RegistryError> {
        let mut url = self.base.clone();
        url.set_query(None);
        {
            let Ok(mut segments) = url.path_segments_mut() else {
                return Err(RegistryError::InvalidUrl {
                    registry: self.host.clone(),
                    url: redact_url(self.base.as_str()),
                });
            };
            segments.pop_if_empty().push("v2");
            segments.extend(path.split('/'));
            segments.extend(tail);
        }
        Ok(url)
    }

    /// Sends `req` with limits, auth and retries; returns a successful answer or the typed
    /// error.
    pub(crate) async fn send(
        &self,
        creds: &CredentialStore,
        policy: &RetryPolicy,
        req: Request<'_>,
    ) -> Result<Answer, RegistryError> {
        let scope = format!("repository:{}:pull", req.repository);
        let mut challenged = false;
        let mut attempt: u32 = 0;
        loop {
            let authorization = self
                .authorization(creds, policy, &scope, req.repository)
                .await?;
            // What the request is sent with; a 401 compares against it.
            let generation = self.auth.generation();
            let mut rb = self.http.request(req.method.clone(), req.url.clone());
            if let Some(a) = req.accept {
                rb = rb.header(ACCEPT, a);
            }
            if let Some(value) = &authorization {
                rb = rb.header(AUTHORIZATION, value.expose());
            }
            let wait = match self.attempt(rb, req.kind, attempt > 0).await {
                Err(source) => {
                    if source.is_builder() || source.is_redirect() || attempt >= policy.retries {
                        return Err(self.connect_error(req.repository, &req.url, source));
                    }
                    debug!(registry = %self.host, attempt, "connection error, retrying");
                    policy.backoff(attempt)
                }
                Ok(answer) => {
                    let status = answer.resp.status();
                    if status.is_success() {
                        return Ok(answer);
                    }
                    match status {
                        StatusCode::UNAUTHORIZED if !challenged => {
                            challenged = true;
                            let headers = answer.resp.headers().clone();
                            drop(answer);
                            self.answer_challenge(
                                creds,
                                policy,
                                &headers,
                                &scope,
                                req.repository,
                                generation,
                            )
                            .await?;
                            continue;
                        }
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                            if status == StatusCode::UNAUTHORIZED {
                                // Resolve them again next time: they may have been rotated.
                                creds.invalidate(&self.endpoint);
                            }
                            return Err(RegistryError::Unauthorized {
                                registry: self.host.clone(),
                                repository: req.repository.to_owned(),
                                status: status.as_u16(),
                                reason: if status == StatusCode::FORBIDDEN {
                                    AuthFailure::Forbidden
                                } else {
                                    AuthFailure::Refused
                                },
                            });
                        }
                        StatusCode::NOT_FOUND => {
                            return Err(RegistryError::NotFound {
                                registry: self.host.clone(),
                                repository: req.repository.to_owned(),
                                what: req.what,
                            });
                        }
                        StatusCode::TOO_MANY_REQUESTS => {
                            self.throttled(policy, answer.resp.headers(), attempt, req.repository)
                                .await?
                        }
                        s if s.is_server_error() && attempt < policy.retries => {
                            debug!(registry = %self.host, status = s.as_u16(), attempt, "server error, retrying");
                            policy.server_wait(answer.resp.headers(), attempt)
                        }
                        s => {
                            return Err(self.status_error(
                                req.repository,
                                &req.method,
                                &req.url,
                                s,
                            ));
                        }
                    }
                }
            };
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
    }

    /// One request under the limits, counted.
    async fn attempt(
        &self,
        rb: reqwest::RequestBuilder,
        kind: Kind,
        retry: bool,
    ) -> Result<Answer, reqwest::Error> {
        let slot = self.limits.acquire().await;
        self.counters.add(Kind::Request);
        self.counters.add(kind);
        if retry {
            self.counters.add(Kind::Retry);
        }
        let resp = rb.send().await?;
        Ok(Answer { resp, _slot: slot })
    }

    /// Handles a `429`: counts it, pauses the whole registry, and says how long to wait
    /// before the retry (zero: the pause does the waiting) — or gives up.
    async fn throttled(
        &self,
        policy: &RetryPolicy,
        headers: &HeaderMap,
        attempt: u32,
        repository: &str,
    ) -> Result<Duration, RegistryError> {
        self.counters.add(Kind::Throttled);
        if attempt >= policy.retries {
            return Err(RegistryError::RateLimited {
                registry: self.host.clone(),
                repository: repository.to_owned(),
                attempts: attempt + 1,
            });
        }
        let wait = policy.server_wait(headers, attempt);
        warn!(registry = %self.host, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "registry throttled us (429), waiting");
        self.limits.pause_for(wait).await;
        Ok(Duration::ZERO)
    }

    fn connect_error(&self, repository: &str, url: &Url, source: reqwest::Error) -> RegistryError {
        RegistryError::Connect {
            registry: self.host.clone(),
            repository: repository.to_owned(),
            url: redact_url(url.as_str()),
            // reqwest's error carries the URL; strip it, it may hold a token parameter.
            source: Arc::new(source.without_url()),
        }
    }

    fn status_error(
        &self,
        repository: &str,
        method: &Method,
        url: &Url,
        status: StatusCode,
    ) -> RegistryError {
        RegistryError::Status {
            registry: self.host.clone(),
            repository: repository.to_owned(),
            method: method.to_string(),
            url: redact_url(url.as_str()),
            status: status.as_u16(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_urls_encode_segments() {
        let endpoint = RegistryEndpoint::inferred("127.0.0.1:5000")
            .with_api_url("http://127.0.0.1:5000", true);
        let reg = Registry::open("127.0.0.1:5000", endpoint).unwrap();
        assert_eq!(
            reg.api_url("team/app", &["manifests", "1.0"])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/v2/team/app/manifests/1.0"
        );
        assert_eq!(
            reg.api_url("team/app", &["manifests", "x/../y?z"])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/v2/team/app/manifests/x%2F..%2Fy%3Fz"
        );
    }
}
