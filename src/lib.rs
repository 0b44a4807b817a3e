//! mtasts: an MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) checker, linter and
//! generator.
//!
//! [`sts`] is the pure core: parsers, lint rules, MX matching, the report and
//! the generator, over bytes and strings, with no I/O, no clock and no
//! randomness. Everything that talks to the network or the page is a thin shell
//! around it.

pub mod sts;
#[cfg(feature = "ui")]
pub mod ui;
