//! Advice written once for every shell: sentences made of typed pieces, so
//! the page can mark code and dates up and the terminal can print them plain.

use serde::Serialize;

/// One piece of a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "text")]
pub enum Span {
    Text(String),
    /// Something to type or to find in a file: a record, a field, a path.
    Code(String),
    /// A calendar date, `YYYY-MM-DD` (UTC).
    Date(String),
    /// A domain to check again after a change: the page points at its own
    /// checker, the command line at `mtasts check`.
    Check(String),
}

/// A piece of plain text.
pub fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// A piece of code.
pub fn code(s: impl Into<String>) -> Span {
    Span::Code(s.into())
}
