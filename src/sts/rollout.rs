//! The plan for a new policy, dated from a day the caller gives (no clock
//! here): testing with TLS-RPT reports first (RFC 8461 §5, RFC 8460), then
//! enforce; how to change a policy later (body first, then the id: senders
//! refetch only when the id changes, RFC 8461 §3.1, §3.3); and how to remove
//! it without stranding senders on a cached policy (RFC 8461 §8.3).

use serde::Serialize;

use super::date::iso_date;
use super::lint::{duration, DAY};
use super::prose::{code, text, Span};

/// How long to run in testing, reading reports, before enforcing.
pub const TESTING_PERIOD: u64 = 14 * DAY;

/// The dated plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The policy's max_age: how long senders cache it (RFC 8461 §3.2).
    pub max_age: u64,
    /// Publish in testing mode.
    pub start: String,
    /// The first day with TLS-RPT reports to read (they cover whole UTC
    /// days, RFC 8460 §4.1).
    pub reports_from: String,
    /// Switch to enforce once the reports are clean.
    pub enforce_from: String,
    /// A teardown begun on `start` may delete the records from this day,
    /// max_age later, when the copies senders cached have expired (RFC 8461
    /// §8.3 step 3).
    pub remove_from: String,
    pub steps: Vec<Step>,
}

/// Which part of the plan a step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Rollout,
    Change,
    /// RFC 8461 §8.3.
    Teardown,
}

/// When a step happens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum When {
    On { date: String },
    Between { from: String, to: String },
    From { date: String },
}

/// One step: when (if it has a date of its own) and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub phase: Phase,
    pub when: Option<When>,
    pub text: Vec<Span>,
}

/// The plan for `domain` (as shown to people) and a policy of `max_age`
/// seconds, begun on the UTC day of `today` (Unix seconds).
pub fn plan(domain: &str, max_age: u64, today: u64) -> Plan {
    let start = iso_date(today);
    let reports_from = iso_date(today.saturating_add(DAY));
    let enforce_from = iso_date(today.saturating_add(TESTING_PERIOD));
    let remove_from = iso_date(today.saturating_add(max_age));
    let cached = duration(max_age);
    let steps = vec![
        Step {
            phase: Phase::Rollout,
            when: Some(When::On {
                date: start.clone(),
            }),
            text: vec![
                text("publish the TLS-RPT record, the policy host and file with "),
                code("mode: testing"),
                text(", then the "),
                code("_mta-sts"),
                text(" record (last, so senders never find a record without a policy)."),
            ],
        },
        Step {
            phase: Phase::Rollout,
            when: Some(When::Between {
                from: reports_from.clone(),
                to: enforce_from.clone(),
            }),
            text: vec![
                text("read the daily TLS-RPT reports sent to your rua address. Fix every MX host that fails (certificate names, expiry, missing from the mx lines); check "),
                Span::Check(domain.to_string()),
                text(" after each change."),
            ],
        },
        Step {
            phase: Phase::Rollout,
            when: Some(When::From {
                date: enforce_from.clone(),
            }),
            text: vec![
                text("when two weeks of reports are clean, switch to enforce: first change the policy file to "),
                code("mode: enforce"),
                text(" (and raise max_age to two weeks or more), then change the id in the "),
                code("_mta-sts"),
                text(" record."),
            ],
        },
        Step {
            phase: Phase::Change,
            when: None,
            text: vec![text(format!(
                "Changing the policy later (new MX host, new provider): always the body first, then the id. Senders fetch the file only when the id changes; a new id in front of an old body is cached for {cached}. Add new MX hosts to the policy before they receive mail."
            ))],
        },
        Step {
            phase: Phase::Teardown,
            when: None,
            text: vec![
                text("Removing MTA-STS: publish "),
                code("mode: none"),
                text(format!(
                    " with a new id and keep serving it for max_age ({cached}). If you start today, remove the TXT record and the policy host on or after "
                )),
                Span::Date(remove_from.clone()),
                text(". Deleting them at once leaves senders enforcing the cached policy until it expires."),
            ],
        },
    ];
    Plan {
        max_age,
        start,
        reports_from,
        enforce_from,
        remove_from,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sts::date::parse_iso_date;
    use crate::sts::lint::WEEK;

    fn today() -> u64 {
        parse_iso_date("2026-01-01").unwrap()
    }

    fn dates(p: &Plan) -> [&str; 4] {
        [&p.start, &p.reports_from, &p.enforce_from, &p.remove_from]
    }

    fn sentence(s: &Step) -> String {
        s.text
            .iter()
            .map(|s| match s {
                Span::Text(t) | Span::Code(t) | Span::Date(t) | Span::Check(t) => t.as_str(),
            })
            .collect()
    }

    #[test]
    fn a_week_long_policy_started_on_new_year() {
        let p = plan("example.com", WEEK, today());
        assert_eq!(
            dates(&p),
            ["2026-01-01", "2026-01-02", "2026-01-15", "2026-01-08"]
        );
        let when: Vec<_> = p.steps.iter().map(|s| s.when.clone()).collect();
        assert_eq!(
            when,
            [
                Some(When::On {
                    date: "2026-01-01".into()
                }),
                Some(When::Between {
                    from: "2026-01-02".into(),
                    to: "2026-01-15".into()
                }),
                Some(When::From {
                    date: "2026-01-15".into()
                }),
                None,
                None,
            ]
        );
        let teardown = &p.steps[4];
        assert_eq!(teardown.phase, Phase::Teardown);
        assert!(teardown.text.contains(&Span::Date("2026-01-08".into())));
        assert!(teardown.text.contains(&Span::Code("mode: none".into())));
        assert!(sentence(teardown).contains("keep serving it for max_age (7 days)"));
        assert!(sentence(&p.steps[3]).contains("cached for 7 days"));
    }

    #[test]
    fn a_day_long_policy_can_be_removed_the_next_day() {
        let p = plan("example.com", DAY, today());
        assert_eq!(
            dates(&p),
            ["2026-01-01", "2026-01-02", "2026-01-15", "2026-01-02"]
        );
        assert!(sentence(&p.steps[4]).contains("max_age (1 day)"));
    }

    #[test]
    fn dates_count_from_the_utc_day_of_today_across_months_and_leap_days() {
        // Late in the day still counts as that day.
        let p = plan(
            "example.com",
            WEEK,
            parse_iso_date("2028-02-20").unwrap() + 86_399,
        );
        assert_eq!(
            dates(&p),
            ["2028-02-20", "2028-02-21", "2028-03-05", "2028-02-27"]
        );
        // The longest max_age is 365.25 days.
        let p = plan(
            "example.com",
            31_557_600,
            parse_iso_date("2026-12-31").unwrap(),
        );
        assert_eq!(p.remove_from, "2027-12-31");
        // The largest inputs do not overflow.
        let p = plan("example.com", u64::MAX, u64::MAX);
        assert_eq!(p.start, p.remove_from);
    }

    #[test]
    fn the_rollout_publishes_testing_first_and_names_the_domain_to_check() {
        let p = plan("bücher.example", WEEK, today());
        let phases: Vec<_> = p.steps.iter().map(|s| s.phase).collect();
        assert_eq!(
            phases,
            [
                Phase::Rollout,
                Phase::Rollout,
                Phase::Rollout,
                Phase::Change,
                Phase::Teardown
            ]
        );
        assert!(p.steps[0]
            .text
            .contains(&Span::Code("mode: testing".into())));
        assert!(p.steps[1]
            .text
            .contains(&Span::Check("bücher.example".into())));
        assert!(p.steps[2]
            .text
            .contains(&Span::Code("mode: enforce".into())));
        assert!(sentence(&p.steps[3]).contains("always the body first, then the id"));
    }
}
