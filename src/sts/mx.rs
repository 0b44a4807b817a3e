//! MX host validation against policy `mx` patterns, RFC 8461 §4.1.
//!
//! A pattern is `["*."] Domain` (RFC 8461 §3.2). Matching follows RFC 6125
//! with one restriction: `*` stands for exactly the whole left-most label, so
//! `*.example.com` matches `mail.example.com` but neither `example.com` nor
//! `foo.bar.example.com`. Comparison is case-insensitive (DNS names are); a
//! trailing dot on the MX host (its absolute form in DNS) is ignored.

use serde::{Deserialize, Serialize};

use super::domain::{is_ldh_label, looks_like_ip, MAX_LABEL, MAX_NAME};

/// A valid `mx` pattern (RFC 8461 §3.2 `sts-policy-mx-value`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern {
    /// `*.` in front of the domain.
    pub wildcard: bool,
    /// The domain after `*.` (or the whole pattern), lower-cased.
    pub base: String,
}

impl Pattern {
    /// Does this pattern cover `host` (an MX host name, any case, optionally
    /// with a trailing dot)? RFC 8461 §4.1.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host);
        if self.wildcard {
            match host.split_once('.') {
                Some((first, rest)) => !first.is_empty() && rest.eq_ignore_ascii_case(&self.base),
                None => false,
            }
        } else {
            host.eq_ignore_ascii_case(&self.base)
        }
    }
}

impl core::fmt::Display for Pattern {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.wildcard {
            write!(f, "*.{}", self.base)
        } else {
            f.write_str(&self.base)
        }
    }
}

/// A valid `mx` pattern as written, borrowed from the policy text (not
/// lower-cased): what the lint reads without allocating per line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatternRef<'a> {
    pub wildcard: bool,
    /// The domain after `*.` (or the whole pattern), in its written case.
    pub base: &'a str,
}

impl<'a> PatternRef<'a> {
    pub fn new(wildcard: bool, base: &'a str) -> Self {
        PatternRef { wildcard, base }
    }

    /// The owned, lower-cased pattern.
    pub fn to_pattern(self) -> Pattern {
        Pattern {
            wildcard: self.wildcard,
            base: self.base.to_ascii_lowercase(),
        }
    }

    /// A dotted quad written as a pattern ([`is_ip_like`]).
    pub fn is_ip_like(self) -> bool {
        !self.wildcard
            && self.base.as_bytes().first().is_some_and(u8::is_ascii_digit)
            && looks_like_ip(self.base)
    }
}

/// Why a string is not an `mx` pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum PatternError {
    Empty,
    /// Non-ASCII: the RFC requires the A-label; carries the A-label when UTS 46
    /// can produce one.
    ULabel(Option<String>),
    /// `*` anywhere but as the whole left-most label followed by `.`.
    Wildcard,
    /// The draft-era `.example.com` suffix form.
    LeadingDot,
    TrailingDot,
    EmptyLabel,
    /// A character outside letters, digits, `-` and `.`; carries it.
    Character(char),
    /// A label that starts or ends with `-`.
    Hyphen(String),
    LabelTooLong(String),
    NameTooLong(usize),
}

impl PatternError {
    /// A sentence naming the problem, for findings and the CLI.
    pub fn describe(&self, value: &str) -> String {
        // A hostile policy may hold a 64 KiB value: quote its start only.
        let value = &short(value);
        match self {
            PatternError::Empty => "the mx value is empty".to_string(),
            PatternError::ULabel(Some(a)) => format!("`{value}` is a Unicode (U-label) name; policies must use the A-label `{a}`"),
            PatternError::ULabel(None) => format!("`{value}` contains non-ASCII characters; policies must use A-labels (xn--...)"),
            PatternError::Wildcard => format!("`{value}` uses `*` other than as the whole first label (`*.example.com`); a wildcard stands for exactly one left-most label"),
            PatternError::LeadingDot => format!("`{value}` starts with a dot (an old draft form); write the wildcard as `*{value}`"),
            PatternError::TrailingDot => format!("`{value}` ends with a dot; policy mx values are written without the trailing dot"),
            PatternError::EmptyLabel => format!("`{value}` has an empty label (two dots in a row)"),
            PatternError::Character(c) => match c {
                ':' | '/' => format!("`{value}` contains `{c}`: mx values are host names, not URLs or host:port"),
                '_' => format!("`{value}` contains `_`, which host names cannot have"),
                c if c.is_whitespace() => format!("`{value}` contains whitespace; each mx line holds one host name"),
                _ => format!("`{value}` contains `{}`, which host names cannot have", c.escape_default()),
            },
            PatternError::Hyphen(l) => format!("the label `{}` in `{value}` starts or ends with `-`", short(l)),
            PatternError::LabelTooLong(l) => format!("the label `{}` in `{value}` is {} characters, over {MAX_LABEL}", short(l), l.len()),
            PatternError::NameTooLong(n) => format!("`{value}` is {n} characters, over the {MAX_NAME} DNS allows"),
        }
    }
}

/// The first 45 characters and "...", for quoting a long value in a message.
fn short(s: &str) -> String {
    match s.char_indices().nth(45) {
        Some((i, _)) if s.chars().count() > 48 => format!("{}...", &s[..i]),
        _ => s.to_string(),
    }
}

/// Parses an `mx` value: `["*."] Domain` with RFC 5321 §4.1.2 labels.
pub fn parse_pattern(value: &str) -> Result<Pattern, PatternError> {
    parse_pattern_ref(value).map(PatternRef::to_pattern)
}

/// [`parse_pattern`] without the copy: a valid pattern as written.
pub fn parse_pattern_ref(value: &str) -> Result<PatternRef<'_>, PatternError> {
    match quick_pattern(value) {
        Some(p) => Ok(p),
        None => pattern_or_error(value),
    }
}

/// The common case in one pass over the bytes: `["*."]` then letters,
/// digits and inner hyphens in non-empty labels of at most 63, at most 253
/// in all. Accepts exactly what [`pattern_or_error`] accepts; anything else
/// goes there for its precise error.
fn quick_pattern(value: &str) -> Option<PatternRef<'_>> {
    let (wildcard, base) = match value.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let b = base.as_bytes();
    if b.is_empty() || b.len() > MAX_NAME {
        return None;
    }
    // Letters and digits cost a table lookup each; the rules about labels
    // are checked at the `-` and `.` bytes and at the end.
    let mut label_start = 0usize;
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        match LDH[usize::from(c)] {
            ALNUM => {}
            HYPHEN if i > label_start => {}
            DOT if i > label_start
                && i - label_start <= MAX_LABEL
                && b.get(i - 1) != Some(&b'-') =>
            {
                label_start = i + 1;
            }
            _ => return None,
        }
        i += 1;
    }
    if label_start >= b.len() || b.len() - label_start > MAX_LABEL || b.last() == Some(&b'-') {
        return None;
    }
    Some(PatternRef { wildcard, base })
}

const ALNUM: u8 = 0;
const HYPHEN: u8 = 1;
const DOT: u8 = 2;
const OTHER: u8 = 3;

/// The class of each byte in a host name: letter or digit, `-`, `.`, other.
const LDH: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() {
            ALNUM
        } else if c == b'-' {
            HYPHEN
        } else if c == b'.' {
            DOT
        } else {
            OTHER
        };
        b += 1;
    }
    t
};

/// The full check, naming the first problem.
fn pattern_or_error(value: &str) -> Result<PatternRef<'_>, PatternError> {
    if value.is_empty() {
        return Err(PatternError::Empty);
    }
    if !value.is_ascii() {
        let a = super::domain::to_ascii(value.trim_start_matches("*.")).map(|a| {
            if value.starts_with("*.") {
                format!("*.{a}")
            } else {
                a
            }
        });
        return Err(PatternError::ULabel(a));
    }
    let (wildcard, base) = match value.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    if base.contains('*') || (value.starts_with('*') && !wildcard) {
        return Err(PatternError::Wildcard);
    }
    if base.starts_with('.') {
        return Err(if wildcard {
            PatternError::EmptyLabel
        } else {
            PatternError::LeadingDot
        });
    }
    if base.is_empty() {
        return Err(PatternError::Wildcard);
    }
    check_name(base)?;
    Ok(PatternRef { wildcard, base })
}

fn check_name(base: &str) -> Result<(), PatternError> {
    if base.ends_with('.') {
        return Err(PatternError::TrailingDot);
    }
    if let Some(c) = base
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(PatternError::Character(c));
    }
    for label in base.split('.') {
        if label.is_empty() {
            return Err(PatternError::EmptyLabel);
        }
        if label.len() > MAX_LABEL {
            return Err(PatternError::LabelTooLong(label.to_string()));
        }
        if !is_ldh_label(label) {
            return Err(PatternError::Hyphen(label.to_string()));
        }
    }
    if base.len() > MAX_NAME {
        return Err(PatternError::NameTooLong(base.len()));
    }
    Ok(())
}

/// Checks an MX host name as it appears in DNS: letters, digits, hyphens,
/// one optional trailing dot.
pub fn parse_host(host: &str) -> Result<String, PatternError> {
    if host.is_empty() || host == "." {
        return Err(PatternError::Empty);
    }
    if !host.is_ascii() {
        return Err(PatternError::ULabel(super::domain::to_ascii(host)));
    }
    let bare = host.strip_suffix('.').unwrap_or(host);
    if bare.contains('*') {
        return Err(PatternError::Wildcard);
    }
    check_name(bare)?;
    Ok(bare.to_ascii_lowercase())
}

/// True when an `mx` value is an IPv4 or IPv6 address rather than a name.
pub fn is_ip_like(value: &str) -> bool {
    looks_like_ip(value)
}

/// `match-mx`: does `pattern` cover `host`? Both are validated first.
pub fn matches(pattern: &str, host: &str) -> Result<bool, MatchInputError> {
    let p = parse_pattern(pattern).map_err(|e| MatchInputError {
        what: "pattern",
        message: e.describe(pattern),
    })?;
    parse_host(host).map_err(|e| MatchInputError {
        what: "host",
        message: e.describe(host),
    })?;
    Ok(p.matches(host))
}

/// An invalid argument to [`matches`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchInputError {
    pub what: &'static str,
    pub message: String,
}

/// One MX record as found in DNS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    pub preference: u16,
    /// The exchange name, without the trailing dot.
    pub host: String,
}

/// One row of the coverage table: an MX host and the first pattern covering it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub host: String,
    pub preference: u16,
    /// The covering pattern, or `None` when no pattern matches.
    pub pattern: Option<String>,
}

/// Matches every MX host against the patterns (RFC 8461 §4.1).
pub fn coverage(patterns: &[Pattern], hosts: &[MxHost]) -> Vec<Coverage> {
    hosts
        .iter()
        .map(|h| Coverage {
            host: h.host.clone(),
            preference: h.preference,
            pattern: patterns
                .iter()
                .find(|p| p.matches(&h.host))
                .map(Pattern::to_string),
        })
        .collect()
}

/// The literal RFC 8461 Appendix B `policyMatches`, applied to lower-cased
/// names without a trailing dot. Kept as the reference the tests compare
/// [`Pattern::matches`] with.
pub fn reference_policy_matches(candidate: &str, patterns: &[&str]) -> bool {
    let candidate = candidate.trim_end_matches('.').to_ascii_lowercase();
    patterns.iter().any(|mx| {
        let mx = mx.to_ascii_lowercase();
        if mx == candidate {
            return true;
        }
        if mx.starts_with('*') {
            if let Some((_, rest)) = candidate.split_once('.') {
                return mx.len() >= 2 && rest == &mx[2..];
            }
        }
        false
    })
}

#[cfg(test)]
mod quick_tests {
    use super::{pattern_or_error, quick_pattern};

    /// The one-pass check accepts exactly what the full check accepts: every
    /// string of up to six characters over the bytes that matter.
    #[test]
    fn the_quick_check_agrees_with_the_full_one() {
        let alphabet = [b'a', b'Z', b'1', b'-', b'.', b'*', b'_'];
        let mut tried = 0;
        for len in 1..=6u32 {
            for mut k in 0..alphabet.len().pow(len) {
                let mut s = Vec::new();
                for _ in 0..len {
                    s.push(alphabet[k % alphabet.len()]);
                    k /= alphabet.len();
                }
                let s = String::from_utf8(s).unwrap();
                if let Some(q) = quick_pattern(&s) {
                    assert_eq!(Ok(q), pattern_or_error(&s), "{s}");
                } else {
                    assert!(pattern_or_error(&s).is_err(), "{s}");
                }
                tried += 1;
            }
        }
        for long in [
            format!("{}.com", "a".repeat(63)),
            format!("{}.com", "a".repeat(64)),
            vec!["a".repeat(50); 5].join("."),
            vec!["a".repeat(50); 6].join("."),
        ] {
            assert_eq!(
                quick_pattern(&long).is_some(),
                pattern_or_error(&long).is_ok(),
                "{long}"
            );
        }
        assert!(tried > 100_000);
    }
}
