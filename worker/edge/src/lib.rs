//! The policy proxy for Cloudflare Workers. The rules are the core's
//! (`mtasts::sts::proxy`, RFC 8461 §3.3), the same the native server uses,
//! compiled to wasm and exported to the JS shell (`worker.js`), which only
//! does the I/O: the runtime's `fetch`, reading the body stream, building the
//! `Response`.
//!
//! Every function takes and returns plain strings/bytes (JSON where there is
//! structure), so the JS side stays a thin, rule-free shell.

use mtasts::sts::proxy::{self, ApiError, ClientKey};
use mtasts::sts::report::{Body, Fetch, FetchError, FetchErrorClass};
use wasm_bindgen::prelude::*;

/// Plans a `GET /api/policy?QUERY`: either
/// `{"status": 400, "error": "..."}` (answer that, as `{"error": ...}`) or
/// `{"url": ..., "host": ..., "user_agent": ..., "headers": {name: value}}`,
/// the one URL to fetch and every header to send (RFC 8461 §3.3).
#[wasm_bindgen]
pub fn plan(query: &str) -> String {
    let query = query.strip_prefix('?').unwrap_or(query);
    match proxy::parse_query(query) {
        Ok(req) => {
            let headers: serde_json::Map<String, serde_json::Value> = req
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), (*v).into()))
                .collect();
            serde_json::json!({
                "url": req.url(),
                "host": req.host(),
                "user_agent": req.user_agent(),
                "headers": headers,
            })
            .to_string()
        }
        Err(e) => serde_json::json!({ "status": e.status, "error": e.message }).to_string(),
    }
}

/// The key of the Workers rate-limiting binding for a request, from its
/// `CF-Connecting-IP` header: the IPv4 address, or the IPv6 /64
/// ([`ClientKey`], the native server's rule). A request without a usable
/// header (none reaches a deployed Worker) shares the key `unknown`.
#[wasm_bindgen]
pub fn rate_key(connecting_ip: Option<String>) -> String {
    connecting_ip
        .as_deref()
        .and_then(ClientKey::parse)
        .map_or_else(|| "unknown".to_string(), |k| k.to_string())
}

/// A refusal the shell answers itself, as
/// `{"status": N, "error": "...", "headers": [[name, value], ...]}`:
/// `rate-limited` (429, `Retry-After`), `not-found` (404), `method` (405,
/// `Allow`) or, for anything else, `internal` (500, a text that says
/// nothing of the cause: that goes to the Worker's log).
#[wasm_bindgen]
pub fn refusal(kind: &str) -> String {
    let (e, headers): (ApiError, &[(&str, &str)]) = match kind {
        "rate-limited" => (ApiError::rate_limited(), &[("retry-after", "60")]),
        "not-found" => (ApiError::not_found(), &[]),
        "method" => (
            ApiError::method_not_allowed("GET, OPTIONS"),
            &[("allow", "GET, OPTIONS")],
        ),
        _ => (ApiError::internal(), &[]),
    };
    serde_json::json!({ "status": e.status, "error": e.message, "headers": headers }).to_string()
}

/// The answer to `GET /api/mx-tls`, as `{"status": 501, "body": "..."}`:
/// Workers' `connect()` refuses port 25, so this proxy cannot probe the MX
/// hosts (RFC 8461 §4.2); the body says so in words (`error`) and in a
/// stable field (`unavailable`: `port-25`) for the page.
#[wasm_bindgen]
pub fn mx_tls_unavailable() -> String {
    serde_json::json!({
        "status": proxy::Unavailable::STATUS,
        "body": encode(&proxy::Unavailable::port_25()),
    })
    .to_string()
}

/// `{"error": "..."}` for an error the shell itself raises (404, 405, 500).
#[wasm_bindgen]
pub fn error_json(message: &str) -> String {
    encode(&ApiError::new(500, message))
}

/// The headers of every answer, as `[[name, value], ...]`: JSON, not cached,
/// readable from any origin (CORS).
#[wasm_bindgen]
pub fn answer_headers() -> String {
    let all: Vec<&(&str, &str)> = proxy::ANSWER_HEADERS
        .iter()
        .chain(proxy::CORS_HEADERS)
        .collect();
    encode(&all)
}

/// The body cap, [`proxy::MAX_POLICY_BYTES`]: the shell reads at most one
/// byte more, so `finish` can tell "exactly 64 KiB" from "more".
#[wasm_bindgen]
pub fn max_body() -> usize {
    proxy::MAX_POLICY_BYTES
}

/// The whole fetch, body included, in milliseconds
/// ([`proxy::FETCH_TIMEOUT_SECS`]).
#[wasm_bindgen]
pub fn timeout_ms() -> u32 {
    u32::try_from(proxy::FETCH_TIMEOUT_SECS * 1000).unwrap_or(u32::MAX)
}

/// Builds the answer (a `Fetch`, as JSON) from what the runtime saw.
///
/// * `status`: the HTTP status, 0 when there was no response;
/// * `headers_json`: `[[name, value], ...]` of the response (filtered here);
/// * `body`: the bytes read (cut again at the cap here; `truncated` when the
///   stream had more);
/// * `error_text`: the runtime's error message (fetch or body read), which is
///   classified by its text since workerd has no typed errors.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn finish(
    url: &str,
    status: u16,
    headers_json: &str,
    body: &[u8],
    truncated: bool,
    elapsed_ms: f64,
    error_text: Option<String>,
) -> String {
    let mut out = Fetch {
        url: url.to_string(),
        elapsed_ms: Some(elapsed_ms.max(0.0) as u64),
        ..Fetch::default()
    };
    if status != 0 {
        out.status = Some(status);
        let pairs: Vec<(String, String)> = serde_json::from_str(headers_json).unwrap_or_default();
        out.headers = proxy::keep_headers(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut kept = Vec::with_capacity(body.len().min(proxy::MAX_POLICY_BYTES));
        let fits = proxy::append_capped(&mut kept, body);
        out.truncated = truncated || !fits;
        out.body = Some(Body(kept));
    }
    if let Some(text) = error_text.filter(|t| !t.is_empty()) {
        let class = proxy::classify_error_text(&text);
        let message = if class == FetchErrorClass::Tls {
            format!(
                "the edge runtime does not say whether TLS, DNS or the connection failed: {text}"
            )
        } else {
            text
        };
        out.error = Some(FetchError { class, message });
    }
    encode(&out)
}

fn encode(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| r#"{"error":"cannot encode the answer"}"#.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("valid JSON")
    }

    fn fetch(text: &str) -> Fetch {
        serde_json::from_str(text).expect("a Fetch")
    }

    #[test]
    fn plans_the_one_url_with_the_core_headers() {
        for query in [
            "?domain=Example.com&ua=browser",
            "domain=Example.com&ua=browser",
        ] {
            let ok = json(&plan(query));
            assert_eq!(
                ok["url"],
                "https://mta-sts.example.com/.well-known/mta-sts.txt"
            );
            assert_eq!(ok["host"], "mta-sts.example.com");
            assert_eq!(ok["user_agent"], proxy::BROWSER_USER_AGENT);
            assert_eq!(ok["headers"]["user-agent"], proxy::BROWSER_USER_AGENT);
            assert_eq!(ok["headers"]["accept"], proxy::ACCEPT);
            assert_eq!(ok["headers"]["cache-control"], "no-cache");
            assert_eq!(ok["headers"].as_object().map(|h| h.len()), Some(3));
        }
        let mta = json(&plan("?domain=example.com"));
        assert_eq!(mta["headers"]["user-agent"], proxy::MTA_USER_AGENT);
    }

    #[test]
    fn mx_tls_is_unavailable_with_a_stable_field() {
        let v = json(&mx_tls_unavailable());
        assert_eq!(v["status"], 501);
        let body = json(v["body"].as_str().unwrap());
        assert_eq!(body["unavailable"], "port-25");
        assert!(body["error"]
            .as_str()
            .unwrap()
            .contains("cannot reach port 25"));
    }

    #[test]
    fn plans_a_refusal_for_bad_input() {
        for query in [
            "",
            "?",
            "?domain=10.0.0.1",
            "?domain=x.com&ua=curl",
            "?domain=%zz",
        ] {
            let bad = json(&plan(query));
            assert_eq!(bad["status"], 400, "{query}");
            assert!(
                bad["error"].as_str().is_some_and(|m| !m.is_empty()),
                "{query}"
            );
            assert!(bad.get("url").is_none(), "{query}");
        }
    }

    #[test]
    fn answers_with_the_core_headers() {
        let pairs: Vec<(String, String)> = serde_json::from_str(&answer_headers()).unwrap();
        let has = |k: &str, v: &str| pairs.iter().any(|(a, b)| a == k && b == v);
        assert!(has("content-type", "application/json"));
        assert!(has("cache-control", "no-store"));
        assert!(has("access-control-allow-origin", "*"));
        assert_eq!(
            pairs.len(),
            proxy::ANSWER_HEADERS.len() + proxy::CORS_HEADERS.len()
        );
        assert_eq!(
            json(&error_json("Not \"found\"")),
            serde_json::json!({"error": "Not \"found\""})
        );
        assert_eq!(max_body(), 65_536);
        assert_eq!(timeout_ms(), 20_000);
    }

    #[test]
    fn rate_keys_are_per_address_and_per_ipv6_network() {
        let key = |h: &str| rate_key(Some(h.to_string()));
        assert_eq!(key("198.51.100.7"), "198.51.100.7");
        assert_eq!(key("198.51.100.8"), "198.51.100.8");
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            key("2001:db8:1:2::1"),
            "one /64, one budget"
        );
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:198.51.100.7"), "198.51.100.7");
        assert_eq!(key("not an address"), "unknown");
        assert_eq!(rate_key(None), "unknown");
    }

    #[test]
    fn refusals_say_nothing_of_internal_errors() {
        let r = json(&refusal("rate-limited"));
        assert_eq!(r["status"], 429);
        assert_eq!(r["headers"], serde_json::json!([["retry-after", "60"]]));
        let r = json(&refusal("method"));
        assert_eq!(r["status"], 405);
        assert_eq!(r["headers"], serde_json::json!([["allow", "GET, OPTIONS"]]));
        assert_eq!(json(&refusal("not-found"))["status"], 404);
        let r = json(&refusal("internal"));
        assert_eq!(r["status"], 500);
        assert_eq!(r["error"], ApiError::internal().message);
        assert_eq!(json(&refusal("TypeError: x is undefined"))["status"], 500);
    }

    #[test]
    fn cuts_the_body_at_exactly_64_kib() {
        let over = vec![b'a'; 65_537];
        let f = fetch(&finish("https://x", 200, "[]", &over, false, 5.0, None));
        assert!(f.truncated);
        assert_eq!(f.body_bytes().len(), 65_536);

        let exact = vec![b'a'; 65_536];
        let f = fetch(&finish("https://x", 200, "[]", &exact, false, 5.0, None));
        assert!(!f.truncated, "exactly 64 KiB is a whole body");
        assert_eq!(f.body_bytes().len(), 65_536);

        // The shell saw more than it passed on.
        let f = fetch(&finish("https://x", 200, "[]", b"abc", true, 5.0, None));
        assert!(f.truncated);
        assert_eq!(f.body_bytes(), b"abc");
    }

    #[test]
    fn keeps_the_status_and_the_headers_the_report_reads() {
        let f = fetch(&finish(
            "https://mta-sts.example.com/.well-known/mta-sts.txt",
            301,
            r#"[["Location","https://elsewhere/"],["set-cookie","x"],["Content-Type","text/html"]]"#,
            b"",
            false,
            -3.0,
            None,
        ));
        assert_eq!(f.url, "https://mta-sts.example.com/.well-known/mta-sts.txt");
        assert_eq!(f.status, Some(301));
        assert_eq!(
            f.headers,
            vec![
                ("location".into(), "https://elsewhere/".into()),
                ("content-type".into(), "text/html".into()),
            ]
        );
        assert_eq!(f.elapsed_ms, Some(0), "a clock that went back counts as 0");
        assert!(f.error.is_none());

        let f = fetch(&finish("https://x", 200, "not json", b"", false, 1.0, None));
        assert!(f.headers.is_empty());
        assert_eq!(f.status, Some(200));
    }

    #[test]
    fn classifies_the_runtime_errors() {
        let no_response = |text: &str| {
            fetch(&finish(
                "https://x",
                0,
                "[]",
                &[],
                false,
                1.0,
                Some(text.into()),
            ))
        };
        let f = no_response("connection refused");
        assert_eq!(f.status, None);
        assert!(f.body.is_none());
        let e = f.error.unwrap();
        assert_eq!(e.class, FetchErrorClass::ConnectionRefused);
        assert_eq!(e.message, "connection refused");

        let e = no_response("internal error; reference = 7a8b")
            .error
            .unwrap();
        assert_eq!(e.class, FetchErrorClass::Tls);
        assert!(
            e.message
                .contains("does not say whether TLS, DNS or the connection failed")
                && e.message.ends_with("internal error; reference = 7a8b"),
            "{}",
            e.message
        );
        assert_eq!(
            no_response("The operation was aborted due to timeout")
                .error
                .unwrap()
                .class,
            FetchErrorClass::Timeout
        );

        // A body that broke off after the status: what came is kept.
        let f = fetch(&finish(
            "https://x",
            200,
            "[]",
            b"version: STSv1",
            false,
            1.0,
            Some("Network connection lost.".into()),
        ));
        assert_eq!(f.body_bytes(), b"version: STSv1");
        assert_eq!(f.error.unwrap().class, FetchErrorClass::Tls);

        let f = fetch(&finish(
            "https://x",
            200,
            "[]",
            b"",
            false,
            1.0,
            Some(String::new()),
        ));
        assert!(f.error.is_none(), "an empty error text is no error");
    }
}
