//! Where checks go: the policy proxy and the DoH resolvers, remembered in
//! localStorage; and forgetting the history.

use leptos::prelude::*;

use super::storage::{self, History, Settings};

#[component]
pub fn SettingsView(settings: RwSignal<Settings>, history: RwSignal<History>) -> impl IntoView {
    let proxy = RwSignal::new(settings.get_untracked().proxy);
    let resolvers = RwSignal::new(settings.get_untracked().resolvers.join("\n"));
    let status = RwSignal::new(String::new());

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let s = Settings {
            proxy: proxy.get_untracked().trim().to_string(),
            resolvers: resolvers
                .get_untracked()
                .lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
        };
        let stored = storage::save_settings(&s);
        settings.set(s);
        status.set(if stored {
            "Saved. New checks use these settings.".to_string()
        } else {
            "Applied for this visit; this browser does not allow saving them.".to_string()
        });
    };
    let reset = move |_| {
        let s = Settings::default();
        proxy.set(s.proxy.clone());
        resolvers.set(s.resolvers.join("\n"));
        storage::remove(storage::SETTINGS_KEY);
        settings.set(s);
        status.set("Back to the defaults.".to_string());
    };
    let forget = move |_| {
        storage::remove(storage::HISTORY_KEY);
        history.set(History::default());
        status.set("History forgotten.".to_string());
    };

    view! {
        <h1 id="settings-title" tabindex="-1">"Settings"</h1>
        <form class="settings" on:submit=save>
            <div class="field">
                <label for="set-proxy">"Policy proxy"</label>
                <input
                    id="set-proxy"
                    type="url"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="(this site)"
                    aria-describedby="set-proxy-help"
                    prop:value=move || proxy.get()
                    on:input=move |ev| proxy.set(event_target_value(&ev))
                />
                <p id="set-proxy-help" class="help">
                    "Browsers cannot fetch another site's policy file themselves, so a proxy ("
                    <code>"mtasts serve"</code>
                    ") fetches it the way a mail server does. Empty means this site; otherwise the base URL, e.g. "
                    <code>"https://checker.example.net"</code> "."
                </p>
            </div>
            <div class="field">
                <label for="set-resolvers">"DNS-over-HTTPS resolvers, one per line, tried in order"</label>
                <textarea
                    id="set-resolvers"
                    rows="3"
                    spellcheck="false"
                    aria-describedby="set-resolvers-help"
                    prop:value=move || resolvers.get()
                    on:input=move |ev| resolvers.set(event_target_value(&ev))
                ></textarea>
                <p id="set-resolvers-help" class="help">
                    "RFC 8484 endpoints that answer GET requests with "
                    <code>"application/dns-message"</code>
                    " and allow cross-origin requests. When one fails or times out, the next is asked."
                </p>
            </div>
            <div class="buttons">
                <button type="submit">"Save settings"</button>
                <button type="button" class="secondary" on:click=reset>"Restore defaults"</button>
                <button type="button" class="secondary" on:click=forget>
                    {move || format!("Forget history ({} domains)", history.with(|h| h.recent.len()))}
                </button>
            </div>
            <p role="status" class="status">{move || status.get()}</p>
        </form>
    }
}
