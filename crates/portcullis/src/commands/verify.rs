//! `portcullis verify`: an image's legacy cosign signatures (tag `sha256-<hex>.sig`), fetched
//! from its registry and each verified on its own, as `cosign verify` does.
//!
//! The registry is only asked: a tag's digest (one `HEAD`; an `@digest` reference costs
//! nothing) and the signature manifest with its layers. Any registry failure is an error
//! (exit 1), never a pass.

use anyhow::Context;
use portcullis_image::{Digest, ImageRef};
use portcullis_verify::{BundleVerified, Signer, verify_legacy_signature};
use serde::Serialize;

use super::{authority, registry};
use crate::cli::{OutputFormat, VerifyArgs};
use crate::exit;

/// The refusal code for an image without any signature.
const SIGNATURE_MISSING: &str = "signature_missing";

#[derive(Debug, Serialize)]
struct Report {
    image: String,
    digest: Digest,
    signature_tag: String,
    verified: bool,
    /// Set when nothing could be verified at all (`signature_missing`).
    code: Option<&'static str>,
    signatures: Vec<Outcome>,
    insecure: Vec<&'static str>,
}

/// What became of one signature layer.
#[derive(Debug, Serialize)]
struct Outcome {
    layer: Digest,
    verified: bool,
    identity: Option<String>,
    issuer: Option<String>,
    key_algorithm: Option<String>,
    key_fingerprint: Option<String>,
    log_index: Option<u64>,
    integrated_time: Option<jiff::Timestamp>,
    code: Option<&'static str>,
    message: Option<String>,
}

impl Outcome {
    fn verified(layer: Digest, v: &BundleVerified) -> Self {
        let (key_algorithm, key_fingerprint) = match v.signer() {
            Signer::Key {
                algorithm,
                fingerprint,
            } => (Some(algorithm.to_string()), Some(fingerprint.clone())),
            _ => (None, None),
        };
        Self {
            layer,
            verified: true,
            identity: v.identity().map(str::to_owned),
            issuer: v.issuer().map(str::to_owned),
            key_algorithm,
            key_fingerprint,
            log_index: v.log_index(),
            integrated_time: v.integrated_time(),
            code: None,
            message: None,
        }
    }

    fn refused(layer: Digest, code: &'static str, message: String) -> Self {
        Self {
            layer,
            verified: false,
            identity: None,
            issuer: None,
            key_algorithm: None,
            key_fingerprint: None,
            log_index: None,
            integrated_time: None,
            code: Some(code),
            message: Some(message),
        }
    }
}

pub(crate) async fn run(args: &VerifyArgs) -> anyhow::Result<u8> {
    // Flags and local files first: the cheapest mistakes to report.
    let image: ImageRef = args
        .image
        .parse()
        .with_context(|| format!("cannot use image '{}'", args.image))?;
    let policy = authority::policy(&args.authority)?;
    let trust = authority::trust_root(&args.authority)?;
    let repository = image.repository();
    let client = registry::client(
        args.registries_conf.as_deref(),
        args.credentials.as_deref(),
        repository.registry(),
    )?;
    let digest = match image.digest() {
        Some(d) => d.clone(),
        None => {
            let tag = image.tag().map_or("latest", |t| t.as_str());
            client
                .tag_digest(repository, tag)
                .await
                .with_context(|| format!("cannot resolve {repository}:{tag} to a digest"))?
        }
    };
    let signature_tag = portcullis_registry::signature_tag(&digest);
    let layers = client
        .legacy_signatures(repository, &digest)
        .await
        .with_context(|| format!("cannot read the signatures of {repository}@{digest}"))?;
    let mut insecure = Vec::new();
    if args.authority.insecure_ignore_tlog {
        insecure.push("insecure-ignore-tlog");
    }
    if args.authority.insecure_ignore_sct {
        insecure.push("insecure-ignore-sct");
    }
    let mut report = Report {
        image: repository.to_string(),
        digest,
        signature_tag,
        verified: false,
        code: None,
        signatures: Vec::new(),
        insecure,
    };
    match layers {
        Some(layers) if !layers.is_empty() => {
            for layer in layers {
                let outcome = match verify_legacy_signature(
                    &layer.payload,
                    &layer.annotations,
                    &report.digest,
                    &policy,
                    &trust,
                ) {
                    Ok(v) => Outcome::verified(layer.digest, &v),
                    Err(refusal) => {
                        let code = refusal.code();
                        // `{:#}`: the refusal, then its detail after a colon.
                        let message = format!("{:#}", anyhow::Error::new(refusal));
                        Outcome::refused(layer.digest, code, message)
                    }
                };
                report.signatures.push(outcome);
            }
            report.verified = report.signatures.iter().any(|o| o.verified);
        }
        // No manifest at the signature tag, or one without a simple-signing layer.
        _ => report.code = Some(SIGNATURE_MISSING),
    }
    match args.output {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Text => print_text(&report),
    }
    if report.code == Some(SIGNATURE_MISSING) {
        eprintln!(
            "rejected ({SIGNATURE_MISSING}): {}@{} has no cosign signature (nothing at tag {})",
            report.image, report.digest, report.signature_tag
        );
    } else if !report.verified {
        eprintln!(
            "rejected: none of the {} signature(s) of {}@{} satisfies the policy",
            report.signatures.len(),
            report.image,
            report.digest
        );
    }
    Ok(if report.verified {
        exit::OK
    } else {
        exit::REJECTED
    })
}

fn print_text(r: &Report) {
    println!("image      {}@{}", r.image, r.digest);
    println!(
        "signatures {} (tag {})",
        r.signatures.len(),
        r.signature_tag
    );
    for w in &r.insecure {
        println!("warning    --{w} given: checks were waived");
    }
    if r.code == Some(SIGNATURE_MISSING) {
        println!("result     rejected ({SIGNATURE_MISSING}): no signature found");
        return;
    }
    for (i, o) in r.signatures.iter().enumerate() {
        let n = i + 1;
        if o.verified {
            let signer = match (&o.identity, &o.issuer, &o.key_fingerprint) {
                (Some(id), Some(issuer), _) => format!("{id} (issuer {issuer})"),
                (Some(id), None, _) => id.clone(),
                (None, _, Some(fp)) => format!(
                    "key {fp} ({})",
                    o.key_algorithm.as_deref().unwrap_or("unknown")
                ),
                _ => "unknown".to_owned(),
            };
            println!("#{n} verified  {signer}");
            match o.log_index {
                Some(index) => println!("           log index {index}"),
                None => println!("           not in a transparency log"),
            }
            if let Some(t) = o.integrated_time {
                println!("           integrated time {t}");
            }
        } else {
            println!(
                "#{n} refused   ({}) {}",
                o.code.unwrap_or("unknown"),
                o.message.as_deref().unwrap_or("")
            );
        }
        println!("           layer {}", o.layer);
    }
    if r.verified {
        println!("result     verified");
    } else {
        println!("result     rejected: no signature satisfies the policy");
    }
}
