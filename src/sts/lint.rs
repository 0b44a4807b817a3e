//! Lint entry points: syntax (from the parsers) plus the advice that goes
//! beyond syntax, RFC 8461 §5 (modes), §8.3 (teardown) and §10 (max_age and
//! weak wildcards).

use serde::{Deserialize, Serialize};

use super::finding::{self, Code, Finding};
use super::policy::{self, Mode, Partial};
use super::{tlsrpt, txt};

/// One day and one week, in seconds.
pub const DAY: u64 = 86_400;
pub const WEEK: u64 = 7 * DAY;

/// What a record or file was linted as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Txt,
    Policy,
    Tlsrpt,
}

/// The result of linting one input: valid when no finding is an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lint {
    pub valid: bool,
    pub findings: Vec<Finding>,
}

impl Lint {
    fn from(mut findings: Vec<Finding>) -> Self {
        finding::sort(&mut findings);
        Lint {
            valid: !findings.iter().any(Finding::is_error),
            findings,
        }
    }
}

/// Lints input of the given kind; `domain` (A-label) enables the checks that
/// need to know whose policy it is.
pub fn lint(kind: Kind, input: &[u8], domain: Option<&str>) -> Lint {
    match kind {
        Kind::Txt => Lint::from(txt::check(&String::from_utf8_lossy(input)).1),
        Kind::Tlsrpt => Lint::from(tlsrpt::check(&String::from_utf8_lossy(input)).1),
        Kind::Policy => {
            let checked = policy::check(input);
            let mut findings = checked.findings;
            findings.extend(policy_advice(&checked.partial, domain));
            Lint::from(findings)
        }
    }
}

/// Advice about a policy's content beyond syntax. Works on what could be read
/// even from an invalid policy.
pub fn policy_advice(p: &Partial, domain: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    match p.mode {
        Some(Mode::Testing) => out.push(
            Finding::new(
                Code::ModeTesting,
                "The policy is in testing mode: senders deliver even when TLS or the MX check fails, and only report the failure (to TLS-RPT).",
                "When TLS-RPT reports show no failures for a couple of weeks, switch to enforce and change the TXT id.",
            )
            .corrected("mode: enforce"),
        ),
        Some(Mode::None) => out.push(Finding::new(
            Code::ModeNone,
            "The policy is in mode none: senders treat the domain as having no MTA-STS policy. This is the teardown state (RFC 8461 §8.3).",
            "If you are removing MTA-STS, keep serving this policy and the TXT record until the previous policy's max_age has passed, then remove both. Otherwise set mode testing or enforce and change the id.",
        )),
        _ => {}
    }
    if let (Some(age), Some(mode)) = (p.max_age, p.mode) {
        if mode != Mode::None && age < DAY {
            out.push(
                Finding::new(
                    Code::MaxAgeShort,
                    format!("max_age is {age} seconds ({}), under one day: policies expire from senders' caches so fast that a network attacker gets frequent chances to block the refresh.", duration(age)),
                    "Use at least 86400 (one day) while testing and 604800 (one week) or more in enforce mode.",
                )
                .corrected("max_age: 604800"),
            );
        } else if mode == Mode::Enforce && age < WEEK {
            out.push(
                Finding::new(
                    Code::MaxAgeUnderWeek,
                    format!("max_age is {age} seconds ({}) in enforce mode; the RFC expects weeks or more.", duration(age)),
                    "Once enforce mode is stable, raise max_age to 1209600 (two weeks) or more.",
                )
                .corrected("max_age: 1209600"),
            );
        }
    }
    for pat in &p.mx {
        let own = domain.is_some_and(|d| {
            pat.base.eq_ignore_ascii_case(d)
                || pat.base.to_ascii_lowercase().ends_with(&format!(".{d}"))
        });
        if !own && is_placeholder(&pat.base) {
            out.push(Finding::new(
                Code::PolicyMxPlaceholder,
                format!("`mx: {pat}` looks like a template placeholder, not a real mail server."),
                "Replace it with the host names of your MX records (`dig MX yourdomain`).",
            ));
        }
        if pat.wildcard && !pat.base.contains('.') {
            out.push(Finding::new(
                Code::MxWildcardBroad,
                format!("`mx: {pat}` covers every host under the top-level domain `{}`: anyone with a certificate for any such host passes the MX check.", pat.base),
                "List your MX hosts, or a wildcard under your provider's own domain (e.g. *.mail.protection.outlook.com).",
            ));
        }
        if pat.wildcard && domain.is_some_and(|d| d.eq_ignore_ascii_case(&pat.base)) {
            out.push(Finding::new(
                Code::MxWildcardOwnDomain,
                format!("`mx: {pat}` accepts any host in your own domain: any host there with a valid certificate (a web server, a VPN box) passes as an MX (RFC 8461 §10.4)."),
                "Prefer listing the MX host names explicitly.",
            ));
        }
    }
    out
}

/// A duration in words, for messages.
pub fn duration(secs: u64) -> String {
    let (n, unit) = if secs >= DAY && secs % DAY == 0 {
        (secs / DAY, "day")
    } else if secs >= 3600 && secs % 3600 == 0 {
        (secs / 3600, "hour")
    } else if secs >= 60 && secs % 60 == 0 {
        (secs / 60, "minute")
    } else if secs >= DAY {
        // Tenths of a day in integers: float formatting would cost the Wasm
        // builds several KB for this one message.
        let tenths = secs.saturating_mul(10).saturating_add(DAY / 2) / DAY;
        return format!("about {}.{} days", tenths / 10, tenths % 10);
    } else {
        (secs, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// Names from documentation templates: the RFC 2606 example domains and the
/// "your-..." wording of copy-paste guides.
fn is_placeholder(base: &str) -> bool {
    let b = base.to_ascii_lowercase();
    ["example.com", "example.net", "example.org"]
        .iter()
        .any(|e| b == *e || b.ends_with(&format!(".{e}")))
        || b.split('.')
            .any(|l| l.starts_with("your") || l == "yourdomain")
}

#[cfg(test)]
mod tests {
    use super::{duration, DAY};

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(DAY), "1 day");
        assert_eq!(duration(2 * DAY), "2 days");
        assert_eq!(duration(7200), "2 hours");
        assert_eq!(duration(90), "90 seconds");
        assert_eq!(duration(100_000), "about 1.2 days");
        assert_eq!(duration(31_557_601), "about 365.3 days");
        assert!(duration(u64::MAX).starts_with("about "));
    }
}
