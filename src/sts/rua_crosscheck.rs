//! The TLS-RPT reports (RFC 8460) next to a live check of the same domain
//! ([`super::report::Report`]): which reporters applied a policy other than
//! the one served now, which failures are at MX hosts the policy served now
//! does not cover, and the policy fetch failures reporters saw next to what
//! the check's own fetch sees today.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::policy;
use super::report::Report;
use super::rua_aggregate::{Aggregate, Sessions};
use super::rua_report::{Day, PolicyType};

/// A policy version reporters applied that differs from the one served now.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OtherPolicy {
    pub version: String,
    pub reporters: Vec<String>,
    pub last_day: Option<Day>,
    pub sessions: Sessions,
    /// `mode testing, now enforce`, `mx ... not in the policy now`, ...
    pub differences: Vec<String>,
}

/// Failures at an MX host the policy served now does not cover.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UncoveredFailure {
    pub mx_host: String,
    pub failed: u64,
    pub result_types: Vec<String>,
    /// Whether the host is still an MX record today.
    pub in_mx_records: bool,
}

/// Policy failures reporters saw (sts-policy-*), next to today's fetch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyFailures {
    pub result_type: String,
    pub failed: u64,
    pub reporters: Vec<String>,
    pub last_day: Option<Day>,
    /// The reporters' own words.
    pub reasons: Vec<String>,
    /// What the live check's fetch of the policy sees now.
    pub now: String,
}

/// TLS failures reporters saw at an MX host (the STARTTLS and certificate
/// result types of RFC 8460 §4.3.2), next to what today's probe of that
/// host shows (RFC 8461 §4.2).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MxTlsFailure {
    pub mx_host: String,
    pub failed: u64,
    pub result_types: Vec<String>,
    /// What the live check's STARTTLS probe of the host sees now.
    pub now: String,
}

/// The result types that are about the MX host's STARTTLS or certificate.
const MX_TLS_RESULTS: [&str; 5] = [
    "starttls-not-supported",
    "certificate-host-mismatch",
    "certificate-expired",
    "certificate-not-trusted",
    "validation-failure",
];

/// The whole cross-check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossCheck {
    pub domain: String,
    /// The policy served now, as `mode ...; mx ...; max_age ...`.
    pub current: Option<String>,
    pub other_policies: Vec<OtherPolicy>,
    pub uncovered_failures: Vec<UncoveredFailure>,
    pub policy_failures: Vec<PolicyFailures>,
    pub mx_tls_failures: Vec<MxTlsFailure>,
}

/// Cross-checks one domain's aggregate with its live report.
pub fn cross_check(agg: &Aggregate, live: &Report) -> CrossCheck {
    let domain = live.domain.clone();
    let ours = |pd: &Option<String>| {
        pd.as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(&domain))
    };
    let current = live.policy.as_ref();

    let mut other_policies = Vec::new();
    if let Some(cur) = current {
        let cur_mx: BTreeSet<String> = cur.mx.iter().map(ToString::to_string).collect();
        for v in agg.policies.iter().filter(|v| {
            ours(&v.policy_domain)
                && v.policy_type == PolicyType::Sts
                && !v.policy_string.is_empty()
        }) {
            let seen = policy::check(v.policy_string.join("\r\n").as_bytes()).partial;
            let mut differences = Vec::new();
            if let Some(m) = seen.mode {
                if m != cur.mode {
                    differences.push(format!("mode {}, now {}", m.as_str(), cur.mode.as_str()));
                }
            }
            let seen_mx: BTreeSet<String> = seen.mx.iter().map(ToString::to_string).collect();
            for gone in seen_mx.difference(&cur_mx) {
                differences.push(format!("mx {gone}, not in the policy now"));
            }
            for new in cur_mx.difference(&seen_mx) {
                differences.push(format!("no mx {new}, which the policy has now"));
            }
            if let Some(a) = seen.max_age {
                if a != cur.max_age {
                    differences.push(format!("max_age {a}, now {}", cur.max_age));
                }
            }
            if !differences.is_empty() {
                other_policies.push(OtherPolicy {
                    version: v.version.clone(),
                    reporters: v.reporters.clone(),
                    last_day: v.last_day,
                    sessions: v.sessions,
                    differences,
                });
            }
        }
    }

    let mut uncovered: BTreeMap<String, (u64, BTreeSet<String>)> = BTreeMap::new();
    for r in agg.rows.iter().filter(|r| ours(&r.policy_domain)) {
        let (Some(host), Some(ty)) = (&r.mx_host, &r.result_type) else {
            continue;
        };
        let covered = match current {
            Some(cur) => cur.mx.iter().any(|p| p.matches(host)),
            None => true,
        };
        let listed_uncovered = live
            .mx_coverage
            .iter()
            .any(|c| c.pattern.is_none() && c.host.eq_ignore_ascii_case(host));
        if !covered || listed_uncovered {
            let e = uncovered.entry(host.clone()).or_default();
            e.0 = e.0.saturating_add(r.failed);
            e.1.insert(ty.clone());
        }
    }
    let uncovered_failures = uncovered
        .into_iter()
        .map(|(mx_host, (failed, types))| UncoveredFailure {
            in_mx_records: live
                .mx_coverage
                .iter()
                .any(|c| c.host.eq_ignore_ascii_case(&mx_host)),
            mx_host,
            failed,
            result_types: types.into_iter().collect(),
        })
        .collect();

    let mut tls: BTreeMap<String, (u64, BTreeSet<String>)> = BTreeMap::new();
    for r in agg.rows.iter().filter(|r| ours(&r.policy_domain)) {
        let (Some(host), Some(ty)) = (&r.mx_host, &r.result_type) else {
            continue;
        };
        if MX_TLS_RESULTS.contains(&ty.as_str()) {
            let e = tls.entry(host.to_ascii_lowercase()).or_default();
            e.0 = e.0.saturating_add(r.failed);
            e.1.insert(ty.clone());
        }
    }
    let mx_tls_failures = tls
        .into_iter()
        .map(|(mx_host, (failed, types))| MxTlsFailure {
            now: probe_now(live, &mx_host),
            mx_host,
            failed,
            result_types: types.into_iter().collect(),
        })
        .collect();

    let now = fetch_now(live);
    let policy_failures = agg
        .result_types
        .iter()
        .filter(|t| t.explanation.result_type.starts_with("sts-"))
        .map(|t| PolicyFailures {
            result_type: t.explanation.result_type.clone(),
            failed: t.failed,
            reporters: t.reporters.clone(),
            last_day: t.last_day,
            reasons: t.reasons.clone(),
            now: now.clone(),
        })
        .collect();

    CrossCheck {
        current: current.map(|p| {
            format!(
                "mode {}; mx {}; max_age {}",
                p.mode.as_str(),
                p.mx.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                p.max_age
            )
        }),
        domain,
        other_policies,
        uncovered_failures,
        policy_failures,
        mx_tls_failures,
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn day(d: Option<Day>) -> String {
    d.map_or_else(|| "undated".to_string(), |d| d.to_string())
}

impl CrossCheck {
    /// The cross-check in sentences, one finding each: what `mtasts reports
    /// --check` prints under "Against the live check of DOMAIN" and the
    /// page's Reports view lists, so both say the same.
    pub fn lines(&self) -> Vec<String> {
        let mut o = Vec::new();
        o.push(match &self.current {
            Some(c) => format!("policy served now: {c}"),
            None => "no valid policy is served now".to_string(),
        });
        for p in &self.other_policies {
            o.push(format!(
                "{} applied another policy (version {}, last {}): {}. Senders refetch when the _mta-sts id changes.",
                p.reporters.join(", "),
                p.version,
                day(p.last_day),
                p.differences.join("; ")
            ));
        }
        for u in &self.uncovered_failures {
            o.push(format!(
                "{} failed session{} at {} ({}), which the policy served now does not cover; {}.",
                u.failed,
                plural(u.failed),
                u.mx_host,
                u.result_types.join(", "),
                if u.in_mx_records {
                    "it is an MX record"
                } else {
                    "it is not an MX record now"
                }
            ));
        }
        for t in &self.mx_tls_failures {
            o.push(format!(
                "{} failed session{} at {} ({}). {}",
                t.failed,
                plural(t.failed),
                t.mx_host,
                t.result_types.join(", "),
                t.now
            ));
        }
        for f in &self.policy_failures {
            o.push(format!(
                "{}: {} session{} reported by {} (last {}). {}",
                f.result_type,
                f.failed,
                plural(f.failed),
                f.reporters.join(", "),
                day(f.last_day),
                f.now
            ));
        }
        o
    }
}

/// Said when the live check made no STARTTLS probe of a host: `--no-smtp`,
/// or a page whose proxy cannot reach port 25 (the Worker).
const NOT_PROBED: &str =
    "The live check did not probe this host's STARTTLS; `mtasts check DOMAIN` does.";

/// What the live check's STARTTLS probe of `host` shows, in one sentence.
fn probe_now(live: &Report, host: &str) -> String {
    use super::mx_tls::Status;
    let rows: Vec<String> = live
        .mx_tls
        .iter()
        .filter(|r| r.host.trim_end_matches('.').eq_ignore_ascii_case(host))
        .map(|r| {
            let status = match r.status {
                Status::Valid => "valid",
                Status::Invalid => "fails validation",
                Status::Unknown => "could not be checked",
            };
            let codes: Vec<&str> = r.codes.iter().map(|c| c.as_str()).collect();
            if codes.is_empty() {
                format!("{} {status}", r.address)
            } else {
                format!("{} {status} ({})", r.address, codes.join(", "))
            }
        })
        .collect();
    if rows.is_empty() {
        NOT_PROBED.to_string()
    } else {
        format!("Today: {}.", rows.join("; "))
    }
}

/// What the check's own policy fetch shows, in one sentence.
fn fetch_now(live: &Report) -> String {
    let policy_errors: Vec<String> = live
        .findings
        .iter()
        .filter(|f| f.is_error() && f.code.as_str().starts_with("policy-"))
        .map(|f| format!("{}: {}", f.code.as_str(), f.message))
        .collect();
    match &live.observations.policy {
        None => "The live check did not fetch the policy.".to_string(),
        Some(f) => match (&f.error, f.status) {
            (Some(e), _) => format!("Today the fetch fails: {} ({}).", e.message, e.class.as_str()),
            (None, Some(200)) if policy_errors.is_empty() => format!(
                "Today {} answers 200 with a valid policy: the reporters' failures were passing, or from networks this check does not see.",
                f.url
            ),
            (None, Some(s)) if policy_errors.is_empty() => format!("Today {} answers HTTP {s}.", f.url),
            (None, s) => format!(
                "Today {} answers{}: {}",
                f.url,
                s.map(|s| format!(" HTTP {s}")).unwrap_or_default(),
                policy_errors.join("; ")
            ),
        },
    }
}
