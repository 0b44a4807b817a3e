//! Load test of the native proxy, loopback only: `load PORT SECONDS CLIENTS`
//! against a running `mtasts serve --rate-limit 0` inside the test bed. Each
//! client loops over scenarios with known outcomes and checks every answer's
//! classification; prints requests served, errors, mis-classifications and
//! the server's peak memory (pass its PID as the fourth argument).

use std::time::{Duration, Instant};

const CASES: &[(&str, &str)] = &[
    ("enforce.mtasts.test", "200"),
    ("policy-404.mtasts.test", "404"),
    ("redirect-301.mtasts.test", "301"),
    ("cert-expired.mtasts.test", "tls-expired"),
    ("cert-wrong-host.mtasts.test", "tls-hostname"),
    ("no-txt.mtasts.test", "no-address"),
];

fn outcome(v: &serde_json::Value) -> String {
    match (&v["status"], &v["error"]["class"]) {
        (_, serde_json::Value::String(c)) => c.clone(),
        (serde_json::Value::Number(n), _) => n.to_string(),
        _ => "?".into(),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(8080);
    let secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(30);
    let clients: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(200);
    let pid = args.get(4).cloned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for n in 0..clients {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut errors, mut wrong) = (0u64, 0u64, 0u64);
            let mut i = n;
            while Instant::now() < deadline {
                let (domain, want) = CASES[i % CASES.len()];
                i += 1;
                let url = format!("http://127.0.0.1:{port}/api/policy?domain={domain}");
                match client.get(&url).send().await {
                    Ok(r) if r.status() == 200 => match r.json::<serde_json::Value>().await {
                        Ok(v) if outcome(&v) == want => ok += 1,
                        Ok(v) => {
                            wrong += 1;
                            eprintln!("{domain}: got {}, want {want}", outcome(&v));
                        }
                        Err(_) => errors += 1,
                    },
                    _ => errors += 1,
                }
            }
            (ok, errors, wrong)
        }));
    }
    let (mut ok, mut errors, mut wrong) = (0, 0, 0);
    for t in tasks {
        let (a, b, c) = t.await.unwrap();
        ok += a;
        errors += b;
        wrong += c;
    }
    let peak = pid
        .and_then(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_else(|| "?".into());
    println!(
        "load: {clients} clients for {secs} s: {ok} requests served correctly ({:.0}/s), {errors} errors, {wrong} mis-classified, server peak memory {peak} kB",
        ok as f64 / secs as f64
    );
    std::process::exit(i32::from(errors + wrong > 0));
}
