//! The registry auth handshake: `WWW-Authenticate` challenges, token answers (the
//! distribution spec's token authentication), and what one registry has taught us so far:
//! tokens per scope, whether it wants basic credentials, where its token realm is.
//!
//! Tokens are [`Secret`]s and are never logged; a token is reused for its scope until 90%
//! of its `expires_in` has passed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::secret::Secret;

/// The longest a registry token is kept, whatever the registry says.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A parsed `WWW-Authenticate` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Basic realm="..."`.
    Basic,
    /// `Bearer realm="...",service="...",scope="..."`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    /// A scheme we do not speak.
    Other(String),
}

/// Parses a challenge header. Parameters may be quoted (with `\"` escapes and commas
/// inside, as scopes often have) or bare tokens.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = match header.split_once(char::is_whitespace) {
        Some((s, r)) => (s, r),
        None => (header, ""),
    };
    let params = parse_params(rest);
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic),
        "bearer" => Some(Challenge::Bearer {
            realm: params.get("realm").cloned().filter(|r| !r.is_empty())?,
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        }),
        "" => None,
        other => Some(Challenge::Other(other.to_owned())),
    }
}

fn parse_params(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            break;
        }
        if chars.peek() != Some(&'=') {
            continue;
        }
        chars.next();
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    _ => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    out
}

/// A token endpoint's answer: `token` or `access_token`, optional `expires_in` (seconds;
/// the spec's default is 60).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct TokenAnswer {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

impl TokenAnswer {
    pub(crate) fn token(&self) -> Option<&str> {
        self.token
            .as_deref()
            .or(self.access_token.as_deref())
            .filter(|t| !t.is_empty())
    }

    pub(crate) fn lifetime_secs(&self) -> u64 {
        self.expires_in.unwrap_or(60).max(1)
    }
}

/// A bearer token service learnt from a challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Realm {
    pub(crate) realm: String,
    pub(crate) service: Option<String>,
}

/// What one registry's auth looks like, learnt from its challenges.
#[derive(Debug, Default)]
pub(crate) struct AuthState {
    tokens: Mutex<HashMap<String, (Secret, Instant)>>,
    basic: AtomicBool,
    realm: Mutex<Option<Realm>>,
    /// Bumped whenever the answer to "what do I send" changes, so a request that got a 401
    /// can tell whether someone else already answered the challenge.
    generation: AtomicU64,
    /// One handshake at a time per registry: concurrent 401s share one token fetch.
    pub(crate) handshake: tokio::sync::Mutex<()>,
}

impl AuthState {
    /// A token for `scope` that is still fresh.
    pub(crate) fn token(&self, scope: &str) -> Option<Secret> {
        let tokens = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tokens
            .get(scope)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(t, _)| t.clone())
    }

    /// Keeps `token` for `scope`, renewed after 90% of `lifetime`.
    pub(crate) fn store_token(&self, scope: &str, token: Secret, lifetime: Duration) {
        // The lifetime is the registry's word (`expires_in`): kept at most a day, so an
        // absurd value neither overflows the clock nor keeps a token forever.
        let lifetime = lifetime.min(MAX_TOKEN_LIFETIME);
        let now = Instant::now();
        let until = now.checked_add(lifetime.mul_f64(0.9)).unwrap_or(now);
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(scope.to_owned(), (token, until));
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// From now on, send basic credentials with every request.
    pub(crate) fn use_basic(&self) {
        self.basic.store(true, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn basic(&self) -> bool {
        self.basic.load(Ordering::SeqCst)
    }

    pub(crate) fn remember_realm(&self, realm: Realm) {
        *self
            .realm
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(realm);
    }

    /// The token service, once a challenge named it: new scopes get their token before the
    /// first request instead of after a 401.
    pub(crate) fn realm(&self) -> Option<Realm> {
        self.realm
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_with_quoted_commas() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push""#,
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull,push".into()),
            }
        );
    }

    #[test]
    fn basic_other_and_garbage() {
        assert_eq!(
            parse_challenge(r#"Basic realm="registry""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenge("Negotiate"),
            Some(Challenge::Other("negotiate".into()))
        );
        assert_eq!(parse_challenge(""), None);
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert!(parse_challenge("Bearer realm=\"unterminated").is_some());
    }

    #[test]
    fn token_answers() {
        let a: TokenAnswer =
            serde_json::from_str(r#"{"access_token":"abc","expires_in":300}"#).unwrap();
        assert_eq!(a.token(), Some("abc"));
        assert_eq!(a.lifetime_secs(), 300);
        let b: TokenAnswer = serde_json::from_str(r#"{"token":"t"}"#).unwrap();
        assert_eq!(b.lifetime_secs(), 60);
        let c: TokenAnswer = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert_eq!(c.token(), None);
    }

    #[test]
    fn an_absurd_token_lifetime_is_capped_not_a_panic() {
        let state = AuthState::default();
        let huge: TokenAnswer =
            serde_json::from_str(r#"{"token":"t","expires_in":18446744073709551615}"#).unwrap();
        state.store_token(
            "repository:a:pull",
            Secret::new("t"),
            Duration::from_secs(huge.lifetime_secs()),
        );
        assert!(state.token("repository:a:pull").is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_are_renewed_before_they_expire() {
        let state = AuthState::default();
        let g = state.generation();
        state.store_token(
            "repository:a:pull",
            Secret::new("t1"),
            Duration::from_secs(100),
        );
        assert_ne!(state.generation(), g);
        assert_eq!(state.token("repository:a:pull").unwrap().expose(), "t1");
        assert!(
            state.token("repository:b:pull").is_none(),
            "tokens are per scope"
        );
        tokio::time::advance(Duration::from_secs(91)).await;
        assert!(state.token("repository:a:pull").is_none());
    }
}
