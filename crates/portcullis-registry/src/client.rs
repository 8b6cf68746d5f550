//! The registry watcher's questions — which tags, which digest, built when — answered with
//! as few requests as the caches allow. Every exchange goes through `transport`.
//!
//! What a caller can rely on:
//! - within one cycle ([`RegistryClient::new_cycle`]) a repository's tag list is fetched
//!   once however many lookups ask for it, concurrently or not (a failed listing is shared
//!   too, so a broken registry is not asked again and again), and a tag resolves to one
//!   digest;
//! - manifests and creation dates are cached by digest across cycles (digests are
//!   immutable), so `newest-build` costs one `HEAD` per tag per cycle and blob fetches only
//!   for images not seen before;
//! - every manifest and blob is checked against its digest, bodies are capped, and an index
//!   resolves to the first manifest (in index order) for a wanted platform;
//! - errors are typed ([`RegistryError`]) and nothing a registry answers can panic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use portcullis_image::{Digest, Platform, PlatformFilter, Repository};
use reqwest::Method;
use tracing::{debug, instrument};

use crate::cache::OnceMap;
use crate::config::{RegistriesConfig, RegistryEndpoint};
use crate::credentials::CredentialStore;
use crate::error::RegistryError;
use crate::manifest::{self, Document};
use crate::stats::{Kind, RequestStats};
use crate::tags::{Page, Pager, next_link};
use crate::transport::{Registry, Request, RetryPolicy};

const MANIFEST_LIMIT: usize = 4 * 1024 * 1024;
const CONFIG_LIMIT: usize = 8 * 1024 * 1024;
const TAGS_PAGE_LIMIT: usize = 16 * 1024 * 1024;
/// Repositories (and tags) a cycle may hold in its caches; far above any real cycle.
const CYCLE_CAPACITY: usize = 1_000_000;

/// Tunables of the client. Defaults suit production; tests shorten the waits.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Tags asked for per page (`n`).
    pub page_size: usize,
    /// Pages followed at most per listing; a longer listing is an error, not a silent cut.
    pub max_pages: usize,
    /// Retries after a `429`, a `5xx` or a connection error (so `retries + 1` tries).
    pub retries: u32,
    /// First back-off for `5xx` and connection errors (doubles per retry, with jitter).
    pub backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one is capped to this.
    pub max_retry_after: Duration,
    /// Concurrent tag lookups per repository in [`RegistryClient::tag_infos`] (the
    /// registry's own `max_concurrent` applies on top).
    pub lookups_per_repository: usize,
    /// Manifests and creation dates kept by digest across cycles (each).
    pub digest_cache_capacity: usize,
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
            digest_cache_capacity: 50_000,
        }
    }
}

/// What a tag or digest resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The digest the reference points at (the index digest for a multi-platform image):
    /// what a write-back pins.
    pub digest: Digest,
    /// For an index: the platform manifest chosen, and its platform as the index states it.
    pub platform_manifest: Option<(Digest, Option<Platform>)>,
    /// The image config digest of the (platform) manifest.
    pub config: Digest,
}

/// A tag with its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagMeta {
    /// The tag.
    pub name: String,
    /// What it resolves to now (the index digest for a multi-platform image).
    pub digest: Digest,
    /// The image creation time, when asked for and present in the config.
    pub created: Option<Timestamp>,
}

/// A client for every configured (and inferred) registry. Cheap to clone; clones share
/// limits, caches and counters.
#[derive(Clone, Debug)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: RegistriesConfig,
    creds: CredentialStore,
    options: ClientOptions,
    policy: RetryPolicy,
    registries: Mutex<HashMap<String, Arc<Registry>>>,
    /// Per cycle: a repository's tags (or the error listing them gave).
    listings: OnceMap<Repository, Result<Arc<Vec<String>>, RegistryError>>,
    /// Per cycle: what a tag points at.
    tag_digests: OnceMap<(Repository, String), Digest>,
    /// Across cycles: manifests by digest.
    documents: OnceMap<Digest, Document>,
    /// Across cycles: creation dates by config digest.
    created: OnceMap<Digest, Option<Timestamp>>,
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
        let policy = RetryPolicy {
            retries: options.retries,
            backoff: options.backoff,
            max_retry_after: options.max_retry_after,
        };
        Self {
            inner: Arc::new(Inner {
                config,
                creds,
                policy,
                registries: Mutex::default(),
                listings: OnceMap::new(CYCLE_CAPACITY),
                tag_digests: OnceMap::new(CYCLE_CAPACITY),
                documents: OnceMap::new(options.digest_cache_capacity),
                created: OnceMap::new(options.digest_cache_capacity),
                options,
            }),
        }
    }

    /// Starts a new cycle: counters, tag lists and tag digests are reset; manifests and
    /// creation dates, cached by digest, are kept.
    pub fn new_cycle(&self) {
        self.inner.listings.clear();
        self.inner.tag_digests.clear();
        for r in self.registries_snapshot() {
            r.counters.reset();
        }
    }

    /// What each registry cost since the cycle began.
    pub fn stats(&self) -> RequestStats {
        let mut stats = RequestStats::default();
        for r in self.registries_snapshot() {
            stats
                .registries
                .insert(r.host.clone(), r.counters.snapshot());
        }
        stats
    }

    /// The endpoint that serves `repository`.
    pub fn endpoint(&self, repository: &Repository) -> RegistryEndpoint {
        self.inner.config.endpoint_for(repository.registry())
    }

    fn registries_snapshot(&self) -> Vec<Arc<Registry>> {
        self.inner
            .registries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    pub(crate) fn registry(&self, repository: &Repository) -> Result<Arc<Registry>, RegistryError> {
        let host = repository.registry();
        let mut regs = self
            .inner
            .registries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(r) = regs.get(host) {
            return Ok(r.clone());
        }
        let r = Arc::new(Registry::open(host, self.inner.config.endpoint_for(host))?);
        regs.insert(host.to_owned(), r.clone());
        Ok(r)
    }

    /// The repository path as the registry's API names it (`defaultns` applied).
    pub(crate) fn api_path(reg: &Registry, repository: &Repository) -> String {
        let path = repository.path();
        match &reg.endpoint.defaultns {
            Some(ns) if !path.contains('/') => format!("{ns}/{path}"),
            _ => path.to_owned(),
        }
    }

    pub(crate) async fn send(
        &self,
        reg: &Registry,
        req: Request<'_>,
    ) -> Result<crate::transport::Answer, RegistryError> {
        reg.send(&self.inner.creds, &self.inner.policy, req).await
    }

    /// Every tag of `repository`, in registry order, following pagination. Shared within a
    /// cycle: concurrent and later calls for the same repository get the same listing (or
    /// the same error).
    #[instrument(skip_all, fields(repository = %repository))]
    pub async fn list_tags(
        &self,
        repository: &Repository,
    ) -> Result<Arc<Vec<String>>, RegistryError> {
        self.inner
            .listings
            .cell(repository)
            .get_or_init(|| self.fetch_tags(repository))
            .await
            .clone()
    }

    async fn fetch_tags(&self, repository: &Repository) -> Result<Arc<Vec<String>>, RegistryError> {
        let reg = self.registry(repository)?;
        let path = Self::api_path(&reg, repository);
        let malformed = |detail: String| RegistryError::Malformed {
            registry: reg.host.clone(),
            repository: path.clone(),
            what: "tag list",
            detail,
        };
        let mut pager = Pager::new(
            reg.api_url(&path, &["tags", "list"])?,
            self.inner.options.page_size,
        );
        let mut url = pager.first();
        for _ in 0..self.inner.options.max_pages {
            let answer = self
                .send(
                    &reg,
                    Request {
                        method: Method::GET,
                        url: url.clone(),
                        accept: Some("application/json"),
                        kind: Kind::TagPage,
                        repository: &path,
                        what: "tag list".to_owned(),
                    },
                )
                .await?;
            let link = next_link(answer.headers());
            let body = answer
                .body(TAGS_PAGE_LIMIT, &reg.host, &path, "tag list")
                .await?;
            let page: Page = serde_json::from_slice(&body)
                .map_err(|e| malformed(format!("not the tag-list JSON ({e})")))?;
            match pager.next(&url, link.as_deref(), page.tags.unwrap_or_default()) {
                Ok(Some(next)) => url = next,
                Ok(None) => {
                    let tags = pager.into_tags();
                    debug!(count = tags.len(), "tags listed");
                    return Ok(Arc::new(tags));
                }
                Err(why) => return Err(malformed(why.to_owned())),
            }
        }
        Err(malformed(format!(
            "more than {} pages; raise max_pages if this repository really has that many tags",
            self.inner.options.max_pages
        )))
    }

    /// The digest `tag` points at now: one `HEAD` per tag per cycle (a `GET` when the
    /// registry does not send `Docker-Content-Digest`).
    pub async fn tag_digest(
        &self,
        repository: &Repository,
        tag: &str,
    ) -> Result<Digest, RegistryError> {
        let key = (repository.clone(), tag.to_owned());
        self.inner
            .tag_digests
            .cell(&key)
            .get_or_try_init(|| self.head_digest(repository, tag))
            .await
            .cloned()
    }

    async fn head_digest(
        &self,
        repository: &Repository,
        tag: &str,
    ) -> Result<Digest, RegistryError> {
        let reg = self.registry(repository)?;
        let path = Self::api_path(&reg, repository);
        let answer = self
            .send(
                &reg,
                Request {
                    method: Method::HEAD,
                    url: reg.api_url(&path, &["manifests", tag])?,
                    accept: Some(manifest::ACCEPT),
                    kind: Kind::ManifestHead,
                    repository: &path,
                    what: format!("manifest {tag}"),
                },
            )
            .await?;
        if let Some(d) = announced_digest(answer.headers()) {
            return Ok(d);
        }
        drop(answer);
        self.fetch_by_tag(&reg, &path, tag).await
    }

    /// `GET` a manifest by tag, for a registry that does not announce digests on `HEAD`:
    /// its digest (checked against `Docker-Content-Digest` when sent, else computed), the
    /// document going to the digest cache.
    async fn fetch_by_tag(
        &self,
        reg: &Registry,
        path: &str,
        tag: &str,
    ) -> Result<Digest, RegistryError> {
        let answer = self
            .send(
                reg,
                Request {
                    method: Method::GET,
                    url: reg.api_url(path, &["manifests", tag])?,
                    accept: Some(manifest::ACCEPT),
                    kind: Kind::ManifestGet,
                    repository: path,
                    what: format!("manifest {tag}"),
                },
            )
            .await?;
        let announced = announced_digest(answer.headers());
        let content_type = content_type(answer.headers());
        let body = answer
            .body(MANIFEST_LIMIT, &reg.host, path, "manifest")
            .await?;
        let digest = match announced {
            Some(announced) => {
                check_digest(reg, path, &body, &announced)?;
                announced
            }
            None => manifest::sha256_of(&body),
        };
        let doc = parse_document(reg, path, &body, content_type.as_deref())?;
        self.inner.documents.offer(&digest, doc);
        Ok(digest)
    }

    /// The manifest `digest` names (cached across cycles; checked against the digest).
    async fn document(
        &self,
        reg: &Registry,
        path: &str,
        digest: &Digest,
    ) -> Result<Document, RegistryError> {
        self.inner
            .documents
            .cell(digest)
            .get_or_try_init(|| async {
                let answer = self
                    .send(
                        reg,
                        Request {
                            method: Method::GET,
                            url: reg.api_url(path, &["manifests", digest.as_str()])?,
                            accept: Some(manifest::ACCEPT),
                            kind: Kind::ManifestGet,
                            repository: path,
                            what: format!("manifest {digest}"),
                        },
                    )
                    .await?;
                let content_type = content_type(answer.headers());
                let body = answer
                    .body(MANIFEST_LIMIT, &reg.host, path, "manifest")
                    .await?;
                check_digest(reg, path, &body, digest)?;
                parse_document(reg, path, &body, content_type.as_deref())
            })
            .await
            .cloned()
    }

    /// Resolves a tag or digest to its digest and, for an image index, to the manifest of
    /// the first wanted platform in index order (`NoPlatform` when none is wanted).
    #[instrument(skip_all, fields(repository = %repository, reference = %reference))]
    pub async fn resolve(
        &self,
        repository: &Repository,
        reference: &str,
        platforms: &PlatformFilter,
    ) -> Result<Resolved, RegistryError> {
        let reg = self.registry(repository)?;
        let path = Self::api_path(&reg, repository);
        // By tag: a HEAD (cached for the cycle), then the manifest from the digest cache.
        // Steady-state cycles then cost HEADs only, which registries such as Docker Hub do
        // not count as pulls; a cold cache pays one GET more than a GET by tag would.
        let digest = match reference.parse::<Digest>() {
            Ok(d) => d,
            Err(_) => self.tag_digest(repository, reference).await?,
        };
        let doc = self.document(&reg, &path, &digest).await?;
        match doc {
            Document::Image { config } => Ok(Resolved {
                digest,
                platform_manifest: None,
                config,
            }),
            Document::Index(entries) => {
                let Some((child, platform)) = choose(&entries, platforms).cloned() else {
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
                match self.document(&reg, &path, &child).await? {
                    Document::Image { config } => Ok(Resolved {
                        digest,
                        platform_manifest: Some((child, platform)),
                        config,
                    }),
                    Document::Index(_) => Err(RegistryError::Malformed {
                        registry: reg.host.clone(),
                        repository: path,
                        what: "image index",
                        detail: format!("entry {child} is itself an index"),
                    }),
                }
            }
        }
    }

    /// The creation time of the image `digest` names (for an index, of the wanted
    /// platform's image), from its config blob. Cached by config digest across cycles.
    #[instrument(skip_all, fields(repository = %repository, %digest))]
    pub async fn created(
        &self,
        repository: &Repository,
        digest: &Digest,
        platforms: &PlatformFilter,
    ) -> Result<Option<Timestamp>, RegistryError> {
        let config = self
            .resolve(repository, digest.as_str(), platforms)
            .await?
            .config;
        if let Some(known) = self.inner.created.peek(&config) {
            return Ok(known);
        }
        let reg = self.registry(repository)?;
        let path = Self::api_path(&reg, repository);
        self.inner
            .created
            .cell(&config)
            .get_or_try_init(|| async {
                let body = self
                    .fetch_blob(&reg, &path, &config, None, CONFIG_LIMIT, "config blob")
                    .await?;
                manifest::parse_created(&body).map_err(|detail| RegistryError::Malformed {
                    registry: reg.host.clone(),
                    repository: path.clone(),
                    what: "image config",
                    detail,
                })
            })
            .await
            .copied()
    }

    /// `GET` a blob by digest: refused before the request when its announced `size` is over
    /// `limit`, read capped at `limit`, and checked against its digest. `what` names it in
    /// errors and in the request accounting.
    pub(crate) async fn fetch_blob(
        &self,
        reg: &Registry,
        path: &str,
        digest: &Digest,
        size: Option<u64>,
        limit: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, RegistryError> {
        if size.is_some_and(|s| s > limit as u64) {
            return Err(RegistryError::TooLarge {
                registry: reg.host.clone(),
                repository: path.to_owned(),
                what,
                limit,
            });
        }
        let answer = self
            .send(
                reg,
                Request {
                    method: Method::GET,
                    url: reg.api_url(path, &["blobs", digest.as_str()])?,
                    accept: None,
                    kind: Kind::Blob,
                    repository: path,
                    what: format!("{what} {digest}"),
                },
            )
            .await?;
        let body = answer.body(limit, &reg.host, path, what).await?;
        check_digest(reg, path, &body, digest)?;
        Ok(body)
    }

    /// Digest (and, with `want_created`, creation time) of each tag, in the order given,
    /// with bounded concurrency. With `want_created`, a multi-platform tag without a
    /// manifest for the wanted platforms is left out (it cannot be deployed here; Argo CD
    /// Image Updater skips it too). Any other failure fails the whole lookup: a strategy
    /// must not pick from a list with holes it cannot see.
    #[instrument(skip_all, fields(repository = %repository, tags = tags.len()))]
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
                let _slot = limit.acquire_owned().await.ok();
                let digest = this.tag_digest(&repository, &tag).await?;
                let created = if want_created {
                    match this.created(&repository, &digest, &platforms).await {
                        Ok(c) => c,
                        Err(RegistryError::NoPlatform { .. }) => {
                            debug!(%tag, %platforms, "no manifest for the wanted platforms, tag left out");
                            return Ok(None);
                        }
                        Err(e) => return Err(e),
                    }
                } else {
                    None
                };
                Ok::<_, RegistryError>(Some((
                    i,
                    TagMeta {
                        name: tag,
                        digest,
                        created,
                    },
                )))
            });
        }
        let mut out: Vec<Option<TagMeta>> = vec![None; tags.len()];
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(Ok(Some((i, meta)))) => out[i] = Some(meta),
                Ok(Ok(None)) => {}
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
}

/// The first index entry for a wanted platform, in index order. Entries declaring
/// `unknown/unknown` (build attestations) are never images to run.
fn choose<'a>(
    entries: &'a [(Digest, Option<Platform>)],
    platforms: &PlatformFilter,
) -> Option<&'a (Digest, Option<Platform>)> {
    entries.iter().find(|(_, p)| match p {
        Some(p) if p.os() == "unknown" && p.architecture() == "unknown" => false,
        Some(p) => platforms.wants(p),
        None => platforms.is_any(),
    })
}

pub(crate) fn announced_digest(headers: &reqwest::header::HeaderMap) -> Option<Digest> {
    headers
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn content_type(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) fn check_digest(
    reg: &Registry,
    path: &str,
    body: &[u8],
    expected: &Digest,
) -> Result<(), RegistryError> {
    match manifest::digest_like(body, expected) {
        Some(actual) if actual == *expected => Ok(()),
        Some(actual) => Err(RegistryError::DigestMismatch {
            registry: reg.host.clone(),
            repository: path.to_owned(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }),
        None => Err(RegistryError::Malformed {
            registry: reg.host.clone(),
            repository: path.to_owned(),
            what: "manifest",
            detail: format!("cannot check digest algorithm '{}'", expected.algorithm()),
        }),
    }
}

fn parse_document(
    reg: &Registry,
    path: &str,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<Document, RegistryError> {
    manifest::parse_manifest(body, content_type).map_err(|detail| RegistryError::Malformed {
        registry: reg.host.clone(),
        repository: path.to_owned(),
        what: "manifest",
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> Digest {
        Digest::from_sha256_hex(&format!("{n:02x}").repeat(32)).unwrap()
    }

    #[test]
    fn index_entries_are_chosen_in_order_skipping_attestations() {
        let entries = vec![
            (d(1), Some(Platform::new("unknown", "unknown", None))),
            (d(2), Some(Platform::new("linux", "amd64", None))),
            (d(3), Some(Platform::new("linux", "arm64", Some("v8")))),
            (d(4), Some(Platform::new("linux", "arm64", Some("v8")))),
        ];
        assert_eq!(choose(&entries, &PlatformFilter::any()).unwrap().0, d(2));
        let arm = PlatformFilter::from_specs(&["linux/arm64"]);
        assert_eq!(
            choose(&entries, &arm).unwrap().0,
            d(3),
            "first match in index order"
        );
        let both = PlatformFilter::from_specs(&["linux/arm64", "linux/amd64"]);
        assert_eq!(
            choose(&entries, &both).unwrap().0,
            d(2),
            "index order, not filter order"
        );
        assert!(choose(&entries, &PlatformFilter::from_specs(&["linux/s390x"])).is_none());
        let unplatformed = vec![(d(5), None)];
        assert!(choose(&unplatformed, &arm).is_none());
        assert_eq!(
            choose(&unplatformed, &PlatformFilter::any()).unwrap().0,
            d(5)
        );
    }
}
