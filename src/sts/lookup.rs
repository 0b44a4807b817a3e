//! One DNS lookup as a check sees it: the question and why it is asked, how
//! a transport's answer is read and validated, and the report's view of the
//! result ([`Lookup`]).
//!
//! Every transport (DNS over HTTPS in the browser and natively, plain DNS over
//! UDP/TCP natively) hands the bytes it received to [`read_answer`], so the
//! rules for what counts as an answer are written once: the DoH media type
//! (RFC 8484 §4.2.1), a decodable message (RFC 1035 §4.1), and the question
//! echoed (RFC 5452 §4.2). A lookup that got no answer is a [`Failure`], the
//! one error model of every transport.

use serde::{Deserialize, Serialize};

use super::dns::{self, Outcome, RData, RecordType, Response, DOH_MEDIA_TYPE};
use super::mx::MxHost;

/// The outcome of one DNS lookup, as far as the report cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsStatus {
    /// NOERROR with records of the asked type.
    Ok,
    /// NOERROR without records of the asked type.
    NoData,
    NxDomain,
    /// SERVFAIL: often a DNSSEC validation failure.
    ServFail,
    Refused,
    Timeout,
    /// The resolver could not be reached.
    Unreachable,
    /// The DoH resolver answered with an HTTP error.
    HttpStatus,
    Malformed,
    /// Not looked up.
    Skipped,
}

impl DnsStatus {
    /// True when the name was answered (with or without records).
    pub fn answered(self) -> bool {
        matches!(
            self,
            DnsStatus::Ok | DnsStatus::NoData | DnsStatus::NxDomain
        )
    }

    /// The status of a decoded answer (RFC 2308 §2 for NXDOMAIN and NODATA).
    pub fn of(outcome: &Outcome) -> DnsStatus {
        match outcome {
            Outcome::Answer(_) => DnsStatus::Ok,
            Outcome::NoData => DnsStatus::NoData,
            Outcome::NxDomain => DnsStatus::NxDomain,
            Outcome::ServFail | Outcome::OtherRcode(_) => DnsStatus::ServFail,
            Outcome::Refused => DnsStatus::Refused,
            Outcome::Truncated | Outcome::Malformed(_) => DnsStatus::Malformed,
        }
    }
}

/// One lookup: status, records (for TXT, each record's strings already
/// joined), and the CNAME chain followed to reach them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup<T> {
    pub status: DnsStatus,
    #[serde(default)]
    pub records: Vec<T>,
    /// CNAME targets followed from the asked name, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cnames: Vec<String>,
    /// Resolver's words for a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl<T> Lookup<T> {
    pub fn ok(records: Vec<T>) -> Self {
        let status = if records.is_empty() {
            DnsStatus::NoData
        } else {
            DnsStatus::Ok
        };
        Lookup {
            status,
            records,
            cnames: Vec::new(),
            detail: None,
        }
    }

    pub fn status(status: DnsStatus) -> Self {
        Lookup {
            status,
            records: Vec::new(),
            cnames: Vec::new(),
            detail: None,
        }
    }

    pub fn skipped() -> Self {
        Self::status(DnsStatus::Skipped)
    }

    /// The lookup of a decoded answer, with `records` picked from it.
    pub fn from_response(r: &Response, records: impl FnOnce(&Response) -> Vec<T>) -> Self {
        let mut l = match r.outcome {
            Outcome::Answer(_) => Lookup::ok(records(r)),
            _ => Lookup::status(DnsStatus::of(&r.outcome)),
        };
        l.cnames = r.chain.clone();
        if !matches!(r.outcome, Outcome::Answer(_) | Outcome::NoData) {
            l.detail = Some(r.outcome.describe());
        }
        l
    }

    /// The lookup of a decoded answer, with `records` picked from it, or of
    /// a failure.
    pub fn from_result(
        result: &Result<Response, Failure>,
        records: impl FnOnce(&Response) -> Vec<T>,
    ) -> Self {
        match result {
            Ok(r) => Self::from_response(r, records),
            Err(f) => {
                let mut l = Lookup::status(f.status);
                l.detail = Some(f.detail.clone());
                l
            }
        }
    }

    /// A and AAAA of one name as one lookup: records of both families, `Ok`
    /// when either has an address (one is enough to connect), the first
    /// CNAME chain seen.
    pub fn either_family(a: Option<Self>, aaaa: Option<Self>) -> Self {
        match (a, aaaa) {
            (Some(a), Some(b)) => {
                let status = if !a.records.is_empty() || !b.records.is_empty() {
                    DnsStatus::Ok
                } else if a.status.answered() {
                    a.status
                } else {
                    b.status
                };
                let mut records = a.records;
                records.extend(b.records);
                Lookup {
                    status,
                    records,
                    cnames: if a.cnames.is_empty() {
                        b.cnames
                    } else {
                        a.cnames
                    },
                    detail: a.detail.or(b.detail),
                }
            }
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => Lookup::skipped(),
        }
    }
}

impl<T> Default for Lookup<T> {
    fn default() -> Self {
        Self::skipped()
    }
}

/// TXT records, one string per record, its character-strings joined
/// (RFC 8461 §3.1, RFC 8460 §3).
pub fn txt_records(r: &Response) -> Vec<String> {
    r.txt().into_iter().map(dns::Txt::text).collect()
}

/// MX records; the null MX (RFC 7505) keeps its `.` host.
pub fn mx_records(r: &Response) -> Vec<MxHost> {
    r.mx()
        .into_iter()
        .map(|m| MxHost {
            preference: m.preference,
            host: m.exchange.clone(),
        })
        .collect()
}

/// A and AAAA addresses as text.
pub fn address_records(r: &Response) -> Vec<String> {
    r.addresses().into_iter().map(|a| a.to_string()).collect()
}

/// The CNAME targets in an answer to a CNAME question.
pub fn cname_targets(r: &Response) -> Vec<String> {
    r.records()
        .iter()
        .filter_map(|rec| match &rec.data {
            RData::Cname(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Why a lookup got no DNS answer: the one error model of every transport.
/// DNS answers of every RCODE are not failures: NXDOMAIN, NODATA and
/// SERVFAIL are the resolver speaking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// [`DnsStatus::Timeout`], [`DnsStatus::Unreachable`],
    /// [`DnsStatus::HttpStatus`] or [`DnsStatus::Malformed`].
    pub status: DnsStatus,
    /// What happened, in words, naming the resolver.
    pub detail: String,
}

impl Failure {
    /// Nothing came back in time.
    pub fn timeout(detail: impl Into<String>) -> Self {
        Failure {
            status: DnsStatus::Timeout,
            detail: detail.into(),
        }
    }

    /// The resolver could not be reached (refused, no route, TLS of the DoH
    /// host failing).
    pub fn unreachable(detail: impl Into<String>) -> Self {
        Failure {
            status: DnsStatus::Unreachable,
            detail: detail.into(),
        }
    }

    /// The DoH server answered with an HTTP status other than 200.
    pub fn http_status(resolver: &str, status: u16) -> Self {
        Failure {
            status: DnsStatus::HttpStatus,
            detail: format!("{resolver} answered HTTP {status}"),
        }
    }

    /// Something came back, but not an answer to the question.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Failure {
            status: DnsStatus::Malformed,
            detail: detail.into(),
        }
    }

    /// Whether this failure means the resolver itself could not be asked
    /// (rather than that it answered something unusable).
    pub fn transport(&self) -> bool {
        matches!(self.status, DnsStatus::Timeout | DnsStatus::Unreachable)
    }

    /// Several failed attempts at one question (one per resolver) as one:
    /// a timeout only when every attempt timed out, otherwise the last
    /// attempt's status; the details joined.
    pub fn combine(attempts: Vec<Failure>) -> Failure {
        let all_timeouts =
            !attempts.is_empty() && attempts.iter().all(|f| f.status == DnsStatus::Timeout);
        let status = if all_timeouts {
            DnsStatus::Timeout
        } else {
            attempts
                .last()
                .map(|f| f.status)
                .unwrap_or(DnsStatus::Unreachable)
        };
        let detail = attempts
            .iter()
            .map(|f| f.detail.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        Failure {
            status,
            detail: if detail.is_empty() {
                "no DNS resolver is configured".to_string()
            } else {
                detail
            },
        }
    }
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for Failure {}

/// Largest DNS message (the TCP length prefix is 16 bits, RFC 1035 §4.2.2);
/// also the cap a transport puts on a DoH body.
pub const MAX_MESSAGE: usize = 65_535;

/// Reads what a transport received for `name`/`qtype` from `resolver`:
/// `content_type` is the HTTP media type for DNS over HTTPS (`None` for plain
/// DNS, or a DoH answer without the header). The answer must be a DNS message
/// (RFC 8484 §4.2.1: an HTML page here is usually a captive portal or a wrong
/// URL), decode (RFC 1035 §4.1), and be for the question asked: same name
/// (case-insensitive, RFC 4343) and type; a missing question is accepted only
/// with an error RCODE, where servers may omit it.
pub fn read_answer(
    name: &str,
    qtype: RecordType,
    message: &[u8],
    content_type: Option<&str>,
    resolver: &str,
) -> Result<Response, Failure> {
    if let Some(ct) = content_type {
        let media = ct.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case(DOH_MEDIA_TYPE) {
            return Err(Failure::malformed(format!(
                "{resolver} answered with content-type {}, not {DOH_MEDIA_TYPE}",
                media.to_ascii_lowercase()
            )));
        }
    }
    if message.len() > MAX_MESSAGE {
        return Err(Failure::malformed(format!(
            "{resolver} sent more than {MAX_MESSAGE} bytes"
        )));
    }
    let resp = dns::parse_response(message, qtype).map_err(|e| {
        Failure::malformed(format!(
            "{resolver} sent an answer that is not a DNS message ({e})"
        ))
    })?;
    let want = name.trim_end_matches('.').to_ascii_lowercase();
    let want = if want.is_empty() { ".".into() } else { want };
    match &resp.question {
        Some(q) if q.name == want && q.qtype == qtype.code() => Ok(resp),
        Some(q) => Err(Failure::malformed(format!(
            "{resolver} answered for {} type {}, not {want} {qtype}",
            q.name, q.qtype
        ))),
        None if !matches!(resp.outcome, Outcome::Answer(_) | Outcome::NoData) => Ok(resp),
        None => Err(Failure::malformed(format!(
            "{resolver}'s answer does not repeat the question"
        ))),
    }
}

/// Why a check makes a lookup, so each answer is filed in the report's
/// observations.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "purpose", content = "host")]
pub enum Purpose {
    /// TXT `_mta-sts.D`, RFC 8461 §3.1.
    StsTxt,
    /// TXT `_smtp._tls.D`, RFC 8460 §3.
    TlsRptTxt,
    /// MX `D`, RFC 8461 §4.
    Mx,
    /// A, AAAA and CNAME of `mta-sts.D`, the Policy Host (RFC 8461 §3.3).
    PolicyHost,
    /// TLSA `_25._tcp.<mx>` (RFC 7672 §2.2): DANE alongside MTA-STS.
    MxTlsa(String),
    /// CNAME of an MX host: RFC 2181 §10.3 forbids MX targets that are
    /// aliases, and RFC 8461 §4.1 matches the name in the MX record.
    MxCname(String),
    /// A and AAAA of an MX host: the addresses its STARTTLS is probed at
    /// (RFC 8461 §4.2).
    MxAddress(String),
}

/// One lookup to make.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Question {
    pub name: String,
    pub qtype: RecordType,
    pub purpose: Purpose,
}

impl Question {
    pub fn new(name: impl Into<String>, qtype: RecordType, purpose: Purpose) -> Self {
        Question {
            name: name.into(),
            qtype,
            purpose,
        }
    }

    /// The line a progress list shows for this lookup.
    pub fn label(&self) -> String {
        match self.purpose {
            Purpose::StsTxt => format!("TXT {} (the MTA-STS record)", self.name),
            Purpose::TlsRptTxt => format!("TXT {} (TLS reporting)", self.name),
            Purpose::Mx => format!("MX {}", self.name),
            Purpose::PolicyHost => format!("{} {} (policy host)", self.qtype, self.name),
            Purpose::MxTlsa(_) => format!("TLSA {} (DANE)", self.name),
            Purpose::MxCname(_) => format!("CNAME {} (MX host alias)", self.name),
            Purpose::MxAddress(_) => format!("{} {} (MX host address)", self.qtype, self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_is_a_timeout_only_when_every_attempt_timed_out() {
        let t = Failure::timeout("a did not answer");
        let u = Failure::unreachable("b refused");
        assert_eq!(
            Failure::combine(vec![t.clone(), t.clone()]).status,
            DnsStatus::Timeout
        );
        let both = Failure::combine(vec![t, u]);
        assert_eq!(both.status, DnsStatus::Unreachable);
        assert_eq!(both.detail, "a did not answer; b refused");
        assert_eq!(
            Failure::combine(Vec::new()).detail,
            "no DNS resolver is configured"
        );
    }
}
