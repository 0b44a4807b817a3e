//! The native policy fetch: the proxy rules of [`mtasts::sts::proxy`] on
//! reqwest with rustls. The policy host is resolved through the check's own
//! [`Resolver`] (the one the user chose, as an absolute name, inside the
//! fetch's deadline), redirects are never followed, every address connected
//! to is checked (a resolver that refuses non-public answers, and the peer
//! address again after connecting, so DNS rebinding cannot pass), the body is
//! cut at 64 KiB, and each failure gets its class.

use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mtasts::sts::proxy::{self, AddressGuard, PolicyRequest, Prefix};
use mtasts::sts::report::{Body, Certificate, Fetch, FetchError, FetchErrorClass};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::resolve::Resolver;

/// How the fetcher connects.
#[derive(Clone, Debug)]
pub struct FetchConfig {
    /// Connect to private, loopback and link-local addresses (test beds only).
    pub allow_private: bool,
    /// Prefixes never connected to, whatever else allows them (an
    /// operator's NAT64 prefix, say).
    pub refused: Vec<Prefix>,
    /// Extra trusted CA certificates (PEM), besides the built-in web roots.
    pub extra_ca: Option<Vec<u8>>,
    pub connect_timeout: Duration,
    /// Whole request, body included: a server that trickles is cut here.
    pub timeout: Duration,
}

impl FetchConfig {
    /// The address rules of every connection this config makes.
    pub fn guard(&self) -> AddressGuard {
        AddressGuard {
            allow_private: self.allow_private,
            refused: self.refused.clone(),
        }
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allow_private: false,
            refused: Vec::new(),
            extra_ca: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(proxy::FETCH_TIMEOUT_SECS),
        }
    }
}

/// Refusal by the guarded resolver, recognised again when classifying.
#[derive(Debug)]
enum Guard {
    NoAddress(String),
    Forbidden(String),
}

impl std::fmt::Display for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Guard::NoAddress(m) | Guard::Forbidden(m) => f.write_str(m),
        }
    }
}

impl StdError for Guard {}

/// Resolves through the check's resolver and keeps only allowed addresses.
struct GuardedResolver {
    resolver: Resolver,
    guard: AddressGuard,
    /// Addresses the fetch already looked up, per host, handed over once so
    /// the connection goes where the report says, without asking DNS again.
    looked_up: Resolved,
}

/// Host name to the addresses just resolved for it.
type Resolved = Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<IpAddr>>>>;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        let resolver = self.resolver.clone();
        let host = name.as_str().to_string();
        let known = self
            .looked_up
            .lock()
            .ok()
            .and_then(|mut m| m.remove(&host.to_ascii_lowercase()));
        Box::pin(async move {
            let ips = match known {
                Some(ips) => ips,
                None => lookup(&resolver, &host)
                    .await
                    .map_err(|e| -> Box<dyn StdError + Send + Sync> { Box::new(e) })?,
            };
            let ok: Vec<SocketAddr> = ips
                .into_iter()
                .filter(|ip| guard.allows(*ip))
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if ok.is_empty() {
                return Err(Box::new(Guard::Forbidden(AddressGuard::refusal(&host))) as _);
            }
            Ok(Box::new(ok.into_iter()) as Addrs)
        })
    }
}

async fn lookup(resolver: &Resolver, host: &str) -> Result<Vec<IpAddr>, Guard> {
    resolver
        .addresses(host)
        .await
        .map_err(|f| Guard::NoAddress(format!("{host} has no address ({f})")))
}

/// Fetches policies the way a sending MTA does.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
    resolver: Resolver,
    looked_up: Resolved,
}

impl Fetcher {
    /// A fetcher that resolves the policy host through `resolver`.
    pub fn new(config: FetchConfig, resolver: Resolver) -> Result<Self, String> {
        let looked_up = Resolved::default();
        let client = || -> Result<reqwest::Client, String> {
            let mut b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(config.connect_timeout)
                .timeout(config.timeout)
                .tls_info(true)
                .https_only(true)
                .no_proxy()
                .pool_max_idle_per_host(0)
                .dns_resolver(Arc::new(GuardedResolver {
                    resolver: resolver.clone(),
                    guard: config.guard(),
                    looked_up: looked_up.clone(),
                }));
            if let Some(pem) = &config.extra_ca {
                b = crate::resolve::trust_extra_ca(b, pem)?;
            }
            b.build().map_err(|e| format!("cannot set up HTTPS: {e}"))
        };
        Ok(Fetcher {
            client: client()?,
            config,
            resolver,
            looked_up,
        })
    }

    /// Fetches `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
    pub async fn fetch(&self, req: &PolicyRequest) -> Fetch {
        let start = Instant::now();
        let mut out = Fetch {
            url: req.url(),
            ..Fetch::default()
        };
        // One deadline for everything, the DNS lookups included.
        if tokio::time::timeout(self.config.timeout, self.fetch_into(req, &mut out))
            .await
            .is_err()
        {
            out.error = Some(FetchError {
                class: FetchErrorClass::Timeout,
                message: format!(
                    "no complete answer within {} s",
                    self.config.timeout.as_secs()
                ),
            });
        }
        out.elapsed_ms = Some(start.elapsed().as_millis() as u64);
        out
    }

    async fn fetch_into(&self, req: &PolicyRequest, out: &mut Fetch) {
        // Resolve once, here: the report names these addresses and the
        // client connects to them (the guard checks them again, and the peer
        // after connecting).
        let guard = self.config.guard();
        let ips = match lookup(&self.resolver, &req.host()).await {
            Ok(ips) => {
                // Only the addresses that may be connected to are reported:
                // the others may come from an internal view of DNS.
                let ips: Vec<IpAddr> = ips.into_iter().filter(|ip| guard.allows(*ip)).collect();
                out.addresses = ips.iter().map(IpAddr::to_string).collect();
                if ips.is_empty() {
                    out.error = Some(FetchError {
                        class: FetchErrorClass::Forbidden,
                        message: AddressGuard::refusal(&req.host()),
                    });
                    return;
                }
                ips
            }
            Err(e) => {
                out.error = Some(FetchError {
                    class: FetchErrorClass::NoAddress,
                    message: e.to_string(),
                });
                return;
            }
        };
        let host = req.host().to_ascii_lowercase();
        if let Ok(mut m) = self.looked_up.lock() {
            m.insert(host.clone(), ips.clone());
        }
        let mut get = self.client.get(req.url());
        for (name, value) in req.headers() {
            get = get.header(name, value);
        }
        let sent = get.send().await;
        // Taken by the client's resolver when it connected; dropped if not.
        if let Ok(mut m) = self.looked_up.lock() {
            m.remove(&host);
        }
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let err = classify(&e);
                if matches!(
                    err.class,
                    FetchErrorClass::TlsExpired
                        | FetchErrorClass::TlsHostname
                        | FetchErrorClass::TlsUntrusted
                        | FetchErrorClass::Tls
                ) {
                    out.certificate =
                        peek_certificate(&req.host(), &ips, &guard, self.config.connect_timeout)
                            .await;
                }
                out.error = Some(err);
                return;
            }
        };
        if let Some(peer) = resp.remote_addr() {
            if !guard.allows(peer.ip()) {
                out.error = Some(FetchError {
                    class: FetchErrorClass::Forbidden,
                    message: AddressGuard::refusal(&req.host()),
                });
                return;
            }
        }
        out.status = Some(resp.status().as_u16());
        out.headers = proxy::keep_headers(
            resp.headers()
                .iter()
                .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v))),
        );
        out.certificate = resp
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|i| i.peer_certificate())
            .and_then(certificate_facts);
        // Into `out` as it arrives: whichever deadline cuts a trickling
        // body (the client's or the whole fetch's), what came is kept.
        let body = &mut out.body.get_or_insert_with(|| Body(Vec::new())).0;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if !proxy::append_capped(body, &chunk) {
                        out.truncated = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(classify(&e));
                    break;
                }
            }
        }
    }
}

/// The DNS names in a certificate's subjectAltName (RFC 5280 §4.2.1.6),
/// the names TLS clients match (RFC 6125 §6.4).
pub fn dns_names(cert: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    use x509_parser::prelude::GeneralName;
    cert.subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The facts of a DER certificate a person can act on.
pub fn certificate_facts(der: &[u8]) -> Option<Certificate> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(Certificate {
        subject_names: dns_names(&cert),
        issuer: Some(cert.issuer().to_string()),
        not_before: Some(cert.validity().not_before.to_string()),
        not_after: Some(cert.validity().not_after.to_string()),
    })
}

/// Maps a reqwest error to the error class the report names, from the typed
/// errors in its source chain (rustls, io, the guard), then from its text.
pub fn classify(e: &reqwest::Error) -> FetchError {
    let mut text = Vec::new();
    let mut class = None;
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        text.push(err.to_string());
        class = class.or_else(|| class_of(err));
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                class = class.or_else(|| class_of(inner));
            }
        }
        cur = err.source();
    }
    text.dedup();
    let message = text.join(": ");
    let class = class.unwrap_or_else(|| {
        if e.is_timeout() {
            FetchErrorClass::Timeout
        } else {
            proxy::classify_error_text(&message)
        }
    });
    FetchError { class, message }
}

fn class_of(err: &(dyn StdError + 'static)) -> Option<FetchErrorClass> {
    use rustls::CertificateError as C;
    if let Some(g) = err.downcast_ref::<Guard>() {
        return Some(match g {
            Guard::NoAddress(_) => FetchErrorClass::NoAddress,
            Guard::Forbidden(_) => FetchErrorClass::Forbidden,
        });
    }
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(match tls {
            rustls::Error::InvalidCertificate(c) => match c {
                C::Expired | C::ExpiredContext { .. } => FetchErrorClass::TlsExpired,
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    FetchErrorClass::TlsHostname
                }
                C::UnknownIssuer => FetchErrorClass::TlsUntrusted,
                _ => FetchErrorClass::Tls,
            },
            _ => FetchErrorClass::Tls,
        });
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        return match io.kind() {
            std::io::ErrorKind::ConnectionRefused => Some(FetchErrorClass::ConnectionRefused),
            std::io::ErrorKind::TimedOut => Some(FetchErrorClass::Timeout),
            _ => None,
        };
    }
    None
}

/// Reads the certificate a policy host presents without judging it, so a
/// failed handshake can still say what was wrong with it (expired when, valid
/// for which names, issued by whom).
pub async fn peek_certificate(
    host: &str,
    addresses: &[IpAddr],
    guard: &AddressGuard,
    timeout: Duration,
) -> Option<Certificate> {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};

    #[derive(Debug)]
    struct Accept(Arc<rustls::crypto::CryptoProvider>);
    impl ServerCertVerifier for Accept {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
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
                &self.0.signature_verification_algorithms,
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
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Accept(provider)))
        .with_no_client_auth();
    let ip = *addresses.iter().find(|ip| guard.allows(**ip))?;
    let name = ServerName::try_from(host.to_string()).ok()?;
    let work = async {
        let tcp = tokio::net::TcpStream::connect(SocketAddr::new(ip, 443))
            .await
            .ok()?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .ok()?;
        let (_, conn) = tls.get_ref();
        let der = conn.peer_certificates()?.first()?.to_vec();
        certificate_facts(&der)
    };
    tokio::time::timeout(timeout, work).await.ok().flatten()
}
