//! What people paste into a domain box, turned into the A-label Policy Domain
//! to check (RFC 8461 §3, §3.4), with every change said out loud.
//!
//! Host name rules are RFC 1035 §2.3.4 (63-octet labels, 253-octet names) and
//! the RFC 5321 §4.1.2 `Domain` rule (letters, digits, inner hyphens);
//! internationalised names go through UTS 46 processing to A-labels (RFC 5891).

use serde::{Deserialize, Serialize};

/// Longest label, RFC 1035 §2.3.4.
pub const MAX_LABEL: usize = 63;
/// Longest name in presentation form without the trailing dot, RFC 1035 §2.3.4.
pub const MAX_NAME: usize = 253;

/// The longest name the check puts in front of the domain: `mta-sts.`
/// (RFC 8461 §3.3), `_mta-sts.` (§3.1), `_smtp._tls.` (RFC 8460 §3).
pub const LONGEST_PREFIX: &str = "_smtp._tls.";
/// The longest domain whose every looked-up name fits in [`MAX_NAME`].
pub const MAX_CHECKED_NAME: usize = MAX_NAME - LONGEST_PREFIX.len();

/// A domain ready to check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// Lower-case A-label form, no trailing dot: what DNS and senders use.
    pub ascii: String,
    /// The Unicode form, when it differs from `ascii`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unicode: Option<String>,
    /// What was changed from the input, in words, in the order it was done.
    pub changes: Vec<String>,
}

impl Domain {
    /// `mta-sts.<domain>`, the Policy Host (RFC 8461 §3.2).
    pub fn policy_host(&self) -> String {
        format!("mta-sts.{}", self.ascii)
    }

    /// The policy URL, fixed by RFC 8461 §3.2.
    pub fn policy_url(&self) -> String {
        format!("https://mta-sts.{}/.well-known/mta-sts.txt", self.ascii)
    }

    /// `_mta-sts.<domain>`, where the TXT record lives (RFC 8461 §3.1).
    pub fn txt_name(&self) -> String {
        format!("_mta-sts.{}", self.ascii)
    }

    /// `_smtp._tls.<domain>`, where the TLS-RPT record lives (RFC 8460 §3).
    pub fn tlsrpt_name(&self) -> String {
        format!("_smtp._tls.{}", self.ascii)
    }
}

/// Why a pasted value cannot be checked. `message` says what is wrong and what
/// to type instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainError {
    pub kind: DomainErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainErrorKind {
    Empty,
    IpAddress,
    EmptyLabel,
    LabelTooLong,
    NameTooLong,
    InvalidCharacter,
    Hyphen,
    SingleLabel,
    Idna,
}

impl core::fmt::Display for DomainError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(kind: DomainErrorKind, message: impl Into<String>) -> DomainError {
    DomainError {
        kind,
        message: message.into(),
    }
}

/// Normalises user input to the domain to check.
///
/// Accepts `Example.COM.`, `https://example.com/path`, `user@example.com`,
/// `mta-sts.example.com`, `_mta-sts.example.com`, `_smtp._tls.example.com` and
/// U-labels such as `bücher.example`; rejects IP addresses (RFC 8461 §3.4:
/// address literals have no policy), empty labels, labels over 63 octets, names
/// over 253 and characters that cannot be in a host name.
pub fn normalise(input: &str) -> Result<Domain, DomainError> {
    normalise_with(input, &to_ascii)
}

/// UTS 46 to-ASCII (RFC 5891 A-labels), lower-cased. With the `uts46`
/// feature this is the `idna` crate; without it only ASCII names convert,
/// and a caller with its own IDNA (the browser's `URL` API) passes it to
/// [`normalise_with`].
pub fn to_ascii(name: &str) -> Option<String> {
    #[cfg(feature = "uts46")]
    {
        idna::domain_to_ascii(name).ok()
    }
    #[cfg(not(feature = "uts46"))]
    {
        name.is_ascii().then(|| name.to_ascii_lowercase())
    }
}

/// The Unicode form of an A-label name, when it has one.
pub fn to_unicode(ascii: &str) -> Option<String> {
    #[cfg(feature = "uts46")]
    {
        let (u, res) = idna::domain_to_unicode(ascii);
        (res.is_ok() && u != ascii).then_some(u)
    }
    #[cfg(not(feature = "uts46"))]
    {
        let _ = ascii;
        None
    }
}

/// [`normalise`] with a given UTS 46 to-ASCII step.
pub fn normalise_with(
    input: &str,
    to_ascii: &dyn Fn(&str) -> Option<String>,
) -> Result<Domain, DomainError> {
    let mut changes = Vec::new();
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(err(
            DomainErrorKind::Empty,
            "Enter a domain name, for example example.com.",
        ));
    }
    if trimmed.len() != input.len() {
        changes.push("removed surrounding spaces".to_string());
    }
    let mut s = trimmed.to_string();

    if let Some(idx) = s.find("://") {
        let scheme = s[..idx].to_string();
        let rest = &s[idx + 3..];
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let mut authority = &rest[..end];
        if let Some(at) = authority.rfind('@') {
            authority = &authority[at + 1..];
        }
        if authority.starts_with('[') {
            return Err(err(
                DomainErrorKind::IpAddress,
                format!(
                    "`{trimmed}` points at an IP address; MTA-STS applies to domain names. Enter the mail domain, for example example.com."
                ),
            ));
        }
        let host = match authority.rfind(':') {
            Some(c) if authority[c + 1..].bytes().all(|b| b.is_ascii_digit()) => &authority[..c],
            _ => authority,
        };
        changes.push(format!("took the host name from the {scheme}:// address"));
        s = host.to_string();
    } else if let Some(at) = s.rfind('@') {
        changes.push("took the domain from the e-mail address".to_string());
        s = s[at + 1..].to_string();
    }
    if s.is_empty() {
        return Err(err(
            DomainErrorKind::Empty,
            format!("`{trimmed}` has no domain name in it. Enter the mail domain, for example example.com."),
        ));
    }

    if looks_like_ip(&s) {
        return Err(err(
            DomainErrorKind::IpAddress,
            format!(
                "`{s}` is an IP address; MTA-STS policies belong to domain names (RFC 8461 §3.4). Enter the mail domain, for example example.com."
            ),
        ));
    }

    if let Some(stripped) = s.strip_suffix('.') {
        if !stripped.is_empty() && !stripped.ends_with('.') {
            changes.push("removed the trailing dot".to_string());
            s = stripped.to_string();
        }
    }

    if s.contains(char::is_whitespace) {
        return Err(err(
            DomainErrorKind::InvalidCharacter,
            format!("`{s}` contains a space; a domain name has none. Enter one domain, for example example.com."),
        ));
    }
    if let Some(pos) = s.split('.').position(str::is_empty) {
        let what = if pos == 0 {
            "starts with a dot".to_string()
        } else {
            "has two dots in a row".to_string()
        };
        return Err(err(
            DomainErrorKind::EmptyLabel,
            format!("`{s}` {what}, so one of its labels is empty. Remove the extra dot."),
        ));
    }

    // Policy records and hosts live under the domain; people paste those names.
    let lower = s.to_ascii_lowercase();
    for prefix in ["_mta-sts.", "mta-sts.", "_smtp._tls."] {
        if lower.starts_with(prefix) && lower.len() > prefix.len() {
            changes.push(format!(
                "checked the domain itself: `{}` is one of its MTA-STS names",
                &s[..prefix.len() - 1]
            ));
            s = s[prefix.len()..].to_string();
            break;
        }
    }

    for label in s.split('.') {
        if label.len() > MAX_LABEL && label.is_ascii() {
            return Err(err(
                DomainErrorKind::LabelTooLong,
                format!(
                    "The label `{label}` is {} characters long; DNS allows at most {MAX_LABEL} per label (RFC 1035 §2.3.4).",
                    label.len()
                ),
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            let why = match c {
                '_' => "underscores are used in record names, not host names".to_string(),
                '/' | ':' | '?' | '#' => "it looks like part of a URL".to_string(),
                _ => "host names hold only letters, digits and hyphens".to_string(),
            };
            return Err(err(
                DomainErrorKind::InvalidCharacter,
                format!("`{s}` contains `{c}`, which cannot be in a host name ({why}). Enter the mail domain, for example example.com."),
            ));
        }
    }

    let mut ascii = to_ascii(&s).ok_or_else(|| {
        err(
            DomainErrorKind::Idna,
            format!("`{s}` is not a valid internationalised domain name (UTS 46). Check the spelling, or enter its xn-- form."),
        )
    })?;
    if ascii != s.to_ascii_lowercase() {
        if s.is_ascii() {
            changes.push("lower-cased".to_string());
        } else {
            changes.push(format!("converted to the A-label form {ascii}"));
        }
    }
    // UTS 46 drops invisible characters (a pasted BOM or zero-width space),
    // which can uncover one of the MTA-STS prefixes only now.
    for prefix in ["mta-sts.", "_mta-sts.", "_smtp._tls."] {
        if ascii.starts_with(prefix) && ascii.len() > prefix.len() {
            changes.push(format!(
                "checked the domain itself: `{}` is one of its MTA-STS names",
                &prefix[..prefix.len() - 1]
            ));
            ascii = ascii[prefix.len()..].to_string();
        }
    }
    // After UTS 46: full-width digits and ideographic dots only now read
    // as `127.0.0.1`.
    if ends_in_a_number(&ascii) {
        return Err(err(
            DomainErrorKind::IpAddress,
            format!(
                "`{s}` is an IP address (its last part is a number, which no top-level domain is); MTA-STS policies belong to domain names (RFC 8461 §3.4). Enter the mail domain, for example example.com."
            ),
        ));
    }
    if ascii.len() > MAX_CHECKED_NAME {
        return Err(err(
            DomainErrorKind::NameTooLong,
            format!(
                "The name is {} characters long; with `{LONGEST_PREFIX}` in front (where the TLS-RPT record lives) it would pass the {MAX_NAME} DNS allows (RFC 1035 §2.3.4), so at most {MAX_CHECKED_NAME} can be checked.",
                ascii.len()
            ),
        ));
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err(err(
                DomainErrorKind::EmptyLabel,
                format!("`{s}` has an empty label. Remove the extra dot."),
            ));
        }
        if label.len() > MAX_LABEL {
            return Err(err(
                DomainErrorKind::LabelTooLong,
                format!(
                    "The label `{label}` is {} characters long; DNS allows at most {MAX_LABEL} per label (RFC 1035 §2.3.4).",
                    label.len()
                ),
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(err(
                DomainErrorKind::InvalidCharacter,
                format!("`{s}` contains a character that cannot be in a host name. Enter the mail domain, for example example.com."),
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(err(
                DomainErrorKind::Hyphen,
                format!("The label `{label}` starts or ends with a hyphen, which host names do not allow (RFC 5321 §4.1.2)."),
            ));
        }
    }
    if !ascii.contains('.') {
        return Err(err(
            DomainErrorKind::SingleLabel,
            format!("`{ascii}` is a single label (a top-level domain or a local name). Enter the full mail domain, for example {ascii}.com or example.com."),
        ));
    }
    let unicode = to_unicode(&ascii);
    Ok(Domain {
        ascii,
        unicode,
        changes,
    })
}

/// True for dotted-quad IPv4 and anything with a colon (IPv6), bracketed or not.
pub fn looks_like_ip(s: &str) -> bool {
    let s = s.trim_start_matches('[').trim_end_matches(']');
    if s.contains(':')
        && s.chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    {
        return true;
    }
    let mut parts = 0;
    s.trim_end_matches('.').split('.').all(|p| {
        parts += 1;
        parts <= 4 && !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit())
    }) && parts == 4
}

/// The WHATWG URL "ends in a number" rule: the last label (after one
/// trailing dot) is decimal digits, or `0x` and hex digits. Browsers and
/// `inet_aton` read such names as IPv4 addresses (`127.1`, `0x7f.1`,
/// `0177.0.0.1`), and no top-level domain is numeric.
pub fn ends_in_a_number(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let last = name.rsplit('.').next().unwrap_or(name);
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"))
        && last.bytes().skip(2).all(|b| b.is_ascii_hexdigit())
}

/// True when `s` is an RFC 5321 §4.1.2 `Domain`: dot-separated labels of
/// letters, digits and inner hyphens. Length limits are checked separately.
pub fn is_ldh_domain(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_ldh_label)
}

/// `sub-domain = Let-dig [Ldh-str]` (RFC 5321 §4.1.2).
pub fn is_ldh_label(label: &str) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}
