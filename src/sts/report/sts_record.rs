//! The `_mta-sts` TXT record in the report, RFC 8461 §3.1: the lookup, the
//! one record senders use, its absence, and id drift between two checks.

use super::{lookup_failed, DnsStatus, Fetch, Lookup, Previous};
use crate::sts::finding::{Code, Finding};
use crate::sts::txt::{self, StsRecord};

/// What the rest of the report needs to know of the TXT record.
pub(super) struct StsTxt {
    /// The single valid record, RFC 8461 §3.1.
    pub record: Option<StsRecord>,
    /// Some record begins with `v=STSv1`, or with it in the wrong case: the
    /// domain set out to publish MTA-STS.
    pub published: bool,
    /// The lookup failed, so whether MTA-STS is published is unknown.
    pub failed: bool,
    /// The name was answered, and no record is (or nearly is) an STS record.
    pub missing: bool,
}

/// The lookup and the discard rule, RFC 8461 §3.1: records not beginning
/// with `v=STSv1` are discarded; exactly one must remain.
pub(super) fn lookup(d: &str, l: &Lookup<String>, f: &mut Vec<Finding>) -> StsTxt {
    let sel = if l.status == DnsStatus::Ok {
        txt::select(&l.records)
    } else {
        txt::Selection::default()
    };
    let failed = lookup_failed(l);
    if let Some(why) = &failed {
        f.push(Finding::new(
            Code::TxtLookupFailed,
            format!("The TXT lookup for _mta-sts.{d} failed: {why}."),
            "Check that your DNS servers answer for this name (and that DNSSEC signatures are valid); try again later.",
        ));
    }
    if let Some(target) = l.cnames.last() {
        f.push(delegated(d, target));
    }
    let near_miss = sel.findings.iter().any(|x| x.code == Code::TxtVersion);
    let missing =
        failed.is_none() && l.status != DnsStatus::Skipped && sel.sts_count == 0 && !near_miss;
    f.extend(sel.findings);
    StsTxt {
        record: sel.record,
        published: sel.sts_count > 0 || near_miss,
        failed: failed.is_some(),
        missing,
    }
}

/// `_mta-sts` handed to a provider by CNAME, RFC 8461 §8.2.
fn delegated(d: &str, target: &str) -> Finding {
    Finding::new(
        Code::TxtCname,
        format!("_mta-sts.{d} is a CNAME to {target}: the policy id is managed there (RFC 8461 §8.2 delegation)."),
        "Nothing to fix; when you change provider, replace the CNAME.",
    )
}

/// No STS record: senders never fetch the policy, RFC 8461 §3.1, §3.3.
pub(super) fn missing(d: &str, policy_served: bool) -> Finding {
    let extra = if policy_served {
        " The policy file is served, but senders only fetch it after finding this record."
    } else {
        ""
    };
    Finding::new(
        Code::TxtMissing,
        format!("No MTA-STS TXT record at _mta-sts.{d}: senders never look for a policy.{extra}"),
        format!("Publish a TXT record at _mta-sts.{d} with an id you change on every policy edit."),
    )
    .corrected("v=STSv1; id=20240101000000")
}

/// Id drift, RFC 8461 §3.1: senders re-fetch the policy only when the id
/// changes, so a changed policy needs a new id (and a new id with the same
/// policy only costs a fetch).
pub(super) fn id_drift(prev: &Previous, rec: &StsRecord, fetch: &Fetch) -> Option<Finding> {
    if fetch.status != Some(200) {
        return None;
    }
    let body = fetch.body_bytes();
    if prev.id == rec.id && prev.body.0 != body {
        Some(Finding::new(
            Code::IdNotBumped,
            format!("The policy changed since the last check but the id is still `{}`: senders that cached the old policy keep using it until it expires.", rec.id),
            "Change the id in the _mta-sts TXT record every time you edit the policy.",
        ).corrected(format!("v=STSv1; id={}", next_id(&rec.id))))
    } else if prev.id != rec.id && prev.body.0 == body {
        Some(Finding::new(
            Code::IdChangedPolicySame,
            format!("The id changed from `{}` to `{}` but the policy is the same: senders will re-fetch an identical policy.", prev.id, rec.id),
            "Nothing to fix; change the id when the policy changes.",
        ))
    } else {
        None
    }
}

/// A new id that differs from `old`: used only in a suggested record.
fn next_id(old: &str) -> String {
    let digits: String = old.chars().filter(char::is_ascii_digit).collect();
    match digits.parse::<u128>() {
        Ok(n) if digits == old => (n + 1).to_string(),
        _ => format!("{}2", &old[..old.len().min(31)]),
    }
}
