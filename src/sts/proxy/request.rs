//! What the proxy is asked (`GET /api/policy?domain=D[&ua=browser]`) and how
//! it asks the policy host in turn, RFC 8461 §3.2 (the one URL) and §3.3 (the
//! fetch).

use serde::Serialize;

use crate::sts::domain::{self, Domain};

/// What the proxy sends by default: a mail-server-like agent, so that a CDN
/// that blocks non-browsers blocks it exactly as it blocks senders.
pub const MTA_USER_AGENT: &str = "mtasts-policy-fetcher/0.1 (MTA-STS, RFC 8461)";

/// Sent with `ua=browser`, to show a CDN that treats people and MTAs apart.
pub const BROWSER_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

/// The `Accept` header of the fetch: the policy is `text/plain` (RFC 8461
/// §3.2), but any other type is still read so the report can say what came.
pub const ACCEPT: &str = "text/plain, */*;q=0.1";

/// The whole fetch, body included, in seconds: a server that trickles is cut
/// here. RFC 8461 §3.3 suggests one minute for senders; a person waits for
/// this one, and a policy host SHOULD answer well within either.
pub const FETCH_TIMEOUT_SECS: u64 = 20;

/// Longest query accepted: one domain name, percent-encoded, fits easily.
const MAX_QUERY: usize = 2048;

/// A validated `GET /api/policy` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRequest {
    pub domain: Domain,
    /// `ua=browser`: fetch with [`BROWSER_USER_AGENT`].
    pub browser: bool,
}

impl PolicyRequest {
    /// The only URL the proxy ever fetches for a domain (RFC 8461 §3.2).
    pub fn url(&self) -> String {
        self.domain.policy_url()
    }

    /// The policy host, `mta-sts.<domain>` (RFC 8461 §3.2): the only host
    /// the proxy resolves and connects to.
    pub fn host(&self) -> String {
        self.domain.policy_host()
    }

    /// The `User-Agent` of the fetch: an MTA's unless `ua=browser`.
    pub fn user_agent(&self) -> &'static str {
        if self.browser {
            BROWSER_USER_AGENT
        } else {
            MTA_USER_AGENT
        }
    }

    /// Every header the fetch sends, names lower-case. `Cache-Control:
    /// no-cache` because HTTP caching MUST NOT be used (RFC 8461 §3.3): a
    /// cache between the proxy and the host must not answer for it.
    pub fn headers(&self) -> [(&'static str, &'static str); 3] {
        [
            ("user-agent", self.user_agent()),
            ("accept", ACCEPT),
            ("cache-control", "no-cache"),
        ]
    }
}

/// A request the proxy refuses, as an HTTP status and a message for people.
/// Serialised as the answer's body, `{"error": "..."}`; the status goes in
/// the status line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    #[serde(rename = "error")]
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400: the query is not one the proxy answers; the message says what to send.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 429, for a client past its [`RateLimiter`](super::RateLimiter) budget
    /// (RFC 8461 §3.3 asks senders to rate-limit their fetches; the proxy
    /// does it for the hosts it fetches from).
    pub fn rate_limited() -> Self {
        Self::new(
            429,
            "Too many checks from your address; wait a minute and try again.",
        )
    }

    /// 503, when the proxy already has as many policy fetches in flight as
    /// it allows; answered with `Retry-After`.
    pub fn busy() -> Self {
        Self::new(
            503,
            "The proxy is busy with other checks; try again in a few seconds.",
        )
    }

    /// 404 for a path under `/api/` that is not an endpoint.
    pub fn not_found() -> Self {
        Self::new(
            404,
            "Not found: the proxy answers GET /api/policy?domain=D and GET /api/mx-tls?domain=D.",
        )
    }

    /// 405 for a method an endpoint does not take; `allow` lists those it does.
    pub fn method_not_allowed(allow: &str) -> Self {
        Self::new(
            405,
            format!("This endpoint takes {allow} only, e.g. GET /api/policy?domain=D."),
        )
    }

    /// 500 with a text that says nothing of the cause (which goes to the
    /// operator's log, not to the caller).
    pub fn internal() -> Self {
        Self::new(500, "The proxy failed on this request; try again later.")
    }
}

/// Parses the query string of `/api/policy` (without the `?`): `domain=D`
/// (required, anything the domain box accepts, [`domain::normalise`]) and
/// `ua=browser` or `ua=mta` (optional). Other keys are ignored; any key
/// given twice is refused, since two readers of one query (a cache, a log,
/// this proxy) could each take a different one.
pub fn parse_query(query: &str) -> Result<PolicyRequest, ApiError> {
    let mut domain_arg = None;
    let mut browser = false;
    for (k, v) in pairs(query)? {
        match k.as_str() {
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

/// The decoded `key=value` pairs of a query, in order; a key given twice,
/// a broken escape or an overlong query is refused.
pub(super) fn pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    if query.len() > MAX_QUERY {
        return Err(ApiError::bad_request(
            "The query is too long; send one domain name.",
        ));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(k).ok_or_else(|| {
            ApiError::bad_request("A key of the query is not valid percent-encoding.")
        })?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(ApiError::bad_request(format!(
                "`{k}` is given twice; send it once."
            )));
        }
        let v = percent_decode(v).ok_or_else(|| {
            ApiError::bad_request(format!("The value of `{k}` is not valid percent-encoding."))
        })?;
        out.push((k, v));
    }
    Ok(out)
}

/// `application/x-www-form-urlencoded` decoding: `%XX` (exactly two hex
/// digits) and `+` for a space. `None` for a broken escape or bytes that
/// are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&c, tail)) = rest.split_first() {
        rest = tail;
        match c {
            b'%' => match rest {
                [hi, lo, tail @ ..] => {
                    out.push(hex_digit(*hi)? << 4 | hex_digit(*lo)?);
                    rest = tail;
                }
                _ => return None,
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
    }
    String::from_utf8(out).ok()
}

/// One hex digit; no sign, no space (`u8::from_str_radix` takes `+a`).
fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
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
        assert_eq!(r.host(), "mta-sts.example.com");
        assert!(r.browser);
        let r = parse_query("domain=https%3A%2F%2Fmta-sts.example.com%2Fx").unwrap();
        assert_eq!(r.domain.ascii, "example.com");
        assert!(!r.browser);
        let r = parse_query("other=1&domain=example.org&ua=mta").unwrap();
        assert_eq!(r.domain.ascii, "example.org");
        assert!(!r.browser);
        for bad in [
            "",
            "domain=",
            "domain=10.0.0.1",
            "domain=a..b",
            "domain=%zz",
            "domain=%4",
            "domain=%ff",
            "domain=x.com&ua=curl",
            "domain=a.example&domain=b.example",
            "domain=example%2Bcom%+a",
            "domain=%+aexample.com",
            "domain=example.com&domain=example.org",
            "domain=example.com&%64omain=example.org",
            "ua=mta&domain=example.com&ua=browser",
            "domain=example.com&x=1&x=2",
            "domain=example.com&%zz=1",
        ] {
            let e = parse_query(bad).unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
            assert!(!e.message.is_empty());
        }
        let long = format!("domain={}", "a".repeat(3000));
        assert_eq!(parse_query(&long).unwrap_err().status, 400);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a+b%2Ec").as_deref(), Some("a b.c"));
        assert_eq!(percent_decode("b%C3%BCcher").as_deref(), Some("bücher"));
        assert_eq!(percent_decode("%"), None);
        assert_eq!(percent_decode("%e"), None);
        assert_eq!(percent_decode("%g0"), None);
        assert_eq!(percent_decode("%C3"), None, "half a UTF-8 character");
        for signed in ["%+a", "%-1", "%+0", "% a", "%a ", "%+A"] {
            assert_eq!(percent_decode(signed), None, "{signed}");
        }
        assert_eq!(percent_decode("%0a%0A").as_deref(), Some("\n\n"));
    }

    #[test]
    fn request_headers() {
        let mta = parse_query("domain=example.com").unwrap();
        assert_eq!(
            mta.headers(),
            [
                ("user-agent", MTA_USER_AGENT),
                ("accept", ACCEPT),
                ("cache-control", "no-cache"),
            ]
        );
        let browser = parse_query("domain=example.com&ua=browser").unwrap();
        assert_eq!(browser.headers()[0], ("user-agent", BROWSER_USER_AGENT));
    }

    #[test]
    fn error_bodies() {
        let e = ApiError::bad_request("no \"domain\"");
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":"no \"domain\""}"#
        );
        assert_eq!(ApiError::rate_limited().status, 429);
    }
}
