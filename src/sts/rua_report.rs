//! One TLS-RPT aggregate report, RFC 8460 §4.4, read tolerantly.
//!
//! ```text
//! { "organization-name", "date-range": {"start-datetime", "end-datetime"},
//!   "contact-info", "report-id",
//!   "policies": [ { "policy": {"policy-type", "policy-string", "policy-domain", "mx-host"},
//!                   "summary": {"total-successful-session-count", "total-failure-session-count"},
//!                   "failure-details": [ {"result-type", "sending-mta-ip", "receiving-mx-hostname",
//!                                         "receiving-mx-helo", "receiving-ip", "failed-session-count",
//!                                         "additional-information", "failure-reason-code"} ] } ] }
//! ```
//!
//! Real reporters deviate from the text (Google sends `mx-host` as a list,
//! Microsoft leaves it out and packs its `tlsa` `policy-string` into one
//! string holding a JSON array, Mail.ru has no `policy-string` and ends the
//! range at the next midnight, Stalwart-style reporters send
//! `contact-info: null`, one reporter spelled `receiving-mx-host-name`). Each
//! deviation becomes a [`Note`] with a stable [`NoteCode`] on that report; a
//! report is refused only when nothing usable is left (not JSON, not an
//! object, no readable `policies`).

use serde::Serialize;
use serde_json::{Map, Value};

use super::finding::Severity;
use super::policy;

/// What RFC 8460 §4.4 says a report holds, as read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TlsReport {
    /// `organization-name`: the reporter.
    pub organization_name: Option<String>,
    pub date_range: Option<DateRange>,
    pub contact_info: Option<String>,
    pub report_id: Option<String>,
    pub policies: Vec<PolicyResult>,
    /// Every way this report departs from RFC 8460 §4.4, and how it was read.
    pub notes: Vec<Note>,
}

impl TlsReport {
    /// The reporter as people say it: the organization name, else the
    /// contact, else "unknown reporter".
    pub fn reporter(&self) -> String {
        self.organization_name
            .clone()
            .or_else(|| self.contact_info.clone())
            .unwrap_or_else(|| "unknown reporter".to_string())
    }
}

/// `date-range`, RFC 8460 §4.4; a report SHOULD cover one UTC day (§4.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DateRange {
    pub start: String,
    pub end: String,
    /// Seconds since 1970-01-01T00:00:00Z.
    pub start_unix: i64,
    pub end_unix: i64,
    /// The UTC day the report counts for: the day the range starts.
    pub day: Day,
}

/// A UTC calendar day, as days since 1970-01-01. Serialized as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

impl Day {
    /// The day of a Unix time.
    pub fn of_unix(secs: i64) -> Day {
        Day(secs.div_euclid(86_400))
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Day> {
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let y = digits(s.get(0..4)?)?;
        let m = digits(s.get(5..7)?)?;
        let d = digits(s.get(8..10)?)?;
        valid_date(y, m, d).then(|| Day(days_from_civil(y, m, d)))
    }

    pub fn plus(self, days: i64) -> Day {
        Day(self.0.saturating_add(days))
    }
}

impl core::fmt::Display for Day {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `policy-type`, RFC 8460 §4.4: which policy the sender applied.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyType {
    Sts,
    Tlsa,
    NoPolicyFound,
    /// Anything else, as sent.
    Other(String),
}

impl PolicyType {
    pub fn parse(s: &str) -> PolicyType {
        match s {
            "sts" => PolicyType::Sts,
            "tlsa" => PolicyType::Tlsa,
            "no-policy-found" => PolicyType::NoPolicyFound,
            other => PolicyType::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            PolicyType::Sts => "sts",
            PolicyType::Tlsa => "tlsa",
            PolicyType::NoPolicyFound => "no-policy-found",
            PolicyType::Other(s) => s,
        }
    }
}

impl Serialize for PolicyType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One entry of `policies`: the policy applied and the sessions under it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyResult {
    pub policy_type: PolicyType,
    /// The policy as the sender applied it, one line per entry.
    pub policy_string: Vec<String>,
    pub policy_domain: Option<String>,
    /// The MX hosts or patterns the reporter listed (string, list or absent
    /// in practice; always a list here).
    pub mx_host: Vec<String>,
    /// `total-successful-session-count`.
    pub successful: u64,
    /// `total-failure-session-count`.
    pub failed: u64,
    pub failure_details: Vec<FailureDetail>,
}

impl PolicyResult {
    /// For an `sts` policy, the mode and `mx` lines of its `policy-string`
    /// (read with the policy parser, so a reporter's copy is read exactly
    /// like the policy file).
    pub fn sts_policy(&self) -> Option<policy::Partial> {
        if self.policy_type != PolicyType::Sts || self.policy_string.is_empty() {
            return None;
        }
        let body = self.policy_string.join("\r\n");
        Some(policy::check(body.as_bytes()).partial)
    }
}

/// One entry of `failure-details`, RFC 8460 §4.4.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FailureDetail {
    /// As sent; see [`super::rua_result`] for what it means.
    pub result_type: String,
    pub sending_mta_ip: Option<String>,
    pub receiving_mx_hostname: Option<String>,
    pub receiving_mx_helo: Option<String>,
    pub receiving_ip: Option<String>,
    pub failed_session_count: u64,
    pub additional_information: Option<String>,
    pub failure_reason_code: Option<String>,
}

macro_rules! note_codes {
    ($( $variant:ident = $code:literal, $sev:ident, $what:literal ; )*) => {
        /// How a report departs from RFC 8460 §4.4. Codes are stable.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum NoteCode { $( $variant, )* }

        impl NoteCode {
            pub const ALL: &'static [NoteCode] = &[ $( NoteCode::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( NoteCode::$variant => $code, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( NoteCode::$variant => Severity::$sev, )* }
            }

            /// What the code means and which reporters do it.
            pub fn describe(self) -> &'static str {
                match self { $( NoteCode::$variant => $what, )* }
            }
        }
    };
}

note_codes! {
    ByteOrderMark = "byte-order-mark", Info, "The JSON starts with a byte order mark; it was skipped.";
    FieldMissing = "field-missing", Warning, "A field RFC 8460 §4.4 requires is missing; the report is read without it.";
    FieldNull = "field-null", Info, "A field is null instead of a value (Stalwart-style reporters send `contact-info: null`); read as absent.";
    FieldWrongType = "field-wrong-type", Warning, "A field has the wrong JSON type; it was converted where the meaning is clear, else ignored.";
    FieldMisspelled = "field-misspelled", Info, "A field name is misspelled or from a draft (`receiving-mx-host-name`, `additional-info-uri`); read under the RFC name.";
    MxHostList = "mx-host-list", Info, "`mx-host` is a list (Google); RFC 8460 §4.4's example has one string. Both are read.";
    MxHostMissing = "mx-host-missing", Info, "No `mx-host` (Microsoft, Mail.ru): the MX hosts come from the policy-string, when there is one.";
    PolicyStringMissing = "policy-string-missing", Info, "No `policy-string` (Mail.ru, some `no-policy-found` reports): which policy version was applied is unknown.";
    PolicyStringPacked = "policy-string-packed", Info, "The `policy-string` list holds one string that is itself a JSON list (Microsoft's tlsa reports); it was unpacked.";
    PolicyStringNotList = "policy-string-not-list", Warning, "`policy-string` is one string, not a list; it was read as one line per line of text.";
    PolicyTypeUnknown = "policy-type-unknown", Warning, "`policy-type` is not sts, tlsa or no-policy-found; shown as sent.";
    ResultTypeUnknown = "result-type-unknown", Warning, "A `result-type` that is not in the IANA registry (RFC 8460 §6.6); shown as sent.";
    DateInvalid = "date-invalid", Warning, "A date is not RFC 3339; the report counts for no day.";
    RangeEndExclusive = "range-end-exclusive", Info, "The range ends at the next midnight (Mail.ru, Stalwart) rather than 23:59:59Z (RFC 8460 §4.4 example); the same day either way.";
    RangeNotOneDay = "range-not-one-day", Info, "The range is not one UTC day (RFC 8460 §4.1 says a report SHOULD cover 00:00-24:00 UTC); it counts for the day it starts.";
    SummaryMismatch = "summary-mismatch", Info, "The failure details add up to a different number than `total-failure-session-count`; totals use the summary.";
    SeveralPolicyVersions = "several-policy-versions", Info, "The report lists several versions of one domain's policy (Google does on the day a policy changes); each is counted apart.";
    PolicyEntrySkipped = "policy-entry-skipped", Warning, "An entry of `policies` could not be read at all and was skipped.";
    DomainFromMail = "domain-from-mail", Info, "`policy-domain` is missing; the domain was taken from the e-mail's TLS-Report-Domain header or the file name (RFC 8460 §5.1, §5.3).";
}

/// A deviation from RFC 8460 §4.4 and how it was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    #[serde(serialize_with = "code_name")]
    pub code: NoteCode,
    pub severity: Severity,
    /// Where in the report, e.g. `policies[0].policy.mx-host`.
    pub path: String,
    pub message: String,
}

fn code_name<S: serde::Serializer>(c: &NoteCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.as_str())
}

/// Why a report could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportError {
    /// `json-syntax`, `not-an-object` or `no-policies`.
    pub code: &'static str,
    pub message: String,
    /// 1-based position in the JSON text, for syntax errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl core::fmt::Display for ReportError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// Reads one report's JSON (RFC 8460 §4.4). `domain_hint` is the policy
/// domain the carrying e-mail or file name names, used when a policy entry
/// leaves `policy-domain` out.
pub fn parse(json: &[u8], domain_hint: Option<&str>) -> Result<TlsReport, ReportError> {
    let mut notes = Vec::new();
    let json = match json.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => {
            notes.push(note(
                NoteCode::ByteOrderMark,
                "",
                "The file starts with a UTF-8 byte order mark.".into(),
            ));
            rest
        }
        None => json,
    };
    let value: Value = serde_json::from_slice(json).map_err(|e| ReportError {
        code: "json-syntax",
        message: format!(
            "not valid JSON ({}); a TLS-RPT report is one JSON object (RFC 8460 §4.4). Was the file cut short or still compressed?",
            strip_position(&e.to_string())
        ),
        line: Some(e.line()),
        column: Some(e.column()),
    })?;
    let Value::Object(top) = value else {
        return Err(ReportError {
            code: "not-an-object",
            message: format!(
                "the JSON is {}, not an object; a TLS-RPT report is one object with `organization-name`, `date-range` and `policies` (RFC 8460 §4.4)",
                type_name(&value)
            ),
            line: None,
            column: None,
        });
    };
    let mut r = Reader { notes };
    let organization_name = r.string(&top, "organization-name", "", true);
    let contact_info = r.string(&top, "contact-info", "", true);
    let report_id = r.string(&top, "report-id", "", true);
    let date_range = r.date_range(&top);
    let policies = match top.get("policies") {
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if let Some(p) = r.policy(item, &format!("policies[{i}]"), domain_hint) {
                    out.push(p);
                }
            }
            out
        }
        Some(other) => {
            return Err(no_policies(format!(
                "`policies` is {}, not a list",
                type_name(other)
            )))
        }
        None => return Err(no_policies("there is no `policies` field".into())),
    };
    if policies.is_empty() {
        return Err(no_policies("no entry of `policies` could be read".into()));
    }
    several_versions(&policies, &mut r.notes);
    Ok(TlsReport {
        organization_name,
        date_range,
        contact_info,
        report_id,
        policies,
        notes: r.notes,
    })
}

fn no_policies(why: String) -> ReportError {
    ReportError {
        code: "no-policies",
        message: format!(
            "{why}, so the report says nothing about any session; RFC 8460 §4.4 requires `policies` with one entry per policy applied"
        ),
        line: None,
        column: None,
    }
}

/// serde_json appends " at line L column C"; the position is reported apart.
fn strip_position(msg: &str) -> &str {
    msg.rfind(" at line ")
        .map_or(msg, |i| msg.get(..i).unwrap_or(msg))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn note(code: NoteCode, path: &str, message: String) -> Note {
    Note {
        code,
        severity: code.severity(),
        path: path.to_string(),
        message,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

struct Reader {
    notes: Vec<Note>,
}

impl Reader {
    fn push(&mut self, code: NoteCode, path: &str, message: String) {
        self.notes.push(note(code, path, message));
    }

    /// A string field; numbers are turned into text, null and other types
    /// are read as absent, each with a note.
    fn string(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
        required: bool,
    ) -> Option<String> {
        let at = join(path, key);
        match obj.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) => {
                self.push(
                    NoteCode::FieldNull,
                    &at,
                    format!("`{key}` is null; read as absent."),
                );
                None
            }
            Some(Value::Number(n)) => {
                self.push(
                    NoteCode::FieldWrongType,
                    &at,
                    format!("`{key}` is a number ({n}), not a string; read as text."),
                );
                Some(n.to_string())
            }
            Some(other) => {
                self.push(
                    NoteCode::FieldWrongType,
                    &at,
                    format!("`{key}` is {}, not a string; ignored.", type_name(other)),
                );
                None
            }
            None => {
                if required {
                    self.push(NoteCode::FieldMissing, &at, format!("`{key}` is missing."));
                }
                None
            }
        }
    }

    /// A session count: a non-negative integer. An integral float or a
    /// string of digits is read with a note; anything else counts as 0.
    fn count(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> u64 {
        let at = join(path, key);
        match obj.get(key) {
            Some(Value::Number(n)) => {
                if let Some(v) = n.as_u64() {
                    return v;
                }
                match n.as_f64() {
                    Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => {
                        self.push(
                            NoteCode::FieldWrongType,
                            &at,
                            format!("`{key}` is {n}, not an integer; read as {f:.0}."),
                        );
                        f as u64
                    }
                    _ => {
                        self.push(
                            NoteCode::FieldWrongType,
                            &at,
                            format!("`{key}` is {n}, not a count of sessions; read as 0."),
                        );
                        0
                    }
                }
            }
            Some(Value::String(s)) => match s.trim().parse::<u64>() {
                Ok(v) => {
                    self.push(
                        NoteCode::FieldWrongType,
                        &at,
                        format!("`{key}` is the string \"{s}\", not a number; read as {v}."),
                    );
                    v
                }
                Err(_) => {
                    self.push(
                        NoteCode::FieldWrongType,
                        &at,
                        format!(
                            "`{key}` is the string \"{}\", not a number; read as 0.",
                            clip(s)
                        ),
                    );
                    0
                }
            },
            Some(other) => {
                self.push(
                    NoteCode::FieldWrongType,
                    &at,
                    format!("`{key}` is {}, not a number; read as 0.", type_name(other)),
                );
                0
            }
            None => {
                self.push(
                    NoteCode::FieldMissing,
                    &at,
                    format!("`{key}` is missing; read as 0."),
                );
                0
            }
        }
    }

    fn date_range(&mut self, top: &Map<String, Value>) -> Option<DateRange> {
        let range = match top.get("date-range") {
            Some(Value::Object(m)) => m,
            Some(other) => {
                self.push(
                    NoteCode::FieldWrongType,
                    "date-range",
                    format!(
                        "`date-range` is {}, not an object; the report counts for no day.",
                        type_name(other)
                    ),
                );
                return None;
            }
            None => {
                self.push(
                    NoteCode::FieldMissing,
                    "date-range",
                    "`date-range` is missing; the report counts for no day.".into(),
                );
                return None;
            }
        };
        let start = self.string(range, "start-datetime", "date-range", true)?;
        let end = self.string(range, "end-datetime", "date-range", true)?;
        let (Some(start_unix), Some(end_unix)) = (parse_datetime(&start), parse_datetime(&end))
        else {
            let bad = if parse_datetime(&start).is_none() {
                &start
            } else {
                &end
            };
            self.push(
                NoteCode::DateInvalid,
                "date-range",
                format!(
                    "`{}` is not an RFC 3339 date-time like 2024-09-15T00:00:00Z; the report counts for no day.",
                    clip(bad)
                ),
            );
            return None;
        };
        let length = end_unix.saturating_sub(start_unix);
        let midnight = start_unix.rem_euclid(86_400) == 0;
        if midnight && length == 86_400 {
            self.push(
                NoteCode::RangeEndExclusive,
                "date-range.end-datetime",
                format!(
                    "The range ends at {end}, the next midnight; read as the day {}.",
                    Day::of_unix(start_unix)
                ),
            );
        } else if !(midnight && length == 86_399) {
            self.push(
                NoteCode::RangeNotOneDay,
                "date-range",
                format!(
                    "The range {start} to {end} is not one UTC day; it counts for {}.",
                    Day::of_unix(start_unix)
                ),
            );
        }
        Some(DateRange {
            start,
            end,
            start_unix,
            end_unix,
            day: Day::of_unix(start_unix),
        })
    }

    fn policy(
        &mut self,
        item: &Value,
        path: &str,
        domain_hint: Option<&str>,
    ) -> Option<PolicyResult> {
        let Value::Object(entry) = item else {
            self.push(
                NoteCode::PolicyEntrySkipped,
                path,
                format!("The entry is {}, not an object; skipped.", type_name(item)),
            );
            return None;
        };
        let pol = match entry.get("policy") {
            Some(Value::Object(p)) => Some(p),
            Some(other) => {
                self.push(
                    NoteCode::FieldWrongType,
                    &join(path, "policy"),
                    format!("`policy` is {}, not an object; ignored.", type_name(other)),
                );
                None
            }
            None => None,
        };
        let summary = match entry.get("summary") {
            Some(Value::Object(s)) => Some(s),
            Some(other) => {
                self.push(
                    NoteCode::FieldWrongType,
                    &join(path, "summary"),
                    format!("`summary` is {}, not an object; ignored.", type_name(other)),
                );
                None
            }
            None => None,
        };
        if pol.is_none() && summary.is_none() {
            self.push(
                NoteCode::PolicyEntrySkipped,
                path,
                "The entry has neither a readable `policy` nor a `summary`; skipped.".into(),
            );
            return None;
        }
        let ppath = join(path, "policy");
        let empty = Map::new();
        let pol_obj = match pol {
            Some(p) => p,
            None => {
                self.push(
                    NoteCode::FieldMissing,
                    &ppath,
                    "`policy` is missing.".into(),
                );
                &empty
            }
        };
        let policy_type = match self.string(pol_obj, "policy-type", &ppath, pol.is_some()) {
            Some(t) => {
                let t = PolicyType::parse(&t);
                if let PolicyType::Other(s) = &t {
                    self.push(
                        NoteCode::PolicyTypeUnknown,
                        &join(&ppath, "policy-type"),
                        format!("`policy-type` is \"{}\"; RFC 8460 §4.4 knows sts, tlsa and no-policy-found.", clip(s)),
                    );
                }
                t
            }
            None => PolicyType::Other(String::new()),
        };
        let policy_string = self.policy_string(pol_obj, &ppath, &policy_type);
        let mut policy_domain = self.string(pol_obj, "policy-domain", &ppath, false);
        if policy_domain.is_none() {
            match domain_hint {
                Some(d) => {
                    self.push(
                        NoteCode::DomainFromMail,
                        &join(&ppath, "policy-domain"),
                        format!(
                            "`policy-domain` is missing; read as {d} from the e-mail or file name."
                        ),
                    );
                    policy_domain = Some(d.to_string());
                }
                None => self.push(
                    NoteCode::FieldMissing,
                    &join(&ppath, "policy-domain"),
                    "`policy-domain` is missing and nothing else names the domain.".into(),
                ),
            }
        }
        let policy_domain = policy_domain.map(|d| d.trim_end_matches('.').to_ascii_lowercase());
        let mx_host = self.mx_host(pol_obj, &ppath, &policy_type, pol.is_some());
        let spath = join(path, "summary");
        let (successful, failed) = match summary {
            Some(s) => (
                self.count(s, "total-successful-session-count", &spath),
                self.count(s, "total-failure-session-count", &spath),
            ),
            None => {
                self.push(
                    NoteCode::FieldMissing,
                    &spath,
                    "`summary` is missing; its counts are read as 0.".into(),
                );
                (0, 0)
            }
        };
        let fpath = join(path, "failure-details");
        let mut failure_details = Vec::new();
        match entry.get("failure-details") {
            Some(Value::Array(items)) => {
                for (i, d) in items.iter().enumerate() {
                    if let Some(d) = self.failure_detail(d, &format!("{fpath}[{i}]")) {
                        failure_details.push(d);
                    }
                }
            }
            Some(Value::Null) | None => {}
            Some(other) => self.push(
                NoteCode::FieldWrongType,
                &fpath,
                format!(
                    "`failure-details` is {}, not a list; ignored.",
                    type_name(other)
                ),
            ),
        }
        let detailed: u64 = failure_details
            .iter()
            .fold(0u64, |a, d| a.saturating_add(d.failed_session_count));
        if !failure_details.is_empty() && detailed != failed {
            self.push(
                NoteCode::SummaryMismatch,
                &fpath,
                format!(
                    "The failure details add up to {detailed} sessions, the summary says {failed}."
                ),
            );
        }
        Some(PolicyResult {
            policy_type,
            policy_string,
            policy_domain,
            mx_host,
            successful,
            failed,
            failure_details,
        })
    }

    fn policy_string(
        &mut self,
        pol: &Map<String, Value>,
        ppath: &str,
        ty: &PolicyType,
    ) -> Vec<String> {
        let at = join(ppath, "policy-string");
        match pol.get("policy-string") {
            Some(Value::Array(items)) => {
                let mut lines = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => lines.push(s.clone()),
                        other => self.push(
                            NoteCode::FieldWrongType,
                            &at,
                            format!(
                                "A `policy-string` entry is {}, not a string; ignored.",
                                type_name(other)
                            ),
                        ),
                    }
                }
                // Microsoft: ["[\"2 1 1 ...\",\"2 1 1 ...\"]"].
                if let [only] = lines.as_slice() {
                    if only.trim_start().starts_with('[') {
                        if let Ok(Value::Array(inner)) = serde_json::from_str::<Value>(only) {
                            let unpacked: Vec<String> = inner
                                .iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect();
                            if unpacked.len() == inner.len() {
                                self.push(
                                    NoteCode::PolicyStringPacked,
                                    &at,
                                    format!(
                                        "`policy-string` is one string holding a JSON list of {} entries; unpacked.",
                                        unpacked.len()
                                    ),
                                );
                                return unpacked;
                            }
                        }
                    }
                }
                lines
            }
            Some(Value::String(s)) => {
                self.push(
                    NoteCode::PolicyStringNotList,
                    &at,
                    "`policy-string` is one string, not a list of lines; split into lines.".into(),
                );
                s.lines()
                    .map(str::to_string)
                    .filter(|l| !l.is_empty())
                    .collect()
            }
            Some(Value::Null) | None => {
                if *ty != PolicyType::NoPolicyFound {
                    self.push(
                        NoteCode::PolicyStringMissing,
                        &at,
                        "`policy-string` is missing: which version of the policy the sender applied is unknown.".into(),
                    );
                }
                Vec::new()
            }
            Some(other) => {
                self.push(
                    NoteCode::FieldWrongType,
                    &at,
                    format!(
                        "`policy-string` is {}, not a list; ignored.",
                        type_name(other)
                    ),
                );
                Vec::new()
            }
        }
    }

    fn mx_host(
        &mut self,
        pol: &Map<String, Value>,
        ppath: &str,
        ty: &PolicyType,
        present: bool,
    ) -> Vec<String> {
        let at = join(ppath, "mx-host");
        match pol.get("mx-host") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => {
                let hosts: Vec<String> = items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                if hosts.len() != items.len() {
                    self.push(
                        NoteCode::FieldWrongType,
                        &at,
                        "An `mx-host` entry is not a string; ignored.".into(),
                    );
                }
                if !items.is_empty() {
                    self.push(
                        NoteCode::MxHostList,
                        &at,
                        format!(
                            "`mx-host` is a list of {}; read as the MX hosts.",
                            items.len()
                        ),
                    );
                }
                hosts
            }
            Some(Value::Null) => Vec::new(),
            Some(other) => {
                self.push(
                    NoteCode::FieldWrongType,
                    &at,
                    format!(
                        "`mx-host` is {}, not a host name; ignored.",
                        type_name(other)
                    ),
                );
                Vec::new()
            }
            None => {
                if present && *ty == PolicyType::Sts {
                    self.push(
                        NoteCode::MxHostMissing,
                        &at,
                        "`mx-host` is missing; the MX hosts are those of the policy-string.".into(),
                    );
                }
                Vec::new()
            }
        }
    }

    fn failure_detail(&mut self, item: &Value, path: &str) -> Option<FailureDetail> {
        let Value::Object(d) = item else {
            self.push(
                NoteCode::FieldWrongType,
                path,
                format!(
                    "A failure detail is {}, not an object; skipped.",
                    type_name(item)
                ),
            );
            return None;
        };
        let result_type = match self.string(d, "result-type", path, true) {
            Some(t) => {
                if super::rua_result::ResultType::parse(&t).is_none() {
                    self.push(
                        NoteCode::ResultTypeUnknown,
                        &join(path, "result-type"),
                        format!("`result-type` \"{}\" is not one of the 11 registered types; shown as sent.", clip(&t)),
                    );
                }
                t
            }
            None => "unknown".to_string(),
        };
        let mut receiving_mx_hostname = self.string(d, "receiving-mx-hostname", path, false);
        if receiving_mx_hostname.is_none() {
            if let Some(v) = self.string(d, "receiving-mx-host-name", path, false) {
                self.push(
                    NoteCode::FieldMisspelled,
                    &join(path, "receiving-mx-host-name"),
                    "`receiving-mx-host-name` read as `receiving-mx-hostname`.".into(),
                );
                receiving_mx_hostname = Some(v);
            }
        }
        let mut additional_information = self.string(d, "additional-information", path, false);
        if additional_information.is_none() {
            if let Some(v) = self.string(d, "additional-info-uri", path, false) {
                self.push(
                    NoteCode::FieldMisspelled,
                    &join(path, "additional-info-uri"),
                    "`additional-info-uri` (a draft name) read as `additional-information`.".into(),
                );
                additional_information = Some(v);
            }
        }
        let sending_mta_ip = self.string(d, "sending-mta-ip", path, false);
        let mut missing = Vec::new();
        if sending_mta_ip.is_none() {
            missing.push("sending-mta-ip");
        }
        // Policy fetch and DNSSEC failures happen before any MX is chosen.
        let before_mx = result_type.starts_with("sts-policy") || result_type == "dnssec-invalid";
        if receiving_mx_hostname.is_none() && !before_mx {
            missing.push("receiving-mx-hostname");
        }
        if !missing.is_empty() {
            self.push(
                NoteCode::FieldMissing,
                path,
                format!("The failure detail has no {}.", missing.join(" or ")),
            );
        }
        Some(FailureDetail {
            failed_session_count: self.count(d, "failed-session-count", path),
            result_type,
            sending_mta_ip,
            receiving_mx_hostname: receiving_mx_hostname
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase()),
            receiving_mx_helo: self.string(d, "receiving-mx-helo", path, false),
            receiving_ip: self.string(d, "receiving-ip", path, false),
            additional_information,
            failure_reason_code: self.string(d, "failure-reason-code", path, false),
        })
    }
}

fn several_versions(policies: &[PolicyResult], notes: &mut Vec<Note>) {
    let mut seen: Vec<(&Option<String>, &PolicyType, &Vec<String>)> = Vec::new();
    let mut reported: Vec<(&Option<String>, &PolicyType)> = Vec::new();
    for p in policies {
        if p.policy_string.is_empty() {
            continue;
        }
        let other = seen.iter().any(|(d, t, s)| {
            *d == &p.policy_domain && *t == &p.policy_type && *s != &p.policy_string
        });
        if other && !reported.contains(&(&p.policy_domain, &p.policy_type)) {
            reported.push((&p.policy_domain, &p.policy_type));
            let n = policies
                .iter()
                .filter(|q| q.policy_domain == p.policy_domain && q.policy_type == p.policy_type)
                .count();
            notes.push(note(
                NoteCode::SeveralPolicyVersions,
                "policies",
                format!(
                    "{n} entries for the {} policy of {}, with different policy-strings: the policy changed during the day or senders still cached an older one.",
                    p.policy_type.as_str(),
                    p.policy_domain.as_deref().unwrap_or("an unnamed domain")
                ),
            ));
        }
        seen.push((&p.policy_domain, &p.policy_type, &p.policy_string));
    }
}

/// Long reporter strings are cut in messages (the value itself is kept).
fn clip(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(80).collect();
        out.push('…');
        out
    }
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn valid_date(y: i64, m: i64, d: i64) -> bool {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let len = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=len).contains(&d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses an RFC 3339 date-time (`2024-09-15T23:59:59Z`, fractions and
/// `+hh:mm` offsets allowed, `t`/`z` in any case, a space for `T`) into Unix
/// seconds.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let day = Day::parse(s.get(..10)?)?;
    let rest = s.get(10..)?;
    let rest = rest
        .strip_prefix(['T', 't', ' '])
        .filter(|r| r.len() >= 8)?;
    let b = rest.as_bytes();
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return None;
    }
    let h = digits(rest.get(0..2)?)?;
    let mi = digits(rest.get(3..5)?)?;
    let sec = digits(rest.get(6..8)?)?;
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut zone = rest.get(8..)?;
    if let Some(frac) = zone.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        zone = frac.get(n..)?;
    }
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = match zone.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if zone.len() != 6 || zone.as_bytes().get(3) != Some(&b':') {
                return None;
            }
            let oh = digits(zone.get(1..3)?)?;
            let om = digits(zone.get(4..6)?)?;
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(day.0 * 86_400 + h * 3600 + mi * 60 + sec.min(59) - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_parse() {
        for s in ["1970-01-01", "2000-02-29", "2024-09-15", "2100-12-31"] {
            assert_eq!(Day::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Day::parse("2023-02-29"), None);
        assert_eq!(parse_datetime("2024-09-15T00:00:00Z"), Some(1_726_358_400));
        assert_eq!(parse_datetime("2024-09-15T23:59:59Z"), Some(1_726_444_799));
        assert_eq!(
            parse_datetime("2024-09-15T02:00:00.123+02:00"),
            Some(1_726_358_400)
        );
        assert_eq!(parse_datetime("2024-09-15"), None);
        assert_eq!(parse_datetime("2024-09-15T24:00:00Z"), None);
    }
}
