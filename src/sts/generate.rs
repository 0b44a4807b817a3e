//! Generates what a domain needs to publish: the policy file (RFC 8461 §3.2,
//! CRLF line endings), the `_mta-sts` TXT value (§3.1), the `_smtp._tls` TXT
//! value (RFC 8460 §3) and zone-file lines. No clock and no randomness: the
//! caller supplies the time for timestamp ids.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::domain::{self, DomainError};
use super::mx;
use super::policy::{Mode, MAX_MAX_AGE};
use super::tlsrpt;

/// How the `_mta-sts` id is made (RFC 8461 §3.1: it MUST change with the
/// policy; no ordering is implied).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum IdStrategy {
    /// UTC time of the change as `YYYYMMDDhhmmss`, from Unix seconds.
    Timestamp(u64),
    /// The first 20 hex digits of SHA-256 over the policy text: the id changes
    /// exactly when the policy does.
    ContentHash,
    /// An id typed by the user (1-32 letters and digits).
    Manual(String),
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The mail domain, in any form [`domain::normalise`] accepts.
    pub domain: String,
    pub mode: Mode,
    /// MX host names or `*.` patterns.
    pub mx: Vec<String>,
    pub max_age: u64,
    pub id: IdStrategy,
    /// TLS-RPT destinations; empty means `mailto:tls-reports@<domain>`.
    #[serde(default)]
    pub rua: Vec<String>,
    /// Replace hosts of known providers by the wildcard the provider needs.
    #[serde(default = "yes")]
    pub provider_wildcards: bool,
    /// TTL for the zone lines, seconds.
    #[serde(default = "default_ttl")]
    pub ttl: u32,
}

fn yes() -> bool {
    true
}

fn default_ttl() -> u32 {
    3600
}

/// A provider wildcard applied or suggested for one MX host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub host: String,
    pub pattern: String,
    pub provider: String,
}

/// Everything to publish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    pub domain: String,
    /// The policy file body, CRLF line endings, to serve at `policy_url`.
    pub policy: String,
    pub policy_url: String,
    pub id: String,
    /// Value of the TXT record at `_mta-sts.<domain>`.
    pub sts_txt: String,
    /// Value of the TXT record at `_smtp._tls.<domain>`.
    pub tlsrpt_txt: String,
    /// Zone-file lines (BIND syntax) for both records.
    pub zone: String,
    /// The policy's lifetime in seconds, as written in `policy`.
    pub max_age: u64,
    /// The mx patterns written, in order.
    pub mx: Vec<String>,
    pub suggestions: Vec<Suggestion>,
}

/// Why nothing could be generated; `message` says what to change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateError {
    pub field: &'static str,
    pub message: String,
}

impl core::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn gen_err(field: &'static str, message: impl Into<String>) -> GenerateError {
    GenerateError {
        field,
        message: message.into(),
    }
}

/// Known providers whose MX host names vary (by tenant, region or number):
/// (host name suffix, provider).
const PROVIDERS: &[(&str, &str)] = &[
    (".mail.protection.outlook.com", "Microsoft 365"),
    (".mx.microsoft", "Microsoft 365 (DNSSEC MX)"),
    (".aspmx.l.google.com", "Google Workspace"),
    (".googlemail.com", "Google Workspace"),
    (".messagingengine.com", "Fastmail"),
    (".mail.icloud.com", "iCloud Mail"),
    (".mailbox.org", "mailbox.org"),
    (".mx.cloudflare.net", "Cloudflare Email Routing"),
    (".protonmail.ch", "Proton Mail"),
    (".zoho.com", "Zoho Mail"),
    (".zoho.eu", "Zoho Mail"),
    (".mimecast.com", "Mimecast"),
    (".yahoodns.net", "Yahoo"),
    (".pphosted.com", "Proofpoint"),
];

/// The provider wildcard for an MX host of a known provider: `*.` and the
/// host's parent name, which is what varies least. RFC 8461 §4.1 wildcards
/// cover one label, so the parent is used even when the provider's own name
/// is higher up (e.g. `*.o-v1.mx.microsoft`, not `*.mx.microsoft`).
pub fn provider_pattern(host: &str) -> Option<String> {
    provider_of(host).map(|(pattern, _)| pattern)
}

fn provider_of(host: &str) -> Option<(String, &'static str)> {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let (_, provider) = PROVIDERS.iter().find(|(s, _)| h.ends_with(s))?;
    let (_, parent) = h.split_once('.')?;
    Some((format!("*.{parent}"), provider))
}

/// The provider wildcards for a list of MX hosts.
pub fn suggest(hosts: &[String]) -> Vec<Suggestion> {
    hosts
        .iter()
        .filter_map(|h| {
            provider_of(h).map(|(pattern, provider)| Suggestion {
                host: h.trim_end_matches('.').to_ascii_lowercase(),
                pattern,
                provider: provider.to_string(),
            })
        })
        .collect()
}

/// Generates the policy, the records and the zone lines.
pub fn generate(req: &Request) -> Result<Generated, GenerateError> {
    let d =
        domain::normalise(&req.domain).map_err(|e: DomainError| gen_err("domain", e.message))?;
    let domain = d.ascii;
    if req.max_age > MAX_MAX_AGE {
        return Err(gen_err(
            "max_age",
            format!(
                "max_age {} is over the maximum {MAX_MAX_AGE} seconds (RFC 8461 §3.2).",
                req.max_age
            ),
        ));
    }

    let mut patterns: Vec<String> = Vec::new();
    let suggestions = suggest(&req.mx);
    for raw in &req.mx {
        let value = raw.trim().trim_end_matches('.');
        if value.is_empty() {
            continue;
        }
        if mx::is_ip_like(value) {
            return Err(gen_err(
                "mx",
                format!(
                    "`{value}` is an IP address; list the host names your MX records point to."
                ),
            ));
        }
        let parsed = mx::parse_pattern(value)
            .map_err(|e| gen_err("mx", format!("{}.", e.describe(value))))?;
        let mut p = parsed.to_string();
        if req.provider_wildcards && !parsed.wildcard {
            if let Some(s) = suggestions.iter().find(|s| s.host == parsed.base) {
                p = s.pattern.clone();
            }
        }
        if !patterns.contains(&p) {
            patterns.push(p);
        }
    }
    if patterns.is_empty() && req.mode != Mode::None {
        return Err(gen_err(
            "mx",
            format!(
                "List at least one MX host: mode {} needs mx lines (RFC 8461 §3.2).",
                req.mode.as_str()
            ),
        ));
    }

    let mut policy = format!("version: STSv1\r\nmode: {}\r\n", req.mode.as_str());
    for p in &patterns {
        policy.push_str(&format!("mx: {p}\r\n"));
    }
    policy.push_str(&format!("max_age: {}\r\n", req.max_age));

    let id = match &req.id {
        IdStrategy::Timestamp(secs) => timestamp_id(*secs),
        IdStrategy::ContentHash => {
            let digest = Sha256::digest(policy.as_bytes());
            digest.iter().take(10).map(|b| format!("{b:02x}")).collect()
        }
        IdStrategy::Manual(id) => {
            let id = id.trim();
            if id.is_empty()
                || id.len() > crate::sts::txt::MAX_ID
                || !id.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(gen_err(
                    "id",
                    format!("The id `{id}` must be 1 to 32 letters and digits (RFC 8461 §3.1)."),
                ));
            }
            id.to_string()
        }
    };
    let sts_txt = format!("v=STSv1; id={id}");

    let rua: Vec<String> = if req.rua.iter().all(|r| r.trim().is_empty()) {
        vec![format!("mailto:tls-reports@{domain}")]
    } else {
        req.rua
            .iter()
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
            .map(|r| {
                if r.contains(':') {
                    r.to_string()
                } else {
                    format!("mailto:{r}")
                }
            })
            .collect()
    };
    let tlsrpt_txt = format!("v=TLSRPTv1; rua={}", rua.join(","));
    let (_, rua_findings) = tlsrpt::check(&tlsrpt_txt);
    if let Some(bad) = rua_findings.iter().find(|f| f.is_error()) {
        return Err(gen_err("rua", bad.message.clone()));
    }

    let ttl = req.ttl;
    let zone = format!(
        "; MTA-STS (RFC 8461) and TLS reporting (RFC 8460) for {domain}\n\
         _mta-sts.{domain}.\t{ttl}\tIN\tTXT\t{}\n\
         _smtp._tls.{domain}.\t{ttl}\tIN\tTXT\t{}\n\
         ; mta-sts.{domain} needs an A/AAAA record (or a CNAME) for the HTTPS server that serves\n\
         ; https://mta-sts.{domain}/.well-known/mta-sts.txt with a valid certificate for that name.\n",
        zone_txt(&sts_txt),
        zone_txt(&tlsrpt_txt),
    );

    Ok(Generated {
        policy_url: format!("https://mta-sts.{domain}/.well-known/mta-sts.txt"),
        domain,
        policy,
        id,
        sts_txt,
        tlsrpt_txt,
        zone,
        max_age: req.max_age,
        mx: patterns,
        suggestions,
    })
}

/// A TXT value in zone-file syntax: quoted, split into 255-octet strings
/// (RFC 1035 §3.3.14), which senders join back without spaces.
pub fn zone_txt(value: &str) -> String {
    value
        .as_bytes()
        .chunks(255)
        .map(|c| {
            let s = String::from_utf8_lossy(c);
            format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `YYYYMMDDhhmmss` in UTC for Unix seconds: a timestamp id, which changes
/// with every policy as RFC 8461 §3.1 requires.
pub fn timestamp_id(secs: u64) -> String {
    super::date::timestamp(secs)
}
