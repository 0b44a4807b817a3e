//! `mtasts check --file` over test-bed scenarios: JSON lines and CSV agree
//! with scenarios.tsv, bad names and duplicates are handled, a domain that
//! fails is a line of its own, and Ctrl-C stops with what finished written.
//! Runs inside `tests/testbed/testbed run`; elsewhere every test fails
//! saying so (`cargo test -- --skip testbed_` leaves them out on purpose).

use std::collections::HashMap;
mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Scenario name → verdict, from the bed's table.
fn verdicts() -> HashMap<String, String> {
    let path = std::env::var("MTASTS_TESTBED_SCENARIOS").expect(
        "this test needs the test bed: run it inside tests/testbed/testbed run \
         (or leave it out with `cargo test -- --skip testbed_`)",
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Some((c.get(1)?.to_string(), c.get(2)?.to_string()))
        })
        .collect()
}

/// Healthy and broken shapes that answer quickly.
const DOMAINS: &[&str] = &[
    "enforce.mtasts.test",
    "testing.mtasts.test",
    "none.mtasts.test",
    "no-txt.mtasts.test",
    "policy-404.mtasts.test",
    "mx-not-covered.mtasts.test",
    "mx-tls-wrong-name.mtasts.test",
    "cert-expired.mtasts.test",
    "servfail.mtasts.test",
    "refused.mtasts.test",
];

fn list() -> String {
    let mut text = String::from("# customers\n\n");
    for (i, d) in DOMAINS.iter().enumerate() {
        text.push_str(d);
        text.push('\n');
        if i == 2 {
            text.push_str("not a domain\n");
            text.push_str("ENFORCE.mtasts.test.   # the first one again\n");
        }
    }
    text
}

fn mtasts(args: &[&str], stdin: &str) -> Output {
    let ca = std::env::var("MTASTS_TESTBED_CA").expect("run inside the test bed");
    let mut all = vec!["check", "--allow-private", "--timeout", "3"];
    all.extend(["--smtp-timeout", "5", "--extra-ca", &ca]);
    all.extend(args);
    common::mtasts(&all, stdin.as_bytes())
}

#[test]
fn testbed_bulk_jsonl_streams_one_report_per_domain() {
    let want = verdicts();
    let out = mtasts(&["--file", "-", "--jsonl", "--concurrency", "4"], &list());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Not every domain is enforced: exit 1.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // Every domain once (the duplicate skipped), plus the bad name.
    assert_eq!(lines.len(), DOMAINS.len() + 1, "{stdout}");
    for d in DOMAINS {
        let got: Vec<&serde_json::Value> = lines.iter().filter(|l| l["domain"] == *d).collect();
        assert_eq!(got.len(), 1, "{d} appears {} times", got.len());
        assert_eq!(got[0]["verdict"], want[*d], "{d}");
        // A full report: findings and observations are there.
        assert!(got[0]["observations"].is_object(), "{d}");
    }
    let bad = lines
        .iter()
        .find(|l| l["verdict"] == "invalid-name")
        .expect("the bad name has a line");
    assert_eq!(bad["domain"], "not a domain");
    assert_eq!(bad["line"], 6);
    assert_eq!(bad["error"]["code"], "domain-invalid");
    // The summary on stderr: counts per verdict, categories, codes.
    assert!(
        stderr.contains(&format!("checked {} domains", DOMAINS.len())),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 invalid names, 1 duplicates skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("verdicts: enforced 1, testing 1, none 1, not-configured 1, broken 6"),
        "{stderr}"
    );
    // Broken: policy-404, mx-not-covered, mx-tls-wrong-name, cert-expired,
    // servfail, refused; the two with an enforce policy and a refused MX
    // are at risk.
    assert!(
        stderr.contains("misconfigured: 6 of 9 with MTA-STS"),
        "{stderr}"
    );
    assert!(
        stderr.contains("delivery at risk: 2 of 9 with MTA-STS"),
        "{stderr}"
    );
    assert!(stderr.contains("most frequent codes: "), "{stderr}");
}

#[test]
fn testbed_bulk_csv_has_a_row_of_essentials_per_domain() {
    let want = verdicts();
    let dir = std::env::temp_dir().join(format!("mtasts-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("domains.txt");
    std::fs::write(&file, list()).unwrap();
    let out = mtasts(&["--file", file.to_str().unwrap(), "--csv"], "");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut rows = stdout.lines();
    assert_eq!(
        rows.next(),
        Some("domain,verdict,errors,warnings,first_error,mode,max_age,mta_sts_cert_expiry,mx_cert_expiry")
    );
    let rows: Vec<Vec<&str>> = rows.map(|r| r.split(',').collect()).collect();
    assert_eq!(rows.len(), DOMAINS.len() + 1, "{stdout}");
    for r in &rows {
        assert_eq!(r.len(), 9, "{r:?}");
    }
    let row = |d: &str| {
        rows.iter()
            .find(|r| r[0] == d)
            .unwrap_or_else(|| panic!("no row for {d}"))
    };
    for d in DOMAINS {
        assert_eq!(row(d)[1], want[*d], "{d}");
    }
    let enforce = row("enforce.mtasts.test");
    assert_eq!(&enforce[2..7], ["0", "0", "", "enforce", "1209600"]);
    // The bed's certificates are dated: both expiry columns are ISO dates.
    for col in [7, 8] {
        assert_eq!(enforce[col].len(), 10, "{enforce:?}");
        assert_eq!(&enforce[col][4..5], "-", "{enforce:?}");
    }
    assert_eq!(row("mx-not-covered.mtasts.test")[4], "mx-not-covered");
    assert_eq!(row("policy-404.mtasts.test")[4], "policy-http-status");
    assert_eq!(row("testing.mtasts.test")[5], "testing");
    assert_eq!(
        row("not a domain")[1..5],
        ["invalid-name", "1", "0", "domain-invalid"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn testbed_bulk_with_one_check_at_a_time_keeps_the_input_order() {
    let list =
        "testing.mtasts.test\nenforce.mtasts.test\npolicy-404.mtasts.test\nnone.mtasts.test\n";
    let out = mtasts(
        &["--file", "-", "--csv", "--concurrency", "1", "--no-smtp"],
        list,
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let domains: Vec<&str> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(domains, list.lines().collect::<Vec<_>>());
}

#[test]
fn testbed_bulk_ctrl_c_stops_with_what_finished_written() {
    let ca = std::env::var("MTASTS_TESTBED_CA").expect("run inside the test bed");
    // `slow` never answers its policy fetch: the run cannot end by itself
    // within the fetch timeout of 60 s.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mtasts"))
        .args(["check", "--allow-private", "--no-smtp", "--timeout", "60"])
        .args([
            "--extra-ca",
            &ca,
            "--file",
            "-",
            "--csv",
            "--concurrency",
            "2",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"enforce.mtasts.test\nslow.mtasts.test\ntesting.mtasts.test\n")
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut rows = Vec::new();
    let start = Instant::now();
    // Header, then the two quick domains as they finish.
    while rows.len() < 3 {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "output ended early"
        );
        rows.push(line.trim_end().to_string());
        assert!(start.elapsed() < Duration::from_secs(30), "no output");
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(rest.is_empty(), "nothing after the interrupt: {rest}");
    let mut done: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap())
        .collect();
    done.sort();
    assert_eq!(done, ["enforce.mtasts.test", "testing.mtasts.test"]);
    assert!(
        stderr.contains("interrupted after 2 domains"),
        "the summary of what finished: {stderr}"
    );
}
