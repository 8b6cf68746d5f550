//! Rules of the validated policy and the settings around them: which images a rule covers,
//! what they must satisfy, how a failure is handled, the update limits, and what happens to
//! images no rule matches.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::Serialize;

use super::attestation::AttestationRequirement;
use super::authority::Authority;
use super::image_pattern::ImagePattern;
use crate::{Constraint, Strategy};

/// One rule. Every rule that matches an image applies to it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Rule {
    /// Unique name.
    pub name: String,
    /// The repositories it covers.
    pub images: Vec<ImagePattern>,
    /// Who may have signed.
    pub authorities: Vec<Authority>,
    /// How many distinct authorities must verify (at least 1, at most `authorities.len()`).
    pub require: usize,
    /// Whether a failure blocks the update.
    pub mode: Mode,
    /// What to do when a candidate fails.
    pub on_failure: OnFailure,
    /// Attestations required.
    pub attestations: Vec<AttestationRequirement>,
    /// Limits on updates.
    pub update: UpdateLimits,
    /// External gates that must also allow the candidate, by name (all exist in the policy).
    pub gates: Vec<String>,
}

impl Rule {
    /// Whether the rule covers `repository`.
    pub fn matches(&self, repository: &portcullis_image::Repository) -> bool {
        self.images.iter().any(|p| p.matches(repository))
    }
}

/// Whether a failing rule blocks the update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Mode {
    /// A failing candidate is never committed.
    #[default]
    Enforce,
    /// A failing candidate is committed and a warning event is emitted.
    Warn,
}

/// What to do when the chosen candidate fails the rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
#[non_exhaustive]
pub enum OnFailure {
    /// Stay on the current image.
    #[default]
    Stop,
    /// Try the next candidates in strategy order.
    #[serde(rename_all = "camelCase")]
    TryOlder {
        /// How many candidates are tried in all (1 to [`MAX_CANDIDATES`]).
        max_candidates: NonZeroU32,
    },
}

/// The most candidates `try-older` may try.
pub const MAX_CANDIDATES: u32 = 20;
/// Candidates `try-older` tries unless `maxCandidates` says otherwise.
pub const DEFAULT_MAX_CANDIDATES: u32 = 3;

/// Limits on updates of a rule's images. Per-application settings may only narrow them
/// (see [`super::narrowing`]).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct UpdateLimits {
    /// Registries updates may come from; `None` means any.
    pub registries: Option<Vec<String>>,
    /// The semver ceiling.
    pub constraint: Option<Constraint>,
    /// Whether pre-releases may be deployed.
    pub prereleases: bool,
    /// Strategies applications may use; `None` means any.
    pub strategies: Option<Vec<Strategy>>,
    /// How old an image must be before it is deployed.
    pub min_age: Option<Duration>,
    /// Whether an update may move to a lower version.
    pub allow_downgrade: bool,
}

impl UpdateLimits {
    /// Whether updates may come from `registry`.
    pub fn allows_registry(&self, registry: &str) -> bool {
        self.registries
            .as_ref()
            .is_none_or(|list| list.iter().any(|r| r.eq_ignore_ascii_case(registry)))
    }

    /// Whether an application may use `strategy`.
    pub fn allows_strategy(&self, strategy: Strategy) -> bool {
        self.strategies
            .as_ref()
            .is_none_or(|list| list.contains(&strategy))
    }
}

/// What happens to an image no rule matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum NoMatch {
    /// Never update it (the default: fail closed).
    #[default]
    Deny,
    /// Report it as expected. It is still not updated: nothing verifies it.
    Allow,
    /// Report it with a warning event. It is still not updated: nothing verifies it.
    Warn,
}

/// Policy-wide defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Defaults {
    /// What happens to an image no rule matches.
    pub no_match: NoMatch,
}
