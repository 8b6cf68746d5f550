//! The global verification policy: who must have signed which images, which attestations
//! they must carry, how far updates may go, and what happens to images no rule matches.
//! `docs/policy.md` describes the format; `policies/schema.json` is its JSON Schema.
//!
//! Loading is two-phase: the file is read into located YAML, checked for shape against the
//! schema generated from the strict wire types (every unknown field, with a did-you-mean),
//! then validated into a [`Policy`] (every bad pattern, dangling reference, impossible
//! rule). Every problem is reported at once, each with line and column; warnings come back
//! with the policy in [`Loaded`]. Sigstore policy-controller `ClusterImagePolicy` documents
//! are translated into the same model, and so is policy-controller's `policy.Verification`
//! file (`no-match-policy` and `policies` sources). Several documents in one file make one
//! policy.
//!
//! A caller must know: every rule that matches an image applies ([`Policy::rules_for`]);
//! an image no rule matches gets [`Policy::no_match`] (deny unless the policy says
//! otherwise); application settings may only narrow a rule's update limits
//! ([`Policy::check_app_settings`]); [`Policy::hash`] changes whenever the policy or a file
//! it names changes, so it can key a verification cache.
//!
//! I/O: [`Policy::load`] reads the policy and the key and trusted-root files it names;
//! nothing else in this module touches the file system or the network.

mod attestation;
mod authority;
mod cluster_image_policy;
mod condition;
pub mod danger;
mod duration;
mod error;
mod explain;
mod gate;
mod image_pattern;
mod narrowing;
mod path;
mod report;
mod rule;
mod schema;
mod source;
mod structure;
mod suggest;
mod validate;
mod verification;
mod wire;
mod yaml;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use portcullis_image::ImageRef;
use sha2::{Digest as _, Sha256};

pub use attestation::{
    AttestationRequirement, ConditionFailure, PREDICATE_SHORT_NAMES, predicate_type_uri,
};
pub use authority::{
    AnchoredRegex, Authority, AuthorityKind, GITHUB_WORKFLOW_NAME, GITHUB_WORKFLOW_REF,
    GITHUB_WORKFLOW_REPOSITORY, GITHUB_WORKFLOW_SHA, GITHUB_WORKFLOW_TRIGGER, IdentityRule,
    KeySource, Keyless, PUBLIC_GOOD_ROOT, StaticAction, Trust, TrustedRootSource, ValueMatch,
};
pub use condition::{Condition, ConditionError, EvaluationError, PREDICATE_VARIABLE};
pub use error::{Diagnostic, Location, PolicyError, Warning};
pub use explain::{AttestationExplanation, Explanation, RuleExplanation};
pub use gate::{DEFAULT_GATE_TIMEOUT, Gate, GateFailurePolicy, HeaderSource, MAX_GATE_TIMEOUT};
pub use image_pattern::{ImagePattern, ImagePatternError};
pub use narrowing::{AppSettings, Setting, WIDENING_REASON, Widening};
pub use rule::{
    DEFAULT_MAX_CANDIDATES, Defaults, MAX_CANDIDATES, Mode, NoMatch, OnFailure, Rule, UpdateLimits,
};
pub use schema::json_schema;

use path::FieldPath;
use report::Findings;
use source::Document;
use yaml::{Located, Node};

/// A validated verification policy. Built only by [`Policy::load`] or
/// [`Policy::from_yaml`]; valid for as long as it lives.
#[derive(Clone, Debug)]
pub struct Policy {
    origin: String,
    name: Option<String>,
    trust: Trust,
    gates: BTreeMap<String, Gate>,
    defaults: Defaults,
    rules: Vec<Rule>,
    hash: PolicyHash,
}

/// A loaded policy and the warnings it earned.
#[derive(Debug)]
#[non_exhaustive]
pub struct Loaded {
    /// The policy.
    pub policy: Policy,
    /// Problems not serious enough to refuse it (unanchored patterns, danger switches...).
    pub warnings: Vec<Warning>,
}

/// The policy revision: sha256 over the canonical form of the policy and the content of
/// every file it names. `Display` prints `sha256:<hex>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct PolicyHash(String);

impl PolicyHash {
    /// `sha256:<64 hex digits>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Policy {
    /// Reads and validates the policy file at `path`. Relative paths in it are resolved
    /// against its directory.
    pub fn load(path: impl AsRef<Path>) -> Result<Loaded, PolicyError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| PolicyError::Read {
            path: origin.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        Self::from_yaml(&text, &origin)
    }

    /// Validates policy text. `origin` names it in messages and, when it is a file path,
    /// relative paths in the policy are resolved against its directory (the current
    /// directory otherwise).
    pub fn from_yaml(text: &str, origin: &str) -> Result<Loaded, PolicyError> {
        let base_dir = Path::new(origin)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        if let Some(documents) = verification::convert(text, origin, base_dir)? {
            // Positions in the translation are not the file's: say which file it came from.
            return Self::from_yaml(
                &documents,
                &format!("{origin} (as its policy-controller policies)"),
            );
        }
        let invalid = |problems| PolicyError::Invalid {
            origin: origin.to_owned(),
            problems,
        };
        let trees = match yaml::parse_documents(text) {
            Ok(trees) => trees,
            Err(e) => {
                return Err(invalid(vec![Diagnostic {
                    origin: origin.to_owned(),
                    location: e.at,
                    field: "(document)".to_owned(),
                    message: format!("not valid YAML: {}", e.message),
                    hint: None,
                }]));
            }
        };
        let mut findings = Findings::default();
        let mut documents = Vec::new();
        let mut wire_docs = Vec::new();
        if trees.is_empty() {
            findings.error(
                &FieldPath::root(),
                "the policy is empty",
                Some(format!(
                    "start with 'apiVersion: {}' and 'kind: {}'",
                    wire::API_VERSION,
                    wire::KIND
                )),
            );
            documents.push(Document::native(
                Located {
                    value: Node::Null,
                    at: Location { line: 1, column: 1 },
                },
                Vec::new(),
            ));
        }
        for (index, tree) in trees.into_iter().enumerate() {
            findings.in_doc(index);
            let (document, wire_doc) = read_document(tree, index, &mut findings);
            documents.push(document);
            if let Some(w) = wire_doc {
                wire_docs.push((index, w));
            }
        }
        let shape_errors = findings.errors.len();
        let validated = validate::validate(&wire_docs, base_dir, &mut findings);
        // Validation of a field the shape check refused would only repeat that problem.
        let repeats = |f: &report::Finding| {
            documents
                .get(f.doc)
                .is_some_and(|d| d.refused.iter().any(|r| f.path.starts_with(r)))
        };
        let tail = findings.errors.split_off(shape_errors);
        findings
            .errors
            .extend(tail.into_iter().filter(|f| !repeats(f)));
        findings.warnings.retain(|f| !repeats(f));
        if !findings.errors.is_empty() {
            return Err(invalid(source::diagnostics(
                origin,
                &documents,
                &findings.errors,
            )));
        }
        let warnings = source::diagnostics(origin, &documents, &findings.warnings);
        let hash = hash(&wire_docs, &validated.files);
        let name = wire_docs
            .iter()
            .find_map(|(_, d)| d.metadata.as_ref().and_then(|m| m.name.clone()));
        Ok(Loaded {
            policy: Policy {
                origin: origin.to_owned(),
                name,
                trust: validated.trust,
                gates: validated.gates,
                defaults: validated.defaults,
                rules: validated.rules,
                hash,
            },
            warnings,
        })
    }

    /// Every rule whose `images` match `image`, in file order. All of them apply: the
    /// image must satisfy each one. Empty means [`Policy::no_match`] decides.
    pub fn rules_for(&self, image: &ImageRef) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.matches(image.repository()))
            .collect()
    }

    /// What happens to an image no rule matches (`defaults.noMatch`, deny by default).
    pub fn no_match(&self) -> NoMatch {
        self.defaults.no_match
    }

    /// Checks that `app`'s own settings only narrow the update limits of `rules` (normally
    /// [`Policy::rules_for`] of its image). Every widening found is returned; each has the
    /// reason code [`WIDENING_REASON`] (`policy_widening_rejected`).
    pub fn check_app_settings(
        &self,
        rules: &[&Rule],
        app: &AppSettings,
    ) -> Result<(), Vec<Widening>> {
        narrowing::check(rules, app)
    }

    /// Which rules apply to `image` and what they require.
    pub fn explain(&self, image: &ImageRef) -> Explanation {
        let rules = self.rules_for(image);
        Explanation {
            image: image.to_string(),
            policy_revision: self.hash.to_string(),
            no_match: rules.is_empty().then_some(self.defaults.no_match),
            rules: rules
                .into_iter()
                .map(|r| explain::rule(r, image.repository()))
                .collect(),
        }
    }

    /// The policy revision.
    pub fn hash(&self) -> &PolicyHash {
        &self.hash
    }

    /// All rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Trusted roots and keys, by name.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// External gates, by name.
    pub fn gates(&self) -> &BTreeMap<String, Gate> {
        &self.gates
    }

    /// The gate named `name`.
    pub fn gate(&self, name: &str) -> Option<&Gate> {
        self.gates.get(name)
    }

    /// Policy-wide defaults.
    pub fn defaults(&self) -> &Defaults {
        &self.defaults
    }

    /// `metadata.name` of the first document that has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the policy came from, as given to the loader.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// Reads one document: checks its kind, its shape, and decodes it (translating a
/// `ClusterImagePolicy`).
fn read_document(
    tree: Located<Node>,
    index: usize,
    findings: &mut Findings,
) -> (Document, Option<wire::PolicyDocument>) {
    let root = FieldPath::root();
    let api_version = tree
        .value
        .get("apiVersion")
        .and_then(|v| v.value.as_str())
        .map(str::to_owned);
    let kind = tree
        .value
        .get("kind")
        .and_then(|v| v.value.as_str())
        .map(str::to_owned);
    if !matches!(tree.value, Node::Map(_)) {
        findings.error(
            &root,
            format!(
                "a policy document must be a mapping, found {}",
                tree.value.kind()
            ),
            None,
        );
        return (Document::native(tree, Vec::new()), None);
    }
    let is_cip = api_version
        .as_deref()
        .is_some_and(|v| cluster_image_policy::API_VERSIONS.contains(&v));
    if is_cip {
        if kind.as_deref() != Some(cluster_image_policy::KIND) {
            findings.error(
                &root.key("kind"),
                format!(
                    "unsupported kind '{}' for {}",
                    kind.unwrap_or_default(),
                    api_version.unwrap_or_default()
                ),
                Some(format!(
                    "only {} is accepted from policy.sigstore.dev",
                    cluster_image_policy::KIND
                )),
            );
            return (Document::native(tree, Vec::new()), None);
        }
        let t = cluster_image_policy::translate(&tree, index, findings);
        return (
            Document {
                tree,
                remap: Some(t.remap),
                refused: Vec::new(),
            },
            Some(t.document),
        );
    }
    if let Some(v) = &api_version
        && v != wire::API_VERSION
    {
        let mut accepted = vec![wire::API_VERSION];
        accepted.extend(cluster_image_policy::API_VERSIONS);
        findings.error(
            &root.key("apiVersion"),
            format!("unsupported apiVersion '{v}'"),
            suggest::hint(v, accepted.iter().copied()),
        );
        return (Document::native(tree, Vec::new()), None);
    }
    let shape = structure::check(&tree, findings);
    match serde_json::from_value::<wire::PolicyDocument>(shape.cleaned) {
        Ok(doc) => (Document::native(tree, shape.refused), Some(doc)),
        Err(e) => {
            // The shape check hands serde only what it accepts; this is a safety net.
            findings.error(&root, format!("cannot read the document: {e}"), None);
            (Document::native(tree, Vec::new()), None)
        }
    }
}

fn hash(docs: &[(usize, wire::PolicyDocument)], files: &[(String, String)]) -> PolicyHash {
    let mut hasher = Sha256::new();
    for (_, doc) in docs {
        // Structs serialise in declaration order and maps are sorted (BTreeMap): canonical.
        hasher.update(serde_json::to_vec(doc).unwrap_or_default());
        hasher.update(b"\n");
    }
    let mut files: Vec<&(String, String)> = files.iter().collect();
    files.sort();
    for (path, digest) in files {
        hasher.update(format!("file {path} sha256:{digest}\n").as_bytes());
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    PolicyHash(format!("sha256:{hex}"))
}
