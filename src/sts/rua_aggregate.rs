//! Many TLS-RPT reports (RFC 8460 §4) summed up: per day, reporter, policy
//! domain, policy type and version, MX host, result type and sending IP.
//!
//! Session counts come from two places in a report and are kept apart:
//! a policy's `summary` (successful and failed sessions under that policy)
//! and its `failure-details` (failed sessions per result type, MX and IP).
//! Totals use the summaries; the breakdowns of failures use the details.
//! Successful sessions are never broken down by MX host in RFC 8460.
//!
//! The same report read twice (an .eml and the .json from it) counts once:
//! reports are the same when reporter and `report-id` are.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::rua_input::ReadReport;
use super::rua_report::{Day, PolicyResult, PolicyType};
use super::rua_result::{self, Explanation};

/// Successful and failed sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sessions {
    pub successful: u64,
    pub failed: u64,
}

impl Sessions {
    fn add(&mut self, successful: u64, failed: u64) {
        self.successful = self.successful.saturating_add(successful);
        self.failed = self.failed.saturating_add(failed);
    }

    pub fn total(&self) -> u64 {
        self.successful.saturating_add(self.failed)
    }

    /// Share of successful sessions in percent, when there were any.
    pub fn success_percent(&self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| self.successful as f64 * 100.0 / total as f64)
    }
}

/// One line of the full breakdown. A policy line (`result_type` absent)
/// carries a policy's summary; a failure line carries one failure detail.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Row {
    pub day: Option<Day>,
    pub reporter: String,
    pub policy_domain: Option<String>,
    pub policy_type: PolicyType,
    /// See [`PolicyVersion::version`].
    pub policy_version: String,
    pub mx_host: Option<String>,
    pub result_type: Option<String>,
    pub sending_ip: Option<String>,
    pub successful: u64,
    pub failed: u64,
}

/// One version of a domain's policy as reporters applied it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyVersion {
    pub policy_domain: Option<String>,
    pub policy_type: PolicyType,
    /// The first 8 hex digits of SHA-256 over the policy-string lines, or
    /// `unknown` when the reporter sent no policy-string.
    pub version: String,
    pub policy_string: Vec<String>,
    /// For sts: the mode and mx lines of the policy-string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mx: Vec<String>,
    pub reporters: Vec<String>,
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    pub sessions: Sessions,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayTotal {
    pub day: Day,
    pub sessions: Sessions,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReporterTotal {
    pub reporter: String,
    pub reports: usize,
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    pub sessions: Sessions,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DomainTotal {
    pub policy_domain: Option<String>,
    pub sessions: Sessions,
}

/// Failures of one result type, with what it means and what to do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResultTypeTotal {
    #[serde(flatten)]
    pub explanation: Explanation,
    pub failed: u64,
    pub mx_hosts: Vec<String>,
    pub reporters: Vec<String>,
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    /// The reporters' own words (`failure-reason-code`,
    /// `additional-information`), distinct, at most ten.
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MxTotal {
    /// `receiving-mx-hostname`, or "(not named)".
    pub mx_host: String,
    pub failed: u64,
    /// (result type, failed sessions).
    pub result_types: Vec<(String, u64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IpTotal {
    pub sending_ip: String,
    pub failed: u64,
}

/// A report left out because it was read before.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Duplicate {
    pub source: String,
    pub same_as: String,
}

/// How often a deviation was seen over all reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoteTotal {
    pub code: &'static str,
    pub severity: super::finding::Severity,
    pub what: &'static str,
    pub reports: usize,
}

/// Everything the reports say, summed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Aggregate {
    /// Distinct reports counted.
    pub reports: usize,
    pub duplicates: Vec<Duplicate>,
    /// From the summaries.
    pub totals: Sessions,
    pub days: Vec<DayTotal>,
    pub reporters: Vec<ReporterTotal>,
    pub domains: Vec<DomainTotal>,
    pub policies: Vec<PolicyVersion>,
    /// Most failed sessions first.
    pub result_types: Vec<ResultTypeTotal>,
    pub mx_hosts: Vec<MxTotal>,
    pub sending_ips: Vec<IpTotal>,
    pub notes: Vec<NoteTotal>,
    pub rows: Vec<Row>,
}

/// The version label of a policy-string.
pub fn version_of(lines: &[String]) -> String {
    if lines.is_empty() {
        return "unknown".to_string();
    }
    let digest = Sha256::digest(lines.join("\n").as_bytes());
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

fn domain_matches(p: &PolicyResult, domain: Option<&str>) -> bool {
    match domain {
        None => true,
        Some(d) => p
            .policy_domain
            .as_deref()
            .is_some_and(|pd| pd.eq_ignore_ascii_case(d.trim_end_matches('.'))),
    }
}

fn widen(range: &mut (Option<Day>, Option<Day>), day: Option<Day>) {
    if let Some(d) = day {
        range.0 = Some(range.0.map_or(d, |f| f.min(d)));
        range.1 = Some(range.1.map_or(d, |l| l.max(d)));
    }
}

/// Sums the reports, keeping only policies of `domain` when one is given.
pub fn aggregate(reports: &[ReadReport], domain: Option<&str>) -> Aggregate {
    let mut seen: BTreeMap<(String, String), &str> = BTreeMap::new();
    let mut duplicates = Vec::new();
    let mut counted: Vec<&ReadReport> = Vec::new();
    for r in reports {
        if let Some(id) = &r.report.report_id {
            match seen.get(&(r.report.reporter(), id.clone())) {
                Some(first) => {
                    duplicates.push(Duplicate {
                        source: r.source.clone(),
                        same_as: first.to_string(),
                    });
                    continue;
                }
                None => {
                    seen.insert((r.report.reporter(), id.clone()), &r.source);
                }
            }
        }
        if r.report.policies.iter().any(|p| domain_matches(p, domain)) {
            counted.push(r);
        }
    }

    let mut totals = Sessions::default();
    let mut rows: BTreeMap<RowKey, Sessions> = BTreeMap::new();
    let mut days: BTreeMap<Day, Sessions> = BTreeMap::new();
    let mut reporters: BTreeMap<String, ReporterAcc> = BTreeMap::new();
    let mut domains: BTreeMap<Option<String>, Sessions> = BTreeMap::new();
    let mut versions: BTreeMap<(Option<String>, PolicyType, String), PolicyVersion> =
        BTreeMap::new();
    struct TypeAcc {
        failed: u64,
        mx: BTreeSet<String>,
        reporters: BTreeSet<String>,
        range: (Option<Day>, Option<Day>),
        reasons: BTreeSet<String>,
    }
    let mut types: BTreeMap<String, TypeAcc> = BTreeMap::new();
    let mut mxs: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut ips: BTreeMap<String, u64> = BTreeMap::new();
    let mut notes: BTreeMap<super::rua_report::NoteCode, usize> = BTreeMap::new();

    for r in &counted {
        let rep = &r.report;
        let reporter = rep.reporter();
        let day = rep.date_range.as_ref().map(|d| d.day);
        let codes: BTreeSet<_> = rep.notes.iter().map(|n| n.code).collect();
        for c in codes {
            *notes.entry(c).or_default() += 1;
        }
        let rt = reporters.entry(reporter.clone()).or_default();
        rt.0 += 1;
        widen(&mut rt.1, day);
        for p in rep.policies.iter().filter(|p| domain_matches(p, domain)) {
            totals.add(p.successful, p.failed);
            if let Some(d) = day {
                days.entry(d).or_default().add(p.successful, p.failed);
            }
            rt.2.add(p.successful, p.failed);
            domains
                .entry(p.policy_domain.clone())
                .or_default()
                .add(p.successful, p.failed);
            let version = version_of(&p.policy_string);
            let v = versions
                .entry((
                    p.policy_domain.clone(),
                    p.policy_type.clone(),
                    version.clone(),
                ))
                .or_insert_with(|| {
                    let sts = p.sts_policy();
                    PolicyVersion {
                        policy_domain: p.policy_domain.clone(),
                        policy_type: p.policy_type.clone(),
                        version: version.clone(),
                        policy_string: p.policy_string.clone(),
                        mode: sts
                            .as_ref()
                            .and_then(|s| s.mode)
                            .map(|m| m.as_str().to_string()),
                        mx: sts
                            .map(|s| s.mx.iter().map(ToString::to_string).collect())
                            .unwrap_or_default(),
                        reporters: Vec::new(),
                        first_day: None,
                        last_day: None,
                        sessions: Sessions::default(),
                    }
                });
            if !v.reporters.contains(&reporter) {
                v.reporters.push(reporter.clone());
            }
            let mut range = (v.first_day, v.last_day);
            widen(&mut range, day);
            (v.first_day, v.last_day) = range;
            v.sessions.add(p.successful, p.failed);
            let base = Row {
                day,
                reporter: reporter.clone(),
                policy_domain: p.policy_domain.clone(),
                policy_type: p.policy_type.clone(),
                policy_version: version.clone(),
                mx_host: None,
                result_type: None,
                sending_ip: None,
                successful: p.successful,
                failed: p.failed,
            };
            add_row(&mut rows, base.clone());
            for f in &p.failure_details {
                add_row(
                    &mut rows,
                    Row {
                        mx_host: f.receiving_mx_hostname.clone(),
                        result_type: Some(f.result_type.clone()),
                        sending_ip: f.sending_mta_ip.clone(),
                        successful: 0,
                        failed: f.failed_session_count,
                        ..base.clone()
                    },
                );
                let t = types
                    .entry(f.result_type.clone())
                    .or_insert_with(|| TypeAcc {
                        failed: 0,
                        mx: BTreeSet::new(),
                        reporters: BTreeSet::new(),
                        range: (None, None),
                        reasons: BTreeSet::new(),
                    });
                t.failed = t.failed.saturating_add(f.failed_session_count);
                if let Some(h) = &f.receiving_mx_hostname {
                    t.mx.insert(h.clone());
                }
                t.reporters.insert(reporter.clone());
                widen(&mut t.range, day);
                for why in [&f.failure_reason_code, &f.additional_information]
                    .into_iter()
                    .flatten()
                {
                    if t.reasons.len() < 10 {
                        t.reasons.insert(why.clone());
                    }
                }
                let host = f
                    .receiving_mx_hostname
                    .clone()
                    .unwrap_or_else(|| "(not named)".to_string());
                let m = mxs.entry(host).or_default();
                let c = m.entry(f.result_type.clone()).or_default();
                *c = c.saturating_add(f.failed_session_count);
                if let Some(ip) = &f.sending_mta_ip {
                    let c = ips.entry(ip.clone()).or_default();
                    *c = c.saturating_add(f.failed_session_count);
                }
            }
        }
    }

    let mut result_types: Vec<ResultTypeTotal> = types
        .into_iter()
        .map(|(t, a)| ResultTypeTotal {
            explanation: rua_result::explain(&t),
            failed: a.failed,
            mx_hosts: a.mx.into_iter().collect(),
            reporters: a.reporters.into_iter().collect(),
            first_day: a.range.0,
            last_day: a.range.1,
            reasons: a.reasons.into_iter().collect(),
        })
        .collect();
    result_types.sort_by_key(|t| core::cmp::Reverse(t.failed));
    let mut mx_hosts: Vec<MxTotal> = mxs
        .into_iter()
        .map(|(h, by)| {
            let mut result_types: Vec<(String, u64)> = by.into_iter().collect();
            result_types.sort_by_key(|t| core::cmp::Reverse(t.1));
            MxTotal {
                mx_host: h,
                failed: result_types
                    .iter()
                    .fold(0u64, |s, (_, c)| s.saturating_add(*c)),
                result_types,
            }
        })
        .collect();
    mx_hosts.sort_by_key(|m| core::cmp::Reverse(m.failed));
    let mut sending_ips: Vec<IpTotal> = ips
        .into_iter()
        .map(|(sending_ip, failed)| IpTotal { sending_ip, failed })
        .collect();
    sending_ips.sort_by_key(|i| core::cmp::Reverse(i.failed));
    let mut policies: Vec<PolicyVersion> = versions.into_values().collect();
    policies.sort_by(|a, b| {
        (&a.policy_domain, &a.policy_type, a.first_day).cmp(&(
            &b.policy_domain,
            &b.policy_type,
            b.first_day,
        ))
    });

    Aggregate {
        reports: counted.len(),
        duplicates,
        totals,
        days: days
            .into_iter()
            .map(|(day, sessions)| DayTotal { day, sessions })
            .collect(),
        reporters: reporters
            .into_iter()
            .map(|(reporter, (reports, range, sessions))| ReporterTotal {
                reporter,
                reports,
                first_day: range.0,
                last_day: range.1,
                sessions,
            })
            .collect(),
        domains: domains
            .into_iter()
            .map(|(policy_domain, sessions)| DomainTotal {
                policy_domain,
                sessions,
            })
            .collect(),
        policies,
        result_types,
        mx_hosts,
        sending_ips,
        notes: notes
            .into_iter()
            .map(|(c, reports)| NoteTotal {
                code: c.as_str(),
                severity: c.severity(),
                what: c.describe(),
                reports,
            })
            .collect(),
        rows: rows
            .into_iter()
            .map(|(k, s)| Row {
                day: k.0,
                reporter: k.1,
                policy_domain: k.2,
                policy_type: k.3,
                policy_version: k.4,
                mx_host: k.5,
                result_type: k.6,
                sending_ip: k.7,
                successful: s.successful,
                failed: s.failed,
            })
            .collect(),
    }
}

/// Reports, first and last day, sessions of one reporter.
type ReporterAcc = (usize, (Option<Day>, Option<Day>), Sessions);

/// Everything in a [`Row`] but its counts.
type RowKey = (
    Option<Day>,
    String,
    Option<String>,
    PolicyType,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Rows with the same key are merged.
fn add_row(rows: &mut BTreeMap<RowKey, Sessions>, row: Row) {
    rows.entry((
        row.day,
        row.reporter,
        row.policy_domain,
        row.policy_type,
        row.policy_version,
        row.mx_host,
        row.result_type,
        row.sending_ip,
    ))
    .or_default()
    .add(row.successful, row.failed);
}

/// The rows as CSV (RFC 4180), one line per row, with a header line.
pub fn rows_csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "day,reporter,policy_domain,policy_type,policy_version,mx_host,result_type,sending_ip,successful,failed\r\n",
    );
    for r in rows {
        let fields = [
            r.day.map(|d| d.to_string()).unwrap_or_default(),
            r.reporter.clone(),
            r.policy_domain.clone().unwrap_or_default(),
            r.policy_type.as_str().to_string(),
            r.policy_version.clone(),
            r.mx_host.clone().unwrap_or_default(),
            r.result_type.clone().unwrap_or_default(),
            r.sending_ip.clone().unwrap_or_default(),
            r.successful.to_string(),
            r.failed.to_string(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(s: &str) -> String {
    // A leading = + - @ would be a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
