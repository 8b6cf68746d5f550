//! Pushing images through the distribution API (reqwest): blobs (monolithic upload), image
//! configs with `created`/`os`/`architecture`/`variant`, OCI manifests, image indexes, tags,
//! retags and deletes. Everything panics on failure: a test that cannot set up must fail.

use std::collections::HashSet;

use base64::Engine;
use serde_json::json;
use sha2::{Digest as _, Sha256};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// What to build an image from.
#[derive(Clone, Debug)]
pub struct ImageSpec {
    /// Config `created` (RFC 3339, or anything, to test bad dates), or none.
    pub created: Option<String>,
    /// `os/arch[/variant]`.
    pub platform: String,
    /// Layer contents; vary them (or `created`) to get distinct digests.
    pub layers: Vec<Vec<u8>>,
}

impl ImageSpec {
    /// A linux/amd64 image created at `created`, with one layer holding `content`.
    pub fn new(created: &str, content: &str) -> Self {
        Self {
            created: Some(created.to_owned()),
            platform: "linux/amd64".to_owned(),
            layers: vec![content.as_bytes().to_vec()],
        }
    }

    /// The same image for another platform (`linux/arm64/v8`).
    #[must_use]
    pub fn on(mut self, platform: &str) -> Self {
        self.platform = platform.to_owned();
        self
    }

    fn platform_json(&self) -> serde_json::Value {
        let mut parts = self.platform.split('/');
        let mut p = json!({
            "os": parts.next().unwrap_or("linux"),
            "architecture": parts.next().unwrap_or("amd64"),
        });
        if let Some(v) = parts.next() {
            p["variant"] = json!(v);
        }
        p
    }

    /// The image config JSON.
    pub fn config_json(&self, layer_digests: &[String]) -> Vec<u8> {
        let mut config = self.platform_json();
        config["rootfs"] = json!({"type": "layers", "diff_ids": layer_digests});
        config["config"] = json!({});
        if let Some(c) = &self.created {
            config["created"] = json!(c);
        }
        serde_json::to_vec(&config).expect("config JSON")
    }
}

/// Pushes to one registry.
#[derive(Clone, Debug)]
pub struct Pusher {
    base: String,
    http: reqwest::Client,
    auth: Option<String>,
}

/// `sha256:<hex>` of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

impl Pusher {
    /// A pusher for the registry at `base` (`http://127.0.0.1:5000`).
    pub fn new(base: &str, credentials: Option<(String, String)>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            auth: credentials.map(|(u, p)| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                )
            }),
        }
    }

    fn req(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, url);
        match &self.auth {
            Some(a) => rb.header("authorization", a),
            None => rb,
        }
    }

    /// Uploads a blob monolithically (`POST` an upload, `PUT ?digest=`); returns its digest.
    pub async fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let start = self
            .req(
                reqwest::Method::POST,
                &format!("{}/v2/{repo}/blobs/uploads/", self.base),
            )
            .send()
            .await
            .expect("POST blob upload");
        assert_eq!(
            start.status().as_u16(),
            202,
            "upload start in {repo}: {}",
            start.status()
        );
        let location = start
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("upload Location header")
            .to_owned();
        let url = if location.starts_with("http") {
            location
        } else {
            format!("{}{location}", self.base)
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        let put = self
            .req(reqwest::Method::PUT, &format!("{url}{sep}digest={digest}"))
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .expect("PUT blob");
        assert_eq!(
            put.status().as_u16(),
            201,
            "blob PUT in {repo}: {}",
            put.status()
        );
        digest
    }

    /// Stores a manifest under `reference` (tag or digest); returns its digest.
    pub async fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> String {
        let resp = self
            .req(
                reqwest::Method::PUT,
                &format!("{}/v2/{repo}/manifests/{reference}", self.base),
            )
            .header("content-type", media_type)
            .body(body.to_vec())
            .send()
            .await
            .expect("PUT manifest");
        assert_eq!(
            resp.status().as_u16(),
            201,
            "manifest PUT {repo}:{reference}: {}",
            resp.status()
        );
        sha256(body)
    }

    /// Pushes the config and layers of `spec` and returns its (untagged) OCI manifest.
    pub async fn image_manifest(&self, repo: &str, spec: &ImageSpec) -> Vec<u8> {
        let mut pushed = HashSet::new();
        self.image_manifest_sharing(repo, spec, &mut pushed).await
    }

    /// Like [`Pusher::image_manifest`], skipping layers already in `pushed`.
    async fn image_manifest_sharing(
        &self,
        repo: &str,
        spec: &ImageSpec,
        pushed: &mut HashSet<String>,
    ) -> Vec<u8> {
        let mut layers = Vec::new();
        for layer in &spec.layers {
            let digest = sha256(layer);
            if pushed.insert(digest.clone()) {
                self.push_blob(repo, layer).await;
            }
            layers.push(json!({"mediaType": OCI_LAYER, "digest": digest, "size": layer.len()}));
        }
        let layer_digests: Vec<String> = spec.layers.iter().map(|l| sha256(l)).collect();
        let config = spec.config_json(&layer_digests);
        let config_digest = self.push_blob(repo, &config).await;
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": layers,
        }))
        .expect("manifest JSON")
    }

    /// Pushes an image (config, layers, OCI manifest) and tags it; returns the manifest
    /// digest.
    pub async fn push_image(&self, repo: &str, tag: &str, spec: &ImageSpec) -> String {
        let manifest = self.image_manifest(repo, spec).await;
        self.push_manifest(repo, tag, OCI_MANIFEST, &manifest).await
    }

    /// Pushes one image per `(tag, spec)`, uploading each distinct layer once: per image one
    /// config upload and one manifest `PUT`. Returns the digests in order.
    pub async fn push_images(&self, repo: &str, images: &[(String, ImageSpec)]) -> Vec<String> {
        let mut pushed = HashSet::new();
        let mut digests = Vec::with_capacity(images.len());
        for (tag, spec) in images {
            let manifest = self.image_manifest_sharing(repo, spec, &mut pushed).await;
            digests.push(self.push_manifest(repo, tag, OCI_MANIFEST, &manifest).await);
        }
        digests
    }

    /// Tags one image under every name in `names` (blobs pushed once, one manifest `PUT` per
    /// tag): all the tags share one digest, which is returned.
    pub async fn push_many_tags(&self, repo: &str, spec: &ImageSpec, names: &[String]) -> String {
        let manifest = self.image_manifest(repo, spec).await;
        let digest = sha256(&manifest);
        for name in names {
            self.push_manifest(repo, name, OCI_MANIFEST, &manifest)
                .await;
        }
        digest
    }

    /// Pushes per-platform images and an OCI index over them, tagged `tag`; returns
    /// `(index digest, [(platform, manifest digest)])`.
    pub async fn push_index(
        &self,
        repo: &str,
        tag: &str,
        specs: &[ImageSpec],
    ) -> (String, Vec<(String, String)>) {
        let mut children = Vec::new();
        for spec in specs {
            let m = self.image_manifest(repo, spec).await;
            let digest = self
                .push_manifest(repo, &sha256(&m), OCI_MANIFEST, &m)
                .await;
            children.push((spec.platform.clone(), digest));
        }
        let refs: Vec<(&str, &str)> = children
            .iter()
            .map(|(p, d)| (p.as_str(), d.as_str()))
            .collect();
        (self.push_index_of(repo, tag, &refs).await, children)
    }

    /// Pushes an OCI index over manifests already in `repo`, `[(platform, digest)]` in
    /// index order (`platform` as `os/arch[/variant]`, or `unknown/unknown` for an
    /// attestation entry); returns the index digest.
    pub async fn push_index_of(&self, repo: &str, tag: &str, entries: &[(&str, &str)]) -> String {
        let mut manifests = Vec::new();
        for (platform, digest) in entries {
            let size = self.manifest(repo, digest).await.1.len();
            let platform = ImageSpec {
                created: None,
                platform: (*platform).to_owned(),
                layers: vec![],
            }
            .platform_json();
            manifests.push(json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": size, "platform": platform}));
        }
        let index = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
        )
        .expect("index JSON");
        self.push_manifest(repo, tag, OCI_INDEX, &index).await
    }

    /// A stored manifest: `(media type, body)`.
    pub async fn manifest(&self, repo: &str, reference: &str) -> (String, Vec<u8>) {
        let resp = self
            .req(
                reqwest::Method::GET,
                &format!("{}/v2/{repo}/manifests/{reference}", self.base),
            )
            .header("accept", ACCEPT_MANIFESTS)
            .send()
            .await
            .expect("GET manifest");
        assert_eq!(
            resp.status().as_u16(),
            200,
            "GET manifest {repo}@{reference}: {}",
            resp.status()
        );
        let media_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or(OCI_MANIFEST)
            .to_owned();
        (
            media_type,
            resp.bytes().await.expect("manifest body").to_vec(),
        )
    }

    /// Points `tag` at the manifest `digest` already in `repo` (moving the tag if it exists).
    pub async fn retag(&self, repo: &str, tag: &str, digest: &str) {
        let (media_type, body) = self.manifest(repo, digest).await;
        self.push_manifest(repo, tag, &media_type, &body).await;
    }

    /// Deletes the manifest `digest` (and so every tag on it).
    pub async fn delete_manifest(&self, repo: &str, digest: &str) {
        let resp = self
            .req(
                reqwest::Method::DELETE,
                &format!("{}/v2/{repo}/manifests/{digest}", self.base),
            )
            .send()
            .await
            .expect("DELETE manifest");
        assert_eq!(
            resp.status().as_u16(),
            202,
            "DELETE {repo}@{digest}: {}",
            resp.status()
        );
    }
}
