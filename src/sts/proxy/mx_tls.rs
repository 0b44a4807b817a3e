//! `GET /api/mx-tls?domain=D`: the proxy probes the SMTP STARTTLS of D's MX
//! hosts for a page that cannot open port 25 (RFC 8461 §4.2), and answers
//! the probes as JSON ([`MxTlsAnswer`]); the page judges them with the same
//! rules as `mtasts check` ([`crate::sts::mx_tls::judge`]).
//!
//! The proxy resolves D's MX hosts itself and probes those only, at most
//! [`MAX_PROXY_MX_HOSTS`] of them: the query carries the domain and nothing
//! else, so no caller can point the proxy's port-25 connections at a host or
//! address of its choosing. A runtime that cannot reach port 25 (Cloudflare
//! Workers' `connect()` refuses it) answers [`Unavailable`] instead.

use serde::{Deserialize, Serialize};

use super::request::{pairs, ApiError};
use crate::sts::domain::{self, Domain};
use crate::sts::mx_tls::Probe;
pub use crate::sts::plan::MAX_PROXY_MX_HOSTS;

/// The whole answer may take this long: past it, probes still running are
/// recorded as timed out (a probe has its own, shorter waits; this bounds
/// many probes queued behind the proxy's cap on connections at once).
pub const MX_TLS_DEADLINE_SECS: u64 = 60;

/// The stable value of [`Unavailable::unavailable`] when the runtime cannot
/// open outbound connections to port 25.
pub const UNAVAILABLE_PORT_25: &str = "port-25";

/// The answer to `GET /api/mx-tls?domain=D` (200).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxTlsAnswer {
    /// The domain, A-label, as the proxy read it.
    pub domain: String,
    /// One probe per MX address (or per MX host without one), in MX
    /// preference order then by address, IPv4 first: the same objects as
    /// `observations.mx_tls` of `mtasts check --json`.
    #[serde(default)]
    pub probes: Vec<Probe>,
    /// MX hosts named by DNS but past the cap of
    /// [`MAX_PROXY_MX_HOSTS`]: not probed.
    #[serde(default)]
    pub not_probed: Vec<String>,
}

/// The answer of a proxy that cannot probe (501): `error` for people,
/// `unavailable` for programs ([`UNAVAILABLE_PORT_25`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unavailable {
    pub error: String,
    pub unavailable: String,
}

impl Unavailable {
    /// The HTTP status of the answer.
    pub const STATUS: u16 = 501;

    /// This runtime cannot open connections to port 25.
    pub fn port_25() -> Self {
        Unavailable {
            error: "MX certificates not checked: this proxy cannot reach port 25. Run `mtasts check DOMAIN` from a host that can.".to_string(),
            unavailable: UNAVAILABLE_PORT_25.to_string(),
        }
    }
}

/// Parses the query of `/api/mx-tls` (without the `?`): `domain=D` and
/// nothing else. Any other key is refused rather than ignored: the hosts
/// probed come from D's MX records only, and a caller sending `host=` or
/// `address=` must learn that it is not used.
pub fn parse_mx_tls_query(query: &str) -> Result<Domain, ApiError> {
    let mut raw = None;
    for (k, v) in pairs(query)? {
        if k == "domain" {
            raw = Some(v);
        } else {
            return Err(ApiError::bad_request(format!(
                "`{k}` is not taken here: the proxy probes the MX hosts that DNS names for the domain, so send only domain=D."
            )));
        }
    }
    let raw = raw.ok_or_else(|| {
        ApiError::bad_request(
            "Give the domain whose MX hosts to probe: /api/mx-tls?domain=example.com",
        )
    })?;
    domain::normalise(&raw).map_err(|e| ApiError::bad_request(e.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_domain_is_taken() {
        assert_eq!(
            parse_mx_tls_query("domain=Example.COM.").unwrap().ascii,
            "example.com"
        );
        for bad in [
            "",
            "domain=",
            "domain=192.0.2.1",
            "domain=[2001:db8::1]",
            "domain=example.com&host=mx.evil.example",
            "domain=example.com&address=10.0.0.1",
            "domain=example.com&mx=127.0.0.1",
            "host=mx.example.com",
            "domain=example.com&domain=example.org",
            "domain=%zz",
        ] {
            let e = parse_mx_tls_query(bad).unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
            assert!(!e.message.is_empty(), "{bad}");
        }
        let e = parse_mx_tls_query("domain=example.com&host=10.0.0.1").unwrap_err();
        assert!(e.message.contains("only domain=D"), "{}", e.message);
    }

    #[test]
    fn the_unavailable_answer_has_a_stable_field() {
        let u = serde_json::to_value(Unavailable::port_25()).unwrap();
        assert_eq!(u["unavailable"], "port-25");
        assert!(u["error"]
            .as_str()
            .unwrap()
            .starts_with("MX certificates not checked: this proxy cannot reach port 25"));
        assert_eq!(Unavailable::STATUS, 501);
    }

    #[test]
    fn the_answer_shape() {
        let a = MxTlsAnswer {
            domain: "example.com".into(),
            probes: vec![Probe::failed(
                "mx1.example.com",
                "192.0.2.1",
                crate::sts::mx_tls::ProbeErrorClass::Busy,
                "421".into(),
            )],
            not_probed: vec!["mx11.example.com".into()],
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["probes"][0]["error"]["class"], "busy");
        assert_eq!(v["not_probed"][0], "mx11.example.com");
        assert_eq!(serde_json::from_value::<MxTlsAnswer>(v).unwrap(), a);
    }
}
