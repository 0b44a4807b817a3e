//! The native DNS transport: the wire code of `mtasts::sts::dns` over plain
//! DNS (UDP with TCP fallback, RFC 1035 §4.2, RFC 7766) or DNS over HTTPS
//! (RFC 8484 GET), with explicit timeouts and one error class per way a
//! lookup can fail without a DNS answer.
//!
//! DNS answers of every RCODE come back as `Ok(Response)`: NXDOMAIN, NODATA
//! and SERVFAIL are the resolver speaking, and the report tells them apart
//! from [`ResolveError`]s, where no answer could be had at all.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use mtasts::sts::dns::{self, NameError, Outcome, Purpose, Question, RData, RecordType, Response};
use mtasts::sts::report::{DnsStatus, Lookup, Observations};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::task::JoinSet;
use tokio::time::timeout_at;

/// Largest DNS message (the TCP length prefix is 16 bits, RFC 1035 §4.2.2);
/// also the cap on a DoH body.
const MAX_MESSAGE: usize = 65_535;

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
}

impl ResolverConfig {
    pub fn new(transport: Transport) -> Self {
        ResolverConfig {
            transport,
            timeout: Duration::from_secs(5),
            udp_retry: Duration::from_millis(1500),
            extra_ca: None,
            doh_address: None,
        }
    }
}

/// Why a lookup got no DNS answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// Nothing came back within the configured time.
    Timeout(Duration),
    /// The resolver could not be reached: connection refused (or ICMP port
    /// unreachable for UDP), no route, the DoH host's name or TLS failing.
    Unreachable(String),
    /// The DoH server answered with an HTTP status other than 200.
    HttpStatus(u16),
    /// Something came back but it is not an answer to the question.
    Malformed(String),
    /// The name cannot be put in a query.
    BadName(NameError),
}

impl ResolveError {
    /// The report's status for this failure.
    pub fn status(&self) -> DnsStatus {
        match self {
            ResolveError::Timeout(_) => DnsStatus::Timeout,
            ResolveError::Unreachable(_) => DnsStatus::Unreachable,
            ResolveError::HttpStatus(_) => DnsStatus::HttpStatus,
            ResolveError::Malformed(_) | ResolveError::BadName(_) => DnsStatus::Malformed,
        }
    }
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::Timeout(d) => write!(f, "no answer within {:.1} s", d.as_secs_f64()),
            ResolveError::Unreachable(m) => write!(f, "the resolver could not be reached: {m}"),
            ResolveError::HttpStatus(s) => write!(f, "the DoH server answered HTTP {s}"),
            ResolveError::Malformed(m) => write!(f, "malformed answer: {m}"),
            ResolveError::BadName(e) => write!(f, "cannot ask for this name: {e}"),
        }
    }
}

impl std::error::Error for ResolveError {}

/// One lookup of a check, with how long it took.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub question: Question,
    pub result: Result<Response, ResolveError>,
    pub elapsed: Duration,
}

impl Exchange {
    /// The report's view of this lookup, with `f` choosing the records.
    pub fn lookup<T>(&self, f: impl FnOnce(&Response) -> Lookup<T>) -> Lookup<T> {
        match &self.result {
            Ok(r) => f(r),
            Err(e) => {
                let mut l = Lookup::status(e.status());
                l.detail = Some(e.to_string());
                l
            }
        }
    }

    /// The status alone.
    pub fn status(&self) -> DnsStatus {
        match &self.result {
            Ok(r) => r.outcome.status(),
            Err(e) => e.status(),
        }
    }
}

/// An async stub resolver over one [`Transport`]. Cheap to clone.
#[derive(Clone)]
pub struct Resolver {
    config: ResolverConfig,
    http: Option<reqwest::Client>,
}

impl Resolver {
    pub fn new(config: ResolverConfig) -> Result<Self, String> {
        let http = match &config.transport {
            Transport::Dns(_) => None,
            Transport::Doh(url) => Some(doh_client(&config, url)?),
        };
        Ok(Resolver { config, http })
    }

    /// Asks for `name`/`qtype` and decodes the answer. The answer must echo
    /// the question (RFC 5452 §4.2 for UDP, where the ID must match too);
    /// anything else is [`ResolveError::Malformed`].
    pub async fn lookup(&self, name: &str, qtype: RecordType) -> Result<Response, ResolveError> {
        let deadline = tokio::time::Instant::now() + self.config.timeout;
        let resp = match (&self.config.transport, &self.http) {
            (Transport::Dns(server), _) => self.plain(*server, name, qtype, deadline).await?,
            (Transport::Doh(url), Some(client)) => {
                self.doh(client, url, name, qtype, deadline).await?
            }
            (Transport::Doh(_), None) => {
                return Err(ResolveError::Unreachable("no HTTPS client".into()))
            }
        };
        check_echo(&resp, name, qtype)?;
        Ok(resp)
    }

    /// Runs `questions` in parallel; the results keep their order.
    pub async fn lookup_all(&self, questions: &[Question]) -> Vec<Exchange> {
        let mut set = JoinSet::new();
        for (i, q) in questions.iter().cloned().enumerate() {
            let me = self.clone();
            set.spawn(async move {
                let start = Instant::now();
                let result = me.lookup(&q.name, q.qtype).await;
                (
                    i,
                    Exchange {
                        question: q,
                        result,
                        elapsed: start.elapsed(),
                    },
                )
            });
        }
        let mut slots: Vec<Option<Exchange>> = vec![None; questions.len()];
        while let Some(joined) = set.join_next().await {
            // A lookup task only panics if the runtime is shutting down; its
            // slot is then filled below.
            if let Ok((i, ex)) = joined {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(ex);
                }
            }
        }
        slots
            .into_iter()
            .zip(questions)
            .map(|(s, q)| {
                s.unwrap_or_else(|| Exchange {
                    question: q.clone(),
                    result: Err(ResolveError::Unreachable(
                        "the lookup task was cancelled".into(),
                    )),
                    elapsed: Duration::ZERO,
                })
            })
            .collect()
    }

    /// Every lookup of a check for `domain`: [`dns::check_questions`] in
    /// parallel, then [`dns::mx_questions`] for the MX hosts found.
    pub async fn lookup_check(&self, domain: &str) -> Vec<Exchange> {
        let mut out = self.lookup_all(&dns::check_questions(domain)).await;
        // Preference order, then name: resolvers shuffle RRsets (RFC 2181
        // §5), and a stable order keeps reports and their diffs stable.
        let mut mx: Vec<(u16, String)> = out
            .iter()
            .filter(|e| e.question.purpose == Purpose::Mx)
            .filter_map(|e| e.result.as_ref().ok())
            .flat_map(|r| {
                r.mx()
                    .into_iter()
                    .filter(|m| !m.is_null())
                    .map(|m| (m.preference, m.exchange.clone()))
            })
            .collect();
        mx.sort();
        let hosts: Vec<String> = mx.into_iter().map(|(_, h)| h).collect();
        let follow = dns::mx_questions(&hosts);
        if !follow.is_empty() {
            out.extend(self.lookup_all(&follow).await);
        }
        out
    }

    async fn plain(
        &self,
        server: SocketAddr,
        name: &str,
        qtype: RecordType,
        deadline: tokio::time::Instant,
    ) -> Result<Response, ResolveError> {
        let id = random_id();
        let query = dns::query_with_id(name, qtype, id).map_err(ResolveError::BadName)?;
        let resp = self.udp(server, &query, id, qtype, deadline).await?;
        if !resp.header.tc {
            return Ok(resp);
        }
        // RFC 7766 §5: a truncated UDP answer is retried over TCP.
        tcp(server, &query, id, qtype, deadline, self.config.timeout).await
    }

    async fn udp(
        &self,
        server: SocketAddr,
        query: &[u8],
        id: u16,
        qtype: RecordType,
        deadline: tokio::time::Instant,
    ) -> Result<Response, ResolveError> {
        let timeout = ResolveError::Timeout(self.config.timeout);
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
                        return dns::parse_response(got, qtype)
                            .map_err(|e| ResolveError::Malformed(format!("{server} (UDP): {e}")));
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
    ) -> Result<Response, ResolveError> {
        let url = dns::doh_get_url(endpoint, name, qtype).map_err(ResolveError::BadName)?;
        let timeout = ResolveError::Timeout(self.config.timeout);
        let work = async {
            let resp = client
                .get(&url)
                .header("accept", dns::DOH_MEDIA_TYPE)
                .send()
                .await
                .map_err(|e| http_error(&e, self.config.timeout))?;
            let status = resp.status().as_u16();
            if status != 200 {
                return Err(ResolveError::HttpStatus(status));
            }
            let ctype = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(|v| {
                    v.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                });
            if let Some(ct) = ctype.filter(|ct| ct != dns::DOH_MEDIA_TYPE) {
                // RFC 8484 §4.2.1: the answer is application/dns-message; an
                // HTML page here is usually a captive portal or a wrong URL.
                return Err(ResolveError::Malformed(format!(
                    "{endpoint} answered with content-type {ct}, not {}",
                    dns::DOH_MEDIA_TYPE
                )));
            }
            let mut resp = resp;
            let mut body = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| http_error(&e, self.config.timeout))?
            {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_MESSAGE {
                    return Err(ResolveError::Malformed(format!(
                        "{endpoint} sent more than {MAX_MESSAGE} bytes"
                    )));
                }
            }
            dns::parse_response(&body, qtype)
                .map_err(|e| ResolveError::Malformed(format!("{endpoint}: {e}")))
        };
        timeout_at(deadline, work).await.unwrap_or(Err(timeout))
    }
}

/// Fills the DNS parts of the report's observations from a check's
/// exchanges (as [`Resolver::lookup_check`] returns them).
pub fn fill_observations(obs: &mut Observations, exchanges: &[Exchange]) {
    let find = |p: &Purpose, t: RecordType| {
        exchanges
            .iter()
            .find(|e| &e.question.purpose == p && e.question.qtype == t)
    };
    if let Some(e) = find(&Purpose::StsTxt, RecordType::Txt) {
        obs.sts_txt = e.lookup(Response::txt_lookup);
    }
    if let Some(e) = find(&Purpose::TlsRptTxt, RecordType::Txt) {
        obs.tlsrpt_txt = e.lookup(Response::txt_lookup);
    }
    if let Some(e) = find(&Purpose::Mx, RecordType::Mx) {
        obs.mx = e.lookup(Response::mx_lookup);
    }
    let a = find(&Purpose::PolicyHost, RecordType::A).map(|e| e.lookup(Response::address_lookup));
    let aaaa =
        find(&Purpose::PolicyHost, RecordType::Aaaa).map(|e| e.lookup(Response::address_lookup));
    let mut host = Lookup::either_family(a, aaaa);
    if host.cnames.is_empty() {
        if let Some(Ok(r)) = find(&Purpose::PolicyHost, RecordType::Cname).map(|e| &e.result) {
            host.cnames = cname_targets(r);
        }
    }
    obs.policy_host = host;
    for e in exchanges {
        let Ok(r) = &e.result else { continue };
        match &e.question.purpose {
            Purpose::MxTlsa(h) if !r.tlsa().is_empty() => obs.tlsa_hosts.push(h.clone()),
            Purpose::MxCname(h) => {
                if let Some(t) = cname_targets(r).into_iter().next() {
                    obs.mx_cnames.push((h.clone(), t));
                }
            }
            _ => {}
        }
    }
}

fn cname_targets(r: &Response) -> Vec<String> {
    r.records()
        .iter()
        .filter_map(|rec| match &rec.data {
            RData::Cname(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The answer must be for the question asked: same name (case-insensitive,
/// RFC 4343) and type. A missing question is accepted only with an error
/// RCODE, where servers may omit it.
fn check_echo(resp: &Response, name: &str, qtype: RecordType) -> Result<(), ResolveError> {
    let want = name.trim_end_matches('.').to_ascii_lowercase();
    let want = if want.is_empty() {
        ".".to_string()
    } else {
        want
    };
    match &resp.question {
        Some(q) if q.name == want && q.qtype == qtype.code() => Ok(()),
        Some(q) => Err(ResolveError::Malformed(format!(
            "the answer is for {} type {}, not {want} {qtype}",
            q.name, q.qtype
        ))),
        None if !matches!(resp.outcome, Outcome::Answer(_) | Outcome::NoData) => Ok(()),
        None => Err(ResolveError::Malformed(
            "the answer does not repeat the question".into(),
        )),
    }
}

async fn tcp(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    qtype: RecordType,
    deadline: tokio::time::Instant,
    limit: Duration,
) -> Result<Response, ResolveError> {
    let work = async {
        let mut s = TcpStream::connect(server).await.map_err(io_unreachable)?;
        // RFC 1035 §4.2.2: two-byte length, then the message, in one write so
        // servers that read the prefix and the body together are happy.
        let len = u16::try_from(query.len())
            .map_err(|_| ResolveError::Malformed("query too long".into()))?;
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
            return Err(ResolveError::Malformed(format!(
                "{server} (TCP) answered with another message ID"
            )));
        }
        dns::parse_response(&body, qtype)
            .map_err(|e| ResolveError::Malformed(format!("{server} (TCP): {e}")))
    };
    timeout_at(deadline, work)
        .await
        .unwrap_or(Err(ResolveError::Timeout(limit)))
}

fn tcp_read(e: std::io::Error, server: SocketAddr) -> ResolveError {
    if e.kind() == ErrorKind::UnexpectedEof {
        ResolveError::Malformed(format!("{server} (TCP) closed the connection mid-answer"))
    } else {
        io_unreachable(e)
    }
}

fn io_unreachable(e: std::io::Error) -> ResolveError {
    ResolveError::Unreachable(match e.kind() {
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

fn http_error(e: &reqwest::Error, limit: Duration) -> ResolveError {
    if e.is_timeout() {
        return ResolveError::Timeout(limit);
    }
    let mut text: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        text.push(err.to_string());
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == ErrorKind::TimedOut {
                return ResolveError::Timeout(limit);
            }
        }
        cur = err.source();
    }
    text.dedup();
    ResolveError::Unreachable(text.join(": "))
}
