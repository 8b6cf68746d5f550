//! Authorities of the validated policy: who may have signed, resolved against the policy's
//! trust material, so the gate never looks a name up again.
//!
//! Identity patterns match the whole value (anchored at both ends), as the verifier does;
//! the gate builds `portcullis_verify::Matcher`s from [`ValueMatch::Exact`] and
//! [`ValueMatch::Regex`]'s pattern.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use regex::Regex;
use serde::Serialize;

use super::danger::Danger;

/// Fulcio's OIDs for the GitHub workflow claims cosign's `--certificate-github-workflow-*`
/// flags check (the same as `portcullis_verify::claims`).
pub const GITHUB_WORKFLOW_TRIGGER: &str = "1.3.6.1.4.1.57264.1.2";
/// See [`GITHUB_WORKFLOW_TRIGGER`].
pub const GITHUB_WORKFLOW_SHA: &str = "1.3.6.1.4.1.57264.1.3";
/// See [`GITHUB_WORKFLOW_TRIGGER`].
pub const GITHUB_WORKFLOW_NAME: &str = "1.3.6.1.4.1.57264.1.4";
/// See [`GITHUB_WORKFLOW_TRIGGER`].
pub const GITHUB_WORKFLOW_REPOSITORY: &str = "1.3.6.1.4.1.57264.1.5";
/// See [`GITHUB_WORKFLOW_TRIGGER`].
pub const GITHUB_WORKFLOW_REF: &str = "1.3.6.1.4.1.57264.1.6";

/// The name keyless authorities use when they name no trusted root.
pub const PUBLIC_GOOD_ROOT: &str = "sigstore-public-good";

/// The policy's trust material, by name.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Trust {
    /// Trusted roots.
    pub roots: BTreeMap<String, TrustedRootSource>,
    /// Public keys.
    pub keys: BTreeMap<String, KeySource>,
}

/// One authority of a rule.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Authority {
    /// Its name (`name`, or `authority-<index>`).
    pub name: String,
    /// What must have signed.
    pub kind: AuthorityKind,
    /// Checks waived (see [`Danger`]).
    pub danger: Danger,
}

/// The kinds of authority.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
#[non_exhaustive]
pub enum AuthorityKind {
    /// A signature by a public key.
    Key {
        /// The key's name in `trust.keys`.
        key_name: String,
        /// Where the key is.
        key: KeySource,
        /// The trusted root (name and source) whose transparency log must hold the
        /// signature's entry; `None`: the gate's default (the root named `default`, else the
        /// policy's only root, else public good).
        trusted_root: Option<(String, TrustedRootSource)>,
    },
    /// A keyless signature by an allowed identity.
    Keyless(Keyless),
    /// A fixed answer.
    Static {
        /// Whether it always verifies (`allow`) or never (`deny`).
        action: StaticAction,
    },
}

/// Where a public key comes from.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "from")]
#[non_exhaustive]
pub enum KeySource {
    /// Read from a file when the policy loaded.
    File {
        /// The file, resolved against the policy's directory.
        path: PathBuf,
        /// Its PEM content.
        pem: String,
    },
    /// Written in the policy.
    Inline {
        /// The PEM text.
        pem: String,
    },
    /// A Kubernetes secret, read by the controller at run time.
    KubernetesSecret {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
}

impl KeySource {
    /// The PEM text, when the key is known at load time.
    pub fn pem(&self) -> Option<&str> {
        match self {
            Self::File { pem, .. } | Self::Inline { pem } => Some(pem),
            Self::KubernetesSecret { .. } => None,
        }
    }
}

impl fmt::Debug for KeySource {
    // Public keys are not secret, but they are long: show where the key is, not its text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, .. } => write!(f, "KeySource::File({})", path.display()),
            Self::Inline { .. } => f.write_str("KeySource::Inline"),
            Self::KubernetesSecret { namespace, name } => {
                write!(f, "KeySource::KubernetesSecret(k8s://{namespace}/{name})")
            }
        }
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, .. } => write!(f, "{}", path.display()),
            Self::Inline { .. } => f.write_str("inline PEM"),
            Self::KubernetesSecret { namespace, name } => write!(f, "k8s://{namespace}/{name}"),
        }
    }
}

/// Where a trusted root comes from.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "from")]
#[non_exhaustive]
pub enum TrustedRootSource {
    /// The Sigstore public-good instance, distributed over TUF.
    PublicGood,
    /// A `trusted_root.json` file, resolved against the policy's directory, with the
    /// content read when the policy loaded: the same bytes the policy revision hashes are
    /// the ones verified against (parsed by the verifier).
    File {
        /// The file.
        path: PathBuf,
        /// Its content when the policy loaded.
        #[serde(skip)]
        json: Vec<u8>,
    },
}

impl fmt::Debug for TrustedRootSource {
    // The content is long and says nothing the path does not: show where it came from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PublicGood => f.write_str("PublicGood"),
            Self::File { path, .. } => write!(f, "File({})", path.display()),
        }
    }
}

impl fmt::Display for TrustedRootSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PublicGood => f.write_str("Sigstore public good"),
            Self::File { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

/// A keyless authority.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Keyless {
    /// The trusted root's name.
    pub trusted_root_name: String,
    /// The trusted root.
    pub trusted_root: TrustedRootSource,
    /// Allowed identities; any one suffices.
    pub identities: Vec<IdentityRule>,
    /// Certificate extensions that must hold these exact values, by OID (the `github`
    /// claims included, under their Fulcio OIDs). Required of every identity.
    pub extensions: BTreeMap<String, String>,
}

/// One allowed identity.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct IdentityRule {
    /// The certificate identity (subject alternative name).
    pub subject: ValueMatch,
    /// The OIDC issuer.
    pub issuer: ValueMatch,
}

/// How one certificate value is matched.
#[derive(Clone)]
#[non_exhaustive]
pub enum ValueMatch {
    /// Exactly this value.
    Exact(String),
    /// The whole value matches this pattern (anchored at both ends).
    Regex(AnchoredRegex),
}

/// A regular expression matched against a whole value: the pattern as written and its
/// compilation as `^(?:pattern)$`.
#[derive(Clone)]
pub struct AnchoredRegex {
    pattern: String,
    regex: Regex,
}

impl AnchoredRegex {
    /// Compiles `pattern` anchored at both ends.
    pub fn new(pattern: &str) -> Result<Self, regex::Error> {
        Ok(Self {
            regex: Regex::new(&format!("^(?:{pattern})$"))?,
            pattern: pattern.to_owned(),
        })
    }

    /// The pattern as written (without the anchors added here).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern, as cosign reads it, could match part of a value only: it does
    /// not start with `^` and end with `$` itself.
    pub fn reads_differently_in_cosign(&self) -> bool {
        !(self.pattern.starts_with('^') && self.pattern.ends_with('$'))
    }
}

impl fmt::Debug for AnchoredRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnchoredRegex({:?})", self.pattern)
    }
}

impl ValueMatch {
    /// Whether `value` is allowed.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(v) => v == value,
            Self::Regex(r) => r.regex.is_match(value),
        }
    }

    /// `'value'` or `/pattern/`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Exact(v) => format!("'{v}'"),
            Self::Regex(r) => format!("/{}/", r.pattern),
        }
    }
}

impl fmt::Debug for ValueMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Serialize for ValueMatch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        match self {
            Self::Exact(v) => map.serialize_entry("exact", v)?,
            Self::Regex(r) => map.serialize_entry("regex", &r.pattern)?,
        }
        map.end()
    }
}

/// A static authority's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum StaticAction {
    /// Never verifies.
    Deny,
    /// Always verifies.
    Allow,
}

impl Authority {
    /// One line saying what this authority requires, for `policy explain` and events.
    pub fn describe(&self) -> String {
        let mut text = match &self.kind {
            AuthorityKind::Key {
                key_name,
                key,
                trusted_root,
            } => match trusted_root {
                Some((root, _)) => {
                    format!("signed with key '{key_name}' ({key}), logged in trusted root '{root}'")
                }
                None => format!("signed with key '{key_name}' ({key})"),
            },
            AuthorityKind::Keyless(k) => {
                let ids: Vec<String> = k
                    .identities
                    .iter()
                    .map(|i| format!("{} from {}", i.subject.describe(), i.issuer.describe()))
                    .collect();
                let mut s = format!(
                    "keyless, trusted root '{}', identity {}",
                    k.trusted_root_name,
                    ids.join(" or ")
                );
                if !k.extensions.is_empty() {
                    let ext: Vec<String> = k
                        .extensions
                        .iter()
                        .map(|(o, v)| format!("{}={v}", claim_name(o)))
                        .collect();
                    s.push_str(&format!(", with {}", ext.join(", ")));
                }
                s
            }
            AuthorityKind::Static { action } => match action {
                StaticAction::Allow => "static allow (always verifies)".to_owned(),
                StaticAction::Deny => "static deny (never verifies)".to_owned(),
            },
        };
        if self.danger.ignore_tlog {
            text.push_str(" [danger: no transparency log]");
        }
        if self.danger.ignore_sct {
            text.push_str(" [danger: no SCT]");
        }
        text
    }
}

/// The cosign flag name of a GitHub claim, the OID for any other extension.
fn claim_name(oid: &str) -> &str {
    match oid {
        GITHUB_WORKFLOW_TRIGGER => "github-workflow-trigger",
        GITHUB_WORKFLOW_SHA => "github-workflow-sha",
        GITHUB_WORKFLOW_NAME => "github-workflow-name",
        GITHUB_WORKFLOW_REPOSITORY => "github-workflow-repository",
        GITHUB_WORKFLOW_REF => "github-workflow-ref",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_match_the_whole_value() {
        let r = ValueMatch::Regex(AnchoredRegex::new("https://github\\.com/acme/.*").unwrap());
        assert!(
            r.matches("https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main")
        );
        assert!(!r.matches("https://evil.example/?https://github.com/acme/x"));
        let AnchoredRegex { .. } = AnchoredRegex::new("^x$").unwrap();
        assert!(
            !AnchoredRegex::new("^x$")
                .unwrap()
                .reads_differently_in_cosign()
        );
        assert!(
            AnchoredRegex::new("x")
                .unwrap()
                .reads_differently_in_cosign()
        );
    }
}
