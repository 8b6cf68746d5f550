//! The second loading phase: documents of the right shape become the validated model.
//! Every problem is recorded (none stops the check), so one run reports them all.
//!
//! Trust material, gates and defaults of every document are read first, then the rules,
//! so a rule may refer to a key or gate defined in another document of the same file.
//! Files the policy names (keys, trusted roots) are read here, relative to the policy's
//! directory; that is the only I/O of the crate.

mod authorities;
mod rules;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::authority::{KeySource, PUBLIC_GOOD_ROOT, Trust, TrustedRootSource};
use super::duration;
use super::gate::{DEFAULT_GATE_TIMEOUT, Gate, GateFailurePolicy, HeaderSource, MAX_GATE_TIMEOUT};
use super::path::FieldPath;
use super::report::Findings;
use super::rule::{Defaults, NoMatch, Rule};
use super::wire;

/// What validation produced (meaningful only when no error was recorded).
#[derive(Debug, Default)]
pub(crate) struct Validated {
    pub(crate) trust: Trust,
    pub(crate) gates: BTreeMap<String, Gate>,
    pub(crate) defaults: Defaults,
    pub(crate) rules: Vec<Rule>,
    /// Every file read, as written, with the sha256 of its content (for the policy hash).
    pub(crate) files: Vec<(String, String)>,
}

/// State shared by the checks.
pub(crate) struct Context<'a> {
    base_dir: &'a Path,
    out: &'a mut Findings,
    trust: Trust,
    gates: BTreeMap<String, Gate>,
    files: Vec<(String, String)>,
    /// Keys and roots that are defined but broken (already reported): references to them
    /// are not reported again as unknown.
    broken: std::collections::BTreeSet<String>,
}

/// Validates `docs` (document index, wire form), in order.
pub(crate) fn validate(
    docs: &[(usize, wire::PolicyDocument)],
    base_dir: &Path,
    out: &mut Findings,
) -> Validated {
    let mut cx = Context {
        base_dir,
        out,
        trust: Trust::default(),
        gates: BTreeMap::new(),
        files: Vec::new(),
        broken: std::collections::BTreeSet::new(),
    };
    let mut defaults: Option<(usize, Defaults)> = None;
    for (doc, d) in docs {
        cx.out.in_doc(*doc);
        if let Some(trust) = &d.trust {
            cx.trust_material(trust);
        }
        for (name, gate) in d.gates.iter().flatten() {
            cx.gate(name, gate);
        }
        if let Some(wire_defaults) = &d.defaults {
            let path = FieldPath::root().key("defaults");
            if defaults.is_some() {
                cx.out.error(
                    &path,
                    "defaults are set in more than one document",
                    Some("keep one 'defaults' section for the whole file".to_owned()),
                );
            }
            let no_match = match wire_defaults.no_match {
                None | Some(wire::NoMatch::Deny) => NoMatch::Deny,
                Some(wire::NoMatch::Allow) => NoMatch::Allow,
                Some(wire::NoMatch::Warn) => NoMatch::Warn,
            };
            if no_match == NoMatch::Allow {
                cx.out.warn(
                    &path.key("noMatch"),
                    "images no rule matches are still never updated (there is no authority to verify them against); 'allow' only reports them as expected",
                    Some("use 'warn' to have each reported as a warning, or 'deny'".to_owned()),
                );
            }
            defaults.get_or_insert((*doc, Defaults { no_match }));
        }
    }
    let mut rules: Vec<Rule> = Vec::new();
    let mut names: BTreeMap<String, ()> = BTreeMap::new();
    for (doc, d) in docs {
        cx.out.in_doc(*doc);
        for (i, rule) in d.rules.iter().flatten().enumerate() {
            let path = FieldPath::root().key("rules").index(i);
            if names.insert(rule.name.clone(), ()).is_some() {
                cx.out.error(
                    &path.key("name"),
                    format!("rule name '{}' is used twice", rule.name),
                    Some("give every rule its own name".to_owned()),
                );
            }
            if let Some(r) = rules::rule(&mut cx, rule, &path) {
                rules.push(r);
            }
        }
    }
    Validated {
        trust: cx.trust,
        gates: cx.gates,
        defaults: defaults.map(|(_, d)| d).unwrap_or_default(),
        rules,
        files: cx.files,
    }
}

impl Context<'_> {
    fn trust_material(&mut self, trust: &wire::Trust) {
        for (name, root) in trust.roots.iter().flatten() {
            let path = FieldPath::root().key("trust").key("roots").key(name);
            if self.trust.roots.contains_key(name) {
                self.out.error(
                    &path,
                    format!("trusted root '{name}' is defined twice"),
                    None,
                );
                continue;
            }
            match self.trusted_root(root, &path) {
                Some(source) => {
                    self.trust.roots.insert(name.clone(), source);
                }
                None => {
                    self.broken.insert(format!("root:{name}"));
                }
            }
        }
        for (name, key) in trust.keys.iter().flatten() {
            let path = FieldPath::root().key("trust").key("keys").key(name);
            if self.trust.keys.contains_key(name) {
                self.out
                    .error(&path, format!("key '{name}' is defined twice"), None);
                continue;
            }
            match self.key(key, &path) {
                Some(source) => {
                    self.trust.keys.insert(name.clone(), source);
                }
                None => {
                    self.broken.insert(format!("key:{name}"));
                }
            }
        }
    }

    fn trusted_root(
        &mut self,
        root: &wire::TrustedRoot,
        path: &FieldPath,
    ) -> Option<TrustedRootSource> {
        match (&root.public_good, &root.path) {
            (Some(_), None) => Some(TrustedRootSource::PublicGood),
            (None, Some(file)) => {
                let (resolved, json) = self.read_file(file, &path.key("path"), "trusted root")?;
                Some(TrustedRootSource::File {
                    path: resolved,
                    json,
                })
            }
            _ => {
                self.out.error(
                    path,
                    "a trusted root needs exactly one of 'publicGood' or 'path'",
                    Some("write 'publicGood: {}' or 'path: trusted_root.json'".to_owned()),
                );
                None
            }
        }
    }

    fn key(&mut self, key: &wire::PublicKey, path: &FieldPath) -> Option<KeySource> {
        match (&key.path, &key.pem, &key.secret_ref) {
            (Some(file), None, None) => {
                let field = path.key("path");
                let (resolved, bytes) = self.read_file(file, &field, "key")?;
                let pem = String::from_utf8_lossy(&bytes).into_owned();
                self.check_pem(&pem, &field)?;
                Some(KeySource::File {
                    path: resolved,
                    pem,
                })
            }
            (None, Some(pem), None) => {
                self.check_pem(pem, &path.key("pem"))?;
                Some(KeySource::Inline { pem: pem.clone() })
            }
            (None, None, Some(reference)) => {
                let parsed = parse_k8s_ref(reference);
                if parsed.is_none() {
                    self.out.error(
                        &path.key("secretRef"),
                        format!("'{reference}' is not a Kubernetes secret reference"),
                        Some("write k8s://<namespace>/<secret>".to_owned()),
                    );
                }
                let (namespace, name) = parsed?;
                Some(KeySource::KubernetesSecret { namespace, name })
            }
            _ => {
                self.out.error(
                    path,
                    "a key needs exactly one of 'path', 'pem' or 'secretRef'",
                    None,
                );
                None
            }
        }
    }

    fn check_pem(&mut self, pem: &str, path: &FieldPath) -> Option<()> {
        let begin = pem.find("-----BEGIN PUBLIC KEY-----");
        let end = pem.find("-----END PUBLIC KEY-----");
        if matches!((begin, end), (Some(b), Some(e)) if b < e) {
            return Some(());
        }
        let hint = if pem.contains("PRIVATE KEY") {
            "this is a private key: give the public half (cosign public-key --key cosign.key)"
        } else {
            "expected a PEM block starting with -----BEGIN PUBLIC KEY-----"
        };
        self.out
            .error(path, "not a PEM public key", Some(hint.to_owned()));
        None
    }

    /// Reads a file the policy names; a missing or unreadable file is an error at `field`.
    fn read_file(
        &mut self,
        written: &str,
        field: &FieldPath,
        what: &str,
    ) -> Option<(PathBuf, Vec<u8>)> {
        if written.trim().is_empty() {
            self.out.error(field, format!("{what} path is empty"), None);
            return None;
        }
        let resolved = self.base_dir.join(written);
        match std::fs::read(&resolved) {
            Ok(bytes) => {
                let digest: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                self.files.push((written.to_owned(), digest));
                Some((resolved, bytes))
            }
            Err(e) => {
                let problem = if e.kind() == std::io::ErrorKind::NotFound {
                    "does not exist"
                } else {
                    "cannot be read"
                };
                self.out.error(
                    field,
                    format!("{what} file '{written}' {problem}"),
                    Some(
                        "relative paths are resolved against the policy file's directory"
                            .to_owned(),
                    ),
                );
                None
            }
        }
    }

    fn gate(&mut self, name: &str, gate: &wire::Gate) {
        let path = FieldPath::root().key("gates").key(name);
        if self.gates.contains_key(name) {
            self.out
                .error(&path, format!("gate '{name}' is defined twice"), None);
            return;
        }
        let mut ok = true;
        if let Err((message, hint)) = check_gate_url(&gate.url) {
            self.out.error(&path.key("url"), message, hint);
            ok = false;
        }
        let timeout = match gate.timeout.as_deref().map(|t| (t, duration::parse(t))) {
            None => DEFAULT_GATE_TIMEOUT,
            Some((_, Some(d))) if !d.is_zero() && d <= MAX_GATE_TIMEOUT => d,
            Some((t, _)) => {
                self.out.error(
                    &path.key("timeout"),
                    format!("'{t}' is not a timeout between 1s and 5m"),
                    Some("write e.g. 10s or 1m".to_owned()),
                );
                ok = false;
                DEFAULT_GATE_TIMEOUT
            }
        };
        let mut headers = Vec::new();
        for (header, source) in gate.headers.iter().flatten() {
            let field = path.key("headers").key(header);
            if header.is_empty() || !header.chars().all(is_token_char) {
                self.out.error(
                    &field,
                    format!("'{header}' is not a valid header name"),
                    None,
                );
                ok = false;
                continue;
            }
            match (&source.env, &source.file) {
                (Some(var), None) if is_env_name(var) => {
                    headers.push((header.clone(), HeaderSource::Env(var.clone())));
                }
                (Some(var), None) => {
                    self.out.error(
                        &field.key("env"),
                        format!("'{var}' is not an environment variable name"),
                        None,
                    );
                    ok = false;
                }
                (None, Some(file)) if !file.trim().is_empty() => {
                    headers.push((header.clone(), HeaderSource::File(self.base_dir.join(file))));
                }
                _ => {
                    self.out.error(
                        &field,
                        "a header value needs exactly one of 'env' or 'file'",
                        Some(
                            "values are never written inline, so no secret ends up in the policy"
                                .to_owned(),
                        ),
                    );
                    ok = false;
                }
            }
        }
        if ok {
            self.gates.insert(
                name.to_owned(),
                Gate {
                    name: name.to_owned(),
                    url: gate.url.clone(),
                    timeout,
                    failure_policy: match gate.failure_policy {
                        Some(wire::GateFailurePolicy::Allow) => GateFailurePolicy::Allow,
                        _ => GateFailurePolicy::Deny,
                    },
                    headers,
                },
            );
        } else {
            // Keep the name known so rules that use it do not also report it as unknown.
            self.gates.insert(
                name.to_owned(),
                Gate {
                    name: name.to_owned(),
                    url: String::new(),
                    timeout,
                    failure_policy: GateFailurePolicy::Deny,
                    headers,
                },
            );
        }
        if gate.failure_policy == Some(wire::GateFailurePolicy::Allow) {
            self.out.warn(
                &path.key("failurePolicy"),
                "an unreachable or failing gate lets candidates through",
                None,
            );
        }
    }

    /// Whether `kind:name` (`key:x`, `root:y`) is defined but broken.
    pub(crate) fn is_broken(&self, kind: &str, name: &str) -> bool {
        self.broken.contains(&format!("{kind}:{name}"))
    }

    /// The root a keyless authority names, or the public-good root when it names none.
    pub(crate) fn root_named(&self, name: Option<&str>) -> Option<(String, TrustedRootSource)> {
        match name {
            None => Some((
                PUBLIC_GOOD_ROOT.to_owned(),
                self.trust
                    .roots
                    .get(PUBLIC_GOOD_ROOT)
                    .cloned()
                    .unwrap_or(TrustedRootSource::PublicGood),
            )),
            Some(n) => self.trust.roots.get(n).map(|r| (n.to_owned(), r.clone())),
        }
    }
}

/// `k8s://namespace/name`, both DNS labels.
fn parse_k8s_ref(reference: &str) -> Option<(String, String)> {
    let rest = reference.strip_prefix("k8s://")?;
    let (namespace, name) = rest.split_once('/')?;
    let label = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    };
    (label(namespace) && label(name)).then(|| (namespace.to_owned(), name.to_owned()))
}

fn check_gate_url(url: &str) -> Result<(), (String, Option<String>)> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        (
            format!("'{url}' is not a URL"),
            Some("write e.g. https://gate.example.com/check".to_owned()),
        )
    })?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err((
            "a gate URL must not carry credentials".to_owned(),
            Some("send them in a header read from 'env' or 'file'".to_owned()),
        ));
    }
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(authority, |(h, _)| h);
    if host.is_empty() {
        return Err((format!("'{url}' has no host"), None));
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(host, "localhost" | "127.0.0.1" | "[::1]") => Ok(()),
        "http" => Err((
            "a gate URL must use https (http only for localhost)".to_owned(),
            None,
        )),
        _ => Err((
            format!("unsupported URL scheme '{scheme}'"),
            Some("use https".to_owned()),
        )),
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_urls() {
        assert!(check_gate_url("https://gate.example.com/check").is_ok());
        assert!(check_gate_url("http://localhost:8080/x").is_ok());
        assert!(check_gate_url("http://127.0.0.1/x").is_ok());
        assert!(check_gate_url("http://gate.example.com").is_err());
        assert!(check_gate_url("https://user:pw@gate.example.com").is_err());
        assert!(check_gate_url("gate.example.com").is_err());
        assert!(check_gate_url("ftp://x").is_err());
    }

    #[test]
    fn kubernetes_references() {
        assert_eq!(
            parse_k8s_ref("k8s://portcullis/release-key"),
            Some(("portcullis".to_owned(), "release-key".to_owned()))
        );
        assert_eq!(parse_k8s_ref("k8s://portcullis"), None);
        assert_eq!(parse_k8s_ref("k8s://Ns/x"), None);
        assert_eq!(parse_k8s_ref("portcullis/x"), None);
    }
}
