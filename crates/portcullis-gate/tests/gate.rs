//! `Gate::evaluate` end to end against Debian's `docker-registry` on loopback, with images
//! signed for real by `portcullis-testsign` (a throwaway Fulcio-like CA and Rekor-like log
//! whose trusted root the policy names) and policies written as an operator would write them.
//! External gates are small HTTP servers in the test (they stand for a CVE scanner, which
//! cannot run here).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::time::Duration;

use jiff::Timestamp;
use portcullis_gate::{Decision, Gate, GateOptions, WatchedImage};
use portcullis_image::ImageRef;
use portcullis_policy::Strategy;
use portcullis_policy::policy::Policy;
use portcullis_registry::{RegistriesConfig, RegistryClient};
use portcullis_testkit::fakes::{Fault, faulty_proxy};
use portcullis_testkit::{ImageSpec, Pusher, TestRegistry};
use portcullis_testsign::{
    LeafSpec, SigningOptions, TestSigstore, push_legacy_signatures, sign_keyless,
};

const ISSUER: &str = "https://issuer.portcullis.test";
const RELEASE: &str = "release@acme.test";
const MALLORY: &str = "mallory@acme.test";

struct World {
    reg: TestRegistry,
    push: Pusher,
    sigstore: TestSigstore,
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sigstore = TestSigstore::new().unwrap();
        sigstore.write_trusted_root(dir.path()).unwrap();
        let reg = TestRegistry::start();
        let push = reg.pusher();
        Self {
            reg,
            push,
            sigstore,
            dir,
        }
    }

    /// Pushes `repo:tag` built at `created` and returns its digest.
    async fn image(&self, repo: &str, tag: &str, created: &str) -> String {
        self.push
            .push_image(
                repo,
                tag,
                &ImageSpec::new(created, &format!("{repo}:{tag}")),
            )
            .await
    }

    /// Pushes and signs `repo:tag` as `email` (legacy layout).
    async fn signed(&self, repo: &str, tag: &str, email: &str) -> String {
        let digest = self.image(repo, tag, "2026-01-01T00:00:00Z").await;
        let host = self.reg.host();
        sign_keyless(
            &self.sigstore,
            &self.push,
            &host,
            repo,
            &digest,
            email,
            ISSUER,
        )
        .await
        .unwrap();
        digest
    }

    /// A policy over `<registry>/acme/**` with `rule_extra` appended to the rule and
    /// `top_extra` to the document (`keys:` lines of `top_extra` go under `trust`).
    fn policy(&self, rule_extra: &str, top_extra: &str) -> Policy {
        let (keys, top_extra) = match top_extra.strip_prefix("  keys:") {
            Some(rest) => (format!("  keys:{rest}"), String::new()),
            None => (String::new(), top_extra.to_owned()),
        };
        let text = format!(
            r#"apiVersion: portcullis.dev/v1alpha1
kind: VerificationPolicy
metadata:
  name: test
trust:
  roots:
    test: {{path: trusted_root.json}}
{keys}
rules:
  - name: acme
    images: ["{host}/acme/**"]
    authorities:
      - name: release
        keyless:
          trustedRoot: test
          identities:
            - subject: {RELEASE}
              issuer: {ISSUER}
{rule_extra}
{top_extra}
"#,
            host = self.reg.host()
        );
        let path = self.dir.path().join("policy.yaml");
        std::fs::write(&path, &text).unwrap();
        match Policy::load(&path) {
            Ok(loaded) => loaded.policy,
            Err(e) => panic!("{e}\n{text}"),
        }
    }

    fn gate(&self, policy: Policy) -> Gate {
        self.gate_via(policy, &self.reg.url(), false)
    }

    /// A gate reaching the registry through `api_url` (a faulty proxy, say), with TUF
    /// requests switched off when `offline`.
    fn gate_via(&self, policy: Policy, api_url: &str, offline: bool) -> Gate {
        let conf = self.dir.path().join("registries.conf");
        std::fs::write(
            &conf,
            format!(
                "registries:\n- name: test\n  prefix: {}\n  api_url: {}\n  insecure: true\n",
                self.reg.host(),
                api_url
            ),
        )
        .unwrap();
        let client = RegistryClient::new(
            RegistriesConfig::load(&conf).unwrap(),
            portcullis_registry::CredentialStore::new(),
        );
        let mut options = GateOptions::new(self.dir.path().join("tuf"))
            .at("2026-06-01T00:00:00Z".parse::<Timestamp>().unwrap());
        options.offline = offline;
        Gate::new(policy, client, options)
    }

    fn watched(&self, repo: &str, current: &str) -> WatchedImage {
        let image: ImageRef = format!("{}/{repo}", self.reg.host()).parse().unwrap();
        WatchedImage::new("shop", image, Strategy::Semver).with_current(current, None)
    }
}

#[track_caller]
fn expect(decision: &Decision, kind: &str, code: &str) {
    assert_eq!(
        (decision.kind(), decision.reason().code()),
        (kind, code),
        "{decision:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_and_allowed_is_an_update_pinned_to_the_verified_digest() {
    let w = World::new();
    w.signed("acme/app", "1.0.0", RELEASE).await;
    let digest = w.signed("acme/app", "1.1.0", RELEASE).await;
    let gate = w.gate(w.policy("", ""));
    let decision = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&decision, "update", "verified");
    let Decision::Update {
        image, from, rules, ..
    } = &decision
    else {
        unreachable!()
    };
    assert_eq!(image.tag().as_str(), "1.1.0");
    assert_eq!(image.digest().as_str(), digest);
    assert_eq!(image.identity(), Some(RELEASE));
    assert_eq!(image.authority(), Some("acme/release"));
    assert_eq!(from.as_ref().unwrap().tag, "1.0.0");
    assert_eq!(rules, &["acme"]);

    // Evaluated again: the verdict comes from the cache (one entry, no new signature reads).
    let before = gate.registry().stats().total().blob_fetches;
    let again = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&again, "update", "verified");
    assert_eq!(gate.cache().len(), 1);
    assert_eq!(gate.registry().stats().total().blob_fetches, before);

    // Already there: nothing to do.
    let decision = gate.evaluate(&w.watched("acme/app", "1.1.0")).await;
    expect(&decision, "no_change", "up_to_date");
    // Pinned: left alone.
    let decision = gate
        .evaluate(&w.watched("acme/app", "1.0.0").pinned("1.0.0"))
        .await;
    expect(&decision, "no_change", "pinned");
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_wrong_identity_and_outside_the_ceiling_are_skipped() {
    let w = World::new();
    w.signed("acme/unsigned", "1.0.0", RELEASE).await;
    w.image("acme/unsigned", "1.1.0", "2026-01-01T00:00:00Z")
        .await;
    w.signed("acme/mallory", "1.0.0", RELEASE).await;
    w.signed("acme/mallory", "1.1.0", MALLORY).await;
    w.signed("acme/ceiling", "1.0.0", RELEASE).await;
    w.signed("acme/ceiling", "2.0.0", RELEASE).await;
    let gate = w.gate(w.policy("    update: {constraint: \"<2.0.0\"}", ""));

    let d = gate.evaluate(&w.watched("acme/unsigned", "1.0.0")).await;
    expect(&d, "skipped", "signature_missing");
    assert!(d.detail().contains("1.1.0@sha256:"), "{}", d.detail());

    let d = gate.evaluate(&w.watched("acme/mallory", "1.0.0")).await;
    expect(&d, "skipped", "identity_mismatch");

    let d = gate.evaluate(&w.watched("acme/ceiling", "1.0.0")).await;
    expect(&d, "skipped", "constraint_violation");
    assert!(d.detail().contains("2.0.0"), "{}", d.detail());

    // An application asking for more than the ceiling is refused loudly.
    let d = gate
        .evaluate(&w.watched("acme/ceiling", "1.0.0").with_constraint("<3"))
        .await;
    expect(&d, "skipped", "policy_widening_rejected");

    // An image no rule matches.
    let other: ImageRef = format!("{}/other/app", w.reg.host()).parse().unwrap();
    let d = gate
        .evaluate(&WatchedImage::new("shop", other, Strategy::Semver))
        .await;
    expect(&d, "skipped", "no_matching_rule");
}

/// CI pushes an image, then signs it a moment later: a cycle that ran in between saw it
/// unsigned. The refusal serves the rest of that cycle, and the next cycle sees the signature.
#[tokio::test(flavor = "multi_thread")]
async fn a_signature_pushed_after_a_refusal_is_seen_next_cycle() {
    let w = World::new();
    w.signed("acme/app", "1.0.0", RELEASE).await;
    let digest = w.image("acme/app", "1.1.0", "2026-01-01T00:00:00Z").await;
    let gate = w.gate(w.policy("", ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "signature_missing");

    let host = w.reg.host();
    sign_keyless(
        &w.sigstore,
        &w.push,
        &host,
        "acme/app",
        &digest,
        RELEASE,
        ISSUER,
    )
    .await
    .unwrap();
    // Same cycle: the remembered refusal.
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "signature_missing");
    // Next cycle: verified afresh.
    gate.new_cycle().await;
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "update", "verified");
    let Decision::Update { image, .. } = &d else {
        unreachable!()
    };
    assert_eq!(image.digest().as_str(), digest);
}

#[tokio::test(flavor = "multi_thread")]
async fn try_older_finds_the_newest_signed_tag_and_says_what_it_passed_over() {
    let w = World::new();
    w.signed("acme/app", "1.0.0", RELEASE).await;
    let good = w.signed("acme/app", "1.1.0", RELEASE).await;
    w.image("acme/app", "1.2.0", "2026-01-01T00:00:00Z").await;
    w.signed("acme/app", "1.3.0", MALLORY).await;

    // Stop (the default): the newest fails, nothing else is tried.
    let gate = w.gate(w.policy("", ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "identity_mismatch");

    // try-older, three candidates: 1.3.0 and 1.2.0 fail, 1.1.0 holds.
    let gate = w.gate(w.policy("    onFailure: {action: try-older, maxCandidates: 3}", ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "update", "verified");
    let Decision::Update { image, notes, .. } = &d else {
        unreachable!()
    };
    assert_eq!(image.digest().as_str(), good);
    let codes: Vec<&str> = notes.iter().map(|n| n.code).collect();
    assert_eq!(
        codes,
        ["identity_mismatch", "signature_missing"],
        "{notes:?}"
    );

    // Two candidates only: both fail, and the last failure is the answer.
    let gate = w.gate(w.policy("    onFailure: {action: try-older, maxCandidates: 2}", ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "signature_missing");
}

#[tokio::test(flavor = "multi_thread")]
async fn minimum_age_threshold_and_attestations() {
    let w = World::new();
    w.signed("acme/app", "1.0.0", RELEASE).await;
    // Built the day before the gate's clock (2026-06-01): younger than 7 days.
    let digest = w.image("acme/app", "1.1.0", "2026-05-31T00:00:00Z").await;
    let signer = w
        .sigstore
        .keyless_signer(&LeafSpec::email(RELEASE, ISSUER))
        .unwrap();
    let layer = w
        .sigstore
        .legacy_layer(
            &signer,
            &format!("{}/acme/app", w.reg.host()),
            &digest,
            &SigningOptions::default(),
        )
        .unwrap();
    push_legacy_signatures(&w.push, "acme/app", &digest, &[layer]).await;

    let gate = w.gate(w.policy("    update: {minAge: 7d}", ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "too_young");
    let gate = w.gate(w.policy("    update: {minAge: 1d}", ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "update", "verified");

    // Two authorities required, one verifies.
    let key = w.sigstore.key_signer().unwrap();
    std::fs::write(w.dir.path().join("release.pub"), key.verifier_pem()).unwrap();
    let two = "      - name: release-key\n        key: {ref: release}\n    require: 2";
    let gate = w.gate(w.policy(two, "  keys:\n    release: {path: release.pub}"));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "threshold_not_met");

    // The same threshold in warn mode: an authority verified, so the update goes on with a
    // warning.
    let gate = w.gate(w.policy(
        &format!("{two}\n    mode: warn"),
        "  keys:\n    release: {path: release.pub}",
    ));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "update", "verified");
    assert_eq!(d.notes()[0].code, "threshold_not_met", "{:?}", d.notes());

    // Two authorities that both accept the one signature there is: it counts once.
    let overlapping = format!(
        "      - name: release-again\n        keyless:\n          trustedRoot: test\n          identities:\n            - subjectRegExp: '^release@acme\\.test$'\n              issuer: {ISSUER}\n    require: 2"
    );
    let gate = w.gate(w.policy(&overlapping, ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "threshold_not_met");
    assert!(d.detail().contains("already counted"), "{}", d.detail());
    // The same person signing twice (two signatures, two certificates, one identity) is
    // still one signer.
    let again = w
        .sigstore
        .keyless_signer(&LeafSpec::email(RELEASE, ISSUER))
        .unwrap();
    let twice: Vec<_> = [&signer, &again]
        .into_iter()
        .map(|s| {
            w.sigstore
                .legacy_layer(
                    s,
                    &format!("{}/acme/app", w.reg.host()),
                    &digest,
                    &SigningOptions::default(),
                )
                .unwrap()
        })
        .collect();
    push_legacy_signatures(&w.push, "acme/app", &digest, &twice).await;
    let gate = w.gate(w.policy(&overlapping, ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "threshold_not_met");
    assert!(d.detail().contains("already counted"), "{}", d.detail());

    // A second, distinct signature by the key: two authorities, two signatures.
    let key_layer = w
        .sigstore
        .legacy_layer(
            &key,
            &format!("{}/acme/app", w.reg.host()),
            &digest,
            &SigningOptions::default(),
        )
        .unwrap();
    let keyless_layer = w
        .sigstore
        .legacy_layer(
            &signer,
            &format!("{}/acme/app", w.reg.host()),
            &digest,
            &SigningOptions::default(),
        )
        .unwrap();
    push_legacy_signatures(&w.push, "acme/app", &digest, &[keyless_layer, key_layer]).await;
    let gate = w.gate(w.policy(two, "  keys:\n    release: {path: release.pub}"));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "update", "verified");

    // A required attestation that is not there.
    let attest = "    attestations:\n      - name: provenance\n        predicateType: slsaprovenance1\n        conditions: ['predicate.buildDefinition.buildType != \"\"']";
    let gate = w.gate(w.policy(attest, ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "attestation_failed");

    // The same rule in warn mode: the signature holds, so the update goes on with a note.
    let gate = w.gate(w.policy(&format!("{attest}\n    mode: warn"), ""));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "update", "verified");
    assert_eq!(d.notes()[0].code, "attestation_failed", "{:?}", d.notes());
}

/// A key authority names the trusted root whose log must hold its signature's entry
/// (`key.trustedRoot`): with two roots in the policy, the one named decides.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_authority_checks_its_log_entry_against_the_root_it_names() {
    let w = World::new();
    w.signed("acme/app", "1.0.0", RELEASE).await;
    let digest = w.image("acme/app", "1.1.0", "2026-01-01T00:00:00Z").await;
    let key = w.sigstore.key_signer().unwrap();
    std::fs::write(w.dir.path().join("release.pub"), key.verifier_pem()).unwrap();
    let layer = w
        .sigstore
        .legacy_layer(
            &key,
            &format!("{}/acme/app", w.reg.host()),
            &digest,
            &SigningOptions::default(),
        )
        .unwrap();
    push_legacy_signatures(&w.push, "acme/app", &digest, &[layer]).await;
    let other = w.dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    TestSigstore::new()
        .unwrap()
        .write_trusted_root(&other)
        .unwrap();
    let policy = |root: &str| {
        let text = format!(
            "apiVersion: portcullis.dev/v1alpha1\nkind: VerificationPolicy\ntrust:\n  roots:\n    test: {{path: trusted_root.json}}\n    other: {{path: other/trusted_root.json}}\n  keys:\n    release: {{path: release.pub}}\nrules:\n  - name: acme\n    images: [\"{}/acme/**\"]\n    authorities:\n      - name: release-key\n        key: {{ref: release, trustedRoot: {root}}}\n",
            w.reg.host()
        );
        let path = w.dir.path().join("key-policy.yaml");
        std::fs::write(&path, text).unwrap();
        Policy::load(&path).unwrap().policy
    };
    let d = w
        .gate(policy("test"))
        .evaluate(&w.watched("acme/app", "1.0.0"))
        .await;
    expect(&d, "update", "verified");
    let d = w
        .gate(policy("other"))
        .evaluate(&w.watched("acme/app", "1.0.0"))
        .await;
    expect(&d, "skipped", "signature_invalid");
}

/// An attestation in cosign's legacy layout (`sha256-<hex>.att`, `cosign attest` without the
/// bundle format) satisfies a rule's attestation requirement when it verifies and its
/// conditions hold; a condition that does not hold is `attestation_failed`.
#[tokio::test(flavor = "multi_thread")]
async fn a_legacy_att_attestation_satisfies_a_requirement() {
    let w = World::new();
    w.signed("acme/app", "1.0.0", RELEASE).await;
    let digest = w.signed("acme/app", "1.1.0", RELEASE).await;
    let signer = w
        .sigstore
        .keyless_signer(&LeafSpec::email(RELEASE, ISSUER))
        .unwrap();
    let layer = w
        .sigstore
        .legacy_attestation_layer(
            &signer,
            &format!("{}/acme/app", w.reg.host()),
            &digest,
            "https://slsa.dev/provenance/v1",
            &serde_json::json!({"buildDefinition": {"buildType": "https://acme.test/ci/v1"}}),
            &SigningOptions::default(),
        )
        .unwrap();
    portcullis_testsign::push_legacy_attestations(&w.push, "acme/app", &digest, &[layer]).await;
    let requirement = |condition: &str| {
        format!(
            "    attestations:\n      - name: provenance\n        predicateType: slsaprovenance1\n        authorities: [release]\n        conditions: ['{condition}']"
        )
    };
    let gate = w.gate(w.policy(
        &requirement("predicate.buildDefinition.buildType == \"https://acme.test/ci/v1\""),
        "",
    ));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "update", "verified");
    let gate = w.gate(w.policy(
        &requirement("predicate.buildDefinition.buildType == \"https://other.test/v1\""),
        "",
    ));
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "skipped", "attestation_failed");
}

/// A gate server answering `answer` (after `delay`) to every request.
async fn gate_server(
    answer: &'static str,
    delay: Duration,
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/check", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            answer,
        )
    });
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, handle)
}

#[tokio::test(flavor = "multi_thread")]
async fn external_gates_allow_deny_and_time_out() {
    let w = World::new();
    w.signed("acme/app", "1.0.0", RELEASE).await;
    w.signed("acme/app", "1.1.0", RELEASE).await;
    let with_gate = |url: &str, extra: &str| {
        w.policy(
            "    gates: [scanner]",
            &format!("gates:\n  scanner:\n    url: {url}\n    timeout: 1s\n{extra}"),
        )
    };
    let (allow, _a) = gate_server(r#"{"allow": true}"#, Duration::ZERO).await;
    let d = w
        .gate(with_gate(&allow, ""))
        .evaluate(&w.watched("acme/app", "1.0.0"))
        .await;
    expect(&d, "update", "verified");

    let (deny, _d) = gate_server(
        r#"{"allow": false, "reason": "CVE-2026-0001 critical"}"#,
        Duration::ZERO,
    )
    .await;
    let d = w
        .gate(with_gate(&deny, ""))
        .evaluate(&w.watched("acme/app", "1.0.0"))
        .await;
    expect(&d, "skipped", "gate_denied");
    assert!(d.detail().contains("CVE-2026-0001"), "{}", d.detail());

    let (slow, _s) = gate_server(r#"{"allow": true}"#, Duration::from_secs(5)).await;
    let d = w
        .gate(with_gate(&slow, ""))
        .evaluate(&w.watched("acme/app", "1.0.0"))
        .await;
    expect(&d, "skipped", "gate_denied");
    // failurePolicy: allow lets a timed-out gate pass.
    let d = w
        .gate(with_gate(&slow, "    failurePolicy: allow"))
        .evaluate(&w.watched("acme/app", "1.0.0"))
        .await;
    expect(&d, "update", "verified");

    let (garbage, _g) = gate_server("<html>", Duration::ZERO).await;
    let d = w
        .gate(with_gate(&garbage, ""))
        .evaluate(&w.watched("acme/app", "1.0.0"))
        .await;
    expect(&d, "skipped", "gate_denied");
    // A redirect is not followed, even to a gate that would allow: it would carry the
    // configured headers (API keys) to wherever it points.
    let (redirect, _r) = redirect_server(&allow).await;
    let d = w
        .gate(with_gate(&redirect, ""))
        .evaluate(&w.watched("acme/app", "1.0.0"))
        .await;
    expect(&d, "skipped", "gate_denied");
    assert!(d.detail().contains("307"), "{}", d.detail());

    // An answer of more than 64 KiB is a failure, whatever it says.
    let long: &'static str = Box::leak(
        format!(
            r#"{{"allow": true, "reason": "{}"}}"#,
            "x".repeat(70 * 1024)
        )
        .into_boxed_str(),
    );
    let (chatty, _c) = gate_server(long, Duration::ZERO).await;
    let d = w
        .gate(with_gate(&chatty, ""))
        .evaluate(&w.watched("acme/app", "1.0.0"))
        .await;
    expect(&d, "skipped", "gate_denied");
    assert!(d.detail().contains("longer than"), "{}", d.detail());
}

/// A server answering every request with `307 Temporary Redirect` to `location`.
async fn redirect_server(location: &str) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/check", listener.local_addr().unwrap());
    let location = location.to_owned();
    let app = axum::Router::new().fallback(move || {
        let location = location.clone();
        async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, location)],
            )
        }
    });
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, handle)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_that_is_down_fails_closed() {
    let w = World::new();
    let gate = w.gate(w.policy("", ""));
    let image: ImageRef = format!("{}/acme/app", w.reg.host()).parse().unwrap();
    drop(w.reg);
    let d = gate
        .evaluate(&WatchedImage::new("shop", image, Strategy::Semver))
        .await;
    expect(&d, "failed", "registry_error");
}

/// A registry that fails while the signatures are read, or trust material that cannot be
/// had, says nothing about the image: the decision is `failed` (exit 1 from `plan` and
/// `run`), not a refusal that reads like "unsigned", and no older tag is tried instead.
#[tokio::test(flavor = "multi_thread")]
async fn an_outage_is_a_failure_not_a_refusal() {
    let w = World::new();
    w.signed("acme/app", "1.0.0", RELEASE).await;
    w.signed("acme/app", "1.1.0", RELEASE).await;
    w.signed("acme/app", "1.2.0", RELEASE).await;
    let try_older = "    onFailure: {action: try-older, maxCandidates: 3}";
    let proxy = faulty_proxy(&w.reg.url(), ".sig", Fault::ServerError).await;
    let gate = w.gate_via(w.policy(try_older, ""), &proxy.url(), false);
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "failed", "registry_error");
    assert!(d.detail().contains("1.2.0@sha256:"), "{}", d.detail());

    // The public-good root, offline with nothing cached: trust unavailable.
    let text = format!(
        "apiVersion: portcullis.dev/v1alpha1\nkind: VerificationPolicy\nrules:\n  - name: acme\n    images: [\"{}/acme/**\"]\n    authorities:\n      - keyless:\n          identities: [{{subject: {RELEASE}, issuer: {ISSUER}}}]\n{try_older}\n",
        w.reg.host()
    );
    let policy = Policy::from_yaml(&text, "policy.yaml").unwrap().policy;
    let gate = w.gate_via(policy, &w.reg.url(), true);
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    expect(&d, "failed", "trust_unavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_matching_rule_must_hold_not_only_the_first() {
    let w = World::new();
    w.signed("acme/app", "1.0.0", RELEASE).await;
    w.signed("acme/app", "1.1.0", RELEASE).await;
    let key = w.sigstore.key_signer().unwrap();
    std::fs::write(w.dir.path().join("release.pub"), key.verifier_pem()).unwrap();
    // A second rule for the same image wants the release key too.
    let second = format!(
        "  - name: keyed\n    images: [\"{}/acme/app\"]\n    authorities:\n      - key: {{ref: release}}",
        w.reg.host()
    );
    let policy = w.policy(&second, "  keys:\n    release: {path: release.pub}");
    let gate = w.gate(policy);
    let d = gate.evaluate(&w.watched("acme/app", "1.0.0")).await;
    // Signed, but by a certificate where the rule wants its key: not an allowed signer.
    expect(&d, "skipped", "identity_mismatch");
    assert!(d.detail().contains("rule 'keyed'"), "{}", d.detail());
    // Another image under acme/** only falls under the first rule.
    w.signed("acme/other", "1.0.0", RELEASE).await;
    w.signed("acme/other", "1.1.0", RELEASE).await;
    let d = gate.evaluate(&w.watched("acme/other", "1.0.0")).await;
    expect(&d, "update", "verified");
}

#[tokio::test(flavor = "multi_thread")]
async fn try_older_never_goes_below_what_is_deployed() {
    let w = World::new();
    w.signed("acme/app", "1.1.0", RELEASE).await;
    w.signed("acme/app", "1.2.0", RELEASE).await;
    w.signed("acme/app", "1.3.0", MALLORY).await;
    let gate = w.gate(w.policy("    onFailure: {action: try-older, maxCandidates: 3}", ""));
    // 1.3.0 fails; the next older tag is what is deployed: stop there, never 1.1.0.
    let d = gate.evaluate(&w.watched("acme/app", "1.2.0")).await;
    expect(&d, "skipped", "identity_mismatch");
    assert!(d.detail().contains("1.3.0"), "{}", d.detail());
    // Digest-only deployments: the next candidate's order cannot be told, so no try-older.
    let digest_only = w.watched("acme/app", "").with_current("", None);
    let d = gate.evaluate(&digest_only).await;
    assert_ne!(d.kind(), "update", "{d:?}");
}
