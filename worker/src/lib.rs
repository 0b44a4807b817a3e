//! The native shells around the `mtasts` core: the DNS transports, the
//! policy fetcher, the check driver, the local server and proxy, and the
//! terminal rendering. The `mtasts` binary (`main.rs`) parses the command
//! line and calls these; the tests use them directly.

pub mod check;
pub mod fetch;
pub mod render;
pub mod resolve;
pub mod serve;
