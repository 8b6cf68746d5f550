//! Reading a commit object and splitting it as git does before it hands a signature to gpg or
//! gpgsm: the `gpgsig` header (with `gpgsig-sha256`, every signature header) comes out, the
//! rest is the signed payload, byte for byte.

use std::path::Path;
use std::process::{Command, Stdio};

use super::error::VerifyCommitError;
use crate::git::SCRUBBED_ENV;

/// The signature headers git strips from the payload (SHA-1 and SHA-256 object formats).
const SIGNATURE_HEADERS: &[&str] = &["gpgsig", "gpgsig-sha256"];

/// A commit object split into what was signed and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitCommit {
    /// The object without its signature headers: what the signer signed.
    pub(crate) payload: Vec<u8>,
    /// The signature text (continuation spaces removed), `None` when the commit is unsigned.
    pub(crate) signature: Option<String>,
    /// The commit message (everything after the first empty line).
    pub(crate) message: String,
}

fn git(repo: &Path, args: &[&str]) -> Result<std::process::Output, VerifyCommitError> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(repo).args(args);
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| VerifyCommitError::Git {
            repo: repo.to_path_buf(),
            source,
        })
}

/// Resolves `rev` in `repo` to a commit id and reads the raw object.
pub(crate) fn read_commit(repo: &Path, rev: &str) -> Result<(String, Vec<u8>), VerifyCommitError> {
    let not_a_commit = |detail: String| VerifyCommitError::NotACommit {
        rev: rev.to_owned(),
        detail,
    };
    if rev.is_empty() || rev.starts_with('-') || rev.contains(['\0', '\n']) {
        return Err(not_a_commit("not a revision".to_owned()));
    }
    let peeled = format!("{rev}^{{commit}}");
    let out = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &peeled,
        ],
    )?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        let detail = if stderr.is_empty() {
            format!("no commit of that name in {}", repo.display())
        } else {
            stderr
        };
        return Err(not_a_commit(detail));
    }
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_a_commit(format!("git resolved it to '{id}'")));
    }
    let out = git(repo, &["cat-file", "commit", &id])?;
    if !out.status.success() {
        return Err(not_a_commit(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    Ok((id, out.stdout))
}

/// Splits a raw commit object as git's `parse_buffer_signed_by_header` does: every signature
/// header line and its continuation lines (starting with a space) leave the payload; the
/// header of the repository's object format (`gpgsig` for SHA-1, `gpgsig-sha256` for
/// SHA-256) is the signature, and a commit without that one is unsigned, as git sees it.
pub(crate) fn split(raw: &[u8], sha256: bool) -> Result<SplitCommit, VerifyCommitError> {
    let mut payload = Vec::with_capacity(raw.len());
    let mut signatures: Vec<(usize, String)> = Vec::new();
    let mut in_headers = true;
    let mut current: Option<usize> = None;
    let mut message_start = raw.len();
    let mut offset = 0;
    for line in raw.split_inclusive(|b| *b == b'\n') {
        let start = offset;
        offset += line.len();
        if !in_headers {
            payload.extend_from_slice(line);
            continue;
        }
        if line == b"\n" {
            in_headers = false;
            current = None;
            message_start = offset;
            payload.extend_from_slice(line);
            continue;
        }
        if let (Some(i), Some(rest)) = (current, line.strip_prefix(b" ")) {
            if let Some((_, text)) = signatures.get_mut(i) {
                text.push_str(&utf8(rest)?);
            }
            continue;
        }
        current = None;
        let header = SIGNATURE_HEADERS.iter().position(|h| {
            line.strip_prefix(h.as_bytes())
                .is_some_and(|r| r.first() == Some(&b' '))
        });
        match header {
            Some(kind) => {
                let name_len = SIGNATURE_HEADERS.get(kind).map_or(0, |h| h.len()) + 1;
                let first = line.get(name_len..).unwrap_or_default();
                if signatures.iter().any(|(k, _)| *k == kind) {
                    return Err(VerifyCommitError::MalformedSignature(format!(
                        "the commit has more than one '{}' header",
                        SIGNATURE_HEADERS.get(kind).unwrap_or(&"gpgsig")
                    )));
                }
                signatures.push((kind, utf8(first)?));
                current = Some(signatures.len() - 1);
            }
            None => {
                if start == 0 && !line.starts_with(b"tree ") {
                    return Err(VerifyCommitError::MalformedCommit(
                        "the object does not start with a tree header".to_owned(),
                    ));
                }
                payload.extend_from_slice(line);
            }
        }
    }
    let wanted = usize::from(sha256);
    let signature = signatures
        .into_iter()
        .find(|(kind, _)| *kind == wanted)
        .map(|(_, text)| text);
    let message =
        String::from_utf8_lossy(raw.get(message_start..).unwrap_or_default()).into_owned();
    Ok(SplitCommit {
        payload,
        signature,
        message,
    })
}

fn utf8(bytes: &[u8]) -> Result<String, VerifyCommitError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        VerifyCommitError::MalformedSignature("the signature header is not UTF-8".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &str = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
        author A <a@x> 1 +0000\n\
        committer A <a@x> 1 +0000\n\
        gpgsig -----BEGIN SIGNED MESSAGE-----\n \n abc\n -----END SIGNED MESSAGE-----\n\
        \n\
        msg\n\nPortcullis-Policy: p\n";

    #[test]
    fn the_signature_header_leaves_the_payload_as_git_removes_it() {
        let s = split(SIGNED.as_bytes(), false).unwrap();
        assert_eq!(
            s.signature.as_deref(),
            Some("-----BEGIN SIGNED MESSAGE-----\n\nabc\n-----END SIGNED MESSAGE-----\n")
        );
        let payload = String::from_utf8(s.payload).unwrap();
        assert!(!payload.contains("gpgsig"), "{payload}");
        assert!(payload.starts_with("tree "));
        assert!(payload.ends_with("committer A <a@x> 1 +0000\n\nmsg\n\nPortcullis-Policy: p\n"));
        assert_eq!(s.message, "msg\n\nPortcullis-Policy: p\n");
    }

    #[test]
    fn an_unsigned_commit_has_no_signature_and_an_intact_payload() {
        let raw = "tree 4b82\nauthor A <a@x> 1 +0000\n\nmsg\n gpgsig not a header\n";
        let s = split(raw.as_bytes(), false).unwrap();
        assert_eq!(s.signature, None);
        assert_eq!(s.payload, raw.as_bytes());
    }

    /// As git: the header of the repository's object format is the signature; the other
    /// leaves the payload too but is never taken instead.
    #[test]
    fn the_object_format_picks_the_signature_header() {
        let both = "tree 4b82\ngpgsig one\ngpgsig-sha256 two\n\nmsg\n";
        assert_eq!(
            split(both.as_bytes(), false).unwrap().signature.as_deref(),
            Some("one\n")
        );
        assert_eq!(
            split(both.as_bytes(), true).unwrap().signature.as_deref(),
            Some("two\n")
        );
        let s = split(both.as_bytes(), true).unwrap();
        assert_eq!(s.payload, b"tree 4b82\n\nmsg\n");
        let sha256_only = "tree 4b82\ngpgsig-sha256 two\n\nmsg\n";
        assert_eq!(
            split(sha256_only.as_bytes(), false).unwrap().signature,
            None
        );
    }

    #[test]
    fn two_signature_headers_of_one_kind_are_refused() {
        let raw = "tree 4b82\ngpgsig a\ngpgsig b\n\nmsg\n";
        assert!(split(raw.as_bytes(), false).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        for raw in [
            &b""[..],
            b"\n",
            b"gpgsig",
            b"tree\n gpgsig \xff\n",
            b"\xff\xfe\n\n\xff",
        ] {
            let _ = split(raw, false);
        }
    }
}
