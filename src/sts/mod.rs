//! The MTA-STS core. One module per concept; each public item cites the RFC
//! section it implements, so a reader can go from a section number to the code.
//!
//! | RFC section | module |
//! | --- | --- |
//! | RFC 8461 §3.1 `_mta-sts` TXT record | [`txt`] |
//! | RFC 8461 §3.2 policy file | [`policy`] |
//! | RFC 8461 §3.3 HTTPS fetch rules | [`report`] (fetch outcome) |
//! | RFC 8461 §3.1-§3.2, RFC 8460 §3 what to publish | [`generate`] |
//! | RFC 8461 §3.2-§3.3 serving the policy on common hosts | [`hosting`] |
//! | RFC 8461 §5, §8.3 rollout, changes and teardown, dated | [`rollout`] (dates: [`date`], advice text: [`prose`]) |
//! | RFC 8461 §4.1 MX host validation | [`mx`] |
//! | RFC 8461 §5, §8.3 modes and teardown | [`lint`] |
//! | RFC 8460 §3 `_smtp._tls` TXT record | [`tlsrpt`] |
//! | RFC 5321 §4.1.2, RFC 5891 / UTS 46 domain names | [`domain`] |
//! | RFC 1035, RFC 8484 DNS messages | [`dns`] |

pub mod date;
pub mod dns;
pub mod domain;
pub mod finding;
pub mod generate;
pub mod hosting;
pub mod lint;
pub mod mx;
pub mod policy;
pub mod prose;
pub mod record;
pub mod report;
pub mod rollout;
pub mod tlsrpt;
pub mod txt;

pub use finding::{Code, Finding, Position, Severity};
