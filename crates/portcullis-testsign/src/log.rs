//! A Rekor-like transparency log and a CT-like log, both a key in memory.
//!
//! The Rekor-like log integrates an entry body at a given time and returns what Rekor v1
//! returns: the log index, the signed entry timestamp (an ECDSA signature over the canonical
//! JSON `{"body","integratedTime","logID","logIndex"}`) and an inclusion proof in a Merkle
//! tree (RFC 6962 hashing) of which the entry is the last leaf, with a signed checkpoint. The
//! other leaves are placeholders: only the path from this entry to the root matters to a
//! verifier. The CT-like log signs RFC 6962 precertificate SCTs.

use std::sync::atomic::{AtomicI64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use sigstore_verify::crypto::sha256;

use crate::encoding::{hex, tls_vec};
use crate::error::TestSignError;
use crate::key::SigningKey;

/// A log: its key, its origin (the checkpoint's first line) and the next free index.
#[derive(Debug)]
pub struct TransparencyLog {
    key: SigningKey,
    origin: String,
    next_index: AtomicI64,
}

/// One entry as the log returns it.
#[derive(Clone, Debug)]
pub struct LogEntry {
    /// The canonicalized entry body (JSON), exact bytes.
    pub body: Vec<u8>,
    /// Seconds since the epoch at which the entry was integrated.
    pub integrated_time: i64,
    /// The entry's index.
    pub log_index: i64,
    /// The log's ID: SHA-256 of its public key.
    pub log_id: [u8; 32],
    /// The signed entry timestamp, DER ECDSA.
    pub signed_entry_timestamp: Vec<u8>,
    /// Size of the tree the inclusion proof is for.
    pub tree_size: i64,
    /// Root hash of that tree.
    pub root_hash: [u8; 32],
    /// The inclusion proof's sibling hashes, leaf to root.
    pub hashes: Vec<[u8; 32]>,
    /// The signed checkpoint (a signed note) for that tree.
    pub checkpoint: String,
}

impl TransparencyLog {
    /// A log with a fresh key; `origin` is the checkpoint origin (for a Rekor v1 log,
    /// `<host> - <tree id>`).
    pub fn new(origin: &str) -> Result<Self, TestSignError> {
        Ok(Self {
            key: SigningKey::generate()?,
            origin: origin.to_owned(),
            next_index: AtomicI64::new(0),
        })
    }

    /// The log's key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Integrates `body` at `integrated_time` (seconds since the epoch).
    pub fn integrate(&self, body: &[u8], integrated_time: i64) -> Result<LogEntry, TestSignError> {
        let log_index = self.next_index.fetch_add(1, Ordering::Relaxed);
        let log_id = self.key.key_id();
        // serde_json's map is ordered by key, which is the canonical order the SET signs.
        let promise = json!({
            "body": STANDARD.encode(body),
            "integratedTime": integrated_time,
            "logID": hex(&log_id),
            "logIndex": log_index,
        });
        let signed_entry_timestamp = self.key.sign(&serde_json::to_vec(&promise)?)?;
        let leaf = leaf_hash(body);
        let leaves: Vec<[u8; 32]> = (0..log_index)
            .map(|i| leaf_hash(format!("placeholder {i}").as_bytes()))
            .chain(std::iter::once(leaf))
            .collect();
        let index = leaves.len() - 1;
        let root_hash = tree_hash(&leaves);
        let hashes = audit_path(index, &leaves);
        let tree_size = log_index + 1;
        let checkpoint = self.checkpoint(tree_size, &root_hash)?;
        Ok(LogEntry {
            body: body.to_vec(),
            integrated_time,
            log_index,
            log_id,
            signed_entry_timestamp,
            tree_size,
            root_hash,
            hashes,
            checkpoint,
        })
    }

    /// A signed note for a tree: origin, size, root, then the log's signature line (key hint:
    /// the first four bytes of the key ID).
    fn checkpoint(&self, tree_size: i64, root: &[u8; 32]) -> Result<String, TestSignError> {
        let body = format!("{}\n{tree_size}\n{}\n", self.origin, STANDARD.encode(root));
        let mut signature = self.key.key_id()[..4].to_vec();
        signature.extend(self.key.sign(body.as_bytes())?);
        let name = self.origin.split(' ').next().unwrap_or(&self.origin);
        Ok(format!(
            "{body}\n\u{2014} {name} {}\n",
            STANDARD.encode(signature)
        ))
    }

    /// A `SignedCertificateTimestampList` (RFC 6962 §3.3, TLS encoding) holding one SCT over
    /// the precertificate `tbs` (DER, without the SCT extension) issued by the key
    /// `issuer_spki`, timestamped `millis`.
    pub fn sct_list(
        &self,
        tbs: &[u8],
        issuer_spki: &[u8],
        millis: u64,
    ) -> Result<Vec<u8>, TestSignError> {
        // digitally-signed struct: version v1, certificate_timestamp, timestamp,
        // precert_entry, issuer key hash, TBS (24-bit length), no extensions.
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&millis.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes());
        signed.extend_from_slice(sha256(issuer_spki).as_bytes());
        tls_vec(&mut signed, 3, tbs);
        tls_vec(&mut signed, 2, &[]);
        let signature = self.key.sign(&signed)?;

        let mut sct = vec![0u8];
        sct.extend_from_slice(&self.key.key_id());
        sct.extend_from_slice(&millis.to_be_bytes());
        tls_vec(&mut sct, 2, &[]);
        // SHA-256 (4) with ECDSA (3).
        sct.extend_from_slice(&[4, 3]);
        tls_vec(&mut sct, 2, &signature);

        let mut one = Vec::new();
        tls_vec(&mut one, 2, &sct);
        let mut list = Vec::new();
        tls_vec(&mut list, 2, &one);
        Ok(list)
    }
}

/// RFC 6962 leaf hash.
fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut input = vec![0u8];
    input.extend_from_slice(data);
    to_array(sha256(&input).as_bytes())
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut input = vec![1u8];
    input.extend_from_slice(left);
    input.extend_from_slice(right);
    to_array(sha256(&input).as_bytes())
}

fn to_array(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(bytes);
    out
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 6962 Merkle tree hash of leaf hashes.
fn tree_hash(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves {
        [] => to_array(sha256(&[]).as_bytes()),
        [one] => *one,
        _ => {
            let k = split(leaves.len());
            node_hash(&tree_hash(&leaves[..k]), &tree_hash(&leaves[k..]))
        }
    }
}

/// RFC 6962 audit path of leaf `m`.
fn audit_path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    if m < k {
        let mut path = audit_path(m, &leaves[..k]);
        path.push(tree_hash(&leaves[k..]));
        path
    } else {
        let mut path = audit_path(m - k, &leaves[k..]);
        path.push(tree_hash(&leaves[..k]));
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_paths_verify_with_the_upstream_merkle_code() {
        for n in 1..=9usize {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
            let root = tree_hash(&leaves);
            let path: Vec<_> = audit_path(n - 1, &leaves)
                .into_iter()
                .map(sigstore_verify::types::Sha256Hash::new)
                .collect();
            let ok = sigstore_merkle_check(&leaves[n - 1], n - 1, n, &path, &root);
            assert!(ok, "tree of {n}");
        }
    }

    fn sigstore_merkle_check(
        leaf: &[u8; 32],
        index: usize,
        size: usize,
        path: &[sigstore_verify::types::Sha256Hash],
        root: &[u8; 32],
    ) -> bool {
        // Recompute the root from the path as RFC 9162 §2.1.3.2 does.
        let (mut fnode, mut snode) = (index, size - 1);
        let mut r = *leaf;
        for p in path {
            let p = to_array(p.as_bytes());
            if snode == 0 {
                return false;
            }
            if fnode % 2 == 1 || fnode == snode {
                r = node_hash(&p, &r);
                while fnode % 2 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            } else {
                r = node_hash(&r, &p);
            }
            fnode >>= 1;
            snode >>= 1;
        }
        snode == 0 && r == *root
    }
}
