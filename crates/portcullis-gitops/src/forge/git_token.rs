//! A GitHub App installation token for Git over HTTPS. git reads the token from a file at
//! each use (see `Credentials::HttpsToken`); this keeps that file current: minted from the
//! app's private key, rewritten when the cached token is within five minutes of expiry.
//! The file lives in a private temporary directory (mode 0700, the file 0600) and is
//! replaced by rename, so git never reads half a token.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{ForgeError, GitHubApp, Provider};

/// Git's user name for an installation token.
pub const INSTALLATION_TOKEN_USER: &str = "x-access-token";

/// A GitHub App installation token kept in a file for git.
#[derive(Debug)]
pub struct GitHubAppToken {
    app: GitHubApp,
    api: String,
    http: reqwest::Client,
    dir: tempfile::TempDir,
}

impl GitHubAppToken {
    /// Tokens for `app` from the API at `api_url` (GitHub's when `None`).
    pub fn new(app: GitHubApp, api_url: Option<&str>) -> Result<Self, ForgeError> {
        let api = super::api_base(Provider::GitHub, api_url)?;
        let http = super::http_client()?;
        let dir = tempfile::Builder::new()
            .prefix("portcullis-token-")
            .tempdir()
            .map_err(|source| ForgeError::WriteToken {
                path: std::env::temp_dir(),
                source,
            })?;
        Ok(Self {
            app,
            api,
            http,
            dir,
        })
    }

    /// The file git is pointed at (it exists after the first [`Self::refresh`]).
    pub fn token_file(&self) -> PathBuf {
        self.dir.path().join("token")
    }

    /// Makes the file hold a token valid for at least five more minutes.
    pub async fn refresh(&self) -> Result<(), ForgeError> {
        let token = self.app.installation_token(&self.http, &self.api).await?;
        let path = self.token_file();
        write_private(self.dir.path(), &path, token.expose().as_bytes())
            .map_err(|source| ForgeError::WriteToken { path, source })
    }
}

/// Writes `bytes` to `path` through a temporary file in `dir` (created 0600 on Unix, as
/// every `tempfile` file is), renamed into place.
fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.flush()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
