//! Views whose code is not in the app's first load. The Reports view is a
//! Wasm module of its own (`mtasts-reports`, built by scripts/build-reports
//! with a stable entry `reports.js`): the app shows the view's heading at
//! once and adds the module's script the first time the view opens; the
//! script mounts the reader into `#reports-root`.

use leptos::prelude::*;

/// Adds the Reports module's script to the page, once. A script made with
/// `createElement` runs when added (one parsed from HTML text would not).
/// When it cannot be fetched, its `onerror` says so in place of the
/// loading message (an attribute, not a Rust closure: this is in the app's
/// first load, where every byte counts).
pub fn load_reports() {
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
    let _ = script.set_attribute(
        "onerror",
        "document.getElementById('reports-root').innerHTML='<p class=error-view role=alert>The reports reader could not be loaded. Check the connection and reload the page.</p>'",
    );
    if let Some(body) = doc.body() {
        let _ = body.append_child(&script);
    }
}

/// The Reports section's content until the module mounts the reader.
#[component]
pub fn Reports() -> impl IntoView {
    view! {
        <h1 id="reports-title" tabindex="-1">"Read TLS-RPT reports"</h1>
        <p class="lede">"Read in this page, never uploaded."</p>
        <div id="reports-root">
            <p role="status">"Loading the reports reader…"</p>
        </div>
    }
}
