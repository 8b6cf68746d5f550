#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! OpenPGP-signed commits through gpgme, checked by the real `git verify-commit` and
//! `git log --show-signature` against a real GnuPG home; a rewritten commit fails.

mod common;

use std::path::Path;
use std::process::Command;

use common::gpg::GpgHome;
use common::repo::Remote;
use common::{bot, git};
use portcullis_gitops::git::{BranchName, CommitMeta, CommitOutcome, FileChange, Repository};
use portcullis_gitops::sign::{
    OpenPgpConfig, OpenPgpError, OpenPgpKeySource, SignError, SignatureFormat, Signer,
    SigningConfig,
};

/// `git verify-commit --raw <rev>` with `GNUPGHOME=home`: (success, gpg status output).
fn verify_commit(clone: &Path, home: &Path, rev: &str) -> (bool, String) {
    let out = Command::new("git")
        .current_dir(clone)
        .env("GNUPGHOME", home)
        .args(["verify-commit", "--raw", rev])
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
    let meta = CommitMeta::new(
        "build: update app to v2\n\nVerified by Portcullis.",
        bot(),
        bot(),
    )
    .unwrap();
    let outcome = repo
        .commit(&BranchName::new("main").unwrap(), &changes, &meta, signer)
        .unwrap();
    match outcome {
        CommitOutcome::Created { commit, .. } => commit.as_str().to_owned(),
        other => panic!("expected a commit, got {other:?}"),
    }
}

#[test]
fn a_commit_signed_from_a_gnupg_home_passes_git_verify_commit() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let signer = home.signer();
    assert_eq!(signer.format(), Some(SignatureFormat::OpenPgp));
    let commit = commit_one(&clone, &signer);

    let (ok, status) = verify_commit(&clone, home.path(), &commit);
    assert!(ok, "git verify-commit failed:\n{status}");
    assert!(status.contains("[GNUPG:] GOODSIG"), "{status}");
    assert!(
        status.contains(&format!("VALIDSIG {}", home.fingerprint)),
        "{status}"
    );

    let log = run_with_home(
        &clone,
        home.path(),
        &["log", "-1", "--show-signature", &commit],
    );
    assert!(
        log.contains("Good signature from \"Portcullis Bot <bot@example.test>\""),
        "{log}"
    );
    let raw = git(&clone, &["cat-file", "commit", &commit]);
    assert!(
        raw.contains("\ngpgsig -----BEGIN PGP SIGNATURE-----\n"),
        "{raw}"
    );
}

#[test]
fn an_armored_key_file_is_imported_into_a_private_home() {
    let home = GpgHome::with_key();
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("signing-key.asc");
    std::fs::write(&key_file, home.export_secret_key()).unwrap();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let config = OpenPgpConfig::new(
        OpenPgpKeySource::ArmoredKeyFile(key_file),
        &home.fingerprint,
    )
    .with_passphrase_file(home.passphrase_file());
    let signer = Signer::from_config(&SigningConfig::OpenPgp(config), None).unwrap();
    let commit = commit_one(&clone, &signer);
    drop(signer);
    // Verified with the original home: the public key is the same.
    let (ok, status) = verify_commit(&clone, home.path(), &commit);
    assert!(ok, "git verify-commit failed:\n{status}");
}

#[test]
fn a_rewritten_commit_fails_verification() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let signer = home.signer();
    let commit = commit_one(&clone, &signer);

    let raw = git(&clone, &["cat-file", "commit", &commit]);
    let forged = raw.replace("update app to v2", "update app to v666");
    assert_ne!(raw, forged);
    let forged_id = common::hash_commit(&clone, &forged);
    let (ok, status) = verify_commit(&clone, home.path(), &forged_id);
    assert!(!ok, "a rewritten commit verified:\n{status}");
    assert!(status.contains("BADSIG"), "{status}");
}

#[test]
fn a_wrong_passphrase_makes_no_signature_and_no_commit() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let wrong = home.path().join("wrong.txt");
    std::fs::write(&wrong, "not it\n").unwrap();
    let config = OpenPgpConfig::new(
        OpenPgpKeySource::HomeDir(home.path().to_path_buf()),
        &home.fingerprint,
    )
    .with_passphrase_file(&wrong);
    let signer = Signer::from_config(&SigningConfig::OpenPgp(config), None).unwrap();
    let head = git(&clone, &["rev-parse", "main"]);
    let repo = Repository::open(&clone).unwrap();
    let changes = [FileChange::new("apps/app/values.yaml", "image:\n  tag: v2\n").unwrap()];
    let meta = CommitMeta::new("update", bot(), bot()).unwrap();
    let err = repo
        .commit(&BranchName::new("main").unwrap(), &changes, &meta, &signer)
        .unwrap_err();
    let chain = common::error_chain(&err);
    assert!(chain.contains("passphrase"), "{chain}");
    assert!(!chain.contains("not it"), "the passphrase leaked: {chain}");
    assert_eq!(git(&clone, &["rev-parse", "main"]), head);
}

#[test]
fn an_unknown_key_is_refused_when_the_signer_is_built() {
    let home = GpgHome::with_key();
    let config = OpenPgpConfig::new(
        OpenPgpKeySource::HomeDir(home.path().to_path_buf()),
        "0000000000000000000000000000000000000000",
    );
    let err = Signer::from_config(&SigningConfig::OpenPgp(config), None).unwrap_err();
    assert!(
        matches!(err, SignError::OpenPgp(OpenPgpError::KeyNotFound { .. })),
        "{err}"
    );
}

#[test]
fn a_file_without_a_secret_key_is_refused() {
    let home = GpgHome::with_key();
    let public = home.dir.path().join("public.asc");
    let out = Command::new("gpg")
        .args([
            "--homedir",
            home.path().to_str().unwrap(),
            "--armor",
            "--export",
            &home.fingerprint,
        ])
        .output()
        .unwrap();
    std::fs::write(&public, out.stdout).unwrap();
    let config = OpenPgpConfig::new(OpenPgpKeySource::ArmoredKeyFile(public), &home.fingerprint);
    let err = Signer::from_config(&SigningConfig::OpenPgp(config), None).unwrap_err();
    assert!(
        matches!(
            err,
            SignError::OpenPgp(OpenPgpError::NoSecretKeyInFile { .. })
        ),
        "{err}"
    );
}

fn run_with_home(clone: &Path, home: &Path, args: &[&str]) -> String {
    common::run(clone, "git", args, &[("GNUPGHOME", home)])
}
