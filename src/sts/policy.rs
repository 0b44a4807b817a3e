//! The policy file, RFC 8461 §3.2, parsed over the bytes as served.
//!
//! ```text
//! sts-policy-record  = sts-policy-field *WSP
//!                      *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
//! sts-policy-field-delim = ":" *WSP
//! sts-policy-term    = LF / CRLF
//! ```
//!
//! Field names and the values of `version` and `mode` are case-sensitive
//! (RFC 7405 `%s`). Unknown fields are ignored; of a repeated field other than
//! `mx` only the first counts. `mx` may be absent only in mode `none`.
//!
//! Choices where the text leaves room, each reported as its own finding:
//! - LF alone is accepted (the ABNF allows it; the prose says CRLF, erratum
//!   6253): `policy-lf-line-endings`, info.
//! - Whitespace after a value is accepted (the ABNF's `*WSP`):
//!   `policy-trailing-whitespace`, info.
//! - `max_age` over 31557600 is invalid although the ABNF allows ten digits
//!   (the prose sets the maximum; erratum 7282): `policy-max-age-too-large`.
//! - An `mx` that is a dotted quad is a valid `Domain` by the ABNF, so it is a
//!   warning (`policy-mx-ip`), not an error.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::finding::{Code, Finding, Position, Severity};
use super::fold::Findings;
use super::mx::{self, Pattern, PatternError, PatternRef};
use super::proxy::MAX_POLICY_BYTES;
use super::record::{copies, is_ext_name};

/// Largest `max_age`, RFC 8461 §3.2.
pub const MAX_MAX_AGE: u64 = 31_557_600;
/// The only version, RFC 8461 §3.2.
pub const VERSION: &str = "STSv1";

/// The policy mode, RFC 8461 §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Senders MUST NOT deliver to hosts that fail validation.
    Enforce,
    /// Senders report failures (RFC 8460) but deliver anyway.
    Testing,
    /// Senders treat the domain as having no active policy (§8.3).
    None,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }

    pub fn from_value(s: &str) -> Option<Mode> {
        match s {
            "enforce" => Some(Mode::Enforce),
            "testing" => Some(Mode::Testing),
            "none" => Some(Mode::None),
            _ => None,
        }
    }
}

/// A valid policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub mode: Mode,
    pub max_age: u64,
    /// The `mx` patterns in file order, duplicates kept.
    pub mx: Vec<Pattern>,
    /// Extension fields (name, value), ignored by senders.
    pub extensions: Vec<(String, String)>,
}

/// What the parser saw of line endings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineEndings {
    pub crlf: usize,
    pub lf: usize,
}

/// The result of checking a body: the policy when it is valid, and every
/// syntax finding (semantic advice is in [`super::lint`]).
#[derive(Clone, Debug, Default)]
pub struct Checked {
    pub policy: Option<Policy>,
    /// What could be read even when invalid, for the report and semantics.
    pub partial: Partial,
    pub findings: Vec<Finding>,
    pub line_endings: LineEndings,
}

/// The fields recognised, valid or not, so later checks can still speak about
/// a broken policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial {
    pub version: Option<String>,
    pub mode: Option<Mode>,
    pub max_age: Option<u64>,
    pub mx: Vec<Pattern>,
}

/// Why a body is not a valid policy, with its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub code: Code,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// Parses a body into a policy or the first error.
pub fn parse(body: &[u8]) -> Result<Policy, ParseError> {
    let checked = check(body);
    if let Some(p) = checked.policy {
        return Ok(p);
    }
    let f = checked
        .findings
        .into_iter()
        .find(Finding::is_error)
        .unwrap_or_else(|| Finding::new(Code::PolicySyntax, "invalid policy", ""));
    let pos = f.position.unwrap_or(super::finding::Position::new(1, 1));
    Err(ParseError {
        code: f.code,
        line: pos.line,
        column: pos.column,
        message: f.message,
    })
}
/// Checks a policy body against RFC 8461 §3.2: the body as a whole, then
/// each line as a field, then what the fields add up to. Linear in the size
/// of the body whatever it holds; repeated findings are folded
/// ([`super::fold`]).
pub fn check(body: &[u8]) -> Checked {
    let mut f = Findings::new();
    let Some(text) = whole_body(body, &mut f) else {
        return Checked {
            findings: f.finish(),
            ..Checked::default()
        };
    };
    let read = read(&text, &mut f);
    let Read {
        fields,
        line_endings,
    } = read;
    let (policy, partial) = fields.finish(&f);
    Checked {
        policy,
        partial,
        findings: f.finish(),
        line_endings,
    }
}

/// The findings of a policy body and the advice about its content
/// ([`super::lint::policy_advice`]), folded, in the order found.
pub(crate) fn lint(body: &[u8], domain: Option<&str>) -> Vec<Finding> {
    let mut f = Findings::new();
    let Some(text) = whole_body(body, &mut f) else {
        return f.finish();
    };
    let read = read(&text, &mut f);
    let fields = &read.fields;
    let mode = fields.mode.or(fields.guessed_mode);
    let max_age = fields.max_age_read;
    let patterns = fields.mx.iter().map(|m| (m.wildcard, m.base));
    super::lint::advice(mode, max_age, patterns, domain, &mut f);
    f.finish()
}

/// What one pass over the lines found.
struct Read<'a> {
    fields: Fields<'a>,
    line_endings: LineEndings,
}

/// Reads every line as a field, then checks what the fields add up to.
fn read<'a>(text: &'a str, f: &mut Findings) -> Read<'a> {
    read_lines(text, f, true)
}

/// [`read`]; `runs`: whether a run of equal lines may be counted at once
/// (the tests compare with reading each line).
fn read_lines<'a>(text: &'a str, f: &mut Findings, runs: bool) -> Read<'a> {
    let bytes = text.as_bytes();
    // Blank lines from here on are trailing: they get their own fix.
    let content_end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .map_or(0, |i| i + 1);
    let mut fields = Fields::default();
    let mut ends = LineEndings::default();
    let mut first_crlf = None;
    let mut first_lf = None;
    let mut start = 0;
    let mut n = 0;
    // The lines before this offset are copies of the line before them.
    let mut run_end = 0;
    while start < bytes.len() {
        // A run of empty lines ending in LF (a hostile body may be little
        // else) is counted at once: all are trailing or none is.
        let empty = bytes
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| b == b'\n')
            .count();
        if empty > 0 {
            first_lf.get_or_insert(n + 1);
            ends.lf += empty;
            let trailing = start >= content_end;
            f.add_lines(Code::PolicyBlankLine, n + 1, empty, |line| {
                blank_line(line, "", trailing)
            });
            n += empty;
            start += empty;
            continue;
        }
        n += 1;
        let scan = scan_line(bytes, start);
        let mut end = scan.end;
        let mut crlf = false;
        if bytes.get(end) == Some(&b'\n') {
            if end > start && bytes.get(end - 1) == Some(&b'\r') {
                end -= 1;
                crlf = true;
                ends.crlf += 1;
                first_crlf.get_or_insert(n);
            } else {
                ends.lf += 1;
                first_lf.get_or_insert(n);
            }
        }
        let mark = f.mark();
        let before = fields.sizes();
        let line = Line {
            n,
            text: text.get(start..end).unwrap_or_default(),
            cr: scan.cr.filter(|&c| c < end).map(|c| c - start),
            colon: scan.colon.map(|c| c - start),
            unusual: scan.unusual,
            trailing: start >= content_end,
        };
        if let Some(field) = field_line(&line, f) {
            fields.read(&field, f);
        }
        let line_start = start;
        start = scan.end + 1;
        // A hostile body is mostly one line repeated. A copy of the line
        // before does what that line did; once that is only counting (the
        // folded findings are full), the rest of the run is counted at once.
        let len = start - line_start;
        if line_start < run_end {
            let k = run_end.saturating_sub(start) / len;
            if runs && k > 0 && f.repeat(mark, k) {
                fields.repeat(before, k);
                if crlf {
                    ends.crlf += k;
                } else {
                    ends.lf += k;
                }
                n += k;
                start += k * len;
            }
        } else if start <= bytes.len() && bytes.get(start - 1) == Some(&b'\n') {
            run_end = start + copies(bytes, start, len) * len;
        }
    }
    fields.duplicates(f);
    if let Some(x) = line_endings(first_crlf, first_lf) {
        f.push(x);
    }
    fields.missing(f);
    Read {
        fields,
        line_endings: ends,
    }
}

/// The body before its lines, RFC 8461 §3.2, §3.3: empty, past the 64 KiB
/// senders read, a byte-order mark, some other kind of document, not UTF-8.
/// Returns the text to read line by line (without a BOM; invalid UTF-8
/// replaced), or `None` when there is nothing to read.
fn whole_body<'a>(body: &'a [u8], f: &mut Findings) -> Option<Cow<'a, str>> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        f.push(
            Finding::new(
                Code::PolicyEmpty,
                "The policy body is empty.",
                "Serve the policy text: version, mode, max_age and mx lines.",
            )
            .corrected(example_policy()),
        );
        return None;
    }
    if body.len() > MAX_POLICY_BYTES {
        f.push(Finding::new(
            Code::PolicyTooLarge,
            format!(
                "The body is {} bytes; senders may stop reading at {MAX_POLICY_BYTES} bytes (64 KiB).",
                body.len()
            ),
            "A policy is a few hundred bytes: serve only the policy lines.",
        ));
    }
    let mut body = body;
    if let Some(rest) = body.strip_prefix(b"\xEF\xBB\xBF") {
        f.push(
            Finding::new(
                Code::PolicyBom,
                "The body starts with a UTF-8 byte-order mark (EF BB BF) before `version`.",
                "Save the file as UTF-8 without BOM (or plain ASCII).",
            )
            .at(1, 1),
        );
        body = rest;
    }
    if let Some(kind) = sniff(body) {
        f.push(kind);
        return None;
    }
    // One validation for the whole body; lines are slices of it.
    match core::str::from_utf8(body) {
        Ok(text) => Some(Cow::Borrowed(text)),
        Err(e) => {
            let (line, column) = line_col(body, e.valid_up_to());
            f.push(
                Finding::new(
                    Code::PolicyInvalidUtf8,
                    format!("Line {line}, column {column}: the body is not valid UTF-8."),
                    "Save the file as UTF-8 or plain ASCII.",
                )
                .at(line, column),
            );
            Some(String::from_utf8_lossy(body))
        }
    }
}

/// Bytes the line scan stops at: LF, CR, `:`, and (to flag the line for
/// a closer look) tab, other controls and anything outside ASCII.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b >= 0x7f || b == b':' as usize;
        b += 1;
    }
    t
};

/// Where one line ends and what it holds, from a single pass over its bytes.
struct LineScan {
    /// The offset of the LF ending the line, or the body's length.
    end: usize,
    /// The first CR and the first `:`, as offsets in the body.
    cr: Option<usize>,
    colon: Option<usize>,
    /// A tab, another control character or a non-ASCII byte.
    unusual: bool,
}

fn scan_line(bytes: &[u8], start: usize) -> LineScan {
    let mut scan = LineScan {
        end: bytes.len(),
        cr: None,
        colon: None,
        unusual: false,
    };
    let mut i = start;
    while i < bytes.len() {
        // Eight bytes at a time while none is special (most of a line).
        let word = bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes);
        if let Some(w) = word {
            let m = special_bytes(w);
            if m == 0 {
                i += 8;
                continue;
            }
            // The lowest flag is always a true one.
            i += (m.trailing_zeros() / 8) as usize;
        }
        let Some(&b) = bytes.get(i) else {
            break;
        };
        if SPECIAL[usize::from(b)] {
            match b {
                b'\n' => {
                    scan.end = i;
                    break;
                }
                b'\r' => {
                    scan.cr.get_or_insert(i);
                }
                b':' => {
                    scan.colon.get_or_insert(i);
                }
                _ => scan.unusual = true,
            }
        }
        i += 1;
    }
    scan
}

/// The high bit set in (at least) the lowest byte of `w` that is
/// [`SPECIAL`]: below 0x20, 0x7f and above, or `:` (bit tricks on eight
/// bytes at once; higher flags may be spurious, the lowest never is).
fn special_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let above = (w.wrapping_add(ONES) | w) & HIGH;
    let x = w ^ (ONES * u64::from(b':'));
    let colon = x.wrapping_sub(ONES) & !x & HIGH;
    below | above | colon
}

/// One line without its terminator, with what the scan found (offsets in
/// the line).
struct Line<'a> {
    n: usize,
    text: &'a str,
    /// A CR inside the line (not the one of a CRLF ending).
    cr: Option<usize>,
    colon: Option<usize>,
    unusual: bool,
    /// No field follows this line.
    trailing: bool,
}

/// One `sts-policy-field` line, `key ":" *WSP value *WSP`, 1-based.
struct Field<'a> {
    n: usize,
    /// Whitespace before the key (itself a finding).
    lead: usize,
    key: &'a str,
    value: &'a str,
    value_col: usize,
}

/// Reads a line as a field, RFC 8461 §3.2, or says why it is not one.
fn field_line<'a>(l: &Line<'a>, f: &mut Findings) -> Option<Field<'a>> {
    let (n, line) = (l.n, l.text);
    if let Some(c) = l.cr {
        f.add(Code::PolicyBareCr, Some(Position::new(n, c + 1)), || {
            bare_cr(n, c + 1)
        });
    }
    if line.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
        f.add(Code::PolicyBlankLine, Some(Position::new(n, 1)), || {
            blank_line(n, line, l.trailing)
        });
        return None;
    }
    let lead = wsp_len(line.as_bytes());
    let content = line.get(lead..).unwrap_or_default();
    if content.starts_with('#') {
        f.add(
            Code::PolicyComment,
            Some(Position::new(n, lead + 1)),
            || comment(n, lead + 1, content),
        );
        return None;
    }
    if lead > 0 {
        f.add(
            Code::PolicyLeadingWhitespace,
            Some(Position::new(n, 1)),
            || leading_whitespace(n, lead, content),
        );
    }
    // Whitespace holds no colon, so the line's first is the content's.
    let Some(colon) = l.colon.map(|c| c - lead) else {
        f.add(Code::PolicySyntax, Some(Position::new(n, lead + 1)), || {
            no_colon(n, lead, content)
        });
        return None;
    };
    let key_raw = content.get(..colon).unwrap_or_default();
    let key = trim_wsp_end(key_raw);
    let after = content.get(colon + 1..).unwrap_or_default();
    let value_lead = wsp_len(after.as_bytes());
    let value_full = after.get(value_lead..).unwrap_or_default();
    let value = trim_wsp_end(value_full);
    let value_col = lead + colon + 1 + value_lead + 1;
    if key.len() != key_raw.len() {
        let col = lead + key.len() + 1;
        f.add(Code::PolicySyntax, Some(Position::new(n, col)), || {
            space_before_colon(n, col, key, value)
        });
    }
    if !is_ext_name(key) {
        f.add(
            Code::PolicyFieldName,
            Some(Position::new(n, lead + 1)),
            || bad_field_name(n, lead + 1, key),
        );
        return None;
    }
    if value.len() < value_full.len() {
        let col = value_col + value.len();
        f.add(
            Code::PolicyTrailingWhitespace,
            Some(Position::new(n, col)),
            || trailing_whitespace(n, col, key, value),
        );
    }
    let ctl = if l.unusual { control(value) } else { None };
    if let Some((i, c)) = ctl {
        f.add(
            Code::PolicyControlChar,
            Some(Position::new(n, value_col + i)),
            || control_char(n, value_col + i, key, c),
        );
    }
    Some(Field {
        n,
        lead,
        key,
        value,
        value_col,
    })
}

/// Leading spaces and tabs (`WSP`), in bytes.
fn wsp_len(b: &[u8]) -> usize {
    b.iter().take_while(|&&c| c == b' ' || c == b'\t').count()
}

/// `s` without trailing spaces and tabs.
fn trim_wsp_end(s: &str) -> &str {
    let b = s.as_bytes();
    let end = b.len()
        - b.iter()
            .rev()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
    s.get(..end).unwrap_or(s)
}

/// The first control character other than CR (reported on its own) and
/// its byte offset. Printable ASCII, the common case, is one byte test.
fn control(value: &str) -> Option<(usize, char)> {
    let from = value.bytes().position(|b| !(0x20..0x7f).contains(&b))?;
    value
        .get(from..)?
        .char_indices()
        .find(|(_, c)| c.is_control() && *c != '\r')
        .map(|(i, c)| (from + i, c))
}

/// A CR not followed by LF, RFC 8461 §3.2: only LF and CRLF end a line.
fn bare_cr(n: usize, col: usize) -> Finding {
    Finding::new(
        Code::PolicyBareCr,
        format!("Line {n}: a carriage return (CR) that is not part of a CRLF line ending."),
        "End every line with CRLF or LF; remove stray CR characters.",
    )
    .at(n, col)
}

/// A `#` line, RFC 8461 §3.2: the format has no comments.
fn comment(n: usize, col: usize, content: &str) -> Finding {
    Finding::new(
        Code::PolicyComment,
        format!(
            "Line {n} is a comment (`{}`); the policy format has no comments.",
            clip(content)
        ),
        "Delete comment lines from the served file (keep notes elsewhere).",
    )
    .at(n, col)
}

/// Whitespace before the field name, RFC 8461 §3.2: a field starts the line.
fn leading_whitespace(n: usize, lead: usize, content: &str) -> Finding {
    Finding::new(
        Code::PolicyLeadingWhitespace,
        format!(
            "Line {n} starts with {lead} whitespace character(s) before `{}`.",
            clip(content)
        ),
        "Start every line at the first column.",
    )
    .at(n, 1)
    .corrected(content.trim_end().to_string())
}

/// `sts-policy-field-delim = ":" *WSP`, RFC 8461 §3.2: nothing between the
/// name and the colon.
fn space_before_colon(n: usize, col: usize, key: &str, value: &str) -> Finding {
    Finding::new(
        Code::PolicySyntax,
        format!("Line {n}: whitespace between `{key}` and `:`; the colon must follow the field name directly."),
        "Remove the space before the colon.",
    )
    .at(n, col)
    .corrected(format!("{key}: {value}"))
}

/// `sts-policy-ext-name = sts-policy-alphanum *31(sts-policy-alphanum /
/// "_" / "-" / ".")`, RFC 8461 §3.2.
fn bad_field_name(n: usize, col: usize, key: &str) -> Finding {
    Finding::new(
        Code::PolicyFieldName,
        format!(
            "Line {n}: `{}` is not a valid field name (a letter or digit, then up to 31 letters, digits, `_`, `-` or `.`).",
            clip(key)
        ),
        "Use one of the fields version, mode, max_age, mx.",
    )
    .at(n, col)
}

/// Whitespace after a value: allowed by the ABNF (`sts-policy-field *WSP`),
/// RFC 8461 §3.2, but some senders compare untrimmed values.
fn trailing_whitespace(n: usize, col: usize, key: &str, value: &str) -> Finding {
    Finding::new(
        Code::PolicyTrailingWhitespace,
        format!("Line {n}: whitespace after `{}`.", clip(value)),
        "Remove the trailing spaces; some parsers compare values without trimming.",
    )
    .at(n, col)
    .corrected(format!("{key}: {value}"))
}

/// A control character in a value, RFC 8461 §3.2: values are
/// `sts-policy-vchar` and spaces, "excluding CTLs" (a tab is one).
fn control_char(n: usize, col: usize, key: &str, c: char) -> Finding {
    Finding::new(
        Code::PolicyControlChar,
        format!(
            "Line {n}: the control character `{}` inside the value of `{key}`.",
            c.escape_default()
        ),
        "Values may hold printable characters and single spaces only; replace tabs with spaces.",
    )
    .at(n, col)
}

/// An empty or all-blank line: the grammar has none, RFC 8461 §3.2. Blank
/// lines at the end get their own fix (end the file after the last field).
fn blank_line(n: usize, line: &str, trailing: bool) -> Finding {
    let what = if line.is_empty() {
        "is empty"
    } else {
        "holds only whitespace"
    };
    let fix = if trailing {
        "Remove the empty lines at the end; end the file with a single line ending after the last field."
    } else {
        "Remove the empty line; every line of a policy is a `key: value` field."
    };
    Finding::new(
        Code::PolicyBlankLine,
        format!("Line {n} {what}; the policy grammar has no empty lines."),
        fix,
    )
    .at(n, 1)
}

/// A line without `:`, RFC 8461 §3.2; a YAML list item gets its `mx:` line.
fn no_colon(n: usize, lead: usize, content: &str) -> Finding {
    match content.strip_prefix("- ") {
        Some(item) => Finding::new(
            Code::PolicySyntax,
            format!(
                "Line {n} (`{}`) is a YAML-style list item; policies have no lists.",
                clip(content)
            ),
            format!("Write each host on its own line as `mx: {}`.", item.trim()),
        )
        .at(n, lead + 1)
        .corrected(format!("mx: {}", item.trim())),
        None => Finding::new(
            Code::PolicySyntax,
            format!(
                "Line {n} (`{}`) has no `:`; every line must be `key: value`.",
                clip(content)
            ),
            "Write the line as `key: value`, e.g. `mode: enforce`.",
        )
        .at(n, lead + 1),
    }
}

/// The fields read so far, RFC 8461 §3.2, borrowing from the body. Of a
/// repeated field other than `mx` only the first counts.
#[derive(Default)]
struct Fields<'a> {
    /// The line of the first `version`, `mode` and `max_age`.
    version_line: Option<usize>,
    mode_line: Option<usize>,
    max_age_line: Option<usize>,
    version: Option<&'a str>,
    version_ok: bool,
    mode: Option<Mode>,
    /// What an invalid mode most likely means.
    guessed_mode: Option<Mode>,
    /// A valid `max_age` (at most [`MAX_MAX_AGE`]).
    max_age: Option<u64>,
    /// Any `max_age` made of digits, even too large.
    max_age_read: Option<u64>,
    /// Valid `mx` lines, duplicates included, in file order.
    mx: Vec<MxLine<'a>>,
    /// Invalid `mx` lines (they count as present).
    mx_invalid: usize,
    extensions: Vec<(&'a str, &'a str)>,
}

/// A valid `mx` line.
#[derive(Clone, Copy)]
struct MxLine<'a> {
    wildcard: bool,
    /// The name after `*.`, as written.
    base: &'a str,
    value: &'a str,
    n: usize,
    col: usize,
}

impl MxLine<'_> {
    /// Case-insensitive order of the patterns: letters, digits, `-` and
    /// `.` fold with one bit.
    fn key_cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.wildcard.cmp(&other.wildcard).then_with(|| {
            self.base
                .bytes()
                .map(|b| b | 0x20)
                .cmp(other.base.bytes().map(|b| b | 0x20))
        })
    }

    /// A hash of the case-folded pattern, eight bytes at a time.
    fn hash(&self) -> u64 {
        let mix = |x: u64| (x ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let b = self.base.as_bytes();
        let mut h = mix(b.len() as u64 ^ (u64::from(self.wildcard) << 63));
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = mix(h ^ (u64::from_le_bytes(w) | 0x2020_2020_2020_2020));
        }
        let mut w = [0x20u8; 8];
        for (d, s) in w.iter_mut().zip(chunks.remainder()) {
            *d = *s | 0x20;
        }
        mix(h ^ u64::from_le_bytes(w))
    }
}

/// What [`Fields::repeat`] compares with: the `mx` lines, the invalid
/// ones, the extensions.
#[derive(Clone, Copy)]
struct Sizes(usize, usize, usize);

impl<'a> Fields<'a> {
    fn sizes(&self) -> Sizes {
        Sizes(self.mx.len(), self.mx_invalid, self.extensions.len())
    }

    /// Does `k` times more what the last line did since `before`, for the
    /// `k` copies of it that follow (on the next lines). A repeated
    /// `version`, `mode` or `max_age` changes nothing.
    fn repeat(&mut self, before: Sizes, k: usize) {
        if self.mx.len() > before.0 {
            if let Some(&last) = self.mx.last() {
                self.mx.extend((1..=k).map(|i| MxLine {
                    n: last.n + i,
                    ..last
                }));
            }
        }
        self.mx_invalid += (self.mx_invalid - before.1) * k;
        if self.extensions.len() > before.2 {
            if let Some(&last) = self.extensions.last() {
                self.extensions.extend(core::iter::repeat_n(last, k));
            }
        }
    }

    fn read(&mut self, field: &Field<'a>, f: &mut Findings) {
        match field.key {
            "version" => self.version(field, f),
            "mode" => self.mode(field, f),
            "max_age" => self.max_age(field, f),
            "mx" => self.mx(field, f),
            _ => self.extension(field, f),
        }
    }

    /// `sts-policy-version = sts-policy-version-field sts-policy-field-delim
    /// %s"STSv1"`, RFC 8461 §3.2.
    fn version(&mut self, field: &Field<'a>, f: &mut Findings) {
        if repeated(&mut self.version_line, field, f) {
            return;
        }
        let Field {
            n,
            value,
            value_col,
            ..
        } = *field;
        if value == VERSION {
            self.version_ok = true;
        } else {
            f.push(non_ascii_or(
                value,
                n,
                value_col,
                Finding::new(
                    Code::PolicyVersionInvalid,
                    format!(
                        "Line {n}: version is `{}`; the only version is `STSv1` (case-sensitive).",
                        clip(value)
                    ),
                    "Write the version line exactly as shown.",
                )
                .at(n, value_col)
                .corrected("version: STSv1"),
            ));
        }
        self.version = Some(value);
    }

    /// `sts-policy-mode-value = %s"testing" / %s"enforce" / %s"none"`,
    /// RFC 8461 §3.2, §5. A recognisable misspelling is read as what it
    /// means, so later advice can still speak about the mode.
    fn mode(&mut self, field: &Field<'a>, f: &mut Findings) {
        if repeated(&mut self.mode_line, field, f) {
            return;
        }
        let Field {
            n,
            value,
            value_col,
            ..
        } = *field;
        if let Some(m) = Mode::from_value(value) {
            self.mode = Some(m);
            return;
        }
        let guess = guess_mode(value);
        let hint = guess
            .map(|g| format!(" Did you mean `{}`?", g.as_str()))
            .unwrap_or_default();
        let mut finding = Finding::new(
            Code::PolicyModeInvalid,
            format!(
                "Line {n}: mode is `{}`; it must be `enforce`, `testing` or `none` (lower case).{hint}",
                clip(value)
            ),
            "Set the mode to one of the three values; start with testing.",
        )
        .at(n, value_col);
        if let Some(g) = guess {
            finding = finding.corrected(format!("mode: {}", g.as_str()));
            self.guessed_mode = Some(g);
        }
        f.push(non_ascii_or(value, n, value_col, finding));
    }

    /// `sts-policy-max-age-value = 1*10(DIGIT)`, at most 31557600 seconds,
    /// RFC 8461 §3.2 (erratum 7282).
    fn max_age(&mut self, field: &Field<'a>, f: &mut Findings) {
        if repeated(&mut self.max_age_line, field, f) {
            return;
        }
        let Field {
            n,
            value,
            value_col,
            ..
        } = *field;
        if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            let mut finding = Finding::new(
                Code::PolicyMaxAgeInvalid,
                format!("Line {n}: max_age is `{}`; it must be a number of seconds (digits only, at most 10).", clip(value)),
                "Write the lifetime in seconds, e.g. 604800 for one week.",
            )
            .at(n, value_col);
            if !digits.is_empty() && digits.len() <= 10 {
                finding = finding.corrected(format!("max_age: {digits}"));
            }
            f.push(non_ascii_or(value, n, value_col, finding));
            return;
        }
        let secs: u64 = value.parse().unwrap_or(u64::MAX);
        if secs > MAX_MAX_AGE {
            f.push(
                Finding::new(
                    Code::PolicyMaxAgeTooLarge,
                    format!("Line {n}: max_age is {secs}; the maximum is {MAX_MAX_AGE} (about one year)."),
                    "Lower max_age to at most 31557600.",
                )
                .at(n, value_col)
                .corrected(format!("max_age: {MAX_MAX_AGE}")),
            );
        } else {
            self.max_age = Some(secs);
        }
        self.max_age_read = Some(secs);
    }

    /// `sts-policy-mx-value = ["*."] Domain`, one per line, RFC 8461 §3.2,
    /// §4.1. An address is a valid `Domain` by the ABNF but never matches
    /// an MX host name, so it is a warning.
    fn mx(&mut self, field: &Field<'a>, f: &mut Findings) {
        let Field {
            n,
            value,
            value_col,
            ..
        } = *field;
        let at = Some(Position::new(n, value_col));
        let p = match mx::parse_pattern_ref(value) {
            Ok(p) => p,
            Err(e) => {
                self.mx_invalid += 1;
                f.add(mx_error_code(&e), at, || mx_error(&e, value, n, value_col));
                return;
            }
        };
        if p.is_ip_like() {
            f.add(Code::PolicyMxIp, at, || {
                Finding::new(
                    Code::PolicyMxIp,
                    format!("Line {n}: mx `{value}` is an IP address; senders compare mx patterns with MX host names, so it never matches."),
                    "List the host names your MX records point to.",
                )
                .at(n, value_col)
            });
        }
        self.mx.push(MxLine {
            wildcard: p.wildcard,
            base: p.base,
            value,
            n,
            col: value_col,
        });
    }

    /// The same `mx` pattern (in any case) on two lines, RFC 8461 §3.2.
    /// A hash table finds them in one pass; should the hashes pile up (a
    /// body built to collide), an ordered map does it in O(n log n).
    fn duplicates(&self, f: &mut Findings) {
        if self.mx.len() < 2 {
            return;
        }
        let hashes: Vec<u64> = self.mx.iter().map(MxLine::hash).collect();
        let dups = self
            .duplicates_by_table(&hashes)
            .unwrap_or_else(|| self.duplicates_by_map());
        self.report_duplicates(dups, f);
    }

    /// (repeat, first) indices, or `None` when a probe runs too long.
    fn duplicates_by_table(&self, hashes: &[u64]) -> Option<Vec<(usize, usize)>> {
        const MAX_PROBE: usize = 32;
        let size = (hashes.len() * 2).next_power_of_two();
        let mask = size - 1;
        // Slot: index of the first line with that pattern, plus one.
        let mut slots = vec![0usize; size];
        let mut dups = Vec::new();
        for (i, &h) in hashes.iter().enumerate() {
            let mut at = (h as usize) & mask;
            let mut probes = 0;
            loop {
                let slot = slots.get_mut(at)?;
                if *slot == 0 {
                    *slot = i + 1;
                    break;
                }
                let first = *slot - 1;
                if hashes.get(first) == Some(&h) && self.mx[first].key_cmp(&self.mx[i]).is_eq() {
                    dups.push((i, first));
                    break;
                }
                probes += 1;
                if probes > MAX_PROBE {
                    return None;
                }
                at = (at + 1) & mask;
            }
        }
        Some(dups)
    }

    /// (repeat, first) indices in line order, from an ordered map of the
    /// case-folded patterns: O(n log n) whatever the hashes (and much less
    /// Wasm than sorting).
    fn duplicates_by_map(&self) -> Vec<(usize, usize)> {
        let mut first: std::collections::BTreeMap<(bool, Vec<u8>), usize> =
            std::collections::BTreeMap::new();
        let mut dups = Vec::new();
        for (i, m) in self.mx.iter().enumerate() {
            let key = (m.wildcard, m.base.bytes().map(|b| b | 0x20).collect());
            match first.get(&key) {
                Some(&f) => dups.push((i, f)),
                None => {
                    first.insert(key, i);
                }
            }
        }
        dups
    }

    /// `dups` come in line order from either search.
    fn report_duplicates(&self, dups: Vec<(usize, usize)>, f: &mut Findings) {
        for (i, first) in dups {
            let (m, first) = (&self.mx[i], self.mx[first].n);
            let (n, value) = (m.n, m.value);
            f.add(
                Code::PolicyMxDuplicate,
                Some(Position::new(n, m.col)),
                || {
                    Finding::new(
                        Code::PolicyMxDuplicate,
                        format!("Line {n}: mx `{value}` repeats line {first}."),
                        "Remove the repeated line.",
                    )
                    .at(n, m.col)
                },
            );
        }
    }

    /// Any other field is an extension senders ignore, RFC 8461 §3.2; it
    /// still needs a value, and a near miss of a known name is a typo.
    fn extension(&mut self, field: &Field<'a>, f: &mut Findings) {
        let Field {
            n,
            lead,
            key,
            value,
            value_col,
        } = *field;
        if value.is_empty() {
            f.add(
                Code::PolicySyntax,
                Some(Position::new(n, value_col)),
                || {
                    Finding::new(
                        Code::PolicySyntax,
                        format!("Line {n}: the field `{key}` has no value; every field needs one."),
                        "Give the field a value or delete the line.",
                    )
                    .at(n, value_col)
                },
            );
        } else {
            self.extensions.push((key, value));
        }
        let guess = guess_field(key);
        let severity = match guess {
            Some(_) => Severity::Warning,
            None => Severity::Info,
        };
        f.add_as(
            Code::PolicyUnknownField,
            severity,
            Some(Position::new(n, lead + 1)),
            || unknown_field(key, value, n, lead + 1, guess),
        );
    }

    /// The fields a policy needs, RFC 8461 §3.2: `version`, `mode`,
    /// `max_age`, and `mx` unless the mode is `none`. An invalid `mx` line
    /// counts as present: its own finding says what is wrong.
    fn missing(&self, f: &mut Findings) {
        if self.version_line.is_none() {
            f.push(
                Finding::new(
                    Code::PolicyVersionMissing,
                    "The policy has no `version` line.",
                    "Add `version: STSv1` as the first line.",
                )
                .corrected("version: STSv1"),
            );
        }
        if self.mode_line.is_none() {
            f.push(
                Finding::new(
                    Code::PolicyModeMissing,
                    "The policy has no `mode` line.",
                    "Add `mode: testing` (or enforce once reports are clean).",
                )
                .corrected("mode: testing"),
            );
        }
        if self.max_age_line.is_none() {
            f.push(
                Finding::new(
                    Code::PolicyMaxAgeMissing,
                    "The policy has no `max_age` line.",
                    "Add a lifetime in seconds, e.g. `max_age: 604800` (one week).",
                )
                .corrected("max_age: 604800"),
            );
        }
        let mx_lines = self.mx.len() + self.mx_invalid;
        if mx_lines == 0 && self.mode != Some(Mode::None) {
            let why = match self.mode {
                Some(m) => format!("mode is {}", m.as_str()),
                None => "mode is not none".to_string(),
            };
            f.push(
                Finding::new(
                    Code::PolicyMxMissing,
                    format!("The policy has no `mx` line; {why}, so at least one is required."),
                    "Add one `mx:` line per MX host (or wildcard) that receives your mail.",
                )
                .corrected("mx: mail.example.com"),
            );
        }
    }

    /// The policy, when nothing is an error and every required field is
    /// valid; and what could be read either way.
    fn finish(self, f: &Findings) -> (Option<Policy>, Partial) {
        let partial = Partial {
            version: self.version.map(str::to_string),
            mode: self.mode.or(self.guessed_mode),
            max_age: self.max_age_read,
            mx: self
                .mx
                .iter()
                .map(|m| PatternRef::new(m.wildcard, m.base).to_pattern())
                .collect(),
        };
        let policy = match (self.mode, self.max_age) {
            (Some(mode), Some(max_age)) if !f.has_error() && self.version_ok => Some(Policy {
                mode,
                max_age,
                mx: partial.mx.clone(),
                extensions: self
                    .extensions
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }),
            _ => None,
        };
        (policy, partial)
    }
}

/// A second `version`, `mode` or `max_age`, RFC 8461 §3.2: senders use the
/// first. Returns whether this line is a repeat (and so ignored).
fn repeated(first: &mut Option<usize>, field: &Field, f: &mut Findings) -> bool {
    let Field { n, lead, key, .. } = *field;
    match *first {
        Some(first) => {
            f.add(Code::PolicyDuplicateField, Some(Position::new(n, lead + 1)), || {
                Finding::new(
                    Code::PolicyDuplicateField,
                    format!("Line {n}: `{key}` appears again (first on line {first}); senders following the RFC use line {first} and ignore this one."),
                    format!("Keep a single `{key}` line."),
                )
                .at(n, lead + 1)
            });
            true
        }
        None => {
            *first = Some(n);
            false
        }
    }
}

/// `sts-policy-term = LF / CRLF`, RFC 8461 §3.2: LF alone is allowed by the
/// ABNF (erratum 6253) but worth a note; a mix is a warning.
fn line_endings(first_crlf: Option<usize>, first_lf: Option<usize>) -> Option<Finding> {
    match (first_crlf, first_lf) {
        (Some(c), Some(l)) => Some(
            Finding::new(
                Code::PolicyMixedLineEndings,
                format!("Line endings are mixed: CRLF (first on line {c}) and LF alone (first on line {l})."),
                "Use one kind of line ending throughout; CRLF is what the RFC text describes.",
            )
            .at(l, 1),
        ),
        (None, Some(_)) => Some(Finding::new(
            Code::PolicyLfLineEndings,
            "Lines end in LF alone. The ABNF accepts LF, though the RFC prose says CRLF.",
            "Optional: serve CRLF line endings to satisfy strict validators.",
        )),
        _ => None,
    }
}

fn mx_error_code(e: &PatternError) -> Code {
    match e {
        PatternError::ULabel(_) => Code::PolicyMxULabel,
        PatternError::Wildcard | PatternError::LeadingDot => Code::PolicyMxWildcard,
        _ => Code::PolicyMxInvalid,
    }
}

fn mx_error(e: &PatternError, value: &str, n: usize, col: usize) -> Finding {
    let code = mx_error_code(e);
    let corrected = match e {
        PatternError::ULabel(Some(a)) => Some(a.clone()),
        PatternError::LeadingDot => Some(format!("*{value}")),
        PatternError::TrailingDot => Some(value.trim_end_matches('.').to_string()),
        PatternError::Character(_) => {
            // host:port, URLs and "host, host" lists: keep the first host name.
            let v = value
                .trim_start_matches("smtp://")
                .trim_start_matches("https://");
            let host: String = v
                .split([':', '/', ',', ' '])
                .next()
                .unwrap_or_default()
                .to_string();
            mx::parse_pattern(&host).is_ok().then_some(host)
        }
        _ => None,
    };
    let fix = match e {
        PatternError::Empty => {
            "Write the host name after `mx:`, one host per line: `mx: mail.example.com`.".to_string()
        }
        PatternError::Wildcard => {
            "Write a wildcard only as `*.` followed by the parent name, e.g. `*.mail.protection.outlook.com`; it covers exactly one label.".to_string()
        }
        _ => "Write the MX host name exactly as in your MX record, without a trailing dot, one per line.".to_string(),
    };
    let mut f = Finding::new(code, format!("Line {n}: {}.", e.describe(value)), fix).at(n, col);
    if let Some(c) = corrected {
        f = f.corrected(format!("mx: {c}"));
    }
    f
}

/// A non-ASCII value is named as such; otherwise the given finding stands.
fn non_ascii_or(value: &str, n: usize, col: usize, otherwise: Finding) -> Finding {
    match value.char_indices().find(|(_, c)| !c.is_ascii()) {
        Some((i, c)) => {
            let mut f = Finding::new(
                Code::PolicyNonAscii,
                format!(
                    "Line {n}: the non-ASCII character `{}` (U+{:04X}) in `{}`.",
                    c,
                    c as u32,
                    clip(value)
                ),
                "Retype the value in plain ASCII; editors sometimes insert look-alike characters.",
            )
            .at(n, col + i);
            f.corrected = otherwise.corrected;
            f
        }
        None => otherwise,
    }
}

fn unknown_field(
    key: &str,
    value: &str,
    n: usize,
    col: usize,
    guess: Option<&'static str>,
) -> Finding {
    match guess {
        Some(k) => Finding::new(
            Code::PolicyUnknownField,
            format!(
                "Line {n}: `{key}` is not a policy field (did you mean `{k}`?); senders ignore it."
            ),
            format!("Field names are lower case and exact: write `{k}:`."),
        )
        .with_severity(super::Severity::Warning)
        .at(n, col)
        .corrected(format!("{k}: {value}")),
        None => Finding::new(
            Code::PolicyUnknownField,
            format!("Line {n}: `{key}` is an extension field; senders ignore it."),
            "Nothing to do unless it is a typo.",
        )
        .at(n, col),
    }
}

fn guess_mode(value: &str) -> Option<Mode> {
    let v: String = value
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    match v.as_str() {
        "enforce" | "enforcing" | "enforced" | "enforcement" | "strict" | "reject" => {
            Some(Mode::Enforce)
        }
        "testing" | "test" | "tested" | "report" | "monitor" | "tests" => Some(Mode::Testing),
        "none" | "off" | "disabled" | "no" => Some(Mode::None),
        _ => None,
    }
}

/// The known field a key most likely misspells: the same name in another
/// case or with `-` for `_`, without the underscore, one edit away, or `mx`
/// inside three letters. Keys are ASCII (checked before); no allocation, as
/// a hostile body may hold thousands of unknown fields.
fn guess_field(key: &str) -> Option<&'static str> {
    const KNOWN: [(&str, &[u8]); 4] = [
        ("version", b"version"),
        ("mode", b"mode"),
        ("max_age", b"maxage"),
        ("mx", b"mx"),
    ];
    let k = key.as_bytes();
    // Field names are at most 32 characters (`sts-policy-ext-name`).
    if k.len() > 32 {
        return None;
    }
    let mut buf = [0u8; 32];
    let mut squeezed = [0u8; 32];
    let mut s = 0;
    for (i, b) in k.iter().enumerate() {
        let b = if *b == b'-' {
            b'_'
        } else {
            b.to_ascii_lowercase()
        };
        buf[i] = b;
        if b != b'_' {
            squeezed[s] = b;
            s += 1;
        }
    }
    let lower = &buf[..k.len()];
    let squeezed = &squeezed[..s];
    KNOWN.iter().find_map(|(name, bare)| {
        let kb = name.as_bytes();
        let near = lower == kb
            || squeezed == *bare
            || (kb.len() > 2
                && lower.len().abs_diff(kb.len()) <= 1
                && edit_distance(lower, kb) <= 1)
            || (kb.len() == 2 && lower.len() == 3 && lower.windows(2).any(|w| w == kb));
        near.then_some(*name)
    })
}

/// Levenshtein distance of two byte strings of at most 8 bytes.
fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let mut prev = [0usize; 9];
    let mut cur = [0usize; 9];
    for (j, p) in prev.iter_mut().enumerate().take(b.len() + 1) {
        *p = j;
    }
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn clip(s: &str) -> String {
    if s.chars().count() > 48 {
        let mut t: String = s.chars().take(45).collect();
        t.push_str("...");
        t
    } else {
        s.to_string()
    }
}

fn line_col(body: &[u8], offset: usize) -> (usize, usize) {
    let before = &body[..offset.min(body.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

/// Recognises bodies that are some other document: an HTML page (often an
/// error page or a single-page app's index), an RTF file, Jekyll source.
fn sniff(body: &[u8]) -> Option<Finding> {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let raw = body
        .get(start..body.len().min(start.saturating_add(1024)))
        .unwrap_or_default();
    // A policy has none of these; most bodies leave here without a copy.
    if !raw.contains(&b'<') && !raw.starts_with(b"{") && !raw.starts_with(b"---") {
        return None;
    }
    let head: Vec<u8> = raw.iter().map(u8::to_ascii_lowercase).collect();
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if head.starts_with(b"<!doctype")
        || head.starts_with(b"<html")
        || has(b"<html")
        || has(b"<head")
        || has(b"<body")
        || (head.starts_with(b"<") && has(b"</"))
    {
        return Some(
            Finding::new(
                Code::PolicyHtml,
                "The body is an HTML page, not a policy: the server answers this URL with a web page (an error page, a redirect page or a site's index).",
                "Serve the policy file itself at /.well-known/mta-sts.txt as text/plain; on static hosts check the path and, on GitHub Pages, add .nojekyll.",
            )
            .at(1, 1),
        );
    }
    if head.starts_with(b"{\\rtf") {
        return Some(
            Finding::new(
                Code::PolicyRtf,
                "The body is a rich-text (RTF) document, as saved by TextEdit or WordPad, not plain text.",
                "Save the policy as plain text (TextEdit: Format > Make Plain Text) and upload it again.",
            )
            .at(1, 1)
            .corrected(example_policy()),
        );
    }
    if head.starts_with(b"---") {
        let text = String::from_utf8_lossy(&head);
        if text.lines().skip(1).any(|l| l.trim() == "---") {
            return Some(
                Finding::new(
                    Code::PolicyFrontMatter,
                    "The body starts with Jekyll front matter (`---` ... `---`), which is only removed when a site generator builds the page.",
                    "Serve the built file, or remove the front matter and add a .nojekyll file so /.well-known/ is published.",
                )
                .at(1, 1),
            );
        }
    }
    None
}

/// The RFC 8461 §3.2 example, as a template for corrections.
pub fn example_policy() -> String {
    "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 604800\r\n".to_string()
}

#[cfg(test)]
mod run_tests {
    use super::*;
    use proptest::prelude::*;

    /// Everything a policy check returns, reading runs of equal lines at
    /// once or each line on its own.
    fn read_all(
        body: &[u8],
        runs: bool,
    ) -> (Vec<Finding>, Option<Policy>, Partial, LineEndings, usize) {
        let mut f = Findings::new();
        let Some(text) = whole_body(body, &mut f) else {
            return (
                f.finish(),
                None,
                Partial::default(),
                LineEndings::default(),
                0,
            );
        };
        let read = read_lines(&text, &mut f, runs);
        let mx_lines = read.fields.mx.len() + read.fields.mx_invalid;
        let (policy, partial) = read.fields.finish(&f);
        (f.finish(), policy, partial, read.line_endings, mx_lines)
    }

    const LINES: [&str; 17] = [
        "version: STSv1",
        "mode: enforce",
        "mode: testing",
        "max_age: 86400",
        "mx: mail.example.com",
        "mx: Mail.Example.com",
        "mx: *.example.net",
        "mx: -",
        "mx: 192.0.2.1",
        "x:",
        "mdoe: 1",
        "ext: value ",
        "ab",
        "#",
        "",
        " \t",
        "\r",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]
        /// Bodies made of runs of equal lines (the shape of hostile
        /// bodies) give the same findings, policy and counts either way.
        #[test]
        fn runs_of_equal_lines_read_as_each_line(
            parts in prop::collection::vec((0..LINES.len(), any::<bool>(), 1usize..40), 1..12),
            last_ending in any::<bool>(),
        ) {
            let mut body = String::new();
            for (i, crlf, times) in &parts {
                for _ in 0..*times {
                    body.push_str(LINES[*i]);
                    body.push_str(if *crlf { "\r\n" } else { "\n" });
                }
            }
            if !last_ending {
                body.pop();
            }
            prop_assert_eq!(read_all(body.as_bytes(), true), read_all(body.as_bytes(), false));
        }
    }
}
