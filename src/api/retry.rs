//! Pacing and retry timing.
//!
//! DS allows 400 GraphQL requests per minute per token, in fixed windows
//! aligned on epoch minutes, and answers the excess with a 429 whose
//! `RateLimit-Reset` header (epoch seconds) says when the window ends; there
//! is no `Retry-After`. We pace below the limit so 429s stay
//! rare, and when one comes anyway every task waits for the reset together.
//!
//! The pacer spaces requests evenly but lets the first few of a quiet spell
//! go at once ([`burst_for`]): a run of a small démarche makes three or four
//! requests, and spacing them cost it as much time as its downloads. What
//! DS counts is never exceeded: the pacer also remembers the start of the
//! last `limit` requests and holds a request back until the one `limit`
//! places before it is a whole window old, so no window, fixed or sliding,
//! ever holds more than `limit` starts; over a long run the rate is the same
//! as with even spacing.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces requests evenly, a short burst allowed: at most `limit` starts in
/// any window.
#[derive(Debug)]
pub struct Pacer {
    /// The window and how many starts it may hold (0: no pacing).
    window: Duration,
    limit: usize,
    /// `window / limit`: the even spacing.
    interval: Duration,
    /// How far ahead of the even spacing a request may start.
    tolerance: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// When the next request would start on an even spacing.
    next: Instant,
    /// No request starts before this (a 429's reset).
    not_before: Instant,
    /// The starts of the last `limit` requests, oldest first.
    recent: VecDeque<Instant>,
}

/// How many requests may go at once after a quiet spell, for `limit` a
/// window: an eighth of the limit, at most 8 (none for a limit under 8).
#[must_use]
pub fn burst_for(limit: u32) -> u32 {
    (limit / 8).min(8)
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
        let now = Instant::now();
        Self {
            window,
            limit: limit as usize,
            interval,
            tolerance: interval * burst_for(limit),
            state: Mutex::new(State {
                next: now,
                not_before: now,
                recent: VecDeque::with_capacity(limit.min(1024) as usize),
            }),
        }
    }

    /// Wait for this request's slot.
    pub async fn wait(&self) {
        if self.limit == 0 {
            let not_before = self.state.lock().await.not_before;
            tokio::time::sleep_until(not_before).await;
            return;
        }
        let slot = {
            let mut st = self.state.lock().await;
            let mut slot = Instant::now()
                .max(st.not_before)
                .max(st.next.checked_sub(self.tolerance).unwrap_or(st.next));
            if st.recent.len() >= self.limit {
                if let Some(&oldest) = st.recent.front() {
                    slot = slot.max(oldest + self.window);
                }
                st.recent.pop_front();
            }
            st.recent.push_back(slot);
            st.next = st.next.max(slot) + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Push every later request back by `wait` (after a 429).
    pub async fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        {
            let mut st = self.state.lock().await;
            st.not_before = st.not_before.max(until);
            // No burst right after the reset: DS's new window starts then.
            st.next = st.next.max(until + self.tolerance);
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

    /// The start of each of `n` requests, one after the other.
    async fn starts(p: &Pacer, n: usize) -> Vec<Duration> {
        let t0 = Instant::now();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            p.wait().await;
            out.push(t0.elapsed());
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_lets_a_short_burst_go_then_spaces_requests() {
        let p = Pacer::per_minute(600); // one every 100 ms, bursts of 8
        assert_eq!(burst_for(600), 8);
        let s = starts(&p, 12).await;
        // Paused clock: no real sleeping, the elapsed time is virtual.
        assert!(s[..9].iter().all(|t| t.is_zero()), "{s:?}");
        assert_eq!(s[9], Duration::from_millis(100));
        assert_eq!(s[11], Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_requests_over_a_shorter_window() {
        let p = Pacer::per_window(400, Duration::from_secs(2)); // one every 5 ms
        let s = starts(&p, 14).await;
        assert!(s[8].is_zero());
        assert_eq!(s[13], Duration::from_millis(25));
    }

    #[tokio::test(start_paused = true)]
    async fn a_small_limit_is_spaced_from_the_first_request() {
        let p = Pacer::per_window(5, Duration::from_secs(1));
        let s = starts(&p, 3).await;
        assert_eq!(s, [0, 200, 400].map(Duration::from_millis));
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_the_limit() {
        for (limit, window) in [(400, 60_000), (360, 60_000), (16, 1_000), (9, 1_000)] {
            let p = Pacer::per_window(limit, Duration::from_millis(window));
            let n = 3 * limit as usize + 5;
            // Some quiet spells, so the burst comes back more than once.
            let mut s = Vec::new();
            let t0 = Instant::now();
            for i in 0..n {
                if i % 50 == 49 {
                    tokio::time::sleep(Duration::from_millis(window / 3)).await;
                }
                p.wait().await;
                s.push(t0.elapsed());
            }
            let w = Duration::from_millis(window);
            for (i, start) in s.iter().enumerate() {
                let in_window = s[i..].iter().take_while(|t| **t < *start + w).count();
                assert!(
                    in_window <= limit as usize,
                    "{limit}/{window} ms: {in_window} from {start:?}"
                );
            }
            // And the long-run rate is the limit's, not less.
            let last = s[n - 1];
            assert!(
                last < w * 3 + w / 2 + Duration::from_millis(window / 3) * (n as u32 / 50),
                "{last:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_429_every_request_waits_for_the_reset_burst_included() {
        let p = Pacer::per_minute(600);
        starts(&p, 2).await;
        let t0 = Instant::now();
        p.pause_for(Duration::from_secs(5)).await;
        let s = starts(&p, 2).await;
        assert!(t0.elapsed() >= Duration::from_secs(5));
        // Evenly spaced from the reset: no burst into DS's new window.
        assert_eq!(s[1] - s[0], Duration::from_millis(100));
    }
}
