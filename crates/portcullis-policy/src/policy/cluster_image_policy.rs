//! Sigstore policy-controller `ClusterImagePolicy` documents (`policy.sigstore.dev/v1beta1`
//! and `v1alpha1`), translated into the same model as a native document: one rule per
//! policy, named after it. `docs/policy.md` has the translation table.
//!
//! A foreign format, so read leniently: fields that do not change what is verified
//! (`metadata.labels`, `status`...) are ignored. A field whose meaning Portcullis cannot
//! honour (CUE or Rego policies, KMS keys, alternative signature sources, `match`) is an
//! error naming it, never silently dropped: dropping a check would verify less than the
//! author asked for.

use std::collections::BTreeMap;

use super::path::FieldPath;
use super::report::Findings;
use super::wire;
use super::yaml::{Located, Node};

/// The API versions accepted.
pub(crate) const API_VERSIONS: [&str; 2] = [
    "policy.sigstore.dev/v1beta1",
    "policy.sigstore.dev/v1alpha1",
];
/// The kind.
pub(crate) const KIND: &str = "ClusterImagePolicy";
/// Fulcio of the public-good instance, what `keyless.url` means when no root is named.
const PUBLIC_FULCIO: &str = "https://fulcio.sigstore.dev";
/// policy-controller's namespace, where a `secretRef` without namespace points.
const DEFAULT_SECRET_NAMESPACE: &str = "cosign-system";

/// A translated document: the native form, and which of its fields came from where.
pub(crate) struct Translation {
    pub(crate) document: wire::PolicyDocument,
    pub(crate) remap: Vec<(FieldPath, FieldPath)>,
}

/// Translates one `ClusterImagePolicy`; problems go to `out` (already set to this document).
pub(crate) fn translate(tree: &Located<Node>, doc_index: usize, out: &mut Findings) -> Translation {
    let mut t = Translator {
        out,
        remap: Vec::new(),
        keys: BTreeMap::new(),
    };
    let root = FieldPath::root();
    let name = tree
        .value
        .get("metadata")
        .and_then(|m| m.value.get("name"))
        .and_then(|n| n.value.as_str())
        .map_or_else(
            || format!("cluster-image-policy-{}", doc_index + 1),
            str::to_owned,
        );
    let rule_path = root.key("rules").index(0);
    t.map(&rule_path, &root.key("spec"));
    t.map(&rule_path.key("name"), &root.key("metadata").key("name"));

    let empty = Node::Map(Vec::new());
    let spec_node = tree.value.get("spec");
    let spec = spec_node.map_or(&empty, |s| &s.value);
    let spec_path = root.key("spec");
    if spec_node.is_none() {
        t.out
            .error(&root, "a ClusterImagePolicy needs a 'spec'", None);
    }
    for refused in ["match", "policy"] {
        if spec.get(refused).is_some() {
            t.cannot_honour(
                &spec_path.key(refused),
                match refused {
                    "match" => "Portcullis gates images, not Kubernetes resources; remove 'match'",
                    _ => "CUE and Rego policies are not evaluated; express the check as attestation conditions in a VerificationPolicy (CEL)",
                },
            );
        }
    }

    let mut rule = wire::Rule {
        name: name.clone(),
        ..wire::Rule::default()
    };
    rule.mode = match t.string(spec, "mode", &spec_path) {
        None => None,
        Some(m) if m == "enforce" => Some(wire::Mode::Enforce),
        Some(m) if m == "warn" => Some(wire::Mode::Warn),
        Some(m) => {
            t.out.error(
                &spec_path.key("mode"),
                format!("unknown value '{m}'"),
                Some("expected one of: enforce, warn".to_owned()),
            );
            None
        }
    };

    for (j, image) in t.list(spec, "images", &spec_path).iter().enumerate() {
        let image_path = spec_path.key("images").index(j);
        if image.value.get("regex").is_some() {
            t.cannot_honour(&image_path.key("regex"), "use 'glob'");
        }
        if let Some(glob) = t.string(&image.value, "glob", &image_path) {
            t.map(
                &rule_path.key("images").index(rule.images.len()),
                &image_path.key("glob"),
            );
            rule.images.push(glob);
        }
    }

    let authorities = t.list(spec, "authorities", &spec_path);
    let mut attestations = Vec::new();
    for (i, a) in authorities.iter().enumerate() {
        let a_path = spec_path.key("authorities").index(i);
        let wire_a_path = rule_path.key("authorities").index(i);
        t.map(&wire_a_path, &a_path);
        let authority = t.authority(&a.value, &a_path, &wire_a_path, &name, i);
        for (k, att) in t.list(&a.value, "attestations", &a_path).iter().enumerate() {
            let att_path = a_path.key("attestations").index(k);
            if att.value.get("policy").is_some() {
                let kind = att
                    .value
                    .get("policy")
                    .and_then(|p| p.value.get("type"))
                    .and_then(|t| t.value.as_str())
                    .unwrap_or("unknown");
                t.cannot_honour(
                    &att_path.key("policy"),
                    &format!(
                        "{kind} policies are not evaluated; write the check as a CEL condition in a VerificationPolicy attestation"
                    ),
                );
            }
            let att_name = t.string(&att.value, "name", &att_path).unwrap_or_default();
            let predicate_type = t
                .string(&att.value, "predicateType", &att_path)
                .unwrap_or_default();
            t.map(
                &rule_path.key("attestations").index(attestations.len()),
                &att_path,
            );
            attestations.push(wire::Attestation {
                name: att_name,
                predicate_type,
                authorities: Some(vec![wire::AuthorityRef::Index(
                    u32::try_from(i).unwrap_or(u32::MAX),
                )]),
                conditions: None,
            });
        }
        rule.authorities.push(authority);
    }
    if !attestations.is_empty() {
        rule.attestations = Some(attestations);
    }

    let keys = std::mem::take(&mut t.keys);
    let document = wire::PolicyDocument {
        trust: (!keys.is_empty()).then_some(wire::Trust {
            roots: None,
            keys: Some(keys),
        }),
        rules: Some(vec![rule]),
        ..wire::PolicyDocument::default()
    };
    Translation {
        document,
        remap: t.remap,
    }
}

struct Translator<'a> {
    out: &'a mut Findings,
    remap: Vec<(FieldPath, FieldPath)>,
    keys: BTreeMap<String, wire::PublicKey>,
}

impl Translator<'_> {
    fn map(&mut self, native: &FieldPath, original: &FieldPath) {
        self.remap.push((native.clone(), original.clone()));
    }

    fn cannot_honour(&mut self, path: &FieldPath, hint: &str) {
        let field = path
            .segments()
            .last()
            .map(|s| match s {
                super::path::Segment::Key(k) => k.clone(),
                super::path::Segment::Index(i) => i.to_string(),
            })
            .unwrap_or_default();
        self.out.error(
            path,
            format!("cannot honour '{field}' of a ClusterImagePolicy"),
            Some(hint.to_owned()),
        );
    }

    /// A string field, `None` when absent; an error when present with another type.
    fn string(&mut self, node: &Node, key: &str, path: &FieldPath) -> Option<String> {
        let value = node.get(key)?;
        match &value.value {
            Node::Str(s) => Some(s.clone()),
            other => {
                self.out.error(
                    &path.key(key),
                    format!("expected a string, found {}", other.kind()),
                    None,
                );
                None
            }
        }
    }

    /// A list field, empty when absent; an error when present with another type.
    fn list<'n>(&mut self, node: &'n Node, key: &str, path: &FieldPath) -> &'n [Located<Node>] {
        match node.get(key).map(|v| &v.value) {
            None | Some(Node::Null) => &[],
            Some(Node::Seq(items)) => items,
            Some(other) => {
                self.out.error(
                    &path.key(key),
                    format!("expected a list, found {}", other.kind()),
                    None,
                );
                &[]
            }
        }
    }

    fn authority(
        &mut self,
        a: &Node,
        path: &FieldPath,
        wire_path: &FieldPath,
        policy_name: &str,
        index: usize,
    ) -> wire::Authority {
        for (refused, hint) in [
            (
                "source",
                "signatures are read from the image's own repository; remove 'source'",
            ),
            (
                "ctlog",
                "the transparency log comes from the trusted root; remove 'ctlog'",
            ),
            (
                "rfc3161timestamp",
                "timestamp authorities come from the trusted root; remove 'rfc3161timestamp'",
            ),
            (
                "signatureFormat",
                "both signature layouts are always read; remove 'signatureFormat'",
            ),
        ] {
            if a.get(refused).is_some() {
                self.cannot_honour(&path.key(refused), hint);
            }
        }
        let mut out = wire::Authority {
            name: self.string(a, "name", path),
            ..wire::Authority::default()
        };
        if let Some(key) = a.get("key") {
            let key_path = path.key("key");
            let key_name = format!(
                "{policy_name}-{}",
                out.name
                    .clone()
                    .unwrap_or_else(|| format!("authority-{index}"))
            );
            if key.value.get("kms").is_some() {
                self.cannot_honour(
                    &key_path.key("kms"),
                    "give the public key in 'data' or 'secretRef'",
                );
            }
            let mut public_key = wire::PublicKey {
                pem: self.string(&key.value, "data", &key_path),
                ..wire::PublicKey::default()
            };
            if let Some(secret) = key.value.get("secretRef") {
                let secret_path = key_path.key("secretRef");
                let name = self
                    .string(&secret.value, "name", &secret_path)
                    .unwrap_or_default();
                let namespace = self
                    .string(&secret.value, "namespace", &secret_path)
                    .unwrap_or_else(|| DEFAULT_SECRET_NAMESPACE.to_owned());
                public_key.secret_ref = Some(format!("k8s://{namespace}/{name}"));
            }
            let trust_path = FieldPath::root().key("trust").key("keys").key(&key_name);
            self.map(&trust_path, &key_path);
            self.map(&trust_path.key("pem"), &key_path.key("data"));
            self.map(&trust_path.key("secretRef"), &key_path.key("secretRef"));
            self.keys.insert(key_name.clone(), public_key);
            out.key = Some(wire::KeyAuthority {
                key_ref: key_name,
                ignore_tlog: None,
                trusted_root: None,
            });
        }
        if let Some(keyless) = a.get("keyless") {
            out.keyless = Some(self.keyless(
                &keyless.value,
                &path.key("keyless"),
                &wire_path.key("keyless"),
            ));
        }
        if let Some(stat) = a.get("static") {
            let static_path = path.key("static");
            self.map(&wire_path.key("static"), &static_path.key("action"));
            out.static_action = match self.string(&stat.value, "action", &static_path).as_deref() {
                Some("pass") => Some(wire::StaticAction::Allow),
                Some("fail") => Some(wire::StaticAction::Deny),
                other => {
                    self.out.error(
                        &static_path.key("action"),
                        format!("unknown static action '{}'", other.unwrap_or_default()),
                        Some("expected one of: pass, fail".to_owned()),
                    );
                    Some(wire::StaticAction::Deny)
                }
            };
        }
        out
    }

    fn keyless(
        &mut self,
        k: &Node,
        path: &FieldPath,
        wire_path: &FieldPath,
    ) -> wire::KeylessAuthority {
        self.map(wire_path, path);
        if k.get("ca-cert").is_some() {
            self.cannot_honour(
                &path.key("ca-cert"),
                "name a trusted root holding that CA in 'trustRootRef'",
            );
        }
        let url = self.string(k, "url", path);
        let trust_root = self.string(k, "trustRootRef", path);
        self.map(&wire_path.key("trustedRoot"), &path.key("trustRootRef"));
        if let Some(u) = &url
            && trust_root.is_none()
            && u.trim_end_matches('/') != PUBLIC_FULCIO
        {
            self.cannot_honour(
                &path.key("url"),
                "a Fulcio other than the public-good one needs 'trustRootRef' naming a root under trust.roots of a VerificationPolicy in this file",
            );
        }
        let mut identities = Vec::new();
        for (i, id) in self.list(k, "identities", path).iter().enumerate() {
            let id_path = path.key("identities").index(i);
            identities.push(wire::IdentitySpec {
                subject: self.string(&id.value, "subject", &id_path),
                subject_reg_exp: self.string(&id.value, "subjectRegExp", &id_path),
                issuer: self.string(&id.value, "issuer", &id_path),
                issuer_reg_exp: self.string(&id.value, "issuerRegExp", &id_path),
            });
        }
        let ignore_sct = match k.get("insecureIgnoreSCT").map(|v| &v.value) {
            Some(Node::Bool(b)) => Some(*b),
            _ => None,
        };
        self.map(&wire_path.key("ignoreSct"), &path.key("insecureIgnoreSCT"));
        wire::KeylessAuthority {
            trusted_root: trust_root,
            identities,
            ignore_sct,
            ..wire::KeylessAuthority::default()
        }
    }
}
