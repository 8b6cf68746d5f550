//! The OCI distribution client of Portcullis: the registry watcher.
//!
//! Owns: the registries configuration ([`config`]), credential sources ([`credentials`],
//! [`secret`]), and every HTTP exchange with a registry ([`RegistryClient`]): auth
//! (anonymous, basic, the bearer token flow), tag listing with pagination, manifests and
//! image indexes, config blobs, per-registry rate limits and concurrency, `429`/`5xx`
//! handling, request accounting per cycle ([`RequestStats`]), caches (tag lists and tag
//! digests per cycle; manifests and creation dates by digest), and fetching legacy cosign
//! signatures (`sha256-<hex>.sig` manifests and their layers, [`SignatureLayer`]) and OCI 1.1
//! referrers with the Sigstore bundles among them ([`BundleLayer`]; the referrers API, or the
//! referrers tag schema where a registry lacks it).
//!
//! Must not: decide policy. It answers "what is there" (tags, digests, dates) and leaves
//! "what should we move to" to `portcullis-policy`. Insecure switches live in `danger`.
//!
//! The transport is our own, on `reqwest` (rustls with aws-lc-rs, the one crypto provider
//! of the workspace), not `oci-client`. `oci-client` 0.18's `Client` builds its private
//! `reqwest::Client` from a `ClientConfig` (no way to inject one or add middleware) and
//! performs each exchange inside its methods, so:
//! - there is no hook to count requests per cycle or put them under a per-registry token
//!   bucket: `apply_auth` fetches tokens itself (a `GET /v2/` probe, then the realm) and
//!   swallows token-fetch errors (`.ok()??`), sending the request anonymously instead;
//! - `validate_registry_response(status, body, url)` never sees the headers, so a `429`
//!   becomes a plain error, `Retry-After` is lost, and nothing is retried;
//! - `list_tags(image, auth, n, last)` returns the body only (`TagResponse`), so the
//!   `Link` header that drives pagination is dropped;
//! - bodies are read whole (`res.bytes()`), without a size cap;
//! - redirects are followed by its client unseen, and the platform of an index is chosen
//!   by a client-wide `platform_resolver`, not per lookup.
//!
//! The manifest shapes Portcullis needs are a few fields, parsed in `manifest`.

mod auth;
mod cache;
mod client;
mod danger;
mod duration;
mod error;
mod limits;
mod manifest;
mod referrers;
mod signatures;
mod stats;
mod tags;
mod transport;

pub mod config;
pub mod credentials;
pub mod secret;

pub use client::{ClientOptions, RegistryClient, Resolved, TagMeta};
pub use config::{RegistriesConfig, RegistryEndpoint, TagSortMode};
pub use credentials::{CredentialError, CredentialSource, CredentialStore, Credentials};
pub use error::{AuthFailure, RegistryError};
pub use manifest::{DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
pub use referrers::{
    BundleLayer, Referrer, Referrers, ReferrersSource, SIGSTORE_BUNDLE_MEDIA_TYPES,
    is_sigstore_bundle, referrers_tag,
};
pub use secret::Secret;
pub use signatures::{
    DSSE_ENVELOPE, SIMPLE_SIGNING, SignatureLayer, attestation_tag, signature_tag,
};
pub use stats::{RegistryStats, RequestStats};
