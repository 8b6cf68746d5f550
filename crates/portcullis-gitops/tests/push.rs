#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `Repository::publish` against real remotes: a bare repository on disk and a `git daemon`
//! on loopback. Another writer's concurrent push is kept and the change rendered again on
//! top of it; a separate `portcullis/...` branch; bounded retries; a process killed at each
//! step of the cycle leaves no partial and, on rerun, no duplicate commit; credentials never
//! show in errors.

mod common;

use std::cell::Cell;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::gpg::GpgHome;
use common::repo::{GitDaemon, Remote, push_other_change};
use common::{bot, error_chain, git};
use portcullis_gitops::git::{
    BranchName, CommitMeta, Credentials, FileChange, GitError, PublishOutcome, PublishPlan,
    Repository, RetryPolicy,
};
use portcullis_gitops::sign::{OpenPgpConfig, OpenPgpKeySource, Signer, SigningConfig};

fn meta() -> CommitMeta {
    CommitMeta::new("build: update app to v2", bot(), bot()).unwrap()
}

fn branch(name: &str) -> BranchName {
    BranchName::new(name).unwrap()
}

fn fast() -> RetryPolicy {
    RetryPolicy::new(4, Duration::from_millis(5), Duration::from_millis(20))
}

/// The render step of a real target: read the file at the given head, change one line.
fn set_tag(worktree: &Path, tag: &str) -> Result<Vec<FileChange>, GitError> {
    let path = "apps/app/values.yaml";
    let current = std::fs::read_to_string(worktree.join(path)).unwrap();
    let updated: String = current
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("tag:") {
                format!("  tag: {tag}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    Ok(vec![FileChange::new(path, updated)?])
}

fn verifies(dir: &Path, home: &GpgHome, rev: &str) -> bool {
    std::process::Command::new("git")
        .current_dir(dir)
        .env("GNUPGHOME", home.path())
        .args(["verify-commit", rev])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn a_concurrent_push_is_kept_and_the_change_rendered_again_on_top() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let ours = remote.clone("portcullis");
    let theirs = remote.clone("someone");
    let repo = Repository::open(&ours).unwrap();
    let plan = PublishPlan::to_branch(branch("main")).with_retry(fast());
    let renders = Cell::new(0);
    let outcome = repo
        .publish(&plan, &meta(), &home.signer(), |worktree| {
            renders.set(renders.get() + 1);
            if renders.get() == 1 {
                // Someone else pushes after our fetch: our first push must be rejected.
                push_other_change(
                    &theirs,
                    "apps/app/values.yaml",
                    "image:\n  tag: v1\nreplicas: 3\n",
                );
            } else {
                let seen = std::fs::read_to_string(worktree.join("apps/app/values.yaml")).unwrap();
                assert!(
                    seen.contains("replicas: 3"),
                    "render did not see the new head: {seen}"
                );
            }
            set_tag(worktree, "v2")
        })
        .unwrap();
    let PublishOutcome::Pushed {
        commit,
        parent,
        attempts,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!((attempts, renders.get()), (2, 2));
    let head = remote.head("main").unwrap();
    assert_eq!(head, commit.as_str());
    assert_eq!(
        parent.as_str(),
        git(&theirs, &["rev-parse", "HEAD"]).trim(),
        "not built on their commit"
    );
    assert_eq!(
        remote.git(&["show", "main:apps/app/values.yaml"]),
        "image:\n  tag: v2\nreplicas: 3\n"
    );
    assert!(
        verifies(&remote.path(), &home, &head),
        "the pushed commit does not verify"
    );
    assert_eq!(
        remote
            .git(&["rev-list", "--count", "--author=bot@example.test", "main"])
            .trim(),
        "1"
    );
}

#[test]
fn publishes_through_git_daemon_over_the_network() {
    common::require_tools(&["git"]);
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let daemon = GitDaemon::serve(remote.root.path());
    let url = daemon.url("remote.git");
    let ours = remote.clone_from(&url, "portcullis");
    let theirs = remote.clone_from(&url, "someone");
    let repo = Repository::open(&ours)
        .unwrap()
        .with_network_timeout(Duration::from_secs(30));
    let plan = PublishPlan::to_branch(branch("main")).with_retry(fast());
    let first = Cell::new(true);
    let outcome = repo
        .publish(&plan, &meta(), &home.signer(), |worktree| {
            if first.replace(false) {
                push_other_change(&theirs, "docs/other.md", "theirs\n");
            }
            set_tag(worktree, "v2")
        })
        .unwrap();
    let PublishOutcome::Pushed {
        commit, attempts, ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(attempts, 2);
    assert_eq!(remote.head("main").unwrap(), commit.as_str());
    assert_eq!(remote.git(&["show", "main:docs/other.md"]), "theirs\n");
    assert_eq!(
        remote.git(&["show", "main:apps/app/values.yaml"]),
        "image:\n  tag: v2\n"
    );
    assert!(verifies(&remote.path(), &home, commit.as_str()));

    // The same change again, over the network: nothing to do.
    let again = repo
        .publish(&plan, &meta(), &home.signer(), |w| set_tag(w, "v2"))
        .unwrap();
    assert_eq!(again, PublishOutcome::Unchanged { head: commit });
}

#[test]
fn a_separate_branch_starts_from_the_base_then_builds_on_itself() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let ours = remote.clone("portcullis");
    let theirs = remote.clone("someone");
    let main_before = remote.head("main").unwrap();
    let repo = Repository::open(&ours).unwrap();
    let plan = PublishPlan::to_separate_branch(branch("main"), branch("portcullis/app"))
        .with_retry(fast());
    let s = home.signer();

    let first = repo
        .publish(&plan, &meta(), &s, |w| set_tag(w, "v2"))
        .unwrap();
    let PublishOutcome::Pushed {
        commit: c1, parent, ..
    } = first
    else {
        panic!("{first:?}")
    };
    assert_eq!(parent.as_str(), main_before);
    assert_eq!(
        remote.head("main").unwrap(),
        main_before,
        "the base branch was written"
    );
    assert_eq!(remote.head("portcullis/app").unwrap(), c1.as_str());

    push_other_change(&theirs, "README.md", "moved on\n");
    let second = repo
        .publish(&plan, &meta(), &s, |w| set_tag(w, "v3"))
        .unwrap();
    let PublishOutcome::Pushed {
        commit: c2, parent, ..
    } = second
    else {
        panic!("{second:?}")
    };
    assert_eq!(parent, c1, "the write branch did not build on itself");
    assert_eq!(remote.head("portcullis/app").unwrap(), c2.as_str());

    let third = repo
        .publish(&plan, &meta(), &s, |w| set_tag(w, "v3"))
        .unwrap();
    assert_eq!(third, PublishOutcome::Unchanged { head: c2 });
}

#[test]
fn a_remote_that_keeps_moving_is_given_up_after_bounded_attempts() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let ours = remote.clone("portcullis");
    let theirs = remote.clone("someone");
    let repo = Repository::open(&ours).unwrap();
    let plan = PublishPlan::to_branch(branch("main")).with_retry(RetryPolicy::new(
        3,
        Duration::from_millis(1),
        Duration::from_millis(2),
    ));
    let renders = Cell::new(0);
    let err = repo
        .publish(&plan, &meta(), &home.signer(), |w| {
            renders.set(renders.get() + 1);
            push_other_change(&theirs, "docs/churn.md", &format!("{}\n", renders.get()));
            set_tag(w, "v2")
        })
        .unwrap_err();
    assert!(
        matches!(err, GitError::Conflict { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.is_transient());
    assert_eq!(renders.get(), 3);
    assert_eq!(remote.git(&["show", "main:docs/churn.md"]), "3\n");
    assert_eq!(
        remote
            .git(&["rev-list", "--count", "--author=bot@example.test", "main"])
            .trim(),
        "0"
    );
}

#[test]
fn a_missing_remote_branch_is_an_error() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let repo = Repository::open(remote.clone("portcullis")).unwrap();
    let plan = PublishPlan::to_branch(branch("release"));
    let err = repo
        .publish(&plan, &meta(), &home.signer(), |w| set_tag(w, "v2"))
        .unwrap_err();
    assert!(
        matches!(err, GitError::RemoteBranchNotFound { .. }),
        "{err}"
    );
}

#[test]
fn a_remote_url_with_a_token_is_refused_without_printing_it() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let ours = remote.clone("portcullis");
    git(
        &ours,
        &[
            "remote",
            "set-url",
            "origin",
            "https://bot:s3cr3t-token@127.0.0.1:9/r.git",
        ],
    );
    let repo = Repository::open(&ours).unwrap();
    let err = repo
        .publish(
            &PublishPlan::to_branch(branch("main")),
            &meta(),
            &home.signer(),
            |w| set_tag(w, "v2"),
        )
        .unwrap_err();
    assert!(
        matches!(err, GitError::CredentialsInRemoteUrl { .. }),
        "{err}"
    );
    assert!(
        !error_chain(&err).contains("s3cr3t"),
        "{}",
        error_chain(&err)
    );
}

/// A loopback HTTP server that demands basic auth, records the `Authorization` headers it
/// gets, and then refuses (403): enough to see what git sends, without a git HTTP backend.
fn auth_recording_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut auth = None;
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some(v) = line.strip_prefix("Authorization: ") {
                    auth = Some(v.trim().to_owned());
                }
                line.clear();
            }
            let response = match auth {
                Some(a) => {
                    record.lock().unwrap().push(a);
                    "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                }
                None => {
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"t\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                }
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (port, seen)
}

#[test]
fn an_https_token_goes_to_the_server_through_askpass_and_nowhere_else() {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let ours = remote.clone("portcullis");
    let (port, seen) = auth_recording_server();
    git(
        &ours,
        &[
            "remote",
            "set-url",
            "origin",
            &format!("http://127.0.0.1:{port}/r.git"),
        ],
    );
    let secrets = tempfile::tempdir().unwrap();
    let token_file = secrets.path().join("token");
    std::fs::write(&token_file, "s3cr3t-token\n").unwrap();
    let repo = Repository::open(&ours)
        .unwrap()
        .with_credentials(Credentials::HttpsToken {
            username: "bot".to_owned(),
            token_file,
        });
    let err = repo
        .publish(
            &PublishPlan::to_branch(branch("main")),
            &meta(),
            &home.signer(),
            |w| set_tag(w, "v2"),
        )
        .unwrap_err();
    // base64("bot:s3cr3t-token")
    assert_eq!(
        seen.lock().unwrap().first().map(String::as_str),
        Some("Basic Ym90OnMzY3IzdC10b2tlbg==")
    );
    let chain = error_chain(&err);
    assert!(matches!(err, GitError::Command { .. }), "{chain}");
    assert!(chain.contains("403"), "{chain}");
    assert!(
        !chain.contains("s3cr3t") && !chain.contains("Ym90OnMzY3IzdC10b2tlbg"),
        "{chain}"
    );
}

// ---- crash safety ----------------------------------------------------------------------

const WORKER: &str = "crash_worker_runs_only_as_a_child_process";

/// Entry point of the child process the crash tests kill: idle in a normal test run.
#[test]
fn crash_worker_runs_only_as_a_child_process() {
    let Ok(clone) = std::env::var("PORTCULLIS_TEST_CRASH_CLONE") else {
        return;
    };
    let program = std::env::var("PORTCULLIS_TEST_CRASH_GIT").unwrap();
    let home = std::env::var("PORTCULLIS_TEST_CRASH_GNUPGHOME").unwrap();
    let fingerprint = std::env::var("PORTCULLIS_TEST_CRASH_KEY").unwrap();
    let passphrase = std::env::var("PORTCULLIS_TEST_CRASH_PASSPHRASE").unwrap();
    let config = OpenPgpConfig::new(OpenPgpKeySource::HomeDir(home.into()), fingerprint)
        .with_passphrase_file(passphrase);
    let signer = Signer::from_config(&SigningConfig::OpenPgp(config), None).unwrap();
    let repo = Repository::open(clone).unwrap().with_git_program(program);
    let _ = repo.publish(
        &PublishPlan::to_branch(branch("main")),
        &meta(),
        &signer,
        |w| set_tag(w, "v2"),
    );
    // The wrapper should have killed this process before it got here.
    std::process::exit(3);
}

/// Runs a publish in a child process whose git wrapper SIGKILLs it when git is about to run
/// with argument `point`, then checks what the crash left and that reruns converge.
fn crash_at(point: &str) {
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let ours = remote.clone("portcullis");
    let before = remote.head("main").unwrap();
    let bin = tempfile::tempdir().unwrap();
    let wrapper = bin.path().join("git-crash");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = \"$PORTCULLIS_TEST_CRASH_AT\" ]; then kill -9 \"$PPID\"; sleep 5; exit 1; fi\ndone\nexec git \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();

    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", WORKER, "--nocapture", "--test-threads=1"])
        .env("PORTCULLIS_TEST_CRASH_CLONE", &ours)
        .env("PORTCULLIS_TEST_CRASH_GIT", &wrapper)
        .env("PORTCULLIS_TEST_CRASH_GNUPGHOME", home.path())
        .env("PORTCULLIS_TEST_CRASH_KEY", &home.fingerprint)
        .env("PORTCULLIS_TEST_CRASH_PASSPHRASE", home.passphrase_file())
        .env("PORTCULLIS_TEST_CRASH_AT", point)
        .output()
        .unwrap();
    assert_eq!(
        status.status.signal(),
        Some(9),
        "the worker was not killed at {point}: {status:?}"
    );

    // What the crash left: the remote untouched, the local branch old or a complete signed commit.
    assert_eq!(remote.head("main").unwrap(), before);
    let local = git(&ours, &["rev-parse", "main"]).trim().to_owned();
    let left_a_commit = local != before;
    assert_eq!(
        left_a_commit,
        point == "push",
        "crash at {point} left main at {local}"
    );
    if left_a_commit {
        assert!(
            verifies(&ours, &home, &local),
            "the commit left by the crash is not complete"
        );
    }
    git(&ours, &["fsck", "--strict", "--no-dangling"]);
    // Each crash point is distinct: only a kill after the object write leaves it unreferenced.
    let unreachable = git(&ours, &["fsck", "--unreachable", "--no-reflogs"]);
    assert_eq!(
        unreachable.contains("unreachable commit"),
        point == "update-ref",
        "crash at {point}: {unreachable}"
    );

    // Rerun: exactly one new commit on the remote; the one the crash left is reused.
    let repo = Repository::open(&ours).unwrap();
    let plan = PublishPlan::to_branch(branch("main"));
    let outcome = repo
        .publish(&plan, &meta(), &home.signer(), |w| set_tag(w, "v2"))
        .unwrap();
    let PublishOutcome::Pushed { commit, .. } = outcome else {
        panic!("{outcome:?}")
    };
    if left_a_commit {
        assert_eq!(
            commit.as_str(),
            local,
            "a second commit was made for the same change"
        );
    }
    assert_eq!(
        remote
            .git(&["rev-list", "--count", &format!("{before}..main")])
            .trim(),
        "1"
    );
    assert!(verifies(&remote.path(), &home, commit.as_str()));

    // And again: nothing.
    let again = repo
        .publish(&plan, &meta(), &home.signer(), |w| set_tag(w, "v2"))
        .unwrap();
    assert_eq!(again, PublishOutcome::Unchanged { head: commit });
}

#[test]
fn killed_before_the_commit_object_is_written() {
    crash_at("commit");
}

#[test]
fn killed_between_writing_the_commit_and_moving_the_branch() {
    crash_at("update-ref");
}

#[test]
fn killed_after_the_commit_before_the_push() {
    crash_at("push");
}
