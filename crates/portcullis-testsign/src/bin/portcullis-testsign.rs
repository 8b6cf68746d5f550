//! `portcullis-testsign`: signs images in a registry with a throwaway Sigstore, for the demo
//! and for trying Portcullis on one machine. Not for production: every key lives for one run.
//!
//! ```text
//! portcullis-testsign --registry http://127.0.0.1:5000 --out DIR \
//!     --keyless demo/app:1.1.0=uri:https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main \
//!     --keyless demo/app:1.2.0=email:mallory@evil.test \
//!     --key demo/app:1.0.0
//! ```
//! writes `DIR/trusted_root.json` (trusting this run's CA and logs) and `DIR/release.pub` (the
//! key of `--key`), and pushes each signature in cosign's legacy layout.

use std::path::PathBuf;
use std::process::ExitCode;

use portcullis_testkit::Pusher;
use portcullis_testsign::{
    LeafSpec, San, Signer, SigningOptions, TestSigstore, push_legacy_signatures,
};

const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portcullis-testsign: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let usage = "usage: portcullis-testsign --registry URL --out DIR [--issuer URL] \
                 [--keyless REPO:TAG=email:ADDR|uri:URI]... [--key REPO:TAG]...";
    let mut registry = None;
    let mut out = None;
    let mut issuer = ISSUER.to_owned();
    let mut jobs: Vec<(String, Option<San>)> = Vec::new();
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value; {usage}"))
        };
        match flag.as_str() {
            "--registry" => registry = Some(value()?),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--issuer" => issuer = value()?,
            "--key" => jobs.push((value()?, None)),
            "--keyless" => {
                let v = value()?;
                let (image, who) = v.split_once('=').ok_or_else(|| {
                    format!("--keyless {v}: expected REPO:TAG=email:ADDR or =uri:URI")
                })?;
                let san = match who.split_once(':') {
                    Some(("email", a)) => San::Email(a.to_owned()),
                    Some(("uri", u)) => San::Uri(u.to_owned()),
                    _ => {
                        return Err(format!(
                            "--keyless {v}: the signer is email:ADDR or uri:URI"
                        ));
                    }
                };
                jobs.push((image.to_owned(), Some(san)));
            }
            "-h" | "--help" => {
                println!("{usage}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}; {usage}")),
        }
    }
    let registry = registry.ok_or_else(|| format!("--registry is required; {usage}"))?;
    let out = out.ok_or_else(|| format!("--out is required; {usage}"))?;
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(sign_all(&registry, &out, &issuer, &jobs))
}

async fn sign_all(
    registry: &str,
    out: &std::path::Path,
    issuer: &str,
    jobs: &[(String, Option<San>)],
) -> Result<(), String> {
    let sigstore = TestSigstore::new().map_err(|e| e.to_string())?;
    sigstore
        .write_trusted_root(out)
        .map_err(|e| e.to_string())?;
    let key = sigstore.key_signer().map_err(|e| e.to_string())?;
    std::fs::write(out.join("release.pub"), key.verifier_pem())
        .map_err(|e| format!("cannot write the public key: {e}"))?;
    let host = registry
        .split_once("://")
        .map_or(registry, |(_, h)| h)
        .trim_end_matches('/');
    let push = Pusher::new(registry, None);
    for (image, san) in jobs {
        let (repo, tag) = image
            .rsplit_once(':')
            .ok_or_else(|| format!("{image}: expected REPO:TAG"))?;
        let (_, manifest) = push.manifest(repo, tag).await;
        let digest = portcullis_testkit::sha256(&manifest);
        let keyless;
        let signer: &Signer = match san {
            None => &key,
            Some(san) => {
                keyless = sigstore
                    .keyless_signer(&LeafSpec::new(san.clone(), issuer))
                    .map_err(|e| e.to_string())?;
                &keyless
            }
        };
        let layer = sigstore
            .legacy_layer(
                signer,
                &format!("{host}/{repo}"),
                &digest,
                &SigningOptions::default(),
            )
            .map_err(|e| e.to_string())?;
        push_legacy_signatures(&push, repo, &digest, &[layer]).await;
        let who = match san {
            None => "the release key".to_owned(),
            Some(San::Email(a)) => a.clone(),
            Some(San::Uri(u)) => u.clone(),
        };
        println!("   signed {repo}:{tag} ({digest}) as {who}");
    }
    Ok(())
}
