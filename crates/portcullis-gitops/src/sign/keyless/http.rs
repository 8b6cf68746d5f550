//! The two calls keyless signing makes: a certificate from Fulcio, an entry in Rekor.
//!
//! Request and response shapes follow the clients and servers they must work with:
//! - Fulcio v2 `POST /api/v2/signingCert`: sigstore-js `@sigstore/sign`
//!   (`signer/fulcio/ca.js` `toCertificateRequest`, `external/fulcio.js`) and the server
//!   side of `@sigstore/mock` (`fulcio/handler.js` `parseBody`, `buildResponse`). The answer
//!   holds `signedCertificateEmbeddedSct` (or `signedCertificateDetachedSct`)
//!   `.chain.certificates[]`, PEM, leaf first.
//! - Rekor v1 `POST /api/v1/log/entries` with a `hashedrekord` 0.0.1 entry:
//!   `@sigstore/sign` `witness/tlog/entry.js` `toProposedHashedRekordEntry`, and
//!   `@sigstore/mock` `rekor/handler.js` / `rekor/tlog.js` `log`. The answer is an object
//!   keyed by the entry UUID whose value holds `body`, `integratedTime`, `logID`, `logIndex`
//!   and `verification.signedEntryTimestamp`.
//!
//! The crate's signers are synchronous (commits are made on blocking threads): each call
//! runs on a thread of its own with a single-threaded runtime, so it works whether or not
//! the caller is inside an async runtime.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use super::super::error::KeylessError;

/// The longest answer read from Fulcio or Rekor (a certificate chain or one log entry).
const MAX_ANSWER: usize = 1024 * 1024;
/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The most of a failed answer's body put into an error.
const ERROR_BODY: usize = 300;

/// `POST {fulcio}/api/v2/signingCert`: the PEM chain, leaf first.
pub(super) fn signing_certificate(
    fulcio: &str,
    token: &str,
    public_key_pem: &str,
    proof_of_possession: &[u8],
) -> Result<Vec<String>, KeylessError> {
    let url = format!("{}/api/v2/signingCert", fulcio.trim_end_matches('/'));
    let request = json!({
        "credentials": { "oidcIdentityToken": token },
        "publicKeyRequest": {
            "publicKey": { "algorithm": "ECDSA", "content": public_key_pem },
            "proofOfPossession": b64(proof_of_possession),
        },
    });
    let answer = post("Fulcio", &url, &request)?;
    let signed = answer
        .get("signedCertificateEmbeddedSct")
        .or_else(|| answer.get("signedCertificateDetachedSct"));
    let certificates = signed
        .and_then(|s| s.pointer("/chain/certificates"))
        .and_then(Value::as_array)
        .ok_or_else(|| unexpected("Fulcio", &url, "no chain.certificates in the answer"))?;
    certificates
        .iter()
        .map(|c| {
            c.as_str()
                .map(str::to_owned)
                .ok_or_else(|| unexpected("Fulcio", &url, "a certificate is not a string"))
        })
        .collect()
}

/// `POST {rekor}/api/v1/log/entries` with a `hashedrekord` for `signature` over the data
/// whose SHA-256 is `digest_hex`, made by the key of `certificate_pem`. Returns the entry
/// (the value under its UUID).
pub(super) fn log_hashedrekord(
    rekor: &str,
    digest_hex: &str,
    signature: &[u8],
    certificate_pem: &str,
) -> Result<Value, KeylessError> {
    let url = format!("{}/api/v1/log/entries", rekor.trim_end_matches('/'));
    let entry = json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": { "hash": { "algorithm": "sha256", "value": digest_hex } },
            "signature": {
                "content": b64(signature),
                "publicKey": { "content": b64(certificate_pem.as_bytes()) },
            },
        },
    });
    let answer = post("Rekor", &url, &entry)?;
    match answer
        .as_object()
        .map(|o| o.values().collect::<Vec<_>>())
        .as_deref()
    {
        Some([one]) if one.is_object() => Ok((*one).clone()),
        _ => Err(unexpected(
            "Rekor",
            &url,
            "expected one entry keyed by its UUID",
        )),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unexpected(service: &'static str, url: &str, detail: &str) -> KeylessError {
    KeylessError::Service {
        service,
        url: url.to_owned(),
        detail: detail.to_owned(),
    }
}

/// POSTs `body` as JSON on a thread of its own and returns the JSON answer of a 2xx.
fn post(service: &'static str, url: &str, body: &Value) -> Result<Value, KeylessError> {
    let failed = |detail: String| KeylessError::Service {
        service,
        url: url.to_owned(),
        detail,
    };
    let run = || -> Result<Value, KeylessError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| failed(format!("cannot start an HTTP runtime: {e}")))?;
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(TIMEOUT)
                .build()
                .map_err(|e| failed(format!("cannot build an HTTP client: {e}")))?;
            let response = client
                .post(url)
                .header(reqwest::header::ACCEPT, "application/json")
                .json(body)
                .send()
                .await
                .map_err(|e| failed(error_chain(&e)))?;
            let status = response.status();
            let bytes = crate::http_body::read_capped(response, MAX_ANSWER)
                .await
                .map_err(|e| match e {
                    crate::http_body::BodyError::Transfer(e) => failed(error_chain(&e)),
                    crate::http_body::BodyError::TooLarge(limit) => {
                        failed(format!("the answer is longer than {limit} bytes"))
                    }
                })?;
            if !status.is_success() {
                let text: String = String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(ERROR_BODY)
                    .collect();
                return Err(failed(format!("HTTP {status}: {}", text.trim())));
            }
            serde_json::from_slice(&bytes).map_err(|e| failed(format!("answer is not JSON: {e}")))
        })
    };
    std::thread::scope(|scope| {
        scope
            .spawn(run)
            .join()
            .unwrap_or_else(|_| Err(failed("the HTTP thread panicked".to_owned())))
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
