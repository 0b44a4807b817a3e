//! A long randomized run over every parser: `cargo run --release --example
//! soak -- [INPUTS_PER_PARSER]` (default one million). Inputs are random
//! bytes and mutations of real and RFC inputs; each must be handled without a
//! panic and keep the parsers' invariants. Prints how many inputs each parser
//! tried and how many failed; exits 1 if any did. The hostile 64 KiB shapes
//! of `shared/hostile.rs` (blank lines, repeated fields, bad lines, ...),
//! mutated, must each give at most a handful of (folded) findings.

use std::panic::{catch_unwind, AssertUnwindSafe};

use mtasts::sts::generate::{generate, IdStrategy, Request};
use mtasts::sts::lint::{lint, Kind};
use mtasts::sts::policy::Mode;
use mtasts::sts::{domain, mx, policy, tlsrpt, txt};

#[path = "shared/hostile.rs"]
mod hostile;

/// Findings a 64 KiB body may produce at most once repeats are folded.
const MAX_FINDINGS: usize = 20;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, so a failure can be replayed by its index.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
    "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 1296000",
    "v=STSv1; id=20160831085700Z;",
    "v=TLSRPTv1; rua=mailto:reports@example.com,https://r.example.com/v1",
    "*.example.com",
    "https://Mta-Sts.Bücher.example/.well-known/mta-sts.txt",
];

const PIECES: &[&[u8]] = &[
    b"\r\n",
    b"\n",
    b"\r",
    b" ",
    b"\t",
    b";",
    b":",
    b"=",
    b"*.",
    b".",
    b",",
    b"v=STSv1",
    b"id=",
    b"mx: ",
    b"mode: ",
    b"max_age: ",
    b"\xEF\xBB\xBF",
    b"\xC3\xA9",
    b"\xFF",
    b"<html>",
    b"#",
    b"-",
];

fn mutate(rng: &mut Rng) -> Vec<u8> {
    if rng.below(8) == 0 {
        let len = rng.below(200);
        return (0..len).map(|_| rng.next() as u8).collect();
    }
    let mut v = SEEDS[rng.below(SEEDS.len())].as_bytes().to_vec();
    for _ in 0..=rng.below(6) {
        let at = rng.below(v.len() + 1);
        match rng.below(4) {
            0 => {
                let p = PIECES[rng.below(PIECES.len())];
                v.splice(at..at, p.iter().copied());
            }
            1 if !v.is_empty() => {
                let end = (at + rng.below(8)).min(v.len());
                v.drain(at.min(end)..end);
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            _ => {
                let i = rng.below(v.len() + 1);
                v.insert(i.min(v.len()), b"abc.-*"[rng.below(6)]);
            }
        }
    }
    v
}

type Check = fn(&[u8], &mut Rng) -> Result<(), String>;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    std::panic::set_hook(Box::new(|_| {}));
    let checks: &[(&str, Check)] = &[
        ("policy", |b, _| {
            let c = policy::check(b);
            let l = lint(Kind::Policy, b, None);
            if l.valid == l.findings.iter().any(|f| f.is_error())
                || c.policy.is_some() != policy::parse(b).is_ok()
            {
                return Err("policy: check and parse disagree".into());
            }
            Ok(())
        }),
        ("txt", |b, _| {
            let s = String::from_utf8_lossy(b);
            (txt::check(&s).0.is_some() == txt::parse(&s).is_ok())
                .then_some(())
                .ok_or("txt: check and parse disagree".into())
        }),
        ("tlsrpt", |b, _| {
            let _ = tlsrpt::check(&String::from_utf8_lossy(b));
            Ok(())
        }),
        ("domain", |b, _| {
            if let Ok(d) = domain::normalise(&String::from_utf8_lossy(b)) {
                if domain::normalise(&d.ascii).map(|e| e.ascii) != Ok(d.ascii.clone()) {
                    return Err(format!("domain: {} does not normalise to itself", d.ascii));
                }
            }
            Ok(())
        }),
        ("match-mx", |b, rng| {
            let s = String::from_utf8_lossy(b);
            let hosts = [
                "mail.example.com",
                "example.com",
                "a.b.example.com",
                "MAIL.EXAMPLE.COM.",
                "x.example.net",
            ];
            let h = hosts[rng.below(hosts.len())];
            if let Ok(m) = mx::matches(&s, h) {
                if m != mx::reference_policy_matches(h, &[&s]) {
                    return Err(format!(
                        "match-mx: {s} vs {h} disagrees with RFC 8461 Appendix B"
                    ));
                }
            }
            Ok(())
        }),
        ("generate", |b, rng| {
            let s = String::from_utf8_lossy(b);
            let req = Request {
                domain: "example.org".into(),
                mode: [Mode::Enforce, Mode::Testing, Mode::None][rng.below(3)],
                mx: s.split([',', '\n']).map(str::to_string).collect(),
                max_age: rng.next() % 40_000_000,
                id: IdStrategy::Timestamp(rng.next() % 5_000_000_000),
                rua: vec![],
                provider_wildcards: true,
                ttl: 300,
            };
            if let Ok(g) = generate(&req) {
                for (kind, t) in [
                    (Kind::Policy, &g.policy),
                    (Kind::Txt, &g.sts_txt),
                    (Kind::Tlsrpt, &g.tlsrpt_txt),
                ] {
                    if !lint(kind, t.as_bytes(), Some("example.org")).valid {
                        return Err(format!("generate: output does not lint clean: {t:?}"));
                    }
                }
            }
            Ok(())
        }),
    ];
    let mut failed_total = 0;
    failed_total += soak_hostile(n);
    for (name, check) in checks {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
        let mut failed = 0u64;
        let mut first = None;
        for i in 0..n {
            let input = mutate(&mut rng);
            let outcome = catch_unwind(AssertUnwindSafe(|| check(&input, &mut rng)));
            let err = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => e,
                Err(_) => "panic".to_string(),
            };
            failed += 1;
            first.get_or_insert((i, err, input));
        }
        println!("{name:<9} tried {n:>9}  failed {failed}");
        if let Some((i, err, input)) = first {
            println!(
                "          first failure at input #{i}: {err}: {:?}",
                String::from_utf8_lossy(&input)
            );
        }
        failed_total += failed;
    }
    std::process::exit(i32::from(failed_total > 0));
}

/// The hostile 64 KiB shapes, each as is and with random pieces spliced in
/// (about one per thousand inputs of the random run): the findings must
/// stay few whatever the body.
fn soak_hostile(n: u64) -> u64 {
    let mut shapes: Vec<(&str, Kind, Vec<u8>)> = hostile::policies()
        .into_iter()
        .map(|(name, body)| (name, Kind::Policy, body))
        .collect();
    for (name, body) in hostile::records() {
        let kind = if name.starts_with("txt") {
            Kind::Txt
        } else {
            Kind::Tlsrpt
        };
        shapes.push((name, kind, body));
    }
    let mut rng = Rng(0x5EED_0F40_5711_E5A5);
    let rounds = (n / 1000).max(1);
    let (mut tried, mut failed) = (0u64, 0u64);
    let mut first = None;
    for (name, kind, body) in &shapes {
        for round in 0..rounds {
            let mut b = body.clone();
            if round > 0 {
                for _ in 0..=rng.below(20) {
                    let at = rng.below(b.len() + 1);
                    let p = PIECES[rng.below(PIECES.len())];
                    b.splice(at..at, p.iter().copied());
                }
            }
            tried += 1;
            let outcome = catch_unwind(AssertUnwindSafe(|| lint(*kind, &b, Some("example.com"))));
            let err = match outcome {
                Ok(l) if l.findings.len() <= MAX_FINDINGS => continue,
                Ok(l) => format!("{} findings", l.findings.len()),
                Err(_) => "panic".to_string(),
            };
            failed += 1;
            first.get_or_insert(format!("{name} round {round}: {err}"));
        }
    }
    println!("{:<9} tried {tried:>9}  failed {failed}", "hostile");
    if let Some(f) = first {
        println!("          first failure: {f}");
    }
    failed
}
