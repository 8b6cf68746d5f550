//! A real registry for tests: Debian's `docker-registry` (distribution 2.8) on an
//! ephemeral loopback port, with its own storage directory, deletes enabled, killed on drop.
//!
//! Distribution 2.8 ignores `n` on tag listing and sends no `Link` header, never answers
//! `429`, and its token auth needs a JWT-signing token service: for those behaviours see
//! [`crate::fakes`].

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const BINARY: &str = "/usr/bin/docker-registry";
const HTPASSWD: &str = "/usr/bin/htpasswd";
const START_TRIES: usize = 5;

/// A running registry.
#[derive(Debug)]
pub struct TestRegistry {
    child: Child,
    port: u16,
    dir: TempDir,
    /// Basic-auth user and password, when started with [`TestRegistry::start_with_htpasswd`].
    pub credentials: Option<(String, String)>,
}

impl TestRegistry {
    /// Starts an anonymous registry. Panics (naming the fix) when the binary is missing.
    pub fn start() -> Self {
        Self::launch(None)
    }

    /// Starts a registry that requires basic auth, its htpasswd file made with
    /// `htpasswd -Bbn` (bcrypt, as distribution requires).
    pub fn start_with_htpasswd(user: &str, password: &str) -> Self {
        Self::launch(Some((user.to_owned(), password.to_owned())))
    }

    fn launch(credentials: Option<(String, String)>) -> Self {
        assert!(
            Path::new(BINARY).exists(),
            "{BINARY} not found: install Debian's docker-registry package (scripts/test.sh does)"
        );
        let mut last_log = String::new();
        for _ in 0..START_TRIES {
            let dir = tempfile::tempdir().expect("temp dir");
            let port = free_port();
            let auth = match &credentials {
                Some((user, password)) => htpasswd_section(dir.path(), user, password),
                None => String::new(),
            };
            let config = format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
                dir.path().join("storage").display()
            );
            let config_path: PathBuf = dir.path().join("config.yml");
            std::fs::write(&config_path, config).expect("write registry config");
            let log = std::fs::File::create(dir.path().join("registry.log")).expect("log file");
            let child = Command::new(BINARY)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {BINARY}: {e}"));
            let mut reg = Self {
                child,
                port,
                dir,
                credentials: credentials.clone(),
            };
            if reg.wait_ready(Duration::from_secs(15)) {
                return reg;
            }
            last_log = reg.log_tail();
            let _ = reg.child.kill();
            let _ = reg.child.wait();
        }
        panic!(
            "docker-registry did not answer GET /v2/ on a loopback port after {START_TRIES} tries; its last log:\n{last_log}"
        );
    }

    /// Waits until `GET /v2/` answers `200` or `401` from our process (a clash on the port
    /// makes it exit, which ends the wait early).
    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Some(status) = http_status(self.port, "/v2/")
                && (status == 200 || status == 401)
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// `127.0.0.1:<port>`, the registry host images name.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>`, the API base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A pusher for this registry (with its basic credentials, if any).
    pub fn pusher(&self) -> crate::Pusher {
        crate::Pusher::new(&self.url(), self.credentials.clone())
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn htpasswd_section(dir: &Path, user: &str, password: &str) -> String {
    let out = Command::new(HTPASSWD)
        .args(["-Bbn", user, password])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{HTPASSWD} not found ({e}): install Debian's apache2-utils (scripts/test.sh does)"
            )
        });
    assert!(
        out.status.success(),
        "htpasswd failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.join("htpasswd");
    std::fs::write(&file, out.stdout).expect("write htpasswd");
    format!(
        "auth:\n  htpasswd:\n    realm: portcullis-test\n    path: {}\n",
        file.display()
    )
}

/// The status code of `GET <path>` on `127.0.0.1:<port>`, by hand (no runtime needed).
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// A free loopback port (bound, then released; callers retry on a clash).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}
