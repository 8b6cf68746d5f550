//! One signed commit from a set of file changes, built object by object as `git commit -S`
//! would, and recorded by a compare-and-swap on the branch ref.
//!
//! The tree is built in a private index (the clone's own index and work tree are never
//! touched): the parent's tree is read, each change is hashed as a blob (with the clean
//! filters `.gitattributes` asks for, as `git add` would) and entered with its existing mode.
//! The unsigned commit text is signed detached and the signature inserted as the `gpgsig`
//! header (`gpgsig-sha256` in SHA-256 repositories) exactly where git puts it, so `git
//! verify-commit` checks the same bytes.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use super::command::failed;
use super::error::GitError;
use super::types::{CommitMeta, FileChange, Identity, ObjectId};
use super::{BranchName, Repository};
use crate::sign::Signer;

/// What [`Repository::commit`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum CommitOutcome {
    /// A new signed commit is the branch head.
    Created {
        /// The new commit.
        commit: ObjectId,
        /// The head it was made on.
        parent: ObjectId,
    },
    /// The branch already had this content: nothing was committed.
    Unchanged {
        /// The branch head, unchanged.
        head: ObjectId,
    },
}

/// A private index file, removed with its directory on drop.
pub(crate) struct ScratchIndex {
    dir: tempfile::TempDir,
}

impl ScratchIndex {
    pub(crate) fn new() -> Result<Self, GitError> {
        let dir = tempfile::Builder::new()
            .prefix("portcullis-index")
            .tempdir()
            .map_err(|source| GitError::Io {
                what: "a scratch index directory",
                path: std::env::temp_dir(),
                source,
            })?;
        Ok(Self { dir })
    }

    pub(crate) fn file(&self) -> std::path::PathBuf {
        self.dir.path().join("index")
    }
}

fn signature_line(who: &Identity, secs: i64) -> String {
    format!("{} <{}> {secs} +0000", who.name(), who.email())
}

/// Inserts `signature` as header `name` at the end of the commit's headers, one line per
/// signature line, continuation lines prefixed by a space (git's `add_header_signature`).
fn insert_signature(commit: &str, name: &str, signature: &str) -> String {
    let end_of_headers = commit.find("\n\n").map_or(commit.len(), |i| i + 1);
    let mut header = String::with_capacity(signature.len() + 64);
    for (i, line) in signature.split_inclusive('\n').enumerate() {
        if i == 0 {
            header.push_str(name);
        }
        header.push(' ');
        header.push_str(line);
    }
    if !header.ends_with('\n') {
        header.push('\n');
    }
    let mut out = String::with_capacity(commit.len() + header.len());
    out.push_str(&commit[..end_of_headers]);
    out.push_str(&header);
    out.push_str(&commit[end_of_headers..]);
    out
}

/// git's mode of a regular file, from what `ls-tree` reported, or why it is refused.
fn mode_for(path: &str, existing: Option<&str>) -> Result<&'static str, GitError> {
    let refused = |kind| GitError::NotARegularFile {
        path: path.to_owned(),
        kind,
    };
    match existing {
        None | Some("100644") => Ok("100644"),
        Some("100755") => Ok("100755"),
        Some("120000") => Err(refused("symlink")),
        Some("160000") => Err(refused("submodule")),
        Some(_) => Err(refused("directory")),
    }
}

impl Repository {
    /// Makes one signed commit with `changes` on top of local branch `branch` and moves the
    /// branch to it. Nothing is committed when the head already has that content.
    pub fn commit(
        &self,
        branch: &BranchName,
        changes: &[FileChange],
        meta: &CommitMeta,
        signer: &Signer,
    ) -> Result<CommitOutcome, GitError> {
        let head = self
            .branch_head(branch)?
            .ok_or_else(|| GitError::BranchNotFound {
                branch: branch.to_string(),
                repo: self.dir.clone(),
            })?;
        let Some(tree) = self.tree_with_changes(&head, changes)? else {
            tracing::debug!(%branch, %head, "no change to commit");
            return Ok(CommitOutcome::Unchanged { head });
        };
        let commit = self.write_commit(&tree, &head, meta, signer)?;
        self.move_ref(&branch.local_ref(), &commit, Some(&head))?;
        tracing::info!(%branch, %commit, parent = %head, "signed commit recorded");
        Ok(CommitOutcome::Created {
            commit,
            parent: head,
        })
    }

    /// The tree of `commit`.
    pub(crate) fn tree_of(&self, commit: &ObjectId) -> Result<ObjectId, GitError> {
        let out = self
            .git()
            .args(["rev-parse", "--verify", "--end-of-options"])
            .arg(format!("{commit}^{{tree}}"))
            .run()?;
        ObjectId::parse(&out.stdout_trimmed())
    }

    /// The parents of `commit`.
    pub(crate) fn parents_of(&self, commit: &ObjectId) -> Result<Vec<ObjectId>, GitError> {
        let out = self
            .git()
            .args(["rev-list", "--parents", "-n", "1", "--end-of-options"])
            .arg(commit.as_str())
            .run()?;
        out.stdout_trimmed()
            .split_whitespace()
            .skip(1)
            .map(ObjectId::parse)
            .collect()
    }

    /// Reads the tree of `parent` into a scratch index (`index`).
    pub(crate) fn read_tree(
        &self,
        index: &ScratchIndex,
        parent: &ObjectId,
    ) -> Result<(), GitError> {
        self.git()
            .env("GIT_INDEX_FILE", index.file())
            .args(["read-tree", "--end-of-options"])
            .arg(parent.as_str())
            .run()?;
        Ok(())
    }

    /// The tree `parent` has with `changes` applied, `None` when that is `parent`'s tree.
    pub(crate) fn tree_with_changes(
        &self,
        parent: &ObjectId,
        changes: &[FileChange],
    ) -> Result<Option<ObjectId>, GitError> {
        let mut by_path = BTreeMap::new();
        for change in changes {
            if let Some(previous) = by_path.insert(change.path.as_str(), &change.contents)
                && previous != &change.contents
            {
                return Err(GitError::InvalidPath {
                    path: change.path.to_string(),
                    reason: "changed twice with different contents in one commit",
                });
            }
        }
        if by_path.is_empty() {
            return Ok(None);
        }
        let modes = self.modes_in(parent, by_path.keys().copied())?;
        let index = ScratchIndex::new()?;
        self.read_tree(&index, parent)?;
        let mut entries = Vec::new();
        for (path, contents) in &by_path {
            let mode = mode_for(path, modes.get(*path).map(String::as_str))?;
            let blob = self
                .git()
                .args(["hash-object", "-w", "--stdin", "--path"])
                .arg(path)
                .stdin(contents.as_slice())
                .run()?;
            let blob = ObjectId::parse(&blob.stdout_trimmed())?;
            entries.extend_from_slice(format!("{mode} {blob}\t{path}\0").as_bytes());
        }
        self.git()
            .env("GIT_INDEX_FILE", index.file())
            .args(["update-index", "-z", "--add", "--index-info"])
            .stdin(entries)
            .run()?;
        let tree = self
            .git()
            .env("GIT_INDEX_FILE", index.file())
            .arg("write-tree")
            .run()?;
        let tree = ObjectId::parse(&tree.stdout_trimmed())?;
        if tree == self.tree_of(parent)? {
            Ok(None)
        } else {
            Ok(Some(tree))
        }
    }

    /// The modes `ls-tree` reports in `parent` for `paths` and all their parent directories;
    /// refuses a path below something that is not a directory.
    fn modes_in<'a>(
        &self,
        parent: &ObjectId,
        paths: impl Iterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, String>, GitError> {
        let mut queried = Vec::new();
        for path in paths {
            let mut prefix = String::new();
            for component in path.split('/') {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(component);
                queried.push(prefix.clone());
            }
        }
        let out = self
            .git()
            .args(["ls-tree", "-z", "--full-tree", "--end-of-options"])
            .arg(parent.as_str())
            .arg("--")
            .args(&queried)
            .run()?;
        let mut modes = BTreeMap::new();
        for record in out.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let record = String::from_utf8_lossy(record);
            let Some((meta, path)) = record.split_once('\t') else {
                return Err(GitError::UnexpectedOutput {
                    subcommand: "ls-tree",
                    output: record.chars().take(80).collect(),
                });
            };
            let mode = meta.split(' ').next().unwrap_or_default();
            modes.insert(path.to_owned(), mode.to_owned());
        }
        for path in &queried {
            if let Some(mode) = modes.get(path)
                && mode != "040000"
                && queried.iter().any(|q| q.starts_with(&format!("{path}/")))
            {
                return Err(GitError::NotARegularFile {
                    path: path.clone(),
                    kind: if mode == "120000" {
                        "symlink"
                    } else {
                        "file, where a directory is needed"
                    },
                });
            }
        }
        Ok(modes)
    }

    /// Writes the signed commit object for `tree` on `parent` and returns its id. Nothing
    /// refers to it yet.
    pub(crate) fn write_commit(
        &self,
        tree: &ObjectId,
        parent: &ObjectId,
        meta: &CommitMeta,
        signer: &Signer,
    ) -> Result<ObjectId, GitError> {
        let secs = meta.time.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        });
        let unsigned = format!(
            "tree {tree}\nparent {parent}\nauthor {}\ncommitter {}\n\n{}",
            signature_line(&meta.author, secs),
            signature_line(&meta.committer, secs),
            meta.message,
        );
        let text = match signer.sign(unsigned.as_bytes()).map_err(GitError::Sign)? {
            Some(signature) => {
                let header = match self.object_format()?.as_str() {
                    "sha256" => "gpgsig-sha256",
                    _ => "gpgsig",
                };
                insert_signature(&unsigned, header, signature.armored())
            }
            None => unsigned,
        };
        let out = self
            .git()
            .args(["hash-object", "-t", "commit", "-w", "--stdin"])
            .stdin(text)
            .run()?;
        ObjectId::parse(&out.stdout_trimmed())
    }

    fn object_format(&self) -> Result<String, GitError> {
        Ok(self
            .git()
            .args(["rev-parse", "--show-object-format"])
            .run()?
            .stdout_trimmed())
    }

    /// Moves `refname` to `new` if it is at `old` (`None`: if it does not exist), atomically.
    pub(crate) fn move_ref(
        &self,
        refname: &str,
        new: &ObjectId,
        old: Option<&ObjectId>,
    ) -> Result<(), GitError> {
        let out = self
            .git()
            .args(["update-ref", "-m", "portcullis: signed write-back", refname])
            .arg(new.as_str())
            .arg(old.map_or("", ObjectId::as_str))
            .output()?;
        if out.success {
            return Ok(());
        }
        if self.resolve(refname)?.as_ref() != old {
            return Err(GitError::RefMoved {
                refname: refname.to_owned(),
            });
        }
        Err(failed("update-ref".to_owned(), &out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_goes_after_the_last_header_with_continuation_spaces() {
        let commit = "tree t\nparent p\nauthor a\ncommitter c\n\nmsg\n\nbody\n";
        let sig = "-----BEGIN X-----\n\nabc\n-----END X-----\n";
        assert_eq!(
            insert_signature(commit, "gpgsig", sig),
            "tree t\nparent p\nauthor a\ncommitter c\n\
             gpgsig -----BEGIN X-----\n \n abc\n -----END X-----\n\nmsg\n\nbody\n"
        );
    }

    #[test]
    fn only_regular_files_are_written() {
        assert_eq!(mode_for("a", None).unwrap(), "100644");
        assert_eq!(mode_for("a", Some("100755")).unwrap(), "100755");
        for mode in ["120000", "160000", "040000"] {
            assert!(matches!(
                mode_for("a", Some(mode)),
                Err(GitError::NotARegularFile { .. })
            ));
        }
    }
}
