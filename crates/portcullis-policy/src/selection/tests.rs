use super::*;
use proptest::prelude::{prop_assert_eq, prop_oneof, proptest};
use proptest::strategy::Strategy as Generator;

fn tags(names: &[&str]) -> Vec<TagInfo> {
    names.iter().map(|n| TagInfo::named(*n)).collect()
}

fn dated(list: &[(&str, i64)]) -> Vec<TagInfo> {
    list.iter()
        .map(|(n, t)| TagInfo::named(*n).with_created(Timestamp::from_second(*t).unwrap()))
        .collect()
}

fn options(strategy: Strategy, constraint: Option<&str>) -> SelectionOptions {
    let mut spec = UpdateSpec::new(strategy);
    spec.constraint = constraint.map(str::to_owned);
    SelectionOptions::new(spec).unwrap()
}

fn pick(strategy: Strategy, constraint: Option<&str>, list: &[TagInfo]) -> Option<String> {
    options(strategy, constraint)
        .select(list)
        .chosen
        .map(|t| t.name)
}

const VERSIONS: &[&str] = &["0.1", "0.5.1", "0.9", "1.0", "1.0.1", "1.1.2", "2.0.3"];

#[test]
fn semver_picks_the_highest_version_within_the_constraint() {
    // (constraint, tags, chosen)
    let table: &[(Option<&str>, &[&str], Option<&str>)] = &[
        (None, VERSIONS, Some("2.0.3")),
        (Some("^1.0"), VERSIONS, Some("1.1.2")),
        (Some("~1.0"), VERSIONS, Some("1.0.1")),
        (Some(">=1.0, <2"), VERSIONS, Some("1.1.2")),
        (Some(">= 0.5 <1"), VERSIONS, Some("0.9")),
        (Some("1.0"), VERSIONS, Some("1.0.1")),
        (Some("<0.5 || 2.x"), VERSIONS, Some("2.0.3")),
        (Some("0.1 - 0.9"), VERSIONS, Some("0.9")),
        (Some("!=2.0.3"), VERSIONS, Some("1.1.2")),
        (Some("~1.0"), &["0.1", "0.5.1", "0.9", "2.0.3"], None),
        (Some("~1.0"), &[], None),
        (None, &["zz", "bb", "yy", "latest"], None),
        (
            None,
            &["1.0.0", "v1.1.0", "1.2", "latest", "sha-abc"],
            Some("1.2"),
        ),
        (None, &["10.0.0", "9.0.0", "2.0.0"], Some("10.0.0")),
    ];
    for (constraint, list, want) in table {
        assert_eq!(
            pick(Strategy::Semver, *constraint, &tags(list)).as_deref(),
            *want,
            "{constraint:?} over {list:?}"
        );
    }
}

#[test]
fn without_a_constraint_prereleases_are_excluded() {
    let list = tags(&["v2.2.0", "v2.3.0-rc.0.18.g1abb7b5dd-ppc64le"]);
    let sel = options(Strategy::Semver, None).select(&list);
    assert_eq!(sel.chosen.unwrap().name, "v2.2.0");
    assert_eq!(sel.dropped.prerelease, 1);
}

#[test]
fn prereleases_need_a_prerelease_in_the_constraint_group() {
    let list = tags(&["1.2.0", "1.3.0-rc.1", "2.0.0-rc.1"]);
    // (constraint, chosen)
    let table: &[(&str, Option<&str>)] = &[
        ("^1.0", Some("1.2.0")),
        ("^1.0.0-0", Some("1.3.0-rc.1")),
        // The group names a pre-release, so `<2` admits 2.0.0-rc.1 (it precedes 2.0.0).
        (">=1.2.0-0, <2", Some("2.0.0-rc.1")),
        (">=1.2.0-0, <2.0.0-0", Some("1.3.0-rc.1")),
        (">=1.2.0-0", Some("2.0.0-rc.1")),
        ("*-0", Some("2.0.0-rc.1")),
        ("^1.0 || >=2.0.0-0", Some("2.0.0-rc.1")),
    ];
    for (constraint, want) in table {
        assert_eq!(
            pick(Strategy::Semver, Some(constraint), &list).as_deref(),
            *want,
            "{constraint}"
        );
    }
}

#[test]
fn semver_ties_go_to_the_greater_original_string() {
    let table: &[(&[&str], &str)] = &[
        (&["1.0", "1.0.0", "v1.0.0"], "v1.0.0"),
        (&["v1.0.0", "1.0.0", "1.0"], "v1.0.0"),
        (&["1.0.0", "1.0"], "1.0.0"),
        (&["1.0.0+b", "1.0.0+a"], "1.0.0+b"),
    ];
    for (list, want) in table {
        assert_eq!(
            pick(Strategy::Semver, None, &tags(list)).as_deref(),
            Some(*want),
            "{list:?}"
        );
    }
}

#[test]
fn the_deployed_tag_need_not_be_a_version() {
    // Image Updater stopped validating the current tag against semver (#1473): selection does
    // not look at it at all, so a deployment on `latest` can move to a version.
    let sel = options(Strategy::Semver, Some("^1.0")).select(&tags(VERSIONS));
    assert_eq!(sel.chosen.unwrap().name, "1.1.2");
}

#[test]
fn invalid_constraint_is_an_error_not_a_skip() {
    let err = SelectionOptions::new(UpdateSpec::new(Strategy::Semver).with_constraint("latest"))
        .unwrap_err();
    assert!(matches!(err, SelectionError::Constraint(_)));
    assert_eq!(
        err.to_string(),
        "invalid semver constraint 'latest': 'latest' is not a version constraint (use e.g. '~1.2', '^1.2.0', '1.x', '>=1.2, <2' or 'a || b')"
    );
    // An empty constraint is no constraint.
    let none =
        SelectionOptions::new(UpdateSpec::new(Strategy::Semver).with_constraint("")).unwrap();
    assert_eq!(none.constraint(), None);
}

#[test]
fn newest_build_by_date_ties_to_the_greater_name_and_drops_undated() {
    // Image Updater's fixture: dates 0, 5, 10…; the repeated `yy` keeps its last date.
    let mut list = dated(&[
        ("zz", 0),
        ("bb", 5),
        ("yy", 10),
        ("cc", 15),
        ("yy", 20),
        ("aa", 25),
        ("ll", 30),
    ]);
    let sel = options(Strategy::NewestBuild, None).select(&list);
    assert_eq!(sel.chosen.as_ref().unwrap().name, "ll");
    assert_eq!(sel.considered, 6);
    list.push(TagInfo::named("zzz-undated"));
    list.extend(dated(&[("aaa", 30)]));
    let sel = options(Strategy::NewestBuild, None).select(&list);
    assert_eq!(
        sel.chosen.unwrap().name,
        "ll",
        "tie at 30 goes to the greater name"
    );
    assert_eq!(sel.dropped.no_creation_date, 1);
    let none = options(Strategy::NewestBuild, None).select(&tags(&["a", "b"]));
    assert!(none.chosen.is_none());
    assert_eq!(none.dropped.no_creation_date, 2);
}

#[test]
fn alphabetical_is_byte_order() {
    let table: &[(&[&str], &str)] = &[
        (&["zz", "bb", "yy", "cc", "yy", "aa", "ll"], "zz"),
        (&["b", "a", "B", "c-1", "c"], "c-1"),
        (&["v9", "v10"], "v9"),
        (&["Z", "a"], "a"),
    ];
    for (list, want) in table {
        assert_eq!(
            pick(Strategy::Alphabetical, None, &tags(list)).as_deref(),
            Some(*want),
            "{list:?}"
        );
    }
}

#[test]
fn digest_follows_one_tag_and_needs_it() {
    let digest: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
    let list = vec![
        TagInfo::named("latest").with_digest(digest.clone()),
        TagInfo::named("stable"),
        TagInfo::named("1.0"),
    ];
    let sel = options(Strategy::Digest, Some("latest")).select(&list);
    let chosen = sel.chosen.unwrap();
    assert_eq!(
        (chosen.name.as_str(), chosen.digest),
        ("latest", Some(digest))
    );
    assert_eq!(sel.dropped.other_tag, 2);
    assert_eq!(pick(Strategy::Digest, Some("gone"), &list), None);
    for missing in [None, Some("")] {
        let mut spec = UpdateSpec::new(Strategy::Digest);
        spec.constraint = missing.map(str::to_owned);
        let err = SelectionOptions::new(spec).unwrap_err();
        assert_eq!(err, SelectionError::MissingFollowTag);
        assert!(
            err.to_string()
                .starts_with("the digest strategy needs the tag to follow")
        );
    }
    let odd = options(Strategy::Digest, Some("no such tag"));
    assert!(
        odd.warnings()[0].contains("not a valid tag name"),
        "{:?}",
        odd.warnings()
    );
    assert_eq!(odd.follow_tag(), Some("no such tag"));
}

#[test]
fn filters_run_before_the_strategy_and_are_counted() {
    let list = tags(&[
        "1.0.0",
        "1.1.0-debug",
        "1.2.0",
        "1.3.0-rc.1",
        "2.0.0",
        "latest",
        "sha-abc",
        "1.2.0",
    ]);
    let spec = UpdateSpec::new(Strategy::Semver)
        .with_constraint("^1.0")
        .with_allow_tags(AllowTags::parse("regexp:^[0-9l]"))
        .with_ignore_tags(["*-debug"]);
    let opts = SelectionOptions::new(spec).unwrap();
    let sel = opts.select(&list);
    assert_eq!(sel.chosen.as_ref().unwrap().name, "1.2.0");
    assert_eq!(sel.considered, 7, "duplicates count once");
    let want = FilterCounts {
        allow_tags: 1,
        ignore_tags: 1,
        not_semver: 1,
        prerelease: 1,
        constraint: 1,
        ..FilterCounts::default()
    };
    assert_eq!(sel.dropped, want);
    assert_eq!(sel.eligible, 2);
    assert_eq!(sel.dropped.total() + sel.eligible, sel.considered);
    assert_eq!(
        sel.explain(),
        "chose '1.2.0' (highest version); strategy semver, constraint '^1.0'; 2 of 7 tag(s) eligible\n  \
         1 not allowed by allow-tags\n  1 ignored by ignore-tags\n  1 not a semantic version\n  \
         1 pre-release (the constraint names no pre-release)\n  1 outside the constraint"
    );
    assert!(opts.passes_filters("1.0.0"));
    assert!(!opts.passes_filters("sha-abc"));
    assert!(!opts.passes_filters("1.1.0-debug"));
}

#[test]
fn malformed_filters_select_nothing_and_warn() {
    let spec = UpdateSpec::new(Strategy::Semver).with_allow_tags(AllowTags::parse("regexp:(("));
    let sel = SelectionOptions::new(spec)
        .unwrap()
        .select(&tags(&["1.0.0", "2.0.0"]));
    assert!(sel.chosen.is_none());
    assert_eq!(sel.dropped.allow_tags, 2);
    assert_eq!(sel.warnings.len(), 1);
    assert!(
        sel.warnings[0].contains("does not compile"),
        "{:?}",
        sel.warnings
    );
    assert!(
        sel.explain()
            .contains("\n  warning: allow-tags 'regexp:((':"),
        "{}",
        sel.explain()
    );

    let spec = UpdateSpec::new(Strategy::Semver).with_ignore_tags(["dev", "[a-"]);
    let sel = SelectionOptions::new(spec)
        .unwrap()
        .select(&tags(&["1.0.0", "dev"]));
    assert!(sel.chosen.is_none());
    assert_eq!(sel.dropped.ignore_tags, 2);
    assert!(
        sel.warnings[0].contains("every tag is ignored"),
        "{:?}",
        sel.warnings
    );
}

#[test]
fn ignore_star_ignores_everything() {
    let spec = UpdateSpec::new(Strategy::Alphabetical).with_ignore_tags(["*"]);
    let sel = SelectionOptions::new(spec)
        .unwrap()
        .select(&tags(&["a", "b"]));
    assert!(sel.chosen.is_none());
    assert_eq!(sel.dropped.ignore_tags, 2);
    assert!(sel.warnings.is_empty());
}

#[test]
fn deprecated_alias_and_ignored_constraint_warn() {
    let spec = UpdateSpec::named("latest").unwrap().with_constraint("1.x");
    let opts = SelectionOptions::new(spec).unwrap();
    assert_eq!(opts.strategy(), Strategy::NewestBuild);
    assert_eq!(
        opts.warnings(),
        [
            "update strategy 'latest' is deprecated and was renamed to 'newest-build'; write 'newest-build'",
            "constraint '1.x' is ignored by the newest-build strategy",
        ]
    );
    assert!(UpdateSpec::named("newest").is_err());
}

#[test]
fn explain_without_a_choice_says_so() {
    let sel = options(Strategy::Semver, None).select(&tags(&["latest"]));
    assert_eq!(
        sel.explain(),
        "no tag qualifies; strategy semver, constraint none (any release); 0 of 1 tag(s) eligible\n  1 not a semantic version"
    );
}

#[test]
fn rank_is_image_updaters_sort_order() {
    let semver = options(Strategy::Semver, None);
    let list = tags(&["v2.0.2", "v1.0", "v2.0.0", "v1.0.1", "v2.0.3", "v2.0"]);
    let names: Vec<&str> = semver.rank(&list).iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["v1.0", "v1.0.1", "v2.0", "v2.0.0", "v2.0.2", "v2.0.3"]
    );

    let by_date = options(Strategy::NewestBuild, None);
    let list = dated(&[
        ("v2.0.2", 4),
        ("v1.0", 1),
        ("v1.0.1", 0),
        ("v2.0.3", 3),
        ("v2.0", 2),
    ]);
    let names: Vec<&str> = by_date
        .rank(&list)
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, ["v1.0.1", "v1.0", "v2.0", "v2.0.3", "v2.0.2"]);
    let same = dated(&[
        ("v2.0.2", 0),
        ("v1.0", 0),
        ("v1.0.1", 0),
        ("v2.0.3", 0),
        ("v2.0", 0),
    ]);
    let names: Vec<&str> = by_date
        .rank(&same)
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, ["v1.0", "v1.0.1", "v2.0", "v2.0.2", "v2.0.3"]);

    let by_name = options(Strategy::Alphabetical, None);
    let list = tags(&["wohoo", "bazar", "alpha", "jesus", "zebra"]);
    let names: Vec<&str> = by_name
        .rank(&list)
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, ["alpha", "bazar", "jesus", "wohoo", "zebra"]);
}

fn tag_name() -> impl Generator<Value = String> {
    prop_oneof![
        "v?[0-9]{1,2}(\\.[0-9]{1,2}){0,2}(-rc\\.[0-9])?",
        "[a-z]{1,6}",
        "sha-[0-9a-f]{4}",
    ]
}

proptest! {
    #[test]
    fn every_tag_is_eligible_or_dropped_once_and_the_choice_is_the_maximum(
        names in proptest::collection::vec(tag_name(), 0..40),
        dates in proptest::collection::vec(proptest::option::of(0i64..5), 40),
        strategy in proptest::sample::select(vec![Strategy::Semver, Strategy::NewestBuild, Strategy::Alphabetical]),
        constraint in proptest::sample::select(vec![None, Some("^1"), Some(">=2.0.0-0"), Some("1.x || 3.x")]),
    ) {
        let list: Vec<TagInfo> = names
            .iter()
            .zip(&dates)
            .map(|(n, d)| TagInfo {
                name: n.clone(),
                created: d.map(|s| Timestamp::from_second(s).unwrap()),
                digest: None,
            })
            .collect();
        let mut spec = UpdateSpec::new(strategy).with_ignore_tags(["*-rc.9"]);
        if strategy == Strategy::Semver {
            spec.constraint = constraint.map(str::to_owned);
        }
        let opts = SelectionOptions::new(spec).unwrap();
        let sel = opts.select(&list);
        let distinct: std::collections::BTreeSet<&str> = names.iter().map(String::as_str).collect();
        prop_assert_eq!(sel.considered, distinct.len());
        prop_assert_eq!(sel.dropped.total() + sel.eligible, sel.considered);
        let ranked = opts.rank(&list);
        prop_assert_eq!(ranked.len(), sel.eligible);
        prop_assert_eq!(sel.chosen.as_ref(), ranked.last().copied());
        // Without duplicate names (whose last entry wins), the input order does not matter.
        if distinct.len() == names.len() {
            let mut reversed = list.clone();
            reversed.reverse();
            prop_assert_eq!(sel.chosen, opts.select(&reversed).chosen);
        }
    }
}
