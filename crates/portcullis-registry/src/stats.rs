//! Request accounting per registry, per cycle: what a cycle cost, for metrics and benches.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one registry (live, atomic).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    token_requests: AtomicU64,
    blob_fetches: AtomicU64,
    manifest_fetches: AtomicU64,
    tag_list_pages: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
}

/// What one registry cost in the current cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RegistryStats {
    /// Every HTTP request sent, token requests and retries included.
    pub requests: u64,
    /// Token requests (bearer flow).
    pub token_requests: u64,
    /// Config blob fetches.
    pub blob_fetches: u64,
    /// Manifest GETs and HEADs.
    pub manifest_fetches: u64,
    /// Tag list pages.
    pub tag_list_pages: u64,
    /// `429` answers.
    pub throttled: u64,
    /// Requests repeated after a 429, a 5xx or a connection error.
    pub retries: u64,
}

/// Per-registry costs of the current cycle.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RequestStats {
    /// By registry host.
    pub registries: BTreeMap<String, RegistryStats>,
}

impl RequestStats {
    /// The sum over all registries.
    pub fn total(&self) -> RegistryStats {
        self.registries
            .values()
            .fold(RegistryStats::default(), |a, b| RegistryStats {
                requests: a.requests + b.requests,
                token_requests: a.token_requests + b.token_requests,
                blob_fetches: a.blob_fetches + b.blob_fetches,
                manifest_fetches: a.manifest_fetches + b.manifest_fetches,
                tag_list_pages: a.tag_list_pages + b.tag_list_pages,
                throttled: a.throttled + b.throttled,
                retries: a.retries + b.retries,
            })
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Request,
    Token,
    Blob,
    Manifest,
    TagPage,
    Throttled,
    Retry,
}

impl Counters {
    pub(crate) fn add(&self, kind: Kind) {
        let c = match kind {
            Kind::Request => &self.requests,
            Kind::Token => &self.token_requests,
            Kind::Blob => &self.blob_fetches,
            Kind::Manifest => &self.manifest_fetches,
            Kind::TagPage => &self.tag_list_pages,
            Kind::Throttled => &self.throttled,
            Kind::Retry => &self.retries,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RegistryStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RegistryStats {
            requests: g(&self.requests),
            token_requests: g(&self.token_requests),
            blob_fetches: g(&self.blob_fetches),
            manifest_fetches: g(&self.manifest_fetches),
            tag_list_pages: g(&self.tag_list_pages),
            throttled: g(&self.throttled),
            retries: g(&self.retries),
        }
    }

    pub(crate) fn reset(&self) {
        for a in [
            &self.requests,
            &self.token_requests,
            &self.blob_fetches,
            &self.manifest_fetches,
            &self.tag_list_pages,
            &self.throttled,
            &self.retries,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }
}
