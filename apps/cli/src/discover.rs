//! `sfb discover <sip-uri>`: step 1 only. Runs the DNS lookup plan (sfb-discovery) and prints
//! the queries as they went, the endpoints in the order a client tries them, and the trust
//! verdict of each. `--json` prints the whole result as one object.

use sfb_discovery::driver::{discover, parse_dns_server, system_dns_server};
use sfb_discovery::{
    DiscoveryConfig, DiscoveryResult, DomainName, ManualServer, SipDomain, SplitMix64, TrustVerdict,
};
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

/// JSON schema version of `sfb discover --json`.
const SCHEMA: u32 = 1;

/// Options of `sfb discover`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The user's SIP URI (`sip:alice@contoso.com` or `alice@contoso.com`).
    sip_uri: String,
    /// Name server to ask instead of the system's (first `nameserver` of /etc/resolv.conf).
    #[arg(long, value_name = "ADDR[:PORT]")]
    dns: Option<String>,
    /// Extra trusted domain for strict DNS naming (repeatable).
    #[arg(long = "trust", value_name = "DOMAIN")]
    trust: Vec<String>,
    /// Skip the lookup plan: connect here (manual configuration; only its addresses are looked up).
    #[arg(long, value_name = "HOST[:PORT]")]
    server: Option<String>,
    /// Also try the legacy `_sipinternal._tcp` SRV record (SIP over TCP).
    #[arg(long)]
    legacy_tcp: bool,
    /// As a last resort, also try the bare SIP domain.
    #[arg(long)]
    bare_domain: bool,
    /// Per-query timeout in milliseconds (one attempt per query).
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    query_timeout_ms: u64,
    /// Budget for the whole discovery in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    budget_ms: u64,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs the command: 0 endpoints found, 1 none found, 2 usage error.
pub(crate) fn run(args: &Args) -> ExitCode {
    let config = match config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match args.dns.as_deref() {
        Some(s) => parse_dns_server(s).map_err(|e| format!("--dns {s}: {e}")),
        None => system_dns_server().map_err(|e| {
            format!("no system name server ({e})\n  hint: name one with --dns ADDR[:PORT]")
        }),
    };
    let server = match server {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    let result = runtime.block_on(discover(
        config,
        server,
        Box::new(SplitMix64::from_entropy()),
    ));
    if args.json {
        match to_json(&result) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: cannot serialise the result: {e}");
                return ExitCode::from(3);
            }
        }
    } else {
        print!("{}", render_text(&result, &server.to_string()));
    }
    if result.endpoints.is_empty() {
        if !args.json {
            eprintln!("error: no SIP endpoint found for {}", result.sip_domain);
        }
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn config(args: &Args) -> Result<DiscoveryConfig, String> {
    let domain = SipDomain::from_sip_uri(&args.sip_uri)
        .map_err(|e| format!("invalid SIP URI {:?}: {e}", args.sip_uri))?;
    let mut config = DiscoveryConfig::new(domain);
    for t in &args.trust {
        config
            .trusted_domains
            .push(DomainName::parse(t).map_err(|e| format!("--trust {t:?}: {e}"))?);
    }
    if let Some(s) = &args.server {
        config.manual_server =
            Some(ManualServer::parse(s).map_err(|e| format!("--server {s:?}: {e}"))?);
    }
    config.legacy_tcp = args.legacy_tcp;
    config.bare_domain = args.bare_domain;
    if args.query_timeout_ms == 0 || args.budget_ms == 0 {
        return Err("--query-timeout-ms and --budget-ms must be positive".into());
    }
    config.query_timeout = Duration::from_millis(args.query_timeout_ms);
    config.budget = Duration::from_millis(args.budget_ms);
    Ok(config)
}

fn to_json(result: &DiscoveryResult) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(result)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("schema".into(), SCHEMA.into());
    }
    serde_json::to_string_pretty(&value)
}

/// The human-readable report: bounds, every query in order, endpoints, notes.
fn render_text(r: &DiscoveryResult, server: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "discovery for {} (name server {server}, per-query timeout {} ms, budget {} ms)",
        r.sip_domain, r.query_timeout_ms, r.budget_ms
    );
    let _ = writeln!(s, "\nqueries, in the order they were asked:");
    for q in &r.evidence {
        let answers = if q.answers.is_empty() {
            String::new()
        } else {
            let data: Vec<String> = q.answers.iter().map(|a| a.data.to_string()).collect();
            format!(" -> {}", data.join(", "))
        };
        let ttl = q.ttl.map(|t| format!(" ttl {t}")).unwrap_or_default();
        let _ = writeln!(
            s,
            "  {:<6} {:<48} {:<16} {:>5} ms{ttl}{answers}",
            q.rtype.to_string(),
            q.name.to_string(),
            q.outcome.label(),
            q.duration_ms
        );
    }
    if r.budget_exhausted {
        let _ = writeln!(s, "  (the discovery budget ran out)");
    }
    if !r.autodiscover.is_empty() {
        let _ = writeln!(s, "\nautodiscover hosts:");
        for a in &r.autodiscover {
            let state = if a.exists { "resolves" } else { "absent" };
            let _ = writeln!(s, "  {:<48} {state} {:?}", a.host.to_string(), a.addresses);
        }
    }
    let _ = writeln!(s, "\nendpoints, in the order a client tries them:");
    if r.endpoints.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for (i, e) in r.endpoints.iter().enumerate() {
        let addrs: Vec<String> = e.addresses.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            s,
            "  {}. {}:{} {} from {} [{}] addresses [{}] {}",
            i + 1,
            e.host,
            e.port,
            format!("{:?}", e.transport).to_lowercase(),
            e.record,
            format!("{:?}", e.location).to_lowercase(),
            addrs.join(", "),
            trust_text(&e.trust)
        );
    }
    for n in &r.notes {
        let _ = writeln!(s, "note: {n}");
    }
    for t in &r.skipped_tiers {
        let _ = writeln!(s, "skipped: {t}");
    }
    s
}

fn trust_text(t: &TrustVerdict) -> String {
    match t {
        TrustVerdict::SipDomain => "trusted (in the SIP domain)".into(),
        TrustVerdict::TrustedDomain { domain } => format!("trusted (trusted domain {domain})"),
        TrustVerdict::Manual => "trusted (configured by hand)".into(),
        TrustVerdict::Violation { chain } => format!("NOT TRUSTED: strict DNS naming, {chain}"),
    }
}
