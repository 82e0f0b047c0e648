//! Scripted-answer tests of the KDC plan: no network, a fake clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::*;

struct Zero;
impl SrvRng for Zero {
    fn uniform_inclusive(&mut self, _max: u32) -> u32 {
        0
    }
}
struct Max;
impl SrvRng for Max {
    fn uniform_inclusive(&mut self, max: u32) -> u32 {
        max
    }
}

fn d(s: &str) -> DomainName {
    DomainName::parse(s).unwrap()
}

fn rec(name: &str, data: RecordData) -> Record {
    Record {
        name: name.into(),
        ttl: 600,
        data,
    }
}

fn a(name: &str, ip: &str) -> Record {
    match ip.parse::<IpAddr>().unwrap() {
        IpAddr::V4(address) => rec(name, RecordData::A { address }),
        IpAddr::V6(address) => rec(name, RecordData::Aaaa { address }),
    }
}

fn srv(name: &str, priority: u16, weight: u16, port: u16, target: &str) -> Record {
    rec(
        name,
        RecordData::Srv {
            priority,
            weight,
            port,
            target: (target != ".").then(|| d(target)),
        },
    )
}

#[derive(Clone)]
enum Reply {
    Records(Rcode, Vec<Record>),
    Silent,
}

const REALM_SRV: &str = "_kerberos._tcp.contoso.test";
const AD_SRV: &str = "_kerberos._tcp.dc._msdcs.contoso.test";

/// Runs a plan against scripted replies; unscripted names are NXDOMAIN. Each answer takes 1 ms
/// of fake time; silent queries wait for the plan's deadlines.
fn run(
    config: KdcConfig,
    rng: Box<dyn SrvRng + Send>,
    zone: &[(&str, RecordType, Reply)],
) -> KdcLocation {
    let zone: HashMap<(String, RecordType), Reply> = zone
        .iter()
        .map(|(n, t, r)| (((*n).to_owned(), *t), r.clone()))
        .collect();
    let mut now = Instant::now();
    let mut plan = KdcPlan::new(config, rng, now);
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 10_000, "plan does not finish");
        match plan.poll_output() {
            Some(KdcOutput::Query { id, name, rtype }) => {
                let reply = zone
                    .get(&(name.as_str().to_owned(), rtype))
                    .cloned()
                    .unwrap_or(Reply::Records(Rcode::NxDomain, vec![]));
                match reply {
                    Reply::Records(rcode, answers) => {
                        now += Duration::from_millis(1);
                        plan.handle_input(
                            now,
                            Input::Answer {
                                id,
                                rcode,
                                answers,
                                authority: vec![],
                                elapsed: Duration::from_millis(1),
                            },
                        );
                    }
                    Reply::Silent => {}
                }
            }
            Some(KdcOutput::Timeout(at)) => {
                now = now.max(at);
                plan.handle_input(now, Input::Timeout);
            }
            Some(KdcOutput::Done(r)) => return *r,
            None => panic!("polled after done"),
        }
    }
}

fn cfg() -> KdcConfig {
    KdcConfig::new("CONTOSO.TEST", None).unwrap()
}

fn ans(records: Vec<Record>) -> Reply {
    Reply::Records(Rcode::NoError, records)
}

fn hosts(l: &KdcLocation) -> Vec<String> {
    l.kdcs.iter().map(|(h, a)| format!("{h}={a}")).collect()
}

#[test]
fn names_match_sfb_auth_and_the_spec() {
    let [r, m] = kdc_srv_names(&d("CORP.CONTOSO.TEST"), &d("corp.contoso.test"));
    assert_eq!(r.as_str(), "_kerberos._tcp.corp.contoso.test");
    assert_eq!(m.as_str(), "_kerberos._tcp.dc._msdcs.corp.contoso.test");
    // sfb-auth lists the same names (it spells the realm in upper case; DNS does not care).
    for (realm, domain) in [
        ("CONTOSO.TEST", None),
        ("CORP.EXAMPLE", Some("corp.example.")),
    ] {
        let ours = KdcConfig::new(realm, domain).unwrap();
        let ours: Vec<String> = kdc_srv_names(&ours.realm_name, &ours.domain)
            .iter()
            .map(|n| n.as_str().to_owned())
            .collect();
        let theirs: Vec<String> = sfb_auth::kerberos::locate::kdc_srv_names(realm, domain)
            .into_iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        assert_eq!(ours, theirs);
    }
}

#[test]
fn both_names_realm_first_every_address_deduplicated() {
    let l = run(
        cfg(),
        Box::new(Zero),
        &[
            (
                REALM_SRV,
                RecordType::Srv,
                ans(vec![srv(REALM_SRV, 0, 0, 88, "kdc1.contoso.test")]),
            ),
            (
                AD_SRV,
                RecordType::Srv,
                ans(vec![
                    srv(AD_SRV, 0, 0, 88, "dc2.contoso.test"),
                    srv(AD_SRV, 0, 0, 88, "kdc1.contoso.test"),
                ]),
            ),
            (
                "kdc1.contoso.test",
                RecordType::A,
                ans(vec![a("kdc1.contoso.test", "192.0.2.1")]),
            ),
            (
                "kdc1.contoso.test",
                RecordType::Aaaa,
                ans(vec![a("kdc1.contoso.test", "2001:db8::1")]),
            ),
            (
                "dc2.contoso.test",
                RecordType::A,
                ans(vec![a("dc2.contoso.test", "192.0.2.2")]),
            ),
            (
                "dc2.contoso.test",
                RecordType::Aaaa,
                Reply::Records(Rcode::NoError, vec![]),
            ),
        ],
    );
    assert_eq!(
        hosts(&l),
        [
            "kdc1.contoso.test=192.0.2.1:88",
            "kdc1.contoso.test=[2001:db8::1]:88",
            "dc2.contoso.test=192.0.2.2:88",
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
    assert_eq!(l.realm, "CONTOSO.TEST");
    // Two SRV, then A/AAAA for two distinct targets: six queries, each recorded.
    assert_eq!(l.evidence.len(), 6);
    assert_eq!(l.evidence[0].name.as_str(), REALM_SRV);
    assert_eq!(l.evidence[1].name.as_str(), AD_SRV);
    assert!(l.evidence.iter().all(|e| e.duration_ms == 1));
    assert!(!l.budget_exhausted);
}

#[test]
fn srv_order_is_rfc2782_with_the_injected_rng() {
    let zone = [
        (
            REALM_SRV,
            RecordType::Srv,
            ans(vec![
                srv(REALM_SRV, 10, 0, 88, "backup.contoso.test"),
                srv(REALM_SRV, 0, 10, 88, "light.contoso.test"),
                srv(REALM_SRV, 0, 90, 88, "heavy.contoso.test"),
            ]),
        ),
        (
            "backup.contoso.test",
            RecordType::A,
            ans(vec![a("backup.contoso.test", "192.0.2.10")]),
        ),
        (
            "light.contoso.test",
            RecordType::A,
            ans(vec![a("light.contoso.test", "192.0.2.11")]),
        ),
        (
            "heavy.contoso.test",
            RecordType::A,
            ans(vec![a("heavy.contoso.test", "192.0.2.12")]),
        ),
    ];
    let first = |l: &KdcLocation| l.kdcs.iter().map(|(h, _)| h.clone()).collect::<Vec<_>>();
    assert_eq!(
        first(&run(cfg(), Box::new(Zero), &zone)),
        [
            "light.contoso.test",
            "heavy.contoso.test",
            "backup.contoso.test"
        ]
    );
    assert_eq!(
        first(&run(cfg(), Box::new(Max), &zone)),
        [
            "heavy.contoso.test",
            "light.contoso.test",
            "backup.contoso.test"
        ]
    );
}

#[test]
fn only_the_msdcs_name() {
    let l = run(
        cfg(),
        Box::new(Zero),
        &[
            (
                AD_SRV,
                RecordType::Srv,
                ans(vec![srv(AD_SRV, 0, 100, 88, "dc1.contoso.test")]),
            ),
            (
                "dc1.contoso.test",
                RecordType::A,
                ans(vec![a("dc1.contoso.test", "192.0.2.5")]),
            ),
        ],
    );
    assert_eq!(hosts(&l), ["dc1.contoso.test=192.0.2.5:88"]);
    assert_eq!(l.sources, [KdcSource::MsdcsSrv]);
    assert_eq!(l.evidence[0].outcome, QueryOutcome::NxDomain);
    assert_eq!(l.evidence[1].outcome, QueryOutcome::Answer);
}

#[test]
fn neither_name_servfail_and_dot_target() {
    let l = run(
        cfg(),
        Box::new(Zero),
        &[(
            REALM_SRV,
            RecordType::Srv,
            Reply::Records(Rcode::ServFail, vec![]),
        )],
    );
    assert!(l.kdcs.is_empty());
    assert_eq!(l.evidence[0].outcome, QueryOutcome::ServFail);
    assert_eq!(l.evidence[1].outcome, QueryOutcome::NxDomain);

    let l = run(
        cfg(),
        Box::new(Zero),
        &[(
            REALM_SRV,
            RecordType::Srv,
            ans(vec![srv(REALM_SRV, 0, 0, 0, ".")]),
        )],
    );
    assert!(l.kdcs.is_empty());
    assert!(
        l.notes[0].contains("decidedly not available"),
        "{:?}",
        l.notes
    );
}

#[test]
fn a_silent_server_ends_at_the_timeouts_and_the_budget() {
    let mut c = cfg();
    c.query_timeout = Duration::from_millis(300);
    let l = run(
        c,
        Box::new(Zero),
        &[
            (REALM_SRV, RecordType::Srv, Reply::Silent),
            (AD_SRV, RecordType::Srv, Reply::Silent),
        ],
    );
    assert!(l.kdcs.is_empty());
    assert!(
        l.evidence
            .iter()
            .all(|e| e.outcome == QueryOutcome::Timeout)
    );
    assert!(l.evidence.iter().all(|e| e.duration_ms == 300));

    // A budget shorter than the query timeout: both queries end at the budget.
    let mut c = cfg();
    c.budget = Duration::from_millis(100);
    let l = run(
        c,
        Box::new(Zero),
        &[
            (REALM_SRV, RecordType::Srv, Reply::Silent),
            (AD_SRV, RecordType::Srv, Reply::Silent),
        ],
    );
    assert!(l.budget_exhausted);
    assert!(
        l.evidence
            .iter()
            .all(|e| e.outcome == QueryOutcome::BudgetExhausted)
    );
}

#[test]
fn explicit_kdc_skips_the_srv_names() {
    let l = run(
        cfg().with_explicit_kdc("192.0.2.9").unwrap(),
        Box::new(Zero),
        &[],
    );
    assert_eq!(hosts(&l), ["192.0.2.9=192.0.2.9:88"]);
    assert_eq!(l.sources, [KdcSource::Explicit]);
    assert!(l.evidence.is_empty());

    let l = run(
        cfg().with_explicit_kdc("[2001:db8::5]:1088").unwrap(),
        Box::new(Zero),
        &[],
    );
    assert_eq!(hosts(&l), ["2001:db8::5=[2001:db8::5]:1088"]);

    let l = run(
        cfg().with_explicit_kdc("kdc.contoso.test:750").unwrap(),
        Box::new(Zero),
        &[(
            "kdc.contoso.test",
            RecordType::A,
            ans(vec![
                rec(
                    "kdc.contoso.test",
                    RecordData::Cname {
                        target: d("dc9.contoso.test"),
                    },
                ),
                a("dc9.contoso.test", "192.0.2.99"),
            ]),
        )],
    );
    assert_eq!(hosts(&l), ["kdc.contoso.test=192.0.2.99:750"]);
    assert_eq!(l.evidence.len(), 2);
    assert!(l.evidence.iter().all(|e| e.rtype != RecordType::Srv));
    assert_eq!(l.evidence[0].cname_chain, [d("dc9.contoso.test")]);

    let l = run(
        cfg().with_explicit_kdc("nowhere.contoso.test").unwrap(),
        Box::new(Zero),
        &[],
    );
    assert!(l.kdcs.is_empty());
    assert!(l.notes[0].contains("no address"));
}

#[test]
fn bad_input_is_refused_precisely() {
    assert!(matches!(
        KdcConfig::new("BAD REALM", None),
        Err(KdcError::Realm { .. })
    ));
    assert!(matches!(
        KdcConfig::new("R.TEST", Some("a..b")),
        Err(KdcError::Domain { .. })
    ));
    assert!(matches!(
        cfg().with_explicit_kdc("kdc.test:99999"),
        Err(KdcError::Kdc { .. })
    ));
    let e = KdcConfig::new(&"A".repeat(300), None).unwrap_err();
    assert!(e.to_string().len() < 200, "{e}");
}

#[test]
fn hostile_answers_are_bounded() {
    let many: Vec<Record> = (0..500)
        .map(|i| srv(REALM_SRV, 0, 1, 88, &format!("k{i}.contoso.test")))
        .collect();
    let l = run(
        cfg(),
        Box::new(Zero),
        &[(REALM_SRV, RecordType::Srv, ans(many))],
    );
    let limits = Limits::default();
    assert!(l.evidence.len() <= limits.max_queries);
    assert_eq!(
        l.evidence[0].dropped_records,
        500 - limits.max_records_per_answer
    );
    // 16 targets kept, each resolved with A and AAAA (none answers): 2 + 32 queries.
    assert_eq!(l.evidence.len(), 2 + 2 * limits.max_srv_targets);
}

#[test]
fn location_serialises() {
    let l = run(
        cfg().with_explicit_kdc("192.0.2.9").unwrap(),
        Box::new(Zero),
        &[],
    );
    let v = serde_json::to_value(&l).unwrap();
    assert_eq!(v["kdcs"][0][1], "192.0.2.9:88");
    assert_eq!(v["sources"][0], "explicit");
    let back: KdcLocation = serde_json::from_value(v).unwrap();
    assert_eq!(back, l);
}
