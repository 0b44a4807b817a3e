//! The policy proxy's rules, shared by every runtime (the native server and
//! the edge worker): which requests are allowed, which target is fetched,
//! which addresses may be connected to, what comes back.
//!
//! A browser cannot fetch `https://mta-sts.<domain>/.well-known/mta-sts.txt`
//! the way a sending MTA does (CORS, opaque redirects), so the proxy does it
//! for the page, following RFC 8461 §3.3: HTTPS only, no redirects followed,
//! no HTTP caching, at most 64 KiB read, raw status, headers and bytes.
//!
//! Pure: no I/O, no clock (time comes from the caller).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mtasts::sts::domain::{self, Domain};
use mtasts::sts::report::FetchErrorClass;

/// Suggested maximum policy size, RFC 8461 §3.3.
pub const MAX_BODY: usize = 64 * 1024;

/// What the proxy sends by default: a mail-server-like agent, so that a CDN
/// that blocks non-browsers blocks it exactly as it blocks senders.
pub const MTA_USER_AGENT: &str = "mtasts-policy-fetcher/0.1 (MTA-STS, RFC 8461)";

/// Sent with `ua=browser`, to show a CDN that treats people and MTAs apart.
pub const BROWSER_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

/// Response headers the report uses; everything else is dropped.
pub const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "cache-control",
    "server",
    "location",
    "content-encoding",
    "last-modified",
    "cf-ray",
    "cf-mitigated",
];

/// A validated `GET /api/policy` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRequest {
    pub domain: Domain,
    pub browser: bool,
}

impl PolicyRequest {
    /// The only URL the proxy ever fetches for a domain (RFC 8461 §3.2).
    pub fn url(&self) -> String {
        self.domain.policy_url()
    }

    pub fn host(&self) -> String {
        self.domain.policy_host()
    }

    pub fn user_agent(&self) -> &'static str {
        if self.browser {
            BROWSER_USER_AGENT
        } else {
            MTA_USER_AGENT
        }
    }
}

/// A request the proxy refuses, as an HTTP status and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            message: message.into(),
        }
    }

    /// `{"error": "..."}`.
    pub fn json(&self) -> String {
        serde_json::json!({ "error": self.message }).to_string()
    }
}

/// Parses the query string of `/api/policy`: `domain=D` (required, anything
/// the domain box accepts) and `ua=browser` or `ua=mta` (optional).
pub fn parse_query(query: &str) -> Result<PolicyRequest, ApiError> {
    if query.len() > 2048 {
        return Err(ApiError::bad_request(
            "The query is too long; send one domain name.",
        ));
    }
    let mut domain_arg = None;
    let mut browser = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v).ok_or_else(|| {
            ApiError::bad_request(format!("The value of `{k}` is not valid percent-encoding."))
        })?;
        match k {
            "domain" => domain_arg = Some(v),
            "ua" => match v.as_str() {
                "browser" => browser = true,
                "mta" | "" => browser = false,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "`ua={other}` is not supported; use `ua=browser` or leave it out."
                    )))
                }
            },
            _ => {}
        }
    }
    let raw = domain_arg.ok_or_else(|| {
        ApiError::bad_request("Give the domain to check: /api/policy?domain=example.com")
    })?;
    let domain = domain::normalise(&raw).map_err(|e| ApiError::bad_request(e.message))?;
    Ok(PolicyRequest { domain, browser })
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = core::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// True for addresses on the public Internet. Everything else (private,
/// loopback, link-local, shared, documentation, multicast, reserved, and
/// IPv6 forms that embed such IPv4 addresses) is refused, so the proxy cannot
/// be used to reach the network it runs in.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                return is_public_v4(Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                ));
            }
            if s[0] == 0x2002 {
                return is_public_v4(Ipv4Addr::new(
                    (s[1] >> 8) as u8,
                    s[1] as u8,
                    (s[2] >> 8) as u8,
                    s[2] as u8,
                ));
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
                || (s[0..6] == [0, 0, 0, 0, 0, 0])) // IPv4-compatible (deprecated)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 shared
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking
        || o[0] >= 240)
}

/// Whether a connection to `ip` is allowed.
pub fn address_allowed(ip: IpAddr, allow_private: bool) -> bool {
    allow_private || is_public(ip)
}

/// The response headers the report needs, lower-cased, in order.
pub fn keep_headers<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, String)> {
    headers
        .filter_map(|(k, v)| {
            let k = k.to_ascii_lowercase();
            KEPT_HEADERS
                .contains(&k.as_str())
                .then(|| (k, v.to_string()))
        })
        .collect()
}

/// Appends a chunk to the body, keeping at most [`MAX_BODY`] bytes; returns
/// false once the cap is passed (the body is then cut and flagged).
pub fn append_capped(body: &mut Vec<u8>, chunk: &[u8]) -> bool {
    let room = MAX_BODY.saturating_sub(body.len());
    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    chunk.len() <= room
}

/// Classifies a fetch error from its text, for runtimes that expose no
/// typed error (workerd); the native runtime classifies typed errors first.
pub fn classify_error_text(text: &str) -> FetchErrorClass {
    let t = text.to_ascii_lowercase();
    // workerd hides TLS, DNS and connection failures behind one opaque text;
    // they are reported as `tls`, with that text, rather than guessed apart.
    if t.contains("internal error; reference") || t.contains("network connection lost") {
        return FetchErrorClass::Tls;
    }
    if t.contains("expired") || t.contains("not valid after") {
        FetchErrorClass::TlsExpired
    } else if t.contains("not valid for name")
        || t.contains("hostname")
        || t.contains("host name")
        || t.contains("notvalidforname")
    {
        FetchErrorClass::TlsHostname
    } else if t.contains("unknown issuer")
        || t.contains("unknownissuer")
        || t.contains("self signed")
        || t.contains("self-signed")
        || t.contains("untrusted")
    {
        FetchErrorClass::TlsUntrusted
    } else if t.contains("certificate") || t.contains("tls") || t.contains("handshake") {
        FetchErrorClass::Tls
    } else if t.contains("timed out") || t.contains("timeout") {
        FetchErrorClass::Timeout
    } else if t.contains("refused") {
        FetchErrorClass::ConnectionRefused
    } else if t.contains("dns")
        || t.contains("resolve")
        || t.contains("no address")
        || t.contains("name or service not known")
        || t.contains("nxdomain")
    {
        FetchErrorClass::NoAddress
    } else {
        FetchErrorClass::Other
    }
}

/// CORS response headers: any origin may read the answer (the app and
/// widgets embedded on other sites), nothing with credentials.
pub const CORS_HEADERS: &[(&str, &str)] = &[
    ("access-control-allow-origin", "*"),
    ("access-control-allow-methods", "GET, OPTIONS"),
    ("access-control-allow-headers", "accept"),
    ("access-control-max-age", "86400"),
];

/// A per-client token bucket: `per_minute` requests a minute with bursts of
/// the same size. Time is the caller's, in milliseconds.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: HashMap<IpAddr, (f64, u64)>,
}

impl RateLimiter {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            buckets: HashMap::new(),
        }
    }

    pub fn allow(&mut self, client: IpAddr, now_ms: u64) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let cap = f64::from(self.per_minute);
        let rate = cap / 60_000.0;
        if self.buckets.len() > 10_000 {
            // Forget clients that have refilled, so memory stays bounded.
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + (now_ms.saturating_sub(*at)) as f64 * rate < cap
            });
        }
        let (tokens, at) = self.buckets.entry(client).or_insert((cap, now_ms));
        *tokens = (*tokens + now_ms.saturating_sub(*at) as f64 * rate).min(cap);
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
    fn queries() {
        let r = parse_query("domain=Example.COM.&ua=browser").unwrap();
        assert_eq!(
            r.url(),
            "https://mta-sts.example.com/.well-known/mta-sts.txt"
        );
        assert!(r.browser);
        let r = parse_query("domain=https%3A%2F%2Fmta-sts.example.com%2Fx").unwrap();
        assert_eq!(r.domain.ascii, "example.com");
        assert!(!r.browser);
        for bad in [
            "",
            "domain=",
            "domain=10.0.0.1",
            "domain=a..b",
            "domain=%zz",
            "domain=x.com&ua=curl",
        ] {
            let e = parse_query(bad).unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
            assert!(!e.message.is_empty());
        }
        let long = format!("domain={}", "a".repeat(3000));
        assert_eq!(parse_query(&long).unwrap_err().status, 400);
    }

    #[test]
    fn addresses() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "2001:db8::1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad}");
        }
        for good in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(good.parse().unwrap()), "{good}");
        }
        assert!(address_allowed("127.0.0.1".parse().unwrap(), true));
    }

    #[test]
    fn body_cap() {
        let mut b = Vec::new();
        assert!(append_capped(&mut b, &[b'a'; 1000]));
        assert!(!append_capped(&mut b, &vec![b'b'; MAX_BODY]));
        assert_eq!(b.len(), MAX_BODY);
        assert!(!append_capped(&mut b, b"c"));
        assert_eq!(b.len(), MAX_BODY);
    }

    #[test]
    fn error_text() {
        assert_eq!(
            classify_error_text("invalid peer certificate: Expired"),
            FetchErrorClass::TlsExpired
        );
        assert_eq!(
            classify_error_text("certificate not valid for name"),
            FetchErrorClass::TlsHostname
        );
        assert_eq!(
            classify_error_text("invalid peer certificate: UnknownIssuer"),
            FetchErrorClass::TlsUntrusted
        );
        assert_eq!(
            classify_error_text("connection refused"),
            FetchErrorClass::ConnectionRefused
        );
        assert_eq!(
            classify_error_text("operation timed out"),
            FetchErrorClass::Timeout
        );
    }

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
        let mut off = RateLimiter::new(0);
        assert!((0..1000).all(|_| off.allow(ip, 0)));
    }
}
