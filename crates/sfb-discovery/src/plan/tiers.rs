//! The tiers of the plan in the client's order (protocol.md §1.1) and the A/AAAA fallback table.

use crate::config::{DiscoveryConfig, ManualHost};
use crate::domain::DomainName;
use crate::result::{EndpointSource, Location, Transport};

use super::{HostLookup, SrvLookup};

/// What a tier is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TierKind {
    Autodiscover,
    Srv,
    HostFallback,
    BareDomain,
    Manual,
}

impl TierKind {
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Autodiscover => "autodiscover",
            Self::Srv => "srv",
            Self::HostFallback => "host_fallback",
            Self::BareDomain => "bare_domain",
            Self::Manual => "manual",
        }
    }
}

/// An SRV name of a tier.
#[derive(Debug, Clone)]
pub(super) struct SrvEntry {
    pub(super) name: DomainName,
    pub(super) label: &'static str,
    pub(super) source: EndpointSource,
    pub(super) transport: Transport,
    pub(super) location: Location,
    pub(super) lookup: Option<usize>,
}

/// A host:port of a tier.
#[derive(Debug, Clone)]
pub(super) struct HostEntry {
    pub(super) name: DomainName,
    pub(super) port: u16,
    pub(super) source: EndpointSource,
    pub(super) location: Location,
    pub(super) lookup: Option<usize>,
}

/// One tier: its names are asked in parallel and evaluated in the order listed.
#[derive(Debug, Clone)]
pub(super) struct Tier {
    pub(super) kind: TierKind,
    pub(super) srvs: Vec<SrvEntry>,
    pub(super) hosts: Vec<HostEntry>,
}

/// The A/AAAA fallback table, host prefix and port in the order tried.
///
/// \[MSDOC\] Lync 2013 "Determine DNS requirements" rows 6–8 (`sipinternal`, `sip`, `sipexternal`
/// A records); ports from the Communicator Phone Edition docs \[MSDOC\] and KB 2619522 as cited by
/// pidgin-sipe \[IMPL\]: `sipinternal:5061`, `sip:5061`, `sip:443`, `sipexternal:443`.
pub(super) const HOST_FALLBACKS: [(&str, u16, EndpointSource, Location); 4] = [
    (
        "sipinternal",
        5061,
        EndpointSource::HostSipInternal,
        Location::Internal,
    ),
    ("sip", 5061, EndpointSource::HostSip, Location::Internal),
    ("sip", 443, EndpointSource::HostSip, Location::External),
    (
        "sipexternal",
        443,
        EndpointSource::HostSipExternal,
        Location::External,
    ),
];

/// Builds the tiers for a configuration.
pub(super) fn plan(config: &DiscoveryConfig) -> Vec<Tier> {
    let d = config.sip_domain.name();
    if let Some(m) = &config.manual_server {
        let hosts = match &m.host {
            ManualHost::Name(n) => vec![HostEntry {
                name: n.clone(),
                port: m.port,
                source: EndpointSource::Manual,
                location: Location::Unknown,
                lookup: None,
            }],
            ManualHost::Ip(_) => Vec::new(),
        };
        return vec![Tier {
            kind: TierKind::Manual,
            srvs: Vec::new(),
            hosts,
        }];
    }
    // [MSDOC] rows 1–2: lyncdiscoverinternal, then lyncdiscover (A/AAAA or CNAME).
    let autodiscover = [
        ("lyncdiscoverinternal", Location::Internal),
        ("lyncdiscover", Location::External),
    ]
    .into_iter()
    .map(|(p, location)| HostEntry {
        name: d.with_prefix(p),
        port: 443,
        source: EndpointSource::Manual, // unused for autodiscover hosts
        location,
        lookup: None,
    })
    .collect();
    // [MSDOC] rows 3–5: _sipinternaltls._tcp, _sipinternal._tcp (only if TCP is allowed), _sip._tls.
    let mut srvs = vec![srv(
        d,
        "_sipinternaltls._tcp",
        EndpointSource::SrvInternalTls,
        Transport::Tls,
        Location::Internal,
    )];
    if config.legacy_tcp {
        srvs.push(srv(
            d,
            "_sipinternal._tcp",
            EndpointSource::SrvInternalTcp,
            Transport::Tcp,
            Location::Internal,
        ));
    }
    srvs.push(srv(
        d,
        "_sip._tls",
        EndpointSource::SrvExternalTls,
        Transport::Tls,
        Location::External,
    ));
    let fallbacks = HOST_FALLBACKS
        .iter()
        .map(|&(p, port, source, location)| HostEntry {
            name: d.with_prefix(p),
            port,
            source,
            location,
            lookup: None,
        })
        .collect();
    let mut tiers = vec![
        Tier {
            kind: TierKind::Autodiscover,
            srvs: Vec::new(),
            hosts: autodiscover,
        },
        Tier {
            kind: TierKind::Srv,
            srvs,
            hosts: Vec::new(),
        },
        Tier {
            kind: TierKind::HostFallback,
            srvs: Vec::new(),
            hosts: fallbacks,
        },
    ];
    if config.bare_domain {
        // [IMPL] pidgin-sipe: as a last resort, connect to the bare SIP domain.
        tiers.push(Tier {
            kind: TierKind::BareDomain,
            srvs: Vec::new(),
            hosts: vec![HostEntry {
                name: d.clone(),
                port: 5061,
                source: EndpointSource::BareDomain,
                location: Location::Unknown,
                lookup: None,
            }],
        });
    }
    tiers
}

fn srv(
    d: &DomainName,
    prefix: &'static str,
    source: EndpointSource,
    transport: Transport,
    location: Location,
) -> SrvEntry {
    SrvEntry {
        name: d.with_prefix(prefix),
        label: prefix,
        source,
        transport,
        location,
        lookup: None,
    }
}

impl Tier {
    /// Every lookup of the tier, and of the SRV targets it found, has an outcome.
    pub(super) fn is_done(&self, hosts: &[HostLookup], srvs: &[SrvLookup]) -> bool {
        let host_done = |i: usize| hosts.get(i).is_none_or(HostLookup::is_done);
        self.hosts.iter().all(|h| h.lookup.is_some_and(host_done))
            && self.srvs.iter().all(|s| {
                s.lookup.and_then(|i| srvs.get(i)).is_some_and(|l| {
                    l.done && l.answers.iter().filter_map(|a| a.host).all(host_done)
                })
            })
    }

    /// A SIP tier (not autodiscover).
    pub(super) fn is_sip(&self) -> bool {
        self.kind != TierKind::Autodiscover
    }

    /// Did the tier yield at least one endpoint?
    pub(super) fn has_endpoint(&self, hosts: &[HostLookup], srvs: &[SrvLookup]) -> bool {
        let resolves = |i: Option<usize>| {
            i.and_then(|i| hosts.get(i))
                .is_some_and(|h| !h.addresses().is_empty())
        };
        self.hosts.iter().any(|h| resolves(h.lookup))
            || self.srvs.iter().any(|s| {
                s.lookup
                    .and_then(|i| srvs.get(i))
                    .is_some_and(|l| l.answers.iter().any(|a| a.host.is_some()))
            })
    }
}
