//! The check of one domain as a sans-I/O state machine: what to look up and
//! fetch, in which order, and how the answers become the report's
//! [`Observations`] and [`Report`].
//!
//! The shell (the browser app over DNS over HTTPS and the policy proxy, the
//! native CLI over plain DNS or DoH and its own fetcher) takes [`Action`]s
//! from [`CheckPlan::next_action`], performs them concurrently, and feeds each
//! result back with [`CheckPlan::on_lookup`] or [`CheckPlan::on_fetch`]; the
//! plan then yields the follow-ups. When [`CheckPlan::is_done`], the report
//! comes from [`CheckPlan::report`]. No I/O, no clock: the same decisions in
//! every runtime.
//!
//! The lookups (all at once): TXT `_mta-sts.D` (RFC 8461 §3.1), TXT
//! `_smtp._tls.D` (RFC 8460 §3), MX `D` (RFC 8461 §4), A, AAAA and CNAME of
//! `mta-sts.D` (the Policy Host, RFC 8461 §3.3), and the policy fetch as a
//! sending MTA does it (RFC 8461 §3.3). After the MX answer, for each MX host
//! in preference order: TLSA `_25._tcp.<mx>` (RFC 7672 §2.2) and CNAME
//! `<mx>` (RFC 2181 §10.3) and, when the check probes MX TLS, A and AAAA
//! of `<mx>`; once both are answered, one SMTP STARTTLS probe per address
//! (RFC 8461 §4.2). A shell that cannot open port 25 (the browser) instead
//! asks its proxy once to probe every MX host, after an MX answer that names
//! at least one host. After a policy fetch that the server refused
//! (a status other than 200 and not a redirect), the same fetch with a
//! browser User-Agent, which tells a CDN bot check from a missing file.

use std::net::IpAddr;

use super::dns::RecordType;
use super::lookup::{
    address_records, cname_targets, mx_records, txt_records, Failure, Lookup, Purpose, Question,
};
use super::mx::MxHost;
use super::mx_tls::{Probe, ProbeErrorClass};
use super::report::{self, Fetch, Observations, Previous, Report};

/// At most this many distinct MX hosts get follow-up lookups: a hostile zone
/// can list thousands of MX records in one answer, and real domains have a
/// handful (the rest still appear in the coverage table).
pub const MAX_MX_FOLLOW_UPS: usize = 32;

/// At most this many addresses of one MX host are probed (real hosts have
/// one or two of each family; a hostile zone can list hundreds).
pub const MAX_ADDRESSES_PER_MX: usize = 4;

/// At most this many STARTTLS probes in one check.
pub const MAX_PROBES: usize = 32;

/// At most this many MX hosts are probed by a proxy for a caller
/// ([`CheckPlan::mx_tls_only`]): a public proxy must not become a way to
/// make many SMTP connections with one request.
pub const MAX_PROXY_MX_HOSTS: usize = 10;

/// What a check includes besides the lookups every check makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// What was seen last time, for id drift (RFC 8461 §3.1).
    pub previous: Option<Previous>,
    /// TLSA `_25._tcp.<mx>` for each MX host (DANE, RFC 7672 §2.2).
    pub dane: bool,
    /// CNAME of each MX host (RFC 2181 §10.3).
    pub mx_cnames: bool,
    /// A/AAAA of each MX host and an SMTP STARTTLS probe of each address
    /// (RFC 8461 §4.2). Off by default: a browser cannot open port 25.
    pub mx_tls: bool,
    /// Ask the policy proxy, with the first questions, to probe every MX
    /// host (`GET /api/mx-tls`, [`Action::MxTlsByProxy`]): how a shell that
    /// cannot open port 25 still gets the same judgement. The proxy resolves
    /// the MX itself, so asking at once keeps the check at about one round
    /// trip; only probes of the hosts this plan's MX answer names count.
    pub mx_tls_by_proxy: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            previous: None,
            dane: true,
            mx_cnames: true,
            mx_tls: false,
            mx_tls_by_proxy: false,
        }
    }
}

/// Names a lookup of one plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LookupId(usize);

/// Names a policy fetch of one plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FetchId(usize);

/// Names an MX TLS probe of one plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProbeId(usize);

/// Something the shell must do, then report back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Ask a DNS resolver; answer with [`CheckPlan::on_lookup`].
    Lookup { id: LookupId, question: Question },
    /// Fetch `https://mta-sts.<domain>/.well-known/mta-sts.txt` without
    /// following redirects, with an MTA-like or (when `browser`) a browser
    /// User-Agent; answer with [`CheckPlan::on_fetch`].
    Fetch { id: FetchId, browser: bool },
    /// Probe SMTP STARTTLS on port 25 of `address` as an enforcing sender
    /// would, with SNI `host` (RFC 8461 §4.2); answer with
    /// [`CheckPlan::on_probe`].
    Probe {
        id: ProbeId,
        host: String,
        address: IpAddr,
    },
    /// Ask the policy proxy to probe every MX host of the domain (it
    /// resolves them itself, RFC 8461 §4.2); answer with
    /// [`CheckPlan::on_mx_tls_by_proxy`]. At most once per plan.
    MxTlsByProxy,
}

impl Action {
    /// The line a progress list shows for this action.
    pub fn label(&self) -> String {
        match self {
            Action::Lookup { question, .. } => question.label(),
            Action::Fetch { browser: false, .. } => "Policy fetch as a mail server".to_string(),
            Action::Fetch { browser: true, .. } => {
                "Policy fetch as a browser (the server refused the mail server)".to_string()
            }
            Action::Probe { host, address, .. } => {
                format!("SMTP STARTTLS {host} ({address})")
            }
            Action::MxTlsByProxy => "SMTP STARTTLS of the MX hosts, through the proxy".to_string(),
        }
    }
}

/// One lookup and, once answered, its result.
#[derive(Clone, Debug)]
struct LookupSlot {
    question: Question,
    result: Option<Result<super::dns::Response, Failure>>,
}

/// One fetch and, once done, what it gave (`Some(None)`: the shell could not
/// make it, e.g. the policy proxy was unreachable).
#[derive(Clone, Debug)]
struct FetchSlot {
    browser: bool,
    result: Option<Option<Fetch>>,
}

/// One probe and, once done, what it saw.
#[derive(Clone, Debug)]
struct ProbeSlot {
    host: String,
    address: IpAddr,
    result: Option<Probe>,
}

/// A check in progress. See the module documentation.
#[derive(Clone, Debug)]
pub struct CheckPlan {
    domain: String,
    options: Options,
    /// Actions not yet handed out, oldest first (a few dozen at most).
    queue: Vec<Action>,
    lookups: Vec<LookupSlot>,
    fetches: Vec<FetchSlot>,
    probes: Vec<ProbeSlot>,
    /// MX hosts whose addresses are known to have none (no probe made).
    no_address: Vec<Probe>,
    /// The proxy's probes ([`Action::MxTlsByProxy`]).
    by_proxy: ByProxy,
    /// MX hosts given follow-up lookups, at most.
    max_mx_hosts: usize,
}

/// Where the proxy's probes of the MX hosts stand.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ByProxy {
    NotAsked,
    Asked,
    /// What the proxy answered (empty when it could not probe).
    Done(Vec<Probe>),
}

impl CheckPlan {
    /// A check of the Policy Domain `domain` (A-label; a trailing dot is
    /// dropped). Every first lookup and the MTA fetch are queued at once.
    pub fn new(domain: &str, options: Options) -> Self {
        let mut plan = Self::empty(domain, options, MAX_MX_FOLLOW_UPS);
        let d = plan.domain.clone();
        let host = format!("mta-sts.{d}");
        for q in [
            Question::new(format!("_mta-sts.{d}"), RecordType::Txt, Purpose::StsTxt),
            Question::new(
                format!("_smtp._tls.{d}"),
                RecordType::Txt,
                Purpose::TlsRptTxt,
            ),
            Question::new(d, RecordType::Mx, Purpose::Mx),
            Question::new(host.clone(), RecordType::A, Purpose::PolicyHost),
            Question::new(host.clone(), RecordType::Aaaa, Purpose::PolicyHost),
            Question::new(host, RecordType::Cname, Purpose::PolicyHost),
        ] {
            plan.ask(q);
        }
        plan.fetch(false);
        if plan.options.mx_tls_by_proxy {
            plan.by_proxy = ByProxy::Asked;
            plan.queue.push(Action::MxTlsByProxy);
        }
        plan
    }

    /// Only the STARTTLS probes of `domain`'s MX hosts (RFC 8461 §4.2): the
    /// MX lookup, A and AAAA of at most [`MAX_PROXY_MX_HOSTS`] hosts, one
    /// probe per address. What a proxy runs for `GET /api/mx-tls`: the hosts
    /// come from DNS, never from the caller. Needs feature `mx-tls`.
    pub fn mx_tls_only(domain: &str) -> Self {
        let options = Options {
            dane: false,
            mx_cnames: false,
            mx_tls: true,
            ..Options::default()
        };
        let mut plan = Self::empty(domain, options, MAX_PROXY_MX_HOSTS);
        let d = plan.domain.clone();
        plan.ask(Question::new(d, RecordType::Mx, Purpose::Mx));
        plan
    }

    fn empty(domain: &str, options: Options, max_mx_hosts: usize) -> Self {
        CheckPlan {
            domain: domain.trim_end_matches('.').to_ascii_lowercase(),
            options,
            queue: Vec::new(),
            lookups: Vec::new(),
            fetches: Vec::new(),
            probes: Vec::new(),
            no_address: Vec::new(),
            by_proxy: ByProxy::NotAsked,
            max_mx_hosts,
        }
    }

    /// The Policy Domain, A-label.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    fn ask(&mut self, question: Question) {
        let id = LookupId(self.lookups.len());
        self.lookups.push(LookupSlot {
            question: question.clone(),
            result: None,
        });
        self.queue.push(Action::Lookup { id, question });
    }

    fn fetch(&mut self, browser: bool) {
        let id = FetchId(self.fetches.len());
        self.fetches.push(FetchSlot {
            browser,
            result: None,
        });
        self.queue.push(Action::Fetch { id, browser });
    }

    /// The next thing to do, if any. Everything returned may run at once.
    pub fn next_action(&mut self) -> Option<Action> {
        (!self.queue.is_empty()).then(|| self.queue.remove(0))
    }

    /// The result of a lookup: a decoded answer, as
    /// [`super::lookup::read_answer`] gives it, or why there was none.
    /// Unknown ids and second answers are ignored.
    pub fn on_lookup(&mut self, id: LookupId, result: Result<super::dns::Response, Failure>) {
        let Some(slot) = self.lookups.get_mut(id.0) else {
            return;
        };
        if slot.result.is_some() {
            return;
        }
        let purpose = slot.question.purpose.clone();
        slot.result = Some(result);
        match purpose {
            Purpose::Mx => self.follow_mx(id),
            Purpose::MxAddress(host) if cfg!(feature = "mx-tls") => self.probe_addresses(&host),
            _ => {}
        }
    }

    /// Once both A and AAAA of an MX host are answered: one probe per
    /// address (at most [`MAX_ADDRESSES_PER_MX`], IPv4 first), or a note
    /// that the host has none.
    fn probe_addresses(&mut self, host: &str) {
        let purpose = Purpose::MxAddress(host.to_string());
        let answers: Vec<&Result<super::dns::Response, Failure>> = self
            .lookups
            .iter()
            .filter(|s| s.question.purpose == purpose)
            .filter_map(|s| s.result.as_ref())
            .collect();
        if answers.len() < 2 {
            return;
        }
        let mut addresses: Vec<IpAddr> = Vec::new();
        let mut failures: Vec<String> = Vec::new();
        for a in answers {
            match a {
                Ok(r) => addresses.extend(
                    address_records(r)
                        .iter()
                        .filter_map(|t| t.parse::<IpAddr>().ok()),
                ),
                Err(f) => failures.push(f.detail.clone()),
            }
        }
        let mut addresses = sorted_by_key(addresses, |a| (a.is_ipv6(), *a));
        addresses.dedup();
        if addresses.is_empty() {
            let why = if failures.is_empty() {
                "neither A nor AAAA records".to_string()
            } else {
                format!("the address lookups failed: {}", failures.join("; "))
            };
            self.no_address
                .push(Probe::failed(host, "", ProbeErrorClass::NoAddress, why));
            return;
        }
        for address in addresses.into_iter().take(MAX_ADDRESSES_PER_MX) {
            if self.probes.len() == MAX_PROBES {
                return;
            }
            let id = ProbeId(self.probes.len());
            self.probes.push(ProbeSlot {
                host: host.to_string(),
                address,
                result: None,
            });
            self.queue.push(Action::Probe {
                id,
                host: host.to_string(),
                address,
            });
        }
    }

    /// The result of an MX TLS probe. Unknown ids and second results are
    /// ignored; the host and address are the plan's, whatever the shell
    /// wrote.
    pub fn on_probe(&mut self, id: ProbeId, mut probe: Probe) {
        let Some(slot) = self.probes.get_mut(id.0) else {
            return;
        };
        if slot.result.is_some() {
            return;
        }
        probe.host = slot.host.clone();
        probe.address = slot.address.to_string();
        slot.result = Some(probe);
    }

    /// The MX hosts' follow-ups, in preference order then by name: resolvers
    /// shuffle RRsets (RFC 2181 §5), and a stable order keeps reports and
    /// their diffs stable. The null MX (RFC 7505) has none.
    fn follow_mx(&mut self, id: LookupId) {
        let hosts = match self.lookups.get(id.0).and_then(|s| s.result.as_ref()) {
            Some(Ok(r)) => sorted_mx(mx_records(r)),
            _ => return,
        };
        let mut seen: Vec<String> = Vec::new();
        for m in hosts {
            let h = m.host.trim_end_matches('.').to_ascii_lowercase();
            if h.is_empty() || seen.contains(&h) {
                continue;
            }
            if seen.len() == self.max_mx_hosts {
                break;
            }
            if self.options.dane {
                self.ask(Question::new(
                    format!("_25._tcp.{h}"),
                    RecordType::Tlsa,
                    Purpose::MxTlsa(h.clone()),
                ));
            }
            if self.options.mx_cnames {
                self.ask(Question::new(
                    h.clone(),
                    RecordType::Cname,
                    Purpose::MxCname(h.clone()),
                ));
            }
            if cfg!(feature = "mx-tls") && self.options.mx_tls {
                for t in [RecordType::A, RecordType::Aaaa] {
                    self.ask(Question::new(h.clone(), t, Purpose::MxAddress(h.clone())));
                }
            }
            seen.push(h);
        }
    }

    /// What the proxy's probes of the MX hosts gave; `None` when it could
    /// not probe (the shell says why). At most [`MAX_PROBES`] are kept,
    /// whatever the proxy sent, and of those only probes of the hosts this
    /// plan's own MX answer names count (the answer may come later); a
    /// second answer is ignored.
    pub fn on_mx_tls_by_proxy(&mut self, probes: Option<Vec<Probe>>) {
        if self.by_proxy != ByProxy::Asked {
            return;
        }
        let kept = probes
            .unwrap_or_default()
            .into_iter()
            .take(MAX_PROBES)
            .collect();
        self.by_proxy = ByProxy::Done(kept);
    }

    /// The MX hosts named by the MX answer, lower case, without the dot.
    pub fn mx_hosts(&self) -> Vec<String> {
        match self.result(&Purpose::Mx, RecordType::Mx) {
            Some(Ok(r)) => mx_records(r)
                .into_iter()
                .map(|m| m.host.trim_end_matches('.').to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The distinct MX hosts past [`MAX_PROXY_MX_HOSTS`] (or the plan's
    /// cap), in MX order: named, not probed.
    pub fn mx_hosts_left_out(&self) -> Vec<String> {
        let hosts = match self.result(&Purpose::Mx, RecordType::Mx) {
            Some(Ok(r)) => sorted_mx(mx_records(r)),
            _ => return Vec::new(),
        };
        let mut seen: Vec<String> = Vec::new();
        for m in hosts {
            let h = m.host.trim_end_matches('.').to_ascii_lowercase();
            if !h.is_empty() && !seen.contains(&h) {
                seen.push(h);
            }
        }
        seen.split_off(self.max_mx_hosts.min(seen.len()))
    }

    /// The result of a policy fetch; `None` when the shell could not make it
    /// at all (the proxy unreachable). Unknown ids and second results are
    /// ignored.
    pub fn on_fetch(&mut self, id: FetchId, fetch: Option<Fetch>) {
        let Some(slot) = self.fetches.get_mut(id.0) else {
            return;
        };
        if slot.result.is_some() {
            return;
        }
        let refused = !slot.browser && fetch.as_ref().is_some_and(refused_by_server);
        slot.result = Some(fetch);
        if refused {
            self.fetch(true);
        }
    }

    /// Actions handed out and not yet answered, plus those still queued.
    pub fn outstanding(&self) -> usize {
        self.lookups.iter().filter(|s| s.result.is_none()).count()
            + self.fetches.iter().filter(|s| s.result.is_none()).count()
            + self.probes.iter().filter(|s| s.result.is_none()).count()
            + usize::from(self.by_proxy == ByProxy::Asked)
    }

    /// Every action was answered and nothing follows.
    pub fn is_done(&self) -> bool {
        self.queue.is_empty() && self.outstanding() == 0
    }

    /// When no first lookup got an answer from any resolver, there is
    /// nothing to report on: the resolvers are down (or blocked), not the
    /// domain. The failure says which (a timeout only when every lookup
    /// timed out).
    pub fn dns_unavailable(&self) -> Option<Failure> {
        let first: Vec<&Failure> = self
            .lookups
            .iter()
            .filter(|s| {
                !matches!(
                    s.question.purpose,
                    Purpose::MxTlsa(_) | Purpose::MxCname(_) | Purpose::MxAddress(_)
                )
            })
            .map(|s| match &s.result {
                Some(Err(f)) => Some(f),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        let head = first.first()?;
        let all_timeouts = first
            .iter()
            .all(|f| f.status == super::lookup::DnsStatus::Timeout);
        Some(Failure {
            status: if all_timeouts {
                super::lookup::DnsStatus::Timeout
            } else {
                head.status
            },
            detail: head.detail.clone(),
        })
    }

    /// Some lookups got no answer (the report says which).
    pub fn dns_partial(&self) -> bool {
        self.lookups
            .iter()
            .any(|s| matches!(s.result, Some(Err(_))))
    }

    fn result(
        &self,
        purpose: &Purpose,
        qtype: RecordType,
    ) -> Option<&Result<super::dns::Response, Failure>> {
        self.lookups
            .iter()
            .find(|s| &s.question.purpose == purpose && s.question.qtype == qtype)
            .and_then(|s| s.result.as_ref())
    }

    fn fetched(&self, browser: bool) -> Option<Fetch> {
        self.fetches
            .iter()
            .find(|s| s.browser == browser)
            .and_then(|s| s.result.clone())
            .flatten()
    }

    /// What was observed so far; lookups not answered are `skipped`.
    pub fn observations(&self) -> Observations {
        let txt = |p: Purpose| {
            self.result(&p, RecordType::Txt)
                .map(|r| Lookup::from_result(r, txt_records))
                .unwrap_or_default()
        };
        let mut mx = self
            .result(&Purpose::Mx, RecordType::Mx)
            .map(|r| Lookup::from_result(r, mx_records))
            .unwrap_or_default();
        mx.records = sorted_mx(std::mem::take(&mut mx.records));
        let host = |t: RecordType| {
            self.result(&Purpose::PolicyHost, t)
                .map(|r| Lookup::from_result(r, address_records))
        };
        let mut policy_host = Lookup::either_family(host(RecordType::A), host(RecordType::Aaaa));
        if policy_host.cnames.is_empty() {
            if let Some(Ok(r)) = self.result(&Purpose::PolicyHost, RecordType::Cname) {
                policy_host.cnames = cname_targets(r);
            }
        }
        let mut tlsa_hosts = Vec::new();
        let mut mx_cnames = Vec::new();
        for s in &self.lookups {
            let Some(Ok(r)) = &s.result else { continue };
            match &s.question.purpose {
                Purpose::MxTlsa(h) if !r.tlsa().is_empty() => tlsa_hosts.push(h.clone()),
                Purpose::MxCname(h) => {
                    if let Some(t) = cname_targets(r).into_iter().next() {
                        mx_cnames.push((h.clone(), t));
                    }
                }
                _ => {}
            }
        }
        let mx_tls = self.probed(&mx.records);
        Observations {
            domain: self.domain.clone(),
            sts_txt: txt(Purpose::StsTxt),
            tlsrpt_txt: txt(Purpose::TlsRptTxt),
            mx,
            policy_host,
            policy: self.fetched(false),
            policy_browser: self.fetched(true),
            mx_cnames,
            tlsa_hosts,
            previous: self.options.previous.clone(),
            mx_tls,
        }
    }

    /// The probes made (here or by the proxy), and the MX hosts without an
    /// address, in MX order then by address (IPv4 first): answers arrive in
    /// any order, reports must not.
    fn probed(&self, mx: &[MxHost]) -> Vec<Probe> {
        let rank = |host: &str| {
            mx.iter()
                .position(|m| m.host.trim_end_matches('.').eq_ignore_ascii_case(host))
                .unwrap_or(usize::MAX)
        };
        let out: Vec<(usize, Option<IpAddr>, Probe)> = self
            .probes
            .iter()
            .filter_map(|s| {
                let p = s.result.clone()?;
                Some((rank(&s.host), Some(s.address), p))
            })
            .chain(
                self.no_address
                    .iter()
                    .map(|p| (rank(&p.host), None, p.clone())),
            )
            // The proxy ran the same plan: its probes come in this order
            // within a host already (and the sort keeps equal keys in the
            // order given), so their addresses need not be parsed here.
            .chain(match &self.by_proxy {
                ByProxy::Done(probes) => {
                    let hosts = self.mx_hosts();
                    probes
                        .iter()
                        .filter(|p| hosts.iter().any(|h| h.eq_ignore_ascii_case(&p.host)))
                        .map(|p| (rank(&p.host), None, p.clone()))
                        .collect()
                }
                _ => Vec::new(),
            })
            .collect();
        sorted_by_key(out, |(r, a, _)| (*r, a.map(|a| (a.is_ipv6(), a))))
            .into_iter()
            .map(|(_, _, p)| p)
            .collect()
    }

    /// The report of what was observed (RFC 8461 §3-§5, RFC 8460 §3).
    pub fn report(&self) -> Report {
        report::build(self.observations())
    }
}

/// A fetch the server answered with a refusal: not 200 and not a redirect
/// (which senders do not follow either, RFC 8461 §3.3).
fn refused_by_server(f: &Fetch) -> bool {
    f.error.is_none()
        && f.status
            .is_some_and(|s| s != 200 && !(300..400).contains(&s))
}

/// MX records in preference order, then by name (the codec gives names in
/// lower case), equal ones in the order received.
fn sorted_mx(hosts: Vec<MxHost>) -> Vec<MxHost> {
    sorted_by(hosts, |a, b| {
        (a.preference, &a.host) <= (b.preference, &b.host)
    })
}

/// `items` ordered by `key`, equal ones in the order given.
fn sorted_by_key<T, K: Ord>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    sorted_by(items, |a, b| key(a) <= key(b))
}

/// `items` in the order `le` (less or equal) gives, equal ones in the order
/// given. By insertion: the lists here are short (bounded by the plan's
/// caps), and this is much less Wasm than the standard library's sort.
fn sorted_by<T>(items: Vec<T>, le: impl Fn(&T, &T) -> bool) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        let at = out.partition_point(|o| le(o, &item));
        out.insert(at, item);
    }
    out
}
