//! A real registry for tests: Debian's `docker-registry` (distribution 2.8) on an
//! ephemeral loopback port, with its own storage directory, killed on drop.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const BINARY: &str = "/usr/bin/docker-registry";

/// A running registry.
#[derive(Debug)]
pub struct TestRegistry {
    child: Child,
    port: u16,
    _dir: TempDir,
    /// Basic-auth user and password, when started with [`TestRegistry::start_with_htpasswd`].
    pub credentials: Option<(String, String)>,
}

impl TestRegistry {
    /// Starts an anonymous registry. Panics (naming the fix) when the binary is missing.
    pub fn start() -> Self {
        Self::launch(None)
    }

    /// Starts a registry that requires basic auth (`htpasswd` from apache2-utils).
    pub fn start_with_htpasswd(user: &str, password: &str) -> Self {
        Self::launch(Some((user.to_owned(), password.to_owned())))
    }

    fn launch(credentials: Option<(String, String)>) -> Self {
        assert!(
            std::path::Path::new(BINARY).exists(),
            "{BINARY} not found: install Debian's docker-registry package (./scripts/test.sh does)"
        );
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir");
            let port = free_port();
            let mut auth = String::new();
            if let Some((user, password)) = &credentials {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", user, password])
                    .output()
                    .expect("htpasswd not found: install apache2-utils (./scripts/test.sh does)");
                assert!(out.status.success(), "htpasswd failed");
                let file = dir.path().join("htpasswd");
                std::fs::write(&file, out.stdout).expect("write htpasswd");
                auth = format!(
                    "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                    file.display()
                );
            }
            let config = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
                dir.path().join("storage").display()
            );
            let config_path: PathBuf = dir.path().join("config.yml");
            std::fs::write(&config_path, config).expect("write registry config");
            let child = Command::new(BINARY)
                .arg("serve")
                .arg(&config_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start docker-registry");
            let mut reg = Self {
                child,
                port,
                _dir: dir,
                credentials: credentials.clone(),
            };
            if reg.wait_ready(Duration::from_secs(10)) {
                return reg;
            }
            let _ = reg.child.kill();
        }
        panic!("docker-registry did not start on a loopback port after 5 tries");
    }

    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false; // exited: port clash or bad config
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
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

/// A free loopback port (bound, then released; callers retry on a clash).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}
