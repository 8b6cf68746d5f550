//! OCI and Docker manifests, image indexes and image configs — only the fields Portcullis
//! reads. Parsed leniently (unknown fields kept out of the way, not refused), since these are
//! foreign documents.

use jiff::Timestamp;
use portcullis_image::{Digest, Platform};
use serde::Deserialize;
use sha2::Digest as _;

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest v2 schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The `Accept` header for manifest requests.
pub(crate) const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

#[derive(Debug, Deserialize)]
struct RawManifest {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    config: Option<Descriptor>,
    manifests: Option<Vec<IndexEntry>>,
}

#[derive(Debug, Deserialize)]
struct Descriptor {
    digest: String,
}

#[derive(Debug, Deserialize)]
struct IndexEntry {
    digest: String,
    platform: Option<RawPlatform>,
}

#[derive(Debug, Deserialize)]
struct RawPlatform {
    os: String,
    architecture: String,
    variant: Option<String>,
}

/// A manifest document, classified. (Referrers, when they come, are indexes too: the
/// artifact entries will need `artifactType` and `annotations` added here.)
#[derive(Clone, Debug)]
pub(crate) enum Document {
    /// An image manifest with its config digest.
    Image { config: Digest },
    /// An index: manifests with their platforms, in index order.
    Index(Vec<(Digest, Option<Platform>)>),
}

/// Classifies and reads a manifest body. `content_type` is the response header.
pub(crate) fn parse_manifest(body: &[u8], content_type: Option<&str>) -> Result<Document, String> {
    let raw: RawManifest =
        serde_json::from_slice(body).map_err(|e| format!("not a JSON manifest ({e})"))?;
    let media = raw
        .media_type
        .as_deref()
        .or(content_type.map(|c| c.split(';').next().unwrap_or(c).trim()));
    let is_index = match media {
        Some(OCI_INDEX | DOCKER_LIST) => true,
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
        _ => raw.manifests.is_some(),
    };
    if is_index {
        let entries = raw.manifests.ok_or("index without 'manifests'")?;
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let digest: Digest = e
                .digest
                .parse()
                .map_err(|err| format!("index entry digest: {err}"))?;
            let platform = e
                .platform
                .map(|p| Platform::new(&p.os, &p.architecture, p.variant.as_deref()));
            out.push((digest, platform));
        }
        Ok(Document::Index(out))
    } else {
        let config = raw
            .config
            .ok_or("image manifest without 'config' (schema 1 manifests are not supported)")?;
        let config = config
            .digest
            .parse()
            .map_err(|err| format!("config digest: {err}"))?;
        Ok(Document::Image { config })
    }
}

/// The digest of `body` in the algorithm of `like` (`sha256` or `sha512`); `None` for an
/// algorithm we cannot compute.
pub(crate) fn digest_like(body: &[u8], like: &Digest) -> Option<Digest> {
    let hex = match like.algorithm() {
        "sha256" => hex(&sha2::Sha256::digest(body)),
        "sha512" => hex(&sha2::Sha512::digest(body)),
        _ => return None,
    };
    format!("{}:{hex}", like.algorithm()).parse().ok()
}

/// The sha256 digest of `body`.
pub(crate) fn sha256_of(body: &[u8]) -> Digest {
    let hex = hex(&sha2::Sha256::digest(body));
    // 64 lower-case hex digits always make a valid digest.
    Digest::from_sha256_hex(&hex).unwrap_or_else(|_| unreachable!("sha256 hex is always valid"))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[derive(Debug, Deserialize)]
struct RawConfig {
    created: Option<String>,
}

/// The `created` time of an image config; `None` when absent. A present but unreadable
/// time is an error (a registry answering garbage must not look like an old image).
pub(crate) fn parse_created(body: &[u8]) -> Result<Option<Timestamp>, String> {
    let raw: RawConfig =
        serde_json::from_slice(body).map_err(|e| format!("not a JSON image config ({e})"))?;
    match raw.created.as_deref() {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<Timestamp>()
            .map(Some)
            .map_err(|e| format!("'created' is not an RFC 3339 time ({e})")),
    }
}

/// A descriptor as manifests, indexes and referrer lists carry it (the fields the signature
/// layouts read).
#[derive(Debug, Deserialize)]
pub(crate) struct RawDescriptor {
    #[serde(rename = "mediaType")]
    pub(crate) media_type: Option<String>,
    #[serde(rename = "artifactType")]
    pub(crate) artifact_type: Option<String>,
    pub(crate) digest: String,
    pub(crate) size: Option<u64>,
    #[serde(default)]
    pub(crate) annotations: std::collections::BTreeMap<String, String>,
}

/// A manifest read for its layers (cosign's `.sig` manifests, referrer artifacts);
/// `manifests` is kept only to recognise an index offered in its place.
#[derive(Debug, Deserialize)]
pub(crate) struct LayeredManifest {
    #[serde(rename = "mediaType")]
    pub(crate) media_type: Option<String>,
    pub(crate) manifests: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) layers: Vec<RawDescriptor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn classifies_manifests_and_indexes() {
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"digest":"{D}","size":1}},"layers":[]}}"#
        );
        assert!(matches!(
            parse_manifest(m.as_bytes(), None),
            Ok(Document::Image { .. })
        ));
        let i = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{D}","platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#
        );
        match parse_manifest(i.as_bytes(), Some(OCI_INDEX)).unwrap() {
            Document::Index(e) => {
                assert_eq!(e[0].1.as_ref().unwrap().to_string(), "linux/arm64/v8")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn digests_in_the_algorithm_asked_for() {
        let sha256: Digest = D.parse().unwrap();
        assert_eq!(
            digest_like(b"", &sha256).unwrap().as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(sha256_of(b""), digest_like(b"", &sha256).unwrap());
        let sha512: Digest = format!("sha512:{}", "0".repeat(128)).parse().unwrap();
        assert!(
            digest_like(b"x", &sha512)
                .unwrap()
                .as_str()
                .starts_with("sha512:")
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_manifest(b"<html>", None).is_err());
        assert!(parse_manifest(br#"{"schemaVersion":1}"#, None).is_err());
        assert!(parse_manifest(br#"{"manifests":[{"digest":"sha256:abc"}]}"#, None).is_err());
        assert!(parse_created(br#"{"created":"yesterday"}"#).is_err());
        assert_eq!(parse_created(br#"{"architecture":"amd64"}"#).unwrap(), None);
    }
}
