//! The native MX TLS probe (RFC 8461 §4.2): what an enforcing sender does
//! up to the point where it would send mail, and nothing more. TCP to port
//! 25, the greeting read patiently (postscreen and tarpits hold it back 15 s
//! or more), `EHLO`, `STARTTLS`, a TLS handshake with SNI = the MX host
//! name, then `QUIT`: no `MAIL FROM`, no message.
//!
//! The certificate is verified against the WebPKI roots (plus `--extra-ca`)
//! by a verifier that records the result instead of aborting, so the report
//! can say what was wrong with a certificate a sender would refuse. The
//! judgement is the core's ([`mtasts::sts::mx_tls::judge`]).
//!
//! Network bytes are hostile: every read has a deadline, reply lines and
//! the bytes read per probe are capped, and at most a few probes run at once.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mtasts::sts::mx_tls::{
    CertificateFacts, Probe, ProbeError, ProbeErrorClass, Reply, Session, Verification,
};
use mtasts::sts::plan::{Action, CheckPlan};
use mtasts::sts::proxy::{self, MxTlsAnswer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::timeout_at;

/// The longest reply line read (RFC 5321 §4.5.3.1.5 allows 512 octets;
/// real servers stay far below).
pub const MAX_LINE: usize = 1000;
/// The most lines of one reply (an EHLO reply lists a dozen extensions).
pub const MAX_REPLY_LINES: usize = 100;
/// The most bytes read from one server before TLS.
pub const MAX_BYTES: usize = 64 * 1024;

/// How the prober connects.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    /// 25 for real MX hosts; another port for test beds.
    pub port: u16,
    pub connect_timeout: Duration,
    /// How long to wait for the greeting.
    pub greeting_timeout: Duration,
    /// How long to wait for each later reply and for the TLS handshake.
    pub reply_timeout: Duration,
    /// The name sent with EHLO.
    pub ehlo_name: String,
    /// Probe private, loopback and link-local addresses (test beds only).
    pub allow_private: bool,
    /// Prefixes never probed, whatever else allows them (the operator's
    /// `--refuse-prefix`, as for policy fetches).
    pub refused: Vec<proxy::Prefix>,
    /// Extra trusted CA certificates (PEM), besides the WebPKI roots.
    pub extra_ca: Option<Vec<u8>>,
    /// Probes running at once.
    pub max_in_flight: usize,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            port: 25,
            connect_timeout: Duration::from_secs(10),
            greeting_timeout: Duration::from_secs(20),
            reply_timeout: Duration::from_secs(10),
            ehlo_name: "mtasts.invalid".to_string(),
            allow_private: false,
            refused: Vec::new(),
            extra_ca: None,
            max_in_flight: 8,
        }
    }
}

/// Probes MX hosts. Cheap to clone; clones share the cap on probes in
/// flight.
#[derive(Clone)]
pub struct Prober {
    config: SmtpConfig,
    provider: Arc<rustls::crypto::CryptoProvider>,
    webpki: Arc<WebPkiServerVerifier>,
    slots: Arc<Semaphore>,
}

impl Prober {
    pub fn new(config: SmtpConfig) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = &config.extra_ca {
            use rustls::pki_types::pem::PemObject;
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| format!("the extra CA file is not PEM: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("the extra CA file holds a bad certificate: {e}"))?;
                added += 1;
            }
            if added == 0 {
                return Err("the extra CA file holds no certificate".into());
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("cannot set up certificate verification: {e}"))?;
        Ok(Prober {
            slots: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            config,
            provider,
            webpki,
        })
    }

    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }

    /// Probes `address` as the MX host `host`. Never fails: what went wrong
    /// is in the probe's `error`.
    pub async fn probe(&self, host: &str, address: IpAddr) -> Probe {
        let start = Instant::now();
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let mut p = Probe {
            host: host.to_string(),
            address: address.to_string(),
            at,
            ..Probe::default()
        };
        let guard = proxy::AddressGuard {
            allow_private: self.config.allow_private,
            refused: self.config.refused.clone(),
        };
        if !guard.allows(address) {
            p.error = Some(ProbeError {
                class: ProbeErrorClass::Forbidden,
                message: format!(
                    "{address} is not a public address; the checker does not connect to those"
                ),
            });
            return p;
        }
        let _slot = self.slots.acquire().await;
        if let Err(e) = self.run(host, address, &mut p).await {
            p.error = Some(e);
        }
        p.elapsed_ms = start.elapsed().as_millis() as u64;
        p
    }

    async fn run(&self, host: &str, address: IpAddr, p: &mut Probe) -> Result<(), ProbeError> {
        let c = &self.config;
        let target = SocketAddr::new(address, c.port);
        let tcp = match tokio::time::timeout(c.connect_timeout, TcpStream::connect(target)).await {
            Err(_) => {
                return Err(err(
                    ProbeErrorClass::ConnectTimeout,
                    format!(
                        "no TCP connection to port {} within {} s",
                        c.port,
                        c.connect_timeout.as_secs()
                    ),
                ))
            }
            Ok(Err(e)) => return Err(connect_error(&e, c.port)),
            Ok(Ok(s)) => s,
        };
        let mut smtp = Lines::new(tcp);
        let greeting = smtp.reply(c.greeting_timeout, "the greeting").await?;
        p.greeting = Some(greeting.first.clone());
        match greeting.first.code {
            220 => {}
            400..=499 => {
                return Err(err(
                    ProbeErrorClass::Busy,
                    format!(
                        "it greeted with {} {}",
                        greeting.first.code, greeting.first.text
                    ),
                ))
            }
            500..=599 => {
                return Err(err(
                    ProbeErrorClass::Rejected,
                    format!(
                        "it greeted with {} {}",
                        greeting.first.code, greeting.first.text
                    ),
                ))
            }
            other => {
                return Err(err(
                    ProbeErrorClass::Protocol,
                    format!("its greeting has code {other}, not 220"),
                ))
            }
        }
        smtp.send(&format!("EHLO {}\r\n", c.ehlo_name), c.reply_timeout)
            .await?;
        let ehlo = smtp.reply(c.reply_timeout, "the EHLO reply").await?;
        if ehlo.first.code != 250 {
            return Err(err(
                ProbeErrorClass::Protocol,
                format!(
                    "it answered EHLO with {} {}",
                    ehlo.first.code, ehlo.first.text
                ),
            ));
        }
        let offered = ehlo.lines.iter().skip(1).any(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
        });
        p.starttls = Some(offered);
        if !offered {
            smtp.quit(c.reply_timeout).await;
            return Ok(());
        }
        smtp.send("STARTTLS\r\n", c.reply_timeout).await?;
        let ready = smtp.reply(c.reply_timeout, "the STARTTLS reply").await?;
        if ready.first.code != 220 {
            return Err(err(
                ProbeErrorClass::StarttlsRefused,
                format!(
                    "it offers STARTTLS but answered it with {} {}",
                    ready.first.code, ready.first.text
                ),
            ));
        }
        // Bytes after the 220 would be read as if they came over TLS
        // (the STARTTLS injection of CVE-2011-0411): a server must not
        // send any.
        let tcp = smtp.into_plain().ok_or_else(|| {
            err(
                ProbeErrorClass::Protocol,
                "it sent data after its STARTTLS reply, before the TLS handshake".to_string(),
            )
        })?;
        let record = Arc::new(Recording {
            webpki: self.webpki.clone(),
            provider: self.provider.clone(),
            seen: Mutex::new(None),
        });
        let tls_config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| err(ProbeErrorClass::Handshake, e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(record.clone())
            .with_no_client_auth();
        let name = ServerName::try_from(host.to_string()).map_err(|_| {
            err(
                ProbeErrorClass::Protocol,
                format!("{host} is not a name TLS can send as SNI"),
            )
        })?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config));
        let tls = match tokio::time::timeout(c.reply_timeout, connector.connect(name, tcp)).await {
            Err(_) => {
                return Err(err(
                    ProbeErrorClass::Timeout,
                    format!(
                        "the TLS handshake did not finish within {} s",
                        c.reply_timeout.as_secs()
                    ),
                ))
            }
            Ok(Err(e)) => return Err(handshake_error(&e)),
            Ok(Ok(s)) => s,
        };
        {
            let (_, conn) = tls.get_ref();
            p.tls = Some(Session {
                version: conn
                    .protocol_version()
                    .map(version_name)
                    .unwrap_or_default(),
                cipher: conn
                    .negotiated_cipher_suite()
                    .and_then(|s| s.suite().as_str())
                    .unwrap_or_default()
                    .to_string(),
            });
            p.chain = conn
                .peer_certificates()
                .unwrap_or_default()
                .iter()
                .filter_map(|c| chain_facts(c))
                .collect();
        }
        if let Ok(mut seen) = record.seen.lock() {
            if let Some((v, trusted)) = seen.take() {
                p.verification = Some(v);
                p.trusted = trusted;
            }
        }
        let mut smtp = Lines::new(tls);
        smtp.quit(c.reply_timeout).await;
        Ok(())
    }
}

/// Probes the MX hosts of `domain` for a caller that cannot (`GET
/// /api/mx-tls`): the core's probe-only plan ([`CheckPlan::mx_tls_only`]:
/// the MX answer of `resolver`, at most 10 hosts, their addresses, one probe
/// each) run to the end. Probes still running at `deadline` are recorded as
/// timed out. The address of a probe the guard refused is left out of the
/// answer: it may come from a view of DNS inside the proxy's network.
pub async fn probe_mx_hosts(
    domain: &str,
    resolver: &crate::resolve::Resolver,
    prober: &Prober,
    deadline: Duration,
) -> MxTlsAnswer {
    enum Done {
        Lookup(
            mtasts::sts::plan::LookupId,
            Result<mtasts::sts::dns::Response, mtasts::sts::lookup::Failure>,
        ),
        Probe(mtasts::sts::plan::ProbeId, Probe),
    }
    let mut plan = CheckPlan::mx_tls_only(domain);
    let until = tokio::time::Instant::now() + deadline;
    let mut running: tokio::task::JoinSet<Done> = tokio::task::JoinSet::new();
    let mut probing: Vec<(mtasts::sts::plan::ProbeId, String, IpAddr)> = Vec::new();
    loop {
        while let Some(action) = plan.next_action() {
            match action {
                Action::Lookup { id, question } => {
                    let r = resolver.clone();
                    running.spawn(async move {
                        Done::Lookup(id, r.lookup(&question.name, question.qtype).await)
                    });
                }
                Action::Probe { id, host, address } => {
                    probing.push((id, host.clone(), address));
                    let p = prober.clone();
                    running.spawn(async move { Done::Probe(id, p.probe(&host, address).await) });
                }
                Action::Fetch { .. } | Action::MxTlsByProxy => {}
            }
        }
        match timeout_at(until, running.join_next()).await {
            Ok(Some(Ok(Done::Lookup(id, r)))) => plan.on_lookup(id, r),
            Ok(Some(Ok(Done::Probe(id, p)))) => {
                probing.retain(|(i, _, _)| *i != id);
                plan.on_probe(id, p);
            }
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                running.abort_all();
                for (id, host, address) in probing.drain(..) {
                    let message = format!(
                        "the proxy stopped waiting after {} s for all its probes",
                        deadline.as_secs()
                    );
                    plan.on_probe(
                        id,
                        Probe::failed(
                            &host,
                            &address.to_string(),
                            ProbeErrorClass::Timeout,
                            message,
                        ),
                    );
                }
                break;
            }
        }
    }
    let mut probes = plan.observations().mx_tls;
    for p in &mut probes {
        if let Some(e) = p
            .error
            .as_mut()
            .filter(|e| e.class == ProbeErrorClass::Forbidden)
        {
            p.address.clear();
            e.message = "it resolves to an address that is not public (private, loopback, link-local, special-purpose or refused by the operator); the proxy does not connect to those".to_string();
        }
    }
    MxTlsAnswer {
        domain: plan.domain().to_string(),
        probes,
        not_probed: plan.mx_hosts_left_out(),
    }
}

fn err(class: ProbeErrorClass, message: String) -> ProbeError {
    ProbeError { class, message }
}

fn connect_error(e: &std::io::Error, port: u16) -> ProbeError {
    use std::io::ErrorKind as K;
    let class = match e.kind() {
        K::ConnectionRefused => ProbeErrorClass::Refused,
        K::TimedOut => ProbeErrorClass::ConnectTimeout,
        K::NetworkUnreachable | K::HostUnreachable | K::AddrNotAvailable => {
            ProbeErrorClass::Unreachable
        }
        _ => ProbeErrorClass::Unreachable,
    };
    err(class, format!("connecting to port {port}: {e}"))
}

/// A failed handshake: a server that speaks only TLS 1.0/1.1 (rustls
/// speaks 1.2 and 1.3 only) or anything else.
fn handshake_error(e: &std::io::Error) -> ProbeError {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let old = matches!(
        tls,
        Some(rustls::Error::AlertReceived(
            rustls::AlertDescription::ProtocolVersion
        )) | Some(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
                | rustls::PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
        ))
    );
    if old {
        err(
            ProbeErrorClass::OldVersion,
            format!("it offers no TLS 1.2 or 1.3 ({e})"),
        )
    } else if e.kind() == std::io::ErrorKind::TimedOut {
        err(ProbeErrorClass::Timeout, format!("the TLS handshake: {e}"))
    } else {
        err(
            ProbeErrorClass::Handshake,
            format!("the TLS handshake failed: {e}"),
        )
    }
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        rustls::ProtocolVersion::TLSv1_1 => "TLSv1.1".into(),
        rustls::ProtocolVersion::TLSv1_0 => "TLSv1.0".into(),
        other => format!("{other:?}"),
    }
}

/// The facts of one DER certificate (validity as Unix seconds).
pub fn chain_facts(der: &[u8]) -> Option<CertificateFacts> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(CertificateFacts {
        names: crate::fetch::dns_names(&cert),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
    })
}

/// A certificate verifier that records the WebPKI verdict instead of
/// acting on it, so the probe can report every problem; the handshake's
/// signatures are still checked, so the peer holds the key.
#[derive(Debug)]
struct Recording {
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    /// The verdict at the time of the probe, and whether the chain is
    /// trusted time aside.
    seen: Mutex<Option<(Verification, Option<bool>)>>,
}

fn verification_of(r: &Result<ServerCertVerified, rustls::Error>) -> Verification {
    use rustls::CertificateError as C;
    match r {
        Ok(_) => Verification::Verified,
        Err(rustls::Error::InvalidCertificate(c)) => match c {
            C::Expired | C::ExpiredContext { .. } => Verification::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => Verification::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => Verification::NameMismatch,
            C::UnknownIssuer => Verification::Untrusted,
            _ => Verification::Invalid,
        },
        Err(_) => Verification::Invalid,
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let at_now = verification_of(&self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp,
            now,
        ));
        // The chain is checked before the name, so a name mismatch means
        // a trusted chain. Out of its validity, ask again in the middle of
        // it to learn whether the chain is trusted at all.
        let trusted = match at_now {
            Verification::Verified | Verification::NameMismatch => Some(true),
            Verification::Untrusted => Some(false),
            Verification::Expired | Verification::NotYetValid => {
                chain_facts(end_entity).and_then(|leaf| {
                    let middle = leaf.not_before / 2 + leaf.not_after / 2;
                    let then = UnixTime::since_unix_epoch(Duration::from_secs(
                        u64::try_from(middle).ok()?,
                    ));
                    match verification_of(&self.webpki.verify_server_cert(
                        end_entity,
                        intermediates,
                        server_name,
                        ocsp,
                        then,
                    )) {
                        Verification::Verified | Verification::NameMismatch => Some(true),
                        Verification::Untrusted => Some(false),
                        _ => None,
                    }
                })
            }
            Verification::Invalid => None,
        };
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some((at_now, trusted));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            m,
            c,
            d,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            m,
            c,
            d,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One SMTP reply: the first line (code and text) and every line's text.
struct Replied {
    first: Reply,
    lines: Vec<String>,
}

/// SMTP lines over a stream, with every read bounded in time and size.
struct Lines<S> {
    stream: S,
    buf: Vec<u8>,
    read: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Lines<S> {
    fn new(stream: S) -> Self {
        Lines {
            stream,
            buf: Vec::new(),
            read: 0,
        }
    }

    /// The stream back, when nothing unread is buffered.
    fn into_plain(self) -> Option<S> {
        self.buf.is_empty().then_some(self.stream)
    }

    async fn send(&mut self, line: &str, wait: Duration) -> Result<(), ProbeError> {
        match tokio::time::timeout(wait, self.stream.write_all(line.as_bytes())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(err(
                ProbeErrorClass::Protocol,
                format!(
                    "the connection broke while sending {}: {e}",
                    line.trim_end()
                ),
            )),
            Err(_) => Err(err(
                ProbeErrorClass::Timeout,
                format!(
                    "could not send {} within {} s",
                    line.trim_end(),
                    wait.as_secs()
                ),
            )),
        }
    }

    /// Sends QUIT and reads the answer, briefly; the probe is over either way.
    async fn quit(&mut self, wait: Duration) {
        let wait = wait.min(Duration::from_secs(5));
        if self.send("QUIT\r\n", wait).await.is_ok() {
            let _ = self.reply(wait, "the QUIT reply").await;
        }
        let _ = tokio::time::timeout(wait, self.stream.shutdown()).await;
    }

    /// One reply (RFC 5321 §4.2): lines `ddd-text` up to `ddd text`.
    async fn reply(&mut self, wait: Duration, what: &str) -> Result<Replied, ProbeError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut lines: Vec<String> = Vec::new();
        let mut first: Option<Reply> = None;
        loop {
            let line = self.line(deadline, wait, what).await?;
            let (code, more, text) = parse_line(&line).ok_or_else(|| {
                err(
                    ProbeErrorClass::Protocol,
                    format!("{what} is not an SMTP reply: {}", shown(&line)),
                )
            })?;
            match &first {
                None => {
                    first = Some(Reply {
                        code,
                        text: text.clone(),
                    })
                }
                Some(f) if f.code != code => {
                    return Err(err(
                        ProbeErrorClass::Protocol,
                        format!("{what} mixes codes {} and {code}", f.code),
                    ))
                }
                Some(_) => {}
            }
            lines.push(text);
            if !more {
                break;
            }
            if lines.len() == MAX_REPLY_LINES {
                return Err(err(
                    ProbeErrorClass::Protocol,
                    format!("{what} has more than {MAX_REPLY_LINES} lines"),
                ));
            }
        }
        let first =
            first.ok_or_else(|| err(ProbeErrorClass::Protocol, format!("{what} is empty")))?;
        Ok(Replied { first, lines })
    }

    /// One line without its CRLF.
    async fn line(
        &mut self,
        deadline: tokio::time::Instant,
        wait: Duration,
        what: &str,
    ) -> Result<String, ProbeError> {
        loop {
            if let Some(end) = self.buf.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > MAX_LINE {
                    return Err(too_long(what));
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_LINE {
                return Err(too_long(what));
            }
            if self.read >= MAX_BYTES {
                return Err(err(
                    ProbeErrorClass::Protocol,
                    format!("it sent more than {MAX_BYTES} bytes without finishing {what}"),
                ));
            }
            let mut chunk = [0u8; 2048];
            let room = (MAX_BYTES - self.read).min(chunk.len());
            let n = match timeout_at(deadline, self.stream.read(&mut chunk[..room])).await {
                Err(_) => {
                    return Err(err(
                        ProbeErrorClass::Timeout,
                        format!("{what} did not come within {} s", wait.as_secs()),
                    ))
                }
                Ok(Err(e)) => {
                    return Err(err(
                        ProbeErrorClass::Protocol,
                        format!("the connection broke while waiting for {what}: {e}"),
                    ))
                }
                Ok(Ok(0)) => {
                    return Err(err(
                        ProbeErrorClass::Protocol,
                        format!("it closed the connection before {what}"),
                    ))
                }
                Ok(Ok(n)) => n,
            };
            self.read += n;
            self.buf
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }
}

fn too_long(what: &str) -> ProbeError {
    err(
        ProbeErrorClass::Protocol,
        format!("a line of {what} is longer than {MAX_LINE} bytes"),
    )
}

/// A reply line as `(code, more lines follow, text)`.
fn parse_line(line: &str) -> Option<(u16, bool, String)> {
    let code = line.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = code.parse().ok()?;
    if !(200..=599).contains(&code) {
        return None;
    }
    match line.as_bytes().get(3) {
        None => Some((code, false, String::new())),
        Some(b' ') => Some((code, false, line.get(4..)?.to_string())),
        Some(b'-') => Some((code, true, line.get(4..)?.to_string())),
        Some(_) => None,
    }
}

/// A hostile line, shortened and printable, for a message.
fn shown(line: &str) -> String {
    let clean: String = line
        .chars()
        .take(80)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    format!("\"{clean}\"")
}

#[cfg(test)]
mod tests {
    use super::parse_line;

    #[test]
    fn reply_lines_are_read_by_the_rfc_5321_grammar() {
        assert_eq!(
            parse_line("220 mx ESMTP"),
            Some((220, false, "mx ESMTP".into()))
        );
        assert_eq!(
            parse_line("250-STARTTLS"),
            Some((250, true, "STARTTLS".into()))
        );
        assert_eq!(parse_line("250"), Some((250, false, String::new())));
        assert_eq!(parse_line("HTTP/1.1 400"), None);
        assert_eq!(parse_line("2a0 x"), None);
        assert_eq!(parse_line("999 x"), None);
        assert_eq!(parse_line("220x"), None);
        assert_eq!(parse_line("é"), None);
    }
}
