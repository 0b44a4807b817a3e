//! The MX TLS probe against the test bed's real SMTP servers (aiosmtpd with
//! OpenSSL, tests/testbed/lib/smtp.py): what `mtasts check` records and
//! concludes for each mx-tls-* scenario beyond the table's codes. Runs
//! inside `tests/testbed/testbed run`; elsewhere every test fails saying so.

use std::process::Command;

use serde_json::Value;

fn ca() -> String {
    std::env::var("MTASTS_TESTBED_CA").expect(
        "this test needs the test bed: run it inside tests/testbed/testbed run \
         (or leave it out with `cargo test -- --skip testbed_`)",
    )
}

fn check(domain: &str, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_mtasts"))
        .args([
            "check",
            "--json",
            "--allow-private",
            "--timeout",
            "3",
            "--extra-ca",
            &ca(),
        ])
        .args(extra)
        .arg(domain)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{domain}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn finding<'a>(r: &'a Value, code: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {}", r["findings"]))
}

#[test]
fn testbed_one_bad_mx_breaks_enforce_and_is_named_with_its_fix() {
    let r = check("mx-tls-one-bad.mtasts.test", &[]);
    assert_eq!(r["verdict"], "broken");
    let rows = r["mx_tls"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["host"], "mx1.mx-tls-one-bad.mtasts.test");
    assert_eq!(rows[0]["status"], "valid");
    assert_eq!(rows[1]["status"], "invalid");
    let f = finding(&r, "mx-tls-name-mismatch");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "Enforcing senders will not deliver to mx2.mx-tls-one-bad.mtasts.test (127.0.0.20)"
        ),
        "{msg}"
    );
    assert!(msg.contains("mail.hoster.mtasts.test"), "{msg}");
    assert!(f["fix"]
        .as_str()
        .unwrap()
        .contains("covers mx2.mx-tls-one-bad.mtasts.test"));
    let probe = &r["observations"]["mx_tls"][1];
    assert_eq!(probe["greeting"]["code"], 220);
    assert_eq!(probe["starttls"], true);
    assert_eq!(probe["verification"], "name-mismatch");
    assert_eq!(probe["trusted"], true);
    assert!(probe["tls"]["version"]
        .as_str()
        .unwrap()
        .starts_with("TLSv1."));
}

#[test]
fn testbed_expired_untrusted_and_plain_servers_are_recorded_as_senders_see_them() {
    let r = check("mx-tls-expired.mtasts.test", &[]);
    let leaf = &r["observations"]["mx_tls"][0]["chain"][0];
    assert_eq!(leaf["not_after"], 1_711_929_600, "2024-04-01T00:00:00Z");
    assert_eq!(r["observations"]["mx_tls"][0]["trusted"], true);
    assert!(finding(&r, "mx-tls-expired")["message"]
        .as_str()
        .unwrap()
        .contains("2024-04-01"));

    let r = check("mx-tls-untrusted.mtasts.test", &[]);
    assert!(finding(&r, "mx-tls-untrusted")["message"]
        .as_str()
        .unwrap()
        .contains("self-signed"));

    let r = check("mx-tls-no-starttls.mtasts.test", &[]);
    let probe = &r["observations"]["mx_tls"][0];
    assert_eq!(probe["starttls"], false);
    assert!(probe.get("tls").is_none());
}

#[test]
fn testbed_a_greeting_later_than_the_wait_is_not_blamed_on_the_domain() {
    let r = check("mx-tls-slow-greeting.mtasts.test", &["--smtp-timeout", "2"]);
    assert_eq!(r["verdict"], "enforced");
    assert_eq!(r["observations"]["mx_tls"][0]["error"]["class"], "timeout");
    assert_eq!(finding(&r, "mx-tls-timeout")["severity"], "warning");
}

#[test]
fn testbed_no_smtp_leaves_the_probe_out_and_the_guard_holds_without_allow_private() {
    let r = check("mx-tls-wrong-name.mtasts.test", &["--no-smtp"]);
    assert_eq!(r["verdict"], "enforced");
    assert!(r.get("mx_tls").is_none());
    assert!(r["observations"].get("mx_tls").is_none());

    // Without --allow-private the loopback MX is never connected to.
    let out = Command::new(env!("CARGO_BIN_EXE_mtasts"))
        .args([
            "check",
            "--json",
            "--timeout",
            "3",
            "--extra-ca",
            &ca(),
            "mx-tls-wrong-name.mtasts.test",
        ])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["observations"]["mx_tls"][0]["error"]["class"],
        "forbidden"
    );
    assert!(!r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "mx-tls-name-mismatch"));
}

// ---------------------------------------------------------------------------
// GET /api/mx-tls through `mtasts serve`: the proxy the web app asks
// ---------------------------------------------------------------------------

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(port: u16, mx_tls_rate_limit: u32) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_mtasts"))
        .args(["serve", "--quiet", "--allow-private", "--timeout", "3"])
        .args(["--extra-ca", &ca(), "--dist", "/nonexistent"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--mx-tls-rate-limit", &mx_tls_rate_limit.to_string()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "serve did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Server(child)
}

/// A minimal HTTP/1.1 GET: the status and the body.
fn get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("access-control-allow-origin: *"),
        "CORS on {path}: {head}"
    );
    (head[9..12].parse().unwrap(), body.to_string())
}

/// A probe without what differs between two probes of the same server.
fn comparable(p: &Value) -> Value {
    let mut p = p.clone();
    let o = p.as_object_mut().unwrap();
    o.remove("at");
    o.remove("elapsed_ms");
    p
}

/// The domains of the mx-tls-* rows of scenarios.tsv.
fn mx_tls_domains() -> Vec<String> {
    let path = std::env::var("MTASTS_TESTBED_SCENARIOS").expect("inside the test bed");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("mx-tls-"))
        .filter_map(|l| l.split('\t').nth(1).map(String::from))
        .collect()
}

#[test]
fn testbed_the_proxy_probes_the_domains_mx_hosts_as_mtasts_check_does() {
    let _server = serve(18411, 0);
    let domains = mx_tls_domains();
    assert!(domains.len() >= 10, "{domains:?}");
    // Each domain's command line and proxy at once (a tarpit holds the
    // greeting 15 s).
    let runs: Vec<_> = domains
        .into_iter()
        .map(|d| {
            std::thread::spawn(move || {
                let path = format!("/api/mx-tls?domain={d}");
                let proxy = std::thread::spawn(move || get(18411, &path));
                let cli = check(&d, &[]);
                (d, proxy.join().unwrap(), cli)
            })
        })
        .collect();
    for run in runs {
        let (d, (status, body), cli) = run.join().unwrap();
        assert_eq!(status, 200, "{d}: {body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["domain"], d.as_str());
        assert_eq!(answer["not_probed"], serde_json::json!([]), "{d}");
        let probes = answer["probes"].as_array().unwrap();
        let from_cli = cli["observations"]["mx_tls"].as_array().unwrap();
        assert!(!probes.is_empty(), "{d}");
        assert_eq!(
            probes.iter().map(comparable).collect::<Vec<_>>(),
            from_cli.iter().map(comparable).collect::<Vec<_>>(),
            "{d}: the proxy's probes are the command line's"
        );
    }
}

#[test]
fn testbed_the_proxy_refuses_a_host_from_the_client_and_probes_at_most_ten_mx_hosts() {
    let _server = serve(18412, 0);
    for path in [
        "/api/mx-tls?domain=mx-tls-ok.mtasts.test&host=127.0.0.20",
        "/api/mx-tls?domain=mx-tls-ok.mtasts.test&address=127.0.0.20",
        "/api/mx-tls?domain=127.0.0.20",
        "/api/mx-tls?host=mx1.mx-tls-wrong-name.mtasts.test",
    ] {
        let (status, body) = get(18412, path);
        assert_eq!(status, 400, "{path}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
        assert!(v.get("probes").is_none(), "nothing probed: {body}");
    }
    let (status, body) = get(18412, "/api/mx-tls?domain=mx-tls-many.mtasts.test");
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let hosts: Vec<&str> = answer["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["host"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (1..=10)
        .map(|i| format!("mx{i}.mx-tls-many.mtasts.test"))
        .collect();
    assert_eq!(hosts, want, "the first ten by preference, one address each");
    assert_eq!(
        answer["not_probed"],
        serde_json::json!([
            "mx11.mx-tls-many.mtasts.test",
            "mx12.mx-tls-many.mtasts.test"
        ])
    );
}

#[test]
fn testbed_the_proxy_limits_mx_probes_per_client_apart_from_policy_fetches() {
    let _server = serve(18413, 2);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(get(18413, "/api/mx-tls?domain=mx-tls-ok.mtasts.test").0);
    }
    assert_eq!(statuses, [200, 200, 429]);
    let (status, body) = get(18413, "/api/policy?domain=mx-tls-ok.mtasts.test");
    assert_eq!(status, 200, "policy fetches have their own budget: {body}");
}
