//! Every behaviour each sender model claims, through the whole report, with
//! the source the claim rests on; and every behaviour in [`MODELS`] covered.

use super::*;
use crate::sts::mx::MxHost;
use crate::sts::report::{build, Body, Fetch, Lookup, Report};

const D: &str = "example.com";
const HEALTHY: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n";

const GMAIL: &str = "Gmail";
const MICROSOFT: &str = "Microsoft 365 (Exchange Online)";
const PMSR: &str = "Postfix + postfix-mta-sts-resolver";
const TLSPOL: &str = "Postfix + postfix-tlspol";
const OLD_POSTFIX: &str = "Postfix before 3.10.5";
const STALWART: &str = "Stalwart";
const MOX: &str = "mox";
const MADDY: &str = "maddy (go-mtasts)";

fn observations(body: &str, content_type: Option<&str>) -> Observations {
    Observations {
        domain: D.into(),
        sts_txt: Lookup::ok(vec!["v=STSv1; id=20240101000000".into()]),
        policy: Some(Fetch {
            url: format!("https://mta-sts.{D}/.well-known/mta-sts.txt"),
            status: Some(200),
            headers: content_type
                .map(|c| vec![("content-type".to_string(), c.to_string())])
                .unwrap_or_default(),
            body: Some(Body(body.as_bytes().to_vec())),
            ..Fetch::default()
        }),
        policy_host: Lookup::ok(vec!["192.0.2.10".into()]),
        mx: Lookup::ok(vec![MxHost {
            preference: 10,
            host: "mx1.example.com".into(),
        }]),
        tlsrpt_txt: Lookup::ok(vec![format!("v=TLSRPTv1; rua=mailto:tls@{D}")]),
        ..Observations::default()
    }
}

fn policy(body: &str) -> Observations {
    observations(body, Some("text/plain"))
}

fn healthy() -> Observations {
    policy(HEALTHY)
}

/// One claim: under `obs`, `sender` reaches `verdict` (the RFC reading
/// being `rfc`), because of `because`, citing a source containing `source`.
struct Row {
    case: &'static str,
    obs: fn() -> Observations,
    rfc: Verdict,
    sender: &'static str,
    verdict: Verdict,
    because: &'static [Code],
    source: &'static str,
}

fn reading<'a>(r: &'a Report, sender: &str) -> &'a Reading {
    r.by_sender
        .iter()
        .find(|x| x.sender == sender)
        .unwrap_or_else(|| panic!("no reading for {sender}"))
}

use Verdict::{Broken, Enforced, NotConfigured, Testing};

const ROWS: &[Row] = &[
    // Content-Type, RFC 8461 §3.2: a SHOULD; two senders make it a MUST.
    Row {
        case: "served as application/octet-stream",
        obs: || observations(HEALTHY, Some("application/octet-stream")),
        rfc: Enforced,
        sender: PMSR,
        verdict: Broken,
        because: &[Code::PolicyContentType],
        source: "resolver.py@0069f9f1",
    },
    Row {
        case: "served as application/octet-stream",
        obs: || observations(HEALTHY, Some("application/octet-stream")),
        rfc: Enforced,
        sender: MADDY,
        verdict: Broken,
        because: &[Code::PolicyContentType],
        source: "cache.go@22f09fbe",
    },
    Row {
        case: "served without a Content-Type",
        obs: || observations(HEALTHY, None),
        rfc: Enforced,
        sender: MADDY,
        verdict: Broken,
        because: &[Code::PolicyContentType],
        source: "cache.go@22f09fbe",
    },
    Row {
        case: "served as application/octet-stream",
        obs: || observations(HEALTHY, Some("application/octet-stream")),
        rfc: Enforced,
        sender: MOX,
        verdict: Enforced,
        because: &[],
        source: "mtasts/mtasts.go@d1b87cdb",
    },
    Row {
        case: "text/plain with another charset",
        obs: || observations(HEALTHY, Some("text/plain; charset=iso-8859-1")),
        rfc: Enforced,
        sender: PMSR,
        verdict: Enforced,
        because: &[],
        source: "resolver.py@0069f9f1",
    },
    // Blank lines, RFC 8461 §3.2 has none.
    Row {
        case: "a blank line",
        obs: || {
            policy("version: STSv1\r\nmode: enforce\r\n\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Broken,
        sender: PMSR,
        verdict: Enforced,
        because: &[Code::PolicyBlankLine],
        source: "utils.py@0cb4f470",
    },
    Row {
        case: "a blank line",
        obs: || {
            policy("version: STSv1\r\nmode: enforce\r\n\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Broken,
        sender: TLSPOL,
        verdict: Enforced,
        because: &[Code::PolicyBlankLine],
        source: "mta-sts.go@aa894e09",
    },
    Row {
        case: "a blank line",
        obs: || {
            policy("version: STSv1\r\nmode: enforce\r\n\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Broken,
        sender: STALWART,
        verdict: Enforced,
        because: &[Code::PolicyBlankLine],
        source: "parse.rs@36253a42",
    },
    Row {
        case: "a blank line",
        obs: || {
            policy("version: STSv1\r\nmode: enforce\r\n\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Broken,
        sender: MOX,
        verdict: Broken,
        because: &[],
        source: "parse.go@bc38693b",
    },
    Row {
        case: "a blank line",
        obs: || {
            policy("version: STSv1\r\nmode: enforce\r\n\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Broken,
        sender: MADDY,
        verdict: Broken,
        because: &[],
        source: "mtasts.go@6cf8b828",
    },
    // Duplicate keys, RFC 8461 §3.2: the first wins.
    Row {
        case: "mode testing, then mode enforce",
        obs: || {
            policy("version: STSv1\r\nmode: testing\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Testing,
        sender: PMSR,
        verdict: Enforced,
        because: &[Code::PolicyDuplicateField],
        source: "utils.py@0cb4f470",
    },
    Row {
        case: "mode testing, then mode enforce",
        obs: || {
            policy("version: STSv1\r\nmode: testing\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Testing,
        sender: STALWART,
        verdict: Enforced,
        because: &[Code::PolicyDuplicateField],
        source: "parse.rs@36253a42",
    },
    Row {
        case: "mode enforce, then mode testing (LF)",
        obs: || {
            policy("version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\nmode: testing")
        },
        rfc: Enforced,
        sender: MADDY,
        verdict: Testing,
        because: &[Code::PolicyDuplicateField],
        source: "mtasts.go@6cf8b828",
    },
    Row {
        case: "mode enforce, then mode testing",
        obs: || {
            policy("version: STSv1\r\nmode: enforce\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Enforced,
        sender: MOX,
        verdict: Enforced,
        because: &[],
        source: "parse.go@bc38693b",
    },
    // max_age over 31557600, RFC 8461 §3.2 (erratum 7282).
    Row {
        case: "max_age 31557601",
        obs: || {
            policy(
                "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 31557601\r\n",
            )
        },
        rfc: Broken,
        sender: TLSPOL,
        verdict: Enforced,
        because: &[Code::PolicyMaxAgeTooLarge],
        source: "mta-sts.go@aa894e09",
    },
    Row {
        case: "max_age 31557601",
        obs: || {
            policy(
                "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 31557601\r\n",
            )
        },
        rfc: Broken,
        sender: STALWART,
        verdict: Enforced,
        because: &[Code::PolicyMaxAgeTooLarge],
        source: "lookup.rs@50a2f50e",
    },
    Row {
        case: "max_age 31557601",
        obs: || {
            policy(
                "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 31557601\r\n",
            )
        },
        rfc: Broken,
        sender: MOX,
        verdict: Enforced,
        because: &[Code::PolicyMaxAgeTooLarge],
        source: "parse.go@bc38693b",
    },
    Row {
        case: "max_age 9999999999 (past 32 bits)",
        obs: || {
            policy(
                "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 9999999999\r\n",
            )
        },
        rfc: Broken,
        sender: MOX,
        verdict: Broken,
        because: &[],
        source: "parse.go@bc38693b",
    },
    Row {
        case: "max_age 31557601",
        obs: || {
            policy(
                "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 31557601\r\n",
            )
        },
        rfc: Broken,
        sender: MADDY,
        verdict: Enforced,
        because: &[Code::PolicyMaxAgeTooLarge],
        source: "mtasts.go@6cf8b828",
    },
    Row {
        case: "max_age 31557601",
        obs: || {
            policy(
                "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 31557601\r\n",
            )
        },
        rfc: Broken,
        sender: PMSR,
        verdict: Broken,
        because: &[],
        source: "resolver.py@0069f9f1",
    },
    Row {
        case: "max_age not a number",
        obs: || policy("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1w\r\n"),
        rfc: Broken,
        sender: STALWART,
        verdict: Enforced,
        because: &[Code::PolicyMaxAgeInvalid],
        source: "parse.rs@36253a42",
    },
    Row {
        case: "no max_age",
        obs: || policy("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"),
        rfc: Broken,
        sender: STALWART,
        verdict: Enforced,
        because: &[Code::PolicyMaxAgeMissing],
        source: "parse.rs@36253a42",
    },
    // max_age under a day.
    Row {
        case: "max_age 86399",
        obs: || {
            policy("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 86399\r\n")
        },
        rfc: Enforced,
        sender: GMAIL,
        verdict: Broken,
        because: &[Code::MaxAgeShort],
        source: "hardenize-public#73",
    },
    Row {
        case: "max_age 86399",
        obs: || {
            policy("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 86399\r\n")
        },
        rfc: Enforced,
        sender: STALWART,
        verdict: Enforced,
        because: &[],
        source: "parse.rs@36253a42",
    },
    Row {
        case: "max_age 600",
        obs: || {
            policy("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 600\r\n")
        },
        rfc: Enforced,
        sender: STALWART,
        verdict: Enforced,
        because: &[Code::MaxAgeShort],
        source: "lookup.rs@50a2f50e",
    },
    // MX hosts that are CNAMEs.
    Row {
        case: "an MX CNAME under enforce",
        obs: || Observations {
            mx_cnames: vec![("mx1.example.com".into(), "mail.provider.example".into())],
            ..healthy()
        },
        rfc: Enforced,
        sender: MICROSOFT,
        verdict: Broken,
        because: &[Code::MxCname],
        source: "does not follow MX CNAMEs",
    },
    Row {
        case: "an MX CNAME under testing",
        obs: || Observations {
            mx_cnames: vec![("mx1.example.com".into(), "mail.provider.example".into())],
            ..policy(
                "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n",
            )
        },
        rfc: Testing,
        sender: MICROSOFT,
        verdict: Testing,
        because: &[],
        source: "assumed RFC",
    },
    Row {
        case: "an MX CNAME under enforce",
        obs: || Observations {
            mx_cnames: vec![("mx1.example.com".into(), "mail.provider.example".into())],
            ..healthy()
        },
        rfc: Enforced,
        sender: GMAIL,
        verdict: Enforced,
        because: &[],
        source: "assumed RFC",
    },
    // Several TLS-RPT destinations.
    Row {
        case: "two rua",
        obs: || Observations {
            tlsrpt_txt: Lookup::ok(vec![
                "v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.net/tls".into(),
            ]),
            ..healthy()
        },
        rfc: Enforced,
        sender: MICROSOFT,
        verdict: Enforced,
        because: &[Code::TlsrptRuaMultiple],
        source: "only to the first rua",
    },
    // The TXT record, RFC 8461 §3.1.
    Row {
        case: "an id with a `!`",
        obs: || Observations {
            sts_txt: Lookup::ok(vec!["v=STSv1; id=abc!def".into()]),
            ..healthy()
        },
        rfc: Broken,
        sender: PMSR,
        verdict: Enforced,
        because: &[Code::TxtIdInvalid],
        source: "resolver.py@0069f9f1",
    },
    Row {
        case: "an id with a `!`",
        obs: || Observations {
            sts_txt: Lookup::ok(vec!["v=STSv1; id=abc!def".into()]),
            ..healthy()
        },
        rfc: Broken,
        sender: TLSPOL,
        verdict: Enforced,
        because: &[Code::TxtIdInvalid],
        source: "mta-sts.go@aa894e09",
    },
    Row {
        case: "an id with a `!`",
        obs: || Observations {
            sts_txt: Lookup::ok(vec!["v=STSv1; id=abc!def".into()]),
            ..healthy()
        },
        rfc: Broken,
        sender: MADDY,
        verdict: Enforced,
        because: &[Code::TxtIdInvalid],
        source: "mtasts.go@6cf8b828",
    },
    Row {
        case: "an id with a `!`",
        obs: || Observations {
            sts_txt: Lookup::ok(vec!["v=STSv1; id=abc!def".into()]),
            ..healthy()
        },
        rfc: Broken,
        sender: MOX,
        verdict: Broken,
        because: &[],
        source: "parse.go@bc38693b",
    },
    Row {
        case: "a record without id",
        obs: || Observations {
            sts_txt: Lookup::ok(vec!["v=STSv1;".into()]),
            ..healthy()
        },
        rfc: Broken,
        sender: TLSPOL,
        verdict: Enforced,
        because: &[Code::TxtIdMissing],
        source: "mta-sts.go@aa894e09",
    },
    Row {
        case: "two STS records",
        obs: || Observations {
            sts_txt: Lookup::ok(vec![
                "v=STSv1; id=20240101000000".into(),
                "v=STSv1; id=20240202000000".into(),
            ]),
            ..healthy()
        },
        rfc: Broken,
        sender: TLSPOL,
        verdict: Enforced,
        because: &[Code::TxtMultiple],
        source: "mta-sts.go@aa894e09",
    },
    Row {
        case: "two STS records",
        obs: || Observations {
            sts_txt: Lookup::ok(vec![
                "v=STSv1; id=20240101000000".into(),
                "v=STSv1; id=20240202000000".into(),
            ]),
            ..healthy()
        },
        rfc: Broken,
        sender: PMSR,
        verdict: Broken,
        because: &[],
        source: "resolver.py@0069f9f1",
    },
    Row {
        case: "an unrelated TXT beside the STS record",
        obs: || Observations {
            sts_txt: Lookup::ok(vec![
                "v=STSv1; id=20240101000000".into(),
                "google-site-verification=abc".into(),
            ]),
            ..healthy()
        },
        rfc: Enforced,
        sender: MADDY,
        verdict: Broken,
        because: &[Code::TxtIgnoredRecord],
        source: "cache.go@22f09fbe",
    },
    // Modes, RFC 8461 §5.
    Row {
        case: "mode testing",
        obs: || {
            policy("version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Testing,
        sender: TLSPOL,
        verdict: Verdict::None,
        because: &[Code::ModeTesting],
        source: "mta-sts.go@aa894e09",
    },
    Row {
        case: "mode none without mx",
        obs: || policy("version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n"),
        rfc: Verdict::None,
        sender: STALWART,
        verdict: Broken,
        because: &[Code::ModeNone],
        source: "parse.rs@36253a42",
    },
    Row {
        case: "mode none without mx",
        obs: || policy("version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n"),
        rfc: Verdict::None,
        sender: MADDY,
        verdict: Verdict::None,
        because: &[],
        source: "mtasts.go@6cf8b828",
    },
    // Whitespace and case.
    Row {
        case: "an indented mode line",
        obs: || {
            policy(
                "version: STSv1\r\n  mode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n",
            )
        },
        rfc: Broken,
        sender: TLSPOL,
        verdict: Enforced,
        because: &[Code::PolicyLeadingWhitespace],
        source: "mta-sts.go@aa894e09",
    },
    Row {
        case: "an indented mode line",
        obs: || {
            policy(
                "version: STSv1\r\n  mode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n",
            )
        },
        rfc: Broken,
        sender: STALWART,
        verdict: Enforced,
        because: &[Code::PolicyLeadingWhitespace],
        source: "parse.rs@36253a42",
    },
    Row {
        case: "an indented mode line",
        obs: || {
            policy(
                "version: STSv1\r\n  mode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n",
            )
        },
        rfc: Broken,
        sender: PMSR,
        verdict: Broken,
        because: &[],
        source: "utils.py@0cb4f470",
    },
    Row {
        case: "version in lower case",
        obs: || {
            policy("version: stsv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n")
        },
        rfc: Broken,
        sender: STALWART,
        verdict: Enforced,
        because: &[Code::PolicyVersionInvalid],
        source: "parse.rs@36253a42",
    },
    // MX patterns, RFC 8461 §4.1.
    Row {
        case: "an MX the enforce policy does not list",
        obs: || Observations {
            mx: Lookup::ok(vec![
                MxHost {
                    preference: 10,
                    host: "mx1.example.com".into(),
                },
                MxHost {
                    preference: 20,
                    host: "backup.example.net".into(),
                },
            ]),
            ..healthy()
        },
        rfc: Broken,
        sender: OLD_POSTFIX,
        verdict: Enforced,
        because: &[Code::MxNotCovered],
        source: "smtp_tls_enforce_sts_mx_patterns",
    },
    Row {
        case: "an MX the enforce policy does not list",
        obs: || Observations {
            mx: Lookup::ok(vec![
                MxHost {
                    preference: 10,
                    host: "mx1.example.com".into(),
                },
                MxHost {
                    preference: 20,
                    host: "backup.example.net".into(),
                },
            ]),
            ..healthy()
        },
        rfc: Broken,
        sender: PMSR,
        verdict: Broken,
        because: &[],
        source: "Postfix 3.10.5+",
    },
];

#[test]
fn each_sender_reads_each_case_as_its_source_says() {
    let mut failures = Vec::new();
    for row in ROWS {
        let report = build((row.obs)());
        assert_eq!(report.verdict, row.rfc, "{}: the RFC reading", row.case);
        let r = reading(&report, row.sender);
        if r.verdict != row.verdict || r.because != row.because || !r.source.contains(row.source) {
            failures.push(format!(
                "{} / {}: got {} {:?} ({}), want {} {:?} (source with {:?})",
                row.case,
                row.sender,
                r.verdict.as_str(),
                r.because,
                r.source,
                row.verdict.as_str(),
                row.because,
                row.source
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Every behaviour a model claims is shown by a row above to change that
/// sender's reading.
#[test]
fn every_claimed_behaviour_has_a_row() {
    for m in MODELS {
        assert!(!m.basis.is_empty(), "{}", m.name);
        for x in m.behaviours {
            assert!(!x.source.is_empty(), "{} {}", m.name, x.code);
            assert!(
                ROWS.iter()
                    .any(|r| r.sender == m.name && r.because.contains(&x.code)),
                "{}: no row shows {} ({})",
                m.name,
                x.code,
                x.source
            );
        }
    }
}

#[test]
fn a_healthy_domain_is_enforced_by_every_sender() {
    for body in [
        HEALTHY,
        "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\n",
    ] {
        let report = build(policy(body));
        assert_eq!(report.by_sender.len(), MODELS.len());
        for r in &report.by_sender {
            assert_eq!(r.verdict, Enforced, "{}", r.sender);
            assert!(r.because.is_empty(), "{}: {:?}", r.sender, r.because);
        }
        assert!(
            !report.summary.contains("Senders differ"),
            "{}",
            report.summary
        );
    }
}

#[test]
fn without_mta_sts_every_sender_agrees() {
    let report = build(Observations {
        sts_txt: Lookup::ok(Vec::new()),
        policy: None,
        ..healthy()
    });
    assert_eq!(report.verdict, NotConfigured);
    assert!(report
        .by_sender
        .iter()
        .all(|r| r.verdict == NotConfigured && r.because.is_empty()));
}

#[test]
fn the_summary_names_the_senders_that_split() {
    let report = build(observations(HEALTHY, Some("application/octet-stream")));
    assert!(
        report.summary.ends_with(
            "Senders differ: enforced for 6 of 8; Postfix + postfix-mta-sts-resolver and maddy (go-mtasts) will not apply this policy (the policy is not served as text/plain)."
        ),
        "{}",
        report.summary
    );
    assert_eq!(refused(report.verdict, &report.by_sender), 2);

    let report = build(policy(
        "version: STSv1\r\nmode: testing\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n",
    ));
    assert!(
        report.summary.contains("Postfix + postfix-mta-sts-resolver, Stalwart and maddy (go-mtasts) read it as enforced (a field other than mx appears twice)"),
        "{}",
        report.summary
    );
    assert_eq!(refused(report.verdict, &report.by_sender), 0);
}

#[test]
fn a_broken_domain_counts_no_refusals() {
    let report = build(policy("version: STSv1\r\nmode: enforce\r\n"));
    assert_eq!(report.verdict, Broken);
    assert_eq!(refused(report.verdict, &report.by_sender), 0);
}

#[test]
fn the_json_shape_is_sender_verdict_because_source() {
    let report = build(observations(HEALTHY, Some("application/octet-stream")));
    let v = serde_json::to_value(&report).unwrap();
    let pmsr = v["by_sender"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sender"] == PMSR)
        .unwrap();
    assert_eq!(pmsr["verdict"], "broken");
    assert_eq!(pmsr["because"], serde_json::json!(["policy-content-type"]));
    assert!(pmsr["source"].as_str().unwrap().contains("resolver.py"));
    let back: Report = serde_json::from_value(v).unwrap();
    assert_eq!(back.by_sender, report.by_sender);
}

#[test]
fn reversed_lines_keep_each_ending() {
    assert_eq!(reversed_lines(b"a\r\nb\r\nc"), b"c\r\nb\r\na\r\n");
    assert_eq!(reversed_lines(b"a\nb\n"), b"b\na\n");
    assert_eq!(reversed_lines(b"a"), b"a\n");
    assert_eq!(reversed_lines(b""), b"");
}
