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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::finding::{Code, Finding};
use super::mx::{self, Pattern, PatternError};
use super::proxy::MAX_POLICY_BYTES;
use super::record::is_ext_name;

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
/// each line as a field, then what the fields add up to.
pub fn check(body: &[u8]) -> Checked {
    let mut out = Checked::default();
    let Some(body) = whole_body(body, &mut out.findings) else {
        return out;
    };
    let f = &mut out.findings;
    let mut fields = Fields::default();
    let mut first_crlf = None;
    let mut first_lf = None;
    let lines = split_lines(body);
    for (idx, (raw, term)) in lines.iter().enumerate() {
        let n = idx + 1;
        match term {
            Term::Lf => {
                out.line_endings.lf += 1;
                first_lf.get_or_insert(n);
            }
            Term::Crlf => {
                out.line_endings.crlf += 1;
                first_crlf.get_or_insert(n);
            }
            Term::None => {}
        }
        let text = String::from_utf8_lossy(raw);
        if let Some(field) = field_line(n, &text, &lines[idx..], f) {
            fields.read(&field, f);
        }
    }
    f.extend(line_endings(first_crlf, first_lf));
    fields.missing(f);
    let (policy, partial) = fields.finish(f);
    out.policy = policy;
    out.partial = partial;
    out
}

/// The body before its lines, RFC 8461 §3.2, §3.3: empty, past the 64 KiB
/// senders read, a byte-order mark, some other kind of document, not UTF-8.
/// Returns what to read line by line (without a BOM), or `None` when there
/// is nothing to read.
fn whole_body<'a>(body: &'a [u8], f: &mut Vec<Finding>) -> Option<&'a [u8]> {
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
    if let Err(e) = core::str::from_utf8(body) {
        let (line, column) = line_col(body, e.valid_up_to());
        f.push(
            Finding::new(
                Code::PolicyInvalidUtf8,
                format!("Line {line}, column {column}: the body is not valid UTF-8."),
                "Save the file as UTF-8 or plain ASCII.",
            )
            .at(line, column),
        );
    }
    Some(body)
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

/// Reads line `n` as a field, RFC 8461 §3.2, or says why it is not one.
/// `rest` is this line and those after it.
fn field_line<'a>(
    n: usize,
    line: &'a str,
    rest: &[(&[u8], Term)],
    f: &mut Vec<Finding>,
) -> Option<Field<'a>> {
    if let Some(c) = line.find('\r') {
        f.push(bare_cr(n, c + 1));
    }
    if line.trim_matches([' ', '\t', '\r']).is_empty() {
        f.push(blank_line(n, line, rest));
        return None;
    }
    let lead = line.len() - line.trim_start_matches([' ', '\t']).len();
    let content = &line[lead..];
    if content.starts_with('#') {
        f.push(comment(n, lead + 1, content));
        return None;
    }
    if lead > 0 {
        f.push(leading_whitespace(n, lead, content));
    }
    let Some(colon) = content.find(':') else {
        f.push(no_colon(n, lead, content));
        return None;
    };
    let key_raw = &content[..colon];
    let key = key_raw.trim_end_matches([' ', '\t']);
    let after = &content[colon + 1..];
    let value_lead = after.len() - after.trim_start_matches([' ', '\t']).len();
    let value_full = &after[value_lead..];
    let value = value_full.trim_end_matches([' ', '\t']);
    let value_col = lead + colon + 1 + value_lead + 1;
    if key.len() != key_raw.len() {
        f.push(space_before_colon(n, lead + key.len() + 1, key, value));
    }
    if !is_ext_name(key) {
        f.push(bad_field_name(n, lead + 1, key));
        return None;
    }
    if value.len() < value_full.len() {
        f.push(trailing_whitespace(n, value_col + value.len(), key, value));
    }
    if let Some((i, c)) = value
        .char_indices()
        .find(|(_, c)| c.is_control() && *c != '\r')
    {
        f.push(control_char(n, value_col + i, key, c));
    }
    Some(Field {
        n,
        lead,
        key,
        value,
        value_col,
    })
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
fn blank_line(n: usize, line: &str, rest: &[(&[u8], Term)]) -> Finding {
    let trailing = rest.len() == 1
        || rest
            .iter()
            .all(|(r, _)| r.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')));
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

/// The fields read so far, RFC 8461 §3.2. Of a repeated field other than
/// `mx` only the first counts.
#[derive(Default)]
struct Fields {
    /// The line of the first `version`, `mode` and `max_age`.
    version_line: Option<usize>,
    mode_line: Option<usize>,
    max_age_line: Option<usize>,
    version_ok: bool,
    mode: Option<Mode>,
    /// A valid `max_age` (at most [`MAX_MAX_AGE`]).
    max_age: Option<u64>,
    /// Valid `mx` lines, duplicates included.
    mx_count: usize,
    /// Lower-cased mx value to its first line, so duplicates are found in
    /// linear time even in a 64 KiB body.
    mx_seen: BTreeMap<String, usize>,
    extensions: Vec<(String, String)>,
    partial: Partial,
}

impl Fields {
    fn read(&mut self, field: &Field, f: &mut Vec<Finding>) {
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
    fn version(&mut self, field: &Field, f: &mut Vec<Finding>) {
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
        self.partial.version = Some(value.to_string());
    }

    /// `sts-policy-mode-value = %s"testing" / %s"enforce" / %s"none"`,
    /// RFC 8461 §3.2, §5. A recognisable misspelling is read as what it
    /// means, so later advice can still speak about the mode.
    fn mode(&mut self, field: &Field, f: &mut Vec<Finding>) {
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
            self.partial.mode = Some(g);
        }
        f.push(non_ascii_or(value, n, value_col, finding));
    }

    /// `sts-policy-max-age-value = 1*10(DIGIT)`, at most 31557600 seconds,
    /// RFC 8461 §3.2 (erratum 7282).
    fn max_age(&mut self, field: &Field, f: &mut Vec<Finding>) {
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
        self.partial.max_age = Some(secs);
    }

    /// `sts-policy-mx-value = ["*."] Domain`, one per line, RFC 8461 §3.2,
    /// §4.1. An address is a valid `Domain` by the ABNF but never matches
    /// an MX host name, so it is a warning.
    fn mx(&mut self, field: &Field, f: &mut Vec<Finding>) {
        let Field {
            n,
            value,
            value_col,
            ..
        } = *field;
        let p = match mx::parse_pattern(value) {
            Ok(p) => p,
            Err(e) => {
                f.push(mx_error(&e, value, n, value_col));
                return;
            }
        };
        if mx::is_ip_like(value) {
            f.push(
                Finding::new(
                    Code::PolicyMxIp,
                    format!("Line {n}: mx `{value}` is an IP address; senders compare mx patterns with MX host names, so it never matches."),
                    "List the host names your MX records point to.",
                )
                .at(n, value_col),
            );
        }
        let lower = value.to_ascii_lowercase();
        if let Some(first) = self.mx_seen.get(&lower) {
            f.push(
                Finding::new(
                    Code::PolicyMxDuplicate,
                    format!("Line {n}: mx `{value}` repeats line {first}."),
                    "Remove the repeated line.",
                )
                .at(n, value_col),
            );
        }
        self.mx_seen.entry(lower).or_insert(n);
        self.mx_count += 1;
        self.partial.mx.push(p);
    }

    /// Any other field is an extension senders ignore, RFC 8461 §3.2; it
    /// still needs a value, and a near miss of a known name is a typo.
    fn extension(&mut self, field: &Field, f: &mut Vec<Finding>) {
        let Field {
            n,
            lead,
            key,
            value,
            value_col,
        } = *field;
        if value.is_empty() {
            f.push(
                Finding::new(
                    Code::PolicySyntax,
                    format!("Line {n}: the field `{key}` has no value; every field needs one."),
                    "Give the field a value or delete the line.",
                )
                .at(n, value_col),
            );
        } else {
            self.extensions.push((key.to_string(), value.to_string()));
        }
        f.push(unknown_field(key, value, n, lead + 1));
    }

    /// The fields a policy needs, RFC 8461 §3.2: `version`, `mode`,
    /// `max_age`, and `mx` unless the mode is `none`. An invalid `mx` line
    /// counts as present: its own finding says what is wrong.
    fn missing(&self, f: &mut Vec<Finding>) {
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
        let mx_lines = self.mx_count + f.iter().filter(|x| is_mx_error(x.code)).count();
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
    fn finish(self, f: &[Finding]) -> (Option<Policy>, Partial) {
        let mut partial = self.partial;
        if self.mode.is_some() {
            partial.mode = self.mode;
        }
        let valid = !f.iter().any(Finding::is_error);
        let policy = match (self.mode, self.max_age) {
            (Some(mode), Some(max_age)) if valid && self.version_ok => Some(Policy {
                mode,
                max_age,
                mx: partial.mx.clone(),
                extensions: self.extensions,
            }),
            _ => None,
        };
        (policy, partial)
    }
}

/// A second `version`, `mode` or `max_age`, RFC 8461 §3.2: senders use the
/// first. Returns whether this line is a repeat (and so ignored).
fn repeated(first: &mut Option<usize>, field: &Field, f: &mut Vec<Finding>) -> bool {
    let Field { n, lead, key, .. } = *field;
    match *first {
        Some(first) => {
            f.push(
                Finding::new(
                    Code::PolicyDuplicateField,
                    format!("Line {n}: `{key}` appears again (first on line {first}); senders following the RFC use line {first} and ignore this one."),
                    format!("Keep a single `{key}` line."),
                )
                .at(n, lead + 1),
            );
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

fn is_mx_error(code: Code) -> bool {
    matches!(
        code,
        Code::PolicyMxInvalid | Code::PolicyMxWildcard | Code::PolicyMxULabel
    )
}

fn mx_error(e: &PatternError, value: &str, n: usize, col: usize) -> Finding {
    let code = match e {
        PatternError::ULabel(_) => Code::PolicyMxULabel,
        PatternError::Wildcard | PatternError::LeadingDot => Code::PolicyMxWildcard,
        _ => Code::PolicyMxInvalid,
    };
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

fn unknown_field(key: &str, value: &str, n: usize, col: usize) -> Finding {
    let known = ["version", "mode", "max_age", "mx"];
    let lower = key.to_ascii_lowercase().replace('-', "_");
    let guess = known.iter().find(|k| {
        lower == **k
            || lower.replace('_', "") == k.replace('_', "")
            || (k.len() > 2 && edit_distance(&lower, k) <= 1)
            || (k.len() == 2 && lower.len() == 3 && lower.contains(*k))
    });
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

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Term {
    Lf,
    Crlf,
    None,
}

/// Splits at LF; a CR right before the LF belongs to the terminator. The empty
/// piece after a final terminator is not a line.
fn split_lines(body: &[u8]) -> Vec<(&[u8], Term)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in body.iter().enumerate() {
        if *b == b'\n' {
            let (end, term) = if i > start && body[i - 1] == b'\r' {
                (i - 1, Term::Crlf)
            } else {
                (i, Term::Lf)
            };
            out.push((&body[start..end], term));
            start = i + 1;
        }
    }
    if start < body.len() {
        out.push((&body[start..], Term::None));
    }
    out
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
    let head: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(1024)
        .map(u8::to_ascii_lowercase)
        .collect();
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
