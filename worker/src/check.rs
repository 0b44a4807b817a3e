//! `mtasts check`: the core's check plan ([`mtasts::sts::plan`]) driven
//! natively: every action it yields runs at once (DNS through
//! [`crate::resolve`], the policy through [`crate::fetch`]), each result is
//! fed back, and the plan's report is the same the web app shows. With a
//! [`Prober`], each MX address is also probed over SMTP STARTTLS
//! ([`crate::smtp`]).

use std::io::IsTerminal;
use std::time::Instant;

use mtasts::sts::domain::Domain;
use mtasts::sts::plan::{Action, CheckPlan, Options};
use mtasts::sts::proxy::PolicyRequest;
use mtasts::sts::report::{Fetch, Previous, Report};
use tokio::task::JoinSet;

use crate::fetch::Fetcher;
use crate::resolve::Resolver;
use crate::smtp::Prober;

fn progress(verbose: bool, line: &str) {
    if verbose && std::io::stderr().is_terminal() {
        eprintln!("  {line}");
    }
}

/// What one action gave.
enum Done {
    Lookup(
        mtasts::sts::plan::LookupId,
        Result<mtasts::sts::dns::Response, mtasts::sts::lookup::Failure>,
    ),
    Fetch(mtasts::sts::plan::FetchId, Fetch),
    Probe(mtasts::sts::plan::ProbeId, mtasts::sts::mx_tls::Probe),
}

/// Runs the check plan for `domain` to the end and returns its report.
pub async fn check(
    domain: &Domain,
    resolver: &Resolver,
    fetcher: &Fetcher,
    previous: Option<Previous>,
) -> Report {
    check_with(domain, resolver, fetcher, previous, None).await
}

/// [`check`], probing each MX address over SMTP STARTTLS with `prober`
/// when one is given (RFC 8461 §4.2).
pub async fn check_with(
    domain: &Domain,
    resolver: &Resolver,
    fetcher: &Fetcher,
    previous: Option<Previous>,
    prober: Option<&Prober>,
) -> Report {
    run(domain, resolver, fetcher, previous, prober, true).await
}

/// [`check_with`] without the progress lines on a terminal, for runs that
/// check many domains at once and draw their own progress.
pub async fn check_quietly(
    domain: &Domain,
    resolver: &Resolver,
    fetcher: &Fetcher,
    previous: Option<Previous>,
    prober: Option<&Prober>,
) -> Report {
    run(domain, resolver, fetcher, previous, prober, false).await
}

async fn run(
    domain: &Domain,
    resolver: &Resolver,
    fetcher: &Fetcher,
    previous: Option<Previous>,
    prober: Option<&Prober>,
    verbose: bool,
) -> Report {
    let options = Options {
        previous,
        mx_tls: prober.is_some(),
        ..Options::default()
    };
    let mut plan = CheckPlan::new(&domain.ascii, options);
    progress(verbose, &format!(
        "looking up _mta-sts, _smtp._tls, MX, mta-sts and DANE records of {} through {}; fetching {}",
        domain.ascii,
        resolver.transport(),
        domain.policy_url()
    ));
    let start = Instant::now();
    let mut running: JoinSet<Done> = JoinSet::new();
    let mut lookups = 0usize;
    loop {
        while let Some(action) = plan.next_action() {
            match action {
                Action::Lookup { id, question } => {
                    lookups += 1;
                    let r = resolver.clone();
                    running.spawn(async move {
                        Done::Lookup(id, r.lookup(&question.name, question.qtype).await)
                    });
                }
                Action::Fetch { id, browser } => {
                    if browser {
                        progress(
                            verbose,
                            "policy: repeating the fetch with a browser User-Agent",
                        );
                    }
                    let f = fetcher.clone();
                    let req = PolicyRequest {
                        domain: domain.clone(),
                        browser,
                    };
                    running.spawn(async move { Done::Fetch(id, f.fetch(&req).await) });
                }
                Action::Probe { id, host, address } => {
                    // The plan asks only when a prober was given.
                    let Some(p) = prober.cloned() else { continue };
                    running.spawn(async move { Done::Probe(id, p.probe(&host, address).await) });
                }
                // Not asked for: this shell probes itself.
                Action::MxTlsByProxy => {}
            }
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        // A task only fails to join when the runtime shuts down; the plan
        // then reports that lookup as skipped.
        match joined {
            Ok(Done::Lookup(id, r)) => plan.on_lookup(id, r),
            Ok(Done::Fetch(id, f)) => {
                progress(
                    verbose,
                    &match (&f.status, &f.error) {
                        (_, Some(e)) => format!("policy: {}", e.class.as_str()),
                        (Some(s), None) => format!("policy: HTTP {s}"),
                        _ => "policy: no answer".to_string(),
                    },
                );
                plan.on_fetch(id, Some(f))
            }
            Ok(Done::Probe(id, p)) => {
                progress(
                    verbose,
                    &format!(
                        "smtp {} ({}): {}",
                        p.host,
                        p.address,
                        match (&p.error, &p.tls) {
                            (Some(e), _) => format!("{:?}", e.class),
                            (None, Some(t)) => t.version.clone(),
                            (None, None) => "no STARTTLS".to_string(),
                        }
                    ),
                );
                plan.on_probe(id, p)
            }
            Err(_) => {}
        }
    }
    let report = plan.report();
    let failed = [
        report.observations.sts_txt.status,
        report.observations.tlsrpt_txt.status,
        report.observations.mx.status,
        report.observations.policy_host.status,
    ]
    .iter()
    .filter(|s| !s.answered())
    .count();
    progress(
        verbose,
        &format!(
            "{lookups} lookups ({failed} of the first four without an answer) in {} ms",
            start.elapsed().as_millis()
        ),
    );
    report
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
