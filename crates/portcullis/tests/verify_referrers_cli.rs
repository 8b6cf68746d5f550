//! `portcullis verify` with Sigstore bundles attached as OCI 1.1 referrers, with the real
//! cosign attestation of the shared test data (`cosign-real/attestation-v03-keyless-email`).
//!
//! The referrer is pushed as cosign attaches one: an OCI manifest with `artifactType` the
//! bundle's media type, `subject` the image digest of the case, the empty config `{}` and one
//! layer, the bundle with its media type. Then:
//! - against Debian's `docker-registry` 2.8, which has no referrers API: the referrers tag
//!   schema (the index at tag `sha256-<hex>`) is read, and every bundle case of
//!   `cases.json` gives its exit code (cases are read, not listed);
//! - through `fakes::referrers_api`, a fake of the referrers API in front of that registry
//!   (fake because the registry lacks the API), with no fallback index pushed, so only the
//!   API can find the bundle;
//! - a registry failing while the referrers are read is an error (exit 1), never a pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;
use common::{describe, registries_conf, verify};
use std::path::{Path, PathBuf};
use std::process::Output;

use portcullis_testkit::{Pusher, TestRegistry, cosign_real_dir, fakes, read_cosign_real};
use serde_json::Value;

/// The format `cases.json` gives a bundle attached as a referrer.
const REFERRER_FORMAT: &str = "bundle-v0.3-referrer";

fn data_dir() -> PathBuf {
    cosign_real_dir()
}

fn read(path: &Path) -> Vec<u8> {
    read_cosign_real(path)
}

/// The bundle cases of `cases.json`.
fn referrer_cases() -> Vec<Value> {
    let cases: Value = serde_json::from_slice(&read(&data_dir().join("cases.json"))).unwrap();
    let cases: Vec<Value> = cases["cases"]
        .as_array()
        .expect("cases.json has a cases list")
        .iter()
        .filter(|c| c["format"] == REFERRER_FORMAT)
        .cloned()
        .collect();
    assert!(
        !cases.is_empty(),
        "cases.json has no {REFERRER_FORMAT} case"
    );
    cases
}

/// Pushes `bundle_path` as a referrer of `image_digest` to `repo`; with `fallback`, also the
/// referrers tag schema's index at tag `sha256-<hex>`. Returns the referrer's digest.
async fn push_referrer(
    push: &Pusher,
    repo: &str,
    bundle_path: &Path,
    image_digest: &str,
    fallback: bool,
) -> String {
    let bundle = read(bundle_path);
    let earlier: &[String] = &[];
    portcullis_testsign::push_referrer_of_type(
        push,
        repo,
        image_digest,
        &bundle,
        "https://cosign.sigstore.dev/attestation/v1",
        fallback.then_some(earlier),
    )
    .await
}

/// The case's policy as cosign flags (`--attestation --type` for an attestation policy).
fn policy_flags(case: &Value) -> Vec<String> {
    let p = &case["policy"];
    let keyless = &p["keyless"];
    let mut flags = vec![
        "--certificate-identity".to_owned(),
        keyless["subject"].as_str().unwrap().to_owned(),
        "--certificate-oidc-issuer".to_owned(),
        keyless["issuer"].as_str().unwrap().to_owned(),
        "--trusted-root".to_owned(),
        data_dir()
            .join(case["trusted_root"].as_str().unwrap())
            .display()
            .to_string(),
    ];
    if let Some(t) = p["attestation"]["predicateType"].as_str() {
        flags.extend([
            "--attestation".to_owned(),
            "--type".to_owned(),
            t.to_owned(),
        ]);
    }
    flags
}

/// Checks one case's run: exit code, and for a refusal the code of the bundle's outcome
/// (an attestation where a signature is asked for is `not_a_signature`; another predicate
/// type than the one asked for is `wrong_predicate_type`).
fn check_case(case: &Value, out: &Output, report: Option<Value>, referrer: &str) {
    let id = case["id"].as_str().unwrap();
    let report = report.unwrap_or_else(|| panic!("{id}: no JSON report\n{}", describe(out)));
    assert_eq!(report["digest"], case["image_digest"], "{id}");
    let bundles: Vec<&Value> = report["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["source"] == "referrer")
        .collect();
    assert_eq!(bundles.len(), 1, "{id}: one referrer bundle: {report}");
    let bundle = bundles[0];
    assert_eq!(bundle["referrer"], referrer, "{id}");
    let attestation = case["policy"]["attestation"]["predicateType"].as_str();
    match case["expect"].as_str().unwrap() {
        "verify" => {
            assert_eq!(out.status.code(), Some(0), "{id}: {}", describe(out));
            assert_eq!(bundle["verified"], true, "{id}");
            assert_eq!(
                bundle["identity"], case["policy"]["keyless"]["subject"],
                "{id}"
            );
            assert_eq!(bundle["predicate_type"].as_str(), attestation, "{id}");
        }
        "reject" => {
            assert_eq!(out.status.code(), Some(3), "{id}: {}", describe(out));
            assert_eq!(report["verified"], false, "{id}");
            let want = if attestation.is_some() {
                "wrong_predicate_type"
            } else {
                "not_a_signature"
            };
            assert_eq!(bundle["code"], want, "{id}: {report}");
        }
        other => panic!("{id}: unknown expectation {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bundle_cases_through_the_referrers_tag_schema_of_a_real_registry() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    let scratch = tempfile::tempdir().unwrap();
    let conf = registries_conf(scratch.path(), &reg.host(), &reg.url());
    for case in referrer_cases() {
        let vector = case["vector"].as_str().unwrap();
        let digest = case["image_digest"].as_str().unwrap();
        let repo = format!("cosign-real/{vector}");
        let bundle = data_dir().join(vector).join("bundle.sigstore.json");
        let referrer = push_referrer(&push, &repo, &bundle, digest, true).await;
        let image = format!("{}/{repo}@{digest}", reg.host());
        let flags = policy_flags(&case);
        let (out, report) = verify(&conf, &image, &flags);
        check_case(&case, &out, report, &referrer);
        // The same with cosign's short name for the predicate type, where it has one.
        let Some(at) = flags.iter().position(|f| f == "--type") else {
            continue;
        };
        let Some((short, _)) = COSIGN_SHORT_NAMES
            .iter()
            .find(|(_, uri)| *uri == flags[at + 1])
        else {
            continue;
        };
        let mut short_flags = flags.clone();
        short_flags[at + 1] = (*short).to_owned();
        let (out, report) = verify(&conf, &image, &short_flags);
        check_case(&case, &out, report, &referrer);
    }
}

/// Short names cosign's `--type` takes, as its documentation lists them (written out here,
/// not taken from the code under test).
const COSIGN_SHORT_NAMES: [(&str, &str); 3] = [
    ("custom", "https://cosign.sigstore.dev/attestation/v1"),
    ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
    ("slsaprovenance", "https://slsa.dev/provenance/v0.2"),
];

#[tokio::test(flavor = "multi_thread")]
async fn bundle_cases_through_the_referrers_api() {
    // Fake: Debian's registry 2.8 has no referrers API, so a spec-following front serves it
    // and forwards everything else to the real registry. No fallback index is pushed: only
    // the API can find the bundle.
    let reg = TestRegistry::start();
    let front = fakes::referrers_api(&reg.url()).await;
    let push = Pusher::new(&front.url(), None);
    let scratch = tempfile::tempdir().unwrap();
    let conf = registries_conf(scratch.path(), &front.host(), &front.url());
    for case in referrer_cases() {
        let vector = case["vector"].as_str().unwrap();
        let digest = case["image_digest"].as_str().unwrap();
        let repo = format!("cosign-real/{vector}");
        let bundle = data_dir().join(vector).join("bundle.sigstore.json");
        let referrer = push_referrer(&push, &repo, &bundle, digest, false).await;
        let (out, report) = verify(
            &conf,
            &format!("{}/{repo}@{digest}", front.host()),
            &policy_flags(&case),
        );
        check_case(&case, &out, report, &referrer);
    }
    // The fallback tag really is absent from the registry behind the front.
    let (_, report) = {
        let direct = registries_conf(scratch.path(), &reg.host(), &reg.url());
        let case = &referrer_cases()[0];
        let repo = format!("cosign-real/{}", case["vector"].as_str().unwrap());
        verify(
            &direct,
            &format!(
                "{}/{repo}@{}",
                reg.host(),
                case["image_digest"].as_str().unwrap()
            ),
            &policy_flags(case),
        )
    };
    let report = report.unwrap();
    assert!(
        report["code"].as_str().unwrap().ends_with("_missing"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_failing_on_referrers_is_an_error_never_a_pass() {
    // Fake by nature: no honest registry answers like this.
    let garbage = fakes::garbage_registry().await;
    let scratch = tempfile::tempdir().unwrap();
    let conf = registries_conf(scratch.path(), &garbage.host(), &garbage.url());
    let case = &referrer_cases()[0];
    let digest = case["image_digest"].as_str().unwrap();
    for kind in ["badreferrers", "referrers500"] {
        let image = format!("{}/garbage/{kind}@{digest}", garbage.host());
        let mut flags = policy_flags(case);
        flags.retain(|f| f != "--attestation");
        if let Some(i) = flags.iter().position(|f| f == "--type") {
            flags.drain(i..=i + 1);
        }
        for extra in [
            vec![],
            vec![
                "--attestation".to_owned(),
                "--type".to_owned(),
                "https://cosign.sigstore.dev/attestation/v1".to_owned(),
            ],
        ] {
            let args: Vec<String> = flags.iter().cloned().chain(extra).collect();
            let (out, _) = verify(&conf, &image, &args);
            assert_eq!(out.status.code(), Some(1), "{kind}: {}", describe(&out));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("cannot read the referrers"),
                "{kind}: {stderr}"
            );
        }
    }
}
