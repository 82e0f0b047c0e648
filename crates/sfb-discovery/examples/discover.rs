//! Runs the lookup plan and prints the result as JSON.
//!
//! `cargo run -p sfb-discovery --example discover -- sip:alice@contoso.com [--dns ADDR[:PORT]]
//! [--trust DOMAIN]... [--server HOST[:PORT]] [--legacy-tcp] [--bare-domain] [--first-hit]
//! [--timeout-ms N] [--budget-ms N]`

#![allow(clippy::print_stdout, clippy::print_stderr)] // reason: a command-line example

use std::process::ExitCode;
use std::time::Duration;

use sfb_discovery::driver::{discover, parse_dns_server, system_dns_server};
use sfb_discovery::{DiscoveryConfig, DomainName, ManualServer, SipDomain, SplitMix64};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let uri = args.next().ok_or("usage: discover SIP-URI [options]")?;
    let mut config =
        DiscoveryConfig::new(SipDomain::from_sip_uri(&uri).map_err(|e| e.to_string())?);
    let mut server = None;
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--dns" => server = Some(parse_dns_server(&value()?).map_err(|e| e.to_string())?),
            "--trust" => config
                .trusted_domains
                .push(DomainName::parse(&value()?).map_err(|e| e.to_string())?),
            "--server" => {
                config.manual_server =
                    Some(ManualServer::parse(&value()?).map_err(|e| e.to_string())?)
            }
            "--legacy-tcp" => config.legacy_tcp = true,
            "--bare-domain" => config.bare_domain = true,
            "--first-hit" => config.stop_at_first_sip_tier = true,
            "--timeout-ms" => config.query_timeout = Duration::from_millis(ms(&value()?)?),
            "--budget-ms" => config.budget = Duration::from_millis(ms(&value()?)?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let server = match server {
        Some(s) => s,
        None => system_dns_server().map_err(|e| e.to_string())?,
    };
    let result = discover(config, server, Box::new(SplitMix64::from_entropy())).await;
    println!(
        "{}",
        serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?
    );
    Ok(())
}

fn ms(s: &str) -> Result<u64, String> {
    s.parse()
        .map_err(|_| format!("{s:?} is not a number of milliseconds"))
}
