//! Cases from the distribution reference grammar and Docker's normalisation rules.

use super::*;

const HEX: &str = "ffd2e7a3dd2a4a9f2b5b3b8a1b1f3a2f7f6e5d4c3b2a19080706050403020100";

fn ok(input: &str) -> ImageRef {
    input
        .parse()
        .unwrap_or_else(|e| panic!("{input} should parse: {e}"))
}

#[test]
fn normalises_docker_hub_names() {
    let cases = [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("library/nginx", "docker.io/library/nginx"),
        ("bitnami/nginx", "docker.io/bitnami/nginx"),
        ("docker.io/nginx", "docker.io/library/nginx"),
        ("index.docker.io/nginx", "docker.io/library/nginx"),
        ("index.docker.io/a/b", "docker.io/a/b"),
        (
            "docker.io/library/nginx:latest",
            "docker.io/library/nginx:latest",
        ),
        ("a/b/c", "docker.io/a/b/c"),
    ];
    for (input, want) in cases {
        assert_eq!(ok(input).to_string(), want, "{input}");
    }
}

#[test]
fn recognises_registries_by_dot_colon_localhost_or_uppercase() {
    let cases = [
        ("ghcr.io/org/app:1.2", "ghcr.io", "org/app", Some("1.2")),
        ("localhost/app", "localhost", "app", None),
        ("localhost:5000/app", "localhost:5000", "app", None),
        (
            "registry:5000/classic-web",
            "registry:5000",
            "classic-web",
            None,
        ),
        ("reg:5000/a/b/c:tag", "reg:5000", "a/b/c", Some("tag")),
        ("127.0.0.1:5000/x/y", "127.0.0.1:5000", "x/y", None),
        ("[::1]:5000/app", "[::1]:5000", "app", None),
        ("[2001:db8::1]/app", "[2001:db8::1]", "app", None),
        ("Example/app", "Example", "app", None),
        (
            "harbor.example.com/library/test-image:0.1",
            "harbor.example.com",
            "library/test-image",
            Some("0.1"),
        ),
    ];
    for (input, registry, path, tag) in cases {
        let r = ok(input);
        assert_eq!(r.repository().registry(), registry, "{input}");
        assert_eq!(r.repository().path(), path, "{input}");
        assert_eq!(r.tag().map(Tag::as_str), tag, "{input}");
    }
}

#[test]
fn keeps_tag_and_digest_together() {
    let input = format!("reg:5000/a/b/c:tag@sha256:{HEX}");
    let r = ok(&input);
    assert_eq!(r.repository().to_string(), "reg:5000/a/b/c");
    assert_eq!(r.tag().unwrap().as_str(), "tag");
    assert_eq!(r.digest().unwrap().hex(), HEX);
    assert_eq!(r.to_string(), input);

    let pinned = ok(&format!("localhost:5000/app@sha256:{HEX}"));
    assert!(pinned.tag().is_none());
    assert_eq!(pinned.digest().unwrap().algorithm(), "sha256");
}

#[test]
fn familiar_form_drops_docker_hub_defaults() {
    assert_eq!(ok("docker.io/library/nginx:1").familiar(), "nginx:1");
    assert_eq!(ok("bitnami/nginx").familiar(), "bitnami/nginx");
    assert_eq!(ok("ghcr.io/a/b:1").familiar(), "ghcr.io/a/b:1");
}

#[test]
fn rejects_upper_case_paths_naming_the_path() {
    let err = "docker.io/Library/Nginx".parse::<ImageRef>().unwrap_err();
    assert!(matches!(&err, ReferenceError::Uppercase { path, .. } if path == "Library/Nginx"));
    assert!(err.to_string().contains("must be lowercase"), "{err}");
    assert!(matches!(
        "ghcr.io/Org/app".parse::<ImageRef>(),
        Err(ReferenceError::Uppercase { .. })
    ));
}

#[test]
fn rejects_invalid_input_with_the_part_at_fault() {
    type Check = fn(&ReferenceError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("", |e| matches!(e, ReferenceError::Empty)),
        (":tag", |e| {
            matches!(e, ReferenceError::InvalidPathComponent { .. })
        }),
        (
            "a//b",
            |e| matches!(e, ReferenceError::InvalidPathComponent { component, .. } if component.is_empty()),
        ),
        ("a/-b", |e| {
            matches!(e, ReferenceError::InvalidPathComponent { .. })
        }),
        ("a/b-", |e| {
            matches!(e, ReferenceError::InvalidPathComponent { .. })
        }),
        ("a/b___c", |e| {
            matches!(e, ReferenceError::InvalidPathComponent { .. })
        }),
        ("a/b..c", |e| {
            matches!(e, ReferenceError::InvalidPathComponent { .. })
        }),
        ("nginx:~1.26", |e| {
            matches!(e, ReferenceError::InvalidTag { .. })
        }),
        ("nginx:", |e| matches!(e, ReferenceError::InvalidTag { .. })),
        ("nginx@sha256:abcde", |e| {
            matches!(e, ReferenceError::InvalidDigest { .. })
        }),
        ("nginx@sha256:abc@sha256:def", |e| {
            matches!(e, ReferenceError::InvalidDigest { .. })
        }),
        ("-reg.io/app", |e| {
            matches!(e, ReferenceError::InvalidRegistry { .. })
        }),
        ("reg.io:port/app", |e| {
            matches!(e, ReferenceError::InvalidRegistry { .. })
        }),
        ("[zz]/app", |e| {
            matches!(e, ReferenceError::InvalidPathComponent { .. })
        }),
        ("[zz]:1/app", |e| {
            matches!(e, ReferenceError::InvalidRegistry { .. })
        }),
        (HEX, |e| matches!(e, ReferenceError::HexIdentifier { .. })),
    ];
    for (input, check) in cases {
        let err = input
            .parse::<ImageRef>()
            .expect_err(&format!("{input:?} must be rejected"));
        assert!(check(&err), "{input:?} gave {err:?}");
    }
    let long = format!("a/{}", "b".repeat(254));
    assert!(matches!(
        long.parse::<ImageRef>(),
        Err(ReferenceError::NameTooLong { len: 256, .. })
    ));
}

#[test]
fn separators_follow_the_grammar() {
    for ok_name in ["a/b_c", "a/b__c", "a/b.c", "a/b-c", "a/b---c", "a/b-c.d_e"] {
        ok(ok_name);
    }
}

#[test]
fn repository_rejects_tags() {
    assert_eq!(
        "ghcr.io/a/b".parse::<Repository>().unwrap().to_string(),
        "ghcr.io/a/b"
    );
    assert!(matches!(
        "ghcr.io/a/b:1".parse::<Repository>(),
        Err(ReferenceError::NotARepository { .. })
    ));
}

#[test]
fn with_tag_drops_the_old_digest_and_with_digest_keeps_the_tag() {
    let r = ok(&format!("ghcr.io/a/b:1@sha256:{HEX}"));
    let moved = r.with_tag("2".parse().unwrap());
    assert_eq!(moved.to_string(), "ghcr.io/a/b:2");
    let pinned = moved.with_digest(format!("sha256:{HEX}").parse().unwrap());
    assert_eq!(pinned.to_string(), format!("ghcr.io/a/b:2@sha256:{HEX}"));
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn component() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,6}((\\.|_|__|-{1,2})[a-z0-9]{1,6}){0,2}"
    }

    fn reference() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                Just(String::new()),
                Just("ghcr.io/".to_owned()),
                Just("localhost:5000/".to_owned()),
                Just("docker.io/".to_owned()),
                Just("[::1]:443/".to_owned()),
                "[a-z]{1,8}\\.[a-z]{2,3}(:[0-9]{1,5})?/".prop_map(|s| s),
            ],
            proptest::collection::vec(component(), 1..4),
            proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
            proptest::option::of("[a-f0-9]{64}"),
        )
            .prop_map(|(reg, path, tag, digest)| {
                // Without a registry, a first element with a '.' would read as a host
                // (Docker's rule); give such paths a plain first element.
                let needs_owner = reg.is_empty() && path[0].contains('.');
                let owner = if needs_owner { "acme/" } else { "" };
                let mut s = format!("{reg}{owner}{}", path.join("/"));
                if let Some(t) = tag {
                    s.push(':');
                    s.push_str(&t);
                }
                if let Some(d) = digest {
                    s.push_str("@sha256:");
                    s.push_str(&d);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn parse_display_parse_is_stable(input in reference()) {
            let first: ImageRef = input.parse().unwrap();
            let printed = first.to_string();
            let second: ImageRef = printed.parse().unwrap();
            prop_assert_eq!(&first, &second);
            prop_assert_eq!(printed, second.to_string());
            let familiar: ImageRef = first.familiar().parse().unwrap();
            prop_assert_eq!(familiar, first);
        }

        #[test]
        fn arbitrary_input_never_panics(input in "\\PC{0,80}") {
            let _ = input.parse::<ImageRef>();
        }
    }
}
