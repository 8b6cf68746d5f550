//! The floor check: the global policy is a floor that per-application settings (Image
//! Updater annotations, the standalone configuration) may only narrow, never widen.
//!
//! What is checked, against every rule that matches the application's image:
//! - the strategy must be one the rule allows (`update.strategies`);
//! - the constraint must admit no version the rule's ceiling (`update.constraint`,
//!   `update.prereleases`) refuses. Inclusion of Masterminds constraints is decided on probe
//!   versions: every version either constraint names, its neighbours (next and previous
//!   patch, minor and major) and their pre-releases, so a witness is found wherever the two
//!   constraints disagree on releases. The rejection names that witness;
//! - with the `digest` strategy the constraint names the tag to follow; under a ceiling it
//!   must be a version the ceiling admits;
//! - the image's registry must be allowed (`update.registries`).
//!
//! Tag filters (`allowTags`, `ignoreTags`) only ever remove tags, so they always narrow;
//! they are part of [`AppSettings`] so the result is about the whole setting. The gate
//! applies the rule's limits in any case; this check exists so that a setting that asks
//! for more than the policy allows is refused loudly (`policy_widening_rejected`) instead
//! of being silently cut back.

use std::fmt;
use std::sync::LazyLock;

use portcullis_image::Repository;
use regex::Regex;

use super::rule::{Rule, UpdateLimits};
use crate::{AllowTags, Constraint, IgnorePattern, Strategy, Version};

/// The reason code of a rejected widening, for events and metrics.
pub const WIDENING_REASON: &str = "policy_widening_rejected";

/// An application's own update settings.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct AppSettings {
    /// The repository the application deploys (for the registry check).
    pub image: Option<Repository>,
    /// Its update strategy.
    pub strategy: Strategy,
    /// Its constraint as written (a tag name for `digest`).
    pub constraint: Option<String>,
    /// Its `allow-tags`.
    pub allow_tags: Option<AllowTags>,
    /// Its `ignore-tags`.
    pub ignore_tags: Vec<IgnorePattern>,
}

impl AppSettings {
    /// Settings with `strategy` and nothing else.
    pub fn new(strategy: Strategy) -> Self {
        Self {
            strategy,
            ..Self::default()
        }
    }

    /// With the repository deployed.
    #[must_use]
    pub fn with_image(mut self, image: Repository) -> Self {
        self.image = Some(image);
        self
    }

    /// With a constraint.
    #[must_use]
    pub fn with_constraint(mut self, constraint: impl Into<String>) -> Self {
        self.constraint = Some(constraint.into());
        self
    }

    /// With `allow-tags`.
    #[must_use]
    pub fn with_allow_tags(mut self, allow: AllowTags) -> Self {
        self.allow_tags = Some(allow);
        self
    }

    /// With `ignore-tags`.
    #[must_use]
    pub fn with_ignore_tags(mut self, ignore: Vec<IgnorePattern>) -> Self {
        self.ignore_tags = ignore;
        self
    }
}

/// Which application setting widens a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Setting {
    /// The update strategy.
    Strategy,
    /// The version constraint.
    Constraint,
    /// The image's registry.
    Registry,
}

impl Setting {
    fn as_str(self) -> &'static str {
        match self {
            Self::Strategy => "strategy",
            Self::Constraint => "constraint",
            Self::Registry => "registry",
        }
    }
}

/// One way an application setting asks for more than a rule allows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Widening {
    /// The rule widened.
    pub rule: String,
    /// The setting at fault.
    pub setting: Setting,
    /// What is wrong, naming both values (and a witness version for constraints).
    pub message: String,
}

impl Widening {
    /// The stable reason code, [`WIDENING_REASON`].
    pub fn reason_code(&self) -> &'static str {
        WIDENING_REASON
    }
}

impl fmt::Display for Widening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} widens rule '{}': {}",
            WIDENING_REASON,
            self.setting.as_str(),
            self.rule,
            self.message
        )
    }
}

impl UpdateLimits {
    /// Whether the rule's ceiling admits `v`: a pre-release needs `prereleases: true`, and
    /// the constraint is checked on its release part (so `3.0.0-rc.1` is above `<3`).
    pub fn permits_version(&self, v: &Version) -> bool {
        if v.is_prerelease() && !self.prereleases {
            return false;
        }
        let Some(c) = &self.constraint else {
            return true;
        };
        if v.is_prerelease() {
            let release = format!("{}.{}.{}", v.major(), v.minor(), v.patch());
            return release.parse::<Version>().is_ok_and(|r| c.matches(&r));
        }
        c.matches(v)
    }
}

/// Checks `app` against every rule in `rules`; all widenings are returned.
pub(crate) fn check(rules: &[&Rule], app: &AppSettings) -> Result<(), Vec<Widening>> {
    let mut found = Vec::new();
    for rule in rules {
        let limits = &rule.update;
        let widen = |setting, message: String| Widening {
            rule: rule.name.clone(),
            setting,
            message,
        };
        if !limits.allows_strategy(app.strategy) {
            let allowed: Vec<&str> = limits
                .strategies
                .iter()
                .flatten()
                .map(|s| s.as_str())
                .collect();
            found.push(widen(
                Setting::Strategy,
                format!(
                    "strategy '{}' is not allowed (allowed: {})",
                    app.strategy,
                    if allowed.is_empty() {
                        "none".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                ),
            ));
        }
        if let Some(image) = &app.image
            && !limits.allows_registry(image.registry())
        {
            found.push(widen(
                Setting::Registry,
                format!(
                    "registry '{}' is not allowed (allowed: {})",
                    image.registry(),
                    limits
                        .registries
                        .iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if let Some(message) = constraint_widening(limits, app) {
            found.push(widen(Setting::Constraint, message));
        }
    }
    if found.is_empty() { Ok(()) } else { Err(found) }
}

fn constraint_widening(limits: &UpdateLimits, app: &AppSettings) -> Option<String> {
    if limits.constraint.is_none() && limits.prereleases {
        return None;
    }
    let ceiling = describe_ceiling(limits);
    if app.strategy == Strategy::Digest {
        // The constraint is the tag followed; under a ceiling it must be a version within it.
        let tag = app.constraint.as_deref().unwrap_or("latest");
        if limits.constraint.is_none() {
            // Only the pre-release ban applies.
            return tag
                .parse::<Version>()
                .ok()
                .filter(|v| v.is_prerelease())
                .map(|_| {
                    format!("digest strategy follows pre-release tag '{tag}', but {ceiling}")
                });
        }
        return match tag.parse::<Version>() {
            Ok(v) if limits.permits_version(&v) => None,
            Ok(_) => Some(format!(
                "digest strategy follows tag '{tag}', outside {ceiling}"
            )),
            Err(_) => Some(format!(
                "digest strategy follows tag '{tag}', which is not a version, so {ceiling} cannot bound it"
            )),
        };
    }
    let app_constraint = match app.constraint.as_deref() {
        // No constraint of its own: the application takes the policy's ceiling as it is,
        // which the gate applies; nothing is asked beyond it.
        None => return None,
        Some(text) => match text.parse::<Constraint>() {
            Ok(c) => c,
            // An unparsable constraint selects nothing: it cannot widen (selection reports it).
            Err(_) => return None,
        },
    };
    let written = app.constraint.as_deref().unwrap_or("*");
    let mut texts = vec![app_constraint.as_str().to_owned()];
    if let Some(c) = &limits.constraint {
        texts.push(c.as_str().to_owned());
    }
    probes(&texts)
        .into_iter()
        .find(|v| app_constraint.matches(v) && !limits.permits_version(v))
        .map(|v| {
            format!(
                "constraint '{written}' admits {}, but {ceiling}",
                v.original()
            )
        })
}

fn describe_ceiling(limits: &UpdateLimits) -> String {
    match (&limits.constraint, limits.prereleases) {
        (Some(c), true) => format!("the policy's ceiling is '{c}'"),
        (Some(c), false) => format!("the policy's ceiling is '{c}' without pre-releases"),
        (None, _) => "the policy forbids pre-releases".to_owned(),
    }
}

#[allow(clippy::expect_used)] // a constant expression, compiled by every test
static NUMBERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?")
        .expect("version expression")
});

/// Versions at and around every version the constraints mention, lowest first.
fn probes(texts: &[String]) -> Vec<Version> {
    const BIG: u64 = 999_999;
    let mut cores: Vec<(u64, u64, u64)> =
        vec![(0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0), (BIG, 0, 0)];
    let mut pres: Vec<String> = vec!["0".to_owned(), "rc.1".to_owned()];
    for text in texts {
        for caps in NUMBERS.captures_iter(text) {
            let num = |i: usize| {
                caps.get(i)
                    .and_then(|m| m.as_str().parse::<u64>().ok())
                    .unwrap_or(0)
                    .min(BIG)
            };
            let (ma, mi, pa) = (num(1), num(2), num(3));
            if let Some(p) = caps.get(4) {
                pres.push(p.as_str().to_owned());
            }
            for core in [
                (ma, mi, pa),
                (ma, mi, pa + 1),
                (ma, mi + 1, 0),
                (ma + 1, 0, 0),
                (ma, mi, pa.saturating_sub(1)),
                (ma, mi.saturating_sub(1), BIG),
                (ma.saturating_sub(1), BIG, BIG),
                (ma, mi, BIG),
                (ma, BIG, BIG),
            ] {
                if !cores.contains(&core) {
                    cores.push(core);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (ma, mi, pa) in cores {
        let release = format!("{ma}.{mi}.{pa}");
        out.extend(release.parse::<Version>());
        for pre in &pres {
            out.extend(format!("{release}-{pre}").parse::<Version>());
        }
    }
    // Lowest first, so the witness reported is the smallest version that widens.
    out.sort_by(Version::precedence);
    out
}
