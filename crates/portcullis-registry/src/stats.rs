//! Request accounting per registry, per cycle: what a cycle cost, for metrics and benches.
//!
//! Every HTTP request the client sends is counted, whatever it is for: API calls, token
//! fetches, retries, and redirect hops (counted in the redirect policy, since the transport
//! follows them). [`crate::RegistryClient::new_cycle`] resets the counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one registry (live, atomic).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    token_requests: AtomicU64,
    blob_fetches: AtomicU64,
    manifest_heads: AtomicU64,
    manifest_gets: AtomicU64,
    tag_list_pages: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
    redirects: AtomicU64,
}

/// What one registry cost in the current cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RegistryStats {
    /// Every HTTP request sent: token requests, retries and redirect hops included.
    pub requests: u64,
    /// Token requests (bearer flow).
    pub token_requests: u64,
    /// Config blob fetches.
    pub blob_fetches: u64,
    /// Manifest `HEAD`s (tag to digest).
    pub manifest_heads: u64,
    /// Manifest `GET`s.
    pub manifest_gets: u64,
    /// Tag list pages.
    pub tag_list_pages: u64,
    /// `429` answers.
    pub throttled: u64,
    /// Requests repeated after a `429`, a `5xx` or a connection error.
    pub retries: u64,
    /// Redirects followed (blob downloads from storage, mostly).
    pub redirects: u64,
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
                manifest_heads: a.manifest_heads + b.manifest_heads,
                manifest_gets: a.manifest_gets + b.manifest_gets,
                tag_list_pages: a.tag_list_pages + b.tag_list_pages,
                throttled: a.throttled + b.throttled,
                retries: a.retries + b.retries,
                redirects: a.redirects + b.redirects,
            })
    }

    /// The costs of one registry (zero when it was not contacted).
    pub fn registry(&self, host: &str) -> RegistryStats {
        self.registries.get(host).copied().unwrap_or_default()
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Request,
    Token,
    Blob,
    ManifestHead,
    ManifestGet,
    TagPage,
    Throttled,
    Retry,
    Redirect,
}

impl Counters {
    pub(crate) fn add(&self, kind: Kind) {
        let c = match kind {
            Kind::Request => &self.requests,
            Kind::Token => &self.token_requests,
            Kind::Blob => &self.blob_fetches,
            Kind::ManifestHead => &self.manifest_heads,
            Kind::ManifestGet => &self.manifest_gets,
            Kind::TagPage => &self.tag_list_pages,
            Kind::Throttled => &self.throttled,
            Kind::Retry => &self.retries,
            Kind::Redirect => &self.redirects,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RegistryStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RegistryStats {
            requests: g(&self.requests),
            token_requests: g(&self.token_requests),
            blob_fetches: g(&self.blob_fetches),
            manifest_heads: g(&self.manifest_heads),
            manifest_gets: g(&self.manifest_gets),
            tag_list_pages: g(&self.tag_list_pages),
            throttled: g(&self.throttled),
            retries: g(&self.retries),
            redirects: g(&self.redirects),
        }
    }

    pub(crate) fn reset(&self) {
        for a in [
            &self.requests,
            &self.token_requests,
            &self.blob_fetches,
            &self.manifest_heads,
            &self.manifest_gets,
            &self.tag_list_pages,
            &self.throttled,
            &self.retries,
            &self.redirects,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }
}
