#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `verify_commit` against commits the crate's own signers made in real repositories: X.509
//! (checked against the CA, at the authenticated signing time) and OpenPGP (through a real
//! GnuPG home); other CAs, rewritten, unsigned and wrongly pinned commits are refused.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::gpg::GpgHome;
use common::repo::Remote;
use common::x509::X509Fixture;
use common::{bot, git};
use portcullis_gitops::git::{BranchName, CommitMeta, CommitOutcome, FileChange, Repository};
use portcullis_gitops::sign::{
    SignError, SignatureFormat, Signer, SigningConfig, X509Config, X509Error,
};
use portcullis_gitops::verify_commit::{
    CommitSigner, VerifyCommitError, VerifyOptions, verify_commit, verify_object,
};
use portcullis_testsign::CertificateAuthority;

const MESSAGE: &str = "build: update app to v2\n\n\
    Portcullis-Change: app ghcr.io/acme/app v1 -> v2@sha256:0123abcd\n\
    Portcullis-Policy: policy-hash-1\n";

fn commit_one(clone: &Path, signer: &Signer) -> String {
    let repo = Repository::open(clone).unwrap();
    let changes = [FileChange::new("apps/app/values.yaml", "image:\n  tag: v2\n").unwrap()];
    let meta = CommitMeta::new(MESSAGE, bot(), bot()).unwrap();
    match repo
        .commit(&BranchName::new("main").unwrap(), &changes, &meta, signer)
        .unwrap()
    {
        CommitOutcome::Created { commit, .. } => commit.as_str().to_owned(),
        other => panic!("expected a commit, got {other:?}"),
    }
}

fn x509_signer(fx: &X509Fixture) -> Signer {
    let config = X509Config::new(fx.path("leaf.pem"), fx.path("leaf.key"));
    Signer::from_config(&SigningConfig::X509(config), None).unwrap()
}

fn with_ca(path: impl AsRef<Path>) -> VerifyOptions {
    VerifyOptions::new().with_trusted_ca(path.as_ref())
}

#[test]
fn an_x509_signed_commit_verifies_against_its_ca_and_yields_its_trailers() {
    let fx = X509Fixture::new();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let commit = commit_one(&clone, &x509_signer(&fx));

    let verified = verify_commit(&clone, "HEAD", &with_ca(fx.path("ca.pem"))).unwrap();
    assert_eq!(verified.commit, commit);
    assert_eq!(verified.format, SignatureFormat::X509);
    match &verified.signer {
        CommitSigner::X509 { email, issuer, .. } => {
            assert_eq!(email.as_deref(), Some(common::BOT_EMAIL));
            assert!(issuer.contains("Portcullis Test CA"), "{issuer}");
        }
        other => panic!("expected an X.509 signer, got {other:?}"),
    }
    assert!(verified.signing_time.is_some());
    assert_eq!(verified.changes.len(), 1);
    assert_eq!(verified.changes[0].image, "ghcr.io/acme/app");
    assert_eq!(verified.changes[0].new, "v2@sha256:0123abcd");
    assert_eq!(verified.policy.as_deref(), Some("policy-hash-1"));
}

#[test]
fn an_x509_signed_commit_is_rejected_with_another_ca() {
    let fx = X509Fixture::new();
    let other = X509Fixture::new();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    commit_one(&clone, &x509_signer(&fx));

    let err = verify_commit(&clone, "HEAD", &with_ca(other.path("ca.pem"))).unwrap_err();
    assert!(matches!(err, VerifyCommitError::UntrustedCa(_)), "{err}");
    assert!(err.is_rejection());
    assert!(err.to_string().contains("untrusted CA"), "{err}");
}

#[test]
fn a_rewritten_commit_is_rejected_for_its_digest() {
    let fx = X509Fixture::new();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let commit = commit_one(&clone, &x509_signer(&fx));
    let raw = git(&clone, &["cat-file", "commit", &commit]);
    let forged = common::hash_commit(&clone, &raw.replace("v2@sha256", "v9@sha256"));
    assert_ne!(forged, commit);

    let err = verify_commit(&clone, &forged, &with_ca(fx.path("ca.pem"))).unwrap_err();
    assert!(
        matches!(err, VerifyCommitError::DigestMismatch { .. }),
        "{err}"
    );
    assert!(err.is_rejection());

    // Damaged signatures and objects are refused, never a panic.
    let options = with_ca(fx.path("ca.pem"));
    let bytes = raw.as_bytes();
    for at in 0..bytes.len() {
        let mut damaged = bytes.to_vec();
        damaged[at] ^= 0x01;
        let result = verify_object(commit.clone(), &damaged, &options);
        assert!(
            result.is_err(),
            "byte {at} changed and the commit still verified: {:?}",
            String::from_utf8_lossy(&damaged[at.saturating_sub(30)..(at + 30).min(damaged.len())])
        );
        let _ = verify_object(commit.clone(), &bytes[..at], &options);
    }
}

/// The signer refuses an already-expired certificate and stamps the signing time itself, so
/// the closest setup to "a keyless certificate read long after" is a leaf that expires a few
/// seconds after the commit is made, and verification after it has expired.
#[test]
fn a_certificate_that_expired_after_signing_still_verifies_at_the_signing_time() {
    let fx = X509Fixture::new();
    let ca = CertificateAuthority::new("Portcullis Keyless-like CA").unwrap();
    let d = fx.dir.path();
    // Valid from a minute ago until 4 seconds from now.
    let started = Instant::now();
    fx.fulcio_like_leaf(&ca, "short", |spec| {
        spec.not_after -= Duration::from_secs(596);
    });
    std::fs::write(d.join("keyless-ca.pem"), ca.certificate_pem()).unwrap();
    let config = X509Config::new(fx.path("short.pem"), fx.path("leaf.key"));
    let signer = Signer::from_config(&SigningConfig::X509(config.clone()), None).unwrap();

    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    commit_one(&clone, &signer);
    while started.elapsed() < Duration::from_secs(6) {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Expired now: the signer itself would refuse it.
    let refused = Signer::from_config(&SigningConfig::X509(config), None).unwrap_err();
    assert!(
        matches!(refused, SignError::X509(X509Error::NotValidNow { .. })),
        "{refused}"
    );

    let verified = verify_commit(&clone, "HEAD", &with_ca(fx.path("keyless-ca.pem"))).unwrap();
    assert_eq!(verified.format, SignatureFormat::X509);
    assert_eq!(verified.changes.len(), 1);
}

#[test]
fn an_unsigned_commit_is_rejected() {
    let fx = X509Fixture::new();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let err = verify_commit(&clone, "HEAD", &with_ca(fx.path("ca.pem"))).unwrap_err();
    assert!(matches!(err, VerifyCommitError::Unsigned), "{err}");
    assert!(err.is_rejection());
}

#[test]
fn a_name_that_is_no_commit_is_an_input_error() {
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    for rev in ["no-such-branch", "--help", "HEAD^{tree}", ""] {
        let err = verify_commit(&clone, rev, &VerifyOptions::new()).unwrap_err();
        assert!(
            matches!(err, VerifyCommitError::NotACommit { .. }),
            "{rev}: {err}"
        );
        assert!(!err.is_rejection());
    }
}

#[test]
fn an_openpgp_signed_commit_verifies_with_its_home_and_honours_the_allowlist() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let signer = home.signer();
    let commit = commit_one(&clone, &signer);

    let options = VerifyOptions::new().with_gnupg_home(home.path());
    let verified = verify_commit(&clone, &commit, &options).unwrap();
    assert_eq!(verified.format, SignatureFormat::OpenPgp);
    match &verified.signer {
        CommitSigner::OpenPgp {
            fingerprint,
            user_id,
        } => {
            assert_eq!(*fingerprint, home.fingerprint);
            assert!(user_id.as_deref().unwrap_or("").contains(common::BOT_EMAIL));
        }
        other => panic!("expected an OpenPGP signer, got {other:?}"),
    }
    assert_eq!(verified.policy.as_deref(), Some("policy-hash-1"));

    let pinned = options
        .clone()
        .with_allowed_key(home.fingerprint.to_lowercase());
    verify_commit(&clone, &commit, &pinned).unwrap();

    let wrong = options.with_allowed_key("0000000000000000000000000000000000000000");
    let err = verify_commit(&clone, &commit, &wrong).unwrap_err();
    assert!(matches!(err, VerifyCommitError::UntrustedKey(_)), "{err}");
    assert!(err.is_rejection());

    let raw = git(&clone, &["cat-file", "commit", &commit]);
    let forged = common::hash_commit(&clone, &raw.replace("v2@sha256", "v9@sha256"));
    let err = verify_commit(
        &clone,
        &forged,
        &VerifyOptions::new().with_gnupg_home(home.path()),
    )
    .unwrap_err();
    assert!(matches!(err, VerifyCommitError::BadSignature(_)), "{err}");
}

#[test]
fn a_certificate_issued_for_another_purpose_does_not_sign_commits() {
    // The CA's TLS server certificate, say: right CA, wrong purpose.
    let fx = X509Fixture::new();
    fx.issue_leaf_for("server", common::BOT_EMAIL, "serverAuth");
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let config = X509Config::new(fx.path("server.pem"), fx.path("server.key"));
    let signer = Signer::from_config(&SigningConfig::X509(config), None).unwrap();
    commit_one(&clone, &signer);
    let err = verify_commit(&clone, "HEAD", &with_ca(fx.path("ca.pem"))).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    assert!(err.to_string().contains("extended key usage"), "{err}");
}
