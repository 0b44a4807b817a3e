//! The native DNS transport (`src/resolve.rs`) and the check driver
//! (`src/check.rs`) end to end.
//!
//! Two halves:
//! - hermetic tests against tiny servers on 127.0.0.1 started here (UDP, TCP
//!   fallback, DoH over plain HTTP): timeouts, refused ports, malformed and
//!   mismatched answers, HTTP statuses, the plan's lookups running at once.
//!   They always run.
//! - test bed tests (`testbed_*`) against the real DNS and DoH servers of
//!   `tests/testbed/testbed run`, which sets `MTASTS_TESTBED_DNS`,
//!   `MTASTS_TESTBED_DOH` and `MTASTS_TESTBED_CA`. Outside the bed they fail
//!   saying so; `cargo test -- --skip testbed_` leaves them out on purpose.

use std::net::SocketAddr;
use std::time::Duration;

use mtasts::sts::dns::{Outcome, RData, RecordType};
use mtasts::sts::domain;
use mtasts::sts::lookup::{txt_records, DnsStatus, Lookup};
use mtasts::sts::report::Observations;
use mtasts_worker::check;
use mtasts_worker::fetch::{FetchConfig, Fetcher};
use mtasts_worker::resolve::{Resolver, ResolverConfig, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

// ---------------------------------------------------------------------------
// Fake servers
// ---------------------------------------------------------------------------

const T_TXT: u16 = 16;
const T_A: u16 = 1;

/// The answer to `query`: same ID and question, QR|RD|RA plus `flags`, and
/// the given answer records (owner written as a pointer to the question).
fn respond(query: &[u8], flags: u16, answers: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut end = 12;
    while end < query.len() && query[end] != 0 {
        end += 1 + usize::from(query[end]);
    }
    let question = &query[12..end + 5];
    let mut m = query[..2].to_vec();
    m.extend_from_slice(&(0x8180u16 | flags).to_be_bytes());
    for c in [1u16, answers.len() as u16, 0, 0] {
        m.extend_from_slice(&c.to_be_bytes());
    }
    m.extend_from_slice(question);
    for (t, rdata) in answers {
        m.extend_from_slice(&[0xc0, 12]);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
    }
    m
}

fn txt(s: &[u8]) -> (u16, Vec<u8>) {
    let mut d = vec![s.len() as u8];
    d.extend_from_slice(s);
    (T_TXT, d)
}

/// A UDP server answering each datagram with `reply(query)` (`None`: stay
/// silent). Runs until the test's runtime ends.
async fn udp_server<F>(reply: F) -> SocketAddr
where
    F: Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static,
{
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((n, peer)) = sock.recv_from(&mut buf).await {
            for r in reply(&buf[..n]) {
                let _ = sock.send_to(&r, peer).await;
            }
        }
    });
    addr
}

/// A TCP DNS server on `addr`'s port answering with `reply(query)`.
async fn tcp_server<F>(addr: SocketAddr, reply: F)
where
    F: Fn(&[u8]) -> Vec<u8> + Send + Sync + Copy + 'static,
{
    let l = TcpListener::bind(addr).await.unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut len = [0u8; 2];
                if s.read_exact(&mut len).await.is_err() {
                    return;
                }
                let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
                if s.read_exact(&mut q).await.is_err() {
                    return;
                }
                let r = reply(&q);
                let mut out = (r.len() as u16).to_be_bytes().to_vec();
                out.extend_from_slice(&r);
                let _ = s.write_all(&out).await;
            });
        }
    });
}

/// A plain-HTTP server answering every request with `status`, `ctype` and
/// `body(query bytes)`; `None` for status means accept and never answer.
async fn http_server<F>(status: Option<u16>, ctype: &'static str, body: F) -> String
where
    F: Fn(&[u8]) -> Vec<u8> + Send + Sync + Copy + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 2048];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let Some(status) = status else {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                };
                let line = String::from_utf8_lossy(&req).to_string();
                let q = line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|p| p.split("dns=").nth(1))
                    .map(base64url_decode)
                    .unwrap_or_default();
                let b = body(&q);
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    b.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&b).await;
            });
        }
    });
    format!("http://{addr}/dns-query")
}

/// Base64url without padding (RFC 4648 §5), enough to read a DoH `dns=`.
fn base64url_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    {
        acc = (acc << 6) | u32::from(val(c));
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn resolver(t: Transport, timeout_ms: u64) -> Resolver {
    let mut c = ResolverConfig::new(t);
    c.timeout = Duration::from_millis(timeout_ms);
    c.udp_retry = Duration::from_millis(timeout_ms / 3);
    Resolver::new(c).unwrap()
}

// ---------------------------------------------------------------------------
// Hermetic: plain DNS
// ---------------------------------------------------------------------------

#[tokio::test]
async fn udp_answer() {
    let addr = udp_server(|q| vec![respond(q, 0x0020, &[txt(b"v=STSv1; id=1")])]).await;
    let r = resolver(Transport::Dns(addr), 2000)
        .lookup("_mta-sts.Example.com.", RecordType::Txt)
        .await
        .unwrap();
    assert!(r.authenticated());
    assert_eq!(r.txt()[0].text(), "v=STSv1; id=1");
    assert_ne!(r.header.id, 0, "plain DNS uses a random ID");
}

#[tokio::test]
async fn udp_timeout_against_a_silent_server() {
    let addr = udp_server(|_| Vec::new()).await;
    let e = resolver(Transport::Dns(addr), 400)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Timeout);
    assert_eq!(e.detail, format!("{addr} did not answer within 0.4 s"));
}

#[tokio::test]
async fn udp_resends_after_a_lost_datagram() {
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s = seen.clone();
    let addr = udp_server(move |q| {
        if s.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Vec::new()
        } else {
            vec![respond(q, 0, &[(T_A, vec![192, 0, 2, 1])])]
        }
    })
    .await;
    let r = resolver(Transport::Dns(addr), 1500)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap();
    assert_eq!(mtasts::sts::lookup::address_records(&r), vec!["192.0.2.1"]);
}

#[tokio::test]
async fn udp_refused_port_is_unreachable() {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    drop(sock);
    let e = resolver(Transport::Dns(addr), 2000)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Unreachable, "{e:?}");
    assert!(e.detail.contains("connection refused"), "{e:?}");
}

#[tokio::test]
async fn truncated_udp_falls_back_to_tcp() {
    let addr = udp_server(|q| vec![respond(q, 0x0200, &[])]).await;
    tcp_server(addr, |q| {
        respond(
            q,
            0,
            &[
                txt(b"v=STSv1; id=big"),
                txt(&[b'x'; 255]),
                txt(&[b'y'; 255]),
            ],
        )
    })
    .await;
    let r = resolver(Transport::Dns(addr), 2000)
        .lookup("_mta-sts.example.com", RecordType::Txt)
        .await
        .unwrap();
    assert!(!r.header.tc);
    assert_eq!(r.txt().len(), 3);
    assert_eq!(r.txt()[0].text(), "v=STSv1; id=big");
}

#[tokio::test]
async fn truncated_udp_without_tcp_is_unreachable() {
    let addr = udp_server(|q| vec![respond(q, 0x0200, &[])]).await;
    let e = resolver(Transport::Dns(addr), 2000)
        .lookup("example.com", RecordType::Txt)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Unreachable, "{e:?}");
}

#[tokio::test]
async fn udp_garbage_is_malformed() {
    let addr = udp_server(|q| {
        let mut r = q[..2].to_vec();
        r.extend_from_slice(b"\x81\x80garbage");
        vec![r]
    })
    .await;
    let e = resolver(Transport::Dns(addr), 2000)
        .lookup("example.com", RecordType::Mx)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Malformed, "{e:?}");
    assert!(e.detail.contains("byte"), "{e:?}");
}

#[tokio::test]
async fn udp_ignores_other_ids_and_checks_the_question() {
    // A reply with the wrong ID first (ignored), then the right one.
    let addr = udp_server(|q| {
        let mut wrong = respond(q, 0, &[(T_A, vec![6, 6, 6, 6])]);
        wrong[0] ^= 0xff;
        vec![wrong, respond(q, 0, &[(T_A, vec![192, 0, 2, 2])])]
    })
    .await;
    let r = resolver(Transport::Dns(addr), 2000)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap();
    assert_eq!(mtasts::sts::lookup::address_records(&r), vec!["192.0.2.2"]);

    // An answer for another type is not an answer.
    let addr = udp_server(|q| {
        let mut r = respond(q, 0, &[]);
        let n = r.len();
        r[n - 3] = 99;
        vec![r]
    })
    .await;
    let e = resolver(Transport::Dns(addr), 2000)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Malformed, "{e:?}");
}

#[tokio::test]
async fn rcodes_come_back_as_answers() {
    for (rcode, outcome, status) in [
        (3u16, Outcome::NxDomain, DnsStatus::NxDomain),
        (2, Outcome::ServFail, DnsStatus::ServFail),
        (5, Outcome::Refused, DnsStatus::Refused),
        (0, Outcome::NoData, DnsStatus::NoData),
    ] {
        let addr = udp_server(move |q| vec![respond(q, rcode, &[])]).await;
        let r = resolver(Transport::Dns(addr), 2000)
            .lookup("example.com", RecordType::Txt)
            .await
            .unwrap();
        assert_eq!(r.outcome, outcome);
        assert_eq!(DnsStatus::of(&r.outcome), status);
    }
}

/// A fetcher for hermetic tests (its policy host lookups go to the same
/// fake server; nothing is ever fetched from outside).
fn fetcher(r: &Resolver) -> Fetcher {
    Fetcher::new(FetchConfig::default(), r.clone()).unwrap()
}

#[tokio::test]
async fn a_check_asks_its_first_questions_at_once() {
    // The server answers nothing until the check's six first questions have
    // all arrived: a check that asked one at a time would only see timeouts.
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held: Vec<(Vec<u8>, SocketAddr)> = Vec::new();
        let mut buf = vec![0u8; 4096];
        while let Ok((n, peer)) = sock.recv_from(&mut buf).await {
            held.push((buf[..n].to_vec(), peer));
            if held.len() < 6 {
                continue;
            }
            for (q, peer) in held.drain(..) {
                let _ = sock
                    .send_to(&respond(&q, 0, &[txt(b"v=STSv1; id=1")]), peer)
                    .await;
            }
        }
    });
    let r = resolver(Transport::Dns(addr), 3000);
    let d = domain::normalise("example.com").unwrap();
    let report = check::check(&d, &r, &fetcher(&r), None).await;
    let o = &report.observations;
    for (what, status) in [
        ("_mta-sts TXT", o.sts_txt.status),
        ("_smtp._tls TXT", o.tlsrpt_txt.status),
        ("MX", o.mx.status),
        ("policy host", o.policy_host.status),
    ] {
        assert!(status.answered(), "{what}: {status:?}");
    }
    assert_eq!(o.sts_txt.records, vec!["v=STSv1; id=1"]);
}

#[tokio::test]
async fn bad_names_are_errors() {
    let e = resolver(Transport::Dns("127.0.0.1:9".parse().unwrap()), 500)
        .lookup("a..b", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Malformed, "{e:?}");
    assert!(e.detail.starts_with("cannot ask for a..b"), "{e:?}");
}

// ---------------------------------------------------------------------------
// Hermetic: DoH (over plain HTTP: the transport code is the same)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn doh_answer_and_id_zero() {
    let url = http_server(Some(200), "application/dns-message", |q| {
        assert_eq!(&q[..2], &[0, 0], "RFC 8484 §4.1: ID 0");
        respond(q, 0, &[(T_A, vec![192, 0, 2, 3])])
    })
    .await;
    let r = resolver(Transport::Doh(url), 2000)
        .lookup("mta-sts.example.com", RecordType::A)
        .await
        .unwrap();
    assert_eq!(mtasts::sts::lookup::address_records(&r), vec!["192.0.2.3"]);
}

#[tokio::test]
async fn doh_http_status() {
    let url = http_server(Some(404), "text/plain", |_| b"not found".to_vec()).await;
    let e = resolver(Transport::Doh(url), 2000)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::HttpStatus);
    assert!(e.detail.ends_with("answered HTTP 404"), "{e:?}");
}

#[tokio::test]
async fn doh_garbage_and_wrong_type_are_malformed() {
    let url = http_server(Some(200), "application/dns-message", |_| b"<html>".to_vec()).await;
    let e = resolver(Transport::Doh(url), 2000)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Malformed, "{e:?}");

    let url = http_server(Some(200), "text/html; charset=utf-8", |q| {
        respond(q, 0, &[])
    })
    .await;
    let e = resolver(Transport::Doh(url), 2000)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Malformed, "{e:?}");
    assert!(e.detail.contains("text/html"), "{e:?}");
}

#[tokio::test]
async fn doh_timeout_and_unreachable() {
    let url = http_server(None, "", |_| Vec::new()).await;
    let e = resolver(Transport::Doh(url), 400)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Timeout, "{e:?}");

    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let e = resolver(Transport::Doh(format!("http://{addr}/dns-query")), 2000)
        .lookup("example.com", RecordType::A)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Unreachable, "{e:?}");
}

#[tokio::test]
async fn doh_address_override() {
    let url = http_server(Some(200), "application/dns-message", |q| {
        respond(q, 0, &[txt(b"ok")])
    })
    .await;
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches("/dns-query")
        .parse()
        .unwrap();
    let mut c = ResolverConfig::new(Transport::Doh(format!(
        "http://doh.invalid:{}/dns-query",
        addr.port()
    )));
    c.doh_address = Some(addr);
    let r = Resolver::new(c)
        .unwrap()
        .lookup("example.com", RecordType::Txt)
        .await
        .unwrap();
    assert_eq!(r.txt()[0].text(), "ok");
}

#[tokio::test]
async fn a_check_files_every_answer() {
    // The MX answer names mx.example.com; everything else is TXT or NODATA.
    let addr = udp_server(|q| {
        let qtype = u16::from_be_bytes([q[q.len() - 15], q[q.len() - 14]]);
        let mut mx = vec![0, 10, 2, b'm', b'x'];
        mx.extend_from_slice(&[7]);
        mx.extend_from_slice(b"example");
        mx.extend_from_slice(&[3]);
        mx.extend_from_slice(b"com");
        mx.push(0);
        let answers = match qtype {
            16 => vec![txt(b"v=STSv1; id=7")],
            15 => vec![(15, mx)],
            1 => vec![(T_A, vec![192, 0, 2, 4])],
            52 => vec![(52, vec![3, 1, 1, 0xaa])],
            _ => vec![],
        };
        vec![respond(q, 0, &answers)]
    })
    .await;
    let r = resolver(Transport::Dns(addr), 2000);
    let d = domain::normalise("example.com").unwrap();
    let report = check::check(&d, &r, &fetcher(&r), None).await;
    let obs = &report.observations;
    assert_eq!(obs.sts_txt.records, vec!["v=STSv1; id=7"]);
    assert_eq!(obs.mx.records[0].host, "mx.example.com");
    assert_eq!(obs.policy_host.status, DnsStatus::Ok);
    assert_eq!(obs.policy_host.records, vec!["192.0.2.4"]);
    assert_eq!(obs.tlsa_hosts, vec!["mx.example.com"]);
    assert!(obs.mx_cnames.is_empty());
    // The policy host was resolved through this resolver, and its address
    // (documentation space, not a public host) was refused, not fetched,
    // and not named in the answer.
    let policy = obs.policy.as_ref().expect("the policy fetch ran");
    assert!(policy.addresses.is_empty(), "{policy:?}");
    let error = policy.error.as_ref().expect("refused");
    assert_eq!(
        error.class,
        mtasts::sts::report::FetchErrorClass::Forbidden,
        "{policy:?}"
    );
    assert!(!error.message.contains("192.0.2.4"), "{}", error.message);
}

// ---------------------------------------------------------------------------
// The test bed
// ---------------------------------------------------------------------------

struct Bed {
    dns: SocketAddr,
    doh: String,
    ca: Option<Vec<u8>>,
}

fn bed() -> Option<Bed> {
    let dns = std::env::var("MTASTS_TESTBED_DNS").ok()?;
    Some(Bed {
        dns: dns.parse().expect("MTASTS_TESTBED_DNS is ip:port"),
        doh: std::env::var("MTASTS_TESTBED_DOH").expect("MTASTS_TESTBED_DOH"),
        ca: std::env::var("MTASTS_TESTBED_CA")
            .ok()
            .map(|p| std::fs::read(p).expect("MTASTS_TESTBED_CA readable")),
    })
}

/// A whole check of `domain` in the bed through `r`, policy fetch included.
async fn bed_check(bed: &Bed, r: &Resolver, domain: &str) -> Observations {
    // The bed's slow hosts need not be waited on for the full default.
    let config = FetchConfig {
        allow_private: true,
        extra_ca: bed.ca.clone(),
        connect_timeout: Duration::from_secs(3),
        timeout: Duration::from_secs(3),
        ..FetchConfig::default()
    };
    let fetcher = Fetcher::new(config, r.clone()).unwrap();
    let d = domain::normalise(domain).unwrap();
    check::check(&d, r, &fetcher, None).await.observations
}

/// Observations with what differs between two runs taken out: RRset order
/// (RFC 2181 §5: not significant, and resolvers shuffle it), the fetch's
/// timing, and a transport's own words for a failure.
fn comparable(o: &Observations) -> Observations {
    let mut o = o.clone();
    for l in [&mut o.sts_txt, &mut o.tlsrpt_txt, &mut o.policy_host] {
        l.records.sort();
        l.detail = None;
    }
    o.mx.detail = None;
    for f in [&mut o.policy, &mut o.policy_browser].into_iter().flatten() {
        f.elapsed_ms = None;
        f.addresses.sort();
        if let Some(e) = &mut f.error {
            e.message.clear();
            // How much of a trickling body came before the deadline is a
            // matter of timing.
            if e.class == mtasts::sts::report::FetchErrorClass::Timeout {
                f.body = None;
            }
        }
    }
    o
}

impl Bed {
    fn resolvers(&self) -> Vec<(&'static str, Resolver)> {
        let plain = ResolverConfig::new(Transport::Dns(self.dns));
        let mut doh = ResolverConfig::new(Transport::Doh(self.doh.clone()));
        doh.extra_ca = self.ca.clone();
        vec![
            ("dns", Resolver::new(plain).unwrap()),
            ("doh", Resolver::new(doh).unwrap()),
        ]
    }
}

/// The test bed, or a failure that says how to get it: a test that needs
/// the bed never passes without it.
fn need_bed() -> Bed {
    bed().expect(
        "this test needs the test bed: run it inside tests/testbed/testbed run \
         (or leave it out with `cargo test -- --skip testbed_`)",
    )
}

#[tokio::test]
async fn testbed_record_types() {
    let bed = need_bed();
    for (via, r) in bed.resolvers() {
        // TXT at _mta-sts and _smtp._tls.
        let sts = r
            .lookup("_mta-sts.enforce.mtasts.test", RecordType::Txt)
            .await
            .unwrap();
        let t = Lookup::from_response(&sts, txt_records);
        assert_eq!(t.status, DnsStatus::Ok, "{via}: {t:?}");
        assert!(
            t.records.iter().any(|s| s.starts_with("v=STSv1")),
            "{via}: {t:?}"
        );
        let rpt = r
            .lookup("_smtp._tls.enforce.mtasts.test", RecordType::Txt)
            .await
            .unwrap();
        assert!(
            Lookup::from_response(&rpt, txt_records)
                .records
                .iter()
                .any(|s| s.starts_with("v=TLSRPTv1")),
            "{via}: {rpt:?}"
        );

        // MX.
        let mx = r
            .lookup("enforce.mtasts.test", RecordType::Mx)
            .await
            .unwrap();
        assert!(!mx.mx().is_empty(), "{via}: {mx:?}");
        assert!(mx
            .mx()
            .iter()
            .all(|m| !m.is_null() && !m.exchange.ends_with('.')));

        // A (and AAAA, which may be NODATA) of the policy host.
        let a = r
            .lookup("mta-sts.enforce.mtasts.test", RecordType::A)
            .await
            .unwrap();
        assert!(!a.addresses().is_empty(), "{via}: {a:?}");
        let aaaa = r
            .lookup("mta-sts.enforce.mtasts.test", RecordType::Aaaa)
            .await
            .unwrap();
        assert!(
            matches!(aaaa.outcome, Outcome::Answer(_) | Outcome::NoData),
            "{via}: {aaaa:?}"
        );

        // Several TXT records stay apart.
        let two = r
            .lookup("_mta-sts.two-txt.mtasts.test", RecordType::Txt)
            .await
            .unwrap();
        assert!(two.txt().len() >= 2, "{via}: {two:?}");

        // Null MX.
        let null = r
            .lookup("null-mx.mtasts.test", RecordType::Mx)
            .await
            .unwrap();
        assert!(null.mx().iter().any(|m| m.is_null()), "{via}: {null:?}");

        // CNAME followed for TXT, and asked for directly.
        let c = r
            .lookup("_mta-sts.cname-txt.mtasts.test", RecordType::Txt)
            .await
            .unwrap();
        assert!(!c.chain.is_empty(), "{via}: {c:?}");
        assert!(
            Lookup::from_response(&c, txt_records)
                .records
                .iter()
                .any(|s| s.starts_with("v=STSv1")),
            "{via}: {c:?}"
        );
        let c2 = r
            .lookup("_mta-sts.cname-txt.mtasts.test", RecordType::Cname)
            .await
            .unwrap();
        assert!(
            c2.records()
                .iter()
                .any(|rec| matches!(&rec.data, RData::Cname(t) if *t == c.chain[0])),
            "{via}: {c2:?}"
        );

        // TLSA at the DANE scenario's MX hosts.
        let dmx = r.lookup("dane.mtasts.test", RecordType::Mx).await.unwrap();
        let hosts: Vec<String> = dmx.mx().iter().map(|m| m.exchange.clone()).collect();
        assert!(!hosts.is_empty(), "{via}: {dmx:?}");
        let mut tlsa = 0;
        for h in &hosts {
            let t = r
                .lookup(&format!("_25._tcp.{h}"), RecordType::Tlsa)
                .await
                .unwrap();
            tlsa += t.tlsa().len();
        }
        assert!(tlsa > 0, "{via}: no TLSA at {hosts:?}");
    }
}

#[tokio::test]
async fn testbed_dns_outcomes() {
    let bed = need_bed();
    for (via, r) in bed.resolvers() {
        let nx = r
            .lookup("_mta-sts.no-txt.mtasts.test", RecordType::Txt)
            .await
            .unwrap();
        assert_eq!(nx.outcome, Outcome::NxDomain, "{via}: {nx:?}");

        // The apex has MX and TXT but no CNAME (RFC 1034 §3.6.2): NODATA.
        let nodata = r
            .lookup("enforce.mtasts.test", RecordType::Cname)
            .await
            .unwrap();
        assert_eq!(nodata.outcome, Outcome::NoData, "{via}: {nodata:?}");

        let sf = r
            .lookup("_mta-sts.servfail.mtasts.test", RecordType::Txt)
            .await
            .unwrap();
        assert_eq!(sf.outcome, Outcome::ServFail, "{via}: {sf:?}");

        // A full check.
        let obs = bed_check(&bed, &r, "enforce.mtasts.test").await;
        assert_eq!(obs.sts_txt.status, DnsStatus::Ok, "{via}: {obs:?}");
        assert_eq!(obs.mx.status, DnsStatus::Ok, "{via}: {obs:?}");
        assert_eq!(obs.policy_host.status, DnsStatus::Ok, "{via}: {obs:?}");
    }
}

/// Every scenario's full set of lookups over both transports: no transport
/// failures, and plain DNS and DoH agree on every status and record.
#[tokio::test]
async fn testbed_every_scenario_agrees_across_transports() {
    let bed = need_bed();
    let path = std::env::var("MTASTS_TESTBED_SCENARIOS").expect("MTASTS_TESTBED_SCENARIOS");
    let table = std::fs::read_to_string(path).unwrap();
    let domains: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').nth(1))
        .filter(|d| !d.is_empty())
        .collect();
    assert!(domains.len() >= 10, "{domains:?}");
    let rs = bed.resolvers();
    for d in domains {
        let plain = bed_check(&bed, &rs[0].1, d).await;
        let doh = bed_check(&bed, &rs[1].1, d).await;
        assert_eq!(comparable(&plain), comparable(&doh), "{d}");
        for (what, l) in [
            ("_mta-sts", &plain.sts_txt.status),
            ("_smtp._tls", &plain.tlsrpt_txt.status),
            ("MX", &plain.mx.status),
        ] {
            assert!(
                !matches!(
                    l,
                    DnsStatus::Timeout | DnsStatus::Unreachable | DnsStatus::Malformed
                ),
                "{d} {what}: {l:?}"
            );
        }
        let obs = plain;
        let expect_sts = match d {
            "no-txt.mtasts.test" => DnsStatus::NxDomain,
            "servfail.mtasts.test" => DnsStatus::ServFail,
            _ => DnsStatus::Ok,
        };
        assert_eq!(obs.sts_txt.status, expect_sts, "{d}: {:?}", obs.sts_txt);
        if d == "mx-cname.mtasts.test" {
            assert_eq!(
                obs.mx_cnames,
                vec![(
                    "mx1.mx-cname.mtasts.test".to_string(),
                    "mail.provider.mtasts.test".to_string()
                )]
            );
        }
        if d == "cname-host.mtasts.test" {
            assert_eq!(
                obs.policy_host.cnames,
                vec!["policies.provider.mtasts.test"],
                "{:?}",
                obs.policy_host
            );
        }
        if d == "dane.mtasts.test" {
            assert_eq!(obs.tlsa_hosts, vec!["mx1.dane.mtasts.test"]);
        }
        if d == "no-address.mtasts.test" {
            assert_eq!(obs.policy_host.status, DnsStatus::NoData);
        }
    }
}

#[tokio::test]
async fn testbed_transport_errors() {
    let bed = need_bed();
    // A wrong DoH path: HTTP 404.
    let base = bed.doh.trim_end_matches("/dns-query");
    let mut c = ResolverConfig::new(Transport::Doh(format!("{base}/no-such-path")));
    c.extra_ca = bed.ca.clone();
    let e = Resolver::new(c)
        .unwrap()
        .lookup("enforce.mtasts.test", RecordType::Mx)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::HttpStatus, "{e:?}");

    // DoH without the test bed's CA: the TLS handshake fails.
    let c = ResolverConfig::new(Transport::Doh(bed.doh.clone()));
    let e = Resolver::new(c)
        .unwrap()
        .lookup("enforce.mtasts.test", RecordType::Mx)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Unreachable, "{e:?}");

    // Timeout: a UDP port where something listens but never answers.
    let silent = std::net::UdpSocket::bind((bed.dns.ip(), 0)).unwrap();
    let mut c = ResolverConfig::new(Transport::Dns(silent.local_addr().unwrap()));
    c.timeout = Duration::from_millis(500);
    let e = Resolver::new(c)
        .unwrap()
        .lookup("enforce.mtasts.test", RecordType::Mx)
        .await
        .unwrap_err();
    assert_eq!(e.status, DnsStatus::Timeout);
}
