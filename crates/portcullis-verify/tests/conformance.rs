//! The Sigstore conformance suite's bundle-verification cases, run through `verify_bundle`.
//!
//! Every case folder under `$PORTCULLIS_TESTDATA/sigstore-conformance/` (cases of the public
//! sigstore/sigstore-conformance suite, `test/assets/bundle-verify/`) is verified twice: with
//! the artifact's bytes and with its `sha256:<hex>` digest, as the suite drives a client. A
//! folder whose name ends in `_fail` must be refused both ways; any other must verify both
//! ways. The folders are discovered, not listed, so pointing `PORTCULLIS_TESTDATA` at a
//! checkout with the full suite runs all of it.
//!
//! A second test pins the precise refusal of the cases whose reason is unambiguous, so a
//! regression that still refuses, but for the wrong reason, is caught too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use portcullis_verify::{
    Artifact, BundlePolicy, BundleVerified, Identity, PublicKey, TrustRoot, verify_bundle,
};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The suite's directory. Missing data fails the test, naming where it comes from.
fn suite_dir() -> PathBuf {
    let dir = portcullis_testkit::testdata_dir().join("sigstore-conformance");
    assert!(
        dir.is_dir(),
        "{} is missing: it holds the bundle-verify cases of the public sigstore/sigstore-conformance \
         suite (test/assets/bundle-verify/, one folder per case, plus a.txt and \
         production_trusted_root.json beside them); set PORTCULLIS_TESTDATA to the directory \
         that contains sigstore-conformance/",
        dir.display()
    );
    dir
}

/// One case folder.
struct Case {
    name: String,
    dir: PathBuf,
}

impl Case {
    fn must_fail(&self) -> bool {
        self.name.ends_with("_fail")
    }
}

fn cases(suite: &Path) -> Vec<Case> {
    let mut cases: Vec<Case> = std::fs::read_dir(suite)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", suite.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .map(|dir| Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            dir,
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// An optional one-line file of a case (`identity`, `issuer`), trimmed.
fn read_value(dir: &Path, name: &str) -> Option<String> {
    let path = dir.join(name);
    path.is_file().then(|| {
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
            .trim()
            .to_owned()
    })
}

/// Runs one case one way, as the suite's `verify-bundle` command would: any failure to load
/// what the case supplies counts as a refusal, exactly as a non-zero exit would.
fn run(suite: &Path, case: &Case, by_digest: bool) -> Result<BundleVerified, String> {
    let bundle_path = case.dir.join("bundle.sigstore.json");
    assert!(
        bundle_path.is_file(),
        "{}: no bundle.sigstore.json",
        case.name
    );
    let bundle = std::fs::read(&bundle_path).unwrap();

    let artifact_path = Some(case.dir.join("artifact"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| suite.join("a.txt"));
    assert!(artifact_path.is_file(), "{}: no artifact", case.name);
    let bytes = Artifact::read(&artifact_path).unwrap();
    let artifact = if by_digest {
        // As the suite passes it: `sha256:<hex>` of the file, parsed like a command line.
        Artifact::from_file_or_digest(bytes.digest().as_str()).unwrap()
    } else {
        bytes
    };

    let root_path = Some(case.dir.join("trusted_root.json"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| suite.join("production_trusted_root.json"));
    assert!(root_path.is_file(), "{}: no trusted root", case.name);
    let trust = TrustRoot::from_file(&root_path).map_err(|e| chain(&e))?;

    let key_path = case.dir.join("key.pub");
    let policy = if key_path.is_file() {
        let pem = std::fs::read_to_string(&key_path).unwrap();
        BundlePolicy::key(PublicKey::from_pem(&pem).map_err(|e| chain(&e))?)
    } else {
        let identity = read_value(&case.dir, "identity").unwrap_or(DEFAULT_IDENTITY.to_owned());
        let issuer = read_value(&case.dir, "issuer").unwrap_or(DEFAULT_ISSUER.to_owned());
        BundlePolicy::keyless([Identity::exact(identity, issuer).map_err(|e| chain(&e))?])
            .map_err(|e| chain(&e))?
    };

    verify_bundle(&bundle, &artifact, &policy, &trust)
        .map_err(|refusal| format!("[{}] {}", refusal.code(), chain(&refusal)))
}

/// An error and its sources, as the binary prints them.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        write!(text, ": {cause}").unwrap();
        source = cause.source();
    }
    text
}

#[test]
fn every_conformance_case_gives_the_expected_result_with_bytes_and_with_digest() {
    let suite = suite_dir();
    let cases = cases(&suite);
    assert!(
        !cases.is_empty(),
        "no case folders in {}: expected the bundle-verify cases of sigstore/sigstore-conformance",
        suite.display()
    );

    let mut wrong = Vec::new();
    let mut report = String::new();
    for case in &cases {
        for by_digest in [false, true] {
            let how = if by_digest { "digest" } else { "bytes" };
            let outcome = run(&suite, case, by_digest);
            match &outcome {
                Ok(verified) => writeln!(
                    report,
                    "{:<58} {how:<6} verified: {} log {:?}",
                    case.name,
                    verified.identity().unwrap_or("(key)"),
                    verified.log_index()
                ),
                Err(refusal) => writeln!(report, "{:<58} {how:<6} refused: {refusal}", case.name),
            }
            .unwrap();
            if outcome.is_ok() == case.must_fail() {
                wrong.push(format!("{} ({how})", case.name));
            }
        }
    }
    println!("{report}");
    assert!(
        wrong.is_empty(),
        "{} of {} runs gave the wrong result: {wrong:#?}\n{report}",
        wrong.len(),
        cases.len() * 2
    );
    let passing = cases.iter().filter(|c| !c.must_fail()).count();
    println!(
        "{} conformance cases ({passing} verify, {} refused), each with bytes and with digest",
        cases.len(),
        cases.len() - passing
    );
}

/// Cases of the sample whose reason for refusal is unambiguous, and the refusal code each
/// must produce (both ways).
const EXPECTED_REFUSALS: &[(&str, &str)] = &[
    ("bundle-empty-certificate-chain_fail", "malformed_bundle"),
    ("bundle-invalid-base64-signature_fail", "malformed_bundle"),
    ("bundle-negative-log-index_fail", "malformed_bundle"),
    ("bundle-with-root-cert_fail", "malformed_bundle"),
    ("checkpoint-bad-keyhint_fail", "tlog_invalid"),
    ("dsse-invalid-sig_fail", "signature_invalid"),
    ("inclusion-proof-corrupted-hash_fail", "tlog_invalid"),
    // Its integrated time has since passed, so what fails is the certificate's validity at
    // that time (webpki reports it while building the chain; the refusal names it).
    ("integrated-time-in-future_fail", "certificate_validity"),
    ("intoto-log-entry-mismatch_fail", "tlog_entry_mismatch"),
    ("managed-key-no-key_fail", "material_mismatch"),
    ("message-digest-mismatch_fail", "digest_mismatch"),
    ("rekor2-no-inclusion-proof_fail", "tlog_missing"),
    ("signature-mismatch_fail", "signature_invalid"),
];

#[test]
fn unambiguous_conformance_failures_are_refused_for_their_reason() {
    let suite = suite_dir();
    let mut wrong = Vec::new();
    for (name, code) in EXPECTED_REFUSALS {
        let dir = suite.join(name);
        assert!(
            dir.is_dir(),
            "{} is missing from the sigstore/sigstore-conformance sample",
            dir.display()
        );
        let case = Case {
            name: (*name).to_owned(),
            dir,
        };
        for by_digest in [false, true] {
            match run(&suite, &case, by_digest) {
                Err(refusal) if refusal.starts_with(&format!("[{code}]")) => {}
                other => wrong.push(format!("{name} (digest: {by_digest}): {other:?}")),
            }
        }
    }
    assert!(wrong.is_empty(), "wrong refusal: {wrong:#?}");
}

#[test]
fn a_verified_conformance_bundle_reports_who_signed_and_where_it_was_logged() {
    let suite = suite_dir();
    let case = Case {
        name: "happy-path-v0.3".to_owned(),
        dir: suite.join("happy-path-v0.3"),
    };
    assert!(case.dir.is_dir(), "{} is missing", case.dir.display());
    let verified = run(&suite, &case, false).unwrap();
    assert_eq!(verified.identity(), Some(DEFAULT_IDENTITY));
    assert_eq!(verified.issuer(), Some(DEFAULT_ISSUER));
    assert!(verified.tlog_verified() && verified.sct_verified());
    assert!(verified.log_index().is_some());
    let integrated = verified.integrated_time().unwrap();
    assert!(verified.signed_times().contains(&integrated));
    assert_eq!(verified.predicate_type(), None);
    let a_txt = Artifact::read(suite.join("a.txt")).unwrap();
    assert_eq!(verified.artifact(), &a_txt.digest());
}
