//! The browser app: a Leptos client-side-rendered page over the `sts` core.
//! Each view is a thin shell: the core decides, the view shows.
//!
//! Only built for wasm32 (the dependencies are wasm32-only), so native builds
//! with the default `ui` feature cost nothing.
#![cfg(target_arch = "wasm32")]

pub mod checker;
pub mod embed;
pub mod generator;
pub mod html;
pub mod json;
pub mod linter;
pub mod net;
pub mod on_demand;
pub mod reports;
pub mod route;
pub mod senders;
pub mod settings;
pub mod storage;
pub mod widgets;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use route::{Route, View};

/// Mounts the app on the page (called from `main`).
pub fn start() {
    std::panic::set_hook(Box::new(show_fatal));
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(loading) = doc.get_element_by_id("loading") {
        loading.remove();
    }
    let target = doc
        .get_element_by_id("app")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .or_else(|| doc.body());
    if let Some(target) = target {
        leptos::mount::mount_to(target, App).forget();
    }
}

/// A panic aborts the Wasm instance; instead of a dead page, say so and point
/// at the drafts kept in localStorage. Writes the static `#fatal` element
/// without the framework, which may be what failed.
fn show_fatal(info: &std::panic::PanicHookInfo<'_>) {
    let msg = format!(
        "Something went wrong in mtasts ({info}). What you typed is kept in this browser: reload the page to continue."
    );
    web_sys::console::error_1(&msg.clone().into());
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("fatal"))
    {
        el.set_text_content(Some(&msg));
        let _ = el.remove_attribute("hidden");
    }
}

fn focus_heading(view: View) {
    let id = format!("{}-title", view.slug());
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

#[component]
pub fn App() -> impl IntoView {
    let route = RwSignal::new(Route::current());
    let settings = RwSignal::new(storage::load_settings());
    let history = RwSignal::new(storage::load_history());
    let checked = RwSignal::new(None::<String>);

    // Back and forward: the address is the state.
    let handle = window_event_listener(leptos::ev::popstate, move |_| {
        route.set(Route::current());
    });
    on_cleanup(move || handle.remove());

    let view = Memo::new(move |_| route.with(|r| r.view));
    // The Reports view's module loads the first time the view opens.
    Effect::new(move |_| {
        if view.get() == View::Reports {
            on_demand::load_reports();
        }
    });
    let nav = View::ALL
        .into_iter()
        .map(|v| {
            let href = Route {
                view: v,
                domain: None,
            }
            .search();
            let href = if href.is_empty() {
                "?".to_string()
            } else {
                href
            };
            let go = move |ev: leptos::ev::MouseEvent| {
                // Let modified clicks open a new tab as usual.
                if ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.button() != 0 {
                    return;
                }
                ev.prevent_default();
                let next = Route {
                    view: v,
                    domain: None,
                };
                // Coming back to the checker keeps the domain it shows.
                let next = if v == View::Checker {
                    Route {
                        view: v,
                        domain: checked.get_untracked(),
                    }
                } else {
                    next
                };
                if route.get_untracked() != next {
                    next.push();
                    route.set(next);
                }
                request_animation_frame(move || focus_heading(v));
            };
            view! {
                <li>
                    <a
                        href=href
                        on:click=go
                        aria-current=move || (view.get() == v).then_some("page")
                    >
                        {v.title()}
                    </a>
                </li>
            }
        })
        .collect_view();

    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="site">
            <p class="brand">
                <span class="logo" aria-hidden="true">"✉"</span>
                " mtasts"
                <span class="tag">" MTA-STS checker, linter and generator"</span>
            </p>
            <nav aria-label="Views">
                <ul>{nav}</ul>
            </nav>
        </header>
        <main id="main" tabindex="-1" on:click=widgets::on_click>
            <ErrorBoundary fallback=|errors| view! { <ViewError errors=errors /> }>
                <section class="view" hidden=move || view.get() != View::Checker>
                    <checker::Checker route=route settings=settings history=history checked=checked />
                </section>
                <section class="view" hidden=move || view.get() != View::Generator>
                    <h1 id="generator-title" tabindex="-1">"Generate a policy and records"</h1>
                    <p class="lede">"Fill in the form; everything is generated and linted in this page."</p>
                    <generator::Generator more=generator::hosting_and_plan advanced=generator::ADVANCED />
                </section>
                <section class="view" hidden=move || view.get() != View::Linter>
                    <linter::Linter />
                </section>
                <section class="view" hidden=move || view.get() != View::Reports>
                    <on_demand::Reports />
                </section>
                <section class="view" hidden=move || view.get() != View::Settings>
                    <settings::SettingsView settings=settings history=history />
                </section>
            </ErrorBoundary>
        </main>
        <p id="copy-status" class="sr-only" role="status"></p>
        <footer class="site">
            <p>
                "Checks follow RFC 8461 (MTA-STS) and RFC 8460 (TLS-RPT). The linter and generator run entirely in this page."
            </p>
        </footer>
    }
}

/// What an error boundary shows: the errors in words, and that nothing typed
/// was lost.
#[component]
fn ViewError(errors: ArcRwSignal<leptos::error::Errors>) -> impl IntoView {
    view! {
        <div class="error-view" role="alert">
            <h2>"This view could not be shown"</h2>
            <ul>
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
            <p>"What you typed is kept. Reload the page to try again."</p>
        </div>
    }
}

/// Domain normalisation with the browser's IDNA (UTS 46 in the `URL` API),
/// so the app ships without the `idna` crate's tables.
pub fn browser_normalise(
    input: &str,
) -> Result<crate::sts::domain::Domain, crate::sts::domain::DomainError> {
    crate::sts::domain::normalise_with(input, &|name: &str| {
        if name.is_ascii() {
            return Some(name.to_ascii_lowercase());
        }
        let url = web_sys::Url::new(&format!("http://{name}/")).ok()?;
        let host = url.hostname();
        (!host.is_empty() && host.is_ascii()).then_some(host)
    })
}
