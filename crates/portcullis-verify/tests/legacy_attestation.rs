//! Attestations in cosign's legacy layout (a DSSE envelope layer at tag `sha256-<hex>.att`,
//! an `intoto` 0.0.2 Rekor entry in its bundle annotation), made on this machine by the
//! throwaway Sigstore of `portcullis-testsign` and verified in-process: what must verify
//! does, and each way of being the wrong attestation is refused with its own code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portcullis_image::Digest;
use portcullis_testsign::{LeafSpec, SigningOptions, TestSigstore};
use portcullis_verify::{
    BundlePolicy, Expectation, Identity, PublicKey, TrustRoot, verify_legacy_attestation,
};
use serde_json::{Value, json};

const ISSUER: &str = "https://issuer.portcullis.test";
const EMAIL: &str = "release@acme.test";
const IMAGE: &str = "registry.test/acme/app";
const SLSA: &str = "https://slsa.dev/provenance/v1";

fn digest(n: u8) -> Digest {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
        .parse()
        .unwrap()
}

fn attestation(of: &str) -> Expectation {
    Expectation::Attestation {
        predicate_type: of.to_owned(),
    }
}

fn setup() -> (TestSigstore, TrustRoot) {
    let sigstore = TestSigstore::new().unwrap();
    let trust =
        TrustRoot::from_json(&sigstore.trusted_root_json().unwrap(), "test sigstore").unwrap();
    (sigstore, trust)
}

fn provenance() -> Value {
    json!({"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"}})
}

#[test]
fn a_keyless_legacy_attestation_verifies_and_carries_its_predicate() {
    let (sigstore, trust) = setup();
    let signer = sigstore
        .keyless_signer(&LeafSpec::email(EMAIL, ISSUER))
        .unwrap();
    let image = digest(1);
    let layer = sigstore
        .legacy_attestation_layer(
            &signer,
            IMAGE,
            &image.to_string(),
            SLSA,
            &provenance(),
            &SigningOptions::default(),
        )
        .unwrap();
    let policy = BundlePolicy::keyless([Identity::exact(EMAIL, ISSUER).unwrap()]).unwrap();
    let verified = verify_legacy_attestation(
        &layer.payload,
        &layer.annotations,
        &image,
        &attestation(SLSA),
        &policy,
        &trust,
    )
    .unwrap_or_else(|r| panic!("{}: {r:#}", r.code()));
    assert_eq!(verified.identity(), Some(EMAIL));
    assert_eq!(verified.predicate_type(), Some(SLSA));
    assert_eq!(
        verified.predicate().unwrap()["buildDefinition"]["buildType"],
        "https://actions.github.io/buildtypes/workflow/v1"
    );
    assert!(verified.log_index().is_some());

    let refused = |image: &Digest, expect: &Expectation, payload: &[u8]| {
        verify_legacy_attestation(payload, &layer.annotations, image, expect, &policy, &trust)
            .map(|_| ())
            .unwrap_err()
            .code()
    };
    // Another predicate type asked for; a signature asked for; another image.
    assert_eq!(
        refused(
            &image,
            &attestation("https://spdx.dev/Document"),
            &layer.payload
        ),
        "wrong_predicate_type"
    );
    assert_eq!(
        refused(&image, &Expectation::Signature, &layer.payload),
        "not_a_signature"
    );
    assert_eq!(
        refused(&digest(2), &attestation(SLSA), &layer.payload),
        "digest_mismatch"
    );
    // Another identity.
    let mallory =
        BundlePolicy::keyless([Identity::exact("mallory@acme.test", ISSUER).unwrap()]).unwrap();
    let err = verify_legacy_attestation(
        &layer.payload,
        &layer.annotations,
        &image,
        &attestation(SLSA),
        &mallory,
        &trust,
    )
    .unwrap_err();
    assert_eq!(err.code(), "identity_mismatch");
    // A statement changed after signing (the subject swapped for another image).
    let mut envelope: Value = serde_json::from_slice(&layer.payload).unwrap();
    let statement = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let forged = String::from_utf8(statement)
        .unwrap()
        .replace(&"01".repeat(32), &"02".repeat(32));
    envelope["payload"] = Value::String(STANDARD.encode(forged));
    let forged = serde_json::to_vec(&envelope).unwrap();
    let code = refused(&digest(2), &attestation(SLSA), &forged);
    assert_eq!(code, "signature_invalid", "a forged statement");
    // Not an envelope at all.
    assert_eq!(
        refused(&image, &attestation(SLSA), b"{\"payload\": 1}"),
        "malformed_signature"
    );
}

#[test]
fn a_key_legacy_attestation_needs_its_log_entry_unless_waived() {
    let (sigstore, trust) = setup();
    let signer = sigstore.key_signer().unwrap();
    let key = PublicKey::from_pem(&signer.verifier_pem()).unwrap();
    let image = digest(3);
    let make = |log: bool| {
        sigstore
            .legacy_attestation_layer(
                &signer,
                IMAGE,
                &image.to_string(),
                SLSA,
                &provenance(),
                &SigningOptions {
                    log,
                    ..SigningOptions::default()
                },
            )
            .unwrap()
    };
    let logged = make(true);
    let _logged = verify_legacy_attestation(
        &logged.payload,
        &logged.annotations,
        &image,
        &attestation(SLSA),
        &BundlePolicy::key(key.clone()),
        &trust,
    )
    .unwrap_or_else(|r| panic!("{}: {r:#}", r.code()));
    let unlogged = make(false);
    let err = verify_legacy_attestation(
        &unlogged.payload,
        &unlogged.annotations,
        &image,
        &attestation(SLSA),
        &BundlePolicy::key(key.clone()),
        &trust,
    )
    .unwrap_err();
    assert_eq!(err.code(), "tlog_missing");
    let _waived = verify_legacy_attestation(
        &unlogged.payload,
        &unlogged.annotations,
        &image,
        &attestation(SLSA),
        &BundlePolicy::key(key).dangerously_skip_tlog(),
        &trust,
    )
    .unwrap_or_else(|r| panic!("waived: {}: {r:#}", r.code()));
}
