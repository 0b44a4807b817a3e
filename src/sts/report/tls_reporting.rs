//! TLS reporting in the report, RFC 8460 §3: the `_smtp._tls` TXT record
//! that tells senders where to report TLS failures. Its findings cost the
//! reports, not the policy (see the catalogue's `affects_verdict`).

use super::{lookup_failed, DnsStatus, Lookup};
use crate::sts::finding::{Code, Finding, Severity};
use crate::sts::policy::Mode;
use crate::sts::tlsrpt;

/// The lookup and the record, RFC 8460 §3. Returns the report destinations
/// when the record is valid.
pub(super) fn check(
    d: &str,
    l: &Lookup<String>,
    mode: Option<Mode>,
    f: &mut Vec<Finding>,
) -> Option<Vec<String>> {
    if let Some(why) = lookup_failed(l) {
        f.push(Finding::new(
            Code::TlsrptLookupFailed,
            format!("The TXT lookup for _smtp._tls.{d} failed: {why}."),
            "Check that your DNS servers answer for this name.",
        ));
        return None;
    }
    if l.status == DnsStatus::Skipped {
        return None;
    }
    let sel = if l.status == DnsStatus::Ok {
        tlsrpt::select(&l.records)
    } else {
        tlsrpt::Selection::default()
    };
    let attempted = sel
        .findings
        .iter()
        .any(|x| x.code != Code::TlsrptIgnoredRecord);
    if sel.tlsrpt_count == 0 && !attempted {
        f.push(missing(d, mode));
    }
    f.extend(sel.findings);
    sel.record.map(|r| r.rua)
}

/// No record: nobody hears about failed TLS deliveries. Under testing those
/// reports are the point of the mode, so it is a warning there.
fn missing(d: &str, mode: Option<Mode>) -> Finding {
    let sev = if mode == Some(Mode::Testing) {
        Severity::Warning
    } else {
        Severity::Info
    };
    Finding::new(
        Code::TlsrptMissing,
        format!("No TLS-RPT record at _smtp._tls.{d}: you will not hear about senders that fail to deliver over TLS."),
        format!("Publish a TXT record at _smtp._tls.{d}."),
    )
    .with_severity(sev)
    .corrected(format!("v=TLSRPTv1; rua=mailto:tls-reports@{d}"))
}
