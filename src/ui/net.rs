//! The network side of a check: DNS over HTTPS (RFC 8484 GET with the wire
//! code of `sts::dns`) with fallback across resolvers, and the policy fetch
//! through the proxy. Failures are values, never panics.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Request, RequestInit};

use crate::sts::dns::{self, RecordType, Response, DOH_MEDIA_TYPE};
use crate::sts::report::{DnsStatus, Fetch, Lookup};

use super::{json, storage::Settings};

/// Per resolver attempt: long enough for a cold recursive lookup, short
/// enough that falling back to the next resolver is still quick.
pub const DOH_TIMEOUT_MS: u32 = 6_000;
/// The proxy itself gives up on a slow policy host after its own timeout;
/// this only guards against a proxy that never answers.
pub const PROXY_TIMEOUT_MS: u32 = 30_000;

/// Why a DoH query got no DNS answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Unreachable, Timeout, HttpStatus or Malformed.
    pub status: DnsStatus,
    pub detail: String,
}

/// The outcome of one question after trying the resolvers in turn.
#[derive(Clone, Debug)]
pub struct DnsResult {
    /// The resolver that answered, or the last one tried.
    pub resolver: String,
    pub outcome: Result<Response, Failure>,
}

impl DnsResult {
    /// True when no resolver could be asked at all (as opposed to DNS saying
    /// something), which is what the "resolver down" view is for.
    pub fn transport_failed(&self) -> bool {
        matches!(
            &self.outcome,
            Err(f) if matches!(f.status, DnsStatus::Unreachable | DnsStatus::Timeout)
        )
    }

    /// The report's view of this lookup, with `f` choosing the records.
    pub fn lookup<T>(&self, f: impl FnOnce(&Response) -> Lookup<T>) -> Lookup<T> {
        match &self.outcome {
            Ok(r) => f(r),
            Err(e) => {
                let mut l = Lookup::status(e.status);
                l.detail = Some(e.detail.clone());
                l
            }
        }
    }

    /// A one-line summary for the progress list.
    pub fn summary(&self) -> String {
        match &self.outcome {
            Ok(r) => r.outcome.describe(),
            Err(f) => f.detail.clone(),
        }
    }
}

/// The GET URL for `name`/`qtype` at `endpoint` (RFC 8484 §4.1).
pub fn doh_url(endpoint: &str, name: &str, qtype: RecordType) -> Result<String, String> {
    dns::doh_get_url(endpoint.trim(), name, qtype).map_err(|e| e.to_string())
}

/// A GET with an `accept` header and a timeout, through the page's `fetch`.
/// (web-sys directly: gloo-net's request builder costs more Wasm than it
/// saves here.)
async fn get(url: &str, accept: &str, timeout_ms: u32) -> Result<web_sys::Response, JsValue> {
    let headers = Headers::new()?;
    headers.set("accept", accept)?;
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    init.set_signal(Some(&AbortSignal::timeout_with_u32(timeout_ms)));
    let req = Request::new_with_str_and_init(url, &init)?;
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    JsFuture::from(window.fetch_with_request(&req))
        .await?
        .dyn_into::<web_sys::Response>()
}

async fn bytes(resp: &web_sys::Response) -> Result<Vec<u8>, JsValue> {
    let buf = JsFuture::from(resp.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

async fn text(resp: &web_sys::Response) -> Result<String, JsValue> {
    Ok(JsFuture::from(resp.text()?)
        .await?
        .as_string()
        .unwrap_or_default())
}

/// (timed out, words) for a rejected fetch.
fn js_failure(e: JsValue, what: &str, timeout_ms: u32) -> (bool, String) {
    let name = js_sys::Reflect::get(&e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    if name == "TimeoutError" || name == "AbortError" {
        return (
            true,
            format!("{what} did not answer within {} s", timeout_ms / 1000),
        );
    }
    // Browsers report refused connections, DNS failures of the resolver host
    // and CORS refusals alike as a TypeError ("Failed to fetch").
    (
        false,
        format!("{what} could not be reached ({})", json::describe(e)),
    )
}

async fn doh_once(endpoint: &str, name: &str, qtype: RecordType) -> Result<Response, Failure> {
    let url = doh_url(endpoint, name, qtype).map_err(|detail| Failure {
        status: DnsStatus::Malformed,
        detail,
    })?;
    let resp = get(&url, DOH_MEDIA_TYPE, DOH_TIMEOUT_MS)
        .await
        .map_err(|e| {
            let (timeout, detail) = js_failure(e, endpoint, DOH_TIMEOUT_MS);
            Failure {
                status: if timeout {
                    DnsStatus::Timeout
                } else {
                    DnsStatus::Unreachable
                },
                detail,
            }
        })?;
    if resp.status() != 200 {
        return Err(Failure {
            status: DnsStatus::HttpStatus,
            detail: format!("{endpoint} answered HTTP {}", resp.status()),
        });
    }
    let bytes = bytes(&resp).await.map_err(|e| {
        let (timeout, detail) = js_failure(e, endpoint, DOH_TIMEOUT_MS);
        Failure {
            status: if timeout {
                DnsStatus::Timeout
            } else {
                DnsStatus::Unreachable
            },
            detail,
        }
    })?;
    dns::parse_response(&bytes, qtype).map_err(|e| Failure {
        status: DnsStatus::Malformed,
        detail: format!("{endpoint} sent an answer that is not a DNS message ({e})"),
    })
}

/// Asks each resolver in turn until one gives a DNS answer (any RCODE: a
/// SERVFAIL is DNS speaking, not the resolver being down).
pub async fn resolve(resolvers: &[String], name: &str, qtype: RecordType) -> DnsResult {
    let mut failures: Vec<Failure> = Vec::new();
    for endpoint in resolvers {
        match doh_once(endpoint, name, qtype).await {
            Ok(r) => {
                return DnsResult {
                    resolver: endpoint.clone(),
                    outcome: Ok(r),
                }
            }
            Err(f) => failures.push(f),
        }
    }
    let detail = failures
        .iter()
        .map(|f| f.detail.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    // Timeout only when every resolver timed out; otherwise the last status.
    let status = if !failures.is_empty() && failures.iter().all(|f| f.status == DnsStatus::Timeout)
    {
        DnsStatus::Timeout
    } else {
        failures
            .last()
            .map(|f| f.status)
            .unwrap_or(DnsStatus::Unreachable)
    };
    DnsResult {
        resolver: resolvers.last().cloned().unwrap_or_default(),
        outcome: Err(Failure {
            status,
            detail: if detail.is_empty() {
                "no DNS resolver is configured".to_string()
            } else {
                detail
            },
        }),
    }
}

/// Why the proxy gave no `Fetch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyError {
    /// No HTTP answer at all.
    Unreachable {
        url: String,
        detail: String,
    },
    Timeout {
        url: String,
    },
    /// 400: the proxy refused the input, with its reason.
    Rejected {
        url: String,
        message: String,
    },
    /// An answer that is not the proxy's JSON (a static server's 404 page,
    /// a gateway error).
    NotAProxy {
        url: String,
        detail: String,
    },
}

impl ProxyError {
    pub fn url(&self) -> &str {
        match self {
            ProxyError::Unreachable { url, .. }
            | ProxyError::Timeout { url }
            | ProxyError::Rejected { url, .. }
            | ProxyError::NotAProxy { url, .. } => url,
        }
    }

    pub fn detail(&self) -> String {
        match self {
            ProxyError::Unreachable { detail, .. } | ProxyError::NotAProxy { detail, .. } => {
                detail.clone()
            }
            ProxyError::Timeout { .. } => {
                format!("no answer within {} s", PROXY_TIMEOUT_MS / 1000)
            }
            ProxyError::Rejected { message, .. } => message.clone(),
        }
    }
}

#[derive(serde::Deserialize)]
struct ProxyRefusal {
    error: String,
}

/// `GET {proxy}/api/policy?domain=D[&ua=browser]`: the proxy fetches the
/// policy the way a sending MTA does and answers a [`Fetch`] as JSON.
pub async fn fetch_policy(
    settings: &Settings,
    domain: &str,
    browser: bool,
) -> Result<Fetch, ProxyError> {
    let url = settings.policy_url(domain, browser);
    let resp = get(&url, "application/json", PROXY_TIMEOUT_MS)
        .await
        .map_err(|e| match js_failure(e, "The proxy", PROXY_TIMEOUT_MS) {
            (true, _) => ProxyError::Timeout { url: url.clone() },
            (false, detail) => ProxyError::Unreachable {
                url: url.clone(),
                detail,
            },
        })?;
    let status = resp.status();
    let text =
        text(&resp)
            .await
            .map_err(|e| match js_failure(e, "The proxy", PROXY_TIMEOUT_MS) {
                (true, _) => ProxyError::Timeout { url: url.clone() },
                (false, detail) => ProxyError::Unreachable {
                    url: url.clone(),
                    detail,
                },
            })?;
    match status {
        200 => json::from_str::<Fetch>(&text).map_err(|e| ProxyError::NotAProxy {
            url: url.clone(),
            detail: format!("the answer is not a policy fetch report ({e})"),
        }),
        400 => Err(match json::from_str::<ProxyRefusal>(&text) {
            Ok(r) => ProxyError::Rejected {
                url,
                message: r.error,
            },
            Err(_) => ProxyError::NotAProxy {
                url,
                detail: "HTTP 400 without the proxy's error message".to_string(),
            },
        }),
        other => Err(ProxyError::NotAProxy {
            url,
            detail: format!("HTTP {other}: is `mtasts serve` running there?"),
        }),
    }
}
