//! `mtasts check --file`: many domains in one run. A reader thread turns
//! the list into [`mtasts::sts::bulk::Line`]s (the core decides what each
//! line is), at most `--concurrency` checks run at once, and each result is
//! written the moment it is known; the core's [`Tally`] is all that stays
//! of a finished domain. Ctrl-C stops reading and checking, and the
//! summary of what finished is still written.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mtasts::sts::bulk::{self, Input, Line, NotChecked, Outcome, Tally};
use mtasts::sts::report::Report;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::fetch::Fetcher;
use crate::resolve::Resolver;
use crate::smtp::Prober;

/// A check that has not finished after this long is written as failed: the
/// steps of a check have their own timeouts, this only bounds the sum.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(180);

/// The exit status of a run stopped by Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// The options of a run over a list of domains.
#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Check every domain listed in FILE, one a line (`-`: standard input;
    /// blank lines and `# comments` skipped, duplicates checked once).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["domain", "json", "previous_id"])]
    pub file: Option<String>,
    /// With --file: write each report as one line of JSON.
    #[arg(long, requires = "file", conflicts_with = "csv")]
    pub jsonl: bool,
    /// With --file: write one CSV row per domain (columns in the README).
    #[arg(long, requires = "file")]
    pub csv: bool,
    /// With --file: check at most this many domains at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub concurrency: u16,
    /// With --file: at most this many DNS queries per second to the
    /// resolver (0: no cap).
    #[arg(long, env = "MTASTS_RATE", default_value_t = 200)]
    pub rate: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Jsonl,
    Csv,
}

/// Checks every domain of `args.file` and writes the results to standard
/// output, the summary to standard error. Exit status: 0 when every domain
/// is enforced, 1 otherwise, 130 when interrupted.
pub async fn run(
    args: &Args,
    resolver: Resolver,
    fetcher: Fetcher,
    prober: Option<Prober>,
) -> Result<ExitCode, String> {
    let source = args.file.clone().unwrap_or_else(|| "-".into());
    let format = if args.jsonl {
        Format::Jsonl
    } else if args.csv {
        Format::Csv
    } else {
        Format::Text
    };
    let concurrency = usize::from(args.concurrency.max(1));
    let reader: Box<dyn BufRead + Send> = if source == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(&source).map_err(|e| format!("cannot read {source}: {e}"))?,
        ))
    };
    // A few lines ahead of the checks, never the whole list.
    let (tx, mut rx) = mpsc::channel::<Result<Line, String>>(concurrency * 2);
    std::thread::spawn(move || read_lines(reader, &source, tx));

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if format == Format::Csv {
        write_line(&mut out, bulk::CSV_HEADER);
    }
    let show_progress = std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut tally = Tally::new();
    let mut running: JoinSet<Result<Report, String>> = JoinSet::new();
    let mut names: HashMap<tokio::task::Id, String> = HashMap::new();
    let mut input_done = false;
    let mut read_error = None;
    let mut interrupted = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        if input_done && running.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            _ = &mut ctrl_c => {
                interrupted = true;
                break;
            }
            Some(joined) = running.join_next_with_id(), if !running.is_empty() => {
                let (id, result) = match joined {
                    Ok((id, result)) => (id, result),
                    Err(e) => (e.id(), Err(if e.is_panic() {
                        "the check stopped on an internal error".to_string()
                    } else {
                        "the check was cancelled".to_string()
                    })),
                };
                let name = names.remove(&id).unwrap_or_default();
                match &result {
                    Ok(report) => emit(&mut out, format, &mut tally, &Outcome::Checked(report)),
                    Err(message) => emit(&mut out, format, &mut tally, &Outcome::Failed { domain: &name, message }),
                }
                if show_progress {
                    progress(&tally, running.len(), start);
                }
            }
            line = rx.recv(), if !input_done && running.len() < concurrency => match line {
                None => input_done = true,
                Some(Err(e)) => {
                    read_error = Some(e);
                    input_done = true;
                }
                Some(Ok(Line::Skip)) => {}
                Some(Ok(Line::Duplicate(_))) => tally.duplicate(),
                Some(Ok(Line::Invalid(inv))) => emit(&mut out, format, &mut tally, &Outcome::Invalid(&inv)),
                Some(Ok(Line::Domain(d))) => {
                    let (r, f, p) = (resolver.clone(), fetcher.clone(), prober.clone());
                    let name = d.ascii.clone();
                    let handle = running.spawn(async move {
                        tokio::time::timeout(
                            CHECK_DEADLINE,
                            crate::check::check_quietly(&d, &r, &f, None, p.as_ref()),
                        )
                        .await
                        .map_err(|_| format!("the check did not finish within {} s", CHECK_DEADLINE.as_secs()))
                    });
                    names.insert(handle.id(), name);
                }
            },
        }
    }
    if interrupted {
        running.abort_all();
    }
    let _ = out.flush();
    drop(out);
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let elapsed = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    eprint!("{}", tally.summary(elapsed, interrupted));
    if let Some(e) = read_error {
        return Err(e);
    }
    Ok(if interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if tally.all_enforced() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes one outcome and counts it.
fn emit(out: &mut impl Write, format: Format, tally: &mut Tally, o: &Outcome<'_>) {
    tally.add(o);
    let line = match format {
        Format::Text => bulk::text_row(o),
        Format::Csv => bulk::csv_row(o),
        Format::Jsonl => {
            let json = match (o, NotChecked::of(o)) {
                (Outcome::Checked(r), _) => serde_json::to_string(r),
                (_, Some(n)) => serde_json::to_string(&n),
                (_, None) => return,
            };
            match json {
                Ok(j) => j,
                Err(e) => {
                    format!("{{\"error\":{{\"message\":\"cannot encode the report: {e}\"}}}}")
                }
            }
        }
    };
    write_line(out, &line);
}

/// One line, flushed at once so results stream (a closed pipe is ignored).
fn write_line(out: &mut impl Write, line: &str) {
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The progress line on a terminal: done, running, rate.
fn progress(tally: &Tally, running: usize, start: Instant) {
    let secs = start.elapsed().as_secs_f64().max(0.001);
    eprint!(
        "\r\x1b[K{} done, {running} running, {:.1}/s",
        tally.written(),
        tally.written() as f64 / secs
    );
}

/// Reads the list line by line into the channel (each line at most
/// [`bulk::MAX_LINE`] bytes kept, the rest skipped), the core deciding what
/// each line is. Stops when the receiver is gone.
fn read_lines(
    mut reader: Box<dyn BufRead + Send>,
    source: &str,
    tx: mpsc::Sender<Result<Line, String>>,
) {
    let mut input = Input::new();
    let mut line: Vec<u8> = Vec::with_capacity(256);
    loop {
        line.clear();
        match read_capped(&mut reader, &mut line, bulk::MAX_LINE + 1) {
            Ok(false) => return,
            Ok(true) => {
                if tx.blocking_send(Ok(input.read(&line))).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(format!(
                    "cannot read {source} after line {}: {e}",
                    input.lines()
                )));
                return;
            }
        }
    }
}

/// Reads up to the next line feed into `line`, keeping at most `cap`
/// bytes. `Ok(false)` at the end of the input.
fn read_capped(reader: &mut dyn BufRead, line: &mut Vec<u8>, cap: usize) -> std::io::Result<bool> {
    let mut any = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(any);
        }
        any = true;
        let (chunk, used, end) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = cap.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        reader.consume(used);
        if end {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::read_capped;

    #[test]
    fn lines_are_capped_and_the_rest_skipped() {
        let text = format!("a.example\n{}\nb.example", "x".repeat(100));
        let mut r = std::io::BufReader::with_capacity(8, text.as_bytes());
        let mut lines = Vec::new();
        let mut line = Vec::new();
        while read_capped(&mut r, &mut line, 10).unwrap() {
            lines.push(String::from_utf8(std::mem::take(&mut line)).unwrap());
        }
        assert_eq!(lines, ["a.example", "xxxxxxxxxx", "b.example"]);
    }
}
