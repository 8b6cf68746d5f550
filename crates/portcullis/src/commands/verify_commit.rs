//! `portcullis verify-commit`: the signature of one commit in a local repository, then the
//! changes its Portcullis trailers record.

use std::time::SystemTime;

use portcullis_gitops::verify_commit::{
    CommitSigner, VerifiedCommit, VerifyOptions, verify_commit,
};

use anyhow::Context as _;
use portcullis_verify::{Identity, Matcher};

use crate::cli::{OutputFormat, VerifyCommitArgs};
use crate::exit;
use crate::output::{self, outln};

pub(crate) async fn run(args: &VerifyCommitArgs) -> anyhow::Result<u8> {
    let mut options = VerifyOptions::new();
    if let Some(ca) = &args.ca {
        options = options.with_trusted_ca(ca);
    }
    if let Some(root) = &args.trusted_root {
        options = options.with_trusted_root(root);
    }
    if let Some(home) = &args.gnupg_home {
        options = options.with_gnupg_home(home);
    }
    for key in &args.keys {
        options = options.with_allowed_key(key);
    }
    if let Some(identity) = keyless_identity(args)? {
        options = options.with_identity(identity);
    }
    let repo = args.repo.clone();
    let rev = args.commit.clone();
    // git and gpgme block.
    let result = tokio::task::spawn_blocking(move || verify_commit(&repo, &rev, &options)).await?;
    match result {
        Ok(verified) => {
            output::emit(&match args.output {
                OutputFormat::Text => text(&verified),
                OutputFormat::Json => output::json(&json(&verified))?,
            })?;
            Ok(exit::OK)
        }
        Err(err) if err.is_rejection() => {
            eprintln!(
                "rejected: commit {}: {:#}",
                args.commit,
                anyhow::Error::new(err)
            );
            Ok(exit::REJECTED)
        }
        Err(err) => Err(anyhow::Error::new(err)),
    }
}

fn time(t: Option<SystemTime>) -> Option<String> {
    t.and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map(|t| t.to_string())
}

fn text(v: &VerifiedCommit) -> String {
    let mut out = String::new();
    outln!(out, "verified: {}", v.commit);
    outln!(out, "format:   {}", v.format.git_format());
    outln!(out, "signer:   {}", v.signer);
    if let CommitSigner::X509 { issuer, .. } = &v.signer {
        outln!(out, "issuer:   {issuer}");
    }
    if let Some(t) = time(v.signing_time) {
        outln!(out, "signed:   {t}");
    }
    if let Some(index) = v.rekor_log_index {
        outln!(out, "rekor:    log index {index}");
    }
    if let Some(p) = &v.policy {
        outln!(out, "policy:   {p}");
    }
    if v.changes.is_empty() {
        outln!(
            out,
            "changes:  none recorded (no Portcullis-Change trailer)"
        );
    } else {
        outln!(out, "changes:");
        for c in &v.changes {
            let alias = c
                .alias
                .as_deref()
                .map(|a| format!("{a}: "))
                .unwrap_or_default();
            outln!(out, "  {alias}{} {} -> {}", c.image, c.old, c.new);
        }
    }
    out
}

fn json(v: &VerifiedCommit) -> serde_json::Value {
    let signer = match &v.signer {
        CommitSigner::X509 {
            subject,
            email,
            issuer,
        } => serde_json::json!({ "subject": subject, "email": email, "issuer": issuer }),
        CommitSigner::OpenPgp {
            fingerprint,
            user_id,
        } => serde_json::json!({ "fingerprint": fingerprint, "user_id": user_id }),
        other => serde_json::json!({ "display": other.to_string() }),
    };
    let changes: Vec<serde_json::Value> = v
        .changes
        .iter()
        .map(|c| serde_json::json!({ "alias": c.alias, "image": c.image, "old": c.old, "new": c.new }))
        .collect();
    serde_json::json!({
        "verified": true,
        "commit": v.commit,
        "format": v.format.git_format(),
        "signer": signer,
        "signing_time": time(v.signing_time),
        "rekor_log_index": v.rekor_log_index,
        "policy": v.policy,
        "changes": changes,
    })
}

/// The keyless identity the flags give, if any (both halves or neither).
fn keyless_identity(args: &VerifyCommitArgs) -> anyhow::Result<Option<Identity>> {
    let san = match (
        &args.certificate_identity,
        &args.certificate_identity_regexp,
    ) {
        (Some(id), _) => Some(Matcher::exact(id.clone())?),
        (None, Some(re)) => {
            Some(Matcher::regex(re).context("invalid --certificate-identity-regexp")?)
        }
        (None, None) => None,
    };
    let issuer = match (
        &args.certificate_oidc_issuer,
        &args.certificate_oidc_issuer_regexp,
    ) {
        (Some(i), _) => Some(Matcher::exact(i.clone())?),
        (None, Some(re)) => {
            Some(Matcher::regex(re).context("invalid --certificate-oidc-issuer-regexp")?)
        }
        (None, None) => None,
    };
    match (san, issuer) {
        (Some(san), Some(issuer)) => Ok(Some(Identity::new(san, issuer))),
        (None, None) => Ok(None),
        _ => anyhow::bail!(
            "give both a certificate identity and an OIDC issuer (--certificate-identity[-regexp] \
             and --certificate-oidc-issuer[-regexp])"
        ),
    }
}
