//! Argo CD Image Updater's own test facts for `registries.conf` and registry endpoints
//! (categories `registries_conf` and `registry_endpoint` of `image-updater-compat.json`),
//! run generically from the case data; plus what a person sees for a broken file.
//!
//! The data is found through `PORTCULLIS_TESTDATA` (default `../shared/testdata` beside the
//! checkout); a missing file or a category without cases fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::Path;
use std::time::Duration;

use portcullis_registry::config::EndpointOrigin;
use portcullis_registry::{CredentialSource, RegistriesConfig, RegistryEndpoint, TagSortMode};
use portcullis_testkit::{case_id, compat_cases, error_substrings, expects_error, testdata_dir};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Reading expectations

fn s<'a>(id: &str, v: &'a Value) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{id}: expected a string, got {v}"))
}

/// A Go duration as Image Updater writes it (`5h`, `3s`, `1h30m`, `500ms`), or a number of
/// seconds.
fn go_duration(id: &str, v: &Value) -> Duration {
    if let Some(n) = v.as_f64() {
        return Duration::from_secs_f64(n);
    }
    let text = s(id, v);
    if text == "0" {
        return Duration::ZERO;
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or_else(|| panic!("{id}: '{text}' is not a Go duration"));
        let value: f64 = rest[..n].parse().unwrap();
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        total += value
            * match &rest[..u] {
                "ns" => 1e-9,
                "us" | "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                other => panic!("{id}: unit '{other}' in '{text}'"),
            };
        rest = &rest[u..];
    }
    Duration::from_secs_f64(total)
}

/// Maps a field name (Image Updater's YAML name, its Go struct name, or ours) to a
/// canonical name.
fn canonical(field: &str) -> &str {
    match field {
        "name" | "RegistryName" | "registry_name" => "name",
        "prefix" | "RegistryPrefix" | "registry_prefix" => "prefix",
        "api_url" | "RegistryAPI" | "api" | "registry_api" | "api_url_for_inferred" => "api_url",
        "credentials" | "Credentials" => "credentials",
        "credsexpire" | "CredsExpire" | "creds_expire" => "credsexpire",
        "insecure" | "Insecure" => "insecure",
        "ping" | "Ping" => "ping",
        "default" | "IsDefault" | "is_default" => "default",
        "defaultns" | "DefaultNS" | "default_ns" => "defaultns",
        "limit" | "rate_limit_rps" | "limit_rps" | "rate_limit" => "limit",
        "tagsortmode" | "tag_sort" | "TagListSort" | "tag_sort_mode" | "tag_list_sort" => {
            "tagsortmode"
        }
        "ca_file" | "CAFile" => "ca_file",
        "ca_data" | "CAData" => "ca_data",
        "max_concurrent" => "max_concurrent",
        "timeout" => "timeout",
        other => other,
    }
}

/// Asserts one field of an endpoint. `field` may end in `_contains` for a substring check.
fn check_field(id: &str, ep: &RegistryEndpoint, field: &str, want: &Value) {
    let ctx = format!("{id}: {} field '{field}'", ep.prefix);
    if let Some(base) = field.strip_suffix("_contains") {
        let got = string_field(id, ep, canonical(base));
        assert!(got.contains(s(id, want)), "{ctx}: '{got}' lacks {want}");
        return;
    }
    match canonical(field) {
        "credsexpire" | "timeout" => {
            let got = if canonical(field) == "timeout" {
                ep.timeout
            } else {
                ep.creds_expire.unwrap_or(Duration::ZERO)
            };
            let want = if want.is_null() {
                Duration::ZERO
            } else {
                go_duration(id, want)
            };
            assert_eq!(got, want, "{ctx}");
        }
        "credentials" => {
            let want = want.as_str().unwrap_or_default();
            let want = (!want.is_empty()).then(|| {
                CredentialSource::parse(want, false)
                    .unwrap_or_else(|e| panic!("{ctx}: expected spec does not parse: {e}"))
            });
            assert_eq!(ep.credentials, want, "{ctx}");
        }
        "tagsortmode" => {
            let want = s(id, want);
            let want = TagSortMode::from_name(want).map_or(want, |m| m.as_str());
            assert_eq!(ep.tag_sort.as_str(), want, "{ctx}");
        }
        "insecure" | "ping" | "default" => {
            let got = match canonical(field) {
                "insecure" => ep.insecure,
                "ping" => ep.ping,
                _ => ep.default,
            };
            assert_eq!(Some(got), want.as_bool(), "{ctx}");
        }
        "limit" => assert_eq!(Some(u64::from(ep.limit_rps)), want.as_u64(), "{ctx}"),
        "max_concurrent" => assert_eq!(Some(ep.max_concurrent as u64), want.as_u64(), "{ctx}"),
        other => {
            let got = string_field(id, ep, other);
            assert_eq!(got, want.as_str().unwrap_or_default(), "{ctx}");
        }
    }
}

/// A string field; `""` for an unset optional one (Go's zero value).
fn string_field(id: &str, ep: &RegistryEndpoint, field: &str) -> String {
    match field {
        "name" => ep.name.clone(),
        "prefix" => ep.prefix.clone(),
        "api_url" => ep.api_url.clone(),
        "defaultns" => ep.defaultns.clone().unwrap_or_default(),
        "ca_file" => ep
            .ca_file
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        "ca_data" => ep.ca_data.clone().unwrap_or_default(),
        "credentials" => ep
            .credentials
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        "tagsortmode" => ep.tag_sort.as_str().to_owned(),
        other => panic!("{id}: endpoint field '{other}' is not known to this test — extend it"),
    }
}

/// The configuration a case describes: inline YAML (any of the usual keys), or a file
/// named relative to the test data (a missing one must fail as Image Updater's does).
fn load_case_config(input: &Value) -> Option<Result<RegistriesConfig, String>> {
    let yaml = ["yaml", "registries_conf", "registries_yaml", "config"]
        .iter()
        .find_map(|k| input.get(*k).and_then(Value::as_str));
    if let Some(yaml) = yaml {
        return Some(RegistriesConfig::parse(yaml).map_err(|e| e.to_string()));
    }
    let file = ["file", "path"]
        .iter()
        .find_map(|k| input.get(*k).and_then(Value::as_str))?;
    let path = testdata_dir().join(file);
    Some(RegistriesConfig::load(&path).map_err(|e| e.to_string()))
}

/// `host` or `host/path/...`, or `{registry, image}`.
fn lookup(id: &str, config: &RegistriesConfig, what: &Value) -> RegistryEndpoint {
    match what {
        Value::String(text) => match text.split_once('/') {
            Some((host, path))
                if host.contains('.') || host.contains(':') || host == "localhost" =>
            {
                config.endpoint_for_image(host, path)
            }
            _ => config.endpoint_for(text),
        },
        Value::Object(o) => {
            let host = ["registry", "registry_url", "RegistryURL", "prefix", "host"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))
                .unwrap_or_default();
            let path = ["image", "image_name", "ImageName", "path"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))
                .unwrap_or_default();
            config.endpoint_for_image(host, path)
        }
        other => panic!("{id}: lookup {other} — extend this test"),
    }
}

// ---------------------------------------------------------------------------------------
// registries_conf

#[test]
fn registries_conf_cases() {
    for case in compat_cases(&["registries_conf"]) {
        let id = case_id(&case);
        let expected = &case["expected"];
        let result = load_case_config(&case["input"]).unwrap_or_else(|| {
            panic!("{id}: input has neither YAML nor a file — extend this test")
        });
        if expects_error(expected) {
            let err = result
                .err()
                .unwrap_or_else(|| panic!("{id}: expected an error, the configuration loaded"));
            for want in error_substrings(id, expected) {
                assert!(err.contains(&want), "{id}: '{err}' lacks '{want}'");
            }
            continue;
        }
        let config = result.unwrap_or_else(|e| panic!("{id}: {e}"));
        let obj = expected
            .as_object()
            .unwrap_or_else(|| panic!("{id}: expected must be an object"));
        for (key, want) in obj {
            match key.as_str() {
                "error" | "error_contains" => {}
                "num_registries" | "registries_count" | "count" => assert_eq!(
                    config.registries().len() as u64,
                    want.as_u64().unwrap(),
                    "{id}: number of registries"
                ),
                "lookups" => {
                    for (target, fields) in want.as_object().unwrap() {
                        let ep = lookup(id, &config, &json!(target));
                        for (field, v) in fields.as_object().unwrap() {
                            check_field(id, &ep, field, v);
                        }
                    }
                }
                "registries" | "items" => {
                    for (i, fields) in want.as_array().unwrap().iter().enumerate() {
                        let ep = config
                            .registries()
                            .get(i)
                            .unwrap_or_else(|| panic!("{id}: no registry #{i}"));
                        for (field, v) in fields.as_object().unwrap() {
                            check_field(id, ep, field, v);
                        }
                    }
                }
                // Anything else is a field of the first (usually only) entry.
                field => {
                    let ep = config
                        .registries()
                        .first()
                        .unwrap_or_else(|| panic!("{id}: no registry to check '{field}' on"));
                    check_field(id, ep, field, want);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// registry_endpoint

#[test]
fn registry_endpoint_cases() {
    for case in compat_cases(&["registry_endpoint"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let expected = &case["expected"];
        let mut config = match load_case_config(input) {
            Some(r) => r.unwrap_or_else(|e| panic!("{id}: {e}")),
            None => RegistriesConfig::default(),
        };
        apply_endpoint_changes(id, input, &mut config);

        if let Some(values) = input.get("values").and_then(Value::as_array) {
            tag_sort_values(id, values, expected);
            continue;
        }

        let lookups: Vec<Value> = match (input.get("lookups"), input.get("lookup")) {
            (Some(Value::Array(a)), _) => a.clone(),
            (_, Some(one)) => vec![one.clone()],
            _ if input.get("image").is_some() || input.get("registry").is_some() => {
                vec![input.clone()]
            }
            _ => panic!("{id}: input shape not handled — extend this test"),
        };
        let endpoints: Vec<RegistryEndpoint> =
            lookups.iter().map(|l| lookup(id, &config, l)).collect();

        for (key, want) in expected.as_object().unwrap() {
            if key == "notes" {
                continue;
            }
            if let Some(field) = key.strip_prefix("inferred_") {
                // Every lookup that nobody configured.
                let inferred: Vec<&RegistryEndpoint> = endpoints
                    .iter()
                    .filter(|e| e.origin == EndpointOrigin::Inferred)
                    .collect();
                assert!(
                    !inferred.is_empty(),
                    "{id}: no lookup was inferred for '{key}'"
                );
                for ep in inferred {
                    check_field(id, ep, field, want);
                }
                continue;
            }
            if let Some(field) = key.strip_prefix("default_") {
                check_field(id, &config.endpoint_for(""), field, want);
                continue;
            }
            match want {
                // One value per lookup.
                Value::Array(per_lookup) => {
                    assert_eq!(
                        per_lookup.len(),
                        endpoints.len(),
                        "{id}: '{key}' per lookup"
                    );
                    for (ep, v) in endpoints.iter().zip(per_lookup) {
                        check_field(id, ep, key, v);
                    }
                }
                // Keyed by what was looked up.
                Value::Object(by_target) => {
                    for (target, v) in by_target {
                        check_field(id, &lookup(id, &config, &json!(target)), key, v);
                    }
                }
                // A single lookup's field.
                scalar => {
                    assert_eq!(
                        endpoints.len(),
                        1,
                        "{id}: '{key}' is one value for many lookups"
                    );
                    check_field(id, &endpoints[0], key, scalar);
                }
            }
        }
    }
}

/// What a case does to the registries before looking up: endpoints added (objects with
/// Image Updater's field names) and credentials set on prefixes (Image Updater's
/// `SetRegistryEndpointCredentials`: the endpoint is found or inferred, then given the
/// source; `""` is the default registry).
fn apply_endpoint_changes(id: &str, input: &Value, config: &mut RegistriesConfig) {
    for key in [
        "add",
        "add_endpoint",
        "add_endpoints",
        "endpoints",
        "new_endpoint",
    ] {
        let added: Vec<&Value> = match input.get(key) {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(o @ Value::Object(_)) => vec![o],
            _ => continue,
        };
        for entry in added {
            let mut wire = serde_json::Map::new();
            for (k, v) in entry.as_object().unwrap() {
                wire.insert(canonical(k).to_owned(), v.clone());
            }
            // JSON is YAML: the entry goes through the same validation as a file.
            let yaml = format!("registries: [{}]", Value::Object(wire));
            let parsed = RegistriesConfig::parse(&yaml).unwrap_or_else(|e| panic!("{id}: {e}"));
            config.upsert(parsed.registries()[0].clone());
        }
    }
    for (key, value) in input.as_object().into_iter().flatten() {
        let Some(map) = value.as_object() else {
            continue;
        };
        if key == "lookups" || map.is_empty() {
            continue;
        }
        let specs: Option<Vec<(String, CredentialSource)>> = map
            .iter()
            .map(|(prefix, spec)| {
                let source = CredentialSource::parse(spec.as_str()?, false).ok()?;
                Some((prefix.clone(), source))
            })
            .collect();
        for (prefix, source) in specs.into_iter().flatten() {
            let base = if prefix.is_empty() {
                config.endpoint_for("")
            } else {
                match prefix.split_once('/') {
                    Some((host, path)) => config.endpoint_for_image(host, path),
                    None => config.endpoint_for(&prefix),
                }
            };
            let mut ep = if base.prefix == prefix || prefix.is_empty() {
                base
            } else {
                RegistryEndpoint::inferred(&prefix)
            };
            ep.credentials = Some(source);
            config.upsert(ep);
        }
    }
}

/// `tagsortmode` values: each is put in a one-registry file; an unknown one must make the
/// file invalid with Image Updater's words.
fn tag_sort_values(id: &str, values: &[Value], expected: &Value) {
    let got: Vec<String> = values
        .iter()
        .map(|v| {
            let yaml = format!(
                "registries:\n- name: R\n  prefix: r.io\n  api_url: https://r.io\n  tagsortmode: {}\n",
                serde_json::to_string(s(id, v)).unwrap()
            );
            match RegistriesConfig::parse(&yaml) {
                Ok(c) => c.registries()[0].tag_sort.as_str().to_owned(),
                Err(e) => {
                    assert!(e.to_string().contains("unknown tag sort mode"), "{id}: {e}");
                    "unknown".to_owned()
                }
            }
        })
        .collect();
    let want = expected
        .get("modes")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{id}: expected 'modes' — extend this test"));
    assert_eq!(got.len(), want.len(), "{id}");
    for (g, w) in got.iter().zip(want) {
        let w = s(id, w);
        // "unknown (config error)" and the like.
        let w = if w.starts_with("unknown") {
            "unknown"
        } else {
            w
        };
        let w = TagSortMode::from_name(w).map_or(w, |m| m.as_str());
        assert_eq!(g, w, "{id}: {got:?}");
    }
}

// ---------------------------------------------------------------------------------------
// What a person sees for a broken file

fn parse_error(yaml: &str) -> String {
    RegistriesConfig::parse(yaml).unwrap_err().to_string()
}

#[test]
fn unknown_fields_name_the_field_line_and_column() {
    let err =
        parse_error("registries:\n- name: X\n  api_url: https://x.io\n  apiurl: https://y.io\n");
    assert!(err.starts_with("registries configuration:4:3: "), "{err}");
    assert!(err.contains("apiurl"), "{err}");
}

#[test]
fn syntax_errors_carry_the_line() {
    let err = parse_error("registries:\n- name: X\n  api_url: [https://x.io\n  prefix: x.io\n");
    assert!(err.starts_with("registries configuration:"), "{err}");
    let line: u64 = err.split(':').nth(1).unwrap().parse().unwrap();
    assert!((3..=5).contains(&line), "{err}");
}

#[test]
fn wrong_types_carry_the_line() {
    let err = parse_error("registries:\n- name: X\n  api_url: https://x.io\n  limit: fast\n");
    assert!(err.starts_with("registries configuration:4:"), "{err}");
    assert!(err.contains("whole number"), "{err}");
    let err = parse_error("registries:\n  name: X\n");
    assert!(err.starts_with("registries configuration:2:"), "{err}");
}

#[test]
fn duplicate_keys_are_errors_with_the_line() {
    let err =
        parse_error("registries:\n- name: X\n  api_url: https://x.io\n  api_url: https://y.io\n");
    assert!(err.starts_with("registries configuration:4:"), "{err}");
}

#[test]
fn load_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registries.conf");
    std::fs::write(
        &path,
        "registries:\n- name: X\n  api_url: https://x.io\n  bogus: 1\n",
    )
    .unwrap();
    let err = RegistriesConfig::load(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:4:3: ", path.display())),
        "{err}"
    );
    let err = RegistriesConfig::load(Path::new("/nonexistent/registries.conf"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/nonexistent/registries.conf") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn validation_errors_name_the_entry_and_the_fix() {
    let err = parse_error("registries:\n- api_url: https://foo.io\n");
    assert!(
        err.contains("name is missing")
            && err.contains("entry 1")
            && err.contains("https://foo.io"),
        "{err}"
    );
    let err = parse_error("registries:\n- name: Foobar\n");
    assert!(
        err.contains("API URL must be") && err.contains("Foobar") && err.contains("api_url:"),
        "{err}"
    );
    let err = parse_error(
        "registries:\n- name: A\n  prefix: a.io\n  api_url: https://a.io\n  default: true\n\
         - name: B\n  prefix: b.io\n  api_url: https://b.io\n  default: true\n",
    );
    assert!(
        err.contains("cannot set registry B (b.io)") && err.contains("A (a.io)"),
        "{err}"
    );
}
