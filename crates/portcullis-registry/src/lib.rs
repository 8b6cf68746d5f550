//! The OCI distribution client of Portcullis: the registry watcher.
//!
//! Owns: the registries configuration ([`config`]), credential sources ([`credentials`]),
//! and every HTTP exchange with a registry ([`RegistryClient`]): auth (anonymous, basic,
//! bearer token flow), tag listing with pagination, manifests and image indexes, config
//! blobs, per-registry rate limits and concurrency, `429`/`5xx` handling, request
//! accounting per cycle, and caches (tag lists per cycle, creation dates by digest).
//!
//! Must not: decide policy. It answers "what is there" — tags, digests, dates — and leaves
//! "what should we move to" to `portcullis-policy`. Insecure switches live in `danger`.

mod auth;
mod client;
mod danger;
mod docker_config;
mod duration;
mod error;
mod limits;
mod manifest;
mod stats;

pub mod config;
pub mod credentials;
pub mod secret;

pub use client::{ClientOptions, RegistryClient, Resolved, TagMeta};
pub use config::{RegistriesConfig, RegistryEndpoint, TagSortMode};
pub use credentials::{CredentialError, CredentialSource, CredentialStore, Credentials};
pub use error::RegistryError;
pub use manifest::{DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
pub use secret::Secret;
pub use stats::{RegistryStats, RequestStats};
