//! Publishing to a remote: fetch the branch, let the caller render its changes on that head,
//! commit (signed), push without force, and on a non-fast-forward rejection start over from
//! the new head after a back-off, a bounded number of times.
//!
//! The render step gets a plain directory holding the files of the head it builds on (a
//! scratch checkout outside the clone, removed afterwards), so what it writes always derives
//! from the newest remote state: another writer's commit is kept, never overwritten. The
//! commit lands either on the branch itself or on a separate branch (`portcullis/...`) that
//! starts from the base branch the first time and from its own remote head afterwards.
//!
//! Credentials live in the environment of the fetch and push commands only (see
//! [`super::credentials`]); a remote URL with a password in it is refused.

use std::error::Error;
use std::path::{Path, PathBuf};

use super::Repository;
use super::command::{GitCommand, failed};
use super::commit::ScratchIndex;
use super::credentials::NetworkEnv;
use super::error::GitError;
use super::redact::{redact, url_has_credentials};
use super::retry::RetryPolicy;
use super::types::{BranchName, CommitMeta, FileChange, ObjectId};
use crate::sign::Signer;

/// Where a publish writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishPlan {
    base: BranchName,
    write: BranchName,
    retry: RetryPolicy,
}

impl PublishPlan {
    /// Commit to `branch` itself.
    pub fn to_branch(branch: BranchName) -> Self {
        Self {
            write: branch.clone(),
            base: branch,
            retry: RetryPolicy::default(),
        }
    }

    /// Commit to `write` (for example `portcullis/update-app`), which starts from `base` when
    /// the remote does not have it yet.
    pub fn to_separate_branch(base: BranchName, write: BranchName) -> Self {
        Self {
            base,
            write,
            retry: RetryPolicy::default(),
        }
    }

    /// The branch it starts from when the write branch does not exist yet.
    pub fn base_branch(&self) -> &BranchName {
        &self.base
    }

    /// With these retry settings.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The branch commits are pushed to.
    pub fn write_branch(&self) -> &BranchName {
        &self.write
    }
}

/// What [`Repository::publish`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum PublishOutcome {
    /// A signed commit was pushed.
    Pushed {
        /// The commit now at the head of the remote branch.
        commit: ObjectId,
        /// The remote head it was made on.
        parent: ObjectId,
        /// The attempt that succeeded (1 when nobody else pushed meanwhile).
        attempts: u32,
    },
    /// The remote branch already had this content: nothing was committed or pushed.
    Unchanged {
        /// The remote head.
        head: ObjectId,
    },
}

/// The result of one push.
enum Pushed {
    Accepted,
    /// Non-fast-forward: someone else pushed first.
    Rejected,
}

/// A scratch checkout of one commit's files, removed on drop.
struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    fn path(&self) -> PathBuf {
        self.dir.path().join("tree")
    }
}

impl Repository {
    /// Publishes the changes `render` produces to the remote as one signed commit.
    ///
    /// Each attempt fetches the remote head, checks it out to a scratch directory and calls
    /// `render` with that directory: `render` returns the complete set of file changes for
    /// that head (it runs again, on the new head, after every rejected push). When the head
    /// already has that content nothing is committed. A commit an earlier, interrupted run
    /// left on the local branch for the same head and content is pushed as it is.
    pub fn publish<F, E>(
        &self,
        plan: &PublishPlan,
        meta: &CommitMeta,
        signer: &Signer,
        mut render: F,
    ) -> Result<PublishOutcome, GitError>
    where
        F: FnMut(&Path) -> Result<Vec<FileChange>, E>,
        E: Into<Box<dyn Error + Send + Sync + 'static>>,
    {
        self.check_remote()?;
        let net = self.credentials.network_env()?;
        let write_ref = plan.write.local_ref();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let parent = self.fetch_parent(plan, &net)?;
            let changes = {
                let checkout = self.checkout(&parent)?;
                render(&checkout.path()).map_err(|e| GitError::Render(e.into()))?
            };
            let Some(tree) = self.tree_with_changes(&parent, &changes)? else {
                tracing::debug!(branch = %plan.write, head = %parent, "remote already up to date");
                return Ok(PublishOutcome::Unchanged { head: parent });
            };
            let local = self.branch_head(&plan.write)?;
            let commit = match &local {
                Some(l) if self.parents_of(l)? == [parent.clone()] && self.tree_of(l)? == tree => {
                    tracing::info!(branch = %plan.write, commit = %l, "pushing the commit an interrupted run left");
                    l.clone()
                }
                _ => {
                    let c = self.write_commit(&tree, &parent, meta, signer)?;
                    self.move_ref(&write_ref, &c, local.as_ref())?;
                    c
                }
            };
            match self.push(&plan.write, &net)? {
                Pushed::Accepted => {
                    tracing::info!(branch = %plan.write, %commit, %parent, attempt, "signed commit pushed");
                    return Ok(PublishOutcome::Pushed {
                        commit,
                        parent,
                        attempts: attempt,
                    });
                }
                Pushed::Rejected if attempt >= plan.retry.max_attempts => {
                    return Err(GitError::Conflict {
                        branch: plan.write.to_string(),
                        attempts: attempt,
                    });
                }
                Pushed::Rejected => {
                    let wait = plan.retry.backoff(attempt);
                    tracing::warn!(branch = %plan.write, attempt, ?wait, "push rejected: remote moved, re-rendering on the new head");
                    std::thread::sleep(wait);
                }
            }
        }
    }

    fn network(&self, net: &NetworkEnv) -> GitCommand {
        self.git().envs(&net.vars).timeout(self.network_timeout)
    }

    /// Refuses a remote that is missing, oddly named, or carries credentials in its URL.
    fn check_remote(&self) -> Result<(), GitError> {
        if self.remote.is_empty()
            || self.remote.starts_with('-')
            || self
                .remote
                .contains(|c: char| c.is_whitespace() || c == ':' || c == '*')
        {
            return Err(GitError::InvalidRemote {
                name: self.remote.clone(),
            });
        }
        let out = self
            .git()
            .args(["remote", "get-url", "--push", "--end-of-options"])
            .arg(&self.remote)
            .run()?;
        if url_has_credentials(&out.stdout_trimmed()) {
            return Err(GitError::CredentialsInRemoteUrl {
                remote: self.remote.clone(),
            });
        }
        Ok(())
    }

    /// Fetches the remote head to build on: the write branch if the remote has it, else the
    /// base branch.
    fn fetch_parent(&self, plan: &PublishPlan, net: &NetworkEnv) -> Result<ObjectId, GitError> {
        let out = self
            .network(net)
            .args(["ls-remote", "--heads", "--end-of-options"])
            .arg(&self.remote)
            .arg(plan.write.local_ref())
            .arg(plan.base.local_ref())
            .run()?;
        let listed = String::from_utf8_lossy(&out.stdout).into_owned();
        let has = |b: &BranchName| {
            listed
                .lines()
                .any(|l| l.split('\t').nth(1) == Some(b.local_ref().as_str()))
        };
        let source = if has(&plan.write) {
            &plan.write
        } else if has(&plan.base) {
            &plan.base
        } else {
            return Err(GitError::RemoteBranchNotFound {
                remote: self.remote.clone(),
                branch: plan.base.to_string(),
            });
        };
        let tracking = format!("refs/remotes/{}/{}", self.remote, source);
        self.network(net)
            .args(["fetch", "--no-tags", "--quiet", "--end-of-options"])
            .arg(&self.remote)
            .arg(format!("+{}:{tracking}", source.local_ref()))
            .run()?;
        self.resolve(&tracking)?
            .ok_or_else(|| GitError::RemoteBranchNotFound {
                remote: self.remote.clone(),
                branch: source.to_string(),
            })
    }

    /// The content of `paths` at the head `plan` would build on (its write branch if the
    /// remote has it, else its base), fetched now; `None` for a path the head does not have.
    /// What is deployed is read from here before anything is decided.
    pub fn read_head_files(
        &self,
        plan: &PublishPlan,
        paths: &[String],
    ) -> Result<Vec<Option<String>>, GitError> {
        self.check_remote()?;
        let net = self.credentials.network_env()?;
        let head = self.fetch_parent(plan, &net)?;
        paths
            .iter()
            .map(|path| {
                let out = self
                    .git()
                    .args(["cat-file", "blob", "--end-of-options"])
                    .arg(format!("{head}:{path}"))
                    .output()?;
                Ok(out
                    .success
                    .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
            })
            .collect()
    }

    /// The files of `commit` in a scratch directory.
    fn checkout(&self, commit: &ObjectId) -> Result<Checkout, GitError> {
        let dir = tempfile::Builder::new()
            .prefix("portcullis-render")
            .tempdir()
            .map_err(|source| GitError::Io {
                what: "a scratch checkout directory",
                path: std::env::temp_dir(),
                source,
            })?;
        let checkout = Checkout { dir };
        let tree = checkout.path();
        std::fs::create_dir(&tree).map_err(|source| GitError::Io {
            what: "a scratch checkout directory",
            path: tree.clone(),
            source,
        })?;
        let index = ScratchIndex::new()?;
        self.read_tree(&index, commit)?;
        let mut work_tree = std::ffi::OsString::from("--work-tree=");
        work_tree.push(tree.as_os_str());
        self.git()
            .env("GIT_INDEX_FILE", index.file())
            .arg(work_tree)
            .args(["checkout-index", "--all", "--force"])
            .run()?;
        Ok(checkout)
    }

    /// Pushes local branch `branch` to the same name on the remote, never forced.
    fn push(&self, branch: &BranchName, net: &NetworkEnv) -> Result<Pushed, GitError> {
        let refname = branch.local_ref();
        let spec = format!("{refname}:{refname}");
        let out = self
            .network(net)
            .args(["push", "--porcelain", "--end-of-options"])
            .arg(&self.remote)
            .arg(&spec)
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let status = stdout
            .lines()
            .find(|l| l.split('\t').nth(1) == Some(spec.as_str()));
        match (out.success, status) {
            (true, _) => Ok(Pushed::Accepted),
            (false, Some(line)) if line.starts_with('!') => {
                let summary = line.split('\t').nth(2).unwrap_or_default();
                if summary.starts_with("[rejected]") {
                    Ok(Pushed::Rejected)
                } else {
                    Err(GitError::PushRefused {
                        branch: branch.to_string(),
                        reason: redact(summary),
                    })
                }
            }
            _ => Err(failed("push".to_owned(), &out)),
        }
    }
}
