//! `portcullis policy check` and `portcullis policy explain`: validate a verification
//! policy file, and show what it requires of one image. The policy logic lives in
//! `portcullis_policy::policy`; this module parses flags and prints.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use portcullis_image::ImageRef;
use portcullis_policy::{Policy, PolicyError};

use crate::cli::OutputFormat;
use crate::exit;
use crate::output::{self, outln};

/// The `policy` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Validate a verification policy file and report every problem.
    ///
    /// Reads a `VerificationPolicy` (and any Sigstore `ClusterImagePolicy` documents in the
    /// same file), checks every field, pattern, regular expression, CEL condition, reference
    /// and referenced file, and prints each problem as `FILE:LINE:COL: field: message (hint: ...)`.
    /// Warnings (unanchored identity patterns, danger switches) are printed but do not fail.
    /// Exit status: 0 valid, 1 invalid or unreadable.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),

    /// Show which rules of a policy apply to an image and what they require.
    ///
    /// Every matching rule applies, not only the first. When none matches, says what
    /// `defaults.noMatch` does with the image (deny unless the policy says otherwise).
    /// Exit status: 0 at least one rule matches, 2 none does, 1 error.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
}

const CHECK_EXAMPLES: &str = "\
Examples:
  portcullis policy check policies/production.yaml
  portcullis policy check cluster-image-policies.yaml";

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  portcullis policy explain ghcr.io/acme/app:1.4.0 --policy policies/production.yaml
  portcullis policy explain nginx --policy policies/development.yaml --output json";

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The policy file (YAML; several documents separated by `---` form one policy).
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The image: `[registry/]path[:tag][@digest]`, normalised like Docker (`nginx` is
    /// `docker.io/library/nginx`).
    pub(crate) image: String,

    /// The policy file.
    #[arg(long, value_name = "FILE", env = "PORTCULLIS_POLICY")]
    pub(crate) policy: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

pub(crate) fn run(command: &PolicyCommand) -> anyhow::Result<u8> {
    match command {
        PolicyCommand::Check(args) => check(args),
        PolicyCommand::Explain(args) => explain(args),
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<u8> {
    match Policy::load(&args.file) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("warning: {warning}");
            }
            let rules = loaded.policy.rules().len();
            let mut out = String::new();
            outln!(
                out,
                "{}: valid, {rules} rule{}, {} warning{}, revision {}",
                args.file.display(),
                if rules == 1 { "" } else { "s" },
                loaded.warnings.len(),
                if loaded.warnings.len() == 1 { "" } else { "s" },
                loaded.policy.hash()
            );
            output::emit(&out)?;
            Ok(exit::OK)
        }
        Err(err @ PolicyError::Invalid { .. }) => {
            for problem in err.problems() {
                eprintln!("{problem}");
            }
            eprintln!("error: {err}");
            Ok(exit::ERROR)
        }
        Err(err) => Err(err.into()),
    }
}

fn explain(args: &ExplainArgs) -> anyhow::Result<u8> {
    let image: ImageRef = args
        .image
        .parse()
        .with_context(|| format!("cannot use '{}' as an image", args.image))?;
    let loaded = load(&args.policy)?;
    let explanation = loaded.policy.explain(&image);
    output::emit(&match args.output {
        OutputFormat::Text => explanation.to_text(),
        OutputFormat::Json => output::json(&explanation)?,
    })?;
    Ok(if explanation.rules.is_empty() {
        exit::NO_MATCH
    } else {
        exit::OK
    })
}

/// Loads a policy for a command that uses it: each problem on stderr with its location, then
/// the error; warnings are the caller's to show.
pub(crate) fn load(path: &std::path::Path) -> anyhow::Result<portcullis_policy::policy::Loaded> {
    match Policy::load(path) {
        Ok(loaded) => Ok(loaded),
        Err(err @ PolicyError::Invalid { .. }) => {
            for problem in err.problems() {
                eprintln!("{problem}");
            }
            Err(err.into())
        }
        Err(err) => Err(err.into()),
    }
}
