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
