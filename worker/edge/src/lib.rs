//! The policy proxy for Cloudflare Workers. The request rules are the very
//! file the native server uses (`worker/src/proxy.rs`), compiled to wasm and
//! exported to the JS shell (`worker.js`), which only does the I/O: the
//! runtime's `fetch`, reading the body stream, building the `Response`.
//!
//! Every function takes and returns plain strings/bytes (JSON where there is
//! structure), so the JS side stays a thin, rule-free shell.

use mtasts::sts::report::{Body, Fetch, FetchError, FetchErrorClass};
use wasm_bindgen::prelude::*;

#[allow(dead_code)] // RateLimiter, is_public, ... serve the native runtime.
#[path = "../../src/proxy.rs"]
mod proxy;

/// What the request sends besides the user agent (as the native fetcher).
const ACCEPT: &str = "text/plain, */*;q=0.1";

/// Plans a `GET /api/policy?QUERY`: either
/// `{"status": 400, "error": "..."}` (answer that, as `{"error": ...}`) or
/// `{"url": ..., "host": ..., "headers": {"user-agent": ..., ...}}`.
#[wasm_bindgen]
pub fn plan(query: &str) -> String {
    let query = query.strip_prefix('?').unwrap_or(query);
    match proxy::parse_query(query) {
        Ok(req) => serde_json::json!({
            "url": req.url(),
            "host": req.host(),
            "user_agent": req.user_agent(),
            "headers": {
                "user-agent": req.user_agent(),
                "accept": ACCEPT,
                "cache-control": "no-cache",
            },
        })
        .to_string(),
        Err(e) => serde_json::json!({ "status": e.status, "error": e.message }).to_string(),
    }
}

/// `{"error": "..."}` for an error the shell itself raises (404, 405, 500).
#[wasm_bindgen]
pub fn error_json(message: &str) -> String {
    proxy::ApiError::bad_request(message).json()
}

/// The CORS headers of every answer, as `[[name, value], ...]`.
#[wasm_bindgen]
pub fn cors_headers() -> String {
    serde_json::to_string(proxy::CORS_HEADERS).unwrap_or_else(|_| "[]".into())
}

/// The body cap (64 KiB): the shell reads at most one byte more.
#[wasm_bindgen]
pub fn max_body() -> usize {
    proxy::MAX_BODY
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
        let mut kept = Vec::with_capacity(body.len().min(proxy::MAX_BODY));
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
    serde_json::to_string(&out).unwrap_or_else(|e| error_json(&format!("cannot encode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let ok: serde_json::Value =
            serde_json::from_str(&plan("?domain=Example.com&ua=browser")).unwrap();
        assert_eq!(
            ok["url"],
            "https://mta-sts.example.com/.well-known/mta-sts.txt"
        );
        assert_eq!(ok["user_agent"], proxy::BROWSER_USER_AGENT);
        let bad: serde_json::Value = serde_json::from_str(&plan("domain=10.0.0.1")).unwrap();
        assert_eq!(bad["status"], 400);
        assert!(bad["error"].is_string());
    }

    #[test]
    fn finishes() {
        let big = vec![b'a'; proxy::MAX_BODY + 1];
        let f: Fetch = serde_json::from_str(&finish(
            "https://x",
            200,
            r#"[["Content-Type","text/plain"],["set-cookie","x"]]"#,
            &big,
            false,
            5.0,
            None,
        ))
        .unwrap();
        assert!(f.truncated);
        assert_eq!(f.body_bytes().len(), proxy::MAX_BODY);
        assert_eq!(
            f.headers,
            vec![("content-type".into(), "text/plain".into())]
        );
        let f: Fetch = serde_json::from_str(&finish(
            "https://x",
            0,
            "[]",
            &[],
            false,
            1.0,
            Some("connection refused".into()),
        ))
        .unwrap();
        assert_eq!(f.status, None);
        assert_eq!(
            f.error.unwrap().class,
            mtasts::sts::report::FetchErrorClass::ConnectionRefused
        );
    }
}
