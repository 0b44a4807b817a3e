//! What the app remembers between visits, in `localStorage`: settings, the
//! check history (recent domains; last id and body per domain, so id drift is
//! reported) and drafts of what was typed. Every read tolerates a missing,
//! old or hand-edited value by falling back to the default.

use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::sts::report::Previous;

use super::json;

pub const SETTINGS_KEY: &str = "mtasts.settings";
pub const HISTORY_KEY: &str = "mtasts.history";
const DRAFT_PREFIX: &str = "mtasts.draft.";
/// How many recent domains to list.
pub const RECENT_MAX: usize = 10;

pub const DEFAULT_RESOLVERS: [&str; 2] = [
    "https://cloudflare-dns.com/dns-query",
    "https://dns.google/dns-query",
];

/// Where the checker sends its requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Base URL of the policy proxy; empty means this page's own origin.
    pub proxy: String,
    /// DoH endpoints (RFC 8484), tried in order.
    pub resolvers: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            proxy: String::new(),
            resolvers: DEFAULT_RESOLVERS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Settings {
    /// The resolvers to use: the configured ones, or the defaults if the list
    /// was emptied.
    pub fn resolvers(&self) -> Vec<String> {
        let list: Vec<String> = self
            .resolvers
            .iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        if list.is_empty() {
            Settings::default().resolvers
        } else {
            list
        }
    }

    /// `{proxy}/api/policy?domain=D`, with `&ua=browser` for the browser
    /// User-Agent variant.
    pub fn policy_url(&self, domain: &str, browser: bool) -> String {
        let base = self.proxy.trim().trim_end_matches('/');
        let ua = if browser { "&ua=browser" } else { "" };
        format!(
            "{base}/api/policy?domain={}{ua}",
            String::from(js_sys::encode_uri_component(domain))
        )
    }
}

impl Settings {
    /// `{proxy}/api/mx-tls?domain=D`: the proxy probes D's MX hosts.
    pub fn mx_tls_url(&self, domain: &str) -> String {
        format!(
            "{}/api/mx-tls?domain={}",
            self.proxy.trim().trim_end_matches('/'),
            String::from(js_sys::encode_uri_component(domain))
        )
    }
}

/// Recent domains and what was seen for each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct History {
    /// Most recent first, no duplicates.
    pub recent: Vec<String>,
    pub previous: BTreeMap<String, Previous>,
}

impl History {
    /// Moves `domain` to the front of the recent list.
    pub fn touch(&mut self, domain: &str) {
        self.recent.retain(|d| d != domain);
        self.recent.insert(0, domain.to_string());
        self.recent.truncate(RECENT_MAX);
    }
}

fn storage() -> Option<web_sys::Storage> {
    // Private browsing or a sandboxed frame may deny storage: the app then
    // works without memory.
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn get_raw(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Stores `value`; false when storage is unavailable or full.
pub fn set_raw(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

fn load<T: DeserializeOwned + Default>(key: &str) -> T {
    get_raw(key)
        .and_then(|t| json::from_str(&t).ok())
        .unwrap_or_default()
}

fn save<T: Serialize>(key: &str, value: &T) -> bool {
    json::to_string(value, false).is_ok_and(|t| set_raw(key, &t))
}

pub fn load_settings() -> Settings {
    load(SETTINGS_KEY)
}

pub fn save_settings(s: &Settings) -> bool {
    save(SETTINGS_KEY, s)
}

pub fn load_history() -> History {
    load(HISTORY_KEY)
}

pub fn save_history(h: &History) -> bool {
    save(HISTORY_KEY, h)
}

/// Text typed into a field, kept so a reload or a crash loses nothing.
pub fn draft(name: &str) -> Option<String> {
    get_raw(&format!("{DRAFT_PREFIX}{name}"))
}

pub fn set_draft(name: &str, text: &str) {
    set_raw(&format!("{DRAFT_PREFIX}{name}"), text);
}
