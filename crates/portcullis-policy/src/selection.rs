//! Choosing the tag to move to: filters, then a strategy, with the reasons kept.
//!
//! Order, as in Image Updater: tags are de-duplicated by name (the last entry wins), then
//! `allow-tags`, then `ignore-tags`, then the strategy drops what it cannot use and the
//! greatest remaining tag in the strategy's order is chosen. Every tag dropped is counted
//! under the rule that dropped it, so `dropped.total() + eligible == considered` always.
//! Options are parsed once ([`SelectionOptions::new`]); selecting never fails.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use jiff::Timestamp;
use portcullis_image::{Digest, Tag};

use crate::{
    AllowTags, Constraint, ConstraintError, IgnorePattern, Strategy, StrategyError, Version,
};

/// A tag as the registry listed it, with what a strategy may need.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TagInfo {
    /// The tag name.
    pub name: String,
    /// Creation time from the image config; newest-build drops tags without one.
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

    /// The same tag with its image creation time.
    #[must_use]
    pub fn with_created(mut self, created: Timestamp) -> Self {
        self.created = Some(created);
        self
    }

    /// The same tag with the digest it resolves to.
    #[must_use]
    pub fn with_digest(mut self, digest: Digest) -> Self {
        self.digest = Some(digest);
        self
    }
}

/// What an image declares about its updates, as written (Image Updater's `update-strategy`,
/// the tag part of the image as constraint, `allow-tags`, `ignore-tags`). Turn it into
/// [`SelectionOptions`] once; that is where it is checked.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct UpdateSpec {
    /// The strategy.
    pub strategy: Strategy,
    /// Masterminds constraint for semver, the tag to follow for digest, ignored otherwise.
    /// `None` or empty: no constraint.
    pub constraint: Option<String>,
    /// The `allow-tags` filter; `None` allows every tag.
    pub allow_tags: Option<AllowTags>,
    /// The `ignore-tags` entries (globs, or `regexp:<expression>`).
    pub ignore_tags: Vec<String>,
    /// Warnings gathered while reading the spec (a deprecated strategy alias), carried into
    /// every [`Selection`].
    pub warnings: Vec<String>,
}

impl UpdateSpec {
    /// A spec with this strategy and nothing else.
    pub fn new(strategy: Strategy) -> Self {
        Self {
            strategy,
            ..Self::default()
        }
    }

    /// A spec from a strategy name as written (case-insensitive; a deprecated alias adds a
    /// warning; an unknown name is an error).
    pub fn named(strategy: &str) -> Result<Self, StrategyError> {
        let parsed = Strategy::parse_name(strategy)?;
        Ok(Self {
            strategy: parsed.strategy,
            warnings: parsed.warning.into_iter().collect(),
            ..Self::default()
        })
    }

    /// Sets the constraint.
    #[must_use]
    pub fn with_constraint(mut self, constraint: impl Into<String>) -> Self {
        self.constraint = Some(constraint.into());
        self
    }

    /// Sets the `allow-tags` filter.
    #[must_use]
    pub fn with_allow_tags(mut self, allow: AllowTags) -> Self {
        self.allow_tags = Some(allow);
        self
    }

    /// Sets the `ignore-tags` entries.
    #[must_use]
    pub fn with_ignore_tags<I, S>(mut self, entries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ignore_tags = entries.into_iter().map(Into::into).collect();
        self
    }
}

/// Why an [`UpdateSpec`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionError {
    /// The semver constraint does not parse.
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
    /// The digest strategy without the tag to follow.
    #[error(
        "the digest strategy needs the tag to follow as its constraint (write the image as e.g. 'nginx:stable', so the constraint is 'stable')"
    )]
    MissingFollowTag,
}

/// What to select by, parsed and checked once.
#[derive(Clone, Debug)]
pub struct SelectionOptions {
    strategy: Strategy,
    rule: Rule,
    constraint_text: Option<String>,
    allow: AllowTags,
    ignore: Vec<IgnorePattern>,
    warnings: Vec<String>,
}

#[derive(Clone, Debug)]
enum Rule {
    /// A given constraint, or `*` (every release) when none was given.
    Semver(Constraint),
    NewestBuild,
    Alphabetical,
    /// The tag to follow.
    Digest(String),
}

impl TryFrom<UpdateSpec> for SelectionOptions {
    type Error = SelectionError;

    fn try_from(spec: UpdateSpec) -> Result<Self, Self::Error> {
        Self::new(spec)
    }
}

impl SelectionOptions {
    /// Parses and checks a spec. Errors: an invalid semver constraint (`latest` under
    /// semver), the digest strategy without a tag to follow. Malformed filters are not
    /// errors: they fail closed and become warnings.
    pub fn new(spec: UpdateSpec) -> Result<Self, SelectionError> {
        let UpdateSpec {
            strategy,
            constraint,
            allow_tags,
            ignore_tags,
            mut warnings,
        } = spec;
        let constraint = constraint.filter(|c| !c.is_empty());
        let rule = match strategy {
            Strategy::Semver => Rule::Semver(match &constraint {
                Some(c) => c.parse()?,
                None => Constraint::any_release(),
            }),
            Strategy::Digest => {
                let follow = constraint.clone().ok_or(SelectionError::MissingFollowTag)?;
                if follow.parse::<Tag>().is_err() {
                    warnings.push(format!(
                        "the digest strategy follows '{follow}', which is not a valid tag name, so no tag can match"
                    ));
                }
                Rule::Digest(follow)
            }
            Strategy::NewestBuild | Strategy::Alphabetical => {
                if let Some(c) = &constraint {
                    warnings.push(format!(
                        "constraint '{c}' is ignored by the {strategy} strategy"
                    ));
                }
                if strategy == Strategy::NewestBuild {
                    Rule::NewestBuild
                } else {
                    Rule::Alphabetical
                }
            }
        };
        let allow = allow_tags.unwrap_or_default();
        warnings.extend(allow.problem().map(str::to_owned));
        let ignore: Vec<IgnorePattern> = ignore_tags
            .iter()
            .map(|p| IgnorePattern::parse(p))
            .collect();
        warnings.extend(ignore.iter().filter_map(|p| p.problem().map(str::to_owned)));
        Ok(Self {
            strategy,
            rule,
            constraint_text: constraint,
            allow,
            ignore,
            warnings,
        })
    }

    /// The strategy.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// The constraint as written, if one was given (for digest: the tag followed).
    pub fn constraint(&self) -> Option<&str> {
        self.constraint_text.as_deref()
    }

    /// The tag the digest strategy follows.
    pub fn follow_tag(&self) -> Option<&str> {
        match &self.rule {
            Rule::Digest(t) => Some(t),
            _ => None,
        }
    }

    /// Warnings every selection with these options carries (malformed filters, a
    /// deprecated strategy alias, an ignored constraint).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether a tag named `name` passes the tag filters (and, for digest, is the followed
    /// tag): the tags worth fetching metadata for, as Image Updater's registry listing keeps.
    pub fn passes_filters(&self, name: &str) -> bool {
        self.allow.allows(name)
            && !self.ignore.iter().any(|p| p.ignores(name))
            && self.follow_tag().is_none_or(|t| t == name)
    }

    /// Chooses from `tags`.
    pub fn select(&self, tags: &[TagInfo]) -> Selection {
        let (considered, dropped, eligible) = self.screen(tags);
        let count = eligible.len();
        let chosen = eligible
            .into_iter()
            .max_by(|a, b| order(self.strategy, a, b))
            .map(|e| e.tag.clone());
        Selection {
            strategy: self.strategy,
            constraint: self.constraint_text.clone(),
            chosen,
            considered,
            eligible: count,
            dropped,
            warnings: self.warnings.clone(),
        }
    }

    /// The eligible tags in ascending order of the strategy; the last one is what
    /// [`SelectionOptions::select`] chooses.
    pub fn rank<'a>(&self, tags: &'a [TagInfo]) -> Vec<&'a TagInfo> {
        let (_, _, mut eligible) = self.screen(tags);
        eligible.sort_by(|a, b| order(self.strategy, a, b));
        eligible.into_iter().map(|e| e.tag).collect()
    }

    /// De-duplicates, filters and applies the strategy's own exclusions.
    fn screen<'a>(&self, tags: &'a [TagInfo]) -> (usize, FilterCounts, Vec<Eligible<'a>>) {
        // The visiting order is irrelevant: the strategy's order is total over unique names.
        let mut unique: HashMap<&str, &TagInfo> = HashMap::with_capacity(tags.len());
        for t in tags {
            unique.insert(t.name.as_str(), t);
        }
        let mut dropped = FilterCounts::default();
        let mut eligible = Vec::with_capacity(unique.len());
        for &tag in unique.values() {
            let name = tag.name.as_str();
            if !self.allow.allows(name) {
                dropped.allow_tags += 1;
                continue;
            }
            if self.ignore.iter().any(|p| p.ignores(name)) {
                dropped.ignore_tags += 1;
                continue;
            }
            let mut version = None;
            match &self.rule {
                Rule::Semver(constraint) => {
                    let Ok(v) = name.parse::<Version>() else {
                        dropped.not_semver += 1;
                        continue;
                    };
                    if !constraint.matches(&v) {
                        if v.is_prerelease() && !constraint.admits_prerelease() {
                            dropped.prerelease += 1;
                        } else {
                            dropped.constraint += 1;
                        }
                        continue;
                    }
                    version = Some(v);
                }
                Rule::NewestBuild => {
                    if tag.created.is_none() {
                        dropped.no_creation_date += 1;
                        continue;
                    }
                }
                Rule::Digest(follow) => {
                    if name != follow {
                        dropped.other_tag += 1;
                        continue;
                    }
                }
                Rule::Alphabetical => {}
            }
            eligible.push(Eligible { tag, version });
        }
        (unique.len(), dropped, eligible)
    }
}

/// The strategy's order; the greatest element is chosen. Names are unique after
/// de-duplication, so this is total and a choice never depends on the input order.
fn order(strategy: Strategy, a: &Eligible<'_>, b: &Eligible<'_>) -> Ordering {
    let by_name = || a.tag.name.cmp(&b.tag.name);
    match strategy {
        // Version's order breaks precedence ties on the original string (the name).
        Strategy::Semver => a.version.cmp(&b.version).then_with(by_name),
        Strategy::NewestBuild => a.tag.created.cmp(&b.tag.created).then_with(by_name),
        Strategy::Alphabetical | Strategy::Digest => by_name(),
    }
}

/// Image Updater's sort for a strategy, without filters or constraint: `SortBySemVer` (tags
/// that are versions, pre-releases included, by precedence then name), `SortByDate` (by
/// creation date then name; tags without a date are left out) or `SortAlphabetically` (by
/// name; digest sorts this way too). Ascending and de-duplicated by name (last entry wins).
pub fn sort_tags(strategy: Strategy, tags: &[TagInfo]) -> Vec<&TagInfo> {
    let unique: BTreeMap<&str, &TagInfo> = tags.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut kept: Vec<Eligible<'_>> = unique
        .into_values()
        .filter_map(|tag| match strategy {
            Strategy::Semver => tag.name.parse().ok().map(|v| Eligible {
                tag,
                version: Some(v),
            }),
            Strategy::NewestBuild => tag.created.map(|_| Eligible { tag, version: None }),
            Strategy::Alphabetical | Strategy::Digest => Some(Eligible { tag, version: None }),
        })
        .collect();
    kept.sort_by(|a, b| order(strategy, a, b));
    kept.into_iter().map(|e| e.tag).collect()
}

struct Eligible<'a> {
    tag: &'a TagInfo,
    version: Option<Version>,
}

/// How many tags each rule dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FilterCounts {
    /// Not matched by `allow-tags`.
    pub allow_tags: usize,
    /// Matched by `ignore-tags`.
    pub ignore_tags: usize,
    /// Not a semantic version (semver).
    pub not_semver: usize,
    /// A pre-release, and no group of the constraint names one (semver).
    pub prerelease: usize,
    /// Outside the constraint (semver).
    pub constraint: usize,
    /// No image creation date known (newest-build).
    pub no_creation_date: usize,
    /// Not the tag being followed (digest).
    pub other_tag: usize,
}

impl FilterCounts {
    /// Total dropped.
    pub fn total(&self) -> usize {
        self.allow_tags
            + self.ignore_tags
            + self.not_semver
            + self.prerelease
            + self.constraint
            + self.no_creation_date
            + self.other_tag
    }

    fn reasons(&self) -> [(usize, &'static str); 7] {
        [
            (self.allow_tags, "not allowed by allow-tags"),
            (self.ignore_tags, "ignored by ignore-tags"),
            (self.not_semver, "not a semantic version"),
            (
                self.prerelease,
                "pre-release (the constraint names no pre-release)",
            ),
            (self.constraint, "outside the constraint"),
            (self.no_creation_date, "without an image creation date"),
            (self.other_tag, "not the followed tag"),
        ]
    }
}

/// The outcome of a selection: the chosen tag, if any, and why.
#[derive(Clone, Debug, serde::Serialize)]
#[non_exhaustive]
#[must_use = "a selection says which tag to move to, or why none"]
pub struct Selection {
    /// The strategy used.
    pub strategy: Strategy,
    /// The constraint as written, if any (for digest: the followed tag).
    pub constraint: Option<String>,
    /// The chosen tag; `None` when nothing qualifies.
    pub chosen: Option<TagInfo>,
    /// Distinct tag names considered.
    pub considered: usize,
    /// Tags that passed every filter and the strategy's own exclusions.
    pub eligible: usize,
    /// Tags dropped, by rule.
    pub dropped: FilterCounts,
    /// Problems worth telling (malformed filters, deprecated names, ignored constraints).
    pub warnings: Vec<String>,
}

impl Selection {
    /// A multi-line explanation for people: the outcome first, then one line per reason.
    pub fn explain(&self) -> String {
        let rule = match self.strategy {
            Strategy::Semver => "highest version",
            Strategy::NewestBuild => "newest image, ties to the greater name",
            Strategy::Alphabetical => "last in byte order",
            Strategy::Digest => "the followed tag",
        };
        let constraint = match (&self.constraint, self.strategy) {
            (Some(c), _) => format!(" '{c}'"),
            (None, Strategy::Semver) => " none (any release)".to_owned(),
            (None, _) => " none".to_owned(),
        };
        let mut out = match &self.chosen {
            Some(t) => format!("chose '{}' ({rule})", t.name),
            None => "no tag qualifies".to_owned(),
        };
        let _ = write!(
            out,
            "; strategy {}, constraint{constraint}; {} of {} tag(s) eligible",
            self.strategy, self.eligible, self.considered
        );
        for (n, why) in self.dropped.reasons() {
            if n > 0 {
                let _ = write!(out, "\n  {n} {why}");
            }
        }
        for w in &self.warnings {
            let _ = write!(out, "\n  warning: {w}");
        }
        out
    }
}

#[cfg(test)]
mod tests;
