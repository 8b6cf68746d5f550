//! Constraint tables restating the facts of Masterminds/semver v3.4's constraint tests,
//! grouped by rule; each row is (constraint, version, satisfied).

use super::*;
use proptest::prelude::*;

fn check(constraint: &str, version: &str) -> bool {
    let c: Constraint = constraint
        .parse()
        .unwrap_or_else(|e| panic!("{constraint}: {e}"));
    let v: Version = version.parse().unwrap_or_else(|e| panic!("{version}: {e}"));
    c.matches(&v)
}

fn run(table: &[(&str, &str, bool)]) {
    for (c, v, want) in table {
        assert_eq!(check(c, v), *want, "version {v} against constraint {c}");
    }
}

#[test]
fn equality_and_bare_versions_with_wildcards() {
    run(&[
        ("=2.0.0", "2.0.0", true),
        ("=2.0.0", "1.2.3", false),
        ("1.2.3", "1.2.3", true),
        ("1.2.3", "1.2.4", false),
        ("v1.2.3", "1.2.3", true),
        ("= 2.0", "2.0.0", true),
        ("=2.0", "2.0.7", true),
        ("=2.0", "1.2.3", false),
        ("4.1", "4.1.0", true),
        ("2.1", "2.1.1", true),
        ("2.1", "2.2.1", false),
        ("2", "2.1.1", true),
        ("2", "1.0.0", false),
        ("2", "3.4.5", false),
        ("1.x", "1.4.0", true),
        ("1.x", "2.0.0", false),
        ("2.*", "2.1.1", true),
        ("2.*", "3.4.5", false),
        ("2.1.*", "2.1.1", true),
        ("2.1.*", "2.2.1", false),
        ("4.1.x", "4.1.3", true),
        ("0.x.x", "1.2.3", false),
        ("0.0.x", "1.2.3", false),
        ("0.0.0", "1.2.3", false),
        ("=0", "1.0.0", false),
        ("*", "1.0.0", true),
        ("*", "4.5.6", true),
        ("x", "0.0.1", true),
        ("X.2.3", "9.9.9", true),
        // Everything after a wildcard is ignored, even a stray `|` (Masterminds' class admits it).
        ("1.x.7", "1.3.0", true),
        ("x.|", "3.0.0", true),
    ]);
}

#[test]
fn not_equal() {
    run(&[
        ("!=4.1.0", "4.1.0", false),
        ("!=4.1.0", "4.1.1", true),
        ("!=4.1", "4.1.0", false),
        ("!=4.1", "4.1.1", false),
        ("!=4.1", "5.1.0", true),
        ("!=4.x", "5.1.0", true),
        ("!=4.x", "4.1.0", false),
        ("!=4.1.x", "4.2.0", true),
        ("!=4.2.x", "4.2.3", false),
        ("!=4.1-alpha", "4.1.0", true),
        ("!=4.1-alpha", "4.1.0-alpha", false),
        ("!=4.1-alpha", "4.1.1-alpha", false),
        // A pre-release never satisfies a group without a pre-release, even `!=`.
        ("!=4.1", "5.1.0-alpha.1", false),
        ("!=4.1.0", "5.1.0-alpha.1", false),
    ]);
}

#[test]
fn greater_and_less_with_partial_versions() {
    run(&[
        (">1.1", "4.1.0", true),
        (">1.1", "1.1.0", false),
        (">11", "11.1.0", false),
        (">11", "12.0.0", true),
        (">11.1", "11.1.0", false),
        (">11.1", "11.1.1", false),
        (">11.1", "11.2.1", true),
        (">0", "0.0.0", false),
        (">0", "1.0.0", true),
        (">1.1.1", "1.1.2", true),
        (">= 1.2", "1.2.0", true),
        (">=11", "11.1.2", true),
        (">=11.1", "11.1.2", true),
        (">=11.1", "11.0.2", false),
        (">=1.1", "0.0.9", false),
        ("=>1.1", "1.1.0", true),
        (">=0", "0.0.0", true),
        ("<11", "0.1.0", true),
        ("<11", "11.1.0", false),
        ("<1.1", "0.1.0", true),
        ("<1.1", "1.1.0", false),
        ("<1.1", "1.1.1", false),
        ("<1.x", "1.1.1", false),
        ("<1.x", "0.1.1", true),
        ("<1.x", "2.0.0", false),
        ("<2.x", "1.1.1", true),
        ("<1.1.x", "1.2.1", false),
        ("<1.1.x", "1.1.500", false),
        ("<1.1.x", "1.0.500", true),
        ("<1.2.x", "1.1.1", true),
        ("< 40.50.10", "40.50.9", true),
        ("<=11", "1.2.3", true),
        ("<=11", "12.2.3", false),
        ("<=11", "11.2.3", true),
        ("<=1.1", "1.2.3", false),
        ("<=1.1", "1.1.0", true),
        ("<=1.1", "1.1.1", true),
        ("<=1.x", "1.1.0", true),
        ("<=2.x", "3.0.0", false),
        ("<=1.1.x", "1.2.500", false),
        ("<=4.5", "3.7.0", true),
        ("<=4.5", "4.6.3", false),
        ("=<1.1", "1.1.0", true),
    ]);
}

#[test]
fn tilde() {
    run(&[
        ("~1.2.3", "1.2.4", true),
        ("~1.2.3", "1.2.2", false),
        ("~1.2.3", "1.3.4", false),
        ("~1.2", "1.2.4", true),
        ("~1.2", "1.3.4", false),
        ("~1", "1.2.4", true),
        ("~1", "1.4.0", true),
        ("~1", "2.3.4", false),
        ("~1.x", "1.3.5", true),
        ("~1.x", "2.1.1", false),
        ("~0.2.3", "0.2.5", true),
        ("~0.2.3", "0.3.5", false),
        ("~>1.2", "1.2.5", true),
        ("~1.3", "2.4.5", false),
        ("~*", "2.1.1", true),
        ("~0.0.0", "1.2.3", true),
    ]);
}

#[test]
fn caret() {
    run(&[
        ("^1.2.3", "1.8.9", true),
        ("^1.2.3", "2.8.9", false),
        ("^1.2.3", "1.2.1", false),
        ("^1.1.0", "2.1.0", false),
        ("^1.2", "1.8.9", true),
        ("^1.2", "2.8.9", false),
        ("^1", "1.8.9", true),
        ("^1", "2.8.9", false),
        ("^1.x", "1.1.1", true),
        ("^1.x", "2.1.1", false),
        ("^2.x", "1.1.1", false),
        ("^0.2.3", "0.2.5", true),
        ("^0.2.3", "0.5.6", false),
        ("^0.2", "0.2.5", true),
        ("^0.2", "0.5.6", false),
        ("^0.0.3", "0.0.3", true),
        ("^0.0.3", "0.0.4", false),
        ("^0.0", "0.0.3", true),
        ("^0.0", "0.1.4", false),
        ("^0.0", "1.0.4", false),
        ("^0", "0.2.3", true),
        ("^0", "1.1.4", false),
        ("^0.0.0", "1.2.3", false),
        // Documented upstream as "any", but the code reads `^*` as `^0.0.0`.
        ("^*", "0.0.0", true),
        ("^*", "0.0.1", false),
        ("^*", "3.0.0", false),
    ]);
}

#[test]
fn and_or_and_hyphen_ranges() {
    run(&[
        (">1.1, <2", "1.1.1", false),
        (">1.1, <2", "1.2.1", true),
        (">1.1, <3", "4.3.2", false),
        (">1.1 <2", "1.2.1", true),
        (">1.1    <3", "4.3.2", false),
        ("> 1.1, <     2", "1.1.1", false),
        (">   1.1, <2", "1.2.1", true),
        (">= 1.2 , < 2", "1.5.0", true),
        (">=1.1, <2, !=1.2.3", "1.2.3", false),
        (">=1.1 <2 !=1.2.3", "1.2.3", false),
        (">= 1.1 <2 != 1.2.3", "1.2.4", true),
        (">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true),
        (">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false),
        (">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true),
        (">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false),
        (">=1.1 <2 !=1.2.3 || > 3", "1.2.3", false),
        ("<1.0 || >=2.0", "0.9.0", true),
        ("<1.0 || >=2.0", "1.5.0", false),
        ("1.1 - 2", "1.1.1", true),
        ("1.1 - 2", "2.9.0", true),
        ("1.1 - 2", "3.0.0", false),
        ("1.5.0 - 4.5", "3.7.0", true),
        ("1.2 - 1.4.5", "1.4.5", true),
        ("1.2 - 1.4.5", "1.4.6", false),
        ("1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true),
        ("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true),
        ("3 - 4 || => 3.0, < 4", "4.5.0", true),
        // Without spaces it is a pre-release, not a range: `1.1-3` is 1.1.0-3.
        ("1.1-3", "4.3.2", false),
        ("12.3.34 ~1.2.3", "12.3.34", false),
    ]);
}

#[test]
fn prereleases_are_admitted_per_and_group() {
    run(&[
        ("*", "1.2.3-alpha.1", false),
        ("*-0", "1.2.3-alpha.1", true),
        (">=1.1", "4.1.0-beta", false),
        ("<=1.1", "0.1.0-alpha", false),
        ("<=1.1-a", "0.1.0-alpha", true),
        (">0", "0.0.1-alpha", false),
        (">0-0", "0.0.1-alpha", false),
        (">0.0-0", "0.0.1-alpha", false),
        (">0.0.0-0", "0.0.0-alpha", true),
        (">=0", "0.0.1-alpha", false),
        (">=0-0", "0.0.1-alpha", true),
        (">=0.0.0-0", "3.4.5-beta.1", true),
        (">=0.0.0-0", "1.2.3", true),
        ("<0", "0.0.0-alpha", false),
        ("<0-z", "0.0.0-alpha", true),
        (">1.2.3-alpha.1", "1.2.3-alpha.2", true),
        (">1.2.3-alpha.1", "1.3.3-alpha.2", true),
        ("^1.2.0", "1.2.1-alpha.1", false),
        ("^1.2.0-alpha.0", "1.2.1-alpha.1", true),
        ("^1.2.0-alpha.2", "1.2.0-alpha.1", false),
        ("^1.1.2-alpha", "1.2.1-beta1", true),
        ("^1.2.x-alpha", "1.1.1-beta1", false),
        ("^1.x", "1.1.1-beta1", false),
        ("^0.2.3-beta.2", "0.2.4-beta.2", true),
        ("^0.2.3-beta.2", "0.3.4-beta.2", false),
        ("~1.1", "1.1.1-alpha", false),
        ("~1.1-alpha", "1.1.1-beta", true),
        ("~1.1.1-beta", "1.1.1-alpha", false),
        ("~1.1.1-beta", "1.1.1", true),
        ("~1.2.3-beta.2", "1.2.4-beta.2", true),
        ("~1.2.3-beta.2", "1.3.4-beta.2", false),
        ("~1.3.5-alpha", "1.3.5-beta", true),
        // One pre-release anywhere in the AND group admits pre-releases for the whole group…
        (">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", true),
        (">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", true),
        (">=1.2.0-0, <2", "1.3.0-rc.1", true),
        (
            ">= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3",
            "1.0.1-beta",
            true,
        ),
        (
            ">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3",
            "1.0.1-beta",
            false,
        ),
        // …but not for the other `||` groups.
        (">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", false),
        ("1.2.3-rc.1", "1.2.3-rc.1", true),
        ("1.2.3-rc.1", "1.2.3", false),
    ]);
    assert!(
        "^1.2.0-0"
            .parse::<Constraint>()
            .unwrap()
            .admits_prerelease()
    );
    assert!(
        !"^1.2 || 2.x"
            .parse::<Constraint>()
            .unwrap()
            .admits_prerelease()
    );
    assert!(!Constraint::any_release().admits_prerelease());
}

#[test]
fn any_release_is_star() {
    let any = Constraint::any_release();
    assert_eq!(any.as_str(), "*");
    for (v, want) in [("0.0.0", true), ("99.1.2", true), ("1.0.0-rc.1", false)] {
        assert_eq!(any.matches(&v.parse().unwrap()), want, "{v}");
        assert_eq!(check("*", v), want, "{v}");
    }
}

#[test]
fn ranges_are_rewritten_as_masterminds_does() {
    let table: &[(&str, &str)] = &[
        ("2 - 3", ">= 2, <= 3 "),
        ("2 - 3, 2 - 3", ">= 2, <= 3 ,>= 2, <= 3 "),
        ("2 - 3, 4.0.0 - 5.1", ">= 2, <= 3 ,>= 4.0.0, <= 5.1 "),
        ("2 - 3 4.0.0 - 5.1", ">= 2, <= 3 >= 4.0.0, <= 5.1 "),
        ("1.0.0 - 2.0.0 <=2.0.0", ">= 1.0.0, <= 2.0.0 <=2.0.0"),
        ("1.1-3", "1.1-3"),
    ];
    for (input, want) in table {
        assert_eq!(rewrite_ranges(input), *want, "{input}");
    }
}

#[test]
fn invalid_constraints_are_errors_with_the_fix() {
    for bad in [
        "latest",
        "foo",
        ">= bar",
        "BAR >= 1.2.3",
        ">>1",
        "1.2.3.4",
        "12.3.4.1234",
        "12.3.34~ 1.2.3",
        "~1.2 ||",
        "|| 1.0",
        "=> =>1",
        "1.2-",
        ">=1.2.0-01",
        "1|2",
        "x1",
        "nightly",
        "stable",
    ] {
        let err = bad.parse::<Constraint>().unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("invalid semver constraint '{bad}': '")),
            "{bad}: {msg}"
        );
        assert!(msg.contains("(use e.g. '~1.2'"), "{bad}: {msg}");
        assert!(matches!(err, ConstraintError::Improper { .. }));
    }
    for empty in ["", "  "] {
        assert_eq!(
            empty.parse::<Constraint>().unwrap_err(),
            ConstraintError::Empty {
                input: empty.to_owned()
            }
        );
    }
    let err = "~1.2 || latest".parse::<Constraint>().unwrap_err();
    assert_eq!(
        err,
        ConstraintError::Improper {
            input: "~1.2 || latest".to_owned(),
            part: "latest".to_owned()
        }
    );
}

#[test]
fn accepted_shapes() {
    for ok in [
        ">= 1.1",
        ">40.50.60, < 50.70",
        "2.0",
        "v2.3.5-20161202202307-sha.e8fc5e5",
        ">= 1.2.3 < 2.0",
        ">= 1.2.3 < 2.0 || => 3.0 < 4",
        ">= 1.2.3, < 2.0 || => 3.0, < 4",
        "3 - 4 || => 3.0, < 4",
        "1.0.0 - 2.0.0, <=2.0.0",
        "~> 1.2",
        "\t^1.2\n",
    ] {
        let c: Constraint = ok.parse().unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(c.as_str(), ok);
        assert_eq!(c.to_string(), ok);
    }
}

proptest! {
    #[test]
    fn never_panics(s in "[0-9xX*<>=!~^|,. v-]{0,24}") {
        if let Ok(c) = s.parse::<Constraint>() {
            let _ = c.matches(&"1.2.3".parse().unwrap());
        }
    }

    #[test]
    fn a_release_satisfies_the_constraints_that_name_it(
        major in 0u64..50, minor in 0u64..50, patch in 0u64..50,
    ) {
        let text = format!("{major}.{minor}.{patch}");
        let v: Version = text.parse().unwrap();
        for op in ["", "=", ">=", "<=", "~", "^"] {
            let c = format!("{op}{text}");
            prop_assert!(check(&c, &text), "{}", c);
        }
        for op in ["!=", ">", "<"] {
            let c = format!("{op}{text}");
            prop_assert!(!check(&c, &text), "{}", c);
        }
        prop_assert!(Constraint::any_release().matches(&v));
        let pre: Version = format!("{text}-rc.1").parse().unwrap();
        let at_least = format!(">={text}");
        prop_assert!(!at_least.parse::<Constraint>().unwrap().matches(&pre));
    }
}
