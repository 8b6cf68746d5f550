//! Repository work through the `git` CLI (no libgit2): signed commits built object by object,
//! and pushes that survive concurrent writers.
//!
//! Owns: turning a set of [`FileChange`]s into exactly one signed commit on a branch
//! ([`Repository::commit`]); publishing to a remote branch or a separate `portcullis/...`
//! branch with fetch, re-render and retry on non-fast-forward rejection
//! ([`Repository::publish`]); handing credentials to git without exposing them
//! ([`Credentials`]).
//!
//! A caller must know:
//! - The commit object is written with `git hash-object -w` (complete or absent) and the
//!   branch moves with `git update-ref <new> <old>` (compare-and-swap): a process killed at any
//!   point leaves the branch at the old commit or at the complete signed one, never between.
//! - Making the same change twice makes one commit: when the branch head already has the tree
//!   the changes produce, nothing is committed; a commit left unpushed by a crash is pushed
//!   as it is rather than made again.
//! - Pushes are never forced. A rejection means someone else pushed: the remote is fetched, the
//!   caller's render step runs again on the new head, and the attempt is retried with
//!   exponential back-off and jitter ([`RetryPolicy`]), a bounded number of times.
//! - Everything here blocks (it waits for git); call it from a blocking task.
//! - One writer per clone at a time: concurrent writers in one clone are detected
//!   ([`GitError::RefMoved`]) but not queued.

mod command;
mod commit;
mod credentials;
mod error;
mod publish;
mod redact;
pub(crate) use command::SCRUBBED_ENV;
pub use redact::{redact as redact_urls, url_has_credentials};
mod retry;
mod types;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use commit::CommitOutcome;
pub use credentials::Credentials;
pub use error::GitError;
pub use publish::{PublishOutcome, PublishPlan};
pub use retry::RetryPolicy;
pub use types::{BranchName, CommitMeta, FileChange, Identity, ObjectId, RepoPath};

use command::GitCommand;

/// A local clone Portcullis writes through.
#[derive(Debug)]
pub struct Repository {
    dir: PathBuf,
    program: PathBuf,
    remote: String,
    credentials: Credentials,
    network_timeout: Duration,
}

impl Repository {
    /// The clone in `dir` (its work tree root or any directory inside it), pushing to
    /// `origin` without credentials; see the `with_*` methods.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, GitError> {
        let repo = Self {
            dir: dir.into(),
            program: PathBuf::from("git"),
            remote: "origin".to_owned(),
            credentials: Credentials::None,
            network_timeout: Duration::from_secs(120),
        };
        repo.git().args(["rev-parse", "--git-dir"]).run()?;
        Ok(repo)
    }

    /// Push to and fetch from `remote` (a remote name configured in the clone).
    pub fn with_remote(mut self, remote: impl Into<String>) -> Self {
        self.remote = remote.into();
        self
    }

    /// Authenticate fetches and pushes with `credentials`.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Run this git program instead of `git` from `PATH`.
    pub fn with_git_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// Stop a fetch or push that takes longer than `timeout` (default two minutes).
    pub fn with_network_timeout(mut self, timeout: Duration) -> Self {
        self.network_timeout = timeout;
        self
    }

    /// The clone's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn git(&self) -> GitCommand {
        GitCommand::new(&self.program, &self.dir)
    }

    /// The commit `rev` names, `None` when it names nothing.
    fn resolve(&self, rev: &str) -> Result<Option<ObjectId>, GitError> {
        let out = self
            .git()
            .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{rev}^{{commit}}"))
            .output()?;
        if out.success {
            Ok(Some(ObjectId::parse(&out.stdout_trimmed())?))
        } else {
            Ok(None)
        }
    }

    /// The head commit of local branch `branch`, `None` when it does not exist.
    pub fn branch_head(&self, branch: &BranchName) -> Result<Option<ObjectId>, GitError> {
        self.resolve(&branch.local_ref())
    }
}
