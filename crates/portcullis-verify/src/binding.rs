//! This crate's own check that an attestation is about the artifact.
//!
//! The upstream verifier already matches the artifact against the in-toto subjects of a DSSE
//! bundle. This repeats the match on the signed payload with an independent implementation,
//! and also requires a known in-toto statement type, because a wrong match here is exactly
//! the "signature copied from another image" the design forbids. Runs only after the
//! envelope's signature verified, so the payload it reads is authentic.

use std::cell::OnceCell;

use portcullis_image::Digest;
use serde_json::Value;

use crate::artifact::Artifact;
use crate::refusal::Reason;

/// The statement types of in-toto v0.1 (what cosign attestations used for years) and v1.
const STATEMENT_TYPES: [&str; 2] = [
    "https://in-toto.io/Statement/v0.1",
    "https://in-toto.io/Statement/v1",
];

/// The digest algorithms a subject is matched by. Others in a subject are ignored. With two,
/// "another algorithm than the given digest's" is a single one, which `OnceCell` caches.
const ALGORITHMS: [&str; 2] = ["sha256", "sha512"];

/// Checks a DSSE payload is an in-toto statement with a subject of the artifact's digest;
/// returns its predicate type. `digest` is `artifact.digest()`; a digest in another algorithm
/// is computed (once) only if a subject needs it and the artifact's bytes are at hand.
pub(crate) fn check_statement(
    payload: &[u8],
    artifact: &Artifact,
    digest: &Digest,
) -> Result<String, Reason> {
    let statement: Value =
        serde_json::from_slice(payload).map_err(|e| Reason::NotAnInTotoStatement {
            detail: format!("not json: {e}"),
        })?;
    let statement_type = statement.get("_type").and_then(Value::as_str);
    if !statement_type.is_some_and(|t| STATEMENT_TYPES.contains(&t)) {
        return Err(Reason::NotAnInTotoStatement {
            detail: format!("_type is {}", statement_type.unwrap_or("missing")),
        });
    }
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .ok_or_else(|| Reason::NotAnInTotoStatement {
            detail: "no subject list".to_owned(),
        })?;
    let other = OnceCell::new();
    let digest_in = |algorithm: &str| -> Option<Digest> {
        if algorithm == digest.algorithm() {
            Some(digest.clone())
        } else {
            other.get_or_init(|| artifact.digest_in(algorithm)).clone()
        }
    };
    let matched = subjects.iter().any(|subject| {
        ALGORITHMS.iter().any(|algorithm| {
            let claimed = subject
                .get("digest")
                .and_then(|digests| digests.get(algorithm))
                .and_then(Value::as_str);
            match (claimed, claimed.and_then(|_| digest_in(algorithm))) {
                // in-toto digests are lower-case hex; compare without regard to case all the
                // same, since a digest is the same digest however it is spelt.
                (Some(claimed), Some(actual)) => claimed.eq_ignore_ascii_case(actual.hex()),
                _ => false,
            }
        })
    });
    if !matched {
        return Err(Reason::NoMatchingSubject {
            artifact: digest.clone(),
        });
    }
    Ok(statement
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned())
}

/// The `predicate` of a DSSE payload already accepted by [`check_statement`] (`null` when it
/// has none).
pub(crate) fn predicate(payload: &[u8]) -> Value {
    serde_json::from_slice::<Value>(payload)
        .ok()
        .and_then(|mut statement| statement.get_mut("predicate").map(Value::take))
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO_SHA256: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn statement(statement_type: &str, subject_digest: &str) -> Vec<u8> {
        serde_json::json!({
            "_type": statement_type,
            "subject": [
                {"name": "other", "digest": {"sha256": "00".repeat(32)}},
                {"name": "hello", "digest": {"sha256": subject_digest}},
            ],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {},
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn any_subject_with_the_artifact_digest_binds_bytes_and_digests() {
        let payload = statement("https://in-toto.io/Statement/v1", HELLO_SHA256);
        let bytes = Artifact::Bytes(b"hello".to_vec());
        assert_eq!(
            check_statement(&payload, &bytes, &bytes.digest()).unwrap(),
            "https://slsa.dev/provenance/v1"
        );
        let digest = Artifact::Digest(format!("sha256:{HELLO_SHA256}").parse().unwrap());
        assert!(check_statement(&payload, &digest, &digest.digest()).is_ok());
    }

    #[test]
    fn a_statement_about_another_artifact_is_refused() {
        let payload = statement("https://in-toto.io/Statement/v0.1", HELLO_SHA256);
        let other = Artifact::Bytes(b"goodbye".to_vec());
        assert!(matches!(
            check_statement(&payload, &other, &other.digest()),
            Err(Reason::NoMatchingSubject { .. })
        ));
    }

    #[test]
    fn a_sha512_subject_binds_bytes_but_not_a_sha256_digest() {
        let sha512 = sigstore_verify::crypto::sha512(b"hello").to_hex();
        let payload = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"digest": {"sha512": sha512}}],
            "predicateType": "p",
        })
        .to_string();
        let bytes = Artifact::Bytes(b"hello".to_vec());
        assert!(check_statement(payload.as_bytes(), &bytes, &bytes.digest()).is_ok());
        let digest = Artifact::Digest(format!("sha256:{HELLO_SHA256}").parse().unwrap());
        assert!(check_statement(payload.as_bytes(), &digest, &digest.digest()).is_err());
    }

    #[test]
    fn payloads_that_are_not_in_toto_statements_are_refused() {
        let hello = Artifact::Bytes(b"hello".to_vec());
        for payload in [
            b"not json".to_vec(),
            statement("https://example.com/Statement/v1", HELLO_SHA256),
            br#"{"_type": "https://in-toto.io/Statement/v1"}"#.to_vec(),
        ] {
            assert!(
                matches!(
                    check_statement(&payload, &hello, &hello.digest()),
                    Err(Reason::NotAnInTotoStatement { .. })
                ),
                "{}",
                String::from_utf8_lossy(&payload)
            );
        }
    }
}
