//! The policy file exactly as written: strict serde types (unknown fields are errors) from
//! which `policies/schema.json` is generated. Nothing here is checked beyond its shape;
//! [`super::validate`] turns a document into the model, and only the model travels.
//!
//! Every field carries a doc comment: it is the field's description in the JSON Schema that
//! editors show.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The API version of this format.
pub(crate) const API_VERSION: &str = "portcullis.dev/v1alpha1";
/// The kind of this format.
pub(crate) const KIND: &str = "VerificationPolicy";

/// A Portcullis verification policy: who must have signed which images, what must be
/// attested about them, and how far updates may go. Every rule whose `images` match an
/// image applies to it; an image no rule matches is handled by `defaults.noMatch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "Portcullis VerificationPolicy")]
pub(crate) struct PolicyDocument {
    /// Always `portcullis.dev/v1alpha1`.
    pub(crate) api_version: ApiVersion,
    /// Always `VerificationPolicy`.
    pub(crate) kind: Kind,
    /// A name and description for people; not used in evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) metadata: Option<Metadata>,
    /// Trusted roots and public keys, by name, that authorities refer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trust: Option<Trust>,
    /// External HTTP gates, by name, that rules may require.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) gates: Option<BTreeMap<String, Gate>>,
    /// What happens to images no rule matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) defaults: Option<Defaults>,
    /// The rules. Every rule whose `images` match an image applies to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rules: Option<Vec<Rule>>,
}

/// The API version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum ApiVersion {
    /// The first version of the format.
    #[default]
    #[serde(rename = "portcullis.dev/v1alpha1")]
    V1alpha1,
}

/// The document kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum Kind {
    /// A verification policy.
    #[default]
    VerificationPolicy,
}

/// Descriptive data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Metadata {
    /// The policy's name, shown in events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// What the policy is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
}

/// Named trust material.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Trust {
    /// Trusted roots (Fulcio, Rekor, CT log and timestamp authority keys) by name. Keyless
    /// authorities name one in `trustedRoot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) roots: Option<BTreeMap<String, TrustedRoot>>,
    /// Public keys by name. Key authorities name one in `key.ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) keys: Option<BTreeMap<String, PublicKey>>,
}

/// One trusted root: exactly one of `publicGood` or `path`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TrustedRoot {
    /// The Sigstore public-good instance (Fulcio, Rekor) as distributed over TUF. Write `{}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) public_good: Option<Empty>,
    /// A `trusted_root.json` file (Sigstore protobuf-specs `TrustedRoot`); relative paths are
    /// resolved against the policy file's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<String>,
}

/// An empty mapping, `{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Empty {}

/// One public key: exactly one of `path`, `pem` or `secretRef`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PublicKey {
    /// A PEM `PUBLIC KEY` file (ECDSA P-256/P-384, Ed25519, RSA); relative paths are resolved
    /// against the policy file's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<String>,
    /// The PEM `PUBLIC KEY` itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pem: Option<String>,
    /// A Kubernetes secret holding the key, `k8s://<namespace>/<secret>`, read by the
    /// controller at run time (the secret's single key, or `cosign.pub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) secret_ref: Option<String>,
}

/// An external HTTP gate: Portcullis POSTs the verified candidate and the gate answers
/// allow or deny.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Gate {
    /// The gate's URL (https; http only for loopback addresses).
    pub(crate) url: String,
    /// How long to wait for an answer, e.g. `10s` (the default), `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timeout: Option<String>,
    /// What an unreachable, slow or erroring gate means: `deny` (the default) or `allow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) failure_policy: Option<GateFailurePolicy>,
    /// Request headers by name. Values come from the environment or a file, never inline,
    /// so no secret is written in the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) headers: Option<BTreeMap<String, HeaderSource>>,
}

/// What a failing gate means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum GateFailurePolicy {
    /// Refuse the candidate (fail closed).
    Deny,
    /// Go on as if the gate had allowed it.
    Allow,
}

/// Where a header value comes from: exactly one of `env` or `file`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct HeaderSource {
    /// An environment variable of the Portcullis process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) env: Option<String>,
    /// A file (e.g. a mounted secret), read at each request; trailing newlines are removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) file: Option<String>,
}

/// Defaults for images no rule matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Defaults {
    /// `deny` (the default): never update an image no rule matches; `warn`: update it
    /// unverified and emit a warning event; `allow`: update it unverified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) no_match: Option<NoMatch>,
}

/// What happens to an image no rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NoMatch {
    /// Never update it.
    Deny,
    /// Report it as expected. It is still not updated: nothing verifies it.
    Allow,
    /// Report it with a warning event. It is still not updated: nothing verifies it.
    Warn,
}

/// One rule: the images it covers and what they must satisfy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Rule {
    /// A unique name, used in events and `policy explain`.
    pub(crate) name: String,
    /// Repository globs: `*` matches within one path element, `**` across elements
    /// (`ghcr.io/acme/**`). Names are normalised like Docker's (`nginx` is
    /// `docker.io/library/nginx`). No tags or digests.
    pub(crate) images: Vec<String>,
    /// Who may have signed. `require` of them must verify.
    pub(crate) authorities: Vec<Authority>,
    /// How many distinct authorities must verify (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) require: Option<u32>,
    /// `enforce` (the default): a failing candidate is never committed; `warn`: it is
    /// committed and a warning event is emitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mode: Option<Mode>,
    /// What to do when the newest candidate fails verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) on_failure: Option<OnFailure>,
    /// Attestations the image must carry, each verified and checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) attestations: Option<Vec<Attestation>>,
    /// Limits on updates of matching images; per-application settings may only narrow them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) update: Option<Update>,
    /// Names of external gates (from `gates`) that must also allow the candidate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) gates: Option<Vec<String>>,
}

/// Whether a failing rule blocks the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mode {
    /// Never commit a candidate that fails the rule.
    Enforce,
    /// Commit it anyway and emit a warning event.
    Warn,
}

/// What to do when the chosen candidate fails.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct OnFailure {
    /// `stop` (the default): stay on the current image; `try-older`: try the next candidates
    /// in strategy order, at most `maxCandidates` of them.
    pub(crate) action: FailureAction,
    /// With `try-older`: how many candidates are tried in all (1 to 20, default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_candidates: Option<u32>,
}

/// The failure actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FailureAction {
    /// Stay on the current image.
    #[default]
    Stop,
    /// Try older candidates.
    TryOlder,
}

/// One authority: exactly one of `key`, `keyless` or `static`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Authority {
    /// A name attestations can refer to (default: `authority-<index>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// A signature by a public key from `trust.keys`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key: Option<KeyAuthority>,
    /// A keyless (Fulcio certificate) signature by an allowed identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) keyless: Option<KeylessAuthority>,
    /// Always `deny` or always `allow`, without looking at signatures.
    #[serde(default, rename = "static", skip_serializing_if = "Option::is_none")]
    pub(crate) static_action: Option<StaticAction>,
}

/// A key authority.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KeyAuthority {
    /// The name of a key in `trust.keys`.
    #[serde(rename = "ref")]
    pub(crate) key_ref: String,
    /// The root in `trust.roots` whose transparency log the signature's entry is checked
    /// against (default: the root named `default`, else the policy's only root, else the
    /// Sigstore public-good instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trusted_root: Option<String>,
    /// DANGER: accept signatures without a transparency-log entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ignore_tlog: Option<bool>,
}

/// A keyless authority.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KeylessAuthority {
    /// The name of a root in `trust.roots` (default: the Sigstore public-good instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trusted_root: Option<String>,
    /// Allowed signer identities; any one suffices.
    pub(crate) identities: Vec<IdentitySpec>,
    /// GitHub Actions claims the certificate must carry (exact values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) github: Option<GitHubClaims>,
    /// Other certificate extensions the certificate must carry, `OID: value` (exact values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) extensions: Option<BTreeMap<String, String>>,
    /// DANGER: accept certificates without a signed certificate timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ignore_sct: Option<bool>,
    /// DANGER: accept signatures without a transparency-log entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ignore_tlog: Option<bool>,
}

/// One allowed identity: `subject` or `subjectRegExp`, and `issuer` or `issuerRegExp`.
/// Regular expressions must match the whole value (unlike cosign, which accepts a match
/// anywhere).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct IdentitySpec {
    /// The exact certificate identity (subject alternative name: e-mail or URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<String>,
    /// A regular expression the whole certificate identity must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subject_reg_exp: Option<String>,
    /// The exact OIDC issuer, e.g. `https://token.actions.githubusercontent.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) issuer: Option<String>,
    /// A regular expression the whole OIDC issuer must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) issuer_reg_exp: Option<String>,
}

/// GitHub Actions workflow claims (Fulcio extensions 1.3.6.1.4.1.57264.1.2 to .6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GitHubClaims {
    /// `owner/name` of the repository the workflow ran in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) repository: Option<String>,
    /// The Git ref the workflow ran for, e.g. `refs/heads/main`.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub(crate) git_ref: Option<String>,
    /// The workflow's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) workflow: Option<String>,
    /// The event that triggered the workflow, e.g. `push`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trigger: Option<String>,
    /// The commit the workflow ran at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sha: Option<String>,
}

/// A static decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StaticAction {
    /// Never verifies.
    Deny,
    /// Always verifies.
    Allow,
}

/// One required attestation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Attestation {
    /// A unique name within the rule, used in events.
    pub(crate) name: String,
    /// The in-toto predicate type: a URI, or one of cosign's short names (`slsaprovenance`,
    /// `slsaprovenance02`, `slsaprovenance1`, `link`, `spdx`, `spdxjson`, `cyclonedx`,
    /// `vuln`, `openvex`, `custom`).
    pub(crate) predicate_type: String,
    /// Who may have signed the attestation: names or indices of the rule's authorities, or
    /// inline authorities (default: any of the rule's authorities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorities: Option<Vec<AuthorityRef>>,
    /// CEL expressions over `predicate` (the attestation's predicate, as JSON) that must
    /// all be true, e.g. `predicate.buildDefinition.buildType.startsWith("https://")`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) conditions: Option<Vec<String>>,
}

/// A reference to an authority of the rule, by index or name, or an inline one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum AuthorityRef {
    /// The index of one of the rule's authorities (from 0).
    Index(u32),
    /// The name of one of the rule's authorities.
    Name(String),
    /// An authority of its own.
    Inline(Box<Authority>),
}

/// Limits on updates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Update {
    /// Registries updates may come from (hosts, e.g. `ghcr.io`, `docker.io`); default any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) registries: Option<Vec<String>>,
    /// A semver ceiling in Masterminds syntax (`<3`, `~1.4`, `>=1.2, <2`); applications may
    /// only narrow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) constraint: Option<String>,
    /// Whether pre-release versions (`1.2.0-rc.1`) may be deployed (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) prereleases: Option<bool>,
    /// Update strategies applications may use: `semver`, `newest-build`, `digest`,
    /// `alphabetical` (default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) strategies: Option<Vec<String>>,
    /// How old an image must be before it is deployed, e.g. `24h`, `90m`, `7d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_age: Option<String>,
    /// Whether an update may move to a lower version (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) allow_downgrade: Option<bool>,
}
