//! `mtasts serve`: the web app (static files, precompressed, with cache
//! headers), the policy proxy at `/api/policy` and the MX STARTTLS probe at
//! `/api/mx-tls` (the MX hosts the server resolves itself, at most 10, with
//! its own, stricter per-client rate limit), on one local address.
//!
//! The accept loop is its own, over hyper's HTTP/1.1 connection, so that a
//! public server survives slow and abusive clients: at most
//! `max_connections` at once (past it a new connection is closed at once,
//! before anything is read), a header-read timeout that also bounds the
//! wait for the next request on a kept-alive connection, an idle timeout for
//! a connection on which nothing moves (a client that stops reading the
//! answer), at most `max_fetches` policy fetches and MX probes in flight
//! (503 with `Retry-After` past it), and the core's per-client rate limit.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, RawQuery, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, MethodRouter};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use mtasts::sts::proxy::{self, ApiError, RateLimiter, Unavailable};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::services::{ServeDir, ServeFile};

use crate::fetch::{FetchConfig, Fetcher};
use crate::smtp::Prober;

/// Everything `serve` needs.
#[derive(Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// The built app (Trunk's `dist/`).
    pub dist: PathBuf,
    pub fetch: FetchConfig,
    /// Resolves the policy hosts.
    pub resolver: crate::resolve::Resolver,
    /// Policy requests per client per minute (per IPv4 address, per IPv6
    /// /64); 0 turns the limit off.
    pub rate_limit: u32,
    /// Probes the MX hosts for `/api/mx-tls`; without one it answers that
    /// the probe is unavailable.
    pub prober: Option<Prober>,
    /// `/api/mx-tls` requests per client per minute, counted apart from
    /// policy requests (each may open up to 32 SMTP connections); 0 turns
    /// the limit off.
    pub mx_tls_rate_limit: u32,
    pub limits: Limits,
    /// Log each request to standard error.
    pub log: bool,
}

/// What one server holds at most, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once; a new one past it is closed at once.
    pub max_connections: usize,
    /// Policy fetches in flight at once; a request past it gets 503.
    pub max_fetches: usize,
    /// From the moment the server waits for a request (a new connection, or
    /// the next request on a kept-alive one) to the end of its header.
    pub header_timeout: Duration,
    /// A connection on which no byte moves for this long, while no request
    /// on it is being answered, is closed.
    pub idle_timeout: Duration,
}

/// Far under the usual limit of 1024 open files, with room for the
/// fetches' own sockets and the static files.
const DEFAULT_MAX_CONNECTIONS: u32 = 512;
const DEFAULT_MAX_FETCHES: u32 = 64;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: DEFAULT_MAX_CONNECTIONS as usize,
            max_fetches: DEFAULT_MAX_FETCHES as usize,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// The flags of [`Limits`] (`mtasts serve --help`).
#[derive(clap::Args, Clone, Debug)]
pub struct LimitArgs {
    /// Connections open at once; past it a new connection is closed at once.
    #[arg(long, env = "MTASTS_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Policy fetches in flight at once; past it /api/policy answers 503 with Retry-After.
    #[arg(long, env = "MTASTS_MAX_FETCHES", default_value_t = DEFAULT_MAX_FETCHES,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_fetches: u32,
    /// Seconds a client has to send a request's header, counted from the
    /// connection or the end of the previous answer; then it is closed.
    #[arg(long, env = "MTASTS_HEADER_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout: u64,
    /// Seconds a connection may stay without a byte moving (while no
    /// request on it is being answered); then it is closed.
    #[arg(long, env = "MTASTS_IDLE_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_connections: self.max_connections as usize,
            max_fetches: self.max_fetches as usize,
            header_timeout: Duration::from_secs(self.header_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
        }
    }
}

/// Seconds a client is asked to wait when every fetch slot is taken.
const BUSY_RETRY_AFTER: &str = "5";

struct AppState {
    fetcher: Fetcher,
    limiter: Mutex<RateLimiter>,
    resolver: crate::resolve::Resolver,
    prober: Option<Prober>,
    mx_tls_limiter: Mutex<RateLimiter>,
    fetches: Arc<Semaphore>,
    started: Instant,
}

/// What is in use now, for tests and figures.
#[derive(Clone)]
pub struct Gauges {
    limits: Limits,
    connections: Arc<Semaphore>,
    fetches: Arc<Semaphore>,
}

impl Gauges {
    pub fn open_connections(&self) -> usize {
        self.limits
            .max_connections
            .saturating_sub(self.connections.available_permits())
    }

    pub fn fetches_in_flight(&self) -> usize {
        self.limits
            .max_fetches
            .saturating_sub(self.fetches.available_permits())
    }
}

/// A router and the gauges of the server it belongs to.
pub struct App {
    pub router: Router,
    pub gauges: Gauges,
}

/// The router, without binding: used by `serve` and by tests.
pub fn app(config: &ServeConfig) -> Result<App, String> {
    let fetches = Arc::new(Semaphore::new(config.limits.max_fetches));
    let state = Arc::new(AppState {
        fetcher: Fetcher::new(config.fetch.clone(), config.resolver.clone())?,
        limiter: Mutex::new(RateLimiter::new(config.rate_limit)),
        resolver: config.resolver.clone(),
        prober: config.prober.clone(),
        mx_tls_limiter: Mutex::new(RateLimiter::new(config.mx_tls_rate_limit)),
        fetches: fetches.clone(),
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
    let mut app = api().with_state(state);
    if index.exists() {
        app = app.fallback_service(statics);
    } else {
        app = app.fallback(no_app);
    }
    let app = app.layer(middleware::from_fn(cache_headers));
    let router = if config.log {
        app.layer(middleware::from_fn(log))
    } else {
        app
    };
    Ok(App {
        router,
        gauges: Gauges {
            limits: config.limits,
            connections: Arc::new(Semaphore::new(config.limits.max_connections)),
            fetches,
        },
    })
}

/// The API: each endpoint is one route with its GET handler; anything else
/// under `/api/` is a JSON 404, never the app's page.
fn api() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/policy", endpoint(get(policy)).head(head_refused))
        .route("/api/mx-tls", endpoint(get(mx_tls)).head(head_refused))
        .route("/api/health", endpoint(get(health)))
        .route("/api", any(api_not_found))
        .route("/api/", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
}

/// An endpoint's methods: its handlers, the CORS preflight, and a JSON 405
/// with CORS for every other method.
fn endpoint(handlers: MethodRouter<Arc<AppState>>) -> MethodRouter<Arc<AppState>> {
    handlers.options(preflight).fallback(method_not_allowed)
}

/// Binds, prints the URL and serves until Ctrl-C.
pub async fn serve(config: ServeConfig) -> Result<(), String> {
    let app = app(&config)?;
    let listener = TcpListener::bind(config.listen).await.map_err(|e| {
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
    if config.prober.is_some() {
        println!("mtasts: MX STARTTLS probes at http://{addr}/api/mx-tls?domain=example.com");
    }
    if config.dist.join("widget.js").exists() {
        println!(
            "mtasts: widgets for other sites at http://{addr}/widget.js (demo: http://{addr}/embed-demo.html)"
        );
    }
    run(listener, app, config.limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}

/// Accepts connections until `shutdown` completes; each is served on its
/// own task within `limits`.
pub async fn run(
    listener: TcpListener,
    app: App,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors, say: wait rather than spin, and
                // let the connections already open finish.
                eprintln!("mtasts: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = app.gauges.connections.clone().try_acquire_owned() else {
            // Full: closed before anything is read, so the descriptor is
            // free again at once.
            drop(stream);
            continue;
        };
        let router = app.router.clone();
        tokio::spawn(async move {
            connection(stream, peer, router, limits).await;
            drop(permit);
        });
    }
}

/// Serves one connection within the header and idle timeouts.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        io: stream,
        activity: activity.clone(),
    });
    let requests = activity.clone();
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let busy = Busy::new(requests.clone());
            let router = router.clone();
            async move {
                let resp = tower::ServiceExt::oneshot(router, req).await;
                drop(busy);
                resp
            }
        });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(io, service);
    tokio::pin!(conn);
    loop {
        let idle_at = activity.last() + limits.idle_timeout;
        tokio::select! {
            _ = conn.as_mut() => return,
            () = tokio::time::sleep_until(idle_at) => {
                if activity.busy() {
                    // A request is being answered (a policy fetch has its
                    // own deadline): not idle.
                    activity.touch();
                } else if activity.last() + limits.idle_timeout <= tokio::time::Instant::now() {
                    return;
                }
            }
        }
    }
}

/// When bytes last moved on a connection, and how many of its requests are
/// being answered.
struct Activity {
    base: tokio::time::Instant,
    last_ms: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            base: tokio::time::Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    fn last(&self) -> tokio::time::Instant {
        self.base + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed) > 0
    }
}

/// One request being answered on a connection, until dropped.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(activity: Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A socket that records when bytes last moved either way.
struct Watched<T> {
    io: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
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

/// The 429 for a client past its budget in `limiter`, or `None`.
fn over_budget(
    state: &AppState,
    limiter: &Mutex<RateLimiter>,
    client: SocketAddr,
) -> Option<Response> {
    let now = state.started.elapsed().as_millis() as u64;
    let allowed = limiter
        .lock()
        .map(|mut l| l.allow(client.ip(), now))
        .unwrap_or(true);
    (!allowed).then(|| {
        let mut r = api_error(ApiError::rate_limited());
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        r
    })
}

/// The 503 when every fetch and probe slot is taken.
fn busy() -> Response {
    let mut r = api_error(ApiError::busy());
    r.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(BUSY_RETRY_AFTER),
    );
    r
}

fn encoded(value: &impl serde::Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => {
            eprintln!("mtasts: cannot encode the answer: {e}");
            api_error(ApiError::internal())
        }
    }
}

async fn policy(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(r) = over_budget(&state, &state.limiter, client) {
        return r;
    }
    let req = match proxy::parse_query(query.as_deref().unwrap_or("")) {
        Ok(r) => r,
        Err(e) => return api_error(e),
    };
    let Ok(_slot) = state.fetches.try_acquire() else {
        return busy();
    };
    encoded(&state.fetcher.fetch(&req).await)
}

/// `GET /api/mx-tls?domain=D`: the STARTTLS probes of D's MX hosts, which
/// this server resolves itself ([`crate::smtp::probe_mx_hosts`]); the
/// query names the domain only ([`proxy::parse_mx_tls_query`]).
async fn mx_tls(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(prober) = &state.prober else {
        let body = serde_json::to_string(&Unavailable::port_25())
            .unwrap_or_else(|_| r#"{"error":"unavailable"}"#.to_string());
        return json(
            StatusCode::from_u16(Unavailable::STATUS).unwrap_or(StatusCode::NOT_IMPLEMENTED),
            body,
        );
    };
    if let Some(r) = over_budget(&state, &state.mx_tls_limiter, client) {
        return r;
    }
    let domain = match proxy::parse_mx_tls_query(query.as_deref().unwrap_or("")) {
        Ok(d) => d,
        Err(e) => return api_error(e),
    };
    let Ok(_slot) = state.fetches.try_acquire() else {
        return busy();
    };
    let deadline = Duration::from_secs(proxy::mx_tls::MX_TLS_DEADLINE_SECS);
    encoded(&crate::smtp::probe_mx_hosts(&domain.ascii, &state.resolver, prober, deadline).await)
}

/// HEAD would run a whole fetch and throw the answer away.
async fn head_refused() -> Response {
    method_not_allowed().await
}

async fn method_not_allowed() -> Response {
    let allow = "GET, OPTIONS";
    let mut r = api_error(ApiError::method_not_allowed(allow));
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

async fn api_not_found() -> Response {
    api_error(ApiError::not_found())
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
    use tokio::net::TcpStream;

    /// A guard against a hang, not a measurement: every wait below ends on
    /// an event, long before this on any machine.
    const HANG: Duration = Duration::from_secs(60);

    struct Setup {
        rate_limit: u32,
        limits: Limits,
        dist: PathBuf,
        /// Where policy hosts are resolved; by default a port nobody
        /// answers on (these requests are refused before any lookup).
        resolver: SocketAddr,
        prober: Option<Prober>,
        mx_tls_rate_limit: u32,
    }

    impl Default for Setup {
        fn default() -> Self {
            Setup {
                rate_limit: 0,
                prober: Some(Prober::new(crate::smtp::SmtpConfig::default()).unwrap()),
                mx_tls_rate_limit: 0,
                limits: Limits::default(),
                dist: PathBuf::from("/nonexistent"),
                resolver: "127.0.0.1:9".parse().unwrap(),
            }
        }
    }

    /// Serves on a loopback port with the real accept loop; requests that
    /// the proxy refuses never reach the network, so no test bed is needed.
    async fn start(setup: Setup) -> (SocketAddr, Gauges) {
        let mut rc =
            crate::resolve::ResolverConfig::new(crate::resolve::Transport::Dns(setup.resolver));
        rc.timeout = HANG;
        let fetch = FetchConfig {
            timeout: HANG,
            ..FetchConfig::default()
        };
        let app = app(&ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            dist: setup.dist,
            fetch,
            resolver: crate::resolve::Resolver::new(rc).unwrap(),
            rate_limit: setup.rate_limit,
            prober: setup.prober,
            mx_tls_rate_limit: setup.mx_tls_rate_limit,
            limits: setup.limits,
            log: false,
        })
        .unwrap();
        let gauges = app.gauges.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(run(listener, app, setup.limits, std::future::pending()));
        (addr, gauges)
    }

    /// One HTTP/1.1 request: the status, the header lines (`name: value`,
    /// names lower-cased), the body.
    async fn request(addr: SocketAddr, method: &str, path: &str) -> (u16, Vec<String>, String) {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let head = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(head.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        tokio::time::timeout(HANG, s.read_to_end(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
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

    fn is_json_error(body: &str) -> bool {
        serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["error"].as_str().map(|m| !m.is_empty()))
            .unwrap_or(false)
    }

    /// Reads until the server closes the connection; what it sent first.
    async fn until_closed(s: &mut TcpStream) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 65_536];
        loop {
            match tokio::time::timeout(HANG, s.read(&mut buf))
                .await
                .expect("the server closes the connection")
            {
                Ok(0) | Err(_) => return got,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// Waits for a gauge to reach a value.
    async fn until(what: &str, f: impl Fn() -> bool) {
        let start = tokio::time::Instant::now();
        while !f() {
            assert!(start.elapsed() < HANG, "never: {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn temp_dist(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mtasts-serve-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (f, bytes) in files {
            std::fs::write(dir.join(f), bytes).unwrap();
        }
        dir
    }

    #[tokio::test]
    async fn refusals_carry_the_core_answer_and_cors_headers() {
        let (addr, _) = start(Setup::default()).await;
        let (status, headers, body) = request(addr, "GET", "/api/policy?domain=10.0.0.1").await;
        assert_eq!(status, 400);
        assert!(has_every(&headers, proxy::ANSWER_HEADERS), "{headers:?}");
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        assert!(is_json_error(&body), "{body}");

        let (status, headers, body) = request(addr, "OPTIONS", "/api/policy").await;
        assert_eq!(status, 204);
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        assert_eq!(body, "");

        let (status, _, body) =
            request(addr, "GET", "/api/policy?domain=a.example&domain=b.example").await;
        assert_eq!(status, 400, "a repeated key: {body}");
    }

    #[tokio::test]
    async fn a_client_past_its_budget_gets_429() {
        let (addr, _) = start(Setup {
            rate_limit: 2,
            ..Setup::default()
        })
        .await;
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

    #[tokio::test]
    async fn unknown_api_paths_and_wrong_methods_get_json_with_cors() {
        let dist = temp_dist(
            "api",
            &[("index.html", b"<!doctype html><title>app</title>")],
        );
        let (addr, _) = start(Setup {
            dist: dist.clone(),
            ..Setup::default()
        })
        .await;
        let (status, _, body) = request(addr, "GET", "/some/page").await;
        assert_eq!(
            (status, body.contains("<title>app")),
            (200, true),
            "the app"
        );
        for path in ["/api/anything", "/api/policy/x", "/api", "/api/"] {
            let (status, headers, body) = request(addr, "GET", path).await;
            assert_eq!(status, 404, "{path}: {body}");
            assert!(is_json_error(&body), "{path}: {body}");
            assert!(
                has_every(&headers, proxy::CORS_HEADERS),
                "{path}: {headers:?}"
            );
            assert!(
                has_every(&headers, proxy::ANSWER_HEADERS),
                "{path}: {headers:?}"
            );
        }
        for (method, path) in [
            ("POST", "/api/policy?domain=example.com"),
            ("DELETE", "/api/policy"),
            ("PUT", "/api/health"),
        ] {
            let (status, headers, body) = request(addr, method, path).await;
            assert_eq!(status, 405, "{method} {path}");
            assert!(is_json_error(&body), "{method} {path}: {body}");
            assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
            assert!(
                headers.contains(&"allow: GET, OPTIONS".to_string()),
                "{headers:?}"
            );
        }
        // HEAD would run a whole fetch for nothing: refused before it starts
        // (the resolver here never answers, so a fetch would hang).
        let (status, headers, body) = request(addr, "HEAD", "/api/policy?domain=example.com").await;
        assert_eq!(status, 405);
        assert_eq!(body, "", "HEAD has no body");
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        let _ = std::fs::remove_dir_all(dist);
    }

    #[tokio::test]
    async fn a_client_that_never_finishes_its_header_is_closed_while_others_are_answered() {
        let (addr, gauges) = start(Setup {
            limits: Limits {
                header_timeout: Duration::from_millis(300),
                ..Limits::default()
            },
            ..Setup::default()
        })
        .await;
        let mut slow = Vec::new();
        for _ in 0..20 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /api/health HTTP/1.1\r\nHo")
                .await
                .unwrap();
            slow.push(s);
        }
        // Silent from the start, and idle after one answered request.
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut kept = TcpStream::connect(addr).await.unwrap();
        kept.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (status, _, _) = request(addr, "GET", "/api/health").await;
        assert_eq!(status, 200, "answered while the slow clients wait");
        for s in slow.iter_mut().chain([&mut silent]) {
            let sent = until_closed(s).await;
            assert!(
                !sent.starts_with(b"HTTP/1.1 200"),
                "no answer to half a header"
            );
        }
        let sent = until_closed(&mut kept).await;
        assert!(
            sent.starts_with(b"HTTP/1.1 200"),
            "the first request was answered"
        );
        until("every connection closed", || gauges.open_connections() == 0).await;
    }

    #[tokio::test]
    async fn past_the_connection_cap_new_connections_are_closed_at_once() {
        let (addr, gauges) = start(Setup {
            limits: Limits {
                max_connections: 2,
                header_timeout: HANG,
                ..Limits::default()
            },
            ..Setup::default()
        })
        .await;
        let held = [
            TcpStream::connect(addr).await.unwrap(),
            TcpStream::connect(addr).await.unwrap(),
        ];
        until("two connections held", || gauges.open_connections() == 2).await;
        let mut third = TcpStream::connect(addr).await.unwrap();
        let _ = third
            .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        assert!(
            until_closed(&mut third).await.is_empty(),
            "closed unanswered"
        );
        assert_eq!(gauges.open_connections(), 2);
        drop(held);
        until("the held connections closed", || {
            gauges.open_connections() == 0
        })
        .await;
        let (status, _, _) = request(addr, "GET", "/api/health").await;
        assert_eq!(status, 200, "room again");
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_is_closed_when_idle() {
        let big = vec![b'x'; 16 << 20];
        let dist = temp_dist("idle", &[("index.html", b"app"), ("big.bin", &big)]);
        let (addr, gauges) = start(Setup {
            dist: dist.clone(),
            limits: Limits {
                idle_timeout: Duration::from_millis(300),
                ..Limits::default()
            },
            ..Setup::default()
        })
        .await;
        // A small receive window, so the kernel cannot take the whole file.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(16 << 10).unwrap();
        let mut s = socket.connect(addr).await.unwrap();
        s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        // Never read: the server's writes stall once the socket buffers are
        // full, nothing moves, and the idle timeout closes the connection.
        until("the connection accepted", || gauges.open_connections() == 1).await;
        until("the stalled connection closed", || {
            gauges.open_connections() == 0
        })
        .await;
        let got = until_closed(&mut s).await;
        assert!(got.len() < big.len(), "cut short: {} bytes", got.len());
        let _ = std::fs::remove_dir_all(dist);
    }

    #[tokio::test]
    async fn past_the_fetch_cap_requests_get_503_with_retry_after() {
        // A DNS server that never answers keeps the first fetch in flight.
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (addr, gauges) = start(Setup {
            limits: Limits {
                max_fetches: 1,
                ..Limits::default()
            },
            resolver: silent.local_addr().unwrap(),
            ..Setup::default()
        })
        .await;
        let first = tokio::spawn(request(addr, "GET", "/api/policy?domain=example.com"));
        until("one fetch in flight", || gauges.fetches_in_flight() == 1).await;
        let (status, headers, body) = request(addr, "GET", "/api/policy?domain=example.org").await;
        assert_eq!(status, 503, "{body}");
        assert!(
            headers.contains(&"retry-after: 5".to_string()),
            "{headers:?}"
        );
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"],
            ApiError::busy().message
        );
        let (status, _, _) = request(addr, "GET", "/api/health").await;
        assert_eq!(status, 200, "other requests are still answered");
        first.abort();
    }

    #[tokio::test]
    async fn mx_tls_takes_a_domain_only_and_has_its_own_budget() {
        let (addr, _) = start(Setup {
            rate_limit: 100,
            mx_tls_rate_limit: 2,
            ..Setup::default()
        })
        .await;
        // Refused before any lookup (the resolver here never answers).
        let (status, headers, body) =
            request(addr, "GET", "/api/mx-tls?domain=example.com&host=127.0.0.1").await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("only domain=D"), "{body}");
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        let (status, _, body) = request(addr, "GET", "/api/mx-tls?domain=127.0.0.1").await;
        assert_eq!(status, 400, "an address is not a domain: {body}");
        let (status, headers, body) = request(addr, "GET", "/api/mx-tls?domain=x..y").await;
        assert_eq!(status, 429, "two requests a minute: {body}");
        assert!(
            headers.contains(&"retry-after: 60".to_string()),
            "{headers:?}"
        );
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        assert!(is_json_error(&body), "{body}");
        let (status, _, _) = request(addr, "GET", "/api/policy?domain=x..y").await;
        assert_eq!(status, 400, "the policy budget is apart");
        let (status, headers, _) = request(addr, "OPTIONS", "/api/mx-tls").await;
        assert_eq!(status, 204);
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        let (status, _, _) = request(addr, "HEAD", "/api/mx-tls?domain=example.com").await;
        assert_eq!(status, 405, "HEAD would probe for nothing");
    }

    #[tokio::test]
    async fn without_a_prober_mx_tls_says_it_is_unavailable() {
        let (addr, _) = start(Setup {
            prober: None,
            ..Setup::default()
        })
        .await;
        let (status, headers, body) = request(addr, "GET", "/api/mx-tls?domain=example.com").await;
        assert_eq!(status, 501);
        assert!(has_every(&headers, proxy::CORS_HEADERS), "{headers:?}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["unavailable"], "port-25");
        assert!(is_json_error(&body), "{body}");
    }
}
