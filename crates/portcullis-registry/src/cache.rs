//! Bounded single-flight caches: concurrent lookups of one key share one computation.
//!
//! Used for what a cycle asks many times (a repository's tag list, a tag's digest; cleared
//! by `new_cycle`) and for what never changes (documents and creation dates by digest;
//! kept across cycles, oldest entries dropped past the capacity).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// A map from key to a once-filled cell. The first caller of [`OnceMap::cell`] for a key
/// creates the cell; whoever initialises it first does the work and the others wait for it.
#[derive(Debug)]
pub(crate) struct OnceMap<K, V> {
    capacity: usize,
    inner: Mutex<Slots<K, V>>,
}

#[derive(Debug)]
struct Slots<K, V> {
    map: HashMap<K, Arc<OnceCell<V>>>,
    order: VecDeque<K>,
}

impl<K: Eq + Hash + Clone, V> OnceMap<K, V> {
    /// A map holding at most `capacity` keys (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Slots {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    /// The cell for `key`, created empty if absent. Past the capacity the oldest key is
    /// dropped (a caller still holding its cell finishes undisturbed).
    pub(crate) fn cell(&self, key: &K) -> Arc<OnceCell<V>> {
        let mut slots = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cell) = slots.map.get(key) {
            return cell.clone();
        }
        while slots.map.len() >= self.capacity {
            let Some(oldest) = slots.order.pop_front() else {
                break;
            };
            slots.map.remove(&oldest);
        }
        let cell = Arc::new(OnceCell::new());
        slots.map.insert(key.clone(), cell.clone());
        slots.order.push_back(key.clone());
        cell
    }

    /// The value for `key`, when already computed.
    pub(crate) fn peek(&self, key: &K) -> Option<V>
    where
        V: Clone,
    {
        let slots = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.map.get(key).and_then(|c| c.get().cloned())
    }

    /// Sets `key` to `value` unless it already has one.
    pub(crate) fn offer(&self, key: &K, value: V) {
        let _ = self.cell(key).set(value);
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        let mut slots = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.map.clear();
        slots.order.clear();
    }

    /// Keys held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .map
            .len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_lookups_compute_once() {
        let map: Arc<OnceMap<&str, u32>> = Arc::new(OnceMap::new(10));
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (map, runs) = (map.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                *map.cell(&"k")
                    .get_or_init(|| async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        7
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 7);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn oldest_keys_go_first_past_the_capacity() {
        let map: OnceMap<u32, u32> = OnceMap::new(2);
        map.offer(&1, 10);
        map.offer(&2, 20);
        map.offer(&3, 30);
        assert_eq!(map.len(), 2);
        assert_eq!(map.peek(&1), None);
        assert_eq!(map.peek(&2), Some(20));
        assert_eq!(map.peek(&3), Some(30));
        map.offer(&3, 99);
        assert_eq!(map.peek(&3), Some(30), "a set value is never replaced");
        map.clear();
        assert_eq!(map.peek(&3), None);
    }
}
