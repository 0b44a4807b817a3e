//! The policy fetch in the report, RFC 8461 §3.3: an HTTPS GET of
//! `https://mta-sts.<domain>/.well-known/mta-sts.txt` that must answer 200
//! without redirects, with a text/plain body of at most 64 KiB; then the
//! body itself, RFC 8461 §3.2.

use super::{Certificate, Fetch, FetchError, FetchErrorClass, Lookup};
use crate::sts::finding::{Code, Finding};
use crate::sts::lint;
use crate::sts::policy::{self, Policy};

/// What the fetch yielded.
#[derive(Default)]
pub(super) struct Served {
    /// A 200 answer with a body: the domain serves something at the URL,
    /// even when it is not a policy (HTML, RTF).
    pub served: bool,
    /// The policy as senders read it, when valid.
    pub policy: Option<Policy>,
    /// What could be read of the body even when invalid.
    pub partial: policy::Partial,
}

/// The fetch as a sender makes it, RFC 8461 §3.3, then the body, §3.2.
/// `browser` is the same fetch with a browser User-Agent, when made.
pub(super) fn check(
    d: &str,
    fetch: &Fetch,
    browser: Option<&Fetch>,
    host: &Lookup<String>,
    f: &mut Vec<Finding>,
) -> Served {
    let url = format!("https://mta-sts.{d}/.well-known/mta-sts.txt");
    if let Some(target) = host.cnames.last() {
        f.push(host_delegated(d, target));
    }
    if let Some(err) = &fetch.error {
        f.push(no_response(d, &url, err, fetch.certificate.as_ref()));
        return Served::default();
    }
    let status = fetch.status.unwrap_or(0);
    if (300..400).contains(&status) {
        f.push(redirect(&url, status, fetch.header("location")));
        return Served::default();
    }
    if status != 200 {
        let browser_ok = browser.is_some_and(|b| b.status == Some(200));
        f.push(if browser_ok {
            user_agent_blocked(&url, status)
        } else {
            not_ok(&url, status)
        });
        return Served::default();
    }
    f.extend(content_type(fetch.header("content-type")));
    if fetch.truncated {
        f.push(too_large(&url));
    }
    let checked = policy::check(fetch.body_bytes());
    f.extend(checked.findings);
    f.extend(lint::policy_advice(&checked.partial, Some(d)));
    Served {
        served: true,
        policy: checked.policy,
        partial: checked.partial,
    }
}

/// `mta-sts` handed to a hosting provider by CNAME, RFC 8461 §3.3, §8.2:
/// the certificate must still name `mta-sts.<domain>`.
fn host_delegated(d: &str, target: &str) -> Finding {
    Finding::new(
        Code::PolicyHostCname,
        format!("mta-sts.{d} is a CNAME to {target}; the policy is hosted there, and its certificate must still be valid for mta-sts.{d}."),
        "Nothing to fix if the host serves a certificate for mta-sts.".to_string() + d,
    )
}

/// No HTTP response at all, RFC 8461 §3.3: no address, no connection, no
/// valid certificate (with what the certificate says), or a body past the
/// cap.
fn no_response(d: &str, url: &str, err: &FetchError, cert: Option<&Certificate>) -> Finding {
    let (code, msg, fix) = match err.class {
        FetchErrorClass::NoAddress => (
            Code::PolicyHostMissing,
            format!("mta-sts.{d} has no address (no A/AAAA record), so senders cannot fetch the policy."),
            format!("Create an A/AAAA (or CNAME) record for mta-sts.{d} pointing at the web server that serves the policy."),
        ),
        FetchErrorClass::ConnectionRefused => (
            Code::PolicyConnect,
            format!("mta-sts.{d} refused the HTTPS connection on port 443."),
            "Make the web server listen on port 443 for this host name.".to_string(),
        ),
        FetchErrorClass::Timeout => (
            Code::PolicyTimeout,
            format!("Fetching {url} timed out; senders give up after about a minute."),
            "Make the policy host answer quickly; check firewalls and the server's health.".to_string(),
        ),
        FetchErrorClass::TlsExpired => (
            Code::PolicyTlsExpired,
            format!("The certificate of mta-sts.{d} has expired; senders reject it."),
            format!("Renew the certificate and include mta-sts.{d} in the renewal (e.g. certbot -d mta-sts.{d})."),
        ),
        FetchErrorClass::TlsHostname => (
            Code::PolicyTlsHostname,
            format!("The certificate served for mta-sts.{d} is not valid for that name."),
            format!("Serve a certificate whose subject alternative names include mta-sts.{d} (a wildcard *.{d} also works)."),
        ),
        FetchErrorClass::TlsUntrusted => (
            Code::PolicyTlsUntrusted,
            format!("The certificate of mta-sts.{d} does not chain to a trusted CA (self-signed or missing intermediate)."),
            "Use a certificate from a public CA (e.g. Let's Encrypt) and serve the full chain.".to_string(),
        ),
        FetchErrorClass::Tls => (
            Code::PolicyTls,
            format!("The TLS handshake with mta-sts.{d} failed."),
            "Check the web server's TLS configuration and certificate.".to_string(),
        ),
        FetchErrorClass::BodyTooLarge => {
            let (msg, fix) = past_the_cap(url);
            (Code::PolicyTooLarge, msg, fix.to_string())
        }
        FetchErrorClass::Forbidden | FetchErrorClass::Other => (
            Code::PolicyFetchFailed,
            format!("The policy at {url} could not be fetched."),
            "Check that the URL opens from outside your network.".to_string(),
        ),
    };
    let mut msg = if err.message.is_empty() {
        msg
    } else {
        format!("{msg} ({})", err.message)
    };
    if let Some(cert) = cert {
        msg.push_str(&certificate_detail(err.class, cert));
    }
    Finding::new(code, msg, fix)
}

/// What the certificate says, for the three certificate failures.
fn certificate_detail(class: FetchErrorClass, cert: &Certificate) -> String {
    match class {
        FetchErrorClass::TlsExpired => cert
            .not_after
            .as_ref()
            .map(|end| format!(" The certificate expired on {end}."))
            .unwrap_or_default(),
        FetchErrorClass::TlsHostname => format!(
            " The certificate is valid for: {}.",
            if cert.subject_names.is_empty() {
                "no DNS names".to_string()
            } else {
                cert.subject_names.join(", ")
            }
        ),
        FetchErrorClass::TlsUntrusted => cert
            .issuer
            .as_ref()
            .map(|issuer| format!(" It was issued by {issuer}."))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// A 3xx answer, RFC 8461 §3.3: senders must not follow redirects.
fn redirect(url: &str, status: u16, location: Option<&str>) -> Finding {
    let to = location.map(|l| format!(" to {l}")).unwrap_or_default();
    Finding::new(
        Code::PolicyRedirect,
        format!("{url} answers {status}, a redirect{to}. Senders must not follow redirects (RFC 8461 §3.3), so they get no policy, even though a browser shows it."),
        "Serve the policy directly at that URL with status 200: exempt /.well-known/mta-sts.txt from HTTP-to-HTTPS, www and trailing-slash redirects.",
    )
}

/// Refused to a mail server's User-Agent but served to a browser's: a bot
/// check in front of the policy, RFC 8461 §3.3.
fn user_agent_blocked(url: &str, status: u16) -> Finding {
    Finding::new(
        Code::PolicyUaBlocked,
        format!("{url} answers {status} to a mail server's User-Agent but 200 to a browser: a CDN or firewall bot check is blocking senders."),
        "Exempt /.well-known/mta-sts.txt from bot protection (e.g. Cloudflare Browser Integrity Check / Bot Fight Mode).",
    )
}

/// Any other status than 200, RFC 8461 §3.3.
fn not_ok(url: &str, status: u16) -> Finding {
    let why = match status {
        404 => " (not found: check the path /.well-known/mta-sts.txt, and on GitHub Pages add a .nojekyll file)",
        403 => " (forbidden)",
        _ => "",
    };
    Finding::new(
        Code::PolicyHttpStatus,
        format!("{url} answers HTTP {status}{why}; a policy is only valid with status 200."),
        "Serve the policy file at exactly /.well-known/mta-sts.txt with status 200.",
    )
}

/// The media type, RFC 8461 §3.2: `text/plain`, and a charset (if any) that
/// senders read, utf-8 or us-ascii.
fn content_type(ct: Option<&str>) -> Option<Finding> {
    let media = ct
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let charset = ct.and_then(|c| {
        c.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| v.trim().trim_matches('"').to_ascii_lowercase())
        })
    });
    if media != "text/plain" {
        let got = ct
            .map(|c| format!("`{c}`"))
            .unwrap_or_else(|| "no Content-Type".to_string());
        return Some(Finding::new(
            Code::PolicyContentType,
            format!("The policy is served with {got}; senders should only accept text/plain."),
            "Serve the file as text/plain (nginx: `default_type text/plain;` in that location).",
        ));
    }
    let cs = charset.filter(|c| c != "utf-8" && c != "us-ascii")?;
    Some(Finding::new(
        Code::PolicyContentType,
        format!("The policy is served as text/plain with charset={cs}; senders read only utf-8 or us-ascii."),
        "Serve it as `text/plain` or `text/plain; charset=utf-8`.",
    ))
}

/// A body cut at the cap, RFC 8461 §3.3.
fn too_large(url: &str) -> Finding {
    let (msg, fix) = past_the_cap(url);
    Finding::new(Code::PolicyTooLarge, msg, fix)
}

/// RFC 8461 §3.3: senders stop reading at 64 KiB.
fn past_the_cap(url: &str) -> (String, &'static str) {
    (
        format!("The body at {url} goes past 64 KiB; senders stop reading there."),
        "Serve only the policy lines (a few hundred bytes).",
    )
}
