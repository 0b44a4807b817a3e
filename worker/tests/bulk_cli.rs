//! `mtasts check --file` and `mtasts watch` as a user runs them, where no
//! network is needed: the list's lines that are not domains, usage errors,
//! and state files that cannot be used.

mod common;

use common::mtasts;

#[test]
fn a_list_without_domains_writes_a_line_per_bad_name_and_a_summary() {
    // Nothing here is a domain to check, so no query is sent.
    let o = mtasts(
        &["check", "--resolver", "127.0.0.1:9", "--file", "-", "--csv"],
        b"# only bad lines\n\nnot a domain\n192.0.2.1\n=cmd|x\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8(o.stdout).unwrap();
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 4, "{out}");
    assert!(rows[0].starts_with("domain,verdict,"));
    assert_eq!(rows[1], "not a domain,invalid-name,1,0,domain-invalid,,,,");
    assert_eq!(rows[2], "192.0.2.1,invalid-name,1,0,domain-invalid,,,,");
    assert_eq!(rows[3], "'=cmd|x,invalid-name,1,0,domain-invalid,,,,");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("checked 0 domains"), "{err}");
    assert!(err.contains("3 invalid names"), "{err}");
}

#[test]
fn bulk_options_need_a_list() {
    for args in [
        &["check", "example.com", "--csv"][..],
        &["check", "example.com", "--jsonl"],
        &["check", "--file", "-", "--json"],
        &["check", "--file", "-", "--jsonl", "--csv"],
        &["check", "example.com", "--file", "-"],
        &["check", "--file", "-", "--concurrency", "0"],
        &["check"],
    ] {
        let o = mtasts(args, b"");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn a_missing_list_is_a_clear_error() {
    let o = mtasts(
        &[
            "check",
            "--resolver",
            "127.0.0.1:9",
            "--file",
            "/nonexistent/list.txt",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot read /nonexistent/list.txt"), "{err}");
}

#[test]
fn watch_refuses_bad_names_intervals_and_webhooks_before_checking() {
    let dir = std::env::temp_dir().join(format!("mtasts-watch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let s = state.to_str().unwrap();
    let base = ["watch", "--resolver", "127.0.0.1:9", "--state", s];
    for (extra, says) in [
        (&["not a domain"][..], "not domain names"),
        (&["example.com", "--every", "6x"], "not an interval"),
        (
            &["example.com", "--webhook", "ftp://example.com/x"],
            "--webhook",
        ),
    ] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let o = mtasts(&args, b"");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(says), "{extra:?}: {err}");
        assert!(!state.exists(), "no state written");
    }
    // A state file that is not one: exit 3, nothing checked, nothing written.
    std::fs::write(&state, b"[]").unwrap();
    let args: Vec<&str> = base.iter().chain(&["example.com"]).copied().collect();
    let o = mtasts(&args, b"");
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an mtasts watch state file"));
    assert_eq!(std::fs::read(&state).unwrap(), b"[]");
    let _ = std::fs::remove_dir_all(dir);
}
