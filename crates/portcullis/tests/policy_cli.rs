//! `portcullis policy check` and `portcullis policy explain`, the real binary on the example
//! policies under `policies/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn portcullis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .env_remove("PORTCULLIS_POLICY")
        .output()
        .expect("run portcullis")
}

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn example(name: &str) -> String {
    policies().join(name).display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_accepts_a_valid_policy_and_counts_its_rules() {
    let file = example("production.yaml");
    let o = portcullis(&["policy", "check", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with(&format!(
            "{file}: valid, 1 rule, 0 warnings, revision sha256:"
        )),
        "{out}"
    );
    let cip = portcullis(&["policy", "check", &example("cluster-image-policy.yaml")]);
    assert!(
        stdout(&cip).contains("valid, 2 rules, 0 warnings"),
        "{}",
        stdout(&cip)
    );
}

#[test]
fn check_prints_warnings_but_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.yaml");
    std::fs::write(
        &file,
        "apiVersion: portcullis.dev/v1alpha1\nkind: VerificationPolicy\nrules:\n  - name: r\n    images: ['**']\n    authorities:\n      - keyless:\n          identities: [{subjectRegExp: 'https://github.com/acme/', issuer: https://token.actions.githubusercontent.com}]\n",
    )
    .unwrap();
    let o = portcullis(&["policy", "check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("valid, 1 rule, 1 warning,"),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "warning: {}:8:25: rules[0].authorities[0].keyless.identities[0].subjectRegExp: 'https://github.com/acme/' must match the whole value here",
            file.display()
        )),
        "{err}"
    );
}

#[test]
fn check_reports_every_problem_with_file_line_and_column() {
    let file = example("examples/broken/unknown-reference.yaml");
    let o = portcullis(&["policy", "check", &file]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "{file}:13:13: rules[0].gates[0]: unknown gate 'vulnscan' (hint: did you mean 'vuln-scan'?)"
            ),
            format!(
                "{file}:15:15: rules[0].authorities[0].key.ref: unknown key 'release' (hint: define it under trust.keys)"
            ),
            format!(
                "{file}:17:11: rules[0].authorities[1].keyless.trustedRoot: unknown trusted root 'intrenal' (hint: did you mean 'internal'?)"
            ),
            format!("error: {file} has 3 problems"),
        ]
    );
}

#[test]
fn check_of_a_missing_file_is_an_error() {
    let o = portcullis(&["policy", "check", "/nonexistent/policy.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot read policy file '/nonexistent/policy.yaml'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn explain_lists_what_every_matching_rule_requires() {
    let o = portcullis(&[
        "policy",
        "explain",
        "ghcr.io/acme/app:1.4.0",
        "--policy",
        &example("production.yaml"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for expected in [
        "image: ghcr.io/acme/app:1.4.0",
        "1 rule matches; it must be satisfied",
        "rule 'acme-releases' (matched by ghcr.io/acme/**)",
        "signatures: 2 of 2 authorities must verify",
        "github-workflow-trigger=push",
        "attestation 'provenance': https://slsa.dev/provenance/v1 signed by github-release",
        "update strategies: semver, digest",
        "update minimum age: 1d",
        "on failure: try older candidates, at most 3 in all",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
}

#[test]
fn explain_without_a_match_says_what_the_default_does() {
    let o = portcullis(&[
        "policy",
        "explain",
        "nginx",
        "--policy",
        &example("production.yaml"),
        "--output",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["image"], "docker.io/library/nginx");
    assert_eq!(v["noMatch"], "deny");
    assert_eq!(v["rules"], serde_json::json!([]));
    let text = portcullis(&[
        "policy",
        "explain",
        "nginx",
        "--policy",
        &example("development.yaml"),
    ]);
    assert_eq!(text.status.code(), Some(0));
    assert!(
        stdout(&text).contains("rule 'anything-signed-by-acme'"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn help_explains_both_subcommands() {
    // Help is wrapped to the terminal width: compare with whitespace normalised.
    let flat = |o: &Output| stdout(o).split_whitespace().collect::<Vec<_>>().join(" ");
    let o = portcullis(&["policy", "check", "--help"]);
    let out = flat(&o);
    assert!(
        out.contains("FILE:LINE:COL: field: message (hint: ...)"),
        "{out}"
    );
    assert!(
        out.contains("Exit status: 0 valid, 1 invalid or unreadable"),
        "{out}"
    );
    let o = portcullis(&["policy", "explain", "--help"]);
    assert!(
        flat(&o).contains("Every matching rule applies, not only the first"),
        "{}",
        stdout(&o)
    );
}

/// A reader that closed its end early (`portcullis policy explain … | head -0`) must not
/// make the binary panic: the read end is closed before the process starts, so every write
/// it makes meets a broken pipe.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    for output in ["text", "json"] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args([
                "policy",
                "explain",
                "ghcr.io/acme/app:1.4.0",
                "--policy",
                &example("production.yaml"),
                "--output",
                output,
            ])
            .env_remove("PORTCULLIS_POLICY")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
        assert_eq!(
            o.status.code(),
            Some(0),
            "--output {output}: {}",
            stderr(&o)
        );
    }
}

/// A usage mistake exits 1 (bad input), so a script can tell it from `policy explain`'s 2
/// (no rule matches); `--help` is an answer and exits 0.
#[test]
fn usage_mistakes_exit_1_and_help_exits_0() {
    let o = portcullis(&["policy", "explain", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--no-such-flag"), "{}", stderr(&o));
    let o = portcullis(&["policy", "explain"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = portcullis(&["policy", "--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("explain"), "{}", stdout(&o));
    let o = portcullis(&["--version"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
