//! Parse + lint throughput: `cargo run --profile bench-native --example
//! bench` (the speed-optimised native build; `--release` is the size
//! profile of the Wasm builds). Prints the time per run for the RFC 8461
//! §3.2 example policy, a 64 KiB policy of mx lines, and the hostile 64 KiB
//! bodies of `shared/hostile.rs`, each of those with its ratio to the
//! normal 64 KiB policy (see `shared/bench_run.rs`).
//!
//! `BENCH_ONLY=<part of a name>` runs only the matching inputs (for a
//! profiler); `BENCH_MS=<milliseconds>` sets the time per input (500).

use std::time::Instant;

#[path = "shared/hostile.rs"]
mod hostile;

#[path = "shared/bench_run.rs"]
mod bench_run;

fn main() {
    let only = std::env::var("BENCH_ONLY").ok();
    let budget_ms = std::env::var("BENCH_MS")
        .ok()
        .and_then(|ms| ms.parse::<f64>().ok())
        .filter(|ms| *ms > 0.0)
        .unwrap_or(500.0);
    let epoch = Instant::now();
    let now = move || epoch.elapsed().as_secs_f64() * 1000.0;
    let mut reference = None;
    for input in bench_run::inputs() {
        if only
            .as_ref()
            .is_some_and(|o| !input.name.contains(o.as_str()))
        {
            continue;
        }
        let m = bench_run::measure(&input, budget_ms, &now);
        if input.name == bench_run::REFERENCE {
            reference = Some(m.per_ns);
        }
        println!("{}", bench_run::line(&input, &m, reference));
    }
}
