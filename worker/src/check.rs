//! `mtasts check`: the whole check natively, with the same core report the
//! web app shows. DNS goes through [`crate::resolve`], the policy through the
//! proxy's fetch rules; both start at once.

use std::io::IsTerminal;

use mtasts::sts::domain::Domain;
use mtasts::sts::proxy::PolicyRequest;
use mtasts::sts::report::{self, Observations, Previous, Report};

use crate::fetch::Fetcher;
use crate::resolve::{fill_observations, Resolver};

fn progress(line: &str) {
    if std::io::stderr().is_terminal() {
        eprintln!("  {line}");
    }
}

/// Runs every lookup and the policy fetch in parallel and builds the report.
pub async fn check(
    domain: &Domain,
    resolver: &Resolver,
    fetcher: &Fetcher,
    previous: Option<Previous>,
) -> Report {
    progress(&format!(
        "looking up _mta-sts, _smtp._tls, MX, mta-sts and DANE records of {}; fetching {}",
        domain.ascii,
        domain.policy_url()
    ));
    let req = PolicyRequest {
        domain: domain.clone(),
        browser: false,
    };
    let (exchanges, fetched) =
        tokio::join!(resolver.lookup_check(&domain.ascii), fetcher.fetch(&req));
    let failed = exchanges.iter().filter(|e| !e.status().answered()).count();
    let slowest = exchanges
        .iter()
        .map(|e| e.elapsed.as_millis())
        .max()
        .unwrap_or(0);
    progress(&format!(
        "DNS: {} lookups, {failed} failed, slowest {slowest} ms",
        exchanges.len()
    ));
    let mut obs = Observations {
        domain: domain.ascii.clone(),
        previous,
        ..Observations::default()
    };
    fill_observations(&mut obs, &exchanges);
    // A refusal that a browser would not get points at a CDN bot check.
    if fetched.error.is_none()
        && fetched
            .status
            .is_some_and(|s| s != 200 && !(300..400).contains(&s))
    {
        progress("policy: repeating the fetch with a browser User-Agent");
        let browser = PolicyRequest {
            domain: domain.clone(),
            browser: true,
        };
        obs.policy_browser = Some(fetcher.fetch(&browser).await);
    }
    progress(&match (&fetched.status, &fetched.error) {
        (_, Some(e)) => format!("policy: {:?}", e.class),
        (Some(s), None) => format!("policy: HTTP {s}"),
        _ => "policy: no answer".to_string(),
    });
    obs.policy = Some(fetched);
    report::build(obs)
}

/// The resolver `check` uses when none is given: the first nameserver of
/// /etc/resolv.conf, asked with plain DNS.
pub fn system_nameserver() -> Option<std::net::SocketAddr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    conf.lines().find_map(|l| {
        let mut parts = l.split_whitespace();
        (parts.next() == Some("nameserver"))
            .then(|| parts.next())
            .flatten()
            .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
            .map(|ip| std::net::SocketAddr::new(ip, 53))
    })
}
