//! DANE in the report, RFC 7672: MX hosts that publish TLSA records, which
//! senders supporting DANE prefer to MTA-STS for those hosts.

use crate::sts::finding::{Code, Finding};

/// One note per MX host with TLSA records at `_25._tcp.<host>`.
pub(super) fn present(hosts: &[String], f: &mut Vec<Finding>) {
    for host in hosts {
        f.push(Finding::new(
            Code::DanePresent,
            format!("The MX host {host} publishes TLSA records (DANE)."),
            "Nothing to fix: keep the TLSA records in step with the certificate.",
        ));
    }
}
