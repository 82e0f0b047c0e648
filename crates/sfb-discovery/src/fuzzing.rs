//! Entry points for the fuzz crate: each takes arbitrary bytes and must never panic.

use std::time::{Duration, Instant};

use crate::config::ManualServer;
use crate::domain::{DomainName, SipDomain};

/// Fuzz target: parse a SIP URI and its domain.
pub fn sip_uri(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = SipDomain::from_sip_uri(s);
        let _ = DomainName::parse(s);
        let _ = DomainName::parse_query_name(s);
        let _ = ManualServer::parse(s);
    }
}

/// Fuzz target: decode bytes as a DNS response and feed it to a plan as the answer to its
/// first query.
pub fn dns_answer(data: &[u8]) {
    let Ok(domain) = DomainName::parse("contoso.test") else {
        return;
    };
    let config = crate::DiscoveryConfig::new(SipDomain::from_domain(domain));
    let now = Instant::now();
    let mut plan = crate::Discovery::new(config, Box::new(crate::SplitMix64::new(1)), now);
    if let Some(crate::Output::Query { id, .. }) = plan.poll_output()
        && let Ok(input) = crate::driver::decode_response(id, data, Duration::ZERO)
    {
        plan.handle_input(now, input);
    }
    while plan
        .poll_output()
        .is_some_and(|o| !matches!(o, crate::Output::Timeout(_)))
    {}
}

pub use crate::autodiscover::fuzzing::{documents, http_response};

/// Fuzz target: a whole autodiscover walk scripted from the bytes.
pub fn walk(data: &[u8]) {
    let _steps = crate::autodiscover::fuzzing::walk(data);
}
