//! Scratch probe for `resolve.rs` before it is wired into the CLI:
//! `cargo run -p mtasts-worker --example resolve_probe -- 127.0.0.1:53 example.com MX`
//! or with a DoH URL instead of the server address.

#[path = "../src/resolve.rs"]
#[allow(dead_code)]
mod resolve;

use mtasts::sts::dns::RecordType;
use resolve::{Resolver, ResolverConfig, Transport};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [server, name, qtype] = args.as_slice() else {
        eprintln!("usage: resolve_probe SERVER:PORT|https://URL NAME TYPE");
        std::process::exit(2);
    };
    let transport = match server.parse() {
        Ok(addr) => Transport::Dns(addr),
        Err(_) => Transport::Doh(server.clone()),
    };
    let Some(qtype) = RecordType::ALL
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(qtype))
    else {
        eprintln!("unknown type {qtype}");
        std::process::exit(2);
    };
    let mut config = ResolverConfig::new(transport);
    if let Ok(ca) = std::env::var("MTASTS_TESTBED_CA") {
        config.extra_ca = std::fs::read(ca).ok();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let resolver = Resolver::new(config).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    match rt.block_on(resolver.lookup(name, qtype)) {
        Ok(r) => {
            println!(
                "{} AD={} chain={:?} final={}",
                r.outcome.describe(),
                r.authenticated(),
                r.chain,
                r.final_name
            );
            for rec in r.records() {
                println!("  {} {} {:?}", rec.name, rec.ttl, rec.data);
            }
        }
        Err(e) => println!("error ({:?}): {e}", e.status()),
    }
}
