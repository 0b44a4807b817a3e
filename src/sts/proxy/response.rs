//! What the proxy keeps of the policy host's answer and how it answers the
//! page, RFC 8461 §3.3: the raw status, the headers the report reads, at
//! most 64 KiB of body, a class for each failure.

use crate::sts::report::FetchErrorClass;

/// The most policy bytes read: RFC 8461 §3.3 suggests senders stop at 64
/// kilobytes, so a body past it may be cut by real senders too.
pub const MAX_POLICY_BYTES: usize = 65_536;

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

/// CORS response headers: any origin may read the answer (the app and
/// widgets embedded on other sites), nothing with credentials.
pub const CORS_HEADERS: &[(&str, &str)] = &[
    ("access-control-allow-origin", "*"),
    ("access-control-allow-methods", "GET, OPTIONS"),
    ("access-control-allow-headers", "accept"),
    ("access-control-max-age", "86400"),
];

/// The other headers of every proxy answer: JSON, never cached (each check
/// is a fresh fetch, as RFC 8461 §3.3 has senders make it).
pub const ANSWER_HEADERS: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("cache-control", "no-store"),
];

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

/// Appends a chunk to the body, keeping at most [`MAX_POLICY_BYTES`];
/// returns false once the cap is passed (the body is then cut and flagged
/// `truncated`).
pub fn append_capped(body: &mut Vec<u8>, chunk: &[u8]) -> bool {
    let room = MAX_POLICY_BYTES.saturating_sub(body.len());
    body.extend_from_slice(chunk.get(..room).unwrap_or(chunk));
    chunk.len() <= room
}

/// Classifies a fetch error from its text, for runtimes that expose no
/// typed error (workerd); the native runtime classifies typed errors first.
pub fn classify_error_text(text: &str) -> FetchErrorClass {
    let t = text.to_ascii_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|n| t.contains(n));
    // workerd hides TLS, DNS and connection failures behind one opaque text;
    // they are reported as `tls`, with that text, rather than guessed apart.
    if any(&["internal error; reference", "network connection lost"]) {
        FetchErrorClass::Tls
    } else if any(&["expired", "not valid after"]) {
        FetchErrorClass::TlsExpired
    } else if any(&[
        "not valid for name",
        "hostname",
        "host name",
        "notvalidforname",
    ]) {
        FetchErrorClass::TlsHostname
    } else if any(&[
        "unknown issuer",
        "unknownissuer",
        "self signed",
        "self-signed",
        "untrusted",
    ]) {
        FetchErrorClass::TlsUntrusted
    } else if any(&["certificate", "tls", "handshake"]) {
        FetchErrorClass::Tls
    } else if any(&["timed out", "timeout"]) {
        FetchErrorClass::Timeout
    } else if any(&["refused"]) {
        FetchErrorClass::ConnectionRefused
    } else if any(&[
        "dns",
        "resolve",
        "no address",
        "name or service not known",
        "nxdomain",
    ]) {
        FetchErrorClass::NoAddress
    } else {
        FetchErrorClass::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_cap() {
        let mut b = Vec::new();
        assert!(append_capped(&mut b, &[b'a'; 1000]));
        assert!(!append_capped(&mut b, &vec![b'b'; MAX_POLICY_BYTES]));
        assert_eq!(b.len(), 65_536);
        assert!(b[..1000].iter().all(|&c| c == b'a'));
        assert!(!append_capped(&mut b, b"c"));
        assert_eq!(b.len(), 65_536);
        assert!(append_capped(&mut b, b""), "an empty chunk passes nothing");

        let mut exact = Vec::new();
        assert!(append_capped(&mut exact, &vec![b'x'; 65_536]));
        assert_eq!(exact.len(), 65_536, "exactly 64 KiB is not cut");
    }

    #[test]
    fn headers_kept() {
        let kept = keep_headers(
            [
                ("Content-Type", "text/plain"),
                ("Set-Cookie", "id=1"),
                ("CF-Ray", "abc"),
                ("x-powered-by", "php"),
            ]
            .into_iter(),
        );
        assert_eq!(
            kept,
            vec![
                ("content-type".to_string(), "text/plain".to_string()),
                ("cf-ray".to_string(), "abc".to_string()),
            ]
        );
    }

    #[test]
    fn error_text() {
        for (text, class) in [
            (
                "invalid peer certificate: Expired",
                FetchErrorClass::TlsExpired,
            ),
            (
                "certificate not valid for name",
                FetchErrorClass::TlsHostname,
            ),
            (
                "invalid peer certificate: UnknownIssuer",
                FetchErrorClass::TlsUntrusted,
            ),
            ("self-signed certificate", FetchErrorClass::TlsUntrusted),
            ("TLS handshake failed", FetchErrorClass::Tls),
            ("connection refused", FetchErrorClass::ConnectionRefused),
            ("operation timed out", FetchErrorClass::Timeout),
            ("dns error: nxdomain", FetchErrorClass::NoAddress),
            ("internal error; reference = 0123abcd", FetchErrorClass::Tls),
            ("Network connection lost.", FetchErrorClass::Tls),
            ("something else", FetchErrorClass::Other),
        ] {
            assert_eq!(classify_error_text(text), class, "{text}");
        }
    }

    #[test]
    fn answer_header_names_are_lower_case() {
        // HTTP libraries take static header names only in lower case (the
        // native server would panic on start-up otherwise).
        for (name, _) in CORS_HEADERS.iter().chain(ANSWER_HEADERS) {
            assert_eq!(*name, name.to_ascii_lowercase());
        }
    }
}
