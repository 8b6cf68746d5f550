#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `portcullis verify-commit` through the binary: a commit signed with an X.509 certificate
//! from a test CA verifies (exit 0, signer and changes printed, text and JSON); the same
//! commit against another CA, an unsigned commit (exit 3, reason on stderr) and a name that
//! is no commit (exit 1) do not.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use portcullis_gitops::git::{
    BranchName, CommitMeta, CommitOutcome, FileChange, Identity, Repository,
};
use portcullis_gitops::sign::{Signer, SigningConfig, X509Config};
use portcullis_testsign::CertificateAuthority;

const EMAIL: &str = "bot@example.test";

fn run(dir: &Path, program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .current_dir(dir)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e} (run scripts/install-deps.sh)"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A repository whose `main` has an unsigned seed commit and, on top, a commit signed with a
/// leaf from `ca` that records one change in Portcullis trailers.
fn signed_repo(dir: &Path, ca: &CertificateAuthority) -> std::path::PathBuf {
    let repo = dir.join("repo");
    run(
        dir,
        "git",
        &["init", "--quiet", "--initial-branch=main", "repo"],
    );
    run(&repo, "git", &["config", "user.name", "Seeder"]);
    run(&repo, "git", &["config", "user.email", "seed@example.test"]);
    std::fs::write(repo.join("values.yaml"), "image:\n  tag: v1\n").unwrap();
    run(&repo, "git", &["add", "."]);
    run(&repo, "git", &["commit", "--quiet", "-m", "seed"]);

    let (certificate, key) = common::x509_signing_files(dir, ca, EMAIL);
    let config = X509Config::new(certificate, key);
    let signer = Signer::from_config(&SigningConfig::X509(config), None).unwrap();

    let bot = Identity::new("Portcullis Bot", EMAIL).unwrap();
    let meta = CommitMeta::new(
        "build: update app to v2\n\n\
         Portcullis-Change: app ghcr.io/acme/app v1 -> v2@sha256:0123abcd\n\
         Portcullis-Policy: policy-hash-1\n",
        bot.clone(),
        bot,
    )
    .unwrap();
    let changes = [FileChange::new("values.yaml", "image:\n  tag: v2\n").unwrap()];
    let outcome = Repository::open(&repo)
        .unwrap()
        .commit(&BranchName::new("main").unwrap(), &changes, &meta, &signer)
        .unwrap();
    assert!(
        matches!(outcome, CommitOutcome::Created { .. }),
        "{outcome:?}"
    );
    repo
}

fn portcullis(repo: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("verify-commit")
        .arg("--repo")
        .arg(repo)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_signed_commit_verifies_and_others_are_rejected_with_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let ca = CertificateAuthority::new("Portcullis CLI Test CA").unwrap();
    let repo = signed_repo(dir.path(), &ca);
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.certificate_pem()).unwrap();
    let ca_arg = ca_file.to_str().unwrap();

    let out = portcullis(&repo, &["--ca", ca_arg]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("format:   x509"), "{stdout}");
    assert!(stdout.contains(EMAIL), "{stdout}");
    assert!(stdout.contains("signed:   "), "{stdout}");
    assert!(
        stdout.contains("app: ghcr.io/acme/app v1 -> v2@sha256:0123abcd"),
        "{stdout}"
    );

    let out = portcullis(&repo, &["--ca", ca_arg, "--output", "json", "main"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verified"], true);
    assert_eq!(json["signer"]["email"], EMAIL);
    assert_eq!(json["policy"], "policy-hash-1");
    assert_eq!(json["changes"][0]["new"], "v2@sha256:0123abcd");

    // Another CA: rejected, the reason on stderr, nothing on stdout.
    let other = CertificateAuthority::new("Someone Else's CA").unwrap();
    let other_file = dir.path().join("other.pem");
    std::fs::write(&other_file, other.certificate_pem()).unwrap();
    let out = portcullis(&repo, &["--ca", other_file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("rejected") && stderr.contains("untrusted CA"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    // The unsigned seed commit: rejected.
    let out = portcullis(&repo, &["--ca", ca_arg, "HEAD~1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("not signed"), "{stderr}");

    // No such commit, or no CA for an X.509 signature: input errors.
    let out = portcullis(&repo, &["--ca", ca_arg, "no-such-branch"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = portcullis(&repo, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--ca"), "{stderr}");
}
