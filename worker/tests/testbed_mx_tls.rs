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
