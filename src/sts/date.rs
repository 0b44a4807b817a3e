//! Calendar dates for Unix seconds, in UTC: the timestamp ids of RFC 8461
//! §3.1 and the dates of the rollout plan. No clock: every function is given
//! the time. No date library either, so the Wasm app stays small.

/// Seconds in a day (UTC days have no leap seconds in Unix time).
const DAY: u64 = 86_400;

/// `YYYY-MM-DD` (ISO 8601, UTC) for Unix seconds.
pub fn iso_date(secs: u64) -> String {
    let (y, m, d) = civil_from_days((secs / DAY) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYYMMDDhhmmss` in UTC for Unix seconds.
pub fn timestamp(secs: u64) -> String {
    let (y, m, d) = civil_from_days((secs / DAY) as i64);
    let rem = secs % DAY;
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Why a date was refused; the message says what to write instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError {
    pub message: String,
}

impl core::fmt::Display for DateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Unix seconds at 00:00 UTC of an ISO 8601 calendar date `YYYY-MM-DD`
/// (years 1970 to 9999: a plan never starts before the epoch).
pub fn parse_iso_date(text: &str) -> Result<u64, DateError> {
    let bad = |why: &str| DateError {
        message: format!(
            "`{text}` is not a date: {why}; write it as YYYY-MM-DD, for example 2026-01-31."
        ),
    };
    let t = text.trim();
    let parts: Vec<&str> = t.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad("expected three parts separated by `-`"));
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return Err(bad("expected 4 digits, 2 digits and 2 digits"));
    }
    // Only ASCII digits of bounded length are left, so these parse.
    let (y, m, d) = (
        y.parse::<i64>().unwrap_or(0),
        m.parse::<u32>().unwrap_or(0),
        d.parse::<u32>().unwrap_or(0),
    );
    if y < 1970 {
        return Err(bad("the year is before 1970"));
    }
    if !(1..=12).contains(&m) {
        return Err(bad("the month is not 01 to 12"));
    }
    if d < 1 || d > days_in_month(y, m) {
        return Err(bad("that day does not exist in that month"));
    }
    let days = days_from_civil(y, m, d);
    u64::try_from(days)
        .map(|n| n * DAY)
        .map_err(|_| bad("the date is before 1970"))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The inverse of [`civil_from_days`] (same algorithm, other direction).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_known_instants() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(951_782_400), "2000-02-29");
        assert_eq!(iso_date(4_102_444_799), "2099-12-31");
        assert_eq!(iso_date(1_767_225_600), "2026-01-01");
        assert_eq!(timestamp(1_700_000_000), "20231114221320");
    }

    #[test]
    fn parsing_is_the_inverse_of_formatting() {
        for secs in [0, 951_782_400, 1_767_225_600, 4_102_358_400] {
            let day = secs - secs % DAY;
            assert_eq!(parse_iso_date(&iso_date(secs)), Ok(day), "{secs}");
        }
        assert_eq!(parse_iso_date("2026-01-01"), Ok(1_767_225_600));
        assert_eq!(parse_iso_date(" 2024-02-29 "), Ok(1_709_164_800));
    }

    #[test]
    fn impossible_or_malformed_dates_say_how_to_write_one() {
        for bad in [
            "",
            "2026-1-1",
            "2026/01/01",
            "01-01-2026",
            "2026-13-01",
            "2026-00-10",
            "2026-02-29",
            "2026-04-31",
            "1969-12-31",
            "+026-01-01",
            "2026-01-01-01",
            "２026-01-01",
        ] {
            let e = parse_iso_date(bad).expect_err(bad);
            assert!(e.message.contains("YYYY-MM-DD"), "{bad}: {}", e.message);
        }
    }
}
