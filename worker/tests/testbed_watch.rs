//! `mtasts watch` across passes while the test bed's live zone changes
//! under it (tests/testbed/README.md, "The live zone"): each alert, the
//! webhook (a loopback server in this file), the state file's atomic
//! replacement and its errors. Runs inside `tests/testbed/testbed run`;
//! elsewhere every test fails saying so (`cargo test -- --skip testbed_`
//! leaves them out on purpose).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

fn workdir() -> PathBuf {
    PathBuf::from(std::env::var("MTASTS_TESTBED_WORKDIR").expect(
        "this test needs the test bed: run it inside tests/testbed/testbed run \
         (or leave it out with `cargo test -- --skip testbed_`)",
    ))
}

fn testbed(args: &[&str]) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/testbed/testbed");
    let out = Command::new(script).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "testbed {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The zone blocks of every live domain of this file's tests (they run at
/// the same time and share one zone file).
static ZONE: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

/// One live domain `<name>.live.mtasts.test`.
struct Live {
    name: String,
}

const POLICY: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.enforce.mtasts.test\r\nmax_age: 604800\r\n";

impl Live {
    /// A healthy enforce domain: its MX is the bed's mx1.enforce (whose
    /// certificate is valid 30 days), TLS-RPT, a 30-day certificate.
    fn new(name: &str) -> Live {
        let l = Live {
            name: format!("{name}.live.mtasts.test"),
        };
        l.body(Some(POLICY));
        l.cert(30);
        l.zone(&l.records("1", &["mx1.enforce.mtasts.test."], true, true));
        l
    }

    fn records(&self, id: &str, mx: &[&str], txt: bool, tlsrpt: bool) -> String {
        let d = &self.name;
        let mut z = String::new();
        for (i, m) in mx.iter().enumerate() {
            z.push_str(&format!("{d}. MX {} {m}\n", 10 * (i + 1)));
        }
        z.push_str(&format!("mta-sts.{d}. A 127.0.0.1\n"));
        if txt {
            z.push_str(&format!("_mta-sts.{d}. TXT \"v=STSv1; id={id}\"\n"));
        }
        if tlsrpt {
            z.push_str(&format!(
                "_smtp._tls.{d}. TXT \"v=TLSRPTv1; rua=mailto:tls@{d}\"\n"
            ));
        }
        z
    }

    /// Replaces this domain's records and reloads the live zone.
    fn zone(&self, records: &str) {
        let mut all = ZONE.lock().unwrap_or_else(|e| e.into_inner());
        all.insert(self.name.clone(), records.to_string());
        let mut text = String::from(
            "$ORIGIN live.mtasts.test.\n$TTL 60\n@ SOA ns.mtasts.test. hostmaster.mtasts.test. 1 3600 600 86400 60\n@ NS ns.mtasts.test.\n",
        );
        for block in all.values() {
            text.push_str(block);
        }
        std::fs::write(workdir().join("live/live.mtasts.test.zone"), text).unwrap();
        testbed(&["live-reload"]);
    }

    /// Serves `body` (or nothing: 404).
    fn body(&self, body: Option<&str>) {
        let dir = workdir().join(format!("live/www/{}/.well-known", self.name));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("mta-sts.txt");
        match body {
            Some(b) => std::fs::write(file, b).unwrap(),
            None => {
                let _ = std::fs::remove_file(file);
            }
        }
    }

    /// A new certificate for mta-sts.<domain>, valid `days` days.
    fn cert(&self, days: i64) {
        testbed(&[
            "live-cert",
            &days.to_string(),
            &format!("mta-sts.{}", self.name),
        ]);
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mtasts-watch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn watch(state: &Path, args: &[&str]) -> Output {
    let ca = std::env::var("MTASTS_TESTBED_CA").expect("run inside the test bed");
    Command::new(env!("CARGO_BIN_EXE_mtasts"))
        .args([
            "watch",
            "--allow-private",
            "--timeout",
            "3",
            "--smtp-timeout",
            "5",
        ])
        .args(["--extra-ca", &ca, "--state"])
        .arg(state)
        .args(args)
        .output()
        .unwrap()
}

/// A `--json` pass: its exit status and the alerts by domain.
fn pass(state: &Path, args: &[&str]) -> (i32, BTreeMap<String, Vec<Value>>) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = watch(state, &all);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut alerts = BTreeMap::new();
    for d in json["domains"].as_array().unwrap() {
        alerts.insert(
            d["domain"].as_str().unwrap().to_string(),
            d["alerts"].as_array().unwrap().clone(),
        );
    }
    (out.status.code().unwrap(), alerts)
}

fn codes(alerts: &[Value]) -> Vec<&str> {
    alerts.iter().map(|a| a["code"].as_str().unwrap()).collect()
}

#[test]
fn testbed_watch_alerts_on_what_changed_between_passes() {
    let body = Live::new("body");
    let cert = Live::new("cert");
    let mx = Live::new("mx");
    let dir = temp_dir("changes");
    let state = dir.join("state.json");
    let domains = [&body.name, &cert.name, &mx.name].map(|s| s.as_str());

    let (code, alerts) = pass(&state, &domains);
    assert_eq!(code, 0, "first pass: {alerts:?}");
    assert!(alerts.values().all(|a| a.is_empty()), "{alerts:?}");
    assert!(state.exists());

    // The policy edited without a new id; a certificate 5 days from expiry;
    // an MX added that the policy does not list.
    body.body(Some(&POLICY.replace("max_age: 604800", "max_age: 1209600")));
    cert.cert(5);
    mx.zone(&mx.records(
        "1",
        &["mx1.enforce.mtasts.test.", "mx1.testing.mtasts.test."],
        true,
        true,
    ));
    let (code, alerts) = pass(&state, &domains);
    assert_eq!(code, 1);
    assert_eq!(codes(&alerts[&body.name]), ["id-not-bumped"]);
    let a = &alerts[&body.name][0];
    assert_eq!(a["severity"], "error");
    assert!(a["fix"].as_str().unwrap().contains("id="), "{a}");

    assert_eq!(codes(&alerts[&cert.name]), ["policy-cert-expiring"]);
    let a = &alerts[&cert.name][0];
    assert_eq!(a["severity"], "warning");
    assert!(
        a["message"].as_str().unwrap().contains("in 4 days")
            || a["message"].as_str().unwrap().contains("in 5 days"),
        "{a}"
    );
    assert_eq!(a["until"].as_str().unwrap().len(), 10);

    let got = codes(&alerts[&mx.name]);
    assert!(got.contains(&"new-mx-not-covered"), "{got:?}");
    assert!(got.contains(&"verdict-worse"), "{got:?}");
    let a = alerts[&mx.name]
        .iter()
        .find(|a| a["code"] == "new-mx-not-covered")
        .unwrap();
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .starts_with("mx1.testing.mtasts.test is a new MX host"),
        "{a}"
    );

    // The id bumped: the change is accepted; the MX alert was said once.
    body.zone(&body.records("2", &["mx1.enforce.mtasts.test."], true, true));
    let (_, alerts) = pass(&state, &domains);
    assert!(codes(&alerts[&body.name]).is_empty(), "{alerts:?}");
    assert!(!codes(&alerts[&mx.name]).contains(&"new-mx-not-covered"));
    // The certificate is still close to expiry: said on every pass.
    assert_eq!(codes(&alerts[&cert.name]), ["policy-cert-expiring"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn testbed_watch_counts_down_after_the_txt_record_is_removed() {
    let gone = Live::new("gone");
    let unreachable = Live::new("unreachable");
    let dir = temp_dir("teardown");
    let state = dir.join("state.json");
    let domains = [gone.name.as_str(), unreachable.name.as_str()];
    let (code, _) = pass(&state, &domains);
    assert_eq!(code, 0);

    gone.zone(&gone.records("1", &["mx1.enforce.mtasts.test."], false, false));
    unreachable.body(None);
    let (code, alerts) = pass(&state, &domains);
    assert_eq!(code, 1);
    let got = codes(&alerts[&gone.name]);
    assert!(got.contains(&"txt-removed"), "{got:?}");
    assert!(got.contains(&"tlsrpt-removed"), "{got:?}");
    let a = alerts[&gone.name]
        .iter()
        .find(|a| a["code"] == "txt-removed")
        .unwrap();
    // max_age is one week from the last fetch, a moment ago.
    let until = a["until"].as_str().unwrap();
    let message = a["message"].as_str().unwrap();
    assert!(message.contains(&format!("until {until}")), "{message}");
    assert!(message.contains("RFC 8461 §8.3"), "{message}");
    let today = Command::new("date")
        .args(["-u", "-d", "7 days", "+%Y-%m-%d"])
        .output()
        .unwrap();
    assert_eq!(until, String::from_utf8_lossy(&today.stdout).trim());

    let got = codes(&alerts[&unreachable.name]);
    assert!(got.contains(&"policy-unreachable"), "{got:?}");
    assert!(got.contains(&"verdict-worse"), "{got:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn testbed_watch_mx_certificates_within_the_window() {
    // The bed's MX certificates are valid 30 days: inside a 60-day window.
    let dir = temp_dir("mx-cert");
    let state = dir.join("state.json");
    let (code, alerts) = pass(&state, &["enforce.mtasts.test", "--expiry-days", "60"]);
    assert_eq!(code, 1);
    let a = &alerts["enforce.mtasts.test"];
    let mx: Vec<&Value> = a
        .iter()
        .filter(|a| a["code"] == "mx-cert-expiring")
        .collect();
    assert_eq!(mx.len(), 1, "{a:?}");
    assert!(mx[0]["message"]
        .as_str()
        .unwrap()
        .contains("mx1.enforce.mtasts.test"));
    assert!(codes(a).contains(&"policy-cert-expiring"));
    // With the default 14 days, nothing.
    let (code, alerts) = pass(&state, &["enforce.mtasts.test"]);
    assert_eq!(code, 0, "{alerts:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A loopback HTTP server that answers each request with the next status
/// of `statuses` and hands over the bodies it received.
fn webhook_server(statuses: Vec<u16>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for status in statuses {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            assert!(request.starts_with("POST /hook "), "{request}");
            let mut length = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            bodies.push(String::from_utf8(body).unwrap());
            let mut s = stream;
            write!(
                s,
                "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            .unwrap();
        }
        bodies
    });
    (url, handle)
}

#[test]
fn testbed_watch_posts_alerts_to_the_webhook_and_retries() {
    let dir = temp_dir("webhook");
    let state = dir.join("state.json");
    // First answer 500, then 200: two POSTs of the same alert JSON.
    let (url, server) = webhook_server(vec![500, 200]);
    let out = watch(
        &state,
        &[
            "enforce.mtasts.test",
            "--expiry-days",
            "60",
            "--webhook",
            &url,
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies = server.join().unwrap();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1]);
    let json: Value = serde_json::from_str(&bodies[1]).unwrap();
    let alerts = json["domains"][0]["alerts"].as_array().unwrap();
    assert!(codes(alerts).contains(&"mx-cert-expiring"), "{json}");
    // Human output on stdout.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("enforce.mtasts.test: enforced (first check: saved as the baseline)"),
        "{stdout}"
    );
    assert!(stdout.contains("mx-cert-expiring"), "{stdout}");

    // A webhook that never answers well: the state is still saved, the
    // alerts still printed and the exit status still 1.
    let (url, server) = webhook_server(vec![503, 503, 503, 503]);
    std::fs::remove_file(&state).unwrap();
    let out = watch(
        &state,
        &[
            "enforce.mtasts.test",
            "--expiry-days",
            "60",
            "--webhook",
            &url,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(server.join().unwrap().len(), 4);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("webhook") && stderr.contains("503"),
        "{stderr}"
    );
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert!(
        saved["domains"]["enforce.mtasts.test"].is_object(),
        "{saved}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn testbed_watch_refuses_a_damaged_or_foreign_state_file() {
    let dir = temp_dir("bad-state");
    let state = dir.join("state.json");
    for (content, says) in [
        (
            &b"{\"format\": \"mtasts-watch-state\", \"version\": 1, \"domains\": {"[..],
            "damaged",
        ),
        (&b""[..], "damaged"),
        (
            &b"{\"name\": \"my-app\", \"version\": \"1.0.0\"}"[..],
            "not an mtasts watch state file",
        ),
        (
            &b"{\"format\": \"mtasts-watch-state\", \"version\": 9}"[..],
            "newer mtasts",
        ),
    ] {
        std::fs::write(&state, content).unwrap();
        let out = watch(&state, &["enforce.mtasts.test", "--no-smtp"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(stderr.contains("move the file away"), "{stderr}");
        assert!(out.stdout.is_empty());
        // Not reset: the file is as it was.
        assert_eq!(std::fs::read(&state).unwrap(), content);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn testbed_watch_killed_mid_write_leaves_a_whole_state() {
    let dir = temp_dir("kill");
    let state = dir.join("state.json");
    // A large state, so that writing it takes a while.
    let n = 40_000;
    let mut domains = serde_json::Map::new();
    for i in 0..n {
        domains.insert(
            format!("d{i}.example"),
            serde_json::json!({"checked_at": 1, "verdict": "enforced", "sts_id": "1",
                "policy_sha256": "00", "mx": ["mx1.example.com", "mx2.example.com"], "tlsrpt": true}),
        );
    }
    let big = serde_json::json!({"format": "mtasts-watch-state", "version": 1, "domains": domains});
    std::fs::write(&state, serde_json::to_vec_pretty(&big).unwrap()).unwrap();
    let ca = std::env::var("MTASTS_TESTBED_CA").unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_mtasts"))
            .args([
                "watch",
                "--allow-private",
                "--no-smtp",
                "--extra-ca",
                &ca,
                "--state",
            ])
            .arg(&state)
            .arg("enforce.mtasts.test")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long a whole run takes here, to spread the kills over all of it
    // (reading, checking, writing) and a little past its end.
    let start = std::time::Instant::now();
    assert_eq!(run().wait().unwrap().code(), Some(0));
    let whole = start.elapsed().as_millis() as u64 * 3 / 2 + 1;
    std::fs::write(&state, serde_json::to_vec_pretty(&big).unwrap()).unwrap();
    let mut seed = u64::from(std::process::id()) | 1;
    let (mut old, mut new) = (0, 0);
    for _ in 0..24 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(seed % whole);
        let mut child = run();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read(&state).unwrap();
        let v: Value = serde_json::from_slice(&text)
            .unwrap_or_else(|e| panic!("killed after {delay:?}, the state does not parse: {e}"));
        assert_eq!(v["format"], "mtasts-watch-state");
        let count = v["domains"].as_object().unwrap().len();
        match count {
            c if c == n => old += 1,
            c if c == n + 1 => {
                new += 1;
                // Start again from the old state, to hit the write again.
                std::fs::write(&state, serde_json::to_vec_pretty(&big).unwrap()).unwrap();
            }
            c => panic!("{c} domains after a kill at {delay:?}"),
        }
    }
    eprintln!(
        "killed 24 times within {whole} ms: {old} times the old state was left, {new} times the new one"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn testbed_watch_every_repeats_until_interrupted() {
    let dir = temp_dir("every");
    let state = dir.join("state.json");
    let ca = std::env::var("MTASTS_TESTBED_CA").expect("run inside the test bed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mtasts"))
        .args(["watch", "--allow-private", "--no-smtp", "--extra-ca", &ca])
        .args(["--every", "1s", "--state"])
        .arg(&state)
        .arg("enforce.mtasts.test")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert_eq!(
        first,
        "enforce.mtasts.test: enforced (first check: saved as the baseline), no alert"
    );
    let second = lines.next().unwrap().unwrap();
    assert_eq!(
        second,
        "enforce.mtasts.test: enforced (unchanged), no alert"
    );
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        saved["domains"]["enforce.mtasts.test"]["verdict"],
        "enforced"
    );
    let _ = std::fs::remove_dir_all(dir);
}
