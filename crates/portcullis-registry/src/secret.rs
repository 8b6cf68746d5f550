//! Secrets that cannot be printed by accident ([`Secret`]), and URLs made safe to print
//! ([`redact_url`]). Values are not zeroed on drop.

use std::fmt;

/// What a secret prints as, everywhere.
const REDACTED: &str = "[redacted]";

/// A credential value (password, token). `Debug` and `Display` print `[redacted]`; only
/// [`Secret::expose`] gives the value, so every place that uses it is easy to find.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value. Call only where it is sent, never where it could be logged.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A copy of `url` fit for messages and logs: the user-info (`user:password@`) is replaced
/// by `[redacted]@`, and so are the values of query and fragment parameters whose names
/// suggest a credential (`token`, `access_token`, `password`, `secret`, `sig`,
/// `X-Amz-Signature`, `X-Amz-Credential`, `key`, `auth`, `code`, ...). Works on anything
/// URL-shaped, valid or not.
pub fn redact_url(url: &str) -> String {
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    let (base, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, after)) => {
            let (authority, path) = after.split_at(after.find('/').unwrap_or(after.len()));
            match authority.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://{REDACTED}@{host}{path}"),
                None => base.to_owned(),
            }
        }
        None => base.to_owned(),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(&redact_params(q));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&redact_params(f));
    }
    out
}

fn redact_params(params: &str) -> String {
    params
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !v.is_empty() && is_sensitive(k) => format!("{k}={REDACTED}"),
            _ => kv.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_sensitive(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const WORDS: [&str; 12] = [
        "token",
        "passw",
        "pwd",
        "secret",
        "sig",
        "key",
        "credential",
        "auth",
        "session",
        "code",
        "jwt",
        "assertion",
    ];
    WORDS.iter().any(|w| k.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s:#?}"), "[redacted]");
        assert_eq!(format!("{s:>20}"), "[redacted]");
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
        assert!(!format!("{:?}", vec![s.clone()]).contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
        assert!(!s.is_empty());
    }

    #[test]
    fn urls_lose_userinfo_and_credential_parameters() {
        assert_eq!(
            redact_url("https://user:pw@reg.io/v2/x?n=10&access_token=abc&X-Amz-Signature=zz"),
            "https://[redacted]@reg.io/v2/x?n=10&access_token=[redacted]&X-Amz-Signature=[redacted]"
        );
        assert_eq!(
            redact_url("https://token-only@reg.io"),
            "https://[redacted]@reg.io"
        );
        assert_eq!(
            redact_url("https://auth.example/token?service=reg&scope=repository:a/b:pull"),
            "https://auth.example/token?service=reg&scope=repository:a/b:pull"
        );
        assert_eq!(
            redact_url(
                "https://cdn.example/blob?X-Amz-Credential=AKIA%2F&Expires=1&sig=abc#id_token=xyz"
            ),
            "https://cdn.example/blob?X-Amz-Credential=[redacted]&Expires=1&sig=[redacted]#id_token=[redacted]"
        );
    }

    #[test]
    fn urls_without_secrets_are_unchanged() {
        for url in [
            "http://127.0.0.1:5000/v2/",
            "https://ghcr.io/v2/org/app/tags/list?n=100&last=v1.2",
            "not a url at all",
            "https://reg.io/path/with@sign",
            "",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }
}
