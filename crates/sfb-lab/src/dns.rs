//! The lab's DNS: the `contoso.test` zone (and `fabrikam.test` for `srv-outside-domain`),
//! served by an in-process hickory-server over UDP and TCP on one ephemeral loopback port.
//!
//! [`ZoneRecord`]s are built by [`zone_records`] from where the roles listen, so that the SRV
//! records carry the ephemeral ports.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::rdata::{A, AAAA, SOA, SRV};
use hickory_proto::rr::{Name, RData, Record};
use hickory_server::Server;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use tokio::net::{TcpListener, UdpSocket};

use crate::scenario::Scenario;

/// The lab's SIP domain.
pub const SIP_DOMAIN: &str = "contoso.test";
/// The foreign domain of `srv-outside-domain`.
pub const FOREIGN_DOMAIN: &str = "fabrikam.test";

/// One record of the zone, in a form tests can compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneRecord {
    /// An A or AAAA record.
    Address {
        /// Owner name, without the trailing dot.
        name: String,
        /// The address.
        ip: IpAddr,
    },
    /// An SRV record.
    Srv {
        /// Owner name, e.g. `_sipinternaltls._tcp.contoso.test`.
        name: String,
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target host.
        target: String,
    },
}

/// Where the roles are, as the zone publishes them.
#[derive(Debug, Clone)]
pub struct ZoneInput {
    /// The loopback address every name resolves to.
    pub ip: IpAddr,
    /// The Director's FQDN and published port.
    pub director: (String, u16),
    /// The Access Edge's FQDN and published port.
    pub edge: (String, u16),
    /// The home pools' FQDNs.
    pub pools: Vec<String>,
    /// The web names (`lyncdiscover*`, the WebTicket host).
    pub web: Vec<String>,
    /// Serve what the Internet sees (no internal SRV, no internal names), so a client signs
    /// in through the Access Edge; the Edge scenarios always do.
    pub external_view: bool,
    /// The lab's KDC port, published inside as `_kerberos._tcp.<domain>` SRV to
    /// [`KDC_HOST`] (what a domain controller's records give a client locating the realm's
    /// KDC, realm = the domain upper-cased).
    pub kdc_port: Option<u16>,
}

/// The KDC's host name in the zone (the `_kerberos._tcp` SRV target).
pub const KDC_HOST: &str = "dc01.contoso.test";

/// The `_sipinternaltls._tcp` target in `srv-outside-domain`.
pub const FOREIGN_DIRECTOR: &str = "sip.fabrikam.test";
/// The `_sip._tls` target in `srv-outside-domain`.
pub const FOREIGN_EDGE: &str = "sipedge.fabrikam.test";

/// The records the zone serves in `scenario`.
pub fn zone_records(input: &ZoneInput, scenario: Scenario) -> Vec<ZoneRecord> {
    if scenario == Scenario::NoDnsRecords {
        return Vec::new();
    }
    let addr = |name: &str| ZoneRecord::Address {
        name: name.to_owned(),
        ip: input.ip,
    };
    let srv = |name: &str, port: u16, target: &str| ZoneRecord::Srv {
        name: name.to_owned(),
        priority: 0,
        weight: 0,
        port,
        target: target.to_owned(),
    };
    let (director, edge) = if scenario == Scenario::SrvOutsideDomain {
        (FOREIGN_DIRECTOR.to_owned(), FOREIGN_EDGE.to_owned())
    } else {
        (input.director.0.clone(), input.edge.0.clone())
    };
    // The Edge scenarios are about external users: the zone is what the Internet sees (no
    // internal SRV, no internal names), so the client signs in through the Access Edge.
    let external_view = input.external_view
        || matches!(
            scenario,
            Scenario::RemoteAccessDisabled | Scenario::EdgeNextHopDown
        );
    let mut out = Vec::new();
    if !external_view {
        out.push(srv(
            &format!("_sipinternaltls._tcp.{SIP_DOMAIN}"),
            input.director.1,
            &director,
        ));
    }
    out.push(srv(&format!("_sip._tls.{SIP_DOMAIN}"), input.edge.1, &edge));
    if let (Some(port), false) = (input.kdc_port, external_view) {
        out.push(srv(&format!("_kerberos._tcp.{SIP_DOMAIN}"), port, KDC_HOST));
        out.push(addr(KDC_HOST));
    }
    let mut hosts = vec![
        director,
        edge,
        input.director.0.clone(),
        input.edge.0.clone(),
    ];
    hosts.extend(input.pools.iter().cloned());
    hosts.extend(input.web.iter().cloned());
    hosts.push(format!("sipinternal.{SIP_DOMAIN}"));
    hosts.push(format!("sipexternal.{SIP_DOMAIN}"));
    let internal_name =
        |h: &str| h.starts_with("sipinternal.") || h.starts_with("lyncdiscoverinternal.");
    let mut seen = std::collections::HashSet::new();
    for h in hosts {
        if external_view && internal_name(&h) {
            continue;
        }
        if seen.insert(h.clone()) {
            out.push(addr(&h));
        }
    }
    out
}

/// Why the DNS server could not start.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// A name is not a DNS name.
    #[error("bad DNS name {name:?}: {reason}")]
    Name {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Binding failed.
    #[error("bind: {0}")]
    Bind(#[from] std::io::Error),
}

fn name(s: &str) -> Result<Name, DnsError> {
    Name::from_str(&format!("{}.", s.trim_end_matches('.'))).map_err(|e| DnsError::Name {
        name: s.to_owned(),
        reason: e.to_string(),
    })
}

/// A running name server.
pub struct DnsServer {
    /// Where it answers (UDP and TCP).
    pub addr: SocketAddr,
    server: Server<Catalog>,
}

impl std::fmt::Debug for DnsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn soa_record(origin: &str) -> Result<Record, DnsError> {
    let soa = SOA::new(
        name(&format!("ns.{origin}"))?,
        name(&format!("admin.{origin}"))?,
        1,
        60,
        60,
        60,
        30,
    );
    Ok(Record::from_rdata(name(origin)?, 3600, RData::SOA(soa)))
}

impl DnsServer {
    /// Serves `records` (in the zones `contoso.test` and `fabrikam.test`) on `bind_ip`.
    pub async fn start(bind_ip: IpAddr, records: &[ZoneRecord]) -> Result<Self, DnsError> {
        let mut catalog = Catalog::new();
        for origin in [SIP_DOMAIN, FOREIGN_DOMAIN] {
            let origin_name = name(origin)?;
            let mut zone: InMemoryZoneHandler = InMemoryZoneHandler::empty(
                origin_name.clone(),
                ZoneType::Primary,
                AxfrPolicy::Deny,
            );
            zone.upsert_mut(soa_record(origin)?, 1);
            let suffix = format!(".{origin}");
            for r in records {
                let (owner, record) = match r {
                    ZoneRecord::Address { name: n, ip } => {
                        let rdata = match ip {
                            IpAddr::V4(v4) => RData::A(A(*v4)),
                            IpAddr::V6(v6) => RData::AAAA(AAAA(*v6)),
                        };
                        (n, Record::from_rdata(name(n)?, 300, rdata))
                    }
                    ZoneRecord::Srv {
                        name: n,
                        priority,
                        weight,
                        port,
                        target,
                    } => {
                        let rdata = RData::SRV(SRV::new(*priority, *weight, *port, name(target)?));
                        (n, Record::from_rdata(name(n)?, 3600, rdata))
                    }
                };
                if owner.ends_with(&suffix) {
                    zone.upsert_mut(record, 1);
                }
            }
            catalog.upsert(origin_name.into(), vec![Arc::new(zone)]);
        }
        let mut server = Server::new(catalog);
        let (udp, tcp) = bind_pair(bind_ip).await?;
        let addr = udp.local_addr()?;
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 65_535);
        Ok(Self { addr, server })
    }

    /// Stops serving.
    pub async fn shutdown(mut self) {
        let _ = self.server.shutdown_gracefully().await;
    }
}

/// UDP and TCP bound to the same free port.
async fn bind_pair(ip: IpAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..50 {
        let udp = UdpSocket::bind((ip, 0)).await?;
        let port = udp.local_addr()?.port();
        match TcpListener::bind((ip, port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free UDP+TCP port pair")))
}
