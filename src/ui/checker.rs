//! The checker: the core's check plan (`sts::plan`) driven in the page. Every
//! action it yields starts at once (DoH for the DNS records, the proxy for
//! the policy, the proxy's `/api/mx-tls` for the MX hosts' STARTTLS), each
//! shows its progress, each result goes back to the plan, and the plan's
//! report is the verdict.

use std::fmt::Write;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use leptos::prelude::*;

use crate::sts::dns::Response;
use crate::sts::domain::Domain;
use crate::sts::lookup::{DnsStatus, Failure, Lookup};
use crate::sts::mx_tls::{self, Status};
use crate::sts::plan::{Action, CheckPlan, FetchId, LookupId, Options};
use crate::sts::proxy::mx_tls::MxTlsAnswer;
use crate::sts::report::{Fetch, Previous, Report, Verdict};

use super::html::{self, esc};
use super::json;
use super::net::{self, MxTlsUnchecked, ProxyError};
use super::route::{Route, View};
use super::storage::{self, History, Settings};
use super::widgets::Raw;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepState {
    Running,
    Ok,
    Warn,
    Failed,
}

/// One line of the progress list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub what: String,
    pub state: StepState,
    pub detail: String,
}

/// The first of several futures to finish; the others stay in the list. A
/// check has a few dozen actions at most, so polling every pending one on
/// each wake is cheap, and this is much smaller in Wasm than the futures
/// crate's combinators.
struct FirstDone<'a, T> {
    items: &'a mut Vec<Pin<Box<dyn Future<Output = T>>>>,
}

impl<T> Future for FirstDone<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let items = &mut *self.get_mut().items;
        if items.is_empty() {
            return Poll::Ready(None);
        }
        for i in 0..items.len() {
            if let Poll::Ready(v) = items[i].as_mut().poll(cx) {
                drop(items.swap_remove(i));
                return Poll::Ready(Some(v));
            }
        }
        Poll::Pending
    }
}

/// What one action of the plan gave, and its line in the progress list.
enum Done {
    Lookup(usize, LookupId, String, Result<Response, Failure>),
    Fetch(usize, FetchId, Result<Fetch, ProxyError>),
    MxTls(usize, Result<MxTlsAnswer, MxTlsUnchecked>),
}

/// How a check ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// No resolver answered any lookup: nothing to report on.
    ResolverDown {
        timeout: bool,
        resolvers: Vec<String>,
        detail: String,
    },
    Done {
        report: Box<Report>,
        /// The policy could not be fetched through the proxy.
        proxy: Option<ProxyError>,
        /// Some lookups failed (the report says which).
        dns_partial: bool,
        /// Why the MX hosts' STARTTLS was not checked, when it was not.
        mx_tls: Option<MxTlsUnchecked>,
        /// MX hosts the proxy named but did not probe (past its cap).
        mx_not_probed: Vec<String>,
    },
}

/// A check in progress or done; its signals belong to it, so a slow earlier
/// check can never write into a later one.
#[derive(Clone, Copy)]
pub(crate) struct Run {
    pub(crate) steps: RwSignal<Vec<Step>>,
    pub(crate) outcome: RwSignal<Option<Outcome>>,
    pub(crate) domain: StoredValue<Domain>,
}

impl Run {
    pub(crate) fn new(domain: Domain) -> Run {
        Run {
            steps: RwSignal::new(Vec::new()),
            outcome: RwSignal::new(None),
            domain: StoredValue::new(domain),
        }
    }

    /// The domain for people: the U-label with the A-label in brackets for an
    /// internationalised name, else the A-label.
    pub(crate) fn shown(&self) -> String {
        self.domain.with_value(|d| match &d.unicode {
            Some(u) => format!("{u} ({})", d.ascii),
            None => d.ascii.clone(),
        })
    }

    /// "Lookups: 3 of 9 done" while running.
    pub(crate) fn progress(&self) -> String {
        let (done, total) = self.steps.with(|s| {
            (
                s.iter().filter(|x| x.state != StepState::Running).count(),
                s.len(),
            )
        });
        if done < total {
            format!("Lookups: {done} of {total} done")
        } else {
            format!("Lookups: all {total} done")
        }
    }
}

/// What the page shows when the DNS resolvers could not be asked: a title.
pub(crate) fn resolver_title(timeout: bool) -> &'static str {
    if timeout {
        "The DNS lookups timed out"
    } else {
        "The DNS resolvers could not be reached"
    }
}

/// What the page shows when the policy proxy gave no fetch: a title, and why.
pub(crate) fn proxy_words(error: &ProxyError) -> (&'static str, &'static str) {
    match error {
        ProxyError::Timeout { .. } => (
            "The policy fetch timed out",
            "The proxy that fetches the policy for this page did not answer in time.",
        ),
        ProxyError::Rejected { .. } => (
            "The proxy refused to fetch this policy",
            "The proxy checked the request and declined it:",
        ),
        ProxyError::Unreachable { .. } => (
            "The policy proxy could not be reached",
            "Browsers cannot fetch another site's policy file directly, so this page asks a proxy, and the proxy did not answer.",
        ),
        ProxyError::NotAProxy { .. } => (
            "The policy proxy is not answering properly",
            "The address configured for the proxy answered, but not with a policy fetch.",
        ),
    }
}

fn dns_step(resolver: &str, r: &Result<Response, Failure>) -> (StepState, String) {
    match r {
        Ok(resp) => {
            let state = match DnsStatus::of(&resp.outcome) {
                DnsStatus::Ok | DnsStatus::NoData | DnsStatus::NxDomain => StepState::Ok,
                _ => StepState::Warn,
            };
            (state, format!("{} — {resolver}", resp.outcome.describe()))
        }
        Err(f) => (StepState::Failed, format!("{} — {resolver}", f.detail)),
    }
}

fn fetch_step(r: &Result<Fetch, ProxyError>) -> (StepState, String) {
    match r {
        Ok(f) => match &f.error {
            Some(e) => (StepState::Warn, format!("no response: {}", e.message)),
            None => {
                let status = f
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "?".into());
                let ms = f
                    .elapsed_ms
                    .map(|m| format!(" in {m} ms"))
                    .unwrap_or_default();
                let state = if f.status == Some(200) {
                    StepState::Ok
                } else {
                    StepState::Warn
                };
                (
                    state,
                    format!("HTTP {status}, {} bytes{ms}", f.body_bytes().len()),
                )
            }
        },
        Err(e) => (StepState::Failed, format!("{} ({})", e.detail(), e.url())),
    }
}

fn set_step(steps: RwSignal<Vec<Step>>, i: usize, state: StepState, detail: String) {
    steps.try_update(|s| {
        if let Some(step) = s.get_mut(i) {
            step.state = state;
            step.detail = detail;
        }
    });
}

/// Runs the core's check plan to the end: every action it yields at once,
/// each result fed back. Shared by the app and the embedded checker.
pub(crate) async fn check(
    d: Domain,
    settings: Settings,
    previous: Option<Previous>,
    steps: RwSignal<Vec<Step>>,
) -> Outcome {
    let resolvers = settings.resolvers();
    let options = Options {
        previous,
        mx_tls_by_proxy: true,
        ..Options::default()
    };
    let mut plan = CheckPlan::new(&d.ascii, options);
    steps.try_set(Vec::new());
    let mut running: Vec<Pin<Box<dyn Future<Output = Done>>>> = Vec::new();
    let mut proxy: Option<ProxyError> = None;
    let mut mx_tls: Option<MxTlsUnchecked> = None;
    let mut mx_not_probed = Vec::new();
    loop {
        while let Some(action) = plan.next_action() {
            let mut index = 0;
            steps.try_update(|s| {
                index = s.len();
                s.push(Step {
                    what: action.label(),
                    state: StepState::Running,
                    detail: String::new(),
                });
            });
            match action {
                Action::Lookup { id, question } => {
                    let resolvers = resolvers.clone();
                    running.push(Box::pin(async move {
                        let (from, r) =
                            net::resolve(&resolvers, &question.name, question.qtype).await;
                        Done::Lookup(index, id, from, r)
                    }));
                }
                Action::Fetch { id, browser } => {
                    let settings = settings.clone();
                    let domain = d.ascii.clone();
                    running.push(Box::pin(async move {
                        let r = net::fetch_policy(&settings, &domain, browser).await;
                        Done::Fetch(index, id, r)
                    }));
                }
                Action::MxTlsByProxy => {
                    let settings = settings.clone();
                    let domain = d.ascii.clone();
                    running.push(Box::pin(async move {
                        Done::MxTls(index, net::probe_mx_tls(&settings, &domain).await)
                    }));
                }
                // Never yielded here: the app is built without the core's
                // `mx-tls` feature and leaves `Options::mx_tls` off (a
                // browser cannot open port 25; the proxy probes instead).
                Action::Probe { .. } => {}
            }
        }
        let Some(done) = (FirstDone {
            items: &mut running,
        })
        .await
        else {
            break;
        };
        match done {
            Done::Lookup(index, id, from, r) => {
                let (state, detail) = dns_step(&from, &r);
                set_step(steps, index, state, detail);
                plan.on_lookup(id, r);
            }
            Done::Fetch(index, id, r) => {
                let (state, detail) = fetch_step(&r);
                set_step(steps, index, state, detail);
                match r {
                    Ok(f) => plan.on_fetch(id, Some(f)),
                    Err(e) => {
                        proxy.get_or_insert(e);
                        plan.on_fetch(id, None);
                    }
                }
            }
            Done::MxTls(index, r) => {
                let (state, detail) = match &r {
                    Ok(a) => (StepState::Ok, format!("{} probes", a.probes.len())),
                    Err(e) => (StepState::Warn, unchecked_words(e)),
                };
                set_step(steps, index, state, detail);
                match r {
                    Ok(a) => {
                        mx_not_probed = a.not_probed;
                        plan.on_mx_tls_by_proxy(Some(a.probes));
                    }
                    Err(e) => {
                        mx_tls = Some(e);
                        plan.on_mx_tls_by_proxy(None);
                    }
                }
            }
        }
    }
    if let Some(f) = plan.dns_unavailable() {
        return Outcome::ResolverDown {
            timeout: f.status == DnsStatus::Timeout,
            resolvers,
            detail: f.detail,
        };
    }
    // The proxy was asked before the MX answer came: with no MX host there
    // is nothing it could have left unchecked.
    if plan.mx_hosts().is_empty() {
        mx_tls = None;
        mx_not_probed.clear();
    }
    Outcome::Done {
        report: Box::new(plan.report()),
        proxy,
        dns_partial: plan.dns_partial(),
        mx_tls,
        mx_not_probed,
    }
}

/// Why the MX certificates were not checked, in one sentence.
pub(crate) fn unchecked_words(e: &MxTlsUnchecked) -> String {
    match e {
        MxTlsUnchecked::Unavailable => {
            "MX certificates not checked: this proxy cannot reach port 25".to_string()
        }
        MxTlsUnchecked::Failed { url, detail } => {
            format!("MX certificates not checked: the proxy's probe failed ({detail}; {url})")
        }
    }
}

/// What to remember of a finished check for the next one (id drift).
fn remember(history: RwSignal<History>, report: &Report) {
    let fetched = report
        .observations
        .policy
        .as_ref()
        .filter(|f| f.status == Some(200) && f.error.is_none());
    if let (Some(id), Some(f)) = (&report.sts_id, fetched) {
        history.update(|h| {
            h.previous.insert(
                report.domain.clone(),
                Previous {
                    id: id.clone(),
                    body: f.body.clone().unwrap_or_default(),
                },
            );
        });
        storage::save_history(&history.get_untracked());
    }
}

#[component]
pub fn Checker(
    route: RwSignal<Route>,
    settings: RwSignal<Settings>,
    history: RwSignal<History>,
    /// The A-label of the domain shown, shared with the navigation.
    checked: RwSignal<Option<String>>,
) -> impl IntoView {
    let input = RwSignal::new(storage::draft("check.input").unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let run = RwSignal::new(None::<Run>);

    let start = move |raw: String, push: bool| {
        input.set(raw.clone());
        storage::set_draft("check.input", &raw);
        let d = match super::browser_normalise(&raw) {
            Err(e) => {
                error.set(Some(e.message));
                return;
            }
            Ok(d) => d,
        };
        error.set(None);
        let ascii = d.ascii.clone();
        checked.set(Some(ascii.clone()));
        if push {
            let r = Route {
                view: View::Checker,
                domain: Some(ascii.clone()),
            };
            if route.get_untracked() != r {
                r.push();
                route.set(r);
            }
        }
        let this = Run::new(d.clone());
        run.set(Some(this));
        let previous = history.with_untracked(|h| h.previous.get(&ascii).cloned());
        history.update(|h| h.touch(&ascii));
        storage::save_history(&history.get_untracked());
        let s = settings.get_untracked();
        leptos::task::spawn_local(async move {
            let out = check(d, s, previous, this.steps).await;
            if let Outcome::Done { report, .. } = &out {
                remember(history, report);
            }
            this.outcome.try_set(Some(out));
        });
    };

    // Permalinks and back/forward: a domain in the address is checked at once.
    Effect::new(move |_| {
        let r = route.get();
        if r.view != View::Checker {
            return;
        }
        let Some(raw) = r.domain else { return };
        let same = super::browser_normalise(&raw)
            .ok()
            .is_some_and(|d| checked.get_untracked().as_deref() == Some(d.ascii.as_str()));
        if !same {
            start(raw, false);
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        start(input.get_untracked(), true);
    };

    view! {
        <h1 id="checker-title" tabindex="-1">"Check a domain's MTA-STS"</h1>
        <form class="check-form" on:submit=on_submit novalidate>
            <label for="check-domain">"Domain, e-mail address or URL"</label>
            <div class="inline">
                <DomainInput id="check-domain" input error draft="check.input" />
                <button type="submit">"Check"</button>
            </div>
            <p id="check-domain-msg" class="help" aria-live="polite">
                {move || match error.get() {
                    Some(m) => view! { <span class="error-text" data-testid="domain-error">{m}</span> }.into_any(),
                    None => "Paste anything: https://example.com/path, user@example.com, _mta-sts.example.com, Bücher.example.".into_any(),
                }}
            </p>
        </form>
        {move || {
            let recent = history.with(|h| h.recent.clone());
            (!recent.is_empty()).then(|| view! {
                <nav aria-label="Recent checks" class="no-print">
                    <h2 class="sr-only">"Recent checks"</h2>
                    <ul class="recent">
                        {recent.into_iter().map(|d| {
                            let label = d.clone();
                            let href = Route { view: View::Checker, domain: Some(d.clone()) }.search();
                            view! {
                                <li>
                                    <a class="button secondary" href=href on:click=move |ev: leptos::ev::MouseEvent| {
                                        ev.prevent_default();
                                        start(d.clone(), true);
                                    }>{label}</a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </nav>
            })
        }}
        {move || run.get().map(|r| view! { <RunView run=r retry=move |d: String| start(d, false) /> })}
    }
}

pub(crate) fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Enforced => "MTA-STS is enforced",
        Verdict::Testing => "MTA-STS is in testing mode",
        Verdict::None => "MTA-STS is being removed (mode none)",
        Verdict::NotConfigured => "MTA-STS is not set up",
        Verdict::Broken => "MTA-STS is set up but broken",
    }
}

#[component]
fn RunView<F>(run: Run, retry: F) -> impl IntoView
where
    F: Fn(String) + Copy + Send + Sync + 'static,
{
    let d = run.domain.get_value();
    let ascii = d.ascii.clone();
    let shown = run.shown();
    let changes = (!d.changes.is_empty()).then(|| {
        view! { <p class="changes">{format!("From what you typed: {}.", d.changes.join("; "))}</p> }
    });
    let live_shown = shown.clone();
    let retry_domain = ascii.clone();
    view! {
        <section class="run" aria-labelledby="run-title">
            <h2 id="run-title">{format!("Checking {shown}")}</h2>
            {changes}
            <p class="sr-only" role="status">
                {move || match run.outcome.get() {
                    None => format!("Checking {live_shown}…"),
                    Some(Outcome::ResolverDown { .. }) => "The check stopped: DNS could not be reached.".to_string(),
                    Some(Outcome::Done { report, proxy, .. }) => match proxy {
                        Some(_) => "The check finished, but the policy could not be fetched.".to_string(),
                        None => format!("Check finished: {}.", verdict_words(report.verdict)),
                    },
                }}
            </p>
            <details class="progress" open=move || run.outcome.with(|o| o.is_none())>
                <summary>{move || run.progress()}</summary>
                <ol class="steps">
                    {move || run.steps.get().into_iter().map(|s| {
                        let (cls, mark) = match s.state {
                            StepState::Running => ("running", "… running"),
                            StepState::Ok => ("ok", "✓ done"),
                            StepState::Warn => ("warn", "! answered"),
                            StepState::Failed => ("failed", "✗ failed"),
                        };
                        view! {
                            <li class=cls>
                                <span class="mark">{mark}</span>
                                <span class="what">{s.what}</span>
                                <span class="detail">{s.detail}</span>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </details>
            {move || run.outcome.get().map(|o| match o {
                Outcome::ResolverDown { timeout, resolvers, detail } => {
                    let d = retry_domain.clone();
                    view! { <ResolverDown timeout resolvers detail retry=move || retry(d.clone()) /> }.into_any()
                }
                Outcome::Done { report, proxy, dns_partial, mx_tls, mx_not_probed } => {
                    let d = retry_domain.clone();
                    let mx = mx_tls_html(&report, 2, mx_tls.as_ref(), &mx_not_probed);
                    view! { <ReportView report=*report proxy dns_partial mx retry=move || retry(d.clone()) /> }.into_any()
                }
            })}
        </section>
    }
}

#[component]
fn ResolverDown<R>(timeout: bool, resolvers: Vec<String>, detail: String, retry: R) -> impl IntoView
where
    R: Fn() + Send + Sync + 'static,
{
    let title = resolver_title(timeout);
    view! {
        <div class="error-view" role="alert" data-error="resolver">
            <h2>{title}</h2>
            <p>"No DNS-over-HTTPS resolver answered, so nothing could be checked. This says nothing about the domain."</p>
            <p>"Tried, in order:"</p>
            <ul>{resolvers.into_iter().map(|r| view! { <li><code>{r}</code></li> }).collect_view()}</ul>
            <p class="detail">{detail}</p>
            <p>"What to do: check your connection; a firewall, a browser extension or a company network may block DNS over HTTPS. Choose other resolvers in "
                <a href="?view=settings">"Settings"</a> ", then try again."</p>
            <button type="button" on:click=move |_| retry()>"Try again"</button>
        </div>
    }
}

#[component]
fn ProxyDown<R>(error: ProxyError, retry: R) -> impl IntoView
where
    R: Fn() + Send + Sync + 'static,
{
    let (title, why) = proxy_words(&error);
    view! {
        <div class="error-view" role="alert" data-error="proxy">
            <h2>{title}</h2>
            <p>{why}</p>
            <p class="detail">{error.detail()} " — " <code>{error.url().to_string()}</code></p>
            <p>"The DNS part of the check is below; without the policy there is no verdict. Set the proxy in "
                <a href="?view=settings">"Settings"</a> " (run " <code>"mtasts serve"</code> " for your own), then try again."</p>
            <button type="button" on:click=move |_| retry()>"Try again"</button>
        </div>
    }
}

fn lookup_row<T>(name: String, rtype: &str, l: &Lookup<T>, show: fn(&T) -> String) -> Vec<String> {
    let mut outcome = match l.status {
        DnsStatus::Ok => "answered".to_string(),
        DnsStatus::NoData => "no records".to_string(),
        DnsStatus::NxDomain => "name does not exist".to_string(),
        other => format!("{other:?}").to_lowercase(),
    };
    if !l.cnames.is_empty() {
        let _ = write!(outcome, "<br>via CNAME {}", esc(&l.cnames.join(" → ")));
    }
    if let Some(d) = &l.detail {
        let _ = write!(outcome, "<br><span class=\"muted\">{}</span>", esc(d));
    }
    let records = l
        .records
        .iter()
        .map(|r| format!("<code class=\"mono\">{}</code>", esc(&show(r))))
        .collect::<Vec<_>>()
        .join("<br>");
    vec![
        format!("<code>{}</code>", esc(&name)),
        rtype.to_string(),
        outcome,
        records,
    ]
}

fn fetch_html(out: &mut String, f: &Fetch) {
    let status = match (&f.error, f.status) {
        (Some(e), _) => format!("no response ({:?}): {}", e.class, e.message),
        (None, Some(s)) => format!("HTTP {s}"),
        (None, None) => "no status".to_string(),
    };
    let _ = write!(
        out,
        "<p><code>{}</code></p><p><strong>{}</strong>",
        esc(&f.url),
        esc(&status)
    );
    if let Some(ms) = f.elapsed_ms {
        let _ = write!(out, " in {ms} ms");
    }
    if !f.addresses.is_empty() {
        let _ = write!(out, " from {}", esc(&f.addresses.join(", ")));
    }
    if f.truncated {
        out.push_str(" (body cut at 64 KiB)");
    }
    out.push_str("</p>");
    if let Some(c) = &f.certificate {
        let mut t = format!("Certificate: {}", c.subject_names.join(", "));
        if let Some(i) = &c.issuer {
            let _ = write!(t, "; issuer {i}");
        }
        if let Some(n) = &c.not_after {
            let _ = write!(t, "; valid until {n}");
        }
        let _ = write!(out, "<p>{}</p>", esc(&t));
    }
    if !f.headers.is_empty() {
        let rows: Vec<Vec<String>> = f
            .headers
            .iter()
            .map(|(k, v)| {
                vec![
                    format!("<code>{}</code>", esc(k)),
                    format!("<code>{}</code>", esc(v)),
                ]
            })
            .collect();
        out.push_str(&html::table(
            "Response headers",
            &["Header", "Value"],
            &rows,
        ));
    }
}

fn differs(a: &Fetch, b: &Fetch) -> bool {
    a.status != b.status
        || a.body_bytes() != b.body_bytes()
        || a.header("content-type") != b.header("content-type")
        || a.error.as_ref().map(|e| e.class) != b.error.as_ref().map(|e| e.class)
}

/// The report below the verdict: findings, MX coverage, DNS, the fetch, the
/// browser comparison.
fn report_html(report: &Report, mx: &str) -> String {
    let d = &report.domain;
    let o = &report.observations;
    let mut out = super::senders::matrix(report);
    out.push_str("<h2>Findings</h2>");
    out.push_str(&html::findings(&report.findings, 3));

    out.push_str(&mx_coverage_html(report, 2));
    out.push_str(mx);

    out.push_str("<h2>DNS records</h2>");
    let rows = vec![
        lookup_row(format!("_mta-sts.{d}"), "TXT", &o.sts_txt, |s| s.clone()),
        lookup_row(format!("_smtp._tls.{d}"), "TXT", &o.tlsrpt_txt, |s| {
            s.clone()
        }),
        lookup_row(d.clone(), "MX", &o.mx, |m| {
            format!("{} {}", m.preference, m.host)
        }),
        lookup_row(format!("mta-sts.{d}"), "A/AAAA", &o.policy_host, |s| {
            s.clone()
        }),
    ];
    out.push_str(&html::table(
        "DNS lookups and their answers",
        &["Name", "Type", "Outcome", "Records"],
        &rows,
    ));
    for (i, t) in o.sts_txt.records.iter().enumerate() {
        let _ = write!(out, "<p>MTA-STS TXT record {} as published:</p>", i + 1);
        html::code_block(&mut out, t, "published _mta-sts record", "");
    }
    if !o.tlsa_hosts.is_empty() {
        let _ = write!(
            out,
            "<p>MX hosts with DANE (TLSA): {}</p>",
            esc(&o.tlsa_hosts.join(", "))
        );
    }

    if let Some(f) = &o.policy {
        out.push_str("<h2>Policy fetch</h2>");
        fetch_html(&mut out, f);
        if let Some(b) = &f.body {
            out.push_str("<h3>Body</h3>");
            out.push_str(&html::policy_body(&b.0, &report.findings));
            html::code_block(
                &mut out,
                &String::from_utf8_lossy(&b.0),
                "policy body as served",
                "",
            );
        }
    }
    if let (Some(a), Some(b)) = (&o.policy, &o.policy_browser) {
        if differs(a, b) {
            let st = |f: &Fetch| {
                f.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "none".into())
            };
            let ct = |f: &Fetch| esc(f.header("content-type").unwrap_or("none"));
            out.push_str("<h2>Mail server vs browser</h2><p>The policy URL answers differently to a browser than to a mail server's User-Agent. Senders see the first column.</p>");
            out.push_str(&html::table(
                "The policy fetch as a mail server and as a browser",
                &["", "Mail server", "Browser"],
                &[
                    vec!["Status".into(), st(a), st(b)],
                    vec!["Content-Type".into(), ct(a), ct(b)],
                    vec![
                        "Body bytes".into(),
                        a.body_bytes().len().to_string(),
                        b.body_bytes().len().to_string(),
                    ],
                ],
            ));
        }
    }
    out
}

#[component]
fn ReportView<R>(
    report: Report,
    proxy: Option<ProxyError>,
    dns_partial: bool,
    /// The MX TLS section (`mx_tls_html`).
    mx: String,
    retry: R,
) -> impl IntoView
where
    R: Fn() + Send + Sync + 'static,
{
    let d = report.domain.clone();
    let json_text =
        json::to_string(&report, true).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let href = format!(
        "data:application/json;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(&json_text))
    );
    let head = match proxy {
        Some(e) => view! { <ProxyDown error=e retry=retry /> }.into_any(),
        None => {
            let v = report.verdict;
            view! {
                <div class=format!("verdict {}", v.as_str()) data-verdict=v.as_str()>
                    <h2>{verdict_words(v)}</h2>
                    <p>{report.summary.clone()}</p>
                </div>
            }
            .into_any()
        }
    };
    let partial = dns_partial.then(|| {
        view! { <p class="notice">"Some DNS lookups failed; the findings below say which, and the verdict may change once they answer."</p> }
    });
    let print = |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    let body = report_html(&report, &mx);
    view! {
        {head}
        {partial}
        <div class="buttons no-print">
            <a class="button secondary" href=href download=format!("mtasts-{d}.json")>"Download the report (JSON)"</a>
            <pre hidden>{json_text}</pre>
            <button type="button" class="copy" data-copy aria-label="Copy the report as JSON">"Copy JSON"</button>
            <button type="button" class="secondary" on:click=print>"Print"</button>
        </div>
        <Raw html=body />
    }
}

/// Each MX host and the policy pattern covering it (RFC 8461 §4.1), under a
/// heading of level `level`; empty when there are no MX hosts.
pub(crate) fn mx_coverage_html(report: &Report, level: u8) -> String {
    if report.mx_coverage.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = report
        .mx_coverage
        .iter()
        .map(|c| {
            vec![
                format!("<code>{}</code>", esc(&c.host)),
                c.preference.to_string(),
                match &c.pattern {
                    Some(p) => format!("✓ <code>{}</code>", esc(p)),
                    None => "<span class=\"uncovered\">✗ not covered</span>".to_string(),
                },
            ]
        })
        .collect();
    let mut out = format!("<h{level}>MX coverage</h{level}>");
    // Named after the domain: two reports on one page (two widgets) must
    // not give screen readers two regions of the same name.
    out.push_str(&html::table(
        &format!(
            "The MX hosts of {} and the policy patterns covering them",
            report.domain
        ),
        &["MX host", "Preference", "Covered by"],
        &rows,
    ));
    out
}

/// Each probed MX address as an enforcing sender judges it (RFC 8461
/// §4.2): STARTTLS, TLS version, the certificate's names, issuer and
/// expiry, the verdict and its fix; beside it, when the policy host's
/// certificate was seen, its expiry; and [`mx_tls_notice_html`].
pub(crate) fn mx_tls_html(
    report: &Report,
    level: u8,
    unchecked: Option<&MxTlsUnchecked>,
    not_probed: &[String],
) -> String {
    let o = &report.observations;
    let d = &report.domain;
    // Probes, or why there are none: never both.
    if report.mx_tls.is_empty() {
        return mx_tls_notice_html(report, level, unchecked, not_probed);
    }
    let mut out = format!("<h{level}>MX TLS (STARTTLS on port 25)</h{level}>");
    if let Some(not_after) = o
        .policy
        .as_ref()
        .and_then(|f| f.certificate.as_ref())
        .and_then(|c| c.not_after.as_ref())
    {
        let _ = write!(
            out,
            "<p>The policy host <code>mta-sts.{}</code>: certificate valid until {}.</p>",
            esc(d),
            esc(not_after)
        );
    }
    let rows: Vec<Vec<String>> = o
        .mx_tls
        .iter()
        .zip(&report.mx_tls)
        .map(|(p, row)| {
            let leaf = p.chain.first();
            let (word, cls) = match row.status {
                Status::Valid => ("✓ valid", "valid"),
                Status::Invalid => ("✗ refused by enforcing senders", "invalid"),
                Status::Unknown => ("? not checked", "unknown"),
            };
            let mut verdict =
                format!("<span class=\"mx-tls-status {cls}\" data-mx-tls=\"{cls}\">{word}</span>");
            for c in &row.codes {
                let _ = write!(verdict, " <code>{}</code>", c.as_str());
            }
            let fix = row.codes.first().and_then(|c| {
                report
                    .findings
                    .iter()
                    .find(|f| f.code == *c && f.message.contains(&p.host))
            });
            if let Some(f) = fix {
                let _ = write!(verdict, "<br><span class=\"muted\">{}</span>", esc(&f.fix));
            }
            vec![
                format!("<code>{}</code>", esc(&p.host)),
                esc(&p.address),
                match p.starttls {
                    Some(true) => "offered".to_string(),
                    Some(false) => "<span class=\"uncovered\">not offered</span>".to_string(),
                    None => "—".to_string(),
                },
                p.tls
                    .as_ref()
                    .map(|t| esc(&t.version))
                    .unwrap_or_else(|| "—".into()),
                leaf.map(|c| esc(&c.names.join(", "))).unwrap_or_default(),
                leaf.map(|c| esc(&c.issuer)).unwrap_or_default(),
                leaf.map(|c| mx_tls::day(c.not_after)).unwrap_or_default(),
                verdict,
            ]
        })
        .collect();
    {
        out.push_str(&html::table(
            &format!("The STARTTLS of each MX address of {d} as enforcing senders judge it"),
            &[
                "MX host",
                "Address",
                "STARTTLS",
                "TLS",
                "Certificate names",
                "Issuer",
                "Expires",
                "Verdict",
            ],
            &rows,
        ));
    }
    out.push_str(&mx_tls_notice_html(report, level, None, not_probed));
    out
}

/// Why the MX hosts' STARTTLS was not checked, with the command that
/// checks from a host that can (never a silent gap), and the MX hosts past
/// the proxy's cap; empty when every MX host was probed.
pub(crate) fn mx_tls_notice_html(
    report: &Report,
    level: u8,
    unchecked: Option<&MxTlsUnchecked>,
    not_probed: &[String],
) -> String {
    let mut out = String::new();
    if let Some(e) = unchecked {
        let _ = write!(
            out,
            "<h{level}>MX TLS (STARTTLS on port 25)</h{level}><p class=\"notice\" data-mx-tls-unchecked>{}. Run <code>mtasts check {}</code> from a host that can connect to port 25 (a mail server, or a VPS whose provider allows it) to check the certificates that enforcing senders check.</p>",
            esc(&unchecked_words(e)),
            esc(&report.domain)
        );
    }
    if !not_probed.is_empty() {
        let _ = write!(
            out,
            "<p class=\"notice\">Not probed (the proxy probes the first 10 MX hosts): {}.</p>",
            esc(&not_probed.join(", "))
        );
    }
    out
}

/// The checker's domain box (the app's and the widget's): typed text is
/// left alone by phones and browsers, and kept as a draft when `draft`
/// names one. Its message is the element `{id}-msg`.
#[component]
pub(crate) fn DomainInput(
    id: &'static str,
    input: RwSignal<String>,
    error: RwSignal<Option<String>>,
    #[prop(optional)] draft: Option<&'static str>,
) -> impl IntoView {
    view! {
        <input
            id=id
            part="input"
            type="text"
            inputmode="url"
            autocomplete="off"
            autocapitalize="off"
            spellcheck="false"
            placeholder="example.com"
            aria-describedby=format!("{id}-msg")
            aria-invalid=move || error.with(|e| e.is_some()).then_some("true")
            prop:value=move || input.get()
            on:input=move |ev| {
                let v = event_target_value(&ev);
                if let Some(name) = draft {
                    storage::set_draft(name, &v);
                }
                input.set(v);
            }
        />
    }
}
