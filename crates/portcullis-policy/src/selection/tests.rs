use super::*;

fn tags(names: &[&str]) -> Vec<TagInfo> {
    names.iter().map(|n| TagInfo::named(*n)).collect()
}

fn dated(list: &[(&str, &str)]) -> Vec<TagInfo> {
    list.iter()
        .map(|(n, t)| TagInfo {
            name: (*n).to_owned(),
            created: Some(t.parse().unwrap()),
            digest: None,
        })
        .collect()
}

fn pick(strategy: Strategy, constraint: Option<&str>, list: &[TagInfo]) -> Option<String> {
    SelectionOptions::new(strategy, constraint, None, &[])
        .unwrap()
        .select(None, list)
        .unwrap()
        .chosen
        .map(|t| t.name)
}

#[test]
fn semver_picks_highest_within_the_constraint() {
    let list = tags(&["1.0.0", "1.1.0", "1.2.3", "2.0.0", "latest", "1.3.0-rc.1"]);
    assert_eq!(
        pick(Strategy::Semver, Some("~1.1"), &list).as_deref(),
        Some("1.1.0")
    );
    assert_eq!(
        pick(Strategy::Semver, Some("^1.0"), &list).as_deref(),
        Some("1.2.3")
    );
    assert_eq!(
        pick(Strategy::Semver, Some(">=1.0, <2"), &list).as_deref(),
        Some("1.2.3")
    );
    assert_eq!(pick(Strategy::Semver, Some("^3"), &list), None);
}

#[test]
fn semver_without_constraint_considers_every_version_as_image_updater_does() {
    let list = tags(&["1.0.0", "2.0.0-rc.1", "nightly"]);
    assert_eq!(
        pick(Strategy::Semver, None, &list).as_deref(),
        Some("2.0.0-rc.1")
    );
}

#[test]
fn prerelease_needs_a_prerelease_constraint() {
    let list = tags(&["1.2.0", "1.3.0-rc.1"]);
    assert_eq!(
        pick(Strategy::Semver, Some("^1.0"), &list).as_deref(),
        Some("1.2.0")
    );
    assert_eq!(
        pick(Strategy::Semver, Some("^1.0.0-0"), &list).as_deref(),
        Some("1.3.0-rc.1")
    );
}

#[test]
fn semver_ties_go_to_the_greater_original_string() {
    let list = tags(&["1.0", "1.0.0", "v1.0.0"]);
    assert_eq!(
        pick(Strategy::Semver, None, &list).as_deref(),
        Some("v1.0.0")
    );
    let list = tags(&["1.0.0", "1.0"]);
    assert_eq!(
        pick(Strategy::Semver, None, &list).as_deref(),
        Some("1.0.0")
    );
}

#[test]
fn counts_say_why_tags_were_dropped() {
    let list = tags(&[
        "1.0.0",
        "1.1.0-debug",
        "1.2.0",
        "1.3.0-rc.1",
        "2.0.0",
        "latest",
        "sha-abc",
    ]);
    let opts = SelectionOptions::new(
        Strategy::Semver,
        Some("^1.0"),
        Some("regexp:^[0-9l]"),
        &["*-debug".to_owned()],
    )
    .unwrap();
    let sel = opts.select(Some("1.0.0"), &list).unwrap();
    assert_eq!(sel.chosen.as_ref().unwrap().name, "1.2.0");
    assert_eq!(sel.considered, 7);
    assert_eq!(sel.filtered.ignore_tags, 1);
    assert_eq!(sel.filtered.allow_tags, 1);
    assert_eq!(sel.filtered.not_semver, 1);
    assert_eq!(sel.filtered.prerelease, 1);
    assert_eq!(sel.filtered.constraint, 1);
    assert_eq!(sel.eligible, 2);
    assert_eq!(sel.filtered.total() + sel.eligible, sel.considered);
    let text = sel.explain().join("\n");
    assert!(text.contains("chose '1.2.0'"), "{text}");
    assert!(text.contains("1 outside the constraint '^1.0'"), "{text}");
}

#[test]
fn invalid_constraint_is_an_error_not_a_skip() {
    let err = SelectionOptions::new(Strategy::Semver, Some("latest"), None, &[]).unwrap_err();
    assert!(matches!(err, SelectionError::Constraint(_)));
    assert!(err.to_string().contains("'latest'"));
}

#[test]
fn current_tag_must_be_semver_under_semver() {
    let opts = SelectionOptions::new(Strategy::Semver, None, None, &[]).unwrap();
    let err = opts.select(Some("latest"), &tags(&["1.0.0"])).unwrap_err();
    assert!(matches!(err, SelectionError::CurrentNotSemver { .. }));
}

#[test]
fn newest_build_by_date_ties_to_greater_name_and_undated_oldest() {
    let mut list = dated(&[
        ("a", "2026-01-01T00:00:00Z"),
        ("b", "2026-03-01T00:00:00Z"),
        ("c", "2026-03-01T00:00:00Z"),
        ("d", "2026-02-01T00:00:00Z"),
    ]);
    list.push(TagInfo::named("zzz"));
    let opts = SelectionOptions::new(Strategy::NewestBuild, None, None, &[]).unwrap();
    let sel = opts.select(None, &list).unwrap();
    assert_eq!(sel.chosen.unwrap().name, "c");
    assert_eq!(sel.undated, 1);
}

#[test]
fn digest_follows_one_tag_and_needs_it() {
    let list = tags(&["latest", "stable", "1.0"]);
    assert_eq!(
        pick(Strategy::Digest, Some("stable"), &list).as_deref(),
        Some("stable")
    );
    assert_eq!(pick(Strategy::Digest, Some("gone"), &list), None);
    assert!(matches!(
        SelectionOptions::new(Strategy::Digest, None, None, &[]),
        Err(SelectionError::MissingFollowTag)
    ));
}

#[test]
fn alphabetical_is_byte_order() {
    let list = tags(&["b", "a", "B", "c-1", "c"]);
    assert_eq!(
        pick(Strategy::Alphabetical, None, &list).as_deref(),
        Some("c-1")
    );
}

#[test]
fn malformed_allow_tags_select_nothing_and_warn() {
    let opts = SelectionOptions::new(Strategy::Semver, None, Some("regexp:(("), &[]).unwrap();
    let sel = opts.select(None, &tags(&["1.0.0", "2.0.0"])).unwrap();
    assert!(sel.chosen.is_none());
    assert_eq!(sel.filtered.allow_tags, 2);
    assert!(sel.warnings.iter().any(|w| w.contains("does not compile")));
}

#[test]
fn empty_listing_selects_nothing() {
    let sel = SelectionOptions::new(Strategy::Semver, Some("^1"), None, &[])
        .unwrap()
        .select(None, &[])
        .unwrap();
    assert!(sel.chosen.is_none());
    assert_eq!(sel.considered, 0);
}

#[test]
fn tag_equality_prefers_digests() {
    assert!(tags_equal("v1", None, "v1", None));
    assert!(tags_equal("v1", Some("abc"), "v1-x", Some("abc")));
    assert!(!tags_equal("v1", Some("abc"), "v1", Some("def")));
    assert!(!tags_equal("v1", Some("abc"), "v1", None));
    assert!(!tags_equal("v1", None, "v1", Some("abc")));
}
