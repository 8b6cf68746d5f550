//! Authorities: exactly one kind each, references resolved against the trust material,
//! identity patterns compiled (anchored), extension OIDs checked, danger switches reported.

use std::collections::BTreeMap;

use super::Context;
use crate::policy::authority::{
    AnchoredRegex, Authority, AuthorityKind, GITHUB_WORKFLOW_NAME, GITHUB_WORKFLOW_REF,
    GITHUB_WORKFLOW_REPOSITORY, GITHUB_WORKFLOW_SHA, GITHUB_WORKFLOW_TRIGGER, IdentityRule,
    Keyless, StaticAction, ValueMatch,
};
use crate::policy::danger::Danger;
use crate::policy::path::FieldPath;
use crate::policy::suggest;
use crate::policy::wire;

/// Validates one authority; `default_name` is used when it has none.
pub(super) fn authority(
    cx: &mut Context<'_>,
    a: &wire::Authority,
    path: &FieldPath,
    default_name: String,
) -> Option<Authority> {
    let name = match &a.name {
        Some(n) if n.trim().is_empty() => {
            cx.out
                .error(&path.key("name"), "authority name is empty", None);
            return None;
        }
        Some(n) => n.clone(),
        None => default_name,
    };
    let (kind, danger) = match (&a.key, &a.keyless, &a.static_action) {
        (Some(key), None, None) => key_authority(cx, key, &path.key("key"))?,
        (None, Some(keyless), None) => keyless_authority(cx, keyless, &path.key("keyless"))?,
        (None, None, Some(action)) => (
            AuthorityKind::Static {
                action: match action {
                    wire::StaticAction::Allow => StaticAction::Allow,
                    wire::StaticAction::Deny => StaticAction::Deny,
                },
            },
            Danger::default(),
        ),
        _ => {
            cx.out.error(
                path,
                "an authority needs exactly one of 'key', 'keyless' or 'static'",
                None,
            );
            return None;
        }
    };
    if matches!(
        kind,
        AuthorityKind::Static {
            action: StaticAction::Allow
        }
    ) {
        cx.out.warn(
            &path.key("static"),
            "static allow: images pass this authority without any signature",
            None,
        );
    }
    Some(Authority { name, kind, danger })
}

fn key_authority(
    cx: &mut Context<'_>,
    key: &wire::KeyAuthority,
    path: &FieldPath,
) -> Option<(AuthorityKind, Danger)> {
    let danger = Danger {
        ignore_tlog: key.ignore_tlog.unwrap_or(false),
        ignore_sct: false,
    };
    warn_danger(cx, danger, path);
    let Some(source) = cx.trust.keys.get(&key.key_ref).cloned() else {
        if cx.is_broken("key", &key.key_ref) {
            return None;
        }
        let hint = suggest::closest(&key.key_ref, cx.trust.keys.keys().map(String::as_str))
            .map(|k| format!("did you mean '{k}'?"))
            .unwrap_or_else(|| "define it under trust.keys".to_owned());
        cx.out.error(
            &path.key("ref"),
            format!("unknown key '{}'", key.key_ref),
            Some(hint),
        );
        return None;
    };
    let trusted_root = match key.trusted_root.as_deref() {
        None => None,
        Some(wanted) => match cx.root_named(Some(wanted)) {
            Some(root) => Some(root),
            None => {
                unknown_root(cx, wanted, path);
                return None;
            }
        },
    };
    Some((
        AuthorityKind::Key {
            key_name: key.key_ref.clone(),
            key: source,
            trusted_root,
        },
        danger,
    ))
}

/// Reports `wanted` as an unknown trusted root at the authority's `trustedRoot`, with the
/// closest name (unless its definition was already reported broken).
fn unknown_root(cx: &mut Context<'_>, wanted: &str, path: &FieldPath) {
    if cx.is_broken("root", wanted) {
        return;
    }
    let hint = suggest::closest(wanted, cx.trust.roots.keys().map(String::as_str))
        .map(|r| format!("did you mean '{r}'?"))
        .unwrap_or_else(|| "define it under trust.roots".to_owned());
    cx.out.error(
        &path.key("trustedRoot"),
        format!("unknown trusted root '{wanted}'"),
        Some(hint),
    );
}

fn keyless_authority(
    cx: &mut Context<'_>,
    k: &wire::KeylessAuthority,
    path: &FieldPath,
) -> Option<(AuthorityKind, Danger)> {
    let danger = Danger {
        ignore_tlog: k.ignore_tlog.unwrap_or(false),
        ignore_sct: k.ignore_sct.unwrap_or(false),
    };
    warn_danger(cx, danger, path);
    let errors_before = cx.out.error_count();
    let root = cx.root_named(k.trusted_root.as_deref());
    if root.is_none() {
        unknown_root(cx, k.trusted_root.as_deref().unwrap_or_default(), path);
    }
    if k.identities.is_empty() {
        cx.out.error(
            &path.key("identities"),
            "a keyless authority needs at least one identity",
            Some("add '- subject: ...' (or subjectRegExp) with 'issuer: ...'".to_owned()),
        );
    }
    let mut identities = Vec::new();
    for (i, id) in k.identities.iter().enumerate() {
        if let Some(rule) = identity(cx, id, &path.key("identities").index(i)) {
            identities.push(rule);
        }
    }
    let extensions = extensions(cx, k, path);
    let (trusted_root_name, trusted_root) = root?;
    if cx.out.error_count() > errors_before {
        return None;
    }
    Some((
        AuthorityKind::Keyless(Keyless {
            trusted_root_name,
            trusted_root,
            identities,
            extensions,
        }),
        danger,
    ))
}

fn identity(
    cx: &mut Context<'_>,
    id: &wire::IdentitySpec,
    path: &FieldPath,
) -> Option<IdentityRule> {
    let subject = value_match(
        cx,
        path,
        ("subject", id.subject.as_deref()),
        ("subjectRegExp", id.subject_reg_exp.as_deref()),
    );
    let issuer = value_match(
        cx,
        path,
        ("issuer", id.issuer.as_deref()),
        ("issuerRegExp", id.issuer_reg_exp.as_deref()),
    );
    Some(IdentityRule {
        subject: subject?,
        issuer: issuer?,
    })
}

/// Exactly one of the exact field and the pattern field.
fn value_match(
    cx: &mut Context<'_>,
    path: &FieldPath,
    (exact_field, exact): (&str, Option<&str>),
    (regex_field, pattern): (&str, Option<&str>),
) -> Option<ValueMatch> {
    match (exact, pattern) {
        (Some(v), None) if !v.is_empty() => Some(ValueMatch::Exact(v.to_owned())),
        (None, Some(p)) if !p.is_empty() => {
            let field = path.key(regex_field);
            match AnchoredRegex::new(p) {
                Ok(r) => {
                    if r.reads_differently_in_cosign() {
                        cx.out.warn(
                            &field,
                            format!(
                                "'{p}' must match the whole value here; cosign and policy-controller accept a match anywhere in it"
                            ),
                            Some(format!(
                                "write '^{}$' to say so, or '{}.*' if a prefix is meant",
                                p.trim_start_matches('^').trim_end_matches('$'),
                                p.trim_end_matches('$')
                            )),
                        );
                    }
                    Some(ValueMatch::Regex(r))
                }
                Err(e) => {
                    // Report the error against the pattern as written, not the anchored one.
                    let text = regex::Regex::new(p).err().unwrap_or(e).to_string();
                    let why = text
                        .lines()
                        .find_map(|l| l.trim().strip_prefix("error: "))
                        .map_or_else(|| one_line(&text), str::to_owned);
                    cx.out.error(
                        &field,
                        format!("regular expression '{p}' does not compile: {why}"),
                        None,
                    );
                    None
                }
            }
        }
        (Some(_), None) | (None, Some(_)) => {
            let field = if exact.is_some() {
                exact_field
            } else {
                regex_field
            };
            cx.out
                .error(&path.key(field), format!("{field} must not be empty"), None);
            None
        }
        (Some(_), Some(_)) => {
            cx.out.error(
                &path.key(regex_field),
                format!("give either '{exact_field}' or '{regex_field}', not both"),
                None,
            );
            None
        }
        (None, None) => {
            cx.out.error(
                path,
                format!("an identity needs '{exact_field}' or '{regex_field}'"),
                (exact_field == "issuer").then(|| {
                    "without an issuer, any identity provider could assert the subject".to_owned()
                }),
            );
            None
        }
    }
}

fn extensions(
    cx: &mut Context<'_>,
    k: &wire::KeylessAuthority,
    path: &FieldPath,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(gh) = &k.github {
        let gh_path = path.key("github");
        let claims = [
            ("repository", GITHUB_WORKFLOW_REPOSITORY, &gh.repository),
            ("ref", GITHUB_WORKFLOW_REF, &gh.git_ref),
            ("workflow", GITHUB_WORKFLOW_NAME, &gh.workflow),
            ("trigger", GITHUB_WORKFLOW_TRIGGER, &gh.trigger),
            ("sha", GITHUB_WORKFLOW_SHA, &gh.sha),
        ];
        if claims.iter().all(|(_, _, v)| v.is_none()) {
            cx.out.error(
                &gh_path,
                "github claims are empty",
                Some("set at least one of repository, ref, workflow, trigger, sha, or remove 'github'".to_owned()),
            );
        }
        for (field, oid, value) in claims {
            match value.as_deref() {
                Some("") => cx.out.error(
                    &gh_path.key(field),
                    format!("{field} must not be empty"),
                    None,
                ),
                Some(v) => {
                    out.insert(oid.to_owned(), v.to_owned());
                }
                None => {}
            }
        }
        if let Some(repo) = gh.repository.as_deref()
            && !repo.is_empty()
            && repo.split('/').filter(|p| !p.is_empty()).count() != 2
        {
            cx.out.error(
                &gh_path.key("repository"),
                format!("'{repo}' is not 'owner/name'"),
                None,
            );
        }
    }
    for (oid, value) in k.extensions.iter().flatten() {
        let field = path.key("extensions").key(oid);
        if !is_oid(oid) {
            cx.out.error(
                &field,
                format!("'{oid}' is not an object identifier"),
                Some("write dotted numbers, e.g. 1.3.6.1.4.1.57264.1.5".to_owned()),
            );
            continue;
        }
        match out.get(oid) {
            Some(existing) if existing != value => cx.out.error(
                &field,
                format!("extension {oid} is required to be both '{existing}' (from github) and '{value}'"),
                None,
            ),
            _ => {
                out.insert(oid.clone(), value.clone());
            }
        }
    }
    out
}

fn is_oid(s: &str) -> bool {
    let arcs: Vec<&str> = s.split('.').collect();
    arcs.len() >= 2
        && arcs
            .iter()
            .all(|a| !a.is_empty() && a.len() <= 20 && a.chars().all(|c| c.is_ascii_digit()))
}

fn warn_danger(cx: &mut Context<'_>, danger: Danger, path: &FieldPath) {
    for (field, message) in danger.warnings() {
        cx.out.warn(&path.key(field), message, None);
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
