//! The generator (RFC 8461 §3.1, §3.2; RFC 8460 §3): its output is what a
//! domain publishes, so it must lint clean.

use mtasts::sts::generate::{generate, timestamp_id, zone_txt, IdStrategy, Request};
use mtasts::sts::lint::{lint, Kind};
use mtasts::sts::policy::Mode;

fn req(mode: Mode, mx: &[&str], id: IdStrategy) -> Request {
    Request {
        domain: "Example.COM".into(),
        mode,
        mx: mx.iter().map(|s| s.to_string()).collect(),
        max_age: 604_800,
        id,
        rua: vec![],
        provider_wildcards: true,
        ttl: 3600,
    }
}

#[test]
fn policy_is_crlf_and_records_lint_clean() {
    let g = generate(&req(
        Mode::Enforce,
        &["mx1.example.com.", "MX2.example.com"],
        IdStrategy::Timestamp(1_700_000_000),
    ))
    .unwrap();
    assert_eq!(g.policy, "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 604800\r\n");
    assert_eq!(g.id, "20231114221320");
    assert_eq!(g.sts_txt, "v=STSv1; id=20231114221320");
    assert_eq!(
        g.tlsrpt_txt,
        "v=TLSRPTv1; rua=mailto:tls-reports@example.com"
    );
    assert_eq!(
        g.policy_url,
        "https://mta-sts.example.com/.well-known/mta-sts.txt"
    );
    assert!(g
        .zone
        .contains("_mta-sts.example.com.\t3600\tIN\tTXT\t\"v=STSv1; id=20231114221320\""));
    assert!(g.zone.contains("_smtp._tls.example.com.\t3600\tIN\tTXT\t"));
    for (kind, text) in [
        (Kind::Policy, &g.policy),
        (Kind::Txt, &g.sts_txt),
        (Kind::Tlsrpt, &g.tlsrpt_txt),
    ] {
        let l = lint(kind, text.as_bytes(), Some("example.com"));
        assert!(
            l.valid && l.findings.is_empty(),
            "{kind:?}: {:?}",
            l.findings
        );
    }
}

#[test]
fn provider_wildcards_are_suggested_and_applied() {
    let g = generate(&req(
        Mode::Testing,
        &[
            "contoso-com.mail.protection.outlook.com",
            "alt1.aspmx.l.google.com",
            "aspmx.l.google.com",
            "aspmx2.googlemail.com",
            "contoso-com.o-v1.mx.microsoft",
        ],
        IdStrategy::ContentHash,
    ))
    .unwrap();
    assert_eq!(
        g.mx,
        [
            "*.mail.protection.outlook.com",
            "*.aspmx.l.google.com",
            "aspmx.l.google.com",
            "*.googlemail.com",
            "*.o-v1.mx.microsoft"
        ]
    );
    assert!(g.suggestions.iter().any(|s| s.provider == "Microsoft 365"));
    let mut exact = req(
        Mode::Testing,
        &["contoso-com.mail.protection.outlook.com"],
        IdStrategy::ContentHash,
    );
    exact.provider_wildcards = false;
    assert_eq!(
        generate(&exact).unwrap().mx,
        ["contoso-com.mail.protection.outlook.com"]
    );
}

#[test]
fn id_strategies() {
    let a = generate(&req(
        Mode::Enforce,
        &["mx.example.com"],
        IdStrategy::ContentHash,
    ))
    .unwrap();
    let b = generate(&req(
        Mode::Enforce,
        &["mx.example.com"],
        IdStrategy::ContentHash,
    ))
    .unwrap();
    let c = generate(&req(
        Mode::Testing,
        &["mx.example.com"],
        IdStrategy::ContentHash,
    ))
    .unwrap();
    assert_eq!(a.id, b.id, "same policy, same id");
    assert_ne!(a.id, c.id, "changed policy, changed id");
    assert_eq!(a.id.len(), 20);
    let m = generate(&req(
        Mode::Enforce,
        &["mx.example.com"],
        IdStrategy::Manual("v2".into()),
    ))
    .unwrap();
    assert_eq!(m.sts_txt, "v=STSv1; id=v2");
    assert_eq!(timestamp_id(0), "19700101000000");
    assert_eq!(timestamp_id(951_782_400), "20000229000000");
    assert_eq!(timestamp_id(4_102_444_799), "20991231235959");
}

#[test]
fn bad_requests_say_what_to_change() {
    for (r, field) in [
        (req(Mode::Enforce, &[], IdStrategy::ContentHash), "mx"),
        (
            req(
                Mode::Enforce,
                &["mail_1.example.com"],
                IdStrategy::ContentHash,
            ),
            "mx",
        ),
        (
            req(
                Mode::Enforce,
                &["mx.example.com"],
                IdStrategy::Manual("2024-01-01".into()),
            ),
            "id",
        ),
        (
            Request {
                domain: "192.0.2.1".into(),
                ..req(Mode::Enforce, &["mx.example.com"], IdStrategy::ContentHash)
            },
            "domain",
        ),
        (
            Request {
                max_age: 40_000_000,
                ..req(Mode::Enforce, &["mx.example.com"], IdStrategy::ContentHash)
            },
            "max_age",
        ),
        (
            Request {
                rua: vec!["ftp://x.example".into()],
                ..req(Mode::Enforce, &["mx.example.com"], IdStrategy::ContentHash)
            },
            "rua",
        ),
    ] {
        let e = generate(&r).unwrap_err();
        assert_eq!(e.field, field, "{e}");
        assert!(!e.message.is_empty());
    }
    // Mode none needs no mx.
    let g = generate(&req(Mode::None, &[], IdStrategy::ContentHash)).unwrap();
    assert_eq!(
        g.policy,
        "version: STSv1\r\nmode: none\r\nmax_age: 604800\r\n"
    );
}

#[test]
fn long_txt_values_are_split_into_255_octet_strings() {
    let v = "x".repeat(600);
    let z = zone_txt(&v);
    assert_eq!(z.matches('"').count(), 6);
    assert_eq!(z.replace("\" \"", "").trim_matches('"'), v);
}
