//! Table tests derived from the RFC text: RFC 8461 (§3.1 TXT, §3.2 policy,
//! §4.1 matching, Appendix A and B) and RFC 8460 §3. Each case names the
//! section it comes from.

use mtasts::sts::lint::{lint, Kind};
use mtasts::sts::{mx, policy, txt, Code};

fn codes(kind: Kind, input: &str) -> (bool, Vec<&'static str>) {
    let l = lint(kind, input.as_bytes(), None);
    (
        l.valid,
        l.findings.iter().map(|f| f.code.as_str()).collect(),
    )
}

#[track_caller]
fn expect(kind: Kind, input: &str, valid: bool, must: &[&str]) {
    let (v, c) = codes(kind, input);
    assert_eq!(v, valid, "{kind:?} {input:?}: valid={v}, codes {c:?}");
    for m in must {
        assert!(c.contains(m), "{kind:?} {input:?}: expected {m}, got {c:?}");
    }
}

#[test]
fn rfc8461_3_1_txt_records() {
    use Kind::Txt;
    // §3.1 and Appendix A example.
    expect(Txt, "v=STSv1; id=20160831085700Z;", true, &[]);
    let r = txt::parse("v=STSv1; id=20160831085700Z;").unwrap();
    assert_eq!(r.id, "20160831085700Z");
    // Delimiter is *WSP ";" *WSP; one trailing delimiter allowed.
    expect(Txt, "v=STSv1;id=1", true, &[]);
    expect(Txt, "v=STSv1;id=1;", true, &[]);
    expect(Txt, "v=STSv1;\tid=1 ;  ", true, &[]);
    expect(Txt, "v=STSv1; id=1;;", false, &["txt-syntax"]);
    expect(Txt, "v=STSv1;; id=1", false, &["txt-syntax"]);
    // Nothing may trail the last field but a delimiter.
    expect(Txt, "v=STSv1; id=1 ", false, &["txt-syntax"]);
    // Version: case-sensitive, first, exact.
    expect(Txt, "v=stsv1; id=1", false, &["txt-version"]);
    expect(Txt, " v=STSv1; id=1", false, &["txt-version"]);
    expect(Txt, "v=STSv2; id=1", false, &["txt-version"]);
    expect(Txt, "id=1; v=STSv1", false, &["txt-not-sts"]);
    expect(Txt, "v=STSv1 id=1", false, &["txt-syntax"]);
    // Erratum 6285: valid ABNF, named leniency.
    expect(Txt, "v=STSv1 ; id=1", true, &["txt-space-before-semicolon"]);
    // id is 1*32(ALPHA / DIGIT).
    expect(
        Txt,
        "v=STSv1; id=12345678901234567890123456789012",
        true,
        &[],
    );
    expect(
        Txt,
        "v=STSv1; id=123456789012345678901234567890123",
        false,
        &["txt-id-invalid"],
    );
    expect(Txt, "v=STSv1; id=2024-01-01", false, &["txt-id-invalid"]);
    expect(Txt, "v=STSv1; id=", false, &["txt-id-invalid"]);
    expect(Txt, "v=STSv1", false, &["txt-id-missing"]);
    expect(Txt, "v=STSv1;", false, &["txt-id-missing"]);
    expect(Txt, "v=STSv1; ID=1", false, &["txt-id-missing"]);
    // Extensions: ext-name / ext-value rules; unknown fields are ignored.
    expect(
        Txt,
        "v=STSv1; id=1; ext.v-1_x=abc",
        true,
        &["txt-extension"],
    );
    expect(Txt, "v=STSv1; id=1; _x=abc", false, &["txt-syntax"]);
    expect(Txt, "v=STSv1; id=1; x=a=b", false, &["txt-syntax"]);
    expect(Txt, "v=STSv1; id=1; x=", false, &["txt-syntax"]);
    expect(Txt, "v=STSv1; id=1; x=a b", false, &["txt-syntax"]);
    // US-ASCII only.
    expect(Txt, "v=STSv1; id=1; x=é", false, &["txt-non-ascii"]);
    // Duplicate id: first wins (the §3.2 rule), named.
    expect(Txt, "v=STSv1; id=1; id=2", true, &["txt-duplicate-field"]);
    assert_eq!(txt::parse("v=STSv1; id=1; id=2").unwrap().id, "1");
    // A typed error carries the column.
    let e = txt::parse("v=STSv1; id=abc!").unwrap_err();
    assert_eq!(e.code, Code::TxtIdInvalid);
    assert_eq!(e.column, 13);
}

#[test]
fn rfc8461_3_1_discard_rule() {
    let recs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let sel = txt::select(&recs(&["v=spf1 -all", "v=STSv1; id=7"]));
    assert_eq!(sel.record.unwrap().id, "7");
    assert!(sel
        .findings
        .iter()
        .any(|f| f.code == Code::TxtIgnoredRecord));
    let sel = txt::select(&recs(&["v=STSv1; id=1", "v=STSv1; id=2"]));
    assert!(sel.record.is_none());
    assert!(sel
        .findings
        .iter()
        .any(|f| f.code == Code::TxtMultiple && f.is_error()));
    let sel = txt::select(&recs(&["google-site-verification=abc"]));
    assert_eq!(sel.sts_count, 0);
}

fn pol(lines: &[&str], term: &str) -> String {
    lines.iter().map(|l| format!("{l}{term}")).collect()
}

#[test]
fn rfc8461_3_2_policy_examples() {
    for (name, body) in [
        ("3.2", include_str!("fixtures/rfc/8461-3.2-example.txt")),
        (
            "appendix-a",
            include_str!("fixtures/rfc/8461-appendix-a.txt"),
        ),
    ] {
        let p = policy::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!p.mx.is_empty(), "{name}");
    }
    let p = policy::parse(include_bytes!("fixtures/rfc/8461-3.2-example.txt")).unwrap();
    assert_eq!(p.mode, policy::Mode::Enforce);
    assert_eq!(p.max_age, 604_800);
    assert_eq!(p.mx.len(), 3);
    assert!(p.mx[1].wildcard);
}

#[test]
fn rfc8461_3_2_policy_grammar() {
    use Kind::Policy;
    let ok = [
        "version: STSv1",
        "mode: enforce",
        "mx: mail.example.com",
        "max_age: 604800",
    ];
    expect(Policy, &pol(&ok, "\r\n"), true, &[]);
    // LF is in the ABNF (erratum 6253): valid, named.
    expect(Policy, &pol(&ok, "\n"), true, &["policy-lf-line-endings"]);
    // The last terminator is optional.
    expect(Policy, pol(&ok, "\r\n").trim_end(), true, &[]);
    // Fields in any order.
    let mut rev = ok;
    rev.reverse();
    expect(Policy, &pol(&rev, "\r\n"), true, &[]);
    // ":" *WSP: no space needed after the colon, none allowed before it.
    expect(
        Policy,
        "version:STSv1\r\nmode:enforce\r\nmx:mail.example.com\r\nmax_age:1\r\n",
        true,
        &[],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode : enforce\r\nmx: a.example\r\nmax_age: 604800\r\n",
        false,
        &["policy-syntax"],
    );
    // No leading whitespace; trailing *WSP is allowed.
    expect(
        Policy,
        "version: STSv1\r\n mode: enforce\r\nmx: a.example\r\nmax_age: 604800\r\n",
        false,
        &["policy-leading-whitespace"],
    );
    expect(
        Policy,
        "version: STSv1 \r\nmode: enforce\t\r\nmx: a.example\r\nmax_age: 604800\r\n",
        true,
        &["policy-trailing-whitespace"],
    );
    // Empty lines are not in the grammar.
    expect(
        Policy,
        "version: STSv1\r\n\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 604800\r\n",
        false,
        &["policy-blank-line"],
    );
    expect(
        Policy,
        &(pol(&ok, "\r\n") + "\r\n"),
        false,
        &["policy-blank-line"],
    );
    // Case-sensitive values and names.
    expect(
        Policy,
        "version: stsv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 604800\r\n",
        false,
        &["policy-version-invalid"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: Enforce\r\nmx: a.example\r\nmax_age: 604800\r\n",
        false,
        &["policy-mode-invalid"],
    );
    expect(
        Policy,
        "version: STSv1\r\nMode: enforce\r\nmx: a.example\r\nmax_age: 604800\r\n",
        false,
        &["policy-mode-missing", "policy-unknown-field"],
    );
    // Required fields.
    expect(
        Policy,
        "mode: enforce\r\nmx: a.example\r\nmax_age: 604800\r\n",
        false,
        &["policy-version-missing"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmx: a.example\r\nmax_age: 604800\r\n",
        false,
        &["policy-mode-missing"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: enforce\r\nmx: a.example\r\n",
        false,
        &["policy-max-age-missing"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: enforce\r\nmax_age: 604800\r\n",
        false,
        &["policy-mx-missing"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: testing\r\nmax_age: 604800\r\n",
        false,
        &["policy-mx-missing"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n",
        true,
        &["mode-none"],
    );
    // max_age: 1*10 DIGIT, at most 31557600 (erratum 7282).
    expect(
        Policy,
        "version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 31557600\r\n",
        true,
        &[],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 31557601\r\n",
        false,
        &["policy-max-age-too-large"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 99999999999\r\n",
        false,
        &["policy-max-age-invalid"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: -1\r\n",
        false,
        &["policy-max-age-invalid"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 1w\r\n",
        false,
        &["policy-max-age-invalid"],
    );
    expect(
        Policy,
        "version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 0\r\n",
        true,
        &["max-age-short"],
    );
    // The first of a duplicated non-mx field wins.
    let dup = "version: STSv1\r\nmode: testing\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 604800\r\nmax_age: 1\r\n";
    expect(Policy, dup, true, &["policy-duplicate-field"]);
    let p = policy::parse(dup.as_bytes()).unwrap();
    assert_eq!((p.mode, p.max_age), (policy::Mode::Testing, 604_800));
    // Unknown fields are ignored; their values follow ext-value.
    expect(
        Policy,
        &(pol(&ok, "\r\n") + "foo: bar baz\r\n"),
        true,
        &["policy-unknown-field"],
    );
    expect(
        Policy,
        &(pol(&ok, "\r\n") + "foo: grüße\r\n"),
        true,
        &["policy-unknown-field"],
    );
    expect(
        Policy,
        &(pol(&ok, "\r\n") + "foo:\r\n"),
        false,
        &["policy-syntax"],
    );
    expect(
        Policy,
        &(pol(&ok, "\r\n") + "foo: a\tb\r\n"),
        false,
        &["policy-control-char"],
    );
    expect(
        Policy,
        &(pol(&ok, "\r\n") + "-foo: bar\r\n"),
        false,
        &["policy-field-name"],
    );
    // Bare CR is not a terminator.
    expect(
        Policy,
        "version: STSv1\rmode: enforce\r\nmx: a.example\r\nmax_age: 604800\r\n",
        false,
        &["policy-bare-cr"],
    );
    // Mixed terminators are valid ABNF, named.
    expect(
        Policy,
        "version: STSv1\r\nmode: enforce\nmx: a.example\r\nmax_age: 604800\r\n",
        true,
        &["policy-mixed-line-endings"],
    );
}

#[test]
fn rfc8461_3_2_mx_values() {
    use Kind::Policy;
    let with =
        |mx: &str| format!("version: STSv1\r\nmode: enforce\r\nmx: {mx}\r\nmax_age: 604800\r\n");
    for good in [
        "mail.example.com",
        "*.example.net",
        "MX1.Example.COM",
        "a",
        "xn--bcher-kva.example",
        "1mail.example",
    ] {
        expect(Kind::Policy, &with(good), true, &[]);
    }
    for (bad, code) in [
        ("mail.example.com.", "policy-mx-invalid"),
        ("*.*.example.com", "policy-mx-wildcard"),
        ("mail.*.example.com", "policy-mx-wildcard"),
        ("*example.com", "policy-mx-wildcard"),
        ("*", "policy-mx-wildcard"),
        (".example.com", "policy-mx-wildcard"),
        ("mail_1.example.com", "policy-mx-invalid"),
        ("-mail.example.com", "policy-mx-invalid"),
        ("mail-.example.com", "policy-mx-invalid"),
        ("mail..example.com", "policy-mx-invalid"),
        ("mail.example.com:25", "policy-mx-invalid"),
        ("mail.example.com, mx2.example.com", "policy-mx-invalid"),
        ("bücher.example", "policy-mx-u-label"),
        ("", "policy-mx-invalid"),
    ] {
        expect(Kind::Policy, &with(bad), false, &[code]);
    }
    // A dotted quad is a valid RFC 5321 Domain but never an MX host name.
    expect(Policy, &with("192.0.2.1"), true, &["policy-mx-ip"]);
    expect(Policy, &with("*.com"), true, &["mx-wildcard-broad"]);
}

#[test]
fn rfc8461_4_1_matching() {
    let m = |p: &str, h: &str| mx::matches(p, h).unwrap();
    // The §4.1 examples.
    assert!(m("*.example.com", "mail.example.com"));
    assert!(!m("*.example.com", "example.com"));
    assert!(!m("*.example.com", "foo.bar.example.com"));
    // Case-insensitive; trailing dot on the host ignored.
    assert!(m("*.EXAMPLE.com", "Mail.Example.COM."));
    assert!(m("mail.example.com", "MAIL.EXAMPLE.COM."));
    assert!(!m("mail.example.com", "mail.example.org"));
    assert!(!m("mail.example.com", "xmail.example.com"));
    assert!(!m("*.example.com", "mailexample.com"));
    assert!(!m("*.example.com", "mail.example.com.evil"));
    // Invalid inputs are errors, not "no match".
    assert!(mx::matches("*.*.example.com", "a.b.example.com").is_err());
    assert!(mx::matches("mail.example.com.", "mail.example.com").is_err());
    assert!(mx::matches("*.example.com", "").is_err());
    assert!(mx::matches("*.example.com", "a..example.com").is_err());
    assert!(mx::matches("", "mail.example.com").is_err());
}

#[test]
fn rfc8461_appendix_b_reference_agrees() {
    let cases = [
        ("*.example.com", "mail.example.com"),
        ("*.example.com", "example.com"),
        ("*.example.com", "a.b.example.com"),
        ("mx.example.com", "MX.example.com."),
        ("*.mx.microsoft", "contoso-com.o-v1.mx.microsoft"),
        ("*.o-v1.mx.microsoft", "contoso-com.o-v1.mx.microsoft"),
    ];
    for (p, h) in cases {
        assert_eq!(
            mx::matches(p, h).unwrap(),
            mx::reference_policy_matches(h, &[p]),
            "{p} vs {h}"
        );
    }
}

#[test]
fn rfc8460_3_tlsrpt() {
    use Kind::Tlsrpt;
    // §3.1.1, §3.1.2 and Appendix A.
    expect(
        Tlsrpt,
        "v=TLSRPTv1;rua=mailto:reports@example.com",
        true,
        &[],
    );
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt",
        true,
        &[],
    );
    // Comma-separated list with *WSP around commas.
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.com/x",
        true,
        &["tlsrpt-rua-multiple"],
    );
    expect(Tlsrpt, "v=TLSRPTv1;", false, &["tlsrpt-rua-missing"]);
    expect(Tlsrpt, "v=TLSRPTv1", false, &["tlsrpt-rua-missing"]);
    expect(
        Tlsrpt,
        "v=tlsrptv1; rua=mailto:a@example.com",
        false,
        &["tlsrpt-version"],
    );
    expect(Tlsrpt, "v=STSv1; id=1", false, &["tlsrpt-not-tlsrpt"]);
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=http://r.example.com/x",
        false,
        &["tlsrpt-rua-scheme"],
    );
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=reports@example.com",
        false,
        &["tlsrpt-rua-invalid"],
    );
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=mailto:",
        false,
        &["tlsrpt-rua-invalid"],
    );
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=mailto:a!b@example.com",
        false,
        &["tlsrpt-rua-invalid"],
    );
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=https://",
        false,
        &["tlsrpt-rua-invalid"],
    );
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
        true,
        &["tlsrpt-duplicate-field"],
    );
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=mailto:a@example.com; ext=1",
        true,
        &["tlsrpt-extension"],
    );
    expect(
        Tlsrpt,
        "v=TLSRPTv1; rua=mailto:a@example.com ",
        false,
        &["tlsrpt-syntax"],
    );
}
