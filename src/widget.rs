//! The embeddable widgets' Wasm module: what `public/widget.js` (the custom
//! elements `<mtasts-check>` and `<mtasts-generate>`) calls. One module per
//! page, shared by every widget on it; the components are in
//! `mtasts::ui::embed`.

#[cfg(target_arch = "wasm32")]
mod exports {
    use mtasts::ui::embed;
    use wasm_bindgen::prelude::*;

    /// One widget on the page. `free()` (from the element's
    /// `disconnectedCallback`) unmounts it.
    #[wasm_bindgen]
    pub struct Widget(embed::Mounted);

    #[wasm_bindgen]
    impl Widget {
        /// An attribute changed; `undefined` when it was removed.
        pub fn set(&self, name: &str, value: Option<String>) {
            self.0.set(name, value);
        }

        /// Starts a check of the domain in the box; false when it is empty.
        pub fn run(&self) -> bool {
            self.0.run()
        }
    }

    fn mounted(m: Option<embed::Mounted>) -> Result<Widget, JsError> {
        m.map(Widget)
            .ok_or_else(|| JsError::new("the widget could not be mounted"))
    }

    #[wasm_bindgen]
    pub fn mount_check(container: web_sys::HtmlElement, base: String) -> Result<Widget, JsError> {
        mounted(embed::mount_check(container, base))
    }

    #[wasm_bindgen]
    pub fn mount_generate(
        container: web_sys::HtmlElement,
        base: String,
    ) -> Result<Widget, JsError> {
        mounted(embed::mount_generate(container, base))
    }

    /// A panic stops the module, and with it every widget on the page: say
    /// so in the console, where the page's developer looks. (widget.js shows
    /// each element's own error when a call into the module fails.)
    pub fn start() {
        std::panic::set_hook(Box::new(|info| {
            web_sys::console::error_1(
                &format!("mtasts widget stopped: {info}. Reload the page to use it again.").into(),
            );
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
        "mtasts-widget is the widgets' WebAssembly module: build it with scripts/build-widget."
    );
}
