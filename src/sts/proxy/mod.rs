//! The policy proxy's rules, RFC 8461 §3.3, shared by every runtime that
//! fetches a policy for the app: the native server and `mtasts check`
//! (`worker/src/fetch.rs`, `serve.rs`) and the Cloudflare Worker
//! (`worker/edge/`). Which requests are allowed and which URL they fetch
//! ([`request`]), which addresses may be connected to ([`address`]), what
//! comes back and how it is answered ([`response`]), how often one client may
//! ask ([`limit`]), and the MX STARTTLS probes it makes for the page
//! ([`mx_tls`]).
//!
//! A browser cannot fetch `https://mta-sts.<domain>/.well-known/mta-sts.txt`
//! the way a sending MTA does (CORS, opaque redirects), so the proxy does it
//! for the page, as RFC 8461 §3.3 asks of senders: HTTPS only, no redirects
//! followed, no HTTP caching, at most 64 KiB read, raw status, headers and
//! bytes.
//!
//! Pure: no I/O, no clock (time comes from the caller), no randomness. The
//! answer itself is the report's [`Fetch`](super::report::Fetch).

pub mod address;
pub mod limit;
pub mod mx_tls;
pub mod request;
pub mod response;

pub use address::{address_allowed, is_public, AddressGuard, Prefix, PrefixError};
pub use limit::{ClientKey, RateLimiter};
pub use mx_tls::{parse_mx_tls_query, MxTlsAnswer, Unavailable};
pub use request::{
    parse_query, ApiError, PolicyRequest, ACCEPT, BROWSER_USER_AGENT, FETCH_TIMEOUT_SECS,
    MTA_USER_AGENT,
};
pub use response::{
    append_capped, classify_error_text, keep_headers, ANSWER_HEADERS, CORS_HEADERS, KEPT_HEADERS,
    MAX_POLICY_BYTES,
};
