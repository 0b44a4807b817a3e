//! The MTA-STS core. One module per concept; each public item cites the RFC
//! section it implements, so a reader can go from a section number to the code.
//!
//! | RFC section | module |
//! | --- | --- |
//! | RFC 8461 §3.1 `_mta-sts` TXT record | [`txt`] |
//! | RFC 8461 §3.2 policy file | [`policy`] |
//! | RFC 8461 §3.3 HTTPS fetch rules | [`report`] (fetch outcome) |
//! | RFC 8461 §4.1 MX host validation | [`mx`] |
//! | RFC 8461 §5, §8.3 modes and teardown | [`lint`] |
//! | RFC 8460 §3 `_smtp._tls` TXT record | [`tlsrpt`] |
//! | RFC 8460 §4.4 aggregate report JSON | [`rua_report`] |
//! | RFC 8460 §4.3, §6.6 result types | [`rua_result`] |
//! | RFC 8460 §5.3 report mail, RFC 1952 gzip | [`rua_mail`], [`gzip`], [`rua_input`] |
//! | RFC 8460 §4 reports summed, ready to enforce, cross-check | [`rua_aggregate`], [`rua_ready`], [`rua_crosscheck`] |
//! | RFC 5321 §4.1.2, RFC 5891 / UTS 46 domain names | [`domain`] |
//! | RFC 1035, RFC 8484 DNS messages | [`dns`] |

pub mod dns;
pub mod domain;
pub mod finding;
pub mod generate;
pub mod gzip;
pub mod lint;
pub mod mx;
pub mod policy;
pub mod record;
pub mod report;
pub mod rua_aggregate;
pub mod rua_crosscheck;
pub mod rua_input;
pub mod rua_mail;
pub mod rua_ready;
pub mod rua_report;
pub mod rua_result;
pub mod tlsrpt;
pub mod txt;

pub use finding::{Code, Finding, Position, Severity};
