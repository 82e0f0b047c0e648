//! What a discovery yields: ordered SIP endpoints, autodiscover hosts and the evidence trail.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::domain::{DomainName, SipDomain};
use crate::evidence::QueryEvidence;
use crate::trust::TrustVerdict;

/// Transport of a SIP endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// SIP over TLS.
    Tls,
    /// SIP over TCP (legacy `_sipinternal._tcp`).
    Tcp,
}

/// Which record of the plan an endpoint came from, in the client's order (protocol.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointSource {
    /// `_sipinternaltls._tcp.<domain>` SRV.
    SrvInternalTls,
    /// `_sipinternal._tcp.<domain>` SRV (legacy, TCP).
    SrvInternalTcp,
    /// `_sip._tls.<domain>` SRV.
    SrvExternalTls,
    /// `sipinternal.<domain>` A/AAAA fallback.
    HostSipInternal,
    /// `sip.<domain>` A/AAAA fallback.
    HostSip,
    /// `sipexternal.<domain>` A/AAAA fallback.
    HostSipExternal,
    /// The bare SIP domain (\[IMPL\] last resort).
    BareDomain,
    /// A manually configured server.
    Manual,
}

/// Inside or outside the corporate network, as the record's name implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// Internal (Front End pool or Director).
    Internal,
    /// External (Access Edge, reverse proxy).
    External,
    /// Not implied by the record.
    Unknown,
}

/// One candidate SIP endpoint, to be tried in the order of [`DiscoveryResult::endpoints`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Host to connect to (and to check the certificate against).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport.
    pub transport: Transport,
    /// The record it came from.
    pub source: EndpointSource,
    /// Is the host trusted without a prompt (see `trust`)?
    pub trusted: bool,
    /// The trust verdict in full.
    pub trust: TrustVerdict,
    /// The record chain that led here, e.g. `_sip._tls.contoso.com SRV -> sip.contoso.com:443`.
    pub record: String,
    /// Internal or external.
    pub location: Location,
    /// Every address of the host: A records first, then AAAA, each in answer order. Empty
    /// when the host did not resolve (an SRV target is kept anyway, as evidence).
    pub addresses: Vec<IpAddr>,
    /// CNAMEs followed from the host to its addresses.
    pub cname_chain: Vec<DomainName>,
    /// SRV priority, for SRV endpoints.
    pub priority: Option<u16>,
    /// SRV weight, for SRV endpoints.
    pub weight: Option<u16>,
}

/// An autodiscover host (`lyncdiscoverinternal.<d>`, `lyncdiscover.<d>`): here only whether it
/// resolves; the HTTP part runs later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutodiscoverHost {
    /// Host name.
    pub host: DomainName,
    /// Internal (`lyncdiscoverinternal`) or external (`lyncdiscover`).
    pub location: Location,
    /// Does it resolve to at least one address?
    pub exists: bool,
    /// Every address: A first, then AAAA.
    pub addresses: Vec<IpAddr>,
    /// CNAMEs followed.
    pub cname_chain: Vec<DomainName>,
    /// The trust verdict on the name the client connects to: the queried `lyncdiscover*` name,
    /// which is the `Host`, the TLS name and the name the HTTPS certificate is validated
    /// against, whatever CNAMEs DNS follows. A CNAME is DNS indirection, not a server the client
    /// discovers: the Lync 2010+ trust check applies to servers found through SRV/A lookups and
    /// counts servers reached through a redirect from a trusted server as trusted (Jens Trier,
    /// "Lync cannot verify that the server is trusted for your sign-in address", TechNet 2011);
    /// Office 365 requires `lyncdiscover.<domain> CNAME webdir.online.lync.com` (protocol.md
    /// §1.1) and those clients sign in. The web-services FQDNs of the autodiscover *document*
    /// are judged by the autodiscover walk, not here.
    pub trust: TrustVerdict,
    /// When a CNAME chain was followed: the verdict on its last name, for the report only (an
    /// alias into another domain is a note in [`DiscoveryResult::notes`], never a violation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cname_target_trust: Option<TrustVerdict>,
}

/// The outcome of a discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryResult {
    /// The SIP domain.
    pub sip_domain: SipDomain,
    /// Autodiscover hosts, internal first.
    pub autodiscover: Vec<AutodiscoverHost>,
    /// Candidate SIP endpoints in the order the client tries them.
    pub endpoints: Vec<Endpoint>,
    /// Every query, in the order of issue.
    pub evidence: Vec<QueryEvidence>,
    /// The per-query timeout used, milliseconds (one attempt per query).
    pub query_timeout_ms: u64,
    /// The total discovery budget used, milliseconds.
    pub budget_ms: u64,
    /// Did the total budget run out before the plan finished?
    pub budget_exhausted: bool,
    /// Tiers never started (budget, or `stop_at_first_sip_tier`).
    pub skipped_tiers: Vec<String>,
    /// Observations for the report, e.g. several SRV targets sharing a priority.
    pub notes: Vec<String>,
}
