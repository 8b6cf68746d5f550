//! Verification results by image: a digest verified under the same policy revision is not
//! verified again. Keyed by repository, digest and policy hash (the same digest in another
//! repository may fall under other rules; a changed policy or key file changes the hash).
//! Bounded: the oldest entry goes first.
//!
//! Only a clean pass is kept across cycles. A refusal (`signature_missing` until CI has run
//! `cosign sign`, an identity mismatch until a second signer is added) and a pass with
//! warnings are facts about the registry at one moment: they serve the rest of the cycle
//! (several applications watching one image) and are forgotten when the next one starts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use portcullis_verify::BundleVerified;

use crate::decision::Reason;

/// What verification concluded for one key: the signature that made the image (with the
/// authority label and the rules that held), or the failure.
#[derive(Clone, Debug)]
pub(crate) enum Verdict {
    Held {
        verified: Option<Box<(BundleVerified, String)>>,
        rules: Vec<String>,
        warnings: Vec<(Reason, String)>,
    },
    Failed {
        reason: Reason,
        detail: String,
    },
}

/// The bounded cache.
#[derive(Debug)]
pub struct VerificationCache {
    capacity: usize,
    inner: Mutex<(HashMap<String, Verdict>, VecDeque<String>)>,
}

impl VerificationCache {
    /// A cache of at most `capacity` verdicts.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    pub(crate) fn key(repository: &str, digest: &str, policy: &str) -> String {
        format!("{repository}@{digest}#{policy}")
    }

    pub(crate) fn get(&self, key: &str) -> Option<Verdict> {
        let guard = self.inner.lock().ok()?;
        guard.0.get(key).cloned()
    }

    pub(crate) fn put(&self, key: String, verdict: Verdict) {
        let Ok(mut guard) = self.inner.lock() else {
            return;
        };
        let (map, order) = &mut *guard;
        if map.insert(key.clone(), verdict).is_none() {
            order.push_back(key);
        }
        while map.len() > self.capacity {
            let Some(oldest) = order.pop_front() else {
                break;
            };
            map.remove(&oldest);
        }
    }

    /// Forgets every verdict but clean passes: what was refused, or passed with warnings,
    /// is verified again next time.
    pub(crate) fn forget_refusals(&self) {
        let Ok(mut guard) = self.inner.lock() else {
            return;
        };
        let (map, order) = &mut *guard;
        map.retain(|_, v| matches!(v, Verdict::Held { warnings, .. } if warnings.is_empty()));
        order.retain(|k| map.contains_key(k));
    }

    /// How many verdicts are held.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.0.len()).unwrap_or(0)
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> Verdict {
        Verdict::Failed {
            reason: Reason::SignatureMissing,
            detail: String::new(),
        }
    }

    #[test]
    fn the_oldest_goes_first_when_full() {
        let cache = VerificationCache::new(2);
        cache.put("a".into(), failed());
        cache.put("b".into(), failed());
        cache.put("a".into(), failed()); // a refresh does not reorder or grow
        cache.put("c".into(), failed());
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_some() && cache.get("c").is_some());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn only_clean_passes_outlive_a_cycle() {
        let cache = VerificationCache::new(8);
        let held = |warnings: Vec<(Reason, String)>| Verdict::Held {
            verified: None,
            rules: vec!["r".into()],
            warnings,
        };
        cache.put("clean".into(), held(Vec::new()));
        cache.put(
            "warned".into(),
            held(vec![(Reason::AttestationFailed, "missing".into())]),
        );
        cache.put("refused".into(), failed());
        cache.forget_refusals();
        assert!(cache.get("clean").is_some());
        assert!(cache.get("warned").is_none());
        assert!(cache.get("refused").is_none());
        assert_eq!(cache.len(), 1);
        // The order list shrank with the map: filling up evicts what is really there.
        let small = VerificationCache::new(1);
        small.put("refused".into(), failed());
        small.forget_refusals();
        small.put("clean".into(), held(Vec::new()));
        assert!(small.get("clean").is_some());
    }
}
