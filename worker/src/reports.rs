//! `mtasts reports`: reads TLS-RPT aggregate reports (RFC 8460 §4) from
//! files and folders, and prints what failed, where, since when, what to
//! fix, and whether the domain is ready to enforce. The reading, summing
//! and judging are the core's (`mtasts::sts::rua_*`); this file only walks
//! folders, reads files and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mtasts::sts::report::Report;
use mtasts::sts::rua_aggregate::{self, Aggregate, Sessions};
use mtasts::sts::rua_crosscheck::{self, CrossCheck};
use mtasts::sts::rua_input::{self, FileStatus, Reading};
use mtasts::sts::rua_ready::{self, Readiness};
use mtasts::sts::rua_report::Day;

/// Most files taken from the folders of one run.
const MAX_FILES: usize = 20_000;
/// Deepest folder nesting walked.
const MAX_DEPTH: usize = 8;

#[derive(clap::Args)]
pub struct Args {
    /// Print everything as JSON: files, reports, totals, the aggregate, the
    /// ready-to-enforce answers and the cross-check.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the breakdown rows as CSV (day, reporter, domain, policy type
    /// and version, MX host, result type, sending IP, sessions).
    #[arg(long)]
    csv: bool,
    /// Only this policy domain's reports.
    #[arg(long)]
    domain: Option<String>,
    /// The JSON of `mtasts check DOMAIN --json`, to cross-check the reports
    /// with what the domain serves now (requires --domain).
    #[arg(long, requires = "domain", conflicts_with = "check")]
    live: Option<PathBuf>,
    /// Check the domain now (as `mtasts check` does, through the resolver
    /// and fetch options below) and cross-check the reports with it
    /// (requires --domain).
    #[arg(long, requires = "domain")]
    pub check: bool,
    /// The day to judge from (YYYY-MM-DD, UTC); default: today.
    #[arg(long)]
    today: Option<String>,
    /// Report files (.json, .json.gz, .eml, .mbox) or folders of them (in
    /// folders only files named so, or without an extension, are read).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// The policy domain asked for with `--domain`, when `--check` wants a live
/// check of it.
pub fn domain_to_check(args: &Args) -> Option<&str> {
    args.domain.as_deref().filter(|_| args.check)
}

/// Reads, sums and prints. `checked` is the live report made for `--check`.
pub fn run(args: Args, now_unix: u64, checked: Option<Report>) -> Result<ExitCode, String> {
    let today = match &args.today {
        Some(t) => {
            Day::parse(t).ok_or_else(|| format!("--today `{t}` is not a date like 2024-09-15"))?
        }
        None => Day::of_unix(i64::try_from(now_unix).unwrap_or(0)),
    };
    let domain = match &args.domain {
        Some(d) => Some(
            mtasts::sts::domain::normalise(d)
                .map_err(|e| e.message)?
                .ascii,
        ),
        None => None,
    };
    let live: Option<Report> = match &args.live {
        Some(p) => {
            let bytes =
                std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            let report: Report = serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{} is not the JSON of `mtasts check DOMAIN --json`: {e}",
                    p.display()
                )
            })?;
            if Some(&report.domain) != domain.as_ref() {
                return Err(format!(
                    "{} is a check of {}, not of {}",
                    p.display(),
                    report.domain,
                    domain.as_deref().unwrap_or("")
                ));
            }
            Some(report)
        }
        None => checked,
    };

    let mut files = Vec::new();
    for p in &args.paths {
        collect(p, 0, &mut files)?;
    }
    let mut reading = Reading::new();
    for f in &files {
        let name = f.display().to_string();
        match std::fs::metadata(f) {
            Ok(m) => {
                if let Some(e) = rua_input::too_large(m.len()) {
                    reading.refuse(&name, e);
                    continue;
                }
            }
            Err(e) => {
                reading.refuse(&name, format!("cannot read it: {e}"));
                continue;
            }
        }
        match std::fs::read(f) {
            Ok(bytes) => reading.add(&name, &bytes),
            Err(e) => reading.refuse(&name, format!("cannot read it: {e}")),
        }
    }

    let (agg, ready) =
        rua_ready::judge(&reading.reports, domain.as_deref(), today, live.as_slice());
    let cross = live.as_ref().map(|l| rua_crosscheck::cross_check(&agg, l));

    if args.json {
        let v = serde_json::json!({
            "today": today,
            "files": reading.files,
            "reports": reading.reports,
            "totals": agg.totals,
            "aggregate": agg,
            "ready": ready,
            "cross_check": cross,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
        );
    } else if args.csv {
        out!("{}", rua_aggregate::rows_csv(&agg.rows));
        for f in reading
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Error)
        {
            eprintln!(
                "mtasts: {}: {}",
                f.name,
                f.error.as_deref().unwrap_or("not read")
            );
        }
    } else {
        out!("{}", render(&reading, &agg, &ready, cross.as_ref(), today));
    }
    let refused = reading.files.iter().any(|f| f.status == FileStatus::Error);
    Ok(if refused {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// In folders, only files named like reports are read (`.json`,
/// `.json.gz`, `.gz`, `.eml`, `.mbox`, or no extension as mail clients save
/// mailboxes); hidden files are left out. Files named on the command line
/// are always read.
fn looks_like_report_file(p: &Path) -> bool {
    let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    [".json", ".gz", ".eml", ".mbox"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        || !name.contains('.')
}

/// Files in the order given; a folder's files sorted by name.
fn collect(path: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if out.len() >= MAX_FILES {
        return Err(format!(
            "more than {MAX_FILES} files; read fewer folders at once"
        ));
    }
    if path.is_dir() {
        if depth >= MAX_DEPTH {
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read the folder {}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir() || looks_like_report_file(p))
            .collect();
        entries.sort();
        for e in entries {
            collect(&e, depth + 1, out)?;
        }
    } else {
        // A missing file is reported by the reading, with the others.
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn sessions(s: &Sessions) -> String {
    match s.success_percent() {
        Some(p) => format!(
            "{} successful, {} failed ({p:.1}% successful)",
            s.successful, s.failed
        ),
        None => "no sessions".to_string(),
    }
}

fn range(first: Option<Day>, last: Option<Day>) -> String {
    match (first, last) {
        (Some(f), Some(l)) if f == l => f.to_string(),
        (Some(f), Some(l)) => format!("{f} to {l}"),
        _ => "undated".to_string(),
    }
}

fn render(
    reading: &Reading,
    agg: &Aggregate,
    ready: &[Readiness],
    cross: Option<&CrossCheck>,
    today: Day,
) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let refused = reading
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Error)
        .count();
    let _ = writeln!(
        o,
        "Read {} file{}: {} fine, {refused} with errors; {} report{} counted{}.",
        reading.files.len(),
        if reading.files.len() == 1 { "" } else { "s" },
        reading.files.len() - refused,
        agg.reports,
        if agg.reports == 1 { "" } else { "s" },
        if agg.duplicates.is_empty() {
            String::new()
        } else {
            format!(" ({} read twice and counted once)", agg.duplicates.len())
        }
    );
    for f in &reading.files {
        for e in &f.errors {
            let _ = writeln!(o, "  error: {}: {e}", f.name);
        }
        for s in &f.skipped {
            let _ = writeln!(o, "  skipped: {s}");
        }
    }
    let _ = writeln!(o, "\nSessions: {}", sessions(&agg.totals));

    if !agg.days.is_empty() {
        let _ = writeln!(o, "\nPer day:");
        for d in &agg.days {
            let _ = writeln!(o, "  {}  {}", d.day, sessions(&d.sessions));
        }
    }
    if !agg.reporters.is_empty() {
        let _ = writeln!(o, "\nPer reporter:");
        for r in &agg.reporters {
            let _ = writeln!(
                o,
                "  {}: {} report{}, {}; {}",
                r.reporter,
                r.reports,
                if r.reports == 1 { "" } else { "s" },
                range(r.first_day, r.last_day),
                sessions(&r.sessions)
            );
        }
    }
    if !agg.policies.is_empty() {
        let _ = writeln!(o, "\nPolicies as reporters applied them:");
        for p in &agg.policies {
            let what = match (&p.mode, p.mx.is_empty()) {
                (Some(m), false) => format!("mode {m}; mx {}", p.mx.join(", ")),
                (Some(m), true) => format!("mode {m}"),
                _ if p.version == "unknown" => "no policy-string".to_string(),
                _ => format!(
                    "{} line{}",
                    p.policy_string.len(),
                    if p.policy_string.len() == 1 { "" } else { "s" }
                ),
            };
            let _ = writeln!(
                o,
                "  {} {} version {}: {what}; by {}; {}; {}",
                p.policy_domain.as_deref().unwrap_or("(no domain)"),
                p.policy_type.as_str(),
                p.version,
                p.reporters.join(", "),
                range(p.first_day, p.last_day),
                sessions(&p.sessions)
            );
        }
    }
    if agg.result_types.is_empty() {
        let _ = writeln!(o, "\nNo failure details.");
    } else {
        let _ = writeln!(o, "\nFailures by result type:");
        for t in &agg.result_types {
            let e = &t.explanation;
            let _ = writeln!(
                o,
                "  {} ({} session{}): {}",
                e.result_type,
                t.failed,
                if t.failed == 1 { "" } else { "s" },
                e.title
            );
            let _ = writeln!(o, "    what: {}", e.explanation);
            let _ = writeln!(o, "    fix:  {}", e.fix);
            let _ = writeln!(
                o,
                "    seen: {} by {}{}; {}",
                range(t.first_day, t.last_day),
                t.reporters.join(", "),
                if t.mx_hosts.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", t.mx_hosts.join(", "))
                },
                e.rfc
            );
            for r in &t.reasons {
                let _ = writeln!(o, "    reporter said: {r}");
            }
        }
        let _ = writeln!(o, "\nFailures by MX host:");
        for m in &agg.mx_hosts {
            let by: Vec<String> = m
                .result_types
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect();
            let _ = writeln!(o, "  {}: {} ({})", m.mx_host, m.failed, by.join(", "));
        }
        if !agg.sending_ips.is_empty() {
            let _ = writeln!(o, "\nFailures by sending IP:");
            for i in agg.sending_ips.iter().take(10) {
                let _ = writeln!(o, "  {}: {}", i.sending_ip, i.failed);
            }
            if agg.sending_ips.len() > 10 {
                let _ = writeln!(o, "  ... {} more (see --csv)", agg.sending_ips.len() - 10);
            }
        }
    }
    if !agg.notes.is_empty() {
        let _ = writeln!(
            o,
            "\nHow the reports depart from RFC 8460 §4.4 (read anyway):"
        );
        for n in &agg.notes {
            let _ = writeln!(
                o,
                "  {} ({}, {} report{}): {}",
                n.code,
                n.severity.as_str(),
                n.reports,
                if n.reports == 1 { "" } else { "s" },
                n.what
            );
        }
    }
    if let Some(x) = cross {
        let _ = writeln!(o, "\nAgainst the live check of {}:", x.domain);
        for line in x.lines() {
            let _ = writeln!(o, "  {line}");
        }
    }
    let _ = writeln!(o, "\nReady to enforce? (judged on {today})");
    if ready.is_empty() {
        let _ = writeln!(o, "  No report names a policy domain.");
    }
    for r in ready {
        let _ = writeln!(o, "  {}", r.answer);
        for x in &r.reasons {
            let _ = writeln!(o, "    [{}] {}", if x.met { "x" } else { " " }, x.message);
        }
    }
    let _ = writeln!(o, "  Rule: {}", rua_ready::RULE);
    o
}
