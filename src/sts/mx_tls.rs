//! The TLS of each MX host as an enforcing sender meets it (RFC 8461 §4.2):
//! what one SMTP STARTTLS probe of one address observed ([`Probe`]), and how
//! a sender that applies an `enforce` policy judges it ([`judge`]).
//!
//! A sender enforcing MTA-STS delivers to an MX host only when the host
//! offers STARTTLS (RFC 3207), the session is TLS 1.2 or newer (what large
//! senders require), the certificate chains to a trusted root, is within its
//! validity, and names the MX host (not the policy's pattern) among its
//! subjectAltName DNS names, a wildcard standing for exactly the left-most
//! label (RFC 8461 §4.2, RFC 6125 §6.4.3). Anything else, it refuses.
//!
//! The shell probes and records facts; the rules here decide. Pure: the time
//! to judge validity against is passed in (each probe carries the moment it
//! was made).

use serde::{Deserialize, Serialize};

use super::finding::Code;

/// A certificate that ends within this many days gets a warning.
pub const EXPIRING_SOON_DAYS: i64 = 14;

/// One line of an SMTP reply, RFC 5321 §4.2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub code: u16,
    /// The text after the code, of the first line only.
    pub text: String,
}

/// The TLS session agreed after STARTTLS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// As TLS names it: `TLSv1.3`, `TLSv1.2`, `TLSv1.1`, `TLSv1.0`.
    pub version: String,
    /// The IANA cipher suite name.
    pub cipher: String,
}

/// What a person can act on in one certificate of the chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateFacts {
    /// The subjectAltName DNS names (RFC 6125 §6.4.4: the only names a
    /// sender matches; the subject CN is not used).
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
}

/// What the WebPKI verification of the chain said, for the MX name, at the
/// moment of the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    /// Chains to a trusted root, in its validity, valid for the MX name.
    Verified,
    Expired,
    NotYetValid,
    /// The chain is trusted but the names do not cover the MX host.
    NameMismatch,
    /// The chain does not lead to a trusted root (self-signed, a private
    /// CA, a missing intermediate).
    Untrusted,
    /// Any other reason the chain was refused (a bad signature, a revoked
    /// or malformed certificate).
    Invalid,
}

impl Verification {
    pub const ALL: [Verification; 6] = [
        Verification::Verified,
        Verification::Expired,
        Verification::NotYetValid,
        Verification::NameMismatch,
        Verification::Untrusted,
        Verification::Invalid,
    ];

    /// The name in the JSON (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Verified => "verified",
            Verification::Expired => "expired",
            Verification::NotYetValid => "not-yet-valid",
            Verification::NameMismatch => "name-mismatch",
            Verification::Untrusted => "untrusted",
            Verification::Invalid => "invalid",
        }
    }

    /// The result named `name` in the JSON.
    pub fn parse(name: &str) -> Option<Verification> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

/// Where a probe stopped before it could judge the certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeErrorClass {
    /// The MX host has no A/AAAA address.
    NoAddress,
    /// The address guard refused the address (private, loopback, ...).
    Forbidden,
    /// The TCP connection was refused.
    Refused,
    /// No TCP connection within the wait.
    ConnectTimeout,
    /// The network could not route to the address.
    Unreachable,
    /// Connected, but a reply did not come within the wait.
    Timeout,
    /// The greeting was 4xx (421: busy, try later).
    Busy,
    /// The greeting was 5xx (554: no service for this client).
    Rejected,
    /// The server broke SMTP (closed early, garbage, a line too long).
    Protocol,
    /// STARTTLS was offered but answered with something other than 220.
    StarttlsRefused,
    /// The server speaks only TLS older than 1.2.
    OldVersion,
    /// The TLS handshake failed for another reason.
    Handshake,
}

impl ProbeErrorClass {
    pub const ALL: [ProbeErrorClass; 12] = [
        ProbeErrorClass::NoAddress,
        ProbeErrorClass::Forbidden,
        ProbeErrorClass::Refused,
        ProbeErrorClass::ConnectTimeout,
        ProbeErrorClass::Unreachable,
        ProbeErrorClass::Timeout,
        ProbeErrorClass::Busy,
        ProbeErrorClass::Rejected,
        ProbeErrorClass::Protocol,
        ProbeErrorClass::StarttlsRefused,
        ProbeErrorClass::OldVersion,
        ProbeErrorClass::Handshake,
    ];

    /// The name in the JSON (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeErrorClass::NoAddress => "no-address",
            ProbeErrorClass::Forbidden => "forbidden",
            ProbeErrorClass::Refused => "refused",
            ProbeErrorClass::ConnectTimeout => "connect-timeout",
            ProbeErrorClass::Unreachable => "unreachable",
            ProbeErrorClass::Timeout => "timeout",
            ProbeErrorClass::Busy => "busy",
            ProbeErrorClass::Rejected => "rejected",
            ProbeErrorClass::Protocol => "protocol",
            ProbeErrorClass::StarttlsRefused => "starttls-refused",
            ProbeErrorClass::OldVersion => "old-version",
            ProbeErrorClass::Handshake => "handshake",
        }
    }

    /// The class named `name` in the JSON.
    pub fn parse(name: &str) -> Option<ProbeErrorClass> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// True where the probe learnt nothing about the domain: the checker's
    /// network, the address guard or the server's mood, not a failure an
    /// enforcing sender would meet for certain.
    pub fn could_not_check(self) -> bool {
        !matches!(
            self,
            ProbeErrorClass::StarttlsRefused
                | ProbeErrorClass::OldVersion
                | ProbeErrorClass::Handshake
        )
    }

    /// No TCP connection at all (what a blocked port 25 looks like).
    pub fn no_connection(self) -> bool {
        matches!(
            self,
            ProbeErrorClass::ConnectTimeout | ProbeErrorClass::Unreachable
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeError {
    pub class: ProbeErrorClass,
    pub message: String,
}

/// One STARTTLS probe of one address of one MX host: connect to port 25,
/// read the greeting, EHLO, STARTTLS, handshake with SNI = the MX host,
/// QUIT.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The MX host name, lower case, no trailing dot.
    pub host: String,
    /// The address probed; empty when the host had none.
    #[serde(default)]
    pub address: String,
    /// When the probe was made, Unix seconds (validity is judged then).
    #[serde(default)]
    pub at: i64,
    #[serde(default)]
    pub elapsed_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<Reply>,
    /// Whether EHLO listed STARTTLS (`None`: EHLO never answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Session>,
    /// The certificates the server sent, leaf first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<CertificateFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Whether the chain leads to a trusted root, time aside (known even
    /// when the certificate has expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProbeError>,
}

impl Probe {
    /// A probe that ended with `class` before learning more.
    pub fn failed(host: &str, address: &str, class: ProbeErrorClass, message: String) -> Self {
        Probe {
            host: host.to_string(),
            address: address.to_string(),
            error: Some(ProbeError { class, message }),
            ..Probe::default()
        }
    }
}

/// How one probed address fares with an enforcing sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// An enforcing sender delivers.
    Valid,
    /// An enforcing sender refuses to deliver.
    Invalid,
    /// The probe could not tell.
    Unknown,
}

/// One reason in a judgement: a catalogue code and the facts behind it, in
/// words that finish the sentence "... because ...".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub code: Code,
    pub detail: String,
}

/// The judgement of one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub status: Status,
    /// Failures first, in the order a sender meets them, then warnings.
    pub problems: Vec<Problem>,
}

/// Does the certificate name `pattern` cover `host`? RFC 6125 §6.4.3 as
/// the WebPKI applies it: a case-insensitive match, or `*.` standing for
/// exactly one whole left-most label (never `*.com`, never a partial label).
pub fn name_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.');
    let pattern = pattern.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(base) => {
            base.contains('.')
                && !base.contains('*')
                && host.split_once('.').is_some_and(|(first, rest)| {
                    !first.is_empty() && rest.eq_ignore_ascii_case(base)
                })
        }
        None => !pattern.contains('*') && pattern.eq_ignore_ascii_case(host),
    }
}

/// Is this TLS version older than 1.2 (RFC 8996 deprecates 1.0 and 1.1)?
fn old_version(version: &str) -> bool {
    matches!(version, "TLSv1.0" | "TLSv1" | "TLSv1.1" | "SSLv3" | "SSLv2")
}

/// A Unix time as the UTC day, `YYYY-MM-DD` (times before 1970 as 1970).
pub fn day(unix: i64) -> String {
    super::date::iso_date(u64::try_from(unix).unwrap_or(0))
}

/// The judgement of one probe at `now` (Unix seconds), RFC 8461 §4.2.
pub fn judge(p: &Probe, now: i64) -> Judgement {
    let mut problems = Vec::new();
    if let Some(e) = &p.error {
        let code = match e.class {
            ProbeErrorClass::NoAddress => Code::MxTlsNoAddress,
            ProbeErrorClass::Forbidden => Code::MxTlsAddressRefused,
            ProbeErrorClass::Refused
            | ProbeErrorClass::ConnectTimeout
            | ProbeErrorClass::Unreachable => Code::MxTlsConnectFailed,
            ProbeErrorClass::Timeout => Code::MxTlsTimeout,
            ProbeErrorClass::Busy => Code::MxTlsBusy,
            ProbeErrorClass::Rejected => Code::MxTlsRejected,
            ProbeErrorClass::Protocol => Code::MxTlsProtocol,
            ProbeErrorClass::StarttlsRefused => Code::MxTlsNoStarttls,
            ProbeErrorClass::OldVersion => Code::MxTlsOldVersion,
            ProbeErrorClass::Handshake => Code::MxTlsHandshake,
        };
        // A refused STARTTLS, an old-only server or a failed handshake is
        // what every sender meets; the rest is the checker's view only.
        let status = if e.class.could_not_check() {
            Status::Unknown
        } else {
            Status::Invalid
        };
        problems.push(Problem {
            code,
            detail: e.message.clone(),
        });
        return Judgement { status, problems };
    }
    if p.starttls == Some(false) {
        problems.push(Problem {
            code: Code::MxTlsNoStarttls,
            detail: "its EHLO reply does not offer STARTTLS, so the mail would travel unencrypted"
                .to_string(),
        });
        return Judgement {
            status: Status::Invalid,
            problems,
        };
    }
    let (Some(tls), Some(leaf)) = (&p.tls, p.chain.first()) else {
        problems.push(Problem {
            code: Code::MxTlsProtocol,
            detail: "the probe ended before the TLS handshake completed".to_string(),
        });
        return Judgement {
            status: Status::Unknown,
            problems,
        };
    };
    if old_version(&tls.version) {
        problems.push(Problem {
            code: Code::MxTlsOldVersion,
            detail: format!(
                "it negotiated {}; senders require TLS 1.2 or newer",
                tls.version
            ),
        });
    }
    let trusted = match p.trusted {
        Some(t) => t,
        None => !matches!(
            p.verification,
            Some(Verification::Untrusted | Verification::Invalid)
        ),
    };
    if !trusted || p.verification == Some(Verification::Invalid) {
        let why = if leaf.issuer == leaf.subject && !leaf.issuer.is_empty() {
            format!("its certificate is self-signed ({})", leaf.subject)
        } else if p.verification == Some(Verification::Invalid) {
            "its certificate chain is invalid".to_string()
        } else {
            format!(
                "its certificate, issued by {}, does not chain to a trusted root (a private CA, or an intermediate missing from the chain the server sends)",
                if leaf.issuer.is_empty() { "an unknown issuer" } else { &leaf.issuer }
            )
        };
        problems.push(Problem {
            code: Code::MxTlsUntrusted,
            detail: why,
        });
    }
    if leaf.not_after < now {
        problems.push(Problem {
            code: Code::MxTlsExpired,
            detail: format!("its certificate expired on {}", day(leaf.not_after)),
        });
    } else if leaf.not_before > now {
        problems.push(Problem {
            code: Code::MxTlsNotYetValid,
            detail: format!(
                "its certificate is valid only from {}",
                day(leaf.not_before)
            ),
        });
    }
    if !leaf.names.iter().any(|n| name_matches(n, &p.host)) {
        let names = if leaf.names.is_empty() {
            "no DNS names at all".to_string()
        } else {
            leaf.names.join(", ")
        };
        problems.push(Problem {
            code: Code::MxTlsNameMismatch,
            detail: format!("its certificate is valid for {names}, not {}", p.host),
        });
    }
    let status = if problems.is_empty() {
        Status::Valid
    } else {
        Status::Invalid
    };
    if status == Status::Valid && leaf.not_after - now < EXPIRING_SOON_DAYS * 86_400 {
        let days = (leaf.not_after - now) / 86_400;
        problems.push(Problem {
            code: Code::MxTlsExpiringSoon,
            detail: format!(
                "its certificate expires on {} (in {days} day{})",
                day(leaf.not_after),
                if days == 1 { "" } else { "s" }
            ),
        });
    }
    Judgement { status, problems }
}

/// True when no probe connected anywhere and every one tried to: what an
/// outbound port 25 blocked on the checker's own network looks like
/// (residential and cloud networks commonly block it).
pub fn port_blocked(probes: &[Probe]) -> bool {
    let tried: Vec<&Probe> = probes.iter().filter(|p| !p.address.is_empty()).collect();
    !tried.is_empty()
        && tried
            .iter()
            .all(|p| p.error.as_ref().is_some_and(|e| e.class.no_connection()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000; // 2025-06-15
    const DAY: i64 = 86_400;

    fn good(host: &str) -> Probe {
        Probe {
            host: host.to_string(),
            address: "192.0.2.1".to_string(),
            at: NOW,
            greeting: Some(Reply {
                code: 220,
                text: format!("{host} ESMTP"),
            }),
            starttls: Some(true),
            tls: Some(Session {
                version: "TLSv1.3".into(),
                cipher: "TLS13_AES_128_GCM_SHA256".into(),
            }),
            chain: vec![CertificateFacts {
                names: vec![host.to_string()],
                subject: format!("CN={host}"),
                issuer: "CN=R11, O=Let's Encrypt, C=US".into(),
                not_before: NOW - 30 * DAY,
                not_after: NOW + 60 * DAY,
            }],
            verification: Some(Verification::Verified),
            trusted: Some(true),
            ..Probe::default()
        }
    }

    fn codes(j: &Judgement) -> Vec<&'static str> {
        j.problems.iter().map(|p| p.code.as_str()).collect()
    }

    #[test]
    fn names_match_exactly_or_by_one_left_most_label() {
        for (pattern, host, want) in [
            ("mx1.example.com", "mx1.example.com", true),
            ("MX1.Example.COM", "mx1.example.com.", true),
            ("*.example.com", "mx1.example.com", true),
            ("*.example.com", "a.b.example.com", false),
            ("*.example.com", "example.com", false),
            ("*.com", "example.com", false),
            ("m*.example.com", "mx1.example.com", false),
            ("mx1.example.com", "mx2.example.com", false),
            ("example.com", "mx1.example.com", false),
            (
                "*.mail.protection.outlook.com",
                "contoso-com.mail.protection.outlook.com",
                true,
            ),
        ] {
            assert_eq!(name_matches(pattern, host), want, "{pattern} vs {host}");
        }
    }

    #[test]
    fn each_rule_of_an_enforcing_sender_has_its_code() {
        let host = "mx2.example.com";
        let mut no_tls = good(host);
        no_tls.starttls = Some(false);
        no_tls.tls = None;
        no_tls.chain.clear();
        let mut wrong_name = good(host);
        wrong_name.chain[0].names = vec!["mail.provider.net".into()];
        let mut expired = good(host);
        expired.chain[0].not_after = NOW - DAY;
        let mut early = good(host);
        early.chain[0].not_before = NOW + DAY;
        let mut soon = good(host);
        soon.chain[0].not_after = NOW + 3 * DAY;
        let mut self_signed = good(host);
        self_signed.chain[0].issuer = format!("CN={host}");
        self_signed.trusted = Some(false);
        self_signed.verification = Some(Verification::Untrusted);
        let mut old = good(host);
        old.tls.as_mut().unwrap().version = "TLSv1.1".into();
        let mut wildcard = good(host);
        wildcard.chain[0].names = vec!["*.example.com".into()];
        let mut deep_wildcard = good("a.mx.example.com");
        deep_wildcard.chain[0].names = vec!["*.example.com".into()];
        let mut both = good(host);
        both.chain[0].not_after = NOW - DAY;
        both.chain[0].names = vec!["other.example.net".into()];
        both.trusted = Some(false);
        let cases: Vec<(&str, Probe, Status, Vec<&str>)> = vec![
            ("healthy", good(host), Status::Valid, vec![]),
            (
                "no STARTTLS",
                no_tls,
                Status::Invalid,
                vec!["mx-tls-no-starttls"],
            ),
            (
                "wrong name",
                wrong_name,
                Status::Invalid,
                vec!["mx-tls-name-mismatch"],
            ),
            ("expired", expired, Status::Invalid, vec!["mx-tls-expired"]),
            (
                "not yet valid",
                early,
                Status::Invalid,
                vec!["mx-tls-not-yet-valid"],
            ),
            (
                "expiring",
                soon,
                Status::Valid,
                vec!["mx-tls-expiring-soon"],
            ),
            (
                "self-signed",
                self_signed,
                Status::Invalid,
                vec!["mx-tls-untrusted"],
            ),
            ("TLS 1.1", old, Status::Invalid, vec!["mx-tls-old-version"]),
            ("wildcard", wildcard, Status::Valid, vec![]),
            (
                "wildcard too deep",
                deep_wildcard,
                Status::Invalid,
                vec!["mx-tls-name-mismatch"],
            ),
            (
                "untrusted, expired, wrong name",
                both,
                Status::Invalid,
                vec!["mx-tls-untrusted", "mx-tls-expired", "mx-tls-name-mismatch"],
            ),
        ];
        for (what, probe, status, want) in cases {
            let j = judge(&probe, NOW);
            assert_eq!(j.status, status, "{what}");
            assert_eq!(codes(&j), want, "{what}");
        }
    }

    #[test]
    fn what_the_checker_could_not_learn_is_unknown_and_what_senders_meet_is_invalid() {
        for (class, code, status) in [
            (
                ProbeErrorClass::NoAddress,
                "mx-tls-no-address",
                Status::Unknown,
            ),
            (
                ProbeErrorClass::Forbidden,
                "mx-tls-address-refused",
                Status::Unknown,
            ),
            (
                ProbeErrorClass::Refused,
                "mx-tls-connect-failed",
                Status::Unknown,
            ),
            (
                ProbeErrorClass::ConnectTimeout,
                "mx-tls-connect-failed",
                Status::Unknown,
            ),
            (
                ProbeErrorClass::Unreachable,
                "mx-tls-connect-failed",
                Status::Unknown,
            ),
            (ProbeErrorClass::Timeout, "mx-tls-timeout", Status::Unknown),
            (ProbeErrorClass::Busy, "mx-tls-busy", Status::Unknown),
            (
                ProbeErrorClass::Rejected,
                "mx-tls-rejected",
                Status::Unknown,
            ),
            (
                ProbeErrorClass::Protocol,
                "mx-tls-protocol",
                Status::Unknown,
            ),
            (
                ProbeErrorClass::StarttlsRefused,
                "mx-tls-no-starttls",
                Status::Invalid,
            ),
            (
                ProbeErrorClass::OldVersion,
                "mx-tls-old-version",
                Status::Invalid,
            ),
            (
                ProbeErrorClass::Handshake,
                "mx-tls-handshake",
                Status::Invalid,
            ),
        ] {
            let p = Probe::failed("mx1.example.com", "192.0.2.1", class, "why".into());
            let j = judge(&p, NOW);
            assert_eq!((j.status, codes(&j)), (status, vec![code]), "{class:?}");
            assert_eq!(
                code.parse_code().entry().affects_verdict,
                status == Status::Invalid,
                "{code}"
            );
        }
    }

    trait ParseCode {
        fn parse_code(&self) -> Code;
    }
    impl ParseCode for &str {
        fn parse_code(&self) -> Code {
            Code::from_name(self).unwrap()
        }
    }

    #[test]
    fn port_blocked_only_when_no_address_connected() {
        let timeout = |a: &str| {
            Probe::failed(
                "mx1.example.com",
                a,
                ProbeErrorClass::ConnectTimeout,
                "t".into(),
            )
        };
        assert!(port_blocked(&[
            timeout("192.0.2.1"),
            timeout("2001:db8::1")
        ]));
        assert!(!port_blocked(&[
            timeout("192.0.2.1"),
            good("mx2.example.com")
        ]));
        let refused = Probe::failed(
            "mx1.example.com",
            "192.0.2.1",
            ProbeErrorClass::Refused,
            "r".into(),
        );
        assert!(!port_blocked(&[timeout("192.0.2.1"), refused]));
        assert!(!port_blocked(&[]));
        let no_address = Probe::failed(
            "mx1.example.com",
            "",
            ProbeErrorClass::NoAddress,
            "n".into(),
        );
        assert!(!port_blocked(&[no_address]));
    }

    #[test]
    fn enum_names_are_the_json_names() {
        for v in Verification::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
            assert_eq!(Verification::parse(v.as_str()), Some(v));
        }
        for c in ProbeErrorClass::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert_eq!(ProbeErrorClass::parse(c.as_str()), Some(c));
        }
        assert_eq!(Verification::parse("Verified"), None);
        assert_eq!(ProbeErrorClass::parse(""), None);
    }

    #[test]
    fn the_json_shape_is_stable() {
        let j = serde_json::to_value(good("mx1.example.com")).unwrap();
        assert_eq!(j["host"], "mx1.example.com");
        assert_eq!(j["greeting"]["code"], 220);
        assert_eq!(j["starttls"], true);
        assert_eq!(j["tls"]["version"], "TLSv1.3");
        assert_eq!(j["chain"][0]["not_after"], NOW + 60 * DAY);
        assert_eq!(j["verification"], "verified");
        assert!(j.get("error").is_none());
        let failed = Probe::failed(
            "mx1.example.com",
            "192.0.2.1",
            ProbeErrorClass::ConnectTimeout,
            "t".into(),
        );
        let j = serde_json::to_value(&failed).unwrap();
        assert_eq!(j["error"]["class"], "connect-timeout");
        let back: Probe = serde_json::from_value(j).unwrap();
        assert_eq!(back, failed);
    }
}
