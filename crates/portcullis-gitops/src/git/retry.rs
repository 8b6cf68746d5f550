//! How often and how patiently a rejected push is retried: exponential back-off with jitter,
//! a bounded number of attempts.

use std::time::Duration;

use rand::Rng as _;

/// Retry settings for pushes that the remote rejects because it moved.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the second attempt, before jitter.
    pub initial_backoff: Duration,
    /// The longest wait, before jitter.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts, waits of about 0.25 s, 0.5 s, 1 s, 2 s.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// `max_attempts` attempts waiting from `initial_backoff` up to `max_backoff`.
    pub fn new(max_attempts: u32, initial_backoff: Duration, max_backoff: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            initial_backoff,
            max_backoff: max_backoff.max(initial_backoff),
        }
    }

    /// The wait after failed attempt `attempt` (1-based): the exponential step, capped, with
    /// "equal jitter" (between half and all of it) so that writers that collided spread out.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let step = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_backoff);
        let half = step / 2;
        let jitter_ns = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if jitter_ns == 0 {
            0
        } else {
            rand::rng().random_range(0..=jitter_ns)
        };
        half + Duration::from_nanos(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let p = RetryPolicy::new(6, Duration::from_millis(100), Duration::from_millis(400));
        for _ in 0..50 {
            let b1 = p.backoff(1);
            assert!(
                b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100),
                "{b1:?}"
            );
            let b2 = p.backoff(2);
            assert!(
                b2 >= Duration::from_millis(100) && b2 <= Duration::from_millis(200),
                "{b2:?}"
            );
            let b9 = p.backoff(9);
            assert!(
                b9 >= Duration::from_millis(200) && b9 <= Duration::from_millis(400),
                "{b9:?}"
            );
        }
    }

    #[test]
    fn at_least_one_attempt() {
        assert_eq!(
            RetryPolicy::new(0, Duration::ZERO, Duration::ZERO).max_attempts,
            1
        );
        assert_eq!(
            RetryPolicy::new(1, Duration::ZERO, Duration::ZERO).backoff(3),
            Duration::ZERO
        );
    }
}
