//! Property tests: no parser panics on any input; whatever the generator
//! produces lints clean; MX matching agrees with the RFC 8461 Appendix B
//! reference model.

use mtasts::sts::generate::{generate, IdStrategy, Request};
use mtasts::sts::lint::{lint, Kind};
use mtasts::sts::policy::Mode;
use mtasts::sts::{domain, mx, policy, report, tlsrpt, txt, Code};
use proptest::prelude::*;

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
}

fn host() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 2..5).prop_map(|l| l.join("."))
}

/// Small alphabets so that patterns and hosts collide often.
fn near_host() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof!["a", "b", "mx", "example", "com"], 1..5)
        .prop_map(|l| l.join("."))
}

fn policyish() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just("version: STSv1".to_string()),
        Just("mode: enforce".to_string()),
        Just("mode: testing".to_string()),
        Just("max_age: 604800".to_string()),
        "mx: [a-z*.]{0,20}",
        "[a-z_]{1,8}:[ \t]?[ -~]{0,20}",
        "[ -~\t]{0,30}",
    ];
    (
        prop::collection::vec(line, 0..8),
        prop_oneof!["\r\n", "\n", "\r", ""],
    )
        .prop_map(|(lines, term)| lines.join(&term).into_bytes())
}

proptest! {
    #[test]
    fn parsers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = policy::check(&bytes);
        let s = String::from_utf8_lossy(&bytes);
        let _ = txt::check(&s);
        let _ = tlsrpt::check(&s);
        let _ = domain::normalise(&s);
        let _ = mx::parse_pattern(&s);
        let _ = mx::matches(&s, &s);
        for kind in [Kind::Txt, Kind::Policy, Kind::Tlsrpt] {
            let l = lint(kind, &bytes, Some("example.com"));
            prop_assert_eq!(l.valid, !l.findings.iter().any(|f| f.is_error()));
        }
    }

    #[test]
    fn parsers_never_panic_on_near_valid_input(body in policyish(), rec in "v=(STSv1|TLSRPTv1|stsv1)[ ;]{0,3}([a-z]{1,4}=[ -~]{0,12}[; ]{0,2}){0,4}") {
        let checked = policy::check(&body);
        // A valid policy parses, and parse agrees with check.
        prop_assert_eq!(checked.policy.is_some(), policy::parse(&body).is_ok());
        let _ = txt::check(&rec);
        prop_assert_eq!(txt::check(&rec).0.is_some(), txt::parse(&rec).is_ok());
        let _ = tlsrpt::check(&rec);
        let _ = txt::select(&[rec.clone(), rec.clone()]);
    }

    #[test]
    fn report_never_panics(body in policyish(), recs in prop::collection::vec("[ -~]{0,40}", 0..3), hosts in prop::collection::vec(near_host(), 0..4)) {
        let obs = report::Observations {
            domain: "example.com".into(),
            sts_txt: report::Lookup::ok(recs.clone()),
            tlsrpt_txt: report::Lookup::ok(recs),
            mx: report::Lookup::ok(hosts.into_iter().map(|h| mx::MxHost { preference: 10, host: h }).collect()),
            policy: Some(report::Fetch { status: Some(200), body: Some(report::Body(body)), ..Default::default() }),
            ..Default::default()
        };
        let r = report::build(obs);
        prop_assert!(!r.summary.is_empty());
    }

    #[test]
    fn generated_output_lints_clean(
        labels in prop::collection::vec(label(), 2..4),
        mode in prop_oneof![Just(Mode::Enforce), Just(Mode::Testing), Just(Mode::None)],
        hosts in prop::collection::vec(host(), 1..5),
        wild in any::<bool>(),
        max_age in 86_400u64..=31_557_600,
        id in prop_oneof![any::<u32>().prop_map(|t| IdStrategy::Timestamp(t as u64)), Just(IdStrategy::ContentHash), "[A-Za-z0-9]{1,32}".prop_map(IdStrategy::Manual)],
    ) {
        // Dotted quads are refused by the generator (tested in generate.rs).
        prop_assume!(!hosts.iter().any(|h| mx::is_ip_like(h)));
        let domain = labels.join(".");
        // A name ending in a number reads as an IPv4 address and is refused.
        prop_assume!(!mtasts::sts::domain::ends_in_a_number(&domain));
        let mx: Vec<String> = hosts.iter().enumerate().map(|(i, h)| if wild && i == 0 { format!("*.{h}") } else { h.clone() }).collect();
        let g = generate(&Request { domain: domain.clone(), mode, mx, max_age, id, rua: vec![], provider_wildcards: true, ttl: 300 }).unwrap();
        // The only findings allowed are the advice that restates the chosen mode.
        let allowed = [Code::ModeTesting, Code::ModeNone, Code::MxWildcardOwnDomain, Code::MaxAgeUnderWeek, Code::PolicyMxPlaceholder];
        for (kind, text) in [(Kind::Policy, &g.policy), (Kind::Txt, &g.sts_txt), (Kind::Tlsrpt, &g.tlsrpt_txt)] {
            let l = lint(kind, text.as_bytes(), Some(&g.domain));
            prop_assert!(l.valid, "{:?} {:?}", kind, l.findings);
            prop_assert!(l.findings.iter().all(|f| allowed.contains(&f.code)), "{:?} {:?}", kind, l.findings);
        }
        prop_assert!(g.policy.ends_with("\r\n") && !g.policy.contains("\n\n"));
    }

    #[test]
    fn matching_agrees_with_the_reference_model(p in near_host(), wild in any::<bool>(), h in near_host(), dot in any::<bool>(), upper in any::<bool>()) {
        let pattern = if wild { format!("*.{p}") } else { p };
        let mut host = if dot { format!("{h}.") } else { h };
        if upper { host = host.to_ascii_uppercase(); }
        let ours = mx::matches(&pattern, &host).unwrap();
        prop_assert_eq!(ours, mx::reference_policy_matches(&host, &[&pattern]), "{} vs {}", pattern, host);
    }
}
