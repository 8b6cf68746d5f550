//! The machine-readable trailer block Portcullis appends to commit messages, one line per
//! change and one for the policy, in the last paragraph where `git interpret-trailers`
//! finds them:
//!
//! ```text
//! Portcullis-Change: <alias|-> <repository> <old tag|->[@<old digest>] -> <new tag>@<digest>
//! Portcullis-Policy: <policy hash>
//! ```
//!
//! Every field is one token: whitespace and control characters in configured names are
//! replaced by `_`, so a trailer can never be split or forged by a value.

use super::data::ChangeSummary;

const CHANGE: &str = "Portcullis-Change: ";
const POLICY: &str = "Portcullis-Policy: ";

/// One `Portcullis-Change` trailer, as parsed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeTrailer {
    /// The alias, `None` for `-`.
    pub alias: Option<String>,
    /// The repository.
    pub image: String,
    /// The old version (`tag`, `tag@digest`, `-@digest` or `-`).
    pub old: String,
    /// The new version (`tag@digest`).
    pub new: String,
}

fn token(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if t.is_empty() { "-".to_owned() } else { t }
}

fn version(tag: Option<&str>, digest: Option<&str>) -> String {
    let mut s = token(tag.unwrap_or(""));
    if let Some(d) = digest.filter(|d| !d.is_empty()) {
        s.push('@');
        s.push_str(&token(d));
    }
    s
}

/// The trailer lines for `changes` and the policy hash, each ending in a newline.
pub fn trailer_block(changes: &[ChangeSummary], policy_hash: &str) -> String {
    let mut out = String::new();
    for c in changes {
        out.push_str(CHANGE);
        out.push_str(&token(c.alias.as_deref().unwrap_or("")));
        out.push(' ');
        out.push_str(&token(&c.repository));
        out.push(' ');
        out.push_str(&version(c.old_tag.as_deref(), c.old_digest.as_deref()));
        out.push_str(" -> ");
        out.push_str(&version(Some(&c.new_tag), c.digest.as_deref()));
        out.push('\n');
    }
    out.push_str(POLICY);
    out.push_str(&token(policy_hash));
    out.push('\n');
    out
}

/// `message`, then a blank line, then the trailer block.
pub fn append_trailers(message: &str, changes: &[ChangeSummary], policy_hash: &str) -> String {
    let body = message.trim_end_matches(['\n', '\r', ' ', '\t']);
    let block = trailer_block(changes, policy_hash);
    if body.is_empty() {
        block
    } else {
        format!("{body}\n\n{block}")
    }
}

/// The Portcullis trailers of a commit message: the changes and the policy hash.
pub fn parse_trailers(message: &str) -> (Vec<ChangeTrailer>, Option<String>) {
    let mut changes = Vec::new();
    let mut policy = None;
    for line in message.lines() {
        if let Some(rest) = line.strip_prefix(CHANGE) {
            let parts: Vec<&str> = rest.split(' ').collect();
            if let [alias, image, old, "->", new] = parts.as_slice() {
                changes.push(ChangeTrailer {
                    alias: (*alias != "-").then(|| (*alias).to_owned()),
                    image: (*image).to_owned(),
                    old: (*old).to_owned(),
                    new: (*new).to_owned(),
                });
            }
        } else if let Some(rest) = line.strip_prefix(POLICY) {
            policy = Some(rest.trim().to_owned());
        }
    }
    (changes, policy)
}
