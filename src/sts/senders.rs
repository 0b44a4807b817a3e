//! How real senders read a domain: one verdict per sending implementation,
//! beside the RFC 8461 reading of [`super::report`].
//!
//! Each [`Model`] is the RFC reading plus the few places where that sender is
//! known to part from it, each a [`Behaviour`] with its source. A model never
//! re-implements the parser: it looks at the report's findings, the parsed
//! policy (or what could be read of it) and the observations, and says which
//! finding it overlooks, which one makes it fail, or which mode it reads
//! instead. Where nothing is known the model follows the RFC, and its
//! `basis` says so ("unknown, assumed RFC").
//!
//! Sources read (full commits; the strings in the table carry their prefix):
//!
//! | sender | file | commit |
//! | --- | --- | --- |
//! | postfix-mta-sts-resolver | `postfix_mta_sts_resolver/resolver.py` | 0069f9f1b18fb1c25477b80da4581a86b31fbb10 |
//! | postfix-mta-sts-resolver | `postfix_mta_sts_resolver/utils.py` | 0cb4f4704cc405699f2c702d823d1dc75648d08c |
//! | postfix-tlspol | `internal/mta-sts.go` | aa894e092dfa7c22a2bede98c2e3492742d0575a |
//! | maddy (foxcpp/go-mtasts) | `mtasts.go` | 6cf8b828be54785501cbaa5747c9b7178759282d |
//! | maddy (foxcpp/go-mtasts) | `cache.go` | 22f09fbee6f9bcd0b42719fc2757a7b649979ea0 |
//! | mox | `mtasts/parse.go` | bc38693bcc3a3f7c6728d785c8e8856d6d9b2a6b |
//! | mox | `mtasts/mtasts.go` | d1b87cdb0da173fb15c33e38ac81a57494c8d226 |
//! | Stalwart | `crates/smtp/src/outbound/mta_sts/parse.rs` | 36253a42961e3529bffaadd062218b3fd8638c03 |
//! | Stalwart | `crates/smtp/src/outbound/mta_sts/lookup.rs` | 50a2f50e581e9d95b8b21453c91116e2d4d7f2ac |
//!
//! Closed senders cite public pages: Postfix's `postconf(5)` entry for
//! `smtp_tls_enforce_sts_mx_patterns` (quoted in postfix-mta-sts-resolver
//! issue 116), two vendor guides for Exchange Online, and the report repeated
//! in hardenize-public issue 73 for Gmail (unconfirmed, and labelled so).
//!
//! Where the sources contradict the usual summaries, the source wins:
//! postfix-tlspol skips blank lines (`parseLine` returns early on an empty
//! line), so it does not reject a policy for them.

use serde::{Deserialize, Serialize};

use super::finding::{Code, Finding};
use super::policy::{self, Mode, Partial, Policy};
use super::report::{Observations, Verdict};

/// One sender's reading of the domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The sending implementation, e.g. "Postfix + postfix-mta-sts-resolver".
    pub sender: String,
    /// The verdict this sender reaches, in the report's words.
    pub verdict: Verdict,
    /// The findings that make this sender's reading differ from the RFC's
    /// (empty when it reads the domain as the RFC does).
    #[serde(default)]
    pub because: Vec<Code>,
    /// Where the behaviours come from: file and commit, or a public page;
    /// "unknown, assumed RFC" where nothing is known.
    pub source: String,
}

/// What the models look at: the RFC reading and what it was made from.
pub struct Seen<'a> {
    /// The RFC 8461 verdict.
    pub verdict: Verdict,
    pub findings: &'a [Finding],
    /// The policy, when valid by the RFC.
    pub policy: Option<&'a Policy>,
    /// What could be read of the policy, valid or not.
    pub partial: &'a Partial,
    pub observations: &'a Observations,
}

impl Seen<'_> {
    fn has(&self, code: Code) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }

    /// The mode as the RFC reads it (first line wins).
    fn mode(&self) -> Option<Mode> {
        self.policy.map(|p| p.mode).or(self.partial.mode)
    }

    fn max_age(&self) -> Option<u64> {
        self.policy.map(|p| p.max_age).or(self.partial.max_age)
    }

    /// The served media type, lower case, without parameters; empty when
    /// the header is missing (RFC 8461 §3.2).
    fn media_type(&self) -> String {
        let ct = self
            .observations
            .policy
            .as_ref()
            .and_then(|f| f.header("content-type"))
            .unwrap_or_default();
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }
}

/// What a behaviour does to the sender's reading.
#[derive(Clone, Copy)]
enum Effect {
    /// The sender cannot apply the policy (it has none, or mail fails
    /// validation) where the RFC reading can.
    Fails,
    /// The sender reads past a finding the RFC reading counts as an error.
    Overlooks,
    /// The sender reads another mode than the RFC's first `mode` line.
    ReadsMode(fn(&Seen) -> Option<Mode>),
    /// The verdict is the same, but the sender acts otherwise (reports,
    /// caching): named, never changing the verdict.
    Notes,
}

/// When a behaviour applies.
#[derive(Clone, Copy)]
enum When {
    /// The finding is in the report.
    Found,
    /// A condition on what was seen.
    If(fn(&Seen) -> bool),
}

/// One way a sender parts from the RFC reading, with its source.
pub struct Behaviour {
    code: Code,
    when: When,
    effect: Effect,
    source: &'static str,
}

/// A sending implementation: the RFC reading and its known differences.
pub struct Model {
    pub name: &'static str,
    /// Where the model comes from when no behaviour applies.
    pub basis: &'static str,
    behaviours: &'static [Behaviour],
}

const fn b(code: Code, when: When, effect: Effect, source: &'static str) -> Behaviour {
    Behaviour {
        code,
        when,
        effect,
        source,
    }
}

use Effect::{Fails, Notes, Overlooks, ReadsMode};
use When::{Found, If};

const PMSR: &str = "postfix-mta-sts-resolver resolver.py@0069f9f1";
const PMSR_PARSE: &str = "postfix-mta-sts-resolver utils.py@0cb4f470 (parse_mta_sts_policy)";
const TLSPOL: &str = "postfix-tlspol internal/mta-sts.go@aa894e09";
const GO_MTASTS: &str = "foxcpp/go-mtasts mtasts.go@6cf8b828";
const GO_MTASTS_FETCH: &str = "foxcpp/go-mtasts cache.go@22f09fbe";
const MOX: &str = "mox mtasts/parse.go@bc38693b (xmaxage)";
const STALWART: &str = "Stalwart crates/smtp/src/outbound/mta_sts/parse.rs@36253a42";
const STALWART_CACHE: &str = "Stalwart crates/smtp/src/outbound/mta_sts/lookup.rs@50a2f50e";

/// The senders modelled, in the order they are shown.
pub const MODELS: &[Model] = &[
    Model {
        name: "Gmail",
        basis: "Google's MTA-STS help; otherwise unknown, assumed RFC",
        behaviours: &[b(
            Code::MaxAgeShort,
            Found,
            Fails,
            "hardenize-public#73: widely repeated, unconfirmed report that Gmail ignores policies under one day",
        )],
    },
    Model {
        name: "Microsoft 365 (Exchange Online)",
        basis: "vendor guides; otherwise unknown, assumed RFC",
        behaviours: &[
            b(
                Code::MxCname,
                If(|s| s.has(Code::MxCname) && s.mode() == Some(Mode::Enforce)),
                Fails,
                "MTA-STS Setup & DNS Guide (hosted TLS-RPT vendor): Exchange Online does not follow MX CNAMEs",
            ),
            b(
                Code::TlsrptRuaMultiple,
                Found,
                Notes,
                "Receiver Shield, MTA-STS in practice: Microsoft reports only to the first rua",
            ),
        ],
    },
    Model {
        name: "Postfix + postfix-mta-sts-resolver",
        basis: "postfix-mta-sts-resolver resolver.py@0069f9f1, utils.py@0cb4f470; Postfix 3.10.5+",
        behaviours: &[
            b(
                Code::PolicyContentType,
                If(|s| s.observations.policy.is_some() && s.media_type() != "text/plain"),
                Fails,
                PMSR,
            ),
            b(Code::PolicyBlankLine, Found, Overlooks, PMSR_PARSE),
            b(
                Code::PolicyDuplicateField,
                Found,
                ReadsMode(last_mode),
                PMSR_PARSE,
            ),
            b(Code::TxtIdInvalid, Found, Overlooks, PMSR),
        ],
    },
    Model {
        name: "Postfix + postfix-tlspol",
        basis: "postfix-tlspol internal/mta-sts.go@aa894e09; Postfix 3.10.5+",
        behaviours: &[
            b(Code::PolicyBlankLine, Found, Overlooks, TLSPOL),
            b(Code::PolicyLeadingWhitespace, Found, Overlooks, TLSPOL),
            b(Code::PolicyMaxAgeTooLarge, Found, Overlooks, TLSPOL),
            b(
                Code::ModeTesting,
                If(|s| s.mode() == Some(Mode::Testing)),
                ReadsMode(|_| Some(Mode::None)),
                TLSPOL,
            ),
            b(Code::TxtMultiple, Found, Overlooks, TLSPOL),
            b(Code::TxtIdInvalid, Found, Overlooks, TLSPOL),
            b(Code::TxtIdMissing, Found, Overlooks, TLSPOL),
        ],
    },
    Model {
        name: "Postfix before 3.10.5",
        basis: "postconf(5) smtp_tls_enforce_sts_mx_patterns, quoted in postfix-mta-sts-resolver#116; otherwise as its resolver",
        behaviours: &[b(
            Code::MxNotCovered,
            If(|s| s.has(Code::MxNotCovered) && s.mode() == Some(Mode::Enforce)),
            Overlooks,
            "postconf(5) smtp_tls_enforce_sts_mx_patterns (postfix-mta-sts-resolver#116): older Postfix connects to any MX and matches its certificate against any pattern",
        )],
    },
    Model {
        name: "Stalwart",
        basis: "Stalwart crates/smtp/src/outbound/mta_sts/parse.rs@36253a42, lookup.rs@50a2f50e",
        behaviours: &[
            b(Code::PolicyBlankLine, Found, Overlooks, STALWART),
            b(Code::PolicyLeadingWhitespace, Found, Overlooks, STALWART),
            b(
                Code::PolicyDuplicateField,
                Found,
                ReadsMode(last_mode),
                STALWART,
            ),
            b(Code::PolicyMaxAgeTooLarge, Found, Overlooks, STALWART_CACHE),
            b(Code::PolicyMaxAgeInvalid, Found, Overlooks, STALWART),
            b(Code::PolicyMaxAgeMissing, Found, Overlooks, STALWART),
            b(
                Code::PolicyVersionInvalid,
                If(|s| {
                    s.has(Code::PolicyVersionInvalid)
                        && s.partial
                            .version
                        .as_deref()
                        .is_some_and(|v| v.eq_ignore_ascii_case(policy::VERSION))
                }),
                Overlooks,
                STALWART,
            ),
            b(
                Code::ModeNone,
                If(|s| s.policy.is_some_and(|p| p.mode == Mode::None && p.mx.is_empty())),
                Fails,
                STALWART,
            ),
            b(
                Code::MaxAgeShort,
                If(|s| s.max_age().is_some_and(|a| a < 3600)),
                Notes,
                STALWART_CACHE,
            ),
        ],
    },
    Model {
        name: "mox",
        basis: "mox mtasts/parse.go@bc38693b, mtasts/mtasts.go@d1b87cdb",
        behaviours: &[b(
            Code::PolicyMaxAgeTooLarge,
            If(|s| {
                s.has(Code::PolicyMaxAgeTooLarge)
                    && s.partial.max_age.is_some_and(|a| a <= i32::MAX as u64)
            }),
            Overlooks,
            MOX,
        )],
    },
    Model {
        name: "maddy (go-mtasts)",
        basis: "foxcpp/go-mtasts mtasts.go@6cf8b828, cache.go@22f09fbe",
        behaviours: &[
            b(
                Code::PolicyContentType,
                If(|s| s.observations.policy.is_some() && s.media_type() != "text/plain"),
                Fails,
                GO_MTASTS_FETCH,
            ),
            b(Code::TxtIgnoredRecord, Found, Fails, GO_MTASTS_FETCH),
            b(
                Code::PolicyDuplicateField,
                Found,
                ReadsMode(last_mode),
                GO_MTASTS,
            ),
            b(Code::PolicyMaxAgeTooLarge, Found, Overlooks, GO_MTASTS),
            b(Code::TxtIdInvalid, Found, Overlooks, GO_MTASTS),
        ],
    },
];

/// The mode a sender reads that keeps the last of repeated fields: the RFC
/// parse (first wins, §3.2) over the lines in reverse order.
fn last_mode(s: &Seen) -> Option<Mode> {
    let body = s.observations.policy.as_ref()?.body_bytes();
    let checked = policy::check(&reversed_lines(body));
    checked.policy.map(|p| p.mode).or(checked.partial.mode)
}

/// The body's lines, last first, each keeping its own line ending (the
/// unterminated last line gets the ending of the line before it).
fn reversed_lines(body: &[u8]) -> Vec<u8> {
    let lines: Vec<&[u8]> = body.split_inclusive(|&b| b == b'\n').collect();
    let ending: &[u8] = match lines.iter().rev().find(|l| l.ends_with(b"\n")) {
        Some(l) if l.ends_with(b"\r\n") => b"\r\n",
        _ => b"\n",
    };
    let mut out = Vec::with_capacity(body.len() + 2);
    for line in lines.iter().rev() {
        out.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            out.extend_from_slice(ending);
        }
    }
    out
}

/// The verdict a mode gives, RFC 8461 §5.
fn by_mode(mode: Option<Mode>) -> Verdict {
    match mode {
        Some(Mode::Enforce) => Verdict::Enforced,
        Some(Mode::Testing) => Verdict::Testing,
        Some(Mode::None) => Verdict::None,
        None => Verdict::Broken,
    }
}

/// How `model` reads the domain. Without a published MTA-STS every sender
/// agrees with the RFC: none of them looks further.
pub fn read(model: &Model, seen: &Seen) -> Reading {
    let same = |because: Vec<Code>, source: String| Reading {
        sender: model.name.to_string(),
        verdict: seen.verdict,
        because,
        source,
    };
    if seen.verdict == Verdict::NotConfigured {
        return same(Vec::new(), model.basis.to_string());
    }
    let applied: Vec<&Behaviour> = model
        .behaviours
        .iter()
        .filter(|x| match x.when {
            Found => seen.has(x.code),
            If(test) => test(seen),
        })
        .collect();
    let sources = |list: &[&Behaviour]| {
        let mut out: Vec<&str> = Vec::new();
        for x in list {
            if !out.contains(&x.source) {
                out.push(x.source);
            }
        }
        out.join("; ")
    };
    let notes: Vec<&Behaviour> = applied
        .iter()
        .copied()
        .filter(|x| matches!(x.effect, Notes))
        .collect();
    let mut mode = seen.mode();
    let mut fails = false;
    let mut overlooked: Vec<Code> = Vec::new();
    for x in &applied {
        match x.effect {
            Fails => fails = true,
            Overlooks => overlooked.push(x.code),
            ReadsMode(read) => mode = read(seen).or(mode),
            Notes => {}
        }
    }
    let blocking = seen
        .findings
        .iter()
        .any(|f| f.is_error() && f.code.entry().affects_verdict && !overlooked.contains(&f.code));
    let verdict = if fails || blocking {
        Verdict::Broken
    } else {
        by_mode(mode)
    };
    if verdict == seen.verdict {
        let source = if notes.is_empty() {
            model.basis.to_string()
        } else {
            sources(&notes)
        };
        return same(notes.iter().map(|x| x.code).collect(), source);
    }
    let mut because: Vec<Code> = Vec::new();
    for x in &applied {
        if !because.contains(&x.code) {
            because.push(x.code);
        }
    }
    Reading {
        sender: model.name.to_string(),
        verdict,
        because,
        source: sources(&applied),
    }
}

/// Every modelled sender's reading, in [`MODELS`] order.
pub fn read_all(seen: &Seen) -> Vec<Reading> {
    MODELS.iter().map(|m| read(m, seen)).collect()
}

/// A sentence for the summary when senders split from the RFC reading, e.g.
/// "Senders differ: enforced for 6 of 8; Postfix + postfix-mta-sts-resolver
/// and maddy (go-mtasts) will not apply this policy (the policy is not served
/// as text/plain)." `None` when every sender agrees.
pub fn split(rfc: Verdict, readings: &[Reading]) -> Option<String> {
    let agree = readings.iter().filter(|r| r.verdict == rfc).count();
    if agree == readings.len() {
        return None;
    }
    let mut groups: Vec<(Verdict, Option<Code>, Vec<&str>)> = Vec::new();
    for r in readings.iter().filter(|r| r.verdict != rfc) {
        let key = (r.verdict, r.because.first().copied());
        match groups.iter_mut().find(|g| (g.0, g.1) == key) {
            Some(g) => g.2.push(&r.sender),
            None => groups.push((key.0, key.1, vec![&r.sender])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(v, code, names)| {
            let who = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => names.join(""),
            };
            let why = code
                .map(|c| format!(" ({})", lower_first(c.entry().title)))
                .unwrap_or_default();
            match v {
                Verdict::Broken => format!("{who} will not apply this policy{why}"),
                v => format!("{who} read it as {}{why}", v.as_str()),
            }
        })
        .collect();
    Some(format!(
        "Senders differ: {} for {agree} of {}; {}.",
        rfc.as_str(),
        readings.len(),
        parts.join("; ")
    ))
}

/// How many senders cannot apply a policy the RFC reading can.
pub fn refused(rfc: Verdict, readings: &[Reading]) -> usize {
    if rfc == Verdict::Broken || rfc == Verdict::NotConfigured {
        return 0;
    }
    readings
        .iter()
        .filter(|r| r.verdict == Verdict::Broken)
        .count()
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
