//! The registry client: every HTTP exchange with a registry goes through [`RegistryClient`].
//!
//! Behaviour a caller can rely on:
//! - each registry has its own limits (requests per second, concurrent requests, a timeout
//!   per request) shared by every request kind, token fetches included;
//! - `429` is honoured: the whole registry waits `Retry-After` (bounded) and the request is
//!   retried; `5xx` and connection errors are retried with exponential back-off and jitter;
//!   other `4xx` are not retried; after the retries the error is returned, never swallowed;
//! - `401` triggers one auth handshake (bearer token flow or basic), then one retry;
//! - bodies are capped and every manifest and blob is checked against its sha256 digest;
//! - within one cycle ([`RegistryClient::new_cycle`]) a repository's tag list is fetched once
//!   however many lookups ask for it, and a tag resolves to one digest; creation dates are
//!   cached by manifest digest across cycles, since digests are immutable.
//!
//! Why not `oci-client`: its `Client` performs each exchange internally (token fetches,
//! retries, redirects), so it offers no hook to count requests per cycle, honour
//! `429 Retry-After`, put token fetches under the registry's rate limit, or follow `Link`
//! pagination headers. Its tag listing takes one `n`/`last` page at a time without exposing
//! `Link`. The manifest shapes it would give us are a few fields, parsed in `manifest`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use portcullis_image::{Digest, Platform, PlatformFilter, Repository};
use rand::Rng;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, LINK, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::auth::{Challenge, TokenAnswer, parse_challenge};
use crate::config::{RegistriesConfig, RegistryEndpoint};
use crate::credentials::{CredentialStore, Credentials};
use crate::error::RegistryError;
use crate::limits::Limits;
use crate::manifest::{self, Document};
use crate::secret::{Secret, redact_url};
use crate::stats::{Counters, Kind, RequestStats};

const MANIFEST_LIMIT: usize = 4 * 1024 * 1024;
const CONFIG_LIMIT: usize = 8 * 1024 * 1024;
const TAGS_PAGE_LIMIT: usize = 16 * 1024 * 1024;
const TOKEN_LIMIT: usize = 1024 * 1024;
const CREATED_CACHE_CAP: usize = 50_000;

/// Tunables of the client. Defaults suit production; tests shorten the waits.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Tags asked for per page (`n`).
    pub page_size: usize,
    /// Pages followed at most per listing.
    pub max_pages: usize,
    /// Retries after a 429, 5xx or connection error.
    pub retries: u32,
    /// First back-off for 5xx and connection errors (doubles, with jitter).
    pub backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one is capped to this.
    pub max_retry_after: Duration,
    /// Concurrent metadata lookups per repository in [`RegistryClient::tag_infos`].
    pub lookups_per_repository: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            page_size: 1000,
            max_pages: 1000,
            retries: 3,
            backoff: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(60),
            lookups_per_repository: 16,
        }
    }
}

/// What a tag or digest resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The digest of what the reference points at (an index digest for multi-arch images).
    pub digest: Digest,
    /// For an index, the platform manifest chosen.
    pub platform_manifest: Option<(Digest, Option<Platform>)>,
    /// The image config digest of the (platform) manifest.
    pub config: Digest,
}

/// A listed tag with its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagMeta {
    /// The tag.
    pub name: String,
    /// What it resolves to now.
    pub digest: Digest,
    /// The image creation time, when asked for and present.
    pub created: Option<Timestamp>,
}

/// A client for every configured (and inferred) registry. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: RegistriesConfig,
    creds: CredentialStore,
    options: ClientOptions,
    registries: Mutex<HashMap<String, Arc<Registry>>>,
    listings: Mutex<HashMap<Repository, SharedListing>>,
    tag_digests: Mutex<HashMap<(Repository, String), Digest>>,
    created: Mutex<CreatedCache>,
}

/// One repository's tag list for the current cycle, filled by whichever lookup asks first.
type SharedListing = Arc<OnceCell<Arc<Vec<String>>>>;

#[derive(Debug, Default)]
struct CreatedCache {
    map: HashMap<(Digest, String), Option<Timestamp>>,
    order: VecDeque<(Digest, String)>,
}

#[derive(Debug)]
struct Registry {
    endpoint: RegistryEndpoint,
    http: reqwest::Client,
    limits: Limits,
    counters: Counters,
    tokens: Mutex<HashMap<String, (Secret, Instant)>>,
    basic: Mutex<bool>,
}

struct Req<'a> {
    method: Method,
    url: String,
    accept: Option<&'a str>,
    kind: Kind,
    repository: &'a str,
    what: &'static str,
}

impl RegistryClient {
    /// A client over `config`, resolving credentials through `creds`.
    pub fn new(config: RegistriesConfig, creds: CredentialStore) -> Self {
        Self::with_options(config, creds, ClientOptions::default())
    }

    /// A client with explicit tunables.
    pub fn with_options(
        config: RegistriesConfig,
        creds: CredentialStore,
        options: ClientOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                creds,
                options,
                registries: Mutex::default(),
                listings: Mutex::default(),
                tag_digests: Mutex::default(),
                created: Mutex::default(),
            }),
        }
    }

    /// Starts a new cycle: per-cycle counters and caches (tag lists, tag digests) are reset;
    /// creation dates, cached by digest, are kept.
    pub fn new_cycle(&self) {
        if let Ok(mut l) = self.inner.listings.lock() {
            l.clear();
        }
        if let Ok(mut d) = self.inner.tag_digests.lock() {
            d.clear();
        }
        if let Ok(regs) = self.inner.registries.lock() {
            for r in regs.values() {
                r.counters.reset();
            }
        }
    }

    /// What each registry cost since the cycle began.
    pub fn stats(&self) -> RequestStats {
        let mut stats = RequestStats::default();
        if let Ok(regs) = self.inner.registries.lock() {
            for (host, r) in regs.iter() {
                stats.registries.insert(host.clone(), r.counters.snapshot());
            }
        }
        stats
    }

    /// The endpoint that serves `repository`.
    pub fn endpoint(&self, repository: &Repository) -> RegistryEndpoint {
        self.inner.config.endpoint_for(repository.registry())
    }

    fn registry(&self, host: &str) -> Result<Arc<Registry>, RegistryError> {
        let mut regs = self
            .inner
            .registries
            .lock()
            .map_err(|_| tls_error(host, "client state poisoned"))?;
        if let Some(r) = regs.get(host) {
            return Ok(r.clone());
        }
        let endpoint = self.inner.config.endpoint_for(host);
        if !crate::danger::scheme_allowed(&endpoint.api_url, endpoint.insecure) {
            return Err(RegistryError::PlainHttp {
                registry: host.to_owned(),
                url: redact_url(&endpoint.api_url),
            });
        }
        let mut builder = reqwest::Client::builder()
            .timeout(endpoint.timeout)
            .connect_timeout(endpoint.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("portcullis/", env!("CARGO_PKG_VERSION")));
        builder = crate::danger::apply_insecure(builder, endpoint.insecure, &endpoint.api_url);
        let mut pems = Vec::new();
        if let Some(path) = &endpoint.ca_file {
            pems.push(std::fs::read(path).map_err(|e| {
                tls_error(
                    host,
                    &format!("cannot read ca_file {}: {e}", path.display()),
                )
            })?);
        }
        if let Some(data) = &endpoint.ca_data {
            pems.push(data.as_bytes().to_vec());
        }
        for pem in pems {
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| tls_error(host, &format!("not PEM certificates: {e}")))?;
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let http = builder
            .build()
            .map_err(|e| tls_error(host, &format!("cannot build the HTTP client: {e}")))?;
        let r = Arc::new(Registry {
            limits: Limits::new(endpoint.limit_rps, endpoint.max_concurrent),
            endpoint,
            http,
            counters: Counters::default(),
            tokens: Mutex::default(),
            basic: Mutex::new(false),
        });
        regs.insert(host.to_owned(), r.clone());
        Ok(r)
    }

    fn api_path(endpoint: &RegistryEndpoint, repository: &Repository) -> String {
        let path = repository.path();
        match &endpoint.defaultns {
            Some(ns) if !path.contains('/') => format!("{ns}/{path}"),
            _ => path.to_owned(),
        }
    }

    /// Every tag of `repository`, following pagination. Shared within a cycle: concurrent
    /// and later calls for the same repository reuse one listing.
    pub async fn list_tags(
        &self,
        repository: &Repository,
    ) -> Result<Arc<Vec<String>>, RegistryError> {
        let cell = {
            let mut listings = self
                .inner
                .listings
                .lock()
                .map_err(|_| tls_error(repository.registry(), "client state poisoned"))?;
            listings.entry(repository.clone()).or_default().clone()
        };
        cell.get_or_try_init(|| self.fetch_tags(repository))
            .await
            .cloned()
    }

    async fn fetch_tags(&self, repository: &Repository) -> Result<Arc<Vec<String>>, RegistryError> {
        let reg = self.registry(repository.registry())?;
        let path = Self::api_path(&reg.endpoint, repository);
        let base = format!("{}/v2/{path}/tags/list", reg.endpoint.api_url);
        let page_size = self.inner.options.page_size.max(1);
        let mut url = format!("{base}?n={page_size}");
        let mut all: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for _ in 0..self.inner.options.max_pages {
            let resp = self
                .send(
                    &reg,
                    Req {
                        method: Method::GET,
                        url: url.clone(),
                        accept: Some("application/json"),
                        kind: Kind::TagPage,
                        repository: &path,
                        what: "tag list",
                    },
                )
                .await?;
            let next_link = next_link(resp.headers(), &reg.endpoint.api_url);
            let body = read_capped(
                resp,
                TAGS_PAGE_LIMIT,
                &reg.endpoint.prefix,
                &path,
                "tag list",
            )
            .await?;
            #[derive(serde::Deserialize)]
            struct Page {
                tags: Option<Vec<String>>,
            }
            let page: Page =
                serde_json::from_slice(&body).map_err(|e| RegistryError::Malformed {
                    registry: reg.endpoint.prefix.clone(),
                    repository: path.clone(),
                    what: "tag list",
                    detail: format!("not the tag-list JSON ({e})"),
                })?;
            let tags = page.tags.unwrap_or_default();
            let fresh: Vec<String> = tags
                .into_iter()
                .filter(|t| seen.insert(t.clone()))
                .collect();
            let full_page = fresh.len() == page_size;
            let last = fresh.last().cloned();
            all.extend(fresh);
            url = match (next_link, last) {
                (Some(link), _) => link,
                (None, Some(last)) if full_page => format!("{base}?n={page_size}&last={last}"),
                _ => return Ok(Arc::new(all)),
            };
        }
        warn!(repository = %repository, pages = self.inner.options.max_pages, "tag listing stopped at the page limit");
        Ok(Arc::new(all))
    }

    /// The digest `tag` points at now (one `HEAD`, cached for the cycle).
    pub async fn tag_digest(
        &self,
        repository: &Repository,
        tag: &str,
    ) -> Result<Digest, RegistryError> {
        let key = (repository.clone(), tag.to_owned());
        if let Ok(cache) = self.inner.tag_digests.lock()
            && let Some(d) = cache.get(&key)
        {
            return Ok(d.clone());
        }
        let reg = self.registry(repository.registry())?;
        let path = Self::api_path(&reg.endpoint, repository);
        let url = format!("{}/v2/{path}/manifests/{tag}", reg.endpoint.api_url);
        let resp = self
            .send(
                &reg,
                Req {
                    method: Method::HEAD,
                    url,
                    accept: Some(manifest::ACCEPT),
                    kind: Kind::Manifest,
                    repository: &path,
                    what: "manifest",
                },
            )
            .await?;
        let header = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<Digest>().ok());
        let digest = match header {
            Some(d) => d,
            // No usable header: fetch the manifest and hash it.
            None => {
                self.resolve_inner(&reg, repository, &path, tag, &PlatformFilter::any(), false)
                    .await?
                    .digest
            }
        };
        if let Ok(mut cache) = self.inner.tag_digests.lock() {
            cache.insert(key, digest.clone());
        }
        Ok(digest)
    }

    /// Resolves a tag or digest to its digest, and for an image index to the manifest of
    /// the first wanted platform (in index order).
    pub async fn resolve(
        &self,
        repository: &Repository,
        reference: &str,
        platforms: &PlatformFilter,
    ) -> Result<Resolved, RegistryError> {
        let reg = self.registry(repository.registry())?;
        let path = Self::api_path(&reg.endpoint, repository);
        self.resolve_inner(&reg, repository, &path, reference, platforms, true)
            .await
    }

    async fn resolve_inner(
        &self,
        reg: &Arc<Registry>,
        repository: &Repository,
        path: &str,
        reference: &str,
        platforms: &PlatformFilter,
        follow_index: bool,
    ) -> Result<Resolved, RegistryError> {
        let (digest, doc) = self.fetch_manifest(reg, path, reference).await?;
        match doc {
            Document::Image { config } => Ok(Resolved {
                digest,
                platform_manifest: None,
                config,
            }),
            Document::Index(entries) if !follow_index => Ok(Resolved {
                config: digest.clone(),
                digest,
                platform_manifest: entries.into_iter().next(),
            }),
            Document::Index(entries) => {
                let chosen = entries.iter().find(|(_, p)| match p {
                    Some(p) => platforms.wants(p),
                    None => platforms.is_any(),
                });
                let Some((child, platform)) = chosen.cloned() else {
                    let available: Vec<String> = entries
                        .iter()
                        .map(|(_, p)| p.as_ref().map_or("unknown".to_owned(), ToString::to_string))
                        .collect();
                    return Err(RegistryError::NoPlatform {
                        repository: repository.to_string(),
                        reference: reference.to_owned(),
                        wanted: platforms.to_string(),
                        available: available.join(", "),
                    });
                };
                let (_, child_doc) = self.fetch_manifest(reg, path, child.as_str()).await?;
                match child_doc {
                    Document::Image { config } => Ok(Resolved {
                        digest,
                        platform_manifest: Some((child, platform)),
                        config,
                    }),
                    Document::Index(_) => Err(RegistryError::Malformed {
                        registry: reg.endpoint.prefix.clone(),
                        repository: path.to_owned(),
                        what: "image index",
                        detail: format!("entry {child} is itself an index"),
                    }),
                }
            }
        }
    }

    async fn fetch_manifest(
        &self,
        reg: &Arc<Registry>,
        path: &str,
        reference: &str,
    ) -> Result<(Digest, Document), RegistryError> {
        let url = format!("{}/v2/{path}/manifests/{reference}", reg.endpoint.api_url);
        let resp = self
            .send(
                reg,
                Req {
                    method: Method::GET,
                    url,
                    accept: Some(manifest::ACCEPT),
                    kind: Kind::Manifest,
                    repository: path,
                    what: "manifest",
                },
            )
            .await?;
        let announced = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_owned());
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body =
            read_capped(resp, MANIFEST_LIMIT, &reg.endpoint.prefix, path, "manifest").await?;
        let actual = sha256_digest(&body);
        let expected = if reference.contains(':') {
            Some(reference.to_owned())
        } else {
            announced
        };
        if let Some(expected) = expected
            && expected.starts_with("sha256:")
            && expected != actual.as_str()
        {
            return Err(RegistryError::DigestMismatch {
                registry: reg.endpoint.prefix.clone(),
                repository: path.to_owned(),
                expected,
                actual: actual.to_string(),
            });
        }
        let doc = manifest::parse_manifest(&body, content_type.as_deref()).map_err(|detail| {
            RegistryError::Malformed {
                registry: reg.endpoint.prefix.clone(),
                repository: path.to_owned(),
                what: "manifest",
                detail,
            }
        })?;
        Ok((actual, doc))
    }

    /// The creation time of the image `digest` names (for an index, of the wanted
    /// platform's image). Cached by digest and platforms across cycles.
    pub async fn created(
        &self,
        repository: &Repository,
        digest: &Digest,
        platforms: &PlatformFilter,
    ) -> Result<Option<Timestamp>, RegistryError> {
        let key = (digest.clone(), platforms.to_string());
        if let Ok(cache) = self.inner.created.lock()
            && let Some(c) = cache.map.get(&key)
        {
            return Ok(*c);
        }
        let reg = self.registry(repository.registry())?;
        let path = Self::api_path(&reg.endpoint, repository);
        let resolved = self
            .resolve_inner(&reg, repository, &path, digest.as_str(), platforms, true)
            .await?;
        let url = format!(
            "{}/v2/{path}/blobs/{}",
            reg.endpoint.api_url, resolved.config
        );
        let resp = self
            .send(
                &reg,
                Req {
                    method: Method::GET,
                    url,
                    accept: None,
                    kind: Kind::Blob,
                    repository: &path,
                    what: "config blob",
                },
            )
            .await?;
        let body = read_capped(
            resp,
            CONFIG_LIMIT,
            &reg.endpoint.prefix,
            &path,
            "config blob",
        )
        .await?;
        let actual = sha256_digest(&body);
        if actual != resolved.config {
            return Err(RegistryError::DigestMismatch {
                registry: reg.endpoint.prefix.clone(),
                repository: path.clone(),
                expected: resolved.config.to_string(),
                actual: actual.to_string(),
            });
        }
        let created =
            manifest::parse_created(&body).map_err(|detail| RegistryError::Malformed {
                registry: reg.endpoint.prefix.clone(),
                repository: path.clone(),
                what: "image config",
                detail,
            })?;
        if let Ok(mut cache) = self.inner.created.lock() {
            if cache.order.len() >= CREATED_CACHE_CAP
                && let Some(old) = cache.order.pop_front()
            {
                cache.map.remove(&old);
            }
            cache.order.push_back(key.clone());
            cache.map.insert(key, created);
        }
        Ok(created)
    }

    /// Digest (and, with `want_created`, creation time) of each tag, with bounded
    /// concurrency. Any failure fails the whole lookup: a strategy must not pick from a
    /// list with holes it cannot see.
    pub async fn tag_infos(
        &self,
        repository: &Repository,
        tags: &[String],
        platforms: &PlatformFilter,
        want_created: bool,
    ) -> Result<Vec<TagMeta>, RegistryError> {
        let limit = Arc::new(tokio::sync::Semaphore::new(
            self.inner.options.lookups_per_repository.max(1),
        ));
        let mut set = tokio::task::JoinSet::new();
        for (i, tag) in tags.iter().enumerate() {
            let this = self.clone();
            let repository = repository.clone();
            let platforms = platforms.clone();
            let tag = tag.clone();
            let limit = limit.clone();
            set.spawn(async move {
                let _permit = limit.acquire_owned().await.ok();
                let digest = this.tag_digest(&repository, &tag).await?;
                let created = if want_created {
                    this.created(&repository, &digest, &platforms).await?
                } else {
                    None
                };
                Ok::<_, RegistryError>((
                    i,
                    TagMeta {
                        name: tag,
                        digest,
                        created,
                    },
                ))
            });
        }
        let mut out: Vec<Option<TagMeta>> = vec![None; tags.len()];
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(Ok((i, meta))) => out[i] = Some(meta),
                Ok(Err(e)) => {
                    set.abort_all();
                    return Err(e);
                }
                Err(join) => {
                    set.abort_all();
                    return Err(RegistryError::Malformed {
                        registry: repository.registry().to_owned(),
                        repository: repository.path().to_owned(),
                        what: "tag metadata",
                        detail: format!("lookup task failed: {join}"),
                    });
                }
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// One exchange with retries, auth and limits.
    async fn send(
        &self,
        reg: &Arc<Registry>,
        req: Req<'_>,
    ) -> Result<reqwest::Response, RegistryError> {
        let host = reg.endpoint.prefix.clone();
        let scope = format!("repository:{}:pull", req.repository);
        let opts = &self.inner.options;
        let mut auth_done = false;
        let mut attempt: u32 = 0;
        loop {
            let outcome = {
                let _permit = reg.limits.acquire().await;
                let mut rb = reg.http.request(req.method.clone(), &req.url);
                if let Some(a) = req.accept {
                    rb = rb.header(ACCEPT, a);
                }
                if let Some(value) = self.authorization(reg, &scope).await? {
                    rb = rb.header(AUTHORIZATION, value);
                }
                reg.counters.add(Kind::Request);
                reg.counters.add(req.kind);
                if attempt > 0 {
                    reg.counters.add(Kind::Retry);
                }
                rb.send().await
            };
            let retry_wait = match outcome {
                Err(source) => {
                    if attempt >= opts.retries {
                        return Err(RegistryError::Connect {
                            registry: host,
                            url: redact_url(&req.url),
                            source,
                        });
                    }
                    debug!(registry = %host, attempt, "connection error, retrying");
                    backoff(opts.backoff, attempt)
                }
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        return Ok(resp);
                    }
                    match status {
                        StatusCode::UNAUTHORIZED if !auth_done => {
                            auth_done = true;
                            self.handshake(reg, resp.headers(), &scope, req.repository)
                                .await?;
                            continue;
                        }
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                            return Err(RegistryError::Unauthorized {
                                registry: host,
                                repository: req.repository.to_owned(),
                                detail: format!("{status}"),
                            });
                        }
                        StatusCode::NOT_FOUND => {
                            return Err(RegistryError::NotFound {
                                registry: host,
                                repository: req.repository.to_owned(),
                                what: format!("{} {}", req.what, last_segment(&req.url)),
                            });
                        }
                        StatusCode::TOO_MANY_REQUESTS => {
                            reg.counters.add(Kind::Throttled);
                            if attempt >= opts.retries {
                                return Err(RegistryError::RateLimited {
                                    registry: host,
                                    attempts: attempt + 1,
                                });
                            }
                            let wait = retry_after(resp.headers())
                                .unwrap_or_else(|| backoff(opts.backoff, attempt))
                                .min(opts.max_retry_after);
                            warn!(registry = %host, wait_ms = wait.as_millis() as u64, "registry throttled us (429), waiting");
                            reg.limits.pause_for(wait).await;
                            Duration::ZERO
                        }
                        s if s.is_server_error() && attempt < opts.retries => {
                            debug!(registry = %host, status = s.as_u16(), attempt, "server error, retrying");
                            backoff(opts.backoff, attempt)
                        }
                        s => {
                            return Err(RegistryError::Status {
                                registry: host,
                                method: req.method.to_string(),
                                url: redact_url(&req.url),
                                status: s.as_u16(),
                            });
                        }
                    }
                }
            };
            attempt += 1;
            tokio::time::sleep(retry_wait).await;
        }
    }

    /// The `Authorization` value for the next request, if any.
    async fn authorization(
        &self,
        reg: &Arc<Registry>,
        scope: &str,
    ) -> Result<Option<String>, RegistryError> {
        if let Ok(tokens) = reg.tokens.lock()
            && let Some((token, expires)) = tokens.get(scope)
            && *expires > Instant::now()
        {
            return Ok(Some(format!("Bearer {}", token.expose())));
        }
        let basic = reg.basic.lock().map(|b| *b).unwrap_or(false);
        if basic {
            return Ok(self.credentials(reg).await?.map(|c| match c {
                Credentials::Basic { username, password } => {
                    basic_header(&username, password.expose())
                }
                Credentials::Token(t) => format!("Bearer {}", t.expose()),
            }));
        }
        Ok(None)
    }

    async fn credentials(&self, reg: &Arc<Registry>) -> Result<Option<Credentials>, RegistryError> {
        self.inner
            .creds
            .get(&reg.endpoint)
            .await
            .map_err(|source| RegistryError::Credentials {
                registry: reg.endpoint.prefix.clone(),
                source,
            })
    }

    /// Answers a `401` challenge: fetch a bearer token, or switch to basic credentials.
    async fn handshake(
        &self,
        reg: &Arc<Registry>,
        headers: &HeaderMap,
        scope: &str,
        repository: &str,
    ) -> Result<(), RegistryError> {
        let denied = |detail: &str| RegistryError::Unauthorized {
            registry: reg.endpoint.prefix.clone(),
            repository: repository.to_owned(),
            detail: detail.to_owned(),
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
                if self.credentials(reg).await?.is_none() {
                    return Err(denied(
                        "401, basic auth required and no credentials configured",
                    ));
                }
                if let Ok(mut b) = reg.basic.lock() {
                    *b = true;
                }
                Ok(())
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope: challenged,
            }) => {
                let creds = self.credentials(reg).await?;
                if let Some(Credentials::Token(t)) = &creds {
                    // A token configured as such is sent as the bearer itself.
                    if let Ok(mut tokens) = reg.tokens.lock() {
                        tokens.insert(
                            scope.to_owned(),
                            (t.clone(), Instant::now() + Duration::from_secs(3600)),
                        );
                    }
                    return Ok(());
                }
                if !crate::danger::scheme_allowed(&realm, reg.endpoint.insecure) {
                    return Err(denied("token realm is not https"));
                }
                let scope_param = challenged.unwrap_or_else(|| scope.to_owned());
                let mut query: Vec<(&str, String)> = vec![("scope", scope_param)];
                if let Some(s) = service {
                    query.push(("service", s));
                }
                let answer = {
                    let _permit = reg.limits.acquire().await;
                    let mut rb = reg.http.get(&realm).query(&query);
                    if let Some(Credentials::Basic { username, password }) = &creds {
                        rb = rb.header(AUTHORIZATION, basic_header(username, password.expose()));
                    }
                    reg.counters.add(Kind::Request);
                    reg.counters.add(Kind::Token);
                    rb.send().await
                };
                let resp = answer.map_err(|source| RegistryError::Connect {
                    registry: reg.endpoint.prefix.clone(),
                    url: redact_url(&realm),
                    source,
                })?;
                if !resp.status().is_success() {
                    return Err(denied(&format!(
                        "token endpoint answered {}",
                        resp.status()
                    )));
                }
                let body = read_capped(
                    resp,
                    TOKEN_LIMIT,
                    &reg.endpoint.prefix,
                    repository,
                    "token answer",
                )
                .await?;
                let answer: TokenAnswer =
                    serde_json::from_slice(&body).map_err(|_| RegistryError::Malformed {
                        registry: reg.endpoint.prefix.clone(),
                        repository: repository.to_owned(),
                        what: "token answer",
                        detail: "not the token JSON".to_owned(),
                    })?;
                let token = answer
                    .token()
                    .ok_or_else(|| denied("token answer without a token"))?;
                let lifetime = Duration::from_secs(answer.lifetime_secs());
                // Renew a little before expiry.
                let expires = Instant::now() + lifetime.mul_f64(0.9);
                if let Ok(mut tokens) = reg.tokens.lock() {
                    tokens.insert(scope.to_owned(), (Secret::new(token), expires));
                }
                Ok(())
            }
            Some(Challenge::Other(scheme)) => Err(denied(&format!(
                "401 with unsupported auth scheme '{scheme}'"
            ))),
            None => Err(denied("401 without a usable WWW-Authenticate challenge")),
        }
    }
}

fn tls_error(host: &str, detail: &str) -> RegistryError {
    RegistryError::Tls {
        registry: host.to_owned(),
        detail: detail.to_owned(),
    }
}

fn basic_header(user: &str, password: &str) -> String {
    use base64::Engine;
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn sha256_digest(body: &[u8]) -> Digest {
    let hex: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // 64 lower-case hex digits always make a valid digest.
    Digest::from_sha256_hex(&hex).unwrap_or_else(|_| unreachable!("sha256 hex is always valid"))
}

fn last_segment(url: &str) -> &str {
    let no_query = url.split('?').next().unwrap_or(url);
    no_query.rsplit('/').next().unwrap_or(no_query)
}

/// Exponential back-off with full jitter: a random wait up to `base * 2^attempt`.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(2u32.saturating_pow(attempt.min(10)));
    let millis = u64::try_from(ceiling.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_millis(rand::rng().random_range(millis / 2..=millis))
}

/// `Retry-After`: delay-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let delta = when.duration_since(Timestamp::now());
    Duration::try_from(delta).ok()
}

/// The `rel="next"` target of a `Link` header, made absolute against the API base.
fn next_link(headers: &HeaderMap, api_url: &str) -> Option<String> {
    for value in headers.get_all(LINK).iter().filter_map(|v| v.to_str().ok()) {
        for part in value.split(',') {
            let (target, params) = part.split_once(';')?;
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            });
            if is_next {
                if target.starts_with("http://") || target.starts_with("https://") {
                    return Some(target.to_owned());
                }
                let origin = origin_of(api_url);
                return Some(if target.starts_with('/') {
                    format!("{origin}{target}")
                } else {
                    format!("{origin}/{target}")
                });
            }
        }
    }
    None
}

fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

async fn read_capped(
    mut resp: reqwest::Response,
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
    if resp.content_length().is_some_and(|l| l > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
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
                    detail: format!("body cut short ({e})"),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn link_header_next_is_made_absolute() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static("</v2/a/tags/list?n=2&last=b>; rel=\"next\""),
        );
        assert_eq!(
            next_link(&h, "http://127.0.0.1:5000").as_deref(),
            Some("http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b")
        );
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static("<https://r.io/v2/x?last=1>; rel=\"prev\""),
        );
        assert_eq!(next_link(&h, "https://r.io"), None);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None, "a date in the past gives no wait");
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let b = Duration::from_millis(100);
        for attempt in 0..5 {
            let d = backoff(b, attempt);
            let ceiling = b * 2u32.pow(attempt);
            assert!(d <= ceiling && d >= ceiling / 2, "{attempt}: {d:?}");
        }
        assert!(backoff(b, 40) <= b * 1024);
    }
}
