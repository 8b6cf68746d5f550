//! Tables in the spirit of Masterminds/semver's own constraint tests.

use super::*;

fn check(constraint: &str, version: &str) -> bool {
    let c: Constraint = constraint
        .parse()
        .unwrap_or_else(|e| panic!("{constraint}: {e}"));
    c.matches(&version.parse().unwrap())
}

#[test]
fn operators() {
    let table: &[(&str, &str, bool)] = &[
        ("1.2.3", "1.2.3", true),
        ("1.2.3", "1.2.4", false),
        ("=1.2.3", "1.2.3", true),
        ("!=4.1", "4.1.0", false),
        ("!=4.1", "5.1.0", true),
        ("!=4.x", "5.1.0", true),
        ("!=4.x", "4.1.0", false),
        ("!=4.1.x", "4.2.0", true),
        ("!=4.2.x", "4.2.3", false),
        (">1.1", "4.1.0", true),
        (">1.1", "1.1.0", false),
        (">1.1", "1.1.1", false),
        (">1.1", "1.2.0", true),
        (">11", "11.1.0", false),
        (">11", "12.0.0", true),
        (">0", "0.0.1", false),
        (">0", "1.0.0", true),
        (">1.1.1", "1.1.2", true),
        ("<1.1", "1.0.9", true),
        ("<1.1", "1.1.0", false),
        ("<1.1", "1.1.1", false),
        ("<=1.1", "1.1.1", true),
        ("<=1.1", "1.2.0", false),
        ("<=1.x", "1.9.9", true),
        ("<=1.x", "2.0.0", false),
        ("<=1.2.3", "1.2.4", false),
        (">=1.1", "1.1.0", true),
        (">=1.1", "1.0.9", false),
        ("=>1.1", "1.1.0", true),
        ("=<1.1", "1.1.0", true),
    ];
    for (c, v, want) in table {
        assert_eq!(check(c, v), *want, "{v} against {c}");
    }
}

#[test]
fn tilde_caret_and_wildcards() {
    let table: &[(&str, &str, bool)] = &[
        ("~1.2.3", "1.2.4", true),
        ("~1.2.3", "1.3.0", false),
        ("~1.2", "1.2.9", true),
        ("~1.2", "1.3.0", false),
        ("~1", "1.9.0", true),
        ("~1", "2.0.0", false),
        ("~1.x", "1.9.0", true),
        ("~>1.2", "1.2.5", true),
        ("~0.0.0", "5.0.0", true),
        ("~*", "5.0.0", true),
        ("^1.2.3", "1.9.0", true),
        ("^1.2.3", "2.0.0", false),
        ("^1.2.3", "1.2.2", false),
        ("^1.2", "1.2.0", true),
        ("^1", "1.99.0", true),
        ("^0.2.3", "0.2.9", true),
        ("^0.2.3", "0.3.0", false),
        ("^0.2", "0.2.0", true),
        ("^0.0.3", "0.0.3", true),
        ("^0.0.3", "0.0.4", false),
        ("^0.0", "0.0.9", true),
        ("^0.0", "0.1.0", false),
        ("^0", "0.9.9", true),
        ("^0", "1.0.0", false),
        ("^*", "3.0.0", true),
        ("1.x", "1.5.0", true),
        ("1.x", "2.0.0", false),
        ("1.2.x", "1.2.7", true),
        ("1.2.x", "1.3.0", false),
        ("1.2.*", "1.2.7", true),
        ("1.2", "1.2.5", true),
        ("1.2", "1.3.0", false),
        ("1", "1.4.0", true),
        ("*", "7.0.0", true),
        ("x", "0.0.1", true),
        ("v1.2", "1.2.1", true),
    ];
    for (c, v, want) in table {
        assert_eq!(check(c, v), *want, "{v} against {c}");
    }
}

#[test]
fn and_or_and_ranges() {
    let table: &[(&str, &str, bool)] = &[
        (">=1.2, <2", "1.9.9", true),
        (">=1.2, <2", "2.0.0", false),
        (">=1.2 <2", "1.5.0", true),
        (">= 1.2 , < 2", "1.5.0", true),
        (">=1.2,<2", "1.1.0", false),
        ("<1.0 || >=2.0", "0.9.0", true),
        ("<1.0 || >=2.0", "1.5.0", false),
        ("<1.0 || >=2.0", "2.5.0", true),
        ("1.2 - 1.4.5", "1.3.0", true),
        ("1.2 - 1.4.5", "1.4.5", true),
        ("1.2 - 1.4.5", "1.4.6", false),
        ("1.2.3 - 2", "2.9.0", true),
        ("1.2.3 - 2", "3.0.0", false),
    ];
    for (c, v, want) in table {
        assert_eq!(check(c, v), *want, "{v} against {c}");
    }
}

#[test]
fn prereleases_need_a_prerelease_in_each_constraint() {
    let table: &[(&str, &str, bool)] = &[
        ("^1.2", "1.3.0-rc.1", false),
        (">=1.0", "1.3.0-rc.1", false),
        ("*", "1.0.0-alpha", false),
        ("^1.2.0-0", "1.3.0-rc.1", true),
        (">=1.2.0-0", "1.3.0-rc.1", true),
        (">=1.2.0-0", "1.2.0-alpha", true),
        ("~1.2.0-beta", "1.2.0-alpha", false),
        ("~1.2.0-beta", "1.2.0-beta.2", true),
        (">=1.2.0-0, <2", "1.3.0-rc.1", false),
        (">=1.2.0-0, <2.0.0-0", "1.3.0-rc.1", true),
        ("1.2.3-rc.1", "1.2.3-rc.1", true),
        ("1.2.3-rc.1", "1.2.3", false),
    ];
    for (c, v, want) in table {
        assert_eq!(check(c, v), *want, "{v} against {c}");
    }
    assert!("^1.2.0-0".parse::<Constraint>().unwrap().has_prerelease());
    assert!(!"^1.2".parse::<Constraint>().unwrap().has_prerelease());
}

#[test]
fn invalid_constraints_are_errors_with_the_fix() {
    for bad in [
        "latest", "abc", ">>1", "1.2.3.4", "~1.2 ||", "=> =>1", "1.2-", "nightly",
    ] {
        let err = bad.parse::<Constraint>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("invalid semver constraint"), "{bad}: {msg}");
        assert!(msg.contains("e.g."), "{bad}: {msg}");
    }
    assert_eq!(
        "  ".parse::<Constraint>().unwrap_err(),
        ConstraintError::Empty
    );
}

proptest::proptest! {
    #[test]
    fn never_panics(s in "[0-9xX*<>=!~^|,. v-]{0,20}") {
        if let Ok(c) = s.parse::<Constraint>() {
            let _ = c.matches(&"1.2.3".parse().unwrap());
        }
    }
}
