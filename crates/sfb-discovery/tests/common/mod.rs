//! Test DNS servers: an in-process hickory-server zone, a SERVFAIL responder and a silent socket.

#![allow(dead_code)] // reason: each test binary uses a different subset of the helpers

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, SOA, SRV};
use hickory_proto::rr::{Name, RData, Record};
use hickory_server::Server;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use sfb_discovery::{DiscoveryConfig, SipDomain};
use tokio::net::{TcpListener, UdpSocket};

pub(crate) fn name(s: &str) -> Name {
    Name::from_str(&format!("{s}.")).unwrap()
}

/// Records of the `contoso.test` zone (and of more zones added with [`ZoneBuilder::zone`]).
pub(crate) struct ZoneBuilder {
    records: Vec<Record>,
    origins: Vec<Name>,
}

impl ZoneBuilder {
    pub(crate) fn new() -> Self {
        let soa = SOA::new(
            name("ns.contoso.test"),
            name("admin.contoso.test"),
            1,
            60,
            60,
            60,
            30,
        );
        Self {
            records: vec![Record::from_rdata(
                name("contoso.test"),
                3600,
                RData::SOA(soa),
            )],
            origins: vec![name("contoso.test")],
        }
    }
    /// Serves another zone too (records are filed under the longest matching origin).
    pub(crate) fn zone(mut self, origin: &str) -> Self {
        let soa = SOA::new(
            name(&format!("ns.{origin}")),
            name(&format!("admin.{origin}")),
            1,
            60,
            60,
            60,
            30,
        );
        self.records
            .push(Record::from_rdata(name(origin), 3600, RData::SOA(soa)));
        self.origins.push(name(origin));
        self
    }
    pub(crate) fn a(mut self, host: &str, ip: &str) -> Self {
        let rdata = match ip.parse().unwrap() {
            std::net::IpAddr::V4(v4) => RData::A(A(v4)),
            std::net::IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
        };
        self.records
            .push(Record::from_rdata(name(host), 300, rdata));
        self
    }
    pub(crate) fn cname(mut self, alias: &str, target: &str) -> Self {
        self.records.push(Record::from_rdata(
            name(alias),
            120,
            RData::CNAME(CNAME(name(target))),
        ));
        self
    }
    pub(crate) fn srv(
        mut self,
        owner: &str,
        prio: u16,
        weight: u16,
        port: u16,
        target: &str,
    ) -> Self {
        let rdata = RData::SRV(SRV::new(prio, weight, port, name(target)));
        self.records
            .push(Record::from_rdata(name(owner), 3600, rdata));
        self
    }
    /// Another record type, so that the name exists (NODATA for A/AAAA/SRV).
    pub(crate) fn exists(mut self, owner: &str) -> Self {
        let rdata = RData::TXT(hickory_proto::rr::rdata::TXT::new(vec!["x".into()]));
        self.records
            .push(Record::from_rdata(name(owner), 300, rdata));
        self
    }

    /// Serves the zone on 127.0.0.1, UDP and TCP on the same ephemeral port.
    pub(crate) async fn serve(self) -> TestServer {
        self.serve_with(true).await
    }

    /// Serves the zone; over UDP only when `tcp` is false.
    pub(crate) async fn serve_with(self, tcp: bool) -> TestServer {
        let mut catalog = Catalog::new();
        for origin in &self.origins {
            let mut zone: InMemoryZoneHandler =
                InMemoryZoneHandler::empty(origin.clone(), ZoneType::Primary, AxfrPolicy::Deny);
            for r in &self.records {
                let home = self
                    .origins
                    .iter()
                    .filter(|o| o.zone_of(&r.name))
                    .max_by_key(|o| o.num_labels());
                if home == Some(origin) {
                    zone.upsert_mut(r.clone(), 1);
                }
            }
            catalog.upsert(origin.clone().into(), vec![Arc::new(zone)]);
        }
        let mut server = Server::new(catalog);
        let (udp, listener) = bind_pair().await;
        let addr = udp.local_addr().unwrap();
        server.register_socket(udp);
        if tcp {
            server.register_listener(listener, Duration::from_secs(5), 65_535);
        }
        TestServer {
            addr,
            server: Some(server),
        }
    }
}

/// UDP and TCP bound to the same free loopback port.
async fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = udp.local_addr().unwrap().port();
        if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)).await {
            return (udp, tcp);
        }
    }
    panic!("no free port pair");
}

pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    server: Option<Server<Catalog>>,
}

impl TestServer {
    pub(crate) async fn stop(mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.shutdown_gracefully().await;
        }
    }
}

/// A UDP server that answers every query with `rcode` and no records.
pub(crate) async fn rcode_server(rcode: ResponseCode) -> SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                return;
            };
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut r = Message::response(q.metadata.id, q.metadata.op_code);
            r.metadata.message_type = MessageType::Response;
            r.metadata.response_code = rcode;
            r.add_queries(q.queries.clone());
            let _ = sock.send_to(&r.to_vec().unwrap(), peer).await;
        }
    });
    addr
}

/// A bound UDP socket that reads and drops every query.
pub(crate) async fn silent_server() -> SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while sock.recv_from(&mut buf).await.is_ok() {}
    });
    addr
}

pub(crate) fn config() -> DiscoveryConfig {
    let mut c = DiscoveryConfig::new(SipDomain::from_sip_uri("sip:alice@contoso.test").unwrap());
    c.query_timeout = Duration::from_millis(500);
    c.budget = Duration::from_secs(5);
    c
}

/// Picks the first candidate of every weighted draw.
pub(crate) struct Zero;
impl sfb_discovery::SrvRng for Zero {
    fn uniform_inclusive(&mut self, _max: u32) -> u32 {
        0
    }
}
/// Picks the last.
pub(crate) struct Max;
impl sfb_discovery::SrvRng for Max {
    fn uniform_inclusive(&mut self, max: u32) -> u32 {
        max
    }
}

pub(crate) fn outcome(
    r: &sfb_discovery::DiscoveryResult,
    name: &str,
    rtype: sfb_discovery::RecordType,
) -> String {
    r.evidence
        .iter()
        .find(|e| e.name.as_str() == name && e.rtype == rtype)
        .map(|e| e.outcome.label().to_owned())
        .unwrap_or_else(|| "not asked".into())
}
