//! Where to put the policy file: one recipe per common host (web servers and
//! static hosting), each with the files to write and the traps that break
//! MTA-STS on that host. RFC 8461 §3.2 fixes the URL
//! (`https://mta-sts.<domain>/.well-known/mta-sts.txt`) and the media type
//! (`text/plain`); §3.3 needs a certificate valid for the policy host and a
//! 200 answer, and forbids following redirects, which many hosts add by
//! default.

use serde::Serialize;

use super::prose::{code, text, Span};

/// The path of the policy file on the policy host (RFC 8461 §3.2).
pub const POLICY_PATH: &str = "/.well-known/mta-sts.txt";

/// The policy host of a domain: `mta-sts.<domain>` (RFC 8461 §3.2).
pub fn policy_host(domain: &str) -> String {
    format!("mta-sts.{domain}")
}

/// What every host must do, whichever it is (RFC 8461 §3.2, §3.3).
pub fn requirements(domain: &str) -> Vec<Span> {
    vec![
        text("Every host needs: the name "),
        code(policy_host(domain)),
        text(" in DNS, a valid certificate for it, the file at exactly "),
        code(POLICY_PATH),
        text(", served as "),
        code("text/plain"),
        text(" with status 200 and no redirect."),
    ]
}

/// A host a recipe is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Host {
    Nginx,
    Apache,
    Caddy,
    /// Cloudflare Workers or Cloudflare Pages.
    Cloudflare,
    GithubPages,
    Netlify,
}

impl Host {
    /// Every host, in the order the recipes are shown.
    pub const ALL: [Host; 6] = [
        Host::Nginx,
        Host::Apache,
        Host::Caddy,
        Host::Cloudflare,
        Host::GithubPages,
        Host::Netlify,
    ];

    /// The short name to ask for a recipe by (`mtasts generate --hosting`).
    pub fn id(self) -> &'static str {
        match self {
            Host::Nginx => "nginx",
            Host::Apache => "apache",
            Host::Caddy => "caddy",
            Host::Cloudflare => "cloudflare",
            Host::GithubPages => "github-pages",
            Host::Netlify => "netlify",
        }
    }

    /// The name people know the host by.
    pub fn title(self) -> &'static str {
        match self {
            Host::Nginx => "nginx",
            Host::Apache => "Apache",
            Host::Caddy => "Caddy",
            Host::Cloudflare => "Cloudflare Workers / Pages",
            Host::GithubPages => "GitHub Pages",
            Host::Netlify => "Netlify",
        }
    }

    /// The host named by `id` (any case, surrounding spaces ignored).
    pub fn from_id(id: &str) -> Result<Host, UnknownHost> {
        let wanted = id.trim();
        Host::ALL
            .into_iter()
            .find(|h| h.id().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownHost {
                given: wanted.to_string(),
            })
    }
}

/// A host name that has no recipe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownHost {
    pub given: String,
}

impl core::fmt::Display for UnknownHost {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = Host::ALL.iter().map(|h| h.id()).collect();
        write!(
            f,
            "no hosting recipe named `{}`; use one of: {}",
            self.given,
            names.join(", ")
        )
    }
}

/// One file of a recipe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct File {
    /// Where the file goes, with the way it is used where a host has
    /// several (Workers or Pages).
    pub name: String,
    /// Its exact content; empty for a file that only has to exist.
    pub content: String,
}

/// One hosting recipe: where the policy goes and what trips people up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recipe {
    #[serde(rename = "id")]
    pub host: Host,
    pub title: &'static str,
    pub files: Vec<File>,
    /// The traps of this host, most common first.
    pub notes: Vec<String>,
}

/// Every recipe for `domain` (A-labels) serving `policy` (the file's exact
/// text).
pub fn recipes(domain: &str, policy: &str) -> Vec<Recipe> {
    Host::ALL
        .into_iter()
        .map(|h| recipe(h, domain, policy))
        .collect()
}

fn file(name: impl Into<String>, content: impl Into<String>) -> File {
    File {
        name: name.into(),
        content: content.into(),
    }
}

/// The recipe for one host.
pub fn recipe(host: Host, domain: &str, policy: &str) -> Recipe {
    let name = policy_host(domain);
    let h = &name;
    let served_file = || file(format!("/var/www/mta-sts{POLICY_PATH}"), policy);
    let (files, notes) = match host {
        Host::Nginx => (
            vec![
                served_file(),
                file(
                    format!("/etc/nginx/sites-available/{h}"),
                    format!(
                        "server {{\n    listen 443 ssl;\n    listen [::]:443 ssl;\n    server_name {h};\n\n    ssl_certificate     /etc/letsencrypt/live/{h}/fullchain.pem;\n    ssl_certificate_key /etc/letsencrypt/live/{h}/privkey.pem;\n\n    root /var/www/mta-sts;\n\n    location = {POLICY_PATH} {{\n        default_type text/plain;\n        try_files $uri =404;\n    }}\n}}\n"
                    ),
                ),
            ],
            vec![
                "`default_type text/plain;` inside the location: nginx otherwise sends application/octet-stream when mime.types lacks .txt.".to_string(),
                "Keep site-wide `return 301` rules (www, trailing slash, HTTP to HTTPS on 443) out of this server block.".to_string(),
                format!("Include {h} in the certificate: `certbot --nginx -d {h}`."),
            ],
        ),
        Host::Apache => (
            vec![
                served_file(),
                file(
                    format!("/etc/apache2/sites-available/{h}.conf"),
                    format!(
                        "<VirtualHost *:443>\n    ServerName {h}\n    DocumentRoot /var/www/mta-sts\n\n    SSLEngine on\n    SSLCertificateFile    /etc/letsencrypt/live/{h}/fullchain.pem\n    SSLCertificateKeyFile /etc/letsencrypt/live/{h}/privkey.pem\n\n    <Location \"{POLICY_PATH}\">\n        ForceType text/plain\n        RewriteEngine off\n    </Location>\n</VirtualHost>\n"
                    ),
                ),
            ],
            vec![
                "`RewriteEngine off` for the file: inherited RewriteRules (www or HTTPS redirects) would send senders a 301.".to_string(),
                "Do not let a .htaccess in /var/www/mta-sts redirect or require authentication.".to_string(),
                format!("Include {h} in the certificate: `certbot --apache -d {h}`."),
            ],
        ),
        Host::Caddy => (
            vec![
                served_file(),
                file(
                    "Caddyfile",
                    format!(
                        "{h} {{\n    root * /var/www/mta-sts\n    @policy path {POLICY_PATH}\n    header @policy Content-Type \"text/plain; charset=utf-8\"\n    file_server\n}}\n"
                    ),
                ),
            ],
            vec![
                format!("Caddy gets the certificate itself once {h} points at the server (ports 80 and 443 open)."),
                "Do not add a `redir` for this site.".to_string(),
            ],
        ),
        Host::Cloudflare => (
            vec![
                file(
                    format!("worker.js (Workers, route: {h}/*)"),
                    format!(
                        "const POLICY = {};\n\nexport default {{\n  async fetch(request) {{\n    const url = new URL(request.url);\n    if (url.pathname === \"{POLICY_PATH}\") {{\n      return new Response(POLICY, {{\n        headers: {{ \"content-type\": \"text/plain; charset=utf-8\" }},\n      }});\n    }}\n    return new Response(\"Not found\", {{ status: 404 }});\n  }},\n}};\n",
                        js_string(policy)
                    ),
                ),
                file(format!("Pages: public{POLICY_PATH}"), policy),
                file(
                    "Pages: public/_headers",
                    format!("{POLICY_PATH}\n  Content-Type: text/plain; charset=utf-8\n"),
                ),
            ],
            vec![
                format!("Attach {h} as a custom domain (proxied) so Cloudflare issues the certificate."),
                "Bot Fight Mode, Browser Integrity Check and challenges block mail servers (they are not browsers): add a rule that skips them for /.well-known/mta-sts.txt.".to_string(),
                "Turn off \"Always Use HTTPS\"-style page rules that redirect this path on HTTPS.".to_string(),
            ],
        ),
        Host::GithubPages => (
            vec![
                file(".well-known/mta-sts.txt", policy),
                file(".nojekyll", ""),
                file("CNAME", format!("{h}\n")),
            ],
            vec![
                "Add the empty .nojekyll file: Jekyll does not publish folders starting with a dot, so /.well-known/ answers 404 without it.".to_string(),
                "Do not put front matter (---) in the policy file.".to_string(),
                format!("Point {h} at <user>.github.io with a CNAME record and tick \"Enforce HTTPS\" once the certificate is issued."),
                "GitHub serves .txt as text/plain; keep the file name exactly mta-sts.txt.".to_string(),
            ],
        ),
        Host::Netlify => (
            vec![
                file(".well-known/mta-sts.txt", policy),
                file(
                    "netlify.toml",
                    format!("[[headers]]\n  for = \"{POLICY_PATH}\"\n  [headers.values]\n    Content-Type = \"text/plain; charset=utf-8\"\n"),
                ),
            ],
            vec![
                format!("Make {h} the primary domain of its own site: Netlify redirects domain aliases to the primary domain with a 301, which senders do not follow."),
                "Check the publish directory contains .well-known (some build tools drop dot folders).".to_string(),
                "Pretty-URL and trailing-slash rewrites must not touch the .txt path.".to_string(),
            ],
        ),
    };
    Recipe {
        host,
        title: host.title(),
        files,
        notes,
    }
}

/// A JavaScript string literal holding `s`, for the Worker's source. The
/// line separators U+2028/U+2029 are escaped too: older engines end a
/// string literal at them.
fn js_string(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str =
        "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n";

    fn named<'a>(r: &'a Recipe, name: &str) -> &'a File {
        r.files
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{}: no file {name}", r.host.id()))
    }

    /// A configuration file and the line in it that makes the host answer
    /// `text/plain`.
    type TextPlain = Option<(&'static str, &'static str)>;

    /// Per host: the file holding the policy, and the configuration that
    /// makes the host answer `text/plain` (none where the host does it).
    const TABLE: &[(Host, &str, TextPlain)] = &[
        (
            Host::Nginx,
            "/var/www/mta-sts/.well-known/mta-sts.txt",
            Some((
                "/etc/nginx/sites-available/mta-sts.example.com",
                "default_type text/plain;",
            )),
        ),
        (
            Host::Apache,
            "/var/www/mta-sts/.well-known/mta-sts.txt",
            Some((
                "/etc/apache2/sites-available/mta-sts.example.com.conf",
                "ForceType text/plain",
            )),
        ),
        (
            Host::Caddy,
            "/var/www/mta-sts/.well-known/mta-sts.txt",
            Some(("Caddyfile", "Content-Type \"text/plain; charset=utf-8\"")),
        ),
        (
            Host::Cloudflare,
            "Pages: public/.well-known/mta-sts.txt",
            Some((
                "Pages: public/_headers",
                "Content-Type: text/plain; charset=utf-8",
            )),
        ),
        (Host::GithubPages, ".well-known/mta-sts.txt", None),
        (
            Host::Netlify,
            ".well-known/mta-sts.txt",
            Some((
                "netlify.toml",
                "Content-Type = \"text/plain; charset=utf-8\"",
            )),
        ),
    ];

    #[test]
    fn every_recipe_serves_the_policy_as_text_plain_at_the_fixed_path() {
        assert_eq!(TABLE.len(), Host::ALL.len());
        for &(host, policy_file, config) in TABLE {
            let r = recipe(host, "example.com", POLICY);
            let id = host.id();
            assert_eq!(r.title, host.title());
            // The policy's exact bytes (CRLF kept) in a file at the fixed path.
            let f = named(&r, policy_file);
            assert!(format!("/{}", f.name).ends_with(POLICY_PATH), "{id}");
            assert_eq!(f.content, POLICY, "{id}");
            // The policy host appears where the host is configured or named.
            let everything: String = r
                .files
                .iter()
                .map(|f| format!("{}\n{}\n", f.name, f.content))
                .chain(r.notes.iter().cloned())
                .collect();
            assert!(everything.contains("mta-sts.example.com"), "{id}");
            if let Some((config, text_plain)) = config {
                let c = &named(&r, config).content;
                assert!(c.contains(POLICY_PATH), "{id}: {c}");
                assert!(c.contains(text_plain), "{id}: {c}");
            }
            // No file the recipe writes redirects.
            for f in &r.files {
                let c = f.content.to_ascii_lowercase();
                assert!(
                    !c.contains("301") && !c.contains("redir") && !c.contains("rewriterule"),
                    "{id}: {}",
                    f.name
                );
            }
            assert!(!r.notes.is_empty(), "{id}: no traps");
        }
    }

    #[test]
    fn servers_get_a_virtual_host_for_the_policy_host_with_its_certificate() {
        for host in [Host::Nginx, Host::Apache] {
            let r = recipe(host, "example.com", POLICY);
            let c = &r.files[1].content;
            assert!(
                c.contains("443")
                    && c.contains("/etc/letsencrypt/live/mta-sts.example.com/fullchain.pem"),
                "{c}"
            );
        }
        let caddy = recipe(Host::Caddy, "example.com", POLICY);
        assert!(named(&caddy, "Caddyfile")
            .content
            .starts_with("mta-sts.example.com {\n"));
        let gh = recipe(Host::GithubPages, "example.com", POLICY);
        assert_eq!(named(&gh, "CNAME").content, "mta-sts.example.com\n");
        assert_eq!(named(&gh, ".nojekyll").content, "");
        assert!(gh.notes.iter().any(|n| n.contains("text/plain")));
    }

    #[test]
    fn the_worker_answers_the_policy_path_with_the_policy_as_a_js_string() {
        let r = recipe(Host::Cloudflare, "example.com", POLICY);
        let w = named(&r, "worker.js (Workers, route: mta-sts.example.com/*)");
        assert!(w.content.starts_with(
            "const POLICY = \"version: STSv1\\r\\nmode: testing\\r\\nmx: mx1.example.com\\r\\nmax_age: 604800\\r\\n\";\n"
        ), "{}", w.content);
        assert!(w
            .content
            .contains("if (url.pathname === \"/.well-known/mta-sts.txt\")"));
        assert!(w
            .content
            .contains("\"content-type\": \"text/plain; charset=utf-8\""));
        assert_eq!(
            js_string("a\"b\\c\u{2028}d\ne"),
            "\"a\\\"b\\\\c\\u2028d\\ne\""
        );
    }

    #[test]
    fn hosts_are_asked_for_by_id_and_an_unknown_name_lists_the_ids() {
        let ids: Vec<&str> = Host::ALL.iter().map(|h| h.id()).collect();
        assert_eq!(
            ids,
            [
                "nginx",
                "apache",
                "caddy",
                "cloudflare",
                "github-pages",
                "netlify"
            ]
        );
        for h in Host::ALL {
            assert_eq!(Host::from_id(h.id()), Ok(h));
        }
        assert_eq!(Host::from_id(" GitHub-Pages "), Ok(Host::GithubPages));
        let e = Host::from_id("iis").unwrap_err();
        assert_eq!(
            e.to_string(),
            "no hosting recipe named `iis`; use one of: nginx, apache, caddy, cloudflare, github-pages, netlify"
        );
        let all = recipes("example.com", POLICY);
        assert_eq!(
            all.iter().map(|r| r.host).collect::<Vec<_>>(),
            Host::ALL.to_vec()
        );
    }

    #[test]
    fn every_host_needs_the_name_a_certificate_the_path_and_text_plain() {
        let r = requirements("example.org");
        assert!(r.contains(&Span::Code("mta-sts.example.org".into())));
        assert!(r.contains(&Span::Code(POLICY_PATH.into())));
        assert!(r.contains(&Span::Code("text/plain".into())));
        assert!(r
            .iter()
            .any(|s| matches!(s, Span::Text(t) if t.contains("no redirect"))));
    }
}
