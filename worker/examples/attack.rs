//! Attacks a local `mtasts serve` the way a hostile client would and prints
//! what happened, as figures: `attack MTASTS_BINARY [--short]`.
//!
//! Loopback only, nothing downloaded, no test bed: a small DNS server in
//! this process answers the policy hosts the attack asks for (each name maps
//! to one hostile address), and the server is started with its resolver
//! pointed there. Steps: the SSRF table (every address refused, none named
//! in the answer), the same for MX hosts probed by `/api/mx-tls`, slow clients (held, then closed by the header timeout,
//! while other requests are answered), the connection cap, the cap on
//! fetches in flight, and the API's edges. Exits 1 when a figure is not
//! what the server promises.

use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// Addresses a policy host may resolve to that the proxy must never
/// connect to; the last is refused only by the `--refuse-prefix` given.
const HOSTILE: &[&str] = &[
    "127.0.0.1",
    "127.1.2.3",
    "0.0.0.0",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "192.0.0.1",
    "192.0.2.1",
    "192.88.99.1",
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:0:a00:1",
    "::10.0.0.1",
    "64:ff9b::a00:1",
    "64:ff9b::7f00:1",
    "64:ff9b:1::a00:1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "100::1",
    "2001::a00:1",
    "2001:2::1",
    "2001:10::1",
    "2001:20::1",
    "2001:db8::1",
    "2002:a00:1::1",
    "2002:7f00:1::1",
    "3fff::1",
    "5f00::1",
    "4000::1",
    "2a01:db8:64::a00:1",
];
const OPERATOR_PREFIX: &str = "2a01:db8:64::/96";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(bin) = args.get(1) else {
        eprintln!("usage: attack MTASTS_BINARY [--short]");
        std::process::exit(2);
    };
    let short = args.iter().any(|a| a == "--short");
    let (slow, normal) = if short { (100, 20) } else { (300, 50) };
    let max_connections = slow + 100;
    let max_fetches = 4;
    let header_timeout = 2;

    let dns = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("a UDP port"));
    let dns_addr = dns.local_addr().expect("its address");
    tokio::spawn(answer_dns(dns));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let server = Server(
        Command::new(bin)
            .args([
                "serve",
                "--quiet",
                "--dist",
                "/nonexistent",
                "--rate-limit",
                "0",
                "--mx-tls-rate-limit",
                "0",
            ])
            .args(["--listen", &addr.to_string()])
            .args(["--resolver", &dns_addr.to_string()])
            .args(["--refuse-prefix", OPERATOR_PREFIX])
            .args(["--timeout", "3"])
            .args(["--header-timeout", &header_timeout.to_string()])
            .args(["--max-connections", &max_connections.to_string()])
            .args(["--max-fetches", &max_fetches.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                eprintln!("attack: cannot start {bin}: {e}");
                std::process::exit(2)
            }),
    );
    let start = Instant::now();
    while TcpStream::connect(addr).await.is_err() {
        if start.elapsed() > Duration::from_secs(20) {
            eprintln!("attack: the server did not listen on {addr}");
            drop(server);
            std::process::exit(2);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "attack: mtasts serve on {addr} (header timeout {header_timeout} s, {max_connections} connections, {max_fetches} fetches)"
    );
    let mut ok = true;
    ok &= ssrf_table(addr).await;
    ok &= mx_ssrf_table(addr).await;
    ok &= slow_clients(addr, slow, normal, header_timeout).await;
    ok &= connection_cap(addr, max_connections).await;
    ok &= fetch_cap(addr, max_fetches).await;
    ok &= api_edges(addr).await;
    println!("attack: {}", if ok { "PASS" } else { "FAIL" });
    // `exit` runs no destructors: stop the server first.
    drop(server);
    std::process::exit(if ok { 0 } else { 1 });
}

/// Every hostile address, as the only address of a policy host: refused
/// (class `forbidden`, nothing fetched) and never named in the answer.
async fn ssrf_table(addr: SocketAddr) -> bool {
    let (mut refused, mut named) = (0, 0);
    for (i, a) in HOSTILE.iter().enumerate() {
        let (status, _, body) =
            get(addr, "GET", &format!("/api/policy?domain=a{i}.ssrf.test")).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        if status == 200 && v["error"]["class"] == "forbidden" && v["status"].is_null() {
            refused += 1;
        } else {
            println!("     not refused: {a}: {status} {body}");
        }
        let shown = a
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        if body.contains(&shown) {
            named += 1;
            println!("     named in the answer: {a}");
        }
    }
    let n = HOSTILE.len();
    println!("ssrf: {refused}/{n} hostile addresses refused, {named}/{n} named in an answer");
    refused == n && named == 0
}

/// Slow clients send half a header line and wait; the server holds them
/// until the header timeout, answering other requests meanwhile.
async fn slow_clients(addr: SocketAddr, slow: usize, normal: usize, timeout: u64) -> bool {
    let start = Instant::now();
    let mut held = Vec::new();
    for _ in 0..slow {
        if let Ok(mut s) = TcpStream::connect(addr).await {
            if s.write_all(b"GET /api/health HTTP/1.1\r\nHo").await.is_ok() {
                held.push(s);
            }
        }
    }
    let mut answered = 0;
    for _ in 0..normal {
        if get(addr, "GET", "/api/health").await.0 == 200 {
            answered += 1;
        }
    }
    let answered_at = start.elapsed();
    let closers = held.into_iter().map(|mut s| {
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let guard = Duration::from_secs(timeout * 5 + 5);
            match tokio::time::timeout(guard, s.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => Some(true),
                Ok(Ok(_)) => Some(false),
                Err(_) => None,
            }
        })
    });
    let closers: Vec<_> = closers.collect();
    let (mut closed, mut answered_slow, mut still_open) = (0, 0, 0);
    let n = closers.len();
    for c in closers {
        match c.await.ok().flatten() {
            Some(true) => closed += 1,
            Some(false) => answered_slow += 1,
            None => still_open += 1,
        }
    }
    println!(
        "slow clients: {n}/{slow} held half a header; {closed}/{n} closed by the server within {:.1} s (header timeout {timeout} s), {answered_slow} answered, {still_open} still open; {answered}/{normal} other requests answered meanwhile (in {:.2} s)",
        start.elapsed().as_secs_f64(),
        answered_at.as_secs_f64()
    );
    n == slow && closed == n && answered == normal
}

/// Past the cap a new connection is closed at once, unanswered.
async fn connection_cap(addr: SocketAddr, cap: usize) -> bool {
    let extra = 20;
    let mut conns = Vec::new();
    for _ in 0..cap + extra {
        if let Ok(s) = TcpStream::connect(addr).await {
            conns.push(s);
        }
    }
    // A connection past the cap is closed before a byte is read; one held
    // is not (the header timeout is seconds away).
    let checks = conns.into_iter().map(|mut s| {
        tokio::spawn(async move {
            let mut buf = [0u8; 64];
            matches!(
                tokio::time::timeout(Duration::from_millis(700), s.read(&mut buf)).await,
                Ok(Ok(0) | Err(_))
            )
        })
    });
    // Spawned all at once: every check runs in the same 0.7 s.
    let checks: Vec<_> = checks.collect();
    let (mut closed, mut held) = (0, 0);
    for c in checks {
        if c.await.unwrap_or(false) {
            closed += 1;
        } else {
            held += 1;
        }
    }
    println!(
        "connection cap: {} connections opened against a cap of {cap}: {held} held, {closed} closed at once",
        cap + extra
    );
    held == cap && closed == extra
}

/// Fetches whose DNS never answers fill the fetch slots; the rest get 503
/// with Retry-After, and other requests are still answered.
async fn fetch_cap(addr: SocketAddr, cap: usize) -> bool {
    // The held connections of the previous step are still being closed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let n = cap + 6;
    let mut tasks = Vec::new();
    for i in 0..n {
        let path = format!("/api/policy?domain=hang{i}.ssrf.test");
        tasks.push(tokio::spawn(async move { get(addr, "GET", &path).await }));
        // Each takes its slot before the next asks.
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let health = get(addr, "GET", "/api/health").await.0 == 200;
    let (mut busy, mut timed_out, mut other) = (0, 0, 0);
    for t in tasks {
        match t.await {
            Ok((503, headers, _)) if headers.iter().any(|h| h == "retry-after: 5") => busy += 1,
            Ok((200, _, body)) if body.contains("\"timeout\"") => timed_out += 1,
            _ => other += 1,
        }
    }
    println!(
        "fetch cap: {n} fetches whose DNS never answers, cap {cap}: {timed_out} timed out in their slot, {busy} got 503 with Retry-After, {other} other; a health check answered meanwhile: {}",
        if health { "yes" } else { "no" }
    );
    timed_out == cap && busy == n - cap && health
}

/// Every hostile address, as the only address of a domain's MX host: not
/// probed (class `forbidden`) and never named in the `/api/mx-tls` answer.
async fn mx_ssrf_table(addr: SocketAddr) -> bool {
    let (mut refused, mut named) = (0, 0);
    for (i, a) in HOSTILE.iter().enumerate() {
        let (status, _, body) =
            get(addr, "GET", &format!("/api/mx-tls?domain=mx{i}.ssrf.test")).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let probe = &v["probes"][0];
        if status == 200 && probe["error"]["class"] == "forbidden" && probe["tls"].is_null() {
            refused += 1;
        } else {
            println!("     MX not refused: {a}: {status} {body}");
        }
        let shown = a
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        if body.contains(&shown) {
            named += 1;
            println!("     MX address named in the answer: {a}");
        }
    }
    let n = HOSTILE.len();
    println!(
        "mx ssrf: {refused}/{n} hostile MX addresses not probed, {named}/{n} named in an answer"
    );
    refused == n && named == 0
}

async fn api_edges(addr: SocketAddr) -> bool {
    let mut ok = true;
    for (method, path, want) in [
        ("GET", "/api/anything", 404),
        ("POST", "/api/policy?domain=example.com", 405),
        ("HEAD", "/api/policy?domain=example.com", 405),
        ("GET", "/api/policy?domain=a.example&domain=b.example", 400),
        ("GET", "/api/policy?domain=%2Ba.example%+a", 400),
        ("GET", "/api/mx-tls?domain=a.example&host=10.0.0.1", 400),
        ("HEAD", "/api/mx-tls?domain=a.example", 405),
    ] {
        let (status, headers, body) = get(addr, method, path).await;
        let cors = headers
            .iter()
            .any(|h| h == "access-control-allow-origin: *");
        let json = method == "HEAD" || body.contains("\"error\"");
        let good = status == want && cors && json;
        ok &= good;
        println!(
            "api: {method} {path}: {status} (want {want}){}{}",
            if cors { ", CORS" } else { ", no CORS" },
            if json {
                ", JSON error"
            } else {
                ", not a JSON error"
            }
        );
    }
    ok
}

/// One HTTP/1.1 request on its own connection: status, header lines
/// (`name: value`, names lower-cased), body. Status 0 when there was none.
async fn get(addr: SocketAddr, method: &str, path: &str) -> (u16, Vec<String>, String) {
    let work = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        let head = format!("{method} {path} HTTP/1.1\r\nHost: attack\r\nConnection: close\r\n\r\n");
        s.write_all(head.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.ok()?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let (head, body) = text.split_once("\r\n\r\n")?;
        let mut lines = head.lines();
        let status = lines.next()?.get(9..12)?.parse().ok()?;
        let headers = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| format!("{}: {v}", k.to_ascii_lowercase()))
            .collect();
        Some((status, headers, body.to_string()))
    };
    tokio::time::timeout(Duration::from_secs(30), work)
        .await
        .ok()
        .flatten()
        .unwrap_or((0, Vec::new(), String::new()))
}

/// A DNS server for the attack's names: `mta-sts.aN.ssrf.test` has the Nth
/// hostile address (A or AAAA by its family), `mxN.ssrf.test` has the MX
/// host `mta-sts.aN.ssrf.test`, `mta-sts.hangN.ssrf.test` is never
/// answered, anything else is NXDOMAIN.
async fn answer_dns(sock: Arc<UdpSocket>) {
    let mut buf = [0u8; 512];
    loop {
        let Ok((n, from)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        if let Some(reply) = dns_reply(buf.get(..n).unwrap_or_default()) {
            let _ = sock.send_to(&reply, from).await;
        }
    }
}

fn dns_reply(q: &[u8]) -> Option<Vec<u8>> {
    let id = q.get(..2)?;
    // The question: labels up to the root, then type and class.
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*q.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*q.get(at)?, *q.get(at + 1)?]);
    let question = q.get(12..at + 4)?;
    let first = labels.get(1).map(String::as_str).unwrap_or("");
    if first.starts_with("hang") {
        return None;
    }
    let mx_of = labels
        .first()
        .and_then(|l| l.strip_prefix("mx"))
        .filter(|_| qtype == 15);
    if let Some(n) = mx_of {
        let mut rdata = vec![0, 10];
        for label in ["mta-sts", &format!("a{n}"), "ssrf", "test"] {
            rdata.push(label.len() as u8);
            rdata.extend_from_slice(label.as_bytes());
        }
        rdata.push(0);
        let mut r = Vec::with_capacity(96);
        r.extend_from_slice(id);
        r.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
        r.extend_from_slice(question);
        r.extend_from_slice(&[0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, rdata.len() as u8]);
        r.extend_from_slice(&rdata);
        return Some(r);
    }
    let address = first
        .strip_prefix('a')
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|i| HOSTILE.get(i))
        .and_then(|a| a.parse::<IpAddr>().ok());
    let rdata = match (address, qtype) {
        (Some(IpAddr::V4(v4)), 1) => Some(v4.octets().to_vec()),
        (Some(IpAddr::V6(v6)), 28) => Some(v6.octets().to_vec()),
        _ => None,
    };
    let rcode = if address.is_some() { 0 } else { 3 };
    let mut r = Vec::with_capacity(64);
    r.extend_from_slice(id);
    r.extend_from_slice(&[
        0x81,
        0x80 | rcode,
        0,
        1,
        0,
        u8::from(rdata.is_some()),
        0,
        0,
        0,
        0,
    ]);
    r.extend_from_slice(question);
    if let Some(rdata) = rdata {
        // A pointer to the question's name, type, class IN, TTL 60, data.
        r.extend_from_slice(&[0xc0, 12]);
        r.extend_from_slice(&qtype.to_be_bytes());
        r.extend_from_slice(&[0, 1, 0, 0, 0, 60, 0, rdata.len() as u8]);
        r.extend_from_slice(&rdata);
    }
    Some(r)
}
