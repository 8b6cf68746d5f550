//! Retry timing: exponential back-off with jitter for `5xx` and connection errors, and the
//! wait a `429` (or `503`) asks for with `Retry-After`, capped.

use std::time::Duration;

use jiff::Timestamp;
use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Retries and waits.
#[derive(Clone, Debug)]
pub(crate) struct RetryPolicy {
    pub(crate) retries: u32,
    pub(crate) backoff: Duration,
    pub(crate) max_retry_after: Duration,
}

impl RetryPolicy {
    /// Exponential back-off with jitter: a random wait in `[ceiling/2, ceiling]`, where the
    /// ceiling is `backoff * 2^attempt`.
    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        backoff(self.backoff, attempt)
    }

    /// The wait a `429` or `503` asks for, capped; back-off when it does not say.
    pub(super) fn server_wait(&self, headers: &HeaderMap, attempt: u32) -> Duration {
        retry_after(headers)
            .unwrap_or_else(|| self.backoff(attempt))
            .min(self.max_retry_after)
    }
}

/// Exponential back-off with jitter: a random wait in `[ceiling/2, ceiling]`, where the
/// ceiling is `base * 2^attempt` (the exponent capped at 10).
fn backoff(base: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(2u32.saturating_pow(attempt.min(10)));
    let millis = u64::try_from(ceiling.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_millis(rand::rng().random_range(millis / 2..=millis))
}

/// `Retry-After`: delay-seconds or an HTTP date (a date in the past means no wait).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let delta = when.duration_since(Timestamp::now());
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a past date: no wait"
        );
        let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30);
        let date = jiff::fmt::rfc2822::to_string(&soon.to_zoned(jiff::tz::TimeZone::UTC)).unwrap();
        h.insert(RETRY_AFTER, HeaderValue::from_str(&date).unwrap());
        let wait = retry_after(&h).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn server_waits_are_capped() {
        let policy = RetryPolicy {
            retries: 3,
            backoff: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        };
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(policy.server_wait(&h, 0), Duration::from_secs(5));
        let no_header = policy.server_wait(&HeaderMap::new(), 1);
        assert!(no_header >= Duration::from_millis(100) && no_header <= Duration::from_millis(200));
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let b = Duration::from_millis(100);
        for attempt in 0..5 {
            let d = backoff(b, attempt);
            let ceiling = b * 2u32.pow(attempt);
            assert!(d <= ceiling && d >= ceiling / 2, "{attempt}: {d:?}");
        }
        assert!(backoff(b, 40) <= b * 1024);
    }
}
