//! The report: from what was observed (DNS answers, the policy fetch) to one
//! verdict a person can act on, the findings, and the MX coverage table.
//!
//! Pure: the caller does the lookups and the fetch and hands over the
//! outcomes; the same function serves the web app, the CLI and the tests.
//! The JSON shape (serde) is documented in the README and kept stable.

use serde::{Deserialize, Serialize};

use super::finding::{self, Finding};
use super::mx::{Coverage, MxHost};
use super::policy::Policy;
use super::senders::{self, Reading, Seen};

pub use super::lookup::{DnsStatus, Lookup};
pub use mx_tls::MxTlsRow;

/// What the checker concludes, in the terms of RFC 8461 §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A valid enforce policy covering every MX: senders require TLS.
    Enforced,
    /// A valid testing policy: senders report failures but deliver.
    Testing,
    /// A valid policy in mode none: no active policy (teardown).
    None,
    /// No MTA-STS at all.
    NotConfigured,
    /// Set up, but senders cannot apply it.
    Broken,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Enforced => "enforced",
            Verdict::Testing => "testing",
            Verdict::None => "none",
            Verdict::NotConfigured => "not-configured",
            Verdict::Broken => "broken",
        }
    }
}

/// Why a policy fetch produced no HTTP response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FetchErrorClass {
    /// The policy host does not exist or has no A/AAAA record.
    NoAddress,
    ConnectionRefused,
    Timeout,
    TlsExpired,
    TlsHostname,
    TlsUntrusted,
    Tls,
    /// The body went past the 64 KiB cap.
    BodyTooLarge,
    /// The target resolved to an address the proxy refuses (private,
    /// loopback, link-local).
    Forbidden,
    Other,
}

impl FetchErrorClass {
    pub const ALL: [FetchErrorClass; 10] = [
        FetchErrorClass::NoAddress,
        FetchErrorClass::ConnectionRefused,
        FetchErrorClass::Timeout,
        FetchErrorClass::TlsExpired,
        FetchErrorClass::TlsHostname,
        FetchErrorClass::TlsUntrusted,
        FetchErrorClass::Tls,
        FetchErrorClass::BodyTooLarge,
        FetchErrorClass::Forbidden,
        FetchErrorClass::Other,
    ];

    /// The name in the report's JSON (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            FetchErrorClass::NoAddress => "no-address",
            FetchErrorClass::ConnectionRefused => "connection-refused",
            FetchErrorClass::Timeout => "timeout",
            FetchErrorClass::TlsExpired => "tls-expired",
            FetchErrorClass::TlsHostname => "tls-hostname",
            FetchErrorClass::TlsUntrusted => "tls-untrusted",
            FetchErrorClass::Tls => "tls",
            FetchErrorClass::BodyTooLarge => "body-too-large",
            FetchErrorClass::Forbidden => "forbidden",
            FetchErrorClass::Other => "other",
        }
    }

    /// The class named `name` in the report's JSON.
    pub fn parse(name: &str) -> Option<FetchErrorClass> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// The facts of the policy host's certificate the fetching runtime could see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    #[serde(default)]
    pub subject_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
}

/// The HTTPS fetch of the policy, the way a sending MTA does it (RFC 8461
/// §3.3): no redirects followed, raw status, headers and bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fetch {
    #[serde(default)]
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response headers (lower-case names) that matter to the checker.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// The body was cut at the size cap.
    #[serde(default)]
    pub truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FetchError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    #[serde(default)]
    pub addresses: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
}

impl Fetch {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_bytes(&self) -> &[u8] {
        self.body.as_ref().map(|b| b.0.as_slice()).unwrap_or(&[])
    }
}

/// A fetch that failed before any HTTP response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchError {
    pub class: FetchErrorClass,
    pub message: String,
}

/// Body bytes: JSON text when they are UTF-8, else `{"base64": "..."}`, so
/// nothing is lost (a BOM or a stray byte is exactly what a finding is about).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body(pub Vec<u8>);

impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        use serde::ser::SerializeMap;
        match core::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(
                    "base64",
                    &base64::engine::general_purpose::STANDARD.encode(&self.0),
                )?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor rather than an `#[serde(untagged)]` enum: untagged enums
        // buffer their input through serde's generic content type, which
        // cost the Wasm builds about 7 KB (brotli).
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = Body;
            fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                f.write_str("the body as a string, or {\"base64\": \"...\"}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Body, E> {
                Ok(Body(v.as_bytes().to_vec()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Body, E> {
                Ok(Body(v.into_bytes()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Body, A::Error> {
                use base64::Engine;
                use serde::de::Error;
                let mut encoded: Option<String> = None;
                while let Some(key) = m.next_key::<String>()? {
                    if key == "base64" {
                        encoded = Some(m.next_value()?);
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                let encoded = encoded.ok_or_else(|| A::Error::missing_field("base64"))?;
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map(Body)
                    .map_err(A::Error::custom)
            }
        }
        d.deserialize_any(Text)
    }
}

/// What the checker saw last time (for id drift): the TXT id and the body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previous {
    pub id: String,
    pub body: Body,
}

/// Everything looked up for one domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observations {
    /// The Policy Domain, A-label.
    pub domain: String,
    /// TXT at `_mta-sts.<domain>`.
    #[serde(default)]
    pub sts_txt: Lookup<String>,
    /// The policy fetched with an MTA-like User-Agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Fetch>,
    /// The same fetch with a browser User-Agent, when it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_browser: Option<Fetch>,
    /// A/AAAA of `mta-sts.<domain>` (and the CNAMEs followed).
    #[serde(default)]
    pub policy_host: Lookup<String>,
    /// MX at the domain.
    #[serde(default)]
    pub mx: Lookup<MxHost>,
    /// TXT at `_smtp._tls.<domain>`.
    #[serde(default)]
    pub tlsrpt_txt: Lookup<String>,
    /// MX hosts that are CNAMEs: (host, target).
    #[serde(default)]
    pub mx_cnames: Vec<(String, String)>,
    /// MX hosts with TLSA records at `_25._tcp.<host>`.
    #[serde(default)]
    pub tlsa_hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
    /// The SMTP STARTTLS probe of each MX address (RFC 8461 §4.2), when
    /// the check made it (natively, or through the proxy's `/api/mx-tls`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mx_tls: Vec<super::mx_tls::Probe>,
}

/// The report: the verdict first, then why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub domain: String,
    pub verdict: Verdict,
    /// The verdict in one or two plain sentences.
    pub summary: String,
    /// Most severe first.
    pub findings: Vec<Finding>,
    /// Every MX host and the pattern covering it (empty without a policy).
    pub mx_coverage: Vec<Coverage>,
    /// The id of the single valid STS TXT record.
    pub sts_id: Option<String>,
    /// The policy as senders read it, when valid.
    pub policy: Option<Policy>,
    /// TLS-RPT destinations, when the record is valid.
    pub tlsrpt_rua: Option<Vec<String>>,
    /// Each probed MX address as an enforcing sender judges it (empty when
    /// the check did not probe).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mx_tls: Vec<MxTlsRow>,
    /// How each modelled sending implementation reads the domain, beside
    /// the RFC reading in `verdict` ([`super::senders`]).
    #[serde(default)]
    pub by_sender: Vec<Reading>,
    /// The raw observations the report was made from.
    pub observations: Observations,
}

mod dane;
mod mx_coverage;
mod mx_tls;
mod policy_fetch;
mod sts_record;
mod tls_reporting;
mod verdict;

/// Why a lookup failed, in words, or `None` when it was answered or skipped.
fn lookup_failed(l: &Lookup<impl Sized>) -> Option<String> {
    if l.status.answered() || l.status == DnsStatus::Skipped {
        return None;
    }
    let what = match l.status {
        DnsStatus::ServFail => "the resolver answered SERVFAIL (often a DNSSEC validation failure or unreachable name servers)",
        DnsStatus::Refused => "the resolver refused the query",
        DnsStatus::Timeout => "the lookup timed out",
        DnsStatus::Unreachable => "the resolver could not be reached",
        DnsStatus::HttpStatus => "the DNS-over-HTTPS resolver answered with an HTTP error",
        DnsStatus::Malformed => "the resolver's answer could not be decoded",
        _ => "the lookup failed",
    };
    // The detail of a SERVFAIL is the same explanation: say it once.
    let repeats = l.status == DnsStatus::ServFail
        && l.detail
            .as_deref()
            .is_some_and(|d| d.starts_with("SERVFAIL"));
    Some(match &l.detail {
        Some(d) if !repeats => format!("{what} ({d})"),
        _ => what.to_string(),
    })
}

/// Builds the report from observations (RFC 8461 §3-§5, RFC 8460 §3): each
/// part of the check in turn (their findings listed in this order within a
/// severity), then the verdict.
pub fn build(obs: Observations) -> Report {
    let d = obs.domain.clone();
    let mut f: Vec<Finding> = Vec::new();

    let sts = sts_record::lookup(&d, &obs.sts_txt, &mut f);
    let served = match &obs.policy {
        Some(fetch) => policy_fetch::check(
            &d,
            fetch,
            obs.policy_browser.as_ref(),
            &obs.policy_host,
            &mut f,
        ),
        None => policy_fetch::Served::default(),
    };
    if sts.missing {
        f.push(sts_record::missing(&d, served.served));
    }
    let mode = served
        .policy
        .as_ref()
        .map(|p| p.mode)
        .or(served.partial.mode);
    let coverage = mx_coverage::check(&d, &obs.mx, &served.partial.mx, mode, &mut f);
    mx_coverage::cnames(&obs.mx_cnames, &mut f);
    let rua = tls_reporting::check(&d, &obs.tlsrpt_txt, mode, &mut f);
    dane::present(&obs.tlsa_hosts, &mut f);
    let mx_tls = mx_tls::check(&obs.mx_tls, mode, &mut f);
    if let (Some(prev), Some(rec), Some(fetch)) = (&obs.previous, &sts.record, &obs.policy) {
        f.extend(sts_record::id_drift(prev, rec, fetch));
    }

    finding::sort(&mut f);
    let verdict = verdict::decide(&sts, served.served, served.policy.as_ref(), &f);
    let mut summary = verdict::summarise(verdict, &d, &f, served.policy.as_ref());
    let by_sender = senders::read_all(&Seen {
        verdict,
        findings: &f,
        policy: served.policy.as_ref(),
        partial: &served.partial,
        observations: &obs,
    });
    if let Some(split) = senders::split(verdict, &by_sender) {
        summary = format!("{summary} {split}");
    }
    Report {
        domain: d,
        verdict,
        summary,
        findings: f,
        mx_coverage: coverage,
        sts_id: sts.record.map(|r| r.id),
        policy: served.policy,
        tlsrpt_rua: rua,
        mx_tls,
        by_sender,
        observations: obs,
    }
}

/// The pattern to suggest for an uncovered MX host: the provider wildcard
/// when the host belongs to a known provider, else the host itself.
pub fn suggest_pattern(host: &str) -> String {
    super::generate::provider_pattern(host).unwrap_or_else(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::FetchErrorClass;

    #[test]
    fn fetch_error_class_names_are_the_json_names() {
        for c in FetchErrorClass::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(FetchErrorClass::parse(c.as_str()), Some(c));
        }
        assert_eq!(FetchErrorClass::parse("TLS"), None);
    }
}
