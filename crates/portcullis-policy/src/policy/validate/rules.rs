//! Rules: image patterns, authorities and how many must verify, failure handling,
//! attestations with their conditions, update limits, gate references — and rules that
//! could never match anything.

use std::num::NonZeroU32;

use super::Context;
use super::authorities::authority;
use crate::policy::attestation::{
    AttestationRequirement, PREDICATE_SHORT_NAMES, predicate_type_uri,
};
use crate::policy::authority::Authority;
use crate::policy::condition::Condition;
use crate::policy::duration;
use crate::policy::image_pattern::ImagePattern;
use crate::policy::path::FieldPath;
use crate::policy::rule::{
    DEFAULT_MAX_CANDIDATES, MAX_CANDIDATES, Mode, OnFailure, Rule, UpdateLimits,
};
use crate::policy::suggest;
use crate::policy::wire;
use crate::{Constraint, Strategy};

pub(super) fn rule(cx: &mut Context<'_>, r: &wire::Rule, path: &FieldPath) -> Option<Rule> {
    let errors_before = cx.out.error_count();
    if r.name.trim().is_empty() {
        cx.out.error(&path.key("name"), "rule name is empty", None);
    }

    let images = images(cx, r, path);

    if r.authorities.is_empty() {
        cx.out.error(
            &path.key("authorities"),
            "a rule needs at least one authority",
            Some("to accept unsigned images on purpose, write '- static: allow'".to_owned()),
        );
    }
    let mut authorities: Vec<Authority> = Vec::new();
    for (i, a) in r.authorities.iter().enumerate() {
        let a_path = path.key("authorities").index(i);
        if let Some(a) = authority(cx, a, &a_path, format!("authority-{i}")) {
            if authorities.iter().any(|b| b.name == a.name) {
                cx.out.error(
                    &a_path.key("name"),
                    format!("authority name '{}' is used twice in this rule", a.name),
                    None,
                );
            }
            authorities.push(a);
        }
    }

    let require = match r.require {
        None => 1,
        Some(0) => {
            cx.out
                .error(&path.key("require"), "require must be at least 1", None);
            1
        }
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > r.authorities.len() {
                cx.out.error(
                    &path.key("require"),
                    format!(
                        "require is {n} but the rule has only {} authorit{}, so it could never be satisfied",
                        r.authorities.len(),
                        if r.authorities.len() == 1 { "y" } else { "ies" }
                    ),
                    Some("lower require or add authorities".to_owned()),
                );
            }
            n
        }
    };

    let mode = match r.mode {
        None | Some(wire::Mode::Enforce) => Mode::Enforce,
        Some(wire::Mode::Warn) => Mode::Warn,
    };
    let on_failure = on_failure(cx, r.on_failure.as_ref(), &path.key("onFailure"));
    let attestations = attestations(cx, r, &authorities, path);
    let update = update(cx, r.update.as_ref(), &images, path);

    let mut gates = Vec::new();
    for (i, name) in r.gates.iter().flatten().enumerate() {
        if cx.gates.contains_key(name) {
            gates.push(name.clone());
        } else {
            let hint = suggest::closest(name, cx.gates.keys().map(String::as_str))
                .map(|g| format!("did you mean '{g}'?"))
                .unwrap_or_else(|| "define it under gates".to_owned());
            cx.out.error(
                &path.key("gates").index(i),
                format!("unknown gate '{name}'"),
                Some(hint),
            );
        }
    }

    if cx.out.error_count() > errors_before {
        return None;
    }
    Some(Rule {
        name: r.name.clone(),
        images: images.into_iter().map(|(_, p)| p).collect(),
        authorities,
        require,
        mode,
        on_failure,
        attestations,
        update,
        gates,
    })
}

/// The compiled patterns with their index in `images`.
fn images(cx: &mut Context<'_>, r: &wire::Rule, path: &FieldPath) -> Vec<(usize, ImagePattern)> {
    if r.images.is_empty() {
        cx.out.error(
            &path.key("images"),
            "the rule can never match: images is empty",
            Some("add a repository glob such as 'ghcr.io/acme/**'".to_owned()),
        );
    }
    let mut out = Vec::new();
    for (i, written) in r.images.iter().enumerate() {
        match ImagePattern::parse(written) {
            Ok(p) => out.push((i, p)),
            Err(e) => cx.out.error(
                &path.key("images").index(i),
                e.to_string(),
                Some(
                    "'*' matches within one path element, '**' across elements: 'ghcr.io/acme/**'"
                        .to_owned(),
                ),
            ),
        }
    }
    out
}

fn on_failure(cx: &mut Context<'_>, w: Option<&wire::OnFailure>, path: &FieldPath) -> OnFailure {
    let Some(w) = w else {
        return OnFailure::Stop;
    };
    match (w.action, w.max_candidates) {
        (wire::FailureAction::Stop, None) => OnFailure::Stop,
        (wire::FailureAction::Stop, Some(_)) => {
            cx.out.error(
                &path.key("maxCandidates"),
                "maxCandidates only applies to 'try-older'",
                Some("remove it, or set 'action: try-older'".to_owned()),
            );
            OnFailure::Stop
        }
        (wire::FailureAction::TryOlder, n) => {
            let n = n.unwrap_or(DEFAULT_MAX_CANDIDATES);
            match NonZeroU32::new(n).filter(|n| n.get() <= MAX_CANDIDATES) {
                Some(max_candidates) => OnFailure::TryOlder { max_candidates },
                None => {
                    cx.out.error(
                        &path.key("maxCandidates"),
                        format!("maxCandidates must be between 1 and {MAX_CANDIDATES}, found {n}"),
                        None,
                    );
                    OnFailure::Stop
                }
            }
        }
    }
}

fn attestations(
    cx: &mut Context<'_>,
    r: &wire::Rule,
    authorities: &[Authority],
    path: &FieldPath,
) -> Vec<AttestationRequirement> {
    let mut out: Vec<AttestationRequirement> = Vec::new();
    for (i, a) in r.attestations.iter().flatten().enumerate() {
        let a_path = path.key("attestations").index(i);
        if a.name.trim().is_empty() {
            cx.out
                .error(&a_path.key("name"), "attestation name is empty", None);
        } else if out.iter().any(|o| o.name == a.name) {
            cx.out.error(
                &a_path.key("name"),
                format!("attestation name '{}' is used twice in this rule", a.name),
                None,
            );
        }
        let predicate_type = match predicate_type_uri(&a.predicate_type) {
            Some(uri) => uri.to_owned(),
            None => {
                let hint = suggest::closest(
                    &a.predicate_type,
                    PREDICATE_SHORT_NAMES.iter().map(|(n, _)| *n),
                )
                .map(|n| format!("did you mean '{n}'?"))
                .unwrap_or_else(|| {
                    "write a URI such as https://slsa.dev/provenance/v1, or a cosign short name (slsaprovenance1, spdxjson, cyclonedx, vuln, openvex, custom...)".to_owned()
                });
                cx.out.error(
                    &a_path.key("predicateType"),
                    format!("unknown predicate type '{}'", a.predicate_type),
                    Some(hint),
                );
                String::new()
            }
        };
        let signers = match &a.authorities {
            None => authorities.to_vec(),
            Some(refs) => {
                attestation_authorities(cx, refs, r, authorities, &a_path.key("authorities"))
            }
        };
        let mut conditions = Vec::new();
        for (j, source) in a.conditions.iter().flatten().enumerate() {
            match Condition::compile(source) {
                Ok(c) => conditions.push(c),
                Err(e) => {
                    let hint = match &e {
                        crate::policy::condition::ConditionError::UnknownVariable { .. } => Some(
                            "conditions read the attestation's predicate as 'predicate'".to_owned(),
                        ),
                        crate::policy::condition::ConditionError::NotBoolean { .. } => {
                            Some("compare it, e.g. 'size(predicate.materials) > 0'".to_owned())
                        }
                        _ => None,
                    };
                    cx.out
                        .error(&a_path.key("conditions").index(j), e.to_string(), hint);
                }
            }
        }
        out.push(AttestationRequirement {
            name: a.name.clone(),
            predicate_type,
            authorities: signers,
            conditions,
        });
    }
    out
}

fn attestation_authorities(
    cx: &mut Context<'_>,
    refs: &[wire::AuthorityRef],
    r: &wire::Rule,
    resolved: &[Authority],
    path: &FieldPath,
) -> Vec<Authority> {
    if refs.is_empty() {
        cx.out.error(
            path,
            "an attestation needs at least one authority",
            Some("leave 'authorities' out to accept any of the rule's authorities".to_owned()),
        );
    }
    let mut out = Vec::new();
    for (i, reference) in refs.iter().enumerate() {
        let field = path.index(i);
        match reference {
            wire::AuthorityRef::Index(n) => {
                let n = usize::try_from(*n).unwrap_or(usize::MAX);
                // The index is into the rule's authorities as written; an authority that
                // failed its own check has already been reported.
                match (r.authorities.get(n), resolved.iter().find(|a| a.name == name_of(r, n))) {
                    (Some(_), Some(a)) => out.push(a.clone()),
                    (Some(_), None) => {}
                    (None, _) => cx.out.error(
                        &field,
                        format!(
                            "authority index {n} is out of range (the rule has {} authorities, numbered from 0)",
                            r.authorities.len()
                        ),
                        None,
                    ),
                }
            }
            wire::AuthorityRef::Name(name) => match resolved.iter().find(|a| &a.name == name) {
                Some(a) => out.push(a.clone()),
                None => {
                    let hint = suggest::hint(name, resolved.iter().map(|a| a.name.as_str()));
                    cx.out
                        .error(&field, format!("unknown authority '{name}'"), hint);
                }
            },
            wire::AuthorityRef::Inline(inline) => {
                if let Some(a) = authority(cx, inline, &field, format!("attestation-authority-{i}"))
                {
                    out.push(a);
                }
            }
        }
    }
    out
}

/// The name the rule's `n`th authority has (written or default).
fn name_of(r: &wire::Rule, n: usize) -> String {
    r.authorities
        .get(n)
        .and_then(|a| a.name.clone())
        .unwrap_or_else(|| format!("authority-{n}"))
}

fn update(
    cx: &mut Context<'_>,
    u: Option<&wire::Update>,
    images: &[(usize, ImagePattern)],
    rule_path: &FieldPath,
) -> UpdateLimits {
    let Some(u) = u else {
        return UpdateLimits::default();
    };
    let path = rule_path.key("update");
    let mut limits = UpdateLimits {
        prereleases: u.prereleases.unwrap_or(false),
        allow_downgrade: u.allow_downgrade.unwrap_or(false),
        ..UpdateLimits::default()
    };

    if let Some(list) = &u.registries {
        let mut registries = Vec::new();
        for (i, r) in list.iter().enumerate() {
            let host = r.trim().trim_end_matches('/').to_ascii_lowercase();
            if host.is_empty() || host.contains(['/', ' ', '*']) {
                cx.out.error(
                    &path.key("registries").index(i),
                    format!("'{r}' is not a registry host"),
                    Some("write a host such as ghcr.io or registry.example.com:5000".to_owned()),
                );
                continue;
            }
            registries.push(if host == "index.docker.io" {
                "docker.io".to_owned()
            } else {
                host
            });
        }
        if list.is_empty() {
            cx.out.error(
                &path.key("registries"),
                "the rule can never match: update.registries is empty",
                Some(
                    "list the registries updates may come from, or leave registries out".to_owned(),
                ),
            );
        }
        for (i, pattern) in images {
            if let Some(registry) = pattern.registry()
                && !registries.is_empty()
                && !registries.iter().any(|r| r == registry)
            {
                cx.out.error(
                    &rule_path.key("images").index(*i),
                    format!(
                        "the rule can never match '{pattern}': its registry '{registry}' is excluded by update.registries ({})",
                        registries.join(", ")
                    ),
                    Some(format!("add '{registry}' to update.registries, or fix the pattern")),
                );
            }
        }
        limits.registries = Some(registries);
    }

    if let Some(text) = &u.constraint {
        match text.parse::<Constraint>() {
            Ok(c) => limits.constraint = Some(c),
            Err(e) => cx.out.error(&path.key("constraint"), e.to_string(), None),
        }
    }

    if let Some(list) = &u.strategies {
        let mut strategies = Vec::new();
        for (i, name) in list.iter().enumerate() {
            let field = path.key("strategies").index(i);
            match Strategy::parse_name(name) {
                Ok(parsed) => {
                    if let Some(w) = parsed.warning {
                        cx.out.warn(&field, w, None);
                    }
                    if !strategies.contains(&parsed.strategy) {
                        strategies.push(parsed.strategy);
                    }
                }
                Err(_) => cx.out.error(
                    &field,
                    format!("unknown update strategy '{name}'"),
                    suggest::hint(name, Strategy::ALL.iter().map(|s| s.as_str())),
                ),
            }
        }
        if list.is_empty() {
            cx.out.error(
                &path.key("strategies"),
                "no strategy is allowed, so no image could ever be updated",
                Some(
                    "list the allowed strategies, or leave strategies out to allow all".to_owned(),
                ),
            );
        }
        limits.strategies = Some(strategies);
    }

    if let Some(text) = &u.min_age {
        match duration::parse(text) {
            Some(d) => limits.min_age = Some(d),
            None => cx.out.error(
                &path.key("minAge"),
                format!("'{text}' is not a duration"),
                Some("write e.g. 24h, 90m or 7d".to_owned()),
            ),
        }
    }
    limits
}
