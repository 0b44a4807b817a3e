//! Every test-bed scenario through `mtasts check` and through the proxy
//! (`mtasts serve`), compared with the table in tests/testbed/scenarios.tsv.
//! Runs inside `tests/testbed/testbed run`; elsewhere every test fails saying
//! so (`cargo test -- --skip testbed_` leaves them out on purpose).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Scenario {
    name: String,
    domain: String,
    verdict: String,
    codes: Vec<String>,
    previous_id: String,
    previous_body: String,
}

fn scenarios() -> Vec<Scenario> {
    let path = std::env::var("MTASTS_TESTBED_SCENARIOS").expect(
        "this test needs the test bed: run it inside tests/testbed/testbed run \
         (or leave it out with `cargo test -- --skip testbed_`)",
    );
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Scenario {
                name: c[0].into(),
                domain: c[1].into(),
                verdict: c[2].into(),
                codes: c[3]
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                previous_id: c.get(4).copied().unwrap_or_default().into(),
                previous_body: c.get(5).copied().unwrap_or_default().into(),
            }
        })
        .collect()
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mtasts")
}

fn ca() -> String {
    std::env::var("MTASTS_TESTBED_CA").unwrap()
}

fn check(s: &Scenario) -> serde_json::Value {
    let mut cmd = Command::new(bin());
    cmd.args([
        "check",
        "--json",
        "--allow-private",
        "--timeout",
        "3",
        "--extra-ca",
        &ca(),
        &s.domain,
    ]);
    if !s.previous_id.is_empty() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/testbed");
        cmd.args(["--previous-id", &s.previous_id, "--previous-body"]);
        cmd.arg(dir.join(&s.previous_body));
    }
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: {e}: {}", s.name, String::from_utf8_lossy(&out.stderr)));
    // Exit status: 0 exactly when enforced.
    assert_eq!(
        code == 0,
        report["verdict"] == "enforced",
        "{}: exit {code}",
        s.name
    );
    report
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(port: u16, rate_limit: u32) -> Server {
    let child = Command::new(bin())
        .args([
            "serve",
            "--quiet",
            "--allow-private",
            "--timeout",
            "3",
            "--extra-ca",
            &ca(),
        ])
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--dist",
            "/nonexistent",
        ])
        .args(["--rate-limit", &rate_limit.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "serve did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server(child)
}

/// A minimal HTTP/1.1 GET, so the test needs no client library.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn testbed_check_and_proxy_agree_with_the_scenario_table() {
    let table = scenarios();
    assert!(table.len() >= 30);
    let reports: Vec<(usize, serde_json::Value)> = std::thread::scope(|sc| {
        let handles: Vec<_> = table
            .iter()
            .enumerate()
            .map(|(i, s)| sc.spawn(move || (i, check(s))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let server = serve(18181, 0);
    let mut failures = Vec::new();
    for (i, report) in &reports {
        let s = &table[*i];
        let codes: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        if report["verdict"] != s.verdict.as_str()
            || s.codes.iter().any(|c| !codes.contains(&c.as_str()))
        {
            failures.push(format!(
                "{}: got {} {codes:?}, table says {} {:?}",
                s.name, report["verdict"], s.verdict, s.codes
            ));
        }
        // The proxy fetches exactly what check fetched, and classifies it the same.
        let (status, body) = get(18181, &format!("/api/policy?domain={}", s.domain));
        assert_eq!(status, 200, "{}: {body}", s.name);
        let fetched: serde_json::Value = serde_json::from_str(&body).unwrap();
        let seen = &report["observations"]["policy"];
        if fetched["status"] != seen["status"]
            || fetched["error"]["class"] != seen["error"]["class"]
        {
            failures.push(format!(
                "{}: proxy said {} {}, check saw {} {}",
                s.name,
                fetched["status"],
                fetched["error"]["class"],
                seen["status"],
                seen["error"]["class"]
            ));
        }
    }
    drop(server);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn testbed_proxy_refuses_bad_input_private_targets_and_keeps_limits() {
    scenarios();
    let port = 18182;
    let _server = serve(port, 0);
    for q in [
        "",
        "domain=",
        "domain=127.0.0.1",
        "domain=a..b",
        "domain=x%zz",
        "domain=foo_bar.example",
    ] {
        let (status, body) = get(port, &format!("/api/policy?{q}"));
        assert_eq!(status, 400, "{q}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            v["error"].as_str().is_some_and(|m| m.len() > 10),
            "{q}: {body}"
        );
    }
    let long = format!("/api/policy?domain={}.com", "a".repeat(300));
    assert_eq!(get(port, &long).0, 400);
    // Redirects come back as the 3xx with its Location, never followed.
    let (_, body) = get(port, "/api/policy?domain=redirect-302.mtasts.test");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], 302);
    assert!(v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h[0] == "location"));
    // A body that never ends is cut at exactly 64 KiB and flagged, long
    // before the timeout (the trickle below is the timeout's case).
    let (_, body) = get(port, "/api/policy?domain=endless.mtasts.test");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["truncated"], true, "error: {}", v["error"]);
    assert_eq!(v["error"], serde_json::Value::Null);
    assert_eq!(v["body"].as_str().map(str::len), Some(65_536));

    // Without --allow-private every test-bed address (loopback) is refused,
    // and so is a redirect target: nothing is followed.
    let guarded = Command::new(bin())
        .args([
            "serve",
            "--quiet",
            "--extra-ca",
            &ca(),
            "--listen",
            "127.0.0.1:18183",
            "--dist",
            "/nonexistent",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let guarded = Server(guarded);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", 18183)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
    for d in ["enforce.mtasts.test", "redirect-301.mtasts.test"] {
        let (status, body) = get(18183, &format!("/api/policy?domain={d}"));
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["class"], "forbidden", "{d}: {body}");
        assert!(
            v.get("status").is_none() || v["status"].is_null(),
            "{d}: nothing may be fetched"
        );
    }
    // The rate limit answers 429 with a message.
    let limited = Command::new(bin())
        .args([
            "serve",
            "--quiet",
            "--rate-limit",
            "2",
            "--listen",
            "127.0.0.1:18184",
            "--dist",
            "/nonexistent",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _limited = Server(limited);
    while TcpStream::connect(("127.0.0.1", 18184)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let statuses: Vec<u16> = (0..4)
        .map(|_| get(18184, "/api/policy?domain=x..y").0)
        .collect();
    assert_eq!(statuses, [400, 400, 429, 429]);
    drop(guarded);
}

/// The proxy reads at most 64 KiB (RFC 8461 §3.3 lets senders cap the
/// policy size): an endless body is cut at exactly 65 536 bytes and marked
/// truncated, without waiting for the timeout; a body that stops coming is a
/// timeout, not a cut.
#[test]
fn testbed_the_body_cap_is_exact_and_apart_from_the_timeout() {
    scenarios();
    let port = 18185;
    let _server = serve(port, 0);
    for domain in ["endless.mtasts.test", "too-large.mtasts.test"] {
        let (status, body) = get(port, &format!("/api/policy?domain={domain}"));
        assert_eq!(status, 200, "{domain}: {body}");
        let f: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(f["truncated"], true, "{domain}: {f}");
        assert!(f["error"].is_null(), "{domain}: {f}");
        assert_eq!(f["status"], 200, "{domain}");
        let text = f["body"].as_str().expect("the body is text");
        assert_eq!(text.len(), 65_536, "{domain}");
    }
    let (_, body) = get(port, "/api/policy?domain=trickle.mtasts.test");
    let f: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(f["error"]["class"], "timeout", "{f}");
    assert_ne!(f["truncated"], true, "{f}");
}

/// How each modelled sender reads the scenarios where senders part from the
/// RFC (`report.by_sender`, README "The report"): the senders named here
/// reach the given verdict, every other sender the scenario's own verdict.
#[test]
fn testbed_senders_read_the_scenarios_as_their_models_say() {
    const PMSR: &str = "Postfix + postfix-mta-sts-resolver";
    const TLSPOL: &str = "Postfix + postfix-tlspol";
    const STALWART: &str = "Stalwart";
    const MADDY: &str = "maddy (go-mtasts)";
    let expected: &[(&str, &[(&str, &str)])] = &[
        ("enforce", &[]),
        ("lf", &[]),
        // resolver.py: a policy not served as text/plain is a fetch error;
        // go-mtasts cache.go: an unexpected content type fails the fetch.
        ("content-type", &[(PMSR, "broken"), (MADDY, "broken")]),
        // utils.py splitlines, tlspol parseLine and Stalwart's parse skip it.
        (
            "blank-line",
            &[
                (PMSR, "enforced"),
                (TLSPOL, "enforced"),
                (STALWART, "enforced"),
            ],
        ),
        // The last mode wins in pmsr, Stalwart and go-mtasts; tlspol turns
        // only enforce into a Postfix policy.
        (
            "duplicate-mode",
            &[
                (PMSR, "enforced"),
                (STALWART, "enforced"),
                (MADDY, "enforced"),
                (TLSPOL, "none"),
            ],
        ),
        // hardenize-public#73 (unconfirmed): Gmail ignores under a day.
        ("max-age-short", &[("Gmail", "broken")]),
        // Exchange Online does not follow MX CNAMEs.
        ("mx-cname", &[("Microsoft 365 (Exchange Online)", "broken")]),
    ];
    let table = scenarios();
    let mut failures = Vec::new();
    for (name, differ) in expected {
        let s = table
            .iter()
            .find(|s| s.name == *name)
            .unwrap_or_else(|| panic!("no scenario {name}"));
        let report = check(s);
        let readings = report["by_sender"].as_array().unwrap();
        assert_eq!(readings.len(), 8, "{name}");
        for r in readings {
            let sender = r["sender"].as_str().unwrap();
            let want = differ
                .iter()
                .find(|(who, _)| *who == sender)
                .map(|(_, v)| *v)
                .unwrap_or(s.verdict.as_str());
            let because = r["because"].as_array().unwrap();
            let differs = want != s.verdict;
            if r["verdict"] != want || (differs && because.is_empty()) {
                failures.push(format!(
                    "{name} / {sender}: got {} {because:?}, want {want}",
                    r["verdict"]
                ));
            }
            assert!(
                r["source"].as_str().is_some_and(|x| !x.is_empty()),
                "{name} / {sender}"
            );
        }
        if !differ.is_empty() {
            let summary = report["summary"].as_str().unwrap();
            assert!(summary.contains("Senders differ"), "{name}: {summary}");
        }
    }
    // Several rua: the verdict holds, the difference is named.
    let s = table.iter().find(|s| s.name == "tlsrpt-present").unwrap();
    let report = check(s);
    let ms = report["by_sender"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sender"] == "Microsoft 365 (Exchange Online)")
        .unwrap();
    assert_eq!(ms["verdict"], "enforced");
    assert_eq!(ms["because"], serde_json::json!(["tlsrpt-rua-multiple"]));
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
