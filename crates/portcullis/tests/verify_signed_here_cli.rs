//! `portcullis verify` end to end against Debian's `docker-registry` on loopback, with
//! signatures made for real on this machine by `portcullis-testsign` (a throwaway
//! Fulcio-like CA with SCTs from a CT-like log, a Rekor-like log, fresh keys) in both layouts
//! cosign writes: legacy `.sig` manifests and Sigstore bundles as referrers (the referrers
//! tag schema, since that registry has no referrers API).
//!
//! The matrix of the verifier issue: valid key signature; valid keyless signature with
//! matching identity; wrong identity; wrong issuer; regexp identity; a signature copied from
//! another image; tampered payload; tampered SET; a certificate expired at integrated time;
//! an unknown CA; an unsigned image; two signatures of which only one is trusted; registry
//! errors while fetching signatures (refused, never accepted).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;
use common::{describe, registries_conf, verify};
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use portcullis_testkit::fakes::{Fault, faulty_proxy};
use portcullis_testkit::{ImageSpec, Pusher, TestRegistry};
use portcullis_testsign::{
    CertificateAuthority, LeafSpec, LegacyLayer, Signer, SigningOptions, TestSigstore,
    push_legacy_signatures, push_referrer,
};
use serde_json::Value;

const ISSUER: &str = "https://issuer.portcullis.test";
const OTHER_ISSUER: &str = "https://other-issuer.portcullis.test";
const EMAIL: &str = "release@acme.test";
const WORKFLOW: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.3";

/// The registry, its configuration, the throwaway Sigstore and its trusted root on disk.
struct Bench {
    reg: TestRegistry,
    push: Pusher,
    conf: PathBuf,
    sigstore: TestSigstore,
    root: PathBuf,
    _scratch: tempfile::TempDir,
}

impl Bench {
    fn new() -> Self {
        let reg = TestRegistry::start();
        let push = reg.pusher();
        let scratch = tempfile::tempdir().unwrap();
        let conf = registries_conf(scratch.path(), &reg.host(), &reg.url());
        let sigstore = TestSigstore::new().unwrap();
        let root = sigstore.write_trusted_root(scratch.path()).unwrap();
        Self {
            reg,
            push,
            conf,
            sigstore,
            root,
            _scratch: scratch,
        }
    }

    /// Pushes a fresh image `repo:tag` and returns its digest.
    async fn image(&self, repo: &str, tag: &str) -> String {
        self.push
            .push_image(
                repo,
                tag,
                &ImageSpec::new("2026-01-01T00:00:00Z", &format!("{repo}:{tag}")),
            )
            .await
    }

    fn reference(&self, repo: &str) -> String {
        format!("{}/{repo}", self.reg.host())
    }

    fn layer(&self, signer: &Signer, repo: &str, digest: &str) -> LegacyLayer {
        self.sigstore
            .legacy_layer(
                signer,
                &self.reference(repo),
                digest,
                &SigningOptions::default(),
            )
            .unwrap()
    }

    fn keyless(&self, spec: &LeafSpec) -> Signer {
        self.sigstore.keyless_signer(spec).unwrap()
    }

    /// `portcullis verify <host>/<repo>@<digest>` with `flags` and this trusted root.
    fn verify(&self, conf: &Path, host: &str, repo: &str, digest: &str, flags: &[&str]) -> Run {
        let mut args: Vec<String> = flags.iter().map(|s| (*s).to_owned()).collect();
        args.extend(["--trusted-root".to_owned(), self.root.display().to_string()]);
        let (out, report) = verify(conf, &format!("{host}/{repo}@{digest}"), &args);
        Run {
            code: out.status.code(),
            report: report.unwrap_or(Value::Null),
            text: describe(&out),
        }
    }

    fn run(&self, repo: &str, digest: &str, flags: &[&str]) -> Run {
        self.verify(&self.conf, &self.reg.host(), repo, digest, flags)
    }
}

struct Run {
    code: Option<i32>,
    report: Value,
    text: String,
}

impl Run {
    /// The refusal codes of the signatures the report lists.
    fn codes(&self) -> Vec<String> {
        self.report["signatures"]
            .as_array()
            .map(|s| {
                s.iter()
                    .filter_map(|s| s["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    fn verified(&self) -> &Value {
        assert_eq!(self.code, Some(0), "{}", self.text);
        assert_eq!(self.report["verified"], true, "{}", self.text);
        self.report["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["verified"] == true)
            .expect("a verified signature is listed")
    }

    #[track_caller]
    fn refused(&self, code: &str) {
        assert_eq!(self.code, Some(3), "{}", self.text);
        assert_eq!(self.report["verified"], false, "{}", self.text);
        let codes = self.codes();
        assert!(
            !codes.is_empty() && codes.iter().all(|c| c == code),
            "want every signature refused as {code}, got {codes:?}\n{}",
            self.text
        );
    }
}

fn identity_flags(identity: &str, issuer: &str) -> Vec<String> {
    vec![
        "--certificate-identity".into(),
        identity.into(),
        "--certificate-oidc-issuer".into(),
        issuer.into(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn key_and_keyless_signatures_in_the_legacy_layout() {
    let b = Bench::new();
    let email = identity_flags(EMAIL, ISSUER);

    // Valid key signature.
    let digest = b.image("acme/keyed", "1.0.0").await;
    let signer = b.sigstore.key_signer().unwrap();
    let key = b._scratch.path().join("cosign.pub");
    std::fs::write(&key, signer.verifier_pem()).unwrap();
    let layer = b.layer(&signer, "acme/keyed", &digest);
    push_legacy_signatures(&b.push, "acme/keyed", &digest, &[layer]).await;
    let key_flag = ["--key", key.to_str().unwrap()];
    let signed = b.run("acme/keyed", &digest, &key_flag);
    let s = signed.verified();
    assert!(
        s["key_fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    // A tag resolves to the same digest and verifies too.
    let by_tag = b.verify(&b.conf, &b.reg.host(), "acme/keyed", &digest, &key_flag);
    by_tag.verified();
    // Another key: refused.
    let other = b.sigstore.key_signer().unwrap();
    let other_key = b._scratch.path().join("other.pub");
    std::fs::write(&other_key, other.verifier_pem()).unwrap();
    b.run(
        "acme/keyed",
        &digest,
        &["--key", other_key.to_str().unwrap()],
    )
    .refused("signature_invalid");

    // Valid keyless signature with matching identity; its signer, issuer and log entry shown.
    let digest = b.image("acme/keyless", "1.0.0").await;
    let signer = b.keyless(&LeafSpec::email(EMAIL, ISSUER));
    push_legacy_signatures(
        &b.push,
        "acme/keyless",
        &digest,
        &[b.layer(&signer, "acme/keyless", &digest)],
    )
    .await;
    let run = b.run("acme/keyless", &digest, &strs(&email));
    let s = run.verified();
    assert_eq!(s["identity"], EMAIL, "{}", run.text);
    assert_eq!(s["issuer"], ISSUER, "{}", run.text);
    assert!(s["log_index"].is_u64(), "{}", run.text);

    // Wrong identity; wrong issuer.
    b.run(
        "acme/keyless",
        &digest,
        &strs(&identity_flags("mallory@acme.test", ISSUER)),
    )
    .refused("identity_mismatch");
    b.run(
        "acme/keyless",
        &digest,
        &strs(&identity_flags(EMAIL, OTHER_ISSUER)),
    )
    .refused("issuer_mismatch");

    // Regexp identity (anchored: a pattern matching only part of the SAN does not match).
    b.run(
        "acme/keyless",
        &digest,
        &[
            "--certificate-identity-regexp",
            r"[a-z]+@acme\.test",
            "--certificate-oidc-issuer-regexp",
            r"https://issuer\.portcullis\.test",
        ],
    )
    .verified();
    b.run(
        "acme/keyless",
        &digest,
        &[
            "--certificate-identity-regexp",
            r"acme\.test",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
    )
    .refused("identity_mismatch");

    // A URI identity with GitHub workflow claims, matched by claim.
    let digest = b.image("acme/workflow", "1.0.0").await;
    let signer = b.keyless(
        &LeafSpec::uri(WORKFLOW, "https://token.actions.githubusercontent.com")
            .extension("1.3.6.1.4.1.57264.1.12", "https://github.com/acme/app")
            .extension("1.3.6.1.4.1.57264.1.14", "refs/tags/v1.2.3"),
    );
    push_legacy_signatures(
        &b.push,
        "acme/workflow",
        &digest,
        &[b.layer(&signer, "acme/workflow", &digest)],
    )
    .await;
    let workflow = [
        "--certificate-identity-regexp",
        r"https://github\.com/acme/.+",
        "--certificate-oidc-issuer",
        "https://token.actions.githubusercontent.com",
    ];
    b.run("acme/workflow", &digest, &workflow).verified();
    let mut wrong_ref = workflow.to_vec();
    wrong_ref.extend(["--certificate-github-workflow-ref", "refs/heads/main"]);
    b.run("acme/workflow", &digest, &wrong_ref)
        .refused("claim_mismatch");
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_copied_and_expired_signatures_are_refused() {
    let b = Bench::new();
    let email = identity_flags(EMAIL, ISSUER);
    let flags = strs(&email);
    let signer = b.keyless(&LeafSpec::email(EMAIL, ISSUER));

    // A signature copied from another image: the payload names the other digest.
    let a = b.image("acme/copied", "a").await;
    let c = b.image("acme/copied", "c").await;
    push_legacy_signatures(
        &b.push,
        "acme/copied",
        &a,
        &[b.layer(&signer, "acme/copied", &a)],
    )
    .await;
    b.run("acme/copied", &a, &flags).verified();
    push_legacy_signatures(
        &b.push,
        "acme/copied",
        &c,
        &[b.layer(&signer, "acme/copied", &a)],
    )
    .await;
    b.run("acme/copied", &c, &flags).refused("digest_mismatch");

    // Tampered payload: the signed JSON changed after signing (same digest named).
    let d = b.image("acme/tampered", "1").await;
    let mut layer = b.layer(&signer, "acme/tampered", &d);
    layer.payload = String::from_utf8(layer.payload)
        .unwrap()
        .replace("acme/tampered", "acme/tamperex")
        .into_bytes();
    push_legacy_signatures(&b.push, "acme/tampered", &d, &[layer]).await;
    b.run("acme/tampered", &d, &flags)
        .refused("signature_invalid");

    // Tampered SET: one byte of the signed entry timestamp changed.
    let d = b.image("acme/badset", "1").await;
    let mut layer = b.layer(&signer, "acme/badset", &d);
    let key = "dev.sigstore.cosign/bundle";
    let mut bundle: Value = serde_json::from_str(&layer.annotations[key]).unwrap();
    let set = bundle["SignedEntryTimestamp"].as_str().unwrap().to_owned();
    let mut raw = base64_decode(&set);
    let last = raw.len() - 3;
    raw[last] ^= 0x40;
    bundle["SignedEntryTimestamp"] = base64_encode(&raw).into();
    layer.annotations.insert(key.into(), bundle.to_string());
    push_legacy_signatures(&b.push, "acme/badset", &d, &[layer]).await;
    b.run("acme/badset", &d, &flags).refused("tlog_invalid");

    // A certificate that had expired when the entry was integrated.
    let d = b.image("acme/expired", "1").await;
    let now = Timestamp::now();
    let expired = b.keyless(&LeafSpec::email(EMAIL, ISSUER).valid(
        now - SignedDuration::from_hours(2),
        now - SignedDuration::from_hours(1),
    ));
    push_legacy_signatures(
        &b.push,
        "acme/expired",
        &d,
        &[b.layer(&expired, "acme/expired", &d)],
    )
    .await;
    b.run("acme/expired", &d, &flags)
        .refused("certificate_validity");

    // An unknown CA: same identity, certificate from a CA the trusted root does not list.
    let d = b.image("acme/rogue", "1").await;
    let rogue_ca = CertificateAuthority::new("fulcio.portcullis.test").unwrap();
    let rogue = b
        .sigstore
        .keyless_signer_from(&rogue_ca, &LeafSpec::email(EMAIL, ISSUER))
        .unwrap();
    push_legacy_signatures(
        &b.push,
        "acme/rogue",
        &d,
        &[b.layer(&rogue, "acme/rogue", &d)],
    )
    .await;
    b.run("acme/rogue", &d, &flags).refused("certificate_chain");

    // An unsigned image.
    let d = b.image("acme/unsigned", "1").await;
    let run = b.run("acme/unsigned", &d, &flags);
    assert_eq!(run.code, Some(3), "{}", run.text);
    assert_eq!(run.report["code"], "signature_missing", "{}", run.text);

    // Two signatures, only one trusted: verified by that one, the other listed as refused.
    let d = b.image("acme/two", "1").await;
    let untrusted = b
        .sigstore
        .keyless_signer_from(&rogue_ca, &LeafSpec::email(EMAIL, ISSUER))
        .unwrap();
    push_legacy_signatures(
        &b.push,
        "acme/two",
        &d,
        &[
            b.layer(&untrusted, "acme/two", &d),
            b.layer(&signer, "acme/two", &d),
        ],
    )
    .await;
    let run = b.run("acme/two", &d, &flags);
    run.verified();
    let listed = run.report["signatures"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{}", run.text);
    assert_eq!(run.codes(), ["certificate_chain"], "{}", run.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn bundles_as_referrers_made_here() {
    let b = Bench::new();
    let email = identity_flags(EMAIL, ISSUER);
    let flags = strs(&email);
    let signer = b.keyless(&LeafSpec::email(EMAIL, ISSUER));
    let d = b.image("acme/bundled", "1").await;
    let bundle = b
        .sigstore
        .message_bundle(&signer, &d, &SigningOptions::default())
        .unwrap();
    let first = push_referrer(&b.push, "acme/bundled", &d, &bundle, Some(&[])).await;
    let run = b.run("acme/bundled", &d, &flags);
    let s = run.verified();
    assert_eq!(s["identity"], EMAIL, "{}", run.text);
    b.run(
        "acme/bundled",
        &d,
        &strs(&identity_flags("mallory@acme.test", ISSUER)),
    )
    .refused("identity_mismatch");

    // A bundle for another image attached to this one (copied): refused; the first one still
    // verifies beside it.
    let other = b.image("acme/bundled", "2").await;
    let copied = b
        .sigstore
        .message_bundle(&signer, &other, &SigningOptions::default())
        .unwrap();
    push_referrer(&b.push, "acme/bundled", &d, &copied, Some(&[first])).await;
    let run = b.run("acme/bundled", &d, &flags);
    run.verified();
    assert_eq!(run.codes(), ["digest_mismatch"], "{}", run.text);

    // Key-based, with the log; and without the log only under --insecure-ignore-tlog.
    let d = b.image("acme/bundled-key", "1").await;
    let key_signer = b.sigstore.key_signer().unwrap();
    let key = b._scratch.path().join("bundle-key.pub");
    std::fs::write(&key, key_signer.verifier_pem()).unwrap();
    let unlogged = b
        .sigstore
        .message_bundle(
            &key_signer,
            &d,
            &SigningOptions {
                log: false,
                ..SigningOptions::default()
            },
        )
        .unwrap();
    push_referrer(&b.push, "acme/bundled-key", &d, &unlogged, Some(&[])).await;
    b.run("acme/bundled-key", &d, &["--key", key.to_str().unwrap()])
        .refused("tlog_missing");
    let run = b.run(
        "acme/bundled-key",
        &d,
        &["--key", key.to_str().unwrap(), "--insecure-ignore-tlog"],
    );
    run.verified();
    assert!(
        run.text.contains("warning: --insecure-ignore-tlog"),
        "{}",
        run.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_errors_while_fetching_signatures_refuse_never_accept() {
    let b = Bench::new();
    let email = identity_flags(EMAIL, ISSUER);
    let flags = strs(&email);
    let signer = b.keyless(&LeafSpec::email(EMAIL, ISSUER));
    let d = b.image("acme/faulty", "1").await;
    push_legacy_signatures(
        &b.push,
        "acme/faulty",
        &d,
        &[b.layer(&signer, "acme/faulty", &d)],
    )
    .await;
    b.run("acme/faulty", &d, &flags).verified();
    let scratch = tempfile::tempdir().unwrap();
    for (needle, fault) in [
        ("/blobs/", Fault::ServerError),
        ("/blobs/", Fault::Corrupt),
        ("/blobs/", Fault::NotFound),
        (".sig", Fault::ServerError),
        (".sig", Fault::Corrupt),
    ] {
        // Fake: a healthy registry does not fail on cue; the proxy forwards everything else
        // to the real one.
        let proxy = faulty_proxy(&b.reg.url(), needle, fault).await;
        let conf = registries_conf(scratch.path(), &proxy.host(), &proxy.url());
        let run = b.verify(&conf, &proxy.host(), "acme/faulty", &d, &flags);
        assert_ne!(
            run.code,
            Some(0),
            "{needle} {fault:?} must not verify\n{}",
            run.text
        );
        assert!(
            matches!(run.code, Some(1) | Some(3)),
            "{needle} {fault:?}: an error or a refusal\n{}",
            run.text
        );
        assert!(proxy.hits() > 0);
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paginated_referrers_list_is_read_to_its_last_page() {
    // Fake: Debian's registry has no referrers API; this spec-following front serves it, two
    // descriptors per page with `Link: rel="next"`, and forwards the rest to the real one.
    let b = Bench::new();
    let front = portcullis_testkit::fakes::referrers_api_paged(&b.reg.url(), Some(2)).await;
    let push = Pusher::new(&front.url(), None);
    let scratch = tempfile::tempdir().unwrap();
    let conf = registries_conf(scratch.path(), &front.host(), &front.url());
    let email = identity_flags(EMAIL, ISSUER);
    let d = b.image("acme/paged", "1").await;
    let other = b.image("acme/paged", "2").await;
    let signer = b.keyless(&LeafSpec::email(EMAIL, ISSUER));
    // Four bundles about another image first, the one about this image last: only the
    // fifth, on the third page, verifies.
    for _ in 0..4 {
        let copied = b
            .sigstore
            .message_bundle(&signer, &other, &SigningOptions::default())
            .unwrap();
        push_referrer(&push, "acme/paged", &d, &copied, None).await;
    }
    let good = b
        .sigstore
        .message_bundle(&signer, &d, &SigningOptions::default())
        .unwrap();
    push_referrer(&push, "acme/paged", &d, &good, None).await;
    let run = b.verify(&conf, &front.host(), "acme/paged", &d, &strs(&email));
    run.verified();
    assert_eq!(
        run.report["signatures"].as_array().unwrap().len(),
        5,
        "every page read: {}",
        run.text
    );
    assert_eq!(run.codes(), vec!["digest_mismatch"; 4], "{}", run.text);
}

/// `verify --attestation --type` reads attestations in cosign's legacy layout too (a DSSE
/// envelope layer at tag `sha256-<hex>.att`): the right type verifies, another type is
/// refused, and `.att` layers never count as image signatures.
#[tokio::test(flavor = "multi_thread")]
async fn legacy_att_attestations_verify_as_attestations_only() {
    let b = Bench::new();
    let digest = b.image("acme/att", "1.0.0").await;
    let signer = b.keyless(&LeafSpec::email(EMAIL, ISSUER));
    let layer = b
        .sigstore
        .legacy_attestation_layer(
            &signer,
            &b.reference("acme/att"),
            &digest,
            "https://slsa.dev/provenance/v1",
            &serde_json::json!({"buildDefinition": {"buildType": "https://acme.test/ci/v1"}}),
            &SigningOptions::default(),
        )
        .unwrap();
    portcullis_testsign::push_legacy_attestations(&b.push, "acme/att", &digest, &[layer]).await;
    let who = [
        "--certificate-identity",
        EMAIL,
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let mut flags = who.to_vec();
    flags.extend(["--attestation", "--type", "slsaprovenance1"]);
    let run = b.run("acme/att", &digest, &flags);
    let verified = run.verified();
    assert_eq!(verified["source"], "legacy", "{}", run.text);
    assert_eq!(
        verified["predicate_type"], "https://slsa.dev/provenance/v1",
        "{}",
        run.text
    );
    assert!(
        run.report["signature_tag"]
            .as_str()
            .is_some_and(|t| t.ends_with(".att")),
        "{}",
        run.text
    );
    let mut flags = who.to_vec();
    flags.extend(["--attestation", "--type", "spdxjson"]);
    b.run("acme/att", &digest, &flags)
        .refused("wrong_predicate_type");
    // As an image signature: nothing there (the `.att` tag is not read for signatures).
    let run = b.run("acme/att", &digest, &who);
    assert_eq!(run.code, Some(3), "{}", run.text);
    assert_eq!(run.report["code"], "signature_missing", "{}", run.text);
}
