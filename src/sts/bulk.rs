//! Checking many domains in one run (`mtasts check --file`): the list read
//! one line at a time, the CSV row of each result, the closing tally and the
//! two research categories. The shell reads, checks concurrently and
//! writes; every decision about what a line means and what is counted is
//! here.
//!
//! Memory is flat in the number of finished domains: a finished domain
//! leaves only counters behind. The one thing kept per domain is its name,
//! so that a duplicate is checked once.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::domain::{self, Domain};
use super::finding::{Code, Severity};
use super::mx_tls::Status;
use super::policy::Mode;
use super::report::{Report, Verdict};

/// The longest input line read as a domain; longer lines are reported as
/// invalid (a name is at most 253 octets, RFC 1035 §2.3.4).
pub const MAX_LINE: usize = 1024;

/// The verdict column of a line that is not a domain name.
pub const INVALID_NAME: &str = "invalid-name";
/// The verdict column of a domain whose check could not finish.
pub const CHECK_FAILED: &str = "check-failed";

/// What one input line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// Blank, or a `#` comment.
    Skip,
    /// A name already listed (after normalisation): checked once.
    Duplicate(String),
    /// A domain to check.
    Domain(Domain),
    /// Not a domain name: reported on a line of its own.
    Invalid(Invalid),
}

/// An input line that is not a domain name (RFC 5321 §4.1.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invalid {
    /// The line as given (trimmed, at most [`MAX_LINE`] bytes, lossy UTF-8).
    pub input: String,
    /// 1-based line number in the input.
    pub line: usize,
    /// Why, and what to write instead.
    pub message: String,
}

/// Reads the domain list line by line, skipping blanks, comments and
/// duplicates.
#[derive(Debug, Default)]
pub struct Input {
    line: usize,
    seen: BTreeSet<String>,
}

impl Input {
    pub fn new() -> Self {
        Input::default()
    }

    /// Lines read so far.
    pub fn lines(&self) -> usize {
        self.line
    }

    /// What the next line (without its line feed) is. A trailing
    /// `# comment` after the name is allowed.
    pub fn read(&mut self, raw: &[u8]) -> Line {
        self.line += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let cut = &raw[..raw.len().min(MAX_LINE)];
        let text = String::from_utf8_lossy(cut);
        let text = match text.find('#') {
            Some(at) if at == 0 || text[..at].ends_with(char::is_whitespace) => &text[..at],
            _ => &text[..],
        };
        let text = text.trim();
        if text.is_empty() {
            return Line::Skip;
        }
        let invalid = |message: String| {
            Line::Invalid(Invalid {
                input: text.to_string(),
                line: self.line,
                message,
            })
        };
        if raw.len() > MAX_LINE {
            return invalid(format!(
                "line {} is longer than {MAX_LINE} bytes; put one domain on each line",
                self.line
            ));
        }
        if std::str::from_utf8(raw).is_err() {
            return invalid(format!(
                "line {} is not UTF-8; save the list as UTF-8 text",
                self.line
            ));
        }
        if text.split_whitespace().nth(1).is_some() || text.contains(',') {
            return invalid(format!(
                "line {} holds more than one word; put one domain on each line (a comment starts with #)",
                self.line
            ));
        }
        match domain::normalise(text) {
            Ok(d) => {
                if self.seen.insert(d.ascii.clone()) {
                    Line::Domain(d)
                } else {
                    Line::Duplicate(d.ascii)
                }
            }
            Err(e) => invalid(e.message),
        }
    }
}

/// The end of one input line's journey.
#[derive(Clone, Copy, Debug)]
pub enum Outcome<'a> {
    Checked(&'a Report),
    Invalid(&'a Invalid),
    /// The check of `domain` stopped before a report (`message` says why).
    Failed {
        domain: &'a str,
        message: &'a str,
    },
}

/// The JSON line of a domain without a report (a checked domain's line is
/// its report).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotChecked {
    /// The name, or the line as given when it is not a name.
    pub domain: String,
    pub verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub error: NotCheckedError,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotCheckedError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    pub message: String,
}

impl NotChecked {
    /// The line of an outcome without a report; `None` for a report.
    pub fn of(o: &Outcome<'_>) -> Option<NotChecked> {
        match *o {
            Outcome::Checked(_) => None,
            Outcome::Invalid(i) => Some(NotChecked {
                domain: i.input.clone(),
                verdict: INVALID_NAME,
                line: Some(i.line),
                error: NotCheckedError {
                    code: Some(Code::DomainInvalid),
                    message: i.message.clone(),
                },
            }),
            Outcome::Failed { domain, message } => Some(NotChecked {
                domain: domain.to_string(),
                verdict: CHECK_FAILED,
                line: None,
                error: NotCheckedError {
                    code: None,
                    message: message.to_string(),
                },
            }),
        }
    }
}

/// The CSV columns, in order (RFC 4180 header line).
pub const CSV_HEADER: &str =
    "domain,verdict,errors,warnings,first_error,mode,max_age,mta_sts_cert_expiry,mx_cert_expiry";

/// One CSV row (RFC 4180, no line ending) with the essentials of an
/// outcome: see [`CSV_HEADER`]. Dates are `YYYY-MM-DD` (UTC).
pub fn csv_row(o: &Outcome<'_>) -> String {
    let fields: Vec<String> = match *o {
        Outcome::Checked(r) => {
            let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
            let first_error = r
                .findings
                .iter()
                .find(|f| f.severity == Severity::Error)
                .map(|f| f.code.as_str().to_string())
                .unwrap_or_default();
            let exp = super::expiry::of(r);
            vec![
                r.domain.clone(),
                r.verdict.as_str().to_string(),
                count(Severity::Error).to_string(),
                count(Severity::Warning).to_string(),
                first_error,
                r.policy
                    .as_ref()
                    .map(|p| p.mode.as_str().to_string())
                    .unwrap_or_default(),
                r.policy
                    .as_ref()
                    .map(|p| p.max_age.to_string())
                    .unwrap_or_default(),
                exp.policy_host.map(super::mx_tls::day).unwrap_or_default(),
                exp.earliest_mx()
                    .map(|(_, t)| super::mx_tls::day(t))
                    .unwrap_or_default(),
            ]
        }
        Outcome::Invalid(i) => vec![
            i.input.clone(),
            INVALID_NAME.into(),
            "1".into(),
            "0".into(),
            Code::DomainInvalid.as_str().into(),
        ],
        Outcome::Failed { domain, .. } => {
            vec![
                domain.to_string(),
                CHECK_FAILED.into(),
                "1".into(),
                "0".into(),
            ]
        }
    };
    let columns = CSV_HEADER.split(',').count();
    (0..columns)
        .map(|i| fields.get(i).map(|f| csv_field(f)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(",")
}

/// A field quoted when it holds a comma, a quote or a line break (RFC 4180
/// §2), and defused when a spreadsheet would read it as a formula (a
/// leading `=`, `+`, `-`, `@`: only input that is not a name can start so).
fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{f}")
    } else {
        f.to_string()
    };
    if f.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

/// The line a person reads for an outcome (the default output): the
/// domain, the verdict and the first error, or why there is no report.
pub fn text_row(o: &Outcome<'_>) -> String {
    match *o {
        Outcome::Checked(r) => {
            let errors = r.findings.iter().filter(|f| f.is_error()).count();
            let warnings = r
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count();
            let first = r.findings.iter().find(|f| f.is_error());
            match first {
                Some(f) => format!(
                    "{}: {} ({}; {errors} errors, {warnings} warnings)",
                    r.domain,
                    r.verdict.as_str(),
                    f.code
                ),
                None => format!(
                    "{}: {} ({errors} errors, {warnings} warnings)",
                    r.domain,
                    r.verdict.as_str()
                ),
            }
        }
        Outcome::Invalid(i) => format!(
            "line {}: `{}`: {INVALID_NAME} ({})",
            i.line, i.input, i.message
        ),
        Outcome::Failed { domain, message } => format!("{domain}: {CHECK_FAILED} ({message})"),
    }
}

/// The two categories of a published MTA-STS setup that studies of many
/// domains count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Categories {
    /// MTA-STS is published (any verdict but not-configured) and something
    /// in it is wrong: the verdict is broken, or a finding is an error
    /// (TLS-RPT errors included), or an MX host is not covered by the
    /// policy (a warning only under testing).
    pub misconfigured: bool,
    /// A valid policy in mode enforce, and an MX host that enforcing
    /// senders refuse: not covered by the policy (RFC 8461 §4.1) or failing
    /// STARTTLS or certificate validation (§4.2). Mail to that host is
    /// not delivered by senders that apply the policy.
    pub delivery_at_risk: bool,
}

/// The categories of one report.
pub fn categorise(r: &Report) -> Categories {
    let has = |c: Code| r.findings.iter().any(|f| f.code == c);
    let misconfigured = r.verdict != Verdict::NotConfigured
        && (r.verdict == Verdict::Broken
            || r.findings.iter().any(|f| f.is_error())
            || has(Code::MxNotCovered));
    let enforce = r.policy.as_ref().is_some_and(|p| p.mode == Mode::Enforce);
    let refused =
        has(Code::MxNotCovered) || r.mx_tls.iter().any(|row| row.status == Status::Invalid);
    Categories {
        misconfigured,
        delivery_at_risk: enforce && refused,
    }
}

/// The verdicts in the order the summary lists them.
const VERDICTS: [Verdict; 5] = [
    Verdict::Enforced,
    Verdict::Testing,
    Verdict::None,
    Verdict::NotConfigured,
    Verdict::Broken,
];

/// The counters of a run: all that is kept of finished domains.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    verdicts: [usize; 5],
    pub invalid: usize,
    pub failed: usize,
    pub duplicates: usize,
    /// Domains with MTA-STS published (verdict other than not-configured).
    pub published: usize,
    pub misconfigured: usize,
    pub delivery_at_risk: usize,
    /// Error and warning codes, each counted once per domain (bounded by
    /// the catalogue).
    codes: BTreeMap<&'static str, usize>,
}

impl Tally {
    pub fn new() -> Self {
        Tally::default()
    }

    /// Counts one outcome.
    pub fn add(&mut self, o: &Outcome<'_>) {
        match *o {
            Outcome::Checked(r) => {
                if let Some(i) = VERDICTS.iter().position(|v| *v == r.verdict) {
                    self.verdicts[i] += 1;
                }
                if r.verdict != Verdict::NotConfigured {
                    self.published += 1;
                }
                let c = categorise(r);
                self.misconfigured += usize::from(c.misconfigured);
                self.delivery_at_risk += usize::from(c.delivery_at_risk);
                let mut seen: Vec<Code> = Vec::new();
                for f in &r.findings {
                    if f.severity != Severity::Info && !seen.contains(&f.code) {
                        seen.push(f.code);
                        *self.codes.entry(f.code.as_str()).or_default() += 1;
                    }
                }
            }
            Outcome::Invalid(_) => self.invalid += 1,
            Outcome::Failed { .. } => self.failed += 1,
        }
    }

    /// A duplicate line was skipped.
    pub fn duplicate(&mut self) {
        self.duplicates += 1;
    }

    /// Domains with a report.
    pub fn checked(&self) -> usize {
        self.verdicts.iter().sum()
    }

    /// Lines written (a report, an invalid name or a failed check each).
    pub fn written(&self) -> usize {
        self.checked() + self.invalid + self.failed
    }

    /// How many reports had `verdict`.
    pub fn verdict(&self, verdict: Verdict) -> usize {
        VERDICTS
            .iter()
            .position(|v| *v == verdict)
            .map(|i| self.verdicts[i])
            .unwrap_or(0)
    }

    /// The `n` most frequent codes, most frequent first, ties by name.
    pub fn top_codes(&self, n: usize) -> Vec<(&'static str, usize)> {
        let mut all: Vec<(&'static str, usize)> =
            self.codes.iter().map(|(c, n)| (*c, *n)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all.truncate(n);
        all
    }

    /// All domains written were enforced: the run's exit status is 0.
    pub fn all_enforced(&self) -> bool {
        self.written() == self.verdict(Verdict::Enforced)
    }

    /// The closing summary (several lines, each ending in a line feed).
    /// `elapsed_ms` is the run's duration; `interrupted` when it was
    /// stopped before the end of the list.
    pub fn summary(&self, elapsed_ms: u64, interrupted: bool) -> String {
        let secs = elapsed_ms as f64 / 1000.0;
        let rate = if elapsed_ms > 0 {
            self.written() as f64 / secs
        } else {
            0.0
        };
        let mut out = format!(
            "{} {} domains in {secs:.1} s ({rate:.1}/s)",
            if interrupted {
                "interrupted after"
            } else {
                "checked"
            },
            self.checked()
        );
        let mut extra = Vec::new();
        if self.invalid > 0 {
            extra.push(format!("{} invalid names", self.invalid));
        }
        if self.failed > 0 {
            extra.push(format!("{} checks failed", self.failed));
        }
        if self.duplicates > 0 {
            extra.push(format!("{} duplicates skipped", self.duplicates));
        }
        if !extra.is_empty() {
            out.push_str(&format!("; {}", extra.join(", ")));
        }
        out.push('\n');
        let verdicts: Vec<String> = VERDICTS
            .iter()
            .map(|v| format!("{} {}", v.as_str(), self.verdict(*v)))
            .collect();
        out.push_str(&format!("  verdicts: {}\n", verdicts.join(", ")));
        let pct = |n: usize| {
            if self.published == 0 {
                0.0
            } else {
                n as f64 * 100.0 / self.published as f64
            }
        };
        out.push_str(&format!(
            "  misconfigured: {} of {} with MTA-STS ({:.1} %)\n",
            self.misconfigured,
            self.published,
            pct(self.misconfigured)
        ));
        out.push_str(&format!(
            "  delivery at risk: {} of {} with MTA-STS ({:.1} %)\n",
            self.delivery_at_risk,
            self.published,
            pct(self.delivery_at_risk)
        ));
        let top = self.top_codes(5);
        if !top.is_empty() {
            let codes: Vec<String> = top.iter().map(|(c, n)| format!("{c} {n}")).collect();
            out.push_str(&format!("  most frequent codes: {}\n", codes.join(", ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sts::finding::Finding;
    use crate::sts::mx_tls::Status;
    use crate::sts::policy::Policy;
    use crate::sts::report::{MxTlsRow, Observations};

    fn report(domain: &str, verdict: Verdict, codes: &[Code], mode: Option<Mode>) -> Report {
        Report {
            domain: domain.into(),
            verdict,
            summary: String::new(),
            findings: codes.iter().map(|c| Finding::new(*c, "m", "f")).collect(),
            mx_coverage: Vec::new(),
            sts_id: None,
            policy: mode.map(|mode| Policy {
                mode,
                max_age: 604_800,
                mx: Vec::new(),
                extensions: Vec::new(),
            }),
            tlsrpt_rua: None,
            mx_tls: Vec::new(),
            by_sender: Vec::new(),
            observations: Observations::default(),
        }
    }

    fn read_all(text: &str) -> Vec<Line> {
        let mut input = Input::new();
        text.split('\n').map(|l| input.read(l.as_bytes())).collect()
    }

    #[test]
    fn blank_lines_and_comments_are_skipped() {
        let lines = read_all("# customers\n\n   \nexample.com # the first\r\n\t#x");
        assert_eq!(lines[0], Line::Skip);
        assert_eq!(lines[1], Line::Skip);
        assert_eq!(lines[2], Line::Skip);
        assert!(matches!(&lines[3], Line::Domain(d) if d.ascii == "example.com"));
        assert_eq!(lines[4], Line::Skip);
    }

    #[test]
    fn duplicates_are_checked_once_after_normalisation() {
        let lines = read_all("Example.COM\nexample.com.\nhttps://example.com/\nother.example");
        assert!(matches!(&lines[0], Line::Domain(d) if d.ascii == "example.com"));
        assert_eq!(lines[1], Line::Duplicate("example.com".into()));
        assert_eq!(lines[2], Line::Duplicate("example.com".into()));
        assert!(matches!(&lines[3], Line::Domain(d) if d.ascii == "other.example"));
    }

    #[test]
    fn bad_names_are_reported_with_their_line() {
        let lines = read_all("good.example\nnot a domain\n1.2.3.4\nlocalhost\na,b.example");
        for (i, l) in lines.iter().enumerate().skip(1) {
            match l {
                Line::Invalid(inv) => {
                    assert_eq!(inv.line, i + 1);
                    assert!(!inv.message.is_empty());
                }
                other => panic!("line {}: {other:?}", i + 1),
            }
        }
        let Line::Invalid(inv) = &lines[1] else {
            unreachable!()
        };
        assert_eq!(inv.input, "not a domain");
    }

    #[test]
    fn long_and_non_utf8_lines_are_invalid_not_a_crash() {
        let mut input = Input::new();
        let long = "a".repeat(5000);
        match input.read(long.as_bytes()) {
            Line::Invalid(i) => {
                assert!(i.message.contains("longer than"));
                assert_eq!(i.input.len(), MAX_LINE);
            }
            other => panic!("{other:?}"),
        }
        match input.read(b"ex\xffample.com") {
            Line::Invalid(i) => assert!(i.message.contains("UTF-8"), "{}", i.message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn csv_rows_have_every_column() {
        let r = report(
            "example.com",
            Verdict::Broken,
            &[Code::MxNotCovered, Code::ModeTesting, Code::TlsrptMissing],
            Some(Mode::Enforce),
        );
        assert_eq!(
            csv_row(&Outcome::Checked(&r)),
            "example.com,broken,1,2,mx-not-covered,enforce,604800,,"
        );
        let none = report("x.example", Verdict::NotConfigured, &[], None);
        assert_eq!(
            csv_row(&Outcome::Checked(&none)),
            "x.example,not-configured,0,0,,,,,"
        );
        assert_eq!(
            csv_row(&Outcome::Failed {
                domain: "y.example",
                message: "m"
            }),
            "y.example,check-failed,1,0,,,,,"
        );
        for row in [
            csv_row(&Outcome::Checked(&r)),
            csv_row(&Outcome::Checked(&none)),
        ] {
            assert_eq!(row.split(',').count(), CSV_HEADER.split(',').count());
        }
    }

    #[test]
    fn text_rows_name_the_first_error() {
        let r = report(
            "example.com",
            Verdict::Broken,
            &[Code::MxNotCovered, Code::TlsrptMissing],
            Some(Mode::Enforce),
        );
        assert_eq!(
            text_row(&Outcome::Checked(&r)),
            "example.com: broken (mx-not-covered; 1 errors, 1 warnings)"
        );
        let inv = Invalid {
            input: "not a domain".into(),
            line: 4,
            message: "why".into(),
        };
        assert_eq!(
            text_row(&Outcome::Invalid(&inv)),
            "line 4: `not a domain`: invalid-name (why)"
        );
    }

    #[test]
    fn csv_quotes_and_defuses_what_is_not_a_name() {
        let inv = |input: &str| Invalid {
            input: input.into(),
            line: 3,
            message: "m".into(),
        };
        assert_eq!(
            csv_row(&Outcome::Invalid(&inv("say \"hi\""))),
            "\"say \"\"hi\"\"\",invalid-name,1,0,domain-invalid,,,,"
        );
        assert_eq!(
            csv_row(&Outcome::Invalid(&inv("=HYPERLINK(1)"))),
            "'=HYPERLINK(1),invalid-name,1,0,domain-invalid,,,,"
        );
        assert_eq!(
            csv_row(&Outcome::Invalid(&inv("-1,2"))),
            "\"'-1,2\",invalid-name,1,0,domain-invalid,,,,"
        );
    }

    #[test]
    fn csv_dates_come_from_the_certificates() {
        use crate::sts::mx_tls::{CertificateFacts, Probe};
        use crate::sts::report::{Certificate, Fetch};
        let mut r = report("example.com", Verdict::Enforced, &[], Some(Mode::Enforce));
        r.observations.policy = Some(Fetch {
            certificate: Some(Certificate {
                not_after: Some("Mar  1 12:00:00 2027 +00:00".into()),
                ..Certificate::default()
            }),
            ..Fetch::default()
        });
        let probe = |host: &str, not_after: i64| {
            let mut p = Probe::failed(
                host,
                "192.0.2.1",
                crate::sts::mx_tls::ProbeErrorClass::Timeout,
                "x".into(),
            );
            p.error = None;
            p.chain = vec![CertificateFacts {
                names: vec![host.into()],
                subject: String::new(),
                issuer: String::new(),
                not_before: 0,
                not_after,
            }];
            p
        };
        r.observations.mx_tls = vec![
            probe("mx1.example.com", 1_900_000_000),
            probe("mx2.example.com", 1_800_000_000),
        ];
        assert_eq!(
            csv_row(&Outcome::Checked(&r)),
            "example.com,enforced,0,0,,enforce,604800,2027-03-01,2027-01-15"
        );
    }

    #[test]
    fn categories_follow_the_definitions() {
        type Case = (Verdict, &'static [Code], Option<Mode>, bool, bool, bool);
        let cases: &[Case] = &[
            // verdict, codes, mode, an MX refused by TLS, misconfigured, at risk
            (
                Verdict::Enforced,
                &[],
                Some(Mode::Enforce),
                false,
                false,
                false,
            ),
            (
                Verdict::NotConfigured,
                &[Code::TxtMissing],
                None,
                false,
                false,
                false,
            ),
            (
                Verdict::Broken,
                &[Code::PolicyHttpStatus],
                None,
                false,
                true,
                false,
            ),
            (
                Verdict::Broken,
                &[Code::MxNotCovered],
                Some(Mode::Enforce),
                false,
                true,
                true,
            ),
            (
                Verdict::Testing,
                &[Code::MxNotCovered, Code::ModeTesting],
                Some(Mode::Testing),
                false,
                true,
                false,
            ),
            (
                Verdict::Enforced,
                &[Code::TlsrptRuaMissing],
                Some(Mode::Enforce),
                false,
                true,
                false,
            ),
            (
                Verdict::Enforced,
                &[Code::TlsrptMissing],
                Some(Mode::Enforce),
                false,
                false,
                false,
            ),
            (
                Verdict::Broken,
                &[Code::MxTlsNameMismatch],
                Some(Mode::Enforce),
                true,
                true,
                true,
            ),
            (
                Verdict::Testing,
                &[Code::MxTlsNameMismatch],
                Some(Mode::Testing),
                true,
                true,
                false,
            ),
        ];
        for (i, (verdict, codes, mode, tls_refused, mis, risk)) in cases.iter().enumerate() {
            let mut r = report("example.com", *verdict, codes, *mode);
            // Under testing an uncovered MX is a warning in the real report.
            if *verdict == Verdict::Testing {
                for f in r
                    .findings
                    .iter_mut()
                    .filter(|f| f.code == Code::MxNotCovered)
                {
                    f.severity = Severity::Warning;
                }
            }
            if *tls_refused {
                r.mx_tls.push(MxTlsRow {
                    host: "mx.example.com".into(),
                    address: "192.0.2.1".into(),
                    status: Status::Invalid,
                    codes: vec![Code::MxTlsNameMismatch],
                });
            }
            let c = categorise(&r);
            assert_eq!(c.misconfigured, *mis, "case {i} misconfigured");
            assert_eq!(c.delivery_at_risk, *risk, "case {i} at risk");
        }
    }

    #[test]
    fn the_tally_counts_verdicts_codes_and_categories() {
        let mut t = Tally::new();
        let a = report("a.example", Verdict::Enforced, &[], Some(Mode::Enforce));
        let b = report(
            "b.example",
            Verdict::Broken,
            &[Code::MxNotCovered, Code::MxNotCovered, Code::TlsrptMissing],
            Some(Mode::Enforce),
        );
        let c = report(
            "c.example",
            Verdict::Broken,
            &[Code::PolicyHttpStatus, Code::TlsrptMissing],
            None,
        );
        let d = report(
            "d.example",
            Verdict::NotConfigured,
            &[Code::TxtMissing],
            None,
        );
        let inv = Invalid {
            input: "x".into(),
            line: 9,
            message: "m".into(),
        };
        for r in [&a, &b, &c, &d] {
            t.add(&Outcome::Checked(r));
        }
        t.add(&Outcome::Invalid(&inv));
        t.duplicate();
        assert_eq!(t.checked(), 4);
        assert_eq!(t.written(), 5);
        assert_eq!(t.verdict(Verdict::Broken), 2);
        assert_eq!(t.published, 3);
        assert_eq!(t.misconfigured, 2);
        assert_eq!(t.delivery_at_risk, 1);
        assert_eq!(
            t.top_codes(2),
            vec![("tlsrpt-missing", 2), ("mx-not-covered", 1)]
        );
        assert!(!t.all_enforced());
        let s = t.summary(2000, false);
        assert!(
            s.starts_with(
                "checked 4 domains in 2.0 s (2.5/s); 1 invalid names, 1 duplicates skipped\n"
            ),
            "{s}"
        );
        assert!(
            s.contains("verdicts: enforced 1, testing 0, none 0, not-configured 1, broken 2"),
            "{s}"
        );
        assert!(
            s.contains("misconfigured: 2 of 3 with MTA-STS (66.7 %)"),
            "{s}"
        );
        assert!(
            s.contains("delivery at risk: 1 of 3 with MTA-STS (33.3 %)"),
            "{s}"
        );
        assert!(s.contains("most frequent codes: tlsrpt-missing 2, mx-not-covered 1, policy-http-status 1, txt-missing 1"), "{s}");
        assert!(t
            .summary(0, true)
            .starts_with("interrupted after 4 domains"));
    }

    #[test]
    fn not_checked_lines_say_why() {
        let inv = Invalid {
            input: "not a domain".into(),
            line: 2,
            message: "why".into(),
        };
        let j = serde_json::to_value(NotChecked::of(&Outcome::Invalid(&inv))).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"domain": "not a domain", "verdict": "invalid-name", "line": 2,
                               "error": {"code": "domain-invalid", "message": "why"}})
        );
        let r = report("a.example", Verdict::Enforced, &[], None);
        assert!(NotChecked::of(&Outcome::Checked(&r)).is_none());
    }
}
