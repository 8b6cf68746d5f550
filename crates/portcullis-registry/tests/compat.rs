//! Argo CD Image Updater's own test facts for registries configuration, endpoints and
//! credentials, run generically from `image-updater-compat.json` (see `portcullis-testkit`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portcullis_registry::credentials::{Clock, credentials_from_pull_secret};
use portcullis_registry::{
    CredentialSource, CredentialStore, Credentials, RegistriesConfig, TagSortMode,
};
use portcullis_testkit::{case_id, compat_cases};
use serde_json::Value;

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn pair(c: &Credentials) -> (String, String) {
    match c {
        Credentials::Basic { username, password } => {
            (username.clone(), password.expose().to_owned())
        }
        other => panic!("expected user:password credentials, got {other:?}"),
    }
}

#[test]
fn registries_conf_cases() {
    for case in compat_cases(&["registries_conf"]) {
        let id = case_id(&case);
        let expected = &case["expected"];
        let result = RegistriesConfig::parse(s(&case["input"]["yaml"]));
        if expected["error"].as_bool() == Some(true) {
            let err = result
                .err()
                .unwrap_or_else(|| panic!("{id}: expected an error"));
            if let Some(want) = expected.get("error_contains") {
                assert!(
                    err.to_string().contains(s(want)),
                    "{id}: '{err}' lacks '{}'",
                    s(want)
                );
            }
            continue;
        }
        let config = result.unwrap_or_else(|e| panic!("{id}: {e}"));
        if let Some(n) = expected.get("num_registries") {
            assert_eq!(
                config.registries().len() as u64,
                n.as_u64().unwrap(),
                "{id}"
            );
        }
        if let Some(lookups) = expected.get("lookups").and_then(Value::as_object) {
            for (prefix, want) in lookups {
                let ep = config.endpoint_for(prefix);
                for (field, v) in want.as_object().unwrap() {
                    match field.as_str() {
                        "credentials" => assert_eq!(
                            ep.credentials,
                            Some(CredentialSource::parse(s(v), false).unwrap()),
                            "{id}: {prefix}"
                        ),
                        "credsexpire" => {
                            assert_eq!(ep.creds_expire, Some(go_duration(s(v))), "{id}: {prefix}")
                        }
                        other => panic!("{id}: lookup field '{other}' — extend this test"),
                    }
                }
            }
        }
        if let Some(ca) = expected.get("ca_file") {
            let first = &config.registries()[0];
            assert_eq!(
                first
                    .ca_file
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .as_deref(),
                Some(s(ca)),
                "{id}"
            );
        }
    }
}

fn go_duration(v: &str) -> Duration {
    let (n, unit) = v.split_at(v.len() - 1);
    let n: u64 = n.parse().unwrap();
    match unit {
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        other => panic!("unit {other} — extend this test"),
    }
}

#[test]
fn registry_endpoint_cases() {
    for case in compat_cases(&["registry_endpoint"]) {
        let id = case_id(&case);
        let expected = &case["expected"];
        let config = RegistriesConfig::default();
        if let Some(lookups) = case["input"].get("lookups") {
            let lookups: Vec<&str> = lookups.as_array().unwrap().iter().map(s).collect();
            if let Some(prefixes) = expected.get("prefix") {
                let got: Vec<String> = lookups
                    .iter()
                    .map(|l| config.endpoint_for(l).prefix)
                    .collect();
                assert_eq!(serde_json::json!(got), *prefixes, "{id}");
            }
            if let Some(urls) = expected
                .get("api_url_for_inferred")
                .and_then(Value::as_object)
            {
                for (host, url) in urls {
                    assert_eq!(config.endpoint_for(host).api_url, s(url), "{id}: {host}");
                }
            }
            for host in lookups
                .iter()
                .filter(|h| !h.is_empty() && **h != "docker.io" && **h != "gcr.io")
            {
                let ep = config.endpoint_for(host);
                if let Some(rps) = expected.get("inferred_rate_limit_rps") {
                    assert_eq!(
                        u64::from(ep.limit_rps),
                        rps.as_u64().unwrap(),
                        "{id}: {host}"
                    );
                }
                if expected.get("inferred_tag_sort").map(s) == Some("unsorted") {
                    assert_eq!(ep.tag_sort, TagSortMode::Unsorted, "{id}: {host}");
                }
                if let Some(insecure) = expected.get("inferred_insecure") {
                    assert_eq!(ep.insecure, insecure.as_bool().unwrap(), "{id}: {host}");
                }
            }
        } else if let Some(values) = case["input"].get("values") {
            let got: Vec<String> = values
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    let yaml = format!(
                        "registries:\n- name: R\n  api_url: https://r.io\n  tagsortmode: {}\n",
                        serde_json::to_string(s(v)).unwrap()
                    );
                    match RegistriesConfig::parse(&yaml) {
                        Ok(c) => match c.registries()[0].tag_sort {
                            TagSortMode::LatestFirst => "latest-first".to_owned(),
                            TagSortMode::LatestLast => "latest-last".to_owned(),
                            _ => "unsorted".to_owned(),
                        },
                        Err(_) => "unknown (config error)".to_owned(),
                    }
                })
                .collect();
            assert_eq!(serde_json::json!(got), expected["modes"], "{id}");
        } else {
            panic!("{id}: input shape not handled — extend this test");
        }
    }
}

#[test]
fn credential_source_parse_cases() {
    for case in compat_cases(&["credential_source_parse"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let expected = &case["expected"];
        let result = CredentialSource::parse(
            s(&input["spec"]),
            input["require_registry_prefix"].as_bool().unwrap(),
        );
        if expected["error"].as_bool() == Some(true) {
            assert!(result.is_err(), "{id}: expected an error, got {result:?}");
            continue;
        }
        let source = result.unwrap_or_else(|e| panic!("{id}: {e}"));
        for (field, want) in expected.as_object().unwrap() {
            let got: Value = match (field.as_str(), &source) {
                ("error", _) => continue,
                ("registry", src) => src.registry().into(),
                (
                    "namespace",
                    CredentialSource::Secret { namespace, .. }
                    | CredentialSource::PullSecret { namespace, .. },
                ) => namespace.as_str().into(),
                (
                    "name",
                    CredentialSource::Secret { name, .. }
                    | CredentialSource::PullSecret { name, .. },
                ) => name.as_str().into(),
                ("field", CredentialSource::Secret { field, .. }) => field.as_str().into(),
                ("field", CredentialSource::PullSecret { .. }) => ".dockerconfigjson".into(),
                ("env_name", CredentialSource::Env { var, .. }) => var.as_str().into(),
                ("type", CredentialSource::Ext { .. }) => "ext".into(),
                ("script_path", CredentialSource::Ext { script, .. }) => {
                    script.display().to_string().into()
                }
                (f, src) => panic!("{id}: field '{f}' on {src:?} — extend this test"),
            };
            assert_eq!(&got, want, "{id}: {field}");
        }
    }
}

#[test]
fn credential_fetch_cases() {
    for case in compat_cases(&["credential_fetch"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let text = match (
            input.get("dockerconfigjson"),
            input.get("dockerconfigjson_text"),
        ) {
            (Some(v), _) => v.to_string(),
            (None, Some(t)) => s(t).to_owned(),
            _ => panic!("{id}: input shape not handled — extend this test"),
        };
        let api = s(&input["registry_api"]);
        let prefix = api
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let result = credentials_from_pull_secret(&text, prefix, api);
        if case["expected"]["error"].as_bool() == Some(true) {
            assert!(result.is_err(), "{id}: expected an error");
            continue;
        }
        let creds = result
            .unwrap_or_else(|e| panic!("{id}: {e}"))
            .unwrap_or_else(|| panic!("{id}: no credentials matched"));
        let (u, p) = pair(&creds);
        assert_eq!(u, s(&case["expected"]["username"]), "{id}");
        assert_eq!(p, s(&case["expected"]["password"]), "{id}");
    }
}

/// A clock the test moves by hand.
#[derive(Debug)]
struct ManualClock {
    base: Instant,
    offset_secs: AtomicU64,
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + Duration::from_secs(self.offset_secs.load(Ordering::SeqCst))
    }
}

#[tokio::test]
async fn credential_expiry_cases() {
    for case in compat_cases(&["credential_expiry"]) {
        let id = case_id(&case);
        let config = RegistriesConfig::parse(s(&case["input"]["registries_conf"])).unwrap();
        let endpoint = config.registries()[0].clone();
        let env: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let var = match &endpoint.credentials {
            Some(CredentialSource::Env { var, .. }) => var.clone(),
            other => panic!("{id}: expected env credentials, got {other:?}"),
        };
        let clock = Arc::new(ManualClock {
            base: Instant::now(),
            offset_secs: AtomicU64::new(0),
        });
        let env_read = env.clone();
        let store = CredentialStore::new()
            .with_clock(clock.clone())
            .with_env(move |k| env_read.lock().unwrap().get(k).cloned());
        let mut got = Vec::new();
        for step in case["input"]["steps"].as_array().unwrap() {
            env.lock()
                .unwrap()
                .insert(var.clone(), s(&step["env"]).to_owned());
            let age = s(&step["age"]);
            if let Some(plus) = age.strip_prefix('+') {
                clock
                    .offset_secs
                    .fetch_add(go_duration(plus).as_secs(), Ordering::SeqCst);
            }
            let creds = store.get(&endpoint).await.unwrap().unwrap();
            let (u, p) = pair(&creds);
            got.push(serde_json::json!([u, p]));
        }
        assert_eq!(
            Value::Array(got),
            case["expected"]["credentials_after_each_step"],
            "{id}"
        );
    }
}
