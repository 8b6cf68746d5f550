//! Update strategies, tag filters and version constraints, and the global verification
//! policy model ([`policy`]).
//!
//! Owns: the semantics of choosing the tag an image moves to — semver with Masterminds/semver
//! v3.4 constraints, newest-build, digest, alphabetical; `allow-tags` and `ignore-tags`; Image
//! Updater's tag equality — matching Argo CD Image Updater v1.3 except where
//! `docs/strategies.md` says otherwise, and the [`Selection`] that records why a tag was or
//! was not chosen; and the verification policy file (`kind: VerificationPolicy`, or a
//! Sigstore `ClusterImagePolicy`) loaded into a validated [`Policy`] with every problem
//! located, which rules apply to an image, and the floor check that application settings
//! only narrow the policy.
//!
//! Must not: do I/O beyond [`Policy::load`] reading the policy and the key and trusted-root
//! files it names. Everything else here is a pure function of its inputs, so it runs from
//! tables in tests and for any number of applications without touching a registry.

mod constraint;
mod equality;
mod filter;
mod glob;
mod selection;
mod strategy;
mod version;

pub mod policy;

pub use constraint::{Constraint, ConstraintError};
pub use equality::{is_update, tags_equal};
pub use filter::{AllowTags, IgnorePattern};
pub use selection::{
    FilterCounts, Selection, SelectionError, SelectionOptions, TagInfo, UpdateSpec, sort_tags,
};
pub use strategy::{ParsedStrategy, Strategy, StrategyError};
pub use version::{Version, VersionError};

pub use policy::{AppSettings, Loaded, Policy, PolicyError, PolicyHash, Rule, Widening};
