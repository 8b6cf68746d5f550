#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking
//! Keyless commits against a third-party Fulcio and Rekor: `tests/sigstore-mock/serve.mjs`
//! serves the handlers of npm `@sigstore/mock` (from sigstore/sigstore-js) on loopback with
//! the trusted root built from the mock's own keys. The crate signs commits in a temporary
//! repository with a fresh key and a Fulcio certificate, logs them in Rekor and embeds the
//! entry; `verify_commit` accepts them offline with that trusted root and refuses a commit
//! whose payload was changed or whose Rekor entry was swapped for another signature's.
//!
//! Needs Node and `tests/sigstore-mock/node_modules` (`scripts/install-node-deps.sh`); when
//! either is missing the tests fail, saying so.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use common::repo::Remote;
use common::{bot, git};
use portcullis_gitops::git::{BranchName, CommitMeta, CommitOutcome, FileChange, Repository};
use portcullis_gitops::sign::{KeylessConfig, SignatureFormat, Signer, SigningConfig};
use portcullis_gitops::verify_commit::{
    CommitSigner, VerifyCommitError, VerifyOptions, verify_commit, verify_object,
};
use serde_json::Value;
use x509_cert::der::{Any, Decode as _, Encode as _};

const SUBJECT: &str =
    "https://github.com/portcullis-dev/portcullis/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The mock Fulcio and Rekor, stopped on drop.
struct Mock {
    child: Child,
    fulcio: String,
    rekor: String,
    dir: tempfile::TempDir,
}

impl Mock {
    fn start() -> Self {
        let mock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sigstore-mock");
        assert!(
            mock.join("node_modules/@sigstore/mock").is_dir(),
            "{}/node_modules is missing: run scripts/install-node-deps.sh (npm ci of the pinned \
             npm packages `sigstore` and `@sigstore/mock`, from github.com/sigstore/sigstore-js)",
            mock.display()
        );
        let mut child = Command::new("node")
            .arg(mock.join("serve.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run `node` ({e}): Node.js 20+ is needed to run @sigstore/mock")
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("serve.mjs did not start ({e}): {line:?}"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("trusted_root.json"),
            serde_json::to_vec_pretty(&ready["trustedRoot"]).unwrap(),
        )
        .unwrap();
        let token = unsigned_jwt(&serde_json::json!({
            "iss": ISSUER,
            "sub": SUBJECT,
            "aud": "sigstore",
            "iat": 1_700_000_000u64,
            "exp": 4_000_000_000u64,
        }));
        std::fs::write(dir.path().join("token"), format!("{token}\n")).unwrap();
        Self {
            child,
            fulcio: ready["fulcio"].as_str().unwrap().to_owned(),
            rekor: ready["rekor"].as_str().unwrap().to_owned(),
            dir,
        }
    }

    fn trusted_root(&self) -> PathBuf {
        self.dir.path().join("trusted_root.json")
    }

    fn signer(&self) -> Signer {
        let config = KeylessConfig::new(&self.fulcio, &self.rekor, self.dir.path().join("token"));
        Signer::from_config(&SigningConfig::Keyless(config), None).unwrap()
    }

    fn options(&self) -> VerifyOptions {
        VerifyOptions::new()
            .with_trusted_root(self.trusted_root())
            .with_identity(portcullis_verify::Identity::exact(SUBJECT, ISSUER).unwrap())
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An unsigned JWT, as sign.mjs makes: the mock decodes it without checking a signature.
fn unsigned_jwt(claims: &Value) -> String {
    let enc = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    format!(
        "{}.{}.",
        enc(&serde_json::json!({"alg": "none", "typ": "JWT"})),
        enc(claims)
    )
}

fn commit_one(clone: &Path, signer: &Signer, tag: &str) -> String {
    let repo = Repository::open(clone).unwrap();
    let changes =
        [FileChange::new("apps/app/values.yaml", format!("image:\n  tag: {tag}\n")).unwrap()];
    let meta = CommitMeta::new(&format!("build: update app to {tag}"), bot(), bot()).unwrap();
    match repo
        .commit(&BranchName::new("main").unwrap(), &changes, &meta, signer)
        .unwrap()
    {
        CommitOutcome::Created { commit, .. } => commit.as_str().to_owned(),
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// The raw commit split around its gpgsig header: (before, PEM signature, after).
fn split_signature(raw: &str) -> (String, String, String) {
    let start = raw.find("\ngpgsig ").unwrap() + 1;
    let mut end = start;
    let mut pem = String::new();
    for (i, line) in raw[start..].split_inclusive('\n').enumerate() {
        if i == 0 {
            pem.push_str(line.trim_start_matches("gpgsig "));
        } else if let Some(cont) = line.strip_prefix(' ') {
            pem.push_str(cont);
        } else {
            break;
        }
        end += line.len();
    }
    (raw[..start].to_owned(), pem, raw[end..].to_owned())
}

fn signed_data(pem: &str) -> SignedData {
    let (_, der) = x509_cert::der::pem::decode_vec(pem.as_bytes()).unwrap();
    ContentInfo::from_der(&der)
        .unwrap()
        .content
        .decode_as()
        .unwrap()
}

/// `raw` with the unsigned attributes of its signature replaced by those of `donor`'s.
fn swap_rekor_entry(raw: &str, donor: &str) -> String {
    let (before, pem, after) = split_signature(raw);
    let mut target = signed_data(&pem);
    let donor = signed_data(&split_signature(donor).1);
    let donor_attrs = donor.signer_infos.0.as_slice()[0].unsigned_attrs.clone();
    let mut infos: Vec<_> = target.signer_infos.0.into_vec();
    infos[0].unsigned_attrs = donor_attrs;
    target.signer_infos.0 = infos.try_into().unwrap();
    let info = ContentInfo {
        content_type: x509_cert::der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2"),
        content: Any::encode_from(&target).unwrap(),
    };
    let pem = x509_cert::der::pem::encode_string(
        "SIGNED MESSAGE",
        x509_cert::der::pem::LineEnding::LF,
        &info.to_der().unwrap(),
    )
    .unwrap();
    let header: String = pem
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("gpgsig {l}\n")
            } else {
                format!(" {l}\n")
            }
        })
        .collect();
    format!("{before}{header}{after}")
}

#[test]
fn a_keyless_commit_verifies_offline_with_the_trusted_root() {
    let mock = Mock::start();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let signer = mock.signer();
    assert_eq!(signer.format(), Some(SignatureFormat::X509));
    let commit = commit_one(&clone, &signer, "v2");
    let raw = git(&clone, &["cat-file", "commit", &commit]);
    assert!(
        raw.contains("\ngpgsig -----BEGIN SIGNED MESSAGE-----\n"),
        "{raw}"
    );

    let verified = verify_commit(&clone, &commit, &mock.options()).unwrap();
    assert_eq!(verified.commit, commit);
    assert_eq!(verified.format, SignatureFormat::X509);
    assert!(verified.rekor_log_index.is_some());
    let signing_time = verified.signing_time.unwrap();
    let age = std::time::SystemTime::now()
        .duration_since(signing_time)
        .unwrap();
    assert!(age.as_secs() < 120, "integrated time {signing_time:?}");
    match &verified.signer {
        CommitSigner::X509 { email, issuer, .. } => {
            assert_eq!(email.as_deref(), Some(SUBJECT));
            assert!(issuer.contains("sigstore"), "{issuer}");
        }
        other => panic!("expected an X.509 signer, got {other:?}"),
    }

    // Without the trusted root the keyless signature cannot be checked: an input error.
    let err = verify_commit(&clone, &commit, &VerifyOptions::new()).unwrap_err();
    assert!(!err.is_rejection(), "{err}");
    // Anyone can get a Fulcio certificate: without an identity to hold it to, an input
    // error; with another identity or issuer, a rejection.
    let root_only = VerifyOptions::new().with_trusted_root(mock.trusted_root());
    let err = verify_commit(&clone, &commit, &root_only).unwrap_err();
    assert!(!err.is_rejection(), "{err}");
    for (identity, issuer) in [
        (
            "https://github.com/mallory/x/.github/workflows/w.yml@refs/heads/main",
            ISSUER,
        ),
        (SUBJECT, "https://issuer.elsewhere.test"),
    ] {
        let options = VerifyOptions::new()
            .with_trusted_root(mock.trusted_root())
            .with_identity(portcullis_verify::Identity::exact(identity, issuer).unwrap());
        let err = verify_commit(&clone, &commit, &options).unwrap_err();
        assert!(err.is_rejection(), "{err}");
        assert!(err.to_string().contains("not an allowed identity"), "{err}");
    }
}

#[test]
fn a_changed_payload_or_a_swapped_rekor_entry_is_refused() {
    let mock = Mock::start();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let signer = mock.signer();
    let first = commit_one(&clone, &signer, "v2");
    let second = commit_one(&clone, &signer, "v3");
    let raw_first = git(&clone, &["cat-file", "commit", &first]);
    let raw_second = git(&clone, &["cat-file", "commit", &second]);
    verify_commit(&clone, &second, &mock.options()).unwrap();

    let changed = raw_second.replace("update app to v3", "update app to v9");
    assert_ne!(changed, raw_second);
    let err = verify_object(second.clone(), changed.as_bytes(), &mock.options()).unwrap_err();
    assert!(
        matches!(err, VerifyCommitError::DigestMismatch { .. }),
        "{err}"
    );
    assert!(err.is_rejection());

    // Both entries are genuine, signed by the log: only the binding tells them apart.
    let swapped = swap_rekor_entry(&raw_second, &raw_first);
    assert_ne!(swapped, raw_second);
    let err = verify_object(second.clone(), swapped.as_bytes(), &mock.options()).unwrap_err();
    assert!(
        matches!(err, VerifyCommitError::TransparencyLog(_)),
        "{err}"
    );
    assert!(err.is_rejection());

    // The untouched commit still verifies through the same rebuilding.
    let same = swap_rekor_entry(&raw_second, &raw_second);
    verify_object(second, same.as_bytes(), &mock.options()).unwrap();
}

#[test]
fn an_entry_from_another_log_is_refused() {
    let mock = Mock::start();
    let other = Mock::start();
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let commit = commit_one(&clone, &mock.signer(), "v2");
    // The other mock's root has another CA and another Rekor key.
    let err = verify_commit(
        &clone,
        &commit,
        &VerifyOptions::new().with_trusted_root(other.trusted_root()),
    )
    .unwrap_err();
    assert!(err.is_rejection(), "{err}");
    assert!(
        matches!(err, VerifyCommitError::TransparencyLog(_)),
        "{err}"
    );
}
