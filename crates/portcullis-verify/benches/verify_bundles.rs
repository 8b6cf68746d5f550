//! In-process bundle verification over the Sigstore conformance happy paths, and the cost of
//! loading a trusted root.
//!
//! `cargo bench -p portcullis-verify --bench verify_bundles`. The cases are real bundles of
//! the public sigstore/sigstore-conformance suite, read from `$PORTCULLIS_TESTDATA`
//! (`sigstore-conformance/`). Each case's trusted root, policy and artifact are loaded once,
//! outside the measured loop; one iteration is one `verify_bundle` call on the bundle's JSON
//! bytes (parsing included), so 1 / time is bundles verified per second on one core.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails by panicking

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use portcullis_verify::{Artifact, BundlePolicy, Identity, PublicKey, TrustRoot, verify_bundle};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The happy paths benchmarked: v0.1 and v0.3 bundles on the production root, a managed
/// key, and Rekor v2 entries with RFC 3161 timestamps on a custom root.
const CASES: &[&str] = &[
    "happy-path-v0.1",
    "happy-path-v0.3",
    "managed-key-and-trusted-root",
    "rekor2-checkpoint-multiple-cosigs",
    "rekor2-checkpoint-origin-not-first",
    "rekor2-checkpoint-two-sigs-from-origin",
    "rekor2-timestamp-with-expired-cert-chain",
    "rekor2-timestamp-without-embedded-cert",
];

fn suite_dir() -> PathBuf {
    let dir = portcullis_testkit::testdata_dir().join("sigstore-conformance");
    assert!(
        dir.is_dir(),
        "{} is missing: it holds the bundle-verify cases of the public \
         sigstore/sigstore-conformance suite (test/assets/bundle-verify/); set \
         PORTCULLIS_TESTDATA to the directory that contains sigstore-conformance/",
        dir.display()
    );
    dir
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): a file of the sigstore/sigstore-conformance cases",
            path.display()
        )
    })
}

fn root_path(suite: &Path, case: &Path) -> PathBuf {
    Some(case.join("trusted_root.json"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| suite.join("production_trusted_root.json"))
}

/// Everything a verification needs except the bundle, loaded once.
struct Prepared {
    bundle: Vec<u8>,
    artifact: Artifact,
    policy: BundlePolicy,
    trust: TrustRoot,
}

fn prepare(suite: &Path, name: &str) -> Prepared {
    let case = suite.join(name);
    let artifact_path = Some(case.join("artifact"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| suite.join("a.txt"));
    let value = |file: &str, default: &str| {
        let p = case.join(file);
        if p.is_file() {
            String::from_utf8(read(&p)).unwrap().trim().to_owned()
        } else {
            default.to_owned()
        }
    };
    let key = case.join("key.pub");
    let policy = if key.is_file() {
        BundlePolicy::key(PublicKey::from_pem(&String::from_utf8(read(&key)).unwrap()).unwrap())
    } else {
        let identity = Identity::exact(
            value("identity", DEFAULT_IDENTITY),
            value("issuer", DEFAULT_ISSUER),
        )
        .unwrap();
        BundlePolicy::keyless([identity]).unwrap()
    };
    Prepared {
        bundle: read(&case.join("bundle.sigstore.json")),
        artifact: Artifact::read(&artifact_path).unwrap(),
        policy,
        trust: TrustRoot::from_file(root_path(suite, &case)).unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let suite = suite_dir();

    let mut group = c.benchmark_group("verify_bundle");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(4));
    for name in CASES {
        let p = prepare(&suite, name);
        // A bench of a refusal would measure the wrong thing.
        if let Err(refusal) = verify_bundle(&p.bundle, &p.artifact, &p.policy, &p.trust) {
            panic!("{name} does not verify: {refusal}");
        }
        group.bench_function(*name, |b| {
            b.iter(|| {
                verify_bundle(
                    black_box(&p.bundle),
                    black_box(&p.artifact),
                    &p.policy,
                    &p.trust,
                )
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("load_trusted_root");
    group.measurement_time(Duration::from_secs(4));
    for (label, path) in [
        (
            "production_trusted_root.json",
            suite.join("production_trusted_root.json"),
        ),
        (
            "rekor2 (staging) trusted_root.json",
            suite.join("rekor2-timestamp-without-embedded-cert/trusted_root.json"),
        ),
    ] {
        let json = read(&path);
        TrustRoot::from_json(&json, label).unwrap();
        group.bench_function(label, |b| {
            b.iter(|| TrustRoot::from_json(black_box(&json), label));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
