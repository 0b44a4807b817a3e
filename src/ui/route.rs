//! The page address as state: `?view=generator|linter|reports|settings`, and
//! `?domain=D` for a check (a permalink that runs at once). Kept in the query
//! string so any static server, and `mtasts serve`, hands out the same page.

/// The views of the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Checker,
    Generator,
    Linter,
    Reports,
    Settings,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Checker,
        View::Generator,
        View::Linter,
        View::Reports,
        View::Settings,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            View::Checker => "checker",
            View::Generator => "generator",
            View::Linter => "linter",
            View::Reports => "reports",
            View::Settings => "settings",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            View::Checker => "Check a domain",
            View::Generator => "Generate",
            View::Linter => "Lint",
            View::Reports => "Reports",
            View::Settings => "Settings",
        }
    }

    fn from_slug(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.slug() == s)
    }
}

/// Where the page is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub view: View,
    /// The domain to check, as typed in the address (not yet normalised).
    pub domain: Option<String>,
}

impl Route {
    /// Reads a query string (with or without the leading `?`).
    pub fn parse(search: &str) -> Route {
        let mut view = None;
        let mut domain = None;
        for pair in search.trim_start_matches('?').split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = decode(v);
            match k {
                "view" => view = View::from_slug(&v),
                "domain" if !v.trim().is_empty() => domain = Some(v),
                _ => {}
            }
        }
        let view = match (view, &domain) {
            (Some(v), _) => v,
            (None, Some(_)) => View::Checker,
            (None, None) => View::Checker,
        };
        Route { view, domain }
    }

    /// The query string for this route, `?` included (empty for the home).
    pub fn search(&self) -> String {
        match (&self.domain, self.view) {
            (Some(d), View::Checker) => format!("?domain={}", encode(d)),
            (None, View::Checker) => String::new(),
            (_, v) => format!("?view={}", v.slug()),
        }
    }

    pub fn current() -> Route {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        Route::parse(&search)
    }

    /// Adds this route to the session history, so back and forward work.
    pub fn push(&self) {
        let Some(w) = web_sys::window() else { return };
        let Ok(h) = w.history() else { return };
        let path = w.location().pathname().unwrap_or_else(|_| "/".to_string());
        let url = format!("{path}{}", self.search());
        let _ = h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

fn decode(v: &str) -> String {
    let plus = v.replace('+', " ");
    js_sys::decode_uri_component(&plus)
        .map(String::from)
        .unwrap_or(plus)
}

fn encode(v: &str) -> String {
    String::from(js_sys::encode_uri_component(v))
}
