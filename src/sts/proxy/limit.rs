//! How often one client may ask the proxy. RFC 8461 §3.3 asks senders to
//! rate-limit their fetches so resource-constrained policy hosts are not
//! overwhelmed; a public proxy must do the same for the people it serves.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// Clients remembered at once. Past it the older half of the memory is
/// dropped early (see [`RateLimiter`]), so memory stays bounded whatever
/// the number of addresses.
const MAX_CLIENTS: usize = 10_000;

/// A full bucket refills in one minute; a client not seen for that long has
/// a full bucket again and need not be remembered.
const WINDOW_MS: u64 = 60_000;

/// Who a budget belongs to: one IPv4 address, or one IPv6 /64. A /64 is the
/// smallest IPv6 network handed to a customer (RFC 7421), and one host can
/// take any address in it (RFC 8981), so per-address budgets would be
/// unlimited for anyone with IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of a client address; an IPv4-mapped IPv6 address (a dual-stack
    /// socket's view of an IPv4 client) is its IPv4 address.
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(_) => ClientKey(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => ClientKey(IpAddr::V6(Ipv6Addr::from(
                    u128::from(v6) & (u128::MAX << 64),
                ))),
            },
        }
    }

    /// The key of a client address given as text (a `CF-Connecting-IP`
    /// header, say); `None` when it is not an address.
    pub fn parse(text: &str) -> Option<ClientKey> {
        text.trim().parse().ok().map(ClientKey::of)
    }
}

/// `192.0.2.7` or `2001:db8:1:2::/64`.
impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// A per-client token bucket: `per_minute` requests a minute with bursts of
/// the same size, per [`ClientKey`]. Time is the caller's, in milliseconds
/// on any monotonic clock.
///
/// Clients live in two generations of one minute each: a request looks in
/// the current one, then in the previous one (and moves the client over);
/// when a minute has passed the previous generation is dropped whole. A
/// client it held has not asked for a minute, so its bucket is full again
/// and forgetting it changes nothing. Each request costs O(log n), never a
/// sweep. When the current generation reaches its share of the bound
/// before the minute is over, it turns early: under a flood of distinct
/// networks some clients are then forgotten with part of their budget used.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    current: BTreeMap<ClientKey, Bucket>,
    previous: BTreeMap<ClientKey, Bucket>,
    /// When the current generation began.
    turned_at: u64,
}

/// Tokens left and when they were counted.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: u64,
}

impl RateLimiter {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            current: BTreeMap::new(),
            previous: BTreeMap::new(),
            turned_at: 0,
        }
    }

    /// Takes a token for `client` at `now_ms`; false when it has none left.
    pub fn allow(&mut self, client: IpAddr, now_ms: u64) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let key = ClientKey::of(client);
        let since = now_ms.saturating_sub(self.turned_at);
        if since >= 2 * WINDOW_MS {
            self.previous.clear();
            self.current.clear();
            self.turned_at = now_ms;
        } else if since >= WINDOW_MS || self.current.len() >= MAX_CLIENTS / 2 {
            self.previous = std::mem::take(&mut self.current);
            self.turned_at = now_ms;
        }
        let cap = f64::from(self.per_minute);
        let rate = cap / WINDOW_MS as f64;
        let mut bucket = self
            .current
            .remove(&key)
            .or_else(|| self.previous.remove(&key))
            .unwrap_or(Bucket {
                tokens: cap,
                at: now_ms,
            });
        bucket.tokens = (bucket.tokens + now_ms.saturating_sub(bucket.at) as f64 * rate).min(cap);
        bucket.at = bucket.at.max(now_ms);
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        self.current.insert(key, bucket);
        allowed
    }

    /// Clients remembered now (both generations).
    pub fn clients(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn rate_limit() {
        let mut r = RateLimiter::new(60);
        let a = ip("192.0.2.7");
        let other = ip("192.0.2.8");
        assert!((0..60).all(|_| r.allow(a, 1_000)));
        assert!(!r.allow(a, 1_000));
        assert!(r.allow(other, 1_000), "IPv4 budgets are per address");
        assert!(r.allow(a, 2_000), "one token a second comes back");
        assert!(!r.allow(a, 2_000));
        assert!(!r.allow(a, 1_500), "a clock that goes back refills nothing");
        let mut off = RateLimiter::new(0);
        assert!((0..1000).all(|_| off.allow(a, 0)));
    }

    #[test]
    fn one_ipv6_network_shares_one_budget() {
        let mut r = RateLimiter::new(10);
        assert!((0..10).all(|n| r.allow(ip(&format!("2001:db8:1:2::{n:x}")), 0)));
        assert!(
            !r.allow(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), 0),
            "another address in the same /64"
        );
        assert!(r.allow(ip("2001:db8:1:3::1"), 0), "the next /64");
        // An IPv4 client seen through a dual-stack socket is that client.
        assert!((0..10).all(|_| r.allow(ip("198.51.100.1"), 0)));
        assert!(!r.allow(ip("::ffff:198.51.100.1"), 0));
    }

    #[test]
    fn keys() {
        let key = |s: &str| ClientKey::parse(s).map(|k| k.to_string());
        assert_eq!(key("192.0.2.7").as_deref(), Some("192.0.2.7"));
        assert_eq!(
            key(" 2001:db8:1:2:3:4:5:6 ").as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(key("::ffff:192.0.2.7").as_deref(), Some("192.0.2.7"));
        assert_eq!(key("unknown"), None);
        assert_eq!(key(""), None);
    }

    #[test]
    fn memory_is_bounded_and_idle_clients_are_forgotten() {
        let mut r = RateLimiter::new(60);
        let client = |n: u32| IpAddr::from(n.to_be_bytes());
        let heavy = client(0);
        assert!((0..60).all(|_| r.allow(heavy, 0)));
        for n in 1..=3 * MAX_CLIENTS as u32 {
            assert!(r.allow(client(n), 1));
            assert!(r.clients() <= MAX_CLIENTS, "bounded at {n}");
        }
        // A client that used its budget is remembered across a turn of the
        // generations; clients that asked once are forgotten once they have
        // been idle for two turns.
        let mut r = RateLimiter::new(60);
        for n in 1..=100 {
            assert!(r.allow(client(n), 0));
        }
        assert!((0..60).all(|_| r.allow(heavy, 50_000)));
        assert!(!r.allow(heavy, 50_500), "half a token is not one");
        assert!(r.allow(client(1000), 70_000), "the generations turn here");
        assert!((0..20).all(|_| r.allow(heavy, 70_000)), "20 s, 20 tokens");
        assert!(!r.allow(heavy, 70_000), "the used budget was remembered");
        assert!(r.allow(client(1001), 130_000));
        assert_eq!(r.clients(), 3, "the clients seen only at 0 are gone");
        assert!(r.allow(client(1002), 300_000));
        assert_eq!(r.clients(), 1, "two idle minutes forget everyone");
    }
}
