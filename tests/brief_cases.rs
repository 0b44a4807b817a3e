//! Every trap described in the five articles the product was specified from
//! (missing or stale TXT id, wrong path, redirects, wrong Content-Type, bad
//! certificate, MX not covered, max_age, testing to enforce, TLS-RPT,
//! teardown, CDN bot blocking, GitHub Pages .nojekyll, MX CNAMEs), run
//! through the report and checked for the verdict and the finding a mail
//! admin must see.

use mtasts::sts::mx::MxHost;
use mtasts::sts::report::{
    build, Body, DnsStatus, Fetch, FetchError, FetchErrorClass, Lookup, Observations, Previous,
    Report, Verdict,
};
use mtasts::sts::Severity;

const D: &str = "example.com";
const POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 1209600\r\n";

fn fetch(status: u16, ct: &str, body: &str) -> Fetch {
    Fetch {
        url: format!("https://mta-sts.{D}/.well-known/mta-sts.txt"),
        status: Some(status),
        headers: vec![("content-type".into(), ct.into())],
        body: Some(Body(body.as_bytes().to_vec())),
        ..Fetch::default()
    }
}

fn mx(hosts: &[&str]) -> Lookup<MxHost> {
    Lookup::ok(
        hosts
            .iter()
            .enumerate()
            .map(|(i, h)| MxHost {
                preference: 10 * (i as u16 + 1),
                host: h.to_string(),
            })
            .collect(),
    )
}

fn healthy() -> Observations {
    Observations {
        domain: D.into(),
        sts_txt: Lookup::ok(vec!["v=STSv1; id=20240101000000".into()]),
        policy: Some(fetch(200, "text/plain", POLICY)),
        policy_host: Lookup::ok(vec!["192.0.2.10".into()]),
        mx: mx(&["mx1.example.com", "mx2.example.com"]),
        tlsrpt_txt: Lookup::ok(vec![format!("v=TLSRPTv1; rua=mailto:tls@{D}")]),
        ..Observations::default()
    }
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

#[track_caller]
fn check(obs: Observations, verdict: Verdict, must: &[&str]) -> Report {
    let r = build(obs);
    let c = codes(&r);
    assert_eq!(r.verdict, verdict, "codes {c:?}: {}", r.summary);
    for m in must {
        assert!(c.contains(m), "expected {m} in {c:?}");
    }
    r
}

#[test]
fn healthy_enforce_is_enforced_with_full_coverage() {
    let r = check(healthy(), Verdict::Enforced, &[]);
    assert!(
        !r.findings.iter().any(|f| f.severity != Severity::Info),
        "{:?}",
        codes(&r)
    );
    assert_eq!(r.sts_id.as_deref(), Some("20240101000000"));
    assert!(r.mx_coverage.iter().all(|c| c.pattern.is_some()));
    assert!(r.summary.contains("require TLS"));
    // The JSON shape carries the verdict as kebab-case and the coverage table.
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["verdict"], "enforced");
    assert_eq!(v["mx_coverage"][0]["host"], "mx1.example.com");
    assert_eq!(v["mx_coverage"][0]["pattern"], "mx1.example.com");
    let back: Report = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

#[test]
fn no_txt_record_means_not_configured() {
    let mut o = healthy();
    o.sts_txt = Lookup::status(DnsStatus::NxDomain);
    o.policy = Some(Fetch {
        error: Some(FetchError {
            class: FetchErrorClass::NoAddress,
            message: String::new(),
        }),
        ..Fetch::default()
    });
    check(o, Verdict::NotConfigured, &["txt-missing"]);
}

#[test]
fn policy_served_without_txt_is_broken() {
    let mut o = healthy();
    o.sts_txt = Lookup::status(DnsStatus::NoData);
    let r = check(o, Verdict::Broken, &["txt-missing"]);
    assert!(r.findings[0].message.contains("only fetch it after"));
}

#[test]
fn stale_id_after_a_policy_edit_is_pointed_out() {
    let mut o = healthy();
    o.previous = Some(Previous {
        id: "20240101000000".into(),
        body: Body(POLICY.replace("enforce", "testing").into_bytes()),
    });
    let r = check(o, Verdict::Broken, &["id-not-bumped"]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code.as_str() == "id-not-bumped")
        .unwrap();
    assert_ne!(f.corrected.as_deref(), Some("v=STSv1; id=20240101000000"));
    let mut o = healthy();
    o.previous = Some(Previous {
        id: "1".into(),
        body: Body(POLICY.as_bytes().to_vec()),
    });
    check(o, Verdict::Enforced, &["id-changed-policy-same"]);
}

#[test]
fn wrong_path_404_and_github_pages_hint() {
    let mut o = healthy();
    o.policy = Some(fetch(
        404,
        "text/html",
        "<html><body>Not Found</body></html>",
    ));
    let r = check(o, Verdict::Broken, &["policy-http-status"]);
    assert!(r.findings.iter().any(|f| f.message.contains(".nojekyll")));
}

#[test]
fn redirects_are_never_followed() {
    for status in [301, 302, 307, 308] {
        let mut o = healthy();
        let mut f = fetch(status, "text/html", "");
        f.headers.push((
            "location".into(),
            "https://www.example.com/.well-known/mta-sts.txt".into(),
        ));
        o.policy = Some(f);
        let r = check(o, Verdict::Broken, &["policy-redirect"]);
        assert!(r
            .findings
            .iter()
            .any(|f| f.message.contains("https://www.example.com/")));
    }
}

#[test]
fn html_body_and_wrong_content_type() {
    let mut o = healthy();
    o.policy = Some(fetch(
        200,
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><head></head><body>app</body></html>",
    ));
    check(o, Verdict::Broken, &["policy-html", "policy-content-type"]);
    let mut o = healthy();
    o.policy = Some(fetch(200, "application/octet-stream", POLICY));
    let r = check(o, Verdict::Enforced, &["policy-content-type"]);
    assert!(r.findings.iter().any(|f| f.severity == Severity::Warning));
}

#[test]
fn certificate_failures_each_have_their_own_code() {
    for (class, code) in [
        (FetchErrorClass::TlsExpired, "policy-tls-expired"),
        (FetchErrorClass::TlsHostname, "policy-tls-hostname"),
        (FetchErrorClass::TlsUntrusted, "policy-tls-untrusted"),
        (FetchErrorClass::Timeout, "policy-timeout"),
        (FetchErrorClass::ConnectionRefused, "policy-connect"),
        (FetchErrorClass::NoAddress, "policy-host-missing"),
        (FetchErrorClass::BodyTooLarge, "policy-too-large"),
    ] {
        let mut o = healthy();
        o.policy = Some(Fetch {
            error: Some(FetchError {
                class,
                message: "handshake said so".into(),
            }),
            ..Fetch::default()
        });
        let r = check(o, Verdict::Broken, &[code]);
        assert!(r.summary.contains("cannot apply"));
    }
}

#[test]
fn microsoft_365_exact_host_instead_of_wildcard() {
    let mut o = healthy();
    o.mx = mx(&["contoso-com.mail.protection.outlook.com"]);
    o.policy = Some(fetch(
        200,
        "text/plain",
        "version: STSv1\r\nmode: enforce\r\nmx: mail.protection.outlook.com\r\nmax_age: 604800\r\n",
    ));
    let r = check(o, Verdict::Broken, &["mx-not-covered", "mx-pattern-unused"]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code.as_str() == "mx-not-covered")
        .unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.corrected.as_deref(),
        Some("mx: *.mail.protection.outlook.com")
    );
    assert_eq!(r.mx_coverage[0].pattern, None);
}

#[test]
fn google_needs_both_families_and_wildcards_cover_one_label() {
    let mut o = healthy();
    o.mx = mx(&[
        "aspmx.l.google.com",
        "alt1.aspmx.l.google.com",
        "aspmx2.googlemail.com",
    ]);
    o.policy = Some(fetch(200, "text/plain", "version: STSv1\r\nmode: enforce\r\nmx: aspmx.l.google.com\r\nmx: *.aspmx.l.google.com\r\nmax_age: 604800\r\n"));
    let r = check(o, Verdict::Broken, &["mx-not-covered"]);
    assert_eq!(
        r.mx_coverage[1].pattern.as_deref(),
        Some("*.aspmx.l.google.com")
    );
    assert!(r
        .findings
        .iter()
        .any(|f| f.corrected.as_deref() == Some("mx: *.googlemail.com")));
    // One level too deep is not covered, and the message says why.
    let mut o = healthy();
    o.mx = mx(&["a.b.mx.example.com"]);
    o.policy = Some(fetch(
        200,
        "text/plain",
        "version: STSv1\r\nmode: enforce\r\nmx: *.mx.example.com\r\nmax_age: 604800\r\n",
    ));
    let r = check(o, Verdict::Broken, &["mx-not-covered"]);
    assert!(r
        .findings
        .iter()
        .any(|f| f.message.contains("exactly one label")));
}

#[test]
fn uncovered_mx_in_testing_is_a_warning_not_broken() {
    let mut o = healthy();
    o.policy = Some(fetch(
        200,
        "text/plain",
        &POLICY.replace("enforce", "testing"),
    ));
    o.mx = mx(&["mx1.example.com", "mx3.example.com"]);
    let r = check(o, Verdict::Testing, &["mx-not-covered", "mode-testing"]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code.as_str() == "mx-not-covered")
        .unwrap();
    assert_eq!(f.severity, Severity::Warning);
}

#[test]
fn mx_that_is_a_cname() {
    let mut o = healthy();
    o.mx_cnames = vec![("mx1.example.com".into(), "mail.hoster.example".into())];
    check(o, Verdict::Enforced, &["mx-cname"]);
}

#[test]
fn cdn_bot_check_blocks_mail_servers_only() {
    let mut o = healthy();
    o.policy = Some(fetch(
        403,
        "text/html",
        "<html><body>Checking your browser</body></html>",
    ));
    o.policy_browser = Some(fetch(200, "text/plain", POLICY));
    check(o, Verdict::Broken, &["policy-ua-blocked"]);
}

#[test]
fn max_age_too_low_or_too_high() {
    let mut o = healthy();
    o.policy = Some(fetch(200, "text/plain", &POLICY.replace("1209600", "3600")));
    check(o, Verdict::Enforced, &["max-age-short"]);
    let mut o = healthy();
    o.policy = Some(fetch(
        200,
        "text/plain",
        &POLICY.replace("1209600", "63115200"),
    ));
    check(o, Verdict::Broken, &["policy-max-age-too-large"]);
}

#[test]
fn testing_mode_and_tls_rpt() {
    let mut o = healthy();
    o.policy = Some(fetch(
        200,
        "text/plain",
        &POLICY.replace("enforce", "testing"),
    ));
    o.tlsrpt_txt = Lookup::status(DnsStatus::NxDomain);
    let r = check(o, Verdict::Testing, &["mode-testing", "tlsrpt-missing"]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code.as_str() == "tlsrpt-missing")
        .unwrap();
    assert_eq!(f.severity, Severity::Warning);
    let mut o = healthy();
    o.tlsrpt_txt = Lookup::ok(vec!["v=TLSRPTv1;".into()]);
    check(o, Verdict::Enforced, &["tlsrpt-rua-missing"]);
    let mut o = healthy();
    o.tlsrpt_txt = Lookup::ok(vec![
        "v=TLSRPTv1; rua=mailto:a@example.com,mailto:b@example.net".into(),
    ]);
    let r = check(o, Verdict::Enforced, &["tlsrpt-rua-multiple"]);
    assert_eq!(r.tlsrpt_rua.unwrap().len(), 2);
}

#[test]
fn teardown_with_mode_none() {
    let mut o = healthy();
    o.policy = Some(fetch(
        200,
        "text/plain",
        "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n",
    ));
    let r = check(o, Verdict::None, &["mode-none"]);
    assert!(!codes(&r).contains(&"mx-not-covered"));
}

#[test]
fn two_sts_records_and_syntax_errors() {
    let mut o = healthy();
    o.sts_txt = Lookup::ok(vec!["v=STSv1; id=1".into(), "v=STSv1; id=2".into()]);
    check(o, Verdict::Broken, &["txt-multiple"]);
    let mut o = healthy();
    o.sts_txt = Lookup::ok(vec!["v=STSv1; id=2024-01-01".into()]);
    check(o, Verdict::Broken, &["txt-id-invalid"]);
    let mut o = healthy();
    o.sts_txt = Lookup::ok(vec!["v=spf1 -all".into(), "v=STSv1; id=1".into()]);
    check(o, Verdict::Enforced, &["txt-ignored-record"]);
}

#[test]
fn dns_failures_null_mx_dane_and_delegation() {
    let mut o = healthy();
    o.sts_txt = Lookup::status(DnsStatus::ServFail);
    check(o, Verdict::Broken, &["txt-lookup-failed"]);
    let mut o = healthy();
    o.mx = Lookup::ok(vec![MxHost {
        preference: 0,
        host: String::new(),
    }]);
    check(o, Verdict::Enforced, &["mx-null"]);
    let mut o = healthy();
    o.tlsa_hosts = vec!["mx1.example.com".into()];
    o.sts_txt.cnames = vec!["example.com.policy.hoster.example".into()];
    o.policy_host.cnames = vec!["hosted.hoster.example".into()];
    check(
        o,
        Verdict::Enforced,
        &["dane-present", "txt-cname", "policy-host-cname"],
    );
}

#[test]
fn bom_and_lf_bodies() {
    let mut o = healthy();
    o.policy = Some(fetch(200, "text/plain", &format!("\u{feff}{POLICY}")));
    check(o, Verdict::Broken, &["policy-bom"]);
    let mut o = healthy();
    o.policy = Some(fetch(200, "text/plain", &POLICY.replace("\r\n", "\n")));
    check(o, Verdict::Enforced, &["policy-lf-line-endings"]);
}
