//! Each MX host's STARTTLS in the report, RFC 8461 §4.2: the probes judged
//! as an enforcing sender judges them ([`crate::sts::mx_tls::judge`]), one
//! finding per MX host and problem, and the per-address table. Under
//! `enforce` a failing MX host breaks delivery to it; under `testing` the
//! same findings say what enforce would do (report/verdict.rs keeps the
//! verdict).

use serde::{Deserialize, Serialize};

use crate::sts::finding::{Code, Finding, Severity};
use crate::sts::mx_tls::{self, Probe, Status};
use crate::sts::policy::Mode;

/// One probed address in the report's MX TLS table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxTlsRow {
    pub host: String,
    /// Empty when the host had no address.
    pub address: String,
    pub status: Status,
    /// The finding codes of this address, failures first.
    #[serde(default)]
    pub codes: Vec<Code>,
}

/// The findings of every probe and the table. `mode` is the policy's, when
/// one could be read.
pub(super) fn check(probes: &[Probe], mode: Option<Mode>, f: &mut Vec<Finding>) -> Vec<MxTlsRow> {
    let blocked = mx_tls::port_blocked(probes);
    if blocked {
        f.push(Finding::new(
            Code::MxTlsPortBlocked,
            format!(
                "No MX address accepted a connection on port 25 from the checker ({} tried); outbound port 25 is most likely blocked on the checker's own network, so the MX certificates were not checked. This says nothing about the domain.",
                probes.iter().filter(|p| !p.address.is_empty()).count()
            ),
            "Run `mtasts check` from a host that may send mail (a mail server or a VPS whose provider allows port 25), or ask the network's administrator to allow outbound port 25.",
        ));
    }
    // One finding per (host, code), naming every address it applies to.
    let mut grouped: Vec<(String, Code, Vec<String>, String)> = Vec::new();
    let mut rows = Vec::new();
    for p in probes {
        let j = mx_tls::judge(p, p.at);
        rows.push(MxTlsRow {
            host: p.host.clone(),
            address: p.address.clone(),
            status: j.status,
            codes: j.problems.iter().map(|x| x.code).collect(),
        });
        for problem in j.problems {
            if blocked && problem.code == Code::MxTlsConnectFailed {
                continue;
            }
            match grouped
                .iter_mut()
                .find(|(h, c, _, _)| *h == p.host && *c == problem.code)
            {
                Some((_, _, addrs, _)) => {
                    if !p.address.is_empty() {
                        addrs.push(p.address.clone());
                    }
                }
                None => grouped.push((
                    p.host.clone(),
                    problem.code,
                    if p.address.is_empty() {
                        Vec::new()
                    } else {
                        vec![p.address.clone()]
                    },
                    problem.detail,
                )),
            }
        }
    }
    for (host, code, addrs, detail) in grouped {
        f.push(finding(&host, code, &addrs, &detail, mode));
    }
    rows
}

/// The finding for one MX host and one problem, worded for the mode.
fn finding(host: &str, code: Code, addrs: &[String], detail: &str, mode: Option<Mode>) -> Finding {
    let at = if addrs.is_empty() {
        host.to_string()
    } else {
        format!("{host} ({})", addrs.join(", "))
    };
    let entry = code.entry();
    let message = if !entry.affects_verdict {
        if code == Code::MxTlsNoAddress {
            format!("The MX host {host} has no address ({detail}): no sender can deliver to it, and it could not be probed.")
        } else {
            format!("mtasts could not check the STARTTLS certificate of {at}: {detail}. This is what the checker met, not necessarily what senders meet.")
        }
    } else if entry.severity != Severity::Error {
        format!("The MX host {at}: {detail}.")
    } else {
        match mode {
            Some(Mode::Enforce) => {
                format!("Enforcing senders will not deliver to {at}: {detail}.")
            }
            Some(Mode::Testing) => format!(
                "Under enforce, senders would not deliver to {at}: {detail}. In testing mode they still deliver and only report the failure."
            ),
            _ => format!(
                "Senders that require TLS would not deliver to {at}: {detail}. Without a policy in force they still deliver."
            ),
        }
    };
    let mut out = Finding::new(code, message, fix(code, host, detail));
    if entry.affects_verdict
        && entry.severity == Severity::Error
        && !matches!(mode, Some(Mode::Enforce | Mode::Testing))
    {
        out = out.with_severity(Severity::Warning);
    }
    out
}

/// What to do, per problem, for `host`.
fn fix(code: Code, host: &str, detail: &str) -> String {
    match code {
        Code::MxTlsNoStarttls => format!(
            "Turn on STARTTLS on {host} with a certificate for {host} (Postfix: `smtpd_tls_security_level = may` and `smtpd_tls_chain_files`; Exim: `tls_advertise_hosts = *` and `tls_certificate`), or ask the mail provider to; until then keep the policy in testing."
        ),
        Code::MxTlsNameMismatch => format!(
            "Ask the provider for a certificate that covers {host}, or point the MX record at the provider's own name (the one its certificate names) and list that name or its pattern in the policy's mx lines, then change the TXT id."
        ),
        Code::MxTlsExpired => format!(
            "Renew the certificate of {host} and reload the mail server (Postfix and Exim keep the old certificate until reloaded: add a reload to the renewal hook)."
        ),
        Code::MxTlsNotYetValid => format!(
            "Check the clock of {host} and the certificate's start date; install a certificate that is valid now."
        ),
        Code::MxTlsUntrusted => format!(
            "Install on {host} a certificate from a public CA (e.g. Let's Encrypt) and configure the full chain (the certificate followed by its intermediates), not the certificate alone."
        ),
        Code::MxTlsOldVersion => format!(
            "Enable TLS 1.2 and 1.3 on {host} (Postfix: `smtpd_tls_protocols = >=TLSv1.2`; Exim: `openssl_options`), or ask the provider to."
        ),
        Code::MxTlsHandshake => format!(
            "Check the TLS settings of {host} with `openssl s_client -starttls smtp -connect {host}:25 -servername {host}`; the handshake must succeed with TLS 1.2 or newer (a server that offers only TLS 1.0 or 1.1 often just hangs up like this)."
        ),
        Code::MxTlsExpiringSoon => format!(
            "Renew the certificate of {host} now and check that automatic renewal reloads the mail server ({detail})."
        ),
        Code::MxTlsNoAddress => format!(
            "Publish an A or AAAA record for {host}, or remove the MX record that points to it."
        ),
        Code::MxTlsAddressRefused => format!(
            "Nothing to fix on the domain: the checker does not connect to non-public addresses. A public MX host must have public addresses; check the A/AAAA records of {host}."
        ),
        Code::MxTlsBusy | Code::MxTlsRejected => format!(
            "Check again later or from another network: {host} turned the checker away, which real senders may not meet (greylisting, rate limits, a block list)."
        ),
        _ => format!(
            "Check again later or from another network; if it persists, check that {host} accepts connections on port 25 from the internet."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sts::mx_tls::{CertificateFacts, ProbeErrorClass, Session, Verification};

    const NOW: i64 = 1_750_000_000;

    fn probe(host: &str, address: &str, names: &[&str]) -> Probe {
        Probe {
            host: host.into(),
            address: address.into(),
            at: NOW,
            starttls: Some(true),
            tls: Some(Session {
                version: "TLSv1.3".into(),
                cipher: "TLS13_AES_256_GCM_SHA384".into(),
            }),
            chain: vec![CertificateFacts {
                names: names.iter().map(|n| n.to_string()).collect(),
                subject: "CN=x".into(),
                issuer: "CN=CA".into(),
                not_before: NOW - 86_400,
                not_after: NOW + 90 * 86_400,
            }],
            verification: Some(Verification::Verified),
            trusted: Some(true),
            ..Probe::default()
        }
    }

    #[test]
    fn one_finding_per_host_and_problem_naming_every_address() {
        let probes = [
            probe("mx1.example.com", "192.0.2.1", &["mx1.example.com"]),
            probe("mx2.example.com", "192.0.2.2", &["mail.provider.net"]),
            probe("mx2.example.com", "2001:db8::2", &["mail.provider.net"]),
        ];
        let mut f = Vec::new();
        let rows = check(&probes, Some(Mode::Enforce), &mut f);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].status, Status::Valid);
        assert_eq!(rows[1].codes, vec![Code::MxTlsNameMismatch]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::MxTlsNameMismatch);
        assert!(f[0].is_error());
        assert!(f[0].message.starts_with(
            "Enforcing senders will not deliver to mx2.example.com (192.0.2.2, 2001:db8::2): its certificate is valid for mail.provider.net, not mx2.example.com"
        ), "{}", f[0].message);
        assert!(f[0].fix.contains("covers mx2.example.com"));
    }

    #[test]
    fn the_mode_words_the_finding() {
        let probes = [probe(
            "mx1.example.com",
            "192.0.2.1",
            &["other.example.net"],
        )];
        for (mode, severity, start) in [
            (
                Some(Mode::Enforce),
                Severity::Error,
                "Enforcing senders will not",
            ),
            (
                Some(Mode::Testing),
                Severity::Error,
                "Under enforce, senders would not",
            ),
            (
                Some(Mode::None),
                Severity::Warning,
                "Senders that require TLS",
            ),
            (None, Severity::Warning, "Senders that require TLS"),
        ] {
            let mut f = Vec::new();
            check(&probes, mode, &mut f);
            assert_eq!(f[0].severity, severity, "{mode:?}");
            assert!(
                f[0].message.starts_with(start),
                "{mode:?}: {}",
                f[0].message
            );
        }
    }

    #[test]
    fn a_blocked_port_is_one_warning_not_one_per_host() {
        let probes: Vec<Probe> = ["192.0.2.1", "192.0.2.2"]
            .iter()
            .map(|a| {
                Probe::failed(
                    "mx1.example.com",
                    a,
                    ProbeErrorClass::ConnectTimeout,
                    "no answer in 10 s".into(),
                )
            })
            .collect();
        let mut f = Vec::new();
        let rows = check(&probes, Some(Mode::Enforce), &mut f);
        let codes: Vec<Code> = f.iter().map(|x| x.code).collect();
        assert_eq!(codes, vec![Code::MxTlsPortBlocked]);
        assert!(rows.iter().all(|r| r.status == Status::Unknown));
        assert!(!f[0].is_error());
    }
}
