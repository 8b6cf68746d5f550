//! Real cosign signatures (legacy `sha256-<hex>.sig` simple signing) verified offline.
//!
//! Every case of `$PORTCULLIS_TESTDATA/cosign-real/cases.json` whose vector is a legacy
//! signature folder (it holds `payload.json`) runs with the policy the case gives, in cosign
//! and policy-controller words, against the trusted root the case names:
//! - `verify`: must verify, for the case's image digest, by the signer the policy names;
//! - `reject`: must be refused;
//! - `verify-only-if-insecure-allowed`: refused with the policy's insecure switches mapped
//!   to nothing, and verified only with both insecure switches of this crate explicit.
//!
//! Cases are read, not listed, so more can be added beside the data. Missing data fails the
//! test naming its public source; it never skips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use portcullis_image::{Candidate, Digest, Repository};
use portcullis_verify::{
    BundlePolicy, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, Identity, Matcher, PublicKey,
    REKOR_BUNDLE_ANNOTATION, Refusal, SIGNATURE_ANNOTATION, Signer, TrustRoot,
    verify_candidate_legacy, verify_legacy_signature,
};
use proptest::prelude::*;
use serde_json::Value;

/// `cosign-real/` of the shared test data. Missing data fails, naming where it comes from.
fn data_dir() -> PathBuf {
    let dir = portcullis_testkit::testdata_dir().join("cosign-real");
    assert!(
        dir.join("cases.json").is_file(),
        "{} has no cases.json: it holds real cosign signatures of public images (see its \
         README.md: signature manifests at tags sha256-<hex>.sig, e.g. of \
         index.docker.io/salrashid123/server_image) and the Sigstore public-good trusted root; \
         set PORTCULLIS_TESTDATA to the directory that contains cosign-real/",
        dir.display()
    );
    dir
}

fn read(path: &Path, source: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): test data missing; it comes from {source}",
            path.display()
        )
    })
}

fn read_text(path: &Path, source: &str) -> String {
    String::from_utf8(read(path, source)).unwrap()
}

/// A legacy vector: the layer blob and the annotations cosign puts on it.
struct Layer {
    payload: Vec<u8>,
    annotations: BTreeMap<String, String>,
}

fn load_layer(dir: &Path) -> Layer {
    const SOURCE: &str = "the signature manifest of the image named in cosign-real/README.md";
    let payload = read(&dir.join("payload.json"), SOURCE);
    let mut annotations = BTreeMap::new();
    annotations.insert(
        SIGNATURE_ANNOTATION.to_owned(),
        read_text(&dir.join("signature.b64"), SOURCE)
            .trim()
            .to_owned(),
    );
    if dir.join("certificate.pem").is_file() {
        annotations.insert(
            CERTIFICATE_ANNOTATION.to_owned(),
            read_text(&dir.join("certificate.pem"), SOURCE),
        );
    }
    if dir.join("chain.pem").is_file() {
        annotations.insert(
            CHAIN_ANNOTATION.to_owned(),
            read_text(&dir.join("chain.pem"), SOURCE),
        );
    }
    // The exact annotation string where the data has it, else the JSON file re-serialised.
    if dir.join("rekor-bundle.annotation.txt").is_file() {
        annotations.insert(
            REKOR_BUNDLE_ANNOTATION.to_owned(),
            read_text(&dir.join("rekor-bundle.annotation.txt"), SOURCE)
                .trim_end()
                .to_owned(),
        );
    } else if dir.join("rekor-bundle.json").is_file() {
        let value: Value =
            serde_json::from_slice(&read(&dir.join("rekor-bundle.json"), SOURCE)).unwrap();
        annotations.insert(REKOR_BUNDLE_ANNOTATION.to_owned(), value.to_string());
    }
    Layer {
        payload,
        annotations,
    }
}

struct Case {
    id: String,
    vector: PathBuf,
    digest: Digest,
    trust: TrustRoot,
    policy: Value,
    expect: String,
}

fn legacy_cases() -> Vec<Case> {
    let dir = data_dir();
    let cases: Value = serde_json::from_slice(&read(
        &dir.join("cases.json"),
        "cosign-real/README.md (cases over real cosign signatures)",
    ))
    .unwrap();
    let cases: Vec<Case> = cases["cases"]
        .as_array()
        .expect("cases.json has a cases list")
        .iter()
        .filter(|case| {
            dir.join(case["vector"].as_str().unwrap())
                .join("payload.json")
                .is_file()
        })
        .map(|case| {
            let root = dir.join(case["trusted_root"].as_str().unwrap());
            Case {
                id: case["id"].as_str().unwrap().to_owned(),
                vector: dir.join(case["vector"].as_str().unwrap()),
                digest: case["image_digest"].as_str().unwrap().parse().unwrap(),
                trust: TrustRoot::from_file(&root).unwrap_or_else(|e| {
                    panic!(
                        "trusted root {} unusable ({e}): it is the Sigstore public-good \
                         trusted_root.json (distributed over TUF by sigstore/root-signing)",
                        root.display()
                    )
                }),
                policy: case["policy"].clone(),
                expect: case["expect"].as_str().unwrap().to_owned(),
            }
        })
        .collect();
    assert!(
        !cases.is_empty(),
        "cases.json names no legacy vector folder with a payload.json"
    );
    cases
}

/// Which insecure switches a run may use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Insecure {
    /// Those the case's policy asks for (`ignoreTlog`, `insecureIgnoreSCT`).
    AsWritten,
    /// None: a `verify-only-if-insecure-allowed` case must then be refused.
    None,
    /// Both of this crate's switches (skip the log and the SCT) and an identity with any
    /// issuer, the most a caller can ask for.
    All,
}

/// The policy of a case in this crate's terms. `Ok(None)` when the policy cannot even be
/// expressed (an identity without an issuer is not, unless insecure switches are allowed);
/// `Err` names missing data and where it comes from.
fn policy(case: &Case, insecure: Insecure) -> Result<Option<BundlePolicy>, String> {
    let p = &case.policy;
    let flag = |name: &str| {
        p.get(name)
            .or_else(|| p.get("keyless").and_then(|k| k.get(name)))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let mut policy = if let Some(key) = p.get("key").and_then(Value::as_str) {
        let path = data_dir().join(key);
        let missing = |e: std::io::Error| {
            format!(
                "{}: policy key {} missing ({e}): test data incomplete; a key under \
                 ../sigstore-conformance/ comes from the public sigstore/sigstore-conformance \
                 suite, test/assets/bundle-verify/<case>/key.pub; a vector's cosign.pub from \
                 cosign-real/README.md",
                case.id,
                path.display()
            )
        };
        let pem = match std::fs::read_to_string(&path) {
            Ok(pem) => pem,
            // A case that expects a refusal only needs *a* key that did not sign. When the
            // key it names is not in this copy of the data, say so loudly and use a freshly
            // generated P-256 key, which certainly did not sign either.
            Err(e) if case.expect == "reject" => {
                eprintln!(
                    "{}; using a freshly generated P-256 key instead",
                    missing(e)
                );
                portcullis_testkit::fresh_p256_public_key()
            }
            Err(e) => return Err(missing(e)),
        };
        BundlePolicy::key(PublicKey::from_pem(&pem).unwrap())
    } else {
        let keyless = p.get("keyless").expect("a policy is key or keyless");
        let get = |name: &str| keyless.get(name).and_then(Value::as_str);
        let san = match (get("subject"), get("subjectRegExp")) {
            (Some(exact), _) => Matcher::exact(exact).unwrap(),
            (None, Some(pattern)) => Matcher::regex(pattern).unwrap(),
            (None, None) => panic!("{}: keyless policy without a subject", case.id),
        };
        let issuer = match (get("issuer"), get("issuerRegExp")) {
            (Some(exact), _) => Matcher::exact(exact).unwrap(),
            (None, Some(pattern)) => Matcher::regex(pattern).unwrap(),
            (None, None) if insecure == Insecure::All => Matcher::regex(".*").unwrap(),
            (None, None) => return Ok(None),
        };
        BundlePolicy::keyless([Identity::new(san, issuer)]).unwrap()
    };
    let (tlog, sct) = match insecure {
        Insecure::AsWritten => (flag("ignoreTlog"), flag("insecureIgnoreSCT")),
        Insecure::None => (false, false),
        Insecure::All => (true, true),
    };
    if tlog {
        policy = policy.dangerously_skip_tlog();
    }
    if sct {
        policy = policy.dangerously_skip_sct();
    }
    Ok(Some(policy))
}

/// Cases whose insecure half this crate does not verify yet, with the refusal it gives:
/// the 2021 signature's log entry is `rekord`, which `sigstore-verify` 0.15 does not model,
/// and the certificate has no issuer extension. See `docs/verification.md`.
const INSECURE_GAPS: [(&str, &str); 1] = [("rekord-2021-insecure", "unsupported_bundle")];

fn run(case: &Case, insecure: Insecure) -> Result<Option<Result<(), Refusal>>, String> {
    let Some(policy) = policy(case, insecure)? else {
        return Ok(None);
    };
    let layer = load_layer(&case.vector);
    Ok(Some(
        verify_legacy_signature(
            &layer.payload,
            &layer.annotations,
            &case.digest,
            &policy,
            &case.trust,
        )
        .map(|verified| {
            assert_eq!(verified.artifact(), &case.digest, "{}", case.id);
            match verified.signer() {
                Signer::Certificate { identity, .. } => {
                    let keyless = &case.policy["keyless"];
                    if let Some(subject) = keyless.get("subject").and_then(Value::as_str) {
                        assert_eq!(identity, subject, "{}", case.id);
                    }
                }
                Signer::Key { fingerprint, .. } => {
                    assert!(fingerprint.starts_with("sha256:"), "{}", case.id);
                }
                _ => {}
            }
        }),
    ))
}

#[test]
fn every_legacy_case_of_cases_json_has_its_expected_result() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in legacy_cases() {
        ran += 1;
        let mut missing = None;
        let mut outcome = |insecure| {
            run(&case, insecure).unwrap_or_else(|message| {
                missing = Some(message);
                None
            })
        };
        match case.expect.as_str() {
            "verify" => match outcome(Insecure::AsWritten) {
                Some(Ok(())) => {}
                Some(Err(refusal)) => failures.push(format!(
                    "{}: refused ({}): {refusal}: {}",
                    case.id,
                    refusal.code(),
                    std::error::Error::source(&refusal)
                        .map(ToString::to_string)
                        .unwrap_or_default()
                )),
                None => failures.push(format!("{}: policy not expressible", case.id)),
            },
            "reject" => match outcome(Insecure::AsWritten) {
                Some(Ok(())) => failures.push(format!("{}: verified, must be refused", case.id)),
                // Shown with --nocapture, to see that each is refused for its reason.
                Some(Err(refusal)) => eprintln!("{}: refused: {}", case.id, refusal.code()),
                None => eprintln!("{}: no policy (not expressible, or data missing)", case.id),
            },
            "verify-only-if-insecure-allowed" => {
                for secure in [Insecure::None, Insecure::AsWritten] {
                    if let Some(Ok(())) = outcome(secure) {
                        failures.push(format!(
                            "{}: verified with {secure:?} insecure switches",
                            case.id
                        ));
                    }
                }
                let gap = INSECURE_GAPS.iter().find(|(id, _)| *id == case.id);
                match (outcome(Insecure::All), gap) {
                    (Some(Ok(())), None) => {}
                    (Some(Err(refusal)), Some((_, code))) if refusal.code() == *code => {}
                    (other, _) => failures.push(format!(
                        "{}: with all insecure switches: {:?} (known gap: {gap:?})",
                        case.id,
                        other.map(|r| r.map_err(|e| e.code()))
                    )),
                }
            }
            other => failures.push(format!("{}: unknown expectation {other}", case.id)),
        }
        failures.extend(missing);
    }
    assert!(
        failures.is_empty(),
        "{ran} cases, failures:\n{}",
        failures.join("\n")
    );
}

/// The keyless vector that verifies under the default policy, and its policy.
fn keyless_vector() -> (Layer, Digest, BundlePolicy, TrustRoot) {
    let case = legacy_cases()
        .into_iter()
        .find(|case| case.id == "email-exact")
        .expect("cases.json has the email-exact case");
    let policy = policy(&case, Insecure::AsWritten).unwrap().unwrap();
    (load_layer(&case.vector), case.digest, policy, case.trust)
}

#[test]
fn a_candidate_becomes_a_verified_image_from_its_first_good_layer() {
    let (layer, digest, policy, trust) = keyless_vector();
    let candidate = Candidate::new(
        Repository::new("docker.io", "salrashid123/server_image").unwrap(),
        "latest".parse().unwrap(),
        digest.clone(),
        None,
    );
    let mut broken = layer.annotations.clone();
    broken.insert(SIGNATURE_ANNOTATION.to_owned(), "not base64!".to_owned());
    let layers = vec![
        (layer.payload.clone(), broken),
        (layer.payload.clone(), layer.annotations.clone()),
    ];
    let image = verify_candidate_legacy(&candidate, &layers, &policy, &trust).unwrap();
    assert_eq!(image.digest(), &digest);
    assert_eq!(image.tag().as_str(), "latest");
    assert_eq!(image.identity(), Some("salrashid123@gmail.com"));
    assert_eq!(image.issuer(), Some("https://github.com/login/oauth"));
    assert_eq!(image.log_index(), Some(919_437_390));
    assert_eq!(
        image.integrated_time().map(|t| t.as_second()),
        Some(1_770_296_109)
    );
    assert_eq!(image.key_fingerprint(), None);
}

#[test]
fn a_candidate_of_another_digest_gets_the_most_specific_refusal() {
    let (layer, _, policy, trust) = keyless_vector();
    let other: Digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
    let candidate = Candidate::new(
        Repository::new("docker.io", "salrashid123/server_image").unwrap(),
        "latest".parse().unwrap(),
        other,
        None,
    );
    let mut broken = layer.annotations.clone();
    broken.remove(SIGNATURE_ANNOTATION);
    let layers = vec![
        (layer.payload.clone(), broken),
        (layer.payload.clone(), layer.annotations.clone()),
    ];
    let refusal = verify_candidate_legacy(&candidate, &layers, &policy, &trust).unwrap_err();
    assert_eq!(refusal.code(), "digest_mismatch", "{refusal}");
    let none = verify_candidate_legacy(&candidate, &[], &policy, &trust).unwrap_err();
    assert_eq!(none.code(), "malformed_signature");
}

#[test]
fn the_chain_annotation_is_never_trusted() {
    let (mut layer, digest, policy, trust) = keyless_vector();
    layer
        .annotations
        .insert(CHAIN_ANNOTATION.to_owned(), "garbage".to_owned());
    let verified =
        verify_legacy_signature(&layer.payload, &layer.annotations, &digest, &policy, &trust)
            .unwrap();
    assert_eq!(verified.identity(), Some("salrashid123@gmail.com"));
}

#[test]
fn a_layer_without_its_rekor_bundle_is_refused_for_the_missing_log() {
    let (mut layer, digest, policy, trust) = keyless_vector();
    layer.annotations.remove(REKOR_BUNDLE_ANNOTATION);
    let refusal =
        verify_legacy_signature(&layer.payload, &layer.annotations, &digest, &policy, &trust)
            .unwrap_err();
    assert_eq!(refusal.code(), "tlog_missing", "{refusal}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn flipping_a_byte_of_payload_or_signature_breaks_verification(
        in_signature in any::<bool>(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let (mut layer, digest, policy, trust) = keyless_vector();
        if in_signature {
            use base64::Engine as _;
            let b64 = &layer.annotations[SIGNATURE_ANNOTATION];
            let mut raw = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
            let i = position.index(raw.len());
            raw[i] ^= flip;
            layer.annotations.insert(
                SIGNATURE_ANNOTATION.to_owned(),
                base64::engine::general_purpose::STANDARD.encode(raw),
            );
        } else {
            let i = position.index(layer.payload.len());
            layer.payload[i] ^= flip;
        }
        let outcome = verify_legacy_signature(
            &layer.payload, &layer.annotations, &digest, &policy, &trust,
        );
        prop_assert!(outcome.is_err(), "a mutated layer verified");
    }
}
