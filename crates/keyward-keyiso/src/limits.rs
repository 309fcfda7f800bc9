//! Per-client limits: live handles, frame size and a request rate (a token bucket).

// Handles what peers send: no indexing, unwrap, expect or panic that could fire on it.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::{Duration, Instant};

/// The limits the daemon puts on each client connection. Going over one is answered with an
/// error status on that connection only (see `docs/keyiso-protocol.md`, "Limits").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Handles one connection may hold at once (`NTE_NO_MEMORY` beyond).
    pub max_handles: usize,
    /// The longest request frame body (the connection is answered `NTE_NO_MEMORY` and closed
    /// beyond, since its body is not read). At most [`crate::protocol::MAX_FRAME_LEN`].
    pub max_request_len: usize,
    /// Requests a connection may send in a burst.
    pub burst: u32,
    /// Requests per second a connection may sustain (`NTE_DEVICE_NOT_READY` beyond).
    pub requests_per_second: u32,
    /// Connections the daemon serves at once, across all clients (each has a thread). A
    /// connection over it is answered `NTE_DEVICE_NOT_READY` and closed.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_handles: 4096,
            max_request_len: crate::protocol::MAX_FRAME_LEN,
            burst: 2000,
            requests_per_second: 20_000,
            max_connections: 1024,
        }
    }
}

/// A token bucket: `burst` tokens, refilled at `rate` per second; each request takes one.
#[derive(Debug)]
pub struct TokenBucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(burst: u32, per_second: u32) -> TokenBucket {
        TokenBucket {
            capacity: f64::from(burst.max(1)),
            rate: f64::from(per_second),
            tokens: f64::from(burst.max(1)),
            refilled_at: Instant::now(),
        }
    }

    /// Takes a token at `now`; false when the bucket is empty.
    pub fn take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled_at);
        self.refilled_at = now;
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.rate).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes a token now.
    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    /// How long until a token is available at the current rate (for documentation and
    /// tests).
    pub fn wait_hint(&self) -> Duration {
        if self.rate <= 0.0 {
            return Duration::MAX;
        }
        Duration::from_secs_f64(((1.0 - self.tokens).max(0.0)) / self.rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(3, 10);
        assert!(bucket.take_at(start));
        assert!(bucket.take_at(start));
        assert!(bucket.take_at(start));
        assert!(!bucket.take_at(start));
        assert!(bucket.wait_hint() > Duration::ZERO);
        // 100 ms at 10 per second is one more token.
        let later = start + Duration::from_millis(100);
        assert!(bucket.take_at(later));
        assert!(!bucket.take_at(later));
        // Never more than the burst, however long the pause.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(bucket.take_at(much_later));
        }
        assert!(!bucket.take_at(much_later));
    }
}
