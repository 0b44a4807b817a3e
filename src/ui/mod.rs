#![cfg(target_arch = "wasm32")]
use leptos::prelude::*;
pub fn start() { leptos::mount::mount_to_body(|| view! { <p>"hi"</p> }); }
