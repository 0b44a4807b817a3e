//! When the certificates a report saw expire: the policy host's (RFC 8461
//! §3.3, fetched over HTTPS) and each MX host's (RFC 8461 §4.2, probed
//! over STARTTLS). Bulk rows and watch alerts both read them from here.

use super::report::Report;

/// The expiry dates (Unix seconds, UTC) a report holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expiries {
    /// `notAfter` of the certificate `mta-sts.<domain>` presented.
    pub policy_host: Option<i64>,
    /// `notAfter` of each MX host's leaf certificate, one entry per host
    /// (the earliest over its addresses), in the report's MX order.
    pub mx: Vec<(String, i64)>,
}

impl Expiries {
    /// The earliest MX certificate expiry, with its host.
    pub fn earliest_mx(&self) -> Option<(&str, i64)> {
        self.mx
            .iter()
            .min_by_key(|(_, t)| *t)
            .map(|(h, t)| (h.as_str(), *t))
    }
}

/// The certificate expiries of `report`.
pub fn of(report: &Report) -> Expiries {
    let policy_host = report
        .observations
        .policy
        .as_ref()
        .and_then(|f| f.certificate.as_ref())
        .and_then(|c| c.not_after.as_deref())
        .and_then(parse_certificate_time);
    let mut mx: Vec<(String, i64)> = Vec::new();
    for probe in &report.observations.mx_tls {
        let Some(leaf) = probe.chain.first() else {
            continue;
        };
        match mx.iter_mut().find(|(h, _)| *h == probe.host) {
            Some((_, t)) => *t = (*t).min(leaf.not_after),
            None => mx.push((probe.host.clone(), leaf.not_after)),
        }
    }
    Expiries { policy_host, mx }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Unix seconds of a certificate time as the native fetcher writes it into
/// the report (`Mar  1 12:00:00 2027 +00:00`, the X.509 `notAfter` in the
/// form of the x509-parser crate); `None` for anything else.
pub fn parse_certificate_time(text: &str) -> Option<i64> {
    let mut parts = text.split_whitespace();
    let month = parts.next()?;
    let day: i64 = parts.next()?.parse().ok()?;
    let clock = parts.next()?;
    let year: i64 = parts.next()?.parse().ok()?;
    let offset = parts.next().unwrap_or("+00:00");
    if parts.next().is_some() {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let mut hms = clock.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..61).contains(&s)
    {
        return None;
    }
    if !(1..=31).contains(&day) || !(1..=9999).contains(&year) {
        return None;
    }
    let off = parse_offset(offset)?;
    let days = days_from_civil(year, month, day as u32);
    Some(days * 86_400 + h * 3600 + m * 60 + s - off)
}

/// `+HH:MM` or `-HH:MM` in seconds.
fn parse_offset(text: &str) -> Option<i64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fetchers_certificate_time() {
        // 2027-03-01T12:00:00Z
        assert_eq!(
            parse_certificate_time("Mar  1 12:00:00 2027 +00:00"),
            Some(1_803_902_400)
        );
        assert_eq!(
            parse_certificate_time("Jan  1 00:00:00 1970 +00:00"),
            Some(0)
        );
        assert_eq!(
            parse_certificate_time("Jan  1 01:00:00 1970 +01:00"),
            Some(0)
        );
        assert_eq!(
            parse_certificate_time("Dec 31 23:59:59 2024 +00:00").map(crate::sts::mx_tls::day),
            Some("2024-12-31".to_string())
        );
    }

    #[test]
    fn anything_else_is_none() {
        for bad in [
            "",
            "2027-03-01",
            "Foo  1 12:00:00 2027 +00:00",
            "Mar 32 12:00:00 2027 +00:00",
            "Mar  1 25:00:00 2027 +00:00",
            "Mar  1 12:00 2027 +00:00",
            "Mar  1 12:00:00 2027 00:00",
            "Mar  1 12:00:00 2027 +00:00 extra",
            "Invalid date: out of range",
        ] {
            assert_eq!(parse_certificate_time(bad), None, "{bad}");
        }
    }
}
