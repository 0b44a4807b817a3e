//! Watching domains over time (`mtasts watch`): what is kept of each check
//! (the versioned state file), and the alerts a new check raises against
//! it. MTA-STS breaks after the day it is set up: a policy edited without a
//! new id (RFC 8461 §3.1), an MX added but not listed (§4.1), a certificate
//! that expires (§3.3, §4.2), a TXT record removed while senders still
//! hold the policy (§8.3). Pure: the shell gives the time and the report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::finding::{Code, Severity};
use super::mx_tls::day;
use super::policy::Mode;
use super::report::{Report, Verdict};

/// The `format` of every state file, so another JSON file is not read as
/// one.
pub const STATE_FORMAT: &str = "mtasts-watch-state";
/// The state layout this version writes and reads.
pub const STATE_VERSION: u32 = 1;
/// Certificates expiring within this many days raise an alert by default.
pub const DEFAULT_EXPIRY_DAYS: u32 = 14;

/// What `mtasts watch` remembers between passes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Always [`STATE_FORMAT`].
    pub format: String,
    /// [`STATE_VERSION`] when written by this version.
    pub version: u32,
    /// The last snapshot of each domain, by A-label.
    #[serde(default)]
    pub domains: BTreeMap<String, Snapshot>,
}

impl Default for State {
    fn default() -> Self {
        State {
            format: STATE_FORMAT.to_string(),
            version: STATE_VERSION,
            domains: BTreeMap::new(),
        }
    }
}

/// What one check of a domain leaves behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Unix seconds of the check.
    pub checked_at: i64,
    pub verdict: Verdict,
    /// The id of the `_mta-sts` record (RFC 8461 §3.1), when one was valid.
    #[serde(default)]
    pub sts_id: Option<String>,
    /// SHA-256 (hex) of the last policy body served with status 200.
    #[serde(default)]
    pub policy_sha256: Option<String>,
    /// The last valid policy seen and when: senders may cache it for
    /// `max_age` seconds after they last fetched it (RFC 8461 §5.1, §8.3).
    #[serde(default)]
    pub last_policy: Option<SeenPolicy>,
    /// MX hosts, lower case, no trailing dot.
    #[serde(default)]
    pub mx: Vec<String>,
    /// A valid TLS-RPT record was published (RFC 8460 §3).
    #[serde(default)]
    pub tlsrpt: bool,
}

/// A valid policy and when it was last fetched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenPolicy {
    pub mode: Mode,
    pub max_age: u64,
    pub seen_at: i64,
}

/// Why a state file cannot be used. Nothing is reset silently: the message
/// says what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateError {
    /// Not JSON, or not the state layout.
    Corrupt(String),
    /// JSON, but not an mtasts watch state.
    Foreign(String),
    /// Written by a newer mtasts.
    Newer(u32),
}

impl core::fmt::Display for StateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let restart = "move the file away (or delete it) to start over with a new baseline, or give --state the right file";
        match self {
            StateError::Corrupt(why) => write!(f, "the state file is damaged ({why}); {restart}"),
            StateError::Foreign(why) => write!(f, "this is not an mtasts watch state file ({why}); {restart}"),
            StateError::Newer(v) => write!(
                f,
                "the state file has version {v}, written by a newer mtasts (this one reads version {STATE_VERSION}); upgrade mtasts, or {restart}"
            ),
        }
    }
}

/// Reads a state file's bytes.
pub fn parse_state(bytes: &[u8]) -> Result<State, StateError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        StateError::Corrupt(if bytes.is_empty() {
            "it is empty".to_string()
        } else {
            format!("not JSON: {e}")
        })
    })?;
    let format = value.get("format").and_then(|f| f.as_str());
    if format != Some(STATE_FORMAT) {
        return Err(StateError::Foreign(match format {
            Some(other) => format!("its format is `{other}`, not `{STATE_FORMAT}`"),
            None => format!("it has no \"format\": \"{STATE_FORMAT}\""),
        }));
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > u64::from(STATE_VERSION) => {
            return Err(StateError::Newer(u32::try_from(v).unwrap_or(u32::MAX)))
        }
        Some(_) => {}
        None => return Err(StateError::Corrupt("it has no version number".into())),
    }
    serde_json::from_value(value).map_err(|e| StateError::Corrupt(e.to_string()))
}

/// The state as written to disk (pretty JSON, one trailing line feed).
pub fn state_bytes(state: &State) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(state).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The policy body served with status 200, if any.
fn served_body(r: &Report) -> Option<&[u8]> {
    let f = r.observations.policy.as_ref()?;
    (f.error.is_none() && f.status == Some(200) && f.body.is_some()).then(|| f.body_bytes())
}

fn has(r: &Report, code: Code) -> bool {
    r.findings.iter().any(|f| f.code == code)
}

/// What to keep of `report`, checked at `now`. What a failed lookup could
/// not tell is carried over from `previous`.
pub fn snapshot(report: &Report, now: i64, previous: Option<&Snapshot>) -> Snapshot {
    let obs = &report.observations;
    let sts_id = if obs.sts_txt.status.answered() {
        report.sts_id.clone()
    } else {
        previous.and_then(|p| p.sts_id.clone())
    };
    // The body is remembered with its id: while the id stays, senders hold
    // the body they fetched under it, so a later edit is still unannounced.
    let kept = previous.filter(|p| p.sts_id.is_some() && p.sts_id == sts_id);
    let policy_sha256 = match (served_body(report), kept) {
        (Some(_), Some(p)) if p.policy_sha256.is_some() => p.policy_sha256.clone(),
        (Some(body), _) => Some(hex(&Sha256::digest(body))),
        (None, _) => previous.and_then(|p| p.policy_sha256.clone()),
    };
    let last_policy = match &report.policy {
        Some(p) => Some(SeenPolicy {
            mode: p.mode,
            max_age: p.max_age,
            seen_at: now,
        }),
        None => previous.and_then(|p| p.last_policy.clone()),
    };
    let mx = if obs.mx.status.answered() {
        let mut hosts: Vec<String> = obs
            .mx
            .records
            .iter()
            .map(|m| m.host.trim_end_matches('.').to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    } else {
        previous.map(|p| p.mx.clone()).unwrap_or_default()
    };
    let tlsrpt = if obs.tlsrpt_txt.status.answered() {
        report.tlsrpt_rua.is_some()
    } else {
        previous.is_some_and(|p| p.tlsrpt)
    };
    Snapshot {
        checked_at: now,
        verdict: report.verdict,
        sts_id,
        policy_sha256,
        last_policy,
        mx,
        tlsrpt,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What an alert is about. The names are stable: scripts and webhooks
/// match on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertCode {
    /// The verdict is worse than last time (RFC 8461 §5).
    VerdictWorse,
    /// The policy body changed, the TXT id did not (RFC 8461 §3.1).
    IdNotBumped,
    /// The TXT id changed, the policy body did not (RFC 8461 §3.1).
    IdChangedPolicySame,
    /// A new MX host matches no mx pattern of the policy (RFC 8461 §4.1).
    NewMxNotCovered,
    /// The policy was fetched before and cannot be now (RFC 8461 §3.3).
    PolicyUnreachable,
    /// The mta-sts host's certificate expires soon (RFC 8461 §3.3).
    PolicyCertExpiring,
    /// An MX host's certificate expires soon (RFC 8461 §4.2).
    MxCertExpiring,
    /// The `_mta-sts` TXT record is gone while senders may still hold the
    /// policy (RFC 8461 §8.3).
    TxtRemoved,
    /// The TLS-RPT record is gone (RFC 8460 §3).
    TlsrptRemoved,
}

impl AlertCode {
    pub const ALL: [AlertCode; 9] = [
        AlertCode::VerdictWorse,
        AlertCode::IdNotBumped,
        AlertCode::IdChangedPolicySame,
        AlertCode::NewMxNotCovered,
        AlertCode::PolicyUnreachable,
        AlertCode::PolicyCertExpiring,
        AlertCode::MxCertExpiring,
        AlertCode::TxtRemoved,
        AlertCode::TlsrptRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertCode::VerdictWorse => "verdict-worse",
            AlertCode::IdNotBumped => "id-not-bumped",
            AlertCode::IdChangedPolicySame => "id-changed-policy-same",
            AlertCode::NewMxNotCovered => "new-mx-not-covered",
            AlertCode::PolicyUnreachable => "policy-unreachable",
            AlertCode::PolicyCertExpiring => "policy-cert-expiring",
            AlertCode::MxCertExpiring => "mx-cert-expiring",
            AlertCode::TxtRemoved => "txt-removed",
            AlertCode::TlsrptRemoved => "tlsrpt-removed",
        }
    }
}

/// Something that changed or is about to go wrong, worded for the person
/// who has to act.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub domain: String,
    pub code: AlertCode,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
    /// The date (YYYY-MM-DD, UTC) the alert counts down to: a certificate's
    /// expiry, or the end of senders' caches of a removed policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// How the watch judges a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Alert on certificates expiring within this many days.
    pub expiry_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            expiry_days: DEFAULT_EXPIRY_DAYS,
        }
    }
}

/// How good a verdict is for delivery security; a drop is an alert. A
/// finished teardown (none to not-configured) is not a drop.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Enforced => 3,
        Verdict::Testing => 2,
        Verdict::None | Verdict::NotConfigured => 1,
        Verdict::Broken => 0,
    }
}

/// The alerts of `report` (checked at `now`) against the domain's
/// previous snapshot (`None` on the first pass: only what is about to go
/// wrong, certificate expiry, can fire).
pub fn compare(
    previous: Option<&Snapshot>,
    report: &Report,
    now: i64,
    settings: Settings,
) -> Vec<Alert> {
    let d = report.domain.as_str();
    let mut out = Vec::new();
    let alert = |code: AlertCode, severity: Severity, message: String, fix: String| Alert {
        domain: d.to_string(),
        code,
        severity,
        message,
        fix,
        until: None,
    };
    let current = snapshot(report, now, previous);
    let mode = report.policy.as_ref().map(|p| p.mode);

    if let Some(prev) = previous {
        if rank(report.verdict) < rank(prev.verdict) {
            let why = report
                .findings
                .iter()
                .find(|f| f.is_error())
                .map(|f| format!(" First error ({}): {}", f.code, f.message))
                .unwrap_or_default();
            out.push(alert(
                AlertCode::VerdictWorse,
                if report.verdict == Verdict::Broken {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                format!(
                    "The verdict for {d} went from {} to {}.{why}",
                    prev.verdict.as_str(),
                    report.verdict.as_str()
                ),
                report
                    .findings
                    .iter()
                    .find(|f| f.is_error())
                    .map(|f| f.fix.clone())
                    .unwrap_or_else(|| format!("Run `mtasts check {d}` for the full report.")),
            ));
        }

        let body_now = served_body(report).map(|b| hex(&Sha256::digest(b)));
        if let (Some(old_id), Some(new_id), Some(old_body), Some(new_body)) = (
            prev.sts_id.as_deref(),
            report.sts_id.as_deref(),
            prev.policy_sha256.as_deref(),
            body_now.as_deref(),
        ) {
            if old_id == new_id && old_body != new_body {
                out.push(alert(
                    AlertCode::IdNotBumped,
                    Severity::Error,
                    format!("The policy of {d} changed but the _mta-sts id is still {new_id}: senders that cached the old policy keep using it until it expires, and never learn of the change."),
                    format!("Publish a new id in the TXT record: _mta-sts.{d} TXT \"v=STSv1; id={}\" (RFC 8461 §3.1).", super::date::timestamp(u64::try_from(now).unwrap_or(0))),
                ));
            } else if old_id != new_id && old_body == new_body {
                out.push(alert(
                    AlertCode::IdChangedPolicySame,
                    Severity::Info,
                    format!("The _mta-sts id of {d} changed from {old_id} to {new_id}, but the policy is the same: senders fetch it again for nothing."),
                    "Nothing breaks; change the id only when the policy changes (RFC 8461 §3.1).".to_string(),
                ));
            }
        }

        if report.observations.mx.status.answered() && !report.mx_coverage.is_empty() {
            for c in &report.mx_coverage {
                let host = c.host.trim_end_matches('.').to_ascii_lowercase();
                if c.pattern.is_none() && !prev.mx.contains(&host) {
                    out.push(alert(
                        AlertCode::NewMxNotCovered,
                        if mode == Some(Mode::Enforce) {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        format!(
                            "{host} is a new MX host of {d} and matches no mx line of the policy: {}",
                            if mode == Some(Mode::Enforce) {
                                "enforcing senders will not deliver to it."
                            } else {
                                "under enforce, senders would not deliver to it."
                            }
                        ),
                        format!(
                            "Add `mx: {}` to the policy and publish a new id in _mta-sts.{d} (RFC 8461 §4.1, §3.1).",
                            super::report::suggest_pattern(&host)
                        ),
                    ));
                }
            }
        }

        let txt_removed = has(report, Code::TxtMissing);
        if prev.policy_sha256.is_some() && served_body(report).is_none() && !txt_removed {
            let why = report
                .findings
                .iter()
                .find(|f| f.code.entry().part == super::finding::Part::Fetch && f.is_error());
            out.push(alert(
                AlertCode::PolicyUnreachable,
                Severity::Error,
                format!(
                    "The policy of {d} could not be fetched, though it was last time.{}",
                    why.map(|f| format!(" {}", f.message)).unwrap_or_default()
                ),
                why.map(|f| f.fix.clone()).unwrap_or_else(|| {
                    format!("Make https://mta-sts.{d}/.well-known/mta-sts.txt answer 200 with the policy again (RFC 8461 §3.3).")
                }),
            ));
        }

        if has(report, Code::TlsrptMissing) && prev.tlsrpt {
            out.push(alert(
                AlertCode::TlsrptRemoved,
                Severity::Warning,
                format!("The TLS-RPT record _smtp._tls.{d} is gone: senders stop sending reports of TLS failures, so the next delivery problem goes unseen."),
                format!("Publish it again: _smtp._tls.{d} TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{d}\" (RFC 8460 §3)."),
            ));
        }
    }

    // RFC 8461 §8.3: senders keep a cached policy for max_age after they
    // last fetched it, whatever DNS says now.
    if has(report, Code::TxtMissing) {
        if let Some(last) = current
            .last_policy
            .as_ref()
            .filter(|p| p.mode != Mode::None)
        {
            let end = last
                .seen_at
                .saturating_add(i64::try_from(last.max_age).unwrap_or(i64::MAX));
            if end > now {
                let mut a = alert(
                    AlertCode::TxtRemoved,
                    if last.mode == Mode::Enforce {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    format!(
                        "The _mta-sts TXT record of {d} is gone, but senders that fetched the {} policy (max_age {}) keep applying it until {} (RFC 8461 §8.3): an MX change before then can make them refuse mail.",
                        last.mode.as_str(),
                        last.max_age,
                        day(end)
                    ),
                    format!(
                        "Tear down in order (RFC 8461 §8.3): publish the TXT record again with a new id, serve the policy with `mode: none`, keep both until {}, then remove them.",
                        day(now.saturating_add(i64::try_from(last.max_age).unwrap_or(0)))
                    ),
                );
                a.until = Some(day(end));
                out.push(a);
            }
        }
    }

    let limit = i64::from(settings.expiry_days) * 86_400;
    let exp = super::expiry::of(report);
    if let Some(t) = exp.policy_host {
        if t - now < limit {
            let mut a = alert(
                AlertCode::PolicyCertExpiring,
                if t <= now { Severity::Error } else { Severity::Warning },
                expiry_message(&format!("The certificate of mta-sts.{d}"), t, now),
                format!("Renew the certificate of mta-sts.{d} (e.g. certbot renew; include mta-sts.{d} in the renewal). Senders refuse an expired one and stop refreshing the policy (RFC 8461 §3.3)."),
            );
            a.until = Some(day(t));
            out.push(a);
        }
    }
    for (host, t) in &exp.mx {
        if t - now < limit {
            let mut a = alert(
                AlertCode::MxCertExpiring,
                if *t <= now { Severity::Error } else { Severity::Warning },
                expiry_message(&format!("The STARTTLS certificate of the MX host {host}"), *t, now),
                format!("Renew the certificate of {host} and reload the mail server; under enforce, senders refuse an expired one (RFC 8461 §4.2)."),
            );
            a.until = Some(day(*t));
            out.push(a);
        }
    }
    out
}

fn expiry_message(what: &str, t: i64, now: i64) -> String {
    if t <= now {
        format!("{what} expired on {}.", day(t))
    } else {
        let days = (t - now) / 86_400;
        format!("{what} expires on {} (in {days} days).", day(t))
    }
}

/// One domain's part of a pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainResult {
    pub domain: String,
    pub verdict: Verdict,
    /// The verdict last time; absent on the first pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_verdict: Option<Verdict>,
    pub alerts: Vec<Alert>,
}

/// A pass over every watched domain: what `--json` prints and the webhook
/// receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    /// UTC, `YYYY-MM-DDThh:mm:ssZ`.
    pub checked_at: String,
    pub domains: Vec<DomainResult>,
}

impl Pass {
    /// A pass started at `now`, with no domain yet.
    pub fn new(now: i64) -> Self {
        let t = super::date::timestamp(u64::try_from(now).unwrap_or(0));
        let checked_at = format!(
            "{}-{}-{}T{}:{}:{}Z",
            &t[0..4],
            &t[4..6],
            &t[6..8],
            &t[8..10],
            &t[10..12],
            &t[12..14]
        );
        Pass {
            checked_at,
            domains: Vec::new(),
        }
    }

    /// Compares `report` with the state, records the new snapshot in
    /// `state`, and adds the domain's alerts to the pass.
    pub fn record(&mut self, state: &mut State, report: &Report, now: i64, settings: Settings) {
        let previous = state.domains.get(&report.domain);
        let alerts = compare(previous, report, now, settings);
        let snap = snapshot(report, now, previous);
        self.domains.push(DomainResult {
            domain: report.domain.clone(),
            verdict: report.verdict,
            previous_verdict: previous.map(|p| p.verdict),
            alerts,
        });
        state.domains.insert(report.domain.clone(), snap);
    }

    /// Every alert of the pass.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.domains.iter().flat_map(|d| d.alerts.iter())
    }
}

/// Reads an interval such as `90s`, `30m`, `6h`, `1d` (a bare number is
/// seconds) into seconds; at least one second, at most a year.
pub fn parse_every(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let bad = || format!("`{text}` is not an interval; write e.g. 30m, 6h or 1d");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(unit).ok_or_else(bad)?;
    if secs == 0 || secs > 366 * 86_400 {
        return Err(format!("`{text}`: give an interval from 1s to 366d"));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sts::lookup::{DnsStatus, Lookup};
    use crate::sts::mx::MxHost;
    use crate::sts::mx_tls::{CertificateFacts, Probe, ProbeErrorClass};
    use crate::sts::report::{self, Body, Certificate, Fetch, Observations};

    const DAY: i64 = 86_400;
    /// 2026-06-01T00:00:00Z
    const NOW: i64 = 1_780_272_000;

    /// A domain as the tests shape it between two passes.
    #[derive(Clone)]
    struct World {
        txt: Option<&'static str>,
        body: Option<&'static str>,
        mx: Vec<&'static str>,
        tlsrpt: bool,
        policy_cert_days: i64,
        mx_cert_days: i64,
    }

    const ENFORCE: &str =
        "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n";
    const ENFORCE_MX2: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 604800\r\n";
    const TESTING: &str =
        "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n";

    fn healthy() -> World {
        World {
            txt: Some("v=STSv1; id=20260101000000"),
            body: Some(ENFORCE),
            mx: vec!["mx1.example.com"],
            tlsrpt: true,
            policy_cert_days: 60,
            mx_cert_days: 60,
        }
    }

    fn check(w: &World, now: i64) -> Report {
        let fetch = Fetch {
            url: "https://mta-sts.example.com/.well-known/mta-sts.txt".into(),
            status: w.body.map(|_| 200).or(Some(404)),
            headers: vec![("content-type".into(), "text/plain".into())],
            body: Some(Body(w.body.unwrap_or("not found").as_bytes().to_vec())),
            certificate: Some(Certificate {
                not_after: Some(cert_time(now + w.policy_cert_days * DAY)),
                ..Certificate::default()
            }),
            ..Fetch::default()
        };
        let probes = w
            .mx
            .iter()
            .map(|h| {
                let mut p = Probe::failed(h, "192.0.2.1", ProbeErrorClass::Timeout, String::new());
                p.error = None;
                p.at = now;
                p.starttls = Some(true);
                p.trusted = Some(true);
                p.chain = vec![CertificateFacts {
                    names: vec![h.to_string()],
                    subject: String::new(),
                    issuer: String::new(),
                    not_before: now - DAY,
                    not_after: now + w.mx_cert_days * DAY,
                }];
                p
            })
            .collect();
        report::build(Observations {
            domain: "example.com".into(),
            sts_txt: match w.txt {
                Some(t) => Lookup::ok(vec![t.to_string()]),
                None => Lookup::status(DnsStatus::NxDomain),
            },
            policy: Some(fetch),
            policy_host: Lookup::ok(vec!["192.0.2.10".into()]),
            mx: Lookup::ok(
                w.mx.iter()
                    .map(|h| MxHost {
                        preference: 10,
                        host: h.to_string(),
                    })
                    .collect(),
            ),
            tlsrpt_txt: if w.tlsrpt {
                Lookup::ok(vec!["v=TLSRPTv1; rua=mailto:tls@example.com".into()])
            } else {
                Lookup::status(DnsStatus::NxDomain)
            },
            mx_tls: probes,
            ..Observations::default()
        })
    }

    /// The fetcher's certificate time for Unix seconds.
    fn cert_time(t: i64) -> String {
        let d = day(t);
        let month = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ][d[5..7].parse::<usize>().unwrap() - 1];
        format!(
            "{month} {:>2} 00:00:00 {} +00:00",
            d[8..10].parse::<u32>().unwrap(),
            &d[0..4]
        )
    }

    /// Two passes a day apart: the codes the second raises.
    fn codes(before: &World, after: &World) -> Vec<AlertCode> {
        let mut state = State::default();
        let mut first = Pass::new(NOW);
        first.record(&mut state, &check(before, NOW), NOW, Settings::default());
        assert_eq!(first.alerts().count(), 0, "first pass: {:?}", first.domains);
        let later = NOW + DAY;
        let mut second = Pass::new(later);
        second.record(&mut state, &check(after, later), later, Settings::default());
        second.alerts().map(|a| a.code).collect()
    }

    #[test]
    fn each_change_raises_its_alert() {
        use AlertCode::*;
        let h = healthy();
        let cases: Vec<(&str, World, Vec<AlertCode>)> = vec![
            ("nothing changed", h.clone(), vec![]),
            (
                "body changed, id not",
                World {
                    body: Some(ENFORCE_MX2),
                    ..h.clone()
                },
                vec![IdNotBumped],
            ),
            (
                "body changed with a new id",
                World {
                    body: Some(ENFORCE_MX2),
                    txt: Some("v=STSv1; id=20260102000000"),
                    ..h.clone()
                },
                vec![],
            ),
            (
                "id changed, body not",
                World {
                    txt: Some("v=STSv1; id=20260102000000"),
                    ..h.clone()
                },
                vec![IdChangedPolicySame],
            ),
            (
                "an MX added and not covered",
                World {
                    mx: vec!["mx1.example.com", "mx9.example.net"],
                    ..h.clone()
                },
                vec![VerdictWorse, NewMxNotCovered],
            ),
            (
                "an MX added and covered",
                World {
                    mx: vec!["mx1.example.com", "mx2.example.com"],
                    body: Some(ENFORCE_MX2),
                    txt: Some("v=STSv1; id=2"),
                    ..h.clone()
                },
                vec![],
            ),
            (
                "the policy unreachable",
                World {
                    body: None,
                    ..h.clone()
                },
                vec![VerdictWorse, PolicyUnreachable],
            ),
            (
                "the policy host certificate near expiry",
                World {
                    policy_cert_days: 10,
                    ..h.clone()
                },
                vec![PolicyCertExpiring],
            ),
            (
                "an MX certificate near expiry",
                World {
                    mx_cert_days: 3,
                    ..h.clone()
                },
                vec![MxCertExpiring],
            ),
            (
                "the TXT record removed",
                World {
                    txt: None,
                    ..h.clone()
                },
                vec![VerdictWorse, TxtRemoved],
            ),
            (
                "TLS-RPT removed",
                World {
                    tlsrpt: false,
                    ..h.clone()
                },
                vec![TlsrptRemoved],
            ),
            (
                "enforce to testing",
                World {
                    body: Some(TESTING),
                    txt: Some("v=STSv1; id=3"),
                    ..h.clone()
                },
                vec![VerdictWorse],
            ),
        ];
        for (name, after, want) in cases {
            assert_eq!(codes(&h, &after), want, "{name}");
        }
    }

    #[test]
    fn an_unannounced_edit_is_said_until_the_id_changes() {
        let h = healthy();
        let edited = World {
            body: Some(ENFORCE_MX2),
            ..h.clone()
        };
        let bumped = World {
            txt: Some("v=STSv1; id=20260105000000"),
            ..edited.clone()
        };
        let mut state = State::default();
        let mut seen = Vec::new();
        for (i, w) in [&h, &edited, &edited, &bumped, &bumped].iter().enumerate() {
            let t = NOW + i as i64 * DAY;
            let mut p = Pass::new(t);
            p.record(&mut state, &check(w, t), t, Settings::default());
            seen.push(p.alerts().map(|a| a.code).collect::<Vec<_>>());
        }
        use AlertCode::IdNotBumped;
        assert_eq!(
            seen,
            vec![vec![], vec![IdNotBumped], vec![IdNotBumped], vec![], vec![]]
        );
    }

    #[test]
    fn alerts_say_what_to_do() {
        let h = healthy();
        let mut state = State::default();
        let mut p = Pass::new(NOW);
        p.record(&mut state, &check(&h, NOW), NOW, Settings::default());
        let later = NOW + DAY;
        let after = World {
            body: Some(ENFORCE_MX2),
            mx: vec!["mx1.example.com", "mx9.example.net"],
            ..h
        };
        let mut p = Pass::new(later);
        p.record(
            &mut state,
            &check(&after, later),
            later,
            Settings::default(),
        );
        let alerts: Vec<&Alert> = p.alerts().collect();
        let bumped = alerts
            .iter()
            .find(|a| a.code == AlertCode::IdNotBumped)
            .unwrap();
        assert_eq!(bumped.severity, Severity::Error);
        assert!(bumped.fix.contains("id=20260602000000"), "{}", bumped.fix);
        let mx = alerts
            .iter()
            .find(|a| a.code == AlertCode::NewMxNotCovered)
            .unwrap();
        assert!(
            mx.message.starts_with("mx9.example.net is a new MX host"),
            "{}",
            mx.message
        );
        assert!(mx.fix.contains("mx: mx9.example.net"), "{}", mx.fix);
        for a in alerts {
            assert_eq!(a.domain, "example.com");
            assert!(!a.message.is_empty() && !a.fix.is_empty());
        }
    }

    #[test]
    fn the_teardown_countdown_runs_from_the_last_fetch() {
        let h = healthy();
        let mut state = State::default();
        let mut p = Pass::new(NOW);
        p.record(&mut state, &check(&h, NOW), NOW, Settings::default());
        // Two days later the TXT record is gone (the policy too).
        let gone = World {
            txt: None,
            body: None,
            ..h
        };
        let t = NOW + 2 * DAY;
        let mut p = Pass::new(t);
        p.record(&mut state, &check(&gone, t), t, Settings::default());
        let a = p
            .alerts()
            .find(|a| a.code == AlertCode::TxtRemoved)
            .unwrap();
        // Last fetched at NOW with max_age one week.
        assert_eq!(a.until.as_deref(), Some("2026-06-08"));
        assert!(a.message.contains("until 2026-06-08"), "{}", a.message);
        assert_eq!(a.severity, Severity::Error);
        assert!(!p.alerts().any(|a| a.code == AlertCode::PolicyUnreachable));
        // It keeps counting down on later passes, and stops once caches expired.
        let t = NOW + 5 * DAY;
        let mut p = Pass::new(t);
        p.record(&mut state, &check(&gone, t), t, Settings::default());
        assert!(p
            .alerts()
            .any(|a| a.code == AlertCode::TxtRemoved && a.until.as_deref() == Some("2026-06-08")));
        let t = NOW + 8 * DAY;
        let mut p = Pass::new(t);
        p.record(&mut state, &check(&gone, t), t, Settings::default());
        assert!(!p.alerts().any(|a| a.code == AlertCode::TxtRemoved));
    }

    #[test]
    fn a_teardown_through_mode_none_is_quiet() {
        const NONE: &str = "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n";
        let h = World {
            body: Some(NONE),
            ..healthy()
        };
        assert_eq!(
            codes(
                &h,
                &World {
                    txt: None,
                    body: None,
                    ..h.clone()
                }
            ),
            vec![]
        );
    }

    #[test]
    fn expiry_alerts_fire_on_the_first_pass_too() {
        let w = World {
            policy_cert_days: -1,
            mx_cert_days: 13,
            ..healthy()
        };
        let mut state = State::default();
        let mut p = Pass::new(NOW);
        p.record(&mut state, &check(&w, NOW), NOW, Settings::default());
        let got: Vec<(AlertCode, Severity)> = p.alerts().map(|a| (a.code, a.severity)).collect();
        assert_eq!(
            got,
            vec![
                (AlertCode::PolicyCertExpiring, Severity::Error),
                (AlertCode::MxCertExpiring, Severity::Warning)
            ]
        );
        let mut p = Pass::new(NOW);
        p.record(
            &mut state,
            &check(&w, NOW),
            NOW,
            Settings { expiry_days: 7 },
        );
        assert_eq!(p.alerts().count(), 1, "13 days is outside a 7-day window");
    }

    #[test]
    fn a_failed_lookup_is_not_a_removal() {
        let h = healthy();
        let mut state = State::default();
        let mut p = Pass::new(NOW);
        p.record(&mut state, &check(&h, NOW), NOW, Settings::default());
        let mut r = check(&h, NOW + DAY);
        r.observations.sts_txt = Lookup::status(DnsStatus::ServFail);
        r.observations.tlsrpt_txt = Lookup::status(DnsStatus::ServFail);
        let r = report::build(r.observations);
        let snap = snapshot(&r, NOW + DAY, state.domains.get("example.com"));
        assert_eq!(snap.sts_id.as_deref(), Some("20260101000000"));
        assert!(snap.tlsrpt);
        let mut p = Pass::new(NOW + DAY);
        p.record(&mut state, &r, NOW + DAY, Settings::default());
        let codes: Vec<AlertCode> = p.alerts().map(|a| a.code).collect();
        assert!(!codes.contains(&AlertCode::TxtRemoved), "{codes:?}");
        assert!(!codes.contains(&AlertCode::TlsrptRemoved), "{codes:?}");
    }

    #[test]
    fn the_state_round_trips_and_bad_files_are_named() {
        let mut state = State::default();
        let mut p = Pass::new(NOW);
        p.record(
            &mut state,
            &check(&healthy(), NOW),
            NOW,
            Settings::default(),
        );
        let bytes = state_bytes(&state);
        assert_eq!(parse_state(&bytes), Ok(state));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("\"format\": \"mtasts-watch-state\""));
        assert!(text.contains("\"version\": 1"));

        assert!(matches!(parse_state(b""), Err(StateError::Corrupt(m)) if m.contains("empty")));
        assert!(matches!(
            parse_state(b"{\"format\": \"mtasts-watch-sta"),
            Err(StateError::Corrupt(_))
        ));
        assert!(matches!(
            parse_state(b"[1, 2]"),
            Err(StateError::Foreign(_))
        ));
        assert!(matches!(
            parse_state(b"{\"name\": \"package.json\"}"),
            Err(StateError::Foreign(_))
        ));
        assert_eq!(
            parse_state(b"{\"format\": \"mtasts-watch-state\", \"version\": 2}"),
            Err(StateError::Newer(2))
        );
        assert!(matches!(
            parse_state(
                b"{\"format\": \"mtasts-watch-state\", \"version\": 1, \"domains\": {\"x\": 5}}"
            ),
            Err(StateError::Corrupt(_))
        ));
        let message = StateError::Foreign("x".into()).to_string();
        assert!(message.contains("move the file away"), "{message}");
    }

    #[test]
    fn alert_codes_are_the_json_names() {
        for c in AlertCode::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_every("6h"), Ok(21_600));
        assert_eq!(parse_every("30m"), Ok(1_800));
        assert_eq!(parse_every("1d"), Ok(86_400));
        assert_eq!(parse_every("45"), Ok(45));
        for bad in ["", "h", "6x", "0s", "-1h", "400d", "99999999999999999999d"] {
            assert!(parse_every(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_pass_is_dated() {
        assert_eq!(Pass::new(NOW).checked_at, "2026-06-01T00:00:00Z");
    }
}
