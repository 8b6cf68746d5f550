//! A TUF repository on disk, signed with fresh keys, as Sigstore publishes its trusted root:
//! consistent snapshots, one key per role, `trusted_root.json` (or any file) as a target.
//! Serve the directory over HTTP and a TUF client can bootstrap from [`TufRepository::root_json`].

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::{Value, json};
use sigstore_tuf::canonical_json::to_canonical_bytes;
use sigstore_verify::crypto::sha256;

use crate::encoding::hex;
use crate::error::TestSignError;
use crate::key::SigningKey;

const ROLES: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

/// A written repository and its keys.
#[derive(Debug)]
pub struct TufRepository {
    dir: PathBuf,
    keys: Vec<(String, SigningKey, String)>,
    root: Vec<u8>,
}

impl TufRepository {
    /// Writes a repository holding `targets` (name, content) to `dir`, every role's metadata
    /// expiring at `expires`.
    pub fn write(
        dir: &Path,
        targets: &[(&str, &[u8])],
        expires: Timestamp,
    ) -> Result<Self, TestSignError> {
        let mut keys = Vec::new();
        for role in ROLES {
            let key = SigningKey::generate()?;
            let id = key_id(&key)?;
            keys.push((role.to_owned(), key, id));
        }
        let mut repo = Self {
            dir: dir.to_owned(),
            keys,
            root: Vec::new(),
        };
        let expires = expires.to_string();
        let key_objects: serde_json::Map<String, Value> = repo
            .keys
            .iter()
            .map(|(_, key, id)| (id.clone(), key_object(key)))
            .collect();
        let roles: serde_json::Map<String, Value> = repo
            .keys
            .iter()
            .map(|(role, _, id)| (role.clone(), json!({"keyids": [id], "threshold": 1})))
            .collect();
        let root = repo.sign(
            "root",
            json!({
                "_type": "root", "spec_version": "1.0", "version": 1, "expires": expires,
                "consistent_snapshot": true, "keys": key_objects, "roles": roles,
            }),
        )?;
        repo.put("1.root.json", &root)?;
        repo.root = root;

        let mut listed = serde_json::Map::new();
        for (name, content) in targets {
            let hash = hex(sha256(content).as_bytes());
            listed.insert(
                (*name).to_owned(),
                json!({"length": content.len(), "hashes": {"sha256": hash}}),
            );
            repo.put(&format!("targets/{hash}.{name}"), content)?;
        }
        let targets = repo.sign(
            "targets",
            json!({"_type": "targets", "spec_version": "1.0", "version": 1, "expires": expires, "targets": listed}),
        )?;
        repo.put("1.targets.json", &targets)?;
        let snapshot = repo.sign(
            "snapshot",
            json!({"_type": "snapshot", "spec_version": "1.0", "version": 1, "expires": expires,
                   "meta": {"targets.json": {"version": 1}}}),
        )?;
        repo.put("1.snapshot.json", &snapshot)?;
        let timestamp = repo.sign(
            "timestamp",
            json!({"_type": "timestamp", "spec_version": "1.0", "version": 1, "expires": expires,
                   "meta": {"snapshot.json": {"version": 1, "length": snapshot.len(),
                            "hashes": {"sha256": hex(sha256(&snapshot).as_bytes())}}}}),
        )?;
        repo.put("timestamp.json", &timestamp)?;
        Ok(repo)
    }

    /// The version-1 root metadata: what a client is given to start trusting the repository.
    pub fn root_json(&self) -> &[u8] {
        &self.root
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn sign(&self, role: &str, signed: Value) -> Result<Vec<u8>, TestSignError> {
        let (_, key, id) = self
            .keys
            .iter()
            .find(|(r, _, _)| r == role)
            .ok_or_else(|| TestSignError::Der(format!("no key for role {role}")))?;
        let canonical =
            to_canonical_bytes(&signed).map_err(|e| TestSignError::Der(e.to_string()))?;
        let sig = hex(&key.sign(&canonical)?);
        Ok(serde_json::to_vec_pretty(
            &json!({"signed": signed, "signatures": [{"keyid": id, "sig": sig}]}),
        )?)
    }

    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), TestSignError> {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| TestSignError::Write {
                path: parent.to_owned(),
                source,
            })?;
        }
        std::fs::write(&path, bytes).map_err(|source| TestSignError::Write { path, source })
    }
}

fn key_object(key: &SigningKey) -> Value {
    json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": key.public_key_pem()}})
}

fn key_id(key: &SigningKey) -> Result<String, TestSignError> {
    let canonical =
        to_canonical_bytes(&key_object(key)).map_err(|e| TestSignError::Der(e.to_string()))?;
    Ok(hex(sha256(&canonical).as_bytes()))
}
