//! `mtasts reports` as a user runs it: files and folders of real TLS-RPT
//! reports, the exit codes, the human summary, the JSON and the CSV.

use std::path::PathBuf;
use std::process::{Command, Output};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/tlsrpt");

fn mtasts(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mtasts"))
        .args(args)
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// A fresh folder under the target dir for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_folder_of_real_reports_reads_with_exit_0_and_the_right_totals() {
    let o = mtasts(&["reports", "--json", "--today", "2024-09-20", FIXTURES]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // SOURCES.md is not named like a report, so the folder gives 12 files.
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 12);
    assert!(files
        .iter()
        .all(|f| f["status"] == "ok" && f["error"].is_null()));
    assert_eq!(v["reports"].as_array().unwrap().len(), 12);
    assert_eq!(v["totals"]["successful"], 61);
    assert_eq!(v["totals"]["failed"], 4);
    assert_eq!(v["aggregate"]["duplicates"].as_array().unwrap().len(), 2);
    let ready = v["ready"].as_array().unwrap();
    let krvtz = ready.iter().find(|r| r["domain"] == "krvtz.net").unwrap();
    assert_eq!(krvtz["ready"], false);
    assert!(krvtz["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "enough-days" && r["met"] == false));
}

#[test]
fn the_human_summary_explains_failures_and_answers_the_question() {
    let o = mtasts(&[
        "reports",
        "--today",
        "2024-01-10",
        &fixture("google-5.json"),
        &fixture("mailru-1.json"),
    ]);
    assert_eq!(code(&o), 0);
    let out = text(&o);
    for want in [
        "Sessions: 0 successful, 4 failed",
        "validation-failure (3 sessions)",
        "fix:",
        "sts-policy-fetch-error (1 session)",
        "context deadline exceeded",
        "example.com: 3 (validation-failure 3)",
        "209.85.222.201: 2",
        "policy-string-missing",
        "Ready to enforce?",
        "Not yet",
        "Rule: Ready to enforce when",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn a_refused_file_gives_exit_1_and_the_others_are_still_reported() {
    let dir = scratch("reports-refused");
    let bad = dir.join("cut.json");
    std::fs::write(&bad, br#"{"organization-name": "X", "policies": ["#).unwrap();
    let o = mtasts(&[
        "reports",
        "--json",
        bad.to_str().unwrap(),
        &fixture("google-2.json"),
        &fixture("does-not-exist.json"),
    ]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"][0]["status"], "error");
    assert!(v["files"][0]["error"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    assert_eq!(v["files"][1]["status"], "ok");
    assert_eq!(v["files"][2]["status"], "error");
    assert_eq!(v["totals"]["successful"], 2);
}

#[test]
fn csv_has_one_line_per_row() {
    let o = mtasts(&["reports", "--csv", &fixture("google-5.json")]);
    assert_eq!(code(&o), 0);
    let out = text(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("day,reporter,policy_domain"));
    // One policy line and two failure lines (two sending IPs).
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines
        .iter()
        .any(|l| l.contains("validation-failure,209.85.222.201,0,2")));
}

#[test]
fn usage_errors_give_exit_2() {
    assert_eq!(code(&mtasts(&["reports"])), 2);
    assert_eq!(
        code(&mtasts(&["reports", "--today", "yesterday", FIXTURES])),
        2
    );
    // --live needs --domain.
    assert_eq!(code(&mtasts(&["reports", "--live", "x.json", FIXTURES])), 2);
    let o = mtasts(&[
        "reports",
        "--domain",
        "krvtz.net",
        "--live",
        &fixture("google-1.json"),
        FIXTURES,
    ]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("mtasts check DOMAIN --json"));
}

#[test]
fn a_live_check_json_is_cross_checked() {
    let dir = scratch("reports-live");
    // What `mtasts check krvtz.net --json` prints, reduced to what matters:
    // enforce with a second MX host the reports never saw.
    let live = serde_json::json!({
        "domain": "krvtz.net", "verdict": "enforced", "summary": "Enforced.",
        "findings": [],
        "mx_coverage": [{"host": "carp-20.krvtz.net", "preference": 10, "pattern": "carp-20.krvtz.net"}],
        "sts_id": "1", "tlsrpt_rua": null,
        "policy": {"mode": "enforce", "max_age": 604800,
                   "mx": [{"wildcard": false, "base": "carp-20.krvtz.net"}, {"wildcard": false, "base": "carp-21.krvtz.net"}],
                   "extensions": []},
        "observations": {"domain": "krvtz.net",
            "policy": {"url": "https://mta-sts.krvtz.net/.well-known/mta-sts.txt", "status": 200, "headers": [], "addresses": []}}
    });
    let path = dir.join("now.json");
    std::fs::write(&path, serde_json::to_vec(&live).unwrap()).unwrap();
    let o = mtasts(&[
        "reports",
        "--domain",
        "krvtz.net",
        "--live",
        path.to_str().unwrap(),
        "--today",
        "2024-09-20",
        FIXTURES,
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let out = text(&o);
    assert!(out.contains("Against the live check of krvtz.net"), "{out}");
    assert!(
        out.contains("no mx carp-21.krvtz.net, which the policy has now"),
        "{out}"
    );
    assert!(out.contains("max_age 10368000, now 604800"), "{out}");
    assert!(
        out.contains("sts-policy-fetch-error: 1 session reported by Mail.ru"),
        "{out}"
    );
}

/// `--check` checks the domain itself (through the bed's resolver) and
/// cross-checks the reports with what it serves now. Needs the test bed.
#[test]
fn testbed_reports_check_cross_checks_with_a_live_check() {
    let (dns, ca) = match (
        std::env::var("MTASTS_TESTBED_DNS"),
        std::env::var("MTASTS_TESTBED_CA"),
    ) {
        (Ok(d), Ok(c)) => (d, c),
        _ => panic!(
            "this test needs the test bed: run it inside tests/testbed/testbed run \
             (or leave it out with `cargo test -- --skip testbed_`)"
        ),
    };
    let dir = scratch("reports-check");
    let report = serde_json::json!({
        "organization-name": "Example Sender",
        "date-range": {"start-datetime": "2026-11-30T00:00:00Z", "end-datetime": "2026-11-30T23:59:59Z"},
        "contact-info": "tlsrpt@sender.example",
        "report-id": "2026-11-30-enforce",
        "policies": [{
            "policy": {"policy-type": "sts", "policy-domain": "enforce.mtasts.test",
                       "policy-string": ["version: STSv1", "mode: testing", "mx: *.enforce.mtasts.test", "max_age: 86400"],
                       "mx-host": ["*.enforce.mtasts.test"]},
            "summary": {"total-successful-session-count": 10, "total-failure-session-count": 0}
        }]
    });
    let path = dir.join("report.json");
    std::fs::write(&path, serde_json::to_vec(&report).unwrap()).unwrap();
    let o = mtasts(&[
        "reports",
        "--domain",
        "enforce.mtasts.test",
        "--check",
        "--resolver",
        &dns,
        "--allow-private",
        "--extra-ca",
        &ca,
        "--timeout",
        "3",
        "--today",
        "2026-12-01",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let out = text(&o);
    assert!(
        out.contains("Against the live check of enforce.mtasts.test"),
        "{out}"
    );
}
