//! External HTTP gates a rule may require. Header values are references to the environment
//! or a file, never inline, so a policy file never holds a secret.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// Timeout of a gate unless `timeout` says otherwise.
pub const DEFAULT_GATE_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest timeout a gate may have.
pub const MAX_GATE_TIMEOUT: Duration = Duration::from_secs(300);

/// One external gate.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Gate {
    /// Its name.
    pub name: String,
    /// Its URL (https, or http to a loopback address).
    pub url: String,
    /// How long to wait.
    #[serde(serialize_with = "seconds")]
    pub timeout: Duration,
    /// What a failing gate means.
    pub failure_policy: GateFailurePolicy,
    /// Request headers and where their values come from, sorted by name.
    pub headers: Vec<(String, HeaderSource)>,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

/// What an unreachable, slow or erroring gate means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum GateFailurePolicy {
    /// Refuse the candidate (the default).
    #[default]
    Deny,
    /// Go on as if the gate had allowed it.
    Allow,
}

/// Where a header value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum HeaderSource {
    /// An environment variable.
    Env(String),
    /// A file, resolved against the policy's directory, read at each request.
    File(PathBuf),
}
