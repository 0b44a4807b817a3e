//! The `_mta-sts` TXT record, RFC 8461 §3.1.
//!
//! ```text
//! sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
//! sts-field       = sts-id / sts-extension
//! sts-version     = %s"v=STSv1"
//! sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
//! ```
//!
//! The record MUST be US-ASCII and MUST begin with `v=STSv1`; records that do
//! not are discarded, and unless exactly one record remains senders assume the
//! domain has no policy.

use serde::{Deserialize, Serialize};

use super::finding::{Code, Finding, Position};
use super::fold::Findings;
use super::record::{self, Opening, Part};

/// The version literal, case-sensitive (RFC 7405 `%s`).
pub const VERSION: &str = "v=STSv1";
/// Longest id, RFC 8461 §3.1 `1*32(ALPHA / DIGIT)`.
pub const MAX_ID: usize = 32;

/// A syntactically valid `_mta-sts` record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsRecord {
    /// The policy instance id (RFC 8461 §3.1): the first valid `id`.
    pub id: String,
    /// Extension fields, ignored by senders.
    pub extensions: Vec<(String, String)>,
}

/// Why a record is not a valid `_mta-sts` record, with the 1-based column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub code: Code,
    pub column: usize,
    pub message: String,
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// Parses one record value (its strings already concatenated, RFC 8461 §3.1).
pub fn parse(value: &str) -> Result<StsRecord, ParseError> {
    let (record, findings) = check(value);
    match record {
        Some(r) => Ok(r),
        None => {
            let f = findings
                .into_iter()
                .find(Finding::is_error)
                .unwrap_or_else(|| Finding::new(Code::TxtSyntax, "invalid record", ""));
            Err(ParseError {
                code: f.code,
                column: f.position.map(|p| p.column).unwrap_or(1),
                message: f.message,
            })
        }
    }
}

/// Lints one record value: the record if it is valid, and every finding.
pub fn check(value: &str) -> (Option<StsRecord>, Vec<Finding>) {
    read(value, true, true)
}

/// The findings of [`check`] alone: a long record's fields are not copied.
pub(crate) fn findings(value: &str) -> Vec<Finding> {
    read(value, false, true).1
}

/// `owned`: whether to return the record (a copy of its fields) when valid;
/// `runs`: whether a run of repeated fields may be counted at once (the
/// tests compare with reading each).
fn read(value: &str, owned: bool, runs: bool) -> (Option<StsRecord>, Vec<Finding>) {
    let mut findings = Findings::new();
    // One corrected record for every finding that offers it: computing it
    // per finding would scan a long record once per problem in it.
    let suggested = suggest(value);
    if let Some(i) = value.bytes().position(|b| b >= 0x80) {
        findings.push(
            Finding::new(
                Code::TxtNonAscii,
                format!(
                    "The record contains a non-ASCII character at column {}; _mta-sts records MUST be US-ASCII.",
                    i + 1
                ),
                "Retype the record by hand: copying from a word processor often brings curly quotes or non-breaking spaces.",
            )
            .at(1, i + 1),
        );
    }
    match record::opening(value, VERSION, "v=sts") {
        Opening::Other => {
            findings.push(
                Finding::new(
                    Code::TxtNotSts,
                    format!(
                        "`{}` is not an MTA-STS record: it does not begin with `v=STSv1`.",
                        shorten(value)
                    ),
                    "An _mta-sts record looks like `v=STSv1; id=20240101T000000`.",
                )
                .at(1, 1)
                .corrected(suggested.clone()),
            );
            return (None, findings.finish());
        }
        Opening::NearMiss => {
            findings.push(near_miss(value));
            return (None, findings.finish());
        }
        Opening::SpaceBeforeSemicolon => findings.push(
            Finding::new(
                Code::TxtSpaceBeforeSemicolon,
                "Whitespace between `v=STSv1` and the first `;`.",
                "Remove the space so the record begins with exactly `v=STSv1;`.",
            )
            .at(1, VERSION.len() + 1)
            .corrected(suggested.clone()),
        ),
        Opening::Exact | Opening::VersionOnly => {}
    }

    let parts = record::split_runs(value, VERSION, &[], runs);
    let mut id: Option<&str> = None;
    record::walk(&parts, &mut findings, runs, &mut |part, off, findings| {
        let field = match part {
            Part::Field(field) => field,
            Part::Issue(issue) => {
                let at = issue.at + off;
                return findings.add(Code::TxtSyntax, Some(Position::new(1, at + 1)), || {
                    Finding::new(
                        Code::TxtSyntax,
                        format!("Column {}: {}.", at + 1, issue.what),
                        "Write the record as `v=STSv1; id=<1-32 letters and digits>`, fields separated by `;`.",
                    )
                    .at(1, at + 1)
                    .corrected(suggested.clone())
                });
            }
            Part::Repeat { .. } => return,
        };
        let (name_at, value_at) = (field.name_at + off, field.value_at + off);
        if field.name == "id" {
            match id_problem(field.value) {
                None if id.is_none() => id = Some(field.value),
                None => findings.add(Code::TxtDuplicateField, Some(Position::new(1, name_at + 1)), || {
                    Finding::new(
                        Code::TxtDuplicateField,
                        format!(
                            "A second `id` (`{}`) at column {}; senders use the first, `{}`.",
                            field.value,
                            name_at + 1,
                            id.unwrap_or_default()
                        ),
                        "Keep one id field.",
                    )
                    .at(1, name_at + 1)
                    .corrected(suggested.clone())
                }),
                Some(why) => findings.add(Code::TxtIdInvalid, Some(Position::new(1, value_at + 1)), || {
                    Finding::new(
                        Code::TxtIdInvalid,
                        format!("The id `{}` {why}; an id is 1 to 32 letters and digits.", field.value),
                        "Use a timestamp such as 20240101120000 or a short hash; no dashes, dots, colons or spaces.",
                    )
                    .at(1, value_at + 1)
                    .corrected(suggested.clone())
                }),
            }
        } else {
            if field.name.eq_ignore_ascii_case("id") {
                findings.add(Code::TxtIdMissing, Some(Position::new(1, name_at + 1)), || {
                    Finding::new(
                        Code::TxtIdMissing,
                        format!("`{}=` is not `id=`: field names are case-sensitive, so senders read it as an unknown field.", field.name),
                        "Write the field name in lower case: `id=`.",
                    )
                    .at(1, name_at + 1)
                    .corrected(suggested.clone())
                });
            } else if field.name == "v" {
                findings.add(
                    Code::TxtDuplicateField,
                    Some(Position::new(1, name_at + 1)),
                    || {
                        Finding::new(
                            Code::TxtDuplicateField,
                            format!("A second `v` field at column {}.", name_at + 1),
                            "The record has one `v=STSv1`, at the start.",
                        )
                        .at(1, name_at + 1)
                    },
                );
            } else {
                findings.add(
                    Code::TxtExtension,
                    Some(Position::new(1, name_at + 1)),
                    || {
                        Finding::new(
                            Code::TxtExtension,
                            format!(
                                "`{}={}` is an extension field; senders ignore it.",
                                field.name, field.value
                            ),
                            "Nothing to do unless it is a typo for `id`.",
                        )
                        .at(1, name_at + 1)
                    },
                );
            }
        }
    });
    if id.is_none() && findings.count(Code::TxtIdInvalid) + findings.count(Code::TxtIdMissing) == 0
    {
        findings.push(
            Finding::new(
                Code::TxtIdMissing,
                "The record has no `id` field; senders need it to notice policy changes.",
                "Add an id that you change every time you edit the policy.",
            )
            .at(1, value.len().max(1))
            .corrected(suggested.clone()),
        );
    }

    let wanted = owned && !findings.has_error();
    let record = if wanted {
        id.map(|id| StsRecord {
            id: id.to_string(),
            extensions: record::extensions(&parts, "id"),
        })
    } else {
        None
    };
    (record, findings.finish())
}

fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("is empty".to_string());
    }
    if let Some(c) = id.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Some(format!("contains `{}`", c.escape_default()));
    }
    if id.len() > MAX_ID {
        return Some(format!("is {} characters long", id.len()));
    }
    None
}

fn near_miss(value: &str) -> Finding {
    let lead = value.len() - value.trim_start().len();
    let what = if lead > 0 {
        "starts with whitespace".to_string()
    } else {
        let v: String = value
            .split([';', ' ', '\t'])
            .next()
            .unwrap_or_default()
            .to_string();
        format!("starts with `{v}`")
    };
    Finding::new(
        Code::TxtVersion,
        format!("The record {what}; it must begin with exactly `v=STSv1` (case-sensitive), so senders discard it."),
        "Begin the record with `v=STSv1;`.",
    )
    .at(1, lead + 1)
    .corrected(suggest(value))
}

/// A corrected record: the version fixed, the first usable id kept (or a
/// placeholder), fields joined by "; ".
pub fn suggest(value: &str) -> String {
    let id = value
        .split(';')
        .filter_map(|f| {
            let f = f.trim();
            let (k, v) = f.split_once('=')?;
            k.trim().eq_ignore_ascii_case("id").then(|| {
                v.trim()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(MAX_ID)
                    .collect::<String>()
            })
        })
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "20240101000000".to_string());
    format!("v=STSv1; id={id}")
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut t: String = s.chars().take(37).collect();
        t.push_str("...");
        t
    } else {
        s.to_string()
    }
}

/// The outcome of applying the RFC 8461 §3.1 discard rule to every TXT record
/// found at `_mta-sts.<domain>`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// The single valid record, when there is exactly one STS record and it
    /// parses.
    pub record: Option<StsRecord>,
    /// How many records begin with `v=STSv1`.
    pub sts_count: usize,
    pub findings: Vec<Finding>,
}

/// Applies the discard rule: records not beginning with `v=STSv1` are
/// discarded (and named); more than one remaining is an error; the remaining
/// one must parse.
pub fn select(records: &[String]) -> Selection {
    let mut sel = Selection::default();
    let mut sts: Vec<&String> = Vec::new();
    for r in records {
        match record::opening(r, VERSION, "v=sts") {
            Opening::Other => sel.findings.push(Finding::new(
                Code::TxtIgnoredRecord,
                format!("`{}` at _mta-sts is not an MTA-STS record; senders discard it.", shorten(r)),
                "Nothing to fix unless it was meant to be the MTA-STS record; other records belong at other names.",
            )),
            Opening::NearMiss => sel.findings.push(near_miss(r)),
            _ => sts.push(r),
        }
    }
    sel.sts_count = sts.len();
    match sts.len() {
        0 => {}
        1 => {
            let (record, findings) = check(sts[0]);
            sel.record = record;
            sel.findings.extend(findings);
        }
        n => sel.findings.push(
            Finding::new(
                Code::TxtMultiple,
                format!(
                    "{n} TXT records at _mta-sts begin with v=STSv1 ({}); with more than one, senders assume the domain has no policy.",
                    sts.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                ),
                "Delete all but one record; keep the one whose id matches the current policy.",
            )
            .corrected(sts[0].to_string()),
        ),
    }
    sel
}

#[cfg(test)]
mod run_tests {
    use super::*;
    use proptest::prelude::*;

    const FIELDS: [&str; 10] = [
        "id=1", "id=a-b", "a=b", " ", "", "ID=x", "v=STSv1", "x", "=y", "a=b c",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Records made of runs of a few repeated fields (the shape of
        /// hostile records) give the same record and findings counted at
        /// once as read field by field.
        #[test]
        fn runs_of_repeated_fields_read_as_each(
            parts in prop::collection::vec(
                (prop::collection::vec(0..FIELDS.len(), 1..4), 1usize..40),
                1..6,
            ),
            tail in 0..3usize,
        ) {
            let value = record::tests::record(VERSION, &FIELDS, &parts, tail);
            prop_assert_eq!(read(&value, true, true), read(&value, true, false));
        }
    }
}
