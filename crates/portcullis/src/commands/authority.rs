//! The signer flags shared by `verify` and `verify-bundle` (cosign's names), turned into a
//! policy and a trusted root. The insecure switches print a warning on stderr every time.
//! The certificate extension flags (`--certificate-github-workflow-*`,
//! `--certificate-extension`) add exact-value conditions to the keyless identity.

use anyhow::{Context, bail};
use std::path::PathBuf;

use portcullis_verify::{
    BundlePolicy, Freshness, Identity, Matcher, PUBLIC_GOOD_TUF_URL, PublicKey, STAGING_TUF_URL,
    TrustRoot, TufMode, TufSource, claims,
};
use tracing::warn;

use crate::cli::AuthorityArgs;

/// The policy the flags describe, with the insecure switches given applied (and announced).
pub(crate) fn policy(args: &AuthorityArgs) -> anyhow::Result<BundlePolicy> {
    let mut policy = authority(args)?;
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
    Ok(policy)
}

/// `--trusted-root`, or the trusted root through TUF (`--tuf-url`/`--tuf-root`, else the
/// public-good repository), announcing on stderr when a cached copy had to stand in.
pub(crate) async fn trust_root(args: &AuthorityArgs) -> anyhow::Result<TrustRoot> {
    if let Some(path) = &args.trusted_root {
        return TrustRoot::from_file(path)
            .with_context(|| format!("cannot load trusted root {}", path.display()));
    }
    let base = match &args.tuf_cache {
        Some(dir) => dir.clone(),
        None => default_cache_dir()?,
    };
    let source = match (&args.tuf_url, &args.tuf_root) {
        (Some(url), Some(root)) => {
            let root_json = std::fs::read(root)
                .with_context(|| format!("cannot read TUF root {}", root.display()))?;
            TufSource::custom(url, root_json, base.join(cache_name(url)))
        }
        _ if args.staging => TufSource::staging(base.join(cache_name(STAGING_TUF_URL))),
        _ => TufSource::public_good(base.join(cache_name(PUBLIC_GOOD_TUF_URL))),
    };
    let mode = if args.offline {
        TufMode::Offline
    } else {
        TufMode::Online
    };
    let (trust, freshness) = TrustRoot::from_tuf(&source, mode).await?;
    if freshness == Freshness::Cached && mode == TufMode::Online {
        eprintln!(
            "note: {} could not be reached; using the trusted root cached in {}",
            source.url(),
            source.cache_dir().display()
        );
    }
    Ok(trust)
}

/// cosign's `--key` also takes references to keys held elsewhere. The one a policy may use,
/// `k8s://<namespace>/<secret>`, is read inside the cluster by the controller; the command
/// line reads files only, and says how to get one.
fn refuse_key_reference(key: &str) -> anyhow::Result<()> {
    if let Some(rest) = key.strip_prefix("k8s://") {
        let (namespace, secret) = rest.split_once('/').unwrap_or(("<namespace>", rest));
        bail!(
            "--key {key} names a Kubernetes secret, which the controller reads inside the cluster; \
             on the command line export it to a file first: kubectl get secret -n {namespace} \
             {secret} -o jsonpath='{{.data.cosign\\.pub}}' | base64 -d > cosign.pub, then --key cosign.pub"
        );
    }
    for scheme in [
        "awskms://",
        "gcpkms://",
        "azurekms://",
        "hashivault://",
        "pkcs11:",
        "env://",
    ] {
        if key.starts_with(scheme) {
            bail!(
                "--key {key}: keys held in a KMS, a token or the environment are not read; \
                 export the public key to a PEM file (cosign public-key --key {key} > cosign.pub) \
                 and pass that"
            );
        }
    }
    Ok(())
}

/// `$XDG_CACHE_HOME/portcullis/tuf`, else `$HOME/.cache/portcullis/tuf`.
pub(crate) fn default_cache_dir() -> anyhow::Result<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        });
    match base {
        Some(base) => Ok(base.join("portcullis").join("tuf")),
        None => bail!(
            "no cache directory for the TUF trusted root: set --tuf-cache (or PORTCULLIS_TUF_CACHE), \
             or give --trusted-root FILE"
        ),
    }
}

/// A directory name for a repository URL: its host, port and path with every other
/// character replaced, so two repositories never share a cache.
fn cache_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.trim_end_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn authority(args: &AuthorityArgs) -> anyhow::Result<BundlePolicy> {
    if let Some(path) = &args.key {
        refuse_key_reference(&path.to_string_lossy())?;
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
        (None, Some(re)) => {
            note_unanchored("--certificate-identity-regexp", re);
            Matcher::regex(re).context("invalid --certificate-identity-regexp")?
        }
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
            note_unanchored("--certificate-oidc-issuer-regexp", re);
            Matcher::regex(re).context("invalid --certificate-oidc-issuer-regexp")?
        }
        _ => bail!(
            "keyless verification needs --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp)"
        ),
    };
    let identity = extension_conditions(args)?.into_iter().try_fold(
        Identity::new(san, issuer),
        |identity, (flag, oid, value)| {
            identity
                .require_extension(&oid, value)
                .with_context(|| format!("invalid {flag}"))
        },
    )?;
    Ok(BundlePolicy::keyless([identity])?)
}

/// cosign finds a pattern anywhere in the value; Portcullis matches the whole value. A
/// pattern not written with `^…$` means something else to each, so say how it is read.
fn note_unanchored(flag: &str, pattern: &str) {
    if !(pattern.starts_with('^') && pattern.ends_with('$')) {
        eprintln!(
            "note: {flag} '{pattern}' must match the whole value (read as '^(?:{pattern})$'); \
             cosign would accept a match anywhere in it"
        );
    }
}

/// The certificate extension conditions the flags give: (flag, OID, value).
fn extension_conditions(args: &AuthorityArgs) -> anyhow::Result<Vec<(String, String, String)>> {
    let named = [
        (
            "--certificate-github-workflow-trigger",
            claims::GITHUB_WORKFLOW_TRIGGER,
            &args.certificate_github_workflow_trigger,
        ),
        (
            "--certificate-github-workflow-sha",
            claims::GITHUB_WORKFLOW_SHA,
            &args.certificate_github_workflow_sha,
        ),
        (
            "--certificate-github-workflow-name",
            claims::GITHUB_WORKFLOW_NAME,
            &args.certificate_github_workflow_name,
        ),
        (
            "--certificate-github-workflow-repository",
            claims::GITHUB_WORKFLOW_REPOSITORY,
            &args.certificate_github_workflow_repository,
        ),
        (
            "--certificate-github-workflow-ref",
            claims::GITHUB_WORKFLOW_REF,
            &args.certificate_github_workflow_ref,
        ),
    ];
    let mut conditions: Vec<(String, String, String)> = named
        .into_iter()
        .filter_map(|(flag, oid, value)| {
            value
                .as_ref()
                .map(|value| (flag.to_owned(), oid.to_owned(), value.clone()))
        })
        .collect();
    for given in &args.certificate_extension {
        let Some((oid, value)) = given.split_once('=') else {
            bail!("--certificate-extension '{given}' is not OID=VALUE");
        };
        conditions.push((
            format!("--certificate-extension '{given}'"),
            oid.to_owned(),
            value.to_owned(),
        ));
    }
    Ok(conditions)
}
