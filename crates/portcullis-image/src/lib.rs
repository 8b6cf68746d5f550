//! Image references, digests, tags, platforms and update candidates.
//!
//! Owns: parsing and normalising image references exactly as Docker and containerd do
//! (`nginx` → `docker.io/library/nginx`), the validated newtypes [`Digest`], [`Tag`],
//! [`Repository`] and [`ImageRef`], OCI [`Platform`]s and the [`PlatformFilter`] that picks
//! manifests out of an image index, the [`Candidate`] a strategy picks, and the Argo CD
//! Image Updater image-list syntax ([`aiu`]) so its annotations parse unchanged, and cosign's
//! short names for in-toto predicate types ([`predicate_short_name`]).
//!
//! Must not: do I/O, know about registries' APIs, or decide policy. Every type here is built
//! once through `FromStr`/`new` and is valid for as long as it lives.

mod candidate;
mod digest;
mod platform;
mod predicate;
mod reference;
mod tag;

pub mod aiu;

pub use candidate::Candidate;
pub use digest::{Digest, DigestError};
pub use platform::{Platform, PlatformError, PlatformFilter};
pub use predicate::{PREDICATE_SHORT_NAMES, predicate_short_name};
pub use reference::{DOCKER_HUB, ImageRef, ReferenceError, Repository};
pub use tag::{Tag, TagError};
