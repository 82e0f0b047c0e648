//! Scripted-answer tests of the plan: no network, a fake clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::config::ManualServer;
use crate::domain::SipDomain;
use crate::record::RecordData;
use crate::result::{EndpointSource, Transport};
use crate::srv::SrvRng;
use crate::trust::TrustVerdict;

/// A scripted reply.
#[derive(Clone)]
enum Reply {
    Records(Rcode, Vec<Record>),
    /// Never answers.
    Silent,
}

/// Always picks the first candidate of the running sum (draw 0).
struct Zero;
impl SrvRng for Zero {
    fn uniform_inclusive(&mut self, _max: u32) -> u32 {
        0
    }
}
/// Always picks the last (draw max).
struct Max;
impl SrvRng for Max {
    fn uniform_inclusive(&mut self, max: u32) -> u32 {
        max
    }
}

fn d(s: &str) -> DomainName {
    DomainName::parse(s).unwrap()
}

fn a(name: &str, ip: &str) -> Record {
    let data = match ip.parse::<IpAddr>().unwrap() {
        IpAddr::V4(address) => RecordData::A { address },
        IpAddr::V6(address) => RecordData::Aaaa { address },
    };
    Record {
        name: name.into(),
        ttl: 300,
        data,
    }
}

fn cname(name: &str, target: &str) -> Record {
    Record {
        name: name.into(),
        ttl: 60,
        data: RecordData::Cname { target: d(target) },
    }
}

fn srv(name: &str, priority: u16, weight: u16, port: u16, target: &str) -> Record {
    Record {
        name: name.into(),
        ttl: 3600,
        data: RecordData::Srv {
            priority,
            weight,
            port,
            target: (target != ".").then(|| d(target)),
        },
    }
}

struct Zone(HashMap<(String, RecordType), Reply>);

impl Zone {
    fn new() -> Self {
        Self(HashMap::new())
    }
    fn set(mut self, name: &str, rtype: RecordType, reply: Reply) -> Self {
        self.0.insert((name.into(), rtype), reply);
        self
    }
    fn ok(self, name: &str, rtype: RecordType, recs: Vec<Record>) -> Self {
        self.set(name, rtype, Reply::Records(Rcode::NoError, recs))
    }
    /// Unknown names answer NXDOMAIN with an SOA (negative TTL 30).
    fn reply(&self, name: &DomainName, rtype: RecordType) -> Reply {
        self.0
            .get(&(name.to_string(), rtype))
            .cloned()
            .unwrap_or(Reply::Records(Rcode::NxDomain, Vec::new()))
    }
}

fn config() -> DiscoveryConfig {
    DiscoveryConfig::new(SipDomain::from_sip_uri("sip:alice@contoso.test").unwrap())
}

/// Runs the plan against a zone with a fake clock: every reply takes 5 ms.
fn run(
    config: DiscoveryConfig,
    zone: &Zone,
    rng: Box<dyn SrvRng + Send>,
) -> (DiscoveryResult, Duration) {
    let start = Instant::now();
    let mut now = start;
    let mut plan = Discovery::new(config, rng, now);
    let mut inflight: Vec<(QueryId, DomainName, RecordType)> = Vec::new();
    for _ in 0..10_000 {
        match plan.poll_output().expect("plan ended without Done") {
            Output::Query { id, name, rtype } => inflight.push((id, name, rtype)),
            Output::Timeout(at) => {
                let answerable: Vec<_> = inflight
                    .iter()
                    .filter(|(_, n, t)| matches!(zone.reply(n, *t), Reply::Records(..)))
                    .cloned()
                    .collect();
                inflight.retain(|q| !answerable.contains(q));
                if answerable.is_empty() {
                    assert!(at >= now, "deadline in the past");
                    now = at;
                    plan.handle_input(now, Input::Timeout);
                    continue;
                }
                now += Duration::from_millis(5);
                for (id, name, rtype) in answerable {
                    let Reply::Records(rcode, answers) = zone.reply(&name, rtype) else {
                        continue;
                    };
                    let soa = Record {
                        name: "contoso.test".into(),
                        ttl: 3600,
                        data: RecordData::Soa { minimum: 30 },
                    };
                    plan.handle_input(
                        now,
                        Input::Answer {
                            id,
                            rcode,
                            answers,
                            authority: vec![soa],
                            elapsed: Duration::from_millis(5),
                        },
                    );
                }
            }
            Output::Done(r) => {
                assert!(plan.poll_output().is_none());
                return (*r, now - start);
            }
        }
    }
    panic!("plan did not finish");
}

fn hosts_ports(r: &DiscoveryResult) -> Vec<(String, u16, EndpointSource)> {
    r.endpoints
        .iter()
        .map(|e| (e.host.clone(), e.port, e.source))
        .collect()
}

fn outcome_of(r: &DiscoveryResult, name: &str, rtype: RecordType) -> String {
    r.evidence
        .iter()
        .find(|e| e.name.as_str() == name && e.rtype == rtype)
        .map(|e| e.outcome.label().to_owned())
        .unwrap_or_else(|| "not asked".into())
}

#[test]
fn order_follows_the_documented_plan() {
    let zone = Zone::new()
        .ok(
            "lyncdiscover.contoso.test",
            RecordType::A,
            vec![a("lyncdiscover.contoso.test", "192.0.2.10")],
        )
        .ok(
            "_sipinternaltls._tcp.contoso.test",
            RecordType::Srv,
            vec![srv(
                "_sipinternaltls._tcp.contoso.test",
                0,
                0,
                5061,
                "pool.contoso.test",
            )],
        )
        .ok(
            "_sip._tls.contoso.test",
            RecordType::Srv,
            vec![srv(
                "_sip._tls.contoso.test",
                0,
                0,
                443,
                "edge.contoso.test",
            )],
        )
        .ok(
            "pool.contoso.test",
            RecordType::A,
            vec![
                a("pool.contoso.test", "192.0.2.1"),
                a("pool.contoso.test", "192.0.2.2"),
            ],
        )
        .ok(
            "pool.contoso.test",
            RecordType::Aaaa,
            vec![a("pool.contoso.test", "2001:db8::1")],
        )
        .ok(
            "edge.contoso.test",
            RecordType::A,
            vec![a("edge.contoso.test", "192.0.2.3")],
        )
        .ok(
            "sip.contoso.test",
            RecordType::A,
            vec![a("sip.contoso.test", "192.0.2.4")],
        )
        .ok(
            "sipexternal.contoso.test",
            RecordType::Aaaa,
            vec![a("sipexternal.contoso.test", "2001:db8::5")],
        );
    let (r, _) = run(config(), &zone, Box::new(Zero));
    assert_eq!(
        hosts_ports(&r),
        [
            (
                "pool.contoso.test".to_owned(),
                5061,
                EndpointSource::SrvInternalTls
            ),
            (
                "edge.contoso.test".to_owned(),
                443,
                EndpointSource::SrvExternalTls
            ),
            ("sip.contoso.test".to_owned(), 5061, EndpointSource::HostSip),
            ("sip.contoso.test".to_owned(), 443, EndpointSource::HostSip),
            (
                "sipexternal.contoso.test".to_owned(),
                443,
                EndpointSource::HostSipExternal
            ),
        ]
    );
    let pool = &r.endpoints[0];
    let addrs: Vec<String> = pool.addresses.iter().map(|a| a.to_string()).collect();
    assert_eq!(addrs, ["192.0.2.1", "192.0.2.2", "2001:db8::1"]);
    assert_eq!(
        pool.record,
        "_sipinternaltls._tcp.contoso.test SRV -> pool.contoso.test:5061"
    );
    assert!(pool.trusted);
    assert_eq!(r.autodiscover.len(), 2);
    assert!(!r.autodiscover[0].exists, "lyncdiscoverinternal is absent");
    assert!(r.autodiscover[1].exists);
    assert_eq!(
        outcome_of(&r, "lyncdiscoverinternal.contoso.test", RecordType::A),
        "nxdomain"
    );
    assert_eq!(
        outcome_of(&r, "sipinternal.contoso.test", RecordType::A),
        "nxdomain"
    );
    assert!(r.skipped_tiers.is_empty());
    // Evidence: negative TTL from the SOA, positive TTL from the answer.
    let neg = r
        .evidence
        .iter()
        .find(|e| e.name.as_str() == "sipinternal.contoso.test")
        .unwrap();
    assert_eq!(neg.ttl, Some(30));
    let pos = r
        .evidence
        .iter()
        .find(|e| e.name.as_str() == "pool.contoso.test")
        .unwrap();
    assert_eq!((pos.ttl, pos.duration_ms), (Some(300), 5));
}

#[test]
fn srv_priorities_and_weights_with_injected_rng() {
    let n = "_sipinternaltls._tcp.contoso.test";
    let zone = Zone::new().ok(
        n,
        RecordType::Srv,
        vec![
            srv(n, 20, 0, 5061, "backup.contoso.test"),
            srv(n, 10, 10, 5061, "a.contoso.test"),
            srv(n, 10, 90, 5061, "b.contoso.test"),
        ],
    );
    let hosts = |r: &DiscoveryResult| -> Vec<String> {
        r.endpoints
            .iter()
            .filter(|e| e.priority.is_some())
            .map(|e| e.host.clone())
            .collect()
    };
    let (r, _) = run(config(), &zone, Box::new(Zero));
    assert_eq!(
        hosts(&r),
        ["a.contoso.test", "b.contoso.test", "backup.contoso.test"]
    );
    let (r, _) = run(config(), &zone, Box::new(Max));
    assert_eq!(
        hosts(&r),
        ["b.contoso.test", "a.contoso.test", "backup.contoso.test"]
    );
    // Unresolvable targets are kept, with no addresses.
    assert!(r.endpoints.iter().all(|e| e.addresses.is_empty()));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("2 targets share priority 10")),
        "{:?}",
        r.notes
    );
}

#[test]
fn cname_chain_inside_answer_and_chased() {
    let zone = Zone::new()
        // Complete chain inside one answer.
        .ok(
            "lyncdiscover.contoso.test",
            RecordType::A,
            vec![
                cname("lyncdiscover.contoso.test", "web.contoso.test"),
                cname("web.contoso.test", "webdir.online.example"),
                a("webdir.online.example", "198.51.100.7"),
            ],
        )
        // Alias only; the plan must ask for the target itself.
        .ok(
            "sip.contoso.test",
            RecordType::A,
            vec![cname("sip.contoso.test", "pool.contoso.test")],
        )
        .ok(
            "pool.contoso.test",
            RecordType::A,
            vec![a("pool.contoso.test", "192.0.2.9")],
        );
    let (r, _) = run(config(), &zone, Box::new(Zero));
    let ad = &r.autodiscover[1];
    assert!(ad.exists);
    assert_eq!(
        ad.cname_chain,
        [d("web.contoso.test"), d("webdir.online.example")]
    );
    // The alias leaves the SIP domain: a note and an informational verdict on the alias target,
    // while the host the client connects to (and validates HTTPS against) is trusted.
    assert_eq!(ad.trust, TrustVerdict::SipDomain);
    assert!(
        matches!(&ad.cname_target_trust, Some(TrustVerdict::Violation { chain }) if chain.contains("CNAME -> webdir.online.example"))
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("CNAME -> webdir.online.example")
                && n.contains("leaves the SIP domain")),
        "{:?}",
        r.notes
    );
    let sip = r
        .endpoints
        .iter()
        .find(|e| e.host == "sip.contoso.test")
        .unwrap();
    assert_eq!(sip.addresses, ["192.0.2.9".parse::<IpAddr>().unwrap()]);
    assert_eq!(sip.cname_chain, [d("pool.contoso.test")]);
    assert_eq!(outcome_of(&r, "pool.contoso.test", RecordType::A), "answer");
}

#[test]
fn cname_loop_is_bounded() {
    let zone = Zone::new()
        .ok(
            "sip.contoso.test",
            RecordType::A,
            vec![cname("sip.contoso.test", "x.contoso.test")],
        )
        .ok(
            "x.contoso.test",
            RecordType::A,
            vec![cname("x.contoso.test", "sip.contoso.test")],
        );
    let (r, _) = run(config(), &zone, Box::new(Zero));
    let asked = r
        .evidence
        .iter()
        .filter(|e| e.rtype == RecordType::A && e.purpose == "cname target")
        .count();
    assert!(asked <= 8, "{asked} chase queries");
    assert!(r.endpoints.iter().all(|e| e.host != "sip.contoso.test"));
}

#[test]
fn nxdomain_nodata_servfail_timeout_are_told_apart() {
    let zone = Zone::new()
        .set(
            "_sipinternaltls._tcp.contoso.test",
            RecordType::Srv,
            Reply::Records(Rcode::NoError, vec![]),
        )
        .set(
            "_sip._tls.contoso.test",
            RecordType::Srv,
            Reply::Records(Rcode::ServFail, vec![]),
        )
        .set("sip.contoso.test", RecordType::A, Reply::Silent);
    let mut cfg = config();
    cfg.query_timeout = Duration::from_millis(300);
    let (r, took) = run(cfg, &zone, Box::new(Zero));
    assert_eq!(
        outcome_of(&r, "_sipinternaltls._tcp.contoso.test", RecordType::Srv),
        "nodata"
    );
    assert_eq!(
        outcome_of(&r, "_sip._tls.contoso.test", RecordType::Srv),
        "servfail"
    );
    assert_eq!(
        outcome_of(&r, "sipinternal.contoso.test", RecordType::A),
        "nxdomain"
    );
    assert_eq!(outcome_of(&r, "sip.contoso.test", RecordType::A), "timeout");
    let t = r
        .evidence
        .iter()
        .find(|e| e.outcome.label() == "timeout")
        .unwrap();
    assert_eq!(t.duration_ms, 300);
    assert!(r.endpoints.is_empty());
    assert!(!r.budget_exhausted);
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[test]
fn silent_server_stops_at_the_budget() {
    let mut zone = Zone::new();
    for n in [
        "lyncdiscoverinternal",
        "lyncdiscover",
        "sip",
        "sipinternal",
        "sipexternal",
    ] {
        for t in [RecordType::A, RecordType::Aaaa] {
            zone = zone.set(&format!("{n}.contoso.test"), t, Reply::Silent);
        }
    }
    for n in ["_sipinternaltls._tcp", "_sip._tls"] {
        zone = zone.set(&format!("{n}.contoso.test"), RecordType::Srv, Reply::Silent);
    }
    let mut cfg = config();
    cfg.query_timeout = Duration::from_secs(2);
    cfg.budget = Duration::from_secs(3);
    let (r, took) = run(cfg, &zone, Box::new(Zero));
    assert_eq!(took, Duration::from_secs(3));
    assert!(r.budget_exhausted);
    assert_eq!(r.skipped_tiers, ["host_fallback"]);
    let labels: Vec<&str> = r.evidence.iter().map(|e| e.outcome.label()).collect();
    assert_eq!(
        labels,
        [
            "timeout",
            "timeout",
            "timeout",
            "timeout",
            "budget_exhausted",
            "budget_exhausted"
        ]
    );
}

#[test]
fn trust_violation_names_the_chain() {
    let n = "_sipinternaltls._tcp.contoso.test";
    let zone = Zone::new()
        .ok(
            n,
            RecordType::Srv,
            vec![
                srv(n, 0, 0, 5061, "sip.fabrikam.net"),
                srv(n, 1, 0, 5061, "pool.partner.example"),
            ],
        )
        .ok(
            "sip.fabrikam.net",
            RecordType::A,
            vec![a("sip.fabrikam.net", "203.0.113.1")],
        );
    let mut cfg = config();
    cfg.trusted_domains = vec![d("partner.example")];
    let (r, _) = run(cfg, &zone, Box::new(Zero));
    let e = &r.endpoints[0];
    assert!(!e.trusted);
    assert_eq!(
        e.trust,
        TrustVerdict::Violation {
            chain: "_sipinternaltls._tcp.contoso.test SRV -> sip.fabrikam.net".into()
        }
    );
    assert_eq!(
        r.endpoints[1].trust,
        TrustVerdict::TrustedDomain {
            domain: d("partner.example")
        }
    );
}

#[test]
fn legacy_tcp_bare_domain_and_dot_target() {
    let zone = Zone::new()
        .ok(
            "_sipinternal._tcp.contoso.test",
            RecordType::Srv,
            vec![srv(
                "_sipinternal._tcp.contoso.test",
                0,
                0,
                5060,
                "pool.contoso.test",
            )],
        )
        .ok(
            "_sip._tls.contoso.test",
            RecordType::Srv,
            vec![srv("_sip._tls.contoso.test", 0, 0, 0, ".")],
        )
        .ok(
            "contoso.test",
            RecordType::A,
            vec![a("contoso.test", "192.0.2.50")],
        );
    let mut cfg = config();
    cfg.legacy_tcp = true;
    cfg.bare_domain = true;
    let (r, _) = run(cfg, &zone, Box::new(Zero));
    let tcp = &r.endpoints[0];
    assert_eq!(
        (tcp.source, tcp.transport, tcp.port),
        (EndpointSource::SrvInternalTcp, Transport::Tcp, 5060)
    );
    let last = r.endpoints.last().unwrap();
    assert_eq!(
        (last.host.as_str(), last.source),
        ("contoso.test", EndpointSource::BareDomain)
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("decidedly not available"))
    );
    // The legacy SRV is asked between the two others.
    let srvs: Vec<&str> = r
        .evidence
        .iter()
        .filter(|e| e.rtype == RecordType::Srv)
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(
        srvs,
        [
            "_sipinternaltls._tcp.contoso.test",
            "_sipinternal._tcp.contoso.test",
            "_sip._tls.contoso.test"
        ]
    );
}

#[test]
fn stop_at_first_sip_tier_skips_fallbacks() {
    let n = "_sip._tls.contoso.test";
    let zone = Zone::new().ok(
        n,
        RecordType::Srv,
        vec![srv(n, 0, 0, 443, "edge.contoso.test")],
    );
    let mut cfg = config();
    cfg.stop_at_first_sip_tier = true;
    let (r, _) = run(cfg, &zone, Box::new(Zero));
    assert_eq!(r.skipped_tiers, ["host_fallback"]);
    assert_eq!(
        outcome_of(&r, "sip.contoso.test", RecordType::A),
        "not asked"
    );
}

#[test]
fn manual_server_skips_dns_except_addresses() {
    let zone = Zone::new().ok(
        "pool.example.net",
        RecordType::A,
        vec![a("pool.example.net", "192.0.2.77")],
    );
    let mut cfg = config();
    cfg.manual_server = Some(ManualServer::parse("pool.example.net:5062").unwrap());
    let (r, _) = run(cfg.clone(), &zone, Box::new(Zero));
    assert_eq!(r.evidence.len(), 2);
    assert_eq!(r.endpoints.len(), 1);
    assert_eq!(r.endpoints[0].trust, TrustVerdict::Manual);
    assert_eq!(r.endpoints[0].port, 5062);
    cfg.manual_server = Some(ManualServer::parse("192.0.2.1").unwrap());
    let (r, _) = run(cfg, &zone, Box::new(Zero));
    assert!(r.evidence.is_empty());
    assert_eq!(
        r.endpoints[0].addresses,
        ["192.0.2.1".parse::<IpAddr>().unwrap()]
    );
}

#[test]
fn hostile_answers_are_bounded() {
    let n = "_sipinternaltls._tcp.contoso.test";
    let many: Vec<Record> = (0..500)
        .map(|i| srv(n, 0, 1, 5061, &format!("h{i}.contoso.test")))
        .collect();
    let zone = Zone::new().ok(n, RecordType::Srv, many);
    let (r, _) = run(config(), &zone, Box::new(Zero));
    let srv_ev = r.evidence.iter().find(|e| e.name.as_str() == n).unwrap();
    assert_eq!((srv_ev.answers.len(), srv_ev.dropped_records), (64, 436));
    assert_eq!(
        r.endpoints.iter().filter(|e| e.priority.is_some()).count(),
        16
    );
    assert!(r.evidence.len() <= 96);
}

#[test]
fn late_and_unknown_answers_are_ignored() {
    let mut cfg = config();
    cfg.query_timeout = Duration::from_millis(100);
    let now = Instant::now();
    let mut plan = Discovery::new(cfg, Box::new(Zero), now);
    let Some(Output::Query { id, .. }) = plan.poll_output() else {
        panic!("no query")
    };
    plan.handle_input(now + Duration::from_millis(150), Input::Timeout);
    let late = Input::Answer {
        id,
        rcode: Rcode::NoError,
        answers: vec![],
        authority: vec![],
        elapsed: Duration::ZERO,
    };
    plan.handle_input(now + Duration::from_millis(160), late.clone());
    let unknown = Input::Answer {
        id: QueryId(9999),
        rcode: Rcode::NoError,
        answers: vec![a("lyncdiscoverinternal.contoso.test", "192.0.2.1")],
        authority: vec![],
        elapsed: Duration::ZERO,
    };
    plan.handle_input(now + Duration::from_millis(170), unknown);
    let mut labels = Vec::new();
    plan.handle_input(now + Duration::from_secs(60), Input::Timeout);
    while let Some(o) = plan.poll_output() {
        if let Output::Done(r) = o {
            labels = r.evidence.iter().map(|e| e.outcome.label()).collect();
        }
    }
    assert_eq!(labels.first(), Some(&"timeout"));
}

#[test]
fn cname_chain_recorded_once_whatever_the_answer_order() {
    let mut cfg = config();
    cfg.manual_server = Some(ManualServer::parse("sip.contoso.test").unwrap());
    let now = Instant::now();
    let mut plan = Discovery::new(cfg, Box::new(Zero), now);
    let mut queries = Vec::new();
    while let Some(Output::Query { id, rtype, .. }) = plan.poll_output() {
        queries.push((id, rtype));
    }
    // AAAA first, then A; both through the same alias.
    queries.reverse();
    for (id, rtype) in queries {
        let addr = if rtype == RecordType::A {
            "192.0.2.1"
        } else {
            "2001:db8::1"
        };
        let answers = vec![
            cname("sip.contoso.test", "pool.contoso.test"),
            a("pool.contoso.test", addr),
        ];
        let elapsed = Duration::from_millis(1);
        let input = Input::Answer {
            id,
            rcode: Rcode::NoError,
            answers,
            authority: vec![],
            elapsed,
        };
        plan.handle_input(now, input);
    }
    let Some(Output::Done(r)) = plan.poll_output() else {
        panic!("not done")
    };
    let e = &r.endpoints[0];
    assert_eq!(e.cname_chain, [d("pool.contoso.test")]);
    let addrs: Vec<String> = e.addresses.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        addrs,
        ["192.0.2.1", "2001:db8::1"],
        "A first, whatever the arrival order"
    );
}
