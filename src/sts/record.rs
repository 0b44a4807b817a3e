//! The semicolon-separated `key=value` TXT record syntax shared by the
//! `_mta-sts` record (RFC 8461 §3.1) and the `_smtp._tls` record (RFC 8460 §3):
//!
//! ```text
//! record      = version 1*(field-delim field) [field-delim]
//! field-delim = *WSP ";" *WSP
//! ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//! ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
//! ```
//!
//! This module splits a record into fields with their byte offsets and reports
//! every departure from that grammar; the callers give the fields meaning.

use std::borrow::Cow;

/// One `name=value` field, with 0-based byte offsets into the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    pub name: &'a str,
    pub value: &'a str,
    pub name_at: usize,
    pub value_at: usize,
}

/// A departure from the grammar at a 0-based byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxIssue {
    pub at: usize,
    /// Mostly fixed text: a long hostile record has thousands of issues.
    pub what: Cow<'static, str>,
}

/// How the record opens, relative to the version literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// Starts with the exact version, followed by `;`.
    Exact,
    /// Starts with the exact version, then whitespace before the first `;`
    /// (valid ABNF, but not "begins with `v=STSv1;`": RFC 8461 erratum 6285).
    SpaceBeforeSemicolon,
    /// Starts with the exact version, then nothing or whitespace without a
    /// `;` (invalid: at least one field must follow a delimiter).
    VersionOnly,
    /// Looks like an attempt at this record type but not the exact version
    /// (case, leading space, a different number).
    NearMiss,
    /// Some other kind of TXT record (SPF, site verification, ...).
    Other,
}

/// Classifies a record against the version literal `version` (e.g. `v=STSv1`).
/// `family` is the case-insensitive prefix that marks an attempt (e.g. `v=sts`).
pub fn opening(record: &str, version: &str, family: &str) -> Opening {
    if let Some(rest) = record.strip_prefix(version) {
        let rest_trimmed = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            return Opening::VersionOnly;
        }
        if rest.starts_with(';') {
            return Opening::Exact;
        }
        if rest_trimmed.starts_with(';') {
            return Opening::SpaceBeforeSemicolon;
        }
        if rest_trimmed.is_empty() || rest.starts_with([' ', '\t']) {
            return Opening::VersionOnly;
        }
    }
    let lead = record.trim_start();
    let squeezed: String = lead
        .chars()
        .take(family.len() + 4)
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if squeezed.starts_with(family) {
        Opening::NearMiss
    } else {
        Opening::Other
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `ext-name`: a letter or digit, then up to 31 letters, digits, `_`, `-`, `.`.
pub fn is_ext_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_alphanumeric()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

/// `ext-value`: one or more printable ASCII characters other than `=`, `;`
/// and space. Returns the offset of the first bad byte.
pub fn ext_value_error(value: &str) -> Option<(usize, String)> {
    if value.is_empty() {
        return Some((0, "the value is empty".to_string()));
    }
    value.bytes().enumerate().find_map(|(i, b)| {
        let why = match b {
            b'=' => "`=` is not allowed inside a value",
            b' ' | b'\t' => {
                "whitespace is not allowed inside a value (fields are separated by `;`)"
            }
            0x00..=0x1f | 0x7f => "control characters are not allowed",
            0x80..=0xff => "only US-ASCII is allowed",
            _ => return None,
        };
        Some((i, why.to_string()))
    })
}

/// Splits the part of `record` after the version literal (which must be a
/// prefix of it) into fields. `free_value` names fields whose value has its
/// own grammar (checked by the caller); every other value must be an
/// `ext-value`.
pub fn split<'a>(
    record: &'a str,
    version: &str,
    free_value: &[&str],
) -> (Vec<Field<'a>>, Vec<SyntaxIssue>) {
    let mut fields = Vec::new();
    let mut issues = Vec::new();
    let Some(rest) = record.strip_prefix(version) else {
        issues.push(SyntaxIssue {
            at: 0,
            what: format!("the record must begin with `{version}`").into(),
        });
        return (fields, issues);
    };
    let base = version.len();
    // The `;`-separated segments in one pass, each a slice of the record.
    let mut segments = rest.split(';').scan(base, |at, seg| {
        let here = *at;
        *at += seg.len() + 1;
        Some((here, seg))
    });
    let mut next = segments.next();
    let mut first = true;
    while let Some((at, seg)) = next {
        next = segments.next();
        let last = next.is_none();
        let at = &at;
        let first_segment = core::mem::replace(&mut first, false);
        let lead = seg.bytes().take_while(|b| is_wsp(*b)).count();
        let content = seg
            .get(lead..)
            .unwrap_or_default()
            .trim_end_matches([' ', '\t']);
        let content_at = at + lead;
        if first_segment {
            if !content.is_empty() {
                issues.push(SyntaxIssue {
                    at: content_at,
                    what: format!("`{version}` must be followed by `;`").into(),
                });
            }
            continue;
        }
        if content.is_empty() {
            if !last {
                issues.push(SyntaxIssue {
                    at: *at,
                    what: "an empty field between two `;`".into(),
                });
            }
            continue;
        }
        if last && content.len() + lead < seg.len() {
            issues.push(SyntaxIssue {
                at: content_at + content.len(),
                what: "whitespace after the last field; it is only allowed next to a `;`".into(),
            });
        }
        let Some(eq) = content.bytes().position(|b| b == b'=') else {
            issues.push(SyntaxIssue {
                at: content_at,
                what: format!("`{content}` is not a `name=value` field").into(),
            });
            continue;
        };
        let name = &content[..eq];
        let value = &content[eq + 1..];
        if !is_ext_name(name) {
            issues.push(SyntaxIssue {
                at: content_at,
                what: format!(
                    "`{name}` is not a valid field name (a letter or digit, then up to 31 letters, digits, `_`, `-` or `.`)"
                ).into(),
            });
            continue;
        }
        let value_at = content_at + eq + 1;
        if !free_value.contains(&name) {
            if let Some((off, why)) = ext_value_error(value) {
                issues.push(SyntaxIssue {
                    at: value_at + off,
                    what: format!("in `{name}`: {why}").into(),
                });
            }
        }
        fields.push(Field {
            name,
            value,
            name_at: content_at,
            value_at,
        });
    }
    (fields, issues)
}

/// How many copies of the `len` bytes before `from` follow from there
/// (most input differs within a few bytes: a normal policy's next line).
pub(crate) fn copies(bytes: &[u8], from: usize, len: usize) -> usize {
    let prev = from.checked_sub(len).and_then(|p| bytes.get(p..));
    let (Some(prev), Some(next)) = (prev, bytes.get(from..)) else {
        return 0;
    };
    let same = next.iter().zip(prev).take_while(|(a, b)| a == b).count();
    same.checked_div(len).unwrap_or(0)
}
