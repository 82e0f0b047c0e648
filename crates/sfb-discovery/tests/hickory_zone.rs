//! The tokio driver against an in-process hickory-server zone, one branch of the plan per test.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::{Max, Zero, ZoneBuilder, config, outcome, rcode_server, silent_server};
use hickory_proto::op::ResponseCode;
use sfb_discovery::driver::discover;
use sfb_discovery::{EndpointSource, ManualServer, RecordType, TrustVerdict};

fn ips(v: &[&str]) -> Vec<IpAddr> {
    v.iter().map(|s| s.parse().unwrap()).collect()
}

#[tokio::test]
async fn full_plan_in_documented_order() {
    let srv = ZoneBuilder::new()
        .cname("lyncdiscover.contoso.test", "web.contoso.test")
        .a("web.contoso.test", "192.0.2.80")
        .srv(
            "_sipinternaltls._tcp.contoso.test",
            0,
            0,
            5061,
            "pool.contoso.test",
        )
        .srv("_sip._tls.contoso.test", 0, 0, 443, "edge.contoso.test")
        .a("pool.contoso.test", "192.0.2.1")
        .a("pool.contoso.test", "192.0.2.2")
        .a("pool.contoso.test", "2001:db8::1")
        .a("edge.contoso.test", "192.0.2.3")
        .a("sip.contoso.test", "192.0.2.4")
        .serve()
        .await;
    let server_addr = srv.addr.to_string();
    let r = discover(config(), srv.addr, Box::new(Zero)).await;
    srv.stop().await;

    let order: Vec<(&str, u16, EndpointSource)> = r
        .endpoints
        .iter()
        .map(|e| (e.host.as_str(), e.port, e.source))
        .collect();
    assert_eq!(
        order,
        [
            ("pool.contoso.test", 5061, EndpointSource::SrvInternalTls),
            ("edge.contoso.test", 443, EndpointSource::SrvExternalTls),
            ("sip.contoso.test", 5061, EndpointSource::HostSip),
            ("sip.contoso.test", 443, EndpointSource::HostSip),
        ]
    );
    let pool = &r.endpoints[0];
    assert_eq!(
        pool.addresses,
        ips(&["192.0.2.1", "192.0.2.2", "2001:db8::1"])
    );
    assert!(r.endpoints.iter().all(|e| e.trusted));

    // Autodiscover: internal absent, external present through a CNAME.
    assert!(!r.autodiscover[0].exists);
    assert!(r.autodiscover[1].exists);
    assert_eq!(r.autodiscover[1].addresses, ips(&["192.0.2.80"]));
    assert_eq!(
        r.autodiscover[1].cname_chain[0].as_str(),
        "web.contoso.test"
    );
    assert_eq!(
        outcome(&r, "lyncdiscoverinternal.contoso.test", RecordType::A),
        "nxdomain"
    );

    // Evidence carries the real TTLs and the server asked.
    let srv_ev = r
        .evidence
        .iter()
        .find(|e| e.rtype == RecordType::Srv)
        .unwrap();
    assert_eq!(srv_ev.ttl, Some(3600));
    assert_eq!(srv_ev.server.as_deref(), Some(server_addr.as_str()));
    let pool_ev = r
        .evidence
        .iter()
        .find(|e| e.name.as_str() == "pool.contoso.test")
        .unwrap();
    assert_eq!(pool_ev.ttl, Some(300));

    // The CLI's JSON shape.
    let json = serde_json::to_value(&r).unwrap();
    let e0 = &json["endpoints"][0];
    assert_eq!(e0["host"], "pool.contoso.test");
    assert_eq!(e0["port"], 5061);
    assert_eq!(e0["transport"], "tls");
    assert_eq!(e0["source"], "srv_internal_tls");
    assert_eq!(e0["trusted"], true);
    let ev0 = &json["evidence"][0];
    assert_eq!(ev0["name"], "lyncdiscoverinternal.contoso.test");
    assert_eq!(ev0["rtype"], "A");
    assert_eq!(ev0["outcome"]["kind"], "nxdomain");
    assert!(ev0["duration_ms"].is_u64());
    // The JSON reads back into the same result (for traces written to disk).
    let back: sfb_discovery::DiscoveryResult = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[tokio::test]
async fn srv_priorities_and_weights_follow_the_injected_rng() {
    let n = "_sipinternaltls._tcp.contoso.test";
    let zone = || {
        ZoneBuilder::new()
            .srv(n, 10, 10, 5061, "a.contoso.test")
            .srv(n, 10, 90, 5061, "b.contoso.test")
            .srv(n, 20, 0, 5061, "backup.contoso.test")
            .a("a.contoso.test", "192.0.2.11")
            .a("b.contoso.test", "192.0.2.12")
            .a("backup.contoso.test", "192.0.2.13")
    };
    for (rng, want) in [
        (
            Box::new(Zero) as Box<dyn sfb_discovery::SrvRng + Send>,
            ["a", "b", "backup"],
        ),
        (Box::new(Max), ["b", "a", "backup"]),
    ] {
        let srv = zone().serve().await;
        let r = discover(config(), srv.addr, rng).await;
        srv.stop().await;
        let got: Vec<String> = r
            .endpoints
            .iter()
            .filter(|e| e.source == EndpointSource::SrvInternalTls)
            .map(|e| e.host.trim_end_matches(".contoso.test").to_owned())
            .collect();
        assert_eq!(got, want);
        assert_eq!(r.endpoints[2].priority, Some(20));
    }
}

#[tokio::test]
async fn a_records_only() {
    let srv = ZoneBuilder::new()
        .a("sipinternal.contoso.test", "10.0.0.5")
        .a("sipexternal.contoso.test", "198.51.100.5")
        .a("sipexternal.contoso.test", "198.51.100.6")
        .serve()
        .await;
    let r = discover(config(), srv.addr, Box::new(Zero)).await;
    srv.stop().await;
    let order: Vec<(&str, u16)> = r
        .endpoints
        .iter()
        .map(|e| (e.host.as_str(), e.port))
        .collect();
    assert_eq!(
        order,
        [
            ("sipinternal.contoso.test", 5061),
            ("sipexternal.contoso.test", 443)
        ]
    );
    assert_eq!(
        r.endpoints[1].addresses,
        ips(&["198.51.100.5", "198.51.100.6"])
    );
    assert_eq!(
        outcome(&r, "_sip._tls.contoso.test", RecordType::Srv),
        "nxdomain"
    );
}

#[tokio::test]
async fn nxdomain_and_nodata_are_told_apart() {
    let srv = ZoneBuilder::new()
        .exists("_sipinternaltls._tcp.contoso.test")
        .exists("sip.contoso.test")
        .serve()
        .await;
    let r = discover(config(), srv.addr, Box::new(Zero)).await;
    srv.stop().await;
    assert_eq!(
        outcome(&r, "_sipinternaltls._tcp.contoso.test", RecordType::Srv),
        "nodata"
    );
    assert_eq!(
        outcome(&r, "_sip._tls.contoso.test", RecordType::Srv),
        "nxdomain"
    );
    assert_eq!(outcome(&r, "sip.contoso.test", RecordType::A), "nodata");
    assert_eq!(
        outcome(&r, "sipinternal.contoso.test", RecordType::A),
        "nxdomain"
    );
    // Negative TTL: the SOA's.
    let nd = r
        .evidence
        .iter()
        .find(|e| e.name.as_str() == "sip.contoso.test")
        .unwrap();
    assert_eq!(nd.ttl, Some(30));
    assert!(r.endpoints.is_empty());
}

#[tokio::test]
async fn servfail_is_reported() {
    let addr = rcode_server(ResponseCode::ServFail).await;
    let r = discover(config(), addr, Box::new(Zero)).await;
    assert!(!r.evidence.is_empty());
    assert!(
        r.evidence.iter().all(|e| e.outcome.label() == "servfail"),
        "{:?}",
        r.evidence
    );
    assert!(r.endpoints.is_empty());
}

#[tokio::test]
async fn silent_server_cannot_hang_the_tool() {
    let addr = silent_server().await;
    let mut cfg = config();
    cfg.query_timeout = Duration::from_millis(200);
    cfg.budget = Duration::from_millis(450);
    let started = Instant::now();
    let r = discover(cfg, addr, Box::new(Zero)).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(440), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert!(r.budget_exhausted);
    assert_eq!(r.skipped_tiers, Vec::<String>::new());
    let labels: Vec<&str> = r.evidence.iter().map(|e| e.outcome.label()).collect();
    // Tiers 1 and 2 time out per query; tier 3 is cut by the budget.
    assert_eq!(labels[..6], ["timeout"; 6]);
    assert!(
        labels[6..].iter().all(|l| *l == "budget_exhausted"),
        "{labels:?}"
    );
    let t = &r.evidence[0];
    assert!((190..400).contains(&t.duration_ms), "{}", t.duration_ms);
}

#[tokio::test]
async fn target_outside_the_sip_domain_is_a_violation() {
    let srv = ZoneBuilder::new()
        .srv(
            "_sipinternaltls._tcp.contoso.test",
            0,
            0,
            5061,
            "sip.fabrikam.net",
        )
        .serve()
        .await;
    let r = discover(config(), srv.addr, Box::new(Zero)).await;
    srv.stop().await;
    let e = &r.endpoints[0];
    assert!(!e.trusted);
    assert_eq!(
        e.trust,
        TrustVerdict::Violation {
            chain: "_sipinternaltls._tcp.contoso.test SRV -> sip.fabrikam.net".into()
        }
    );
    // The zone does not serve fabrikam.net: the server refuses, and the target is kept anyway.
    assert_eq!(outcome(&r, "sip.fabrikam.net", RecordType::A), "refused");
    assert!(e.addresses.is_empty());
}

#[tokio::test]
async fn truncated_udp_answer_is_retried_over_tcp() {
    let zone = || {
        let mut z = ZoneBuilder::new().srv("_sip._tls.contoso.test", 0, 0, 443, "big.contoso.test");
        for i in 1..=40 {
            z = z.a("big.contoso.test", &format!("192.0.2.{i}"));
        }
        z
    };
    // Without a TCP listener the retry fails: proof that the UDP reply was truncated (the
    // server adds the target's 40 addresses to the SRV reply's additional section).
    let srv = zone().serve_with(false).await;
    let r = discover(config(), srv.addr, Box::new(Zero)).await;
    srv.stop().await;
    assert_eq!(
        outcome(&r, "_sip._tls.contoso.test", RecordType::Srv),
        "transport_error"
    );
    let detail = &r
        .evidence
        .iter()
        .find(|e| e.rtype == RecordType::Srv && e.name.as_str().starts_with("_sip._tls"))
        .unwrap()
        .outcome;
    assert!(format!("{detail:?}").contains("refused"), "{detail:?}");
    let srv = zone().serve().await;
    let r = discover(config(), srv.addr, Box::new(Zero)).await;
    srv.stop().await;
    let e = r
        .endpoints
        .iter()
        .find(|e| e.host == "big.contoso.test")
        .unwrap();
    assert_eq!(e.addresses.len(), 40);
    let want: Vec<IpAddr> = (1..=40)
        .map(|i| format!("192.0.2.{i}").parse().unwrap())
        .collect();
    let mut got = e.addresses.clone();
    got.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got, want_sorted);
}

#[tokio::test]
async fn manual_server_only_resolves_its_address() {
    let srv = ZoneBuilder::new()
        .a("pool.contoso.test", "192.0.2.99")
        .serve()
        .await;
    let mut cfg = config();
    cfg.manual_server = Some(ManualServer::parse("pool.contoso.test:5062").unwrap());
    let r = discover(cfg, srv.addr, Box::new(Zero)).await;
    srv.stop().await;
    assert_eq!(r.evidence.len(), 2);
    assert_eq!(r.endpoints.len(), 1);
    assert_eq!(r.endpoints[0].addresses, ips(&["192.0.2.99"]));
    assert_eq!(r.endpoints[0].trust, TrustVerdict::Manual);
}
