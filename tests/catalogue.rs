//! The finding codes are an interface (JSON reports, the app, the CLI):
//! this list pins them. Adding a code means adding it here; renaming one
//! breaks users and this test.

use mtasts::sts::{Code, Finding, Severity};

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
    "tlsrpt-rua-missing",
    "tlsrpt-rua-invalid",
    "tlsrpt-rua-scheme",
    "tlsrpt-rua-multiple",
    "tlsrpt-duplicate-field",
    "tlsrpt-extension",
    "dane-present",
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
