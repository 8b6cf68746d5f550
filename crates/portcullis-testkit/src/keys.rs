//! Throwaway signing keys, made with the system's `openssl`, for cases that need a key that
//! certainly did not sign anything.

use std::process::{Command, Stdio};

/// A new P-256 public key (PEM `PUBLIC KEY`). Panics, naming the tool, when `openssl` is
/// missing.
pub fn fresh_p256_public_key() -> String {
    let private = Command::new("openssl")
        .args(["ecparam", "-name", "prime256v1", "-genkey", "-noout"])
        .output()
        .expect("openssl is needed to make a throwaway key");
    assert!(private.status.success(), "openssl ecparam failed");
    let mut child = Command::new("openssl")
        .args(["ec", "-pubout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl ec");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), &private.stdout)
        .expect("write key");
    let out = child.wait_with_output().expect("openssl ec output");
    assert!(out.status.success(), "openssl ec -pubout failed");
    String::from_utf8(out.stdout).expect("PEM is ASCII")
}
