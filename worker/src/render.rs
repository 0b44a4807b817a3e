//! Human-readable output for the terminal.

use mtasts::sts::generate::Generated;
use mtasts::sts::hosting::{self, Recipe};
use mtasts::sts::lint::{Kind, Lint};
use mtasts::sts::lookup::{DnsStatus, Lookup};
use mtasts::sts::prose::Span;
use mtasts::sts::rollout::{Plan, When};
use mtasts::sts::{Finding, Severity};

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// One finding as an indented block.
pub fn finding(f: &Finding, color: bool) -> String {
    let (label, c) = match f.severity {
        Severity::Error => ("error", "31;1"),
        Severity::Warning => ("warning", "33;1"),
        Severity::Info => ("info", "36"),
    };
    let mut out = format!(
        "{:<8} {}",
        paint(label, c, color),
        paint(f.code.as_str(), "1", color)
    );
    if let Some(p) = f.position {
        out.push_str(&format!("  (line {}, column {})", p.line, p.column));
    }
    out.push('\n');
    out.push_str(&format!("         {}\n", f.message));
    out.push_str(&format!("         fix: {}\n", f.fix));
    if let Some(c) = &f.corrected {
        for (i, line) in c.lines().enumerate() {
            let lead = if i == 0 { "corrected:" } else { "          " };
            out.push_str(&format!("         {lead} {line}\n"));
        }
    }
    out.push_str(&format!("         {}\n", f.rfc));
    if let Some(s) = &f.senders {
        out.push_str(&format!("         senders: {s}\n"));
    }
    out
}

pub fn lint(kind: Kind, result: &Lint, color: bool) -> String {
    let what = match kind {
        Kind::Txt => "_mta-sts TXT record",
        Kind::Policy => "policy",
        Kind::Tlsrpt => "_smtp._tls TXT record",
    };
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    let verdict = if result.valid {
        paint("valid", "32;1", color)
    } else {
        paint("invalid", "31;1", color)
    };
    let mut out = format!(
        "{what}: {verdict} ({} errors, {} warnings, {} notes)\n",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    for f in &result.findings {
        out.push('\n');
        out.push_str(&finding(f, color));
    }
    out
}

pub fn generated(g: &Generated) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Policy file: serve at {} as text/plain\n",
        g.policy_url
    ));
    out.push_str(&g.policy.replace("\r\n", "\n"));
    out.push_str(&format!("\n# TXT _mta-sts.{}\n{}\n", g.domain, g.sts_txt));
    out.push_str(&format!(
        "\n# TXT _smtp._tls.{}\n{}\n",
        g.domain, g.tlsrpt_txt
    ));
    out.push_str(&format!("\n# Zone file lines\n{}", g.zone));
    for s in &g.suggestions {
        out.push_str(&format!(
            "\n# {} ({}) is covered by {}",
            s.host, s.provider, s.pattern
        ));
    }
    if !g.suggestions.is_empty() {
        out.push('\n');
    }
    out
}

/// A sentence of the core's advice: code in backticks, a domain to check
/// again with the command that checks it.
fn prose(text: &[Span]) -> String {
    let mut out = String::new();
    for s in text {
        match s {
            Span::Text(t) | Span::Date(t) => out.push_str(t),
            Span::Code(c) => out.push_str(&format!("`{c}`")),
            Span::Check(d) => out.push_str(&format!("{d} (`mtasts check {d}`)")),
        }
    }
    out
}

/// How to serve the policy on one host: what every host needs, the files,
/// then the traps.
pub fn recipe(domain: &str, r: &Recipe) -> String {
    let mut out = format!(
        "\n# Hosting on {}\n# {}\n",
        r.title,
        prose(&hosting::requirements(domain))
    );
    for f in &r.files {
        out.push_str(&format!("\n## {}\n", f.name));
        if f.content.is_empty() {
            out.push_str("(empty file)\n");
        } else {
            out.push_str(&f.content.replace("\r\n", "\n"));
            if !f.content.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out.push_str("\n# Traps\n");
    for n in &r.notes {
        out.push_str(&format!("- {n}\n"));
    }
    out
}

/// The dated rollout, change and teardown steps, numbered as on the page.
pub fn plan(p: &Plan) -> String {
    let mut out = String::from("\n# Rollout plan\n");
    for (i, step) in p.steps.iter().enumerate() {
        let when = match &step.when {
            Some(When::On { date }) => format!("{date}: "),
            Some(When::Between { from, to }) => format!("{from} to {to}: "),
            Some(When::From { date }) => format!("From {date}: "),
            None => String::new(),
        };
        out.push_str(&format!("{}. {when}{}\n", i + 1, prose(&step.text)));
    }
    out
}

/// A whole report: verdict first, then findings with fixes, then the MX
/// coverage table and the raw records.
pub fn report(r: &mtasts::sts::report::Report, color: bool) -> String {
    use mtasts::sts::report::Verdict;
    let (word, c) = match r.verdict {
        Verdict::Enforced => ("ENFORCED", "32;1"),
        Verdict::Testing => ("TESTING", "33;1"),
        Verdict::None => ("NONE (teardown)", "33;1"),
        Verdict::NotConfigured => ("NOT CONFIGURED", "31;1"),
        Verdict::Broken => ("BROKEN", "31;1"),
    };
    let mut out = format!("{}: {}\n{}\n", r.domain, paint(word, c, color), r.summary);
    if !r.findings.is_empty() {
        out.push_str(&format!("\n{}\n", paint("Findings", "1", color)));
        for f in &r.findings {
            out.push('\n');
            out.push_str(&finding(f, color));
        }
    }
    out.push_str(&senders(r, color));
    if !r.mx_coverage.is_empty() {
        out.push_str(&format!("\n{}\n", paint("MX coverage", "1", color)));
        let width = r
            .mx_coverage
            .iter()
            .map(|c| c.host.len())
            .max()
            .unwrap_or(0);
        for row in &r.mx_coverage {
            let covered = match &row.pattern {
                Some(p) => paint(&format!("covered by {p}"), "32", color),
                None => paint("NOT COVERED", "31;1", color),
            };
            out.push_str(&format!(
                "  {:>5}  {:<width$}  {covered}\n",
                row.preference, row.host
            ));
        }
    }
    out.push_str(&mx_tls(r, color));
    let o = &r.observations;
    out.push_str(&format!("\n{}\n", paint("Records", "1", color)));
    // An empty answer says why: no such name, no records, or no answer.
    let list = |l: &Lookup<String>| {
        if !l.records.is_empty() {
            return l.records.join(" | ");
        }
        match l.status {
            DnsStatus::NxDomain => "(none: the name does not exist)".to_string(),
            DnsStatus::NoData | DnsStatus::Ok => "(none: no TXT records)".to_string(),
            DnsStatus::Skipped => "(not looked up)".to_string(),
            other => format!(
                "(lookup failed: {})",
                l.detail.clone().unwrap_or_else(|| format!("{other:?}"))
            ),
        }
    };
    out.push_str(&format!(
        "  _mta-sts.{}  TXT  {}\n",
        r.domain,
        list(&o.sts_txt)
    ));
    out.push_str(&format!(
        "  _smtp._tls.{}  TXT  {}\n",
        r.domain,
        list(&o.tlsrpt_txt)
    ));
    if let Some(p) = &o.policy {
        let status = p
            .status
            .map(|s| s.to_string())
            .or_else(|| p.error.as_ref().map(|e| format!("{:?}", e.class)))
            .unwrap_or_default();
        out.push_str(&format!("  {}  {status}\n", p.url));
        for (k, v) in &p.headers {
            out.push_str(&format!("    {k}: {v}\n"));
        }
    }
    out
}

/// The MX TLS table: one line per probed address, as an enforcing sender
/// judges it, with the session and the certificate's names, issuer and end.
fn mx_tls(r: &mtasts::sts::report::Report, color: bool) -> String {
    use mtasts::sts::mx_tls::{day, Status};
    if r.mx_tls.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n{}\n",
        paint("MX TLS (SMTP STARTTLS on port 25)", "1", color)
    );
    let host_w = r.mx_tls.iter().map(|x| x.host.len()).max().unwrap_or(0);
    let addr_w = r.mx_tls.iter().map(|x| x.address.len()).max().unwrap_or(0);
    // Rows come from the probes in the same order.
    for (row, p) in r.mx_tls.iter().zip(&r.observations.mx_tls) {
        let status = match row.status {
            Status::Valid => paint("valid  ", "32", color),
            Status::Invalid => paint("INVALID", "31;1", color),
            Status::Unknown => paint("unknown", "33", color),
        };
        let mut what = Vec::new();
        if let Some(t) = &p.tls {
            what.push(t.version.clone());
        } else if p.starttls == Some(false) {
            what.push("no STARTTLS".to_string());
        }
        if let Some(leaf) = p.chain.first() {
            let shown: Vec<&str> = leaf.names.iter().take(3).map(String::as_str).collect();
            let more = leaf.names.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            what.push(format!("for {}{more}", shown.join(", ")));
            what.push(format!("by {}", leaf.issuer));
            what.push(format!("until {}", day(leaf.not_after)));
        }
        if let Some(e) = &p.error {
            what.push(e.message.clone());
        }
        let codes: Vec<&str> = row.codes.iter().map(|c| c.as_str()).collect();
        if !codes.is_empty() {
            what.push(format!("[{}]", codes.join(", ")));
        }
        out.push_str(&format!(
            "  {:<host_w$}  {:<addr_w$}  {status}  {}  ({} ms)\n",
            row.host,
            row.address,
            what.join("; "),
            p.elapsed_ms
        ));
    }
    out
}
/// How each modelled sender reads the domain, the RFC reading first; the
/// sources of the readings that differ below the table.
fn senders(r: &mtasts::sts::report::Report, color: bool) -> String {
    if r.by_sender.is_empty() {
        return String::new();
    }
    let rfc = "RFC 8461";
    let width = r
        .by_sender
        .iter()
        .map(|s| s.sender.len())
        .chain([rfc.len()])
        .max()
        .unwrap_or(0);
    let mut out = format!("\n{}\n", paint("How senders read it", "1", color));
    out.push_str(&format!("  {rfc:<width$}  {}\n", r.verdict.as_str()));
    for s in &r.by_sender {
        let verdict = format!("{:<14}", s.verdict.as_str());
        let verdict = if s.verdict == r.verdict {
            verdict
        } else {
            paint(&verdict, "33;1", color)
        };
        let because: Vec<&str> = s.because.iter().map(|c| c.as_str()).collect();
        out.push_str(
            format!("  {:<width$}  {verdict}  {}", s.sender, because.join(", ")).trim_end(),
        );
        out.push('\n');
    }
    for s in r.by_sender.iter().filter(|s| !s.because.is_empty()) {
        out.push_str(&format!("  {}: {}\n", s.sender, s.source));
    }
    out
}

#[cfg(test)]
mod tests {
    use mtasts::sts::mx::MxHost;
    use mtasts::sts::report::{build, Body, Fetch, Lookup, Observations};

    #[test]
    fn the_report_lists_each_sender_and_the_source_of_each_difference() {
        let r = build(Observations {
            domain: "example.com".into(),
            sts_txt: Lookup::ok(vec!["v=STSv1; id=1".into()]),
            policy: Some(Fetch {
                status: Some(200),
                headers: vec![("content-type".into(), "application/octet-stream".into())],
                body: Some(Body(
                    b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 604800\r\n"
                        .to_vec(),
                )),
                ..Fetch::default()
            }),
            mx: Lookup::ok(vec![MxHost {
                preference: 10,
                host: "mx.example.com".into(),
            }]),
            ..Observations::default()
        });
        let text = super::report(&r, false);
        let table: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "How senders read it")
            .take(12)
            .collect();
        assert_eq!(
            table[1].split_whitespace().collect::<Vec<_>>(),
            ["RFC", "8461", "enforced"]
        );
        assert!(
            table.contains(
                &"  Postfix + postfix-mta-sts-resolver  broken          policy-content-type"
            ),
            "{text}"
        );
        assert!(
            table.contains(&"  Gmail                               enforced"),
            "{text}"
        );
        assert!(
            table
                .iter()
                .any(|l| l.starts_with("  maddy (go-mtasts): foxcpp/go-mtasts cache.go@")),
            "{text}"
        );
    }

    #[test]
    fn the_records_table_says_why_a_record_is_missing() {
        use mtasts::sts::lookup::DnsStatus;
        let mut sts_txt = Lookup::status(DnsStatus::ServFail);
        sts_txt.detail = Some("SERVFAIL".to_string());
        let r = build(Observations {
            domain: "example.com".into(),
            sts_txt,
            tlsrpt_txt: Lookup::status(DnsStatus::NxDomain),
            ..Observations::default()
        });
        let text = super::report(&r, false);
        let line = |name: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(name))
                .unwrap_or_default()
                .to_string()
        };
        assert!(
            line("_mta-sts.").contains("lookup failed: SERVFAIL"),
            "{text}"
        );
        assert!(line("_smtp._tls.").contains("does not exist"), "{text}");
    }
}
