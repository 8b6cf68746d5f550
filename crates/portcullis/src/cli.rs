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
