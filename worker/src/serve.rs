//! `mtasts serve`: the web app (static files, precompressed, with cache
//! headers) and the policy proxy at `/api/policy`, on one local address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, RawQuery, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use mtasts::sts::proxy::{self, ApiError, RateLimiter};
use tower_http::services::{ServeDir, ServeFile};

use crate::fetch::{FetchConfig, Fetcher};

/// Everything `serve` needs.
#[derive(Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// The built app (Trunk's `dist/`).
    pub dist: PathBuf,
    pub fetch: FetchConfig,
    /// Resolves the policy hosts.
    pub resolver: crate::resolve::Resolver,
    /// Policy requests per client per minute; 0 turns the limit off.
    pub rate_limit: u32,
    /// Log each request to standard error.
    pub log: bool,
}

struct AppState {
    fetcher: Fetcher,
    limiter: Mutex<RateLimiter>,
    started: Instant,
}

/// The router, without binding: used by `serve` and by tests.
pub fn router(config: &ServeConfig) -> Result<Router, String> {
    let state = Arc::new(AppState {
        fetcher: Fetcher::new(config.fetch.clone(), config.resolver.clone())?,
        limiter: Mutex::new(RateLimiter::new(config.rate_limit)),
        started: Instant::now(),
    });
    let index = config.dist.join("index.html");
    let statics = ServeDir::new(&config.dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(&index)
                .precompressed_br()
                .precompressed_gzip(),
        );
    let mut app = Router::new()
        .route("/api/policy", get(policy).options(preflight))
        .route("/api/health", get(health))
        .with_state(state);
    if index.exists() {
        app = app.fallback_service(statics);
    } else {
        app = app.fallback(no_app);
    }
    let app = app.layer(middleware::from_fn(cache_headers));
    Ok(if config.log {
        app.layer(middleware::from_fn(log))
    } else {
        app
    })
}

/// Binds, prints the URL and serves until Ctrl-C.
pub async fn serve(config: ServeConfig) -> Result<(), String> {
    let app = router(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}: {e} (choose another with --listen)",
                config.listen
            )
        })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if config.dist.join("index.html").exists() {
        println!(
            "mtasts: serving the app from {} at http://{addr}/",
            config.dist.display()
        );
    } else {
        println!(
            "mtasts: no app in {} (build it with ./scripts/run); serving the API only",
            config.dist.display()
        );
    }
    println!("mtasts: policy proxy at http://{addr}/api/policy?domain=example.com");
    if config.dist.join("widget.js").exists() {
        println!(
            "mtasts: widgets for other sites at http://{addr}/widget.js (demo: http://{addr}/embed-demo.html)"
        );
    }
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| e.to_string())
}

fn json(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    for (k, v) in proxy::ANSWER_HEADERS.iter().chain(proxy::CORS_HEADERS) {
        h.insert(*k, HeaderValue::from_static(v));
    }
    r
}

fn api_error(e: ApiError) -> Response {
    let body = serde_json::to_string(&e)
        .unwrap_or_else(|_| r#"{"error":"cannot encode the error"}"#.to_string());
    json(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        body,
    )
}

async fn policy(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
) -> Response {
    let now = state.started.elapsed().as_millis() as u64;
    let allowed = state
        .limiter
        .lock()
        .map(|mut l| l.allow(client.ip(), now))
        .unwrap_or(true);
    if !allowed {
        let mut r = api_error(ApiError::rate_limited());
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return r;
    }
    let req = match proxy::parse_query(query.as_deref().unwrap_or("")) {
        Ok(r) => r,
        Err(e) => return api_error(e),
    };
    let fetched = state.fetcher.fetch(&req).await;
    match serde_json::to_string(&fetched) {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => api_error(ApiError::new(500, format!("cannot encode the answer: {e}"))),
    }
}

async fn preflight() -> Response {
    json(StatusCode::NO_CONTENT, String::new())
}

async fn health() -> Response {
    json(StatusCode::OK, r#"{"ok":true}"#.to_string())
}

async fn no_app() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "The mtasts app is not built. Run ./scripts/run, or `trunk build --release`, then restart `mtasts serve`.\n",
    )
        .into_response()
}

/// Trunk and scripts/build-widget name assets with a content hash, so they
/// may be cached for good; everything else is revalidated. Static files are
/// readable from any origin: documentation sites load `widget.js` (a module
/// script, fetched with CORS) and its Wasm from here.
async fn cache_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let mut resp = next.run(req).await;
    if path.starts_with("/api/") || !resp.status().is_success() {
        return resp;
    }
    let hashed = path
        .rsplit('/')
        .next()
        .and_then(|f| {
            f.split(['-', '_', '.'])
                .find(|p| p.len() >= 16 && p.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .is_some();
    let value = if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    resp
}

async fn log(req: Request<Body>, next: Next) -> Response {
    let start = Instant::now();
    let method: Method = req.method().clone();
    let uri = req.uri().clone();
    let resp = next.run(req).await;
    eprintln!(
        "{} {} {} {}ms",
        method,
        uri,
        resp.status().as_u16(),
        start.elapsed().as_millis()
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Serves the router on a loopback port; requests that the proxy
    /// refuses never reach the network, so no test bed is needed.
    async fn start(rate_limit: u32) -> SocketAddr {
        let app = router(&ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            dist: PathBuf::from("/nonexistent"),
            fetch: FetchConfig::default(),
            // Never asked: these requests are refused before any lookup.
            resolver: crate::resolve::Resolver::new(crate::resolve::ResolverConfig::new(
                crate::resolve::Transport::Dns("127.0.0.1:9".parse().unwrap()),
            ))
            .unwrap(),
            rate_limit,
            log: false,
        })
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        addr
    }

    /// One HTTP/1.1 request: the status, the header lines (`name: value`,
    /// names lower-cased), the body.
    async fn request(addr: SocketAddr, method: &str, path: &str) -> (u16, Vec<String>, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(head.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        let text = String::from_utf8(buf).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status = lines.next().unwrap()[9..12].parse().unwrap();
        let headers = lines
            .map(|l| match l.split_once(": ") {
                Some((k, v)) => format!("{}: {v}", k.to_ascii_lowercase()),
                None => l.to_string(),
            })
            .collect();
        (status, headers, body.to_string())
    }

    fn has_every(headers: &[String], wanted: &[(&str, &str)]) -> bool {
        wanted
            .iter()
            .all(|(k, v)| headers.iter().any(|h| *h == format!("{k}: {v}")))
    }

    #[tokio::test]
    async fn refusals_carry_the_core_answer_and_cors_headers() {
        let addr = start(0).await;
        let (status, headers, body) = request(addr, "GET", "/api/policy?domain=10.0.0.1").await;
        assert_eq!(status, 400);
        assert!(has_every(&headers, proxy::ANSWER_HEADERS), "{headers:?}");
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(v["error"].as_str().is_some_and(|m| !m.is_empty()), "{body}");

        let (status, headers, body) = request(addr, "OPTIONS", "/api/policy").await;
        assert_eq!(status, 204);
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        assert_eq!(body, "");
    }

    #[tokio::test]
    async fn a_client_past_its_budget_gets_429() {
        let addr = start(2).await;
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(request(addr, "GET", "/api/policy?domain=x..y").await);
        }
        let codes: Vec<u16> = statuses.iter().map(|(s, _, _)| *s).collect();
        assert_eq!(codes, [400, 400, 429]);
        let (_, headers, body) = &statuses[2];
        assert!(
            headers.contains(&"retry-after: 60".to_string()),
            "{headers:?}"
        );
        assert!(has_every(headers, proxy::CORS_HEADERS), "{headers:?}");
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"], proxy::ApiError::rate_limited().message);
    }
}
