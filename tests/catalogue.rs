//! The finding codes are an interface (JSON reports, the app, the CLI):
//! this list pins them. Adding a code means adding it here; renaming one
//! breaks users and this test.

use mtasts::sts::{Code, Finding, Part, Severity};

const PINNED: &[&str] = &[
    "domain-invalid",
    "txt-missing",
    "txt-lookup-failed",
    "txt-multiple",
    "txt-not-sts",
    "txt-ignored-record",
    "txt-version",
    "txt-syntax",
    "txt-non-ascii",
    "txt-id-missing",
    "txt-id-invalid",
    "txt-duplicate-field",
    "txt-space-before-semicolon",
    "txt-extension",
    "txt-cname",
    "policy-host-cname",
    "policy-host-missing",
    "policy-connect",
    "policy-timeout",
    "policy-tls-expired",
    "policy-tls-hostname",
    "policy-tls-untrusted",
    "policy-tls",
    "policy-fetch-failed",
    "policy-redirect",
    "policy-http-status",
    "policy-ua-blocked",
    "policy-content-type",
    "policy-too-large",
    "policy-empty",
    "policy-html",
    "policy-rtf",
    "policy-front-matter",
    "policy-bom",
    "policy-invalid-utf8",
    "policy-non-ascii",
    "policy-control-char",
    "policy-bare-cr",
    "policy-lf-line-endings",
    "policy-mixed-line-endings",
    "policy-blank-line",
    "policy-leading-whitespace",
    "policy-trailing-whitespace",
    "policy-comment",
    "policy-syntax",
    "policy-field-name",
    "policy-unknown-field",
    "policy-duplicate-field",
    "policy-version-missing",
    "policy-version-invalid",
    "policy-mode-missing",
    "policy-mode-invalid",
    "policy-max-age-missing",
    "policy-max-age-invalid",
    "policy-max-age-too-large",
    "policy-mx-missing",
    "policy-mx-invalid",
    "policy-mx-wildcard",
    "policy-mx-u-label",
    "policy-mx-duplicate",
    "policy-mx-placeholder",
    "policy-mx-ip",
    "mode-testing",
    "mode-none",
    "max-age-short",
    "max-age-under-week",
    "mx-wildcard-broad",
    "mx-wildcard-own-domain",
    "mx-not-covered",
    "mx-pattern-unused",
    "mx-missing",
    "mx-null",
    "mx-lookup-failed",
    "mx-cname",
    "tlsrpt-missing",
    "tlsrpt-lookup-failed",
    "tlsrpt-multiple",
    "tlsrpt-not-tlsrpt",
    "tlsrpt-ignored-record",
    "tlsrpt-version",
    "tlsrpt-syntax",
    "tlsrpt-space-before-semicolon",
    "tlsrpt-rua-missing",
    "tlsrpt-rua-invalid",
    "tlsrpt-rua-scheme",
    "tlsrpt-rua-multiple",
    "tlsrpt-duplicate-field",
    "tlsrpt-extension",
    "dane-present",
    "mx-tls-no-starttls",
    "mx-tls-name-mismatch",
    "mx-tls-expired",
    "mx-tls-not-yet-valid",
    "mx-tls-untrusted",
    "mx-tls-old-version",
    "mx-tls-handshake",
    "mx-tls-expiring-soon",
    "mx-tls-no-address",
    "mx-tls-address-refused",
    "mx-tls-connect-failed",
    "mx-tls-port-blocked",
    "mx-tls-timeout",
    "mx-tls-busy",
    "mx-tls-rejected",
    "mx-tls-protocol",
    "id-not-bumped",
    "id-changed-policy-same",
];

#[test]
fn the_list_of_codes_is_pinned() {
    let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(all, PINNED);
}

#[test]
fn every_code_is_kebab_case_cites_an_rfc_and_round_trips() {
    for c in Code::ALL {
        let name = c.as_str();
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{name}"
        );
        let e = c.entry();
        assert!(e.rfc.starts_with("RFC "), "{name}");
        assert!(!e.title.is_empty());
        assert_eq!(Code::from_name(name), Some(*c));
        let json = serde_json::to_string(c).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), *c);
    }
}

#[test]
fn a_finding_serialises_with_code_severity_message_fix_rfc() {
    let f = Finding::new(
        Code::PolicyModeInvalid,
        "Line 2: mode is `live`.",
        "Set the mode.",
    )
    .at(2, 7)
    .corrected("mode: enforce");
    let v: serde_json::Value = serde_json::to_value(&f).unwrap();
    assert_eq!(v["code"], "policy-mode-invalid");
    assert_eq!(v["severity"], "error");
    assert_eq!(v["rfc"], "RFC 8461 §3.2");
    assert_eq!(v["line"], 2);
    assert_eq!(v["column"], 7);
    assert_eq!(v["corrected"], "mode: enforce");
    assert!(v["senders"].as_str().unwrap().contains("mailauth"));
    assert_eq!(f.severity, Severity::Error);
}

#[test]
fn every_code_belongs_to_the_part_its_name_and_section_say() {
    for c in Code::ALL {
        let (name, e) = (c.as_str(), c.entry());
        let by_name = match name.split('-').next().unwrap_or_default() {
            "domain" => Part::Domain,
            "txt" | "id" => Part::StsTxt,
            "tlsrpt" => Part::TlsRpt,
            "dane" => Part::Dane,
            "mx" if name.starts_with("mx-tls-") => Part::MxTls,
            "mx" if e.rfc.starts_with("RFC 8461 §10") => Part::Advice,
            "mx" => Part::Mx,
            "mode" | "max" => Part::Advice,
            "policy"
                if e.rfc.starts_with("RFC 8461 §3.3")
                    || matches!(name, "policy-host-missing" | "policy-content-type") =>
            {
                Part::Fetch
            }
            "policy" => Part::Policy,
            other => panic!("{name}: no part for prefix {other}"),
        };
        assert_eq!(e.part, by_name, "{name}");
        if e.part == Part::TlsRpt {
            assert!(e.rfc.starts_with("RFC 8460"), "{name}");
        }
    }
}

#[test]
fn tls_rpt_findings_never_affect_the_verdict() {
    let tlsrpt: Vec<Code> = Code::ALL
        .iter()
        .copied()
        .filter(|c| c.entry().part == Part::TlsRpt)
        .collect();
    assert!(tlsrpt.len() >= 10, "{tlsrpt:?}");
    for c in &tlsrpt {
        assert!(!c.entry().affects_verdict, "{c}");
    }
    // The parts senders apply MTA-STS by can all break it.
    for c in Code::ALL {
        let e = c.entry();
        if matches!(e.part, Part::StsTxt | Part::Fetch | Part::Policy | Part::Mx) {
            assert!(e.affects_verdict, "{c}");
        }
    }
}

#[test]
fn a_report_with_only_tls_rpt_errors_keeps_its_verdict() {
    use mtasts::sts::mx::MxHost;
    use mtasts::sts::report::{build, Body, Fetch, Lookup, Observations, Verdict};

    let observe = |mode: &str, tlsrpt: Vec<String>| Observations {
        domain: "example.com".into(),
        sts_txt: Lookup::ok(vec!["v=STSv1; id=1".into()]),
        policy: Some(Fetch {
            status: Some(200),
            headers: vec![("content-type".into(), "text/plain".into())],
            body: Some(Body(
                format!(
                    "version: STSv1\r\nmode: {mode}\r\nmx: mx.example.com\r\nmax_age: 1209600\r\n"
                )
                .into_bytes(),
            )),
            ..Fetch::default()
        }),
        mx: Lookup::ok(vec![MxHost {
            preference: 10,
            host: "mx.example.com".into(),
        }]),
        tlsrpt_txt: Lookup::ok(tlsrpt),
        ..Observations::default()
    };
    let broken_records: &[&[&str]] = &[
        &["v=TLSRPTv1;"],
        &["v=TLSRPTv1; rua=ftp://reports.example.com"],
        &[
            "v=TLSRPTv1; rua=mailto:a@example.com",
            "v=TLSRPTv1; rua=mailto:b@example.com",
        ],
        &["v=TLSRPTv1 rua=mailto:a@example.com"],
    ];
    for (mode, verdict) in [
        ("enforce", Verdict::Enforced),
        ("testing", Verdict::Testing),
    ] {
        for records in broken_records {
            let r = build(observe(
                mode,
                records.iter().map(|s| s.to_string()).collect(),
            ));
            let errors: Vec<Code> = r
                .findings
                .iter()
                .filter(|f| f.is_error())
                .map(|f| f.code)
                .collect();
            assert!(!errors.is_empty(), "{records:?} should be an error");
            assert!(
                errors.iter().all(|c| c.entry().part == Part::TlsRpt),
                "{records:?}: {errors:?}"
            );
            assert_eq!(r.verdict, verdict, "{records:?}: {errors:?}");
        }
        // The same report with a policy error is broken: the verdict does
        // look at errors, only not at TLS-RPT ones.
        let mut o = observe(mode, vec!["v=TLSRPTv1;".into()]);
        o.sts_txt = Lookup::ok(vec!["v=STSv1;".into()]);
        let r = build(o);
        assert_eq!(r.verdict, Verdict::Broken, "{:?}", r.findings);
        assert!(r.findings.iter().any(|f| f.code == Code::TxtIdMissing));
    }
}
