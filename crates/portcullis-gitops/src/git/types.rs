//! The validated values a commit is made of: repository paths, branch names, identities,
//! object ids, file changes and commit metadata. Each is checked once when built.

use std::fmt;

use super::error::GitError;

/// A file path relative to the repository root: `/`-separated, no empty, `.` or `..`
/// components, nothing inside `.git`, no NUL or newline.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoPath(String);

impl RepoPath {
    /// Checks `path`.
    pub fn new(path: &str) -> Result<Self, GitError> {
        let invalid = |reason: &'static str| GitError::InvalidPath {
            path: path.to_owned(),
            reason,
        };
        if path.is_empty() {
            return Err(invalid("empty"));
        }
        if path.starts_with('/') {
            return Err(invalid(
                "absolute; paths are relative to the repository root",
            ));
        }
        if path.contains(['\0', '\n', '\r', '\\']) {
            return Err(invalid("contains NUL, a line break or a backslash"));
        }
        for component in path.split('/') {
            match component {
                "" => return Err(invalid("has an empty component")),
                "." | ".." => return Err(invalid("has a '.' or '..' component")),
                c if c.eq_ignore_ascii_case(".git") => {
                    return Err(invalid("points inside .git"));
                }
                _ => {}
            }
        }
        Ok(Self(path.to_owned()))
    }

    /// The path as git writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One file's new content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// Where, relative to the repository root.
    pub path: RepoPath,
    /// The complete new content.
    pub contents: Vec<u8>,
}

impl FileChange {
    /// `contents` for `path` (checked as [`RepoPath::new`] does).
    pub fn new(path: &str, contents: impl Into<Vec<u8>>) -> Result<Self, GitError> {
        Ok(Self {
            path: RepoPath::new(path)?,
            contents: contents.into(),
        })
    }
}

/// A branch name (without `refs/heads/`), checked as `git check-ref-format --branch` would
/// for the common cases.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BranchName(String);

impl BranchName {
    /// Checks `name`.
    pub fn new(name: &str) -> Result<Self, GitError> {
        let invalid = |reason: &'static str| GitError::InvalidBranch {
            name: name.to_owned(),
            reason,
        };
        if name.is_empty() || name == "@" {
            return Err(invalid("empty"));
        }
        if name.starts_with('-') || name.starts_with('/') || name.ends_with('/') {
            return Err(invalid("starts with '-' or '/', or ends with '/'"));
        }
        if name.ends_with('.') || name.ends_with(".lock") {
            return Err(invalid("ends with '.' or '.lock'"));
        }
        if name.contains("..") || name.contains("//") || name.contains("@{") {
            return Err(invalid("contains '..', '//' or '@{'"));
        }
        if name
            .chars()
            .any(|c| c.is_ascii_control() || " ~^:?*[\\".contains(c))
        {
            return Err(invalid(
                "contains a space, control character or one of ~^:?*[\\",
            ));
        }
        if name.split('/').any(|c| c.starts_with('.')) {
            return Err(invalid("has a component starting with '.'"));
        }
        Ok(Self(name.to_owned()))
    }

    /// The short name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `refs/heads/<name>`.
    pub fn local_ref(&self) -> String {
        format!("refs/heads/{}", self.0)
    }
}

impl fmt::Display for BranchName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A commit author or committer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    name: String,
    email: String,
}

impl Identity {
    /// Checks that neither part can break the commit header.
    pub fn new(name: &str, email: &str) -> Result<Self, GitError> {
        let bad = |s: &str| s.contains(['<', '>', '\n', '\r', '\0']);
        if name.trim().is_empty() || bad(name) || email.trim().is_empty() || bad(email) {
            return Err(GitError::InvalidIdentity {
                name: name.to_owned(),
                email: email.to_owned(),
            });
        }
        Ok(Self {
            name: name.trim().to_owned(),
            email: email.trim().to_owned(),
        })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The email address.
    pub fn email(&self) -> &str {
        &self.email
    }
}

/// A git object id (SHA-1 or SHA-256, lowercase hex).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectId(String);

impl ObjectId {
    /// Parses git's output for an object id.
    pub fn parse(hex: &str) -> Result<Self, GitError> {
        let hex = hex.trim();
        if (hex.len() == 40 || hex.len() == 64)
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(hex.to_owned()))
        } else {
            Err(GitError::UnexpectedOutput {
                subcommand: "object id",
                output: hex.chars().take(80).collect(),
            })
        }
    }

    /// The hex form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a commit says besides its tree: message, author, committer, time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitMeta {
    pub(crate) message: String,
    pub(crate) author: Identity,
    pub(crate) committer: Identity,
    pub(crate) time: Option<i64>,
}

impl CommitMeta {
    /// A commit by `author`, committed by `committer`, dated when it is made (UTC). The
    /// message must not be empty; a final newline is added when missing.
    pub fn new(message: &str, author: Identity, committer: Identity) -> Result<Self, GitError> {
        if message.trim().is_empty() || message.contains('\0') {
            return Err(GitError::InvalidMessage);
        }
        let mut message = message.to_owned();
        if !message.ends_with('\n') {
            message.push('\n');
        }
        Ok(Self {
            message,
            author,
            committer,
            time: None,
        })
    }

    /// Dated at `unix_seconds` (UTC) instead of now.
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.time = Some(unix_seconds);
        self
    }

    /// The message, ending in a newline.
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_escape_the_tree_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            ".git/config",
            "a/.GIT/x",
            "a\nb",
            "a\\b",
            "./a",
        ] {
            assert!(RepoPath::new(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            RepoPath::new("apps/a/.argocd-source-a.yaml")
                .unwrap()
                .as_str(),
            "apps/a/.argocd-source-a.yaml"
        );
    }

    #[test]
    fn branch_names_follow_git_rules() {
        for bad in [
            "", "-x", "a..b", "a b", "a:b", "x.lock", "a/", "a/.b", "a@{1}", "a~1",
        ] {
            assert!(BranchName::new(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            BranchName::new("portcullis/app-1").unwrap().local_ref(),
            "refs/heads/portcullis/app-1"
        );
    }

    #[test]
    fn identities_cannot_inject_headers() {
        assert!(Identity::new("a>b", "x@y").is_err());
        assert!(Identity::new("bot", "x@y\nparent 00").is_err());
        assert!(Identity::new(" ", "x@y").is_err());
        assert_eq!(
            Identity::new("Bot", "bot@example.test").unwrap().email(),
            "bot@example.test"
        );
    }

    #[test]
    fn object_ids_are_lowercase_hex_of_git_lengths() {
        assert!(ObjectId::parse(&"a".repeat(40)).is_ok());
        assert!(ObjectId::parse(&"a".repeat(64)).is_ok());
        assert!(ObjectId::parse(&"A".repeat(40)).is_err());
        assert!(ObjectId::parse("abc").is_err());
    }

    #[test]
    fn messages_end_in_a_newline_and_are_not_empty() {
        let id = Identity::new("Bot", "bot@example.test").unwrap();
        let meta = CommitMeta::new("subject", id.clone(), id.clone()).unwrap();
        assert_eq!(meta.message(), "subject\n");
        assert!(CommitMeta::new("  \n", id.clone(), id).is_err());
    }
}
