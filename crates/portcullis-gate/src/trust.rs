//! The policy's authorities as verifier policies: keys parsed, identities turned into
//! matchers, trusted roots loaded once (a file, or the public-good root through TUF) and
//! shared by every evaluation.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use portcullis_policy::policy::{
    Authority, AuthorityKind, KeySource, Keyless, Policy, StaticAction, TrustedRootSource,
    ValueMatch,
};
use portcullis_verify::{
    BundlePolicy, Identity, Matcher, PublicKey, TrustRoot, TufMode, TufSource,
};
use tokio::sync::Mutex;

/// One authority, ready for the verifier, or why it cannot be used.
#[derive(Clone)]
pub(crate) enum Prepared {
    /// Verify with this policy against this root.
    Verify {
        policy: BundlePolicy,
        trust: TrustRoot,
    },
    /// `static: allow`.
    Allow,
    /// `static: deny`.
    Deny,
}

/// Loads and keeps trusted roots.
pub(crate) struct TrustStore {
    tuf_cache: PathBuf,
    offline: bool,
    roots: Mutex<HashMap<String, Arc<TrustRoot>>>,
    /// Authorities already prepared (keys parsed, patterns compiled, root loaded), by the
    /// authority's address in the policy, which the gate holds unchanged for its life.
    prepared: Mutex<HashMap<usize, Prepared>>,
}

impl TrustStore {
    pub(crate) fn new(tuf_cache: PathBuf, offline: bool) -> Self {
        Self {
            tuf_cache,
            offline,
            roots: Mutex::new(HashMap::new()),
            prepared: Mutex::new(HashMap::new()),
        }
    }

    /// Drops the loaded roots: the next use loads them again.
    pub(crate) async fn forget(&self) {
        self.roots.lock().await.clear();
        self.prepared.lock().await.clear();
    }

    async fn root(&self, source: &TrustedRootSource) -> Result<Arc<TrustRoot>, String> {
        let key = source.to_string();
        let mut roots = self.roots.lock().await;
        if let Some(root) = roots.get(&key) {
            return Ok(root.clone());
        }
        let root = match source {
            // The bytes the policy revision hashed, not the file as it is now.
            TrustedRootSource::File { path, json } => {
                TrustRoot::from_json(json, &path.display().to_string())
                    .map_err(|e| error_chain(&e))?
            }
            _ => {
                let tuf = TufSource::public_good(self.tuf_cache.join("tuf-repo-cdn.sigstore.dev"));
                let mode = if self.offline {
                    TufMode::Offline
                } else {
                    TufMode::Online
                };
                TrustRoot::from_tuf(&tuf, mode)
                    .await
                    .map_err(|e| error_chain(&e))?
                    .0
            }
        };
        let root = Arc::new(root);
        roots.insert(key, root.clone());
        Ok(root)
    }

    /// The trusted root key-based authorities are checked against (their log entries need
    /// a Rekor key): the policy's root named `default`, else its only root, else public good.
    fn key_root(policy: &Policy) -> TrustedRootSource {
        let roots = &policy.trust().roots;
        roots
            .get("default")
            .or_else(|| (roots.len() == 1).then(|| roots.values().next()).flatten())
            .cloned()
            .unwrap_or(TrustedRootSource::PublicGood)
    }

    /// `authority` ready for the verifier.
    pub(crate) async fn prepare(
        &self,
        policy: &Policy,
        authority: &Authority,
    ) -> Result<Prepared, String> {
        let key = std::ptr::from_ref(authority) as usize;
        if let Some(p) = self.prepared.lock().await.get(&key) {
            return Ok(p.clone());
        }
        let prepared = self.prepare_uncached(policy, authority).await?;
        self.prepared.lock().await.insert(key, prepared.clone());
        Ok(prepared)
    }

    async fn prepare_uncached(
        &self,
        policy: &Policy,
        authority: &Authority,
    ) -> Result<Prepared, String> {
        let (verifier, root) = match &authority.kind {
            AuthorityKind::Static { action } => {
                return Ok(match action {
                    StaticAction::Allow => Prepared::Allow,
                    _ => Prepared::Deny,
                });
            }
            AuthorityKind::Key {
                key_name,
                key,
                trusted_root,
            } => {
                let pem = match key {
                    KeySource::KubernetesSecret { .. } => {
                        return Err(format!(
                            "key '{key_name}' ({key}) is a Kubernetes secret, which only the controller reads"
                        ));
                    }
                    other => other.pem().unwrap_or_default(),
                };
                let key = PublicKey::from_pem(pem)
                    .map_err(|e| format!("key '{key_name}': {}", error_chain(&e)))?;
                let root = match trusted_root {
                    Some((_, root)) => root.clone(),
                    None => Self::key_root(policy),
                };
                (BundlePolicy::key(key), root)
            }
            AuthorityKind::Keyless(keyless) => {
                (keyless_policy(keyless)?, keyless.trusted_root.clone())
            }
            _ => {
                return Err(format!(
                    "authority '{}' is of a kind this gate does not know",
                    authority.name
                ));
            }
        };
        let mut verifier = verifier;
        if authority.danger.ignore_tlog {
            verifier = verifier.dangerously_skip_tlog();
        }
        if authority.danger.ignore_sct {
            verifier = verifier.dangerously_skip_sct();
        }
        let trust = self.root(&root).await?;
        Ok(Prepared::Verify {
            policy: verifier,
            trust: (*trust).clone(),
        })
    }
}

fn matcher(value: &ValueMatch) -> Result<Matcher, String> {
    match value {
        ValueMatch::Exact(v) => Matcher::exact(v.clone()),
        ValueMatch::Regex(r) => Matcher::regex(r.pattern()),
        _ => return Err("an identity matcher of a kind this gate does not know".to_owned()),
    }
    .map_err(|e| error_chain(&e))
}

fn keyless_policy(keyless: &Keyless) -> Result<BundlePolicy, String> {
    let mut identities = Vec::new();
    for rule in &keyless.identities {
        let mut identity = Identity::new(matcher(&rule.subject)?, matcher(&rule.issuer)?);
        for (oid, value) in &keyless.extensions {
            identity = identity
                .require_extension(oid, value.clone())
                .map_err(|e| error_chain(&e))?;
        }
        identities.push(identity);
    }
    BundlePolicy::keyless(identities).map_err(|e| error_chain(&e))
}

/// An error and its sources, `: `-separated.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
