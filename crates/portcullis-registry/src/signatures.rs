//! Legacy cosign signatures and attestations as a registry stores them: the image manifest at
//! tag `sha256-<hex>.sig` beside the signed image, one simple-signing layer per signature, and
//! at tag `sha256-<hex>.att`, one DSSE envelope layer per attestation (`cosign attest`
//! without the bundle format).
//!
//! What a caller can rely on:
//! - `Ok(None)` means the registry answered `404` for that tag: the image has no legacy
//!   signature. Every other failure (unreachable, denied, malformed, a blob missing, a digest
//!   that does not match) is an error, so a verifier refuses rather than accepts;
//! - the manifest is checked against the digest the registry announces for it, and every
//!   layer blob against the digest its descriptor names; bodies are capped;
//! - only layers of media type [`SIMPLE_SIGNING`] (signatures) or [`DSSE_ENVELOPE`]
//!   (attestations) are returned, in manifest order; nothing
//!   here is cached (a signature tag moves whenever someone signs again), and nothing is
//!   verified: which signatures are good is `portcullis-verify`'s call.

use std::collections::BTreeMap;

use portcullis_image::{Digest, Repository};
use reqwest::Method;
use tracing::{debug, instrument};

use crate::client::{RegistryClient, announced_digest, check_digest};
use crate::error::RegistryError;
use crate::manifest::{DOCKER_MANIFEST, LayeredManifest, OCI_MANIFEST, RawDescriptor};
use crate::stats::Kind;
use crate::transport::Request;

/// The media type of a cosign simple-signing layer.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The media type of a cosign attestation layer: a DSSE envelope (JSON).
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";

const ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
const MANIFEST_LIMIT: usize = 4 * 1024 * 1024;
/// A simple-signing payload is a few hundred bytes; cosign allows optional claims, so leave room.
const PAYLOAD_LIMIT: usize = 1024 * 1024;
/// An attestation envelope carries a whole predicate (an SBOM can be large).
const ENVELOPE_LIMIT: usize = 16 * 1024 * 1024;
/// All the layer blobs of one manifest together, at most (64 attestations of a megabyte
/// each fit; a manifest pointing at 256 huge blobs does not).
const TOTAL_LIMIT: usize = 64 * 1024 * 1024;
/// Signature or attestation layers read at most; more is an error, not a silent cut.
const MAX_LAYERS: usize = 256;

/// One signature layer: the signed payload (the layer blob, exact bytes) and its annotations
/// (the signature, certificate, Rekor bundle… as cosign writes them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureLayer {
    /// The layer's digest (of the payload).
    pub digest: Digest,
    /// The simple-signing payload, byte for byte.
    pub payload: Vec<u8>,
    /// The layer descriptor's annotations.
    pub annotations: BTreeMap<String, String>,
}

impl SignatureLayer {
    /// `(payload, annotations)`, the shape `portcullis-verify` takes.
    pub fn into_parts(self) -> (Vec<u8>, BTreeMap<String, String>) {
        (self.payload, self.annotations)
    }
}

/// The tag cosign stores the signatures of `image` under: `sha256-<hex>.sig`.
pub fn signature_tag(image: &Digest) -> String {
    format!("{}.sig", image.tag_prefix())
}

/// The tag cosign stores the attestations of `image` under: `sha256-<hex>.att`.
pub fn attestation_tag(image: &Digest) -> String {
    format!("{}.att", image.tag_prefix())
}

impl RegistryClient {
    /// The legacy cosign signatures of the image `image` in `repository`: the simple-signing
    /// layers of the manifest at tag [`signature_tag`], each with its blob. `Ok(None)` when
    /// that tag does not exist (the image is unsigned); an error for anything else that
    /// goes wrong.
    #[instrument(skip_all, fields(repository = %repository, image = %image))]
    pub async fn legacy_signatures(
        &self,
        repository: &Repository,
        image: &Digest,
    ) -> Result<Option<Vec<SignatureLayer>>, RegistryError> {
        self.legacy_layers(
            repository,
            signature_tag(image),
            SIMPLE_SIGNING,
            PAYLOAD_LIMIT,
        )
        .await
    }

    /// The legacy cosign attestations of the image `image` in `repository`: the DSSE
    /// envelope layers of the manifest at tag [`attestation_tag`] (each layer's `payload` is
    /// the envelope JSON). `Ok(None)` when that tag does not exist; an error for anything
    /// else that goes wrong.
    #[instrument(skip_all, fields(repository = %repository, image = %image))]
    pub async fn legacy_attestations(
        &self,
        repository: &Repository,
        image: &Digest,
    ) -> Result<Option<Vec<SignatureLayer>>, RegistryError> {
        self.legacy_layers(
            repository,
            attestation_tag(image),
            DSSE_ENVELOPE,
            ENVELOPE_LIMIT,
        )
        .await
    }

    /// The layers of `media_type` of the manifest at `tag`, with their blobs.
    async fn legacy_layers(
        &self,
        repository: &Repository,
        tag: String,
        media_type: &str,
        payload_limit: usize,
    ) -> Result<Option<Vec<SignatureLayer>>, RegistryError> {
        let reg = self.registry(repository)?;
        let path = Self::api_path(&reg, repository);
        let malformed = |what: &'static str, detail: String| RegistryError::Malformed {
            registry: reg.host.clone(),
            repository: path.clone(),
            what,
            detail,
        };
        let answer = match self
            .send(
                &reg,
                Request {
                    method: Method::GET,
                    url: reg.api_url(&path, &["manifests", &tag])?,
                    accept: Some(ACCEPT),
                    kind: Kind::ManifestGet,
                    repository: &path,
                    what: format!("manifest {tag}"),
                },
            )
            .await
        {
            Ok(answer) => answer,
            Err(RegistryError::NotFound { .. }) => {
                debug!(%tag, "no signature manifest");
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let announced = announced_digest(answer.headers());
        let body = answer
            .body(MANIFEST_LIMIT, &reg.host, &path, "signature manifest")
            .await?;
        if let Some(announced) = &announced {
            check_digest(&reg, &path, &body, announced)?;
        }
        let raw: LayeredManifest = serde_json::from_slice(&body).map_err(|e| {
            malformed(
                "signature manifest",
                format!("{tag} is not a JSON manifest ({e})"),
            )
        })?;
        match raw.media_type.as_deref() {
            Some(OCI_MANIFEST | DOCKER_MANIFEST) | None if raw.manifests.is_none() => {}
            other => {
                return Err(malformed(
                    "signature manifest",
                    format!(
                        "{tag} is not an image manifest (media type {})",
                        other.unwrap_or("none, with 'manifests'")
                    ),
                ));
            }
        }
        let wanted: Vec<RawDescriptor> = raw
            .layers
            .into_iter()
            .filter(|l| l.media_type.as_deref() == Some(media_type))
            .collect();
        if wanted.len() > MAX_LAYERS {
            return Err(malformed(
                "signature manifest",
                format!(
                    "{tag} has {} signature layers, more than the {MAX_LAYERS} read",
                    wanted.len()
                ),
            ));
        }
        let what = if media_type == DSSE_ENVELOPE {
            "attestation envelope"
        } else {
            "signature payload"
        };
        let mut layers = Vec::with_capacity(wanted.len());
        let mut total = 0usize;
        for layer in wanted {
            let digest: Digest = layer.digest.parse().map_err(|e| {
                malformed(
                    "signature manifest",
                    format!("{tag}: layer digest '{}': {e}", layer.digest),
                )
            })?;
            let payload = self
                .fetch_blob(&reg, &path, &digest, layer.size, payload_limit, what)
                .await?;
            total += payload.len();
            if total > TOTAL_LIMIT {
                return Err(malformed(
                    "signature manifest",
                    format!("{tag}: its layers come to more than {TOTAL_LIMIT} bytes"),
                ));
            }
            layers.push(SignatureLayer {
                digest,
                payload,
                annotations: layer.annotations,
            });
        }
        debug!(%tag, layers = layers.len(), "signature manifest read");
        Ok(Some(layers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_tag_is_cosigns() {
        let d = Digest::from_sha256_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(signature_tag(&d), format!("sha256-{}.sig", "ab".repeat(32)));
    }
}
