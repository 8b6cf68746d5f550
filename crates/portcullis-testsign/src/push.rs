//! Pushing signatures to a registry in the two layouts cosign writes: the legacy signature
//! manifest at tag `sha256-<hex>.sig` (and attestation manifest at `sha256-<hex>.att`), and a bundle as an OCI 1.1 referrer of the image (with,
//! optionally, the referrers tag schema's index at tag `sha256-<hex>` for registries without
//! the referrers API).

use portcullis_testkit::{Pusher, sha256};
use serde_json::json;

use crate::ca::LeafSpec;
use crate::signer::{LegacyLayer, SigningOptions};
use crate::trusted_root::TestSigstore;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";

/// The legacy signature tag of `image_digest`: `sha256-<hex>.sig`.
pub fn signature_tag(image_digest: &str) -> String {
    format!("{}.sig", image_digest.replacen(':', "-", 1))
}

/// Pushes `layers` as one cosign signature manifest at the signature tag of `image_digest`
/// in `repo`, replacing any there. Returns the manifest's digest.
pub async fn push_legacy_signatures(
    push: &Pusher,
    repo: &str,
    image_digest: &str,
    layers: &[LegacyLayer],
) -> String {
    push_legacy(
        push,
        repo,
        &signature_tag(image_digest),
        SIMPLE_SIGNING,
        layers,
    )
    .await
}

/// Pushes `layers` (DSSE envelopes, from `legacy_attestation_layer`) as one cosign
/// attestation manifest at tag `sha256-<hex>.att` of `image_digest` in `repo`, replacing any
/// there. Returns the manifest's digest.
pub async fn push_legacy_attestations(
    push: &Pusher,
    repo: &str,
    image_digest: &str,
    layers: &[LegacyLayer],
) -> String {
    let tag = format!("{}.att", image_digest.replacen(':', "-", 1));
    push_legacy(push, repo, &tag, DSSE_ENVELOPE, layers).await
}

async fn push_legacy(
    push: &Pusher,
    repo: &str,
    tag: &str,
    media_type: &str,
    layers: &[LegacyLayer],
) -> String {
    let mut descriptors = Vec::new();
    for layer in layers {
        let digest = push.push_blob(repo, &layer.payload).await;
        descriptors.push(json!({
            "mediaType": media_type,
            "digest": digest,
            "size": layer.payload.len(),
            "annotations": layer.annotations,
        }));
    }
    let config = serde_json::to_vec(&json!({
        "architecture": "",
        "os": "",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": descriptors.iter().map(|d| d["digest"].clone()).collect::<Vec<_>>()},
    }))
    .unwrap_or_default();
    let config_digest = push.push_blob(repo, &config).await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": descriptors,
    }))
    .unwrap_or_default();
    push.push_manifest(repo, tag, OCI_MANIFEST, &manifest).await
}

/// Pushes the bundle `bundle` (v0.3) as a referrer of `image_digest` in `repo`, as cosign
/// attaches one: `artifactType` the bundle media type, `subject` the image, the empty config
/// and one layer. With `fallback`, also (re)writes the referrers tag schema's index at tag
/// `sha256-<hex>` listing `also` and this referrer. Returns the referrer's digest.
pub async fn push_referrer(
    push: &Pusher,
    repo: &str,
    image_digest: &str,
    bundle: &[u8],
    fallback: Option<&[String]>,
) -> String {
    push_referrer_of_type(push, repo, image_digest, bundle, COSIGN_SIGN, fallback).await
}

/// [`push_referrer`] for a bundle of any version (its media type is read from the bundle)
/// annotated with `predicate_type`, as cosign attaches attestations.
pub async fn push_referrer_of_type(
    push: &Pusher,
    repo: &str,
    image_digest: &str,
    bundle: &[u8],
    predicate_type: &str,
    fallback: Option<&[String]>,
) -> String {
    let media_type = serde_json::from_slice::<serde_json::Value>(bundle)
        .ok()
        .and_then(|b| b["mediaType"].as_str().map(str::to_owned))
        .unwrap_or_else(|| BUNDLE_V03.to_owned());
    let config = b"{}";
    let config_digest = push.push_blob(repo, config).await;
    let bundle_digest = push.push_blob(repo, bundle).await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": media_type,
        "config": {"mediaType": OCI_EMPTY, "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": media_type, "digest": bundle_digest, "size": bundle.len()}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": image_digest, "size": 0},
        "annotations": {"dev.sigstore.bundle.predicateType": predicate_type},
    }))
    .unwrap_or_default();
    let digest = push
        .push_manifest(repo, &sha256(&manifest), OCI_MANIFEST, &manifest)
        .await;
    if let Some(earlier) = fallback {
        let mut manifests = Vec::new();
        for d in earlier.iter().chain(std::iter::once(&digest)) {
            let (_, bytes) = push.manifest(repo, d).await;
            manifests.push(json!({
                "mediaType": OCI_MANIFEST, "digest": d, "size": bytes.len(),
                "artifactType": media_type,
            }));
        }
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": manifests,
        }))
        .unwrap_or_default();
        let tag = image_digest.replacen(':', "-", 1);
        push.push_manifest(repo, &tag, OCI_INDEX, &index).await;
    }
    digest
}

/// Signs the image `digest` of `repo` (in the registry `host`) keylessly as `email` from
/// `issuer`, with a fresh certificate of `sigstore`'s CA, and pushes the signature in the
/// legacy layout: what a release pipeline running `cosign sign` leaves behind.
pub async fn sign_keyless(
    sigstore: &TestSigstore,
    push: &Pusher,
    host: &str,
    repo: &str,
    digest: &str,
    email: &str,
    issuer: &str,
) -> Result<(), crate::TestSignError> {
    let signer = sigstore.keyless_signer(&LeafSpec::email(email, issuer))?;
    let layer = sigstore.legacy_layer(
        &signer,
        &format!("{host}/{repo}"),
        digest,
        &SigningOptions::default(),
    )?;
    push_legacy_signatures(push, repo, digest, &[layer]).await;
    Ok(())
}
