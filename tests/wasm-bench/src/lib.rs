//! The parse + lint bench in the browser (see run.mjs): the same inputs,
//! measurement and lines as `cargo run --example bench`, timed with
//! `performance.now()`.

use wasm_bindgen::prelude::*;

#[path = "../../../examples/shared/hostile.rs"]
mod hostile;

#[path = "../../../examples/shared/bench_run.rs"]
mod bench_run;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance)]
    fn now() -> f64;
}

/// The names of the inputs, one per line, in the order the bench runs them.
#[wasm_bindgen]
pub fn names() -> String {
    let names: Vec<String> = bench_run::inputs().into_iter().map(|i| i.name).collect();
    names.join("\n")
}

/// Measures the input at `index` for about `budget_ms` milliseconds and
/// returns the time per run in nanoseconds, the runs, the findings and
/// the occurrences folded into them, separated by spaces (one input per call, so that the page stays
/// responsive and the driver prints as it goes).
#[wasm_bindgen]
pub fn measure(index: usize, budget_ms: f64) -> String {
    let Some(input) = bench_run::inputs().into_iter().nth(index) else {
        return String::new();
    };
    let m = bench_run::measure(&input, budget_ms, &now);
    format!("{} {} {} {}", m.per_ns, m.runs, m.findings, m.occurrences)
}

/// The bench's line for a measurement (`reference_ns`: the 64 KiB
/// policy's time, for the ratio of the hostile inputs).
#[wasm_bindgen]
pub fn line(
    index: usize,
    per_ns: f64,
    runs: u64,
    findings: usize,
    occurrences: usize,
    reference_ns: f64,
) -> String {
    let Some(input) = bench_run::inputs().into_iter().nth(index) else {
        return String::new();
    };
    let m = bench_run::Measured {
        per_ns,
        runs,
        findings,
        occurrences,
    };
    bench_run::line(&input, &m, (reference_ns > 0.0).then_some(reference_ns))
}
