//! Temporary repositories: a bare remote with one commit on `main`, clones of it, and a
//! `git daemon` serving it on loopback.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::git;

/// A bare repository on disk with `main` holding `apps/app/values.yaml` and `README.md`.
pub(crate) struct Remote {
    pub(crate) root: tempfile::TempDir,
}

impl Remote {
    pub(crate) fn new() -> Self {
        super::require_tools(&["git"]);
        let root = tempfile::tempdir().unwrap();
        git(
            root.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "remote.git",
            ],
        );
        let seed = root.path().join("seed");
        git(
            root.path(),
            &["init", "--quiet", "--initial-branch=main", "seed"],
        );
        configure_user(&seed, "Seeder", "seed@example.test");
        std::fs::create_dir_all(seed.join("apps/app")).unwrap();
        std::fs::write(seed.join("apps/app/values.yaml"), "image:\n  tag: v1\n").unwrap();
        std::fs::write(seed.join("README.md"), "gitops\n").unwrap();
        git(&seed, &["add", "."]);
        git(&seed, &["commit", "--quiet", "-m", "seed"]);
        git(&seed, &["push", "--quiet", "../remote.git", "main"]);
        Self { root }
    }

    /// The bare repository's path.
    pub(crate) fn path(&self) -> PathBuf {
        self.root.path().join("remote.git")
    }

    /// A fresh clone named `name`, with a committer configured.
    pub(crate) fn clone(&self, name: &str) -> PathBuf {
        self.clone_from(&self.path().to_string_lossy(), name)
    }

    /// A clone of `url` named `name`.
    pub(crate) fn clone_from(&self, url: &str, name: &str) -> PathBuf {
        git(self.root.path(), &["clone", "--quiet", url, name]);
        let dir = self.root.path().join(name);
        configure_user(&dir, "Someone Else", "else@example.test");
        dir
    }

    /// The head of `branch` in the remote, if any.
    pub(crate) fn head(&self, branch: &str) -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args([
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/heads/{branch}"),
            ])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// `git args` in the bare remote.
    pub(crate) fn git(&self, args: &[&str]) -> String {
        git(&self.path(), args)
    }
}

/// Commits `content` to `path` in `clone` and pushes `main`: another writer at work.
pub(crate) fn push_other_change(clone: &Path, path: &str, content: &str) {
    git(clone, &["pull", "--quiet", "--ff-only"]);
    let file = clone.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, content).unwrap();
    git(clone, &["add", path]);
    git(
        clone,
        &[
            "commit",
            "--quiet",
            "-m",
            &format!("someone else changes {path}"),
        ],
    );
    git(clone, &["push", "--quiet", "origin", "main"]);
}

fn configure_user(dir: &Path, name: &str, email: &str) {
    git(dir, &["config", "user.name", name]);
    git(dir, &["config", "user.email", email]);
}

/// `git daemon` serving a directory on a free loopback port, push enabled; stopped on drop.
pub(crate) struct GitDaemon {
    child: Child,
    pub(crate) port: u16,
}

impl GitDaemon {
    pub(crate) fn serve(base: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // `git daemon` would fork `git-daemon` and leave it running when killed: start the
        // daemon itself so that dropping this stops it.
        let exec_path = git(base, &["--exec-path"]);
        let child = Command::new(Path::new(exec_path.trim()).join("git-daemon"))
            .arg("--reuseaddr")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg("--export-all")
            .arg("--enable=receive-pack")
            .arg(base)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon must start (run scripts/install-deps.sh)");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "git daemon did not listen on 127.0.0.1:{port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }

    /// The git:// URL of `repo` under the served directory.
    pub(crate) fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
