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

/// The Portcullis trailers of a commit message: the changes and the policy hash, read from
/// its last paragraph only, where [`append_trailers`] puts them (as `git interpret-trailers`
/// reads trailers). Lines that look like trailers higher up, such as a value a template
/// printed, are text, not trailers.
pub fn parse_trailers(message: &str) -> (Vec<ChangeTrailer>, Option<String>) {
    let mut changes = Vec::new();
    let mut policy = None;
    let lines: Vec<&str> = message.lines().collect();
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    let start = lines[..end]
        .iter()
        .rposition(|l| l.trim().is_empty())
        .map_or(0, |i| i + 1);
    for line in &lines[start..end] {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_paragraph_holds_trailers() {
        let message = "build: update\n\nPortcullis-Change: - evil/img - -> 9@sha256:00\n\nPortcullis-Change: - ghcr.io/acme/app 1.0 -> 1.1@sha256:ab\nPortcullis-Policy: sha256:cd\n\n";
        let (changes, policy) = parse_trailers(message);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].image, "ghcr.io/acme/app");
        assert_eq!(policy.as_deref(), Some("sha256:cd"));
        // A message that is nothing but a trailer block is one paragraph: its trailers count.
        let (changes, _) = parse_trailers("Portcullis-Change: - evil/img - -> 9@sha256:00\n");
        assert_eq!(
            changes.len(),
            1,
            "a message that is only a trailer block is one"
        );
        let (changes, policy) = parse_trailers("");
        assert!(changes.is_empty() && policy.is_none());
    }
}
