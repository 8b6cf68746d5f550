//! Credentials: Image Updater's test facts (categories `credential_source_parse`,
//! `credential_fetch`, `credential_expiry` of `image-updater-compat.json`, run generically
//! from the case data), and resolution for real: `file:`, `ext:` scripts, a docker
//! `config.json` with a real `docker-credential-*` helper, caching on a paused clock, and
//! redaction.
//!
//! Kubernetes secrets are served by an in-memory [`SecretReader`]: the Kubernetes API is the
//! one thing that cannot run here, and the reader is the seam the controller fills.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portcullis_registry::credentials::{CommandError, SecretFuture, SecretReadError, SecretReader};
use portcullis_registry::{
    CredentialError, CredentialSource, CredentialStore, Credentials, RegistriesConfig,
    RegistryEndpoint, Secret,
};
use portcullis_testkit::{case_id, compat_cases, error_substrings, expects_error};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Support

fn s<'a>(id: &str, v: &'a Value) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{id}: expected a string, got {v}"))
}

fn first_str<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str))
}

/// Kubernetes secrets in memory: (namespace, name) -> field -> value.
#[derive(Debug, Default)]
struct Secrets(HashMap<(String, String), HashMap<String, String>>);

impl Secrets {
    fn insert(&mut self, namespace: &str, name: &str, field: &str, value: &str) {
        self.0
            .entry((namespace.to_owned(), name.to_owned()))
            .or_default()
            .insert(field.to_owned(), value.to_owned());
    }
}

impl SecretReader for Secrets {
    fn read_field<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
        field: &'a str,
    ) -> SecretFuture<'a> {
        let found = match self.0.get(&(namespace.to_owned(), name.to_owned())) {
            None => Err(SecretReadError::NotFound),
            Some(fields) => fields
                .get(field)
                .map(|v| Secret::new(v.clone()))
                .ok_or(SecretReadError::NoField),
        };
        Box::pin(async move { found })
    }
}

/// An executable shell script in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// An endpoint for a registry known by its API URL (with or without scheme).
fn endpoint_for_api(api: &str) -> RegistryEndpoint {
    let bare = api
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = bare.split('/').next().unwrap_or_default();
    RegistryEndpoint::inferred(host).with_api_url(api, api.starts_with("http://"))
}

/// A configured endpoint `reg.example` with the given credentials spec.
fn endpoint(spec: &str) -> RegistryEndpoint {
    RegistriesConfig::parse(&format!(
        "registries:\n- name: R\n  prefix: reg.example\n  api_url: https://reg.example\n  credentials: {spec}\n"
    ))
    .unwrap()
    .registries()[0]
        .clone()
}

fn pair(c: &Credentials) -> (String, String) {
    match c {
        Credentials::Basic { username, password } => {
            (username.clone(), password.expose().to_owned())
        }
        other => panic!("expected user:password credentials, got {other:?}"),
    }
}

fn basic(c: Option<Credentials>) -> (String, String) {
    pair(&c.expect("credentials, not anonymous"))
}

// ---------------------------------------------------------------------------------------
// credential_source_parse

#[test]
fn credential_source_parse_cases() {
    for case in compat_cases(&["credential_source_parse"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let expected = &case["expected"];
        let spec = first_str(input, &["spec", "source", "credentials", "annotation"])
            .unwrap_or_else(|| panic!("{id}: no spec in input — extend this test"));
        let require = ["require_registry_prefix", "require_prefix", "requirePrefix"]
            .iter()
            .find_map(|k| input.get(*k).and_then(Value::as_bool))
            .unwrap_or(false);
        let result = CredentialSource::parse(spec, require);
        if expects_error(expected) {
            let err = result
                .err()
                .unwrap_or_else(|| panic!("{id}: '{spec}' parsed, expected an error"));
            for want in error_substrings(id, expected) {
                assert!(
                    err.to_string().contains(&want),
                    "{id}: '{err}' lacks '{want}'"
                );
            }
            continue;
        }
        let source = result.unwrap_or_else(|e| panic!("{id}: '{spec}': {e}"));
        for (field, want) in expected.as_object().unwrap() {
            if matches!(field.as_str(), "error" | "error_contains") {
                continue;
            }
            let got = source_field(id, &source, field);
            assert_eq!(&got, want, "{id}: {field} of {source:?}");
        }
    }
}

/// A field of a parsed source, named as Image Updater's `CredentialSource` fields are.
fn source_field(id: &str, source: &CredentialSource, field: &str) -> Value {
    use CredentialSource as S;
    let none = || panic!("{id}: field '{field}' does not apply to {source:?}");
    match (field, source) {
        ("registry" | "Registry", src) => src.registry().into(),
        ("type" | "Type" | "kind", src) => src.kind().into(),
        (
            "namespace" | "SecretNamespace",
            S::Secret { namespace, .. } | S::PullSecret { namespace, .. },
        ) => namespace.as_str().into(),
        ("name" | "SecretName", S::Secret { name, .. } | S::PullSecret { name, .. }) => {
            name.as_str().into()
        }
        ("field" | "SecretField", S::Secret { field, .. }) => field.as_str().into(),
        ("field" | "SecretField", S::PullSecret { .. }) => {
            portcullis_registry::credentials::PULL_SECRET_FIELD.into()
        }
        ("env_name" | "EnvName" | "env" | "var", S::Env { var, .. }) => var.as_str().into(),
        ("script_path" | "ScriptPath" | "script", S::Ext { script, .. }) => {
            script.display().to_string().into()
        }
        ("path", S::File { path, .. } | S::DockerConfig { path, .. }) => {
            path.display().to_string().into()
        }
        // Go's zero values for fields of another source type.
        (
            "namespace" | "name" | "field" | "env_name" | "script_path" | "SecretNamespace"
            | "SecretName" | "SecretField" | "EnvName" | "ScriptPath",
            _,
        ) => "".into(),
        _ => none(),
    }
}

// ---------------------------------------------------------------------------------------
// credential_fetch

#[tokio::test]
async fn credential_fetch_cases() {
    for case in compat_cases(&["credential_fetch"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let expected = &case["expected"];
        let dir = tempfile::tempdir().unwrap();
        let api = first_str(
            input,
            &["registry_api", "registry_url", "api_url", "registry"],
        )
        .unwrap_or("https://registry.example");
        let endpoint = endpoint_for_api(api);

        // Environment.
        let mut env: HashMap<String, String> = HashMap::new();
        if let Some(map) = input.get("env").and_then(Value::as_object) {
            for (k, v) in map {
                env.insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
            }
        }
        if let (Some(k), Some(v)) = (
            first_str(input, &["env_name", "env_var"]),
            first_str(input, &["env_value"]),
        ) {
            env.insert(k.to_owned(), v.to_owned());
        }

        // Kubernetes secrets.
        let mut secrets = Secrets::default();
        let secret_list: Vec<&Value> = match (input.get("secret"), input.get("secrets")) {
            (Some(one), _) if one.is_object() => vec![one],
            (_, Some(Value::Array(many))) => many.iter().collect(),
            _ => Vec::new(),
        };
        for secret in secret_list {
            let ns = first_str(secret, &["namespace"]).unwrap_or("test");
            let name = first_str(secret, &["name"]).unwrap_or("test");
            for (field, value) in secret["data"].as_object().into_iter().flatten() {
                secrets.insert(ns, name, field, value.as_str().unwrap_or_default());
            }
        }

        // The source.
        let docker_json = match (
            input.get("dockerconfigjson"),
            input.get("dockerconfigjson_text"),
        ) {
            (Some(v), _) if !v.is_string() => Some(v.to_string()),
            (Some(v), _) => Some(s(id, v).to_owned()),
            (None, Some(t)) => Some(s(id, t).to_owned()),
            _ => None,
        };
        let script_body = first_str(input, &["script", "script_content", "script_body"])
            .map(str::to_owned)
            .or_else(|| {
                first_str(input, &["script_output", "output"])
                    .map(|out| format!("printf '%s\\n' '{}'", out.replace('\'', "'\\''")))
            });
        let source: Result<CredentialSource, CredentialError> = if let Some(body) = script_body {
            let path = script(dir.path(), "get-credentials.sh", &body);
            CredentialSource::parse(&format!("ext:{}", path.display()), false)
        } else if let Some(spec) = first_str(input, &["spec", "source", "credentials"]) {
            CredentialSource::parse(spec, false)
        } else if let Some(text) = docker_json {
            secrets.insert("test", "test", ".dockerconfigjson", &text);
            CredentialSource::parse("pullsecret:test/test", false)
        } else if let Some(var) = first_str(input, &["env_name", "env_var"]) {
            CredentialSource::parse(&format!("env:{var}"), false)
        } else if env.len() == 1 {
            let var = env.keys().next().unwrap().clone();
            CredentialSource::parse(&format!("env:{var}"), false)
        } else {
            panic!("{id}: input shape not handled — extend this test");
        };

        // Several values for one variable, each with the same expectation.
        let variants: Vec<Option<String>> = match input.get("env_values").and_then(Value::as_array)
        {
            Some(values) => values.iter().map(|v| Some(s(id, v).to_owned())).collect(),
            None => vec![None],
        };
        let var = first_str(input, &["env_name", "env_var"]).map(str::to_owned);
        let secrets = Arc::new(secrets);
        for variant in variants {
            let mut env = env.clone();
            if let (Some(value), Some(var)) = (variant, &var) {
                env.insert(var.clone(), value);
            }
            let store = CredentialStore::new()
                .with_env(move |k| env.get(k).cloned())
                .with_secret_reader(secrets.clone());
            let result = match &source {
                Ok(source) => {
                    store
                        .get(&endpoint.clone().with_credentials(source.clone()))
                        .await
                }
                Err(e) => Err(CredentialError::Spec {
                    problem: spec_problem(e),
                }),
            };
            check_fetch(id, expected, result);
        }
    }
}

/// A spec that does not parse, as a fetch outcome (the error is not `Clone`).
fn spec_problem(e: &CredentialError) -> &'static str {
    match e {
        CredentialError::Definition { expected, .. } => expected,
        _ => "the spec does not parse",
    }
}

fn check_fetch(id: &str, expected: &Value, result: Result<Option<Credentials>, CredentialError>) {
    if expects_error(expected) {
        let err = result
            .err()
            .unwrap_or_else(|| panic!("{id}: expected an error, got credentials"));
        let chain = error_chain(&err);
        for want in error_substrings(id, expected) {
            assert!(chain.contains(&want), "{id}: '{chain}' lacks '{want}'");
        }
        return;
    }
    let creds = result.unwrap_or_else(|e| panic!("{id}: {}", error_chain(&e)));
    match (expected.get("username"), expected.get("password")) {
        (Some(u), Some(p)) => {
            let (gu, gp) = pair(creds.as_ref().unwrap_or_else(|| panic!("{id}: anonymous")));
            assert_eq!((gu.as_str(), gp.as_str()), (s(id, u), s(id, p)), "{id}");
        }
        _ if expected.get("credentials").is_some_and(Value::is_null) => {
            assert!(creds.is_none(), "{id}: expected anonymous access");
        }
        _ => panic!("{id}: expected shape not handled — extend this test"),
    }
}

// ---------------------------------------------------------------------------------------
// credential_expiry (tokio's clock, paused: no sleeping)

#[tokio::test(start_paused = true)]
async fn credential_expiry_cases() {
    for case in compat_cases(&["credential_expiry"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let yaml = first_str(input, &["registries_conf", "yaml"])
            .unwrap_or_else(|| panic!("{id}: no registries_conf — extend this test"));
        let config = RegistriesConfig::parse(yaml).unwrap_or_else(|e| panic!("{id}: {e}"));
        let endpoint = config.registries()[0].clone();
        let default_var = match &endpoint.credentials {
            Some(CredentialSource::Env { var, .. }) => Some(var.clone()),
            _ => None,
        };
        let env: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let env_read = env.clone();
        let store =
            CredentialStore::new().with_env(move |k| env_read.lock().unwrap().get(k).cloned());
        let mut got = Vec::new();
        for step in input["steps"].as_array().unwrap() {
            match step.get("env") {
                Some(Value::String(v)) => {
                    let var = default_var
                        .clone()
                        .unwrap_or_else(|| panic!("{id}: env step without an env: source"));
                    env.lock().unwrap().insert(var, v.clone());
                }
                Some(Value::Object(m)) => {
                    for (k, v) in m {
                        env.lock().unwrap().insert(k.clone(), s(id, v).to_owned());
                    }
                }
                _ => {}
            }
            if let Some(age) = step.get("age").or_else(|| step.get("advance")) {
                let text = s(id, age);
                tokio::time::advance(parse_duration(id, text.trim_start_matches('+'))).await;
            }
            got.push(match store.get(&endpoint).await {
                Ok(Some(c)) => {
                    let (u, p) = pair(&c);
                    serde_json::json!([u, p])
                }
                Ok(None) | Err(_) => Value::Null,
            });
        }
        let want = &case["expected"]["credentials_after_each_step"];
        assert_eq!(&Value::Array(got), want, "{id}");
    }
}

fn parse_duration(id: &str, text: &str) -> Duration {
    let (n, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = n
        .parse()
        .unwrap_or_else(|_| panic!("{id}: duration '{text}'"));
    match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        other => panic!("{id}: unit '{other}' — extend this test"),
    }
}

// ---------------------------------------------------------------------------------------
// Resolution for real

#[tokio::test]
async fn file_sources_hold_a_pair_or_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("creds");
    std::fs::write(&file, "robot:file-pass\n").unwrap();
    let got = CredentialStore::new()
        .get(&endpoint(&format!("file:{}", file.display())))
        .await
        .unwrap();
    assert_eq!(basic(got), ("robot".into(), "file-pass".into()));

    std::fs::write(&file, "bare-token-value\n").unwrap();
    let got = CredentialStore::new()
        .get(&endpoint(&format!("file:{}", file.display())))
        .await
        .unwrap();
    assert_eq!(
        got,
        Some(Credentials::Token(Secret::new("bare-token-value")))
    );

    std::fs::write(&file, "\n").unwrap();
    let err = CredentialStore::new()
        .get(&endpoint(&format!("file:{}", file.display())))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");

    let err = CredentialStore::new()
        .get(&endpoint("file:/dev/zero"))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialError::TooLarge { .. }), "{err}");
}

#[tokio::test]
async fn ext_scripts_print_user_and_password() {
    let dir = tempfile::tempdir().unwrap();
    let ok = script(dir.path(), "creds.sh", "echo robot:ext-pass");
    let got = CredentialStore::new()
        .get(&endpoint(&format!("ext:{}", ok.display())))
        .await
        .unwrap();
    assert_eq!(basic(got), ("robot".into(), "ext-pass".into()));
}

#[tokio::test]
async fn ext_script_failures_never_show_their_output() {
    let dir = tempfile::tempdir().unwrap();
    let failing = script(dir.path(), "fail.sh", "echo leaked-secret; exit 3");
    let err = CredentialStore::new()
        .get(&endpoint(&format!("ext:{}", failing.display())))
        .await
        .unwrap_err();
    let chain = error_chain(&err);
    assert!(
        chain.contains("status 3") && chain.contains("fail.sh"),
        "{chain}"
    );
    assert!(!chain.contains("leaked-secret") && !format!("{err:?}").contains("leaked-secret"));

    let invalid = script(dir.path(), "invalid.sh", "echo no-colon-secret");
    let err = CredentialStore::new()
        .get(&endpoint(&format!("ext:{}", invalid.display())))
        .await
        .unwrap_err();
    let chain = error_chain(&err);
    assert!(
        chain.contains("user:password") && chain.contains("invalid.sh"),
        "{chain}"
    );
    assert!(!chain.contains("no-colon-secret"), "{chain}");

    let missing = dir.path().join("does-not-exist.sh");
    let err = CredentialStore::new()
        .get(&endpoint(&format!("ext:{}", missing.display())))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            CredentialError::Command {
                source: CommandError::Spawn(_),
                ..
            }
        ),
        "{err:?}"
    );
    let err = CredentialSource::parse("ext:get-credentials.sh", false).unwrap_err();
    assert!(err.to_string().contains("absolute"), "{err}");
}

#[tokio::test]
async fn ext_scripts_that_hang_are_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let slow = script(dir.path(), "slow.sh", "exec sleep 30");
    let started = std::time::Instant::now();
    let err = CredentialStore::new()
        .with_command_timeout(Duration::from_millis(300))
        .get(&endpoint(&format!("ext:{}", slow.display())))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            CredentialError::Command {
                source: CommandError::Timeout(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A real `docker-credential-test` implementing the helper protocol: `get`, the server
/// address on stdin, JSON on stdout, "credentials not found" and exit 1 when it has none.
/// It records the address it was asked for.
fn credential_helper(dir: &Path) -> PathBuf {
    let log = dir.join("asked");
    script(
        dir,
        "docker-credential-test",
        &format!(
            r#"[ "$1" = get ] || exit 9
read server
echo "$server" >> '{log}'
case "$server" in
  reg.example) printf '{{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass"}}' "$server" ;;
  id.example) printf '{{"ServerURL":"%s","Username":"<token>","Secret":"refresh-token"}}' "$server" ;;
  https://index.docker.io/v1/) printf '{{"ServerURL":"%s","Username":"hub-user","Secret":"hub-pass"}}' "$server" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac"#,
            log = log.display()
        ),
    );
    log
}

#[tokio::test]
async fn docker_config_with_a_real_credential_helper() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let asked = credential_helper(&bin);
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        r#"{"auths":{"inline.example":{"auth":"aW5saW5lOnB3"}},
            "credHelpers":{"reg.example":"test","id.example":"test"},
            "credsStore":"test"}"#,
    )
    .unwrap();
    let spec = format!("dockerconfig:{}", config.display());
    let source = CredentialSource::parse(&spec, false).unwrap();
    let store = CredentialStore::new().with_helper_path(vec![bin.clone()]);
    let at =
        |host: &str| endpoint_for_api(&format!("https://{host}")).with_credentials(source.clone());

    let got = store.get(&at("reg.example")).await.unwrap();
    assert_eq!(basic(got), ("helper-user".into(), "helper-pass".into()));

    let token = store.get(&at("id.example")).await.unwrap().unwrap();
    assert_eq!(token.identity_token(), Some(&Secret::new("refresh-token")));

    // Inline credentials come before the credsStore.
    let got = store.get(&at("inline.example")).await.unwrap();
    assert_eq!(basic(got), ("inline".into(), "pw".into()));

    // The credsStore answers for Docker Hub, asked with docker's legacy address.
    let hub = RegistryEndpoint::docker_hub().with_credentials(source.clone());
    assert_eq!(
        basic(store.get(&hub).await.unwrap()),
        ("hub-user".into(), "hub-pass".into())
    );

    // A store with nothing for a registry means anonymous access.
    assert_eq!(store.get(&at("other.example")).await.unwrap(), None);

    let log = std::fs::read_to_string(&asked).unwrap();
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "reg.example",
            "id.example",
            "https://index.docker.io/v1/",
            "other.example"
        ]
    );
}

#[tokio::test]
async fn a_helper_missing_from_the_search_path_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(&config, r#"{"credsStore":"nowhere"}"#).unwrap();
    let err = CredentialStore::new()
        .with_helper_path(vec![dir.path().to_owned()])
        .get(&endpoint(&format!("dockerconfig:{}", config.display())))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("docker-credential-nowhere")
            && text.contains(&dir.path().display().to_string()),
        "{text}"
    );

    std::fs::write(&config, r#"{"credsStore":"../../bin/sh"}"#).unwrap();
    let err = CredentialStore::new()
        .with_helper_path(vec![dir.path().to_owned()])
        .get(&endpoint(&format!("dockerconfig:{}", config.display())))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialError::HelperName { .. }), "{err}");
}

#[tokio::test]
async fn docker_config_without_an_entry_says_how_to_add_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(&config, r#"{"auths":{"ghcr.io":{"auth":"Zm9vOmJhcg=="}}}"#).unwrap();
    let err = CredentialStore::new()
        .get(&endpoint(&format!("dockerconfig:{}", config.display())))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("reg.example") && text.contains("docker login reg.example"),
        "{text}"
    );
}

#[tokio::test]
async fn kubernetes_sources_need_the_controller_outside_a_cluster() {
    for spec in ["pullsecret:ns/regcred", "secret:ns/creds#token"] {
        let err = CredentialStore::new()
            .get(&endpoint(spec))
            .await
            .unwrap_err();
        assert!(
            matches!(err, CredentialError::NeedsKubernetes { .. }),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("in-cluster controller") && text.contains("env:, file: or dockerconfig:"),
            "{text}"
        );
    }
    let mut secrets = Secrets::default();
    secrets.insert("ns", "creds", "token", "robot:from-secret");
    let store = CredentialStore::new().with_secret_reader(Arc::new(secrets));
    let got = store.get(&endpoint("secret:ns/creds#token")).await.unwrap();
    assert_eq!(basic(got), ("robot".into(), "from-secret".into()));
    let err = store
        .get(&endpoint("secret:ns/creds#other"))
        .await
        .unwrap_err();
    assert!(error_chain(&err).contains("no such field"), "{err}");
}

#[tokio::test]
async fn env_values_must_be_user_colon_password() {
    for value in ["babayaga-s3cr3t", "foo:", ":s3cr3t", ":"] {
        let v = value.to_owned();
        let err = CredentialStore::new()
            .with_env(move |_| Some(v.clone()))
            .get(&endpoint("env:REG_CREDS"))
            .await
            .unwrap_err();
        let text = format!("{} {err:?}", error_chain(&err));
        assert!(text.contains("REG_CREDS"), "{text}");
        assert!(
            !text.contains("s3cr3t") && !text.contains("babayaga"),
            "{text}"
        );
    }
    let err = CredentialStore::new()
        .with_env(|_| None)
        .get(&endpoint("env:NOT_SET_ANYWHERE"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("NOT_SET_ANYWHERE is not set"),
        "{err}"
    );
}

#[tokio::test]
async fn overrides_replace_the_configured_source() {
    let store = CredentialStore::new()
        .with_env(|k| (k == "CLI_CREDS").then(|| "cli:pw".to_owned()))
        .with_override(
            "reg.example",
            CredentialSource::parse("env:CLI_CREDS", false).unwrap(),
        );
    let got = store.get(&endpoint("env:CONFIGURED")).await.unwrap();
    assert_eq!(basic(got), ("cli".into(), "pw".into()));
    let spec_named = CredentialStore::new()
        .with_env(|k| (k == "CLI_CREDS").then(|| "named:pw".to_owned()))
        .with_override(
            "",
            CredentialSource::parse("reg.example=env:CLI_CREDS", true).unwrap(),
        );
    let got = spec_named.get(&endpoint("env:CONFIGURED")).await.unwrap();
    assert_eq!(basic(got), ("named".into(), "pw".into()));
    // No source at all: anonymous.
    let anon = RegistriesConfig::default().endpoint_for("quay.io");
    assert_eq!(CredentialStore::new().get(&anon).await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// Caching

#[tokio::test(start_paused = true)]
async fn cached_until_credsexpire_and_forever_without_it() {
    let env: Arc<Mutex<String>> = Arc::new(Mutex::new("first:one".to_owned()));
    let read = env.clone();
    let store = CredentialStore::new().with_env(move |_| Some(read.lock().unwrap().clone()));
    let expiring = RegistriesConfig::parse(
        "registries:\n- name: E\n  prefix: e.io\n  api_url: https://e.io\n  credentials: env:X\n  credsexpire: 1m\n\
         - name: F\n  prefix: f.io\n  api_url: https://f.io\n  credentials: env:X\n",
    )
    .unwrap();
    let (e, f) = (expiring.endpoint_for("e.io"), expiring.endpoint_for("f.io"));
    assert_eq!(basic(store.get(&e).await.unwrap()).0, "first");
    assert_eq!(basic(store.get(&f).await.unwrap()).0, "first");
    *env.lock().unwrap() = "second:two".to_owned();
    tokio::time::advance(Duration::from_secs(59)).await;
    assert_eq!(basic(store.get(&e).await.unwrap()).0, "first");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(basic(store.get(&e).await.unwrap()).0, "second");
    tokio::time::advance(Duration::from_secs(86_400 * 365)).await;
    assert_eq!(
        basic(store.get(&f).await.unwrap()).0,
        "first",
        "no credsexpire: kept"
    );
    store.invalidate(&f);
    assert_eq!(
        basic(store.get(&f).await.unwrap()).0,
        "second",
        "invalidated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_run_the_script_once() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls");
    let counted = script(
        dir.path(),
        "count.sh",
        &format!(
            "echo call >> '{}'; sleep 0.2; echo AWS:mock-token",
            calls.display()
        ),
    );
    let store = CredentialStore::new();
    let ep = endpoint(&format!("ext:{}", counted.display()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (store, ep) = (store.clone(), ep.clone());
        tasks.spawn(async move { store.get(&ep).await });
    }
    while let Some(r) = tasks.join_next().await {
        assert_eq!(
            basic(r.unwrap().unwrap()),
            ("AWS".into(), "mock-token".into())
        );
    }
    assert_eq!(std::fs::read_to_string(&calls).unwrap().lines().count(), 1);
}

// ---------------------------------------------------------------------------------------
// Redaction

#[test]
fn secrets_format_as_redacted() {
    let secret = Secret::new("hunter2-value");
    for text in [
        format!("{secret}"),
        format!("{secret:?}"),
        format!("{secret:#?}"),
    ] {
        assert_eq!(text, "[redacted]");
    }
    let creds = Credentials::basic("robot", "hunter2-value");
    assert!(!format!("{creds:?}").contains("hunter2"));
    let token = Credentials::Token(Secret::new("hunter2-value"));
    assert!(!format!("{token:?}").contains("hunter2"));
}

#[tokio::test]
async fn nothing_resolved_shows_in_the_store_debug() {
    let store = CredentialStore::new().with_env(|_| Some("robot:hunter2-value".to_owned()));
    assert_eq!(
        basic(store.get(&endpoint("env:X")).await.unwrap()).1,
        "hunter2-value"
    );
    let text = format!("{store:?}");
    assert!(!text.contains("hunter2"), "{text}");
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}
