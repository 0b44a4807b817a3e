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
    // Two table lookups per byte and no branch: the byte's class, and
    // whether that class may follow the one before. The start and the end
    // of the name count as dots (a label neither starts nor ends with `-`,
    // nor is empty).
    let mut prev = DOT;
    let mut bad = 0u8;
    for &c in b {
        let class = LDH[usize::from(c)];
        bad |= MAY_NOT_FOLLOW[usize::from(prev << 2 | class) & 15];
        prev = class;
    }
    bad |= MAY_NOT_FOLLOW[usize::from(prev << 2 | DOT) & 15];
    // Only a longer name can hold a label over 63.
    if bad != 0 || (b.len() > MAX_LABEL && b.split(|&c| c == b'.').any(|l| l.len() > MAX_LABEL)) {
        return None;
    }
    Some(PatternRef { wildcard, base })
}

/// Indexed by the class of the byte before (times four) and of the byte:
/// 1 for a pair no host name has (`..`, `.-`, `-.`, anything and another
/// byte).
const MAY_NOT_FOLLOW: [u8; 16] = {
    let mut t = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        let (before, class) = ((i >> 2) as u8, (i & 3) as u8);
        t[i] = (class == OTHER
            || (before == DOT && (class == DOT || class == HYPHEN))
            || (before == HYPHEN && class == DOT)) as u8;
        i += 1;
    }
    t
};

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

#[cfg(test)]
mod long_quick_tests {
    use super::{pattern_or_error, quick_pattern};

    /// Past six bytes too: pseudo-random names of up to 300 bytes, mostly
    /// letters with dots placed anywhere, and now and then a byte that
    /// breaks a rule (or looks like one that does not).
    #[test]
    fn the_quick_check_agrees_with_the_full_one_on_long_names() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let rare = [
            b'-', b'.', b'*', b'_', b' ', 0x0d, 0x10, 0x19, 0x40, 0x5b, 0x60, 0x7b, 0x7f, 0x2f,
            0x3a,
        ];
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..300_000 {
            let r = next();
            let len = match r % 4 {
                0 => (r >> 8) % 12 + 1,
                1 => (r >> 8) % 70 + 1,
                _ => (r >> 8) % 300 + 1,
            } as usize;
            let odd = (r >> 20) % 40 + 2;
            let mut s = Vec::with_capacity(len + 2);
            for _ in 0..len {
                let x = next();
                s.push(if x % odd == 0 {
                    rare[(x >> 8) as usize % rare.len()]
                } else if x % 9 == 1 {
                    b'.'
                } else {
                    b"aZ09xQ"[(x >> 8) as usize % 6]
                });
            }
            if next() % 5 == 0 {
                s.splice(0..0, *b"*.");
            }
            let s = String::from_utf8(s).unwrap();
            match quick_pattern(&s) {
                Some(q) => {
                    assert_eq!(Ok(q), pattern_or_error(&s), "{s:?}");
                    accepted += 1;
                }
                None => {
                    assert!(pattern_or_error(&s).is_err(), "{s:?}");
                    refused += 1;
                }
            }
        }
        assert!(
            accepted > 10_000 && refused > 10_000,
            "{accepted} {refused}"
        );
        // Labels about the 63-byte limit, wherever they start.
        for head in 0..10 {
            for label in 60..68 {
                for tail in ["", ".c", ".-c", ".c-"] {
                    let s = format!("{}{}{tail}", "a.".repeat(head), "b".repeat(label));
                    assert_eq!(
                        quick_pattern(&s).is_some(),
                        pattern_or_error(&s).is_ok(),
                        "{s}"
                    );
                }
            }
        }
    }
}
