//! Credentials for fetch and push, handed to git through its environment only.
//!
//! An HTTPS token stays in its file: git asks a small askpass script (written to a private
//! temporary directory, mode 0700) which prints the file; neither the token nor the file's
//! content passes through this process's arguments, logs or errors. Configured credential
//! helpers are switched off for these commands so no other secret is picked up or stored.
//! SSH uses the given key only, against the given `known_hosts` with strict host key
//! checking, never an agent and never a prompt.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::error::GitError;

const ASKPASS_SCRIPT: &str = r#"#!/bin/sh
# Written by Portcullis for one git command: prints the user name or the token file.
case "$1" in
  Username*|username*) printf '%s\n' "$PORTCULLIS_GIT_USERNAME" ;;
  *) cat -- "$PORTCULLIS_GIT_TOKEN_FILE" ;;
esac
"#;

/// How git authenticates to the remote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// None beyond what the remote allows anonymously (and the environment's SSH setup).
    #[default]
    None,
    /// HTTPS basic authentication with a token read from a file at each use.
    HttpsToken {
        /// The user name sent with the token (`x-access-token`, `oauth2`, or the bot's name).
        username: String,
        /// The file holding the token.
        token_file: PathBuf,
    },
    /// SSH with one private key and a pinned `known_hosts`.
    Ssh {
        /// The private key file.
        private_key: PathBuf,
        /// The `known_hosts` file the server's host key must be in.
        known_hosts: PathBuf,
    },
}

/// The environment for one network command, and whatever must live as long as it runs.
#[derive(Debug)]
pub(crate) struct NetworkEnv {
    pub(crate) vars: Vec<(OsString, OsString)>,
    _askpass_dir: Option<tempfile::TempDir>,
}

fn var(k: &str, v: impl Into<OsString>) -> (OsString, OsString) {
    (OsString::from(k), v.into())
}

/// A path inside single quotes for `sh`, refusing what cannot be quoted that way.
fn sh_quote(path: &Path, what: &'static str) -> Result<String, GitError> {
    let s = path.to_str().ok_or_else(|| GitError::InvalidCredentials {
        reason: format!("the {what} path is not UTF-8"),
    })?;
    if s.contains('\'') || s.contains('\n') {
        return Err(GitError::InvalidCredentials {
            reason: format!("the {what} path contains a quote or a newline"),
        });
    }
    Ok(format!("'{s}'"))
}

impl Credentials {
    pub(crate) fn network_env(&self) -> Result<NetworkEnv, GitError> {
        // No configured helper may answer or store anything for these commands.
        let mut vars = vec![
            var("GIT_CONFIG_COUNT", "1"),
            var("GIT_CONFIG_KEY_0", "credential.helper"),
            var("GIT_CONFIG_VALUE_0", ""),
        ];
        let mut askpass_dir = None;
        match self {
            Self::None => {}
            Self::HttpsToken {
                username,
                token_file,
            } => {
                if username.contains('\n') {
                    return Err(GitError::InvalidCredentials {
                        reason: "the user name contains a newline".to_owned(),
                    });
                }
                std::fs::metadata(token_file).map_err(|source| GitError::Io {
                    what: "the token file",
                    path: token_file.clone(),
                    source,
                })?;
                let dir = tempfile::Builder::new()
                    .prefix("portcullis-askpass")
                    .tempdir()
                    .map_err(|source| GitError::Io {
                        what: "a directory for the askpass script",
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let script = dir.path().join("askpass.sh");
                write_executable(&script, ASKPASS_SCRIPT).map_err(|source| GitError::Io {
                    what: "the askpass script",
                    path: script.clone(),
                    source,
                })?;
                vars.push(var("GIT_ASKPASS", script.as_os_str()));
                vars.push(var("PORTCULLIS_GIT_USERNAME", username.as_str()));
                vars.push(var("PORTCULLIS_GIT_TOKEN_FILE", token_file.as_os_str()));
                askpass_dir = Some(dir);
            }
            Self::Ssh {
                private_key,
                known_hosts,
            } => {
                let command = format!(
                    "ssh -i {} -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
                     -o StrictHostKeyChecking=yes -o UserKnownHostsFile={} \
                     -o GlobalKnownHostsFile=/dev/null",
                    sh_quote(private_key, "SSH private key")?,
                    sh_quote(known_hosts, "known_hosts")?,
                );
                vars.push(var("GIT_SSH_COMMAND", command));
                vars.push(var("GIT_SSH_VARIANT", "ssh"));
            }
        }
        Ok(NetworkEnv {
            vars,
            _askpass_dir: askpass_dir,
        })
    }
}

#[cfg(unix)]
fn write_executable(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o700)
        .open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_executable(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(env: &'a NetworkEnv, key: &str) -> Option<&'a OsString> {
        env.vars.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    #[test]
    fn the_askpass_script_prints_the_token_file_and_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "tok-123\n").unwrap();
        let creds = Credentials::HttpsToken {
            username: "bot".to_owned(),
            token_file: token,
        };
        let env = creds.network_env().unwrap();
        let script = PathBuf::from(get(&env, "GIT_ASKPASS").unwrap());
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(!text.contains("tok-123"));
        assert!(
            env.vars
                .iter()
                .all(|(_, v)| !v.to_string_lossy().contains("tok-123"))
        );
        let ask = |prompt: &str| {
            let out = std::process::Command::new(&script)
                .arg(prompt)
                .envs(env.vars.iter().map(|(k, v)| (k, v)))
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(ask("Username for 'https://host': "), "bot\n");
        assert_eq!(ask("Password for 'https://bot@host': "), "tok-123\n");
    }

    #[test]
    fn ssh_pins_the_key_and_known_hosts_with_strict_checking() {
        let creds = Credentials::Ssh {
            private_key: PathBuf::from("/keys/id_ed25519"),
            known_hosts: PathBuf::from("/keys/known_hosts"),
        };
        let env = creds.network_env().unwrap();
        let cmd = get(&env, "GIT_SSH_COMMAND")
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(cmd.contains("-i '/keys/id_ed25519'"), "{cmd}");
        assert!(cmd.contains("StrictHostKeyChecking=yes"), "{cmd}");
        assert!(
            cmd.contains("UserKnownHostsFile='/keys/known_hosts'"),
            "{cmd}"
        );
    }

    #[test]
    fn a_quote_in_a_key_path_is_refused() {
        let creds = Credentials::Ssh {
            private_key: PathBuf::from("/keys/it's"),
            known_hosts: PathBuf::from("/keys/known_hosts"),
        };
        assert!(matches!(
            creds.network_env().unwrap_err(),
            GitError::InvalidCredentials { .. }
        ));
    }
}
