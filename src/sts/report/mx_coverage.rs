//! The MX records against the policy in the report, RFC 8461 §4.1: every MX
//! host must match an `mx` pattern, or senders applying the policy refuse to
//! deliver to it.

use super::{lookup_failed, suggest_pattern, DnsStatus, Lookup};
use crate::sts::finding::{Code, Finding, Severity};
use crate::sts::mx::{self, Coverage, MxHost, Pattern};
use crate::sts::policy::Mode;

/// The MX lookup, the coverage table and its findings. `patterns` and `mode`
/// are what could be read of the policy, valid or not.
pub(super) fn check(
    d: &str,
    l: &Lookup<MxHost>,
    patterns: &[Pattern],
    mode: Option<Mode>,
    f: &mut Vec<Finding>,
) -> Vec<Coverage> {
    if let Some(why) = lookup_failed(l) {
        f.push(Finding::new(
            Code::MxLookupFailed,
            format!("The MX lookup for {d} failed: {why}."),
            "Check that your DNS servers answer MX queries for the domain.",
        ));
    }
    match l.status {
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
        DnsStatus::Ok if is_null_mx(&l.records) => f.push(Finding::new(
            Code::MxNull,
            format!("{d} publishes a null MX (0 .): it accepts no mail, so MTA-STS has nothing to protect."),
            "Nothing to do if the domain sends no mail in; otherwise publish real MX records.",
        )),
        DnsStatus::Ok => {
            let coverage = mx::coverage(patterns, &l.records);
            // Mode none without patterns is a teardown: nothing to cover.
            if !patterns.is_empty() || mode.is_some_and(|m| m != Mode::None) {
                for row in coverage.iter().filter(|r| r.pattern.is_none()) {
                    f.push(not_covered(&row.host, patterns, mode));
                }
                for p in patterns {
                    if !l.records.iter().any(|h| p.matches(&h.host)) {
                        f.push(unused(d, p));
                    }
                }
            }
            return coverage;
        }
        _ => {}
    }
    Vec::new()
}

/// A null MX, RFC 7505: one record `0 .`.
fn is_null_mx(records: &[MxHost]) -> bool {
    matches!(records, [only] if only.preference == 0 && matches!(only.host.as_str(), "" | "."))
}

/// An MX host no pattern matches, RFC 8461 §4.1: fatal under enforce, a
/// warning under testing. A wildcard one label short is named, since a
/// wildcard covers exactly one label.
fn not_covered(host: &str, patterns: &[Pattern], mode: Option<Mode>) -> Finding {
    let sev = match mode {
        Some(Mode::Enforce) => Severity::Error,
        Some(Mode::Testing) => Severity::Warning,
        _ => Severity::Info,
    };
    let deeper = patterns.iter().find(|p| {
        p.wildcard
            && host.len() > p.base.len()
            && host.to_ascii_lowercase().ends_with(&format!(".{}", p.base))
    });
    let hint = match deeper {
        Some(p) => format!(" `{p}` covers exactly one label, and `{host}` has more."),
        None => String::new(),
    };
    let consequence = match mode {
        Some(Mode::Enforce) => " Senders enforcing the policy will refuse to deliver to it.",
        Some(Mode::Testing) => " Under enforce, senders would refuse to deliver to it.",
        _ => "",
    };
    Finding::new(
        Code::MxNotCovered,
        format!("The MX host {host} matches no mx pattern in the policy.{hint}{consequence}"),
        format!("Add `mx: {host}` (or a wildcard for its parent) to the policy, then change the TXT id."),
    )
    .with_severity(sev)
    .corrected(format!("mx: {}", suggest_pattern(host)))
}

/// A pattern that matches no MX host, RFC 8461 §4.1: usually left over
/// from a provider change.
fn unused(d: &str, p: &Pattern) -> Finding {
    Finding::new(
        Code::MxPatternUnused,
        format!("The policy allows `{p}`, but no MX record of {d} points there."),
        "Remove stale mx lines after a provider change (then change the id); keep them only for MX hosts you are about to add.",
    )
}

/// MX hosts that are aliases, RFC 5321 §5.1.
pub(super) fn cnames(pairs: &[(String, String)], f: &mut Vec<Finding>) {
    for (host, target) in pairs {
        f.push(Finding::new(
            Code::MxCname,
            format!("The MX host {host} is a CNAME to {target}; RFC 5321 forbids MX targets that are aliases."),
            format!("Point the MX record at {target} directly and cover that name in the policy."),
        ));
    }
}
