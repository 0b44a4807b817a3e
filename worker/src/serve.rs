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
use tower_http::services::{ServeDir, ServeFile};

use crate::fetch::{FetchConfig, Fetcher};
use crate::proxy::{self, ApiError, RateLimiter};

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
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (k, v) in proxy::CORS_HEADERS {
        h.insert(*k, HeaderValue::from_static(v));
    }
    r
}

fn api_error(e: ApiError) -> Response {
    json(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        e.json(),
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
        let mut r = api_error(ApiError {
            status: 429,
            message: "Too many checks from your address; wait a minute and try again.".into(),
        });
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
        Err(e) => api_error(ApiError {
            status: 500,
            message: format!("cannot encode the answer: {e}"),
        }),
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
