//! External policy gates: before an update is decided, the candidate is POSTed as JSON to
//! each gate its rules name, which answers allow or deny with a reason — the hook for CVE
//! scanners and supplier checks.
//!
//! Request (`Content-Type: application/json`):
//! `{"apiVersion":"portcullis.dev/v1alpha1","kind":"GateRequest","application":…,
//! "image":…,"tag":…,"digest":…,"signer":…,"rules":[…]}`. Answer: `200` with
//! `{"allow": true|false, "reason": "…"}`. Anything else — a timeout, another status, a body
//! that is not that JSON — is a failure, decided by the gate's failure policy (`deny` by
//! default). A redirect is not followed (it would carry the headers elsewhere) and an answer
//! over 64 KiB is a failure. Header values come from the environment or a file, never from
//! the policy text, and are never logged.

use portcullis_policy::policy::{Gate as GateSpec, GateFailurePolicy, HeaderSource};
use serde::{Deserialize, Serialize};

/// The largest answer read from a gate: a verdict and a reason fit in far less.
const MAX_ANSWER: usize = 64 * 1024;

/// The HTTP client for gates: no redirects (a redirect would carry the configured headers,
/// API keys among them, to wherever it points, https to http included).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        // Building fails only when the TLS backend cannot start, which the default client
        // could not survive either.
        .unwrap_or_default()
}

/// What a gate is told about the candidate.
#[derive(Clone, Debug, Serialize)]
pub struct GateRequest<'a> {
    /// Always `portcullis.dev/v1alpha1`.
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    /// Always `GateRequest`.
    pub kind: &'static str,
    /// The application.
    pub application: &'a str,
    /// The image repository.
    pub image: String,
    /// The candidate tag.
    pub tag: &'a str,
    /// The candidate digest (verified).
    pub digest: &'a str,
    /// The signer that verified (identity or key fingerprint).
    pub signer: Option<&'a str>,
    /// The rules that matched.
    pub rules: Vec<&'a str>,
}

#[derive(Debug, Deserialize)]
struct GateAnswer {
    allow: bool,
    #[serde(default)]
    reason: String,
}

/// A gate's verdict: `Ok(())` to go on, `Err(why)` to deny.
pub async fn ask(
    http: &reqwest::Client,
    gate: &GateSpec,
    request: &GateRequest<'_>,
) -> Result<(), String> {
    match call(http, gate, request).await {
        Ok(answer) if answer.allow => Ok(()),
        Ok(answer) => Err(format!(
            "gate '{}' denied it: {}",
            gate.name,
            if answer.reason.is_empty() {
                "(no reason given)"
            } else {
                &answer.reason
            }
        )),
        Err(failure) => match gate.failure_policy {
            GateFailurePolicy::Allow => {
                tracing::warn!(gate = %gate.name, %failure, "gate failed; failure policy allow");
                Ok(())
            }
            _ => Err(format!(
                "gate '{}' failed ({failure}); its failure policy is deny",
                gate.name
            )),
        },
    }
}

async fn call(
    http: &reqwest::Client,
    gate: &GateSpec,
    request: &GateRequest<'_>,
) -> Result<GateAnswer, String> {
    let mut builder = http.post(&gate.url).timeout(gate.timeout).json(request);
    for (name, source) in &gate.headers {
        let value = match source {
            HeaderSource::Env(var) => std::env::var(var)
                .map_err(|_| format!("header {name}: environment variable {var} is not set"))?,
            HeaderSource::File(path) => std::fs::read_to_string(path)
                .map(|v| v.trim().to_owned())
                .map_err(|e| format!("header {name}: cannot read {}: {e}", path.display()))?,
            _ => return Err(format!("header {name}: a source this gate does not know")),
        };
        builder = builder.header(name.as_str(), value);
    }
    let response = builder.send().await.map_err(|e| {
        if e.is_timeout() {
            format!("no answer within {:?}", gate.timeout)
        } else {
            // The URL only: a reqwest error can carry the request, headers included.
            format!("cannot reach {}", redact(&gate.url))
        }
    })?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(format!("answered {status}, not 200"));
    }
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| "the answer was cut short".to_owned())?
    {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("the answer is longer than {MAX_ANSWER} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| format!("the answer is not {{\"allow\": bool, \"reason\": string}} ({e})"))
}

/// The URL without user information or query (which may carry tokens).
fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "(the gate URL)".to_owned(),
    }
}
