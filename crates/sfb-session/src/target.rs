//! What to connect to: a host, a port, every address in order, and the name to check.

use std::net::IpAddr;

use sfb_discovery::{Endpoint, EndpointSource, QueryEvidence, QueryOutcome, Rcode};
use sfb_trace::{DnsEvidence, NameSource};

/// One candidate endpoint, with every address of its host in the order to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTarget {
    /// The host (for the report).
    pub host: String,
    /// The port.
    pub port: u16,
    /// Every address, in order (A first, then AAAA, as discovery gives them).
    pub addresses: Vec<IpAddr>,
    /// The name sent in SNI and checked against the certificate (usually `host`).
    pub expected_name: String,
    /// Where the name came from.
    pub name_source: NameSource,
}

impl ConnectTarget {
    /// A target whose certificate must name its host.
    pub fn new(host: &str, port: u16, addresses: Vec<IpAddr>, name_source: NameSource) -> Self {
        Self {
            host: host.to_owned(),
            port,
            addresses,
            expected_name: host.to_owned(),
            name_source,
        }
    }

    /// From a discovered endpoint (the certificate must name the SRV target or A name itself).
    pub fn from_endpoint(ep: &Endpoint) -> Self {
        let host = ep.host.trim_end_matches('.');
        Self::new(host, ep.port, ep.addresses.clone(), name_source(ep.source))
    }
}

/// Where a discovered endpoint's name came from.
pub fn name_source(source: EndpointSource) -> NameSource {
    match source {
        EndpointSource::SrvInternalTls
        | EndpointSource::SrvInternalTcp
        | EndpointSource::SrvExternalTls => NameSource::SrvTarget,
        EndpointSource::HostSipInternal
        | EndpointSource::HostSip
        | EndpointSource::HostSipExternal => NameSource::AFallback,
        EndpointSource::BareDomain => NameSource::BareDomain,
        EndpointSource::Manual => NameSource::Manual,
    }
}

/// Converts discovery's DNS evidence into the trace's.
pub fn dns_evidence(q: &QueryEvidence) -> DnsEvidence {
    let detail = match &q.outcome {
        QueryOutcome::TransportError { detail } => Some(detail.clone()),
        _ => None,
    };
    DnsEvidence {
        name: q.name.to_string(),
        rtype: q.rtype.to_string(),
        purpose: q.purpose.clone(),
        outcome: q.outcome.label().to_owned(),
        detail,
        rcode: q.rcode.map(rcode_text),
        answers: q
            .answers
            .iter()
            .map(|r| format!("{} {} {}", r.name, r.ttl, r.data))
            .collect(),
        cname_chain: q.cname_chain.iter().map(ToString::to_string).collect(),
        ttl: q.ttl,
        elapsed_ms: Some(q.duration_ms),
    }
}

/// The lower-case name of a response code (RFC 6895 §2.3).
fn rcode_text(r: Rcode) -> String {
    match r {
        Rcode::NoError => "noerror".to_owned(),
        Rcode::FormErr => "formerr".to_owned(),
        Rcode::ServFail => "servfail".to_owned(),
        Rcode::NxDomain => "nxdomain".to_owned(),
        Rcode::Refused => "refused".to_owned(),
        Rcode::Other(n) => format!("rcode{n}"),
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use sfb_discovery::{DomainName, Record, RecordData, RecordType};

    use super::*;

    #[test]
    fn discovery_evidence_converts() {
        let q = QueryEvidence {
            id: 3,
            name: DomainName::parse("sip.contoso.com").unwrap(),
            rtype: RecordType::A,
            purpose: "address of an SRV target".into(),
            outcome: QueryOutcome::Answer,
            rcode: Some(Rcode::NoError),
            answers: vec![Record {
                name: "sip.contoso.com".into(),
                ttl: 60,
                data: RecordData::A {
                    address: Ipv4Addr::new(10, 0, 0, 5),
                },
            }],
            cname_chain: vec![],
            ttl: Some(60),
            duration_ms: 4,
            server: None,
            dropped_records: 0,
        };
        let d = dns_evidence(&q);
        assert_eq!(
            (d.name.as_str(), d.rtype.as_str(), d.outcome.as_str()),
            ("sip.contoso.com", "A", "answer")
        );
        assert_eq!(d.rcode.as_deref(), Some("noerror"));
        assert_eq!(d.answers, vec!["sip.contoso.com 60 A 10.0.0.5".to_owned()]);
        assert_eq!(d.elapsed_ms, Some(4));
        let q = QueryEvidence {
            outcome: QueryOutcome::TransportError {
                detail: "socket closed".into(),
            },
            rcode: Some(Rcode::Other(9)),
            ..q
        };
        let d = dns_evidence(&q);
        assert_eq!(
            (d.detail.as_deref(), d.rcode.as_deref()),
            (Some("socket closed"), Some("rcode9"))
        );
    }

    #[test]
    fn endpoint_sources_name_where_the_name_came_from() {
        assert_eq!(
            name_source(EndpointSource::SrvExternalTls),
            NameSource::SrvTarget
        );
        assert_eq!(name_source(EndpointSource::HostSip), NameSource::AFallback);
        assert_eq!(name_source(EndpointSource::Manual), NameSource::Manual);
        assert_eq!(
            name_source(EndpointSource::BareDomain),
            NameSource::BareDomain
        );
    }
}
