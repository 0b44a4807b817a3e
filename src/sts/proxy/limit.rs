//! How often one client may ask the proxy. RFC 8461 §3.3 asks senders to
//! rate-limit their fetches so resource-constrained policy hosts are not
//! overwhelmed; a public proxy must do the same for the people it serves.

use std::collections::BTreeMap;
use std::net::IpAddr;

/// Clients remembered before those with a full bucket are forgotten, so
/// memory stays bounded whatever the number of addresses.
const MAX_CLIENTS: usize = 10_000;

/// A per-client token bucket: `per_minute` requests a minute with bursts of
/// the same size. Time is the caller's, in milliseconds on any monotonic
/// clock.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    /// Tokens left and when they were counted.
    buckets: BTreeMap<IpAddr, (f64, u64)>,
}

impl RateLimiter {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            buckets: BTreeMap::new(),
        }
    }

    /// Takes a token for `client` at `now_ms`; false when it has none left.
    pub fn allow(&mut self, client: IpAddr, now_ms: u64) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let cap = f64::from(self.per_minute);
        let rate = cap / 60_000.0;
        let refilled = |tokens: f64, at: u64| tokens + now_ms.saturating_sub(at) as f64 * rate;
        if self.buckets.len() > MAX_CLIENTS {
            self.buckets
                .retain(|_, (tokens, at)| refilled(*tokens, *at) < cap);
        }
        let (tokens, at) = self.buckets.entry(client).or_insert((cap, now_ms));
        *tokens = refilled(*tokens, *at).min(cap);
        *at = now_ms;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit() {
        let mut r = RateLimiter::new(60);
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        assert!((0..60).all(|_| r.allow(ip, 1_000)));
        assert!(!r.allow(ip, 1_000));
        assert!(r.allow(other, 1_000));
        assert!(r.allow(ip, 2_000), "one token a second comes back");
        assert!(!r.allow(ip, 2_000));
        assert!(
            !r.allow(ip, 1_500),
            "a clock that goes back refills nothing"
        );
        let mut off = RateLimiter::new(0);
        assert!((0..1000).all(|_| off.allow(ip, 0)));
    }

    #[test]
    fn memory_is_bounded() {
        let mut r = RateLimiter::new(60);
        let client = |n: u32| IpAddr::from(n.to_be_bytes());
        let heavy = client(0);
        assert!((0..60).all(|_| r.allow(heavy, 0)));
        for n in 1..=MAX_CLIENTS as u32 + 1 {
            assert!(r.allow(client(n), 0));
        }
        // Half a minute later the clients that asked once have a full bucket
        // again and are forgotten; the one that used all it had is not.
        assert!(r.allow(client(u32::MAX), 30_000));
        assert_eq!(r.buckets.len(), 2);
        assert!((0..30).all(|_| r.allow(heavy, 30_000)));
        assert!(!r.allow(heavy, 30_000));
    }
}
