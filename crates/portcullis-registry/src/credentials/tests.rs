//! Unit tests of credential specs, `user:password` values and redaction of credentials.

use super::*;

#[test]
fn specs_round_trip_through_display() {
    for spec in [
        "pullsecret:ns/regcred",
        "gcr.io=secret:ns/creds#token",
        "env:REGISTRY_CREDS",
        "ghcr.io=ext:/usr/local/bin/ecr-login.sh",
        "file:/etc/portcullis/creds",
        "dockerconfig:/home/me/.docker/config.json",
    ] {
        let parsed = CredentialSource::parse(spec, false).unwrap();
        assert_eq!(parsed.to_string(), spec);
    }
    let typed = CredentialSource::parse("ENV:X", false).unwrap();
    assert_eq!(typed.kind(), "env");
}

#[test]
fn specs_fail_like_image_updater() {
    for (spec, require) in [
        ("secret:ns/n#f", true),
        ("=secret:ns/n#f", true),
        ("=secret:ns/n#f", false),
        ("gcr.io=secrets:ns/n#f", true),
        ("gcr.io=secret:ns/n#", true),
        ("gcr.io=secret:/n#f", true),
        ("gcr.io=secret:ns/#f", true),
        ("gcr.io=secret:", true),
        ("gcr.io=pullsecret:/n", true),
        ("gcr.io=pullsecret:ns", true),
        ("gcr.io=pullsecret:a/b/c", true),
        ("ext:relative/script.sh", false),
        ("file:/a:b", false),
        ("", false),
    ] {
        assert!(CredentialSource::parse(spec, require).is_err(), "{spec}");
    }
}

#[test]
fn spec_errors_do_not_echo_what_may_be_a_pasted_secret() {
    for spec in ["ghp_0123456789abcdef", "robot:s3cr3t-Pa$$", "a:b:c:s3cr3t"] {
        let err = CredentialSource::parse(spec, false).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("s3cr3t") && !text.contains("0123456789abcdef"),
            "{text}"
        );
    }
    let err = CredentialSource::parse("robot:s3cr3t-Pa$$", false).unwrap_err();
    assert!(err.to_string().contains("'robot'"), "{err}");
}

#[test]
fn user_password_rules() {
    assert_eq!(
        user_password("foo:bar:baz\n", "x", true).unwrap(),
        Credentials::basic("foo", "bar:baz")
    );
    for bad in ["babayaga", "foo:", ":bar", ":", "a:b\nc:d"] {
        let err = user_password(bad, "environment variable V", true).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("environment variable V is not in the form"),
            "{err}"
        );
        assert!(!err.to_string().contains("babayaga"), "{err}");
    }
    // Scripts and secrets only need the colon (Image Updater's rule).
    assert_eq!(
        user_password("AWS:", "x", false).unwrap(),
        Credentials::basic("AWS", "")
    );
}

#[test]
fn credentials_debug_hides_passwords_and_tokens() {
    let c = Credentials::basic("robot", "topsecret");
    let t = Credentials::Token(Secret::new("tok-value"));
    let text = format!("{c:?} {t:?} {c:#?}");
    assert!(text.contains("robot"));
    assert!(
        !text.contains("topsecret") && !text.contains("tok-value"),
        "{text}"
    );
    assert!(c.identity_token().is_none());
}

#[test]
fn kubernetes_errors_name_the_alternatives() {
    let err = CredentialError::NeedsKubernetes {
        kind: "pullsecret",
        namespace: "ns".into(),
        name: "regcred".into(),
    };
    let text = err.to_string();
    assert!(
        text.contains("pullsecret:ns/regcred") && text.contains("env:, file: or dockerconfig:"),
        "{text}"
    );
}
