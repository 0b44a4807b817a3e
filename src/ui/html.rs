//! Read-only parts of the page (findings, policy bodies, report tables,
//! hosting recipes) written as HTML text and set with `inner_html`. Leptos
//! views cost Wasm for every element; these parts never change once shown,
//! so text is the cheaper form and keeps the app inside its size budget.
//!
//! Everything from outside (policy bodies, headers, DNS records) goes through
//! [`esc`]; nothing here writes raw input.

use std::fmt::Write;

use crate::sts::finding::{Finding, Part, Severity};

/// Escapes text for element content and double-quoted attributes. CR is
/// written as a character reference, because the HTML parser would turn a raw
/// CRLF into LF and a copied policy must keep its line endings.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// A block of text with a copy button; the page's one click handler copies
/// the `pre` just before any `button[data-copy]`.
pub fn code_block(out: &mut String, text: &str, label: &str, id: &str) {
    let label = esc(label);
    let id_attr = if id.is_empty() {
        String::new()
    } else {
        format!(" id=\"{}\"", esc(id))
    };
    let _ = write!(
        out,
        "<div class=\"code\"><pre{id_attr} tabindex=\"0\" aria-label=\"{label}\"><code>{}</code></pre>\
         <button type=\"button\" class=\"copy\" data-copy aria-label=\"Copy {label}\">Copy</button></div>",
        esc(text)
    );
}

pub fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
        Severity::Info => "Info",
    }
}

fn finding(out: &mut String, f: &Finding) {
    let code = f.code.as_str();
    let sev = f.severity.as_str();
    let _ = write!(
        out,
        "<li class=\"finding sev-{sev}\" data-code=\"{code}\"><p class=\"finding-head\"><span class=\"badge\">{}</span> <code class=\"fcode\">{code}</code>",
        severity_word(f.severity)
    );
    if let Some(p) = f.position {
        let _ = write!(
            out,
            " <span class=\"pos\">line {}, column {}</span>",
            p.line, p.column
        );
    }
    if let Some(n) = f.count {
        let _ = write!(out, " <span class=\"count\">{n} times</span>");
    }
    let _ = write!(
        out,
        "</p><p class=\"msg\">{}</p><p class=\"fix\"><strong>Fix: </strong>{}</p>",
        esc(&f.message),
        esc(&f.fix)
    );
    if let Some(c) = &f.corrected {
        out.push_str("<div class=\"corrected\"><span class=\"label\">Corrected:</span>");
        code_block(out, c, &format!("corrected text for {code}"), "");
        out.push_str("</div>");
    }
    let _ = write!(out, "<p class=\"rfc\">{}</p>", esc(&f.rfc));
    if let Some(s) = &f.senders {
        let _ = write!(
            out,
            "<details class=\"senders\"><summary>What real senders do</summary><p>{}</p></details>",
            esc(s)
        );
    }
    out.push_str("</li>");
}

/// Findings shown before "Show all": a page, whatever the input.
pub const PAGE: usize = 20;
/// Policy lines drawn before the rest is summarised.
pub const MAX_BODY_LINES: usize = 500;

/// Findings grouped by severity, most severe first, under headings of level
/// `level` (to fit the page outline around them). The first [`PAGE`] are
/// shown; the rest sit in a closed "Show all" box.
pub fn findings(list: &[Finding], level: u8) -> String {
    if list.is_empty() {
        return "<p class=\"none\">No findings.</p>".to_string();
    }
    let order = [Severity::Error, Severity::Warning, Severity::Info];
    let ordered: Vec<&Finding> = order
        .iter()
        .flat_map(|sev| list.iter().filter(move |f| f.severity == *sev))
        .collect();
    let (page, rest) = ordered.split_at(ordered.len().min(PAGE));
    let mut out = String::from("<div class=\"finding-groups\">");
    groups(&mut out, page, level);
    if !rest.is_empty() {
        let _ = write!(
            out,
            "<details class=\"more-findings\"><summary>Show all {} findings ({} more)</summary>",
            list.len(),
            rest.len()
        );
        groups(&mut out, rest, level);
        out.push_str("</details>");
    }
    out.push_str("</div>");
    out
}

fn groups(out: &mut String, list: &[&Finding], level: u8) {
    for (sev, title) in [
        (Severity::Error, "Errors"),
        (Severity::Warning, "Warnings"),
        (Severity::Info, "Notes"),
    ] {
        let n = list.iter().filter(|f| f.severity == sev).count();
        if n == 0 {
            continue;
        }
        let _ = write!(
            out,
            "<div class=\"group group-{}\"><h{level}>{title} ({n})</h{level}><ul class=\"findings\">",
            sev.as_str()
        );
        for f in list.iter().filter(|f| f.severity == sev) {
            finding(out, f);
        }
        out.push_str("</ul></div>");
    }
}

/// Policy lines that policy-body findings point at, with their codes.
pub fn flagged_lines(list: &[Finding]) -> Vec<(usize, Vec<&'static str>)> {
    let mut out: Vec<(usize, Vec<&'static str>)> = Vec::new();
    for f in list {
        if f.code.entry().part != Part::Policy {
            continue;
        }
        for p in f.position.iter().chain(&f.more_positions) {
            match out.iter_mut().find(|(l, _)| *l == p.line) {
                Some((_, codes)) => {
                    if !codes.contains(&f.code.as_str()) {
                        codes.push(f.code.as_str());
                    }
                }
                None => out.push((p.line, vec![f.code.as_str()])),
            }
        }
    }
    out
}

/// A policy body line by line, line endings shown, the lines findings point
/// at marked by colour, a sign and the codes in words.
pub fn policy_body(body: &[u8], list: &[Finding]) -> String {
    let text = String::from_utf8_lossy(body);
    let flagged = flagged_lines(list);
    let mut out =
        String::from("<ol class=\"policy-body\" tabindex=\"0\" aria-label=\"Policy lines\">");
    let mut rest: &str = &text;
    let mut n = 0;
    while !rest.is_empty() {
        n += 1;
        if n > MAX_BODY_LINES {
            let more = rest.split_terminator('\n').count();
            let _ = write!(
                out,
                "<li class=\"more-lines\"><span class=\"ln\" aria-hidden=\"true\">…</span><code class=\"line-text\">{more} more lines not shown</code></li>"
            );
            break;
        }
        let (line, eol, next) = match rest.find('\n') {
            Some(i) => {
                let line = &rest[..i];
                match line.strip_suffix('\r') {
                    Some(c) => (c, "CRLF", &rest[i + 1..]),
                    None => (line, "LF", &rest[i + 1..]),
                }
            }
            None => (rest, "", ""),
        };
        rest = next;
        let codes = flagged
            .iter()
            .find(|(l, _)| *l == n)
            .map(|(_, c)| c.join(", "));
        // Stray tabs and carriage returns inside a line are what findings
        // are about, so they are drawn.
        let shown = esc(&line.replace('\t', "→").replace('\r', "␍"));
        let _ = write!(
            out,
            "<li{}><span class=\"ln\" aria-hidden=\"true\">{n}</span><code class=\"line-text\">{}</code><span class=\"eol\" aria-hidden=\"true\">{eol}</span>",
            if codes.is_some() { " class=\"bad\"" } else { "" },
            if shown.is_empty() { " ".to_string() } else { shown }
        );
        if let Some(c) = codes {
            let _ = write!(
                out,
                "<span class=\"line-codes\"><span aria-hidden=\"true\">⚠ </span><span class=\"sr-only\">Problem: </span>{c}</span>"
            );
        }
        out.push_str("</li>");
    }
    out.push_str("</ol>");
    out
}

/// A table: caption (for screen readers), column headings, rows of cells
/// already escaped.
pub fn table(caption: &str, heads: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!(
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"{0}\"><table><caption class=\"sr-only\">{0}</caption><thead><tr>",
        esc(caption)
    );
    for h in heads {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}
