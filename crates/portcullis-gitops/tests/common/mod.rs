//! Shared fixtures for the write-back integration tests: real git repositories (a bare
//! "remote" and clones of it), a real `git daemon` on loopback, a GnuPG home with a fresh
//! OpenPGP key, and an X.509 CA and leaf certificate with a gpgsm home that trusts the CA.
//!
//! Nothing is faked: every fixture drives the same programs an operator has. A missing
//! program fails the test with the install command, it never skips it.

// Each test file uses a different part of this module.
#![allow(dead_code)]

pub(crate) mod gpg;
pub(crate) mod repo;
pub(crate) mod x509;

use std::path::Path;
use std::process::Command;

use portcullis_gitops::git::Identity;

/// Fails loudly when a program the tests drive is missing.
pub(crate) fn require_tools(tools: &[&str]) {
    for tool in tools {
        // openssl has a `version` command instead of a `--version` flag.
        let probe = if *tool == "openssl" {
            "version"
        } else {
            "--version"
        };
        let found = Command::new(tool)
            .arg(probe)
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "`{tool}` is required by these tests and was not found: run scripts/install-deps.sh \
             (it installs git tooling, gnupg, gpgsm and openssl)"
        );
    }
}

/// Runs `program args` in `dir` with `envs`, panicking with its stderr on failure.
pub(crate) fn run(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &Path)]) -> String {
    let out = Command::new(program)
        .current_dir(dir)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e} (run scripts/install-deps.sh)"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `git args` in `dir`.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    run(dir, "git", args, &[])
}

/// The identity the tests commit as; its email is the one in the test keys and certificates.
pub(crate) fn bot() -> Identity {
    Identity::new("Portcullis Bot", BOT_EMAIL).unwrap()
}

/// The email address of the test signer.
pub(crate) const BOT_EMAIL: &str = "bot@example.test";

/// Writes `text` as a commit object in `clone` and returns its id.
pub(crate) fn hash_commit(clone: &Path, text: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new("git")
        .current_dir(clone)
        .args(["hash-object", "-t", "commit", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// An error with all its sources, as the binary prints it.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        s.push_str(": ");
        s.push_str(&e.to_string());
        cur = e.source();
    }
    s
}
