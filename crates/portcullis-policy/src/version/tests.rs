//! Version parsing and ordering, from Masterminds/semver's own version tables (rephrased).

use super::*;
use proptest::prelude::*;

fn v(s: &str) -> Version {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn lenient_forms_parse_to_their_canonical_version() {
    let table: &[(&str, &str)] = &[
        ("1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("1.0", "1.0.0"),
        ("v1.0", "1.0.0"),
        ("1", "1.0.0"),
        ("v2", "2.0.0"),
        ("1.2.3-rc.1+build.5", "1.2.3-rc.1+build.5"),
        ("1.2-beta", "1.2.0-beta"),
        ("1-rc-1", "1.0.0-rc-1"),
        ("1.2.3+20130313144700", "1.2.3+20130313144700"),
        ("1.0.0-alpha+001", "1.0.0-alpha+001"),
        // Masterminds coerces leading zeros in the numeric parts (calendar versions).
        ("01.02.03", "1.2.3"),
        ("2024.01.15", "2024.1.15"),
        (
            "v2.3.5-20161202202307-sha.e8fc5e5",
            "2.3.5-20161202202307-sha.e8fc5e5",
        ),
        ("1.2.3-0", "1.2.3-0"),
        ("1.2.3-0a", "1.2.3-0a"),
    ];
    for (input, canonical) in table {
        let parsed = v(input);
        assert_eq!(parsed.to_string(), *canonical, "{input}");
        assert_eq!(parsed.original(), *input);
    }
    let full = v("v1.2.3-rc.1+b.7");
    assert_eq!(
        (full.major(), full.minor(), full.patch()),
        (1, 2, 3),
        "components"
    );
    assert_eq!((full.pre(), full.build()), ("rc.1", "b.7"));
    assert!(full.is_prerelease());
}

#[test]
fn non_versions_are_rejected_with_the_reason() {
    let table: &[(&str, &str)] = &[
        ("", "digits"),
        ("v", "digits"),
        ("latest", "digits"),
        ("V1.0", "digits"),
        ("vv1", "digits"),
        ("1.2.3.4", "more than three"),
        ("1..2", "digits"),
        (".1", "digits"),
        ("1.2.x", "digits"),
        ("1.2.3-", "empty pre-release"),
        ("1.2.3-a..b", "empty pre-release"),
        ("1.2.3-01", "leading zero"),
        ("1.2.3-rc.01", "leading zero"),
        ("1.2.3+", "build metadata"),
        ("1.2.3+a+b", "build metadata"),
        ("1.2.3-ä", "pre-release may hold"),
        ("-1", "digits"),
        (" 1.0", "digits"),
        ("1.0 ", "digits"),
        ("99999999999999999999", "too large"),
        ("sha-1a2b3c", "digits"),
    ];
    for (input, reason) in table {
        let err = input.parse::<Version>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(reason), "{input:?}: {msg}");
        assert!(
            msg.starts_with(&format!("'{input}' is not a semantic version")),
            "{msg}"
        );
        assert_eq!(err.input(), *input);
    }
}

#[test]
fn precedence_follows_semver_two() {
    let ascending = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
        "10.0.0",
    ];
    for w in ascending.windows(2) {
        assert_eq!(
            v(w[0]).precedence(&v(w[1])),
            Ordering::Less,
            "{} < {}",
            w[0],
            w[1]
        );
        assert_eq!(v(w[1]).precedence(&v(w[0])), Ordering::Greater);
    }
    assert_eq!(v("1.0").precedence(&v("v1.0.0")), Ordering::Equal);
    assert_eq!(v("1.0.0+a").precedence(&v("1.0.0+b")), Ordering::Equal);
    // A pre-release identifier too large for 64 bits is compared as a word, as Go's ParseUint
    // failing makes Masterminds do.
    assert_eq!(
        v("1.0.0-99999999999999999999").precedence(&v("1.0.0-5")),
        Ordering::Greater
    );
}

#[test]
fn ties_break_on_the_original_string() {
    let mut list = [v("v1.0.0"), v("1.0"), v("1.0.0")];
    list.sort();
    let names: Vec<&str> = list.iter().map(Version::original).collect();
    assert_eq!(names, ["1.0", "1.0.0", "v1.0.0"]);
    assert_ne!(v("1.0"), v("1.0.0"));
    assert_eq!(v("1.0"), v("1.0"));
}

/// A version string in one of the lenient shapes NewVersion accepts.
fn version_string() -> impl Strategy<Value = String> {
    let ident = prop_oneof!["0|[1-9][0-9]{0,3}", "[0-9]{0,2}[A-Za-z-][0-9A-Za-z-]{0,4}",];
    (
        proptest::bool::ANY,
        0u64..2000,
        proptest::option::of(0u64..2000),
        proptest::option::of(0u64..2000),
        proptest::option::of(proptest::collection::vec(ident, 1..4)),
        proptest::option::of("[0-9A-Za-z-]{1,5}(\\.[0-9A-Za-z-]{1,5}){0,2}"),
    )
        .prop_map(|(vee, major, minor, patch, pre, build)| {
            let mut s = String::new();
            if vee {
                s.push('v');
            }
            s.push_str(&major.to_string());
            if let Some(m) = minor {
                s.push_str(&format!(".{m}"));
                if let Some(p) = patch {
                    s.push_str(&format!(".{p}"));
                }
            }
            if let Some(pre) = pre {
                s.push('-');
                s.push_str(&pre.join("."));
            }
            if let Some(b) = build {
                s.push('+');
                s.push_str(&b);
            }
            s
        })
}

proptest! {
    #[test]
    fn display_parses_back_to_the_same_version(s in version_string()) {
        let parsed = v(&s);
        let shown = parsed.to_string();
        let again = v(&shown);
        prop_assert_eq!(parsed.precedence(&again), Ordering::Equal);
        prop_assert_eq!(again.to_string(), shown);
        prop_assert_eq!(parsed.build(), again.build());
    }

    #[test]
    fn ordering_is_total_and_consistent(a in version_string(), b in version_string(), c in version_string()) {
        let (a, b, c) = (v(&a), v(&b), v(&c));
        // antisymmetric
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        // transitive
        if a <= b && b <= c {
            prop_assert!(a <= c);
        }
        // consistent with Eq, and with precedence
        prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
        prop_assert_eq!(a == b, a.original() == b.original());
        if a.precedence(&b) != Ordering::Equal {
            prop_assert_eq!(a.cmp(&b), a.precedence(&b));
        }
        prop_assert_eq!(a.precedence(&b), b.precedence(&a).reverse());
    }

    #[test]
    fn never_panics(s in "\\PC{0,30}") {
        let _ = s.parse::<Version>();
    }
}
