//! The widgets for documentation sites: `<mtasts-check>` and
//! `<mtasts-generate>`. The custom elements are a small JS module
//! (`public/widget.js`) that gives each element a shadow root and mounts one
//! of these components into it through the `mtasts-widget` binary's exports;
//! what runs inside is the app's own checker (`checker::check`, RFC 8461 §3
//! and §4 through the same core) and generator.
//!
//! A widget is a guest on someone else's page: it writes nothing into that
//! site's storage, takes its settings from its element's attributes, and
//! tells the page what it found with DOM events.

use std::any::Any;

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::sts::report::Verdict;

use super::checker::{self, DomainInput, Outcome, Run};
use super::generator::Generator;
use super::html;
use super::json;
use super::storage::Settings;
use super::widgets::{self, Raw};

/// Where a widget's checks go and where its links point, from its element's
/// attributes (`proxy`, `resolver`, `app`) over the address the widget was
/// loaded from (`base`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The directory `widget.js` came from: the default proxy and app.
    pub base: String,
    pub proxy: Option<String>,
    /// DoH endpoints (RFC 8484), separated by spaces or commas.
    pub resolver: Option<String>,
    pub app: Option<String>,
    /// The level of the widget's own headings (2 to 6), to fit the outline
    /// of the page around it.
    pub heading_level: Option<u8>,
}

impl Config {
    /// The checker settings these attributes make: the proxy and the resolvers.
    pub fn settings(&self) -> Settings {
        Settings {
            proxy: self.proxy.clone().unwrap_or_else(|| self.base.clone()),
            resolvers: self
                .resolver
                .as_deref()
                .unwrap_or("")
                .split([' ', ',', '\n', '\t'])
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    /// The full app, with a trailing slash.
    pub fn app(&self) -> String {
        let app = self.app.as_deref().unwrap_or(&self.base);
        format!("{}/", app.trim_end_matches('/'))
    }

    /// The level of the report's headings: 3 (under the page's h2 sections)
    /// unless the element says otherwise.
    pub fn heading_level(&self) -> u8 {
        self.heading_level.unwrap_or(3)
    }

    /// The app's report for `ascii`: it runs the check at once.
    pub fn permalink(&self, ascii: &str) -> String {
        format!(
            "{}?domain={}",
            self.app(),
            String::from(js_sys::encode_uri_component(ascii))
        )
    }
}

/// The signals of one checker widget; all `Copy`, so the form, the element's
/// attribute changes and a spawned check can each hold them.
#[derive(Clone, Copy)]
struct CheckState {
    input: RwSignal<String>,
    error: RwSignal<Option<String>>,
    run: RwSignal<Option<Run>>,
    config: RwSignal<Config>,
    root: NodeRef<Div>,
}

/// Dispatches `name` from the widget's element (the shadow root's host), so
/// it reaches listeners on the element and, bubbling, on the page.
fn emit(root: NodeRef<Div>, name: &str, detail: &JsValue) {
    let Some(el) = root.get_untracked() else {
        return;
    };
    let target: web_sys::EventTarget = match el.get_root_node().dyn_into::<web_sys::ShadowRoot>() {
        Ok(shadow) => shadow.host().into(),
        Err(_) => el.into(),
    };
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(detail);
    if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = target.dispatch_event(&ev);
    }
}

/// `{domain, kind, message}` for `mtasts-error`.
fn error_detail(domain: &str, kind: &str, message: &str) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in [("domain", domain), ("kind", kind), ("message", message)] {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v.into());
    }
    o.into()
}

/// Checks what is in the box: the same lookups and report as the app.
fn start(s: CheckState) {
    let raw = s.input.get_untracked();
    let d = match super::browser_normalise(&raw) {
        Err(e) => {
            s.error.set(Some(e.message));
            return;
        }
        Ok(d) => d,
    };
    s.error.set(None);
    let run = Run::new(d.clone());
    s.run.set(Some(run));
    let settings = s.config.with_untracked(Config::settings);
    leptos::task::spawn_local(async move {
        let out = checker::check(d.clone(), settings, None, run.steps).await;
        // A later check replaced this one: its result is not shown, so it is
        // not announced either.
        let current = s
            .run
            .try_get_untracked()
            .flatten()
            .is_some_and(|r| r.steps == run.steps);
        let event = current.then(|| match &out {
            Outcome::Done {
                report,
                proxy: None,
                ..
            } => match json::to_value(report) {
                Ok(v) => ("mtasts-result", v),
                Err(e) => ("mtasts-error", error_detail(&d.ascii, "internal", &e)),
            },
            Outcome::Done { proxy: Some(e), .. } => {
                ("mtasts-error", error_detail(&d.ascii, "proxy", &e.detail()))
            }
            Outcome::ResolverDown { detail, .. } => {
                ("mtasts-error", error_detail(&d.ascii, "resolver", detail))
            }
        });
        // The verdict first, then the event: once the view has updated (on
        // the next tick), so a listener sees the widget showing what the
        // event says.
        run.outcome.try_set(Some(out));
        if let Some((name, detail)) = event {
            leptos::task::tick().await;
            emit(s.root, name, &detail);
        }
    });
}

#[component]
fn CheckWidget(s: CheckState) -> impl IntoView {
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        start(s);
    };
    view! {
        <div class="mtasts check" part="base" data-copy-scope node_ref=s.root on:click=widgets::on_click>
            <form class="w-form" on:submit=on_submit novalidate>
                <label for="w-domain">"Check a domain's MTA-STS"</label>
                <div class="inline">
                    <DomainInput id="w-domain" input=s.input error=s.error />
                    <button type="submit" part="button">"Check"</button>
                </div>
                <p id="w-domain-msg" class="help" aria-live="polite">
                    {move || s.error.get().map(|m| view! { <span class="error-text" data-testid="domain-error">{m}</span> })}
                </p>
            </form>
            {move || s.run.get().map(|run| view! { <RunResult run s /> })}
            <p class="copy-status sr-only" role="status"></p>
        </div>
    }
}

#[component]
fn RunResult(run: Run, s: CheckState) -> impl IntoView {
    let d = run.domain.get_value();
    let shown = run.shown();
    let link = s.config.with_untracked(|c| c.permalink(&d.ascii));
    let live_shown = shown.clone();
    view! {
        <div class="w-run" data-domain=d.ascii.clone()>
            <p class="w-status" role="status">
                {move || match run.outcome.get() {
                    None => format!("Checking {live_shown}… {}", run.progress()),
                    Some(Outcome::Done { proxy: None, report, .. }) => {
                        format!("{live_shown}: {}.", checker::verdict_words(report.verdict))
                    }
                    Some(_) => format!("The check of {live_shown} could not finish."),
                }}
            </p>
            {move || run.outcome.get().map(|o| view! { <OutcomeView o s /> })}
            <p class="w-more">
                <a href=link part="link" target="_blank" rel="noopener">
                    {format!("Full report for {shown} in mtasts")}
                </a>
            </p>
        </div>
    }
}

/// One line when senders split from the RFC reading ("Refused by 2 of 8
/// senders"), linking to the app's matrix of sender readings.
fn senders_line(report: &crate::sts::report::Report, s: CheckState) -> Option<impl IntoView> {
    let all = report.by_sender.len();
    let refused = crate::sts::senders::refused(report.verdict, &report.by_sender);
    let differ = report
        .by_sender
        .iter()
        .filter(|r| r.verdict != report.verdict)
        .count();
    let words = match (refused, differ) {
        (_, 0) => return None,
        (0, n) => format!("Read differently by {n} of {all} senders"),
        (n, _) => format!("Refused by {n} of {all} senders"),
    };
    let link = s.config.with_untracked(|c| c.permalink(&report.domain));
    Some(view! {
        <p class="w-senders"><a href=link part="link" target="_blank" rel="noopener">{words}</a></p>
    })
}

/// The verdict and what to fix, or why there is none.
#[component]
fn OutcomeView(o: Outcome, s: CheckState) -> impl IntoView {
    let retry = move |_| start(s);
    match o {
        Outcome::Done {
            report,
            proxy: None,
            dns_partial,
            mx_tls,
            mx_not_probed,
        } => {
            let v: Verdict = report.verdict;
            let level = s.config.with_untracked(Config::heading_level);
            let mut details = html::findings(&report.findings, level);
            details.push_str(&checker::mx_coverage_html(&report, level));
            // The failing MX hosts are named by the findings; the widget
            // leaves the app's MX TLS table out (its budget), never the
            // notice that they were not checked.
            details.push_str(&checker::mx_tls_notice_html(
                &report,
                level,
                mx_tls.as_ref(),
                &mx_not_probed,
            ));
            view! {
                <div class=format!("verdict {}", v.as_str()) data-verdict=v.as_str() part="verdict">
                    <p class="w-verdict">{checker::verdict_words(v)}</p>
                    <p class="w-summary">{report.summary.clone()}</p>
                    {senders_line(&report, s)}
                </div>
                {dns_partial.then(|| view! {
                    <p class="notice">"Some DNS lookups failed; the verdict may change once they answer."</p>
                })}
                <Raw html=details class="w-details" />
            }
            .into_any()
        }
        Outcome::Done { proxy: Some(e), .. } => {
            let (title, why) = checker::proxy_words(&e);
            view! {
                <div class="error-view" role="alert" data-error="proxy" part="verdict">
                    <p class="w-verdict">{title}</p>
                    <p>{why} " " {e.detail()} " (" <code>{e.url().to_string()}</code> ")."</p>
                    <p class="w-details">"The page's owner sets the proxy with the widget's " <code>"proxy"</code>
                        " attribute (an " <code>"mtasts serve"</code> " or the mtasts Worker); the full report, linked below, uses the mtasts site's own."</p>
                    <button type="button" on:click=retry>"Try again"</button>
                </div>
            }
            .into_any()
        }
        Outcome::ResolverDown {
            timeout,
            resolvers,
            detail,
        } => view! {
            <div class="error-view" role="alert" data-error="resolver" part="verdict">
                <p class="w-verdict">{checker::resolver_title(timeout)}</p>
                <p>"No DNS-over-HTTPS resolver answered, so nothing could be checked. This says nothing about the domain."</p>
                <p class="w-details">"Tried: " {resolvers.join(", ")} ". " {detail}</p>
                <p class="w-details">"A firewall, a browser extension or a company network may block DNS over HTTPS."</p>
                <button type="button" on:click=retry>"Try again"</button>
            </div>
        }
        .into_any(),
    }
}

#[component]
fn GenerateWidget(
    domain: RwSignal<String>,
    mx: RwSignal<String>,
    config: RwSignal<Config>,
) -> impl IntoView {
    let more = move || format!("{}?view=generator", config.with(Config::app));
    view! {
        <div class="mtasts generate" part="base" data-copy-scope on:click=widgets::on_click>
            <p class="w-lede">"Your MTA-STS policy file and DNS records, generated and checked in this page."</p>
            <Generator keep_drafts=false domain=domain mx=mx />
            <p class="w-more">
                <a href=more part="link" target="_blank" rel="noopener">
                    "Hosting recipes and a dated rollout plan in the full generator"
                </a>
            </p>
            <p class="copy-status sr-only" role="status"></p>
        </div>
    }
}

/// A widget on the page: its signals, and its view, which is unmounted (and
/// its reactive owner disposed) when this is dropped.
pub struct Mounted {
    config: RwSignal<Config>,
    domain: RwSignal<String>,
    mx: Option<RwSignal<String>>,
    check: Option<CheckState>,
    _view: Box<dyn Any>,
}

impl Mounted {
    /// An attribute of the element changed (or was read at mount): `None`
    /// when it was removed.
    pub fn set(&self, name: &str, value: Option<String>) {
        let value = value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        match name {
            "domain" => {
                self.domain.try_set(value.unwrap_or_default());
            }
            "mx" => {
                if let Some(mx) = self.mx {
                    // The generator takes one host per line.
                    let v = value.unwrap_or_default();
                    mx.try_set(
                        v.split([',', ' '])
                            .filter(|h| !h.is_empty())
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                }
            }
            "proxy" => {
                self.config.try_update(|c| c.proxy = value);
            }
            "resolver" => {
                self.config.try_update(|c| c.resolver = value);
            }
            "app" => {
                self.config.try_update(|c| c.app = value);
            }
            "heading-level" => {
                let level = value
                    .and_then(|v| v.parse::<u8>().ok())
                    .filter(|l| (2..=6).contains(l));
                self.config.try_update(|c| c.heading_level = level);
            }
            _ => {}
        }
    }

    /// Checks the domain in the box (a checker widget); false when there is
    /// nothing to check.
    pub fn run(&self) -> bool {
        match self.check {
            Some(s) if !s.input.get_untracked().trim().is_empty() => {
                start(s);
                true
            }
            _ => false,
        }
    }
}

/// Mounts the view `make` builds into `container`, under its own reactive
/// owner, and hands back the signals `make` created there with the mounted
/// view (`mount_to` runs `make` before it returns).
fn mount<S, V>(
    container: web_sys::HtmlElement,
    make: impl FnOnce() -> (S, V) + 'static,
) -> Option<(S, Box<dyn Any>)>
where
    S: 'static,
    V: IntoView + 'static,
{
    let slot = std::rc::Rc::new(std::cell::Cell::new(None));
    let out = slot.clone();
    let view = leptos::mount::mount_to(container, move || {
        let (signals, view) = make();
        out.set(Some(signals));
        view
    });
    Some((slot.take()?, Box::new(view)))
}

fn new_config(base: String) -> RwSignal<Config> {
    RwSignal::new(Config {
        base,
        ..Config::default()
    })
}

/// Mounts a checker widget into `container` (inside the element's shadow
/// root); `base` is the directory `widget.js` was loaded from.
pub fn mount_check(container: web_sys::HtmlElement, base: String) -> Option<Mounted> {
    let (s, view) = mount(container, move || {
        let s = CheckState {
            input: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            run: RwSignal::new(None),
            config: new_config(base),
            root: NodeRef::new(),
        };
        (s, view! { <CheckWidget s /> })
    })?;
    Some(Mounted {
        config: s.config,
        domain: s.input,
        mx: None,
        check: Some(s),
        _view: view,
    })
}

/// Mounts a generator widget into `container`.
pub fn mount_generate(container: web_sys::HtmlElement, base: String) -> Option<Mounted> {
    let ((domain, mx, config), view) = mount(container, move || {
        let domain = RwSignal::new(String::new());
        let mx = RwSignal::new(String::new());
        let config = new_config(base);
        (
            (domain, mx, config),
            view! { <GenerateWidget domain mx config /> },
        )
    })?;
    Some(Mounted {
        config,
        domain,
        mx: Some(mx),
        check: None,
        _view: view,
    })
}
