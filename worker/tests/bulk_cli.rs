//! `mtasts check --file` and `mtasts watch` as a user runs them, where no
//! network is needed: the list's lines that are not domains, usage errors,
//! state files that cannot be used, and, against a loopback DNS server that
//! refuses every question, the query rate and the progress line.

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

/// A DNS server on loopback that refuses every question at once (RCODE 5,
/// RFC 1035 §4.1.1) and notes when each query arrived; it stops after
/// `quiet` without a query.
fn refusing_dns(
    quiet: std::time::Duration,
) -> (u16, std::thread::JoinHandle<Vec<std::time::Instant>>) {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(quiet)).unwrap();
    let port = socket.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut arrived = Vec::new();
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            arrived.push(std::time::Instant::now());
            if n >= 12 {
                let mut answer = buf[..n].to_vec();
                answer[2] |= 0x80;
                answer[3] = (answer[3] & 0xf0) | 5;
                let _ = socket.send_to(&answer, from);
            }
        }
        arrived
    });
    (port, server)
}

#[test]
fn the_query_rate_holds_across_every_domain_of_the_list() {
    let (port, server) = refusing_dns(std::time::Duration::from_secs(3));
    let resolver = format!("127.0.0.1:{port}");
    // 20 queries a second: one every 50 ms, whatever the concurrency.
    let o = mtasts(
        &[
            "check",
            "--resolver",
            &resolver,
            "--no-smtp",
            "--file",
            "-",
            "--jsonl",
            "--concurrency",
            "8",
            "--rate",
            "20",
        ],
        b"a.example\nb.example\nc.example\nd.example\ne.example\n",
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 5, "a line per domain: {out}");
    let arrived = server.join().unwrap();
    assert!(
        arrived.len() >= 30,
        "six first questions a domain: {}",
        arrived.len()
    );
    // Queries leave no earlier than their turn, so the first and the last
    // are at least (n - 1) turns apart; a slow machine only adds to that.
    // Without pacing the eight checks would send theirs within a few ms.
    let span = *arrived.last().unwrap() - arrived[0];
    let turns = std::time::Duration::from_millis(50) * (arrived.len() as u32 - 1);
    assert!(
        span >= turns.mul_f64(0.8),
        "{} queries within {span:?}, paced at 20 a second they take {turns:?}",
        arrived.len()
    );
}

#[test]
fn a_terminal_sees_a_progress_line_and_a_pipe_does_not() {
    let (port, server) = refusing_dns(std::time::Duration::from_secs(3));
    let dir = std::env::temp_dir().join(format!("mtasts-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("domains.txt");
    std::fs::write(&list, "a.example\nb.example\n").unwrap();
    let cmd = format!(
        "{} check --resolver 127.0.0.1:{port} --no-smtp --file {} --jsonl",
        env!("CARGO_BIN_EXE_mtasts"),
        list.display()
    );
    // `script` gives the command a terminal (util-linux) and copies what it
    // writes there, standard error included.
    let tty = std::process::Command::new("script")
        .args(["-qfec", &cmd, "/dev/null"])
        .output()
        .expect("script (util-linux) runs");
    let seen = String::from_utf8_lossy(&tty.stdout);
    assert!(seen.contains("2 done, 0 running"), "{seen}");
    let piped = mtasts(
        &[
            "check",
            "--resolver",
            &format!("127.0.0.1:{port}"),
            "--no-smtp",
            "--file",
            list.to_str().unwrap(),
            "--jsonl",
        ],
        b"",
    );
    let err = String::from_utf8_lossy(&piped.stderr);
    assert!(
        !err.contains(" running, "),
        "no progress line into a pipe: {err}"
    );
    assert!(err.contains("checked 2 domains"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    server.join().unwrap();
}
