//! The checks this crate layers over the upstream verifier, exercised on real Sigstore bundles
//! (cases of the public sigstore/sigstore-conformance suite) and on copies of them with one
//! field changed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::PathBuf;

use portcullis_verify::{
    Artifact, BundlePolicy, Identity, KeyAlgorithm, Matcher, Material, PublicKey, Reason, Refusal,
    Signer, TrustRoot, claims, verify_bundle,
};
use proptest::prelude::*;
use serde_json::Value;

const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB: &str = "https://token.actions.githubusercontent.com";

fn suite() -> PathBuf {
    let dir = portcullis_testkit::testdata_dir().join("sigstore-conformance");
    assert!(
        dir.is_dir(),
        "{} is missing: it holds cases of the public sigstore/sigstore-conformance suite",
        dir.display()
    );
    dir
}

/// A case's bundle, artifact and trusted root.
struct Case {
    bundle: Vec<u8>,
    artifact: Artifact,
    trust: TrustRoot,
}

fn case(name: &str) -> Case {
    let suite = suite();
    let dir = suite.join(name);
    assert!(dir.is_dir(), "{} is missing", dir.display());
    let artifact = Some(dir.join("artifact"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| suite.join("a.txt"));
    let root = Some(dir.join("trusted_root.json"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| suite.join("production_trusted_root.json"));
    Case {
        bundle: std::fs::read(dir.join("bundle.sigstore.json")).unwrap(),
        artifact: Artifact::read(artifact).unwrap(),
        trust: TrustRoot::from_file(root).unwrap(),
    }
}

fn beacon() -> BundlePolicy {
    BundlePolicy::keyless([Identity::exact(BEACON, GITHUB).unwrap()]).unwrap()
}

/// The bundle with `edit` applied to its JSON.
fn edited(bundle: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut json: Value = serde_json::from_slice(bundle).unwrap();
    edit(&mut json);
    serde_json::to_vec(&json).unwrap()
}

fn reason(refusal: &Refusal) -> Option<&Reason> {
    std::error::Error::source(refusal).and_then(|source| source.downcast_ref::<Reason>())
}

#[test]
fn a_keyless_bundle_reports_its_signer_log_entry_and_times() {
    let c = case("happy-path-v0.1");
    let verified = verify_bundle(&c.bundle, &c.artifact, &beacon(), &c.trust).unwrap();
    assert_eq!(
        verified.signer(),
        &Signer::Certificate {
            identity: BEACON.to_owned(),
            issuer: GITHUB.to_owned()
        }
    );
    assert_eq!(verified.log_index(), Some(27_246_492));
    assert_eq!(
        verified.integrated_time().map(|t| t.as_second()),
        Some(1_689_177_396)
    );
    assert!(verified.tlog_verified() && verified.sct_verified());
}

#[test]
fn identity_regexps_match_the_whole_identity() {
    let c = case("happy-path-v0.3");
    let allowed = Identity::regex(
        r"https://github\.com/sigstore-conformance/[^/]+/\.github/workflows/.+@refs/heads/main",
        r"https://token\.actions\.githubusercontent\.com",
    )
    .unwrap();
    let verified = verify_bundle(
        &c.bundle,
        &c.artifact,
        &BundlePolicy::keyless([allowed]).unwrap(),
        &c.trust,
    )
    .unwrap();
    assert_eq!(verified.identity(), Some(BEACON));

    // A pattern that only occurs inside the identity does not match it.
    let partial = Identity::new(
        Matcher::regex("sigstore-conformance").unwrap(),
        Matcher::exact(GITHUB).unwrap(),
    );
    let refusal = verify_bundle(
        &c.bundle,
        &c.artifact,
        &BundlePolicy::keyless([partial]).unwrap(),
        &c.trust,
    )
    .unwrap_err();
    assert_eq!(refusal.code(), "identity_mismatch");
}

#[test]
fn another_identity_is_refused_naming_both() {
    let c = case("happy-path-v0.3");
    let policy =
        BundlePolicy::keyless([Identity::exact("release@example.com", GITHUB).unwrap()]).unwrap();
    let refusal = verify_bundle(&c.bundle, &c.artifact, &policy, &c.trust).unwrap_err();
    assert_eq!(
        refusal.to_string(),
        format!("certificate identity '{BEACON}' is not allowed: expected 'release@example.com'")
    );
}

#[test]
fn the_right_identity_from_another_issuer_is_an_issuer_mismatch() {
    let c = case("happy-path-v0.3");
    let policy =
        BundlePolicy::keyless([Identity::exact(BEACON, "https://accounts.google.com").unwrap()])
            .unwrap();
    let refusal = verify_bundle(&c.bundle, &c.artifact, &policy, &c.trust).unwrap_err();
    assert!(
        matches!(
            &refusal,
            Refusal::IssuerMismatch { actual: Some(actual), identity, .. }
                if actual == GITHUB && identity == BEACON
        ),
        "{refusal:?}"
    );
}

#[test]
fn a_key_bundle_verifies_with_its_key_and_reports_the_fingerprint() {
    let c = case("managed-key-and-trusted-root");
    let pem =
        std::fs::read_to_string(suite().join("managed-key-and-trusted-root/key.pub")).unwrap();
    let key = PublicKey::from_pem(&pem).unwrap();
    let fingerprint = key.fingerprint().to_owned();
    let policy = BundlePolicy::key(key);
    for artifact in [c.artifact.clone(), Artifact::Digest(c.artifact.digest())] {
        let verified = verify_bundle(&c.bundle, &artifact, &policy, &c.trust).unwrap();
        assert_eq!(
            verified.signer(),
            &Signer::Key {
                algorithm: KeyAlgorithm::EcdsaP256,
                fingerprint: fingerprint.clone()
            }
        );
        assert_eq!(verified.identity(), None);
        assert!(verified.tlog_verified());
        assert!(!verified.sct_verified(), "a key bundle has no certificate");
        assert!(verified.log_index().is_some());
    }
}

#[test]
fn a_key_policy_never_accepts_a_certificate_bundle() {
    let c = case("happy-path-v0.3");
    let pem =
        std::fs::read_to_string(suite().join("managed-key-and-trusted-root/key.pub")).unwrap();
    let policy = BundlePolicy::key(PublicKey::from_pem(&pem).unwrap());
    let refusal = verify_bundle(&c.bundle, &c.artifact, &policy, &c.trust).unwrap_err();
    assert!(
        matches!(
            refusal,
            Refusal::MaterialMismatch {
                expected: Material::PublicKey,
                found: Material::Certificate
            }
        ),
        "{refusal:?}"
    );
}

#[test]
fn another_artifact_is_a_digest_mismatch_for_signatures_and_attestations() {
    for name in ["happy-path-v0.3", "intoto-with-custom-trust-root"] {
        let c = case(name);
        let policy = beacon();
        for other in [
            Artifact::Bytes(b"another artifact".to_vec()),
            Artifact::Digest(Artifact::Bytes(b"another artifact".to_vec()).digest()),
        ] {
            let refusal = verify_bundle(&c.bundle, &other, &policy, &c.trust).unwrap_err();
            assert_eq!(refusal.code(), "digest_mismatch", "{name}: {refusal:?}");
            assert!(
                refusal.to_string().ends_with(other.digest().as_str()),
                "{refusal}"
            );
        }
    }
}

#[test]
fn an_attestation_reports_its_predicate_type() {
    let c = case("intoto-with-custom-trust-root");
    let verified = verify_bundle(&c.bundle, &c.artifact, &beacon(), &c.trust).unwrap();
    assert!(
        verified.predicate_type().is_some_and(|t| !t.is_empty()),
        "{verified:?}"
    );
}

#[test]
fn several_log_entries_are_refused() {
    let c = case("happy-path-v0.3");
    let bundle = edited(&c.bundle, |json| {
        let entries = json["verificationMaterial"]["tlogEntries"]
            .as_array_mut()
            .unwrap();
        let first = entries[0].clone();
        entries.push(first);
    });
    let refusal = verify_bundle(&bundle, &c.artifact, &beacon(), &c.trust).unwrap_err();
    assert_eq!(refusal.code(), "unsupported_bundle");
    assert_eq!(
        reason(&refusal),
        Some(&Reason::SeveralLogEntries { count: 2 })
    );
}

#[test]
fn a_v0_1_entry_without_its_inclusion_promise_is_refused() {
    let c = case("happy-path-v0.1");
    let bundle = edited(&c.bundle, |json| {
        json["verificationMaterial"]["tlogEntries"][0]
            .as_object_mut()
            .unwrap()
            .remove("inclusionPromise");
    });
    let refusal = verify_bundle(&bundle, &c.artifact, &beacon(), &c.trust).unwrap_err();
    assert_eq!(refusal.code(), "tlog_missing");
    assert!(
        matches!(reason(&refusal), Some(Reason::NoInclusionPromise { .. })),
        "{refusal:?}"
    );
}

#[test]
fn no_log_entry_is_tlog_missing() {
    let c = case("happy-path-v0.3");
    let bundle = edited(&c.bundle, |json| {
        json["verificationMaterial"]["tlogEntries"] = Value::Array(Vec::new());
    });
    let refusal = verify_bundle(&bundle, &c.artifact, &beacon(), &c.trust).unwrap_err();
    assert_eq!(reason(&refusal), Some(&Reason::NoLogEntry));
}

#[test]
fn skipping_the_tlog_accepts_a_bundle_without_inclusion_proof_and_says_so() {
    let c = case("rekor2-no-inclusion-proof_fail");
    let refusal = verify_bundle(&c.bundle, &c.artifact, &beacon(), &c.trust).unwrap_err();
    assert_eq!(refusal.code(), "tlog_missing");

    let relaxed = beacon().dangerously_skip_tlog();
    let verified = verify_bundle(&c.bundle, &c.artifact, &relaxed, &c.trust).unwrap();
    assert!(!verified.tlog_verified());
    assert!(verified.sct_verified());
    assert!(
        !verified.signed_times().is_empty(),
        "the TSA timestamp still counts"
    );
}

#[test]
fn skipping_the_tlog_does_not_skip_the_signature() {
    let c = case("signature-mismatch_fail");
    let relaxed = beacon().dangerously_skip_tlog().dangerously_skip_sct();
    let refusal = verify_bundle(&c.bundle, &c.artifact, &relaxed, &c.trust).unwrap_err();
    assert_eq!(refusal.code(), "signature_invalid");
}

#[test]
fn input_that_is_not_a_bundle_is_malformed() {
    let c = case("happy-path-v0.3");
    for input in [
        &b""[..],
        b"\xff\xfe",
        b"null",
        b"{}",
        b"[]",
        br#"{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}"#,
    ] {
        let refusal = verify_bundle(input, &c.artifact, &beacon(), &c.trust).unwrap_err();
        assert_eq!(
            refusal.code(),
            "malformed_bundle",
            "{}: {refusal:?}",
            String::from_utf8_lossy(input)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// One changed byte anywhere in a valid bundle never panics, and whatever still verifies
    /// (a changed byte in insignificant whitespace, say) still names the same signer and
    /// artifact.
    #[test]
    fn a_changed_byte_never_panics_nor_changes_what_is_proven(
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let c = case("happy-path-v0.3");
        let mut bundle = c.bundle.clone();
        let at = position.index(bundle.len());
        bundle[at] = byte;
        if let Ok(verified) = verify_bundle(&bundle, &c.artifact, &beacon(), &c.trust) {
            prop_assert_eq!(verified.identity(), Some(BEACON));
            prop_assert_eq!(verified.artifact(), &c.artifact.digest());
        }
    }
}

#[test]
fn verification_types_can_be_shared_across_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<TrustRoot>();
    shared::<BundlePolicy>();
    shared::<Artifact>();
    shared::<portcullis_verify::BundleVerified>();
    shared::<Refusal>();
}

// Fulcio certificate extension claims. The conformance bundles are signed by a GitHub Actions
// workflow of sigstore-conformance/extremely-dangerous-public-oidc-beacon; these are the
// values its certificates record.

const BEACON_REPOSITORY: &str = "sigstore-conformance/extremely-dangerous-public-oidc-beacon";

fn beacon_requiring(conditions: &[(&str, &str)]) -> BundlePolicy {
    let identity = conditions.iter().fold(
        Identity::exact(BEACON, GITHUB).unwrap(),
        |identity, (oid, value)| identity.require_extension(oid, *value).unwrap(),
    );
    BundlePolicy::keyless([identity]).unwrap()
}

#[test]
fn a_keyless_bundle_reports_its_certificate_claims() {
    for name in ["happy-path-v0.1", "happy-path-v0.3"] {
        let c = case(name);
        let verified = verify_bundle(&c.bundle, &c.artifact, &beacon(), &c.trust).unwrap();
        let claims = verified.claims();
        let claim = |oid: &str| claims.get(oid).map(String::as_str);
        // Legacy raw-bytes extensions.
        assert_eq!(claim("1.3.6.1.4.1.57264.1.1"), Some(GITHUB), "{name}");
        assert_eq!(
            claim(claims::GITHUB_WORKFLOW_TRIGGER),
            Some("workflow_dispatch"),
            "{name}"
        );
        assert_eq!(
            claim(claims::GITHUB_WORKFLOW_REPOSITORY),
            Some(BEACON_REPOSITORY),
            "{name}"
        );
        assert_eq!(
            claim(claims::GITHUB_WORKFLOW_REF),
            Some("refs/heads/main"),
            "{name}"
        );
        assert_eq!(
            claim(claims::GITHUB_WORKFLOW_NAME),
            Some("Extremely dangerous OIDC beacon"),
            "{name}"
        );
        let sha = claim(claims::GITHUB_WORKFLOW_SHA).unwrap();
        assert_eq!(sha.len(), 40, "{name}: {sha}");
        // DER UTF8String extensions: the same facts, decoded without their DER header.
        assert_eq!(claim("1.3.6.1.4.1.57264.1.8"), Some(GITHUB), "{name}");
        assert_eq!(claim("1.3.6.1.4.1.57264.1.9"), Some(BEACON), "{name}");
        assert_eq!(
            claim("1.3.6.1.4.1.57264.1.12"),
            Some(format!("https://github.com/{BEACON_REPOSITORY}").as_str()),
            "{name}"
        );
        assert_eq!(claim("1.3.6.1.4.1.57264.1.13"), Some(sha), "{name}");
        assert_eq!(
            claim("1.3.6.1.4.1.57264.1.14"),
            Some("refs/heads/main"),
            "{name}"
        );
        assert!(
            claims
                .keys()
                .all(|oid| oid.starts_with("1.3.6.1.4.1.57264.1.")),
            "standard X.509 extensions are not text: {claims:?}"
        );
    }
}

#[test]
fn matching_workflow_claims_are_accepted() {
    for name in ["happy-path-v0.1", "happy-path-v0.3"] {
        let c = case(name);
        let sha = verify_bundle(&c.bundle, &c.artifact, &beacon(), &c.trust)
            .unwrap()
            .claims()[claims::GITHUB_WORKFLOW_SHA]
            .clone();
        let policy = beacon_requiring(&[
            (claims::GITHUB_WORKFLOW_TRIGGER, "workflow_dispatch"),
            (claims::GITHUB_WORKFLOW_SHA, &sha),
            (
                claims::GITHUB_WORKFLOW_NAME,
                "Extremely dangerous OIDC beacon",
            ),
            (claims::GITHUB_WORKFLOW_REPOSITORY, BEACON_REPOSITORY),
            (claims::GITHUB_WORKFLOW_REF, "refs/heads/main"),
            // A generic condition on a DER UTF8String extension (source repository URI).
            (
                "1.3.6.1.4.1.57264.1.12",
                "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon",
            ),
        ]);
        let verified = verify_bundle(&c.bundle, &c.artifact, &policy, &c.trust).unwrap();
        assert_eq!(verified.identity(), Some(BEACON), "{name}");
    }
}

#[test]
fn another_workflow_repository_is_a_claim_mismatch_naming_both_values() {
    let c = case("happy-path-v0.3");
    let policy = beacon_requiring(&[(claims::GITHUB_WORKFLOW_REPOSITORY, "acme/app")]);
    let refusal = verify_bundle(&c.bundle, &c.artifact, &policy, &c.trust).unwrap_err();
    assert_eq!(refusal.code(), "claim_mismatch");
    assert!(
        matches!(
            &refusal,
            Refusal::ClaimMismatch { oid, expected, actual: Some(actual), identity, .. }
                if oid == claims::GITHUB_WORKFLOW_REPOSITORY
                    && expected == "acme/app"
                    && actual == BEACON_REPOSITORY
                    && identity == BEACON
        ),
        "{refusal:?}"
    );
    assert_eq!(
        refusal.to_string(),
        format!(
            "certificate claim github-workflow-repository (1.3.6.1.4.1.57264.1.5) is \
             '{BEACON_REPOSITORY}' but identity '{BEACON}' requires 'acme/app'"
        )
    );
}

#[test]
fn a_wrong_ref_or_a_missing_extension_is_a_claim_mismatch() {
    let c = case("happy-path-v0.1");
    let policy = beacon_requiring(&[(claims::GITHUB_WORKFLOW_REF, "refs/tags/v1.0.0")]);
    let refusal = verify_bundle(&c.bundle, &c.artifact, &policy, &c.trust).unwrap_err();
    assert!(
        matches!(&refusal, Refusal::ClaimMismatch { actual: Some(actual), .. } if actual == "refs/heads/main"),
        "{refusal:?}"
    );
    // Deployment environment (.1.23): the beacon's job runs in none.
    let policy = beacon_requiring(&[("1.3.6.1.4.1.57264.1.23", "production")]);
    let refusal = verify_bundle(&c.bundle, &c.artifact, &policy, &c.trust).unwrap_err();
    assert!(
        matches!(&refusal, Refusal::ClaimMismatch { actual: None, oid, .. } if oid == "1.3.6.1.4.1.57264.1.23"),
        "{refusal:?}"
    );
    assert!(refusal.to_string().contains("is (none)"), "{refusal}");
}

#[test]
fn an_identity_mismatch_wins_over_a_claim_mismatch() {
    let c = case("happy-path-v0.3");
    let identity = Identity::exact("release@example.com", GITHUB)
        .unwrap()
        .require_extension(claims::GITHUB_WORKFLOW_REPOSITORY, "acme/app")
        .unwrap();
    let policy = BundlePolicy::keyless([identity]).unwrap();
    let refusal = verify_bundle(&c.bundle, &c.artifact, &policy, &c.trust).unwrap_err();
    assert_eq!(refusal.code(), "identity_mismatch");
}

#[test]
fn a_key_bundle_has_no_claims() {
    let c = case("managed-key-and-trusted-root");
    let key =
        std::fs::read_to_string(suite().join("managed-key-and-trusted-root/key.pub")).unwrap();
    let policy = BundlePolicy::key(PublicKey::from_pem(&key).unwrap());
    let verified = verify_bundle(&c.bundle, &c.artifact, &policy, &c.trust).unwrap();
    assert!(verified.claims().is_empty());
}
