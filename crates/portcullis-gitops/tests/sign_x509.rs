#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! X.509-signed commits: a detached CMS signature made by the crate, checked by the real
//! `git -c gpg.format=x509 verify-commit` (gpgsm, trusting the test CA) and by `openssl cms`;
//! a rewritten commit fails; mismatched or expired material is refused.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::repo::Remote;
use common::x509::{X509Fixture, openssl};
use common::{bot, git};
use portcullis_gitops::git::{BranchName, CommitMeta, CommitOutcome, FileChange, Repository};
use portcullis_gitops::sign::{
    SignError, SignatureFormat, Signer, SigningConfig, X509Config, X509Error,
};
use portcullis_testsign::CertificateAuthority;

fn signer(fx: &X509Fixture, leaf: &str) -> Result<Signer, SignError> {
    let config = X509Config::new(fx.path(&format!("{leaf}.pem")), fx.path("leaf.key"));
    Signer::from_config(&SigningConfig::X509(config), None)
}

fn verify_commit(clone: &Path, fx: &X509Fixture, rev: &str) -> (bool, String) {
    let out = Command::new("git")
        .current_dir(clone)
        .env("GNUPGHOME", fx.gpgsm_home())
        .args(["-c", "gpg.format=x509", "verify-commit", "--raw", rev])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn commit_one(clone: &Path, signer: &Signer) -> String {
    let repo = Repository::open(clone).unwrap();
    let changes = [FileChange::new("apps/app/values.yaml", "image:\n  tag: v2\n").unwrap()];
    let meta = CommitMeta::new("build: update app to v2", bot(), bot()).unwrap();
    match repo
        .commit(&BranchName::new("main").unwrap(), &changes, &meta, signer)
        .unwrap()
    {
        CommitOutcome::Created { commit, .. } => commit.as_str().to_owned(),
        other => panic!("expected a commit, got {other:?}"),
    }
}

#[test]
fn a_cms_signed_commit_passes_git_verify_commit_with_gpgsm() {
    let fx = X509Fixture::new();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let signer = signer(&fx, "leaf").unwrap();
    assert_eq!(signer.format(), Some(SignatureFormat::X509));
    let commit = commit_one(&clone, &signer);

    let raw = git(&clone, &["cat-file", "commit", &commit]);
    assert!(
        raw.contains("\ngpgsig -----BEGIN SIGNED MESSAGE-----\n"),
        "{raw}"
    );
    let (ok, status) = verify_commit(&clone, &fx, &commit);
    assert!(ok, "git verify-commit failed:\n{status}");
    assert!(status.contains("[GNUPG:] GOODSIG"), "{status}");
    assert!(status.contains("[GNUPG:] TRUST_"), "{status}");
}

#[test]
fn the_signature_is_detached_cms_with_the_signed_attributes_openssl_expects() {
    let fx = X509Fixture::new();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let commit = commit_one(&clone, &signer(&fx, "leaf").unwrap());
    let raw = git(&clone, &["cat-file", "commit", &commit]);

    // Split the object as git does: the gpgsig header out, the rest is the signed payload.
    let mut payload = String::new();
    let mut signature = String::new();
    let mut in_sig = false;
    for line in raw.split_inclusive('\n') {
        if let Some(first) = line.strip_prefix("gpgsig ") {
            in_sig = true;
            signature.push_str(first);
        } else if in_sig && line.starts_with(' ') {
            signature.push_str(&line[1..]);
        } else {
            in_sig = false;
            payload.push_str(line);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("payload"), &payload).unwrap();
    std::fs::write(
        dir.path().join("sig.pem"),
        signature.replace("SIGNED MESSAGE", "CMS"),
    )
    .unwrap();
    let ca = fx.path("ca.pem");
    openssl(
        dir.path(),
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "PEM",
            "-in",
            "sig.pem",
            "-content",
            "payload",
            "-CAfile",
            ca.to_str().unwrap(),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
    );
    let printed = openssl(
        dir.path(),
        &[
            "cms", "-cmsout", "-print", "-inform", "PEM", "-in", "sig.pem",
        ],
    );
    for attr in [
        "contentType",
        "messageDigest",
        "signingTime",
        "sha256",
        "ecdsa-with-SHA256",
    ] {
        assert!(printed.contains(attr), "no {attr} in\n{printed}");
    }
    assert!(
        printed.contains("eContent: <ABSENT>"),
        "not detached:\n{printed}"
    );
}

#[test]
fn a_rewritten_commit_fails_verification() {
    let fx = X509Fixture::new();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let commit = commit_one(&clone, &signer(&fx, "leaf").unwrap());
    let raw = git(&clone, &["cat-file", "commit", &commit]);
    let forged = common::hash_commit(&clone, &raw.replace("tag", "TAG").replace("to v2", "to v9"));
    let (ok, status) = verify_commit(&clone, &fx, &forged);
    assert!(!ok, "a rewritten commit verified:\n{status}");
    assert!(status.contains("BADSIG"), "{status}");
}

#[test]
fn a_certificate_for_another_key_is_refused() {
    let fx = X509Fixture::new();
    fx.issue_leaf("other", "other@example.test");
    let config = X509Config::new(fx.path("leaf.pem"), fx.path("other.key"));
    let err = Signer::from_config(&SigningConfig::X509(config), None).unwrap_err();
    assert!(
        matches!(err, SignError::X509(X509Error::KeyMismatch { .. })),
        "{err}"
    );
}

#[test]
fn an_expired_certificate_is_refused() {
    let fx = X509Fixture::new();
    let ca = CertificateAuthority::new("Portcullis Fulcio-like CA").unwrap();
    fx.fulcio_like_leaf(&ca, "expired", |spec| {
        spec.not_before -= Duration::from_secs(3 * 86_400);
        spec.not_after -= Duration::from_secs(2 * 86_400);
    });
    let config = X509Config::new(fx.path("expired.pem"), fx.path("leaf.key"));
    let err = Signer::from_config(&SigningConfig::X509(config), None).unwrap_err();
    assert!(
        matches!(err, SignError::X509(X509Error::NotValidNow { .. })),
        "{err}"
    );
}
