//! `portcullis verify-bundle` with the trusted root taken through TUF instead of a file: a
//! real TUF repository written by `portcullis-testsign` (fresh keys, consistent snapshots)
//! served over HTTP on loopback by a plain file server, holding the trusted root of a
//! throwaway Sigstore that signed the bundle. The public-good repository is unreachable from
//! the test machine, which is the case tested for it: a clear error, not a pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::Path;
use std::process::{Command, Output};

use jiff::{SignedDuration, Timestamp};
use portcullis_testkit::fakes::file_server;
use portcullis_testsign::{LeafSpec, SigningOptions, TestSigstore, TufRepository};

const ISSUER: &str = "https://issuer.portcullis.test";
const EMAIL: &str = "release@acme.test";

fn run(bundle: &Path, cache: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(bundle)
        .args([
            "--certificate-identity",
            EMAIL,
            "--certificate-oidc-issuer",
            ISSUER,
        ])
        .arg("--tuf-cache")
        .arg(cache)
        .args(extra)
        .arg(format!("sha256:{}", "cd".repeat(32)))
        .env_remove("PORTCULLIS_TUF_CACHE")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trusted_root_through_tuf_online_cached_and_missing() {
    let scratch = tempfile::tempdir().unwrap();
    let sigstore = TestSigstore::new().unwrap();
    let signer = sigstore
        .keyless_signer(&LeafSpec::email(EMAIL, ISSUER))
        .unwrap();
    let bundle_json = sigstore
        .message_bundle(
            &signer,
            &format!("sha256:{}", "cd".repeat(32)),
            &SigningOptions::default(),
        )
        .unwrap();
    let bundle = scratch.path().join("bundle.json");
    std::fs::write(&bundle, bundle_json).unwrap();
    let repo = TufRepository::write(
        &scratch.path().join("repo"),
        &[("trusted_root.json", &sigstore.trusted_root_json().unwrap())],
        Timestamp::now() + SignedDuration::from_hours(24),
    )
    .unwrap();
    let root = scratch.path().join("root.json");
    std::fs::write(&root, repo.root_json()).unwrap();
    let cache = scratch.path().join("cache");
    let server = file_server(repo.dir()).await;
    let url = server.url();
    let tuf = [
        "--tuf-url",
        url.as_str(),
        "--tuf-root",
        root.to_str().unwrap(),
    ];

    // Online: refreshed, verified, no note.
    let out = run(&bundle, &cache, &tuf);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("note:"),
        "{}",
        text(&out)
    );

    // --offline: from the cache, no request made.
    let hits = server.hits();
    let mut offline = tuf.to_vec();
    offline.push("--offline");
    let out = run(&bundle, &cache, &offline);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(server.hits(), hits);

    // The repository gone: the cache stands in, and stderr says so.
    drop(server);
    let out = run(&bundle, &cache, &tuf);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not be reached"), "{}", text(&out));

    // Gone and no cache: an error (exit 1, not a rejection), naming the way out.
    let empty = scratch.path().join("empty");
    let out = run(&bundle, &empty, &tuf);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&url) && stderr.contains("--trusted-root"),
        "{}",
        text(&out)
    );

    // The public-good repository, offline with an empty cache: the same kind of error.
    let out = run(&bundle, &empty, &["--offline"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("https://tuf-repo-cdn.sigstore.dev"),
        "{}",
        text(&out)
    );

    // --staging (the conformance protocol's flag): the staging repository, here offline with
    // an empty cache, so the error names it; and it never falls back to public-good.
    let out = run(&bundle, &empty, &["--staging", "--offline"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("https://tuf-repo-cdn.sigstage.dev")
            && !stderr.contains("https://tuf-repo-cdn.sigstore.dev"),
        "{}",
        text(&out)
    );

    // --trusted-root and TUF flags do not mix.
    let out = run(
        &bundle,
        &cache,
        &["--trusted-root", root.to_str().unwrap(), "--offline"],
    );
    // A usage mistake is bad input (1), never "nothing matched" (2).
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
