//! Pacing and retry timing.
//!
//! DS allows 400 GraphQL requests per minute per token, in fixed windows
//! aligned on epoch minutes, and answers the excess with a 429 whose
//! `RateLimit-Reset` header (epoch seconds) says when the window ends; there
//! is no `Retry-After`. We pace below the limit so 429s stay
//! rare, and when one comes anyway every task waits for the reset together.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces requests evenly: at most `limit` starts per window.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    /// A pacer allowing `per_minute` requests a minute (0 means no pacing).
    #[must_use]
    pub fn per_minute(per_minute: u32) -> Self {
        Self::per_window(per_minute, Duration::from_secs(60))
    }

    /// A pacer allowing `limit` requests per `window` (0 means no pacing).
    /// DS counts in minutes; a shorter window is for servers that count
    /// otherwise, such as the fake DS API of the tests.
    #[must_use]
    pub fn per_window(limit: u32, window: Duration) -> Self {
        let interval = if limit == 0 {
            Duration::ZERO
        } else {
            window / limit
        };
        Self {
            interval,
            next: Mutex::new(Instant::now()),
        }
    }

    /// Wait for this request's slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Push every later request back by `wait` (after a 429).
    pub async fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        {
            let mut next = self.next.lock().await;
            if *next < until {
                *next = until;
            }
        }
        tokio::time::sleep_until(until).await;
    }
}

/// How many times and how long to retry transient failures.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub base_delay: Duration,
    /// Longest delay between two tries.
    pub max_delay: Duration,
}

/// The first wait before a retry, unless told otherwise (`--retry-delay-ms`).
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::with_base_delay(6, DEFAULT_BASE_DELAY)
    }
}

impl RetryPolicy {
    /// `max_attempts` tries; the first retry after about `base_delay`, each
    /// next one twice as late, capped at 120 times `base_delay` and at one
    /// minute (60 s with the default 500 ms). A tiny `base_delay` keeps tests
    /// of retries from waiting minutes.
    #[must_use]
    pub fn with_base_delay(max_attempts: u32, base_delay: Duration) -> Self {
        Self {
            max_attempts,
            base_delay,
            max_delay: base_delay.saturating_mul(120).min(Duration::from_secs(60)),
        }
    }

    /// Exponential backoff with full jitter, for the retry after `attempt`
    /// (1-based) failed tries.
    #[must_use]
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_delay);
        // Full jitter keeps many clients (or tasks) from retrying in step;
        // never below half the step so a flapping server is not hammered.
        let half = cap / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// How long to wait after a 429: until `RateLimit-Reset` (epoch seconds), or
/// `Retry-After` if a proxy added one, else until the next minute boundary.
#[must_use]
pub fn rate_limit_wait(headers: &HeaderMap) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let wait = if let Some(reset) = header("ratelimit-reset") {
        // DS sends an epoch; some proxies send seconds-to-wait. An epoch is
        // far larger than any plausible delay.
        if reset > 1_000_000_000 {
            Duration::from_secs(reset).saturating_sub(now)
        } else {
            Duration::from_secs(reset)
        }
    } else if let Some(secs) = header("retry-after") {
        Duration::from_secs(secs)
    } else {
        Duration::from_secs(60 - now.as_secs() % 60)
    };
    // A small margin past the window edge, so we do not land one tick early.
    wait.min(Duration::from_secs(3600)) + Duration::from_millis(250)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn waits_until_the_reset_epoch() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "RateLimit-Reset",
            HeaderValue::from_str(&(now.as_secs() + 30).to_string()).unwrap(),
        );
        let w = rate_limit_wait(&h);
        assert!(
            w > Duration::from_secs(28) && w <= Duration::from_secs(31),
            "{w:?}"
        );
    }

    #[test]
    fn without_headers_waits_for_the_next_minute() {
        let w = rate_limit_wait(&HeaderMap::new());
        assert!(w <= Duration::from_secs(61));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(8),
        };
        for _ in 0..50 {
            let first = p.backoff(1);
            assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
            let late = p.backoff(9);
            assert!(late >= Duration::from_secs(4) && late <= Duration::from_secs(8));
        }
    }

    #[test]
    fn a_smaller_base_delay_shrinks_the_cap_too() {
        assert_eq!(RetryPolicy::default().max_delay, Duration::from_secs(60));
        let fast = RetryPolicy::with_base_delay(6, Duration::from_millis(2));
        assert_eq!(fast.max_delay, Duration::from_millis(240));
        assert!(fast.backoff(30) <= Duration::from_millis(240));
        let slow = RetryPolicy::with_base_delay(6, Duration::from_secs(5));
        assert_eq!(slow.max_delay, Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_requests() {
        let p = Pacer::per_minute(600); // one every 100 ms
        let start = Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        // Paused clock: no real sleeping, the elapsed time is virtual.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_requests_over_a_shorter_window() {
        let p = Pacer::per_window(400, Duration::from_secs(2)); // one every 5 ms
        let start = Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(20));
    }
}
