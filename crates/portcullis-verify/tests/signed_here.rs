//! Signatures made on this machine by the throwaway Sigstore of `portcullis-testsign` (a real
//! CA, real SCTs, a real log key: only their lifetime is short), verified in-process in both
//! layouts. The end-to-end matrix through a registry is in the binary's tests; here is what
//! needs many runs: every mutation of a valid signature's bytes is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portcullis_image::Digest;
use portcullis_testsign::{LeafSpec, SigningOptions, TestSigstore};
use portcullis_verify::{
    BundlePolicy, Expectation, Identity, PublicKey, TrustRoot, verify_image_bundle,
    verify_legacy_signature,
};
use proptest::prelude::*;

const ISSUER: &str = "https://issuer.portcullis.test";
const EMAIL: &str = "release@acme.test";
const IMAGE: &str = "registry.test/acme/app";

struct World {
    sigstore: TestSigstore,
    trust: TrustRoot,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let sigstore = TestSigstore::new().unwrap();
        let trust =
            TrustRoot::from_json(&sigstore.trusted_root_json().unwrap(), "test sigstore").unwrap();
        World { sigstore, trust }
    })
}

fn image_digest(n: u8) -> Digest {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
        .parse()
        .unwrap()
}

fn email_policy() -> BundlePolicy {
    BundlePolicy::keyless([Identity::exact(EMAIL, ISSUER).unwrap()]).unwrap()
}

/// A valid keyless legacy layer and a valid keyless v0.3 bundle for image 1, made once.
struct Valid {
    payload: Vec<u8>,
    annotations: BTreeMap<String, String>,
    bundle: Vec<u8>,
}

fn valid() -> &'static Valid {
    static VALID: OnceLock<Valid> = OnceLock::new();
    VALID.get_or_init(|| {
        let w = world();
        let signer = w
            .sigstore
            .keyless_signer(&LeafSpec::email(EMAIL, ISSUER))
            .unwrap();
        let digest = image_digest(1).to_string();
        let layer = w
            .sigstore
            .legacy_layer(&signer, IMAGE, &digest, &SigningOptions::default())
            .unwrap();
        let bundle = w
            .sigstore
            .message_bundle(&signer, &digest, &SigningOptions::default())
            .unwrap();
        Valid {
            payload: layer.payload,
            annotations: layer.annotations,
            bundle,
        }
    })
}

fn legacy(payload: &[u8], annotations: &BTreeMap<String, String>) -> Result<(), &'static str> {
    verify_legacy_signature(
        payload,
        annotations,
        &image_digest(1),
        &email_policy(),
        &world().trust,
    )
    .map(|_| ())
    .map_err(|r| r.code())
}

fn bundle(json: &[u8]) -> Result<(), &'static str> {
    verify_image_bundle(
        json,
        &image_digest(1),
        &Expectation::Signature,
        &email_policy(),
        &world().trust,
    )
    .map(|_| ())
    .map_err(|r| r.code())
}

#[test]
fn keyless_signatures_made_here_verify_in_both_layouts() {
    let v = valid();
    assert_eq!(legacy(&v.payload, &v.annotations), Ok(()));
    assert_eq!(bundle(&v.bundle), Ok(()));
    let verified = verify_legacy_signature(
        &v.payload,
        &v.annotations,
        &image_digest(1),
        &email_policy(),
        &world().trust,
    )
    .unwrap();
    assert_eq!(verified.identity(), Some(EMAIL));
    assert_eq!(verified.issuer(), Some(ISSUER));
    assert!(verified.tlog_verified() && verified.sct_verified());
}

#[test]
fn key_signatures_made_here_verify_in_both_layouts() {
    let w = world();
    let signer = w.sigstore.key_signer().unwrap();
    let digest = image_digest(2);
    let policy = BundlePolicy::key(PublicKey::from_pem(&signer.verifier_pem()).unwrap());
    let layer = w
        .sigstore
        .legacy_layer(
            &signer,
            IMAGE,
            &digest.to_string(),
            &SigningOptions::default(),
        )
        .unwrap();
    let verified = verify_legacy_signature(
        &layer.payload,
        &layer.annotations,
        &digest,
        &policy,
        &w.trust,
    )
    .unwrap();
    let json = w
        .sigstore
        .message_bundle(&signer, &digest.to_string(), &SigningOptions::default())
        .unwrap();
    assert!(verified.tlog_verified(), "logged by default");
    let verified =
        verify_image_bundle(&json, &digest, &Expectation::Signature, &policy, &w.trust).unwrap();
    assert!(matches!(
        verified.signer(),
        portcullis_verify::Signer::Key { .. }
    ));
    // Another image's digest: the signature does not carry over.
    let other = image_digest(3);
    assert!(
        verify_legacy_signature(
            &layer.payload,
            &layer.annotations,
            &other,
            &policy,
            &w.trust
        )
        .is_err()
    );
    assert!(
        verify_image_bundle(&json, &other, &Expectation::Signature, &policy, &w.trust).is_err()
    );
}

/// The parts of a legacy layer whose bytes a mutation may hit, decoded where the annotation
/// is an encoding (a mutation of base64 text may decode to the same bytes or not decode).
#[derive(Clone, Copy, Debug)]
enum Part {
    Payload,
    Signature,
    Certificate,
    SignedEntryTimestamp,
    LogBody,
}

const PARTS: [Part; 5] = [
    Part::Payload,
    Part::Signature,
    Part::Certificate,
    Part::SignedEntryTimestamp,
    Part::LogBody,
];

/// Applies `f` to the bytes of `part` of a copy of the valid layer.
fn mutate_layer(part: Part, f: impl FnOnce(&mut Vec<u8>)) -> (Vec<u8>, BTreeMap<String, String>) {
    let v = valid();
    let mut payload = v.payload.clone();
    let mut annotations = v.annotations.clone();
    match part {
        Part::Payload => f(&mut payload),
        Part::Signature => {
            let key = "dev.cosignproject.cosign/signature";
            let mut bytes = STANDARD.decode(&annotations[key]).unwrap();
            f(&mut bytes);
            annotations.insert(key.into(), STANDARD.encode(bytes));
        }
        Part::Certificate => {
            let key = "dev.sigstore.cosign/certificate";
            let pem = &annotations[key];
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            let mut der = STANDARD.decode(body).unwrap();
            f(&mut der);
            annotations.insert(
                key.into(),
                format!(
                    "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                    STANDARD.encode(der)
                ),
            );
        }
        Part::SignedEntryTimestamp | Part::LogBody => {
            let key = "dev.sigstore.cosign/bundle";
            let mut json: serde_json::Value = serde_json::from_str(&annotations[key]).unwrap();
            let slot = match part {
                Part::SignedEntryTimestamp => &mut json["SignedEntryTimestamp"],
                _ => &mut json["Payload"]["body"],
            };
            let mut bytes = STANDARD.decode(slot.as_str().unwrap()).unwrap();
            f(&mut bytes);
            *slot = STANDARD.encode(bytes).into();
            annotations.insert(key.into(), json.to_string());
        }
    }
    (payload, annotations)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Flipping any bits of any byte of the payload, the signature, the certificate, the SET
    /// or the logged entry makes the legacy signature fail.
    #[test]
    fn any_bit_flip_in_a_legacy_signature_is_refused(
        part in 0..PARTS.len(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let part = PARTS[part];
        let (payload, annotations) = mutate_layer(part, |bytes| {
            let i = position.index(bytes.len());
            bytes[i] ^= flip;
        });
        prop_assert!(legacy(&payload, &annotations).is_err(), "{part:?} byte {} ^ {flip:#04x} verified", position.index(usize::MAX));
    }

    /// Truncating or extending any of those parts makes it fail too.
    #[test]
    fn any_truncation_or_extension_of_a_legacy_signature_is_refused(
        part in 0..PARTS.len(),
        cut in any::<prop::sample::Index>(),
        extra in prop::collection::vec(any::<u8>(), 0..4),
    ) {
        let part = PARTS[part];
        let (payload, annotations) = mutate_layer(part, |bytes| {
            let at = cut.index(bytes.len());
            bytes.truncate(at);
            bytes.extend(&extra);
        });
        // Cutting at the end and adding nothing is no mutation.
        let v = valid();
        prop_assume!(payload != v.payload || annotations != v.annotations);
        prop_assert!(legacy(&payload, &annotations).is_err(), "{part:?} cut verified");
    }

    /// Flipping bits of any piece of evidence in a v0.3 bundle (decoded where it is base64:
    /// signature, digest, certificate, log entry body, SET, root hash, proof hashes, the
    /// checkpoint note, the signed numbers) makes it fail. Mutating the JSON text itself can
    /// only rename or re-space keys, which either fails to parse or drops redundant evidence
    /// the bundle does not need (a v0.3 bundle with an inclusion proof verifies without its
    /// SET), so the property is stated over the evidence.
    #[test]
    fn any_bit_flip_in_bundle_evidence_is_refused(
        slot in 0..BUNDLE_SLOTS.len(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let (pointer, encoding) = BUNDLE_SLOTS[slot];
        let mut json: serde_json::Value = serde_json::from_slice(&valid().bundle).unwrap();
        let value = json.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}"));
        let text = value.as_str().unwrap().to_owned();
        let mut bytes = match encoding {
            Encoding::Base64 => STANDARD.decode(&text).unwrap(),
            Encoding::Text => text.into_bytes(),
        };
        let i = position.index(bytes.len());
        bytes[i] ^= flip;
        *value = match encoding {
            Encoding::Base64 => STANDARD.encode(&bytes).into(),
            Encoding::Text => {
                let Ok(text) = String::from_utf8(bytes) else {
                    // Not representable in a JSON string: no such bundle exists.
                    return Ok(());
                };
                text.into()
            }
        };
        let mutated = serde_json::to_vec(&json).unwrap();
        prop_assert!(bundle(&mutated).is_err(), "{pointer} byte {i} ^ {flip:#04x} verified");
    }
}

#[derive(Clone, Copy, Debug)]
enum Encoding {
    Base64,
    Text,
}

const BUNDLE_SLOTS: [(&str, Encoding); 11] = [
    ("/messageSignature/signature", Encoding::Base64),
    ("/messageSignature/messageDigest/digest", Encoding::Base64),
    (
        "/verificationMaterial/certificate/rawBytes",
        Encoding::Base64,
    ),
    (
        "/verificationMaterial/tlogEntries/0/canonicalizedBody",
        Encoding::Base64,
    ),
    (
        "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
        Encoding::Base64,
    ),
    (
        "/verificationMaterial/tlogEntries/0/inclusionProof/rootHash",
        Encoding::Base64,
    ),
    (
        "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/0",
        Encoding::Base64,
    ),
    (
        "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope",
        Encoding::Text,
    ),
    (
        "/verificationMaterial/tlogEntries/0/inclusionProof/treeSize",
        Encoding::Text,
    ),
    (
        "/verificationMaterial/tlogEntries/0/logIndex",
        Encoding::Text,
    ),
    (
        "/verificationMaterial/tlogEntries/0/integratedTime",
        Encoding::Text,
    ),
];
