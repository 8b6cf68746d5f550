//! Pushing images through the distribution API: blobs, OCI manifests, image indexes, tags.

use base64::Engine;
use serde_json::json;
use sha2::{Digest as _, Sha256};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// What to build an image from.
#[derive(Clone, Debug)]
pub struct ImageSpec {
    /// Config `created` (RFC 3339), or none.
    pub created: Option<String>,
    /// `os/arch[/variant]`.
    pub platform: String,
    /// Layer content (one small layer); vary it to get distinct digests.
    pub content: String,
}

impl ImageSpec {
    /// A linux/amd64 image created at `created`, with `content` as its layer.
    pub fn new(created: &str, content: &str) -> Self {
        Self {
            created: Some(created.to_owned()),
            platform: "linux/amd64".to_owned(),
            content: content.to_owned(),
        }
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

    /// Uploads a blob (monolithic: POST then PUT with the digest); returns its digest.
    pub async fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let head = self
            .req(
                reqwest::Method::HEAD,
                &format!("{}/v2/{repo}/blobs/{digest}", self.base),
            )
            .send()
            .await
            .expect("HEAD blob");
        if head.status().is_success() {
            return digest;
        }
        let start = self
            .req(
                reqwest::Method::POST,
                &format!("{}/v2/{repo}/blobs/uploads/", self.base),
            )
            .send()
            .await
            .expect("start upload");
        assert_eq!(
            start.status().as_u16(),
            202,
            "upload start: {}",
            start.status()
        );
        let location = start
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("upload location")
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
        assert_eq!(put.status().as_u16(), 201, "blob PUT: {}", put.status());
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

    /// Builds the manifest for `spec` (pushing its config and layer) without tagging it.
    pub async fn image_manifest(&self, repo: &str, spec: &ImageSpec) -> Vec<u8> {
        let mut parts = spec.platform.split('/');
        let os = parts.next().unwrap_or("linux");
        let arch = parts.next().unwrap_or("amd64");
        let variant = parts.next();
        let layer = spec.content.as_bytes().to_vec();
        let layer_digest = self.push_blob(repo, &layer).await;
        let mut config = json!({
            "architecture": arch,
            "os": os,
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            "config": {}
        });
        if let Some(c) = &spec.created {
            config["created"] = json!(c);
        }
        if let Some(v) = variant {
            config["variant"] = json!(v);
        }
        let config = serde_json::to_vec(&config).expect("config JSON");
        let config_digest = self.push_blob(repo, &config).await;
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}]
        }))
        .expect("manifest JSON")
    }

    /// Pushes a one-layer image and tags it; returns the manifest digest.
    pub async fn push_image(&self, repo: &str, tag: &str, spec: &ImageSpec) -> String {
        let manifest = self.image_manifest(repo, spec).await;
        self.push_manifest(repo, tag, OCI_MANIFEST, &manifest).await
    }

    /// Pushes an image index over per-platform images and tags it; returns
    /// `(index digest, [(platform, manifest digest)])`.
    pub async fn push_index(
        &self,
        repo: &str,
        tag: &str,
        specs: &[ImageSpec],
    ) -> (String, Vec<(String, String)>) {
        let mut entries = Vec::new();
        let mut children = Vec::new();
        for spec in specs {
            let m = self.image_manifest(repo, spec).await;
            let digest = self
                .push_manifest(repo, &sha256(&m), OCI_MANIFEST, &m)
                .await;
            let mut parts = spec.platform.split('/');
            let mut platform = json!({"os": parts.next().unwrap_or("linux"), "architecture": parts.next().unwrap_or("amd64")});
            if let Some(v) = parts.next() {
                platform["variant"] = json!(v);
            }
            entries.push(json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": m.len(), "platform": platform}));
            children.push((spec.platform.clone(), digest));
        }
        let index = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}),
        )
        .expect("index JSON");
        (
            self.push_manifest(repo, tag, OCI_INDEX, &index).await,
            children,
        )
    }

    /// Tags one image `n` times (`1.0.0` … as `0.<i/100>.<i%100>`-style semver tags made by
    /// `name`): one manifest upload per tag, blobs shared.
    pub async fn push_many_tags(&self, repo: &str, spec: &ImageSpec, names: &[String]) -> String {
        let manifest = self.image_manifest(repo, spec).await;
        let mut digest = String::new();
        for name in names {
            digest = self
                .push_manifest(repo, name, OCI_MANIFEST, &manifest)
                .await;
        }
        digest
    }
}
