//! `portcullis verify-bundle`: one Sigstore bundle over one artifact, as the
//! sigstore-conformance suite drives a client.

use anyhow::Context;
use portcullis_verify::{Artifact, verify_bundle};

use super::authority;
use crate::cli::VerifyBundleArgs;
use crate::exit;
use crate::output::{self, outln};

pub(crate) async fn run(args: &VerifyBundleArgs) -> anyhow::Result<u8> {
    // Flags first: a missing flag is the cheapest mistake to report.
    let policy = authority::policy(&args.authority)?;
    let bundle = std::fs::read(&args.bundle)
        .with_context(|| format!("cannot read bundle {}", args.bundle.display()))?;
    let artifact = Artifact::from_file_or_digest(&args.file_or_digest)
        .with_context(|| format!("cannot use '{}' as the artifact", args.file_or_digest))?;
    let trust = authority::trust_root(&args.authority).await?;
    match verify_bundle(&bundle, &artifact, &policy, &trust) {
        Ok(v) => {
            let mut out = String::new();
            outln!(out, "verified: {}", v.artifact());
            match (v.identity(), v.issuer()) {
                (Some(id), Some(issuer)) => outln!(out, "signer:   {id} (issuer {issuer})"),
                (Some(id), None) => outln!(out, "signer:   {id}"),
                _ => outln!(out, "signer:   {:?}", v.signer()),
            }
            if let Some(i) = v.log_index() {
                outln!(out, "log index: {i}");
            }
            if let Some(t) = v.integrated_time() {
                outln!(out, "integrated time: {t}");
            }
            output::emit(&out)?;
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
