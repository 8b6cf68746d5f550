//! Update strategies, tag filters and version constraints — and, with the policy work, the
//! global verification policy.
//!
//! Owns: the semantics of choosing a tag (semver with Masterminds/semver v3 constraints,
//! newest-build, digest, alphabetical; `allow-tags`/`ignore-tags`), matching Argo CD Image
//! Updater v1.3 except where `docs/strategies.md` says otherwise, and the [`Selection`] that
//! records why a tag was or was not chosen.
//!
//! Must not: do I/O. Everything here is a pure function of its inputs, so it can be tested
//! from tables and run on any number of applications without touching a registry.

mod constraint;
mod filter;
mod selection;
mod strategy;
mod version;

pub use constraint::{Constraint, ConstraintError};
pub use filter::{AllowTags, IgnorePattern};
pub use selection::{
    FilterCounts, Selection, SelectionError, SelectionOptions, TagInfo, tags_equal,
};
pub use strategy::{ParsedStrategy, Strategy, StrategyError};
pub use version::{Version, VersionError};
