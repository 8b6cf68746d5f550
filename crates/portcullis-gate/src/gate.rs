//! [`Gate::evaluate`]: one watched image through lookup, limits, verification and external
//! gates, to one [`Decision`].

use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;
use portcullis_image::{Candidate, Digest, Repository, Tag};
use portcullis_policy::policy::{AppSettings, Mode, OnFailure, Policy, Rule};
use portcullis_policy::{
    AllowTags, IgnorePattern, SelectionOptions, Strategy, TagInfo, UpdateSpec, Version,
};
use portcullis_registry::RegistryClient;
use portcullis_verify::VerifiedImage;
use tracing::{debug, info};

use crate::cache::{Verdict, VerificationCache};
use crate::decision::{Decision, Note, Reason};
use crate::evaluate::{self, Evidence};
use crate::external::{self, GateRequest};
use crate::lookup;
use crate::trust::{TrustStore, error_chain};
use crate::watched::WatchedImage;

/// How a gate is set up beyond its policy and registry client.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GateOptions {
    /// Where the TUF cache of the public-good trusted root lives.
    pub tuf_cache: PathBuf,
    /// Make no TUF request (use the verified cache only).
    pub offline: bool,
    /// Verdicts kept in the verification cache.
    pub cache_capacity: usize,
    /// The time minimum ages are measured against (default: now, at each evaluation).
    pub now: Option<Timestamp>,
}

impl GateOptions {
    /// Defaults with the TUF cache in `tuf_cache`.
    pub fn new(tuf_cache: impl Into<PathBuf>) -> Self {
        Self {
            tuf_cache: tuf_cache.into(),
            offline: false,
            cache_capacity: 4096,
            now: None,
        }
    }

    /// Measure ages against `now`.
    pub fn at(mut self, now: Timestamp) -> Self {
        self.now = Some(now);
        self
    }
}

/// The policy, the registry client and what they share across evaluations.
pub struct Gate {
    policy: Arc<Policy>,
    registry: RegistryClient,
    store: TrustStore,
    cache: VerificationCache,
    http: reqwest::Client,
    options: GateOptions,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("policy", &self.policy.hash().as_str())
            .field("cached", &self.cache.len())
            .finish_non_exhaustive()
    }
}

/// A candidate that failed, for the next try or the final answer.
struct Miss {
    reason: Reason,
    detail: String,
}

impl Gate {
    /// A gate for `policy`, reading registries through `registry`.
    pub fn new(policy: Policy, registry: RegistryClient, options: GateOptions) -> Self {
        Self {
            policy: Arc::new(policy),
            registry,
            store: TrustStore::new(options.tuf_cache.clone(), options.offline),
            cache: VerificationCache::new(options.cache_capacity),
            http: external::client(),
            options,
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The registry client (shared by every evaluation: listings and digests are cached per
    /// cycle).
    pub fn registry(&self) -> &RegistryClient {
        &self.registry
    }

    /// Starts a cycle: registry listings and the loaded trusted roots are read afresh (a
    /// root comes again from its file or through TUF, so rotated keys are picked up); clean
    /// verification passes stay, keyed by policy revision, while refusals and passes with
    /// warnings are forgotten (a signature pushed since is seen).
    pub async fn new_cycle(&self) {
        self.registry.new_cycle();
        self.store.forget().await;
        self.cache.forget_refusals();
    }

    /// The verification cache.
    pub fn cache(&self) -> &VerificationCache {
        &self.cache
    }

    /// Decides what to do about `watched`. Never panics and never returns an update whose
    /// image was not verified under every rule in `enforce` mode that matches it.
    pub async fn evaluate(&self, watched: &WatchedImage) -> Decision {
        let decision = self.decide(watched).await;
        info!(
            app = %watched.app,
            image = %watched.image.repository(),
            decision = decision.kind(),
            reason = decision.reason().code(),
            "evaluated"
        );
        decision
    }

    async fn decide(&self, w: &WatchedImage) -> Decision {
        let repository = w.image.repository();
        if let Some(pin) = &w.pinned {
            return Decision::no_change(
                Reason::Pinned,
                format!("{} pins {repository} to {pin}; left alone", w.app),
                Vec::new(),
            );
        }
        let rules = self.policy.rules_for(&w.image);
        if rules.is_empty() {
            let detail = format!(
                "no rule of the policy matches {repository} (defaults.noMatch: {}); without an \
                 authority to verify against, Portcullis does not update it",
                match self.policy.no_match() {
                    portcullis_policy::policy::NoMatch::Deny => "deny",
                    portcullis_policy::policy::NoMatch::Warn => "warn",
                    _ => "allow",
                }
            );
            return Decision::skipped(Reason::NoMatchingRule, detail, Vec::new());
        }
        if let Some(rule) = rules
            .iter()
            .find(|r| !r.update.allows_registry(repository.registry()))
        {
            return Decision::skipped(
                Reason::RegistryNotAllowed,
                format!(
                    "rule '{}' does not allow registry {} (allowed: {})",
                    rule.name,
                    repository.registry(),
                    rule.update
                        .registries
                        .clone()
                        .unwrap_or_default()
                        .join(", ")
                ),
                Vec::new(),
            );
        }
        if let Err(widenings) = self.policy.check_app_settings(&rules, &settings(w)) {
            let detail = widenings
                .iter()
                .map(|wd| format!("rule '{}': {}", wd.rule, wd.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Decision::skipped(Reason::PolicyWideningRejected, detail, Vec::new());
        }
        let options = match selection_options(w) {
            Ok(o) => o,
            Err(e) => return Decision::skipped(Reason::NoMatchingTag, e, Vec::new()),
        };
        let platforms = lookup::platform_filter(&w.platforms);
        let tags = match lookup::tags(&self.registry, repository, &options, w.strategy, &platforms)
            .await
        {
            Ok(t) => t,
            Err(e) => {
                return Decision::failed(
                    Reason::RegistryError,
                    format!("cannot list the tags of {repository}: {}", error_chain(&e)),
                );
            }
        };
        let mut remaining: Vec<TagInfo> = tags
            .iter()
            .filter(|t| within_limits(&rules, w.strategy, &t.name))
            .cloned()
            .collect();
        let beyond = options
            .select(&tags)
            .chosen
            .filter(|c| !remaining.iter().any(|t| t.name == c.name));
        let mut notes = Vec::new();
        if let Some(b) = &beyond {
            notes.push(Note::new(
                Reason::ConstraintViolation,
                format!(
                    "{} is newer but outside the update limits of {}",
                    b.name,
                    limits_of(&rules)
                ),
            ));
        }
        let tries = rules
            .iter()
            .map(|r| match r.on_failure {
                OnFailure::TryOlder { max_candidates } => max_candidates.get() as usize,
                _ => 1,
            })
            .min()
            .unwrap_or(1);
        let mut last: Option<(String, Miss)> = None;
        for attempt in 0..tries {
            let selection = options.select(&remaining);
            let Some(chosen) = selection.chosen else {
                if attempt > 0 {
                    break;
                }
                return match &beyond {
                    Some(b) => beyond_ceiling(format!("the newest tag {}", b.name), &rules, notes),
                    None => Decision::no_change(Reason::NoMatchingTag, selection.explain(), notes),
                };
            };
            remaining.retain(|t| t.name != chosen.name);
            let resolved = match self
                .registry
                .resolve(repository, &chosen.name, &platforms)
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    return Decision::failed(
                        Reason::RegistryError,
                        format!(
                            "cannot resolve {repository}:{}: {}",
                            chosen.name,
                            error_chain(&e)
                        ),
                    );
                }
            };
            let digest = resolved.digest;
            if let Some(current) = &w.current {
                let same_tag = current.tag == chosen.name;
                // An empty tag: only the digest is known (a digest-only pin).
                // The digest strategy follows a tag whose digest moves: only a known, equal
                // digest is "deployed".
                let deployed = if current.tag.is_empty() || w.strategy == Strategy::Digest {
                    current.digest.as_ref() == Some(&digest)
                } else {
                    same_tag && current.digest.as_ref().is_none_or(|d| *d == digest)
                };
                if deployed {
                    if attempt > 0 {
                        break;
                    }
                    return match &beyond {
                        Some(b) => beyond_ceiling(
                            format!("{} is deployed; the newer {}", current.tag, b.name),
                            &rules,
                            notes,
                        ),
                        None => Decision::no_change(
                            Reason::UpToDate,
                            if current.tag.is_empty() {
                                format!("{repository}@{digest} is deployed")
                            } else {
                                format!("{repository}:{} ({digest}) is deployed", current.tag)
                            },
                            notes,
                        ),
                    };
                }
                let older = if same_tag || current.tag.is_empty() {
                    None
                } else {
                    is_older(&current.tag, &chosen, &tags, w.strategy)
                };
                // An older tag tried after a failure must never go below what is deployed; when
                // that cannot be told (another strategy's order, a digest-only pin), stop.
                if attempt > 0 && older != Some(false) {
                    break;
                }
                if older == Some(true) {
                    if rules.iter().all(|r| r.update.allow_downgrade) {
                        notes.push(Note::new(
                            Reason::DowngradeRefused,
                            format!(
                                "{} is older than the deployed {}; allowed by policy",
                                chosen.name, current.tag
                            ),
                        ));
                    } else if attempt == 0 {
                        return Decision::no_change(
                            Reason::DowngradeRefused,
                            format!(
                                "{} is older than the deployed {}, and no rule allows downgrades",
                                chosen.name, current.tag
                            ),
                            notes,
                        );
                    } else {
                        break;
                    }
                }
            }
            match self
                .candidate(
                    w, &rules, repository, &chosen, &digest, &platforms, &mut notes,
                )
                .await
            {
                Ok(decision) => return decision,
                // The registry or the trust material failed, not the image: nothing was
                // learnt about it, so no older tag is tried, and the run reports a failure
                // (exit 1) rather than a refusal.
                Err(miss) if miss.reason.is_outage() => {
                    return Decision::failed(
                        miss.reason,
                        format!("{}@{digest}: {}", chosen.name, miss.detail),
                    );
                }
                Err(miss) => {
                    if attempt + 1 < tries {
                        notes.push(Note::new(
                            miss.reason,
                            format!(
                                "{}@{digest}: {}; trying an older tag (onFailure: try-older)",
                                chosen.name, miss.detail
                            ),
                        ));
                    }
                    last = Some((format!("{}@{digest}", chosen.name), miss));
                }
            }
        }
        match last {
            Some((what, miss)) => {
                Decision::skipped(miss.reason, format!("{what}: {}", miss.detail), notes)
            }
            None => Decision::no_change(
                Reason::NoMatchingTag,
                "no older tag is left to try".to_owned(),
                notes,
            ),
        }
    }

    /// Checks one candidate: minimum age, verification under every rule, external gates.
    #[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
    async fn candidate(
        &self,
        w: &WatchedImage,
        rules: &[&Rule],
        repository: &Repository,
        chosen: &TagInfo,
        digest: &Digest,
        platforms: &portcullis_image::PlatformFilter,
        notes: &mut Vec<Note>,
    ) -> Result<Decision, Miss> {
        if let Some(min_age) = rules.iter().filter_map(|r| r.update.min_age).max() {
            let created = match chosen.created {
                Some(c) => Some(c),
                None => self
                    .registry
                    .created(repository, digest, platforms)
                    .await
                    .map_err(|e| Miss {
                        reason: Reason::RegistryError,
                        detail: format!("cannot read its creation time: {}", error_chain(&e)),
                    })?,
            };
            let now = self.options.now.unwrap_or_else(Timestamp::now);
            let Some(created) = created else {
                return Err(Miss {
                    reason: Reason::TooYoung,
                    detail: "its creation time is unknown, and the policy sets a minimum age"
                        .to_owned(),
                });
            };
            let age = now.duration_since(created);
            let min = jiff::SignedDuration::try_from(min_age).unwrap_or(jiff::SignedDuration::MAX);
            if age < min {
                return Err(Miss {
                    reason: Reason::TooYoung,
                    detail: format!(
                        "built {created}, younger than the minimum age of {}",
                        humanize(min_age)
                    ),
                });
            }
        }
        let (verified, held_rules, warnings) = match self.verify(repository, digest, rules).await? {
            Verdict::Held {
                verified,
                rules,
                warnings,
            } => (verified, rules, warnings),
            Verdict::Failed { reason, detail } => return Err(Miss { reason, detail }),
        };
        for (reason, message) in &warnings {
            notes.push(Note::new(*reason, format!("warn mode: {message}")));
        }
        let Some(boxed) = verified else {
            let (reason, detail) = warnings.first().cloned().unwrap_or((
                Reason::SignatureMissing,
                "only static allow authorities held; Portcullis commits only verified images"
                    .to_owned(),
            ));
            return Err(Miss { reason, detail });
        };
        let (verified, label) = *boxed;
        let tag: Tag = chosen.name.parse().map_err(|_| Miss {
            reason: Reason::NoMatchingTag,
            detail: format!("'{}' is not a valid tag", chosen.name),
        })?;
        let candidate = Candidate::new(repository.clone(), tag, digest.clone(), chosen.created);
        let image = VerifiedImage::from_verified(&candidate, &verified)
            .map_err(|r| Miss {
                reason: Reason::SignatureInvalid,
                detail: error_chain(&r),
            })?
            .with_authority(label);
        self.external_gates(w, rules, &image, notes).await?;
        Ok(Decision::Update {
            image: Box::new(image),
            from: w.current.clone(),
            rules: held_rules,
            notes: std::mem::take(notes),
        })
    }

    /// Every rule's verdict for `digest`, from the cache or freshly verified.
    async fn verify(
        &self,
        repository: &Repository,
        digest: &Digest,
        rules: &[&Rule],
    ) -> Result<Verdict, Miss> {
        let key = VerificationCache::key(
            &repository.to_string(),
            digest.as_str(),
            self.policy.hash().as_str(),
        );
        if let Some(verdict) = self.cache.get(&key) {
            debug!(%digest, "verification cache hit");
            return Ok(verdict);
        }
        let attestations = rules.iter().any(|r| !r.attestations.is_empty());
        let evidence = self.evidence(repository, digest, attestations).await?;
        let mut verified = None;
        let mut held_rules = Vec::new();
        let mut warnings = Vec::new();
        let mut failure = None;
        for rule in rules {
            match evaluate::rule(&self.store, &self.policy, rule, digest, &evidence).await {
                Ok(held) => {
                    held_rules.push(rule.name.clone());
                    if verified.is_none() {
                        verified = held.verified;
                    }
                }
                Err(f) if rule.mode == Mode::Warn => {
                    if verified.is_none() {
                        verified = f.signed;
                    }
                    warnings.push((f.reason, f.detail));
                }
                Err(f) => {
                    failure.get_or_insert(f);
                }
            }
        }
        let verdict = match failure {
            Some(f) => Verdict::Failed {
                reason: f.reason,
                detail: f.detail,
            },
            None => Verdict::Held {
                verified,
                rules: held_rules,
                warnings,
            },
        };
        // Trust material that could not be loaded (a TUF repository down, say) is a passing
        // condition, not a property of the image: not remembered.
        let passing = matches!(verdict, Verdict::Failed { reason, .. } if reason.is_outage())
            || warnings_of(&verdict).any(Reason::is_outage);
        if !passing {
            self.cache.put(key, verdict.clone());
        }
        Ok(verdict)
    }

    /// Signatures and bundles of `digest`, both layouts, and with `attestations` the legacy
    /// `.att` layers too. A registry failure is a miss that fails closed, never "unsigned".
    async fn evidence(
        &self,
        repository: &Repository,
        digest: &Digest,
        attestations: bool,
    ) -> Result<Evidence, Miss> {
        let registry_error = |what: &str, e: &dyn std::error::Error| Miss {
            reason: Reason::RegistryError,
            detail: format!(
                "cannot read the {what} of {repository}@{digest}: {}",
                error_chain(e)
            ),
        };
        let layers = self
            .registry
            .legacy_signatures(repository, digest)
            .await
            .map_err(|e| registry_error("signatures", &e))?
            .unwrap_or_default();
        let bundles = self
            .registry
            .sigstore_bundles(repository, digest)
            .await
            .map_err(|e| registry_error("referrers", &e))?;
        let attestation_layers = if attestations {
            self.registry
                .legacy_attestations(repository, digest)
                .await
                .map_err(|e| registry_error("attestations", &e))?
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(Evidence {
            layers,
            bundles,
            attestation_layers,
        })
    }

    async fn external_gates(
        &self,
        w: &WatchedImage,
        rules: &[&Rule],
        image: &VerifiedImage,
        notes: &mut Vec<Note>,
    ) -> Result<(), Miss> {
        let request = GateRequest {
            api_version: "portcullis.dev/v1alpha1",
            kind: "GateRequest",
            application: &w.app,
            image: image.repository().to_string(),
            tag: image.tag().as_str(),
            digest: image.digest().as_str(),
            signer: image.identity().or(image.key_fingerprint()),
            rules: rules.iter().map(|r| r.name.as_str()).collect(),
        };
        for rule in rules {
            for name in &rule.gates {
                let Some(spec) = self.policy.gate(name) else {
                    continue; // the loader refuses dangling gate names
                };
                if let Err(why) = external::ask(&self.http, spec, &request).await {
                    if rule.mode == Mode::Warn {
                        notes.push(Note::new(Reason::GateDenied, format!("warn mode: {why}")));
                    } else {
                        return Err(Miss {
                            reason: Reason::GateDenied,
                            detail: why,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// `what` lies beyond the rules' update limits: skipped, without the note that says the same.
fn beyond_ceiling(what: String, rules: &[&Rule], notes: Vec<Note>) -> Decision {
    Decision::skipped(
        Reason::ConstraintViolation,
        format!(
            "{what} is outside the update limits of {}",
            limits_of(rules)
        ),
        without(notes, Reason::ConstraintViolation),
    )
}

fn warnings_of(verdict: &Verdict) -> impl Iterator<Item = Reason> + '_ {
    let warnings: &[(Reason, String)] = match verdict {
        Verdict::Held { warnings, .. } => warnings,
        Verdict::Failed { .. } => &[],
    };
    warnings.iter().map(|(r, _)| *r)
}

/// `notes` without those of `reason` (when the decision itself says it).
fn without(notes: Vec<Note>, reason: Reason) -> Vec<Note> {
    notes
        .into_iter()
        .filter(|n| n.code != reason.code())
        .collect()
}

/// The application's settings, for the floor check.
fn settings(w: &WatchedImage) -> AppSettings {
    let mut s = AppSettings::new(w.strategy).with_image(w.image.repository().clone());
    if let Some(c) = &w.constraint {
        s = s.with_constraint(c.clone());
    }
    if let Some(a) = &w.allow_tags {
        s = s.with_allow_tags(AllowTags::parse(a));
    }
    s.with_ignore_tags(
        w.ignore_tags
            .iter()
            .map(|i| IgnorePattern::parse(i))
            .collect(),
    )
}

fn selection_options(w: &WatchedImage) -> Result<SelectionOptions, String> {
    let mut spec = UpdateSpec::new(w.strategy).with_ignore_tags(&w.ignore_tags);
    if let Some(c) = &w.constraint {
        spec = spec.with_constraint(c.clone());
    }
    if let Some(a) = &w.allow_tags {
        spec = spec.with_allow_tags(AllowTags::parse(a));
    }
    SelectionOptions::new(spec).map_err(|e| {
        format!(
            "the application's settings are invalid: {}",
            error_chain(&e)
        )
    })
}

/// Whether every rule's ceiling admits the tag `name`. The digest strategy follows one tag,
/// which the floor check already held to the ceiling; other strategies' tags must be
/// versions the ceiling admits whenever a rule has a constraint.
fn within_limits(rules: &[&Rule], strategy: Strategy, name: &str) -> bool {
    if strategy == Strategy::Digest {
        return true;
    }
    let version = name.parse::<Version>().ok();
    rules.iter().all(|r| match &version {
        Some(v) => r.update.permits_version(v),
        None => r.update.constraint.is_none(),
    })
}

fn limits_of(rules: &[&Rule]) -> String {
    rules
        .iter()
        .map(|r| {
            let ceiling = r
                .update
                .constraint
                .as_ref()
                .map_or("no ceiling".to_owned(), |c| format!("'{c}'"));
            let pre = if r.update.prereleases {
                ""
            } else {
                ", no pre-releases"
            };
            format!("rule '{}' ({ceiling}{pre})", r.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `candidate` comes before the deployed tag `current` in the strategy's order:
/// versions (semver), creation times (newest-build, both known from the listing), byte order
/// (alphabetical); `None` when that cannot be told (the digest strategy follows one tag).
fn is_older(
    current: &str,
    candidate: &TagInfo,
    tags: &[TagInfo],
    strategy: Strategy,
) -> Option<bool> {
    match strategy {
        Strategy::Semver => match (
            current.parse::<Version>(),
            candidate.name.parse::<Version>(),
        ) {
            (Ok(c), Ok(n)) => Some(n < c),
            _ => None,
        },
        Strategy::NewestBuild => {
            let deployed = tags.iter().find(|t| t.name == current)?.created?;
            Some(candidate.created? < deployed)
        }
        Strategy::Alphabetical => Some(candidate.name.as_str() < current),
        _ => None,
    }
}

fn humanize(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
