//! DS's rate limit as rack-attack applies it: a count per token in fixed
//! windows aligned on the epoch. Its own module because the fake's endpoint
//! keeps one limiter for every token, apart from the test switches.

use std::collections::HashMap;

/// Fixed-window rate limiter keyed by the `Authorization` value, windows
/// aligned on the epoch, like DS's rack-attack rule (whose windows are
/// minutes).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    window_secs: u64,
    windows: HashMap<String, (u64, u32)>,
}

impl RateLimiter {
    /// A limiter counting in windows of `window_secs` seconds (0 counts as 1).
    pub(crate) fn new(window_secs: u64) -> Self {
        Self {
            window_secs: window_secs.max(1),
            windows: HashMap::new(),
        }
    }

    /// Count one request at `now` (epoch seconds). `Err(reset)` when over
    /// `limit`, with the epoch second at which the window ends.
    pub(crate) fn hit(&mut self, key: &str, now: u64, limit: u32) -> Result<(), u64> {
        let window = now / self.window_secs;
        let entry = self.windows.entry(key.to_owned()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > limit {
            Err((window + 1) * self.window_secs)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_windows_align_on_minutes() {
        let mut rl = RateLimiter::new(60);
        let t0 = 1_700_000_040; // 40 s into a minute
        assert_eq!(rl.hit("a", t0, 2), Ok(()));
        assert_eq!(rl.hit("a", t0 + 1, 2), Ok(()));
        assert_eq!(rl.hit("a", t0 + 2, 2), Err(1_700_000_100));
        // Another token has its own budget.
        assert_eq!(rl.hit("b", t0 + 2, 2), Ok(()));
        // The next minute starts afresh.
        assert_eq!(rl.hit("a", 1_700_000_100, 2), Ok(()));
    }

    #[test]
    fn shorter_windows_align_on_their_own_length() {
        let mut rl = RateLimiter::new(2);
        let t0 = 1_700_000_041; // second half of a 2 s window
        assert_eq!(rl.hit("a", t0, 1), Ok(()));
        assert_eq!(rl.hit("a", t0, 1), Err(1_700_000_042));
        assert_eq!(rl.hit("a", 1_700_000_042, 1), Ok(()));
    }
}
