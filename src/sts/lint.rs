//! Lint entry points: syntax (from the parsers) plus the advice that goes
//! beyond syntax, RFC 8461 §5 (modes), §8.3 (teardown) and §10 (max_age and
//! weak wildcards).

use serde::{Deserialize, Serialize};

use super::finding::{self, Code, Finding};
use super::fold::Findings;
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
/// need to know whose policy it is. Linear in the input; repeated findings
/// are folded ([`super::fold`]).
pub fn lint(kind: Kind, input: &[u8], domain: Option<&str>) -> Lint {
    match kind {
        Kind::Txt => Lint::from(txt::findings(&String::from_utf8_lossy(input))),
        Kind::Tlsrpt => Lint::from(tlsrpt::findings(&String::from_utf8_lossy(input))),
        Kind::Policy => Lint::from(policy::lint(input, domain)),
    }
}

/// Advice about a policy's content beyond syntax. Works on what could be read
/// even from an invalid policy.
pub fn policy_advice(p: &Partial, domain: Option<&str>) -> Vec<Finding> {
    let mut out = Findings::new();
    let patterns = p.mx.iter().map(|m| (m.wildcard, m.base.as_str()));
    advice(p.mode, p.max_age, patterns, domain, &mut out);
    out.finish()
}

/// [`policy_advice`] over the patterns as written (`(wildcard, base)`), so
/// the lint reads a policy without copying its lines.
pub(crate) fn advice<'a>(
    mode: Option<Mode>,
    max_age: Option<u64>,
    patterns: impl Iterator<Item = (bool, &'a str)>,
    domain: Option<&str>,
    out: &mut Findings,
) {
    match mode {
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
    if let (Some(age), Some(mode)) = (max_age, mode) {
        if mode != Mode::None && age < DAY {
            out.push(
                Finding::new(
                    Code::MaxAgeShort,
                    format!("max_age is {}, under one day: policies expire from senders' caches so fast that a network attacker gets frequent chances to block the refresh.", seconds(age)),
                    "Use at least 86400 (one day) while testing and 604800 (one week) or more in enforce mode.",
                )
                .corrected("max_age: 604800"),
            );
        } else if mode == Mode::Enforce && age < WEEK {
            out.push(
                Finding::new(
                    Code::MaxAgeUnderWeek,
                    format!("max_age is {} in enforce mode, under one week: a sender's cached policy lapses {} after its last refresh, and from then on a network attacker who blocks the policy fetch strips TLS from mail to you. RFC 8461 §3.2 recommends weeks.", seconds(age), duration(age)),
                    "Once enforce mode is stable, raise max_age to 1209600 (two weeks) or more.",
                )
                .corrected("max_age: 1209600"),
            );
        }
    }
    for (wildcard, base) in patterns {
        let own = domain.is_some_and(|d| is_within(base, d));
        if !own && is_placeholder(base) {
            out.add(Code::PolicyMxPlaceholder, None, || {
                Finding::new(
                    Code::PolicyMxPlaceholder,
                    format!(
                        "`mx: {}` looks like a template placeholder, not a real mail server.",
                        shown(wildcard, base)
                    ),
                    "Replace it with the host names of your MX records (`dig MX yourdomain`).",
                )
            });
        }
        if wildcard && !base.contains('.') {
            out.add(Code::MxWildcardBroad, None, || {
                Finding::new(
                    Code::MxWildcardBroad,
                    format!("`mx: {}` covers every host under the top-level domain `{}`: anyone with a certificate for any such host passes the MX check.", shown(wildcard, base), base.to_ascii_lowercase()),
                    "List your MX hosts, or a wildcard under your provider's own domain (e.g. *.mail.protection.outlook.com).",
                )
            });
        }
        if wildcard && domain.is_some_and(|d| d.eq_ignore_ascii_case(base)) {
            out.add(Code::MxWildcardOwnDomain, None, || {
                Finding::new(
                    Code::MxWildcardOwnDomain,
                    format!("`mx: {}` accepts any host in your own domain: any host there with a valid certificate (a web server, a VPN box) passes as an MX (RFC 8461 §10.4).", shown(wildcard, base)),
                    "Prefer listing the MX host names explicitly.",
                )
            });
        }
    }
}

/// A pattern as the messages show it: lower case, `*.` in front of a
/// wildcard (written straight into the message, without a copy).
fn shown(wildcard: bool, base: &str) -> impl core::fmt::Display + '_ {
    struct Shown<'a>(bool, &'a str);
    impl core::fmt::Display for Shown<'_> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            if self.0 {
                f.write_str("*.")?;
            }
            if !self.1.bytes().any(|b| b.is_ascii_uppercase()) {
                return f.write_str(self.1);
            }
            for c in self.1.chars() {
                core::fmt::Write::write_char(f, c.to_ascii_lowercase())?;
            }
            Ok(())
        }
    }
    Shown(wildcard, base)
}

/// `name` is `domain` or a name under it, in any case.
fn is_within(name: &str, domain: &str) -> bool {
    name.eq_ignore_ascii_case(domain) || ends_with_label(name, domain)
}

/// `name` ends with `.` + `suffix`, in any case.
fn ends_with_label(name: &str, suffix: &str) -> bool {
    let (name, suffix) = (name.as_bytes(), suffix.as_bytes());
    name.len() > suffix.len()
        && name.get(name.len() - suffix.len() - 1) == Some(&b'.')
        && name
            .get(name.len() - suffix.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
}

/// A number of seconds for messages: "86399 seconds", or with the round
/// unit it makes, "7200 seconds (2 hours)".
pub fn seconds(secs: u64) -> String {
    let unit = if secs == 1 { "second" } else { "seconds" };
    let words = duration(secs);
    if words.ends_with("second") || words.ends_with("seconds") {
        format!("{secs} {unit}")
    } else {
        format!("{secs} {unit} ({words})")
    }
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
    // The last eleven bytes, lower-cased once for the three comparisons
    // (`| 0x20` lower-cases the letters, digits, `-` and `.` of a valid
    // pattern and never turns another byte into one of those letters).
    let b = base.as_bytes();
    let mut tail = [0u8; 11];
    let example = b.len() >= 11
        && (b.len() == 11 || b.get(b.len() - 12) == Some(&b'.'))
        && b.get(b.len() - 11..).is_some_and(|t| {
            for (d, s) in tail.iter_mut().zip(t) {
                *d = s | 0x20;
            }
            [b"example.com", b"example.net", b"example.org"].contains(&&tail)
        });
    example
        || (b.iter().fold(false, |seen, c| seen | (c | 0x20 == b'y'))
            && base.split('.').any(|l| {
                l.get(..4)
                    .is_some_and(|head| head.eq_ignore_ascii_case("your"))
            }))
}

#[cfg(test)]
mod tests {
    use super::{duration, seconds, DAY};

    #[test]
    fn seconds_name_the_unit_once() {
        assert_eq!(seconds(86_399), "86399 seconds");
        assert_eq!(seconds(1), "1 second");
        assert_eq!(seconds(7200), "7200 seconds (2 hours)");
        assert_eq!(seconds(100_000), "100000 seconds (about 1.2 days)");
    }

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
