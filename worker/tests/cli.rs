//! The `mtasts` command line as a user runs it: exit codes, human and JSON
//! output, standard input and files.

mod common;

use common::mtasts;
use std::process::Output;

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn lint_exit_codes_and_json_shape() {
    let o = mtasts(
        &["lint", "--kind", "txt", "--json"],
        b"v=STSv1; id=20160831085700Z;\n",
    );
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert!(v["findings"].as_array().unwrap().is_empty());

    let o = mtasts(
        &["lint", "--kind", "policy", "--json", "-"],
        b"version: STSv1\nmode: enforcing\nmx: a.example.net\nmax_age: 86400\n",
    );
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "policy-mode-invalid");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["line"], 2);
    assert_eq!(f["corrected"], "mode: enforce");
    for key in ["message", "fix", "rfc"] {
        assert!(f[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }

    // Warnings alone keep exit 0.
    let o = mtasts(
        &["lint", "--kind", "policy", "--json"],
        b"version: STSv1\nmode: testing\nmx: a.example.net\nmax_age: 86400\n",
    );
    assert_eq!(code(&o), 0);

    let o = mtasts(&["lint", "--kind", "tlsrpt"], b"v=TLSRPTv1;\r\n");
    assert_eq!(code(&o), 1);
    let out = text(&o);
    assert!(
        out.contains("invalid") && out.contains("tlsrpt-rua-missing") && out.contains("fix:"),
        "{out}"
    );
}

#[test]
fn only_one_trailing_newline_is_dropped_from_records() {
    assert_eq!(
        code(&mtasts(&["lint", "--kind", "txt"], b"v=STSv1; id=1\n")),
        0
    );
    assert_eq!(
        code(&mtasts(&["lint", "--kind", "txt"], b"v=STSv1; id=1\n\n")),
        1
    );
}

#[test]
fn lint_reads_files_and_reports_io_errors() {
    let dir = std::env::temp_dir().join(format!("mtasts-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mta-sts.txt");
    std::fs::write(
        &file,
        "version: STSv1\r\nmode: enforce\r\nmx: mail.example.net\r\nmax_age: 604800\r\n",
    )
    .unwrap();
    let o = mtasts(&["lint", "--kind", "policy", file.to_str().unwrap()], b"");
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("policy: valid"));
    let o = mtasts(
        &["lint", "--kind", "policy", "/nonexistent/mta-sts.txt"],
        b"",
    );
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read /nonexistent/mta-sts.txt"));
    let o = mtasts(&["lint", "--kind", "nonsense"], b"");
    assert_eq!(code(&o), 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn match_mx_exit_codes() {
    assert_eq!(
        code(&mtasts(
            &["match-mx", "*.example.com", "mail.example.com"],
            b""
        )),
        0
    );
    assert_eq!(
        code(&mtasts(
            &["match-mx", "*.example.com", "Mail.Example.com."],
            b""
        )),
        0
    );
    assert_eq!(
        code(&mtasts(&["match-mx", "*.example.com", "example.com"], b"")),
        1
    );
    assert_eq!(
        code(&mtasts(
            &["match-mx", "*.example.com", "a.b.example.com"],
            b""
        )),
        1
    );
    let o = mtasts(&["match-mx", "*.*.example.com", "a.b.example.com"], b"");
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid pattern"));
    assert_eq!(
        code(&mtasts(&["match-mx", "*.example.com", "bad host"], b"")),
        2
    );
    assert_eq!(code(&mtasts(&["match-mx", "only-one-arg"], b"")), 2);
}

#[test]
fn generate_outputs_policy_records_and_zone() {
    let o = mtasts(
        &[
            "generate",
            "--domain",
            "Example.com",
            "--mode",
            "enforce",
            "--mx",
            "contoso-com.mail.protection.outlook.com",
            "--id-time",
            "1700000000",
            "--json",
        ],
        b"",
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["policy"], "version: STSv1\r\nmode: enforce\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n");
    assert_eq!(v["sts_txt"], "v=STSv1; id=20231114221320");
    // Round trip: the generated policy lints clean through the CLI.
    let lint = mtasts(
        &["lint", "--kind", "policy", "--json"],
        v["policy"].as_str().unwrap().as_bytes(),
    );
    let l: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    assert_eq!(l["valid"], true);
    assert!(l["findings"].as_array().unwrap().is_empty(), "{l}");

    let o = mtasts(
        &[
            "generate",
            "--domain",
            "example.com",
            "--mx",
            "mx1.example.com,mx2.example.com",
        ],
        b"",
    );
    assert_eq!(code(&o), 0);
    let out = text(&o);
    assert!(
        out.contains("mode: testing")
            && out.contains("_mta-sts.example.com.")
            && out.contains("v=TLSRPTv1"),
        "{out}"
    );

    let o = mtasts(
        &["generate", "--domain", "example.com", "--mode", "enforce"],
        b"",
    );
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least one MX host"));
}

const GEN: [&str; 7] = [
    "generate",
    "--domain",
    "example.com",
    "--mx",
    "mx1.example.com",
    "--id-time",
    "1700000000",
];

fn generate(extra: &[&str]) -> Output {
    let args: Vec<&str> = GEN.iter().chain(extra).copied().collect();
    mtasts(&args, b"")
}

#[test]
fn generate_hosting_prints_the_recipe_for_the_generated_policy() {
    let o = generate(&["--hosting", "nginx"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let out = text(&o);
    let recipe = out
        .split_once("# Hosting on nginx\n")
        .map(|(_, r)| r)
        .unwrap_or_else(|| panic!("no recipe: {out}"));
    // The generated policy, in the file the server block serves.
    assert!(
        recipe.contains(
            "## /var/www/mta-sts/.well-known/mta-sts.txt\nversion: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 604800\n"
        ),
        "{recipe}"
    );
    assert!(
        recipe.contains("## /etc/nginx/sites-available/mta-sts.example.com\n")
            && recipe.contains("    server_name mta-sts.example.com;\n")
            && recipe.contains(
                "    location = /.well-known/mta-sts.txt {\n        default_type text/plain;"
            ),
        "{recipe}"
    );
    assert!(recipe.contains("# Traps\n- "), "{recipe}");
    // Only the recipe asked for.
    assert!(
        !out.contains("Caddyfile") && !out.contains("# Rollout plan"),
        "{out}"
    );

    let o = generate(&["--hosting", "github-pages", "--json"]);
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hosting"]["id"], "github-pages");
    assert_eq!(v["hosting"]["files"][0]["name"], ".well-known/mta-sts.txt");
    assert_eq!(v["hosting"]["files"][0]["content"], v["policy"]);
    assert_eq!(v["hosting"]["files"][2]["content"], "mta-sts.example.com\n");
    assert!(v.get("plan").is_none(), "{v}");
}

#[test]
fn generate_with_an_unknown_hosting_name_lists_the_names() {
    let o = generate(&["--hosting", "iis"]);
    assert_eq!(code(&o), 2);
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("iis")
            && err.contains("nginx, apache, caddy, cloudflare, github-pages, netlify"),
        "{err}"
    );
}

#[test]
fn generate_plan_dates_the_rollout_and_teardown_from_the_given_day() {
    let o = generate(&["--plan", "--today", "2026-01-01"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let out = text(&o);
    let plan = out
        .split_once("# Rollout plan\n")
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no plan: {out}"));
    let steps: Vec<&str> = plan.lines().collect();
    assert_eq!(steps.len(), 5, "{plan}");
    assert!(steps[0].starts_with("1. 2026-01-01: publish "), "{plan}");
    assert!(
        steps[1].starts_with("2. 2026-01-02 to 2026-01-15: "),
        "{plan}"
    );
    assert!(steps[1].contains("`mtasts check example.com`"), "{plan}");
    assert!(steps[2].starts_with("3. From 2026-01-15: "), "{plan}");
    assert!(
        steps[4].contains("keep serving it for max_age (7 days)")
            && steps[4].contains("on or after 2026-01-08."),
        "{plan}"
    );

    // A one-day policy can be removed the next day; JSON carries the dates.
    let o = generate(&[
        "--max-age",
        "86400",
        "--plan",
        "--today",
        "2026-01-01",
        "--json",
    ]);
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &v["plan"];
    assert_eq!(p["start"], "2026-01-01");
    assert_eq!(p["enforce_from"], "2026-01-15");
    assert_eq!(p["remove_from"], "2026-01-02");
    assert_eq!(p["steps"][4]["phase"], "teardown");

    let o = generate(&["--plan", "--today", "2026-02-30"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("YYYY-MM-DD"));
}

#[test]
fn codes_lists_the_catalogue() {
    let o = mtasts(&["codes", "--json"], b"");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "mx-not-covered"));
}
