//! The bench's inputs and measurement, shared by the native bench
//! (`examples/bench.rs`) and the browser's (`tests/wasm/tests/bench.rs`), so
//! that both print the same lines for the same bodies.
//!
//! Each input is linted a hundred times to warm up, then in batches of
//! about a twentieth of the time given to it; the fastest batch is
//! reported, so that other work on a shared machine counts as little as it
//! can. Hostile bodies are also given as a ratio to the normal 64 KiB
//! policy: the same size, so the same time is the goal.

use mtasts::sts::lint::{lint, Kind};

use super::hostile;

/// One body to lint, named as the bench prints it.
pub struct Input {
    pub name: String,
    pub kind: Kind,
    pub body: Vec<u8>,
}

/// The name of the input the hostile ones are compared with.
pub const REFERENCE: &str = "64 KiB policy";

/// The RFC 8461 §3.2 example, the normal 64 KiB policy (about 1 900 `mx`
/// lines), then every hostile body of [`hostile`].
pub fn inputs() -> Vec<Input> {
    let rfc = b"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
    let mut big = rfc.to_vec();
    let mut i = 0;
    while big.len() < 64 * 1024 - 40 {
        big.extend_from_slice(format!("mx: mx{i}.provider-{i}.example.net\r\n").as_bytes());
        i += 1;
    }
    let mut out = vec![
        Input {
            name: "RFC 8461 §3.2 example policy".into(),
            kind: Kind::Policy,
            body: rfc.to_vec(),
        },
        Input {
            name: REFERENCE.into(),
            kind: Kind::Policy,
            body: big,
        },
    ];
    for (name, body) in hostile::policies() {
        out.push(Input {
            name: format!("hostile: {name}"),
            kind: Kind::Policy,
            body,
        });
    }
    for (name, body) in hostile::records() {
        let kind = if name.starts_with("txt") {
            Kind::Txt
        } else {
            Kind::Tlsrpt
        };
        out.push(Input {
            name: format!("hostile {name}"),
            kind,
            body,
        });
    }
    out
}

/// What one input measured.
pub struct Measured {
    /// Nanoseconds per parse + lint (the fastest batch).
    pub per_ns: f64,
    pub runs: u64,
    /// Findings after folding.
    pub findings: usize,
    /// The occurrences they stand for (a folded finding counts its repeats).
    pub occurrences: usize,
}

/// Lints `input` for about `budget_ms` milliseconds; `now` is a clock in
/// milliseconds (`Instant` natively, `performance.now()` in a browser).
pub fn measure(input: &Input, budget_ms: f64, now: &dyn Fn() -> f64) -> Measured {
    let run = || lint(input.kind, input.body.as_slice(), Some("example.com"));
    for _ in 0..100 {
        core::hint::black_box(run());
    }
    let batch_ms = budget_ms / 20.0;
    let mut runs = 0u64;
    let mut per = f64::MAX;
    let start = now();
    while now() - start < budget_ms {
        let batch = now();
        let mut n = 0u64;
        while now() - batch < batch_ms {
            for _ in 0..10 {
                core::hint::black_box(run());
            }
            n += 10;
        }
        per = per.min((now() - batch) * 1e6 / n as f64);
        runs += n;
    }
    let findings = run().findings;
    Measured {
        per_ns: per,
        runs,
        findings: findings.len(),
        occurrences: findings.iter().map(|f| f.count.unwrap_or(1)).sum(),
    }
}

/// The bench's line: `name  bytes  µs/run  MiB/s  findings (occurrences
/// folded into them)  (runs)`, and for a hostile body its time over the
/// reference's.
pub fn line(input: &Input, m: &Measured, reference_ns: Option<f64>) -> String {
    let mib_s = input.body.len() as f64 / m.per_ns * 1e9 / (1024.0 * 1024.0);
    let ratio = match reference_ns {
        Some(r) if input.name.starts_with("hostile") => {
            format!("  x{:.2} of the {REFERENCE}", m.per_ns / r)
        }
        _ => String::new(),
    };
    format!(
        "{:<34} {:>7} bytes  {:>12.2} µs/run  {:>8.1} MiB/s  {:>3} findings {:>9}  ({} runs){ratio}",
        input.name,
        input.body.len(),
        m.per_ns / 1000.0,
        mib_s,
        m.findings,
        format!("({})", m.occurrences),
        m.runs,
    )
}
