//! TLS-RPT aggregate reports (RFC 8460 §4): every real report in
//! tests/fixtures/tlsrpt (provenance in SOURCES.md) reads with the right
//! totals and notes; bad inputs are refused one file at a time; the "ready
//! to enforce?" rule and the cross-check with a live check on built cases.

use mtasts::sts::mx::MxHost;
use mtasts::sts::report::{build, Body, Fetch, Lookup, Observations, Report};
use mtasts::sts::rua_aggregate::{aggregate, rows_csv};
use mtasts::sts::rua_crosscheck::cross_check;
use mtasts::sts::rua_input::{FileStatus, Reading, MAX_REPORT_BYTES};
use mtasts::sts::rua_ready::{judge, readiness};
use mtasts::sts::rua_report::{self, Day, NoteCode, PolicyType};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tlsrpt");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}")).unwrap()
}

fn all_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json") || n.ends_with(".eml"))
        .collect();
    names.sort();
    names
}

fn read(files: &[(&str, Vec<u8>)]) -> Reading {
    let mut r = Reading::new();
    for (name, bytes) in files {
        r.add(name, bytes);
    }
    r
}

fn codes(name: &str) -> Vec<&'static str> {
    let r = rua_report::parse(&fixture(name), None).unwrap();
    r.notes.iter().map(|n| n.code.as_str()).collect()
}

/// gzip (RFC 1952) of `data`, for tests.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend(miniz_oxide::deflate::compress_to_vec(data, 9));
    out.extend((!crc).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

#[test]
fn every_real_fixture_reads_with_the_right_totals() {
    let names = all_fixtures();
    assert_eq!(names.len(), 12, "{names:?}");
    let files: Vec<(&str, Vec<u8>)> = names.iter().map(|n| (n.as_str(), fixture(n))).collect();
    let reading = read(&files);
    for f in &reading.files {
        assert_eq!(f.status, FileStatus::Ok, "{}: {:?}", f.name, f.error);
        assert_eq!(f.reports, 1, "{}", f.name);
    }
    let agg = aggregate(&reading.reports, None);
    // The two e-mails carry google-1.json and microsoft-1.json again.
    assert_eq!(agg.duplicates.len(), 2, "{:?}", agg.duplicates);
    assert_eq!(agg.reports, 10);
    // Hand-summed from the summaries: successful 1 (egressif) + 1 + 2 + 48 +
    // 1 (google-1..4) + 0 (google-5) + 0 (mailru) + 2 + 2 (microsoft-1, sts
    // and tlsa) + 2 + 2 (microsoft-2, -3) = 61; failed 3 (google-5) + 1
    // (mailru) = 4.
    assert_eq!(agg.totals.successful, 61);
    assert_eq!(agg.totals.failed, 4);
    let vf = agg
        .result_types
        .iter()
        .find(|t| t.explanation.result_type == "validation-failure")
        .unwrap();
    assert_eq!(vf.failed, 3);
    assert_eq!(vf.mx_hosts, vec!["example.com"]);
    let fe = agg
        .result_types
        .iter()
        .find(|t| t.explanation.result_type == "sts-policy-fetch-error")
        .unwrap();
    assert_eq!(fe.failed, 1);
    assert!(fe.reasons[0].contains("context deadline exceeded"));
    let ips: Vec<(&str, u64)> = agg
        .sending_ips
        .iter()
        .map(|i| (i.sending_ip.as_str(), i.failed))
        .collect();
    assert_eq!(ips, vec![("209.85.222.201", 2), ("209.85.208.176", 1)]);

    // One domain: krvtz.net is google-1, google-2, mailru-1 and microsoft-1.
    let krvtz = aggregate(&reading.reports, Some("krvtz.net"));
    assert_eq!(krvtz.reports, 4);
    assert_eq!((krvtz.totals.successful, krvtz.totals.failed), (7, 1));
    let reporters: Vec<&str> = krvtz
        .reporters
        .iter()
        .map(|r| r.reporter.as_str())
        .collect();
    assert_eq!(
        reporters,
        vec!["Google Inc.", "Mail.ru", "Microsoft Corporation"]
    );
    let days: Vec<String> = krvtz.days.iter().map(|d| d.day.to_string()).collect();
    assert_eq!(
        days,
        vec!["2023-01-25", "2024-09-13", "2024-09-15", "2024-09-18"]
    );
    // Google and Microsoft list the mx lines in a different order: two versions.
    let sts: Vec<_> = krvtz
        .policies
        .iter()
        .filter(|p| p.policy_type == PolicyType::Sts)
        .collect();
    assert_eq!(sts.len(), 3, "{sts:?}");
    assert!(sts
        .iter()
        .filter(|p| p.version != "unknown")
        .all(|p| p.mode.as_deref() == Some("enforce") && p.mx == vec!["carp-20.krvtz.net"]));
    let tlsa = krvtz
        .policies
        .iter()
        .find(|p| p.policy_type == PolicyType::Tlsa)
        .unwrap();
    assert_eq!(tlsa.policy_string.len(), 13);

    // The CSV has a header and one line per row.
    let csv = rows_csv(&agg.rows);
    assert_eq!(csv.lines().count(), agg.rows.len() + 1);
    assert!(csv.contains("2024-01-09,Example Inc.,example.com,sts,"));
}

#[test]
fn each_reporter_quirk_is_a_note_not_a_rejection() {
    let g1 = codes("google-1.json");
    assert!(g1.contains(&"mx-host-list"), "{g1:?}");
    let m1 = codes("microsoft-1.json");
    assert!(
        m1.contains(&"policy-string-packed") && m1.contains(&"mx-host-missing"),
        "{m1:?}"
    );
    let ru = codes("mailru-1.json");
    assert!(
        ru.contains(&"policy-string-missing") && ru.contains(&"range-end-exclusive"),
        "{ru:?}"
    );
    let eg = codes("egressif-1.json");
    assert!(
        eg.contains(&"field-null") && eg.contains(&"range-end-exclusive"),
        "{eg:?}"
    );
    let g3 = rua_report::parse(&fixture("google-3.json"), None).unwrap();
    assert_eq!(g3.policies[0].policy_type, PolicyType::NoPolicyFound);
    assert!(g3.notes.is_empty(), "{:?}", g3.notes);
    let g5 = rua_report::parse(&fixture("google-5.json"), None).unwrap();
    assert_eq!(g5.date_range.unwrap().day.to_string(), "2024-01-09");
    let g5: Vec<&str> = g5.notes.iter().map(|n| n.code.as_str()).collect();
    assert_eq!(g5, vec!["mx-host-missing"]);
}

#[test]
fn misspelled_and_missing_fields_are_read_with_notes() {
    let json = br#"{"organization-name":"Old Reporter","date-range":{"start-datetime":"2020-03-01T00:00:00Z","end-datetime":"2020-03-01T23:59:59Z"},
      "contact-info":null,"report-id":"x1",
      "policies":[
        {"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx1.example.org","max_age: 86400"],"mx-host":"mx1.example.org"},
         "summary":{"total-successful-session-count":"5","total-failure-session-count":2},
         "failure-details":[{"result-type":"certificate-expired","receiving-mx-host-name":"MX1.example.org.","failed-session-count":2},
                            {"result-type":"Testing","failed-session-count":1.0}]},
        {"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx2.example.org","max_age: 86400"]},
         "summary":{"total-successful-session-count":1,"total-failure-session-count":0}},
        "garbage"
      ]}"#;
    let r = rua_report::parse(json, Some("example.org")).unwrap();
    let c: Vec<&str> = r.notes.iter().map(|n| n.code.as_str()).collect();
    for want in [
        "field-null",
        "field-wrong-type",
        "field-misspelled",
        "result-type-unknown",
        "domain-from-mail",
        "summary-mismatch",
        "several-policy-versions",
        "policy-entry-skipped",
    ] {
        assert!(c.contains(&want), "{want} missing from {c:?}");
    }
    assert_eq!(r.policies.len(), 2);
    let p = &r.policies[0];
    assert_eq!(p.successful, 5);
    assert_eq!(p.policy_domain.as_deref(), Some("example.org"));
    assert_eq!(
        p.failure_details[0].receiving_mx_hostname.as_deref(),
        Some("mx1.example.org")
    );
    assert_eq!(p.failure_details[1].failed_session_count, 1);
    assert_eq!(p.failure_details[1].result_type, "Testing");
    // Every note code has words.
    for code in NoteCode::ALL {
        assert!(!code.describe().is_empty());
    }
}

#[test]
fn the_two_emails_and_an_mbox_of_several_messages() {
    let g = read(&[("kr_google1.eml", fixture("kr_google1.eml"))]);
    assert_eq!(g.files[0].status, FileStatus::Ok);
    let rep = &g.reports[0].report;
    assert_eq!(rep.organization_name.as_deref(), Some("Google Inc."));
    assert_eq!(rep.policies[0].policy_domain.as_deref(), Some("krvtz.net"));
    assert!(g.reports[0]
        .source
        .contains("google.com!krvtz.net!1726358400!1726444799!001.json.gz"));
    assert_eq!(
        rep,
        &rua_report::parse(&fixture("google-1.json"), None).unwrap()
    );
    let m = read(&[("kr_microsoft1.eml", fixture("kr_microsoft1.eml"))]);
    assert_eq!(
        &m.reports[0].report,
        &rua_report::parse(&fixture("microsoft-1.json"), None).unwrap()
    );

    let mut mbox = Vec::new();
    for part in [
        fixture("kr_google1.eml"),
        b"Subject: lunch?\r\n\r\nNot a report.\r\n".to_vec(),
        fixture("kr_microsoft1.eml"),
    ] {
        mbox.extend_from_slice(b"From someone@example.net Mon Sep 16 11:17:16 2024\n");
        mbox.extend_from_slice(&part);
        mbox.extend_from_slice(b"\n");
    }
    let r = read(&[("reports.mbox", mbox)]);
    assert_eq!(r.files[0].status, FileStatus::Ok, "{:?}", r.files[0]);
    assert_eq!(r.files[0].reports, 2);
    assert_eq!(r.files[0].skipped.len(), 1);
    assert!(r.files[0].skipped[0].contains("message 2"));
    let agg = aggregate(&r.reports, None);
    assert_eq!((agg.totals.successful, agg.totals.failed), (5, 0));
}

#[test]
fn gzip_reports_read_and_a_gzip_bomb_is_refused() {
    let good = gzip(&fixture("mailru-1.json"));
    let bomb = gzip(&vec![b' '; MAX_REPORT_BYTES + 1024]);
    assert!(bomb.len() < 64 * 1024, "the bomb is small: {}", bomb.len());
    let r = read(&[
        ("mail.ru!krvtz.net!1674604800!1674691200.json.gz", good),
        ("bomb.json.gz", bomb),
        ("ok.json", fixture("google-2.json")),
    ]);
    assert_eq!(r.files[0].status, FileStatus::Ok);
    assert_eq!(r.files[1].status, FileStatus::Error);
    let e = r.files[1].error.as_deref().unwrap();
    assert!(e.contains("8 MiB") && e.contains("gzip bomb"), "{e}");
    assert_eq!(r.files[2].status, FileStatus::Ok);
    assert_eq!(r.reports.len(), 2);

    // A damaged gzip is refused, not inflated into garbage.
    let mut broken = gzip(&fixture("google-2.json"));
    let n = broken.len();
    broken[n - 6] ^= 0xff;
    let r = read(&[("broken.json.gz", broken)]);
    assert!(r.files[0].error.as_deref().unwrap().contains("damaged"));
}

#[test]
fn malformed_json_and_wrong_types_are_clear_errors_for_that_file_only() {
    let r = read(&[
        (
            "cut.json",
            br#"{"organization-name":"X","policies":[{"#.to_vec(),
        ),
        ("list.json", b"[1,2]".to_vec()),
        (
            "nopolicies.json",
            br#"{"organization-name":"X","policies":"none"}"#.to_vec(),
        ),
        ("empty.json", b"".to_vec()),
        ("image.png", b"\x89PNG\r\n".to_vec()),
        ("fine.json", fixture("google-4.json")),
    ]);
    let err = |i: usize| r.files[i].error.clone().unwrap_or_default();
    assert!(
        err(0).contains("not valid JSON") && err(0).contains("line 1, column"),
        "{}",
        err(0)
    );
    assert!(err(1).contains("not an object"), "{}", err(1));
    assert!(err(2).contains("`policies` is a string"), "{}", err(2));
    assert!(err(3).contains("empty"), "{}", err(3));
    assert!(err(4).contains("not a TLS-RPT report"), "{}", err(4));
    assert_eq!(r.files[5].status, FileStatus::Ok);
    assert_eq!(r.reports.len(), 1);
}

// --- ready to enforce, on constructed reports ---

const D: &str = "example.com";
const TODAY: &str = "2024-06-30";

fn day_report(reporter: &str, day: Day, mode: &str, failures: &[(&str, &str, u64)]) -> Vec<u8> {
    let next = day.plus(1);
    let failed: u64 = failures.iter().map(|f| f.2).sum();
    let details: Vec<String> = failures
        .iter()
        .map(|(ty, mx, n)| {
            format!(r#"{{"result-type":"{ty}","sending-mta-ip":"198.51.100.7","receiving-mx-hostname":"{mx}","failed-session-count":{n}}}"#)
        })
        .collect();
    format!(
        r#"{{"organization-name":"{reporter}","date-range":{{"start-datetime":"{day}T00:00:00Z","end-datetime":"{next}T00:00:00Z"}},
        "contact-info":"tls@{reporter}","report-id":"{day}-{reporter}",
        "policies":[{{"policy":{{"policy-type":"sts","policy-string":["version: STSv1","mode: {mode}","mx: mx1.example.com","mx: mx2.example.com","max_age: 86400"],"policy-domain":"{D}","mx-host":["mx1.example.com","mx2.example.com"]}},
        "summary":{{"total-successful-session-count":10,"total-failure-session-count":{failed}}},
        "failure-details":[{}]}}]}}"#,
        details.join(",")
    )
    .into_bytes()
}

/// `days` days of reports up to today from each reporter, clean.
fn clean(days: i64, reporters: &[&str]) -> Vec<(String, Vec<u8>)> {
    let today = Day::parse(TODAY).unwrap();
    let mut out = Vec::new();
    for r in reporters {
        for i in 0..days {
            let day = today.plus(-i);
            out.push((
                format!("{r}-{day}.json"),
                day_report(r, day, "testing", &[]),
            ));
        }
    }
    out
}

fn ready_codes(files: Vec<(String, Vec<u8>)>, live: Option<&Report>) -> (bool, Vec<&'static str>) {
    let mut reading = Reading::new();
    for (n, b) in &files {
        reading.add(n, b);
    }
    assert!(reading.files.iter().all(|f| f.status == FileStatus::Ok));
    let agg = aggregate(&reading.reports, Some(D));
    let r = readiness(&agg, D, Day::parse(TODAY).unwrap(), live);
    assert!(r.rule.contains("14 distinct days"));
    let unmet = r
        .reasons
        .iter()
        .filter(|x| !x.met)
        .map(|x| x.code)
        .collect();
    (r.ready, unmet)
}

#[test]
fn ready_when_two_weeks_from_two_reporters_are_clean() {
    assert_eq!(
        ready_codes(clean(14, &["google.com", "microsoft.com"]), None),
        (true, vec![])
    );
}

#[test]
fn not_ready_with_too_few_days_or_reporters() {
    assert_eq!(
        ready_codes(clean(13, &["google.com", "microsoft.com"]), None),
        (false, vec!["enough-days"])
    );
    assert_eq!(
        ready_codes(clean(20, &["google.com"]), None),
        (false, vec!["enough-reporters"])
    );
    // Reports older than the 30-day window do not count.
    let today = Day::parse(TODAY).unwrap();
    let old: Vec<(String, Vec<u8>)> = (40..60)
        .flat_map(|i| {
            let day = today.plus(-i);
            ["a.example", "b.example"]
                .map(|r| (format!("{r}{i}.json"), day_report(r, day, "testing", &[])))
        })
        .collect();
    let (ready, unmet) = ready_codes(old, None);
    assert!(!ready && unmet.contains(&"enough-days") && unmet.contains(&"policy-applied"));
}

#[test]
fn a_recent_failure_at_an_mx_blocks_but_an_old_one_does_not() {
    let today = Day::parse(TODAY).unwrap();
    let mut files = clean(14, &["google.com", "microsoft.com"]);
    files.push((
        "recent.json".into(),
        day_report(
            "yahoo.com",
            today.plus(-3),
            "testing",
            &[("certificate-expired", "mx2.example.com", 4)],
        ),
    ));
    assert_eq!(
        ready_codes(files, None),
        (false, vec!["no-recent-failures", "mx-clean"])
    );
    let mut files = clean(14, &["google.com", "microsoft.com"]);
    files.push((
        "old.json".into(),
        day_report(
            "yahoo.com",
            today.plus(-9),
            "testing",
            &[("certificate-expired", "mx2.example.com", 4)],
        ),
    ));
    assert_eq!(ready_codes(files, None), (true, vec![]));
}

// --- cross-check with a live check ---

fn live(policy: &str, mx: &[&str]) -> Report {
    build(Observations {
        domain: D.into(),
        sts_txt: Lookup::ok(vec!["v=STSv1; id=20240601".into()]),
        policy: Some(Fetch {
            url: format!("https://mta-sts.{D}/.well-known/mta-sts.txt"),
            status: Some(200),
            headers: vec![("content-type".into(), "text/plain".into())],
            body: Some(Body(policy.as_bytes().to_vec())),
            ..Fetch::default()
        }),
        policy_host: Lookup::ok(vec!["192.0.2.10".into()]),
        mx: Lookup::ok(
            mx.iter()
                .enumerate()
                .map(|(i, h)| MxHost {
                    preference: 10 * (i as u16 + 1),
                    host: h.to_string(),
                })
                .collect(),
        ),
        tlsrpt_txt: Lookup::ok(vec![format!("v=TLSRPTv1; rua=mailto:tls@{D}")]),
        ..Observations::default()
    })
}

#[test]
fn live_check_uncovered_mx_blocks_enforcing_and_is_cross_checked() {
    let today = Day::parse(TODAY).unwrap();
    // Now: enforce, only mx1 in the policy, and a new MX record mx3.
    let now = live(
        "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n",
        &["mx1.example.com", "mx3.example.com"],
    );
    let mut files = clean(14, &["google.com", "microsoft.com"]);
    files.push((
        "mx3.json".into(),
        day_report(
            "yahoo.com",
            today.plus(-1),
            "testing",
            &[("certificate-host-mismatch", "mx3.example.com", 2)],
        ),
    ));
    files.push(("mailru.json".into(), {
        let mut j = String::from_utf8(fixture("mailru-1.json")).unwrap();
        j = j.replace("krvtz.net", D);
        j.into_bytes()
    }));
    let (ready, unmet) = ready_codes(files.clone(), Some(&now));
    assert!(!ready);
    assert!(
        unmet.contains(&"mx-covered") && unmet.contains(&"no-recent-failures"),
        "{unmet:?}"
    );

    let mut reading = Reading::new();
    for (n, b) in &files {
        reading.add(n, b);
    }
    let agg = aggregate(&reading.reports, Some(D));
    let x = cross_check(&agg, &now);
    assert_eq!(
        x.current.as_deref(),
        Some("mode enforce; mx mx1.example.com; max_age 604800")
    );
    // Every reporter applied the testing policy with mx2 and a shorter max_age.
    assert_eq!(x.other_policies.len(), 1);
    let d = &x.other_policies[0].differences;
    assert!(
        d.contains(&"mode testing, now enforce".to_string()),
        "{d:?}"
    );
    assert!(
        d.contains(&"mx mx2.example.com, not in the policy now".to_string()),
        "{d:?}"
    );
    assert!(
        d.contains(&"max_age 86400, now 604800".to_string()),
        "{d:?}"
    );
    assert_eq!(x.other_policies[0].reporters.len(), 3);
    let u = &x.uncovered_failures;
    assert_eq!(u.len(), 1);
    assert_eq!(
        (u[0].mx_host.as_str(), u[0].failed, u[0].in_mx_records),
        ("mx3.example.com", 2, true)
    );
    let pf = &x.policy_failures;
    assert_eq!(pf.len(), 1);
    assert_eq!(pf[0].result_type, "sts-policy-fetch-error");
    assert!(
        pf[0].now.contains("answers 200 with a valid policy"),
        "{}",
        pf[0].now
    );

    // The sentences `mtasts reports --check` prints and the page lists: the
    // policy served now first, then one per finding, in the fields' order.
    let lines = x.lines();
    assert_eq!(
        lines.len(),
        1 + x.other_policies.len()
            + x.uncovered_failures.len()
            + x.mx_tls_failures.len()
            + x.policy_failures.len()
    );
    assert_eq!(
        lines[0],
        "policy served now: mode enforce; mx mx1.example.com; max_age 604800"
    );
    assert!(
        lines[1].contains("applied another policy")
            && lines[1].contains("mode testing, now enforce")
            && lines[1].ends_with("Senders refetch when the _mta-sts id changes."),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2],
        "2 failed sessions at mx3.example.com (certificate-host-mismatch), which the policy served now does not cover; it is an MX record."
    );
    assert!(
        lines[3].starts_with("2 failed sessions at mx3.example.com (certificate-host-mismatch). The live check did not probe"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("sts-policy-fetch-error: 1 session reported by Mail.ru (last "),
        "{}",
        lines[4]
    );

    // A live check weighs only on its own domain's answer.
    let (_, answers) = judge(&reading.reports, None, today, std::slice::from_ref(&now));
    let other = live(
        "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmax_age: 604800\r\n",
        &["mx1.example.org"],
    );
    let mut other = other;
    other.domain = "example.org".into();
    let (_, not_ours) = judge(&reading.reports, None, today, std::slice::from_ref(&other));
    let codes = |a: &[mtasts::sts::rua_ready::Readiness]| -> Vec<&'static str> {
        a.iter()
            .flat_map(|r| r.reasons.iter().map(|x| x.code))
            .collect()
    };
    assert!(codes(&answers).contains(&"mx-covered"));
    assert!(!codes(&not_ours).contains(&"mx-covered"));
}

#[test]
fn certificate_failures_are_set_beside_todays_probe_of_that_mx() {
    use mtasts::sts::mx_tls::Status;
    use mtasts::sts::report::MxTlsRow;
    use mtasts::sts::Code;
    let today = Day::parse(TODAY).unwrap();
    let mut now = live(
        "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n",
        &["mx1.example.com"],
    );
    let mut files = clean(3, &["google.com"]);
    files.push((
        "mismatch.json".into(),
        day_report(
            "yahoo.com",
            today.plus(-1),
            "enforce",
            &[("certificate-host-mismatch", "MX1.example.com", 3)],
        ),
    ));
    let mut reading = Reading::new();
    for (n, b) in &files {
        reading.add(n, b);
    }
    let agg = aggregate(&reading.reports, Some(D));

    // Not probed (as in the page): said so, never silent.
    let x = cross_check(&agg, &now);
    assert_eq!(x.mx_tls_failures.len(), 1);
    let t = &x.mx_tls_failures[0];
    assert_eq!(
        (t.mx_host.as_str(), t.failed, t.result_types.clone()),
        (
            "mx1.example.com",
            3,
            vec!["certificate-host-mismatch".to_string()]
        )
    );
    assert!(t.now.contains("did not probe"), "{}", t.now);

    // Probed: today's verdict of that host's certificate beside the reports.
    now.mx_tls.push(MxTlsRow {
        host: "mx1.example.com".into(),
        address: "192.0.2.25".into(),
        status: Status::Invalid,
        codes: vec![Code::MxTlsNameMismatch],
    });
    let x = cross_check(&agg, &now);
    assert_eq!(
        x.mx_tls_failures[0].now,
        "Today: 192.0.2.25 fails validation (mx-tls-name-mismatch)."
    );
}
