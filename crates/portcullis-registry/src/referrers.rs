//! OCI 1.1 referrers: the artifacts (signatures, attestations, SBOMs) whose manifest names an
//! image as its `subject`, and the Sigstore bundles among them.
//!
//! What a caller can rely on:
//! - [`RegistryClient::referrers`] asks the referrers API (`GET /v2/<name>/referrers/<digest>`,
//!   distribution spec 1.1) first; a `404` there means the registry lacks the API (Debian's
//!   registry 2.8 has none), and the referrers tag schema is read instead: the image index at
//!   tag `sha256-<hex>` (a `404` there means no referrers). An `artifactType` filter is sent
//!   as a query parameter and applied here too unless the registry says it applied it
//!   (`OCI-Filters-Applied: artifactType`);
//! - [`RegistryClient::sigstore_bundles`] returns the layers of those referrer manifests whose
//!   *layer* media type is a Sigstore bundle's (some registries list referrers with
//!   `artifactType` `application/vnd.oci.empty.v1+json`, so the listing is not filtered);
//! - every manifest and blob is checked against its digest and capped; every failure other
//!   than the two `404`s above is an error, never "no referrers". A paginated referrers
//!   answer (`Link: rel="next"`) is read page by page, on the same origin, within bounds;
//!   beyond them it is refused rather than read in part. Nothing is cached
//!   (referrers come and go) and nothing is verified here.

use std::collections::BTreeMap;

use portcullis_image::{Digest, Repository};
use reqwest::Method;
use serde::Deserialize;
use tracing::{debug, instrument};

use crate::client::{RegistryClient, announced_digest, check_digest};
use crate::error::RegistryError;
use crate::manifest::{LayeredManifest, OCI_INDEX, OCI_MANIFEST, RawDescriptor};
use crate::stats::Kind;
use crate::tags::next_link;
use crate::transport::{Registry, Request};

/// Media types of a Sigstore bundle as an OCI layer, newest first: v0.3 in both spellings,
/// then v0.2 and v0.1.
pub const SIGSTORE_BUNDLE_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
];

const INDEX_LIMIT: usize = 4 * 1024 * 1024;
const MANIFEST_LIMIT: usize = 4 * 1024 * 1024;
/// A signature bundle is a few KiB; an attestation carries its predicate (an SBOM can be
/// large), so leave room.
const BUNDLE_LIMIT: usize = 16 * 1024 * 1024;
/// Referrers read at most; more is an error, not a silent cut.
const MAX_REFERRERS: usize = 1024;
/// Pages of one referrers listing read at most.
const MAX_PAGES: usize = 64;
/// Bundle layers read at most over all referrers.
const MAX_BUNDLES: usize = 256;

/// How the referrers were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferrersSource {
    /// The registry's referrers API.
    Api,
    /// The referrers tag schema: the index at tag `sha256-<hex>`, for registries without
    /// the API.
    TagSchema,
}

/// One referrer: a manifest whose `subject` is the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referrer {
    /// The referrer manifest's digest.
    pub digest: Digest,
    /// Its media type, as listed.
    pub media_type: Option<String>,
    /// Its artifact type, as listed.
    pub artifact_type: Option<String>,
    /// Its annotations, as listed.
    pub annotations: BTreeMap<String, String>,
}

/// The referrers of an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referrers {
    /// Where they were read.
    pub source: ReferrersSource,
    /// The referrers, in the order listed.
    pub referrers: Vec<Referrer>,
}

/// A Sigstore bundle attached to an image as a referrer's layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleLayer {
    /// The referrer manifest holding it.
    pub referrer: Digest,
    /// The layer's digest (of the bundle).
    pub digest: Digest,
    /// The layer's media type.
    pub media_type: String,
    /// The bundle JSON, byte for byte.
    pub bundle: Vec<u8>,
}

/// The referrers tag schema's tag for `image`: `sha256-<hex>`.
pub fn referrers_tag(image: &Digest) -> String {
    image.tag_prefix()
}

/// Whether `media_type` is a Sigstore bundle's (spaces around `;` ignored).
pub fn is_sigstore_bundle(media_type: &str) -> bool {
    let compact: String = media_type
        .split(';')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(";");
    SIGSTORE_BUNDLE_MEDIA_TYPES.contains(&compact.as_str())
}

#[derive(Debug, Deserialize)]
struct RawIndex {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<RawDescriptor>,
}

/// One page of a referrers listing: an OCI image index whose descriptors have valid digests.
fn parse_index(body: &[u8], what: &str) -> Result<Vec<Referrer>, String> {
    let raw: RawIndex = serde_json::from_slice(body)
        .map_err(|e| format!("{what} is not a JSON image index ({e})"))?;
    if raw.media_type.as_deref().is_some_and(|m| m != OCI_INDEX) {
        return Err(format!(
            "{what} is not an OCI image index (media type {})",
            raw.media_type.as_deref().unwrap_or_default()
        ));
    }
    if raw.manifests.len() > MAX_REFERRERS {
        return Err(format!(
            "{what}: {} referrers, more than the {MAX_REFERRERS} read",
            raw.manifests.len()
        ));
    }
    raw.manifests
        .into_iter()
        .map(|d| {
            let digest: Digest = d
                .digest
                .parse()
                .map_err(|e| format!("{what}: digest '{}': {e}", d.digest))?;
            Ok(Referrer {
                digest,
                media_type: d.media_type,
                artifact_type: d.artifact_type,
                annotations: d.annotations,
            })
        })
        .collect()
}

/// Keeps the referrers of `artifact_type`, unless the registry already filtered.
fn filter_artifact_type(
    referrers: Vec<Referrer>,
    artifact_type: Option<&str>,
    filtered_by_registry: bool,
) -> Vec<Referrer> {
    match artifact_type {
        Some(wanted) if !filtered_by_registry => referrers
            .into_iter()
            .filter(|r| r.artifact_type.as_deref() == Some(wanted))
            .collect(),
        _ => referrers,
    }
}

/// Whether `OCI-Filters-Applied` lists `artifactType`.
fn artifact_type_filter_applied(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get_all("oci-filters-applied")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|f| f.trim() == "artifactType")
}

impl RegistryClient {
    /// The referrers of the image `image` in `repository`, optionally only those of
    /// `artifact_type`: from the referrers API, or from the referrers tag schema when the
    /// registry has no such API. An image without referrers gives an empty list; every
    /// failure is an error.
    #[instrument(skip_all, fields(repository = %repository, image = %image))]
    pub async fn referrers(
        &self,
        repository: &Repository,
        image: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Referrers, RegistryError> {
        let reg = self.registry(repository)?;
        let path = Self::api_path(&reg, repository);
        let mut url = reg.api_url(&path, &["referrers", image.as_str()])?;
        if let Some(t) = artifact_type {
            url.query_pairs_mut().append_pair("artifactType", t);
        }
        let what = format!("referrers of {image}");
        let first_url = url.clone();
        let answer = self
            .send(
                &reg,
                Request {
                    method: Method::GET,
                    url,
                    accept: Some(OCI_INDEX),
                    kind: Kind::ManifestGet,
                    repository: &path,
                    what: what.clone(),
                },
            )
            .await;
        let (source, answer) = match answer {
            Ok(answer) => (ReferrersSource::Api, answer),
            Err(RegistryError::NotFound { .. }) => {
                debug!("no referrers API, reading the referrers tag schema");
                let tag = referrers_tag(image);
                let fallback = self
                    .send(
                        &reg,
                        Request {
                            method: Method::GET,
                            url: reg.api_url(&path, &["manifests", &tag])?,
                            accept: Some(OCI_INDEX),
                            kind: Kind::ManifestGet,
                            repository: &path,
                            what: format!("referrers index {tag}"),
                        },
                    )
                    .await;
                match fallback {
                    Ok(answer) => (ReferrersSource::TagSchema, answer),
                    Err(RegistryError::NotFound { .. }) => {
                        debug!(%tag, "no referrers index");
                        return Ok(Referrers {
                            source: ReferrersSource::TagSchema,
                            referrers: Vec::new(),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        let malformed = |detail: String| RegistryError::Malformed {
            registry: reg.host.clone(),
            repository: path.clone(),
            what: "referrers index",
            detail,
        };
        // The API may paginate (`Link: <…>; rel="next"`, as for tag lists); every page is
        // read, on the same origin only (credentials go with each request), each URL once,
        // within MAX_PAGES and MAX_REFERRERS: a list is read whole or refused, never in part.
        let mut referrers = Vec::new();
        let mut fetched = std::collections::HashSet::new();
        let mut page_url = first_url;
        let mut answer = answer;
        loop {
            fetched.insert(page_url.to_string());
            let filtered_by_registry =
                source == ReferrersSource::Api && artifact_type_filter_applied(answer.headers());
            let next = match source {
                ReferrersSource::Api => next_link(answer.headers()),
                ReferrersSource::TagSchema => None,
            };
            let announced = announced_digest(answer.headers());
            let body = answer
                .body(INDEX_LIMIT, &reg.host, &path, "referrers index")
                .await?;
            if source == ReferrersSource::TagSchema
                && let Some(announced) = &announced
            {
                check_digest(&reg, &path, &body, announced)?;
            }
            let page = parse_index(&body, &what).map_err(malformed)?;
            referrers.extend(filter_artifact_type(
                page,
                artifact_type,
                filtered_by_registry,
            ));
            if referrers.len() > MAX_REFERRERS {
                return Err(malformed(format!(
                    "{what}: more than the {MAX_REFERRERS} referrers read"
                )));
            }
            let Some(link) = next else { break };
            let next_url = page_url.join(&link).map_err(|_| {
                malformed(format!(
                    "{what}: the Link header's next target is not a URL"
                ))
            })?;
            if next_url.origin() != page_url.origin() {
                return Err(malformed(format!(
                    "{what}: the Link header points to another origin"
                )));
            }
            if fetched.contains(next_url.as_str()) {
                break;
            }
            if fetched.len() >= MAX_PAGES {
                return Err(malformed(format!(
                    "{what}: more than {MAX_PAGES} pages; refusing a partial list"
                )));
            }
            answer = self
                .send(
                    &reg,
                    Request {
                        method: Method::GET,
                        url: next_url.clone(),
                        accept: Some(OCI_INDEX),
                        kind: Kind::ManifestGet,
                        repository: &path,
                        what: what.clone(),
                    },
                )
                .await?;
            page_url = next_url;
        }

        debug!(?source, count = referrers.len(), "referrers listed");
        Ok(Referrers { source, referrers })
    }

    /// The Sigstore bundles attached to the image `image` as referrers: every layer, of
    /// every referrer manifest, whose media type is a Sigstore bundle's, in listing and
    /// layer order, each blob checked against its digest. Empty when there are none;
    /// every failure is an error.
    #[instrument(skip_all, fields(repository = %repository, image = %image))]
    pub async fn sigstore_bundles(
        &self,
        repository: &Repository,
        image: &Digest,
    ) -> Result<Vec<BundleLayer>, RegistryError> {
        let listed = self.referrers(repository, image, None).await?;
        let reg = self.registry(repository)?;
        let path = Self::api_path(&reg, repository);
        let mut bundles = Vec::new();
        for referrer in listed.referrers {
            if referrer
                .media_type
                .as_deref()
                .is_some_and(|m| m != OCI_MANIFEST)
            {
                debug!(referrer = %referrer.digest, "referrer is not an image manifest, skipped");
                continue;
            }
            let layers = self.bundle_layers(&reg, &path, &referrer.digest).await?;
            for layer in layers {
                if bundles.len() == MAX_BUNDLES {
                    return Err(RegistryError::Malformed {
                        registry: reg.host.clone(),
                        repository: path.clone(),
                        what: "referrers",
                        detail: format!(
                            "more than {MAX_BUNDLES} sigstore bundles refer to {image}"
                        ),
                    });
                }
                let bundle = self.bundle_blob(&reg, &path, &layer).await?;
                bundles.push(BundleLayer {
                    referrer: referrer.digest.clone(),
                    digest: layer.0,
                    media_type: layer.1,
                    bundle,
                });
            }
        }
        debug!(bundles = bundles.len(), "sigstore bundles read");
        Ok(bundles)
    }

    /// The `(digest, media type, size)` of the bundle layers of the referrer manifest
    /// `digest`.
    async fn bundle_layers(
        &self,
        reg: &Registry,
        path: &str,
        digest: &Digest,
    ) -> Result<Vec<(Digest, String, Option<u64>)>, RegistryError> {
        let malformed = |detail: String| RegistryError::Malformed {
            registry: reg.host.clone(),
            repository: path.to_owned(),
            what: "referrer manifest",
            detail,
        };
        let answer = self
            .send(
                reg,
                Request {
                    method: Method::GET,
                    url: reg.api_url(path, &["manifests", digest.as_str()])?,
                    accept: Some(OCI_MANIFEST),
                    kind: Kind::ManifestGet,
                    repository: path,
                    what: format!("referrer manifest {digest}"),
                },
            )
            .await?;
        let body = answer
            .body(MANIFEST_LIMIT, &reg.host, path, "referrer manifest")
            .await?;
        check_digest(reg, path, &body, digest)?;
        let raw: LayeredManifest = serde_json::from_slice(&body)
            .map_err(|e| malformed(format!("{digest} is not a JSON manifest ({e})")))?;
        match raw.media_type.as_deref() {
            Some(OCI_MANIFEST) | None if raw.manifests.is_none() => {}
            other => {
                return Err(malformed(format!(
                    "{digest} is not an image manifest (media type {})",
                    other.unwrap_or("none, with 'manifests'")
                )));
            }
        }
        let mut out = Vec::new();
        for layer in raw.layers {
            let Some(media_type) = layer.media_type.filter(|m| is_sigstore_bundle(m)) else {
                continue;
            };
            let layer_digest: Digest = layer.digest.parse().map_err(|e| {
                malformed(format!("{digest}: layer digest '{}': {e}", layer.digest))
            })?;
            out.push((layer_digest, media_type, layer.size));
        }
        Ok(out)
    }

    async fn bundle_blob(
        &self,
        reg: &Registry,
        path: &str,
        (digest, _, size): &(Digest, String, Option<u64>),
    ) -> Result<Vec<u8>, RegistryError> {
        self.fetch_blob(reg, path, digest, *size, BUNDLE_LIMIT, "sigstore bundle")
            .await
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::*;

    fn referrer(n: u8, artifact_type: Option<&str>) -> Referrer {
        Referrer {
            digest: Digest::from_sha256_hex(&format!("{n:02x}").repeat(32)).unwrap(),
            media_type: Some(OCI_MANIFEST.to_owned()),
            artifact_type: artifact_type.map(str::to_owned),
            annotations: BTreeMap::new(),
        }
    }

    #[test]
    fn the_referrers_tag_is_the_digest_as_a_tag() {
        let d = Digest::from_sha256_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(referrers_tag(&d), format!("sha256-{}", "ab".repeat(32)));
    }

    #[test]
    fn every_bundle_media_type_spelling_is_known() {
        for m in SIGSTORE_BUNDLE_MEDIA_TYPES {
            assert!(is_sigstore_bundle(m), "{m}");
        }
        assert!(is_sigstore_bundle(
            "application/vnd.dev.sigstore.bundle+json; version=0.3"
        ));
        assert!(!is_sigstore_bundle("application/vnd.oci.empty.v1+json"));
        assert!(!is_sigstore_bundle(
            "application/vnd.dev.cosign.simplesigning.v1+json"
        ));
    }

    #[test]
    fn artifact_type_is_filtered_here_unless_the_registry_did() {
        let bundle = SIGSTORE_BUNDLE_MEDIA_TYPES[0];
        let all = vec![
            referrer(1, Some(bundle)),
            referrer(2, Some("application/spdx+json")),
            referrer(3, None),
        ];
        let kept = filter_artifact_type(all.clone(), Some(bundle), false);
        assert_eq!(kept, vec![all[0].clone()]);
        assert_eq!(filter_artifact_type(all.clone(), Some(bundle), true), all);
        assert_eq!(filter_artifact_type(all.clone(), None, false), all);
    }

    #[test]
    fn the_filters_applied_header_is_read_as_a_list() {
        let mut h = HeaderMap::new();
        assert!(!artifact_type_filter_applied(&h));
        h.insert(
            "oci-filters-applied",
            HeaderValue::from_static("annotation, artifactType"),
        );
        assert!(artifact_type_filter_applied(&h));
        h.insert(
            "oci-filters-applied",
            HeaderValue::from_static("artifactTypes"),
        );
        assert!(!artifact_type_filter_applied(&h));
    }
}
