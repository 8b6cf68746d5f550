//! `portcullis plan` end to end: a standalone configuration of several applications, a
//! policy, Debian's `docker-registry` on loopback with images signed for real by
//! `portcullis-testsign`, and the decisions the issue names, through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::process::Command;

use portcullis_testkit::{ImageSpec, Pusher, TestRegistry};
use portcullis_testsign::{TestSigstore, sign_keyless};
use serde_json::Value;

const ISSUER: &str = "https://issuer.portcullis.test";
const RELEASE: &str = "release@acme.test";

async fn signed(push: &Pusher, s: &TestSigstore, host: &str, repo: &str, tag: &str, email: &str) {
    let digest = push
        .push_image(
            repo,
            tag,
            &ImageSpec::new("2026-01-01T00:00:00Z", &format!("{repo}:{tag}")),
        )
        .await;
    sign_keyless(s, push, host, repo, &digest, email, ISSUER)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_shows_every_decision_with_its_reason() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    let host = reg.host();
    let s = TestSigstore::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    s.write_trusted_root(dir.path()).unwrap();
    for (repo, tag, who) in [
        ("acme/web", "1.0.0", Some(RELEASE)),
        ("acme/web", "1.1.0", Some(RELEASE)),
        ("acme/api", "2.0.0", Some(RELEASE)),
        ("acme/api", "2.1.0", None),
        ("acme/worker", "3.0.0", Some(RELEASE)),
        ("acme/worker", "3.1.0", Some("mallory@evil.test")),
        ("acme/db", "1.9.0", Some(RELEASE)),
        ("acme/db", "5.0.0", Some(RELEASE)),
    ] {
        match who {
            Some(email) => signed(&push, &s, &host, repo, tag, email).await,
            None => {
                push.push_image(repo, tag, &ImageSpec::new("2026-01-01T00:00:00Z", tag))
                    .await;
            }
        }
    }
    std::fs::write(
        dir.path().join("policy.yaml"),
        format!(
            r#"apiVersion: portcullis.dev/v1alpha1
kind: VerificationPolicy
trust:
  roots:
    test: {{path: trusted_root.json}}
rules:
  - name: acme
    images: ["{host}/acme/**"]
    authorities:
      - keyless:
          trustedRoot: test
          identities: [{{subject: {RELEASE}, issuer: {ISSUER}}}]
    update: {{constraint: "<5.0.0"}}
"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("registries.conf"),
        format!(
            "registries:\n- name: test\n  prefix: {host}\n  api_url: {}\n  insecure: true\n",
            reg.url()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("portcullis.yaml"),
        format!(
            r#"apiVersion: portcullis.dev/v1alpha1
kind: Config
registriesConf: registries.conf
applications:
  - name: shop
    repository: https://git.example/acme/deploy.git
    path: apps/shop
    images:
      - {{image: "web={host}/acme/web", current: 1.0.0}}
      - {{image: "{host}/acme/api", alias: api, current: 2.0.0}}
  - name: jobs
    repository: https://git.example/acme/deploy.git
    images:
      - {{image: "{host}/acme/worker", current: 3.0.0}}
      - {{image: "{host}/acme/db", current: 1.9.0}}
      - {{image: "{host}/acme/web", current: 1.0.0, pin: 1.0.0}}
"#
        ),
    )
    .unwrap();
    let plan = |output: &str| {
        Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(["plan", "--config"])
            .arg(dir.path().join("portcullis.yaml"))
            .arg("--policy")
            .arg(dir.path().join("policy.yaml"))
            .args(["--output", output, "--tuf-cache"])
            .arg(dir.path().join("tuf"))
            .output()
            .unwrap()
    };
    let out = plan("json");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["application"].as_str().unwrap().to_owned(),
                r["image"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned(),
                r["decision"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("shop", "web", "update", "verified"),
        ("shop", "api", "skipped", "signature_missing"),
        ("jobs", "worker", "skipped", "identity_mismatch"),
        ("jobs", "db", "skipped", "constraint_violation"),
        ("jobs", "web", "no_change", "pinned"),
    ];
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want, "{text}");
    assert_eq!(rows[0]["candidate"], "1.1.0");
    assert!(rows[0]["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(rows[0]["alias"], "web");

    // The table, for people.
    let out = plan("text");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("APPLICATION"), "{table}");
    assert!(table.contains("web=") && table.contains("1.1.0"), "{table}");
    assert!(table.contains("signature_missing"), "{table}");

    // A configuration with an unknown field: an error naming the line.
    std::fs::write(
        dir.path().join("bad.yaml"),
        "apiVersion: portcullis.dev/v1alpha1\nkind: Config\napplications:\n  - name: a\n    repo: x\n    images: []\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["plan", "--config"])
        .arg(dir.path().join("bad.yaml"))
        .arg("--policy")
        .arg(dir.path().join("policy.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.yaml:5:") && stderr.contains("repo"),
        "{stderr}"
    );

    // A token in a repository URL: refused before anything is cloned, and never echoed.
    std::fs::write(
        dir.path().join("token.yaml"),
        "apiVersion: portcullis.dev/v1alpha1\nkind: Config\napplications:\n  - name: a\n    repository: https://x-access-token:ghp_SECRET@git.example/acme/deploy.git\n    images: [{image: nginx}]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["plan", "--config"])
        .arg(dir.path().join("token.yaml"))
        .arg("--policy")
        .arg(dir.path().join("policy.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("carries credentials"), "{stderr}");
    assert!(!stderr.contains("ghp_SECRET"), "{stderr}");
}
