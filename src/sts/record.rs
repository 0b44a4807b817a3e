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

use super::fold::Findings;

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

/// A field or a departure from the grammar, in record order, or a run of
/// the parts before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part<'a> {
    Field(Field<'a>),
    Issue(SyntaxIssue),
    /// The parts from index `from` up to this one occur `times` more times
    /// right after them, each copy `shift` bytes after the one before (a
    /// hostile record repeats a few fields thousands of times; a copy is
    /// not split again).
    Repeat {
        from: usize,
        times: usize,
        shift: usize,
    },
}

/// The longest run a [`Part::Repeat`] stands for, in segments.
const PERIOD: usize = 8;

/// Splits the part of `record` after the version literal (which must be a
/// prefix of it) into fields and issues, in record order. `free_value` names
/// fields whose value has its own grammar (checked by the caller); every
/// other value must be an `ext-value`. Bytes that repeat the segments just
/// before them are given as a [`Part::Repeat`].
pub fn split<'a>(record: &'a str, version: &str, free_value: &[&str]) -> Vec<Part<'a>> {
    split_runs(record, version, free_value, true)
}

/// [`split`]; `runs`: whether repeated segments are given as a
/// [`Part::Repeat`] (the tests compare with splitting each).
pub(crate) fn split_runs<'a>(
    record: &'a str,
    version: &str,
    free_value: &[&str],
    runs: bool,
) -> Vec<Part<'a>> {
    let mut parts = Vec::new();
    if !record.starts_with(version) {
        parts.push(Part::Issue(SyntaxIssue {
            at: 0,
            what: format!("the record must begin with `{version}`").into(),
        }));
        return parts;
    }
    let bytes = record.as_bytes();
    // The last few segments after the first: where each starts, and the
    // index of its first part (a period a run may repeat).
    let mut recent = [(0usize, 0usize); PERIOD];
    let mut recent_len = 0;
    let mut at = version.len();
    let mut first = true;
    loop {
        let rest = record.get(at..).unwrap_or_default();
        // `find` looks for one byte at memory speed (a long `rua` list).
        let len = rest.find(';');
        let seg = record
            .get(at..at + len.unwrap_or(rest.len()))
            .unwrap_or_default();
        let from = parts.len();
        segment(
            seg,
            at,
            first,
            len.is_none(),
            version,
            free_value,
            &mut parts,
        );
        let Some(len) = len else {
            break;
        };
        let next = at + len + 1;
        if !core::mem::replace(&mut first, false) {
            if recent_len == PERIOD {
                recent.copy_within(1.., 0);
                recent_len -= 1;
            }
            if let Some(slot) = recent.get_mut(recent_len) {
                *slot = (at, from);
                recent_len += 1;
            }
        }
        at = next;
        // Every copy of whole segments ends in `;`: it splits as they did.
        let candidates = if runs { recent_len } else { 0 };
        for &(start, from) in recent.iter().take(candidates).rev() {
            let shift = next - start;
            let times = copies(bytes, next, shift);
            if times > 0 {
                parts.push(Part::Repeat { from, times, shift });
                at = next + times * shift;
                recent_len = 0;
                break;
            }
        }
    }
    parts
}

/// One `;`-separated segment at `at`: `first` is the one right after the
/// version, `last` the one no `;` ends.
fn segment<'a>(
    seg: &'a str,
    at: usize,
    first: bool,
    last: bool,
    version: &str,
    free_value: &[&str],
    parts: &mut Vec<Part<'a>>,
) {
    let mut issue = |at: usize, what: Cow<'static, str>| {
        parts.push(Part::Issue(SyntaxIssue { at, what }));
    };
    let lead = seg.bytes().take_while(|b| is_wsp(*b)).count();
    let content = seg
        .get(lead..)
        .unwrap_or_default()
        .trim_end_matches([' ', '\t']);
    let content_at = at + lead;
    if first {
        if !content.is_empty() {
            issue(
                content_at,
                format!("`{version}` must be followed by `;`").into(),
            );
        }
        return;
    }
    if content.is_empty() {
        if !last {
            issue(at, "an empty field between two `;`".into());
        }
        return;
    }
    if last && content.len() + lead < seg.len() {
        issue(
            content_at + content.len(),
            "whitespace after the last field; it is only allowed next to a `;`".into(),
        );
    }
    let Some(eq) = content.bytes().position(|b| b == b'=') else {
        issue(
            content_at,
            format!("`{content}` is not a `name=value` field").into(),
        );
        return;
    };
    let name = content.get(..eq).unwrap_or_default();
    let value = content.get(eq + 1..).unwrap_or_default();
    if !is_ext_name(name) {
        issue(
            content_at,
            format!(
                "`{name}` is not a valid field name (a letter or digit, then up to 31 letters, digits, `_`, `-` or `.`)"
            )
            .into(),
        );
        return;
    }
    let value_at = content_at + eq + 1;
    if !free_value.contains(&name) {
        if let Some((off, why)) = ext_value_error(value) {
            issue(value_at + off, format!("in `{name}`: {why}").into());
        }
    }
    parts.push(Part::Field(Field {
        name,
        value,
        name_at: content_at,
        value_at,
    }));
}

/// Calls `each` with every field and issue of `parts` and how far its copy
/// lies after the part as split (0 unless in a run). `runs`: whether the
/// rest of a run may be counted at once once a copy only counts (the
/// tests compare with reading each copy). The parts as split come before
/// their copies, so what they set (an `id`, a `rua`) is set when a copy is
/// counted.
pub(crate) fn walk<'p, 'a>(
    parts: &'p [Part<'a>],
    findings: &mut Findings,
    runs: bool,
    each: &mut dyn FnMut(&'p Part<'a>, usize, &mut Findings),
) {
    for (i, part) in parts.iter().enumerate() {
        let Part::Repeat { from, times, shift } = *part else {
            each(part, 0, findings);
            continue;
        };
        let period = parts.get(from..i).unwrap_or_default();
        for copy in 1..=times {
            let mark = findings.mark();
            for p in period {
                each(p, copy * shift, findings);
            }
            if runs && copy < times && findings.repeat(mark, times - copy) {
                break;
            }
        }
    }
}

/// The fields of `parts` other than `known`, copies included, in record
/// order, as `(name, value)`: a record's extensions.
pub fn extensions(parts: &[Part<'_>], known: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let (period, times) = match *part {
            Part::Repeat { from, times, .. } => (parts.get(from..i).unwrap_or_default(), times),
            _ => (core::slice::from_ref(part), 1),
        };
        for _ in 0..times {
            for p in period {
                if let Part::Field(f) = p {
                    if f.name != known {
                        out.push((f.name.to_string(), f.value.to_string()));
                    }
                }
            }
        }
    }
    out
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `version`, then each run: its fields (indices into `fields`) joined
    /// by `;`, the whole repeated; `tail` 1 ends it with `;`, 2 with a
    /// space.
    pub(crate) fn record(
        version: &str,
        fields: &[&str],
        runs: &[(Vec<usize>, usize)],
        tail: usize,
    ) -> String {
        let mut out = version.to_string();
        for (period, times) in runs {
            for _ in 0..*times {
                for &i in period {
                    out.push(';');
                    out.push_str(fields[i]);
                }
            }
        }
        out.push_str(["", ";", " "][tail % 3]);
        out
    }

    fn expanded<'a>(parts: &[Part<'a>]) -> Vec<(bool, usize, String)> {
        let mut out = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let mut one = |p: &Part<'_>, off: usize| match p {
                Part::Field(f) => {
                    out.push((true, f.name_at + off, format!("{}={}", f.name, f.value)))
                }
                Part::Issue(x) => out.push((false, x.at + off, x.what.to_string())),
                Part::Repeat { .. } => {}
            };
            match *part {
                Part::Repeat { from, times, shift } => {
                    for copy in 1..=times {
                        for p in &parts[from..i] {
                            one(p, copy * shift);
                        }
                    }
                }
                _ => one(part, 0),
            }
        }
        out
    }

    #[test]
    fn repeated_segments_split_as_each() {
        let value = "v=STSv1; id=1; ;; ;; ;;a=b;a=b;a=b ;x;x; ";
        let runs = split(value, "v=STSv1", &[]);
        let each = split_runs(value, "v=STSv1", &[], false);
        assert!(runs.len() < each.len(), "{runs:?}");
        assert_eq!(expanded(&runs), expanded(&each));
        let a = ("a".to_string(), "b".to_string());
        assert_eq!(extensions(&runs, "id"), [a.clone(), a.clone(), a]);
    }

    #[test]
    fn a_long_run_is_one_part() {
        let mut value = "v=STSv1; id=1".to_string();
        for _ in 0..10_000 {
            value.push_str("; ;");
        }
        let parts = split(&value, "v=STSv1", &[]);
        assert!(parts.len() < 8, "{parts:?}");
        assert_eq!(expanded(&parts).len(), 20_000);
    }
}
