//! Resolving credential sources for real: files, `ext:` scripts, docker config with a real
//! credential-helper executable, and redaction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use portcullis_registry::{
    CredentialError, CredentialSource, CredentialStore, Credentials, RegistriesConfig,
};

fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn endpoint(yaml_credentials: &str) -> portcullis_registry::RegistryEndpoint {
    RegistriesConfig::parse(&format!(
        "registries:\n- name: R\n  prefix: reg.example\n  api_url: https://reg.example\n  credentials: {yaml_credentials}\n"
    ))
    .unwrap()
    .registries()[0]
    .clone()
}

fn basic(c: Option<Credentials>) -> (String, String) {
    match c {
        Some(Credentials::Basic { username, password }) => (username, password.expose().to_owned()),
        other => panic!("expected basic credentials, got {other:?}"),
    }
}

#[tokio::test]
async fn file_and_ext_sources() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("creds");
    std::fs::write(&file, "robot:file-pass\n").unwrap();
    let got = CredentialStore::new()
        .get(&endpoint(&format!("file:{}", file.display())))
        .await
        .unwrap();
    assert_eq!(basic(got), ("robot".into(), "file-pass".into()));

    let ext = script(dir.path(), "creds.sh", "echo robot:ext-pass");
    let got = CredentialStore::new()
        .get(&endpoint(&format!("ext:{}", ext.display())))
        .await
        .unwrap();
    assert_eq!(basic(got), ("robot".into(), "ext-pass".into()));

    let failing = script(dir.path(), "fail.sh", "echo leaked-secret; exit 3");
    let err = CredentialStore::new()
        .get(&endpoint(&format!("ext:{}", failing.display())))
        .await
        .unwrap_err();
    let msg = format!("{err} {err:?}");
    assert!(msg.contains("exit"), "{msg}");
    assert!(
        !msg.contains("leaked-secret"),
        "the script's output never reaches errors: {msg}"
    );
}

#[tokio::test]
async fn docker_config_with_a_real_credential_helper() {
    let dir = tempfile::tempdir().unwrap();
    // The helper protocol: server URL on stdin, JSON on stdout.
    script(
        dir.path(),
        "docker-credential-test",
        r#"read server; [ "$1" = get ] || exit 1; printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass"}' "$server""#,
    );
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        r#"{"auths":{},"credHelpers":{"reg.example":"test"}}"#,
    )
    .unwrap();
    let store = CredentialStore::new().with_helper_path(vec![dir.path().to_owned()]);
    let got = store
        .get(&endpoint(&format!("dockerconfig:{}", config.display())))
        .await
        .unwrap();
    assert_eq!(basic(got), ("helper-user".into(), "helper-pass".into()));
}

#[tokio::test]
async fn kubernetes_sources_say_what_to_use_instead() {
    let err = CredentialStore::new()
        .get(&endpoint("pullsecret:ns/regcred"))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialError::NeedsKubernetes { .. }));
    assert!(err.to_string().contains("env:"), "{err}");
}

#[tokio::test]
async fn missing_env_names_the_variable_only() {
    let store = CredentialStore::new().with_env(|_| None);
    let err = store
        .get(&endpoint("env:NOT_SET_ANYWHERE"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NOT_SET_ANYWHERE"));
}

#[test]
fn credentials_debug_is_redacted() {
    let c = Credentials::from_pair("user:topsecret");
    assert!(!format!("{c:?}").contains("topsecret"));
    let t = Credentials::from_pair("just-a-token");
    assert!(matches!(t, Credentials::Token(_)));
    assert!(!format!("{t:?}").contains("just-a-token"));
    let src = CredentialSource::parse("ghcr.io=env:GHCR", true).unwrap();
    assert_eq!(src.registry(), "ghcr.io");
}
