//! Keyless bundles made by a third-party signer, checked by `portcullis verify-bundle`.
//!
//! `tests/sigstore-mock/sign.mjs` signs an artifact with sigstore-js (npm `sigstore`) against
//! the Fulcio and Rekor of npm `@sigstore/mock` (both from sigstore/sigstore-js), served on
//! loopback: a real certificate with an embedded SCT, a real hashedrekord/intoto log entry
//! with SET and checkpoint, and a trusted root built from the mock's own keys. No TSA: the
//! signing time is Rekor's integrated time. Each test signs afresh into its own directory
//! (about a third of a second).
//!
//! Needs Node and `tests/sigstore-mock/node_modules` (`scripts/install-node-deps.sh`); when
//! either is missing the tests fail, saying so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use portcullis_testkit::testdata_dir;
use serde_json::Value;

/// What the mock's Fulcio puts in the certificate: the token's `sub` as a URI SAN and its
/// `iss` as the OIDC issuer extension (sign.mjs checks the SAN and writes identity.json).
const IDENTITY: &str =
    "https://github.com/portcullis-dev/portcullis/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn mock_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sigstore-mock")
}

/// Runs sign.mjs into a fresh directory; the directory lives as long as the guard.
fn sign() -> tempfile::TempDir {
    let mock = mock_dir();
    assert!(
        mock.join("node_modules/@sigstore/mock").is_dir()
            && mock.join("node_modules/sigstore").is_dir(),
        "{}/node_modules is missing: run scripts/install-node-deps.sh (npm ci of the pinned npm \
         packages `sigstore` and `@sigstore/mock`, from github.com/sigstore/sigstore-js)",
        mock.display()
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = Command::new("node")
        .arg(mock.join("sign.mjs"))
        .arg(out_dir.path())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `node` ({e}): Node.js 20+ is needed to run sigstore-js and @sigstore/mock")
        });
    assert!(out.status.success(), "sign.mjs failed: {}", describe(&out));
    let written: Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("identity.json")).unwrap())
            .unwrap();
    assert_eq!(
        written["identity"], IDENTITY,
        "SAN the mock's Fulcio issued"
    );
    assert_eq!(
        written["issuer"], ISSUER,
        "issuer the mock's Fulcio recorded"
    );
    out_dir
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `portcullis verify-bundle --bundle <dir>/<bundle> <policy…> --trusted-root <root> <target>`.
fn verify(dir: &Path, bundle: &str, policy: &[&str], root: &Path, target: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(dir.join(bundle))
        .args(policy)
        .arg("--trusted-root")
        .arg(root)
        .arg(target)
        .output()
        .unwrap()
}

fn exact() -> [&'static str; 4] {
    [
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ]
}

fn artifact(dir: &Path) -> String {
    dir.join("artifact.txt").display().to_string()
}

fn assert_verified(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", describe(out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(IDENTITY), "{}", describe(out));
    assert!(stdout.contains(ISSUER), "{}", describe(out));
}

/// Exit 3 with `rejected (<code>)` and every one of `words` on stderr.
fn assert_rejected(out: &Output, code: &str, words: &[&str]) {
    assert_eq!(out.status.code(), Some(3), "{}", describe(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("rejected ({code})")),
        "expected a {code} rejection\n{}",
        describe(out)
    );
    for w in words {
        assert!(
            stderr.contains(w),
            "expected {w:?} on stderr\n{}",
            describe(out)
        );
    }
}

#[test]
fn message_signature_verifies_with_exact_identity_by_path_and_by_digest() {
    let dir = sign();
    let root = dir.path().join("trusted_root.json");
    assert_verified(&verify(
        dir.path(),
        "bundle.sigstore.json",
        &exact(),
        &root,
        &artifact(dir.path()),
    ));

    let digest =
        portcullis_testkit::sha256(&std::fs::read(dir.path().join("artifact.txt")).unwrap());
    assert_verified(&verify(
        dir.path(),
        "bundle.sigstore.json",
        &exact(),
        &root,
        &digest,
    ));
}

#[test]
fn message_signature_verifies_with_identity_and_issuer_regexps() {
    let dir = sign();
    let policy = [
        "--certificate-identity-regexp",
        r"https://github\.com/portcullis-dev/portcullis/\.github/workflows/[^/]+\.yml@refs/heads/.+",
        "--certificate-oidc-issuer-regexp",
        r"https://token\.actions\.githubusercontent\.com",
    ];
    let out = verify(
        dir.path(),
        "bundle.sigstore.json",
        &policy,
        &dir.path().join("trusted_root.json"),
        &artifact(dir.path()),
    );
    assert_verified(&out);
}

#[test]
fn dsse_attestation_with_intoto_entry_verifies_against_its_subject() {
    let dir = sign();
    let out = verify(
        dir.path(),
        "attestation.sigstore.json",
        &exact(),
        &dir.path().join("trusted_root.json"),
        &artifact(dir.path()),
    );
    assert_verified(&out);
}

#[test]
fn wrong_identity_is_rejected() {
    let dir = sign();
    let root = dir.path().join("trusted_root.json");
    let out = verify(
        dir.path(),
        "bundle.sigstore.json",
        &[
            "--certificate-identity",
            "https://github.com/portcullis-dev/portcullis/.github/workflows/evil.yml@refs/heads/main",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        &root,
        &artifact(dir.path()),
    );
    assert_rejected(&out, "identity_mismatch", &[IDENTITY, "evil.yml"]);

    // Anchored: a regexp matching only a prefix of the SAN does not allow it.
    let out = verify(
        dir.path(),
        "bundle.sigstore.json",
        &[
            "--certificate-identity-regexp",
            r"https://github\.com/portcullis-dev/portcullis/",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        &root,
        &artifact(dir.path()),
    );
    assert_rejected(&out, "identity_mismatch", &[IDENTITY]);
}

#[test]
fn wrong_issuer_is_rejected() {
    let dir = sign();
    let out = verify(
        dir.path(),
        "bundle.sigstore.json",
        &[
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            "https://accounts.google.com",
        ],
        &dir.path().join("trusted_root.json"),
        &artifact(dir.path()),
    );
    assert_rejected(
        &out,
        "issuer_mismatch",
        &[ISSUER, "https://accounts.google.com"],
    );
}

#[test]
fn tampered_artifact_is_rejected_for_both_bundle_kinds() {
    let dir = sign();
    let root = dir.path().join("trusted_root.json");
    let tampered = dir.path().join("tampered.txt");
    let mut bytes = std::fs::read(dir.path().join("artifact.txt")).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&tampered, &bytes).unwrap();
    let digest = portcullis_testkit::sha256(&bytes);
    let target = tampered.display().to_string();

    let out = verify(dir.path(), "bundle.sigstore.json", &exact(), &root, &target);
    assert_rejected(&out, "digest_mismatch", &[&digest]);
    let out = verify(
        dir.path(),
        "attestation.sigstore.json",
        &exact(),
        &root,
        &target,
    );
    assert_rejected(&out, "digest_mismatch", &[&digest, "subject"]);
}

#[test]
fn production_trusted_root_does_not_trust_the_mock() {
    let dir = sign();
    let production = testdata_dir().join("sigstore-conformance/production_trusted_root.json");
    assert!(
        production.is_file(),
        "{} missing: it is the public-good Sigstore trusted root shipped with \
         sigstore/sigstore-conformance (test/assets/bundle-verify/)",
        production.display()
    );
    // As it is: the mock's Rekor key is unknown, which is checked before the certificate.
    let out = verify(
        dir.path(),
        "bundle.sigstore.json",
        &exact(),
        &production,
        &artifact(dir.path()),
    );
    assert_rejected(&out, "tlog_invalid", &["No log key valid"]);

    // Production CAs with the mock's logs trusted: now the certificate's issuer is unknown.
    let production_json: Value =
        serde_json::from_slice(&std::fs::read(&production).unwrap()).unwrap();
    let mut hybrid = production_json.clone();
    let mock: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("trusted_root.json")).unwrap())
            .unwrap();
    hybrid["tlogs"] = mock["tlogs"].clone();
    hybrid["ctlogs"] = mock["ctlogs"].clone();
    let hybrid_path = dir.path().join("production_cas_mock_logs.json");
    std::fs::write(&hybrid_path, serde_json::to_vec(&hybrid).unwrap()).unwrap();
    let out = verify(
        dir.path(),
        "bundle.sigstore.json",
        &exact(),
        &hybrid_path,
        &artifact(dir.path()),
    );
    assert_rejected(&out, "certificate_chain", &["UnknownIssuer"]);

    // The mock's CA and Rekor with production's CT logs: the embedded SCT does not verify.
    let mut no_ct = mock.clone();
    no_ct["ctlogs"] = production_json["ctlogs"].clone();
    let no_ct_path = dir.path().join("mock_without_its_ct_log.json");
    std::fs::write(&no_ct_path, serde_json::to_vec(&no_ct).unwrap()).unwrap();
    let out = verify(
        dir.path(),
        "bundle.sigstore.json",
        &exact(),
        &no_ct_path,
        &artifact(dir.path()),
    );
    assert_rejected(&out, "sct_invalid", &[]);
}

/// sigstore-js' default DSSE log entry (`dsse` v0.0.1) is one the mock logs as proposed, not
/// canonicalized as real Rekor stores it (`proposedContent` instead of `envelopeHash`,
/// `payloadHash`, `signatures`). The log entry then does not record the envelope, and the
/// verifier must say so rather than accept it.
#[test]
fn mock_uncanonicalized_dsse_entry_is_rejected() {
    let dir = sign();
    let out = verify(
        dir.path(),
        "attestation-dsse-entry.sigstore.json",
        &exact(),
        &dir.path().join("trusted_root.json"),
        &artifact(dir.path()),
    );
    assert_rejected(&out, "tlog_entry_mismatch", &["envelopeHash"]);
}
