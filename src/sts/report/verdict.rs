//! The verdict in the report, RFC 8461 §5: whether senders apply the policy,
//! and in which mode, said in a sentence or two.

use super::sts_record::StsTxt;
use super::Verdict;
use crate::sts::finding::{Finding, Part};
use crate::sts::lint;
use crate::sts::policy::{Mode, Policy};

/// The verdict from the TXT record, the policy and the sorted findings.
/// Only errors whose catalogue entry says they affect the verdict count:
/// a TLS-RPT problem costs reports, not the policy.
pub(super) fn decide(
    sts: &StsTxt,
    policy_served: bool,
    policy: Option<&Policy>,
    findings: &[Finding],
) -> Verdict {
    let configured = sts.published || policy_served;
    // A failed TXT lookup leaves it open whether MTA-STS is configured;
    // that is reported as broken, since senders cannot find a policy either.
    if !configured && !sts.failed {
        return Verdict::NotConfigured;
    }
    // Under testing, senders deliver despite a failed MX certificate (RFC
    // 8461 §5): those errors say what enforce would do, and only enforce
    // turns them into lost mail.
    let enforcing = policy.is_some_and(|p| p.mode == Mode::Enforce);
    let blocking = findings.iter().any(|x| {
        let e = x.code.entry();
        x.is_error() && e.affects_verdict && (e.part != Part::MxTls || enforcing)
    });
    match policy {
        Some(p) if !blocking && sts.record.is_some() => match p.mode {
            Mode::Enforce => Verdict::Enforced,
            Mode::Testing => Verdict::Testing,
            Mode::None => Verdict::None,
        },
        _ => Verdict::Broken,
    }
}

/// The verdict in plain words; a broken setup names its first error.
pub(super) fn summarise(v: Verdict, d: &str, f: &[Finding], p: Option<&Policy>) -> String {
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
