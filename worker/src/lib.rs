//! The native shells around the `mtasts` core: the DNS transports, the
//! policy fetcher, the check driver, the local server and proxy, and the
//! terminal rendering. The `mtasts` binary (`main.rs`) parses the command
//! line and calls these; the tests use them directly.

/// Like `println!`, but a closed pipe (`mtasts lint | head`) is not an
/// error worth a panic.
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// Like `print!`, but a closed pipe is not an error worth a panic.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

pub mod bulk;
pub mod check;
pub mod fetch;
pub mod render;
pub mod reports;
pub mod resolve;
pub mod serve;
pub mod smtp;
pub mod watch;
