//! The `mtasts` command line: a thin shell over the `mtasts::sts` core.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mtasts::sts::generate::{self, IdStrategy, Request};
use mtasts::sts::hosting::{self, Host};
use mtasts::sts::lint::{self, Kind};
use mtasts::sts::policy::Mode;
use mtasts::sts::{date, domain, mx, rollout};

use mtasts_worker::{bulk, check, fetch, render, reports, resolve, serve, smtp, watch};
use mtasts_worker::{out, outln};

#[derive(Parser)]
#[command(
    name = "mtasts",
    version,
    about = "Check, lint and generate MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) records",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint a _mta-sts TXT value, a policy file or a _smtp._tls TXT value.
    ///
    /// Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage or I/O error.
    Lint {
        /// What the input is.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Print {"valid": bool, "findings": [...]} as JSON.
        #[arg(long)]
        json: bool,
        /// The policy domain, enabling checks that need it (wildcards over it).
        #[arg(long)]
        domain: Option<String>,
        /// File to read; `-` or nothing reads standard input. For txt and
        /// tlsrpt one trailing newline is dropped; a policy is read as served.
        file: Option<String>,
    },
    /// Does an mx PATTERN cover an MX HOST (RFC 8461 §4.1)?
    ///
    /// Exit status: 0 match, 1 no match, 2 invalid input.
    MatchMx {
        /// A policy mx value: host.example.com or *.example.com.
        pattern: String,
        /// An MX host name as found in DNS (a trailing dot is ignored).
        host: String,
    },
    /// Generate the policy file, the TXT records and zone lines.
    Generate {
        /// The mail domain.
        #[arg(long)]
        domain: String,
        /// Policy mode.
        #[arg(long, value_enum, default_value = "testing")]
        mode: ModeArg,
        /// MX host or *. pattern; repeat, or separate with commas.
        #[arg(long = "mx", value_delimiter = ',')]
        mx: Vec<String>,
        /// Policy lifetime in seconds (default one week).
        #[arg(long, default_value_t = 604_800)]
        max_age: u64,
        /// Use this id (1-32 letters and digits).
        #[arg(long, conflicts_with_all = ["id_hash", "id_time"])]
        id: Option<String>,
        /// Derive the id from a hash of the policy text.
        #[arg(long)]
        id_hash: bool,
        /// Derive the id from this Unix time (default: now).
        #[arg(long)]
        id_time: Option<u64>,
        /// TLS-RPT destination (mailto: or https:); repeat for several.
        #[arg(long)]
        rua: Vec<String>,
        /// Keep MX hosts exactly as given instead of provider wildcards.
        #[arg(long)]
        exact_mx: bool,
        /// TTL for the zone lines.
        #[arg(long, default_value_t = 3600)]
        ttl: u32,
        /// Also print how to serve the policy on this host.
        #[arg(long, value_name = "NAME", ignore_case = true,
              value_parser = clap::builder::PossibleValuesParser::new(Host::ALL.map(Host::id)))]
        hosting: Option<String>,
        /// Also print the rollout plan and the teardown plan (RFC 8461 §8.3), dated.
        #[arg(long)]
        plan: bool,
        /// Date the plan from this UTC day instead of today.
        #[arg(long, value_name = "YYYY-MM-DD", requires = "plan")]
        today: Option<String>,
        /// Print the result as JSON (with `hosting` and `plan` when asked for).
        #[arg(long)]
        json: bool,
    },
    /// Check a domain: DNS, the policy over HTTPS, MX coverage, TLS-RPT,
    /// and each MX host's STARTTLS certificate (port 25; `--no-smtp` skips it).
    /// With --file, every domain of a list (see --jsonl, --csv).
    ///
    /// Exit status: 0 enforced (with --file: every domain), 1 anything
    /// else, 2 usage error, 130 interrupted (--file).
    Check {
        /// The mail domain (anything the web app's domain box accepts).
        #[arg(required_unless_present = "file")]
        domain: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Ask this DNS server (IP or IP:PORT) with plain DNS; default: /etc/resolv.conf.
        #[arg(long, env = "MTASTS_RESOLVER", conflicts_with = "doh")]
        resolver: Option<String>,
        /// Ask this DNS-over-HTTPS endpoint instead (RFC 8484).
        #[arg(long, env = "MTASTS_DOH")]
        doh: Option<String>,
        /// The id seen last time, to detect a policy changed without a new id.
        #[arg(long, requires = "previous_body")]
        previous_id: Option<String>,
        /// The policy body seen last time.
        #[arg(long, requires = "previous_id")]
        previous_body: Option<std::path::PathBuf>,
        #[command(flatten)]
        fetch: FetchArgs,
        #[command(flatten)]
        smtp: SmtpArgs,
        #[command(flatten)]
        bulk: bulk::Args,
    },
    /// Check domains, compare with the last pass (--state), and alert on
    /// what changed or is about to break: one pass for cron, or --every.
    ///
    /// Exit status: 0 no alert, 1 an alert fired, 2 usage error, 3 the
    /// state file is damaged, foreign or cannot be written, 130 interrupted.
    Watch {
        #[command(flatten)]
        args: watch::Args,
        /// Ask this DNS server (IP or IP:PORT) with plain DNS; default: /etc/resolv.conf.
        #[arg(long, env = "MTASTS_RESOLVER", conflicts_with = "doh")]
        resolver: Option<String>,
        /// Ask this DNS-over-HTTPS endpoint instead (RFC 8484).
        #[arg(long, env = "MTASTS_DOH")]
        doh: Option<String>,
        #[command(flatten)]
        fetch: FetchArgs,
        #[command(flatten)]
        smtp: SmtpArgs,
    },
    /// Serve the web app and the policy proxy (/api/policy, /api/mx-tls) locally.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "MTASTS_LISTEN", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The built app (Trunk's output directory).
        #[arg(long, env = "MTASTS_DIST", default_value = "dist")]
        dist: std::path::PathBuf,
        /// Resolve policy hosts through this DNS server (IP or IP:PORT); default: /etc/resolv.conf.
        #[arg(long, env = "MTASTS_RESOLVER")]
        resolver: Option<String>,
        #[command(flatten)]
        fetch: FetchArgs,
        /// Policy checks per client per minute, per IPv4 address and per IPv6 /64 (0: no limit).
        #[arg(long, env = "MTASTS_RATE_LIMIT", default_value_t = 60)]
        rate_limit: u32,
        /// MX TLS probes (/api/mx-tls) per client per minute, per IPv4 address and per IPv6 /64 (0: no limit).
        #[arg(long, env = "MTASTS_MX_TLS_RATE_LIMIT", default_value_t = 6)]
        mx_tls_rate_limit: u32,
        #[command(flatten)]
        smtp: SmtpArgs,
        #[command(flatten)]
        limits: serve::LimitArgs,
        /// Do not log requests.
        #[arg(long)]
        quiet: bool,
    },
    /// Read TLS-RPT aggregate reports (.json, .json.gz, .eml, .mbox, folders):
    /// what failed, where, what to fix, and whether it is safe to enforce.
    ///
    /// Exit status: 0 every file read, 1 some file could not be read (the
    /// rest still reported), 2 usage error.
    Reports {
        #[command(flatten)]
        args: reports::Args,
        /// With --check: ask this DNS server (IP or IP:PORT) with plain DNS; default: /etc/resolv.conf.
        #[arg(
            long,
            env = "MTASTS_RESOLVER",
            conflicts_with = "doh",
            requires = "check"
        )]
        resolver: Option<String>,
        /// With --check: ask this DNS-over-HTTPS endpoint instead (RFC 8484).
        #[arg(long, env = "MTASTS_DOH", requires = "check")]
        doh: Option<String>,
        #[command(flatten)]
        fetch: FetchArgs,
        #[command(flatten)]
        smtp: SmtpArgs,
    },
    /// List every finding code with its severity and RFC section.
    Codes {
        #[arg(long)]
        json: bool,
    },
}

/// How policies are fetched (serve and check).
#[derive(clap::Args, Clone, Debug)]
struct FetchArgs {
    /// Also trust the CA certificates in this PEM file (e.g. a test CA).
    #[arg(long, env = "MTASTS_EXTRA_CA")]
    extra_ca: Option<std::path::PathBuf>,
    /// Allow fetching from private, loopback and link-local addresses (test beds only).
    #[arg(long, env = "MTASTS_ALLOW_PRIVATE")]
    allow_private: bool,
    /// Never connect to addresses in this prefix (e.g. a NAT64 prefix that
    /// reaches your own IPv4 network: 2001:db8:64::/96); repeat, or
    /// separate with commas. Applies even with --allow-private.
    #[arg(long, env = "MTASTS_REFUSE_PREFIX", value_delimiter = ',', value_parser = parse_prefix)]
    refuse_prefix: Vec<mtasts::sts::proxy::Prefix>,
    /// Give up on a policy fetch after this many seconds (body included).
    #[arg(long, env = "MTASTS_TIMEOUT", default_value_t = mtasts::sts::proxy::FETCH_TIMEOUT_SECS)]
    timeout: u64,
}

impl FetchArgs {
    fn config(&self) -> Result<fetch::FetchConfig, String> {
        let extra_ca = match &self.extra_ca {
            Some(p) => {
                Some(std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?)
            }
            None => None,
        };
        let timeout = std::time::Duration::from_secs(self.timeout.max(1));
        Ok(fetch::FetchConfig {
            allow_private: self.allow_private,
            refused: self.refuse_prefix.clone(),
            extra_ca,
            connect_timeout: timeout.min(std::time::Duration::from_secs(10)),
            timeout,
        })
    }
}

/// How MX hosts are probed over SMTP STARTTLS (check, and serve's /api/mx-tls).
#[derive(clap::Args, Clone, Debug)]
struct SmtpArgs {
    /// Do not connect to the MX hosts (port 25): no MX certificate check.
    #[arg(long, env = "MTASTS_NO_SMTP")]
    no_smtp: bool,
    /// Probe this port instead of 25 (test beds).
    #[arg(long, env = "MTASTS_SMTP_PORT", default_value_t = 25)]
    smtp_port: u16,
    /// Wait this many seconds for an MX greeting (postscreen and tarpits
    /// delay it); later replies get half of it, at least 5 s.
    #[arg(long, env = "MTASTS_SMTP_TIMEOUT", default_value_t = 20)]
    smtp_timeout: u64,
    /// The name sent with EHLO.
    #[arg(long, env = "MTASTS_EHLO_NAME", default_value = "mtasts.invalid")]
    ehlo_name: String,
}

impl SmtpArgs {
    fn prober(&self, fetch: &fetch::FetchConfig) -> Result<Option<smtp::Prober>, String> {
        if self.no_smtp {
            return Ok(None);
        }
        let name = self.ehlo_name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "--ehlo-name `{}` is not a host name; give e.g. --ehlo-name checker.example.com",
                self.ehlo_name
            ));
        }
        let wait = std::time::Duration::from_secs(self.smtp_timeout.max(1));
        smtp::Prober::new(smtp::SmtpConfig {
            port: self.smtp_port,
            greeting_timeout: wait,
            reply_timeout: (wait / 2).max(std::time::Duration::from_secs(5)),
            ehlo_name: name.to_string(),
            allow_private: fetch.allow_private,
            refused: fetch.refused.clone(),
            extra_ca: fetch.extra_ca.clone(),
            ..smtp::SmtpConfig::default()
        })
        .map(Some)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Txt,
    Policy,
    Tlsrpt,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Enforce,
    Testing,
    None,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("mtasts: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Lint {
            kind,
            json,
            domain,
            file,
        } => {
            let mut input = read_input(file.as_deref())?;
            let kind = match kind {
                KindArg::Txt => Kind::Txt,
                KindArg::Policy => Kind::Policy,
                KindArg::Tlsrpt => Kind::Tlsrpt,
            };
            if kind != Kind::Policy {
                drop_one_newline(&mut input);
            }
            let domain = match domain {
                Some(d) => Some(domain::normalise(&d).map_err(|e| e.message)?.ascii),
                None => None,
            };
            let result = lint::lint(kind, &input, domain.as_deref());
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?
                );
            } else {
                out!("{}", render::lint(kind, &result, color()));
            }
            Ok(if result.valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::MatchMx { pattern, host } => match mx::matches(&pattern, &host) {
            Ok(true) => {
                outln!("match: `{pattern}` covers `{host}`");
                Ok(ExitCode::SUCCESS)
            }
            Ok(false) => {
                outln!("no match: `{pattern}` does not cover `{host}`");
                Ok(ExitCode::from(1))
            }
            Err(e) => Err(format!("invalid {}: {}", e.what, e.message)),
        },
        Command::Generate {
            domain,
            mode,
            mx,
            max_age,
            id,
            id_hash,
            id_time,
            rua,
            exact_mx,
            ttl,
            hosting,
            plan,
            today,
            json,
        } => {
            let host = match hosting {
                Some(name) => Some(Host::from_id(&name).map_err(|e| e.to_string())?),
                None => None,
            };
            let today = match today {
                Some(day) => date::parse_iso_date(&day).map_err(|e| e.to_string())?,
                None => now(),
            };
            let id = match (id, id_hash, id_time) {
                (Some(id), _, _) => IdStrategy::Manual(id),
                (None, true, _) => IdStrategy::ContentHash,
                (None, false, Some(t)) => IdStrategy::Timestamp(t),
                (None, false, None) => IdStrategy::Timestamp(now()),
            };
            let req = Request {
                domain,
                mode: match mode {
                    ModeArg::Enforce => Mode::Enforce,
                    ModeArg::Testing => Mode::Testing,
                    ModeArg::None => Mode::None,
                },
                mx,
                max_age,
                id,
                rua,
                provider_wildcards: !exact_mx,
                ttl,
            };
            let out = generate::generate(&req).map_err(|e| e.to_string())?;
            let recipe = host.map(|h| hosting::recipe(h, &out.domain, &out.policy));
            let plan = plan.then(|| rollout::plan(&out.domain, out.max_age, today));
            if json {
                let mut v = serde_json::to_value(&out).map_err(|e| e.to_string())?;
                if let Some(obj) = v.as_object_mut() {
                    if let Some(r) = &recipe {
                        obj.insert(
                            "hosting".into(),
                            serde_json::to_value(r).map_err(|e| e.to_string())?,
                        );
                    }
                    if let Some(p) = &plan {
                        obj.insert(
                            "plan".into(),
                            serde_json::to_value(p).map_err(|e| e.to_string())?,
                        );
                    }
                }
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
                );
            } else {
                out!("{}", render::generated(&out));
                if let Some(r) = &recipe {
                    out!("{}", render::recipe(&out.domain, r));
                }
                if let Some(p) = &plan {
                    out!("{}", render::plan(p));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            domain,
            json,
            resolver,
            doh,
            previous_id,
            previous_body,
            fetch,
            smtp,
            bulk,
        } => {
            if bulk.file.is_none() && (bulk.jsonl || bulk.csv) {
                return Err(
                    "--jsonl and --csv write the results of --file FILE; for one domain use --json"
                        .into(),
                );
            }
            if bulk.file.is_some() {
                let (resolver, fetcher, prober) =
                    checker_of(resolver, doh, &fetch, &smtp, bulk.rate)?;
                return runtime()?.block_on(bulk::run(&bulk, resolver, fetcher, prober));
            }
            let domain =
                domain::normalise(domain.as_deref().unwrap_or_default()).map_err(|e| e.message)?;
            let (resolver, fetcher, prober) = checker_of(resolver, doh, &fetch, &smtp, 0)?;
            let previous = match (previous_id, previous_body) {
                (Some(id), Some(path)) => Some(mtasts::sts::report::Previous {
                    id,
                    body: mtasts::sts::report::Body(
                        std::fs::read(&path)
                            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                    ),
                }),
                _ => None,
            };
            let report = runtime()?.block_on(check::check_with(
                &domain,
                &resolver,
                &fetcher,
                previous,
                prober.as_ref(),
            ));
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
                );
            } else {
                out!("{}", render::report(&report, color()));
            }
            Ok(
                if report.verdict == mtasts::sts::report::Verdict::Enforced {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                },
            )
        }
        Command::Watch {
            args,
            resolver,
            doh,
            fetch,
            smtp,
        } => {
            let (resolver, fetcher, prober) = checker_of(resolver, doh, &fetch, &smtp, 0)?;
            match runtime()?.block_on(watch::run(&args, resolver, fetcher, prober)) {
                Ok(code) => Ok(code),
                Err(watch::Stop::Usage(m)) => Err(m),
                Err(watch::Stop::State(m)) => {
                    eprintln!("mtasts: {m}");
                    Ok(ExitCode::from(watch::EXIT_STATE))
                }
            }
        }
        Command::Serve {
            listen,
            dist,
            resolver,
            fetch,
            rate_limit,
            mx_tls_rate_limit,
            smtp,
            limits,
            quiet,
        } => {
            let fetch = fetch.config()?;
            let config = serve::ServeConfig {
                listen,
                dist,
                resolver: resolver_of(resolver, None, &fetch, 0)?,
                prober: smtp.prober(&fetch)?,
                fetch,
                rate_limit,
                mx_tls_rate_limit,
                limits: limits.limits(),
                log: !quiet,
            };
            runtime()?.block_on(serve::serve(config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reports {
            args,
            resolver,
            doh,
            fetch,
            smtp,
        } => {
            let checked = match reports::domain_to_check(&args) {
                Some(d) => {
                    let domain = domain::normalise(d).map_err(|e| e.message)?;
                    let (resolver, fetcher, prober) = checker_of(resolver, doh, &fetch, &smtp, 0)?;
                    Some(runtime()?.block_on(check::check_with(
                        &domain,
                        &resolver,
                        &fetcher,
                        None,
                        prober.as_ref(),
                    )))
                }
                None => None,
            };
            reports::run(args, now(), checked)
        }
        Command::Codes { json } => {
            let entries: Vec<_> = mtasts::sts::Code::ALL
                .iter()
                .map(|c| {
                    let e = c.entry();
                    serde_json::json!({
                        "code": c.as_str(),
                        "severity": e.severity.as_str(),
                        "rfc": e.rfc,
                        "title": e.title,
                        "senders": e.senders,
                    })
                })
                .collect();
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&entries).map_err(|e| e.to_string())?
                );
            } else {
                for c in mtasts::sts::Code::ALL {
                    let e = c.entry();
                    outln!(
                        "{:<28} {:<8} {:<26} {}",
                        c.as_str(),
                        e.severity.as_str(),
                        e.rfc,
                        e.title
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What a check runs with (check, check --file, watch, reports --check):
/// the resolver, the policy fetcher on that resolver, and the MX prober
/// unless `--no-smtp`.
fn checker_of(
    server: Option<String>,
    doh: Option<String>,
    fetch: &FetchArgs,
    smtp: &SmtpArgs,
    max_qps: u32,
) -> Result<(resolve::Resolver, fetch::Fetcher, Option<smtp::Prober>), String> {
    let config = fetch.config()?;
    let prober = smtp.prober(&config)?;
    let resolver = resolver_of(server, doh, &config, max_qps)?;
    let fetcher = fetch::Fetcher::new(config, resolver.clone())?;
    Ok((resolver, fetcher, prober))
}

/// The one resolver of a check or of the proxy: plain DNS to `server`, DoH
/// to `doh`, or plain DNS to the first nameserver of /etc/resolv.conf; at
/// most `max_qps` queries a second (0: no cap).
fn resolver_of(
    server: Option<String>,
    doh: Option<String>,
    fetch: &fetch::FetchConfig,
    max_qps: u32,
) -> Result<resolve::Resolver, String> {
    let transport = match (server, doh) {
        (_, Some(url)) => resolve::Transport::Doh(url),
        (Some(r), None) => resolve::Transport::Dns(parse_server(&r)?),
        (None, None) => resolve::Transport::Dns(
            check::system_nameserver()
                .ok_or("no nameserver in /etc/resolv.conf; name a DNS server with --resolver IP[:PORT] (check and reports also take --doh URL)")?,
        ),
    };
    let mut rc = resolve::ResolverConfig::new(transport);
    rc.extra_ca = fetch.extra_ca.clone();
    rc.max_qps = max_qps;
    resolve::Resolver::new(rc)
}

fn parse_prefix(s: &str) -> Result<mtasts::sts::proxy::Prefix, String> {
    mtasts::sts::proxy::Prefix::parse(s.trim()).map_err(|e| e.message)
}

fn parse_server(s: &str) -> Result<std::net::SocketAddr, String> {
    s.parse::<std::net::SocketAddr>()
        .or_else(|_| {
            s.parse::<std::net::IpAddr>()
                .map(|ip| std::net::SocketAddr::new(ip, 53))
        })
        .map_err(|_| format!("`{s}` is not a DNS server address (IP or IP:PORT)"))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn read_input(file: Option<&str>) -> Result<Vec<u8>, String> {
    match file {
        None | Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(buf)
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}")),
    }
}

fn drop_one_newline(input: &mut Vec<u8>) {
    if input.ends_with(b"\r\n") {
        input.truncate(input.len() - 2);
    } else if input.ends_with(b"\n") {
        input.pop();
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
