//! The result types of TLS-RPT failure details: the IANA "STARTTLS
//! Validation Result Types" registry (RFC 8460 §4.3, §6.6), each with what
//! it means for mail and what to change. Types outside the registry are
//! shown as sent, with a generic explanation.

use serde::Serialize;

/// The 11 registered result types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResultType {
    // Negotiation failures, RFC 8460 §4.3.1.
    StarttlsNotSupported,
    CertificateHostMismatch,
    CertificateExpired,
    CertificateNotTrusted,
    ValidationFailure,
    // DANE policy failures, §4.3.2.1.
    TlsaInvalid,
    DnssecInvalid,
    DaneRequired,
    // MTA-STS policy failures, §4.3.2.2.
    StsPolicyFetchError,
    StsPolicyInvalid,
    StsWebpkiInvalid,
}

/// Where a failure happens: talking to the MX, or getting the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// The STARTTLS negotiation with an MX host (§4.3.1).
    Negotiation,
    /// The DANE TLSA records (§4.3.2.1).
    Dane,
    /// The MTA-STS policy itself (§4.3.2.2).
    Sts,
}

impl ResultType {
    pub const ALL: [ResultType; 11] = [
        ResultType::StarttlsNotSupported,
        ResultType::CertificateHostMismatch,
        ResultType::CertificateExpired,
        ResultType::CertificateNotTrusted,
        ResultType::ValidationFailure,
        ResultType::TlsaInvalid,
        ResultType::DnssecInvalid,
        ResultType::DaneRequired,
        ResultType::StsPolicyFetchError,
        ResultType::StsPolicyInvalid,
        ResultType::StsWebpkiInvalid,
    ];

    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultType::StarttlsNotSupported => "starttls-not-supported",
            ResultType::CertificateHostMismatch => "certificate-host-mismatch",
            ResultType::CertificateExpired => "certificate-expired",
            ResultType::CertificateNotTrusted => "certificate-not-trusted",
            ResultType::ValidationFailure => "validation-failure",
            ResultType::TlsaInvalid => "tlsa-invalid",
            ResultType::DnssecInvalid => "dnssec-invalid",
            ResultType::DaneRequired => "dane-required",
            ResultType::StsPolicyFetchError => "sts-policy-fetch-error",
            ResultType::StsPolicyInvalid => "sts-policy-invalid",
            ResultType::StsWebpkiInvalid => "sts-webpki-invalid",
        }
    }

    /// The registered type named `name` (exact, lower case as registered).
    pub fn parse(name: &str) -> Option<ResultType> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn stage(self) -> Stage {
        match self {
            ResultType::TlsaInvalid | ResultType::DnssecInvalid | ResultType::DaneRequired => {
                Stage::Dane
            }
            ResultType::StsPolicyFetchError
            | ResultType::StsPolicyInvalid
            | ResultType::StsWebpkiInvalid => Stage::Sts,
            _ => Stage::Negotiation,
        }
    }

    fn rfc(self) -> &'static str {
        match self.stage() {
            Stage::Negotiation => "RFC 8460 §4.3.1",
            Stage::Dane => "RFC 8460 §4.3.2.1",
            Stage::Sts => "RFC 8460 §4.3.2.2",
        }
    }

    fn texts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ResultType::StarttlsNotSupported => (
                "The MX does not offer STARTTLS",
                "The sender connected to your MX host and it did not offer STARTTLS (or the handshake failed before TLS started). Under enforce, these messages are not delivered.",
                "Enable STARTTLS on every MX host with a certificate for its name; check that no firewall or load balancer strips STARTTLS from the EHLO answer. Some senders (Google) report any certificate failure under this type, so check the certificate too.",
            ),
            ResultType::CertificateHostMismatch => (
                "The MX certificate is for another name",
                "The MX host's certificate does not name the host the sender connected to (the MX name from DNS, matched against the policy's mx lines). Under enforce, these messages are not delivered.",
                "Install a certificate whose subject alternative names include the MX host name exactly as in the MX record (or a wildcard for it).",
            ),
            ResultType::CertificateExpired => (
                "The MX certificate has expired",
                "The MX host presented a certificate past its end date. Under enforce, these messages are not delivered.",
                "Renew the MX certificate and make sure the mail server reloads it; automate renewal (ACME) and monitor expiry.",
            ),
            ResultType::CertificateNotTrusted => (
                "The MX certificate is not trusted",
                "The MX host's certificate does not chain to a CA the sender trusts: self-signed, a private CA, or a missing intermediate certificate. Under enforce, these messages are not delivered.",
                "Use a certificate from a public CA and serve the full chain (leaf and intermediates) from the mail server.",
            ),
            ResultType::ValidationFailure => (
                "TLS validation failed for another reason",
                "The sender could not validate the TLS session for a reason outside the other types (for example a handshake or protocol error). Under enforce, these messages are not delivered.",
                "Look at failure-reason-code and additional-information for the sender's words, test the MX with an SMTP TLS tester, and check the certificate name, chain and dates.",
            ),
            ResultType::TlsaInvalid => (
                "No TLSA record matches the MX certificate",
                "The MX host has DANE TLSA records, but none matches the certificate it presented; DANE senders do not deliver.",
                "Publish TLSA records for the current certificate or key before rolling it over (keep old and new during the change), or remove the TLSA records.",
            ),
            ResultType::DnssecInvalid => (
                "DNSSEC validation failed",
                "The sender's resolver could not validate your DNS answers with DNSSEC (a broken chain, expired signatures, or a DS record that does not match).",
                "Check the zone with a DNSSEC analyser; re-sign it or fix the DS record at the registrar.",
            ),
            ResultType::DaneRequired => (
                "DANE was required but no TLSA records were found",
                "The sender requires DANE for your domain, and it found no DNSSEC-validated TLSA records for the MX host.",
                "Publish TLSA records at _25._tcp.<mx host> in a DNSSEC-signed zone, or ask the sender why it requires DANE.",
            ),
            ResultType::StsPolicyFetchError => (
                "The MTA-STS policy could not be fetched",
                "The sender could not fetch https://mta-sts.<domain>/.well-known/mta-sts.txt: no address, a refused or timed-out connection, an HTTP error or a redirect. Senders that had a policy cached keep using it; others deliver without MTA-STS.",
                "Make the policy URL answer 200 with the policy, without redirects, from an address reachable from the whole internet; `mtasts check` shows what a sender sees today.",
            ),
            ResultType::StsPolicyInvalid => (
                "The MTA-STS policy is invalid",
                "The sender fetched the policy but could not parse it (wrong field names, mode, max_age or line format). It delivers as if there were no policy.",
                "Lint the policy with `mtasts lint --kind policy` and fix every error.",
            ),
            ResultType::StsWebpkiInvalid => (
                "The policy host's certificate is not valid",
                "The HTTPS certificate of mta-sts.<domain> failed validation (expired, wrong name, untrusted CA), so the sender could not authenticate the policy.",
                "Install a publicly trusted certificate that names mta-sts.<domain> and serve the full chain.",
            ),
        }
    }
}

/// What a result type means and what to do, for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// As sent by the reporter.
    pub result_type: String,
    /// In the IANA registry.
    pub known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    pub title: String,
    pub explanation: String,
    pub fix: String,
    pub rfc: &'static str,
}

/// The explanation of a result type as sent; unknown types are shown raw.
pub fn explain(result_type: &str) -> Explanation {
    match ResultType::parse(result_type) {
        Some(t) => {
            let (title, explanation, fix) = t.texts();
            Explanation {
                result_type: result_type.to_string(),
                known: true,
                stage: Some(t.stage()),
                title: title.to_string(),
                explanation: explanation.to_string(),
                fix: fix.to_string(),
                rfc: t.rfc(),
            }
        }
        None => Explanation {
            result_type: result_type.to_string(),
            known: false,
            stage: None,
            title: format!("Unregistered result type \"{result_type}\""),
            explanation: "The reporter used a result type outside the IANA registry; what it means is up to that reporter.".to_string(),
            fix: "Read failure-reason-code and additional-information in the report, or ask the reporter (contact-info).".to_string(),
            rfc: "RFC 8460 §6.6",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_type_round_trips_and_has_words() {
        for t in ResultType::ALL {
            assert_eq!(ResultType::parse(t.as_str()), Some(t));
            let e = explain(t.as_str());
            assert!(e.known && !e.title.is_empty() && !e.fix.is_empty());
        }
        let e = explain("Testing");
        assert!(!e.known && e.title.contains("Testing"));
    }
}
