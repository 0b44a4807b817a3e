//! Hostile 64 KiB bodies (any domain can serve one, and the app lints it in
//! the visitor's tab): the findings stay few and the output small, and every
//! occurrence is still counted.

use mtasts::sts::lint::{lint, Kind};
use mtasts::sts::{fold, policy, Code};

#[path = "../examples/shared/hostile.rs"]
mod hostile;

/// Findings and JSON bytes a 64 KiB body may produce at most.
const MAX_FINDINGS: usize = 20;
const MAX_JSON: usize = 24 * 1024;

#[test]
fn hostile_bodies_give_few_findings_and_little_output() {
    let mut all = hostile::policies()
        .into_iter()
        .map(|(name, body)| (name, Kind::Policy, body))
        .collect::<Vec<_>>();
    for (name, body) in hostile::records() {
        let kind = if name.starts_with("txt") {
            Kind::Txt
        } else {
            Kind::Tlsrpt
        };
        all.push((name, kind, body));
    }
    for (name, kind, body) in all {
        let l = lint(kind, &body, Some("example.com"));
        let json = serde_json::to_string(&l).unwrap();
        println!(
            "{name:<28} {:>6} bytes in, {:>2} findings, {:>5} bytes of JSON",
            body.len(),
            l.findings.len(),
            json.len()
        );
        assert!(
            l.findings.len() <= MAX_FINDINGS,
            "{name}: {}",
            l.findings.len()
        );
        assert!(json.len() <= MAX_JSON, "{name}: {} bytes", json.len());
        for f in &l.findings {
            if let Some(count) = f.count {
                assert!(count > fold::KEEP, "{name}: {f:?}");
                assert!(f.more_positions.len() < fold::POSITIONS);
            }
        }
    }
}

/// How often `code` occurs, folded or not.
fn occurrences(findings: &[mtasts::sts::Finding], code: Code) -> usize {
    findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| f.count.unwrap_or(1))
        .sum()
}

#[test]
fn folded_findings_still_count_every_line() {
    let body = hostile::fill("version: STSv1\n", "\n");
    let blank = body.len() - "version: STSv1\n".len();
    let checked = policy::check(&body);
    assert_eq!(occurrences(&checked.findings, Code::PolicyBlankLine), blank);
    let f = checked
        .findings
        .iter()
        .find(|f| f.code == Code::PolicyBlankLine)
        .unwrap();
    assert_eq!(f.position.map(|p| p.line), Some(2));
    let more: Vec<usize> = f.more_positions.iter().map(|p| p.line).collect();
    assert_eq!(more, (3..2 + fold::POSITIONS).collect::<Vec<_>>());
    // Every blank line here is followed only by blank lines: the fix says so.
    assert!(f.fix.contains("at the end"), "{}", f.fix);

    let body = hostile::fill("version: STSv1\n", "mode: enforce\n");
    let modes = (body.len() - 15) / 14;
    let l = lint(Kind::Policy, &body, None);
    assert_eq!(
        occurrences(&l.findings, Code::PolicyDuplicateField),
        modes - 1
    );

    let body = hostile::fill("version: STSv1\n", "mx: Mail.Example.com\n");
    let lines = (body.len() - 15) / 21;
    let l = lint(Kind::Policy, &body, None);
    assert_eq!(occurrences(&l.findings, Code::PolicyMxDuplicate), lines - 1);
    assert_eq!(
        occurrences(&l.findings, Code::PolicyMxPlaceholder),
        lines,
        "advice folds too"
    );
}

#[test]
fn a_few_repeats_keep_one_finding_each() {
    let l = lint(
        Kind::Policy,
        b"version: STSv1\r\n\r\nmode: enforce\r\n\r\nmx: a.example.org\r\nmax_age: 1209600\r\n",
        None,
    );
    let blank: Vec<_> = l
        .findings
        .iter()
        .filter(|f| f.code == Code::PolicyBlankLine)
        .collect();
    assert_eq!(blank.len(), 2);
    assert!(blank.iter().all(|f| f.count.is_none()));
}
