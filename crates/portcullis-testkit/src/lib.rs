//! Test support for Portcullis (never shipped).
//!
//! Owns: locating the shared third-party test data (`PORTCULLIS_TESTDATA`) and the Argo CD
//! Image Updater compatibility cases in it; a real `docker-registry` on loopback
//! ([`TestRegistry`], plain or behind htpasswd) and pushing images to it through the
//! distribution API ([`Pusher`]); small spec-following HTTP endpoints for what that registry
//! lacks or no honest registry does ([`fakes`]: `Link` pagination, `429`, a bearer-token
//! front, the OCI 1.1 referrers API, garbage, truncated and silent servers); throwaway keys ([`keys`]).
//!
//! Must not: be a dependency of anything but tests and benches. Missing tools or data make
//! it panic with the fix, never skip.

// Test support reports a broken environment by panicking: that is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

pub mod compat;
pub mod fakes;
pub mod keys;
pub mod push;
pub mod registry;
pub mod testdata;

pub use compat::{case_id, compat_cases, compat_cases_if_present, error_substrings, expects_error};
pub use fakes::{FakeServer, Paging};
pub use keys::fresh_p256_public_key;
pub use push::{ImageSpec, Pusher, sha256};
pub use registry::{TestRegistry, free_port};
pub use testdata::{cosign_real_dir, read_cosign_real, testdata_dir};
