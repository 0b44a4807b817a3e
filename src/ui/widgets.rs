//! Copy buttons for the whole page (one delegated click handler) and the
//! element that shows prepared HTML.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

/// Starts `navigator.clipboard.writeText(text)`. Reached through `Reflect`
/// because web-sys keeps the Clipboard API behind an unstable cfg.
fn clipboard_write(text: &str) -> Option<js_sys::Promise> {
    let nav = web_sys::window()?.navigator();
    let clipboard = js_sys::Reflect::get(&nav, &"clipboard".into()).ok()?;
    if clipboard.is_undefined() || clipboard.is_null() {
        return None;
    }
    let write: js_sys::Function = js_sys::Reflect::get(&clipboard, &"writeText".into())
        .ok()?
        .dyn_into()
        .ok()?;
    write
        .call1(&clipboard, &text.into())
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()
}

/// Says `msg` in the live region of the button's scope: its widget's own
/// (`[data-copy-scope] .copy-status`, inside a shadow root), else the page's
/// `#copy-status`.
fn announce(btn: &Element, msg: &str) {
    let scoped = btn
        .closest("[data-copy-scope]")
        .ok()
        .flatten()
        .and_then(|s| s.query_selector(".copy-status").ok().flatten());
    let status = scoped.or_else(|| {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("copy-status"))
    });
    if let Some(el) = status {
        el.set_text_content(Some(msg));
    }
}

fn finish(btn: Element, ok: bool) {
    let label = btn
        .get_attribute("aria-label")
        .unwrap_or_else(|| "Copy".to_string());
    // Buttons keep their own wording ("Copy", "Copy JSON") to come back to;
    // a second click while "Copied" shows must not make that the wording.
    let idle = btn.get_attribute("data-idle").unwrap_or_else(|| {
        let t = btn.text_content().unwrap_or_else(|| "Copy".to_string());
        let _ = btn.set_attribute("data-idle", &t);
        t
    });
    btn.set_text_content(Some(if ok { "Copied" } else { "Copy failed" }));
    announce(
        &btn,
        &if ok {
            format!("{label}: copied to the clipboard")
        } else {
            format!("{label}: the clipboard is not available; select the text and copy it")
        },
    );
    set_timeout(
        move || btn.set_text_content(Some(&idle)),
        std::time::Duration::from_secs(3),
    );
}

/// The page's click handler: a `button[data-copy]` copies the text of the
/// element just before it (a `pre`), byte for byte.
pub fn on_click(ev: leptos::ev::MouseEvent) {
    let Some(target) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Ok(Some(btn)) = target.closest("button[data-copy]") else {
        return;
    };
    let text = btn
        .previous_element_sibling()
        .and_then(|e| e.text_content())
        .unwrap_or_default();
    match clipboard_write(&text) {
        Some(p) => leptos::task::spawn_local(async move {
            let ok = wasm_bindgen_futures::JsFuture::from(p).await.is_ok();
            finish(btn, ok);
        }),
        None => finish(btn, false),
    }
}

/// Prepared HTML (from [`super::html`], which escapes everything).
#[component]
pub fn Raw(html: String, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! { <div class=class inner_html=html></div> }
}
