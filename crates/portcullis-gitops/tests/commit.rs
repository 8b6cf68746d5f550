#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `Repository::commit`: exactly one commit with exactly the given changes on top of the
//! branch head, nothing when nothing changes, the clone's index and files untouched, and
//! paths that are not regular files refused.

mod common;

use common::repo::Remote;
use common::{bot, git};
use portcullis_gitops::git::{
    BranchName, CommitMeta, CommitOutcome, FileChange, GitError, Repository,
};
use portcullis_gitops::sign::danger::AllowUnsignedCommits;
use portcullis_gitops::sign::{Signer, SigningConfig};

fn unsigned() -> Signer {
    // Signing is covered by sign_openpgp.rs and sign_x509.rs; these tests are about the tree.
    Signer::from_config(
        &SigningConfig::Unsigned,
        Some(AllowUnsignedCommits::i_accept_unsigned_commits()),
    )
    .unwrap()
}

fn meta(message: &str) -> CommitMeta {
    CommitMeta::new(message, bot(), bot()).unwrap()
}

fn main_branch() -> BranchName {
    BranchName::new("main").unwrap()
}

#[test]
fn one_commit_on_the_head_with_exactly_the_changes() {
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let before = git(&clone, &["rev-parse", "main"]).trim().to_owned();
    let repo = Repository::open(&clone).unwrap();
    let changes = [
        FileChange::new("apps/app/values.yaml", "image:\n  tag: v2@sha256:abc\n").unwrap(),
        FileChange::new("apps/new/.argocd-source-new.yaml", "helm: {}\n").unwrap(),
    ];
    let outcome = repo
        .commit(
            &main_branch(),
            &changes,
            &meta("build: update app to v2"),
            &unsigned(),
        )
        .unwrap();
    let CommitOutcome::Created { commit, parent } = outcome else {
        panic!("expected a commit, got {outcome:?}");
    };
    assert_eq!(parent.as_str(), before);
    assert_eq!(git(&clone, &["rev-parse", "main"]).trim(), commit.as_str());
    assert_eq!(
        git(&clone, &["rev-list", "--count", &format!("{before}..main")]).trim(),
        "1"
    );
    let touched = git(&clone, &["diff", "--name-only", &before, "main"]);
    assert_eq!(
        touched.lines().collect::<Vec<_>>(),
        ["apps/app/values.yaml", "apps/new/.argocd-source-new.yaml"]
    );
    assert_eq!(
        git(&clone, &["show", "main:apps/app/values.yaml"]),
        "image:\n  tag: v2@sha256:abc\n"
    );
    assert_eq!(
        git(
            &clone,
            &["log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", "main"]
        )
        .trim(),
        "Portcullis Bot <bot@example.test>|Portcullis Bot <bot@example.test>|build: update app to v2"
    );
    // git's own consistency check accepts the objects we wrote.
    git(&clone, &["fsck", "--strict", "--no-dangling"]);
    // The clone's index was not used: it still matches the old head.
    assert_eq!(
        git(&clone, &["diff", "--cached", "--name-only", &before]),
        ""
    );
}

#[test]
fn the_same_changes_again_make_no_second_commit() {
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let repo = Repository::open(&clone).unwrap();
    let changes = [FileChange::new("apps/app/values.yaml", "image:\n  tag: v2\n").unwrap()];
    let first = repo
        .commit(&main_branch(), &changes, &meta("update"), &unsigned())
        .unwrap();
    let CommitOutcome::Created { commit, .. } = first else {
        panic!("{first:?}")
    };
    let second = repo
        .commit(&main_branch(), &changes, &meta("update"), &unsigned())
        .unwrap();
    assert_eq!(
        second,
        CommitOutcome::Unchanged {
            head: commit.clone()
        }
    );
    assert_eq!(git(&clone, &["rev-parse", "main"]).trim(), commit.as_str());
}

#[test]
fn content_equal_to_the_head_or_no_changes_make_no_commit() {
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let repo = Repository::open(&clone).unwrap();
    let head = git(&clone, &["rev-parse", "main"]).trim().to_owned();
    let same = [FileChange::new("apps/app/values.yaml", "image:\n  tag: v1\n").unwrap()];
    for changes in [&same[..], &[]] {
        let outcome = repo
            .commit(&main_branch(), changes, &meta("noop"), &unsigned())
            .unwrap();
        let CommitOutcome::Unchanged { head: h } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(h.as_str(), head);
    }
}

#[test]
fn an_executable_file_keeps_its_mode() {
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    git(&clone, &["update-index", "--chmod=+x", "README.md"]);
    git(&clone, &["commit", "--quiet", "-m", "make it executable"]);
    let repo = Repository::open(&clone).unwrap();
    let changes = [FileChange::new("README.md", "#!/bin/sh\n").unwrap()];
    let _ = repo
        .commit(&main_branch(), &changes, &meta("update"), &unsigned())
        .unwrap();
    let entry = git(&clone, &["ls-tree", "main", "README.md"]);
    assert!(entry.starts_with("100755 blob"), "{entry}");
}

#[test]
fn a_symlink_or_a_path_below_a_file_is_refused_and_nothing_is_committed() {
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    std::os::unix::fs::symlink("/etc", clone.join("link")).unwrap();
    git(&clone, &["add", "link"]);
    git(&clone, &["commit", "--quiet", "-m", "a symlink"]);
    let head = git(&clone, &["rev-parse", "main"]);
    let repo = Repository::open(&clone).unwrap();
    for (path, kind) in [
        ("link", "symlink"),
        ("link/passwd", "symlink"),
        ("README.md/x", "file"),
    ] {
        let changes = [FileChange::new(path, "x").unwrap()];
        let err = repo
            .commit(&main_branch(), &changes, &meta("evil"), &unsigned())
            .unwrap_err();
        assert!(
            matches!(err, GitError::NotARegularFile { .. }),
            "{path}: {err}"
        );
        assert!(err.to_string().contains(kind), "{err}");
    }
    assert_eq!(git(&clone, &["rev-parse", "main"]), head);
}

#[test]
fn a_missing_branch_is_an_error_not_a_root_commit() {
    let remote = Remote::new();
    let clone = remote.clone("portcullis");
    let repo = Repository::open(&clone).unwrap();
    let changes = [FileChange::new("a", "b").unwrap()];
    let err = repo
        .commit(
            &BranchName::new("nope").unwrap(),
            &changes,
            &meta("x"),
            &unsigned(),
        )
        .unwrap_err();
    assert!(matches!(err, GitError::BranchNotFound { .. }), "{err}");
}

#[test]
fn commits_in_a_bare_clone_too() {
    let remote = Remote::new();
    git(
        remote.root.path(),
        &["clone", "--quiet", "--bare", "remote.git", "bare.git"],
    );
    let repo = Repository::open(remote.root.path().join("bare.git")).unwrap();
    let changes = [FileChange::new("apps/app/values.yaml", "image:\n  tag: v3\n").unwrap()];
    let outcome = repo
        .commit(&main_branch(), &changes, &meta("update"), &unsigned())
        .unwrap();
    assert!(
        matches!(outcome, CommitOutcome::Created { .. }),
        "{outcome:?}"
    );
}

#[test]
fn not_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Repository::open(dir.path()).unwrap_err();
    assert!(matches!(err, GitError::Command { .. }), "{err}");
}
