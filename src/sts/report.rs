//! The report: from what was observed (DNS answers, the policy fetch) to one
//! verdict a person can act on, the findings, and the MX coverage table.
//!
//! Pure: the caller does the lookups and the fetch and hands over the
//! outcomes; the same function serves the web app, the CLI and the tests.
//! The JSON shape (serde) is documented in the README and kept stable.

use serde::{Deserialize, Serialize};

use super::finding::{self, Code, Finding, Severity};
use super::mx::{self, Coverage, MxHost};
use super::policy::{self, Mode, Policy};
use super::{lint, tlsrpt, txt};

pub use super::lookup::{DnsStatus, Lookup};

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
    /// The raw observations the report was made from.
    pub observations: Observations,
}

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
    Some(match &l.detail {
        Some(d) => format!("{what} ({d})"),
        None => what.to_string(),
    })
}

/// Builds the report from observations (RFC 8461 §3-§5, RFC 8460 §3).
pub fn build(obs: Observations) -> Report {
    let d = obs.domain.clone();
    let mut f: Vec<Finding> = Vec::new();

    // _mta-sts TXT, RFC 8461 §3.1.
    let sel = if obs.sts_txt.status == DnsStatus::Ok {
        txt::select(&obs.sts_txt.records)
    } else {
        txt::Selection::default()
    };
    let txt_failed = lookup_failed(&obs.sts_txt);
    if let Some(why) = &txt_failed {
        f.push(Finding::new(
            Code::TxtLookupFailed,
            format!("The TXT lookup for _mta-sts.{d} failed: {why}."),
            "Check that your DNS servers answer for this name (and that DNSSEC signatures are valid); try again later.",
        ));
    }
    if let Some(target) = obs.sts_txt.cnames.last() {
        f.push(Finding::new(
            Code::TxtCname,
            format!("_mta-sts.{d} is a CNAME to {target}: the policy id is managed there (RFC 8461 §8.2 delegation)."),
            "Nothing to fix; when you change provider, replace the CNAME.",
        ));
    }
    let near_miss = sel.findings.iter().any(|x| x.code == Code::TxtVersion);
    let txt_missing = txt_failed.is_none()
        && obs.sts_txt.status != DnsStatus::Skipped
        && sel.sts_count == 0
        && !near_miss;
    f.extend(sel.findings.iter().cloned());

    // The policy fetch, RFC 8461 §3.3, and the body, §3.2.
    let mut policy: Option<Policy> = None;
    let mut partial = policy::Partial::default();
    let mut policy_served = false;
    if let Some(fetch) = &obs.policy {
        let (served, p, part, ff) =
            check_fetch(&d, fetch, obs.policy_browser.as_ref(), &obs.policy_host);
        policy_served = served;
        policy = p;
        partial = part;
        f.extend(ff);
    }

    if txt_missing {
        let extra = if policy_served {
            " The policy file is served, but senders only fetch it after finding this record."
        } else {
            ""
        };
        f.push(
            Finding::new(
                Code::TxtMissing,
                format!("No MTA-STS TXT record at _mta-sts.{d}: senders never look for a policy.{extra}"),
                format!("Publish a TXT record at _mta-sts.{d} with an id you change on every policy edit."),
            )
            .corrected("v=STSv1; id=20240101000000"),
        );
    }

    // MX records against the policy, RFC 8461 §4.1.
    let mut coverage = Vec::new();
    let mx_failed = lookup_failed(&obs.mx);
    if let Some(why) = &mx_failed {
        f.push(Finding::new(
            Code::MxLookupFailed,
            format!("The MX lookup for {d} failed: {why}."),
            "Check that your DNS servers answer MX queries for the domain.",
        ));
    }
    let null_mx = obs.mx.records.len() == 1
        && obs.mx.records[0].preference == 0
        && matches!(obs.mx.records[0].host.as_str(), "" | ".");
    let mode = policy.as_ref().map(|p| p.mode).or(partial.mode);
    match obs.mx.status {
        DnsStatus::NxDomain => f.push(Finding::new(
            Code::MxMissing,
            format!("{d} does not exist in DNS (NXDOMAIN)."),
            "Check the spelling of the domain.",
        )),
        DnsStatus::NoData => f.push(Finding::new(
            Code::MxMissing,
            format!("{d} has no MX records; senders fall back to its A/AAAA address and MTA-STS has no MX host to protect."),
            "Publish MX records for the hosts that receive your mail.",
        )),
        DnsStatus::Ok if null_mx => f.push(Finding::new(
            Code::MxNull,
            format!("{d} publishes a null MX (0 .): it accepts no mail, so MTA-STS has nothing to protect."),
            "Nothing to do if the domain sends no mail in; otherwise publish real MX records.",
        )),
        DnsStatus::Ok => {
            coverage = mx::coverage(&partial.mx, &obs.mx.records);
            if !partial.mx.is_empty() || mode.is_some_and(|m| m != Mode::None) {
                for row in coverage.iter().filter(|r| r.pattern.is_none()) {
                    let sev = match mode {
                        Some(Mode::Enforce) => Severity::Error,
                        Some(Mode::Testing) => Severity::Warning,
                        _ => Severity::Info,
                    };
                    let deeper = partial.mx.iter().find(|p| {
                        p.wildcard
                            && row.host.len() > p.base.len()
                            && row.host.to_ascii_lowercase().ends_with(&format!(".{}", p.base))
                    });
                    let hint = match deeper {
                        Some(p) => format!(" `{p}` covers exactly one label, and `{}` has more.", row.host),
                        None => String::new(),
                    };
                    let consequence = match mode {
                        Some(Mode::Enforce) => " Senders enforcing the policy will refuse to deliver to it.",
                        Some(Mode::Testing) => " Under enforce, senders would refuse to deliver to it.",
                        _ => "",
                    };
                    f.push(
                        Finding::new(
                            Code::MxNotCovered,
                            format!("The MX host {} matches no mx pattern in the policy.{hint}{consequence}", row.host),
                            format!("Add `mx: {}` (or a wildcard for its parent) to the policy, then change the TXT id.", row.host),
                        )
                        .with_severity(sev)
                        .corrected(format!("mx: {}", suggest_pattern(&row.host))),
                    );
                }
                for p in &partial.mx {
                    if !obs.mx.records.iter().any(|h| p.matches(&h.host)) {
                        f.push(Finding::new(
                            Code::MxPatternUnused,
                            format!("The policy allows `{p}`, but no MX record of {d} points there."),
                            "Remove stale mx lines after a provider change (then change the id); keep them only for MX hosts you are about to add.",
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    for (host, target) in &obs.mx_cnames {
        f.push(Finding::new(
            Code::MxCname,
            format!("The MX host {host} is a CNAME to {target}; RFC 5321 forbids MX targets that are aliases."),
            format!("Point the MX record at {target} directly and cover that name in the policy."),
        ));
    }

    // TLS reporting, RFC 8460 §3.
    let mut rua = None;
    if let Some(why) = lookup_failed(&obs.tlsrpt_txt) {
        f.push(Finding::new(
            Code::TlsrptLookupFailed,
            format!("The TXT lookup for _smtp._tls.{d} failed: {why}."),
            "Check that your DNS servers answer for this name.",
        ));
    } else if obs.tlsrpt_txt.status != DnsStatus::Skipped {
        let sel = if obs.tlsrpt_txt.status == DnsStatus::Ok {
            tlsrpt::select(&obs.tlsrpt_txt.records)
        } else {
            tlsrpt::Selection::default()
        };
        let attempted = sel
            .findings
            .iter()
            .any(|x| x.code != Code::TlsrptIgnoredRecord);
        if sel.tlsrpt_count == 0 && !attempted {
            let sev = if mode == Some(Mode::Testing) {
                Severity::Warning
            } else {
                Severity::Info
            };
            f.push(
                Finding::new(
                    Code::TlsrptMissing,
                    format!("No TLS-RPT record at _smtp._tls.{d}: you will not hear about senders that fail to deliver over TLS."),
                    format!("Publish a TXT record at _smtp._tls.{d}."),
                )
                .with_severity(sev)
                .corrected(format!("v=TLSRPTv1; rua=mailto:tls-reports@{d}")),
            );
        }
        rua = sel.record.map(|r| r.rua);
        f.extend(sel.findings);
    }

    for host in &obs.tlsa_hosts {
        f.push(Finding::new(
            Code::DanePresent,
            format!("The MX host {host} publishes TLSA records (DANE)."),
            "Nothing to fix: keep the TLSA records in step with the certificate.",
        ));
    }

    // Id drift: a changed policy needs a new id, RFC 8461 §3.1.
    if let (Some(prev), Some(rec), Some(fetch)) = (&obs.previous, &sel.record, &obs.policy) {
        let body = fetch.body_bytes();
        if fetch.status == Some(200) {
            if prev.id == rec.id && prev.body.0 != body {
                f.push(Finding::new(
                    Code::IdNotBumped,
                    format!("The policy changed since the last check but the id is still `{}`: senders that cached the old policy keep using it until it expires.", rec.id),
                    "Change the id in the _mta-sts TXT record every time you edit the policy.",
                ).corrected(format!("v=STSv1; id={}", next_id(&rec.id))));
            } else if prev.id != rec.id && prev.body.0 == body {
                f.push(Finding::new(
                    Code::IdChangedPolicySame,
                    format!("The id changed from `{}` to `{}` but the policy is the same: senders will re-fetch an identical policy.", prev.id, rec.id),
                    "Nothing to fix; change the id when the policy changes.",
                ));
            }
        }
    }

    finding::sort(&mut f);
    let configured = sel.sts_count > 0 || near_miss || policy_served;
    // TLS-RPT problems cost reports, not the policy: they do not change how
    // senders apply MTA-STS.
    let has_error = f
        .iter()
        .any(|x| x.is_error() && !x.code.as_str().starts_with("tlsrpt-"));
    // A failed TXT lookup leaves it open whether MTA-STS is configured;
    // that is reported as broken, since senders cannot find a policy either.
    let verdict = if !configured && txt_failed.is_none() {
        Verdict::NotConfigured
    } else if has_error || sel.record.is_none() || policy.is_none() {
        Verdict::Broken
    } else {
        match mode {
            Some(Mode::Enforce) => Verdict::Enforced,
            Some(Mode::Testing) => Verdict::Testing,
            _ => Verdict::None,
        }
    };
    let summary = summarise(verdict, &d, &f, policy.as_ref());
    Report {
        domain: d,
        verdict,
        summary,
        findings: f,
        mx_coverage: coverage,
        sts_id: sel.record.map(|r| r.id),
        policy,
        tlsrpt_rua: rua,
        observations: obs,
    }
}

/// Findings about the fetch and the body. Returns whether a 200 body was
/// served, the valid policy, what could be read of it, and the findings.
fn check_fetch(
    d: &str,
    fetch: &Fetch,
    browser: Option<&Fetch>,
    host: &Lookup<String>,
) -> (bool, Option<Policy>, policy::Partial, Vec<Finding>) {
    let mut f = Vec::new();
    let url = format!("https://mta-sts.{d}/.well-known/mta-sts.txt");
    if let Some(target) = host.cnames.last() {
        f.push(Finding::new(
            Code::PolicyHostCname,
            format!("mta-sts.{d} is a CNAME to {target}; the policy is hosted there, and its certificate must still be valid for mta-sts.{d}."),
            "Nothing to fix if the host serves a certificate for mta-sts.".to_string() + d,
        ));
    }
    if let Some(err) = &fetch.error {
        let (code, msg, fix) = match err.class {
            FetchErrorClass::NoAddress => (
                Code::PolicyHostMissing,
                format!("mta-sts.{d} has no address (no A/AAAA record), so senders cannot fetch the policy."),
                format!("Create an A/AAAA (or CNAME) record for mta-sts.{d} pointing at the web server that serves the policy."),
            ),
            FetchErrorClass::ConnectionRefused => (
                Code::PolicyConnect,
                format!("mta-sts.{d} refused the HTTPS connection on port 443."),
                "Make the web server listen on port 443 for this host name.".to_string(),
            ),
            FetchErrorClass::Timeout => (
                Code::PolicyTimeout,
                format!("Fetching {url} timed out; senders give up after about a minute."),
                "Make the policy host answer quickly; check firewalls and the server's health.".to_string(),
            ),
            FetchErrorClass::TlsExpired => (
                Code::PolicyTlsExpired,
                format!("The certificate of mta-sts.{d} has expired; senders reject it."),
                format!("Renew the certificate and include mta-sts.{d} in the renewal (e.g. certbot -d mta-sts.{d})."),
            ),
            FetchErrorClass::TlsHostname => (
                Code::PolicyTlsHostname,
                format!("The certificate served for mta-sts.{d} is not valid for that name."),
                format!("Serve a certificate whose subject alternative names include mta-sts.{d} (a wildcard *.{d} also works)."),
            ),
            FetchErrorClass::TlsUntrusted => (
                Code::PolicyTlsUntrusted,
                format!("The certificate of mta-sts.{d} does not chain to a trusted CA (self-signed or missing intermediate)."),
                "Use a certificate from a public CA (e.g. Let's Encrypt) and serve the full chain.".to_string(),
            ),
            FetchErrorClass::Tls => (
                Code::PolicyTls,
                format!("The TLS handshake with mta-sts.{d} failed."),
                "Check the web server's TLS configuration and certificate.".to_string(),
            ),
            FetchErrorClass::BodyTooLarge => (
                Code::PolicyTooLarge,
                format!("The body at {url} goes past 64 KiB; senders stop reading there."),
                "Serve only the policy lines (a few hundred bytes).".to_string(),
            ),
            FetchErrorClass::Forbidden | FetchErrorClass::Other => (
                Code::PolicyFetchFailed,
                format!("The policy at {url} could not be fetched."),
                "Check that the URL opens from outside your network.".to_string(),
            ),
        };
        let mut msg = if err.message.is_empty() {
            msg
        } else {
            format!("{msg} ({})", err.message)
        };
        if let Some(cert) = &fetch.certificate {
            match err.class {
                FetchErrorClass::TlsExpired => {
                    if let Some(end) = &cert.not_after {
                        msg.push_str(&format!(" The certificate expired on {end}."));
                    }
                }
                FetchErrorClass::TlsHostname => msg.push_str(&format!(
                    " The certificate is valid for: {}.",
                    if cert.subject_names.is_empty() {
                        "no DNS names".to_string()
                    } else {
                        cert.subject_names.join(", ")
                    }
                )),
                FetchErrorClass::TlsUntrusted => {
                    if let Some(issuer) = &cert.issuer {
                        msg.push_str(&format!(" It was issued by {issuer}."));
                    }
                }
                _ => {}
            }
        }
        f.push(Finding::new(code, msg, fix));
        return (false, None, policy::Partial::default(), f);
    }
    let status = fetch.status.unwrap_or(0);
    if (300..400).contains(&status) {
        let to = fetch
            .header("location")
            .map(|l| format!(" to {l}"))
            .unwrap_or_default();
        f.push(Finding::new(
            Code::PolicyRedirect,
            format!("{url} answers {status}, a redirect{to}. Senders must not follow redirects (RFC 8461 §3.3), so they get no policy, even though a browser shows it."),
            "Serve the policy directly at that URL with status 200: exempt /.well-known/mta-sts.txt from HTTP-to-HTTPS, www and trailing-slash redirects.",
        ));
        return (false, None, policy::Partial::default(), f);
    }
    if status != 200 {
        let browser_ok = browser.is_some_and(|b| b.status == Some(200));
        if browser_ok {
            f.push(Finding::new(
                Code::PolicyUaBlocked,
                format!("{url} answers {status} to a mail server's User-Agent but 200 to a browser: a CDN or firewall bot check is blocking senders."),
                "Exempt /.well-known/mta-sts.txt from bot protection (e.g. Cloudflare Browser Integrity Check / Bot Fight Mode).",
            ));
        } else {
            let why = match status {
                404 => " (not found: check the path /.well-known/mta-sts.txt, and on GitHub Pages add a .nojekyll file)",
                403 => " (forbidden)",
                _ => "",
            };
            f.push(Finding::new(
                Code::PolicyHttpStatus,
                format!(
                    "{url} answers HTTP {status}{why}; a policy is only valid with status 200."
                ),
                "Serve the policy file at exactly /.well-known/mta-sts.txt with status 200.",
            ));
        }
        return (false, None, policy::Partial::default(), f);
    }

    let ct = fetch.header("content-type");
    let media = ct
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let charset = ct.and_then(|c| {
        c.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| v.trim().trim_matches('"').to_ascii_lowercase())
        })
    });
    if media != "text/plain" {
        let got = ct
            .map(|c| format!("`{c}`"))
            .unwrap_or_else(|| "no Content-Type".to_string());
        f.push(Finding::new(
            Code::PolicyContentType,
            format!("The policy is served with {got}; senders should only accept text/plain."),
            "Serve the file as text/plain (nginx: `default_type text/plain;` in that location).",
        ));
    } else if let Some(cs) = charset.filter(|c| c != "utf-8" && c != "us-ascii") {
        f.push(Finding::new(
            Code::PolicyContentType,
            format!("The policy is served as text/plain with charset={cs}; senders read only utf-8 or us-ascii."),
            "Serve it as `text/plain` or `text/plain; charset=utf-8`.",
        ));
    }
    if fetch.truncated {
        f.push(Finding::new(
            Code::PolicyTooLarge,
            format!("The body at {url} goes past 64 KiB; senders stop reading there."),
            "Serve only the policy lines (a few hundred bytes).",
        ));
    }
    let body = fetch.body_bytes();
    let checked = policy::check(body);
    f.extend(checked.findings);
    f.extend(lint::policy_advice(&checked.partial, Some(d)));
    // A body that is not a policy at all (HTML, RTF) was served, but nothing a
    // sender can use.
    (true, checked.policy, checked.partial, f)
}

/// The pattern to suggest for an uncovered MX host: the provider wildcard
/// when the host belongs to a known provider, else the host itself.
pub fn suggest_pattern(host: &str) -> String {
    super::generate::provider_pattern(host).unwrap_or_else(|| host.to_ascii_lowercase())
}

/// A new id that differs from `old`: used only in a suggested record.
fn next_id(old: &str) -> String {
    let digits: String = old.chars().filter(char::is_ascii_digit).collect();
    match digits.parse::<u128>() {
        Ok(n) if digits == old => (n + 1).to_string(),
        _ => format!("{}2", &old[..old.len().min(31)]),
    }
}

fn summarise(v: Verdict, d: &str, f: &[Finding], p: Option<&Policy>) -> String {
    match v {
        Verdict::Enforced => format!(
            "Senders that support MTA-STS require TLS with a valid certificate for mail to {d} and deliver only to the MX hosts the policy lists{}.",
            p.map(|p| format!(" (cached for {})", lint::duration(p.max_age))).unwrap_or_default()
        ),
        Verdict::Testing => format!(
            "The policy for {d} is in testing mode: senders still deliver when TLS fails and only report the failure. Switch to enforce once reports are clean."
        ),
        Verdict::None => format!(
            "The policy for {d} is in mode none: senders treat the domain as having no MTA-STS policy (teardown)."
        ),
        Verdict::NotConfigured => format!(
            "{d} does not publish MTA-STS: senders use opportunistic TLS, which a network attacker can strip."
        ),
        Verdict::Broken => {
            let first = f
                .iter()
                .find(|x| x.is_error())
                .map(|x| x.message.clone())
                .unwrap_or_else(|| "the policy could not be applied".to_string());
            format!("MTA-STS for {d} is set up but senders cannot apply it: {first}")
        }
    }
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
