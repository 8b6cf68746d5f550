//! Running the `git` CLI: one place that sets the environment, feeds stdin, reads both
//! pipes, bounds network commands by a timeout and turns failures into [`GitError`]s whose
//! text has credentials masked.
//!
//! Every invocation starts from the caller's environment less the variables that would point
//! git elsewhere (`GIT_DIR`, `GIT_INDEX_FILE`, inherited `GIT_CONFIG_*`, askpass and ssh
//! overrides), with `LC_ALL=C` so output is parseable and `GIT_TERMINAL_PROMPT=0` so git never
//! waits for a human. Arguments never carry secrets: credentials reach git through the
//! environment set by [`super::credentials`].

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::GitError;
use super::redact::redact;

/// Variables git reads that must not leak in from the process environment: they would
/// point git at another repository, configuration, identity or credential helper.
pub(crate) const SCRUBBED_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_DATE",
];

/// How long stderr may be in an error message.
const MAX_STDERR: usize = 2000;

/// One git invocation, built up and then run.
#[derive(Debug)]
pub(crate) struct GitCommand {
    program: PathBuf,
    dir: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    timeout: Option<Duration>,
}

/// What a finished invocation printed.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) success: bool,
    pub(crate) status: String,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: String,
}

impl Output {
    pub(crate) fn stdout_trimmed(&self) -> String {
        String::from_utf8_lossy(&self.stdout).trim().to_owned()
    }
}

impl GitCommand {
    pub(crate) fn new(program: &Path, dir: &Path) -> Self {
        Self {
            program: program.to_path_buf(),
            dir: dir.to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            timeout: None,
        }
    }

    pub(crate) fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub(crate) fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub(crate) fn envs(mut self, vars: &[(OsString, OsString)]) -> Self {
        self.env.extend(vars.iter().cloned());
        self
    }

    pub(crate) fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The subcommand, for messages: the first argument that is not an option.
    fn subcommand(&self) -> String {
        self.args
            .iter()
            .map(|a| a.to_string_lossy())
            .find(|a| !a.starts_with('-'))
            .map(|a| a.into_owned())
            .unwrap_or_default()
    }

    /// Runs and returns the output whatever the exit status.
    pub(crate) fn output(self) -> Result<Output, GitError> {
        let subcommand = self.subcommand();
        tracing::trace!(%subcommand, dir = %self.dir.display(), "git");
        let mut cmd = Command::new(&self.program);
        cmd.arg("-C").arg(&self.dir).args(&self.args);
        for var in SCRUBBED_ENV {
            cmd.env_remove(var);
        }
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GIT_CONFIG_KEY_")
                || key.to_string_lossy().starts_with("GIT_CONFIG_VALUE_")
            {
                cmd.env_remove(key);
            }
        }
        cmd.env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| GitError::Spawn {
            program: self.program.clone(),
            source,
        })?;
        let writer = child.stdin.take().map(|mut pipe| {
            let bytes = self.stdin.clone().unwrap_or_default();
            std::thread::spawn(move || {
                // A child that exits early closes the pipe; its status tells what happened.
                let _ = pipe.write_all(&bytes);
            })
        });
        let stdout = child.stdout.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.read_to_end(&mut buf);
                buf
            })
        });
        let stderr = child.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.read_to_end(&mut buf);
                buf
            })
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(source) => {
                    return Err(GitError::Spawn {
                        program: self.program.clone(),
                        source,
                    });
                }
            }
            if let Some(limit) = self.timeout
                && started.elapsed() > limit
            {
                let _ = child.kill();
                let _ = child.wait();
                return Err(GitError::Timeout {
                    subcommand,
                    after: limit,
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stdout = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
        let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
        Ok(Output {
            success: status.success(),
            status: status.to_string(),
            stdout,
            stderr: redact(&String::from_utf8_lossy(&stderr)),
        })
    }

    /// Runs and fails unless git exits 0.
    pub(crate) fn run(self) -> Result<Output, GitError> {
        let subcommand = self.subcommand();
        let out = self.output()?;
        if out.success {
            Ok(out)
        } else {
            Err(failed(subcommand, &out))
        }
    }
}

/// The error for a git invocation that exited non-zero.
pub(crate) fn failed(subcommand: String, out: &Output) -> GitError {
    let mut stderr = out.stderr.trim().to_owned();
    if stderr.len() > MAX_STDERR {
        let mut cut = MAX_STDERR;
        while !stderr.is_char_boundary(cut) {
            cut -= 1;
        }
        stderr.truncate(cut);
        stderr.push('…');
    }
    GitError::Command {
        subcommand,
        status: out.status.clone(),
        stderr,
    }
}
