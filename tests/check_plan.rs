//! The check plan (`sts::plan`) and the reading of answers (`sts::lookup`):
//! what a check asks in which order, how answers are validated, and how they
//! become the report, driven here the way the shells drive it, with DNS
//! messages assembled byte by byte.

use mtasts::sts::dns::{self, RecordType};
use mtasts::sts::lookup::{read_answer, DnsStatus, Failure, Purpose};
use mtasts::sts::plan::{Action, CheckPlan, Options, MAX_MX_FOLLOW_UPS};
use mtasts::sts::report::{Body, Fetch, FetchError, FetchErrorClass, Previous, Verdict};

// ---------------------------------------------------------------------------
// Answers as a resolver sends them
// ---------------------------------------------------------------------------

const NXDOMAIN: u8 = 3;

/// A response to `name`/`qtype` with the question echoed and `answers`
/// (type, rdata) owned by `name`.
fn answer(name: &str, qtype: RecordType, rcode: u8, answers: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut m = vec![0, 0, 0x81, 0x80 | rcode];
    for c in [1u16, answers.len() as u16, 0, 0] {
        m.extend_from_slice(&c.to_be_bytes());
    }
    let owner = dns::encode_name(name).unwrap();
    m.extend_from_slice(&owner);
    m.extend_from_slice(&qtype.code().to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    for (t, rdata) in answers {
        m.extend_from_slice(&owner);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
        m.extend_from_slice(&300u32.to_be_bytes());
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
    }
    m
}

fn txt(s: &str) -> (u16, Vec<u8>) {
    let mut d = vec![s.len() as u8];
    d.extend_from_slice(s.as_bytes());
    (RecordType::Txt.code(), d)
}

fn mx(pref: u16, host: &str) -> (u16, Vec<u8>) {
    let mut d = pref.to_be_bytes().to_vec();
    d.extend_from_slice(&dns::encode_name(host).unwrap());
    (RecordType::Mx.code(), d)
}

fn a(ip: [u8; 4]) -> (u16, Vec<u8>) {
    (RecordType::A.code(), ip.to_vec())
}

fn cname(target: &str) -> (u16, Vec<u8>) {
    (RecordType::Cname.code(), dns::encode_name(target).unwrap())
}

const POLICY: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 604800\r\n";

fn fetched(status: u16, body: &str) -> Fetch {
    Fetch {
        url: "https://mta-sts.example.com/.well-known/mta-sts.txt".into(),
        status: Some(status),
        headers: vec![("content-type".into(), "text/plain".into())],
        body: Some(Body(body.as_bytes().to_vec())),
        ..Fetch::default()
    }
}

/// The zone of a healthy example.com, as a resolver would answer each
/// question of the plan.
fn healthy(q: &str, t: RecordType) -> Vec<u8> {
    match (q, t) {
        ("_mta-sts.example.com", RecordType::Txt) => {
            answer(q, t, 0, &[txt("v=STSv1; id=20240101")])
        }
        ("_smtp._tls.example.com", RecordType::Txt) => {
            answer(q, t, 0, &[txt("v=TLSRPTv1; rua=mailto:tls@example.com")])
        }
        // Out of order on purpose: resolvers shuffle RRsets.
        ("example.com", RecordType::Mx) => answer(
            q,
            t,
            0,
            &[mx(20, "mx2.example.com"), mx(10, "mx1.example.com")],
        ),
        ("mta-sts.example.com", RecordType::A) => answer(q, t, 0, &[a([192, 0, 2, 10])]),
        ("mx2.example.com", RecordType::Cname) => {
            answer(q, t, 0, &[cname("mail.provider.example")])
        }
        _ => answer(q, t, 0, &[]),
    }
}

/// Drives `plan` to the end like a shell: every action answered, DNS from
/// `zone`, fetches from `fetch`. Returns the actions in the order taken.
fn drive(
    plan: &mut CheckPlan,
    zone: impl Fn(&str, RecordType) -> Vec<u8>,
    fetch: impl Fn(bool) -> Option<Fetch>,
) -> Vec<Action> {
    let mut taken = Vec::new();
    while let Some(action) = plan.next_action() {
        taken.push(action.clone());
        match action {
            Action::Lookup { id, question } => {
                let bytes = zone(&question.name, question.qtype);
                let r = read_answer(&question.name, question.qtype, &bytes, None, "test");
                plan.on_lookup(id, r);
            }
            Action::Fetch { id, browser } => plan.on_fetch(id, fetch(browser)),
            Action::Probe { id, host, address } => {
                plan.on_probe(id, probe_as_healthy(&host, address))
            }
            // What a proxy that probed mx1 at one address would answer.
            Action::MxTlsByProxy => plan.on_mx_tls_by_proxy(Some(vec![probe_as_healthy(
                "mx1.example.com",
                [192, 0, 2, 1].into(),
            )])),
        }
    }
    taken
}

fn lookups(actions: &[Action]) -> Vec<(String, RecordType)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Lookup { question, .. } => Some((question.name.clone(), question.qtype)),
            _ => None,
        })
        .collect()
}

fn fetches(actions: &[Action]) -> Vec<bool> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Fetch { browser, .. } => Some(*browser),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// What is asked, in which order
// ---------------------------------------------------------------------------

#[test]
fn first_actions_are_the_rfc_names_and_the_mta_fetch() {
    let mut plan = CheckPlan::new("Example.COM.", Options::default());
    let mut first = Vec::new();
    while let Some(a) = plan.next_action() {
        first.push(a);
    }
    assert_eq!(
        lookups(&first),
        vec![
            ("_mta-sts.example.com".to_string(), RecordType::Txt),
            ("_smtp._tls.example.com".to_string(), RecordType::Txt),
            ("example.com".to_string(), RecordType::Mx),
            ("mta-sts.example.com".to_string(), RecordType::A),
            ("mta-sts.example.com".to_string(), RecordType::Aaaa),
            ("mta-sts.example.com".to_string(), RecordType::Cname),
        ]
    );
    assert_eq!(fetches(&first), vec![false]);
    assert!(!plan.is_done());
    assert_eq!(plan.outstanding(), 7);
}

#[test]
fn mx_follow_ups_come_in_preference_order_once_per_host() {
    let mut plan = CheckPlan::new("example.com", Options::default());
    let zone = |q: &str, t: RecordType| match (q, t) {
        ("example.com", RecordType::Mx) => answer(
            q,
            t,
            0,
            &[
                mx(30, "b.example.net"),
                mx(10, "MX1.example.com."),
                mx(20, "a.example.net"),
                mx(10, "mx1.example.com"),
                mx(30, "a2.example.net"),
            ],
        ),
        _ => answer(q, t, 0, &[]),
    };
    let taken = drive(&mut plan, zone, |_| Some(fetched(200, POLICY)));
    let follow: Vec<(String, RecordType)> = lookups(&taken).into_iter().skip(6).collect();
    let want: Vec<(String, RecordType)> = [
        "mx1.example.com",
        "a.example.net",
        "a2.example.net",
        "b.example.net",
    ]
    .iter()
    .flat_map(|h| {
        [
            (format!("_25._tcp.{h}"), RecordType::Tlsa),
            (h.to_string(), RecordType::Cname),
        ]
    })
    .collect();
    assert_eq!(follow, want);
    let obs = plan.observations();
    let order: Vec<(u16, &str)> = obs
        .mx
        .records
        .iter()
        .map(|m| (m.preference, m.host.as_str()))
        .collect();
    assert_eq!(
        order,
        vec![
            (10, "mx1.example.com"),
            (10, "mx1.example.com"),
            (20, "a.example.net"),
            (30, "a2.example.net"),
            (30, "b.example.net"),
        ]
    );
    assert!(plan.is_done());
}

#[test]
fn null_mx_and_failed_mx_have_no_follow_ups() {
    for zone_mx in [
        answer("example.com", RecordType::Mx, 0, &[mx(0, ".")]),
        answer("example.com", RecordType::Mx, NXDOMAIN, &[]),
    ] {
        let mut plan = CheckPlan::new("example.com", Options::default());
        let taken = drive(
            &mut plan,
            |q, t| {
                if t == RecordType::Mx {
                    zone_mx.clone()
                } else {
                    answer(q, t, 0, &[])
                }
            },
            |_| None,
        );
        assert_eq!(lookups(&taken).len(), 6, "{taken:?}");
    }
}

#[test]
fn options_leave_out_dane_and_mx_cnames() {
    let mut plan = CheckPlan::new(
        "example.com",
        Options {
            dane: false,
            ..Options::default()
        },
    );
    let taken = drive(&mut plan, healthy, |_| Some(fetched(200, POLICY)));
    let follow = lookups(&taken).into_iter().skip(6).collect::<Vec<_>>();
    assert_eq!(
        follow,
        vec![
            ("mx1.example.com".to_string(), RecordType::Cname),
            ("mx2.example.com".to_string(), RecordType::Cname),
        ]
    );
}

#[test]
fn a_hostile_mx_set_gets_a_bounded_number_of_follow_ups() {
    let many: Vec<(u16, Vec<u8>)> = (0..500)
        .map(|i| mx(10, &format!("mx{i}.example.com")))
        .collect();
    let mut plan = CheckPlan::new("example.com", Options::default());
    let taken = drive(
        &mut plan,
        |q, t| {
            if t == RecordType::Mx {
                answer(q, t, 0, &many)
            } else {
                answer(q, t, 0, &[])
            }
        },
        |_| None,
    );
    assert_eq!(lookups(&taken).len(), 6 + 2 * MAX_MX_FOLLOW_UPS);
    // Every MX host is still in the report's coverage input.
    assert_eq!(plan.observations().mx.records.len(), 500);
}

// ---------------------------------------------------------------------------
// The browser User-Agent re-fetch
// ---------------------------------------------------------------------------

#[test]
fn browser_fetch_follows_only_a_refusal() {
    let cases: Vec<(Option<Fetch>, bool)> = vec![
        (Some(fetched(200, POLICY)), false),
        (Some(fetched(301, "")), false),
        (Some(fetched(403, "blocked")), true),
        (Some(fetched(404, "not found")), true),
        (Some(fetched(503, "")), true),
        (
            Some(Fetch {
                error: Some(FetchError {
                    class: FetchErrorClass::TlsExpired,
                    message: "expired".into(),
                }),
                ..Fetch::default()
            }),
            false,
        ),
        // The proxy could not be asked at all.
        (None, false),
    ];
    for (first, refetch) in cases {
        let mut plan = CheckPlan::new("example.com", Options::default());
        let status = first.as_ref().and_then(|f| f.status);
        let taken = drive(&mut plan, healthy, |browser| {
            if browser {
                Some(fetched(200, POLICY))
            } else {
                first.clone()
            }
        });
        let want = if refetch {
            vec![false, true]
        } else {
            vec![false]
        };
        assert_eq!(fetches(&taken), want, "first fetch {status:?}");
        assert_eq!(
            plan.observations().policy_browser.is_some(),
            refetch,
            "first fetch {status:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Observations and the report
// ---------------------------------------------------------------------------

#[test]
fn a_healthy_domain_is_enforced_with_every_observation_filed() {
    let previous = Previous {
        id: "20240101".into(),
        body: Body(POLICY.as_bytes().to_vec()),
    };
    let mut plan = CheckPlan::new(
        "example.com",
        Options {
            previous: Some(previous.clone()),
            ..Options::default()
        },
    );
    drive(&mut plan, healthy, |_| Some(fetched(200, POLICY)));
    assert!(plan.is_done());
    assert_eq!(plan.dns_unavailable(), None);
    assert!(!plan.dns_partial());
    let r = plan.report();
    assert_eq!(r.verdict, Verdict::Enforced, "{:#?}", r.findings);
    let o = &r.observations;
    assert_eq!(o.sts_txt.records, vec!["v=STSv1; id=20240101"]);
    assert_eq!(
        o.tlsrpt_txt.records,
        vec!["v=TLSRPTv1; rua=mailto:tls@example.com"]
    );
    assert_eq!(o.policy_host.records, vec!["192.0.2.10"]);
    assert_eq!(o.policy_host.status, DnsStatus::Ok);
    assert_eq!(
        o.mx_cnames,
        vec![(
            "mx2.example.com".to_string(),
            "mail.provider.example".to_string()
        )]
    );
    assert_eq!(o.previous, Some(previous));
    assert_eq!(r.mx_coverage.len(), 2);
    assert_eq!(r.mx_coverage[0].host, "mx1.example.com");
    // The MX CNAME is a finding of its own.
    assert!(
        r.findings.iter().any(|f| f.code.as_str() == "mx-cname"),
        "{:#?}",
        r.findings
    );
}

#[test]
fn every_resolver_down_is_not_a_report_on_the_domain() {
    let mut plan = CheckPlan::new("example.com", Options::default());
    while let Some(action) = plan.next_action() {
        match action {
            Action::Lookup { id, .. } => {
                plan.on_lookup(id, Err(Failure::timeout("doh.example did not answer")))
            }
            Action::Fetch { id, .. } => plan.on_fetch(id, Some(fetched(200, POLICY))),
            Action::Probe { .. } | Action::MxTlsByProxy => {
                unreachable!("no probes without the option")
            }
        }
    }
    let down = plan.dns_unavailable().expect("resolvers down");
    assert_eq!(down.status, DnsStatus::Timeout);
    assert_eq!(down.detail, "doh.example did not answer");

    // One first lookup answered: the report stands, and says what failed.
    let mut plan = CheckPlan::new("example.com", Options::default());
    while let Some(action) = plan.next_action() {
        match action {
            Action::Lookup { id, question } if question.purpose == Purpose::Mx => {
                let bytes = healthy(&question.name, question.qtype);
                plan.on_lookup(
                    id,
                    read_answer(&question.name, question.qtype, &bytes, None, "t"),
                )
            }
            Action::Lookup { id, .. } => {
                plan.on_lookup(id, Err(Failure::unreachable("connection refused")))
            }
            Action::Fetch { id, .. } => plan.on_fetch(id, None),
            Action::Probe { .. } | Action::MxTlsByProxy => {
                unreachable!("no probes without the option")
            }
        }
    }
    assert_eq!(plan.dns_unavailable(), None);
    assert!(plan.dns_partial());
    let r = plan.report();
    assert_eq!(r.observations.sts_txt.status, DnsStatus::Unreachable);
    assert_eq!(
        r.observations.sts_txt.detail.as_deref(),
        Some("connection refused")
    );
}

#[test]
fn second_answers_are_ignored() {
    let mut plan = CheckPlan::new("example.com", Options::default());
    let mut ids = Vec::new();
    while let Some(action) = plan.next_action() {
        ids.push(action);
    }
    let Action::Lookup { id, question } = ids[0].clone() else {
        panic!("first action is a lookup")
    };
    let good = healthy(&question.name, question.qtype);
    plan.on_lookup(
        id,
        read_answer(&question.name, question.qtype, &good, None, "t"),
    );
    plan.on_lookup(id, Err(Failure::timeout("late")));
    assert_eq!(
        plan.observations().sts_txt.records,
        vec!["v=STSv1; id=20240101"]
    );
}

// ---------------------------------------------------------------------------
// Reading an answer
// ---------------------------------------------------------------------------

#[test]
fn an_answer_must_be_a_dns_message_for_the_question() {
    let q = "_mta-sts.example.com";
    let good = answer(q, RecordType::Txt, 0, &[txt("v=STSv1; id=1")]);
    assert!(read_answer(q, RecordType::Txt, &good, None, "r").is_ok());
    assert!(read_answer(
        q,
        RecordType::Txt,
        &good,
        Some("application/dns-message"),
        "r"
    )
    .is_ok());
    assert!(read_answer("_MTA-STS.Example.com.", RecordType::Txt, &good, None, "r").is_ok());

    // A captive portal's page.
    let e = read_answer(
        q,
        RecordType::Txt,
        b"<html>",
        Some("text/html; charset=utf-8"),
        "https://doh.example/dns-query",
    )
    .unwrap_err();
    assert_eq!(e.status, DnsStatus::Malformed);
    assert_eq!(
        e.detail,
        "https://doh.example/dns-query answered with content-type text/html, not application/dns-message"
    );
    // Another question's answer (a confused or spoofing server).
    let other = answer(
        "_mta-sts.example.net",
        RecordType::Txt,
        0,
        &[txt("v=STSv1; id=1")],
    );
    let e = read_answer(q, RecordType::Txt, &other, None, "r").unwrap_err();
    assert_eq!(e.status, DnsStatus::Malformed);
    assert!(e.detail.contains("_mta-sts.example.net"), "{}", e.detail);
    let wrong_type = answer(q, RecordType::Mx, 0, &[]);
    assert_eq!(
        read_answer(q, RecordType::Txt, &wrong_type, None, "r")
            .unwrap_err()
            .status,
        DnsStatus::Malformed
    );
    // Garbage.
    let e = read_answer(q, RecordType::Txt, &[0x12, 0x34, 0x81], None, "r").unwrap_err();
    assert_eq!(e.status, DnsStatus::Malformed);
    // An error RCODE may come without the question.
    let mut bare = vec![0, 0, 0x81, 0x82];
    bare.extend_from_slice(&[0; 8]);
    let r = read_answer(q, RecordType::Txt, &bare, None, "r").unwrap();
    assert_eq!(DnsStatus::of(&r.outcome), DnsStatus::ServFail);
    // A NOERROR answer without it is not an answer to anything.
    let mut bare = vec![0, 0, 0x81, 0x80];
    bare.extend_from_slice(&[0; 8]);
    assert!(read_answer(q, RecordType::Txt, &bare, None, "r").is_err());
}

// ---------------------------------------------------------------------------
// MX TLS probes (RFC 8461 §4.2)
// ---------------------------------------------------------------------------

const PROBED_AT: i64 = 1_750_000_000;

/// What a probe of a healthy MX host sees: STARTTLS, TLS 1.3, a trusted
/// certificate for the host, valid for two more months.
fn probe_as_healthy(host: &str, address: std::net::IpAddr) -> mtasts::sts::mx_tls::Probe {
    use mtasts::sts::mx_tls::{CertificateFacts, Probe, Session, Verification};
    Probe {
        host: host.into(),
        address: address.to_string(),
        at: PROBED_AT,
        starttls: Some(true),
        tls: Some(Session {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
        }),
        chain: vec![CertificateFacts {
            names: vec![host.into()],
            subject: format!("CN={host}"),
            issuer: "CN=Test CA".into(),
            not_before: PROBED_AT - 86_400,
            not_after: PROBED_AT + 60 * 86_400,
        }],
        verification: Some(Verification::Verified),
        trusted: Some(true),
        ..Probe::default()
    }
}

fn with_mx_tls() -> Options {
    Options {
        mx_tls: true,
        ..Options::default()
    }
}

fn aaaa(ip: [u8; 16]) -> (u16, Vec<u8>) {
    (RecordType::Aaaa.code(), ip.to_vec())
}

/// The healthy zone plus addresses: mx1 has one IPv4 and one IPv6
/// address, mx2 one IPv4 address.
fn healthy_with_addresses(q: &str, t: RecordType) -> Vec<u8> {
    let mut v6 = [0u8; 16];
    v6[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    v6[15] = 1;
    match (q, t) {
        ("mx1.example.com", RecordType::A) => answer(q, t, 0, &[a([192, 0, 2, 1])]),
        ("mx1.example.com", RecordType::Aaaa) => answer(q, t, 0, &[aaaa(v6)]),
        ("mx2.example.com", RecordType::A) => answer(q, t, 0, &[a([192, 0, 2, 2])]),
        _ => healthy(q, t),
    }
}

fn probes(actions: &[Action]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Probe { host, address, .. } => Some((host.clone(), address.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn without_the_option_there_are_no_address_lookups_and_no_probes() {
    let mut plan = CheckPlan::new("example.com", Options::default());
    let taken = drive(&mut plan, healthy_with_addresses, |_| {
        Some(fetched(200, POLICY))
    });
    assert!(probes(&taken).is_empty());
    assert!(!lookups(&taken)
        .iter()
        .any(|(n, t)| n == "mx1.example.com" && *t == RecordType::A));
    assert!(plan.report().observations.mx_tls.is_empty());
}

#[test]
fn each_address_of_each_mx_host_is_probed_once_both_families_are_answered() {
    let mut plan = CheckPlan::new("example.com", with_mx_tls());
    let taken = drive(&mut plan, healthy_with_addresses, |_| {
        Some(fetched(200, POLICY))
    });
    let asked = lookups(&taken);
    for h in ["mx1.example.com", "mx2.example.com"] {
        for t in [RecordType::A, RecordType::Aaaa] {
            assert!(asked.contains(&(h.to_string(), t)), "{h} {t}");
        }
    }
    let mut p = probes(&taken);
    p.sort();
    assert_eq!(
        p,
        vec![
            ("mx1.example.com".to_string(), "192.0.2.1".to_string()),
            ("mx1.example.com".to_string(), "2001:db8::1".to_string()),
            ("mx2.example.com".to_string(), "192.0.2.2".to_string()),
        ]
    );
    assert!(plan.is_done());
    let r = plan.report();
    // MX order, IPv4 first, whatever order the answers came in.
    let seen: Vec<(&str, &str)> = r
        .observations
        .mx_tls
        .iter()
        .map(|p| (p.host.as_str(), p.address.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("mx1.example.com", "192.0.2.1"),
            ("mx1.example.com", "2001:db8::1"),
            ("mx2.example.com", "192.0.2.2"),
        ]
    );
    assert_eq!(r.verdict, Verdict::Enforced, "{:?}", r.findings);
    assert_eq!(r.mx_tls.len(), 3);
}

#[test]
fn a_probe_is_outstanding_until_answered_and_the_plan_keeps_its_host_and_address() {
    let mut plan = CheckPlan::new("example.com", with_mx_tls());
    let mut held = Vec::new();
    while let Some(action) = plan.next_action() {
        match action {
            Action::Lookup { id, question } => {
                let bytes = healthy_with_addresses(&question.name, question.qtype);
                let r = read_answer(&question.name, question.qtype, &bytes, None, "test");
                plan.on_lookup(id, r);
            }
            Action::Fetch { id, .. } => plan.on_fetch(id, Some(fetched(200, POLICY))),
            Action::Probe { id, host, address } => held.push((id, host, address)),
            Action::MxTlsByProxy => unreachable!("not asked for"),
        }
    }
    assert_eq!(held.len(), 3);
    assert!(!plan.is_done());
    assert_eq!(plan.outstanding(), 3);
    for (id, _, address) in &held {
        // A shell that writes the wrong host cannot move a result.
        plan.on_probe(*id, probe_as_healthy("evil.example.net", *address));
        plan.on_probe(*id, probe_as_healthy("second.example.net", *address));
    }
    assert!(plan.is_done());
    let hosts: Vec<String> = plan
        .observations()
        .mx_tls
        .iter()
        .map(|p| p.host.clone())
        .collect();
    assert_eq!(
        hosts,
        ["mx1.example.com", "mx1.example.com", "mx2.example.com"]
    );
}

#[test]
fn an_mx_host_without_address_is_reported_without_a_probe() {
    let mut plan = CheckPlan::new("example.com", with_mx_tls());
    let zone = |q: &str, t: RecordType| match (q, t) {
        ("mx1.example.com", RecordType::A) => answer(q, t, 0, &[a([192, 0, 2, 1])]),
        _ => healthy(q, t),
    };
    let taken = drive(&mut plan, zone, |_| Some(fetched(200, POLICY)));
    assert_eq!(probes(&taken).len(), 1);
    let r = plan.report();
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"mx-tls-no-address"), "{codes:?}");
    assert_eq!(r.verdict, Verdict::Enforced);
    assert_eq!(r.observations.mx_tls[1].host, "mx2.example.com");
    assert_eq!(r.observations.mx_tls[1].address, "");
}

#[test]
fn probes_are_bounded_per_host_and_per_check() {
    use mtasts::sts::plan::{MAX_ADDRESSES_PER_MX, MAX_PROBES};
    let mut plan = CheckPlan::new("example.com", with_mx_tls());
    let zone = |q: &str, t: RecordType| match (q, t) {
        ("example.com", RecordType::Mx) => {
            let hosts: Vec<(u16, Vec<u8>)> = (0..40)
                .map(|i| mx(10, &format!("mx{i}.example.com")))
                .collect();
            answer(q, t, 0, &hosts)
        }
        (h, RecordType::A) if h.starts_with("mx") => {
            let ips: Vec<(u16, Vec<u8>)> = (1..=20).map(|i| a([192, 0, 2, i])).collect();
            answer(q, t, 0, &ips)
        }
        _ => healthy(q, t),
    };
    let taken = drive(&mut plan, zone, |_| Some(fetched(200, POLICY)));
    let p = probes(&taken);
    assert_eq!(p.len(), MAX_PROBES);
    let first = p.iter().filter(|(h, _)| h == &p[0].0).count();
    assert_eq!(first, MAX_ADDRESSES_PER_MX);
    assert!(plan.is_done());
}

// ---------------------------------------------------------------------------
// MX TLS through the proxy (a shell that cannot open port 25)
// ---------------------------------------------------------------------------

fn by_proxy() -> Options {
    Options {
        mx_tls_by_proxy: true,
        ..Options::default()
    }
}

#[test]
fn the_proxy_is_asked_once_with_the_first_questions_and_its_probes_are_judged_by_the_core() {
    use mtasts::sts::mx_tls::Status;
    let mut plan = CheckPlan::new("example.com", by_proxy());
    // Everything the plan hands out before any answer: the proxy is asked
    // then, beside the DNS questions, so the check stays one round trip.
    let mut first = Vec::new();
    while let Some(action) = plan.next_action() {
        first.push(action);
    }
    let asked = first.iter().filter(|a| **a == Action::MxTlsByProxy).count();
    assert_eq!(asked, 1, "{first:?}");
    // The proxy answers before the MX answer arrives; a host the MX answer
    // does not name is dropped when the report is made.
    let mut wrong = probe_as_healthy("mx2.example.com", [192, 0, 2, 2].into());
    wrong.chain[0].names = vec!["mail.provider.example".into()];
    plan.on_mx_tls_by_proxy(Some(vec![
        wrong,
        probe_as_healthy("mx1.example.com", [192, 0, 2, 1].into()),
        // Not an MX host of the domain: not the proxy's to report on.
        probe_as_healthy("elsewhere.example.net", [192, 0, 2, 9].into()),
    ]));
    let mut pending = first;
    while let Some(action) = pending.pop().or_else(|| plan.next_action()) {
        match action {
            Action::Lookup { id, question } => {
                let bytes = healthy(&question.name, question.qtype);
                plan.on_lookup(
                    id,
                    read_answer(&question.name, question.qtype, &bytes, None, "t"),
                );
            }
            Action::Fetch { id, .. } => plan.on_fetch(id, Some(fetched(200, POLICY))),
            Action::Probe { .. } => unreachable!("the shell does not probe itself"),
            Action::MxTlsByProxy => {}
        }
    }
    // A second answer changes nothing.
    plan.on_mx_tls_by_proxy(Some(Vec::new()));
    assert!(plan.is_done());
    let r = plan.report();
    let seen: Vec<(&str, Status)> = r
        .mx_tls
        .iter()
        .map(|x| (x.host.as_str(), x.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("mx1.example.com", Status::Valid),
            ("mx2.example.com", Status::Invalid)
        ],
        "MX order, foreign hosts dropped"
    );
    assert_eq!(r.verdict, Verdict::Broken);
    assert!(r.summary.contains("mx2.example.com"), "{}", r.summary);
}

#[test]
fn a_proxy_that_cannot_probe_leaves_the_verdict_to_the_rest() {
    let mut plan = CheckPlan::new("example.com", by_proxy());
    while let Some(action) = plan.next_action() {
        match action {
            Action::Lookup { id, question } => {
                let bytes = healthy(&question.name, question.qtype);
                plan.on_lookup(
                    id,
                    read_answer(&question.name, question.qtype, &bytes, None, "t"),
                );
            }
            Action::Fetch { id, .. } => plan.on_fetch(id, Some(fetched(200, POLICY))),
            Action::Probe { .. } => unreachable!(),
            Action::MxTlsByProxy => plan.on_mx_tls_by_proxy(None),
        }
    }
    assert!(plan.is_done());
    let r = plan.report();
    assert_eq!(r.verdict, Verdict::Enforced);
    assert!(r.mx_tls.is_empty());
}

#[test]
fn no_mx_host_no_proxy_probe_counts() {
    let mut plan = CheckPlan::new("example.com", by_proxy());
    let null_mx = |q: &str, t: RecordType| match (q, t) {
        ("example.com", RecordType::Mx) => answer(q, t, 0, &[mx(0, ".")]),
        _ => healthy(q, t),
    };
    // The proxy is asked at once and (here) answers with a probe of mx1:
    // the domain's own MX answer names no host, so nothing is judged.
    let taken = drive(&mut plan, null_mx, |_| Some(fetched(200, POLICY)));
    assert!(taken.contains(&Action::MxTlsByProxy));
    assert!(plan.is_done());
    assert!(plan.report().mx_tls.is_empty());
}

#[test]
fn the_proxy_plan_asks_only_the_mx_and_probes_at_most_ten_hosts() {
    use mtasts::sts::plan::MAX_PROXY_MX_HOSTS;
    let mut plan = CheckPlan::mx_tls_only("Example.COM.");
    let zone = |q: &str, t: RecordType| match (q, t) {
        ("example.com", RecordType::Mx) => {
            let hosts: Vec<(u16, Vec<u8>)> = (0..12)
                .map(|i| mx(10 + i, &format!("mx{i}.example.com")))
                .collect();
            answer(q, t, 0, &hosts)
        }
        (h, RecordType::A) if h.starts_with("mx") => answer(q, t, 0, &[a([192, 0, 2, 1])]),
        _ => answer(q, t, NXDOMAIN, &[]),
    };
    let taken = drive(&mut plan, zone, |_| unreachable!("no policy fetch"));
    assert!(fetches(&taken).is_empty());
    let asked = lookups(&taken);
    assert_eq!(asked[0], ("example.com".to_string(), RecordType::Mx));
    assert!(asked[1..]
        .iter()
        .all(|(_, t)| matches!(t, RecordType::A | RecordType::Aaaa)));
    let p = probes(&taken);
    assert_eq!(p.len(), MAX_PROXY_MX_HOSTS);
    assert_eq!(p[0].0, "mx0.example.com");
    assert!(plan.is_done());
    assert_eq!(
        plan.mx_hosts_left_out(),
        ["mx10.example.com", "mx11.example.com"]
    );
    assert_eq!(plan.observations().mx_tls.len(), MAX_PROXY_MX_HOSTS);
}
