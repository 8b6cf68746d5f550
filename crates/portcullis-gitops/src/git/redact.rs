//! Masking credentials in text git printed before it reaches an error or a log.
//!
//! Credentials never reach git's arguments, but a remote URL configured with a user and
//! password (refused by [`super::Repository`], yet possible in a clone made by hand) would be
//! echoed by git in its messages: the userinfo of every URL is masked here.

/// `text` with the password part of every `scheme://user:password@host` replaced by `***`,
/// and a bare `scheme://token@host` userinfo masked whole.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str("***"),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Whether `url` carries a password or token in its userinfo.
pub fn url_has_credentials(url: &str) -> bool {
    let Some(pos) = url.find("://") else {
        return false;
    };
    let tail = &url[pos + 3..];
    let authority = &tail[..tail.find('/').unwrap_or(tail.len())];
    match authority.rfind('@') {
        // ssh://git@host carries a user name, not a secret.
        Some(at) => {
            let scheme = &url[..pos];
            authority[..at].contains(':') || scheme.starts_with("http")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens_in_urls_are_masked() {
        assert_eq!(
            redact("fatal: unable to access 'https://bot:ghp_abc@github.com/o/r.git/': 403"),
            "fatal: unable to access 'https://bot:***@github.com/o/r.git/': 403"
        );
        assert_eq!(
            redact("To https://ghp_abc@host/r.git"),
            "To https://***@host/r.git"
        );
        assert_eq!(redact("no urls here"), "no urls here");
        assert_eq!(redact("git://127.0.0.1:9418/r"), "git://127.0.0.1:9418/r");
    }

    #[test]
    fn only_secret_userinfo_counts_as_credentials() {
        assert!(url_has_credentials("https://bot:tok@host/r.git"));
        assert!(url_has_credentials("https://tok@host/r.git"));
        assert!(!url_has_credentials("ssh://git@host/r.git"));
        assert!(!url_has_credentials("https://host/r.git"));
        assert!(!url_has_credentials("git@host:r.git"));
        assert!(!url_has_credentials("/srv/git/r.git"));
    }
}
