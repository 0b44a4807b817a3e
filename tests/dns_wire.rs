//! Wire-format tests for `sts::dns`: messages assembled byte by byte after
//! RFC 1035 §4.1, the way a resolver would send them, including the broken
//! ones a hostile or buggy resolver could send.

use mtasts::sts::dns::{
    self, Outcome, RData, Rcode, RecordType, WireError, WireErrorKind, TYPE_OPT, TYPE_RRSIG,
};
use mtasts::sts::lookup::{address_records, mx_records, txt_records, DnsStatus, Lookup};

fn txt_lookup(r: &dns::Response) -> Lookup<String> {
    Lookup::from_response(r, txt_records)
}

fn mx_lookup(r: &dns::Response) -> Lookup<mtasts::sts::mx::MxHost> {
    Lookup::from_response(r, mx_records)
}

fn address_lookup(r: &dns::Response) -> Lookup<String> {
    Lookup::from_response(r, address_records)
}
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// A tiny message writer for the tests (uncompressed unless a test writes a
// pointer by hand).
// ---------------------------------------------------------------------------

const QR: u16 = 0x8000;
const TC: u16 = 0x0200;
const RD: u16 = 0x0100;
const RA: u16 = 0x0080;
const AD: u16 = 0x0020;

fn name(n: &str) -> Vec<u8> {
    dns::encode_name(n).unwrap()
}

fn header(flags: u16, qd: u16, an: u16, ns: u16, ar: u16) -> Vec<u8> {
    let mut m = vec![0, 0];
    for v in [flags, qd, an, ns, ar] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    m
}

fn question(n: &str, t: u16) -> Vec<u8> {
    let mut q = name(n);
    q.extend_from_slice(&t.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}

fn rr_raw(owner: &[u8], t: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut r = owner.to_vec();
    r.extend_from_slice(&t.to_be_bytes());
    r.extend_from_slice(&1u16.to_be_bytes());
    r.extend_from_slice(&ttl.to_be_bytes());
    r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    r.extend_from_slice(rdata);
    r
}

fn rr(owner: &str, t: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    rr_raw(&name(owner), t, ttl, rdata)
}

fn txt_rdata(strings: &[&[u8]]) -> Vec<u8> {
    let mut d = Vec::new();
    for s in strings {
        d.push(s.len() as u8);
        d.extend_from_slice(s);
    }
    d
}

fn mx_rdata(pref: u16, exchange: &str) -> Vec<u8> {
    let mut d = pref.to_be_bytes().to_vec();
    d.extend_from_slice(&name(exchange));
    d
}

fn opt(ext_rcode: u8, do_bit: bool) -> Vec<u8> {
    let mut r = vec![0];
    r.extend_from_slice(&TYPE_OPT.to_be_bytes());
    r.extend_from_slice(&1232u16.to_be_bytes());
    r.extend_from_slice(&[ext_rcode, 0, if do_bit { 0x80 } else { 0 }, 0]);
    r.extend_from_slice(&0u16.to_be_bytes());
    r
}

/// A response: header flags and rcode, the question, answer records, and an
/// OPT record with DO.
fn response(flags: u16, qname: &str, qtype: RecordType, answers: &[Vec<u8>]) -> Vec<u8> {
    let mut m = header(QR | RD | RA | flags, 1, answers.len() as u16, 0, 1);
    m.extend_from_slice(&question(qname, qtype.code()));
    for a in answers {
        m.extend_from_slice(a);
    }
    m.extend_from_slice(&opt(0, true));
    m
}

const T_A: u16 = 1;
const T_CNAME: u16 = 5;
const T_MX: u16 = 15;
const T_TXT: u16 = 16;
const T_AAAA: u16 = 28;
const T_TLSA: u16 = 52;
const T_SOA: u16 = 6;

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

#[test]
fn query_is_rfc8484_shaped() {
    let q = dns::query("_mta-sts.Example.com", RecordType::Txt).unwrap();
    // ID 0 (RFC 8484 §4.1), RD, QDCOUNT 1, ARCOUNT 1.
    assert_eq!(&q[..12], &[0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    let mut qname = vec![8];
    qname.extend_from_slice(b"_mta-sts");
    qname.push(7);
    qname.extend_from_slice(b"Example");
    qname.push(3);
    qname.extend_from_slice(b"com");
    qname.push(0);
    assert_eq!(&q[12..12 + qname.len()], qname.as_slice());
    let rest = &q[12 + qname.len()..];
    // QTYPE TXT, QCLASS IN, then OPT: root, 41, 1232, DO, RDLEN 0.
    assert_eq!(
        rest,
        &[0, 16, 0, 1, 0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]
    );
}

#[test]
fn every_type_has_its_code() {
    let expect = [
        (RecordType::Txt, 16),
        (RecordType::Mx, 15),
        (RecordType::A, 1),
        (RecordType::Aaaa, 28),
        (RecordType::Cname, 5),
        (RecordType::Tlsa, 52),
    ];
    for (t, code) in expect {
        let q = dns::query("example.com", t).unwrap();
        let qt = &q[12 + 13..12 + 15];
        assert_eq!(u16::from_be_bytes([qt[0], qt[1]]), code, "{t}");
        assert_eq!(RecordType::from_code(code), Some(t));
    }
}

#[test]
fn query_with_id_sets_the_id() {
    let q = dns::query_with_id("example.com", RecordType::A, 0xbeef).unwrap();
    assert_eq!(&q[..2], &[0xbe, 0xef]);
}

#[test]
fn base64url_has_no_padding() {
    // RFC 8484 §4.1.1 example: www.example.com A, without the OPT record.
    let mut q = dns::query("www.example.com", RecordType::A).unwrap();
    q.truncate(q.len() - 11);
    q[11] = 0; // ARCOUNT 0
    assert_eq!(
        dns::base64url(&q),
        "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB"
    );
    let s = dns::query_base64url("example.com", RecordType::Mx).unwrap();
    assert!(!s.contains('=') && !s.contains('+') && !s.contains('/'));
    assert_eq!(
        dns::doh_get_url(
            "https://doh.example/dns-query",
            "example.com",
            RecordType::Mx
        )
        .unwrap(),
        format!("https://doh.example/dns-query?dns={s}")
    );
    assert_eq!(
        dns::doh_get_url("https://doh.example/q?ct", "example.com", RecordType::Mx).unwrap(),
        format!("https://doh.example/q?ct&dns={s}")
    );
}

#[test]
fn bad_names_are_errors_not_panics() {
    assert!(dns::query("a..b", RecordType::A).is_err());
    assert!(dns::query(&"x".repeat(64), RecordType::A).is_err());
    assert!(dns::query(&["abcdefghij"; 30].join("."), RecordType::A).is_err());
}

// ---------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------

#[test]
fn txt_strings_join_per_record_and_records_stay_apart() {
    let q = "_mta-sts.example.com";
    let m = response(
        0,
        q,
        RecordType::Txt,
        &[
            rr(
                q,
                T_TXT,
                300,
                &txt_rdata(&[b"v=STSv1; ", b"id=2024", b"0101"]),
            ),
            rr(q, T_TXT, 300, &txt_rdata(&[b"v=spf1 -all"])),
            rr(q, T_TXT, 300, &txt_rdata(&[b"caf\xc3\xa9 \xff"])),
        ],
    );
    let r = dns::parse_response(&m, RecordType::Txt).unwrap();
    assert_eq!(r.rcode, Rcode::NoError);
    let txt = r.txt();
    assert_eq!(txt.len(), 3);
    assert_eq!(txt[0].strings.len(), 3);
    assert_eq!(txt[0].bytes(), b"v=STSv1; id=20240101");
    assert_eq!(txt[0].text(), "v=STSv1; id=20240101");
    assert_eq!(txt[1].text(), "v=spf1 -all");
    // Lossless bytes, lossy text.
    assert_eq!(txt[2].bytes(), b"caf\xc3\xa9 \xff");
    assert_eq!(txt[2].text(), "café \u{fffd}");
    let l = txt_lookup(&r);
    assert_eq!(l.status, DnsStatus::Ok);
    assert_eq!(
        l.records,
        vec!["v=STSv1; id=20240101", "v=spf1 -all", "café \u{fffd}"]
    );
    assert_eq!(r.min_ttl(), Some(300));
}

#[test]
fn empty_character_strings_are_kept() {
    let q = "example.com";
    let m = response(
        0,
        q,
        RecordType::Txt,
        &[rr(q, T_TXT, 1, &txt_rdata(&[b"", b"a", b""]))],
    );
    let r = dns::parse_response(&m, RecordType::Txt).unwrap();
    assert_eq!(
        r.txt()[0].strings,
        vec![b"".to_vec(), b"a".to_vec(), vec![]]
    );
}

#[test]
fn txt_string_running_past_rdata_is_malformed() {
    let q = "example.com";
    // Length byte says 9, only 3 bytes follow inside RDLENGTH.
    let mut m = response(0, q, RecordType::Txt, &[rr(q, T_TXT, 1, b"\x09abc")]);
    m.extend_from_slice(b"xxxxxxxx");
    let e = dns::parse_response(&m, RecordType::Txt).unwrap_err();
    assert_eq!(e.kind, WireErrorKind::BadRdata);
}

#[test]
fn mx_records_and_null_mx() {
    let q = "example.com";
    let m = response(
        0,
        q,
        RecordType::Mx,
        &[
            rr(q, T_MX, 3600, &mx_rdata(10, "MX1.Example.COM.")),
            rr(q, T_MX, 3600, &mx_rdata(20, "mx2.example.com")),
        ],
    );
    let r = dns::parse_response(&m, RecordType::Mx).unwrap();
    let mx = r.mx();
    assert_eq!(mx.len(), 2);
    assert_eq!(
        (mx[0].preference, mx[0].exchange.as_str()),
        (10, "mx1.example.com")
    );
    assert_eq!(
        (mx[1].preference, mx[1].exchange.as_str()),
        (20, "mx2.example.com")
    );
    assert!(!mx[0].is_null());

    let m = response(0, q, RecordType::Mx, &[rr(q, T_MX, 3600, &[0, 0, 0])]);
    let r = dns::parse_response(&m, RecordType::Mx).unwrap();
    let mx = r.mx();
    assert_eq!(mx.len(), 1);
    assert_eq!(mx[0].exchange, ".");
    assert!(mx[0].is_null());
    let l = mx_lookup(&r);
    assert_eq!(l.records[0].host, ".");
    assert_eq!(l.records[0].preference, 0);
}

#[test]
fn compressed_names_in_answers() {
    // Question at 12; answers point back at it (0xc00c) and into it.
    let mut m = header(QR | RD | RA, 1, 2, 0, 0);
    m.extend_from_slice(&question("example.com", T_MX));
    // Owner: pointer to 12. RDATA: pref 10, "mx" + pointer to 12.
    let rd1 = [0, 10, 2, b'm', b'x', 0xc0, 12];
    m.extend_from_slice(&rr_raw(&[0xc0, 12], T_MX, 60, &rd1));
    // RDATA: "mail" + pointer to "com" (offset 12 + 8).
    let rd2 = [0, 20, 4, b'm', b'a', b'i', b'l', 0xc0, 20];
    m.extend_from_slice(&rr_raw(&[0xc0, 12], T_MX, 60, &rd2));
    let r = dns::parse_response(&m, RecordType::Mx).unwrap();
    let hosts: Vec<&str> = r.mx().iter().map(|m| m.exchange.as_str()).collect();
    assert_eq!(hosts, vec!["mx.example.com", "mail.com"]);
    assert_eq!(r.answers[0].name, "example.com");
    assert!(r.edns.is_none());
}

#[test]
fn cname_chain_is_followed_and_exposed() {
    let q = "_mta-sts.example.com";
    let m = response(
        0,
        q,
        RecordType::Txt,
        &[
            rr(q, T_CNAME, 300, &name("_mta-sts.Provider.net")),
            rr(
                "_mta-sts.provider.net",
                T_CNAME,
                300,
                &name("sts.provider.net"),
            ),
            rr(
                "sts.provider.net",
                T_TXT,
                60,
                &txt_rdata(&[b"v=STSv1; id=1"]),
            ),
            // An RRSIG, as DO brings: kept in answers, not in records().
            rr("sts.provider.net", TYPE_RRSIG, 60, &[0; 20]),
        ],
    );
    let r = dns::parse_response(&m, RecordType::Txt).unwrap();
    assert_eq!(r.chain, vec!["_mta-sts.provider.net", "sts.provider.net"]);
    assert_eq!(r.final_name, "sts.provider.net");
    assert_eq!(r.records().len(), 1);
    assert_eq!(r.answers.len(), 4);
    assert!(matches!(r.answers[3].data, RData::Other { rtype: 46, .. }));
    assert_eq!(r.txt()[0].text(), "v=STSv1; id=1");
    let l = txt_lookup(&r);
    assert_eq!(l.cnames, r.chain);
    assert_eq!(l.records, vec!["v=STSv1; id=1"]);
    assert_eq!(r.min_ttl(), Some(60));
}

#[test]
fn records_off_the_chain_are_ignored() {
    let q = "mta-sts.example.com";
    let m = response(
        0,
        q,
        RecordType::A,
        &[
            rr(q, T_CNAME, 300, &name("host.example.net")),
            // A records for an unrelated name: not an answer.
            rr("other.example.net", T_A, 300, &[192, 0, 2, 1]),
        ],
    );
    let r = dns::parse_response(&m, RecordType::A).unwrap();
    assert_eq!(r.outcome, Outcome::NoData);
    assert_eq!(r.chain, vec!["host.example.net"]);
}

#[test]
fn cname_loop_stops() {
    let q = "a.example";
    let m = response(
        0,
        q,
        RecordType::A,
        &[
            rr(q, T_CNAME, 1, &name("b.example")),
            rr("b.example", T_CNAME, 1, &name("a.example")),
        ],
    );
    let r = dns::parse_response(&m, RecordType::A).unwrap();
    assert_eq!(r.chain, vec!["b.example"]);
    assert_eq!(r.outcome, Outcome::NoData);
}

#[test]
fn cname_query_is_not_followed() {
    let q = "mta-sts.example.com";
    let m = response(
        0,
        q,
        RecordType::Cname,
        &[rr(q, T_CNAME, 300, &name("sts.hoster.example"))],
    );
    let r = dns::parse_response(&m, RecordType::Cname).unwrap();
    assert!(r.chain.is_empty());
    match &r.records()[0].data {
        RData::Cname(t) => assert_eq!(t, "sts.hoster.example"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_aaaa_tlsa() {
    let q = "mta-sts.example.com";
    let m = response(0, q, RecordType::A, &[rr(q, T_A, 5, &[192, 0, 2, 7])]);
    let r = dns::parse_response(&m, RecordType::A).unwrap();
    assert_eq!(
        r.addresses(),
        vec!["192.0.2.7".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(address_lookup(&r).records, vec!["192.0.2.7"]);

    let mut v6 = [0u8; 16];
    v6[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    v6[15] = 1;
    let m = response(0, q, RecordType::Aaaa, &[rr(q, T_AAAA, 5, &v6)]);
    let r = dns::parse_response(&m, RecordType::Aaaa).unwrap();
    assert_eq!(address_lookup(&r).records, vec!["2001:db8::1"]);

    // A with 5 bytes of RDATA is malformed.
    let m = response(0, q, RecordType::A, &[rr(q, T_A, 5, &[1, 2, 3, 4, 5])]);
    assert_eq!(
        dns::parse_response(&m, RecordType::A).unwrap_err().kind,
        WireErrorKind::BadRdata
    );

    let t = "_25._tcp.mx.example.com";
    let mut rd = vec![3, 1, 1];
    rd.extend_from_slice(&[0xab; 32]);
    let m = response(AD, t, RecordType::Tlsa, &[rr(t, T_TLSA, 5, &rd)]);
    let r = dns::parse_response(&m, RecordType::Tlsa).unwrap();
    assert!(r.authenticated());
    let tlsa = r.tlsa();
    assert_eq!(
        (tlsa[0].usage, tlsa[0].selector, tlsa[0].matching_type),
        (3, 1, 1)
    );
    assert_eq!(tlsa[0].data.len(), 32);
    assert_eq!(tlsa[0].data_hex(), "ab".repeat(32));

    let m = response(0, t, RecordType::Tlsa, &[rr(t, T_TLSA, 5, &[3, 1])]);
    assert!(dns::parse_response(&m, RecordType::Tlsa).is_err());
}

// ---------------------------------------------------------------------------
// Outcomes and flags
// ---------------------------------------------------------------------------

fn with_rcode(rcode: u16, qtype: RecordType) -> Vec<u8> {
    let mut m = header(QR | RD | RA | rcode, 1, 0, 1, 1);
    m.extend_from_slice(&question("no-txt.example", qtype.code()));
    m.extend_from_slice(&rr("example", T_SOA, 900, &[0; 22]));
    m.extend_from_slice(&opt(0, true));
    m
}

#[test]
fn nxdomain_nodata_servfail_refused() {
    let r = dns::parse_response(&with_rcode(3, RecordType::Txt), RecordType::Txt).unwrap();
    assert_eq!(r.rcode, Rcode::NxDomain);
    assert_eq!(r.outcome, Outcome::NxDomain);
    assert_eq!(r.authority.len(), 1);
    assert_eq!(txt_lookup(&r).status, DnsStatus::NxDomain);

    let r = dns::parse_response(&with_rcode(0, RecordType::Txt), RecordType::Txt).unwrap();
    assert_eq!(r.outcome, Outcome::NoData);
    assert_eq!(txt_lookup(&r).status, DnsStatus::NoData);

    let r = dns::parse_response(&with_rcode(2, RecordType::Mx), RecordType::Mx).unwrap();
    assert_eq!(r.outcome, Outcome::ServFail);
    let l = mx_lookup(&r);
    assert_eq!(l.status, DnsStatus::ServFail);
    assert!(l.detail.unwrap().contains("DNSSEC"));

    let r = dns::parse_response(&with_rcode(5, RecordType::Mx), RecordType::Mx).unwrap();
    assert_eq!(r.outcome, Outcome::Refused);

    let r = dns::parse_response(&with_rcode(4, RecordType::Mx), RecordType::Mx).unwrap();
    assert_eq!(r.outcome, Outcome::OtherRcode(Rcode::NotImp));
}

#[test]
fn extended_rcode_from_opt() {
    // BADVERS = 16: header RCODE 0, OPT extended RCODE 1.
    let mut m = header(QR | RD | RA, 1, 0, 0, 1);
    m.extend_from_slice(&question("example.com", T_A));
    m.extend_from_slice(&opt(1, false));
    let r = dns::parse_response(&m, RecordType::A).unwrap();
    assert_eq!(r.rcode, Rcode::Other(16));
    assert!(!r.edns.unwrap().dnssec_ok);
}

#[test]
fn nxdomain_at_the_end_of_a_chain() {
    let q = "_mta-sts.example.com";
    let mut m = header(QR | RD | RA | 3, 1, 1, 0, 0);
    m.extend_from_slice(&question(q, T_TXT));
    m.extend_from_slice(&rr(q, T_CNAME, 300, &name("gone.example.net")));
    let r = dns::parse_response(&m, RecordType::Txt).unwrap();
    assert_eq!(r.outcome, Outcome::NxDomain);
    assert_eq!(r.chain, vec!["gone.example.net"]);
    assert_eq!(txt_lookup(&r).cnames, vec!["gone.example.net"]);
}

#[test]
fn tc_flag_is_truncated() {
    let q = "example.com";
    let m = response(TC, q, RecordType::Txt, &[]);
    let r = dns::parse_response(&m, RecordType::Txt).unwrap();
    assert!(r.header.tc);
    assert_eq!(r.outcome, Outcome::Truncated);
}

#[test]
fn ad_flag_and_edns() {
    let q = "example.com";
    let m = response(
        AD,
        q,
        RecordType::Mx,
        &[rr(q, T_MX, 1, &mx_rdata(1, "mx.example.com"))],
    );
    let r = dns::parse_response(&m, RecordType::Mx).unwrap();
    assert!(r.header.ad && r.authenticated());
    let e = r.edns.unwrap();
    assert!(e.dnssec_ok);
    assert_eq!(e.udp_payload, 1232);
    let m = response(0, q, RecordType::Mx, &[]);
    assert!(!dns::parse_response(&m, RecordType::Mx)
        .unwrap()
        .authenticated());
}

#[test]
fn a_query_is_not_a_response() {
    let q = dns::query("example.com", RecordType::A).unwrap();
    assert_eq!(
        dns::parse_response(&q, RecordType::A),
        Err(WireError {
            offset: 2,
            kind: WireErrorKind::NotAResponse
        })
    );
    assert!(matches!(
        dns::outcome(&q, RecordType::A),
        Outcome::Malformed(WireError {
            kind: WireErrorKind::NotAResponse,
            ..
        })
    ));
}

#[test]
fn two_opt_records_are_malformed() {
    let mut m = header(QR, 1, 0, 0, 2);
    m.extend_from_slice(&question("example.com", T_A));
    m.extend_from_slice(&opt(0, true));
    let second = m.len();
    m.extend_from_slice(&opt(0, true));
    assert_eq!(
        dns::parse_response(&m, RecordType::A),
        Err(WireError {
            offset: second,
            kind: WireErrorKind::BadOpt
        })
    );
}

// ---------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------

#[test]
fn compression_pointer_loops_are_caught() {
    // Question name is a pointer to itself.
    let mut m = header(QR, 1, 0, 0, 0);
    m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(
        dns::parse_response(&m, RecordType::A),
        Err(WireError {
            offset: 12,
            kind: WireErrorKind::PointerLoop
        })
    );

    // Two pointers pointing at each other: 12 -> 14 -> 12.
    let mut m = header(QR, 1, 0, 0, 0);
    m.extend_from_slice(&[0xc0, 14, 0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(
        dns::parse_response(&m, RecordType::A).unwrap_err().kind,
        WireErrorKind::PointerLoop
    );

    // A label then a pointer back to the label: "a.a.a..." forever.
    let mut m = header(QR, 1, 0, 0, 0);
    m.extend_from_slice(&[1, b'a', 0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(
        dns::parse_response(&m, RecordType::A),
        Err(WireError {
            offset: 14,
            kind: WireErrorKind::PointerLoop
        })
    );

    // Forward pointers are refused outright, even one that would end.
    let mut m = header(QR, 1, 1, 0, 0);
    m.extend_from_slice(&[1, b'x', 0xc0, 20, 0, 1, 0, 1]); // 12..20, ptr at 14 -> 20
    m.extend_from_slice(&rr_raw(&[0xc0, 12], T_A, 1, &[1, 2, 3, 4]));
    let e = dns::parse_response(&m, RecordType::A).unwrap_err();
    assert_eq!(e.kind, WireErrorKind::PointerLoop);
}

/// A question for `a`, an unknown-type record whose data is a chain of
/// `hops` compression pointers, each pointing at the one before (the first
/// at the question name: every hop points backwards, as the loop rule
/// wants), and an A record whose owner is the end of the chain.
fn pointer_chain(hops: usize) -> Vec<u8> {
    let mut m = header(QR, 1, 2, 0, 0);
    m.extend_from_slice(&[1, b'a', 0, 0, 1, 0, 1]); // 12..19
    let chain_at = 19 + 12; // after the record's owner, type, class, TTL, length
    let mut chain = Vec::new();
    for k in 0..hops {
        let target = if k == 0 { 12 } else { chain_at + 2 * (k - 1) };
        chain.extend_from_slice(&[0xc0 | (target >> 8) as u8, target as u8]);
    }
    m.extend_from_slice(&rr_raw(&[0xc0, 12], 65_280, 60, &chain));
    let last = chain_at + 2 * (hops - 1);
    m.extend_from_slice(&rr_raw(
        &[0xc0 | (last >> 8) as u8, last as u8],
        T_A,
        60,
        &[192, 0, 2, 1],
    ));
    m
}

#[test]
fn compression_pointer_chains_are_capped_per_name() {
    // A chain as long as the cap still reads (the owner is `a`).
    let ok = pointer_chain(dns::MAX_POINTER_HOPS - 1);
    let r = dns::parse_response(&ok, RecordType::A).unwrap();
    assert_eq!(r.answers.len(), 2);
    // One more hop is refused, so a 64 KB answer of names walking a
    // 30 000-pointer chain costs at most the cap per name.
    for hops in [dns::MAX_POINTER_HOPS + 1, 30_000] {
        let e = dns::parse_response(&pointer_chain(hops), RecordType::A).unwrap_err();
        assert_eq!(e.kind, WireErrorKind::PointerChain, "{hops} hops");
    }
}

#[test]
fn unknown_label_type_and_overlong_name() {
    let mut m = header(QR, 1, 0, 0, 0);
    m.extend_from_slice(&[0x41, 0, 0, 1, 0, 1]);
    assert_eq!(
        dns::parse_response(&m, RecordType::A).unwrap_err(),
        WireError {
            offset: 12,
            kind: WireErrorKind::BadLabelType
        }
    );

    // 5 labels of 63: 320 octets.
    let mut m = header(QR, 1, 0, 0, 0);
    for _ in 0..5 {
        m.push(63);
        m.extend_from_slice(&[b'a'; 63]);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    assert_eq!(
        dns::parse_response(&m, RecordType::A).unwrap_err().kind,
        WireErrorKind::NameTooLong
    );
}

#[test]
fn name_in_rdata_must_end_inside_it() {
    let q = "example.com";
    // RDLENGTH 4 but the exchange name is longer: stops at the RDATA's end.
    let mut m = response(0, q, RecordType::Mx, &[]);
    m[7] = 1; // ANCOUNT 1
    let opt_len = 11;
    let opt_rec = m.split_off(m.len() - opt_len);
    let mut rec = name(q);
    rec.extend_from_slice(&[0, 15, 0, 1, 0, 0, 0, 1, 0, 4, 0, 10, 2, b'm']);
    rec.extend_from_slice(&[b'x', 0]);
    m.extend_from_slice(&rec);
    m.extend_from_slice(&opt_rec);
    let e = dns::parse_response(&m, RecordType::Mx).unwrap_err();
    assert_eq!(e.kind, WireErrorKind::Truncated);

    // RDLENGTH larger than the name: trailing bytes inside RDATA.
    let mut rd = mx_rdata(10, "mx.example.com");
    rd.push(0xff);
    let m = response(0, q, RecordType::Mx, &[rr(q, T_MX, 1, &rd)]);
    assert_eq!(
        dns::parse_response(&m, RecordType::Mx).unwrap_err().kind,
        WireErrorKind::BadRdata
    );
}

/// A realistic message with every section and compression, cut at every
/// length: each prefix is an error with an offset inside the buffer, never a
/// panic, and the full message parses.
#[test]
fn every_truncation_is_an_error() {
    let q = "_mta-sts.example.com";
    let mut m = header(QR | RD | RA | AD, 1, 3, 1, 1);
    m.extend_from_slice(&question(q, T_TXT));
    m.extend_from_slice(&rr_raw(
        &[0xc0, 12],
        T_CNAME,
        60,
        &[3, b's', b't', b's', 0xc0, 21],
    ));
    let sts_at = 12 + name(q).len() + 4 + 12;
    m.extend_from_slice(&rr_raw(
        &[0xc0, sts_at as u8],
        T_TXT,
        60,
        &txt_rdata(&[b"v=STSv1; ", b"id=1"]),
    ));
    m.extend_from_slice(&rr_raw(&[0xc0, sts_at as u8], TYPE_RRSIG, 60, &[7; 30]));
    m.extend_from_slice(&rr("example.com", T_SOA, 60, &[0; 22]));
    m.extend_from_slice(&opt(0, true));

    let r = dns::parse_response(&m, RecordType::Txt).unwrap();
    assert_eq!(r.chain, vec!["sts.example.com"]);
    assert_eq!(r.txt()[0].text(), "v=STSv1; id=1");

    for len in 0..m.len() {
        let e = dns::parse_response(&m[..len], RecordType::Txt)
            .expect_err(&format!("prefix of {len} bytes parsed"));
        assert!(e.offset <= len, "offset {} past {len}", e.offset);
        assert!(matches!(
            dns::outcome(&m[..len], RecordType::Txt),
            Outcome::Malformed(_)
        ));
    }
}

#[test]
fn trailing_bytes_are_ignored() {
    let q = "example.com";
    let mut m = response(0, q, RecordType::A, &[rr(q, T_A, 1, &[192, 0, 2, 1])]);
    m.extend_from_slice(&[0xde, 0xad]);
    assert!(matches!(
        dns::parse_response(&m, RecordType::A).unwrap().outcome,
        Outcome::Answer(_)
    ));
}

#[test]
fn statuses_map_to_the_report() {
    assert_eq!(DnsStatus::of(&Outcome::NoData), DnsStatus::NoData);
    assert_eq!(DnsStatus::of(&Outcome::NxDomain), DnsStatus::NxDomain);
    assert_eq!(DnsStatus::of(&Outcome::ServFail), DnsStatus::ServFail);
    assert_eq!(DnsStatus::of(&Outcome::Refused), DnsStatus::Refused);
    assert_eq!(DnsStatus::of(&Outcome::Truncated), DnsStatus::Malformed);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn any_type() -> impl Strategy<Value = RecordType> {
    prop::sample::select(RecordType::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Arbitrary bytes never panic, and any error points inside the input.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), t in any_type()) {
        match dns::parse_response(&bytes, t) {
            Ok(r) => { let _ = (txt_lookup(&r), mx_lookup(&r), address_lookup(&r), r.tlsa()); }
            Err(e) => prop_assert!(e.offset <= bytes.len()),
        }
    }

    /// Arbitrary bytes after a plausible response header and question, so the
    /// fuzzing reaches the record parsers instead of stopping at QR.
    #[test]
    fn arbitrary_sections_never_panic(
        counts in prop::array::uniform4(0u16..6),
        tail in prop::collection::vec(any::<u8>(), 0..400),
        t in any_type(),
    ) {
        let mut m = header(QR | RD | RA, counts[0].min(1), counts[1], counts[2], counts[3]);
        m.extend_from_slice(&tail);
        if let Err(e) = dns::parse_response(&m, t) {
            prop_assert!(e.offset <= m.len());
        }
    }

    /// Mutating one byte of a valid message never panics.
    #[test]
    fn one_byte_mutations_never_panic(at in 0usize..200, v in any::<u8>(), t in any_type()) {
        let q = "_mta-sts.example.com";
        let mut m = response(AD, q, RecordType::Txt, &[
            rr(q, T_CNAME, 1, &name("x.example.net")),
            rr("x.example.net", T_TXT, 1, &txt_rdata(&[b"v=STSv1; id=1"])),
            rr("x.example.net", T_MX, 1, &mx_rdata(5, "mx.example.net")),
        ]);
        let i = at % m.len();
        m[i] = v;
        let _ = dns::parse_response(&m, t);
    }

    /// Names survive encode → decode (lower-cased, escapes intact).
    #[test]
    fn names_round_trip(labels in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..20), 1..8)) {
        let mut wire = Vec::new();
        for l in &labels {
            wire.push(l.len() as u8);
            wire.extend_from_slice(l);
        }
        wire.push(0);
        let mut m = header(QR, 1, 0, 0, 0);
        m.extend_from_slice(&wire);
        m.extend_from_slice(&[0, 1, 0, 1]);
        let r = dns::parse_response(&m, RecordType::A).unwrap();
        let shown = r.question.unwrap().name;
        let back = dns::encode_name(&shown).unwrap();
        prop_assert_eq!(back, wire.to_ascii_lowercase());
    }
}
