//! Picking the tag to move to: filters, then a strategy, with the reasons kept.
//!
//! Order, as in Argo CD Image Updater: `ignore-tags`, then `allow-tags`, then the strategy.
//! Each tag dropped is counted under the rule that dropped it, so a result always says why.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use jiff::Timestamp;
use portcullis_image::Digest;

use crate::{AllowTags, Constraint, ConstraintError, IgnorePattern, Strategy, Version};

/// A tag as the registry listed it, with what the strategy may need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag name.
    pub name: String,
    /// Creation time from the image config (newest-build needs it; missing sorts oldest).
    pub created: Option<Timestamp>,
    /// The digest the tag resolves to, when known.
    pub digest: Option<Digest>,
}

impl TagInfo {
    /// A tag known by name only.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            created: None,
            digest: None,
        }
    }
}

/// What to select by, parsed and checked once.
#[derive(Clone, Debug)]
pub struct SelectionOptions {
    strategy: Strategy,
    constraint: Option<Constraint>,
    follow_tag: Option<String>,
    allow: AllowTags,
    ignore: Vec<IgnorePattern>,
    warnings: Vec<String>,
}

/// Why options cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionError {
    /// The semver constraint does not parse.
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
    /// The digest strategy without the tag to follow.
    #[error(
        "the digest strategy needs the tag to follow as its constraint (e.g. 'app:latest' or --semver-constraint latest)"
    )]
    MissingFollowTag,
    /// Under semver, the current tag is not a version (Image Updater refuses to move from it).
    #[error(
        "current tag '{current}' is not a semantic version, so semver cannot compare against it (use the digest strategy to follow a mutable tag)"
    )]
    CurrentNotSemver {
        /// The current tag.
        current: String,
    },
}

/// How many tags each rule dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FilterCounts {
    /// Dropped by `ignore-tags`.
    pub ignore_tags: usize,
    /// Dropped by `allow-tags`.
    pub allow_tags: usize,
    /// Not a semantic version (semver only).
    pub not_semver: usize,
    /// A pre-release the constraint does not admit (semver only).
    pub prerelease: usize,
    /// Outside the constraint (semver only).
    pub constraint: usize,
    /// Not the tag being followed (digest only).
    pub other_tag: usize,
}

impl FilterCounts {
    /// Total dropped.
    pub fn total(&self) -> usize {
        self.ignore_tags
            + self.allow_tags
            + self.not_semver
            + self.prerelease
            + self.constraint
            + self.other_tag
    }
}

/// The outcome of a selection: the chosen tag (if any) and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Selection {
    /// The strategy used.
    pub strategy: Strategy,
    /// The constraint as given, if any.
    pub constraint: Option<String>,
    /// The chosen tag, `None` when nothing qualifies.
    #[serde(skip)]
    pub chosen: Option<TagInfo>,
    /// Distinct tags considered (after de-duplication).
    pub considered: usize,
    /// Tags that passed every filter.
    pub eligible: usize,
    /// Tags dropped, by rule.
    pub filtered: FilterCounts,
    /// Tags without a creation date (newest-build sorts them oldest).
    pub undated: usize,
    /// Problems worth telling (malformed filters, deprecated names).
    pub warnings: Vec<String>,
}

impl Selection {
    /// One line per reason, for people.
    pub fn explain(&self) -> Vec<String> {
        let f = &self.filtered;
        let mut lines = vec![format!("{} tag(s) considered", self.considered)];
        let mut push = |n: usize, what: &str| {
            if n > 0 {
                lines.push(format!("{n} {what}"));
            }
        };
        push(f.ignore_tags, "ignored by ignore-tags");
        push(f.allow_tags, "not allowed by allow-tags");
        push(f.not_semver, "not a semantic version");
        push(f.prerelease, "pre-release(s) the constraint does not admit");
        push(
            f.constraint,
            &format!(
                "outside the constraint '{}'",
                self.constraint.as_deref().unwrap_or("")
            ),
        );
        push(f.other_tag, "other tag(s) than the one followed");
        push(self.undated, "without a creation date (sorted oldest)");
        lines.push(format!("{} eligible", self.eligible));
        let rule = match self.strategy {
            Strategy::Semver => "highest version",
            Strategy::NewestBuild => "newest creation date, ties to the greater name",
            Strategy::Digest => "the followed tag",
            Strategy::Alphabetical => "last in lexical order",
        };
        match &self.chosen {
            Some(t) => lines.push(format!(
                "chose '{}' ({} by {})",
                t.name, rule, self.strategy
            )),
            None => lines.push("no tag qualifies".to_owned()),
        }
        lines
    }
}

impl SelectionOptions {
    /// Parses options the way an application declares them. `constraint` is a Masterminds
    /// constraint for semver and the tag to follow for digest; other strategies ignore it.
    pub fn new(
        strategy: Strategy,
        constraint: Option<&str>,
        allow_tags: Option<&str>,
        ignore_tags: &[String],
    ) -> Result<Self, SelectionError> {
        let constraint_text = constraint.map(str::trim).filter(|c| !c.is_empty());
        let mut options = Self {
            strategy,
            constraint: None,
            follow_tag: None,
            allow: allow_tags.map_or(AllowTags::Any, AllowTags::parse),
            ignore: ignore_tags
                .iter()
                .map(|p| IgnorePattern::parse(p))
                .collect(),
            warnings: Vec::new(),
        };
        match strategy {
            Strategy::Semver => {
                options.constraint = constraint_text.map(str::parse).transpose()?;
            }
            Strategy::Digest => {
                options.follow_tag = Some(
                    constraint_text
                        .ok_or(SelectionError::MissingFollowTag)?
                        .to_owned(),
                );
            }
            Strategy::NewestBuild | Strategy::Alphabetical => {
                if let Some(c) = constraint_text {
                    options.warnings.push(format!(
                        "constraint '{c}' is ignored by the {strategy} strategy"
                    ));
                }
            }
        }
        if let Some(p) = options.allow.problem() {
            options.warnings.push(p.to_owned());
        }
        let problems: Vec<String> = options
            .ignore
            .iter()
            .filter_map(|i| i.problem().map(str::to_owned))
            .collect();
        options.warnings.extend(problems);
        Ok(options)
    }

    /// The strategy.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// The tag the digest strategy follows.
    pub fn follow_tag(&self) -> Option<&str> {
        self.follow_tag.as_deref()
    }

    /// Adds a warning to every selection made with these options (e.g. a deprecated alias).
    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    /// Whether `name` passes the tag filters (used to avoid fetching metadata for tags that
    /// could never be chosen).
    pub fn passes_filters(&self, name: &str) -> bool {
        !self.ignore.iter().any(|p| p.ignores(name)) && self.allow.allows(name)
    }

    /// Selects from `tags`. `current` is the tag deployed now, if known: under semver it must
    /// be a version, as in Image Updater.
    pub fn select(
        &self,
        current: Option<&str>,
        tags: &[TagInfo],
    ) -> Result<Selection, SelectionError> {
        if self.strategy == Strategy::Semver
            && let Some(cur) = current.filter(|c| !c.is_empty())
            && cur.parse::<Version>().is_err()
        {
            return Err(SelectionError::CurrentNotSemver {
                current: cur.to_owned(),
            });
        }
        // Registries list a tag once; a hand-written list may not. Keep the last entry.
        let unique: BTreeMap<&str, &TagInfo> = tags.iter().map(|t| (t.name.as_str(), t)).collect();
        let mut counts = FilterCounts::default();
        let mut eligible: Vec<(&TagInfo, Option<Version>)> = Vec::new();
        for tag in unique.values() {
            let name = tag.name.as_str();
            if self.ignore.iter().any(|p| p.ignores(name)) {
                counts.ignore_tags += 1;
                continue;
            }
            if !self.allow.allows(name) {
                counts.allow_tags += 1;
                continue;
            }
            match self.strategy {
                Strategy::Semver => {
                    let Ok(version) = name.parse::<Version>() else {
                        counts.not_semver += 1;
                        continue;
                    };
                    if let Some(c) = &self.constraint
                        && !c.matches(&version)
                    {
                        if version.is_prerelease() && !c.has_prerelease() {
                            counts.prerelease += 1;
                        } else {
                            counts.constraint += 1;
                        }
                        continue;
                    }
                    eligible.push((tag, Some(version)));
                }
                Strategy::Digest => {
                    if Some(name) != self.follow_tag.as_deref() {
                        counts.other_tag += 1;
                        continue;
                    }
                    eligible.push((tag, None));
                }
                Strategy::NewestBuild | Strategy::Alphabetical => eligible.push((tag, None)),
            }
        }
        let undated = if self.strategy == Strategy::NewestBuild {
            eligible.iter().filter(|(t, _)| t.created.is_none()).count()
        } else {
            0
        };
        let chosen = eligible
            .iter()
            .max_by(|a, b| self.order(a, b))
            .map(|(t, _)| (*t).clone());
        Ok(Selection {
            strategy: self.strategy,
            constraint: self
                .constraint
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .or_else(|| self.follow_tag.clone()),
            chosen,
            considered: unique.len(),
            eligible: eligible.len(),
            filtered: counts,
            undated,
            warnings: self.warnings.clone(),
        })
    }

    /// The strategy's order; the greatest element is chosen.
    fn order(&self, a: &(&TagInfo, Option<Version>), b: &(&TagInfo, Option<Version>)) -> Ordering {
        let by_name = a.0.name.cmp(&b.0.name);
        match self.strategy {
            Strategy::Semver => match (&a.1, &b.1) {
                (Some(x), Some(y)) => x.precedence(y).then(by_name),
                _ => by_name,
            },
            // A missing date sorts oldest, as Image Updater's zero time does.
            Strategy::NewestBuild => a.0.created.cmp(&b.0.created).then(by_name),
            Strategy::Digest | Strategy::Alphabetical => by_name,
        }
    }
}

/// Image Updater's tag equality: when either side has a digest, the digests decide;
/// otherwise the names do.
pub fn tags_equal(
    a_name: &str,
    a_digest: Option<&str>,
    b_name: &str,
    b_digest: Option<&str>,
) -> bool {
    let a_digest = a_digest.unwrap_or_default();
    let b_digest = b_digest.unwrap_or_default();
    if !a_digest.is_empty() || !b_digest.is_empty() {
        return a_digest == b_digest;
    }
    a_name == b_name
}

#[cfg(test)]
mod tests;
