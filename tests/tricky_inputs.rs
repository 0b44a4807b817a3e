//! Tricky inputs with every finding pinned: code, severity and position, in
//! the order the report lists them. A change in what the checker says about
//! any of these (a finding added, lost, reordered or moved) fails here.

use mtasts::sts::mx::MxHost;
use mtasts::sts::policy;
use mtasts::sts::report::{build, Body, DnsStatus, Fetch, Lookup, Observations, Previous, Verdict};
use mtasts::sts::Finding;

const D: &str = "example.com";
const POLICY: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n";

/// `code severity line:column`, or `code severity` without a position.
fn render(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| match f.position {
            Some(p) => format!("{} {} {}:{}", f.code, f.severity.as_str(), p.line, p.column),
            None => format!("{} {}", f.code, f.severity.as_str()),
        })
        .collect()
}

fn served(body: &str) -> Fetch {
    Fetch {
        url: format!("https://mta-sts.{D}/.well-known/mta-sts.txt"),
        status: Some(200),
        headers: vec![("content-type".into(), "text/plain".into())],
        body: Some(Body(body.as_bytes().to_vec())),
        ..Fetch::default()
    }
}

fn mx(hosts: &[&str]) -> Lookup<MxHost> {
    Lookup::ok(
        hosts
            .iter()
            .zip(1u16..)
            .map(|(h, i)| MxHost {
                preference: 10 * i,
                host: h.to_string(),
            })
            .collect(),
    )
}

fn healthy() -> Observations {
    Observations {
        domain: D.into(),
        sts_txt: Lookup::ok(vec!["v=STSv1; id=20240101000000".into()]),
        policy: Some(served(POLICY)),
        policy_host: Lookup::ok(vec!["192.0.2.10".into()]),
        mx: mx(&["mx1.example.com"]),
        tlsrpt_txt: Lookup::ok(vec![format!("v=TLSRPTv1; rua=mailto:tls@{D}")]),
        ..Observations::default()
    }
}

#[test]
fn policy_bodies_that_break_several_rules_at_once() {
    let table: &[(&[u8], bool, &[&str])] = &[
        (
            b"",
            false,
            &[
                "policy-empty error",
            ],
        ),
        (
            b"\xEF\xBB\xBFversion: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 604800\n\n \n",
            false,
            &[
                "policy-bom error 1:1",
                "policy-blank-line error 5:1",
                "policy-blank-line error 6:1",
                "policy-lf-line-endings info",
            ],
        ),
        (
            b"version: STSv1\r\nmode: Enforce \r\nmode: testing\r\nversion: STSv2\r\nmax_age: 86400\r\nmx: mx1.example.com\r\n",
            false,
            &[
                "policy-trailing-whitespace info 2:14",
                "policy-mode-invalid error 2:7",
                "policy-duplicate-field warning 3:1",
                "policy-duplicate-field warning 4:1",
            ],
        ),
        (
            b"version: STSv1\r\n# hosts\nmode: enforce\r\n  mx: mx1.example.com\r\nmax_age: 86400\rmx: b.example.com\r\n",
            false,
            &[
                "policy-comment error 2:1",
                "policy-leading-whitespace error 4:1",
                "policy-bare-cr error 5:15",
                "policy-max-age-invalid error 5:10",
                "policy-mixed-line-endings warning 2:1",
            ],
        ),
        (
            b"version : STSv1\nmode: testing\nmx:\n- mx1.example.com\nx!y: z\nmax_age: 86400\n",
            false,
            &[
                "policy-syntax error 1:8",
                "policy-mx-invalid error 3:4",
                "policy-syntax error 4:1",
                "policy-field-name error 5:1",
                "policy-lf-line-endings info",
            ],
        ),
        (
            b"version: STSv1\nmode: enforce\nmx: 192.0.2.1\nmx: MX1.example.com\nmx: mx1.example.com\nmax_age: 99999999\nextra:\nmaxage: 5\n",
            false,
            &[
                "policy-mx-ip warning 3:5",
                "policy-max-age-too-large error 6:10",
                "policy-syntax error 7:7",
                "policy-unknown-field info 7:1",
                "policy-unknown-field warning 8:1",
                // Duplicates are found after the last line, in one sort.
                "policy-mx-duplicate info 5:5",
                "policy-lf-line-endings info",
            ],
        ),
        (
            b"version: STSv1\nmode: none\nmax_age: 86400\n",
            true,
            &[
                "policy-lf-line-endings info",
            ],
        ),
        (
            b"version: STSv1\nmode: enforce\nmx: .example.com\nmax_age: 86400\n",
            false,
            &[
                "policy-mx-wildcard error 3:5",
                "policy-lf-line-endings info",
            ],
        ),
        (
            b"version: STSv1\nmode: enf\xCE\xBFrce\nmx: mx.ex\xC3\xA4mple.com\nmax_age: 6048OO\n",
            false,
            &[
                "policy-non-ascii error 2:10",
                "policy-mx-u-label error 3:5",
                "policy-max-age-invalid error 4:10",
                "policy-lf-line-endings info",
            ],
        ),
        (
            b"<html><body>404</body></html>",
            false,
            &[
                "policy-html error 1:1",
            ],
        ),
        (
            b"version: STSv1\nmode: \xffenforce\nmax_age: 1\nmx: a.b\n",
            false,
            &[
                "policy-invalid-utf8 error 2:7",
                "policy-non-ascii error 2:7",
                "policy-lf-line-endings info",
            ],
        ),
        (
            b"mode:\tenforce\x07\nversion: STSv1\nmx: smtp://mail.example.com:25\nmax_age: 86400",
            false,
            &[
                "policy-control-char error 1:14",
                "policy-mode-invalid error 1:7",
                "policy-mx-invalid error 3:5",
                "policy-lf-line-endings info",
            ],
        ),
        (
            b"version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmx: mail.example.com.\r\nmax_age: 31557600\r\nmx: *.*.example.com\r\n",
            false,
            &[
                "policy-mx-invalid error 4:5",
                "policy-mx-wildcard error 6:5",
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (body, valid, expected) in table {
        let checked = policy::check(body);
        let got = render(&checked.findings);
        if got != *expected || checked.policy.is_some() != *valid {
            failures.push(format!(
                "{:?}: valid={} {got:?}",
                String::from_utf8_lossy(body),
                checked.policy.is_some()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn observations_that_touch_several_rules_at_once() {
    let testing = POLICY.replace("enforce", "testing");
    let cases: Vec<(&str, Observations, Verdict, &[&str])> = vec![
        (
            "TXT lookup fails while the policy is served",
            Observations {
                sts_txt: Lookup::status(DnsStatus::ServFail),
                tlsrpt_txt: Lookup::status(DnsStatus::NoData),
                ..healthy()
            },
            Verdict::Broken,
            &["txt-lookup-failed error", "tlsrpt-missing info"],
        ),
        (
            "policy served without a TXT record",
            Observations {
                sts_txt: Lookup::status(DnsStatus::NoData),
                ..healthy()
            },
            Verdict::Broken,
            &["txt-missing error"],
        ),
        (
            "a TXT record in the wrong case is a near miss, not absence",
            Observations {
                sts_txt: Lookup::ok(vec!["v=stsv1; id=1".into(), "v=spf1 -all".into()]),
                policy: None,
                ..healthy()
            },
            Verdict::Broken,
            &["txt-version error 1:1", "txt-ignored-record info"],
        ),
        (
            "testing: a wildcard one label short of an MX host",
            Observations {
                policy: Some(served(&testing.replace("mx1.example.com", "*.example.com"))),
                mx: mx(&["a.b.example.com", "mx1.example.com"]),
                ..healthy()
            },
            Verdict::Testing,
            &[
                "mode-testing warning",
                "mx-not-covered warning",
                "mx-wildcard-own-domain info",
            ],
        ),
        (
            "bot check answers 403 to mail servers and 200 to browsers",
            Observations {
                policy: Some(Fetch {
                    status: Some(403),
                    ..served("")
                }),
                policy_browser: Some(served(POLICY)),
                ..healthy()
            },
            Verdict::Broken,
            &["policy-ua-blocked error"],
        ),
        (
            "null MX, DANE and an MX CNAME",
            Observations {
                mx: Lookup::ok(vec![MxHost {
                    preference: 0,
                    host: ".".into(),
                }]),
                mx_cnames: vec![("mx1.example.com".into(), "mail.hoster.example".into())],
                tlsa_hosts: vec!["mx1.example.com".into()],
                ..healthy()
            },
            Verdict::Enforced,
            &["mx-cname warning", "mx-null info", "dane-present info"],
        ),
        (
            "the policy changed but the id did not",
            Observations {
                previous: Some(Previous {
                    id: "20240101000000".into(),
                    body: Body(testing.clone().into_bytes()),
                }),
                ..healthy()
            },
            Verdict::Broken,
            &["id-not-bumped error"],
        ),
        (
            "teardown without TLS-RPT",
            Observations {
                policy: Some(served("version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n")),
                tlsrpt_txt: Lookup::status(DnsStatus::NxDomain),
                ..healthy()
            },
            Verdict::None,
            &["mode-none warning", "tlsrpt-missing info"],
        ),
        (
            "nothing published and the MX lookup times out",
            Observations {
                sts_txt: Lookup::status(DnsStatus::NxDomain),
                policy: None,
                mx: Lookup::status(DnsStatus::Timeout),
                tlsrpt_txt: Lookup::skipped(),
                ..healthy()
            },
            Verdict::NotConfigured,
            &["txt-missing error", "mx-lookup-failed error"],
        ),
        (
            "the domain does not exist",
            Observations {
                mx: Lookup::status(DnsStatus::NxDomain),
                ..healthy()
            },
            Verdict::Enforced,
            &["mx-missing warning"],
        ),
    ];
    let mut failures = Vec::new();
    for (name, obs, verdict, expected) in cases {
        let r = build(obs);
        let got = render(&r.findings);
        if got != expected || r.verdict != verdict {
            failures.push(format!("{name}: {:?} {got:?}", r.verdict));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_servfail_is_explained_once() {
    let mut sts_txt = Lookup::status(DnsStatus::ServFail);
    sts_txt.detail = Some(mtasts::sts::dns::Outcome::ServFail.describe());
    let r = build(Observations {
        sts_txt,
        ..healthy()
    });
    let f = r
        .findings
        .iter()
        .find(|f| f.code == mtasts::sts::Code::TxtLookupFailed)
        .expect("txt-lookup-failed");
    assert_eq!(f.message.matches("DNSSEC").count(), 1, "{}", f.message);
}

#[test]
fn a_max_age_in_seconds_is_not_repeated_in_words() {
    let l = mtasts::sts::lint::lint(
        mtasts::sts::lint::Kind::Policy,
        b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.net\r\nmax_age: 86399\r\n",
        Some("example.net"),
    );
    let f = l
        .findings
        .iter()
        .find(|f| f.code == mtasts::sts::Code::MaxAgeShort)
        .unwrap();
    assert!(
        f.message
            .contains("max_age is 86399 seconds, under one day"),
        "{}",
        f.message
    );
    // Under a week in enforce mode: a warning that says why.
    let l = mtasts::sts::lint::lint(
        mtasts::sts::lint::Kind::Policy,
        b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.net\r\nmax_age: 86400\r\n",
        Some("example.net"),
    );
    let f = l
        .findings
        .iter()
        .find(|f| f.code == mtasts::sts::Code::MaxAgeUnderWeek)
        .unwrap();
    assert_eq!(f.severity, mtasts::sts::Severity::Warning);
    assert!(f.message.contains("86400 seconds (1 day)"), "{}", f.message);
    assert!(f.message.contains("strips TLS"), "{}", f.message);
}

#[test]
fn tlsrpt_space_before_the_first_semicolon_is_a_warning() {
    let l = mtasts::sts::lint::lint(
        mtasts::sts::lint::Kind::Tlsrpt,
        b"v=TLSRPTv1 ; rua=mailto:tls@example.com",
        None,
    );
    let f = l
        .findings
        .iter()
        .find(|f| f.code == mtasts::sts::Code::TlsrptSpaceBeforeSemicolon)
        .expect("tlsrpt-space-before-semicolon");
    assert_eq!(f.severity, mtasts::sts::Severity::Warning);
    assert_eq!(
        f.corrected.as_deref(),
        Some("v=TLSRPTv1; rua=mailto:tls@example.com")
    );
}
