//! The MX TLS probe against tiny SMTP servers on 127.0.0.1, one per edge
//! case a real MX host (or a hostile one) presents: what the probe records,
//! which class it gives, that every wait and read is bounded, and that it
//! sends EHLO, STARTTLS and QUIT and nothing else.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use mtasts::sts::mx_tls::ProbeErrorClass;
use mtasts_worker::smtp::{Prober, SmtpConfig, MAX_LINE};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn prober(port: u16, greeting_secs: u64) -> Prober {
    Prober::new(SmtpConfig {
        port,
        connect_timeout: Duration::from_secs(2),
        greeting_timeout: Duration::from_secs(greeting_secs),
        reply_timeout: Duration::from_secs(2),
        ehlo_name: "probe.example.org".into(),
        allow_private: true,
        ..SmtpConfig::default()
    })
    .unwrap()
}

/// Serves one connection with `script`; the handle gives the lines the
/// client sent.
async fn serve<F, Fut>(script: F) -> (u16, JoinHandle<Vec<String>>)
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Vec<String>> + Send,
{
    let listener = TcpListener::bind((LOCAL, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        script(stream).await
    });
    (port, handle)
}

/// A server that greets with `greeting`, answers EHLO with `ehlo` lines,
/// then `after_ehlo` to whatever comes next, and records every line.
async fn conversation(
    stream: TcpStream,
    greeting: &str,
    ehlo: &[&str],
    starttls_reply: &[u8],
) -> Vec<String> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut seen = Vec::new();
    w.write_all(greeting.as_bytes()).await.unwrap();
    let mut line = String::new();
    while r.read_line(&mut line).await.unwrap_or(0) > 0 {
        let cmd = line.trim_end().to_string();
        line.clear();
        seen.push(cmd.clone());
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let n = ehlo.len();
            for (i, l) in ehlo.iter().enumerate() {
                let sep = if i + 1 == n { ' ' } else { '-' };
                w.write_all(format!("250{sep}{l}\r\n").as_bytes())
                    .await
                    .unwrap();
            }
        } else if upper == "STARTTLS" {
            let _ = w.write_all(starttls_reply).await;
            // Whatever the client does next is not SMTP.
            let mut rest = Vec::new();
            let _ = tokio::time::timeout(
                Duration::from_secs(3),
                tokio::io::AsyncReadExt::read_to_end(&mut r, &mut rest),
            )
            .await;
            break;
        } else if upper == "QUIT" {
            let _ = w.write_all(b"221 bye\r\n").await;
            break;
        } else {
            let _ = w.write_all(b"502 no\r\n").await;
        }
    }
    seen
}

#[tokio::test]
async fn a_server_without_starttls_is_recorded_and_only_ehlo_and_quit_are_sent() {
    let (port, server) = serve(|s| async move {
        conversation(
            s,
            "220 mx.test ESMTP\r\n",
            &["mx.test", "PIPELINING", "8BITMIME"],
            b"",
        )
        .await
    })
    .await;
    let p = prober(port, 5).probe("mx.test", LOCAL).await;
    assert_eq!(p.error, None);
    assert_eq!(p.greeting.as_ref().map(|g| g.code), Some(220));
    assert_eq!(p.starttls, Some(false));
    assert!(p.tls.is_none());
    assert_eq!(
        server.await.unwrap(),
        vec!["EHLO probe.example.org".to_string(), "QUIT".to_string()]
    );
}

#[tokio::test]
async fn busy_and_refusing_greetings_are_classes_not_failures_of_the_domain() {
    for (greeting, class) in [
        (
            "421 4.7.0 mx.test busy, try later\r\n",
            ProbeErrorClass::Busy,
        ),
        (
            "554 5.7.1 no service for you\r\n",
            ProbeErrorClass::Rejected,
        ),
        ("SSH-2.0-OpenSSH_9.2\r\n", ProbeErrorClass::Protocol),
    ] {
        let (port, _server) =
            serve(move |s| async move { conversation(s, greeting, &["mx.test"], b"").await }).await;
        let p = prober(port, 5).probe("mx.test", LOCAL).await;
        assert_eq!(p.error.as_ref().map(|e| e.class), Some(class), "{greeting}");
        assert!(class.could_not_check());
    }
}

#[tokio::test]
async fn a_slow_greeting_is_waited_for_and_a_missing_one_times_out() {
    let (port, _server) = serve(|s| async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        conversation(s, "220 tarpit ESMTP\r\n", &["mx.test"], b"").await
    })
    .await;
    let p = prober(port, 4).probe("mx.test", LOCAL).await;
    assert_eq!(p.error, None, "a patient probe reads a late greeting");
    assert_eq!(p.starttls, Some(false));

    let (port, _server) = serve(|s| async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
        Vec::new()
    })
    .await;
    let p = prober(port, 1).probe("mx.test", LOCAL).await;
    let e = p.error.expect("no greeting");
    assert_eq!(e.class, ProbeErrorClass::Timeout);
    assert!(e.message.contains("greeting"), "{}", e.message);
}

#[tokio::test]
async fn hostile_replies_are_cut_off() {
    // A line that never ends.
    let (port, _server) = serve(|mut s| async move {
        let long = vec![b'2'; 4 * MAX_LINE];
        let _ = s.write_all(&long).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        Vec::new()
    })
    .await;
    let p = prober(port, 5).probe("mx.test", LOCAL).await;
    let e = p.error.expect("too long");
    assert_eq!(e.class, ProbeErrorClass::Protocol);
    assert!(e.message.contains("longer than"), "{}", e.message);

    // A multi-line greeting that never ends.
    let (port, _server) = serve(|mut s| async move {
        for _ in 0..10_000 {
            if s.write_all(b"220-still here\r\n").await.is_err() {
                break;
            }
        }
        Vec::new()
    })
    .await;
    let p = prober(port, 5).probe("mx.test", LOCAL).await;
    assert_eq!(p.error.map(|e| e.class), Some(ProbeErrorClass::Protocol));
}

#[tokio::test]
async fn starttls_refused_injected_or_not_tls_are_told_apart() {
    let ehlo = &["mx.test", "STARTTLS"];
    let cases: [(&'static [u8], ProbeErrorClass); 3] = [
        (
            b"454 4.7.0 TLS not available\r\n",
            ProbeErrorClass::StarttlsRefused,
        ),
        // Bytes after the 220 would be read as if they came over TLS.
        (
            b"220 go ahead\r\n250 injected\r\n",
            ProbeErrorClass::Protocol,
        ),
        (
            b"220 go ahead\r\nthis is not a TLS server hello at all\r\n\r\n",
            ProbeErrorClass::Protocol,
        ),
    ];
    for (reply, class) in cases {
        let (port, server) =
            serve(move |s| async move { conversation(s, "220 mx.test\r\n", ehlo, reply).await })
                .await;
        let p = prober(port, 5).probe("mx.test", LOCAL).await;
        assert_eq!(p.starttls, Some(true));
        assert_eq!(p.error.as_ref().map(|e| e.class), Some(class), "{reply:?}");
        let seen = server.await.unwrap();
        assert_eq!(seen[..2], ["EHLO probe.example.org", "STARTTLS"]);
        assert!(!seen
            .iter()
            .any(|l| l.to_ascii_uppercase().starts_with("MAIL")));
    }
    // 220 alone, then plain text where the server hello should be.
    let (port, _server) = serve(move |s| async move {
        let (r, mut w) = s.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 mx.test\r\n").await.unwrap();
        let mut line = String::new();
        r.read_line(&mut line).await.unwrap();
        w.write_all(b"250-mx.test\r\n250 STARTTLS\r\n")
            .await
            .unwrap();
        line.clear();
        r.read_line(&mut line).await.unwrap();
        w.write_all(b"220 go ahead\r\n").await.unwrap();
        // Wait for the client hello, then answer in plain text.
        let mut buf = [0u8; 512];
        let _ = tokio::io::AsyncReadExt::read(&mut r, &mut buf).await;
        let _ = w.write_all(b"500 what is this\r\n").await;
        Vec::new()
    })
    .await;
    let p = prober(port, 5).probe("mx.test", LOCAL).await;
    assert_eq!(p.error.map(|e| e.class), Some(ProbeErrorClass::Handshake));
}

#[tokio::test]
async fn refused_connections_and_guarded_addresses() {
    let listener = TcpListener::bind((LOCAL, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let p = prober(port, 5).probe("mx.test", LOCAL).await;
    assert_eq!(p.error.map(|e| e.class), Some(ProbeErrorClass::Refused));

    // Without --allow-private, a loopback address is never connected to.
    let (port, server) =
        serve(|s| async move { conversation(s, "220 mx.test\r\n", &["mx.test"], b"").await }).await;
    let guarded = Prober::new(SmtpConfig {
        port,
        ..SmtpConfig::default()
    })
    .unwrap();
    let p = guarded.probe("mx.test", LOCAL).await;
    assert_eq!(p.error.map(|e| e.class), Some(ProbeErrorClass::Forbidden));
    assert!(tokio::time::timeout(Duration::from_millis(300), server)
        .await
        .is_err());
}
