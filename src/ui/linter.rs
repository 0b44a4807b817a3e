//! The offline linter: the same findings as `mtasts lint`, computed in the
//! page as the text is typed, with no network.

use leptos::prelude::*;

use crate::sts::lint::{self, Kind};

use super::html;
use super::storage;
use super::widgets::Raw;

/// What the kind selector offers: a fixed kind, or a guess from the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Auto,
    Fixed(Kind),
}

impl Choice {
    fn value(self) -> &'static str {
        match self {
            Choice::Auto => "auto",
            Choice::Fixed(Kind::Txt) => "txt",
            Choice::Fixed(Kind::Policy) => "policy",
            Choice::Fixed(Kind::Tlsrpt) => "tlsrpt",
        }
    }

    fn from_value(v: &str) -> Choice {
        match v {
            "txt" => Choice::Fixed(Kind::Txt),
            "policy" => Choice::Fixed(Kind::Policy),
            "tlsrpt" => Choice::Fixed(Kind::Tlsrpt),
            _ => Choice::Auto,
        }
    }
}

pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Txt => "_mta-sts TXT record",
        Kind::Policy => "policy file",
        Kind::Tlsrpt => "TLS-RPT record",
    }
}

/// Guesses what was pasted: a record starts with its version tag (in any
/// case, with stray quotes or spaces, since near misses are what the lint is
/// for); anything with lines or `key: value` fields is a policy.
pub fn detect(input: &str) -> Kind {
    let t = input
        .trim_start()
        .trim_start_matches(['"', '\''])
        .trim_start()
        .to_ascii_lowercase();
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.starts_with("v=tlsrpt") {
        return Kind::Tlsrpt;
    }
    if compact.starts_with("v=sts") {
        return Kind::Txt;
    }
    let one_line = !input.trim().contains('\n');
    if one_line && compact.starts_with("v=") {
        return if compact.contains("rua=") {
            Kind::Tlsrpt
        } else {
            Kind::Txt
        };
    }
    if one_line && compact.contains("id=") && !compact.contains(':') {
        return Kind::Txt;
    }
    if one_line && compact.contains("rua=") {
        return Kind::Tlsrpt;
    }
    Kind::Policy
}

const EXAMPLE_BROKEN: &str =
    "version: STSv1\nmode: enforce\n\nmx: mail.example.com\n  mx: *.example.net\nmax_age: 86400000\n";

#[component]
pub fn Linter() -> impl IntoView {
    let text = RwSignal::new(storage::draft("lint.text").unwrap_or_default());
    let choice = RwSignal::new(Choice::from_value(
        &storage::draft("lint.kind").unwrap_or_default(),
    ));
    let domain_text = RwSignal::new(storage::draft("lint.domain").unwrap_or_default());

    let kind = Memo::new(move |_| match choice.get() {
        Choice::Fixed(k) => k,
        Choice::Auto => text.with(|t| detect(t)),
    });
    let domain = Memo::new(move |_| {
        let d = domain_text.get();
        if d.trim().is_empty() {
            Ok(None)
        } else {
            super::browser_normalise(&d)
                .map(|d| Some(d.ascii))
                .map_err(|e| e.message)
        }
    });
    let result = Memo::new(move |_| {
        let t = text.get();
        if t.trim().is_empty() {
            return None;
        }
        let k = kind.get();
        // Records are single values: a pasted trailing newline is not part of
        // them (the CLI drops it too). A policy is linted exactly as typed.
        let input = match k {
            Kind::Policy => t.clone(),
            _ => t.strip_suffix('\n').unwrap_or(&t).to_string(),
        };
        let d = domain.get().ok().flatten();
        let l = lint::lint(k, input.as_bytes(), d.as_deref());
        Some((k, input, l))
    });

    let on_text = move |ev| {
        let v = event_target_value(&ev);
        storage::set_draft("lint.text", &v);
        text.set(v);
    };
    let on_kind = move |ev| {
        let v = event_target_value(&ev);
        storage::set_draft("lint.kind", &v);
        choice.set(Choice::from_value(&v));
    };
    let on_domain = move |ev| {
        let v = event_target_value(&ev);
        storage::set_draft("lint.domain", &v);
        domain_text.set(v);
    };
    let load_example = move |_| {
        storage::set_draft("lint.text", EXAMPLE_BROKEN);
        text.set(EXAMPLE_BROKEN.to_string());
    };

    view! {
        <h1 id="linter-title" tabindex="-1">"Lint a record or policy"</h1>
        <p class="lede">
            "Paste a " <code>"_mta-sts"</code> " TXT value, a policy file or a "
            <code>"_smtp._tls"</code> " TLS-RPT value. Everything is checked in this page; nothing is sent anywhere."
        </p>
        <form class="lint-form" on:submit=|ev| ev.prevent_default()>
            <div class="row">
                <div class="field">
                    <label for="lint-kind">"Input kind"</label>
                    <select id="lint-kind" on:change=on_kind prop:value=move || choice.get().value()>
                        <option value="auto">"Detect automatically"</option>
                        <option value="txt">"_mta-sts TXT record"</option>
                        <option value="policy">"Policy file (mta-sts.txt)"</option>
                        <option value="tlsrpt">"TLS-RPT record (_smtp._tls)"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="lint-domain">"Policy domain (optional)"</label>
                    <input
                        id="lint-domain"
                        type="text"
                        inputmode="url"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="example.com"
                        aria-describedby="lint-domain-help"
                        prop:value=move || domain_text.get()
                        on:input=on_domain
                    />
                    <p id="lint-domain-help" class="help">
                        {move || match domain.get() {
                            Err(e) => view! { <span class="error-text">{e}</span> }.into_any(),
                            Ok(_) => "Enables the checks that depend on whose policy it is.".into_any(),
                        }}
                    </p>
                </div>
            </div>
            <div class="field">
                <label for="lint-input">"Record or policy"</label>
                <textarea
                    id="lint-input"
                    rows="8"
                    spellcheck="false"
                    autocomplete="off"
                    aria-describedby="lint-detected"
                    prop:value=move || text.get()
                    on:input=on_text
                ></textarea>
                <p id="lint-detected" class="help">
                    {move || {
                        let k = kind_name(kind.get());
                        match choice.get() {
                            Choice::Auto => format!("Linted as: {k} (detected)"),
                            Choice::Fixed(_) => format!("Linted as: {k}"),
                        }
                    }}
                </p>
            </div>
            <button type="button" class="secondary" on:click=load_example>"Load a broken example"</button>
        </form>
        <section class="lint-result" aria-labelledby="lint-result-title">
            <h2 id="lint-result-title">"Result"</h2>
            <p class="verdict-line" role="status" aria-live="polite">
                {move || match result.get() {
                    None => view! { <span class="muted">"Paste something above to lint it."</span> }.into_any(),
                    Some((k, _, l)) => {
                        let errors = l.findings.iter().filter(|f| f.is_error()).count();
                        let others = l.findings.len() - errors;
                        let (cls, word) = if l.valid { ("pill ok", "Valid") } else { ("pill bad", "Invalid") };
                        view! {
                            <span class=cls data-verdict=if l.valid { "valid" } else { "invalid" }>{word}</span>
                            " " {format!("{}: {errors} error(s), {others} other finding(s).", kind_name(k))}
                        }.into_any()
                    }
                }}
            </p>
            {move || result.get().map(|(k, input, l)| {
                let mut out = html::findings(&l.findings, 3);
                if k == Kind::Policy {
                    out.push_str("<h3>The policy, line by line</h3>");
                    out.push_str(&html::policy_body(input.as_bytes(), &l.findings));
                }
                view! { <Raw html=out /> }
            })}
        </section>
    }
}
