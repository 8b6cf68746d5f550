//! Update strategies, tag filters and version constraints — and, with the policy work, the
//! global verification policy model.
//!
//! Owns: the semantics of choosing the tag an image moves to — semver with Masterminds/semver
//! v3.4 constraints, newest-build, digest, alphabetical; `allow-tags` and `ignore-tags`; Image
//! Updater's tag equality — matching Argo CD Image Updater v1.3 except where
//! `docs/strategies.md` says otherwise, and the [`Selection`] that records why a tag was or
//! was not chosen.
//!
//! Must not: do I/O. Everything here is a pure function of its inputs, so it runs from
//! tables in tests and for any number of applications without touching a registry.

mod constraint;
mod equality;
mod filter;
mod glob;
mod selection;
mod strategy;
mod version;

pub use constraint::{Constraint, ConstraintError};
pub use equality::{is_update, tags_equal};
pub use filter::{AllowTags, IgnorePattern};
pub use selection::{
    FilterCounts, Selection, SelectionError, SelectionOptions, TagInfo, UpdateSpec, sort_tags,
};
pub use strategy::{ParsedStrategy, Strategy, StrategyError};
pub use version::{Version, VersionError};
