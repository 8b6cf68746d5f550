//! Errors of repository work: invalid input, git failures (with credentials masked), conflicts
//! that outlasted the retries, and signing or rendering failures passed through.

use std::path::PathBuf;
use std::time::Duration;

use crate::sign::SignError;

/// A commit or push could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// git could not be started.
    #[error("cannot run {program}: is git installed and on PATH?")]
    Spawn {
        /// The program.
        program: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// git exited non-zero. `stderr` has credentials masked and is cut at 2000 bytes.
    #[error("git {subcommand} failed ({status}): {stderr}")]
    Command {
        /// The git subcommand.
        subcommand: String,
        /// The exit status.
        status: String,
        /// What git printed on stderr.
        stderr: String,
    },
    /// A network command did not finish in time and was killed.
    #[error("git {subcommand} did not finish within {after:?} and was stopped")]
    Timeout {
        /// The git subcommand.
        subcommand: String,
        /// The limit.
        after: Duration,
    },
    /// git printed something this crate does not understand.
    #[error("unexpected output from git {subcommand}: '{output}'")]
    UnexpectedOutput {
        /// The git subcommand.
        subcommand: &'static str,
        /// The output, cut short.
        output: String,
    },
    /// A file path is not acceptable in a change.
    #[error("invalid repository path '{path}': {reason}")]
    InvalidPath {
        /// The path.
        path: String,
        /// Why.
        reason: &'static str,
    },
    /// A change would write where git holds something other than a regular file.
    #[error("refusing to write {path}: it is a {kind} in the repository, not a regular file")]
    NotARegularFile {
        /// The path.
        path: String,
        /// What is there (`symlink`, `submodule`, `directory`).
        kind: &'static str,
    },
    /// A branch name is not acceptable.
    #[error("invalid branch name '{name}': {reason}")]
    InvalidBranch {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// The remote name cannot be used in a refspec.
    #[error("invalid remote name '{name}': use the name of a remote configured in the clone")]
    InvalidRemote {
        /// The name.
        name: String,
    },
    /// An author or committer would break the commit header.
    #[error(
        "invalid identity '{name} <{email}>': name and email must be non-empty and free of '<', '>' and line breaks"
    )]
    InvalidIdentity {
        /// The name.
        name: String,
        /// The email.
        email: String,
    },
    /// The commit message is empty or contains NUL.
    #[error("invalid commit message: it must be non-empty text without NUL bytes")]
    InvalidMessage,
    /// The credentials cannot be handed to git safely.
    #[error("invalid git credentials: {reason}")]
    InvalidCredentials {
        /// Why.
        reason: String,
    },
    /// The remote's URL carries a password or token.
    #[error(
        "remote '{remote}' has credentials in its URL: remove them and configure a token file or SSH key instead"
    )]
    CredentialsInRemoteUrl {
        /// The remote's name.
        remote: String,
    },
    /// A file this crate needs could not be read or written.
    #[error("cannot access {what} at {path}")]
    Io {
        /// What it is.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The local branch does not exist.
    #[error("branch '{branch}' does not exist in {repo}")]
    BranchNotFound {
        /// The branch.
        branch: String,
        /// The repository directory.
        repo: PathBuf,
    },
    /// The remote has neither the write branch nor the base branch.
    #[error("remote '{remote}' has no branch '{branch}'")]
    RemoteBranchNotFound {
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
    },
    /// The local branch moved while the commit was being made (another writer in this clone):
    /// nothing was changed.
    #[error("branch ref {refname} moved while committing; no commit was recorded")]
    RefMoved {
        /// The ref.
        refname: String,
    },
    /// Every attempt to push was rejected because the remote branch kept moving.
    #[error("push to '{branch}' was rejected as non-fast-forward {attempts} times; giving up")]
    Conflict {
        /// The branch.
        branch: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The remote refused the push for another reason (a hook, branch protection).
    #[error("remote refused the push to '{branch}': {reason}")]
    PushRefused {
        /// The branch.
        branch: String,
        /// The remote's reason, credentials masked.
        reason: String,
    },
    /// The caller's render step failed.
    #[error("rendering the changes failed")]
    Render(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Signing the commit failed.
    #[error("signing the commit failed")]
    Sign(#[source] SignError),
}

impl GitError {
    /// Whether trying the same operation again later may succeed (a timeout, a conflict that
    /// outlasted the retries, a ref that moved), as opposed to a configuration or input error.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. } | Self::Conflict { .. } | Self::RefMoved { .. }
        )
    }
}
