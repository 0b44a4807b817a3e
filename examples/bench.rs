//! Parse + lint throughput: `cargo run --release --example bench` (or
//! `--profile bench-native` for the speed-optimised build). Prints the time
//! per run for the RFC 8461 §3.2 example policy, a 64 KiB policy of mx
//! lines, and the hostile 64 KiB bodies of `shared/hostile.rs` (the fastest
//! of several batches, in µs per run).
//! `BENCH_ONLY=<part of a name>` runs only the matching inputs.

use std::hint::black_box;
use std::time::Instant;

use mtasts::sts::lint::{lint, Kind};

#[path = "shared/hostile.rs"]
mod hostile;

fn measure(name: &str, kind: Kind, body: &[u8]) {
    // `BENCH_ONLY=text` runs only the inputs whose name contains it (for a
    // profiler).
    if std::env::var("BENCH_ONLY").is_ok_and(|only| !name.contains(&only)) {
        return;
    }
    // Warm up, then about half a second in batches of about 25 ms; the
    // fastest batch is reported, so that other work on a shared machine
    // counts as little as it can.
    for _ in 0..100 {
        black_box(lint(kind, black_box(body), Some("example.com")));
    }
    let mut runs = 0u64;
    let mut per = f64::MAX;
    let start = Instant::now();
    while start.elapsed().as_millis() < 500 {
        let batch = Instant::now();
        let mut n = 0u64;
        while batch.elapsed().as_micros() < 25_000 {
            for _ in 0..10 {
                black_box(lint(kind, black_box(body), Some("example.com")));
            }
            n += 10;
        }
        per = per.min(batch.elapsed().as_nanos() as f64 / n as f64);
        runs += n;
    }
    let mib_s = body.len() as f64 / per * 1e9 / (1024.0 * 1024.0);
    let findings = lint(kind, body, Some("example.com")).findings.len();
    println!(
        "{name:<34} {:>7} bytes  {:>12.2} µs/run  {:>8.1} MiB/s  {findings:>3} findings  ({runs} runs)",
        body.len(),
        per / 1000.0,
        mib_s
    );
}

fn main() {
    let rfc = b"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
    measure("RFC 8461 §3.2 example policy", Kind::Policy, rfc);
    let mut big = rfc.to_vec();
    let mut i = 0;
    while big.len() < 64 * 1024 - 40 {
        big.extend_from_slice(format!("mx: mx{i}.provider-{i}.example.net\r\n").as_bytes());
        i += 1;
    }
    measure("64 KiB policy", Kind::Policy, &big);
    for (name, body) in hostile::policies() {
        measure(&format!("hostile: {name}"), Kind::Policy, &body);
    }
    for (name, body) in hostile::records() {
        let kind = if name.starts_with("txt") {
            Kind::Txt
        } else {
            Kind::Tlsrpt
        };
        measure(&format!("hostile {name}"), kind, &body);
    }
}
