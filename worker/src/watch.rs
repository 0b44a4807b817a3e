//! `mtasts watch`: check domains, compare with the saved state
//! ([`mtasts::sts::watch`] decides what is an alert), save the new state
//! atomically, print the alerts and, when asked, POST them to a webhook.
//! One pass by default, for cron; `--every` repeats until interrupted.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use mtasts::sts::bulk::{Input, Line};
use mtasts::sts::domain::{self, Domain};
use mtasts::sts::report::Report;
use mtasts::sts::watch::{self, Pass, Settings, State};
use mtasts::sts::Severity;
use tokio::task::JoinSet;

use crate::fetch::Fetcher;
use crate::resolve::Resolver;
use crate::smtp::Prober;

/// Exit status when an alert fired.
pub const EXIT_ALERT: u8 = 1;
/// Exit status when the state file cannot be read or written.
pub const EXIT_STATE: u8 = 3;
/// The largest state file read (about 50 000 domains).
pub const MAX_STATE_BYTES: u64 = 64 << 20;
/// Checks of one pass running at once.
const CONCURRENCY: usize = 8;
/// Webhook attempts, and the wait before the second (doubled each time).
const WEBHOOK_ATTEMPTS: u32 = 4;
const WEBHOOK_FIRST_WAIT: Duration = Duration::from_millis(500);
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The options of `mtasts watch`.
#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// The mail domains to watch.
    #[arg(required_unless_present = "file")]
    pub domains: Vec<String>,
    /// Also watch every domain listed in FILE (one a line, `#` comments).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The state file: read before the pass, replaced atomically after it
    /// (created on the first pass).
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// Repeat every INTERVAL (e.g. 30m, 6h, 1d) until interrupted; without
    /// it, one pass (for cron).
    #[arg(long, value_name = "INTERVAL", value_parser = watch::parse_every)]
    pub every: Option<u64>,
    /// Print each pass as JSON.
    #[arg(long)]
    pub json: bool,
    /// POST each pass that raised an alert, as JSON, to this URL (retried
    /// with back-off; the state is saved first).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Alert on certificates that expire within this many days.
    #[arg(long, default_value_t = watch::DEFAULT_EXPIRY_DAYS)]
    pub expiry_days: u32,
}

/// Why a pass could not run.
pub enum Stop {
    /// The state file is unusable (exit [`EXIT_STATE`]).
    State(String),
    /// Anything else (exit 2).
    Usage(String),
}

/// Runs one pass, or one every `--every` until Ctrl-C.
pub async fn run(
    args: &Args,
    resolver: Resolver,
    fetcher: Fetcher,
    prober: Option<Prober>,
) -> Result<ExitCode, Stop> {
    let domains = domains(args).map_err(Stop::Usage)?;
    if let Some(url) = &args.webhook {
        match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(Stop::Usage(format!(
                    "--webhook `{url}` is not an http:// or https:// URL"
                )))
            }
        }
    }
    let settings = Settings {
        expiry_days: args.expiry_days,
    };
    let Some(every) = args.every else {
        let alerts = pass(args, &domains, settings, &resolver, &fetcher, &prober).await?;
        return Ok(if alerts > 0 {
            ExitCode::from(EXIT_ALERT)
        } else {
            ExitCode::SUCCESS
        });
    };
    // One Ctrl-C listener for the whole loop: once it is installed, a
    // signal nobody awaits would be lost. A pass cut short leaves the old
    // state or the new one (see write_state).
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let interrupted = Ok(ExitCode::from(crate::bulk::EXIT_INTERRUPTED));
    loop {
        tokio::select! {
            done = pass(args, &domains, settings, &resolver, &fetcher, &prober) => { done?; }
            _ = &mut ctrl_c => return interrupted,
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
            _ = &mut ctrl_c => return interrupted,
        }
    }
}

/// The domains named on the command line and in `--file`, each once.
fn domains(args: &Args) -> Result<Vec<Domain>, String> {
    let mut input = Input::new();
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for d in &args.domains {
        match input.read(d.as_bytes()) {
            Line::Domain(d) => out.push(d),
            Line::Invalid(_) => bad.push(format!(
                "`{d}`: {}",
                domain::normalise(d)
                    .err()
                    .map(|e| e.message)
                    .unwrap_or_default()
            )),
            _ => {}
        }
    }
    if let Some(path) = &args.file {
        let text =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut from_file = Input::new();
        for line in text.split(|b| *b == b'\n') {
            match from_file.read(line) {
                Line::Domain(d) if !out.iter().any(|o: &Domain| o.ascii == d.ascii) => out.push(d),
                Line::Invalid(i) => bad.push(format!(
                    "{} line {}: `{}`: {}",
                    path.display(),
                    i.line,
                    i.input,
                    i.message
                )),
                _ => {}
            }
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "not domain names (fix or remove them):\n  {}",
            bad.join("\n  ")
        ));
    }
    if out.is_empty() {
        return Err("no domain to watch; name some, or give --file".into());
    }
    Ok(out)
}

/// One pass: check, compare, save, tell. Returns the number of alerts.
async fn pass(
    args: &Args,
    domains: &[Domain],
    settings: Settings,
    resolver: &Resolver,
    fetcher: &Fetcher,
    prober: &Option<Prober>,
) -> Result<usize, Stop> {
    // Read the state first: a bad file stops before any check.
    let mut state = read_state(&args.state).map_err(Stop::State)?;
    let reports = check_all(domains, resolver, fetcher, prober).await;
    let now = now();
    let mut pass = Pass::new(now);
    for r in &reports {
        pass.record(&mut state, r, now, settings);
    }
    write_state(&args.state, &watch::state_bytes(&state)).map_err(Stop::State)?;
    let alerts = pass.alerts().count();
    let json = serde_json::to_string_pretty(&pass).unwrap_or_default();
    if args.json {
        crate::outln!("{json}");
    } else {
        crate::out!("{}", human(&pass));
    }
    if alerts > 0 {
        if let Some(url) = &args.webhook {
            if let Err(e) = post(url, &json).await {
                eprintln!("mtasts: webhook {url}: {e} (the state is saved; the alerts are above)");
            }
        }
    }
    Ok(alerts)
}

/// Every domain checked, at most [`CONCURRENCY`] at once, in input order.
async fn check_all(
    domains: &[Domain],
    resolver: &Resolver,
    fetcher: &Fetcher,
    prober: &Option<Prober>,
) -> Vec<Report> {
    let mut slots: Vec<Option<Report>> = vec![None; domains.len()];
    let mut running: JoinSet<(usize, Report)> = JoinSet::new();
    let mut next = 0;
    while next < domains.len() || !running.is_empty() {
        while next < domains.len() && running.len() < CONCURRENCY {
            let (d, r, f, p) = (
                domains[next].clone(),
                resolver.clone(),
                fetcher.clone(),
                prober.clone(),
            );
            let i = next;
            running.spawn(async move {
                (
                    i,
                    crate::check::check_quietly(&d, &r, &f, None, p.as_ref()).await,
                )
            });
            next += 1;
        }
        if let Some(Ok((i, report))) = running.join_next().await {
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(report);
            }
        }
    }
    slots.into_iter().flatten().collect()
}

/// The saved state, or an empty one when the file does not exist yet.
pub fn read_state(path: &Path) -> Result<State, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(e) => {
            return Err(format!(
                "cannot read the state file {}: {e}",
                path.display()
            ))
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_STATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the state file {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(format!(
            "the state file {} is larger than {} MiB; split the domains over several state files",
            path.display(),
            MAX_STATE_BYTES >> 20
        ));
    }
    watch::parse_state(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Replaces the state file atomically: the bytes go to a temporary file
/// in the same directory, are flushed to disk, and the temporary file is
/// renamed over the old one, so a crash at any moment leaves either the
/// old state or the new one.
pub fn write_state(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("--state {} is not a file name", path.display()))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let fail = |what: &str, e: std::io::Error| {
        format!(
            "cannot {what} {} (the previous state is unchanged): {e}",
            tmp.display()
        )
    };
    let mut f = std::fs::File::create(&tmp).map_err(|e| fail("create", e))?;
    f.write_all(bytes).map_err(|e| fail("write", e))?;
    f.sync_all().map_err(|e| fail("flush", e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| {
        format!(
            "cannot replace {} with {}: {e}",
            path.display(),
            tmp.display()
        )
    })?;
    // The rename itself is durable once the directory is flushed.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// POSTs `json` to `url`, retrying failures and non-2xx answers with
/// doubling waits.
async fn post(url: &str, json: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(WEBHOOK_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut wait = WEBHOOK_FIRST_WAIT;
    let mut last = String::new();
    for attempt in 1..=WEBHOOK_ATTEMPTS {
        match client
            .post(url)
            .header("content-type", "application/json")
            .body(json.to_string())
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("answered {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        if attempt < WEBHOOK_ATTEMPTS {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    Err(format!("{last}, after {WEBHOOK_ATTEMPTS} attempts"))
}

/// The pass for a person: one line per domain, then its alerts.
fn human(pass: &Pass) -> String {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let paint = |s: Severity, text: &str| {
        if !color {
            return text.to_string();
        }
        let code = match s {
            Severity::Error => "31",
            Severity::Warning => "33",
            Severity::Info => "36",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    };
    let mut out = String::new();
    for d in &pass.domains {
        let was = match d.previous_verdict {
            Some(v) if v == d.verdict => " (unchanged)".to_string(),
            Some(v) => format!(" (was {})", v.as_str()),
            None => " (first check: saved as the baseline)".to_string(),
        };
        let alerts = match d.alerts.len() {
            0 => "no alert".to_string(),
            1 => "1 alert".to_string(),
            n => format!("{n} alerts"),
        };
        out.push_str(&format!(
            "{}: {}{was}, {alerts}\n",
            d.domain,
            d.verdict.as_str()
        ));
        for a in &d.alerts {
            out.push_str(&format!(
                "  {} {}: {}\n    fix: {}\n",
                paint(a.severity, a.severity.as_str()),
                a.code.as_str(),
                a.message,
                a.fix
            ));
        }
    }
    out
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
