//! TLS-RPT reports as they arrive by mail (RFC 8460 §5.3): a
//! `multipart/report; report-type="tlsrpt"` message whose attachment is
//! `application/tlsrpt+gzip` or `application/tlsrpt+json`, usually base64.
//! Also mbox files (messages separated by `From ` lines) as mail clients
//! export them.
//!
//! A small, bounded MIME reader: headers with folding, `Content-Type`
//! parameters, nested multiparts (depth and part counts capped),
//! base64 and quoted-printable. Enough for reports; not a general mail parser.

/// Deepest nesting of multiparts read.
pub const MAX_DEPTH: usize = 4;
/// Most parts read from one message.
pub const MAX_PARTS: usize = 64;

/// A report attachment found in a message, transfer encoding removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// `application/tlsrpt+gzip`, lower case.
    pub content_type: String,
    pub filename: Option<String>,
    /// The bytes after base64 or quoted-printable decoding (still gzip for +gzip).
    pub data: Vec<u8>,
}

/// What a message carries for the reports reader.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// `TLS-Report-Domain` (RFC 8460 §5.3), or the domain in the file name.
    pub report_domain: Option<String>,
    pub subject: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// True when the bytes look like a mail message (a header line first).
pub fn looks_like_message(data: &[u8]) -> bool {
    let first = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let Some(colon) = first.iter().position(|&b| b == b':') else {
        return false;
    };
    colon > 0
        && first
            .get(..colon)
            .is_some_and(|name| name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// True when the bytes look like an mbox (they start with a `From ` line).
pub fn looks_like_mbox(data: &[u8]) -> bool {
    data.starts_with(b"From ")
}

/// Splits an mbox into its messages (each without its `From ` line).
pub fn split_mbox(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0usize;
    while pos < data.len() {
        let rest = data.get(pos..).unwrap_or(&[]);
        let line_len = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        if rest.starts_with(b"From ") {
            if let Some(s) = start {
                out.push(data.get(s..pos).unwrap_or(&[]));
            }
            start = Some(pos + line_len);
        } else if start.is_none() {
            start = Some(pos);
        }
        pos += line_len;
    }
    if let Some(s) = start {
        let last = data.get(s..).unwrap_or(&[]);
        if !last.iter().all(u8::is_ascii_whitespace) {
            out.push(last);
        }
    }
    out
}

/// Reads a message and collects its report attachments.
pub fn read_message(data: &[u8]) -> Message {
    let (headers, body) = split_head(data);
    let mut msg = Message {
        report_domain: header(&headers, "tls-report-domain").map(|d| d.trim().to_ascii_lowercase()),
        subject: header(&headers, "subject").map(str::to_string),
        attachments: Vec::new(),
    };
    let mut parts = 0usize;
    collect(&headers, body, 0, &mut parts, &mut msg.attachments);
    if msg.report_domain.is_none() {
        msg.report_domain = msg
            .attachments
            .iter()
            .find_map(|a| a.filename.as_deref().and_then(domain_from_filename));
    }
    msg
}

/// The policy domain in a report file name
/// `sender!policy-domain!begin!end[!id].json[.gz]` (RFC 8460 §5.1).
pub fn domain_from_filename(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut fields = base.split('!');
    let _sender = fields.next()?;
    let domain = fields.next()?;
    let _begin = fields.next()?;
    (!domain.is_empty() && domain.contains('.')).then(|| domain.to_ascii_lowercase())
}

type Headers = Vec<(String, String)>;

/// Splits at the first empty line and unfolds the header lines.
fn split_head(data: &[u8]) -> (Headers, &[u8]) {
    let mut headers: Headers = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let rest = data.get(pos..).unwrap_or(&[]);
        let line_len = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let line = rest.get(..line_len).unwrap_or(&[]);
        pos += line_len;
        let trimmed = trim_eol(line);
        if trimmed.is_empty() {
            return (headers, data.get(pos..).unwrap_or(&[]));
        }
        let text = String::from_utf8_lossy(trimmed);
        if text.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(text.trim());
            }
        } else if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        if headers.len() > 1000 {
            break;
        }
    }
    (headers, &[])
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `type/subtype; a=b; c="d"` into the lower-cased type and the parameters.
fn content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = split_params(value).into_iter();
    let ty = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            Some((k.trim().to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    (ty, params)
}

/// Splits on `;` outside quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => out.push(core::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn collect(
    headers: &Headers,
    body: &[u8],
    depth: usize,
    parts: &mut usize,
    out: &mut Vec<Attachment>,
) {
    *parts += 1;
    if *parts > MAX_PARTS {
        return;
    }
    let (ty, params) = content_type(header(headers, "content-type").unwrap_or("text/plain"));
    if ty.starts_with("multipart/") {
        let Some(boundary) = param(&params, "boundary") else {
            return;
        };
        if depth >= MAX_DEPTH {
            return;
        }
        for part in split_multipart(body, boundary) {
            let (h, b) = split_head(part);
            collect(&h, b, depth + 1, parts, out);
            if *parts > MAX_PARTS {
                return;
            }
        }
        return;
    }
    let filename = header(headers, "content-disposition")
        .and_then(|d| param(&content_type(d).1, "filename").map(str::to_string))
        .or_else(|| param(&params, "name").map(str::to_string));
    if !is_report_part(&ty, filename.as_deref()) {
        return;
    }
    let encoding = header(headers, "content-transfer-encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    let data = match encoding.as_str() {
        "base64" => decode_base64(body),
        "quoted-printable" => decode_qp(body),
        _ => body.to_vec(),
    };
    out.push(Attachment {
        content_type: ty,
        filename,
        data,
    });
}

/// RFC 8460 §5.3 media types, and the generic ones some reporters use with a
/// report file name.
fn is_report_part(ty: &str, filename: Option<&str>) -> bool {
    let named = filename.is_some_and(|f| {
        let f = f.to_ascii_lowercase();
        f.ends_with(".json") || f.ends_with(".json.gz") || f.ends_with(".gz")
    });
    match ty {
        "application/tlsrpt+gzip" | "application/tlsrpt+json" => true,
        "application/gzip"
        | "application/x-gzip"
        | "application/json"
        | "application/octet-stream" => named,
        _ => false,
    }
}

/// The bodies between `--boundary` lines, up to `--boundary--`.
fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delim = format!("--{boundary}");
    let mut out = Vec::new();
    let mut current: Option<usize> = None;
    let mut pos = 0usize;
    while pos < body.len() {
        let rest = body.get(pos..).unwrap_or(&[]);
        let line_len = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let line = trim_eol(rest.get(..line_len).unwrap_or(&[]));
        if line.starts_with(delim.as_bytes()) {
            let tail = line.get(delim.len()..).unwrap_or(&[]);
            let closing = tail.starts_with(b"--");
            if closing || tail.iter().all(|b| b.is_ascii_whitespace()) {
                if let Some(s) = current {
                    // The line break before the delimiter belongs to it.
                    let part = body.get(s..pos).unwrap_or(&[]);
                    let part = part.strip_suffix(b"\n").unwrap_or(part);
                    out.push(part.strip_suffix(b"\r").unwrap_or(part));
                }
                if closing || out.len() >= MAX_PARTS {
                    return out;
                }
                current = Some(pos + line_len);
            }
        }
        pos += line_len;
    }
    if let Some(s) = current {
        out.push(body.get(s..).unwrap_or(&[]));
    }
    out
}

/// Base64 with line breaks and stray characters skipped, padding optional.
fn decode_base64(body: &[u8]) -> Vec<u8> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    let clean: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    // A length of 4n+1 cannot be base64; the last character is dropped.
    let usable = clean.len() - usize::from(clean.len() % 4 == 1);
    engine
        .decode(clean.get(..usable).unwrap_or(&[]))
        .unwrap_or_default()
}

fn decode_qp(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0usize;
    while let Some(&b) = body.get(i) {
        if b == b'=' {
            match (body.get(i + 1), body.get(i + 2)) {
                (Some(b'\r'), Some(b'\n')) => i += 3,
                (Some(b'\n'), _) => i += 2,
                (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    let hex = [h, l];
                    let v = core::str::from_utf8(&hex)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                        .unwrap_or(b'=');
                    out.push(v);
                    i += 3;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_splits_on_from_lines() {
        let mbox = b"From a@b Mon Jan 1 00:00:00 2024\nSubject: one\n\nbody\nFrom c@d Tue\nSubject: two\n\nx\n";
        let msgs = split_mbox(mbox);
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].starts_with(b"Subject: one"));
        assert!(msgs[1].starts_with(b"Subject: two"));
    }

    #[test]
    fn filename_names_the_domain() {
        assert_eq!(
            domain_from_filename("google.com!krvtz.net!1726358400!1726444799!001.json.gz")
                .as_deref(),
            Some("krvtz.net")
        );
        assert_eq!(domain_from_filename("report.json"), None);
    }

    #[test]
    fn quoted_printable_and_base64() {
        assert_eq!(decode_qp(b"a=3Db=\r\nc"), b"a=bc");
        assert_eq!(decode_base64(b"e30=\r\n"), b"{}");
        assert_eq!(decode_base64(b"e30"), b"{}");
    }
}
