//! `portcullis verify`: an image's cosign signatures, fetched from its registry and each
//! verified on its own, as `cosign verify` does: the legacy `.sig` layers (tag
//! `sha256-<hex>.sig`) and the Sigstore bundles attached as OCI 1.1 referrers. With
//! `--attestation --type T`, as `cosign verify-attestation` does: only referrer bundles that
//! are attestations of predicate type `T` count. Which bundle is a signature and which an
//! attestation is `portcullis-verify`'s call ([`verify_image_bundle`]).
//!
//! The registry is only asked: a tag's digest (one `HEAD`; an `@digest` reference costs
//! nothing), the signature manifest with its layers, and the referrers with their bundle
//! layers. Any registry failure is an error (exit 1), never a pass.

use anyhow::Context;
use portcullis_image::{Digest, ImageRef};
use portcullis_verify::{
    BundleVerified, Expectation, Refusal, Signer, verify_image_bundle, verify_legacy_attestation,
    verify_legacy_signature,
};
use serde::Serialize;

use super::{authority, registry};
use crate::cli::{OutputFormat, VerifyArgs};
use crate::exit;
use crate::output::{self, outln};

/// The refusal code for an image without any signature.
const SIGNATURE_MISSING: &str = "signature_missing";
/// The refusal code for an image without any attestation (with `--attestation`).
const ATTESTATION_MISSING: &str = "attestation_missing";

#[derive(Debug, Serialize)]
struct Report {
    image: String,
    digest: Digest,
    signature_tag: String,
    /// With `--attestation`: the predicate type asked for.
    attestation: Option<String>,
    verified: bool,
    /// Set when nothing could be verified at all (`signature_missing`, `attestation_missing`).
    code: Option<&'static str>,
    signatures: Vec<Outcome>,
    insecure: Vec<&'static str>,
}

/// Where a signature was found.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
enum Source {
    /// A layer of the legacy `sha256-<hex>.sig` (signatures) or `.att` (attestations)
    /// manifest.
    Legacy,
    /// A Sigstore bundle layer of an OCI 1.1 referrer.
    Referrer,
}

/// What became of one signature layer.
#[derive(Debug, Serialize)]
struct Outcome {
    layer: Digest,
    source: Source,
    /// The referrer manifest, for a referrer bundle.
    referrer: Option<Digest>,
    /// The in-toto predicate type, for a verified DSSE bundle.
    predicate_type: Option<String>,
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
    fn new(
        layer: Digest,
        referrer: Option<Digest>,
        outcome: Result<BundleVerified, Refusal>,
    ) -> Self {
        let source = if referrer.is_some() {
            Source::Referrer
        } else {
            Source::Legacy
        };
        let mut o = match outcome {
            Ok(v) => Self::verified(layer, &v),
            Err(refusal) => {
                let code = refusal.code();
                // `{:#}`: the refusal, then its detail after a colon.
                let message = format!("{:#}", anyhow::Error::new(refusal));
                Self::refused(layer, code, message)
            }
        };
        o.source = source;
        o.referrer = referrer;
        o
    }

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
            source: Source::Legacy,
            referrer: None,
            predicate_type: v.predicate_type().map(str::to_owned),
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
            source: Source::Legacy,
            referrer: None,
            predicate_type: None,
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
    let trust = authority::trust_root(&args.authority).await?;
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
    let expect = match (&args.attestation, &args.predicate_type) {
        (true, Some(t)) => Expectation::Attestation {
            predicate_type: portcullis_verify::predicate_type_uri(t).to_owned(),
        },
        // clap makes `--attestation` and `--type` require each other.
        _ => Expectation::Signature,
    };
    // Legacy `.sig` layers are simple-signing image signatures, `.att` layers attestations.
    let (signature_tag, layers) = match expect {
        Expectation::Signature => (
            portcullis_registry::signature_tag(&digest),
            client
                .legacy_signatures(repository, &digest)
                .await
                .with_context(|| format!("cannot read the signatures of {repository}@{digest}"))?
                .unwrap_or_default(),
        ),
        _ => (
            portcullis_registry::attestation_tag(&digest),
            client
                .legacy_attestations(repository, &digest)
                .await
                .with_context(|| format!("cannot read the attestations of {repository}@{digest}"))?
                .unwrap_or_default(),
        ),
    };
    let bundles = client
        .sigstore_bundles(repository, &digest)
        .await
        .with_context(|| format!("cannot read the referrers of {repository}@{digest}"))?;
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
        attestation: args
            .predicate_type
            .as_deref()
            .filter(|_| args.attestation)
            .map(|t| portcullis_verify::predicate_type_uri(t).to_owned()),
        verified: false,
        code: None,
        signatures: Vec::new(),
        insecure,
    };
    for layer in layers {
        let outcome = match &expect {
            Expectation::Signature => verify_legacy_signature(
                &layer.payload,
                &layer.annotations,
                &report.digest,
                &policy,
                &trust,
            ),
            _ => verify_legacy_attestation(
                &layer.payload,
                &layer.annotations,
                &report.digest,
                &expect,
                &policy,
                &trust,
            ),
        };
        report
            .signatures
            .push(Outcome::new(layer.digest, None, outcome));
    }
    for bundle in bundles {
        let outcome = verify_image_bundle(&bundle.bundle, &report.digest, &expect, &policy, &trust);
        report
            .signatures
            .push(Outcome::new(bundle.digest, Some(bundle.referrer), outcome));
    }
    let missing = match expect {
        Expectation::Signature => SIGNATURE_MISSING,
        _ => ATTESTATION_MISSING,
    };
    if report.signatures.is_empty() {
        report.code = Some(missing);
    }
    report.verified = report.signatures.iter().any(|o| o.verified);
    output::emit(&match args.output {
        OutputFormat::Json => output::json(&report)?,
        OutputFormat::Text => text(&report),
    })?;
    let what = if report.attestation.is_some() {
        "attestation"
    } else {
        "signature"
    };
    if report.code.is_some() {
        eprintln!(
            "rejected ({missing}): {}@{} has no cosign {what} (nothing at tag {}, no sigstore \
             bundle among its referrers)",
            report.image, report.digest, report.signature_tag
        );
    } else if !report.verified {
        eprintln!(
            "rejected: none of the {} {what}(s) of {}@{} satisfies the policy",
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

fn text(r: &Report) -> String {
    let mut out = String::new();
    outln!(out, "image      {}@{}", r.image, r.digest);
    match &r.attestation {
        Some(t) => outln!(
            out,
            "attestations {} (tag {} and referrers; predicate type {t})",
            r.signatures.len(),
            r.signature_tag
        ),
        None => outln!(
            out,
            "signatures {} (tag {} and referrers)",
            r.signatures.len(),
            r.signature_tag
        ),
    }
    for w in &r.insecure {
        outln!(out, "warning    --{w} given: checks were waived");
    }
    if let Some(code) = r.code {
        outln!(out, "result     rejected ({code}): nothing found");
        return out;
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
            outln!(out, "#{n} verified  {signer}");
            match o.log_index {
                Some(index) => outln!(out, "           log index {index}"),
                None => outln!(out, "           not in a transparency log"),
            }
            if let Some(t) = o.integrated_time {
                outln!(out, "           integrated time {t}");
            }
            if let Some(t) = &o.predicate_type {
                outln!(out, "           predicate type {t}");
            }
        } else {
            outln!(
                out,
                "#{n} refused   ({}) {}",
                o.code.unwrap_or("unknown"),
                o.message.as_deref().unwrap_or("")
            );
        }
        match &o.referrer {
            Some(referrer) => outln!(out, "           bundle {} (referrer {referrer})", o.layer),
            None => outln!(out, "           layer {}", o.layer),
        }
    }
    if r.verified {
        outln!(out, "result     verified");
    } else {
        outln!(out, "result     rejected: nothing satisfies the policy");
    }
    out
}
