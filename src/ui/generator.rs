//! The generator: what a domain publishes (policy file, TXT records, zone
//! lines), each linted live by the core, with hosting snippets and a rollout
//! plan dated from today.

use leptos::prelude::*;

use crate::sts::generate::{self, Generated, IdStrategy, Request};
use crate::sts::hosting;
use crate::sts::lint::{self, Kind, Lint, DAY, WEEK};
use crate::sts::policy::Mode;
use crate::sts::prose::Span;
use crate::sts::rollout::{self, When};

use super::storage;
use std::fmt::Write;

use super::html::{self, esc};
use super::widgets::Raw;

/// Seconds since the Unix epoch, from the browser clock.
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0).max(0.0) as u64
}

const PRESETS: [(u64, &str); 3] = [
    (DAY, "1 day (86400)"),
    (WEEK, "1 week (604800)"),
    (2 * WEEK, "2 weeks (1209600)"),
];

/// A field's text, from its stored draft when drafts are kept.
fn draft(drafts: bool, name: &str, default: &str) -> RwSignal<String> {
    let stored = drafts
        .then(|| storage::draft(&format!("gen.{name}")))
        .flatten();
    RwSignal::new(stored.unwrap_or_else(|| default.to_string()))
}

fn keep(
    drafts: bool,
    name: &'static str,
    sig: RwSignal<String>,
) -> impl Fn(leptos::ev::Event) + Copy {
    move |ev| {
        let v = event_target_value(&ev);
        if drafts {
            storage::set_draft(&format!("gen.{name}"), &v);
        }
        sig.set(v);
    }
}

/// The generator form and what to publish. The app keeps drafts in
/// localStorage and adds the advanced fields (`advanced`) and, after the
/// records, hosting recipes and the rollout plan (`more`); the embedded
/// generator (timestamp ids, preset lifetimes) is given its domain and MX
/// hosts by its element and writes nothing into the host site's storage.
#[component]
pub fn Generator(
    #[prop(default = true)] keep_drafts: bool,
    #[prop(optional)] domain: Option<RwSignal<String>>,
    #[prop(optional)] mx: Option<RwSignal<String>>,
    #[prop(optional)] more: Option<fn(&Generated, u64) -> String>,
    #[prop(optional)] advanced: Option<Advanced>,
) -> impl IntoView {
    let k = keep_drafts;
    let domain = domain.unwrap_or_else(|| draft(k, "domain", ""));
    let mode = draft(k, "mode", "testing");
    let mx = mx.unwrap_or_else(|| draft(k, "mx", ""));
    let age_choice = draft(k, "age", &WEEK.to_string());
    let age_custom = draft(k, "age_custom", "");
    let id_kind = draft(k, "id_kind", "timestamp");
    let id_manual = draft(k, "id_manual", "");
    let rua = draft(k, "rua", "");
    let wildcards =
        RwSignal::new(!(k && storage::draft("gen.wildcards").as_deref() == Some("off")));
    // The timestamp id is taken once (and on request), not on every key
    // press, so copied records stay consistent with each other.
    let stamp = RwSignal::new(now_secs());

    let max_age = Memo::new(move |_| {
        let choice = age_choice.get();
        let raw = if choice == "custom" {
            age_custom.get()
        } else {
            choice
        };
        raw.trim().parse::<u64>().map_err(|_| {
            "max_age must be a whole number of seconds, for example 604800.".to_string()
        })
    });
    let hosts = Memo::new(move |_| {
        mx.get()
            .lines()
            .flat_map(|l| l.split([',', ' ']))
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .collect::<Vec<_>>()
    });
    let suggestions = Memo::new(move |_| generate::suggest(&hosts.get()));

    let output = Memo::new(move |_| -> Result<Generated, (String, String)> {
        if domain.with(|d| d.trim().is_empty()) {
            return Err((
                "domain".into(),
                "Enter the mail domain, for example example.com.".into(),
            ));
        }
        let age = max_age.get().map_err(|m| ("max_age".to_string(), m))?;
        let mode = match mode.get().as_str() {
            "enforce" => Mode::Enforce,
            "none" => Mode::None,
            _ => Mode::Testing,
        };
        let id = match id_kind.get().as_str() {
            "hash" => IdStrategy::ContentHash,
            "manual" => IdStrategy::Manual(id_manual.get()),
            _ => IdStrategy::Timestamp(stamp.get()),
        };
        let req = Request {
            domain: domain.get(),
            mode,
            mx: hosts.get(),
            max_age: age,
            id,
            rua: rua
                .get()
                .split([',', ' ', '\n'])
                .map(str::to_string)
                .filter(|s| !s.trim().is_empty())
                .collect(),
            provider_wildcards: wildcards.get(),
            ttl: 3600,
        };
        // The core's generator has no IDNA in the app: hand it the A-label.
        let ascii = super::browser_normalise(&req.domain)
            .map_err(|e| ("domain".to_string(), e.message))?
            .ascii;
        generate::generate(&Request {
            domain: ascii,
            ..req
        })
        .map_err(|e| (e.field.to_string(), e.message))
    });
    let err_for = move |field: &'static str| error_of(output, field);
    let invalid = move |field: &'static str| invalid_of(output, field);
    let fields = Fields {
        drafts: k,
        age_custom,
        id_kind,
        id_manual,
        stamp,
        output,
    };

    view! {
        <form class="gen-form" on:submit=|ev| ev.prevent_default()>
            <div class="row">
                <div class="field">
                    <label for="gen-domain">"Mail domain"</label>
                    <input id="gen-domain" type="text" inputmode="url" autocomplete="off" spellcheck="false"
                        placeholder="example.com" aria-describedby="gen-domain-err"
                        aria-invalid=invalid("domain")
                        prop:value=move || domain.get() on:input=keep(k, "domain", domain) />
                    <p id="gen-domain-err" class="help error-text">{err_for("domain")}</p>
                </div>
                <div class="field">
                    <label for="gen-mode">"Mode"</label>
                    <select id="gen-mode" prop:value=move || mode.get() on:change=keep(k, "mode", mode)>
                        <option value="testing">"testing: report failures, deliver anyway"</option>
                        <option value="enforce">"enforce: refuse delivery without valid TLS"</option>
                        <option value="none">"none: remove the policy (teardown)"</option>
                    </select>
                </div>
            </div>
            <div class="field">
                <label for="gen-mx">"MX hosts, one per line"</label>
                <textarea id="gen-mx" rows="3" spellcheck="false" autocomplete="off"
                    placeholder="mx1.example.com"
                    aria-describedby="gen-mx-help gen-mx-err" aria-invalid=invalid("mx")
                    prop:value=move || mx.get() on:input=keep(k, "mx", mx)></textarea>
                <p id="gen-mx-help" class="help">
                    "The names in your MX records (" <code>"dig MX example.com"</code> "), or patterns like "
                    <code>"*.example.com"</code> "."
                </p>
                <p id="gen-mx-err" class="help error-text">{err_for("mx")}</p>
                {move || {
                    let s = suggestions.get();
                    (!s.is_empty()).then(|| view! {
                        <div class="notice" role="note">
                            <p>"Provider hosts found: their names vary, so the policy should use the provider's wildcard:"</p>
                            <ul>
                                {s.into_iter().map(|s| view! {
                                    <li><code>{s.host}</code> " → " <code>{s.pattern}</code> " (" {s.provider} ")"</li>
                                }).collect_view()}
                            </ul>
                            <label class="check">
                                <input type="checkbox" prop:checked=move || wildcards.get()
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        if k {
                                            storage::set_draft("gen.wildcards", if on { "on" } else { "off" });
                                        }
                                        wildcards.set(on);
                                    } />
                                " Use the provider wildcards"
                            </label>
                        </div>
                    })
                }}
            </div>
            <div class="row">
                <div class="field">
                    <label for="gen-age">"max_age"</label>
                    <select id="gen-age" prop:value=move || age_choice.get() on:change=keep(k, "age", age_choice)>
                        {PRESETS.iter().map(|(s, l)| view! { <option value=s.to_string()>{*l}</option> }).collect_view()}
                        {advanced.map(|_| view! { <option value="custom">"Custom"</option> })}
                    </select>
                </div>
                <div class="field" hidden=move || age_choice.get() != "custom">
                    {advanced.map(|a| (a.custom_age)(fields))}
                </div>
            </div>
            {advanced.map(|a| (a.id)(fields))}
            <div class="field">
                <label for="gen-rua">"TLS-RPT report address (rua)"</label>
                <input id="gen-rua" type="text" autocomplete="off" spellcheck="false"
                    placeholder=move || {
                        let d = domain.get();
                        let d = d.trim();
                        format!("tls-reports@{}", if d.is_empty() { "example.com" } else { d })
                    }
                    aria-describedby="gen-rua-help gen-rua-err" aria-invalid=invalid("rua")
                    prop:value=move || rua.get() on:input=keep(k, "rua", rua) />
                <p id="gen-rua-help" class="help">"An e-mail address or an https:// URL; several separated by commas."</p>
                <p id="gen-rua-err" class="help error-text">{err_for("rua")}</p>
            </div>
        </form>
        <section aria-labelledby="gen-out-title">
            <h2 id="gen-out-title">"What to publish"</h2>
            {move || match output.get() {
                Err((_, m)) => view! {
                    <p class="notice" role="status">{format!("Nothing to publish yet: {m}")}</p>
                }.into_any(),
                Ok(g) => {
                    let mut html = records(&g);
                    if let Some(more) = more {
                        html.push_str(&more(&g, now_secs()));
                    }
                    view! { <Raw html=html /> }.into_any()
                }
            }}
        </section>
    }
}

type Output = Memo<Result<Generated, (String, String)>>;

/// The message for `field` when the generator refused the form over it.
fn error_of(output: Output, field: &'static str) -> impl Fn() -> Option<String> + Copy {
    move || match output.get() {
        Err((f, m)) if f == field => Some(m),
        _ => None,
    }
}

/// `aria-invalid` for `field`.
fn invalid_of(output: Output, field: &'static str) -> impl Fn() -> Option<&'static str> + Copy {
    move || matches!(output.get(), Err((f, _)) if f == field).then_some("true")
}

/// What the advanced fields read and write.
#[derive(Clone, Copy)]
pub struct Fields {
    drafts: bool,
    age_custom: RwSignal<String>,
    id_kind: RwSignal<String>,
    id_manual: RwSignal<String>,
    stamp: RwSignal<u64>,
    output: Output,
}

/// The fields only the app shows: a custom max_age and the choice of policy
/// id (timestamp, content hash, typed). Handed to [`Generator`] as functions,
/// so a generator without them carries none of their code.
#[derive(Clone, Copy)]
pub struct Advanced {
    custom_age: fn(Fields) -> AnyView,
    id: fn(Fields) -> AnyView,
}

/// The app's advanced fields.
pub const ADVANCED: Advanced = Advanced {
    custom_age: custom_age_field,
    id: id_fields,
};

fn custom_age_field(f: Fields) -> AnyView {
    view! {
        <label for="gen-age-custom">"max_age in seconds"</label>
        <input id="gen-age-custom" type="number" min="0" max="31557600" inputmode="numeric"
            aria-describedby="gen-age-err" aria-invalid=invalid_of(f.output, "max_age")
            prop:value=move || f.age_custom.get() on:input=keep(f.drafts, "age_custom", f.age_custom) />
        <p id="gen-age-err" class="help error-text">{error_of(f.output, "max_age")}</p>
    }
    .into_any()
}

fn id_fields(f: Fields) -> AnyView {
    let Fields {
        drafts: k,
        id_kind,
        id_manual,
        stamp,
        output,
        ..
    } = f;
    view! {
            <fieldset>
                <legend>"Policy id"</legend>
                <div class="choice">
                    {[("timestamp", "Timestamp (now)"), ("hash", "Hash of the policy"), ("manual", "Type one")]
                        .into_iter()
                        .map(|(v, l)| {
                            let id = format!("gen-id-{v}");
                            view! {
                                <span>
                                    <input type="radio" name="gen-id" id=id.clone() value=v
                                        prop:checked=move || id_kind.get() == v
                                        on:change=keep(k, "id_kind", id_kind) />
                                    <label for=id>{l}</label>
                                </span>
                            }
                        })
                        .collect_view()}
                </div>
                <div class="field" hidden=move || id_kind.get() != "manual">
                    <label for="gen-id-value">"Id (1 to 32 letters and digits)"</label>
                    <input id="gen-id-value" type="text" autocomplete="off" spellcheck="false"
                        aria-describedby="gen-id-err" aria-invalid=invalid_of(output, "id")
                        prop:value=move || id_manual.get() on:input=keep(k, "id_manual", id_manual) />
                    <p id="gen-id-err" class="help error-text">{error_of(output, "id")}</p>
                </div>
                <p class="help" hidden=move || id_kind.get() != "timestamp">
                    <button type="button" class="secondary" on:click=move |_| stamp.set(now_secs())>"New timestamp"</button>
                    " Change the id every time the policy changes."
                </p>
            </fieldset>
    }
    .into_any()
}

fn lint_block(out: &mut String, l: &Lint) {
    let (cls, word) = if l.valid {
        ("pill ok", "Lints valid")
    } else {
        ("pill bad", "Lints invalid")
    };
    let n = l.findings.len();
    let _ = write!(
        out,
        "<p><span class=\"{cls}\">{word}</span> {n} finding(s)</p>"
    );
    if n > 0 {
        let _ = write!(
            out,
            "<details class=\"lint-details\"><summary>Findings</summary>{}</details>",
            html::findings(&l.findings, 4)
        );
    }
}

/// Everything to publish, each part linted by the core.
fn records(g: &Generated) -> String {
    let d = esc(&g.domain);
    let mut out = String::new();
    let url = esc(&g.policy_url);
    let _ = write!(
        out,
        "<h3>1. The policy file</h3><p>Serve it at <a href=\"{url}\">{url}</a> as <code>text/plain</code>, status 200, no redirect.</p>"
    );
    html::code_block(&mut out, &g.policy, "policy file", "gen-policy");
    lint_block(
        &mut out,
        &lint::lint(Kind::Policy, g.policy.as_bytes(), Some(&g.domain)),
    );
    let _ = write!(
        out,
        "<h3>2. The <code>_mta-sts</code> TXT record</h3><p>Name: <code>_mta-sts.{d}</code></p>"
    );
    html::code_block(&mut out, &g.sts_txt, "_mta-sts TXT value", "gen-sts-txt");
    lint_block(&mut out, &lint::lint(Kind::Txt, g.sts_txt.as_bytes(), None));
    let _ = write!(out, "<h3>3. The <code>_smtp._tls</code> TLS-RPT record</h3><p>Name: <code>_smtp._tls.{d}</code></p>");
    html::code_block(
        &mut out,
        &g.tlsrpt_txt,
        "_smtp._tls TXT value",
        "gen-tlsrpt-txt",
    );
    lint_block(
        &mut out,
        &lint::lint(Kind::Tlsrpt, g.tlsrpt_txt.as_bytes(), None),
    );
    out.push_str("<h3>4. Zone file lines</h3>");
    html::code_block(&mut out, &g.zone, "zone file lines", "gen-zone");
    out
}

/// Hosting recipes and the rollout plan dated from `today`: the app's part
/// after the records, written from the core's [`hosting`] and [`rollout`].
pub fn hosting_and_plan(g: &Generated, today: u64) -> String {
    let mut out = String::from("<h2>Hosting the policy</h2><p>");
    spans(&mut out, &hosting::requirements(&g.domain));
    out.push_str("</p>");
    for r in hosting::recipes(&g.domain, &g.policy) {
        let _ = write!(
            out,
            "<details class=\"host\"><summary>{}</summary>",
            esc(r.title)
        );
        for f in &r.files {
            let _ = write!(out, "<p class=\"file\"><code>{}</code></p>", esc(&f.name));
            let shown = if f.content.is_empty() {
                "(empty file)"
            } else {
                &f.content
            };
            html::code_block(&mut out, shown, &format!("{} {}", r.title, f.name), "");
        }
        out.push_str("<p><strong>Traps:</strong></p><ul class=\"traps\">");
        for t in &r.notes {
            let _ = write!(out, "<li>{}</li>", esc(t));
        }
        out.push_str("</ul></details>");
    }

    out.push_str("<h2>Rollout plan</h2><ol class=\"plan\">");
    for step in rollout::plan(&g.domain, g.max_age, today).steps {
        out.push_str("<li>");
        if let Some(when) = &step.when {
            let when = match when {
                When::On { date } => esc(date),
                When::Between { from, to } => format!("{} to {}", esc(from), esc(to)),
                When::From { date } => format!("From {}", esc(date)),
            };
            let _ = write!(out, "<span class=\"date\">{when}</span>: ");
        }
        spans(&mut out, &step.text);
        out.push_str("</li>");
    }
    out.push_str("</ol>");
    out
}

/// A sentence of the core's advice as HTML.
fn spans(out: &mut String, text: &[Span]) {
    for s in text {
        let _ = match s {
            Span::Text(t) => write!(out, "{}", esc(t)),
            Span::Code(c) => write!(out, "<code>{}</code>", esc(c)),
            Span::Date(d) => write!(out, "<span class=\"date\">{}</span>", esc(d)),
            // This page is the checker: "check example.com here".
            Span::Check(d) => write!(out, "{} here", esc(d)),
        };
    }
}
