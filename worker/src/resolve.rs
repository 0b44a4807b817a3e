//! The native DNS transport: the wire code of `mtasts::sts::dns` over plain
//! DNS (UDP with TCP fallback, RFC 1035 §4.2, RFC 7766) or DNS over HTTPS
//! (RFC 8484 GET), with explicit timeouts and one error class per way a
//! lookup can fail without a DNS answer.
//!
//! What the transport receives is read by the core
//! ([`mtasts::sts::lookup::read_answer`]: media type, decoding, question
//! echo), so DNS answers of every RCODE come back as `Ok(Response)`:
//! NXDOMAIN, NODATA and SERVFAIL are the resolver speaking. Where no answer
//! could be had at all, the error is the core's [`Failure`].

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use mtasts::sts::dns::{self, RecordType, Response};
use mtasts::sts::lookup::{read_answer, Failure, MAX_MESSAGE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout_at;

/// Where queries go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Plain DNS to this server: UDP first, TCP when the answer is truncated.
    Dns(SocketAddr),
    /// DoH GET to this endpoint, e.g. `https://dns.google/dns-query`.
    Doh(String),
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Dns(a) => write!(f, "{a}"),
            Transport::Doh(u) => f.write_str(u),
        }
    }
}

/// How the resolver works.
#[derive(Clone, Debug)]
pub struct ResolverConfig {
    pub transport: Transport,
    /// Whole lookup, TCP fallback or HTTPS connection included.
    pub timeout: Duration,
    /// Resend a UDP query not answered within this (RFC 1035 §4.2.1 leaves
    /// retransmission to the client; lost datagrams are normal).
    pub udp_retry: Duration,
    /// Extra trusted CA certificates (PEM) for DoH, besides the web roots.
    pub extra_ca: Option<Vec<u8>>,
    /// Connect to the DoH host at this address instead of resolving its name
    /// with the system resolver (the bootstrap problem, and test beds).
    pub doh_address: Option<SocketAddr>,
    /// At most this many queries per second to the server (0: no cap), so
    /// that checking many domains does not flood a shared resolver.
    pub max_qps: u32,
}

impl ResolverConfig {
    pub fn new(transport: Transport) -> Self {
        ResolverConfig {
            transport,
            timeout: Duration::from_secs(5),
            udp_retry: Duration::from_millis(1500),
            extra_ca: None,
            doh_address: None,
            max_qps: 0,
        }
    }
}

/// An async stub resolver over one [`Transport`]. Cheap to clone.
#[derive(Clone)]
pub struct Resolver {
    config: ResolverConfig,
    http: Option<reqwest::Client>,
    pacer: Option<std::sync::Arc<Pacer>>,
}

/// Spaces queries evenly at the configured rate, shared by every clone of
/// a resolver.
struct Pacer {
    interval: Duration,
    next: std::sync::Mutex<tokio::time::Instant>,
}

/// When a query may go (the next free slot, or now if it is past) and the
/// slot after it.
fn slot<T: Ord + Copy + std::ops::Add<Duration, Output = T>>(
    next: T,
    now: T,
    interval: Duration,
) -> (T, T) {
    let at = next.max(now);
    (at, at + interval)
}

impl Pacer {
    /// Waits for this query's turn.
    async fn turn(&self) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let (at, after) = slot(*next, tokio::time::Instant::now(), self.interval);
            *next = after;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

impl Resolver {
    pub fn new(config: ResolverConfig) -> Result<Self, String> {
        let http = match &config.transport {
            Transport::Dns(_) => None,
            Transport::Doh(url) => Some(doh_client(&config, url)?),
        };
        let pacer = (config.max_qps > 0).then(|| {
            std::sync::Arc::new(Pacer {
                interval: Duration::from_secs(1) / config.max_qps,
                next: std::sync::Mutex::new(tokio::time::Instant::now()),
            })
        });
        Ok(Resolver {
            config,
            http,
            pacer,
        })
    }

    /// Where the queries go, for messages.
    pub fn transport(&self) -> &Transport {
        &self.config.transport
    }

    /// Asks for `name`/`qtype` (an absolute name: no search domains apply)
    /// and reads the answer with the core's rules.
    pub async fn lookup(&self, name: &str, qtype: RecordType) -> Result<Response, Failure> {
        if let Some(p) = &self.pacer {
            p.turn().await;
        }
        let deadline = tokio::time::Instant::now() + self.config.timeout;
        match (&self.config.transport, &self.http) {
            (Transport::Dns(server), _) => self.plain(*server, name, qtype, deadline).await,
            (Transport::Doh(url), Some(client)) => {
                self.doh(client, url, name, qtype, deadline).await
            }
            (Transport::Doh(_), None) => Err(Failure::unreachable("no HTTPS client")),
        }
    }

    /// The addresses of `host` (A and AAAA at once), for connecting to it:
    /// the same resolver as every other lookup of a check.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, Failure> {
        let (a, aaaa) = tokio::join!(
            self.lookup(host, RecordType::A),
            self.lookup(host, RecordType::Aaaa)
        );
        let mut ips: Vec<IpAddr> = Vec::new();
        let mut failure = None;
        for r in [a, aaaa] {
            match r {
                Ok(resp) => ips.extend(resp.addresses()),
                Err(f) => failure = failure.or(Some(f)),
            }
        }
        ips.dedup();
        match (ips.is_empty(), failure) {
            (false, _) => Ok(ips),
            (true, Some(f)) => Err(f),
            (true, None) => Err(Failure {
                status: mtasts::sts::lookup::DnsStatus::NoData,
                detail: format!("{host} has no A or AAAA record"),
            }),
        }
    }

    async fn plain(
        &self,
        server: SocketAddr,
        name: &str,
        qtype: RecordType,
        deadline: tokio::time::Instant,
    ) -> Result<Response, Failure> {
        let id = random_id();
        let query = dns::query_with_id(name, qtype, id)
            .map_err(|e| Failure::malformed(format!("cannot ask for {name}: {e}")))?;
        let udp = self.udp(server, &query, id, deadline).await?;
        let who = format!("{server} (UDP)");
        let resp = read_answer(name, qtype, &udp, None, &who)?;
        if !resp.header.tc {
            return Ok(resp);
        }
        // RFC 7766 §5: a truncated UDP answer is retried over TCP.
        let tcp = tcp(server, &query, id, deadline, self.timeout_failure()).await?;
        read_answer(name, qtype, &tcp, None, &format!("{server} (TCP)"))
    }

    fn timeout_failure(&self) -> Failure {
        Failure::timeout(format!(
            "{} did not answer within {:.1} s",
            self.config.transport,
            self.config.timeout.as_secs_f64()
        ))
    }

    async fn udp(
        &self,
        server: SocketAddr,
        query: &[u8],
        id: u16,
        deadline: tokio::time::Instant,
    ) -> Result<Vec<u8>, Failure> {
        let timeout = self.timeout_failure();
        let local: SocketAddr = match server.ip() {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let sock = UdpSocket::bind(local).await.map_err(io_unreachable)?;
        // Connecting makes the kernel drop datagrams from other sources and
        // report ICMP port unreachable as ConnectionRefused.
        sock.connect(server).await.map_err(io_unreachable)?;
        let mut buf = vec![0u8; MAX_MESSAGE];
        loop {
            sock.send(query).await.map_err(io_unreachable)?;
            let resend_at = (tokio::time::Instant::now() + self.config.udp_retry).min(deadline);
            loop {
                match timeout_at(resend_at, sock.recv(&mut buf)).await {
                    Err(_) if resend_at >= deadline => return Err(timeout),
                    Err(_) => break,
                    Ok(Err(e)) => return Err(io_unreachable(e)),
                    Ok(Ok(n)) => {
                        let got = buf.get(..n).unwrap_or_default();
                        // Replies with another ID are stale or spoofed
                        // (RFC 5452 §9.1); keep waiting for ours.
                        if got.len() >= 2 && got[..2] != id.to_be_bytes() {
                            continue;
                        }
                        return Ok(got.to_vec());
                    }
                }
            }
        }
    }

    async fn doh(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        name: &str,
        qtype: RecordType,
        deadline: tokio::time::Instant,
    ) -> Result<Response, Failure> {
        let url = dns::doh_get_url(endpoint, name, qtype)
            .map_err(|e| Failure::malformed(format!("cannot ask for {name}: {e}")))?;
        let timeout = self.timeout_failure();
        let work = async {
            let resp = client
                .get(&url)
                .header("accept", dns::DOH_MEDIA_TYPE)
                .send()
                .await
                .map_err(|e| http_error(&e, &timeout))?;
            let status = resp.status().as_u16();
            if status != 200 {
                return Err(Failure::http_status(endpoint, status));
            }
            let ctype = resp
                .headers()
                .get("content-type")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let mut resp = resp;
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| http_error(&e, &timeout))? {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_MESSAGE {
                    return Err(Failure::malformed(format!(
                        "{endpoint} sent more than {MAX_MESSAGE} bytes"
                    )));
                }
            }
            read_answer(name, qtype, &body, ctype.as_deref(), endpoint)
        };
        timeout_at(deadline, work).await.unwrap_or(Err(timeout))
    }
}

async fn tcp(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    deadline: tokio::time::Instant,
    timeout: Failure,
) -> Result<Vec<u8>, Failure> {
    let work = async {
        let mut s = TcpStream::connect(server).await.map_err(io_unreachable)?;
        // RFC 1035 §4.2.2: two-byte length, then the message, in one write so
        // servers that read the prefix and the body together are happy.
        let len = u16::try_from(query.len()).map_err(|_| Failure::malformed("query too long"))?;
        let mut framed = len.to_be_bytes().to_vec();
        framed.extend_from_slice(query);
        s.write_all(&framed).await.map_err(io_unreachable)?;
        let mut prefix = [0u8; 2];
        s.read_exact(&mut prefix)
            .await
            .map_err(|e| tcp_read(e, server))?;
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
        s.read_exact(&mut body)
            .await
            .map_err(|e| tcp_read(e, server))?;
        if body.get(..2) != Some(&id.to_be_bytes()[..]) {
            return Err(Failure::malformed(format!(
                "{server} (TCP) answered with another message ID"
            )));
        }
        Ok(body)
    };
    timeout_at(deadline, work).await.unwrap_or(Err(timeout))
}

fn tcp_read(e: std::io::Error, server: SocketAddr) -> Failure {
    if e.kind() == ErrorKind::UnexpectedEof {
        Failure::malformed(format!("{server} (TCP) closed the connection mid-answer"))
    } else {
        io_unreachable(e)
    }
}

fn io_unreachable(e: std::io::Error) -> Failure {
    Failure::unreachable(match e.kind() {
        ErrorKind::ConnectionRefused => format!("connection refused ({e})"),
        _ => e.to_string(),
    })
}

/// A query ID nobody off-path can guess (RFC 5452 §4.3), from the
/// randomly keyed SipHash std seeds per process, mixed with the clock.
fn random_id() -> u16 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() as u16
}

/// Adds the CA certificates of a PEM bundle (a test CA) to the client's
/// trusted roots, besides the built-in web roots.
pub fn trust_extra_ca(
    b: reqwest::ClientBuilder,
    pem: &[u8],
) -> Result<reqwest::ClientBuilder, String> {
    let certs = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| format!("the extra CA file is not PEM: {e}"))?;
    if certs.is_empty() {
        return Err("the extra CA file holds no certificate".into());
    }
    Ok(certs.into_iter().fold(b, |b, c| b.add_root_certificate(c)))
}

fn doh_client(config: &ResolverConfig, url: &str) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(config.timeout)
        .timeout(config.timeout)
        .no_proxy()
        // A DoH endpoint that redirects is misconfigured; say so via the
        // status rather than follow it somewhere else.
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = &config.extra_ca {
        b = trust_extra_ca(b, pem)?;
    }
    if let Some(addr) = config.doh_address {
        let host = reqwest::Url::parse(url)
            .map_err(|e| format!("the DoH URL {url} is not a URL: {e}"))?
            .host_str()
            .map(str::to_string)
            .ok_or_else(|| format!("the DoH URL {url} has no host"))?;
        b = b.resolve(&host, addr);
    }
    b.build().map_err(|e| format!("cannot set up HTTPS: {e}"))
}

fn http_error(e: &reqwest::Error, timeout: &Failure) -> Failure {
    if e.is_timeout() {
        return timeout.clone();
    }
    let mut text: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        text.push(err.to_string());
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == ErrorKind::TimedOut {
                return timeout.clone();
            }
        }
        cur = err.source();
    }
    text.dedup();
    Failure::unreachable(text.join(": "))
}

#[cfg(test)]
mod tests {
    use super::slot;
    use std::time::Duration;

    #[test]
    fn queries_are_spaced_at_the_rate_and_a_pause_is_not_saved_up() {
        let ms = Duration::from_millis;
        let interval = ms(5); // 200 queries a second
        let mut next = ms(0);
        let mut sent = Vec::new();
        // Four queries asked at the same moment, then one after a pause.
        for now in [ms(0), ms(0), ms(0), ms(0), ms(100)] {
            let (at, after) = slot(next, now, interval);
            sent.push(at.as_millis());
            next = after;
        }
        assert_eq!(sent, [0, 5, 10, 15, 100]);
        // The pause gives no burst: the query after it waits its turn.
        assert_eq!(slot(next, ms(100), interval).0, ms(105));
    }
}
