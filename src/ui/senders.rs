//! How each sender reads the domain, as the app shows it under the verdict:
//! the RFC 8461 reading first, then one row per modelled sender
//! (`sts::senders`), with what makes it differ and where that comes from.

use crate::sts::report::Report;

use super::html::{self, esc};

/// The matrix, or nothing when the report has no sender readings.
pub fn matrix(report: &Report) -> String {
    if report.by_sender.is_empty() {
        return String::new();
    }
    let mut rows = vec![vec![
        "RFC 8461 (the verdict above)".to_string(),
        report.verdict.as_str().to_string(),
        "—".to_string(),
        "RFC 8461, RFC 8460".to_string(),
    ]];
    for r in &report.by_sender {
        let verdict = if r.verdict == report.verdict {
            r.verdict.as_str().to_string()
        } else {
            format!("<strong>{}</strong>", r.verdict.as_str())
        };
        let because = if r.because.is_empty() {
            "—".to_string()
        } else {
            r.because
                .iter()
                .map(|c| format!("<code>{c}</code> {}", esc(c.entry().title)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        rows.push(vec![esc(&r.sender), verdict, because, esc(&r.source)]);
    }
    let mut out = String::from("<h2>How senders read it</h2><p>Real sending servers do not all follow the RFC to the letter; each row is what that sender does with this domain, from its source code or published documentation.</p>");
    out.push_str(&html::table(
        "The verdict each sending implementation reaches",
        &["Sender", "Verdict", "Why it differs", "Source"],
        &rows,
    ));
    out
}
