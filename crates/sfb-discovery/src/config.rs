//! Knobs of the lookup plan: bounds, options, limits and the manual server.

use std::net::IpAddr;
use std::time::Duration;

use crate::domain::{DomainError, DomainName, SipDomain};

/// Default per-query timeout: one attempt, no retry.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(2);
/// Default total discovery budget.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(10);
/// Port used for a manual server given without one (SIP over TLS, internal).
pub const DEFAULT_SIP_TLS_PORT: u16 = 5061;

/// Resource limits against hostile or broken DNS data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most queries one discovery sends.
    pub max_queries: usize,
    /// Most records read from one answer section.
    pub max_records_per_answer: usize,
    /// Longest CNAME chain followed.
    pub max_cname_chain: usize,
    /// Most SRV targets kept per SRV name.
    pub max_srv_targets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_queries: 96,
            max_records_per_answer: 64,
            max_cname_chain: 8,
            max_srv_targets: 16,
        }
    }
}

/// A manually configured server (`--server HOST[:PORT]`): DNS is skipped except the address
/// lookup of a host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualServer {
    /// Host name or address literal.
    pub host: ManualHost,
    /// Port.
    pub port: u16,
}

/// The host of a manual server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManualHost {
    /// A name, resolved with A/AAAA.
    Name(DomainName),
    /// An address literal, not resolved.
    Ip(IpAddr),
}

/// Why a `HOST[:PORT]` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerSpecError {
    /// The port is not a number in 1..=65535.
    #[error("port {0:?} is not a number in 1..=65535")]
    BadPort(String),
    /// An IPv6 literal without its closing bracket.
    #[error("ipv6 literal is missing its closing bracket")]
    UnclosedBracket,
    /// The host is neither an address nor a valid host name.
    #[error("server host is invalid: {0}")]
    Host(#[from] DomainError),
}

impl ManualServer {
    /// Parses `host`, `host:port`, `1.2.3.4:port`, `[v6]` or `[v6]:port`; port
    /// [`DEFAULT_SIP_TLS_PORT`] when none is given.
    pub fn parse(input: &str) -> Result<Self, ServerSpecError> {
        Self::parse_with_default_port(input, DEFAULT_SIP_TLS_PORT)
    }

    /// [`ManualServer::parse`] with another default port (88 for a `--kdc`).
    pub fn parse_with_default_port(
        input: &str,
        default_port: u16,
    ) -> Result<Self, ServerSpecError> {
        let (host, port) = if let Some(rest) = input.strip_prefix('[') {
            let (v6, after) = rest
                .split_once(']')
                .ok_or(ServerSpecError::UnclosedBracket)?;
            let port = after.strip_prefix(':');
            if port.is_none() && !after.is_empty() {
                return Err(ServerSpecError::BadPort(after.chars().take(16).collect()));
            }
            (v6, port)
        } else if input.matches(':').count() > 1 {
            (input, None) // a bare IPv6 literal
        } else {
            match input.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (input, None),
            }
        };
        let port = match port {
            None => default_port,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n != 0 => n,
                _ => return Err(ServerSpecError::BadPort(p.chars().take(16).collect())),
            },
        };
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => ManualHost::Ip(ip),
            Err(_) => ManualHost::Name(DomainName::parse(host)?),
        };
        Ok(Self { host, port })
    }
}

/// Everything the plan needs to know before it starts.
#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    /// The SIP domain of the sign-in address.
    pub sip_domain: SipDomain,
    /// Extra trusted domains (`--trust`).
    pub trusted_domains: Vec<DomainName>,
    /// Per-query timeout (one attempt).
    pub query_timeout: Duration,
    /// Total discovery budget.
    pub budget: Duration,
    /// Also ask the legacy `_sipinternal._tcp` SRV (only "if TCP is allowed").
    pub legacy_tcp: bool,
    /// Also try the bare SIP domain as a last resort (\[IMPL\] pidgin-sipe).
    pub bare_domain: bool,
    /// Stop after the first SIP tier (SRV, then A fallbacks) that yields an endpoint, as the
    /// client does; by default every tier is asked so the evidence is complete.
    pub stop_at_first_sip_tier: bool,
    /// Skip DNS and use this server (`--server`).
    pub manual_server: Option<ManualServer>,
    /// The DNS server the driver asks, recorded in the evidence.
    pub dns_server: Option<String>,
    /// Resource limits.
    pub limits: Limits,
}

impl DiscoveryConfig {
    /// Defaults for a SIP domain: 2 s per query, 10 s in total, no legacy TCP, no bare domain.
    pub fn new(sip_domain: SipDomain) -> Self {
        Self {
            sip_domain,
            trusted_domains: Vec::new(),
            query_timeout: DEFAULT_QUERY_TIMEOUT,
            budget: DEFAULT_BUDGET,
            legacy_tcp: false,
            bare_domain: false,
            stop_at_first_sip_tier: false,
            manual_server: None,
            dns_server: None,
            limits: Limits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_specs() {
        let s = ManualServer::parse("pool.contoso.com").unwrap();
        assert_eq!(s.port, 5061);
        assert!(matches!(s.host, ManualHost::Name(ref n) if n.as_str() == "pool.contoso.com"));
        let s = ManualServer::parse("10.1.2.3:443").unwrap();
        assert_eq!(
            (s.host, s.port),
            (ManualHost::Ip("10.1.2.3".parse().unwrap()), 443)
        );
        let s = ManualServer::parse("[::1]:5062").unwrap();
        assert_eq!(
            (s.host, s.port),
            (ManualHost::Ip("::1".parse().unwrap()), 5062)
        );
        assert_eq!(ManualServer::parse("::1").unwrap().port, 5061);
        assert_eq!(
            ManualServer::parse("a.com:0"),
            Err(ServerSpecError::BadPort("0".into()))
        );
        assert_eq!(
            ManualServer::parse("a.com:99999"),
            Err(ServerSpecError::BadPort("99999".into()))
        );
        assert_eq!(
            ManualServer::parse("[::1"),
            Err(ServerSpecError::UnclosedBracket)
        );
        assert_eq!(
            ManualServer::parse("a_b.com"),
            Err(ServerSpecError::Host(DomainError::InvalidChar {
                ch: '_',
                offset: 1
            }))
        );
    }
}
