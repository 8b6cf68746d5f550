//! Helpers shared by the `portcullis verify` end-to-end tests.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset
#![allow(clippy::unwrap_used)] // a test fails by panicking

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Writes a registries configuration marking the loopback registry `insecure`.
pub fn registries_conf(dir: &Path, host: &str, url: &str) -> PathBuf {
    let p = dir.join("registries.conf");
    std::fs::write(
        &p,
        format!(
            "registries:\n- name: test\n  prefix: {host}\n  api_url: {url}\n  insecure: true\n"
        ),
    )
    .unwrap();
    p
}

/// Runs `portcullis verify --output json <image> <args>`.
pub fn verify(conf: &Path, image: &str, args: &[String]) -> (Output, Option<Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("verify")
        .arg(image)
        .arg("--registries-conf")
        .arg(conf)
        .args(["--output", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).ok();
    (out, report)
}

/// Exit code and both streams, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A P-256 key made by `openssl` and a certificate for it issued by `ca` to `email` (no SCT):
/// the files an X.509 commit signer is configured with. Returns (certificate PEM, PKCS#8 key).
pub fn x509_signing_files(
    dir: &Path,
    ca: &portcullis_testsign::CertificateAuthority,
    email: &str,
) -> (PathBuf, PathBuf) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run openssl: {e} (run scripts/install-deps.sh)"));
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "leaf.key",
    ]);
    openssl(&[
        "pkey",
        "-in",
        "leaf.key",
        "-pubout",
        "-outform",
        "DER",
        "-out",
        "leaf.spki",
    ]);
    let spki = std::fs::read(dir.join("leaf.spki")).unwrap();
    let spec =
        portcullis_testsign::LeafSpec::email(email, "https://issuer.example.test").without_sct();
    let log = portcullis_testsign::TransparencyLog::new("ct.example.test").unwrap();
    std::fs::write(dir.join("leaf.der"), ca.issue(&spki, &spec, &log).unwrap()).unwrap();
    openssl(&[
        "x509", "-inform", "DER", "-in", "leaf.der", "-out", "leaf.pem",
    ]);
    (dir.join("leaf.pem"), dir.join("leaf.key"))
}
