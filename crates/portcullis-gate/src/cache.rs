//! Verification results by image: a digest verified under the same policy revision is not
//! verified again. Keyed by repository, digest and policy hash (the same digest in another
//! repository may fall under other rules; a changed policy or key file changes the hash).
//! Bounded: the oldest entry goes first.

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
}
