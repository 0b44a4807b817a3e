//! Parse + lint throughput: `cargo run --release --example bench`. Prints the
//! time per run for the RFC 8461 §3.2 example policy and for a 64 KiB policy.

use std::hint::black_box;
use std::time::Instant;

use mtasts::sts::lint::{lint, Kind};

fn measure(name: &str, body: &[u8]) {
    // Warm up, then run for about half a second.
    for _ in 0..100 {
        black_box(lint(Kind::Policy, black_box(body), Some("example.com")));
    }
    let mut runs = 0u64;
    let start = Instant::now();
    while start.elapsed().as_millis() < 500 {
        for _ in 0..50 {
            black_box(lint(Kind::Policy, black_box(body), Some("example.com")));
        }
        runs += 50;
    }
    let per = start.elapsed().as_nanos() as f64 / runs as f64;
    let mib_s = body.len() as f64 / per * 1e9 / (1024.0 * 1024.0);
    println!(
        "{name:<34} {:>7} bytes  {:>12.1} µs/run  {:>8.1} MiB/s  ({runs} runs)",
        body.len(),
        per / 1000.0,
        mib_s
    );
}

fn main() {
    let rfc = b"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
    measure("RFC 8461 §3.2 example policy", rfc);
    let mut big = rfc.to_vec();
    let mut i = 0;
    while big.len() < 64 * 1024 - 40 {
        big.extend_from_slice(format!("mx: mx{i}.provider-{i}.example.net\r\n").as_bytes());
        i += 1;
    }
    measure("64 KiB policy", &big);
}
