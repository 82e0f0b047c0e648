//! KDC location through the tokio driver against an in-process hickory-server zone.

mod common;

use std::time::{Duration, Instant};

use common::{Zero, ZoneBuilder, rcode_server, silent_server};
use hickory_proto::op::ResponseCode;
use sfb_discovery::kdc::{KdcOptions, KdcSource, locate_kdcs};
use sfb_discovery::{QueryOutcome, RecordType};

const REALM_SRV: &str = "_kerberos._tcp.contoso.test";
const AD_SRV: &str = "_kerberos._tcp.dc._msdcs.contoso.test";

fn options(server: std::net::SocketAddr) -> KdcOptions {
    let mut o = KdcOptions::new(server);
    o.query_timeout = Duration::from_millis(500);
    o.budget = Duration::from_secs(5);
    o.rng = Box::new(Zero);
    o
}

fn outcome(l: &sfb_discovery::KdcLocation, name: &str, rtype: RecordType) -> String {
    l.evidence
        .iter()
        .find(|e| e.name.as_str() == name && e.rtype == rtype)
        .map(|e| e.outcome.label().to_owned())
        .unwrap_or_else(|| "not asked".into())
}

fn kdcs(l: &sfb_discovery::KdcLocation) -> Vec<String> {
    l.kdcs.iter().map(|(h, a)| format!("{h}={a}")).collect()
}

#[tokio::test]
async fn both_names() {
    let srv = ZoneBuilder::new()
        .srv(REALM_SRV, 0, 0, 88, "kdc1.contoso.test")
        .srv(AD_SRV, 0, 100, 88, "dc1.contoso.test")
        .srv(AD_SRV, 0, 100, 88, "kdc1.contoso.test")
        .a("kdc1.contoso.test", "127.0.0.10")
        .a("kdc1.contoso.test", "::1")
        .a("dc1.contoso.test", "127.0.0.11")
        .serve()
        .await;
    let l = locate_kdcs("CONTOSO.TEST", None, options(srv.addr))
        .await
        .unwrap();
    srv.stop().await;
    assert_eq!(
        kdcs(&l),
        [
            "kdc1.contoso.test=127.0.0.10:88",
            "kdc1.contoso.test=[::1]:88",
            "dc1.contoso.test=127.0.0.11:88",
        ]
    );
    assert_eq!(
        l.sources,
        [
            KdcSource::RealmSrv,
            KdcSource::RealmSrv,
            KdcSource::MsdcsSrv
        ]
    );
    assert_eq!(outcome(&l, REALM_SRV, RecordType::Srv), "answer");
    assert_eq!(outcome(&l, AD_SRV, RecordType::Srv), "answer");
    assert_eq!(outcome(&l, "dc1.contoso.test", RecordType::Aaaa), "nodata");
    let e = l
        .evidence
        .iter()
        .find(|e| e.name.as_str() == REALM_SRV)
        .unwrap();
    assert_eq!(e.ttl, Some(3600));
    assert_eq!(e.server.as_deref(), Some(srv_addr(&l).as_str()));
}

fn srv_addr(l: &sfb_discovery::KdcLocation) -> String {
    l.evidence[0].server.clone().unwrap()
}

#[tokio::test]
async fn only_the_msdcs_name() {
    let srv = ZoneBuilder::new()
        .srv(AD_SRV, 0, 0, 1088, "dc1.contoso.test")
        .a("dc1.contoso.test", "127.0.0.11")
        .serve()
        .await;
    let l = locate_kdcs("CONTOSO.TEST", Some("contoso.test"), options(srv.addr))
        .await
        .unwrap();
    srv.stop().await;
    assert_eq!(kdcs(&l), ["dc1.contoso.test=127.0.0.11:1088"]);
    assert_eq!(outcome(&l, REALM_SRV, RecordType::Srv), "nxdomain");
    // The negative answer carries the zone's SOA: RFC 2308 negative TTL.
    let e = l
        .evidence
        .iter()
        .find(|e| e.name.as_str() == REALM_SRV)
        .unwrap();
    assert_eq!(e.ttl, Some(30));
}

#[tokio::test]
async fn neither_name() {
    let srv = ZoneBuilder::new()
        .exists(REALM_SRV)
        .a("dc1.contoso.test", "127.0.0.11")
        .serve()
        .await;
    let l = locate_kdcs("CONTOSO.TEST", None, options(srv.addr))
        .await
        .unwrap();
    srv.stop().await;
    assert!(l.kdcs.is_empty());
    assert_eq!(outcome(&l, REALM_SRV, RecordType::Srv), "nodata");
    assert_eq!(outcome(&l, AD_SRV, RecordType::Srv), "nxdomain");
    assert_eq!(l.evidence.len(), 2);
}

#[tokio::test]
async fn servfail() {
    let addr = rcode_server(ResponseCode::ServFail).await;
    let l = locate_kdcs("CONTOSO.TEST", None, options(addr))
        .await
        .unwrap();
    assert!(l.kdcs.is_empty());
    assert!(
        l.evidence
            .iter()
            .all(|e| e.outcome == QueryOutcome::ServFail),
        "{:?}",
        l.evidence
    );
}

#[tokio::test]
async fn a_silent_server_is_bounded_by_the_timeouts_and_the_budget() {
    let addr = silent_server().await;
    let started = Instant::now();
    let l = locate_kdcs("CONTOSO.TEST", None, options(addr))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(l.kdcs.is_empty());
    assert!(
        l.evidence
            .iter()
            .all(|e| e.outcome == QueryOutcome::Timeout)
    );

    let mut o = options(addr);
    o.query_timeout = Duration::from_secs(5);
    o.budget = Duration::from_millis(300);
    let started = Instant::now();
    let l = locate_kdcs("CONTOSO.TEST", None, o).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(l.budget_exhausted);
    assert!(
        l.evidence
            .iter()
            .all(|e| e.outcome == QueryOutcome::BudgetExhausted)
    );
}

#[tokio::test]
async fn explicit_kdc() {
    // An address: no DNS at all (the server is silent and would time out).
    let addr = silent_server().await;
    let mut o = options(addr);
    o.explicit_kdc = Some("127.0.0.1:1088".into());
    let l = locate_kdcs("CONTOSO.TEST", None, o).await.unwrap();
    assert_eq!(kdcs(&l), ["127.0.0.1=127.0.0.1:1088"]);
    assert!(l.evidence.is_empty());

    // A name: A/AAAA only.
    let srv = ZoneBuilder::new()
        .srv(REALM_SRV, 0, 0, 88, "kdc1.contoso.test")
        .a("kdc9.contoso.test", "127.0.0.9")
        .serve()
        .await;
    let mut o = options(srv.addr);
    o.explicit_kdc = Some("kdc9.contoso.test".into());
    let l = locate_kdcs("CONTOSO.TEST", None, o).await.unwrap();
    srv.stop().await;
    assert_eq!(kdcs(&l), ["kdc9.contoso.test=127.0.0.9:88"]);
    assert_eq!(l.sources, [KdcSource::Explicit]);
    assert!(l.evidence.iter().all(|e| e.rtype != RecordType::Srv));

    let mut o = options(addr);
    o.explicit_kdc = Some("kdc:0".into());
    assert!(locate_kdcs("CONTOSO.TEST", None, o).await.is_err());
}
