//! "Ready to enforce?": whether the TLS-RPT reports (RFC 8460) of a domain
//! show that moving its MTA-STS policy from `testing` to `enforce` (RFC 8461
//! §5) would not stop mail, with the reasons.
//!
//! The rule ([`RULE`]): reports on at least [`MIN_DAYS`] distinct days of
//! the last [`WINDOW_DAYS`], from at least [`MIN_REPORTERS`] reporters; in
//! the last [`RECENT_DAYS`] days senders applied the sts policy with
//! successful sessions and reported no failed sts session; no failure of the
//! last [`RECENT_DAYS`] days names an MX host of the policy; and, with a live
//! check, every MX record is covered by the policy and the check is not
//! broken.
//!
//! RFC 8460 reports count successful sessions per policy, not per MX host,
//! so "every MX succeeding" is read as "no MX host of the policy failed".
//! There is no clock here: "today" is given.

use std::collections::BTreeSet;

use serde::Serialize;

use super::mx;
use super::report::{Report, Verdict};
use super::rua_aggregate::{self, Aggregate};
use super::rua_input::ReadReport;
use super::rua_report::{Day, PolicyType};

pub const MIN_DAYS: usize = 14;
pub const MIN_REPORTERS: usize = 2;
pub const WINDOW_DAYS: i64 = 30;
pub const RECENT_DAYS: i64 = 7;

/// The rule, as shown to people.
pub const RULE: &str = "Ready to enforce when: reports cover at least 14 distinct days of the last 30, from at least 2 reporters; in the last 7 days senders applied the sts policy with successful sessions and reported no failed sts session; no failure of the last 7 days names an MX host of the policy (the one served now when a live check is given, else the newest the reports show); with a live check, every MX record is covered by the policy and the check is not broken.";

/// One condition of the rule and whether it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable: `enough-days`, `enough-reporters`, `policy-applied`,
    /// `no-recent-failures`, `mx-clean`, `mx-covered`, `live-check`.
    pub code: &'static str,
    pub met: bool,
    pub message: String,
}

/// The answer for one domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub domain: String,
    pub today: Day,
    pub ready: bool,
    /// One sentence.
    pub answer: String,
    pub rule: &'static str,
    pub reasons: Vec<Reason>,
}

fn reason(code: &'static str, met: bool, message: String) -> Reason {
    Reason { code, met, message }
}

/// Applies [`RULE`] to an aggregate of one domain's reports.
pub fn readiness(agg: &Aggregate, domain: &str, today: Day, live: Option<&Report>) -> Readiness {
    let window = |d: Option<Day>| d.is_some_and(|d| d <= today && d > today.plus(-WINDOW_DAYS));
    let recent = |d: Option<Day>| d.is_some_and(|d| d <= today && d > today.plus(-RECENT_DAYS));
    let ours = |pd: &Option<String>| {
        pd.as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(domain.trim_end_matches('.')))
    };
    let policy_rows = || {
        agg.rows
            .iter()
            .filter(|r| r.result_type.is_none() && ours(&r.policy_domain))
    };
    let mut reasons = Vec::new();

    let days: BTreeSet<Day> = policy_rows()
        .filter(|r| window(r.day))
        .filter_map(|r| r.day)
        .collect();
    reasons.push(reason(
        "enough-days",
        days.len() >= MIN_DAYS,
        format!(
            "Reports cover {} distinct day{} of the last {WINDOW_DAYS} (at least {MIN_DAYS} needed).",
            days.len(),
            if days.len() == 1 { "" } else { "s" }
        ),
    ));

    let reporters: BTreeSet<&str> = policy_rows()
        .filter(|r| window(r.day))
        .map(|r| r.reporter.as_str())
        .collect();
    reasons.push(reason(
        "enough-reporters",
        reporters.len() >= MIN_REPORTERS,
        format!(
            "{} reporter{} in the last {WINDOW_DAYS} days{} (at least {MIN_REPORTERS} needed, so one sender's view is not the only one).",
            reporters.len(),
            if reporters.len() == 1 { "" } else { "s" },
            if reporters.is_empty() {
                String::new()
            } else {
                format!(": {}", reporters.iter().copied().collect::<Vec<_>>().join(", "))
            }
        ),
    ));

    let recent_sts_ok: u64 = policy_rows()
        .filter(|r| recent(r.day) && r.policy_type == PolicyType::Sts)
        .fold(0, |s, r| s.saturating_add(r.successful));
    let not_found: BTreeSet<&str> = policy_rows()
        .filter(|r| recent(r.day) && r.policy_type == PolicyType::NoPolicyFound)
        .map(|r| r.reporter.as_str())
        .collect();
    let mut msg = if recent_sts_ok > 0 {
        format!("In the last {RECENT_DAYS} days, {recent_sts_ok} sessions succeeded under the sts policy.")
    } else {
        format!("In the last {RECENT_DAYS} days no reporter counted a successful session under an sts policy: the reports do not show senders applying it.")
    };
    if !not_found.is_empty() {
        msg.push_str(&format!(
            " {} reported no policy found: they did not see the _mta-sts record or could not fetch the policy.",
            not_found.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    reasons.push(reason("policy-applied", recent_sts_ok > 0, msg));

    let recent_fail: u64 = policy_rows()
        .filter(|r| recent(r.day) && r.policy_type == PolicyType::Sts)
        .fold(0, |s, r| s.saturating_add(r.failed));
    let fail_types: BTreeSet<&str> = agg
        .rows
        .iter()
        .filter(|r| ours(&r.policy_domain) && recent(r.day) && r.policy_type == PolicyType::Sts)
        .filter_map(|r| r.result_type.as_deref())
        .collect();
    reasons.push(reason(
        "no-recent-failures",
        recent_fail == 0,
        if recent_fail == 0 {
            format!("No failed sts session in the last {RECENT_DAYS} days.")
        } else {
            format!(
                "{recent_fail} failed sts session{} in the last {RECENT_DAYS} days{}; under enforce these messages would not be delivered.",
                if recent_fail == 1 { "" } else { "s" },
                if fail_types.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", fail_types.into_iter().collect::<Vec<_>>().join(", "))
                }
            )
        },
    ));

    // The MX patterns to hold the failures against.
    let live_patterns: Option<Vec<String>> = live
        .and_then(|l| l.policy.as_ref())
        .map(|p| p.mx.iter().map(ToString::to_string).collect());
    let (patterns, from) = match live_patterns {
        Some(p) => (p, "the policy served now"),
        None => (
            agg.policies
                .iter()
                .filter(|v| {
                    ours(&v.policy_domain) && v.policy_type == PolicyType::Sts && !v.mx.is_empty()
                })
                .max_by_key(|v| v.last_day)
                .map(|v| v.mx.clone())
                .unwrap_or_default(),
            "the newest policy in the reports",
        ),
    };
    if patterns.is_empty() {
        reasons.push(reason(
            "mx-clean",
            false,
            "Which MX hosts the policy lists is unknown (no report carries a policy-string); give the domain to a live check.".to_string(),
        ));
    } else {
        let mut failing: Vec<String> = Vec::new();
        for pat in &patterns {
            let hosts: BTreeSet<&str> = agg
                .rows
                .iter()
                .filter(|r| {
                    ours(&r.policy_domain)
                        && recent(r.day)
                        && r.result_type.is_some()
                        && r.failed > 0
                })
                .filter_map(|r| r.mx_host.as_deref())
                .filter(|h| mx::parse_pattern(pat).is_ok_and(|p| p.matches(h)))
                .collect();
            if !hosts.is_empty() {
                failing.push(format!(
                    "{pat} ({})",
                    hosts.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        reasons.push(reason(
            "mx-clean",
            failing.is_empty(),
            if failing.is_empty() {
                format!(
                    "No failure in the last {RECENT_DAYS} days names an MX host of {from} ({}).",
                    patterns.join(", ")
                )
            } else {
                format!(
                    "Failures in the last {RECENT_DAYS} days at MX hosts of {from}: {}.",
                    failing.join("; ")
                )
            },
        ));
    }

    if let Some(l) = live {
        let uncovered: Vec<&str> = l
            .mx_coverage
            .iter()
            .filter(|c| c.pattern.is_none())
            .map(|c| c.host.as_str())
            .collect();
        reasons.push(reason(
            "mx-covered",
            uncovered.is_empty() && l.policy.is_some(),
            if l.policy.is_none() {
                "The live check found no valid policy, so no MX record is covered.".to_string()
            } else if uncovered.is_empty() {
                "Every MX record is covered by the policy served now.".to_string()
            } else {
                format!(
                    "MX records not covered by the policy served now: {}; under enforce, senders would not deliver to them.",
                    uncovered.join(", ")
                )
            },
        ));
        let ok = matches!(l.verdict, Verdict::Testing | Verdict::Enforced);
        reasons.push(reason(
            "live-check",
            ok,
            format!("The live check says {}: {}", l.verdict.as_str(), l.summary),
        ));
    }

    let unmet = reasons.iter().filter(|r| !r.met).count();
    let ready = unmet == 0;
    let answer = if days.is_empty() {
        format!("Not yet: there are no reports for {domain} in the last {WINDOW_DAYS} days before {today}.")
    } else if ready {
        format!("Ready to enforce {domain}: every condition of the rule holds.")
    } else {
        format!(
            "Not yet: {unmet} of {} conditions for {domain} do not hold.",
            reasons.len()
        )
    };
    Readiness {
        domain: domain.to_string(),
        today,
        ready,
        answer,
        rule: RULE,
        reasons,
    }
}

/// The sums and the "ready to enforce?" answers a reader shows: for
/// `domain` alone when given, else over every report with one answer per
/// policy domain seen. `live` holds checks made now; each domain is judged
/// with the check of that domain, if any.
pub fn judge(
    reports: &[ReadReport],
    domain: Option<&str>,
    today: Day,
    live: &[Report],
) -> (Aggregate, Vec<Readiness>) {
    let live_of = |d: &str| {
        live.iter()
            .find(|l| l.domain.eq_ignore_ascii_case(d.trim_end_matches('.')))
    };
    match domain {
        Some(d) => {
            let agg = rua_aggregate::aggregate(reports, Some(d));
            let ready = vec![readiness(&agg, d, today, live_of(d))];
            (agg, ready)
        }
        None => {
            let all = rua_aggregate::aggregate(reports, None);
            let ready = all
                .domains
                .iter()
                .filter_map(|d| d.policy_domain.as_deref())
                .map(|d| {
                    let one = rua_aggregate::aggregate(reports, Some(d));
                    readiness(&one, d, today, live_of(d))
                })
                .collect();
            (all, ready)
        }
    }
}
