//! `portcullis verify-bundle`: one Sigstore bundle over one artifact, as the
//! sigstore-conformance suite drives a client.

use anyhow::{Context, bail};
use portcullis_verify::{
    Artifact, BundlePolicy, Identity, Matcher, PublicKey, TrustRoot, verify_bundle,
};
use tracing::warn;

use crate::cli::VerifyBundleArgs;
use crate::exit;

pub(crate) fn run(args: &VerifyBundleArgs) -> anyhow::Result<u8> {
    // Flags first: a missing flag is the cheapest mistake to report.
    let mut policy = policy(args)?;
    let bundle = std::fs::read(&args.bundle)
        .with_context(|| format!("cannot read bundle {}", args.bundle.display()))?;
    let artifact = Artifact::from_file_or_digest(&args.file_or_digest)
        .with_context(|| format!("cannot use '{}' as the artifact", args.file_or_digest))?;
    let trust = match &args.trusted_root {
        Some(path) => TrustRoot::from_file(path)
            .with_context(|| format!("cannot load trusted root {}", path.display()))?,
        None => TrustRoot::sigstore_public_good()
            .context("cannot load the built-in public-good trusted root")?,
    };
    if args.insecure_ignore_tlog {
        warn!("--insecure-ignore-tlog: accepting signatures without a transparency-log proof");
        eprintln!(
            "warning: --insecure-ignore-tlog given: a signature need not be in a transparency log"
        );
        policy = policy.dangerously_skip_tlog();
    }
    if args.insecure_ignore_sct {
        warn!("--insecure-ignore-sct: accepting certificates without an SCT");
        eprintln!("warning: --insecure-ignore-sct given: a certificate need not be in a CT log");
        policy = policy.dangerously_skip_sct();
    }
    match verify_bundle(&bundle, &artifact, &policy, &trust) {
        Ok(v) => {
            println!("verified: {}", v.artifact());
            match (v.identity(), v.issuer()) {
                (Some(id), Some(issuer)) => println!("signer:   {id} (issuer {issuer})"),
                (Some(id), None) => println!("signer:   {id}"),
                _ => println!("signer:   {:?}", v.signer()),
            }
            if let Some(i) = v.log_index() {
                println!("log index: {i}");
            }
            if let Some(t) = v.integrated_time() {
                println!("integrated time: {t}");
            }
            Ok(exit::OK)
        }
        Err(refusal) => {
            eprintln!(
                "rejected ({}): {:#}",
                refusal.code(),
                anyhow::Error::new(refusal)
            );
            Ok(exit::REJECTED)
        }
    }
}

fn policy(args: &VerifyBundleArgs) -> anyhow::Result<BundlePolicy> {
    if let Some(path) = &args.key {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read key {}", path.display()))?;
        let key = PublicKey::from_pem(&pem)
            .with_context(|| format!("cannot use key {}", path.display()))?;
        return Ok(BundlePolicy::key(key));
    }
    let san = match (
        &args.certificate_identity,
        &args.certificate_identity_regexp,
    ) {
        (Some(id), None) => Matcher::exact(id.clone())?,
        (None, Some(re)) => Matcher::regex(re).context("invalid --certificate-identity-regexp")?,
        _ => bail!(
            "give --key, or --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer"
        ),
    };
    let issuer = match (
        &args.certificate_oidc_issuer,
        &args.certificate_oidc_issuer_regexp,
    ) {
        (Some(i), None) => Matcher::exact(i.clone())?,
        (None, Some(re)) => {
            Matcher::regex(re).context("invalid --certificate-oidc-issuer-regexp")?
        }
        _ => bail!(
            "keyless verification needs --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp)"
        ),
    };
    Ok(BundlePolicy::keyless([Identity::new(san, issuer)])?)
}
