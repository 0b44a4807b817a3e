//! The browser app's entry point: mounts [`mtasts::ui::App`]; everything else
//! lives in `src/ui` over the `sts` core.

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
fn main() {
    mtasts::ui::start();
}

// The app only runs in a browser; a native build of this binary (e.g. a
// workspace-wide `cargo build`) has nothing to do.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("mtasts-web is the browser app: build it with `trunk build`.");
}
