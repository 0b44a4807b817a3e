//! The TLS reporting record at `_smtp._tls.<domain>`, RFC 8460 §3.
//!
//! ```text
//! tlsrpt-record  = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//! tlsrpt-version = %s"v=TLSRPTv1"
//! tlsrpt-rua     = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//! tlsrpt-uri     = URI  ; commas, "!" and ";" MUST be percent-encoded
//! ```
//!
//! Only `mailto:` and `https:` destinations are supported (RFC 8460 §3).

use serde::{Deserialize, Serialize};

use super::finding::{Code, Finding, Position};
use super::fold::Findings;
use super::record::{self, Opening, Part};

/// The version literal, case-sensitive.
pub const VERSION: &str = "v=TLSRPTv1";

/// A valid TLS-RPT record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsrptRecord {
    /// Report destinations in order (Microsoft uses only the first).
    pub rua: Vec<String>,
    pub extensions: Vec<(String, String)>,
}

/// Lints one record value.
pub fn check(value: &str) -> (Option<TlsrptRecord>, Vec<Finding>) {
    read(value, true, true)
}

/// The findings of [`check`] alone: a long record's fields are not copied.
pub(crate) fn findings(value: &str) -> Vec<Finding> {
    read(value, false, true).1
}

/// `owned`: whether to return the record (a copy of its fields) when valid;
/// `runs`: whether runs of repeated fields and destinations may be counted
/// at once (the tests compare with reading each).
fn read(value: &str, owned: bool, runs: bool) -> (Option<TlsrptRecord>, Vec<Finding>) {
    let mut findings = Findings::new();
    let example = "v=TLSRPTv1; rua=mailto:tls-reports@example.com";
    if let Some(i) = value.bytes().position(|b| b >= 0x80) {
        findings.add(Code::TlsrptSyntax, Some(Position::new(1, i + 1)), || {
            Finding::new(
                Code::TlsrptSyntax,
                format!(
                    "Column {}: a non-ASCII character; the record is ASCII.",
                    i + 1
                ),
                "Retype the record in plain ASCII.",
            )
            .at(1, i + 1)
        });
    }
    match record::opening(value, VERSION, "v=tlsrpt") {
        Opening::Other => {
            findings.push(
                Finding::new(
                    Code::TlsrptNotTlsrpt,
                    "The record does not begin with `v=TLSRPTv1`, so it is not a TLS-RPT record.",
                    "A TLS-RPT record looks like `v=TLSRPTv1; rua=mailto:tls-reports@example.com`.",
                )
                .at(1, 1)
                .corrected(example),
            );
            return (None, findings.finish());
        }
        Opening::NearMiss => {
            findings.push(
                Finding::new(
                    Code::TlsrptVersion,
                    "The record must begin with exactly `v=TLSRPTv1` (case-sensitive, no leading space); reporters discard it.",
                    "Begin the record with `v=TLSRPTv1;`.",
                )
                .at(1, 1),
            );
            return (None, findings.finish());
        }
        Opening::SpaceBeforeSemicolon => findings.push(
            Finding::new(
                Code::TlsrptSpaceBeforeSemicolon,
                "Whitespace between `v=TLSRPTv1` and the first `;`.",
                "Remove the space so the record begins with exactly `v=TLSRPTv1;`.",
            )
            .at(1, VERSION.len() + 1)
            .corrected(format!(
                "{VERSION}{}",
                value
                    .get(VERSION.len()..)
                    .unwrap_or_default()
                    .trim_start_matches([' ', '\t'])
            )),
        ),
        Opening::Exact | Opening::VersionOnly => {}
    }
    let parts = record::split_runs(value, VERSION, &["rua"], runs);
    let mut rua: Option<Vec<&str>> = None;
    record::walk(&parts, &mut findings, runs, &mut |part, off, findings| {
        let field = match part {
            Part::Field(field) => field,
            Part::Issue(issue) => {
                let at = issue.at + off;
                return findings.add(Code::TlsrptSyntax, Some(Position::new(1, at + 1)), || {
                    Finding::new(
                        Code::TlsrptSyntax,
                        format!("Column {}: {}.", at + 1, issue.what),
                        "Write the record as `v=TLSRPTv1; rua=mailto:you@example.com`.",
                    )
                    .at(1, at + 1)
                });
            }
            Part::Repeat { .. } => return,
        };
        let (name_at, value_at) = (field.name_at + off, field.value_at + off);
        match field.name {
            "rua" if rua.is_some() => findings.add(Code::TlsrptDuplicateField, Some(Position::new(1, name_at + 1)), || {
                Finding::new(
                    Code::TlsrptDuplicateField,
                    format!("A second `rua` at column {}; list every destination in one rua, separated by commas.", name_at + 1),
                    "Merge the rua fields into one: `rua=mailto:a@example.com,https://reports.example.com/v1`.",
                )
                .at(1, name_at + 1)
            }),
            "rua" => {
                let uris = destinations(field.value, value_at, findings, runs);
                let supported = uris
                    .iter()
                    .filter(|u| has_scheme(u, "mailto:") || has_scheme(u, "https:"))
                    .count();
                if supported > 1 {
                    findings.push(
                        Finding::new(
                            Code::TlsrptRuaMultiple,
                            format!("{supported} report destinations; reporters may send to any or all of them.", ),
                            "Put the destination you read first.",
                        )
                        .at(1, value_at + 1),
                    );
                }
                rua = Some(uris);
            }
            name => findings.add(Code::TlsrptExtension, Some(Position::new(1, name_at + 1)), || {
                Finding::new(
                    Code::TlsrptExtension,
                    format!("`{name}={}` is an extension field; reporters ignore it.", field.value),
                    "Nothing to do unless it is a typo for `rua`.",
                )
                .at(1, name_at + 1)
            }),
        }
    });
    if rua.is_none() {
        findings.push(
            Finding::new(
                Code::TlsrptRuaMissing,
                "The record has no `rua` field, so reporters have nowhere to send reports.",
                "Add where reports should go.",
            )
            .at(1, value.len().max(1))
            .corrected(example),
        );
    }
    let wanted = owned && !findings.has_error();
    let record = match rua {
        Some(rua) if wanted => Some(TlsrptRecord {
            rua: rua.into_iter().map(str::to_string).collect(),
            extensions: record::extensions(&parts, "rua"),
        }),
        _ => None,
    };
    (record, findings.finish())
}

/// The destinations of `rua` (at `value_at` in the record), RFC 8460 §3,
/// each checked. `runs`: whether a run of equal destinations may be
/// counted at once (the tests compare with checking each).
fn destinations<'a>(
    value: &'a str,
    value_at: usize,
    findings: &mut Findings,
    runs: bool,
) -> Vec<&'a str> {
    // Slices of the record: a long hostile list costs no allocation per
    // destination.
    let mut uris = Vec::new();
    // The offset of the current destination in the value; the
    // destinations before `run_end` are copies of the one
    // before them (counted at once).
    let mut pos = 0;
    let mut run_end = 0;
    loop {
        let rest = value.get(pos..).unwrap_or_default();
        let len = rest.bytes().position(|b| b == b',').unwrap_or(rest.len());
        let part = rest.get(..len).unwrap_or_default();
        let at = value_at + pos + wsp_len(part);
        let uri = trim_wsp(part);
        let mark = findings.mark();
        if let Some(f) = uri_problem(uri, at) {
            findings.push(f);
        }
        uris.push(uri);
        // Past the comma; none after the last destination.
        let next = pos + len + 1;
        if next > value.len() {
            break;
        }
        // A hostile list repeats one destination: once a copy
        // only counts, the rest of the run is counted at once.
        let stride = len + 1;
        if pos < run_end {
            let k = run_end.saturating_sub(next) / stride;
            if runs && k > 0 && findings.repeat(mark, k) {
                uris.extend(core::iter::repeat_n(uri, k));
                pos = next + k * stride;
                continue;
            }
        } else {
            run_end = next + record::copies(value.as_bytes(), next, stride) * stride;
        }
        pos = next;
    }
    uris
}

fn has_scheme(uri: &str, scheme: &str) -> bool {
    uri.as_bytes()
        .get(..scheme.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(scheme.as_bytes()))
}

/// RFC 3986 characters allowed in a TLS-RPT URI (`,`, `!` and `;` must be
/// percent-encoded, RFC 8460 §3).
fn uri_char_ok(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'%'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b'='
                | b':'
                | b'@'
                | b'/'
                | b'?'
                | b'#'
                | b'['
                | b']'
        )
}

fn uri_problem(uri: &str, at: usize) -> Option<Finding> {
    let bad = |msg: String| {
        Some(
            Finding::new(
                Code::TlsrptRuaInvalid,
                msg,
                "Each destination is `mailto:address` or `https://host/path`, separated by commas.",
            )
            .at(1, at + 1),
        )
    };
    if uri.is_empty() {
        return bad(format!("Column {}: an empty rua destination.", at + 1));
    }
    if let Some(i) = uri.bytes().position(|b| !uri_char_ok(b)) {
        let c = uri.as_bytes()[i] as char;
        return bad(format!(
            "Column {}: `{}` in `{uri}` must be percent-encoded in a URI.",
            at + i + 1,
            c.escape_default()
        ));
    }
    let Some(colon) = uri.find(':') else {
        return Some(
            Finding::new(
                Code::TlsrptRuaInvalid,
                format!(
                    "Column {}: `{uri}` has no scheme; reporters need `mailto:` or `https:`.",
                    at + 1
                ),
                "Prefix an e-mail address with `mailto:`.",
            )
            .at(1, at + 1)
            .corrected(format!("v=TLSRPTv1; rua=mailto:{uri}")),
        );
    };
    let scheme = &uri[..colon];
    let rest = &uri[colon + 1..];
    if !scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return bad(format!(
            "Column {}: `{uri}` does not start with a URI scheme.",
            at + 1
        ));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "mailto" => {
            let addr = rest.split('?').next().unwrap_or_default();
            let ok = addr.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty()
                    && d.contains('.')
                    && super::domain::is_ldh_domain(d.trim_end_matches('.'))
            });
            if !ok {
                return bad(format!(
                    "Column {}: `{uri}` is not a mailto: URI with an e-mail address.",
                    at + 1
                ));
            }
            None
        }
        "https" => {
            let host = rest
                .strip_prefix("//")
                .map(|r| r.split(['/', '?', '#', ':']).next().unwrap_or_default());
            match host {
                Some(h) if !h.is_empty() => None,
                _ => bad(format!("Column {}: `{uri}` has no host after https://.", at + 1)),
            }
        }
        _ => Some(
            Finding::new(
                Code::TlsrptRuaScheme,
                format!("Column {}: `{uri}` uses `{scheme}:`; reporters only send to mailto: and https: destinations.", at + 1),
                "Use a mailto: address or an https: endpoint.",
            )
            .at(1, at + 1),
        ),
    }
}

/// Leading spaces and tabs, in bytes.
fn wsp_len(s: &str) -> usize {
    s.bytes().take_while(|&b| b == b' ' || b == b'\t').count()
}

/// `s` without spaces and tabs at either end.
fn trim_wsp(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// The RFC 8460 §3 discard rule over every TXT record at `_smtp._tls`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub record: Option<TlsrptRecord>,
    pub tlsrpt_count: usize,
    pub findings: Vec<Finding>,
}

/// Applies the discard rule: records not beginning with `v=TLSRPTv1` are
/// discarded; unless exactly one remains, reporters assume no TLS-RPT.
pub fn select(records: &[String]) -> Selection {
    let mut sel = Selection::default();
    let mut kept = Vec::new();
    for r in records {
        match record::opening(r, VERSION, "v=tlsrpt") {
            Opening::Other => sel.findings.push(Finding::new(
                Code::TlsrptIgnoredRecord,
                format!("`{r}` at _smtp._tls is not a TLS-RPT record; reporters discard it."),
                "Nothing to fix unless it was meant to be the TLS-RPT record.",
            )),
            Opening::NearMiss => sel.findings.extend(check(r).1),
            _ => kept.push(r),
        }
    }
    sel.tlsrpt_count = kept.len();
    match kept.len() {
        0 => {}
        1 => {
            let (rec, f) = check(kept[0]);
            sel.record = rec;
            sel.findings.extend(f);
        }
        n => sel.findings.push(Finding::new(
            Code::TlsrptMultiple,
            format!("{n} TXT records at _smtp._tls begin with v=TLSRPTv1; with more than one, reporters send no reports."),
            "Merge them into one record with every destination in a single rua.",
        )),
    }
    sel
}

#[cfg(test)]
mod run_tests {
    use super::*;
    use proptest::prelude::*;

    const DESTINATIONS: [&str; 8] = [
        "mailto:a@example.com",
        "https://r.example.com/v1",
        "x",
        "",
        " mailto:b@example.com",
        "ftp://x",
        "mailto:nobody",
        "a;b",
    ];

    fn checked(value: &str, runs: bool) -> (Vec<&str>, Vec<Finding>) {
        let mut f = Findings::new();
        let uris = destinations(value, 16, &mut f, runs);
        (uris, f.finish())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Lists made of runs of equal destinations (the shape of hostile
        /// records) give the same destinations and findings either way.
        #[test]
        fn runs_of_equal_destinations_read_as_each(
            parts in prop::collection::vec((0..DESTINATIONS.len(), 1usize..40), 1..10),
        ) {
            let list: Vec<&str> = parts
                .iter()
                .flat_map(|(i, times)| core::iter::repeat_n(DESTINATIONS[*i], *times))
                .collect();
            let value = list.join(",");
            prop_assert_eq!(checked(&value, true), checked(&value, false));
        }

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

    const FIELDS: [&str; 10] = [
        "rua=mailto:a@example.com",
        "rua=x,x",
        "a=b",
        " ",
        "",
        "b=c d",
        "x",
        "=y",
        "RUA=mailto:b@example.com",
        "v=TLSRPTv1",
    ];
}
