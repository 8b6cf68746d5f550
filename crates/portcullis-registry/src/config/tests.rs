//! Unit tests of the registries configuration: fields, defaults, validation, lookup.

use super::*;

fn one(yaml_body: &str) -> Result<RegistryEndpoint, ConfigError> {
    let yaml = format!("registries:\n- name: R\n  prefix: r.io\n{yaml_body}");
    RegistriesConfig::parse(&yaml).map(|c| c.registries()[0].clone())
}

#[test]
fn every_field_parses_with_image_updater_names() {
    let r = one(
        "  api_url: https://r.io/\n  ping: no\n  credentials: env:R_CREDS\n  credsexpire: 1h30m\n  \
         tagsortmode: Latest-First\n  insecure: false\n  ca_file: /etc/ca.pem\n  defaultns: team\n  \
         limit: 5\n  default: true\n  max_concurrent: 3\n  timeout: 45s\n",
    )
    .unwrap();
    assert_eq!(r.api_url, "https://r.io");
    assert!(!r.ping);
    assert_eq!(
        r.credentials.as_ref().map(ToString::to_string).as_deref(),
        Some("env:R_CREDS")
    );
    assert_eq!(r.creds_expire, Some(Duration::from_secs(5400)));
    assert_eq!(r.tag_sort, TagSortMode::LatestFirst);
    assert_eq!(r.ca_file.as_deref(), Some(Path::new("/etc/ca.pem")));
    assert_eq!(r.defaultns.as_deref(), Some("team"));
    assert_eq!((r.limit_rps, r.max_concurrent), (5, 3));
    assert!(r.default);
    assert_eq!(r.timeout, Duration::from_secs(45));
    assert_eq!(r.origin, EndpointOrigin::Configured);
}

#[test]
fn defaults_of_a_minimal_entry() {
    let r = one("  api_url: https://r.io\n").unwrap();
    assert_eq!(r.limit_rps, DEFAULT_RATE_LIMIT);
    assert_eq!(r.max_concurrent, DEFAULT_MAX_CONCURRENT);
    assert_eq!(r.timeout, DEFAULT_TIMEOUT);
    assert_eq!(r.tag_sort, TagSortMode::Unsorted);
    assert_eq!(r.creds_expire, None);
    assert!(!r.insecure && !r.ping && !r.default);
    assert!(r.credentials.is_none() && r.defaultns.is_none());
}

#[test]
fn empty_documents_are_an_empty_configuration() {
    for yaml in ["", "   \n", "registries:\n", "registries: []\n"] {
        let c = RegistriesConfig::parse(yaml).unwrap();
        assert!(c.registries().is_empty(), "{yaml:?}");
        assert_eq!(c.endpoint_for("").prefix, "docker.io");
    }
}

#[test]
fn zero_credsexpire_never_expires_like_image_updater() {
    assert_eq!(
        one("  api_url: https://r.io\n  credsexpire: 0s\n")
            .unwrap()
            .creds_expire,
        None
    );
    assert_eq!(
        one("  api_url: https://r.io\n  credsexpire: 0\n")
            .unwrap()
            .creds_expire,
        None
    );
}

#[test]
fn durations_without_units_or_negative_are_refused_with_the_fix() {
    let e = one("  api_url: https://r.io\n  credsexpire: 300\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("credsexpire '300'") && e.contains("300s"), "{e}");
    let e = one("  api_url: https://r.io\n  credsexpire: -5m\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("negative"), "{e}");
    let e = one("  api_url: https://r.io\n  timeout: 5d\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("timeout '5d'") && e.contains("1h30m"), "{e}");
    let e = one("  api_url: https://r.io\n  timeout: 0s\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("timeout"), "{e}");
}

#[test]
fn limits_below_one_are_refused() {
    let e = one("  api_url: https://r.io\n  limit: 0\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("limit of registry R is 0") && e.contains("1000"),
        "{e}"
    );
    let e = one("  api_url: https://r.io\n  max_concurrent: -1\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_concurrent"), "{e}");
}

#[test]
fn plain_http_needs_insecure() {
    let e = one("  api_url: http://localhost:5000\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("plain HTTP") && e.contains("insecure: true"),
        "{e}"
    );
    let r = one("  api_url: http://localhost:5000\n  insecure: true\n").unwrap();
    assert!(r.insecure);
    for (url, want) in [
        ("ftp://r.io", "scheme"),
        ("not a url", "not a URL"),
        ("https://user:pw@r.io", "credentials"),
    ] {
        let e = one(&format!("  api_url: {url}\n")).unwrap_err().to_string();
        assert!(e.contains(want), "{url}: {e}");
        assert!(
            !e.contains("pw"),
            "the password in a URL is never echoed: {e}"
        );
    }
}

#[test]
fn prefixes_are_hosts_not_urls_and_unique() {
    let e = RegistriesConfig::parse(
        "registries:\n- name: R\n  prefix: https://r.io\n  api_url: https://r.io\n",
    )
    .unwrap_err();
    assert!(matches!(e, ConfigError::BadPrefix { .. }), "{e}");
    let e = RegistriesConfig::parse(
        "registries:\n- name: A\n  prefix: r.io\n  api_url: https://r.io\n- name: B\n  prefix: R.io\n  api_url: https://r.io\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("A and B both have prefix"), "{e}");
}

#[test]
fn ca_data_must_hold_a_certificate_unless_insecure() {
    let e = one("  api_url: https://r.io\n  ca_data: not a certificate\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ca_data does not contain a valid PEM certificate"),
        "{e}"
    );
    assert!(
        one("  api_url: https://r.io\n  insecure: true\n  ca_data: not a certificate\n").is_ok()
    );
}

#[test]
fn load_checks_ca_files_and_names_the_file_in_yaml_errors() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("registries.conf");
    std::fs::write(
        &conf,
        "registries:\n- name: R\n  prefix: r.io\n  api_url: https://r.io\n  ca_file: /nonexistent/ca.pem\n",
    )
    .unwrap();
    let e = RegistriesConfig::load(&conf).unwrap_err().to_string();
    assert!(
        e.contains("/nonexistent/ca.pem") && e.contains("does not exist"),
        "{e}"
    );
    // parse() reads no file, as Image Updater's parser does not.
    assert!(RegistriesConfig::parse(&std::fs::read_to_string(&conf).unwrap()).is_ok());

    std::fs::write(&conf, "registries:\n- name: R\n  bogus: 1\n").unwrap();
    let e = RegistriesConfig::load(&conf).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}:3:", conf.display())), "{e}");
}

#[test]
fn a_missing_file_says_so_in_image_updater_words() {
    let e = RegistriesConfig::load(Path::new("/nonexistent/registries.conf")).unwrap_err();
    assert!(e.to_string().contains("no such file or directory"), "{e}");
}

#[test]
fn docker_hub_is_built_in_and_unknown_hosts_are_inferred() {
    let c = RegistriesConfig::default();
    let hub = c.endpoint_for("");
    assert_eq!(
        (
            hub.prefix.as_str(),
            hub.api_url.as_str(),
            hub.defaultns.as_deref()
        ),
        ("docker.io", "https://registry-1.docker.io", Some("library"))
    );
    assert_eq!(hub.origin, EndpointOrigin::BuiltIn);
    assert_eq!(hub.limit_rps, DOCKER_HUB_RATE_LIMIT);
    assert_eq!(c.endpoint_for("docker.io").prefix, "docker.io");
    assert_eq!(c.endpoint_for("index.docker.io").prefix, "docker.io");
    let q = c.endpoint_for("quay.io");
    assert_eq!(
        (q.api_url.as_str(), q.limit_rps, q.insecure),
        ("https://quay.io", 20, false)
    );
    assert_eq!(q.origin, EndpointOrigin::Inferred);
}

#[test]
fn a_configured_default_serves_images_without_a_host() {
    let c = RegistriesConfig::parse(
        "registries:\n- name: Mirror\n  prefix: mirror.local\n  api_url: https://mirror.local\n  default: true\n",
    )
    .unwrap();
    assert_eq!(c.endpoint_for("").name, "Mirror");
    assert_eq!(c.endpoint_for("docker.io").name, "Mirror");
    assert_eq!(c.endpoint_for("mirror.local").name, "Mirror");
    let c = RegistriesConfig::parse("registries:\n- name: NoPrefix\n  api_url: https://np.io\n")
        .unwrap();
    assert_eq!(c.endpoint_for("").name, "NoPrefix");
    assert_eq!(c.endpoint_for("quay.io").origin, EndpointOrigin::Inferred);
}

#[test]
fn the_longest_path_prefix_wins_at_a_slash() {
    let c = RegistriesConfig::parse(
        "registries:\n\
         - name: Org\n  prefix: foo.bar/prefix1\n  api_url: https://foo.bar\n  credentials: env:FOOBAR_1\n\
         - name: Sub\n  prefix: foo.bar/prefix1/sub-prefix\n  api_url: https://foo.bar\n  credentials: env:FOOBAR_SUB_1\n",
    )
    .unwrap();
    assert_eq!(
        c.endpoint_for_image("foo.bar", "prefix1/sub-prefix/image")
            .name,
        "Sub"
    );
    assert_eq!(c.endpoint_for_image("foo.bar", "prefix1/image").name, "Org");
    assert_eq!(
        c.endpoint_for_image("foo.bar", "prefix10/image").origin,
        EndpointOrigin::Inferred
    );
    assert_eq!(c.endpoint_for("foo.bar").origin, EndpointOrigin::Inferred);
}

#[test]
fn upsert_replaces_by_prefix_and_moves_the_default() {
    let mut c = RegistriesConfig::parse(
        "registries:\n- name: A\n  prefix: a.io\n  api_url: https://a.io\n  default: true\n",
    )
    .unwrap();
    let mut b = RegistryEndpoint::inferred("b.io");
    b.default = true;
    c.upsert(b);
    c.upsert(RegistryEndpoint::inferred("a.io").with_api_url("http://127.0.0.1:5000/", true));
    assert_eq!(c.registries().len(), 2);
    assert_eq!(c.endpoint_for("").prefix, "b.io");
    assert_eq!(c.endpoint_for("a.io").api_url, "http://127.0.0.1:5000");
}

#[test]
fn loopback_registries_nobody_configured_get_a_plain_http_hint() {
    let c = RegistriesConfig::default();
    let hint = c.endpoint_for("localhost:5000").plain_http_hint().unwrap();
    assert!(
        hint.contains("api_url: http://localhost:5000") && hint.contains("insecure: true"),
        "{hint}"
    );
    assert_eq!(
        c.endpoint_for("localhost:5000").api_url,
        "https://localhost:5000"
    );
    assert!(c.endpoint_for("ghcr.io").plain_http_hint().is_none());
}

#[test]
fn tag_sort_names() {
    for (name, mode) in [
        ("latest-first", Some(TagSortMode::LatestFirst)),
        ("LATEST-LAST", Some(TagSortMode::LatestLast)),
        ("none", Some(TagSortMode::Unsorted)),
        ("", Some(TagSortMode::Unsorted)),
        ("unknown-value", None),
    ] {
        assert_eq!(TagSortMode::from_name(name), mode, "{name}");
    }
    assert_eq!(TagSortMode::Unsorted.to_string(), "unsorted");
    assert!(TagSortMode::LatestFirst.is_time_sorted() && !TagSortMode::Unsorted.is_time_sorted());
}
