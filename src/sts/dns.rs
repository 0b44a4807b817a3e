//! DNS messages in wire format (RFC 1035 §4) for DNS over HTTPS (RFC 8484)
//! and plain DNS: the queries a check needs, and a bounds-checked decoder for
//! the answers.
//!
//! Pure: bytes in, bytes or values out. The browser sends [`query`] bytes to a
//! DoH resolver; the native CLI sends the same bytes over UDP/TCP or DoH; both
//! hand the reply to [`parse_response`]. The decoder never panics: any input
//! that does not follow RFC 1035 gives a [`WireError`] with the byte offset.
//!
//! A hand-written codec rather than `hickory-proto`: it adds a fraction of the
//! Wasm size (figures in `docs/dns.md`) and needs only six record types.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine;
use serde::{Deserialize, Serialize};

/// Fixed header length, RFC 1035 §4.1.1.
pub const HEADER_LEN: usize = 12;
/// Longest name on the wire, length octets included (RFC 1035 §2.3.4).
pub const MAX_WIRE_NAME: usize = 255;
/// Compression pointers followed while reading one name. Real compressors
/// need a handful; without a cap, a 64 KB answer of names that each walk a
/// chain of thousands of backward pointers costs quadratic time.
pub const MAX_POINTER_HOPS: usize = 32;
/// Longest label, RFC 1035 §2.3.4.
pub const MAX_LABEL: usize = 63;
/// EDNS0 UDP payload size advertised in queries: the DNS Flag Day 2020 value,
/// which avoids IP fragmentation (RFC 9715 §3).
pub const UDP_PAYLOAD: u16 = 1232;
/// Media type for DoH bodies, RFC 8484 §6.
pub const DOH_MEDIA_TYPE: &str = "application/dns-message";
/// Class IN, RFC 1035 §3.2.4.
pub const CLASS_IN: u16 = 1;
/// OPT pseudo-record type, RFC 6891 §6.1.1.
pub const TYPE_OPT: u16 = 41;
/// RRSIG type, RFC 4034 §3: answers carry these once DO is set.
pub const TYPE_RRSIG: u16 = 46;

/// How many CNAMEs to follow inside one answer before giving up; resolvers
/// stop well before this (BIND: 16), so a longer chain is a loop or an attack.
const MAX_CHAIN: usize = 16;

/// The record types a check asks for (RFC 1035 §3.2.2, RFC 3596 §2.1,
/// RFC 6698 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    A,
    Cname,
    Mx,
    Txt,
    Aaaa,
    Tlsa,
}

impl RecordType {
    /// Every type, in code order.
    pub const ALL: [RecordType; 6] = [
        RecordType::A,
        RecordType::Cname,
        RecordType::Mx,
        RecordType::Txt,
        RecordType::Aaaa,
        RecordType::Tlsa,
    ];

    /// The TYPE value on the wire.
    pub const fn code(self) -> u16 {
        match self {
            RecordType::A => 1,
            RecordType::Cname => 5,
            RecordType::Mx => 15,
            RecordType::Txt => 16,
            RecordType::Aaaa => 28,
            RecordType::Tlsa => 52,
        }
    }

    /// The type for a TYPE value, when it is one of ours.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The mnemonic, as in zone files.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Cname => "CNAME",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Aaaa => "AAAA",
            RecordType::Tlsa => "TLSA",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

/// Why a name cannot be put in a query (RFC 1035 §2.3.4, §3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameError {
    /// `a..b` or a leading dot.
    EmptyLabel,
    /// A label over 63 octets.
    LabelTooLong,
    /// Over 255 octets on the wire.
    NameTooLong,
    /// A `\` escape that is not `\X` or `\DDD` with DDD ≤ 255.
    BadEscape,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameError::EmptyLabel => "the name has an empty label",
            NameError::LabelTooLong => "a label is longer than 63 octets (RFC 1035 §2.3.4)",
            NameError::NameTooLong => "the name is longer than 255 octets (RFC 1035 §2.3.4)",
            NameError::BadEscape => "the name has an invalid \\ escape (RFC 1035 §5.1)",
        })
    }
}

/// Encodes a presentation-form name (RFC 1035 §5.1: `\X` and `\DDD` escapes,
/// optional trailing dot; `.` or empty is the root) as uncompressed labels.
pub fn encode_name(name: &str) -> Result<Vec<u8>, NameError> {
    let mut out = Vec::with_capacity(name.len() + 2);
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes == b"." {
        out.push(0);
        return Ok(out);
    }
    let mut label: Vec<u8> = Vec::new();
    let mut i = 0;
    let mut ended_with_dot = false;
    while i < bytes.len() {
        let b = bytes[i];
        ended_with_dot = false;
        match b {
            b'.' => {
                push_label(&mut out, &label)?;
                label.clear();
                ended_with_dot = true;
                i += 1;
            }
            b'\\' => {
                let digits = bytes.get(i + 1..i + 4);
                match digits {
                    Some(d) if d.iter().all(u8::is_ascii_digit) => {
                        let v = d.iter().fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
                        let v = u8::try_from(v).map_err(|_| NameError::BadEscape)?;
                        label.push(v);
                        i += 4;
                    }
                    _ => match bytes.get(i + 1) {
                        Some(c) if !c.is_ascii_digit() => {
                            label.push(*c);
                            i += 2;
                        }
                        _ => return Err(NameError::BadEscape),
                    },
                }
            }
            _ => {
                label.push(b);
                i += 1;
            }
        }
    }
    if !ended_with_dot {
        push_label(&mut out, &label)?;
    }
    out.push(0);
    if out.len() > MAX_WIRE_NAME {
        return Err(NameError::NameTooLong);
    }
    Ok(out)
}

fn push_label(out: &mut Vec<u8>, label: &[u8]) -> Result<(), NameError> {
    if label.is_empty() {
        return Err(NameError::EmptyLabel);
    }
    let len = u8::try_from(label.len())
        .ok()
        .filter(|l| usize::from(*l) <= MAX_LABEL)
        .ok_or(NameError::LabelTooLong)?;
    out.push(len);
    out.extend_from_slice(label);
    if out.len() > MAX_WIRE_NAME {
        return Err(NameError::NameTooLong);
    }
    Ok(())
}

/// A query message for `name`/`qtype` with the given ID: RD set (RFC 1035
/// §4.1.1), one question of class IN, and an EDNS0 OPT record (RFC 6891 §6)
/// advertising [`UDP_PAYLOAD`] with the DO bit (RFC 3225 §3) so that a
/// validating resolver sets AD (RFC 4035 §3.2.3) and the report can say
/// whether the answer was DNSSEC-validated.
pub fn query_with_id(name: &str, qtype: RecordType, id: u16) -> Result<Vec<u8>, NameError> {
    let qname = encode_name(name)?;
    let mut m = Vec::with_capacity(HEADER_LEN + qname.len() + 4 + 11);
    m.extend_from_slice(&id.to_be_bytes());
    // QR=0, OPCODE=QUERY, RD=1; everything else clear.
    m.extend_from_slice(&[0x01, 0x00]);
    m.extend_from_slice(&1u16.to_be_bytes()); // QDCOUNT
    m.extend_from_slice(&0u16.to_be_bytes()); // ANCOUNT
    m.extend_from_slice(&0u16.to_be_bytes()); // NSCOUNT
    m.extend_from_slice(&1u16.to_be_bytes()); // ARCOUNT: the OPT record
    m.extend_from_slice(&qname);
    m.extend_from_slice(&qtype.code().to_be_bytes());
    m.extend_from_slice(&CLASS_IN.to_be_bytes());
    // OPT: root owner, TYPE 41, CLASS = payload size, TTL = extended RCODE 0,
    // version 0, DO=1, then RDLENGTH 0.
    m.push(0);
    m.extend_from_slice(&TYPE_OPT.to_be_bytes());
    m.extend_from_slice(&UDP_PAYLOAD.to_be_bytes());
    m.extend_from_slice(&[0x00, 0x00, 0x80, 0x00]);
    m.extend_from_slice(&0u16.to_be_bytes());
    Ok(m)
}

/// A query with ID 0, as RFC 8484 §4.1 asks of DoH clients so that identical
/// queries are HTTP-cacheable.
pub fn query(name: &str, qtype: RecordType) -> Result<Vec<u8>, NameError> {
    query_with_id(name, qtype, 0)
}

/// [`query`] in base64url without padding, the `dns` parameter of a DoH GET
/// (RFC 8484 §4.1, §6).
pub fn query_base64url(name: &str, qtype: RecordType) -> Result<String, NameError> {
    Ok(base64url(&query(name, qtype)?))
}

/// Base64url without padding (RFC 4648 §5), as RFC 8484 §4.1 requires.
pub fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The GET URL for a DoH query (RFC 8484 §4.1): `endpoint` is the URI
/// Template's base, e.g. `https://dns.google/dns-query`; `dns=` is appended
/// with `?` or `&` as the endpoint already has a query or not.
pub fn doh_get_url(endpoint: &str, name: &str, qtype: RecordType) -> Result<String, NameError> {
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{endpoint}{sep}dns={}",
        query_base64url(name, qtype)?
    ))
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

/// What is wrong with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireErrorKind {
    /// The message ends inside a field.
    Truncated,
    /// A compression pointer that does not point strictly before every
    /// position already visited for this name: the only way to guarantee the
    /// walk ends (RFC 1035 §4.1.4 pointers refer to a *prior* occurrence).
    PointerLoop,
    /// More than [`MAX_POINTER_HOPS`] compression pointers in one name.
    PointerChain,
    /// Label type 01 or 10 (RFC 6891 §5 retired extended labels).
    BadLabelType,
    /// A name over 255 octets (RFC 1035 §2.3.4).
    NameTooLong,
    /// RDLENGTH disagrees with the RDATA of a known type.
    BadRdata,
    /// The QR bit is clear: a query, not a response.
    NotAResponse,
    /// More than one OPT record, or one outside the additional section
    /// (RFC 6891 §6.1.1).
    BadOpt,
}

impl WireErrorKind {
    /// The problem in a few words.
    pub const fn describe(self) -> &'static str {
        match self {
            WireErrorKind::Truncated => "message ends inside a field",
            WireErrorKind::PointerLoop => "compression pointer does not point backwards (loop)",
            WireErrorKind::PointerChain => "too many compression pointers in one name",
            WireErrorKind::BadLabelType => "unknown label type",
            WireErrorKind::NameTooLong => "name longer than 255 octets",
            WireErrorKind::BadRdata => "record data does not match its length",
            WireErrorKind::NotAResponse => "QR bit clear: not a response",
            WireErrorKind::BadOpt => "misplaced or repeated OPT record",
        }
    }
}

/// A malformed message: what and at which byte offset from the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WireError {
    pub offset: usize,
    pub kind: WireErrorKind,
}

impl WireError {
    fn at(offset: usize, kind: WireErrorKind) -> Self {
        WireError { offset, kind }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.kind.describe())
    }
}

impl std::error::Error for WireError {}

/// Response codes, RFC 1035 §4.1.1 and RFC 6891 §6.1.3 (12-bit with EDNS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rcode {
    NoError,
    FormErr,
    ServFail,
    NxDomain,
    NotImp,
    Refused,
    Other(u16),
}

impl Rcode {
    pub fn from_code(code: u16) -> Self {
        match code {
            0 => Rcode::NoError,
            1 => Rcode::FormErr,
            2 => Rcode::ServFail,
            3 => Rcode::NxDomain,
            4 => Rcode::NotImp,
            5 => Rcode::Refused,
            c => Rcode::Other(c),
        }
    }

    pub fn code(self) -> u16 {
        match self {
            Rcode::NoError => 0,
            Rcode::FormErr => 1,
            Rcode::ServFail => 2,
            Rcode::NxDomain => 3,
            Rcode::NotImp => 4,
            Rcode::Refused => 5,
            Rcode::Other(c) => c,
        }
    }
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rcode::NoError => f.write_str("NOERROR"),
            Rcode::FormErr => f.write_str("FORMERR"),
            Rcode::ServFail => f.write_str("SERVFAIL"),
            Rcode::NxDomain => f.write_str("NXDOMAIN"),
            Rcode::NotImp => f.write_str("NOTIMP"),
            Rcode::Refused => f.write_str("REFUSED"),
            Rcode::Other(c) => write!(f, "RCODE{c}"),
        }
    }
}

/// The fixed header, RFC 1035 §4.1.1, with AD and CD from RFC 4035 §3.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    /// Set in responses.
    pub qr: bool,
    pub opcode: u8,
    pub aa: bool,
    /// Truncated: over UDP, retry over TCP (RFC 7766 §5).
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    /// Authentic Data: the resolver validated the answer with DNSSEC
    /// (RFC 4035 §3.2.3). Only as trustworthy as the path to the resolver.
    pub ad: bool,
    pub cd: bool,
    /// The low 4 bits of the RCODE; see [`Response::rcode`] for the full one.
    pub rcode: u8,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    /// Reads the header; fails only on fewer than 12 bytes.
    pub fn parse(bytes: &[u8]) -> Result<Header, WireError> {
        let mut r = Reader::new(bytes);
        let id = r.u16()?;
        let flags = r.u16()?;
        Ok(Header {
            id,
            qr: flags & 0x8000 != 0,
            opcode: ((flags >> 11) & 0x0f) as u8,
            aa: flags & 0x0400 != 0,
            tc: flags & 0x0200 != 0,
            rd: flags & 0x0100 != 0,
            ra: flags & 0x0080 != 0,
            ad: flags & 0x0020 != 0,
            cd: flags & 0x0010 != 0,
            rcode: (flags & 0x000f) as u8,
            qdcount: r.u16()?,
            ancount: r.u16()?,
            nscount: r.u16()?,
            arcount: r.u16()?,
        })
    }
}

/// The EDNS0 OPT record of a response, RFC 6891 §6.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edns {
    pub udp_payload: u16,
    pub extended_rcode: u8,
    pub version: u8,
    /// DO echoed back: the resolver understood the DNSSEC request.
    pub dnssec_ok: bool,
}

/// The question a response repeats (RFC 1035 §4.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Echo {
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
}

/// One TXT record (RFC 1035 §3.3.14): its character-strings kept apart and
/// byte-exact, because RFC 8461 §3.1 and RFC 8460 §3 join them without
/// separators and the lint must see any byte a zone editor slipped in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txt {
    pub strings: Vec<Vec<u8>>,
}

impl Txt {
    /// The strings of this record concatenated with nothing between them,
    /// as RFC 8461 §3.1 specifies.
    pub fn bytes(&self) -> Vec<u8> {
        self.strings.concat()
    }

    /// [`Txt::bytes`] as text; bytes that are not UTF-8 become U+FFFD, which
    /// the record lint still flags as non-ASCII.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

/// An MX record, RFC 1035 §3.3.9.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mx {
    pub preference: u16,
    /// Lower-case, no trailing dot; the root is `.`.
    pub exchange: String,
}

impl Mx {
    /// `0 .`: the domain accepts no mail (RFC 7505 §3).
    pub fn is_null(&self) -> bool {
        self.preference == 0 && self.exchange == "."
    }
}

/// A TLSA record, RFC 6698 §2.1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlsa {
    pub usage: u8,
    pub selector: u8,
    pub matching_type: u8,
    pub data: Vec<u8>,
}

impl Tlsa {
    /// The association data in lower-case hex, as in zone files.
    pub fn data_hex(&self) -> String {
        self.data.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Record data by type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// The alias target, RFC 1035 §3.3.1.
    Cname(String),
    Mx(Mx),
    Txt(Txt),
    Tlsa(Tlsa),
    /// Any other type (RRSIG, NSEC, SOA, ...), undecoded.
    Other {
        rtype: u16,
        data: Vec<u8>,
    },
}

/// A resource record, RFC 1035 §4.1.3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Owner name: lower-case, no trailing dot, root `.`.
    pub name: String,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub data: RData,
}

impl Record {
    /// The type, when it is one of ours.
    pub fn record_type(&self) -> Option<RecordType> {
        RecordType::from_code(self.rtype)
    }
}

/// What a lookup found, in the terms the report uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// NOERROR and records of the asked type at the final name (after the
    /// CNAMEs in [`Response::chain`]).
    Answer(Vec<Record>),
    /// NOERROR, but no records of the asked type (RFC 2308 §2.2).
    NoData,
    /// The name (or the end of its CNAME chain) does not exist (RFC 2308 §2.1).
    NxDomain,
    /// The resolver could not get an answer. With a validating resolver this
    /// is often a DNSSEC validation failure (RFC 4035 §5.5); otherwise
    /// unreachable or lame authoritative servers.
    ServFail,
    /// The resolver declined to answer (policy, ACL, rate limit).
    Refused,
    /// Another RCODE (FORMERR, NOTIMP, BADVERS ...).
    OtherRcode(Rcode),
    /// TC set: the answer did not fit; ask again over TCP (RFC 7766 §5).
    Truncated,
    /// The message could not be decoded.
    Malformed(WireError),
}

impl Outcome {
    /// In words, for the report's `detail`.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Answer(r) => format!("{} record(s)", r.len()),
            Outcome::NoData => "no records of this type (NODATA)".into(),
            Outcome::NxDomain => "the name does not exist (NXDOMAIN)".into(),
            Outcome::ServFail => {
                "SERVFAIL (often a DNSSEC validation failure or unreachable name servers)".into()
            }
            Outcome::Refused => "the resolver refused the query (REFUSED)".into(),
            Outcome::OtherRcode(r) => format!("the resolver answered {r}"),
            Outcome::Truncated => "the answer was truncated (TC)".into(),
            Outcome::Malformed(e) => format!("malformed answer: {e}"),
        }
    }
}

/// A decoded response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub header: Header,
    /// The full RCODE: header bits plus the OPT extension (RFC 6891 §6.1.3).
    pub rcode: Rcode,
    /// The question as echoed; absent in some error responses.
    pub question: Option<Echo>,
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
    /// The additional section without the OPT record.
    pub additional: Vec<Record>,
    pub edns: Option<Edns>,
    /// CNAME targets followed from the question name, in order.
    pub chain: Vec<String>,
    /// The name the answer is for: the question name, or the last CNAME target.
    pub final_name: String,
    pub outcome: Outcome,
}

impl Response {
    /// AD: the resolver vouches the answer was DNSSEC-validated (RFC 4035
    /// §3.2.3).
    pub fn authenticated(&self) -> bool {
        self.header.ad
    }

    /// The records of the asked type at the final name; empty unless the
    /// outcome is an answer.
    pub fn records(&self) -> &[Record] {
        match &self.outcome {
            Outcome::Answer(r) => r,
            _ => &[],
        }
    }

    /// TXT records, each kept apart.
    pub fn txt(&self) -> Vec<&Txt> {
        self.records()
            .iter()
            .filter_map(|r| match &r.data {
                RData::Txt(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    pub fn mx(&self) -> Vec<&Mx> {
        self.records()
            .iter()
            .filter_map(|r| match &r.data {
                RData::Mx(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    /// A and AAAA addresses.
    pub fn addresses(&self) -> Vec<core::net::IpAddr> {
        self.records()
            .iter()
            .filter_map(|r| match &r.data {
                RData::A(a) => Some((*a).into()),
                RData::Aaaa(a) => Some((*a).into()),
                _ => None,
            })
            .collect()
    }

    pub fn tlsa(&self) -> Vec<&Tlsa> {
        self.records()
            .iter()
            .filter_map(|r| match &r.data {
                RData::Tlsa(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    /// Smallest TTL among the answer records, for caching.
    pub fn min_ttl(&self) -> Option<u32> {
        self.records().iter().map(|r| r.ttl).min()
    }
}

/// Decodes a response to a query of type `expected` (RFC 1035 §4.1) and
/// classifies it: the CNAME chain from the question name is followed inside
/// the answer section (RFC 1034 §3.6.2) unless `expected` is CNAME itself,
/// and the outcome comes from TC, the RCODE and the records at the end of the
/// chain (RFC 2308 §2 for NXDOMAIN and NODATA).
///
/// Errors only on bytes that do not follow the wire format; trailing bytes
/// after the last counted record are ignored.
pub fn parse_response(bytes: &[u8], expected: RecordType) -> Result<Response, WireError> {
    let header = Header::parse(bytes)?;
    if !header.qr {
        return Err(WireError::at(2, WireErrorKind::NotAResponse));
    }
    let mut r = Reader::new(bytes);
    r.pos = HEADER_LEN;

    let mut question = None;
    for _ in 0..header.qdcount {
        let name = r.name()?;
        let qtype = r.u16()?;
        let qclass = r.u16()?;
        // RFC 8484 and RFC 1035 allow only one question; keep the first.
        if question.is_none() {
            question = Some(Echo {
                name,
                qtype,
                qclass,
            });
        }
    }

    let mut answers = Vec::new();
    for _ in 0..header.ancount {
        let (rec, at) = r.record()?;
        if rec.rtype == TYPE_OPT {
            return Err(WireError::at(at, WireErrorKind::BadOpt));
        }
        answers.push(rec);
    }
    let mut authority = Vec::new();
    for _ in 0..header.nscount {
        let (rec, at) = r.record()?;
        if rec.rtype == TYPE_OPT {
            return Err(WireError::at(at, WireErrorKind::BadOpt));
        }
        authority.push(rec);
    }
    let mut additional = Vec::new();
    let mut edns = None;
    for _ in 0..header.arcount {
        let (rec, at) = r.record()?;
        if rec.rtype == TYPE_OPT {
            if edns.is_some() || rec.name != "." {
                return Err(WireError::at(at, WireErrorKind::BadOpt));
            }
            edns = Some(Edns {
                udp_payload: rec.class,
                extended_rcode: (rec.ttl >> 24) as u8,
                version: (rec.ttl >> 16) as u8,
                dnssec_ok: rec.ttl & 0x8000 != 0,
            });
        } else {
            additional.push(rec);
        }
    }

    let ext = edns.map_or(0, |e| u16::from(e.extended_rcode));
    let rcode = Rcode::from_code((ext << 4) | u16::from(header.rcode));

    let start = question
        .as_ref()
        .map(|q| q.name.clone())
        .or_else(|| answers.first().map(|a| a.name.clone()))
        .unwrap_or_else(|| ".".to_string());
    let (chain, final_name) = follow_chain(&answers, &start, expected);

    let outcome = if header.tc {
        Outcome::Truncated
    } else {
        match rcode {
            Rcode::NoError => {
                let found: Vec<Record> = answers
                    .iter()
                    .filter(|a| a.rtype == expected.code() && a.name == final_name)
                    .cloned()
                    .collect();
                if found.is_empty() {
                    Outcome::NoData
                } else {
                    Outcome::Answer(found)
                }
            }
            Rcode::NxDomain => Outcome::NxDomain,
            Rcode::ServFail => Outcome::ServFail,
            Rcode::Refused => Outcome::Refused,
            other => Outcome::OtherRcode(other),
        }
    };

    Ok(Response {
        header,
        rcode,
        question,
        answers,
        authority,
        additional,
        edns,
        chain,
        final_name,
        outcome,
    })
}

/// [`parse_response`] folded into one [`Outcome`], malformed input included.
pub fn outcome(bytes: &[u8], expected: RecordType) -> Outcome {
    match parse_response(bytes, expected) {
        Ok(r) => r.outcome,
        Err(e) => Outcome::Malformed(e),
    }
}

/// Follows CNAMEs from `start` through the answer section; stops at a name
/// that has records of `expected`, has no CNAME, or was already visited.
fn follow_chain(answers: &[Record], start: &str, expected: RecordType) -> (Vec<String>, String) {
    let mut chain: Vec<String> = Vec::new();
    let mut current = start.to_string();
    if expected == RecordType::Cname {
        return (chain, current);
    }
    while chain.len() < MAX_CHAIN {
        if answers
            .iter()
            .any(|a| a.rtype == expected.code() && a.name == current)
        {
            break;
        }
        let next = answers.iter().find_map(|a| match &a.data {
            RData::Cname(t) if a.name == current => Some(t.clone()),
            _ => None,
        });
        match next {
            Some(t) if t != start && !chain.contains(&t) => {
                chain.push(t.clone());
                current = t;
            }
            _ => break,
        }
    }
    (chain, current)
}

/// A cursor over a message; every read is bounds-checked.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or(WireError::at(self.pos, WireErrorKind::Truncated))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn name(&mut self) -> Result<String, WireError> {
        let (name, end) = read_name(self.buf, self.pos)?;
        self.pos = end;
        Ok(name)
    }

    /// One resource record and the offset it starts at.
    fn record(&mut self) -> Result<(Record, usize), WireError> {
        let at = self.pos;
        let name = self.name()?;
        let rtype = self.u16()?;
        let class = self.u16()?;
        let ttl = self.u32()?;
        let rdlen = usize::from(self.u16()?);
        let rd_start = self.pos;
        self.take(rdlen)?;
        let data = rdata(self.buf, rd_start, rd_start + rdlen, rtype)?;
        Ok((
            Record {
                name,
                rtype,
                class,
                ttl,
                data,
            },
            at,
        ))
    }
}

/// Decodes RDATA in `msg[start..end]` (already bounds-checked by the caller).
/// Names inside may be compressed (RFC 3597 §4 allows it for CNAME and MX),
/// so they are read from the whole message, but must end inside the RDATA.
fn rdata(msg: &[u8], start: usize, end: usize, rtype: u16) -> Result<RData, WireError> {
    let bad = |at: usize| WireError::at(at, WireErrorKind::BadRdata);
    let data = msg.get(start..end).ok_or(bad(start))?;
    let name_in_rdata = |at: usize| -> Result<(String, usize), WireError> {
        // Reading against the RDATA's end makes a name running past it look
        // truncated at the right place instead of reading the next record.
        let bounded = msg.get(..end).ok_or(bad(at))?;
        read_name(bounded, at)
    };
    Ok(match RecordType::from_code(rtype) {
        Some(RecordType::A) => {
            let o: [u8; 4] = data.try_into().map_err(|_| bad(start))?;
            RData::A(Ipv4Addr::from(o))
        }
        Some(RecordType::Aaaa) => {
            let o: [u8; 16] = data.try_into().map_err(|_| bad(start))?;
            RData::Aaaa(Ipv6Addr::from(o))
        }
        Some(RecordType::Cname) => {
            let (name, after) = name_in_rdata(start)?;
            if after != end {
                return Err(bad(after));
            }
            RData::Cname(name)
        }
        Some(RecordType::Mx) => {
            let p = data.get(..2).ok_or(bad(start))?;
            let (exchange, after) = name_in_rdata(start + 2)?;
            if after != end {
                return Err(bad(after));
            }
            RData::Mx(Mx {
                preference: u16::from_be_bytes([p[0], p[1]]),
                exchange,
            })
        }
        Some(RecordType::Txt) => {
            let mut strings = Vec::new();
            let mut i = 0;
            while i < data.len() {
                let len = usize::from(data[i]);
                let s = data
                    .get(i + 1..i + 1 + len)
                    .ok_or(WireError::at(start + i, WireErrorKind::BadRdata))?;
                strings.push(s.to_vec());
                i += 1 + len;
            }
            RData::Txt(Txt { strings })
        }
        Some(RecordType::Tlsa) => match data {
            [usage, selector, matching_type, rest @ ..] => RData::Tlsa(Tlsa {
                usage: *usage,
                selector: *selector,
                matching_type: *matching_type,
                data: rest.to_vec(),
            }),
            _ => return Err(bad(start)),
        },
        None => RData::Other {
            rtype,
            data: data.to_vec(),
        },
    })
}

/// Reads a possibly compressed name at `start` (RFC 1035 §4.1.4) and returns
/// it in presentation form with the offset just after it in place.
///
/// Every pointer must point strictly below the lowest offset visited so far
/// for this name; real compressors only point at earlier names, and the rule
/// makes any loop, however built, an error after at most one pass.
fn read_name(msg: &[u8], start: usize) -> Result<(String, usize), WireError> {
    let mut out = String::new();
    let mut pos = start;
    let mut floor = start;
    let mut end_in_place = None;
    let mut wire_len = 0usize;
    let mut hops = 0usize;
    loop {
        let len = *msg
            .get(pos)
            .ok_or(WireError::at(pos, WireErrorKind::Truncated))?;
        match len & 0xc0 {
            0x00 => {
                let len = usize::from(len);
                wire_len += 1 + len;
                if wire_len > MAX_WIRE_NAME {
                    return Err(WireError::at(pos, WireErrorKind::NameTooLong));
                }
                if len == 0 {
                    let end = end_in_place.unwrap_or(pos + 1);
                    if out.is_empty() {
                        out.push('.');
                    }
                    return Ok((out, end));
                }
                let label = msg
                    .get(pos + 1..pos + 1 + len)
                    .ok_or(WireError::at(pos, WireErrorKind::Truncated))?;
                if !out.is_empty() {
                    out.push('.');
                }
                push_presentation(&mut out, label);
                pos += 1 + len;
            }
            0xc0 => {
                let lo = *msg
                    .get(pos + 1)
                    .ok_or(WireError::at(pos, WireErrorKind::Truncated))?;
                let target = (usize::from(len & 0x3f) << 8) | usize::from(lo);
                if target >= floor {
                    return Err(WireError::at(pos, WireErrorKind::PointerLoop));
                }
                hops += 1;
                if hops > MAX_POINTER_HOPS {
                    return Err(WireError::at(pos, WireErrorKind::PointerChain));
                }
                if end_in_place.is_none() {
                    end_in_place = Some(pos + 2);
                }
                floor = target;
                pos = target;
            }
            _ => return Err(WireError::at(pos, WireErrorKind::BadLabelType)),
        }
    }
}

/// Appends a label in presentation form (RFC 1035 §5.1): ASCII letters
/// lower-cased, `.` and `\` escaped, other bytes outside `!`..`~` as `\DDD`,
/// so that distinct wire names stay distinct and [`encode_name`] reverses it.
fn push_presentation(out: &mut String, label: &[u8]) {
    for &b in label {
        match b {
            b'.' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x21..=0x7e => out.push(char::from(b.to_ascii_lowercase())),
            _ => {
                out.push('\\');
                out.push(char::from(b'0' + b / 100));
                out.push(char::from(b'0' + (b / 10) % 10));
                out.push(char::from(b'0' + b % 10));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_round_trip_with_escapes() {
        let wire = [3, b'a', b'.', b'b', 2, 0x01, b'\\', 0];
        let (name, end) = read_name(&wire, 0).unwrap();
        assert_eq!(name, "a\\.b.\\001\\\\");
        assert_eq!(end, wire.len());
        assert_eq!(encode_name(&name).unwrap(), wire);
    }

    #[test]
    fn encode_rejects_bad_names() {
        assert_eq!(encode_name("a..b"), Err(NameError::EmptyLabel));
        assert_eq!(encode_name(".a"), Err(NameError::EmptyLabel));
        assert_eq!(encode_name(&"a".repeat(64)), Err(NameError::LabelTooLong));
        let long = vec!["a".repeat(63); 4].join(".");
        assert_eq!(encode_name(&long), Err(NameError::NameTooLong));
        assert_eq!(encode_name("a\\256"), Err(NameError::BadEscape));
        assert_eq!(encode_name("a\\"), Err(NameError::BadEscape));
        assert_eq!(encode_name("a\\12"), Err(NameError::BadEscape));
        assert_eq!(encode_name("."), Ok(vec![0]));
        assert_eq!(encode_name("example.com."), encode_name("example.com"));
    }

    #[test]
    fn self_pointer_is_a_loop() {
        let wire = [0xc0, 0x00];
        assert_eq!(
            read_name(&wire, 0),
            Err(WireError::at(0, WireErrorKind::PointerLoop))
        );
    }
}
