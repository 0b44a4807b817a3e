//! The MX hosts' STARTTLS certificates in the report (RFC 8461 §4.2, §5):
//! under enforce a failing MX host breaks the domain, under testing the
//! verdict stays testing with errors saying what enforce would do, and what
//! the checker could not learn never changes the verdict.

use mtasts::sts::mx::MxHost;
use mtasts::sts::mx_tls::{
    CertificateFacts, Probe, ProbeErrorClass, Reply, Session, Status, Verification,
};
use mtasts::sts::report::{build, Body, Fetch, Lookup, Observations, Report, Verdict};
use mtasts::sts::Severity;

const D: &str = "example.com";
const NOW: i64 = 1_750_000_000;
const DAY: i64 = 86_400;

fn observe(mode: &str, probes: Vec<Probe>) -> Observations {
    let policy = format!(
        "version: STSv1\r\nmode: {mode}\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 1209600\r\n"
    );
    Observations {
        domain: D.into(),
        sts_txt: Lookup::ok(vec!["v=STSv1; id=20240101000000".into()]),
        policy: Some(Fetch {
            url: format!("https://mta-sts.{D}/.well-known/mta-sts.txt"),
            status: Some(200),
            headers: vec![("content-type".into(), "text/plain".into())],
            body: Some(Body(policy.into_bytes())),
            ..Fetch::default()
        }),
        policy_host: Lookup::ok(vec!["192.0.2.10".into()]),
        mx: Lookup::ok(vec![
            MxHost {
                preference: 10,
                host: "mx1.example.com".into(),
            },
            MxHost {
                preference: 20,
                host: "mx2.example.com".into(),
            },
        ]),
        tlsrpt_txt: Lookup::ok(vec![format!("v=TLSRPTv1; rua=mailto:tls@{D}")]),
        mx_tls: probes,
        ..Observations::default()
    }
}

fn probe(host: &str, address: &str, names: &[&str], not_after: i64) -> Probe {
    Probe {
        host: host.into(),
        address: address.into(),
        at: NOW,
        elapsed_ms: 120,
        greeting: Some(Reply {
            code: 220,
            text: format!("{host} ESMTP"),
        }),
        starttls: Some(true),
        tls: Some(Session {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
        }),
        chain: vec![CertificateFacts {
            names: names.iter().map(|n| n.to_string()).collect(),
            subject: format!("CN={host}"),
            issuer: "CN=R11, O=Let's Encrypt, C=US".into(),
            not_before: NOW - 30 * DAY,
            not_after,
        }],
        verification: Some(Verification::Verified),
        trusted: Some(true),
        ..Probe::default()
    }
}

fn mx1_ok() -> Probe {
    probe(
        "mx1.example.com",
        "192.0.2.1",
        &["mx1.example.com"],
        NOW + 60 * DAY,
    )
}

fn mx2_wrong_name() -> Probe {
    probe(
        "mx2.example.com",
        "192.0.2.2",
        &["mail.provider.net"],
        NOW + 60 * DAY,
    )
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn enforce_with_every_mx_valid_is_enforced() {
    let r = build(observe(
        "enforce",
        vec![
            mx1_ok(),
            probe(
                "mx2.example.com",
                "192.0.2.2",
                &["*.example.com"],
                NOW + 60 * DAY,
            ),
        ],
    ));
    assert_eq!(r.verdict, Verdict::Enforced, "{:?}", codes(&r));
    assert!(r.mx_tls.iter().all(|row| row.status == Status::Valid));
}

#[test]
fn enforce_with_one_failing_mx_is_broken_and_names_it() {
    let r = build(observe("enforce", vec![mx1_ok(), mx2_wrong_name()]));
    assert_eq!(r.verdict, Verdict::Broken);
    assert!(codes(&r).contains(&"mx-tls-name-mismatch"));
    assert!(
        r.summary
            .contains("Enforcing senders will not deliver to mx2.example.com"),
        "{}",
        r.summary
    );
    assert_eq!(r.mx_tls[0].status, Status::Valid);
    assert_eq!(r.mx_tls[1].status, Status::Invalid);
}

#[test]
fn testing_stays_testing_with_errors_saying_what_enforce_would_do() {
    let r = build(observe("testing", vec![mx1_ok(), mx2_wrong_name()]));
    assert_eq!(r.verdict, Verdict::Testing);
    let f = r
        .findings
        .iter()
        .find(|f| f.code.as_str() == "mx-tls-name-mismatch")
        .expect("the mismatch is reported");
    assert_eq!(f.severity, Severity::Error);
    assert!(f
        .message
        .starts_with("Under enforce, senders would not deliver to mx2.example.com"));
}

#[test]
fn what_the_checker_could_not_learn_keeps_enforced() {
    for class in [
        ProbeErrorClass::Busy,
        ProbeErrorClass::Rejected,
        ProbeErrorClass::Timeout,
        ProbeErrorClass::Refused,
        ProbeErrorClass::ConnectTimeout,
        ProbeErrorClass::Forbidden,
    ] {
        let busy = Probe::failed(
            "mx2.example.com",
            "192.0.2.2",
            class,
            "421 try later".into(),
        );
        let r = build(observe("enforce", vec![mx1_ok(), busy]));
        assert_eq!(r.verdict, Verdict::Enforced, "{class:?}: {:?}", codes(&r));
        assert_eq!(r.mx_tls[1].status, Status::Unknown);
        assert!(!r.findings.iter().any(|f| f.is_error()), "{class:?}");
    }
}

#[test]
fn an_expired_certificate_is_judged_at_the_time_of_the_probe() {
    let mut p = probe(
        "mx1.example.com",
        "192.0.2.1",
        &["mx1.example.com"],
        NOW - DAY,
    );
    let r = build(observe("enforce", vec![p.clone(), mx2_ok()]));
    assert_eq!(r.verdict, Verdict::Broken);
    assert!(codes(&r).contains(&"mx-tls-expired"));
    // The same certificate, probed while it was valid.
    p.at = NOW - 2 * DAY - 20 * DAY;
    let r = build(observe("enforce", vec![p, mx2_ok()]));
    assert_eq!(r.verdict, Verdict::Enforced, "{:?}", codes(&r));
}

fn mx2_ok() -> Probe {
    probe(
        "mx2.example.com",
        "192.0.2.2",
        &["mx2.example.com"],
        NOW + 60 * DAY,
    )
}

#[test]
fn without_probes_the_report_is_unchanged_and_its_json_has_no_mx_tls() {
    let r = build(observe("enforce", Vec::new()));
    assert_eq!(r.verdict, Verdict::Enforced);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json.get("mx_tls").is_none());
    assert!(json["observations"].get("mx_tls").is_none());
    let with =
        serde_json::to_value(build(observe("enforce", vec![mx1_ok(), mx2_wrong_name()]))).unwrap();
    assert_eq!(with["mx_tls"][1]["status"], "invalid");
    assert_eq!(with["mx_tls"][1]["codes"][0], "mx-tls-name-mismatch");
    assert_eq!(
        with["observations"]["mx_tls"][0]["tls"]["version"],
        "TLSv1.3"
    );
}
