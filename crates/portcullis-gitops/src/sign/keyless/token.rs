//! The OIDC identity token: read from its file at each signature (a projected service account
//! token is rotated under the reader), and the claim Fulcio's proof of possession signs.

use std::path::Path;

use base64::Engine as _;

use super::super::error::{KeylessError, SignError};

/// A token as read: the JWT text, without surrounding whitespace.
pub(super) struct IdentityToken {
    jwt: String,
    subject: String,
}

impl IdentityToken {
    /// Reads and decodes the token in `path`. The signature of the JWT is not checked here:
    /// Fulcio checks it.
    pub(super) fn read(path: &Path) -> Result<Self, SignError> {
        let bytes = std::fs::read(path).map_err(|source| SignError::ReadFile {
            what: "OIDC token file",
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |detail: String| KeylessError::Token {
            path: path.to_path_buf(),
            detail,
        };
        let jwt = String::from_utf8(bytes)
            .map_err(|_| bad("not UTF-8".to_owned()))?
            .trim()
            .to_owned();
        let subject = subject(&jwt).map_err(bad)?;
        Ok(Self { jwt, subject })
    }

    /// The JWT text.
    pub(super) fn jwt(&self) -> &str {
        &self.jwt
    }

    /// The claim the proof of possession signs.
    pub(super) fn subject(&self) -> &str {
        &self.subject
    }
}

/// The challenge subject of a JWT, chosen as sigstore-js does
/// (`@sigstore/sign` `util/oidc.js` `extractJWTSubject`): a verified `email` claim, else
/// `sub`. Fulcio checks the proof of possession over the same principal.
fn subject(jwt: &str) -> Result<String, String> {
    let mut parts = jwt.split('.');
    let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_), None) => payload,
        _ => return Err("not a JWT (three dot-separated parts)".to_owned()),
    };
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| format!("the claims are not base64url: {e}"))?;
    let claims: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| format!("the claims are not JSON: {e}"))?;
    if let Some(email) = claims.get("email").and_then(|v| v.as_str()) {
        if claims.get("email_verified").and_then(|v| v.as_bool()) != Some(true) {
            return Err("the token's email claim is not verified by its issuer".to_owned());
        }
        return Ok(email.to_owned());
    }
    claims
        .get("sub")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| "the token has neither an email nor a sub claim".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.", enc(r#"{"alg":"none"}"#), enc(claims))
    }

    #[test]
    fn the_subject_is_a_verified_email_else_sub() {
        assert_eq!(subject(&jwt(r#"{"sub":"s"}"#)).unwrap(), "s");
        assert_eq!(
            subject(&jwt(r#"{"sub":"s","email":"e@x","email_verified":true}"#)).unwrap(),
            "e@x"
        );
        assert!(subject(&jwt(r#"{"sub":"s","email":"e@x"}"#)).is_err());
        assert!(subject(&jwt(r#"{"iss":"i"}"#)).is_err());
        assert!(subject("a.b").is_err());
        assert!(subject("a.!!!.c").is_err());
    }

    #[test]
    fn the_file_is_trimmed_and_errors_never_quote_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, format!("{}\n", jwt(r#"{"sub":"s"}"#))).unwrap();
        let token = IdentityToken::read(&path).unwrap();
        assert!(!token.jwt().ends_with('\n'));
        assert_eq!(token.subject(), "s");
        std::fs::write(&path, "secret-but-not-a-jwt").unwrap();
        let err = IdentityToken::read(&path).err().unwrap();
        assert!(!format!("{err} {err:?}").contains("secret-but"), "{err}");
    }
}
