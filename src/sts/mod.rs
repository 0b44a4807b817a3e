//! The MTA-STS core. One module per concept; each public item cites the RFC
//! section it implements, so a reader can go from a section number to the code.
//!
//! | RFC section | module |
//! | --- | --- |
//! | RFC 8461 §3.1 `_mta-sts` TXT record | [`txt`]; in the report (lookup, absence, id drift) `report/sts_record.rs` |
//! | RFC 8461 §3.2 policy file | [`policy`] |
//! | RFC 8461 §3.3 HTTPS fetch rules | [`proxy`] (what is fetched, from where, how much); the outcome `report/policy_fetch.rs` |
//! | RFC 8461 §3.1-§3.2, RFC 8460 §3 what to publish | [`generate`] |
//! | RFC 8461 §3.2-§3.3 serving the policy on common hosts | [`hosting`] |
//! | RFC 8461 §5, §8.3 rollout, changes and teardown, dated | [`rollout`] (dates: [`date`], advice text: [`prose`]) |
//! | RFC 8461 §4.1 MX host validation | [`mx`]; the report's coverage table `report/mx_coverage.rs` |
//! | RFC 8461 §4.2 each MX host's STARTTLS certificate as enforcing senders judge it | [`mx_tls`]; in the report `report/mx_tls.rs` |
//! | RFC 8461 §5 the verdict | [`report`] ([`report::build`]), `report/verdict.rs` |
//! | RFC 8461 §3-§5 as real senders read it, one verdict each | [`senders`] |
//! | RFC 8461 §5, §8.3, §10 modes, teardown, advice | [`lint`] |
//! | RFC 8460 §3 `_smtp._tls` TXT record | [`tlsrpt`]; in the report `report/tls_reporting.rs` |
//! | RFC 7672 DANE (a related signal) | `report/dane.rs` |
//! | every finding: code, severity, part, whether it can change the verdict | [`finding`]; repeats folded into one, [`fold`] |
//! | RFC 8460 §4.4 aggregate report JSON | [`rua_report`] |
//! | RFC 8460 §4.3, §6.6 result types | [`rua_result`] |
//! | RFC 8460 §5.3 report mail, RFC 1952 gzip | [`rua_mail`], [`gzip`], [`rua_input`] |
//! | RFC 8460 §4 reports summed, ready to enforce, cross-check | [`rua_aggregate`], [`rua_ready`], [`rua_crosscheck`] |
//! | RFC 5321 §4.1.2, RFC 5891 / UTS 46 domain names | [`domain`] |
//! | RFC 1035, RFC 8484 DNS messages | [`dns`] |
//! | RFC 8484 §4.2.1, RFC 5452 §4.2 reading an answer; one lookup's result | [`lookup`] |
//! | RFC 8461 §3-§4, RFC 8460 §3, RFC 7672 what a check looks up, in which order | [`plan`] |
//! | RFC 8461 §3.3, §4.2 certificate expiry dates in a report | `expiry` (native) |
//! | many domains in one run: the list, CSV rows, tally, categories | `bulk` (native) |
//! | RFC 8461 §3.1, §4.1, §8.3 watching domains: the state and its alerts | `watch` (native) |

#[cfg(feature = "mx-tls")]
pub mod bulk;
pub mod date;
pub mod dns;
pub mod domain;
#[cfg(feature = "mx-tls")]
pub mod expiry;
pub mod finding;
pub mod fold;
pub mod generate;
pub mod gzip;
pub mod hosting;
pub mod lint;
pub mod lookup;
pub mod mx;
pub mod mx_tls;
pub mod plan;
pub mod policy;
pub mod prose;
pub mod proxy;
pub mod record;
pub mod report;
pub mod rollout;
pub mod rua_aggregate;
pub mod rua_crosscheck;
pub mod rua_input;
pub mod rua_mail;
pub mod rua_ready;
pub mod rua_report;
pub mod rua_result;
pub mod senders;
pub mod tlsrpt;
pub mod txt;
#[cfg(feature = "mx-tls")]
pub mod watch;

pub use finding::{Code, Finding, Part, Position, Severity};
