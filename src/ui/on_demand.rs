//! Views whose code is not in the app's first load. The Reports view is a
//! Wasm module of its own (`mtasts-reports`, built by scripts/build-reports
//! with a stable entry `reports.js`): the app shows the view's heading at
//! once and adds the module's script the first time the view opens; the
//! script mounts the reader into `#reports-root`.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Adds the Reports module's script to the page, once. A script made with
/// `createElement` runs when added (one parsed from HTML text would not).
fn load_reports(failed: RwSignal<bool>) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if doc.get_element_by_id("reports-script").is_some() {
        return;
    }
    let Ok(script) = doc.create_element("script") else {
        return;
    };
    script.set_id("reports-script");
    let _ = script.set_attribute("type", "module");
    let _ = script.set_attribute("src", "reports.js");
    let on_error = Closure::once_into_js(move || failed.set(true));
    let _ = script.add_event_listener_with_callback("error", on_error.unchecked_ref());
    if let Some(body) = doc.body() {
        let _ = body.append_child(&script);
    }
}

/// The Reports section's content. `opened` turns true the first time the
/// view is shown and stays so.
#[component]
pub fn Reports(opened: Memo<bool>) -> impl IntoView {
    let failed = RwSignal::new(false);
    Effect::new(move |_| {
        if opened.get() {
            load_reports(failed);
        }
    });
    view! {
        <h1 id="reports-title" tabindex="-1">"Read TLS-RPT reports"</h1>
        <p class="lede">
            "The daily reports senders mail to your "<code>"rua"</code>
            " address: what failed, where, since when, what to fix, and whether to enforce. Read in this page, never uploaded."
        </p>
        <div id="reports-root">
            <p class="status" role="status">"Loading the reports reader…"</p>
        </div>
        <Show when=move || failed.get()>
            <p class="error-view" role="alert">
                "The reports reader could not be loaded. Check the connection and reload the page."
            </p>
        </Show>
    }
}
