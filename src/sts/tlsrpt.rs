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
use super::record::{self, Opening};

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
    let (fields, issues) = record::split(value, VERSION, &["rua"]);
    for issue in issues {
        findings.add(
            Code::TlsrptSyntax,
            Some(Position::new(1, issue.at + 1)),
            || {
                Finding::new(
                    Code::TlsrptSyntax,
                    format!("Column {}: {}.", issue.at + 1, issue.what),
                    "Write the record as `v=TLSRPTv1; rua=mailto:you@example.com`.",
                )
                .at(1, issue.at + 1)
            },
        );
    }
    let mut rua: Option<Vec<String>> = None;
    let mut extensions = Vec::new();
    for field in &fields {
        match field.name {
            "rua" if rua.is_some() => findings.add(Code::TlsrptDuplicateField, Some(Position::new(1, field.name_at + 1)), || {
                Finding::new(
                    Code::TlsrptDuplicateField,
                    format!("A second `rua` at column {}; list every destination in one rua, separated by commas.", field.name_at + 1),
                    "Merge the rua fields into one: `rua=mailto:a@example.com,https://reports.example.com/v1`.",
                )
                .at(1, field.name_at + 1)
}),
            "rua" => {
                let mut uris = Vec::new();
                let mut offset = field.value_at;
                for part in field.value.split(',') {
                    let lead = part.len() - part.trim_start_matches([' ', '\t']).len();
                    let uri = part.trim_matches([' ', '\t']);
                    let at = offset + lead;
                    offset += part.len() + 1;
                    if let Some(f) = uri_problem(uri, at) {
                        findings.push(f);
                    }
                    uris.push(uri.to_string());
                }
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
                        .at(1, field.value_at + 1),
                    );
                }
                rua = Some(uris);
            }
            name => {
                extensions.push((name.to_string(), field.value.to_string()));
                findings.add(Code::TlsrptExtension, Some(Position::new(1, field.name_at + 1)), || {
                    Finding::new(
                        Code::TlsrptExtension,
                        format!("`{name}={}` is an extension field; reporters ignore it.", field.value),
                        "Nothing to do unless it is a typo for `rua`.",
                    )
                    .at(1, field.name_at + 1)
});
            }
        }
    }
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
    let valid = !findings.has_error();
    let record = match rua {
        Some(rua) if valid => Some(TlsrptRecord { rua, extensions }),
        _ => None,
    };
    (record, findings.finish())
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
