//! External programs that produce credentials: `ext:` scripts and docker credential helpers
//! (`docker-credential-<name> get`: server address on stdin, JSON on stdout).
//!
//! Programs run directly (no shell), with a timeout, killed when it elapses; their output is
//! capped and never appears in an error or a log.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{CredentialError, Credentials};

/// More output than this is not credentials.
const OUTPUT_LIMIT: usize = 64 * 1024;

/// Why a credential program failed. Never carries its output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// It could not be started (missing, not executable).
    #[error("it cannot be started (check that it exists and is executable)")]
    Spawn(#[source] std::io::Error),
    /// It ran longer than allowed.
    #[error("it did not finish within {}s and was killed", .0.as_secs_f32())]
    Timeout(Duration),
    /// It exited unsuccessfully.
    #[error("it exited with {0} (its output is not shown: it may hold secrets)")]
    Exit(String),
    /// It printed too much.
    #[error("it printed more than {0} bytes, which cannot be credentials")]
    TooMuchOutput(usize),
    /// It printed bytes that are not UTF-8.
    #[error("its output is not UTF-8 text")]
    NotUtf8,
    /// Its output could not be read.
    #[error("its output could not be read")]
    Io(#[source] std::io::Error),
}

/// What a program printed, and how it ended.
pub(super) struct Output {
    pub(super) status: ExitStatus,
    pub(super) stdout: String,
}

/// Runs `program args` with `input` on stdin (or no stdin), within `timeout`.
pub(super) async fn run(
    program: &Path,
    args: &[&str],
    input: Option<&str>,
    timeout: Duration,
) -> Result<Output, CommandError> {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = spawn(&mut command).await?;
    let work = async {
        if let (Some(mut stdin), Some(text)) = (child.stdin.take(), input) {
            // A program that exits without reading its input is judged by its exit status.
            match stdin.write_all(text.as_bytes()).await {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(CommandError::Io(e));
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            stdout
                .take(OUTPUT_LIMIT as u64 + 1)
                .read_to_end(&mut out)
                .await
                .map_err(CommandError::Io)?;
        }
        if out.len() > OUTPUT_LIMIT {
            return Err(CommandError::TooMuchOutput(OUTPUT_LIMIT));
        }
        let status = child.wait().await.map_err(CommandError::Io)?;
        Ok((status, out))
    };
    let (status, out) = tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| CommandError::Timeout(timeout))??;
    let stdout = String::from_utf8(out).map_err(|_| CommandError::NotUtf8)?;
    Ok(Output { status, stdout })
}

/// Starts `command`, retrying briefly while the file is busy: a script that was just
/// written (or is being replaced) can be open for writing in a process forked meanwhile.
async fn spawn(
    command: &mut tokio::process::Command,
) -> Result<tokio::process::Child, CommandError> {
    let mut attempts = 0;
    loop {
        match command.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 5 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => return other.map_err(CommandError::Spawn),
        }
    }
}

/// How an exit status reads in a message.
pub(super) fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("status {code}"),
        None => "a signal".to_owned(),
    }
}

/// Runs an `ext:` script and parses its `user:password` line.
pub(super) async fn run_script(
    script: &Path,
    timeout: Duration,
) -> Result<Credentials, CredentialError> {
    let fail = |source| CredentialError::Command {
        program: script.to_owned(),
        source,
    };
    let out = run(script, &[], None, timeout).await.map_err(fail)?;
    if !out.status.success() {
        return Err(fail(CommandError::Exit(describe_status(out.status))));
    }
    super::user_password(
        out.stdout.trim(),
        &format!("the output of {}", script.display()),
        false,
    )
}

/// Where helpers are looked for, and which helper a docker config names.
pub(super) struct HelperCall<'a> {
    /// The helper name (`desktop` for `docker-credential-desktop`).
    pub(super) helper: &'a str,
    /// What the docker config is called in messages.
    pub(super) config: &'a str,
    /// The server address to ask for.
    pub(super) server: &'a str,
    /// The directories to search.
    pub(super) search_path: &'a [PathBuf],
    /// How long it may run.
    pub(super) timeout: Duration,
}

/// Asks a credential helper; `None` when it has no credentials for the server.
pub(super) async fn ask_helper(
    call: HelperCall<'_>,
) -> Result<Option<Credentials>, CredentialError> {
    let valid_name = !call.helper.is_empty()
        && !call.helper.starts_with('.')
        && call
            .helper
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid_name {
        return Err(CredentialError::HelperName {
            helper: super::printable_kind(call.helper),
            config: call.config.to_owned(),
        });
    }
    let file_name = format!("docker-credential-{}", call.helper);
    let program = call
        .search_path
        .iter()
        .map(|dir| dir.join(&file_name))
        .find(|p| is_executable(p))
        .ok_or_else(|| CredentialError::HelperNotFound {
            helper: call.helper.to_owned(),
            config: call.config.to_owned(),
            searched: std::env::join_paths(call.search_path)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "the search path".to_owned()),
        })?;
    tracing::debug!(
        helper = call.helper,
        server = call.server,
        "asking docker credential helper"
    );
    let fail = |source| CredentialError::Command {
        program: program.clone(),
        source,
    };
    let input = format!("{}\n", call.server);
    let out = run(&program, &["get"], Some(&input), call.timeout)
        .await
        .map_err(fail)?;
    if !out.status.success() {
        // The protocol's way to say "nothing stored for this server".
        if out.stdout.contains("credentials not found") {
            return Ok(None);
        }
        return Err(fail(CommandError::Exit(describe_status(out.status))));
    }
    parse_helper_answer(&out.stdout).map_err(|()| CredentialError::HelperAnswer {
        helper: call.helper.to_owned(),
    })
}

/// Parses `{"ServerURL": ..., "Username": ..., "Secret": ...}`; `None` for an empty secret.
/// The error carries nothing: the answer may hold a secret.
pub(super) fn parse_helper_answer(out: &str) -> Result<Option<Credentials>, ()> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret")]
        secret: String,
    }
    let answer: Answer = serde_json::from_str(out.trim()).map_err(|_| ())?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials::basic(answer.username, answer.secret)))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn helper_answers_basic_and_identity_token() {
        let c = parse_helper_answer(r#"{"ServerURL":"ghcr.io","Username":"me","Secret":"s3cr3t"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(c, Credentials::basic("me", "s3cr3t"));
        let t = parse_helper_answer(r#"{"ServerURL":"x","Username":"<token>","Secret":"refresh"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(t.identity_token(), Some(&Secret::new("refresh")));
        assert_eq!(
            parse_helper_answer(r#"{"ServerURL":"x","Username":"","Secret":""}"#),
            Ok(None)
        );
        assert_eq!(parse_helper_answer("not json s3cr3t"), Err(()));
    }
}
