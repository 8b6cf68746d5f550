//! `portcullis test` end to end: the real binary, offline with `--tags-file` and against
//! Debian's real `docker-registry` on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::Path;
use std::process::{Command, Output};

use portcullis_testkit::{ImageSpec, TestRegistry};
use serde_json::Value;

fn portcullis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .env_remove("PORTCULLIS_REGISTRIES_CONF")
        .output()
        .expect("run portcullis")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tags_file(dir: &Path, content: &str) -> String {
    let p = dir.join("tags.txt");
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}

const TAGS: &str = "1.0.0 2026-01-01T00:00:00Z\n1.1.0 2026-02-01T00:00:00Z\n1.2.0 2026-03-01T00:00:00Z\n1.3.0-rc.1 2026-03-15T00:00:00Z\n2.0.0 2026-04-01T00:00:00Z\nnightly 2026-05-01T00:00:00Z\n";

#[test]
fn offline_semver_explains_the_choice() {
    let dir = tempfile::tempdir().unwrap();
    let file = tags_file(dir.path(), TAGS);
    let o = portcullis(&[
        "test",
        "ghcr.io/acme/app",
        "--semver-constraint",
        "^1.0",
        "--tags-file",
        &file,
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("image      ghcr.io/acme/app"), "{out}");
    assert!(out.contains("selected   1.2.0"), "{out}");
    assert!(out.contains("6 read from the tags file"), "{out}");
    assert!(out.contains("1 not a semantic version"), "{out}");
    assert!(
        out.contains("1 pre-release (the constraint names no pre-release)"),
        "{out}"
    );
    assert!(out.contains("1 outside the constraint"), "{out}");
    assert!(out.contains("3 of 6 tag(s) eligible"), "{out}");
}

#[test]
fn json_output_has_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let file = tags_file(dir.path(), TAGS);
    let o = portcullis(&[
        "test",
        "nginx:~1.1",
        "--tags-file",
        &file,
        "--output",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["image"], "docker.io/library/nginx");
    assert_eq!(v["strategy"], "semver");
    assert_eq!(
        v["constraint"], "~1.1",
        "the constraint rides in the reference"
    );
    assert_eq!(v["selected"]["tag"], "1.1.0");
    assert_eq!(v["selected"]["digest"], Value::Null, "offline: no digest");
    assert_eq!(v["considered"], 6);
    assert_eq!(v["filtered"]["not_semver"], 1);
    assert_eq!(v["filtered"]["constraint"], 3);
}

#[test]
fn no_match_exits_2_and_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = tags_file(dir.path(), TAGS);
    let none = portcullis(&[
        "test",
        "app",
        "--semver-constraint",
        "^7",
        "--tags-file",
        &file,
    ]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stdout(&none).contains("selected   none"));

    let bad = portcullis(&[
        "test",
        "app",
        "--semver-constraint",
        "latest",
        "--tags-file",
        &file,
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(
        err.contains("invalid semver constraint 'latest'") && err.contains("e.g."),
        "{err}"
    );

    let strategy = portcullis(&[
        "test",
        "app",
        "--update-strategy",
        "newest",
        "--tags-file",
        &file,
    ]);
    assert_eq!(strategy.status.code(), Some(1));
    assert!(stderr(&strategy).contains("use semver, newest-build, digest or alphabetical"));

    let upper = portcullis(&["test", "ghcr.io/Acme/App", "--tags-file", &file]);
    assert_eq!(upper.status.code(), Some(1));
    assert!(
        stderr(&upper).contains("must be lowercase"),
        "{}",
        stderr(&upper)
    );

    let missing = portcullis(&["test", "app", "--tags-file", "/nonexistent/tags.txt"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("/nonexistent/tags.txt"));
}

#[test]
fn offline_newest_build_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let file = tags_file(dir.path(), TAGS);
    let o = portcullis(&[
        "test",
        "app",
        "--update-strategy",
        "latest",
        "--ignore-tags",
        "nightly",
        "--tags-file",
        &file,
        "--output",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["strategy"], "newest-build");
    assert_eq!(v["selected"]["tag"], "2.0.0");
    assert_eq!(v["filtered"]["ignore_tags"], 1);
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("deprecated"))
    );

    let o = portcullis(&[
        "test",
        "app",
        "--allow-tags",
        "regexp:(",
        "--tags-file",
        &file,
        "--output",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a malformed allow-tags matches nothing"
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("does not compile")
    );
}

fn registries_conf(dir: &Path, reg: &TestRegistry) -> String {
    let p = dir.join("registries.conf");
    std::fs::write(
        &p,
        format!(
            "registries:\n- name: test\n  prefix: {}\n  api_url: {}\n  insecure: true\n",
            reg.host(),
            reg.url()
        ),
    )
    .unwrap();
    p.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn against_the_real_registry() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    let mut digests = std::collections::HashMap::new();
    for (tag, day) in [
        ("1.0.0", "01"),
        ("1.1.0", "02"),
        ("1.2.0", "03"),
        ("2.0.0", "04"),
        ("latest", "05"),
    ] {
        let d = push
            .push_image(
                "demo/app",
                tag,
                &ImageSpec::new(&format!("2026-01-{day}T00:00:00Z"), tag),
            )
            .await;
        digests.insert(tag, d);
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = registries_conf(dir.path(), &reg);
    let image = format!("{}/demo/app", reg.host());

    let o = portcullis(&[
        "test",
        &image,
        "--semver-constraint",
        "~1.1",
        "--registries-conf",
        &conf,
        "--output",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["selected"]["tag"], "1.1.0");
    assert_eq!(
        v["selected"]["digest"].as_str(),
        Some(digests["1.1.0"].as_str())
    );
    assert_eq!(v["considered"], 5);

    let o = portcullis(&[
        "test",
        &image,
        "--update-strategy",
        "newest-build",
        "--registries-conf",
        &conf,
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["selected"]["tag"], "latest");
    assert_eq!(v["selected"]["created"], "2026-01-05T00:00:00Z");

    let o = portcullis(&[
        "test",
        &format!("{image}:latest"),
        "--update-strategy",
        "digest",
        "--registries-conf",
        &conf,
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(
        out.contains(&format!("selected   latest  {}", digests["latest"])),
        "{out}"
    );

    let o = portcullis(&[
        "test",
        &image,
        "--update-strategy",
        "alphabetical",
        "--registries-conf",
        &conf,
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["strategy"], "alphabetical");
    assert_eq!(
        v["selected"]["tag"], "latest",
        "lexically last of 1.0.0 … 2.0.0, latest"
    );

    let o = portcullis(&[
        "test",
        &image,
        "--allow-tags",
        "regexp:^1\\.",
        "--ignore-tags",
        "1.2.*",
        "--registries-conf",
        &conf,
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["selected"]["tag"], "1.1.0");
    assert_eq!(v["filtered"]["allow_tags"], 2, "2.0.0 and latest");
    assert_eq!(v["filtered"]["ignore_tags"], 1, "1.2.0");

    let plain = portcullis(&["test", &image]);
    assert_eq!(
        plain.status.code(),
        Some(1),
        "https to a plain-HTTP registry fails"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_arch_and_basic_auth() {
    let reg = TestRegistry::start_with_htpasswd("ci", "pa55");
    let (index, children) = reg
        .pusher()
        .push_index(
            "multi/app",
            "1.0.0",
            &[
                ImageSpec {
                    platform: "linux/amd64".into(),
                    ..ImageSpec::new("2026-01-01T00:00:00Z", "a")
                },
                ImageSpec {
                    platform: "linux/arm64/v8".into(),
                    ..ImageSpec::new("2026-01-01T00:00:00Z", "b")
                },
            ],
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let conf = registries_conf(dir.path(), &reg);
    let image = format!("{}/multi/app", reg.host());
    let o = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args([
            "test",
            &image,
            "--platform",
            "linux/arm64",
            "--credentials",
            "env:TEST_REG_CREDS",
            "--registries-conf",
            &conf,
            "--output",
            "json",
        ])
        .env("TEST_REG_CREDS", "ci:pa55")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["selected"]["digest"].as_str(), Some(index.as_str()));
    assert_eq!(
        v["selected"]["platform_digest"].as_str(),
        Some(children[1].1.as_str())
    );
    assert_eq!(v["selected"]["platform"], "linux/arm64/v8");

    let denied = portcullis(&["test", &image, "--registries-conf", &conf]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(stderr(&denied).contains("denied"), "{}", stderr(&denied));
}
