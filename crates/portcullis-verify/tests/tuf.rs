//! The trusted root through TUF: the upstream TUF client against a real TUF repository
//! written by `portcullis-testsign` (fresh keys per role, consistent snapshots) and served
//! over HTTP on loopback by a plain file server. The public-good repository cannot be
//! reached from the test machine; its offline behaviour is tested against an empty cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use portcullis_testkit::fakes::file_server;
use portcullis_testsign::{LeafSpec, SigningOptions, TestSigstore, TufRepository};
use portcullis_verify::{
    BundlePolicy, Expectation, Freshness, Identity, TrustRoot, TrustRootError, TufMode, TufSource,
    verify_image_bundle,
};

const ISSUER: &str = "https://issuer.portcullis.test";
const EMAIL: &str = "release@acme.test";

fn digest() -> portcullis_image::Digest {
    format!("sha256:{}", "ab".repeat(32)).parse().unwrap()
}

/// A bundle signed by `sigstore`, verified against `trust`.
fn verifies(sigstore: &TestSigstore, trust: &TrustRoot) -> bool {
    let signer = sigstore
        .keyless_signer(&LeafSpec::email(EMAIL, ISSUER))
        .unwrap();
    let bundle = sigstore
        .message_bundle(&signer, &digest().to_string(), &SigningOptions::default())
        .unwrap();
    let policy = BundlePolicy::keyless([Identity::exact(EMAIL, ISSUER).unwrap()]).unwrap();
    verify_image_bundle(&bundle, &digest(), &Expectation::Signature, &policy, trust).is_ok()
}

fn repository(dir: &Path, sigstore: &TestSigstore, expires: Timestamp) -> TufRepository {
    let root = sigstore.trusted_root_json().unwrap();
    TufRepository::write(dir, &[("trusted_root.json", &root)], expires).unwrap()
}

fn tomorrow() -> Timestamp {
    Timestamp::now() + SignedDuration::from_hours(24)
}

#[tokio::test(flavor = "multi_thread")]
async fn refreshes_online_then_serves_the_verified_cache_when_the_repository_is_gone() {
    let scratch = tempfile::tempdir().unwrap();
    let sigstore = TestSigstore::new().unwrap();
    let repo = repository(&scratch.path().join("repo"), &sigstore, tomorrow());
    let server = file_server(repo.dir()).await;
    let cache = scratch.path().join("cache");
    let source = TufSource::custom(&server.url(), repo.root_json().to_vec(), &cache);

    let (trust, freshness) = TrustRoot::from_tuf(&source, TufMode::Online).await.unwrap();
    assert_eq!(freshness, Freshness::Refreshed);
    assert!(verifies(&sigstore, &trust));
    assert!(
        cache.join("timestamp.json").is_file(),
        "the cache is written"
    );
    assert!(
        server.hits() >= 4,
        "root, timestamp, snapshot, targets, target"
    );

    // Offline: the cache, verified again, with no request.
    let before = server.hits();
    let (trust, freshness) = TrustRoot::from_tuf(&source, TufMode::Offline)
        .await
        .unwrap();
    assert_eq!(freshness, Freshness::Cached);
    assert!(verifies(&sigstore, &trust));
    assert_eq!(server.hits(), before, "offline makes no request");

    // The repository goes away: online falls back to the cache and says so.
    drop(server);
    let (trust, freshness) = TrustRoot::from_tuf(&source, TufMode::Online).await.unwrap();
    assert_eq!(freshness, Freshness::Cached);
    assert!(verifies(&sigstore, &trust));
    // Another instance's signature does not verify under this root.
    assert!(!verifies(&TestSigstore::new().unwrap(), &trust));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_repository_and_no_cache_is_an_error_naming_both_and_the_way_out() {
    let scratch = tempfile::tempdir().unwrap();
    let sigstore = TestSigstore::new().unwrap();
    let repo = repository(&scratch.path().join("repo"), &sigstore, tomorrow());
    let url = {
        let server = file_server(repo.dir()).await;
        server.url()
    }; // stopped: nothing listens there now
    let cache = scratch.path().join("empty-cache");
    let source = TufSource::custom(&url, repo.root_json().to_vec(), &cache);
    for mode in [TufMode::Online, TufMode::Offline] {
        let error = TrustRoot::from_tuf(&source, mode).await.unwrap_err();
        assert!(matches!(error, TrustRootError::Tuf { .. }), "{error:?}");
        let text = error.to_string();
        assert!(text.contains(&url), "{text}");
        assert!(text.contains(&cache.display().to_string()), "{text}");
        assert!(text.contains("--trusted-root"), "{text}");
        if mode == TufMode::Offline {
            assert!(text.contains("offline"), "{text}");
        }
    }
    // The public-good repository, offline with an empty cache: the same error, no request.
    let source = TufSource::public_good(scratch.path().join("public-good-cache"));
    let error = TrustRoot::from_tuf(&source, TufMode::Offline)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("https://tuf-repo-cdn.sigstore.dev"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_target_or_expired_metadata_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let sigstore = TestSigstore::new().unwrap();

    // The target's bytes replaced by another instance's root, metadata untouched.
    let repo = repository(&scratch.path().join("tampered"), &sigstore, tomorrow());
    let target = std::fs::read_dir(repo.dir().join("targets"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let other = TestSigstore::new().unwrap().trusted_root_json().unwrap();
    std::fs::write(&target, other).unwrap();
    let server = file_server(repo.dir()).await;
    let source = TufSource::custom(
        &server.url(),
        repo.root_json().to_vec(),
        scratch.path().join("cache-1"),
    );
    let error = TrustRoot::from_tuf(&source, TufMode::Online)
        .await
        .unwrap_err();
    assert!(matches!(error, TrustRootError::Tuf { .. }), "{error:?}");

    // Metadata that expired yesterday.
    let repo = repository(
        &scratch.path().join("expired"),
        &sigstore,
        Timestamp::now() - SignedDuration::from_hours(24),
    );
    let server = file_server(repo.dir()).await;
    let source = TufSource::custom(
        &server.url(),
        repo.root_json().to_vec(),
        scratch.path().join("cache-2"),
    );
    let error = TrustRoot::from_tuf(&source, TufMode::Online)
        .await
        .unwrap_err();
    assert!(matches!(error, TrustRootError::Tuf { .. }), "{error:?}");

    // A root from another repository does not bootstrap trust in this one.
    let good = repository(&scratch.path().join("good"), &sigstore, tomorrow());
    let stranger = repository(&scratch.path().join("stranger"), &sigstore, tomorrow());
    let server = file_server(good.dir()).await;
    let source = TufSource::custom(
        &server.url(),
        stranger.root_json().to_vec(),
        scratch.path().join("cache-3"),
    );
    assert!(TrustRoot::from_tuf(&source, TufMode::Online).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_answering_with_bad_metadata_is_an_error_not_a_cache_fallback() {
    let scratch = tempfile::tempdir().unwrap();
    let sigstore = TestSigstore::new().unwrap();
    let repo = repository(&scratch.path().join("repo"), &sigstore, tomorrow());
    let server = file_server(repo.dir()).await;
    let cache = scratch.path().join("cache");
    let source = TufSource::custom(&server.url(), repo.root_json().to_vec(), &cache);
    TrustRoot::from_tuf(&source, TufMode::Online).await.unwrap();
    // The repository now serves a timestamp whose signature does not verify (a mirror
    // replaying or forging metadata): refused, though a valid cache exists.
    let path = repo.dir().join("timestamp.json");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    doc["signed"]["version"] = 2.into();
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let error = TrustRoot::from_tuf(&source, TufMode::Online)
        .await
        .unwrap_err();
    assert!(matches!(error, TrustRootError::Tuf { .. }), "{error:?}");
    // Offline, the verified cache still serves.
    assert!(TrustRoot::from_tuf(&source, TufMode::Offline).await.is_ok());
}
