//! `portcullis verify` against a real registry (Debian's `docker-registry` on loopback),
//! with the real cosign signatures of the shared test data.
//!
//! Every legacy case of `cosign-real/cases.json` (cases are read, not listed): the vector's
//! signature manifest is pushed at tag `sha256-<hex of the case's image digest>.sig` (the
//! signed image itself need not exist), then the binary verifies `<registry>/<repo>@<digest>`
//! with the case's policy as cosign flags:
//! - `verify`: exit 0, signed by the policy's signer;
//! - `reject`: exit 3, each signature refused with a code;
//! - `verify-only-if-insecure-allowed`: exit 3 without insecure flags (with both, it verifies
//!   or fails with the known gap of the verifier, see `INSECURE_GAPS`).
//!
//! Plus: an unsigned image is `signature_missing` (exit 3), and a registry that is down is an
//! error (exit 1), never a pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;
use common::{describe, registries_conf, verify};
use std::path::{Path, PathBuf};

use portcullis_testkit::{
    ImageSpec, Pusher, TestRegistry, cosign_real_dir, free_port, read_cosign_real, sha256,
};
use serde_json::{Value, json};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// Cases whose insecure half the verifier does not accept yet, with the refusal it gives:
/// the 2021 signature's log entry is `rekord`, which the verifier does not model (see
/// docs/verification.md).
const INSECURE_GAPS: [(&str, &str); 1] = [("rekord-2021-insecure", "unsupported_bundle")];

fn data_dir() -> PathBuf {
    cosign_real_dir()
}

fn read(path: &Path) -> Vec<u8> {
    read_cosign_real(path)
}

fn read_text(path: &Path) -> String {
    String::from_utf8(read(path)).unwrap()
}

/// Pushes the signature manifest of the legacy vector `vector` to `repo` at the signature tag
/// of `image_digest`. The vector's own `sig-manifest.json` (with `sig-config.json` and
/// `payload.json`) byte for byte where this copy of the data has it; else one assembled as
/// cosign writes it, from the payload and the annotation files.
async fn push_signature(push: &Pusher, repo: &str, vector: &Path, image_digest: &str) {
    let payload = read(&vector.join("payload.json"));
    let tag = format!("{}.sig", image_digest.replacen(':', "-", 1));
    if vector.join("sig-manifest.json").is_file() {
        push.push_blob(repo, &read(&vector.join("sig-config.json")))
            .await;
        push.push_blob(repo, &payload).await;
        push.push_manifest(
            repo,
            &tag,
            OCI_MANIFEST,
            &read(&vector.join("sig-manifest.json")),
        )
        .await;
        return;
    }
    eprintln!(
        "{}: no sig-manifest.json in this copy of the data; pushing one assembled from \
         payload.json and the annotation files",
        vector.display()
    );
    let mut annotations = serde_json::Map::new();
    annotations.insert(
        "dev.cosignproject.cosign/signature".into(),
        json!(read_text(&vector.join("signature.b64")).trim()),
    );
    if vector.join("certificate.pem").is_file() {
        annotations.insert(
            "dev.sigstore.cosign/certificate".into(),
            json!(read_text(&vector.join("certificate.pem"))),
        );
    }
    if vector.join("chain.pem").is_file() {
        annotations.insert(
            "dev.sigstore.cosign/chain".into(),
            json!(read_text(&vector.join("chain.pem"))),
        );
    }
    if vector.join("rekor-bundle.annotation.txt").is_file() {
        annotations.insert(
            "dev.sigstore.cosign/bundle".into(),
            json!(read_text(&vector.join("rekor-bundle.annotation.txt")).trim_end()),
        );
    } else if vector.join("rekor-bundle.json").is_file() {
        let bundle: Value =
            serde_json::from_slice(&read(&vector.join("rekor-bundle.json"))).unwrap();
        annotations.insert(
            "dev.sigstore.cosign/bundle".into(),
            json!(bundle.to_string()),
        );
    }
    let payload_digest = push.push_blob(repo, &payload).await;
    let config = serde_json::to_vec(&json!({
        "architecture": "", "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "",
        "rootfs": {"type": "layers", "diff_ids": [payload_digest]}, "config": {},
    }))
    .unwrap();
    let config_digest = push.push_blob(repo, &config).await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": config.len(), "digest": config_digest},
        "layers": [{
            "mediaType": SIMPLE_SIGNING, "size": payload.len(), "digest": payload_digest,
            "annotations": annotations,
        }],
    }))
    .unwrap();
    push.push_manifest(repo, &tag, OCI_MANIFEST, &manifest)
        .await;
}

/// The case's policy as cosign flags, and the key file written for it when the data lacks
/// the one it names. `insecure`: whether the policy's insecure switches are passed.
fn policy_flags(case: &Value, scratch: &Path, insecure: bool) -> Vec<String> {
    let dir = data_dir();
    let p = &case["policy"];
    let id = case["id"].as_str().unwrap();
    let mut flags = Vec::new();
    if let Some(key) = p.get("key").and_then(Value::as_str) {
        let path = dir.join(key);
        let path = if path.is_file() {
            path
        } else {
            assert_eq!(
                case["expect"],
                "reject",
                "{id}: policy key {} missing: test data incomplete (a key under \
                 ../sigstore-conformance/ comes from sigstore/sigstore-conformance, \
                 test/assets/bundle-verify/<case>/key.pub)",
                path.display()
            );
            // A case that expects a refusal only needs *a* key that did not sign.
            eprintln!(
                "{id}: policy key {} missing from this copy of the data; using a freshly \
                 generated P-256 key instead",
                path.display()
            );
            let fresh = scratch.join(format!("{id}.pub"));
            std::fs::write(&fresh, portcullis_testkit::fresh_p256_public_key()).unwrap();
            fresh
        };
        flags.extend(["--key".to_owned(), path.display().to_string()]);
    } else {
        let keyless = &p["keyless"];
        let get = |name: &str| keyless.get(name).and_then(Value::as_str);
        match (get("subject"), get("subjectRegExp")) {
            (Some(s), _) => flags.extend(["--certificate-identity".to_owned(), s.to_owned()]),
            (None, Some(re)) => {
                flags.extend(["--certificate-identity-regexp".to_owned(), re.to_owned()]);
            }
            (None, None) => panic!("{id}: keyless policy without a subject"),
        }
        match (get("issuer"), get("issuerRegExp")) {
            (Some(i), _) => flags.extend(["--certificate-oidc-issuer".to_owned(), i.to_owned()]),
            (None, Some(re)) => {
                flags.extend(["--certificate-oidc-issuer-regexp".to_owned(), re.to_owned()]);
            }
            // An issuer is always required: the most the flags can say is "any issuer".
            (None, None) => flags.extend([
                "--certificate-oidc-issuer-regexp".to_owned(),
                ".*".to_owned(),
            ]),
        }
    }
    let flag = |name: &str| {
        p.get(name)
            .or_else(|| p.get("keyless").and_then(|k| k.get(name)))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    if insecure && flag("ignoreTlog") {
        flags.push("--insecure-ignore-tlog".to_owned());
    }
    if insecure && flag("insecureIgnoreSCT") {
        flags.push("--insecure-ignore-sct".to_owned());
    }
    let root = dir.join(case["trusted_root"].as_str().unwrap());
    flags.extend(["--trusted-root".to_owned(), root.display().to_string()]);
    flags
}

/// The refusal codes of a report's signatures.
fn codes(report: &Value) -> Vec<String> {
    report["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["code"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_legacy_case_of_cases_json_through_a_real_registry() {
    let dir = data_dir();
    let cases: Value = serde_json::from_slice(&read(&dir.join("cases.json"))).unwrap();
    let cases: Vec<&Value> = cases["cases"]
        .as_array()
        .expect("cases.json has a cases list")
        .iter()
        .filter(|c| {
            dir.join(c["vector"].as_str().unwrap())
                .join("payload.json")
                .is_file()
        })
        .collect();
    assert!(!cases.is_empty(), "cases.json names no legacy vector");
    let reg = TestRegistry::start();
    let push = reg.pusher();
    let scratch = tempfile::tempdir().unwrap();
    let conf = registries_conf(scratch.path(), &reg.host(), &reg.url());
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let vector = case["vector"].as_str().unwrap();
        let digest = case["image_digest"].as_str().unwrap();
        let repo = format!("cosign-real/{vector}");
        push_signature(&push, &repo, &dir.join(vector), digest).await;
        let image = format!("{}/{repo}@{digest}", reg.host());
        let expect = case["expect"].as_str().unwrap();
        let runs: Vec<(bool, Option<i32>)> = match expect {
            "verify" => vec![(true, Some(0))],
            "reject" => vec![(true, Some(3))],
            // Without insecure flags: refused. With them: see below.
            "verify-only-if-insecure-allowed" => vec![(false, Some(3)), (true, None)],
            other => {
                failures.push(format!("{id}: unknown expectation {other}"));
                continue;
            }
        };
        for (insecure, want) in runs {
            let flags = policy_flags(case, scratch.path(), insecure);
            let (out, report) = verify(&conf, &image, &flags);
            let warned = String::from_utf8_lossy(&out.stderr).contains("warning: --insecure");
            let asked = flags.iter().any(|f| f.starts_with("--insecure"));
            assert_eq!(
                warned, asked,
                "{id}: insecure flags, and only they, warn on stderr"
            );
            let code = out.status.code();
            let Some(report) = report else {
                failures.push(format!("{id}: no JSON report\n{}", describe(&out)));
                continue;
            };
            assert_eq!(report["digest"], *digest, "{id}");
            match want {
                Some(0) if code == Some(0) => {
                    let signer = &report["signatures"][0];
                    assert_eq!(signer["verified"], true, "{id}: {report}");
                    if let Some(subject) = case["policy"]["keyless"].get("subject") {
                        assert_eq!(signer["identity"], *subject, "{id}");
                    }
                    if case["policy"].get("key").is_some() {
                        assert!(
                            signer["key_fingerprint"]
                                .as_str()
                                .unwrap()
                                .starts_with("sha256:"),
                            "{id}: {report}"
                        );
                    }
                }
                Some(3) if code == Some(3) => {
                    assert_eq!(report["verified"], false, "{id}");
                    let codes = codes(&report);
                    assert!(!codes.is_empty(), "{id}: refused without a code: {report}");
                    eprintln!("{id}: refused: {}", codes.join(", "));
                }
                None => {
                    let gap = INSECURE_GAPS.iter().find(|(g, _)| *g == id);
                    let ok = match (code, gap) {
                        (Some(0), None) => true,
                        (Some(3), Some((_, gap_code))) => codes(&report) == [*gap_code],
                        _ => false,
                    };
                    if !ok {
                        failures.push(format!(
                            "{id}: with the insecure flags (known gap {gap:?}): {}",
                            describe(&out)
                        ));
                    }
                }
                _ => failures.push(format!(
                    "{id} (insecure flags: {insecure}): want exit {want:?}\n{}",
                    describe(&out)
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases, failures:\n{}",
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unsigned_image_is_rejected_as_signature_missing() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    let digest = push
        .push_image(
            "team/app",
            "1.0",
            &ImageSpec::new("2024-01-01T00:00:00Z", "unsigned"),
        )
        .await;
    let scratch = tempfile::tempdir().unwrap();
    let conf = registries_conf(scratch.path(), &reg.host(), &reg.url());
    let flags = [
        "--certificate-identity".to_owned(),
        "someone@example.com".to_owned(),
        "--certificate-oidc-issuer".to_owned(),
        "https://github.com/login/oauth".to_owned(),
        // From a file: without one the root comes through TUF, unreachable here.
        "--trusted-root".to_owned(),
        data_dir()
            .join("trusted_root.production.json")
            .display()
            .to_string(),
    ];
    // By tag (resolved through the registry) and by digest.
    for image in [
        format!("{}/team/app:1.0", reg.host()),
        format!("{}/team/app@{digest}", reg.host()),
    ] {
        let (out, report) = verify(&conf, &image, &flags);
        assert_eq!(out.status.code(), Some(3), "{image}: {}", describe(&out));
        let report = report.unwrap();
        assert_eq!(report["code"], "signature_missing", "{report}");
        assert_eq!(report["digest"], digest.as_str(), "{report}");
        assert_eq!(report["verified"], false);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("signature_missing"),
            "{}",
            describe(&out)
        );
    }
    // A digest the registry has never heard of is unsigned too: its image need not exist.
    let absent = sha256(b"never pushed");
    let (out, report) = verify(&conf, &format!("{}/team/app@{absent}", reg.host()), &flags);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert_eq!(report.unwrap()["code"], "signature_missing");
}

#[test]
fn a_registry_that_is_down_is_an_error_never_a_pass() {
    let port = free_port();
    let host = format!("127.0.0.1:{port}");
    let scratch = tempfile::tempdir().unwrap();
    let conf = registries_conf(scratch.path(), &host, &format!("http://{host}"));
    let dir = data_dir();
    let (out, _) = verify(
        &conf,
        &format!(
            "{host}/team/app@sha256:d454b76c23edb9f9abf0541257dc0e92ee9c16df25d4676ec0946f6beae12ef5"
        ),
        &[
            "--certificate-identity".to_owned(),
            "salrashid123@gmail.com".to_owned(),
            "--certificate-oidc-issuer".to_owned(),
            "https://github.com/login/oauth".to_owned(),
            "--trusted-root".to_owned(),
            dir.join("trusted_root.production.json")
                .display()
                .to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read the signatures") && stderr.contains("cannot reach"),
        "{stderr}"
    );
}
