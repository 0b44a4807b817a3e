//! The Reports view: TLS-RPT aggregate reports (RFC 8460 §4) that senders
//! mail to the domain's `rua`, read in this page. Files are picked or
//! dropped, read with the File API and handed to the core
//! (`sts::rua_input`, `rua_aggregate`, `rua_ready`); nothing is uploaded,
//! and nothing of the reports goes into the address or the browser's
//! storage. A policy domain can be cross-checked with a live check
//! (`rua_crosscheck`), the Checker's own, and only on the user's request:
//! that sends the domain name, never the reports.
//!
//! This view is its own Wasm module (the `mtasts-reports` binary, loaded
//! when the view first opens), so the JSON and gzip code stays out of the
//! app's first load.

use std::fmt::Write as _;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::sts::report::Report;
use crate::sts::rua_aggregate::{self, Aggregate, Sessions};
use crate::sts::rua_crosscheck::{self, CrossCheck};
use crate::sts::rua_input::{self, FileStatus, Reading};
use crate::sts::rua_ready::{self, Readiness};
use crate::sts::rua_report::Day;

use super::checker::{self, Outcome, Run};
use super::html::{esc, table};
use super::storage;
use super::widgets::Raw;

/// What the page shows for one reading: the aggregate (of the chosen
/// policy domain, or of all), the domains the reports name, the
/// "ready to enforce?" answers, and the cross-checks with the live checks
/// asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub agg: Aggregate,
    /// Every policy domain the reports name, for the domain field.
    pub domains: Vec<String>,
    /// The domain the summary is of; `None` for all.
    pub domain: Option<String>,
    pub ready: Vec<Readiness>,
    /// One per live check made of a domain the reports name.
    pub cross: Vec<CrossCheck>,
    pub today: Day,
}

/// Sums `reading` for `domain` (ignored unless the reports name it), and
/// judges each domain shown against [`rua_ready::RULE`] on `today` with
/// its live check in `live`, if any, and cross-checks each domain checked
/// live, as `mtasts reports [--domain D --check]` does.
pub fn summarise(reading: &Reading, domain: Option<&str>, today: Day, live: &[Report]) -> Summary {
    let all = rua_aggregate::aggregate(&reading.reports, None);
    let domains: Vec<String> = all
        .domains
        .iter()
        .filter_map(|d| d.policy_domain.clone())
        .collect();
    let domain = domain
        .and_then(|d| domains.iter().find(|s| s.eq_ignore_ascii_case(d)))
        .cloned();
    let (agg, ready) = rua_ready::judge(&reading.reports, domain.as_deref(), today, live);
    let cross = live
        .iter()
        .filter(|l| {
            domains
                .iter()
                .any(|d| d.trim_end_matches('.').eq_ignore_ascii_case(&l.domain))
        })
        .map(|l| {
            let one = rua_aggregate::aggregate(&reading.reports, Some(&l.domain));
            rua_crosscheck::cross_check(&one, l)
        })
        .collect();
    Summary {
        agg,
        domains,
        domain,
        ready,
        cross,
        today,
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn percent(s: &Sessions) -> String {
    s.success_percent()
        .map(|p| format!("{p:.1}%"))
        .unwrap_or_else(|| "–".to_string())
}

fn range(first: Option<Day>, last: Option<Day>) -> String {
    match (first, last) {
        (Some(f), Some(l)) if f == l => f.to_string(),
        (Some(f), Some(l)) => format!("{f} to {l}"),
        _ => "undated".to_string(),
    }
}

/// One line per file that could not be read (or not all of it), and what
/// was skipped: the reason in words, the others still counted.
pub fn files_html(reading: &Reading) -> String {
    let mut o = String::new();
    let refused: Vec<_> = reading
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Error)
        .collect();
    if !refused.is_empty() {
        let _ = write!(
            o,
            "<div class=\"error-view\" id=\"rua-refused\"><h2>{} not read</h2><ul>",
            plural(refused.len() as u64, "file", "files")
        );
        for f in refused {
            for e in &f.errors {
                let _ = write!(o, "<li><strong>{}</strong>: {}</li>", esc(&f.name), esc(e));
            }
        }
        o.push_str("</ul><p>The other files were read; their reports are below.</p></div>");
    }
    let skipped: Vec<&String> = reading.files.iter().flat_map(|f| &f.skipped).collect();
    if !skipped.is_empty() {
        o.push_str("<details class=\"senders\"><summary>Skipped, not errors</summary><ul>");
        for s in skipped {
            let _ = write!(o, "<li>{}</li>", esc(s));
        }
        o.push_str("</ul></details>");
    }
    o
}

/// Sessions per day as stacked bars (successful under failed), one bar per
/// day with reports; each bar's title gives its numbers, and the table
/// after it holds the same for screen readers.
fn day_chart(days: &[rua_aggregate::DayTotal]) -> String {
    let max = days
        .iter()
        .map(|d| d.sessions.total())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let width = days.len() * 10;
    let mut o = format!(
        "<svg id=\"rua-chart\" viewBox=\"0 0 {width} 100\" preserveAspectRatio=\"none\" width=\"100%\" height=\"120\" role=\"img\" aria-label=\"Sessions per day: successful in green, failed in red\">"
    );
    for (i, d) in days.iter().enumerate() {
        let ok = d.sessions.successful as f64 / max * 100.0;
        let bad = d.sessions.failed as f64 / max * 100.0;
        let x = i * 10 + 1;
        let _ = write!(
            o,
            "<g><title>{}: {} successful, {} failed</title>\
             <rect x=\"{x}\" y=\"{:.2}\" width=\"8\" height=\"{ok:.2}\" style=\"fill:var(--ok)\"/>\
             <rect x=\"{x}\" y=\"{:.2}\" width=\"8\" height=\"{bad:.2}\" style=\"fill:var(--err)\"/></g>",
            d.day,
            d.sessions.successful,
            d.sessions.failed,
            100.0 - ok,
            100.0 - ok - bad,
        );
    }
    o.push_str("</svg>");
    o
}

/// The read-only part of the view: totals, per day, per reporter, the
/// policies applied, failures by result type (with the core's explanation
/// and fix), by MX host and sending IP, and deviations.
pub fn summary_html(reading: &Reading, s: &Summary) -> String {
    let agg = &s.agg;
    let mut o = String::new();
    let refused = reading
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Error)
        .count();
    let files = reading.files.len();
    let _ = write!(
        o,
        "<h2 id=\"rua-totals\">Totals{}</h2><p id=\"rua-read\">Read {}: {} fine, {refused} with errors; {} counted{}.</p>",
        s.domain
            .as_deref()
            .map(|d| format!(" for {}", esc(d)))
            .unwrap_or_default(),
        plural(files as u64, "file", "files"),
        files - refused,
        plural(agg.reports as u64, "report", "reports"),
        if agg.duplicates.is_empty() {
            String::new()
        } else {
            format!(
                " ({} read twice and counted once)",
                agg.duplicates.len()
            )
        }
    );
    let t = &agg.totals;
    let _ = write!(
        o,
        "<p id=\"rua-sessions\" class=\"verdict {}\"><strong>{}</strong> successful, <strong>{}</strong> failed ({} successful)</p>",
        if t.failed == 0 { "enforced" } else { "testing" },
        t.successful,
        t.failed,
        percent(t)
    );

    if !agg.days.is_empty() {
        o.push_str("<h2>Per day</h2>");
        o.push_str(&day_chart(&agg.days));
        let rows: Vec<Vec<String>> = agg
            .days
            .iter()
            .map(|d| {
                vec![
                    d.day.to_string(),
                    d.sessions.successful.to_string(),
                    d.sessions.failed.to_string(),
                    percent(&d.sessions),
                ]
            })
            .collect();
        o.push_str(&table(
            "Sessions per day",
            &["Day (UTC)", "Successful", "Failed", "Success"],
            &rows,
        ));
    }
    if !agg.reporters.is_empty() {
        o.push_str("<h2>Per reporter</h2>");
        let rows: Vec<Vec<String>> = agg
            .reporters
            .iter()
            .map(|r| {
                vec![
                    esc(&r.reporter),
                    r.reports.to_string(),
                    range(r.first_day, r.last_day),
                    r.sessions.successful.to_string(),
                    r.sessions.failed.to_string(),
                    percent(&r.sessions),
                ]
            })
            .collect();
        o.push_str(&table(
            "Sessions per reporter",
            &[
                "Reporter",
                "Reports",
                "Days",
                "Successful",
                "Failed",
                "Success",
            ],
            &rows,
        ));
    }
    if !agg.policies.is_empty() {
        o.push_str("<h2>Policies as senders applied them</h2>");
        let rows: Vec<Vec<String>> = agg
            .policies
            .iter()
            .map(|p| {
                let what = match (&p.mode, p.mx.is_empty()) {
                    (Some(m), false) => format!("mode {}; mx {}", esc(m), esc(&p.mx.join(", "))),
                    (Some(m), true) => format!("mode {}", esc(m)),
                    _ if p.version == "unknown" => "no policy-string".to_string(),
                    _ => plural(p.policy_string.len() as u64, "line", "lines"),
                };
                vec![
                    esc(p.policy_domain.as_deref().unwrap_or("(no domain)")),
                    esc(p.policy_type.as_str()),
                    esc(&p.version),
                    what,
                    esc(&p.reporters.join(", ")),
                    range(p.first_day, p.last_day),
                    format!("{} / {}", p.sessions.successful, p.sessions.failed),
                ]
            })
            .collect();
        o.push_str(&table(
            "Policies as senders applied them",
            &[
                "Domain",
                "Type",
                "Version",
                "Policy",
                "Reporters",
                "Days",
                "Successful / failed",
            ],
            &rows,
        ));
    }

    o.push_str("<h2 id=\"rua-failures\">Failures by result type</h2>");
    if agg.result_types.is_empty() {
        o.push_str("<p>No failure details: the reports list no failed session.</p>");
    } else {
        o.push_str("<div class=\"findings\">");
        for t in &agg.result_types {
            let e = &t.explanation;
            let _ = write!(
                o,
                "<div class=\"finding sev-error\"><h3><code>{}</code> <span class=\"badge\">{}</span> {}</h3>\
                 <p>{}</p><p><strong>Fix:</strong> {}</p><p class=\"rfc\">Seen {} by {}{}; {}</p>",
                esc(&e.result_type),
                plural(t.failed, "session", "sessions"),
                esc(&e.title),
                esc(&e.explanation),
                esc(&e.fix),
                range(t.first_day, t.last_day),
                esc(&t.reporters.join(", ")),
                if t.mx_hosts.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", esc(&t.mx_hosts.join(", ")))
                },
                esc(e.rfc)
            );
            if !t.reasons.is_empty() {
                o.push_str("<p>Reporters said:</p><ul>");
                for r in &t.reasons {
                    let _ = write!(o, "<li><code>{}</code></li>", esc(r));
                }
                o.push_str("</ul>");
            }
            o.push_str("</div>");
        }
        o.push_str("</div>");
        if !agg.mx_hosts.is_empty() {
            o.push_str("<h2>Failures by MX host</h2>");
            let rows: Vec<Vec<String>> = agg
                .mx_hosts
                .iter()
                .map(|m| {
                    let by: Vec<String> = m
                        .result_types
                        .iter()
                        .map(|(t, n)| format!("{} {n}", esc(t)))
                        .collect();
                    vec![esc(&m.mx_host), m.failed.to_string(), by.join(", ")]
                })
                .collect();
            o.push_str(&table(
                "Failed sessions per MX host",
                &["MX host", "Failed", "Result types"],
                &rows,
            ));
        }
        if !agg.sending_ips.is_empty() {
            o.push_str("<h2>Failures by sending IP</h2>");
            let rows: Vec<Vec<String>> = agg
                .sending_ips
                .iter()
                .take(50)
                .map(|i| vec![esc(&i.sending_ip), i.failed.to_string()])
                .collect();
            o.push_str(&table(
                "Failed sessions per sending IP",
                &["Sending IP", "Failed"],
                &rows,
            ));
            if agg.sending_ips.len() > 50 {
                let _ = write!(
                    o,
                    "<p class=\"help\">{} more in the CSV.</p>",
                    agg.sending_ips.len() - 50
                );
            }
        }
    }

    if !agg.notes.is_empty() {
        o.push_str("<h2>How the reports depart from RFC 8460 §4.4</h2><p class=\"help\">They were read anyway.</p><div class=\"findings\">");
        for n in &agg.notes {
            let sev = n.severity.as_str();
            let _ = write!(
                o,
                "<div class=\"finding sev-{sev}\"><p><code>{}</code> <span class=\"badge\">{}</span> {}</p></div>",
                esc(n.code),
                plural(n.reports as u64, "report", "reports"),
                esc(n.what)
            );
        }
        o.push_str("</div>");
    }

    o
}

/// The "ready to enforce?" answers and the rule; a domain checked live is
/// judged with that check too.
pub fn ready_html(s: &Summary) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<h2 id=\"rua-ready\">Ready to enforce?</h2><p class=\"help\">Judged on {} (today, UTC).</p>",
        s.today
    );
    if s.ready.is_empty() {
        o.push_str("<p>No report names a policy domain.</p>");
    }
    for r in &s.ready {
        let _ = write!(
            o,
            "<div class=\"verdict {}\"><p><strong>{}</strong></p><ul class=\"steps\">",
            if r.ready { "enforced" } else { "testing" },
            esc(&r.answer)
        );
        for x in &r.reasons {
            let (class, mark) = if x.met {
                ("ok", "✓ Met")
            } else {
                ("failed", "✗ Not met")
            };
            let _ = write!(
                o,
                "<li class=\"{class}\"><span class=\"mark\">{mark}</span><span style=\"flex:1\">{}</span></li>",
                esc(&x.message)
            );
        }
        o.push_str("</ul></div>");
    }
    let _ = write!(o, "<p class=\"help\">{}</p>", esc(rua_ready::RULE));
    o
}

/// One domain's cross-check in the words `mtasts reports --check` prints.
pub fn cross_html(x: &CrossCheck) -> String {
    let mut o = format!(
        "<h3>Against the live check of {}</h3><ul class=\"rua-cross\">",
        esc(&x.domain)
    );
    for line in x.lines() {
        let _ = write!(o, "<li>{}</li>", esc(&line));
    }
    o.push_str("</ul>");
    o
}

/// The JSON export: the fields of `mtasts reports --json`; `cross_check`
/// is that of the domain chosen (as with `--domain D --check`), and
/// `cross_checks` holds every cross-check made.
pub fn export_json(reading: &Reading, s: &Summary) -> String {
    let chosen = s.domain.as_deref().and_then(|d| {
        s.cross
            .iter()
            .find(|x| x.domain.eq_ignore_ascii_case(d.trim_end_matches('.')))
    });
    let v = serde_json::json!({
        "today": s.today,
        "files": reading.files,
        "reports": reading.reports,
        "totals": s.agg.totals,
        "aggregate": s.agg,
        "ready": s.ready,
        "cross_check": chosen,
        "cross_checks": s.cross,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// The report of a live check that finished with the policy fetched
/// through the proxy (a check the proxy could not make is no cross-check).
fn live_report(run: &Run) -> Option<Report> {
    run.outcome.with(|o| match o {
        Some(Outcome::Done {
            report,
            proxy: None,
            ..
        }) => Some((**report).clone()),
        _ => None,
    })
}

/// What one live check shows once it has ended: its verdict and the
/// cross-check, or why there is none.
pub fn live_html(outcome: &Outcome, cross: Option<&CrossCheck>) -> String {
    // Not a link: loading `?view=settings` would drop the reports read;
    // the menu's Settings keeps them.
    let settings = "Settings (in the menu above; the reports read stay here)";
    match outcome {
        Outcome::ResolverDown {
            timeout,
            resolvers,
            detail,
        } => format!(
            "<div class=\"error-view\" role=\"alert\" data-error=\"resolver\"><h3>{}</h3>\
             <p>No DNS-over-HTTPS resolver answered ({}), so nothing was checked and there is no cross-check: {}</p>\
             <p>Check the connection, or choose other resolvers in {settings}, then press the button again.</p></div>",
            checker::resolver_title(*timeout),
            esc(&resolvers.join(", ")),
            esc(detail)
        ),
        Outcome::Done {
            proxy: Some(e), ..
        } => {
            let (title, why) = checker::proxy_words(e);
            format!(
                "<div class=\"error-view\" role=\"alert\" data-error=\"proxy\"><h3>{title}</h3><p>{why} {}</p>\
                 <p>Without the policy served now there is no cross-check. Set the proxy in {settings} (run <code>mtasts serve</code> for your own), then press the button again.</p></div>",
                esc(&format!("{} ({})", e.detail(), e.url()))
            )
        }
        Outcome::Done {
            report,
            dns_partial,
            ..
        } => {
            let v = report.verdict;
            let mut o = format!(
                "<div class=\"verdict {}\" data-live-verdict=\"{}\"><p><strong>Live check: {}.</strong> {}</p></div>",
                v.as_str(),
                v.as_str(),
                checker::verdict_words(v),
                esc(&report.summary)
            );
            if *dns_partial {
                o.push_str("<p class=\"notice\">Some DNS lookups failed; the cross-check may change once they answer.</p>");
            }
            if let Some(x) = cross {
                o.push_str(&cross_html(x));
            }
            o
        }
    }
}

/// Today in UTC, from the browser's clock.
fn today() -> Day {
    Day::of_unix((js_sys::Date::now() / 1000.0) as i64)
}

/// Offers `text` as a download made in the page (a `blob:` URL), so an
/// export never leaves the browser either.
fn download(name: &str, mime: &str, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&text.into());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = doc
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)).collect()
}

/// Reads `files` one after the other into `reading`; each file's bytes are
/// dropped once the core has read them. The signal is told once at the end,
/// so a month of files is summed once, not once per file.
fn read_files(files: Vec<web_sys::File>, reading: RwSignal<Reading>, left: RwSignal<usize>) {
    if files.is_empty() {
        return;
    }
    left.update(|n| *n += files.len());
    leptos::task::spawn_local(async move {
        for f in files {
            let name = f.name();
            if let Some(e) = rua_input::too_large(f.size() as u64) {
                reading.update_untracked(|r| r.refuse(&name, e));
            } else {
                match JsFuture::from(f.array_buffer()).await {
                    Ok(buf) => {
                        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
                        reading.update_untracked(|r| r.add(&name, &bytes));
                    }
                    Err(_) => reading.update_untracked(|r| {
                        r.refuse(
                            &name,
                            "the browser could not read the file (moved or deleted?); pick it again"
                                .to_string(),
                        )
                    }),
                }
            }
            left.update(|n| *n = n.saturating_sub(1));
        }
        reading.notify();
    });
}

/// The view: the file picker and drop zone, the domain field, exports, and
/// the summary.
#[component]
pub fn Reader() -> impl IntoView {
    let reading = RwSignal::new(Reading::new());
    let left = RwSignal::new(0usize);
    let domain = RwSignal::new(String::new());
    let over = RwSignal::new(false);
    // The live checks asked for, by policy domain as the reports name it.
    let checks = RwSignal::new(Vec::<(String, Run)>::new());
    // A check's signals belong to the view, not to its button: choosing a
    // domain makes the buttons again, and the checks must outlive that.
    let owner = StoredValue::new(Owner::current());
    let today = today();
    let summary = Memo::new(move |_| {
        let d = domain.get();
        let live: Vec<Report> =
            checks.with(|c| c.iter().filter_map(|(_, r)| live_report(r)).collect());
        reading.with(|r| summarise(r, (!d.is_empty()).then_some(d.as_str()), today, &live))
    });
    // Its own memo, so the buttons are only made again when the domains
    // change (a finished check must not take the focus from its button).
    let shown = Memo::new(move |_| {
        summary.with(|s| match &s.domain {
            Some(d) => vec![d.clone()],
            None => s.domains.clone(),
        })
    });

    let on_pick = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        read_files(file_list(input.files()), reading, left);
        // Picking the same file again is a new change.
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        over.set(false);
        read_files(
            file_list(ev.data_transfer().and_then(|d| d.files())),
            reading,
            left,
        );
    };
    // Without this the browser opens a dropped file in the tab.
    let on_dragover = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        over.set(true);
    };

    let has_files = move || reading.with(|r| !r.files.is_empty());
    let status = move || match left.get() {
        0 => reading.with(|r| {
            if r.files.is_empty() {
                String::new()
            } else {
                summary.with(|s| {
                    format!(
                        "{} read; {} counted.",
                        plural(r.files.len() as u64, "file", "files"),
                        plural(s.agg.reports as u64, "report", "reports")
                    )
                })
            }
        }),
        n => format!("Reading {}…", plural(n as u64, "file", "files")),
    };
    let export = move |csv: bool| {
        reading.with_untracked(|r| {
            summary.with_untracked(|s| {
                if csv {
                    download(
                        "tlsrpt-rows.csv",
                        "text/csv",
                        &rua_aggregate::rows_csv(&s.agg.rows),
                    );
                } else {
                    download(
                        "tlsrpt-summary.json",
                        "application/json",
                        &export_json(r, s),
                    );
                }
            })
        })
    };

    view! {
        <div
            class="reports"
            on:dragover=on_dragover
            on:dragleave=move |_| over.set(false)
            on:drop=on_drop
        >
            <div
                id="rua-drop"
                class="field"
                style=move || {
                    format!(
                        "border:2px dashed {};border-radius:8px;padding:1em;",
                        if over.get() { "var(--accent)" } else { "var(--border)" },
                    )
                }
            >
                <label for="rua-files">"Report files"</label>
                <input
                    id="rua-files"
                    type="file"
                    multiple
                    accept=".json,.gz,.eml,.mbox,application/json,application/gzip,application/tlsrpt+gzip,application/tlsrpt+json,message/rfc822,application/mbox"
                    aria-describedby="rua-files-help"
                    on:change=on_pick
                />
                <p id="rua-files-help" class="help">
                    "Pick or drop TLS-RPT reports: "<code>".json"</code>", "<code>".json.gz"</code>", the e-mails ("
                    <code>".eml"</code>") or a mailbox ("<code>".mbox"</code>"), several at once. They are read in this page and never uploaded. Up to "
                    {crate::sts::gzip::human_size(rua_input::MAX_FILE_BYTES)}" a file and "
                    {crate::sts::gzip::human_size(rua_input::MAX_REPORT_BYTES)}" a report once unzipped."
                </p>
            </div>
            <p id="rua-status" class="status" role="status" aria-live="polite">{status}</p>
            <Show when=has_files>
                <form class="row" on:submit=|ev| ev.prevent_default()>
                    <div class="field">
                        <label for="rua-domain">"Policy domain"</label>
                        <select
                            id="rua-domain"
                            prop:value=move || domain.get()
                            on:change=move |ev| domain.set(event_target_value(&ev))
                        >
                            <option value="">"All domains"</option>
                            {move || {
                                summary
                                    .with(|s| s.domains.clone())
                                    .into_iter()
                                    .map(|d| view! { <option value=d.clone()>{d.clone()}</option> })
                                    .collect_view()
                            }}
                        </select>
                    </div>
                </form>
                <div class="buttons">
                    <button type="button" class="secondary" on:click=move |_| export(true)>
                        "Download CSV"
                    </button>
                    <button type="button" class="secondary" on:click=move |_| export(false)>
                        "Download JSON"
                    </button>
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| {
                            reading.set(Reading::new());
                            domain.set(String::new());
                            checks.set(Vec::new());
                        }
                    >
                        "Clear"
                    </button>
                </div>
                {move || {
                    let html = reading.with(files_html);
                    view! { <Raw html=html /> }
                }}
                {move || {
                    let html = reading.with(|r| summary.with(|s| summary_html(r, s)));
                    view! { <Raw html=html /> }
                }}
                <section aria-labelledby="rua-live-title">
                    <h2 id="rua-live-title">"Cross-check with a live check"</h2>
                    <p id="rua-live-note" class="help">
                        "A button checks that domain now, as the Checker does: its DNS records through your DNS-over-HTTPS resolvers and its policy through the policy proxy, both set in Settings. Only the domain name is sent, and only when you press the button; the reports stay in this page."
                    </p>
                    {move || {
                        shown
                            .get()
                            .into_iter()
                            .map(|d| view! { <LiveCheck listed=d checks summary owner /> })
                            .collect_view()
                    }}
                </section>
                {move || {
                    let html = summary.with(ready_html);
                    view! { <Raw html=html /> }
                }}
            </Show>
        </div>
    }
}

/// One policy domain's "cross-check with a live check" button and what
/// came of it. The check is the Checker's own ([`checker::check`]: the
/// core's check plan through the configured resolvers and proxy), started
/// only by the button.
#[component]
fn LiveCheck(
    listed: String,
    checks: RwSignal<Vec<(String, Run)>>,
    summary: Memo<Summary>,
    owner: StoredValue<Option<Owner>>,
) -> impl IntoView {
    let normal = super::browser_normalise(&listed);
    let label = format!("Cross-check with a live check of {listed}");
    let Ok(d) = normal else {
        let why = normal.err().map(|e| e.message).unwrap_or_default();
        return view! {
            <p class="help">{format!("{listed} cannot be checked live: {why}")}</p>
        }
        .into_any();
    };
    let key = StoredValue::new(listed);
    let run = move || {
        checks.with(|c| key.with_value(|k| c.iter().find(|(x, _)| x == k).map(|(_, r)| *r)))
    };
    let ascii = d.ascii.clone();
    let start = move |_| {
        let run = match owner.get_value() {
            Some(o) => o.with(|| Run::new(d.clone())),
            None => Run::new(d.clone()),
        };
        checks.update(|c| {
            key.with_value(|k| {
                c.retain(|(x, _)| x != k);
                c.push((k.clone(), run));
            })
        });
        let settings = storage::load_settings();
        let d = d.clone();
        leptos::task::spawn_local(async move {
            let out = checker::check(d, settings, None, run.steps).await;
            run.outcome.try_set(Some(out));
        });
    };
    let status = move || match run() {
        None => String::new(),
        Some(r) => match r.outcome.with(|o| o.is_some()) {
            false => format!("Checking {}… {}", r.shown(), r.progress()),
            true => format!("The live check of {} is done.", r.shown()),
        },
    };
    let result = move || {
        let r = run()?;
        let html = r.outcome.with(|o| {
            o.as_ref().map(|o| {
                summary.with(|s| {
                    let x = s.cross.iter().find(|x| x.domain == ascii);
                    live_html(o, x)
                })
            })
        })?;
        Some(view! { <Raw html=html /> })
    };
    view! {
        <div class="rua-live">
            <button
                type="button"
                class="secondary"
                aria-describedby="rua-live-note"
                on:click=start
            >
                {label}
            </button>
            <p class="status" role="status">{status}</p>
            {result}
        </div>
    }
    .into_any()
}

/// Mounts the view into `container` (emptied first); what the
/// `mtasts-reports` module's `mount` export calls.
pub fn mount(container: web_sys::HtmlElement) {
    container.set_inner_html("");
    leptos::mount::mount_to(container, Reader).forget();
}
