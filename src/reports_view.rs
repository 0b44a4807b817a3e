//! The Reports view's Wasm module: what `reports.js` (written by
//! scripts/build-reports) loads when the app's Reports view first opens.
//! It reads TLS-RPT reports (RFC 8460 §4) in the page; the view is
//! `mtasts::ui::reports`. A module of its own so that the JSON and gzip
//! readers stay out of the app's first load.

#[cfg(target_arch = "wasm32")]
mod exports {
    use wasm_bindgen::prelude::*;

    /// Mounts the view into `container`, replacing what it shows.
    #[wasm_bindgen]
    pub fn mount(container: web_sys::HtmlElement) {
        mtasts::ui::reports::mount(container);
    }

    /// A panic stops this module (the rest of the app keeps running): say
    /// so where the app shows its own fatal errors.
    pub fn start() {
        std::panic::set_hook(Box::new(|info| {
            let msg = format!(
                "The reports reader stopped ({info}). Nothing was uploaded; reload the page and pick the files again."
            );
            web_sys::console::error_1(&msg.clone().into());
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("fatal"))
            {
                el.set_text_content(Some(&msg));
                let _ = el.remove_attribute("hidden");
            }
        }));
    }
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
fn main() {
    exports::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "mtasts-reports is the Reports view's WebAssembly module: build it with scripts/build-reports."
    );
}
