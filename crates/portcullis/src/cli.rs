//! Command-line flags. Help texts are the user documentation of each flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Portcullis: a supply-chain policy gate for GitOps image promotion.
///
/// It watches OCI registries, picks the image each application should move to, verifies who
/// built it, and only then writes the change to Git in a signed commit.
#[derive(Debug, Parser)]
#[command(name = "portcullis", version, propagate_version = true)]
pub(crate) struct Cli {
    /// More logging on stderr (-v: info, -vv: debug). PORTCULLIS_LOG overrides, e.g.
    /// PORTCULLIS_LOG=portcullis_registry=debug.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show which tag an image would be updated to, and why.
    ///
    /// Like `argocd-image-updater test`, with the reasons spelled out: how many tags the
    /// registry listed, how many each filter dropped, and the tag and digest chosen.
    /// Exit status: 0 a tag was selected, 2 no tag matches, 1 error.
    #[command(after_help = TEST_EXAMPLES)]
    Test(TestArgs),

    /// Verify a Sigstore bundle over a file or a digest (the sigstore-conformance protocol).
    ///
    /// Key-based (`--key`) or keyless (`--certificate-identity[-regexp]` with
    /// `--certificate-oidc-issuer[-regexp]`), against a trusted root. A transparency-log proof
    /// is required, and for keyless an embedded SCT, unless an --insecure-* switch waives it.
    /// Exit status: 0 verified, 3 rejected (the reason on stderr), 1 error in the inputs.
    #[command(after_help = VERIFY_BUNDLE_EXAMPLES)]
    VerifyBundle(VerifyBundleArgs),

    /// Verify an image's cosign signatures (or, with --attestation, attestations) in its registry.
    ///
    /// Resolves a tag to its digest (an `@sha256:` reference is used as is), fetches the
    /// legacy signature manifest (tag `sha256-<hex>.sig`) and the Sigstore bundles attached as
    /// OCI 1.1 referrers (the referrers API, or the `sha256-<hex>` index where the registry
    /// lacks it), and checks every one on its own. A bundle whose predicate type is not
    /// cosign's signature predicate is an attestation and never counts as a signature. Checks: key-based (`--key`) or
    /// keyless (`--certificate-identity[-regexp]` with `--certificate-oidc-issuer[-regexp]`),
    /// against a trusted root, with a transparency-log proof and, for keyless, an SCT unless an
    /// --insecure-* switch waives it. Prints what verified and why each other signature did not.
    /// Exit status: 0 at least one signature verified, 3 none did (or the image is unsigned),
    /// 1 error in the inputs or talking to the registry.
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify(VerifyArgs),

    /// Validate a verification policy file, or show what it requires of an image.
    #[command(subcommand)]
    Policy(crate::commands::policy::PolicyCommand),

    /// Show what `run` would do: every image of a standalone configuration through the gate.
    ///
    /// For each application image: list its tags, pick the candidate its strategy and
    /// constraint allow within the policy's limits, verify its signatures and attestations
    /// against every matching rule, ask the policy's external gates, and print the decision
    /// with its reason code (update, no_change, skipped, failed). Nothing is written.
    /// Exit status: 0 every image was decided, 1 an error or an image that could not be
    /// decided (registry or trust material unavailable).
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),

    /// Watch, verify and write back: the loop.
    ///
    /// Each cycle evaluates every image of every application as `plan` does; then, for each
    /// Git repository and branch, writes every verified update (pinned to the verified
    /// digest) in one signed commit and pushes it, fetching and re-applying the change when
    /// someone else pushed first (never forcing). Every decision and commit is printed as a
    /// JSON line (an event) on stdout. Ctrl-C or SIGTERM finishes the current commit and exits.
    /// Exit status (with --once): 0 every image decided and every commit pushed, 1 otherwise.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),

    /// Verify the signature of a commit Portcullis wrote, and show the changes it records.
    ///
    /// Rebuilds the signed payload from the raw commit object as git does and checks the
    /// signature in process. X.509 (detached CMS, as Portcullis, gitsign and gpgsm sign):
    /// the signer certificate must chain to a CA in --ca, and every certificate must have
    /// been valid at the signed signing time (an expired short-lived certificate is fine).
    /// OpenPGP: checked with the keys in --gnupg-home; with --key, only those fingerprints
    /// may sign, otherwise the key must be fully trusted there. Then prints the signer, the
    /// signing time and the `Portcullis-Change` / `Portcullis-Policy` trailers.
    /// Exit status: 0 verified, 3 rejected (the reason on stderr), 1 error in the inputs.
    #[command(after_help = VERIFY_COMMIT_EXAMPLES)]
    VerifyCommit(VerifyCommitArgs),
}

const VERIFY_COMMIT_EXAMPLES: &str = "\
Examples:
  portcullis verify-commit --repo gitops --ca portcullis-ca.pem
  portcullis verify-commit --ca fulcio-chain.pem --output json main~2
  portcullis verify-commit --trusted-root trusted_root.json HEAD
  portcullis verify-commit --gnupg-home ~/.gnupg-portcullis \\
      --key 0123456789ABCDEF0123456789ABCDEF01234567 origin/main";

/// `portcullis verify-commit`.
#[derive(Debug, Args)]
pub(crate) struct VerifyCommitArgs {
    /// The commit: anything git names a commit by (`HEAD`, `main~1`, an id).
    #[arg(value_name = "COMMIT", default_value = "HEAD")]
    pub(crate) commit: String,

    /// The Git repository (a work tree or a bare repository).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) repo: PathBuf,

    /// PEM file with the trusted CA certificates, for X.509 signatures. Intermediates come
    /// from the signature itself.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,

    /// Sigstore `trusted_root.json`, for keyless signatures: the Fulcio CAs the certificate
    /// must chain to and the Rekor keys that signed the entry embedded in the signature.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,

    /// The GnuPG home holding the OpenPGP public keys [default: $GNUPGHOME or ~/.gnupg].
    #[arg(long, value_name = "DIR")]
    pub(crate) gnupg_home: Option<PathBuf>,

    /// An OpenPGP key fingerprint allowed to sign (primary or subkey); repeat for more.
    #[arg(long = "key", value_name = "FINGERPRINT")]
    pub(crate) keys: Vec<String>,

    /// Keyless: the certificate identity allowed to sign (exactly). A keyless commit needs an
    /// identity and an issuer: anyone can get a Fulcio certificate.
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "certificate_identity_regexp"
    )]
    pub(crate) certificate_identity: Option<String>,

    /// Keyless: the certificate identity as a regular expression (matched whole).
    #[arg(long, value_name = "RE")]
    pub(crate) certificate_identity_regexp: Option<String>,

    /// Keyless: the OIDC issuer that vouched for the identity (exactly).
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "certificate_oidc_issuer_regexp"
    )]
    pub(crate) certificate_oidc_issuer: Option<String>,

    /// Keyless: the OIDC issuer as a regular expression (matched whole).
    #[arg(long, value_name = "RE")]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

const RUN_EXAMPLES: &str = "Examples:
  portcullis run --config portcullis.yaml --policy policies/production.yaml --once
  portcullis run --config portcullis.yaml --policy policy.yaml --interval 5m";

const PLAN_EXAMPLES: &str = "Examples:
  portcullis plan --config portcullis.yaml --policy policies/production.yaml
  portcullis plan --config portcullis.yaml --policy policy.yaml --output json --offline";

/// `portcullis plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The standalone configuration: applications, repositories, images.
    #[arg(long, value_name = "FILE", default_value = "portcullis.yaml")]
    pub(crate) config: PathBuf,

    #[command(flatten)]
    pub(crate) gate: GateArgs,

    /// Where repositories are cloned to read what is deployed [default:
    /// $XDG_CACHE_HOME/portcullis/repos]. A repository that cannot be read leaves each image
    /// its configured `current`.
    #[arg(long, value_name = "DIR", env = "PORTCULLIS_WORKDIR")]
    pub(crate) workdir: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

/// What the gate is built from, beside the configuration.
#[derive(Debug, Args)]
pub(crate) struct GateArgs {
    /// The verification policy every update must satisfy.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: PathBuf,

    /// A registries configuration; default: the one the configuration names, if any.
    #[arg(long, value_name = "FILE")]
    pub(crate) registries_conf: Option<PathBuf>,

    /// Where the public-good trusted root is cached (TUF) [default: $XDG_CACHE_HOME/portcullis/tuf].
    #[arg(long, value_name = "DIR", env = "PORTCULLIS_TUF_CACHE")]
    pub(crate) tuf_cache: Option<PathBuf>,

    /// Make no TUF request: use the cached public-good trusted root or fail.
    #[arg(long)]
    pub(crate) offline: bool,
}

/// `portcullis run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The standalone configuration: applications, repositories, images, Git signing.
    #[arg(long, value_name = "FILE", default_value = "portcullis.yaml")]
    pub(crate) config: PathBuf,

    #[command(flatten)]
    pub(crate) gate: GateArgs,

    /// Run one cycle and exit (for CI and cron).
    #[arg(long)]
    pub(crate) once: bool,

    /// Time between cycles: `30s`, `2m`, `1h`.
    #[arg(long, value_name = "DURATION", default_value = "2m")]
    pub(crate) interval: String,

    /// Where repositories are cloned [default: $XDG_CACHE_HOME/portcullis/repos].
    #[arg(long, value_name = "DIR", env = "PORTCULLIS_WORKDIR")]
    pub(crate) workdir: Option<PathBuf>,
}

const VERIFY_EXAMPLES: &str = "\
Examples:
  portcullis verify ghcr.io/acme/app:1.4.0 --certificate-identity-regexp '^https://github.com/acme/' \\
      --certificate-oidc-issuer https://token.actions.githubusercontent.com
  portcullis verify registry.example.com/team/app@sha256:<64 hex digits> --key cosign.pub
  portcullis verify ghcr.io/acme/app:1.4.0 --certificate-identity me@example.com \\
      --certificate-oidc-issuer https://github.com/login/oauth --output json
  portcullis verify ghcr.io/acme/app:1.4.0 --attestation --type https://slsa.dev/provenance/v1 \\
      --certificate-identity me@example.com --certificate-oidc-issuer https://github.com/login/oauth";

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The image: `[registry/]path[:tag][@digest]`. A digest is verified as is; a tag is
    /// resolved to its digest first (`latest` when neither is given).
    pub(crate) image: String,

    #[command(flatten)]
    pub(crate) authority: AuthorityArgs,

    /// Verify attestations instead of signatures (cosign's `verify-attestation`): only
    /// Sigstore bundles attached as referrers whose in-toto predicate type is `--type`
    /// count, and their subject must be the image digest.
    #[arg(long, requires = "predicate_type")]
    pub(crate) attestation: bool,

    /// The predicate type an attestation must have: a URI (for example
    /// `https://slsa.dev/provenance/v1`, compared exactly) or one of cosign's short names
    /// (slsaprovenance, slsaprovenance02, slsaprovenance1, link, spdx, spdxjson, cyclonedx,
    /// vuln, openvex, custom). Only with `--attestation`.
    #[arg(long = "type", value_name = "PREDICATE_TYPE", requires = "attestation")]
    pub(crate) predicate_type: Option<String>,

    /// Credentials for the image's registry, overriding the registries configuration:
    /// `env:VAR` (user:password), `file:PATH`, `dockerconfig:PATH`, `ext:SCRIPT`.
    #[arg(long, value_name = "SOURCE")]
    pub(crate) credentials: Option<String>,

    /// Registries configuration (Argo CD Image Updater's registries.conf format; see
    /// docs/registries.md).
    #[arg(long, value_name = "FILE", env = "PORTCULLIS_REGISTRIES_CONF")]
    pub(crate) registries_conf: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

/// Who must have signed, against which trusted root, with which checks waived (cosign's flag
/// names).
#[derive(Debug, Args)]
pub(crate) struct AuthorityArgs {
    /// Verify with this public key (PEM: ECDSA P-256/P-384, Ed25519, RSA) instead of a
    /// certificate identity.
    #[arg(long, value_name = "KEY", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp"])]
    pub(crate) key: Option<PathBuf>,

    /// The exact certificate identity (SAN: e-mail or URI) that must have signed.
    #[arg(long, value_name = "ID")]
    pub(crate) certificate_identity: Option<String>,

    /// A regular expression the certificate identity must match. Anchored at both ends:
    /// unlike cosign, `acme` does not match `evil-acme`; write `.*acme.*` to mean "contains".
    #[arg(long, value_name = "RE", conflicts_with = "certificate_identity")]
    pub(crate) certificate_identity_regexp: Option<String>,

    /// The exact OIDC issuer of the signing certificate.
    #[arg(long, value_name = "URL")]
    pub(crate) certificate_oidc_issuer: Option<String>,

    /// A regular expression the OIDC issuer must match (anchored at both ends).
    #[arg(long, value_name = "RE", conflicts_with = "certificate_oidc_issuer")]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,

    /// Keyless: the exact GitHub workflow trigger the certificate must record (Fulcio
    /// extension 1.3.6.1.4.1.57264.1.2), e.g. `push`, `workflow_dispatch`.
    #[arg(long, value_name = "TRIGGER", conflicts_with = "key")]
    pub(crate) certificate_github_workflow_trigger: Option<String>,

    /// Keyless: the exact commit SHA the GitHub workflow ran at (Fulcio extension
    /// 1.3.6.1.4.1.57264.1.3).
    #[arg(long, value_name = "SHA", conflicts_with = "key")]
    pub(crate) certificate_github_workflow_sha: Option<String>,

    /// Keyless: the exact GitHub workflow name (Fulcio extension 1.3.6.1.4.1.57264.1.4).
    #[arg(long, value_name = "NAME", conflicts_with = "key")]
    pub(crate) certificate_github_workflow_name: Option<String>,

    /// Keyless: the exact repository the GitHub workflow ran in, as `owner/name` (Fulcio
    /// extension 1.3.6.1.4.1.57264.1.5), e.g. `acme/app`.
    #[arg(long, value_name = "OWNER/NAME", conflicts_with = "key")]
    pub(crate) certificate_github_workflow_repository: Option<String>,

    /// Keyless: the exact Git ref the GitHub workflow ran for (Fulcio extension
    /// 1.3.6.1.4.1.57264.1.6), e.g. `refs/heads/main` or `refs/tags/v1.2.0`.
    #[arg(long, value_name = "REF", conflicts_with = "key")]
    pub(crate) certificate_github_workflow_ref: Option<String>,

    /// Keyless: a certificate extension that must hold exactly VALUE, by dotted OID, e.g.
    /// `1.3.6.1.4.1.57264.1.12=https://github.com/acme/app` (Fulcio's source repository
    /// URI). Fulcio's `1.3.6.1.4.1.57264.1.*` extensions are read as Fulcio writes them; any
    /// other extension must hold a DER UTF8String. Repeat for more; all must hold. A
    /// certificate without the extension is rejected (`claim_mismatch`).
    #[arg(long, value_name = "OID=VALUE", conflicts_with = "key")]
    pub(crate) certificate_extension: Vec<String>,

    /// A Sigstore `trusted_root.json` to verify against. Without it, the trusted root comes
    /// through TUF: the Sigstore public-good repository (or --tuf-url), refreshed when
    /// reachable and cached on disk; an unreachable repository falls back to the verified
    /// cache, and with no cache either the command fails saying so.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["tuf_url", "offline"])]
    pub(crate) trusted_root: Option<PathBuf>,

    /// A TUF repository to take the trusted root from instead of the public-good one (a
    /// mirror, or a private Sigstore instance); needs --tuf-root.
    #[arg(long, value_name = "URL", requires = "tuf_root")]
    pub(crate) tuf_url: Option<String>,

    /// The `root.json` that starts trust in --tuf-url's repository.
    #[arg(long, value_name = "FILE", requires = "tuf_url")]
    pub(crate) tuf_root: Option<PathBuf>,

    /// Take the trusted root from Sigstore's staging instance (its TUF repository, starting
    /// from the staging root that ships with Portcullis) instead of the public-good one; as
    /// the sigstore-conformance client protocol's `--staging`. Ignored with --trusted-root,
    /// which names the root outright.
    #[arg(long, conflicts_with = "tuf_url")]
    pub(crate) staging: bool,

    /// Where TUF metadata and the trusted root are cached [default:
    /// $XDG_CACHE_HOME/portcullis/tuf, else ~/.cache/portcullis/tuf]; one subdirectory per
    /// repository.
    #[arg(long, value_name = "DIR", env = "PORTCULLIS_TUF_CACHE")]
    pub(crate) tuf_cache: Option<PathBuf>,

    /// Make no TUF request: use the cached trusted root (verified again) or fail.
    #[arg(long)]
    pub(crate) offline: bool,

    /// INSECURE: accept a signature without a transparency-log proof.
    #[arg(long)]
    pub(crate) insecure_ignore_tlog: bool,

    /// INSECURE: accept a keyless certificate without an embedded SCT.
    #[arg(long)]
    pub(crate) insecure_ignore_sct: bool,
}

const VERIFY_BUNDLE_EXAMPLES: &str = "\
Examples:
  portcullis verify-bundle --bundle a.txt.sigstore.json --certificate-identity me@example.com \\
      --certificate-oidc-issuer https://github.com/login/oauth a.txt
  portcullis verify-bundle --bundle b.sigstore.json --key cosign.pub sha256:<64 hex digits>
  portcullis verify-bundle --bundle c.json --certificate-identity-regexp '^https://github.com/acme/' \\
      --certificate-oidc-issuer https://token.actions.githubusercontent.com --trusted-root trusted_root.json file";

#[derive(Debug, Args)]
pub(crate) struct VerifyBundleArgs {
    /// The Sigstore bundle (v0.1, v0.2 or v0.3 JSON).
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: PathBuf,

    #[command(flatten)]
    pub(crate) authority: AuthorityArgs,

    /// The signed file, or `sha256:<hex>` of it when that is not a file.
    #[arg(value_name = "FILE_OR_DIGEST")]
    pub(crate) file_or_digest: String,
}

const TEST_EXAMPLES: &str = "\
Examples:
  portcullis test ghcr.io/acme/app --semver-constraint '^1.2'
  portcullis test nginx:~1.26                     (the constraint may ride in the reference)
  portcullis test ghcr.io/acme/app --update-strategy newest-build --platform linux/arm64
  portcullis test ghcr.io/acme/app:1.4.0 --semver-constraint '~1.4' --ignore-tags '*-debug'
  portcullis test app --tags-file tags.txt --output json   (offline, no registry)";

#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// The image: `[registry/]path[:tag-or-constraint][@digest]`, e.g. `ghcr.io/acme/app`,
    /// `nginx:~1.26`. Without --semver-constraint, the part after `:` is the constraint
    /// (semver) or the tag to follow (digest), as in Argo CD Image Updater; with it, that
    /// part is the current tag.
    pub(crate) image: String,

    /// Update strategy: semver (default), newest-build (alias: latest), digest,
    /// alphabetical (alias: name).
    #[arg(long, default_value = "semver", value_name = "STRATEGY")]
    pub(crate) update_strategy: String,

    /// Version constraint in Masterminds syntax (`^1.2`, `~1.2`, `1.x`, `>=1.2, <2`,
    /// `a || b`; a pre-release in the constraint admits pre-releases); for the digest
    /// strategy, the tag to follow.
    #[arg(long, value_name = "CONSTRAINT")]
    pub(crate) semver_constraint: Option<String>,

    /// Only consider tags matching: `regexp:<re>` (unanchored) or `any`.
    #[arg(long, value_name = "MATCH")]
    pub(crate) allow_tags: Option<String>,

    /// Ignore tags matching a glob (`*`, `?`) or `regexp:<re>`; repeat for more.
    #[arg(long, value_name = "PATTERN")]
    pub(crate) ignore_tags: Vec<String>,

    /// Platform to resolve multi-arch images for (`linux/amd64`, `linux/arm64/v8`, `any`);
    /// repeat for more. Default: linux and this machine's architecture.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub(crate) platform: Vec<String>,

    /// Credentials for the image's registry, overriding the registries configuration:
    /// `env:VAR` (user:password), `file:PATH`, `dockerconfig:PATH`, `ext:SCRIPT`.
    #[arg(long, value_name = "SOURCE")]
    pub(crate) credentials: Option<String>,

    /// Registries configuration (Argo CD Image Updater's registries.conf format; see
    /// docs/registries.md).
    #[arg(long, value_name = "FILE", env = "PORTCULLIS_REGISTRIES_CONF")]
    pub(crate) registries_conf: Option<PathBuf>,

    /// Read tags from FILE instead of the registry: one tag per line, optionally followed by
    /// whitespace and its creation time (RFC 3339) for newest-build. `#` starts a comment.
    #[arg(long, value_name = "FILE")]
    pub(crate) tags_file: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object.
    Json,
}
