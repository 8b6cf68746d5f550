//! Per-registry limits: a token bucket for requests per second and a semaphore for
//! concurrent requests. The bucket is hand-written (a dozen lines) rather than taken from a
//! rate-limiting crate so that every request kind shares it, it runs on tokio's clock
//! (pausable in tests), and a `429 Retry-After` can push the whole registry back at once
//! (`governor` has no "pause everyone until" and runs on its own clock).
//!
//! A permit is held until the response body has been read, so `max_concurrent` bounds
//! requests in flight, not just requests being started.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Limits {
    bucket: Mutex<Bucket>,
    concurrent: Arc<Semaphore>,
}

#[derive(Debug)]
struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
    /// Nothing is sent before this instant (set by `429 Retry-After`).
    paused_until: Option<Instant>,
}

impl Limits {
    pub(crate) fn new(rps: u32, max_concurrent: usize) -> Self {
        let rate = f64::from(rps.max(1));
        Self {
            bucket: Mutex::new(Bucket {
                rate,
                capacity: rate,
                tokens: rate,
                last: Instant::now(),
                paused_until: None,
            }),
            concurrent: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    /// Waits for a concurrency slot and a rate token; the permit frees the slot on drop.
    pub(crate) async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        let permit = self.concurrent.clone().acquire_owned().await.ok()?;
        loop {
            let wait = {
                let mut b = self.bucket.lock().await;
                let now = Instant::now();
                if let Some(until) = b.paused_until.filter(|u| *u > now) {
                    until - now
                } else {
                    let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
                    b.tokens = (b.tokens + elapsed * b.rate).min(b.capacity);
                    b.last = now;
                    if b.tokens >= 1.0 {
                        b.tokens -= 1.0;
                        return Some(permit);
                    }
                    Duration::from_secs_f64((1.0 - b.tokens) / b.rate)
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Holds every request to this registry back for `delay` (a `429 Retry-After`).
    pub(crate) async fn pause_for(&self, delay: Duration) {
        let mut b = self.bucket.lock().await;
        let until = Instant::now() + delay;
        if b.paused_until.is_none_or(|u| u < until) {
            b.paused_until = Some(until);
        }
        b.tokens = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_is_enforced_after_the_burst() {
        let l = Limits::new(10, 4);
        let start = Instant::now();
        for _ in 0..30 {
            drop(l.acquire().await);
        }
        // 10 in the initial burst, 20 more at 10 per second.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
        assert!(elapsed <= Duration::from_millis(2100), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_bounded_while_permits_are_held() {
        let l = Limits::new(1000, 2);
        let a = l.acquire().await.unwrap();
        let _b = l.acquire().await.unwrap();
        let third = tokio::time::timeout(Duration::from_secs(1), l.acquire()).await;
        assert!(third.is_err(), "a third request waits for a slot");
        drop(a);
        assert!(l.acquire().await.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_pauses_everyone() {
        let l = Limits::new(100, 4);
        l.pause_for(Duration::from_secs(3)).await;
        let start = Instant::now();
        drop(l.acquire().await);
        assert!(start.elapsed() >= Duration::from_secs(3));
    }
}
