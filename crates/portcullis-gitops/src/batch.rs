//! One commit for every update to one repository and branch in one cycle: the changes of
//! every application there rendered against the checked-out head (files several
//! applications share are edited in turn), and one message listing them all, with the
//! machine-readable trailer block.
//!
//! [`render`] is what [`crate::git::Repository::publish`] calls on each attempt, so after a
//! rejected push the changes are rendered again on the new head, never rebased as text.

use std::collections::BTreeMap;
use std::path::Path;

use crate::git::FileChange;
use crate::target::{
    ChangeError, EditError, ExistingFile, ImageChange, Pinning, WriteBackTarget, read_deployed,
    write_back,
};
use crate::template::{
    ChangeSummary, Template, append_trailers, commit_message, fallback_commit_message,
};

/// One application's verified changes and where they go.
#[derive(Debug)]
pub struct AppWrite<'a> {
    /// The application's name.
    pub app: String,
    /// Its resolved write-back target.
    pub target: WriteBackTarget,
    /// Its changes; each holds a [`portcullis_verify::VerifiedImage`].
    pub changes: Vec<ImageChange<'a>>,
    /// How its images are pinned (tag and digest, or digest only).
    pub pinning: Pinning,
}

/// Why a batch could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// A target file could not be read from the checkout.
    #[error("cannot read {path} from the checkout")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A target could not be edited.
    #[error("application '{app}': cannot write its target")]
    Edit {
        /// The application.
        app: String,
        /// Why.
        #[source]
        source: EditError,
    },
    /// A path the git layer refuses.
    #[error("{path}: {source}")]
    Path {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: crate::git::GitError,
    },
    /// The file no longer records what the decision was made against: someone changed it
    /// since (a newer image, a pin). Nothing is written; the next cycle decides again.
    #[error(
        "application '{app}': {path} now records {found} for {image}, not the {expected} the update was decided against"
    )]
    Stale {
        /// The application.
        app: String,
        /// The file.
        path: String,
        /// The image.
        image: String,
        /// What the decision saw.
        expected: String,
        /// What the file records now.
        found: String,
    },
    /// A change that does not fit its image.
    #[error("application '{app}': {source}")]
    Change {
        /// The application.
        app: String,
        /// Why.
        #[source]
        source: ChangeError,
    },
}

/// The largest target file read: values files and kustomizations are kilobytes.
const MAX_TARGET_FILE: u64 = 4 * 1024 * 1024;

/// A target file of the checkout, read only when it and every directory on its way are
/// what they say (a symlink committed by anyone who can push could point at `/dev/zero` or
/// at a file of this host) and it is of a sane size.
fn read_target(worktree: &Path, relative: &str) -> std::io::Result<String> {
    let refuse = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let mut path = worktree.to_path_buf();
    for part in Path::new(relative).components() {
        path.push(part);
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            return Err(refuse(format!(
                "{} is a symbolic link; write-back follows none",
                path.strip_prefix(worktree).unwrap_or(&path).display()
            )));
        }
    }
    let meta = std::fs::symlink_metadata(&path)?;
    if !meta.is_file() {
        return Err(refuse(format!("{relative} is not a regular file")));
    }
    if meta.len() > MAX_TARGET_FILE {
        return Err(refuse(format!(
            "{relative} is {} bytes, more than the {MAX_TARGET_FILE} a target file may be",
            meta.len()
        )));
    }
    std::fs::read_to_string(&path)
}

/// The file changes of every application in `apps` against the checkout in `worktree`.
pub fn render(worktree: &Path, apps: &[AppWrite<'_>]) -> Result<Vec<FileChange>, BatchError> {
    // path -> content as edited so far in this batch (None: absent in the checkout).
    let mut files: BTreeMap<String, (Option<String>, String)> = BTreeMap::new();
    for app in apps {
        if app.changes.is_empty() {
            continue;
        }
        let mut found = None;
        for candidate in app.target.candidate_files() {
            if let Some((_, now)) = files.get(&candidate) {
                found = Some((candidate.clone(), Some(now.clone())));
                break;
            }
            match read_target(worktree, &candidate) {
                Ok(text) => {
                    found = Some((candidate, Some(text)));
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(BatchError::Read {
                        path: candidate,
                        source,
                    });
                }
            }
        }
        let existing = found
            .as_ref()
            .and_then(|(path, text)| text.as_deref().map(|t| ExistingFile { path, content: t }));
        if let Some(file) = &existing {
            check_not_stale(app, file)?;
        }
        let edit =
            write_back(&app.target, existing, &app.changes, app.pinning).map_err(|source| {
                BatchError::Edit {
                    app: app.app.clone(),
                    source,
                }
            })?;
        let original = files
            .get(edit.path())
            .map(|(o, _)| o.clone())
            .unwrap_or_else(|| edit.before().map(str::to_owned));
        files.insert(
            edit.path().to_owned(),
            (original, edit.content().to_owned()),
        );
    }
    let mut changes = Vec::new();
    for (path, (before, after)) in files {
        if before.as_deref() == Some(after.as_str()) {
            continue;
        }
        changes.push(
            FileChange::new(&path, after).map_err(|source| BatchError::Path {
                path: path.clone(),
                source,
            })?,
        );
    }
    Ok(changes)
}

/// Refuses to write over a file that changed since the decision: what it records for each
/// image must still be what the change says it moves from (after a rejected push the
/// changes are rendered on the new head, which someone else wrote).
fn check_not_stale(app: &AppWrite<'_>, file: &ExistingFile<'_>) -> Result<(), BatchError> {
    for change in &app.changes {
        let deployed = read_deployed(
            &app.target,
            file.content,
            &change.image(),
            change.placement(),
        )
        .unwrap_or_default();
        let old_tag = change.old_tag().filter(|t| !t.is_empty());
        let old_digest = change.old_digest().map(ToString::to_string);
        let tag_moved = old_tag.is_some() && deployed.tag.as_deref() != old_tag;
        let digest_moved = old_digest.is_some() && deployed.digest != old_digest;
        let appeared = old_tag.is_none()
            && old_digest.is_none()
            && (deployed.tag.is_some() || deployed.digest.is_some());
        if tag_moved || digest_moved || appeared {
            let show = |tag: Option<&str>, digest: Option<&str>| match (tag, digest) {
                (None, None) => "nothing".to_owned(),
                (t, d) => format!(
                    "{}{}",
                    t.unwrap_or(""),
                    d.map(|d| format!("@{d}")).unwrap_or_default()
                ),
            };
            return Err(BatchError::Stale {
                app: app.app.clone(),
                path: file.path.to_owned(),
                image: change.image(),
                expected: show(old_tag, old_digest.as_deref()),
                found: show(deployed.tag.as_deref(), deployed.digest.as_deref()),
            });
        }
    }
    Ok(())
}

/// The commit message: each application's message from `template` (Image Updater's default
/// when `None`; its fallback when rendering fails), then the trailer block for every change
/// and the policy revision.
pub fn message(apps: &[AppWrite<'_>], template: Option<&Template>, policy_hash: &str) -> String {
    let default = Template::parse("commit-message", crate::template::DEFAULT_COMMIT_MESSAGE).ok();
    let template = template.or(default.as_ref());
    let mut parts = Vec::new();
    let mut all = Vec::new();
    for app in apps.iter().filter(|a| !a.changes.is_empty()) {
        let summaries: Vec<ChangeSummary> = app.changes.iter().map(ChangeSummary::from).collect();
        let rendered = template.map(|t| commit_message(t, &app.app, &summaries));
        let text = match rendered {
            Some(Ok(text)) => text,
            Some(Err(e)) => {
                // The commit still gets a message (and its trailers); the mistake is said.
                tracing::warn!(app = %app.app, error = %e,
                    "the commit message template failed to render; the plain message is used");
                fallback_commit_message(&app.app)
            }
            None => fallback_commit_message(&app.app),
        };
        parts.push(text.trim_end().to_owned());
        all.extend(summaries);
    }
    let body = if parts.len() > 1 {
        format!(
            "build: automatic update of {} applications\n\n{}",
            parts.len(),
            parts.join("\n\n")
        )
    } else {
        parts.pop().unwrap_or_default()
    };
    append_trailers(&body, &all, policy_hash)
}
