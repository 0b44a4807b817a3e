//! The network side of a check: DNS over HTTPS (RFC 8484 GET with the wire
//! code of `sts::dns`, answers read by `sts::lookup::read_answer`) with
//! fallback across resolvers, the policy fetch through the proxy, and the
//! proxy's STARTTLS probes of the MX hosts (`/api/mx-tls`).
//! Failures are values, never panics.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Request, RequestInit};

use crate::sts::dns::{self, RecordType, Response, DOH_MEDIA_TYPE};
use crate::sts::lookup::{read_answer, Failure, MAX_MESSAGE};
use crate::sts::mx_tls::{
    CertificateFacts, Probe, ProbeError, ProbeErrorClass, Reply, Session, Verification,
};
use crate::sts::proxy::mx_tls::{MxTlsAnswer, MX_TLS_DEADLINE_SECS, UNAVAILABLE_PORT_25};
use crate::sts::report::{Body, Certificate, Fetch, FetchError, FetchErrorClass};

use super::{json, storage::Settings};

/// Per resolver attempt: long enough for a cold recursive lookup, short
/// enough that falling back to the next resolver is still quick.
pub const DOH_TIMEOUT_MS: u32 = 6_000;
/// The proxy itself gives up on a slow policy host after its own timeout;
/// this only guards against a proxy that never answers.
pub const PROXY_TIMEOUT_MS: u32 = 30_000;
/// The proxy stops its MX probes after its own deadline; this only guards
/// against a proxy that never answers.
pub const MX_TLS_TIMEOUT_MS: u32 = (MX_TLS_DEADLINE_SECS as u32 + 15) * 1000;

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

fn js_dns_failure(e: JsValue, endpoint: &str) -> Failure {
    match js_failure(e, endpoint, DOH_TIMEOUT_MS) {
        (true, detail) => Failure::timeout(detail),
        (false, detail) => Failure::unreachable(detail),
    }
}

async fn doh_once(endpoint: &str, name: &str, qtype: RecordType) -> Result<Response, Failure> {
    let url = doh_url(endpoint, name, qtype).map_err(Failure::malformed)?;
    let resp = get(&url, DOH_MEDIA_TYPE, DOH_TIMEOUT_MS)
        .await
        .map_err(|e| js_dns_failure(e, endpoint))?;
    if resp.status() != 200 {
        return Err(Failure::http_status(endpoint, resp.status()));
    }
    let content_type = resp.headers().get("content-type").ok().flatten();
    let bytes = bytes(&resp)
        .await
        .map_err(|e| js_dns_failure(e, endpoint))?;
    if bytes.len() > MAX_MESSAGE {
        return Err(Failure::malformed(format!(
            "{endpoint} sent more than {MAX_MESSAGE} bytes"
        )));
    }
    read_answer(name, qtype, &bytes, content_type.as_deref(), endpoint)
}

/// Asks each resolver in turn until one gives a DNS answer (any RCODE: a
/// SERVFAIL is DNS speaking, not the resolver being down). Returns the
/// resolver that answered, or the last one tried.
pub async fn resolve(
    resolvers: &[String],
    name: &str,
    qtype: RecordType,
) -> (String, Result<Response, Failure>) {
    let mut failures: Vec<Failure> = Vec::new();
    for endpoint in resolvers {
        match doh_once(endpoint, name, qtype).await {
            Ok(r) => return (endpoint.clone(), Ok(r)),
            Err(f) => failures.push(f),
        }
    }
    (
        resolvers.last().cloned().unwrap_or_default(),
        Err(Failure::combine(failures)),
    )
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
        200 => read_fetch(&text).map_err(|e| ProxyError::NotAProxy {
            url: url.clone(),
            detail: format!("the answer is not a policy fetch report ({e})"),
        }),
        400 => Err(match read_refusal(&text) {
            Some(message) => ProxyError::Rejected { url, message },
            None => ProxyError::NotAProxy {
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

/// Why the MX hosts' certificates were not checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MxTlsUnchecked {
    /// The proxy cannot open port 25 (it says so: `unavailable`).
    Unavailable,
    /// The proxy did not answer with probes: unreachable, timed out, busy,
    /// rate-limited, or not an mtasts proxy.
    Failed { url: String, detail: String },
}

/// `GET {proxy}/api/mx-tls?domain=D`: the proxy resolves D's MX hosts and
/// probes their STARTTLS as an enforcing sender would (RFC 8461 §4.2).
pub async fn probe_mx_tls(
    settings: &Settings,
    domain: &str,
) -> Result<MxTlsAnswer, MxTlsUnchecked> {
    let url = settings.mx_tls_url(domain);
    let failed = |detail: String| MxTlsUnchecked::Failed {
        url: url.clone(),
        detail,
    };
    let words = |e: JsValue| js_failure(e, "The proxy", MX_TLS_TIMEOUT_MS).1;
    let resp = get(&url, "application/json", MX_TLS_TIMEOUT_MS)
        .await
        .map_err(|e| failed(words(e)))?;
    let status = resp.status();
    let text = text(&resp).await.map_err(|e| failed(words(e)))?;
    if status == 200 {
        return read_mx_tls(&text)
            .map_err(|e| failed(format!("the answer is not MX probes ({e})")));
    }
    let v = js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL);
    if text_field(&v, "unavailable").ok().flatten().as_deref() == Some(UNAVAILABLE_PORT_25) {
        return Err(MxTlsUnchecked::Unavailable);
    }
    Err(failed(match text_field(&v, "error").ok().flatten() {
        Some(message) => format!("HTTP {status}: {message}"),
        None => format!("HTTP {status}: is `mtasts serve` running there?"),
    }))
}

// The proxy's JSON, read by hand over `JSON.parse`. serde-wasm-bindgen's
// generic deserializer (and the float formatting its errors pull in) cost
// the Wasm about 14 KB brotli, a tenth of the widget; these readers follow
// the serde shape of `sts::report::Fetch` (README, "The report"), and
// tests/wasm reads every field of serde's own output back through them.

fn field(v: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(v, &JsValue::from_str(name))
        .ok()
        .filter(|f| !f.is_undefined() && !f.is_null())
}

fn text_field(v: &JsValue, name: &str) -> Result<Option<String>, String> {
    field(v, name)
        .map(|f| {
            f.as_string()
                .ok_or_else(|| format!("`{name}` is not a string"))
        })
        .transpose()
}

fn number_field(v: &JsValue, name: &str, max: f64) -> Result<Option<f64>, String> {
    field(v, name)
        .map(|f| {
            f.as_f64()
                .filter(|n| n.fract() == 0.0 && (0.0..=max).contains(n))
                .ok_or_else(|| format!("`{name}` is not a whole number in range"))
        })
        .transpose()
}

fn list_field(v: &JsValue, name: &str) -> Result<Vec<JsValue>, String> {
    match field(v, name) {
        None => Ok(Vec::new()),
        Some(f) if js_sys::Array::is_array(&f) => Ok(js_sys::Array::from(&f).to_vec()),
        Some(_) => Err(format!("`{name}` is not a list")),
    }
}

fn texts_field(v: &JsValue, name: &str) -> Result<Vec<String>, String> {
    list_field(v, name)?
        .into_iter()
        .map(|x| {
            x.as_string()
                .ok_or_else(|| format!("`{name}` holds something that is not a string"))
        })
        .collect()
}

/// `"text"` or `{"base64": "..."}` (the browser's `atob` decodes).
fn body_field(v: &JsValue) -> Result<Option<Body>, String> {
    let Some(b) = field(v, "body") else {
        return Ok(None);
    };
    if let Some(text) = b.as_string() {
        return Ok(Some(Body(text.into_bytes())));
    }
    let encoded = text_field(&b, "base64")?
        .ok_or_else(|| "`body` is neither text nor {\"base64\": ...}".to_string())?;
    let binary = web_sys::window()
        .ok_or_else(|| "no window".to_string())?
        .atob(&encoded)
        .map_err(|_| "`body.base64` is not base64".to_string())?;
    // atob gives one char per byte.
    Ok(Some(Body(binary.chars().map(|c| c as u8).collect())))
}

/// The proxy's 200 answer as a [`Fetch`] (the policy fetch of RFC 8461 §3.3).
pub fn read_fetch(text: &str) -> Result<Fetch, String> {
    let v = js_sys::JSON::parse(text).map_err(json::describe)?;
    if !v.is_object() || js_sys::Array::is_array(&v) {
        return Err("the answer is not a JSON object".to_string());
    }
    let headers = list_field(&v, "headers")?
        .into_iter()
        .map(|pair| {
            let pair = js_sys::Array::from(&pair);
            match (pair.get(0).as_string(), pair.get(1).as_string()) {
                (Some(k), Some(v)) if pair.length() == 2 => Ok((k, v)),
                _ => Err("`headers` holds something that is not a [name, value] pair".to_string()),
            }
        })
        .collect::<Result<_, _>>()?;
    let error = match field(&v, "error") {
        None => None,
        Some(e) => {
            let class = text_field(&e, "class")?
                .and_then(|c| FetchErrorClass::parse(&c))
                .ok_or_else(|| "`error.class` is missing or unknown".to_string())?;
            let message = text_field(&e, "message")?
                .ok_or_else(|| "`error.message` is missing".to_string())?;
            Some(FetchError { class, message })
        }
    };
    let certificate = match field(&v, "certificate") {
        None => None,
        Some(c) => Some(Certificate {
            subject_names: texts_field(&c, "subject_names")?,
            issuer: text_field(&c, "issuer")?,
            not_before: text_field(&c, "not_before")?,
            not_after: text_field(&c, "not_after")?,
        }),
    };
    Ok(Fetch {
        url: text_field(&v, "url")?.unwrap_or_default(),
        status: number_field(&v, "status", f64::from(u16::MAX))?.map(|n| n as u16),
        headers,
        body: body_field(&v)?,
        truncated: match field(&v, "truncated") {
            None => false,
            Some(t) => t.as_bool().ok_or("`truncated` is not true or false")?,
        },
        error,
        // JSON numbers are exact up to 2^53.
        elapsed_ms: number_field(&v, "elapsed_ms", 9_007_199_254_740_991.0)?.map(|n| n as u64),
        addresses: texts_field(&v, "addresses")?,
        certificate,
    })
}

/// The proxy's 400 answer, `{"error": "..."}`: its reason.
pub fn read_refusal(text: &str) -> Option<String> {
    let v = js_sys::JSON::parse(text).ok()?;
    text_field(&v, "error").ok().flatten()
}

fn flag_field(v: &JsValue, name: &str) -> Result<Option<bool>, String> {
    field(v, name)
        .map(|f| {
            f.as_bool()
                .ok_or_else(|| format!("`{name}` is not true or false"))
        })
        .transpose()
}

/// A Unix time: JSON numbers are exact up to 2^53, either side of 1970.
fn time_field(v: &JsValue, name: &str) -> Result<i64, String> {
    match field(v, name) {
        None => Ok(0),
        Some(f) => f
            .as_f64()
            .filter(|n| n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0)
            .map(|n| n as i64)
            .ok_or_else(|| format!("`{name}` is not a whole number in range")),
    }
}

/// One probe in the serde shape of `sts::mx_tls::Probe` (README, "The
/// report").
fn read_probe(v: &JsValue) -> Result<Probe, String> {
    let greeting = match field(v, "greeting") {
        None => None,
        Some(g) => Some(Reply {
            code: number_field(&g, "code", 999.0)?.unwrap_or(0.0) as u16,
            text: text_field(&g, "text")?.unwrap_or_default(),
        }),
    };
    let tls = match field(v, "tls") {
        None => None,
        Some(t) => Some(Session {
            version: text_field(&t, "version")?.unwrap_or_default(),
            cipher: text_field(&t, "cipher")?.unwrap_or_default(),
        }),
    };
    let chain = list_field(v, "chain")?
        .iter()
        .map(|c| {
            Ok(CertificateFacts {
                names: texts_field(c, "names")?,
                subject: text_field(c, "subject")?.unwrap_or_default(),
                issuer: text_field(c, "issuer")?.unwrap_or_default(),
                not_before: time_field(c, "not_before")?,
                not_after: time_field(c, "not_after")?,
            })
        })
        .collect::<Result<_, String>>()?;
    let verification = match text_field(v, "verification")? {
        None => None,
        Some(name) => Some(
            Verification::parse(&name)
                .ok_or_else(|| format!("`verification` {name} is unknown"))?,
        ),
    };
    let error = match field(v, "error") {
        None => None,
        Some(e) => Some(ProbeError {
            class: text_field(&e, "class")?
                .and_then(|c| ProbeErrorClass::parse(&c))
                .ok_or("`error.class` is missing or unknown")?,
            message: text_field(&e, "message")?.unwrap_or_default(),
        }),
    };
    Ok(Probe {
        host: text_field(v, "host")?.ok_or("a probe has no `host`")?,
        address: text_field(v, "address")?.unwrap_or_default(),
        at: time_field(v, "at")?,
        elapsed_ms: number_field(v, "elapsed_ms", 9_007_199_254_740_991.0)?.unwrap_or(0.0) as u64,
        greeting,
        starttls: flag_field(v, "starttls")?,
        tls,
        chain,
        verification,
        trusted: flag_field(v, "trusted")?,
        error,
    })
}

/// The proxy's 200 answer to `/api/mx-tls` as an [`MxTlsAnswer`].
pub fn read_mx_tls(text: &str) -> Result<MxTlsAnswer, String> {
    let v = js_sys::JSON::parse(text).map_err(json::describe)?;
    if !v.is_object() || js_sys::Array::is_array(&v) {
        return Err("the answer is not a JSON object".to_string());
    }
    Ok(MxTlsAnswer {
        domain: text_field(&v, "domain")?.unwrap_or_default(),
        probes: list_field(&v, "probes")?
            .iter()
            .map(read_probe)
            .collect::<Result<_, _>>()?,
        not_probed: texts_field(&v, "not_probed")?,
    })
}
