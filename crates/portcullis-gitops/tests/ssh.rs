#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `Credentials::Ssh` against a real OpenSSH server (Debian's `openssh-server`, started on a
//! loopback port with its own host key and configuration): the pinned key and `known_hosts`
//! get a signed commit pushed; a host key that is not in `known_hosts` (changed, or never
//! seen) and a client key the server does not accept are refused before anything is written.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::gpg::GpgHome;
use common::repo::Remote;
use common::{bot, error_chain, git};
use portcullis_gitops::git::{
    BranchName, CommitMeta, Credentials, FileChange, GitError, PublishOutcome, PublishPlan,
    Repository,
};

const SSHD: &str = "/usr/sbin/sshd";

/// `sshd` in the foreground on a free loopback port; stopped on drop.
struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sshd {
    /// Starts a server that accepts the public half of `client_key` for the current user.
    fn start(client_key: &Path) -> Self {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is required by these tests: run scripts/install-deps.sh (it installs \
             Debian's openssh-server)"
        );
        let dir = tempfile::tempdir().unwrap();
        keygen(&dir.path().join("host_key"));
        std::fs::copy(
            client_key.with_extension("pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap();
        if is_root() {
            // sshd running as root separates privileges and wants this directory.
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.path().display();
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {d}/host_key\n\
                 AuthorizedKeysFile {d}/authorized_keys\nPubkeyAuthentication yes\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPidFile none\n"
            ),
        )
        .unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "sshd did not listen on 127.0.0.1:{port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port, dir }
    }

    /// The `ssh://` URL of a repository on this machine.
    fn url(&self, repository: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            user(),
            self.port,
            repository.display()
        )
    }

    /// A `known_hosts` line for this server's host key.
    fn known_hosts_line(&self) -> String {
        let public = std::fs::read_to_string(self.dir.path().join("host_key.pub")).unwrap();
        let mut fields = public.split_whitespace();
        let (kind, key) = (fields.next().unwrap(), fields.next().unwrap());
        format!("[127.0.0.1]:{} {kind} {key}\n", self.port)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "portcullis-test",
            "-f",
        ])
        .arg(path)
        .output()
        .expect("ssh-keygen (openssh-client) is required: run scripts/install-deps.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn set_tag(_worktree: &Path, tag: &str) -> Result<Vec<FileChange>, GitError> {
    Ok(vec![FileChange::new(
        "apps/app/values.yaml",
        format!("image:\n  tag: {tag}\n"),
    )?])
}

/// A clone of `remote` whose `origin` is the remote over SSH.
fn clone_over_ssh(remote: &Remote, sshd: &Sshd, name: &str) -> PathBuf {
    let clone = remote.clone(name);
    git(
        &clone,
        &["remote", "set-url", "origin", &sshd.url(&remote.path())],
    );
    clone
}

fn publish(
    clone: &Path,
    credentials: Credentials,
    home: &GpgHome,
) -> Result<PublishOutcome, GitError> {
    Repository::open(clone)
        .unwrap()
        .with_credentials(credentials)
        .with_network_timeout(Duration::from_secs(30))
        .publish(
            &PublishPlan::to_branch(BranchName::new("main").unwrap()),
            &CommitMeta::new("build: update app to v2", bot(), bot()).unwrap(),
            &home.signer(),
            |w| set_tag(w, "v2"),
        )
}

#[test]
fn publishes_over_ssh_with_the_pinned_key_and_known_hosts() {
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id_ed25519");
    keygen(&key);
    let sshd = Sshd::start(&key);
    let known_hosts = keys.path().join("known_hosts");
    std::fs::write(&known_hosts, sshd.known_hosts_line()).unwrap();
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let clone = clone_over_ssh(&remote, &sshd, "portcullis");

    let outcome = publish(
        &clone,
        Credentials::Ssh {
            private_key: key,
            known_hosts,
        },
        &home,
    )
    .unwrap_or_else(|e| panic!("{}", error_chain(&e)));
    let PublishOutcome::Pushed { commit, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(remote.head("main").unwrap(), commit.as_str());
    assert_eq!(
        remote.git(&["show", "main:apps/app/values.yaml"]),
        "image:\n  tag: v2\n"
    );
}

#[test]
fn a_host_key_missing_from_known_hosts_is_refused() {
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id_ed25519");
    keygen(&key);
    let sshd = Sshd::start(&key);
    // Another server's key under this server's name (a changed or spoofed host), and an
    // empty file (a host never seen: no trust on first use).
    let other = keys.path().join("other_host_key");
    keygen(&other);
    let other_public = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let mut fields = other_public.split_whitespace();
    let spoofed = format!(
        "[127.0.0.1]:{} {} {}\n",
        sshd.port,
        fields.next().unwrap(),
        fields.next().unwrap()
    );
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let before = remote.head("main").unwrap();
    let clone = clone_over_ssh(&remote, &sshd, "portcullis");
    for (case, contents) in [
        ("changed host key", spoofed),
        ("unknown host", String::new()),
    ] {
        let known_hosts = keys.path().join("known_hosts");
        std::fs::write(&known_hosts, contents).unwrap();
        let err = publish(
            &clone,
            Credentials::Ssh {
                private_key: key.clone(),
                known_hosts: known_hosts.clone(),
            },
            &home,
        )
        .unwrap_err();
        let chain = error_chain(&err);
        assert!(matches!(err, GitError::Command { .. }), "{case}: {chain}");
        assert!(
            chain.contains("Host key verification failed"),
            "{case}: {chain}"
        );
        assert_eq!(remote.head("main").unwrap(), before, "{case}");
        // Nothing was learnt on the way: the file is as it was written.
        let after = std::fs::read_to_string(&known_hosts).unwrap();
        assert!(!after.contains(&sshd.known_hosts_line()), "{case}: {after}");
    }
}

#[test]
fn a_client_key_the_server_does_not_accept_is_refused() {
    let keys = tempfile::tempdir().unwrap();
    let accepted = keys.path().join("accepted");
    keygen(&accepted);
    let sshd = Sshd::start(&accepted);
    let known_hosts = keys.path().join("known_hosts");
    std::fs::write(&known_hosts, sshd.known_hosts_line()).unwrap();
    let stranger = keys.path().join("stranger");
    keygen(&stranger);
    let home = GpgHome::with_key();
    let remote = Remote::new();
    let before = remote.head("main").unwrap();
    let clone = clone_over_ssh(&remote, &sshd, "portcullis");
    let err = publish(
        &clone,
        Credentials::Ssh {
            private_key: stranger.clone(),
            known_hosts,
        },
        &home,
    )
    .unwrap_err();
    let chain = error_chain(&err);
    assert!(chain.contains("Permission denied"), "{chain}");
    assert_eq!(remote.head("main").unwrap(), before);
    // The key's contents never reach the error.
    let private = std::fs::read_to_string(&stranger).unwrap();
    let body = private.lines().nth(1).unwrap();
    assert!(!chain.contains(body), "{chain}");
}
