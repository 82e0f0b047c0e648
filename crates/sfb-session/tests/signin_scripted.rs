//! The sans-IO sign-in machine against a scripted registrar (sfb-auth's server halves over
//! real SIP text) with a fake clock: NTLM in three transactions, settings with piggybacked
//! bodies, BENOTIFY, --no-auth, signatures wrong and missing, 301 (several Contacts, loop),
//! timeouts, retries, re-REGISTER and un-REGISTER, a 301 relayed by an Access Edge (followed on
//! the same connection, routed), Kerberos fallback and, with a real MIT KDC,
//! Kerberos in two transactions.

mod support;

#[path = "../../sfb-auth/tests/kerberos_support/mod.rs"]
#[allow(unreachable_pub, reason = "shared with sfb-auth's tests")]
mod kerberos_support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sfb_auth::Scheme;
use sfb_auth::kerberos::{KerberosError, KerberosServerContext};
use sfb_auth::secret::{Credential, CredentialSecret, Password};
use sfb_auth::sipae::{Network, SchemePolicy};
use sfb_session::signin::{
    AuthMode, Endpoint, Event, Outcome, Output, SettingsItem, SignIn, SignInConfig,
};
use sfb_trace::{Direction, Status, Step};
use support::registrar::{Behaviour, DOMAIN, PASSWORD, Registrar, USER, xorshift};

const URI: &str = "sip:alice@contoso.test";

/// The host of a request's `Route` header, if it has one.
fn route_host(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let head = text.split("\r\n\r\n").next()?;
    let route = head
        .split("\r\n")
        .find_map(|l| l.strip_prefix("Route: <sip:"))?;
    Some(route.split([':', ';', '>']).next()?.to_owned())
}

fn creds(password: &str, policy: SchemePolicy) -> AuthMode {
    AuthMode::Credentials {
        credential: Credential::from_login(
            &format!("{DOMAIN}\\{USER}"),
            CredentialSecret::Password(Password::new(password)),
        ),
        policy,
        kerberos_realm: None,
        kdcs: Vec::new(),
    }
}

/// 2026-11-27 08:00:00 UTC, as the wall clock at `t0`.
fn wall() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_766_400)
}

struct Run {
    m: SignIn,
    regs: HashMap<String, Registrar>,
    current: Option<String>,
    now: Instant,
    events: Vec<Event>,
    connects: Vec<Vec<Endpoint>>,
    kerberos_requests: usize,
    keepalives: usize,
    fail_connect: bool,
}

impl Run {
    fn new(auth: AuthMode, b: Behaviour, stay: bool) -> Self {
        Self::at(
            auth,
            b,
            stay,
            Endpoint::tls("pool1.contoso.test", 5061, "test"),
        )
    }

    /// A run whose first (and only) candidate is `first`, played by a registrar with `b`.
    fn at(auth: AuthMode, b: Behaviour, stay: bool, first: Endpoint) -> Self {
        let t0 = Instant::now();
        let mut cfg = SignInConfig::new(URI, auth, "WS01", (t0, wall()));
        cfg.stay = stay;
        let host = first.host.clone();
        let m = SignIn::new(cfg, vec![first], xorshift(99)).unwrap();
        let mut regs = HashMap::new();
        regs.insert(host, Registrar::new(b));
        Self {
            m,
            regs,
            current: None,
            now: t0,
            events: Vec::new(),
            connects: Vec::new(),
            kerberos_requests: 0,
            keepalives: 0,
            fail_connect: false,
        }
    }

    fn reg(&mut self, host: &str) -> &mut Registrar {
        self.regs.get_mut(host).unwrap()
    }

    /// Drains the machine until it waits for input (time or a Kerberos token).
    fn pump(&mut self) {
        while let Some(o) = self.m.poll_output() {
            match o {
                Output::Connect(eps) => {
                    self.connects.push(eps.clone());
                    let i = eps.iter().position(|e| self.regs.contains_key(&e.host));
                    match i {
                        Some(i) if !self.fail_connect => {
                            let host = eps[i].host.clone();
                            self.reg(&host).reset();
                            self.current = Some(host);
                            let local: SocketAddr = "10.0.0.5:50000".parse().unwrap();
                            self.m.handle_connected(i, local, self.now);
                        }
                        _ => self.m.handle_connect_failed("connection refused", self.now),
                    }
                }
                Output::Transmit(bytes) => {
                    if bytes == b"\r\n\r\n" {
                        self.keepalives += 1;
                        continue;
                    }
                    // An Access Edge relays a request to the registrar its Route names.
                    let host = route_host(&bytes)
                        .filter(|h| self.regs.contains_key(h))
                        .or_else(|| self.current.clone())
                        .unwrap();
                    let back = self.reg(&host).push(&bytes);
                    if !back.is_empty() {
                        // Arrives in two pieces, as TLS records may cut it.
                        let (a, b) = back.split_at(back.len() / 2);
                        self.m.handle_bytes(a, self.now);
                        self.m.handle_bytes(b, self.now);
                    }
                }
                Output::Close => self.current = None,
                Output::AcquireKerberosToken(_) => self.kerberos_requests += 1,
                Output::Event(e) => self.events.push(e),
            }
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.m.handle_timeout(self.now);
        self.pump();
    }

    fn outcome(&self) -> Option<&Outcome> {
        self.events.iter().find_map(|e| match e {
            Event::Finished(o) => Some(o),
            _ => None,
        })
    }

    fn fact(&self, source: &str) -> &std::collections::BTreeMap<String, String> {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::Fact {
                    source: s, fields, ..
                } if s == source => Some(fields),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no fact {source}: {:#?}", self.events))
    }

    fn sent_first_lines(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Sip {
                    direction: Direction::Sent,
                    bytes,
                } => Some(
                    String::from_utf8_lossy(bytes)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                ),
                _ => None,
            })
            .collect()
    }

    fn settings(&self) -> Vec<(SettingsItem, Status)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Setting { item, status, .. } => Some((*item, *status)),
                _ => None,
            })
            .collect()
    }

    fn step_status(&self, step: Step) -> Option<(Status, &'static str)> {
        self.events.iter().rev().find_map(|e| match e {
            Event::StepStatus {
                step: s,
                status,
                cause,
                ..
            } if *s == step => Some((*status, *cause)),
            _ => None,
        })
    }
}

fn ntlm() -> AuthMode {
    creds(PASSWORD, SchemePolicy::Only(Scheme::Ntlm))
}

#[test]
fn ntlm_three_transactions_then_settings_and_unregister() {
    let mut r = Run::new(ntlm(), Behaviour::default(), false);
    r.pump();
    assert_eq!(r.outcome(), Some(&Outcome::SignedIn), "{:#?}", r.events);
    let reg = r.fact("registered");
    assert_eq!(reg["register_transactions"], "3");
    assert_eq!(reg["scheme"], "NTLM");
    assert_eq!(reg["signed"], "true");
    assert!(reg["gruu"].contains("opaque=user:epid"));
    assert_eq!(
        r.step_status(Step::Authentication),
        Some((Status::Pass, "auth.signed_in"))
    );
    let lines = r.sent_first_lines();
    assert_eq!(
        lines,
        [
            "REGISTER sip:contoso.test SIP/2.0",
            "REGISTER sip:contoso.test SIP/2.0",
            "REGISTER sip:contoso.test SIP/2.0",
            "SUBSCRIBE sip:alice@contoso.test SIP/2.0",
            "SUBSCRIBE sip:alice@contoso.test SIP/2.0",
            "SUBSCRIBE sip:alice@contoso.test SIP/2.0",
            "SERVICE sip:alice@contoso.test;opaque=app:locationprofile:get;default SIP/2.0",
            "SUBSCRIBE sip:alice@contoso.test SIP/2.0",
            "REGISTER sip:contoso.test SIP/2.0",
        ]
    );
    // The registrar verified every signed request (it answers 401 otherwise).
    let reg = &r.regs["pool1.contoso.test"];
    let first = &reg.received[0];
    for h in [
        "Supported: gruu-10, adhoclist, msrtc-event-categories",
        "Supported: ms-forking",
        "Supported: ms-cluster-failover",
        "Supported: ms-userservices-state-notification",
        "ms-keep-alive: UAC;hop-hop=yes",
        "User-Agent: UCCAPI/16.0",
        "+sip.instance=\"<urn:uuid:",
        ";epid=",
    ] {
        assert!(first.contains(h), "{h} missing in {first}");
    }
    assert!(!first.contains("Authorization"));
    let provisioning = &reg.received[3];
    assert!(provisioning.contains("Event: vnd-microsoft-provisioning-v2"));
    assert!(provisioning.contains("Proxy-Require: ms-benotify"));
    assert!(reg.received[4].contains("Supported: ms-ucs"));
    assert!(reg.received[7].contains("Require: adhoclist, categoryList"));
    // The location profile request names the profile provisioning gave.
    assert!(reg.received[6].contains("name=\"Redmond\""));
    assert!(reg.received[8].contains("Expires: 0"));
    assert!(
        reg.sent
            .iter()
            .all(|s| !s.starts_with("SIP/2.0 401") || !s.contains("ms-diagnostics"))
    );
    // Settings: every row passes; piggybacked bodies were read.
    assert!(
        r.settings().iter().all(|(_, s)| *s == Status::Pass),
        "{:?}",
        r.settings()
    );
    let extracted: HashMap<SettingsItem, _> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Setting {
                item, extracted, ..
            } => Some((*item, extracted.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        extracted[&SettingsItem::Provisioning].fields["location_profile"],
        "Redmond"
    );
    assert_eq!(
        extracted[&SettingsItem::RoamingContacts].fields["contact_count"],
        "2"
    );
    assert_eq!(
        extracted[&SettingsItem::LocationProfile].fields["rule_count"],
        "1"
    );
    // Tokens decoded: the CHALLENGE received and the AUTHENTICATE sent.
    let tokens: Vec<(Direction, String)> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::AuthToken {
                direction,
                message_type,
                ..
            } => Some((*direction, message_type.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        tokens,
        [
            (Direction::Received, "challenge".to_owned()),
            (Direction::Sent, "authenticate".to_owned())
        ]
    );
}

#[test]
fn no_auth_stops_after_the_first_401() {
    let mut r = Run::new(AuthMode::NoAuth, Behaviour::default(), false);
    r.pump();
    assert_eq!(r.outcome(), Some(&Outcome::NoAuth));
    let f = r.fact("first_401");
    assert_eq!(f["offers"], "NTLM");
    assert_eq!(f["realm"], "SIP Communications Service");
    assert_eq!(f["targetnames"], "NTLM=pool1.contoso.test");
    assert_eq!(f["server"], "RTC/7.0");
    // The registrar's Date is 5 s ahead of our fake clock.
    assert_eq!(f["clock_skew_s"], "5");
    assert_eq!(r.sent_first_lines().len(), 1);
}

#[test]
fn wrong_password_is_refused_once() {
    let b = Behaviour {
        password: "other".into(),
        ..Behaviour::default()
    };
    let mut r = Run::new(ntlm(), b, false);
    r.pump();
    let Some(Outcome::Failed {
        step,
        cause,
        sentence,
    }) = r.outcome()
    else {
        panic!("{:#?}", r.events)
    };
    assert_eq!(
        (*step, *cause),
        (Step::Authentication, "auth.credentials_refused")
    );
    assert!(sentence.contains("Final handshake failed"), "{sentence}");
    let f = r.fact("refusal");
    assert_eq!(f["status"], "401");
    assert!(f["ms_diagnostics"].starts_with("1000;reason=\"Final handshake failed\""));
    // Exactly three REGISTERs: no retry with the same password.
    assert_eq!(r.sent_first_lines().len(), 3);
}

#[test]
fn wrong_server_signature_ends_the_sign_in() {
    let b = Behaviour {
        bad_signature: true,
        ..Behaviour::default()
    };
    let mut r = Run::new(ntlm(), b, false);
    r.pump();
    let Some(Outcome::Failed { cause, .. }) = r.outcome() else {
        panic!("{:#?}", r.events)
    };
    assert_eq!(*cause, "auth.bad_server_signature");
}

#[test]
fn missing_signatures_flag_register_and_drop_the_rest() {
    let b = Behaviour {
        unsigned_ok: true,
        unsigned_settings: true,
        ..Behaviour::default()
    };
    let mut r = Run::new(ntlm(), b, false);
    r.pump();
    assert_eq!(
        r.step_status(Step::Authentication),
        Some((Status::Warn, "auth.signed_in"))
    );
    assert_eq!(r.fact("registered")["signed"], "false");
    // The unsigned settings answers are dropped unread, each ending its request at once
    // (no 32 s wait per request), judged as unanswered.
    assert!(r.events.iter().any(|e| matches!(e, Event::Note { text, .. } if text.starts_with("unsigned message dropped: SIP/2.0 200"))));
    assert_eq!(r.settings().len(), 5);
    assert!(r.settings().iter().all(|(_, s)| *s == Status::Warn));
    let dropped = r
        .events
        .iter()
        .filter(|e| matches!(e, Event::Setting { sentence, extracted, .. } if sentence.contains("without a signature: dropped unread") && extracted.fields.is_empty()))
        .count();
    assert_eq!(dropped, 5, "{:#?}", r.events);
    assert_eq!(
        r.step_status(Step::Settings),
        Some((Status::Warn, "settings.partial"))
    );
}

#[test]
fn redirect_with_several_contacts_by_q() {
    let mut r = Run::new(
        ntlm(),
        Behaviour {
            fqdn: "dir.contoso.test".into(),
            redirect: Some(
                "<sip:pool9.contoso.test;transport=tls>;q=0.2, <sip:pool2.contoso.test:5062;transport=Tls>;q=0.8".into(),
            ),
            ..Behaviour::default()
        },
        false,
    );
    r.regs.insert(
        "pool2.contoso.test".into(),
        Registrar::new(Behaviour {
            fqdn: "pool2.contoso.test".into(),
            ..Behaviour::default()
        }),
    );
    r.pump();
    assert_eq!(r.outcome(), Some(&Outcome::SignedIn), "{:#?}", r.events);
    assert_eq!(r.connects.len(), 2);
    let second: Vec<_> = r.connects[1]
        .iter()
        .map(|e| (e.host.as_str(), e.port))
        .collect();
    assert_eq!(
        second,
        [("pool2.contoso.test", 5062), ("pool9.contoso.test", 5061)]
    );
    assert!(r.connects[1].iter().all(|e| e.redirected));
    assert_eq!(r.fact("redirect")["signed"], "true");
    assert_eq!(r.fact("registered")["registrar"], "pool2.contoso.test:5062");
    assert_eq!(
        r.step_status(Step::Redirection),
        Some((Status::Pass, "redirect.followed"))
    );
    // A fresh handshake at the home pool: 3 REGISTERs at the Director, then 3 + settings.
    assert_eq!(r.regs["pool1.contoso.test"].received.len(), 3);
}

/// An Access Edge relaying a Director's 301 (the scripted Edge hands each request to the
/// registrar its `Route` names): the client stays on the one connection, starts a fresh
/// handshake routed to the home pool, and the desktop policy at an Edge is the external one.
fn at_the_edge(pool: Behaviour) -> Run {
    let edge = Endpoint::tls("sip.contoso.test", 443, "test").with_edge(true);
    let director = Behaviour {
        fqdn: "dir.contoso.test".into(),
        redirect: Some("<sip:pool2.contoso.test;transport=tls>".into()),
        ..Behaviour::default()
    };
    let mut r = Run::at(
        creds(PASSWORD, SchemePolicy::Auto(Network::Internal)),
        director,
        false,
        edge,
    );
    r.regs
        .insert("pool2.contoso.test".into(), Registrar::new(pool));
    r.pump();
    r
}

#[test]
fn at_an_access_edge_a_redirect_is_followed_on_the_same_connection() {
    let r = at_the_edge(Behaviour {
        fqdn: "pool2.contoso.test".into(),
        ..Behaviour::default()
    });
    assert_eq!(r.outcome(), Some(&Outcome::SignedIn), "{:#?}", r.events);
    assert_eq!(r.connects.len(), 1, "no second connection");
    assert!(r.fact("scheme_selection")["reason"].contains("external policy"));
    let reg = r.fact("registered");
    assert_eq!(reg["registrar"], "pool2.contoso.test:5061");
    assert_eq!(reg["via_edge"], "sip.contoso.test:443");
    assert_eq!(reg["register_transactions"], "3");
    assert_eq!(
        r.step_status(Step::Redirection),
        Some((Status::Pass, "redirect.followed"))
    );
    // Three REGISTERs reached the Director without a Route; everything after the 301 (three
    // REGISTERs, the settings, the un-REGISTER) reached the pool with one.
    let director = &r.regs["sip.contoso.test"].received;
    assert_eq!(director.len(), 3);
    assert!(director.iter().all(|m| !m.contains("\r\nRoute:")));
    let pool = &r.regs["pool2.contoso.test"].received;
    assert!(pool.len() > 3 + 5, "{pool:#?}");
    for m in pool {
        assert!(
            m.contains("\r\nRoute: <sip:pool2.contoso.test:5061;transport=tls;lr>\r\n"),
            "{m}"
        );
    }
}

/// Office 365's `sipdir` (an external endpoint, taken for an Edge) redirects to a pool
/// published on 443: that one is reachable from outside, so the client connects to it.
#[test]
fn at_an_access_edge_a_redirect_to_443_is_a_new_connection() {
    let edge = Endpoint::tls("sipdir.contoso.test", 443, "test").with_edge(true);
    let director = Behaviour {
        fqdn: "sipdir.contoso.test".into(),
        redirect: Some("<sip:sippool2.contoso.test:443;transport=tls>".into()),
        ..Behaviour::default()
    };
    let mut r = Run::at(ntlm(), director, false, edge);
    r.regs.insert(
        "sippool2.contoso.test".into(),
        Registrar::new(Behaviour {
            fqdn: "sippool2.contoso.test".into(),
            ..Behaviour::default()
        }),
    );
    r.pump();
    assert_eq!(r.outcome(), Some(&Outcome::SignedIn), "{:#?}", r.events);
    assert_eq!(r.connects.len(), 2);
    let reg = r.fact("registered");
    assert_eq!(reg["registrar"], "sippool2.contoso.test:443");
    assert!(!reg.contains_key("via_edge"));
    assert!(
        r.regs["sippool2.contoso.test"]
            .received
            .iter()
            .all(|m| !m.contains("\r\nRoute:"))
    );
}

#[test]
fn at_an_access_edge_an_unreachable_redirect_target_fails_the_redirection() {
    let r = at_the_edge(Behaviour {
        fqdn: "pool2.contoso.test".into(),
        next_hop_down: true,
        ..Behaviour::default()
    });
    let Some(Outcome::Failed {
        step,
        cause,
        sentence,
    }) = r.outcome()
    else {
        panic!("{:#?}", r.events)
    };
    assert_eq!(
        (*step, *cause),
        (Step::Redirection, "redirect.target_unreachable")
    );
    assert!(sentence.contains("pool2.contoso.test:5061"), "{sentence}");
    assert!(sentence.contains("1007"), "{sentence}");
    assert_eq!(r.connects.len(), 1);
}

#[test]
fn redirect_bare_contact_is_tls_5061() {
    let mut r = Run::new(
        ntlm(),
        Behaviour {
            redirect: Some("sip:pool3.contoso.test".into()),
            ..Behaviour::default()
        },
        false,
    );
    r.fail_connect = false;
    r.pump();
    // pool3 is not reachable in this test: the redirect's target fails at Redirection.
    let eps = &r.connects[1];
    assert_eq!(
        (eps[0].host.as_str(), eps[0].port),
        ("pool3.contoso.test", 5061)
    );
    assert_eq!(eps[0].transport, sfb_session::signin::Transport::Tls);
    let Some(Outcome::Failed { step, cause, .. }) = r.outcome() else {
        panic!()
    };
    assert_eq!(
        (*step, *cause),
        (Step::Redirection, "redirect.target_unreachable")
    );
}

#[test]
fn redirect_loop_is_detected() {
    let mut r = Run::new(
        ntlm(),
        Behaviour {
            redirect: Some("<sip:pool2.contoso.test:5061;transport=tls>".into()),
            ..Behaviour::default()
        },
        false,
    );
    r.regs.insert(
        "pool2.contoso.test".into(),
        Registrar::new(Behaviour {
            fqdn: "pool2.contoso.test".into(),
            redirect: Some("<sip:pool1.contoso.test:5061;transport=tls>".into()),
            ..Behaviour::default()
        }),
    );
    r.pump();
    let Some(Outcome::Failed {
        step,
        cause,
        sentence,
    }) = r.outcome()
    else {
        panic!("{:#?}", r.events)
    };
    assert_eq!((*step, *cause), (Step::Redirection, "redirect.loop"));
    assert!(
        sentence.contains("pool1.contoso.test:5061 -> pool2.contoso.test:5061"),
        "{sentence}"
    );
}

#[test]
fn silence_times_out_and_busy_is_retried() {
    let mut r = Run::new(
        ntlm(),
        Behaviour {
            silent: true,
            ..Behaviour::default()
        },
        false,
    );
    r.pump();
    assert_eq!(r.outcome(), None);
    r.advance(Duration::from_secs(31));
    assert_eq!(r.outcome(), None);
    r.advance(Duration::from_secs(2));
    let Some(Outcome::Failed { cause, .. }) = r.outcome() else {
        panic!()
    };
    assert_eq!(*cause, "sip.timeout");

    let mut r = Run::new(
        ntlm(),
        Behaviour {
            busy: 1,
            ..Behaviour::default()
        },
        false,
    );
    r.pump();
    assert_eq!(r.fact("retry")["retry_after_s"], "5");
    assert_eq!(r.outcome(), None);
    r.advance(Duration::from_secs(4));
    assert_eq!(r.outcome(), None);
    r.advance(Duration::from_secs(1));
    assert_eq!(r.outcome(), Some(&Outcome::SignedIn));
}

#[test]
fn stay_reregisters_keeps_alive_and_unregisters_on_close() {
    let b = Behaviour {
        expires: 300,
        benotify: true,
        ..Behaviour::default()
    };
    let mut r = Run::new(ntlm(), b, true);
    r.pump();
    assert!(r.m.is_staying(), "{:#?}", r.events);
    assert_eq!(r.outcome(), None);
    // The BENOTIFY was read and not answered.
    let f = r.fact("benotify:presence");
    assert_eq!(f["availability"], "3500");
    let reg = &r.regs["pool1.contoso.test"];
    assert!(
        reg.received.iter().all(|m| !m.starts_with("SIP/2.0")),
        "a response was sent to BENOTIFY"
    );
    // Keep-alives every 60 s; re-REGISTER at 300 - 30 s.
    r.advance(Duration::from_secs(60));
    assert_eq!(r.keepalives, 1);
    r.advance(Duration::from_secs(210));
    assert_eq!(r.fact("re_registered")["expires_s"], "300");
    let n_register = r
        .sent_first_lines()
        .iter()
        .filter(|l| l.starts_with("REGISTER"))
        .count();
    assert_eq!(n_register, 4);
    r.m.close(r.now);
    r.pump();
    assert_eq!(r.outcome(), Some(&Outcome::SignedIn));
    let last = r.regs["pool1.contoso.test"]
        .received
        .last()
        .unwrap()
        .clone();
    assert!(
        last.starts_with("REGISTER") && last.contains("Expires: 0") && last.contains(";expires=0")
    );
}

#[test]
fn provisioning_refused_fails_settings_and_absent_dial_plan_passes() {
    let b = Behaviour {
        provisioning_status: 403,
        no_dial_plan: true,
        ..Behaviour::default()
    };
    let mut r = Run::new(ntlm(), b, false);
    r.pump();
    let s = r.settings();
    assert_eq!(s[0], (SettingsItem::Provisioning, Status::Fail));
    assert_eq!(s[3], (SettingsItem::LocationProfile, Status::Pass));
    let Some(Outcome::Failed { step, cause, .. }) = r.outcome() else {
        panic!()
    };
    assert_eq!((*step, *cause), (Step::Settings, "settings.failed"));
}

#[test]
fn kerberos_kdc_failure_falls_back_to_ntlm_with_the_reason() {
    let b = Behaviour::default();
    let mut r = Run::new(
        creds(PASSWORD, SchemePolicy::Auto(Network::Internal)),
        b,
        false,
    );
    // Kerberos is offered first; its server context is never reached.
    let reg = r.regs.remove("pool1.contoso.test").unwrap();
    let reg = reg.with_kerberos(Box::new(|| {
        Box::new(KerberosServerContext::new(
            sfb_auth::kerberos::KerberosServer::new(Vec::new(), sfb_auth::kerberos::DEFAULT_SKEW),
            SystemTime::now(),
        ))
    }));
    r.regs.insert("pool1.contoso.test".into(), reg);
    r.pump();
    assert_eq!(r.kerberos_requests, 1);
    assert_eq!(r.fact("scheme_selection")["scheme"], "Kerberos");
    r.m.handle_kerberos(
        Err(KerberosError::KdcUnreachable {
            kdcs: "contoso.test:88".into(),
        }),
        r.now,
    );
    r.pump();
    assert_eq!(r.outcome(), Some(&Outcome::SignedIn), "{:#?}", r.events);
    let reasons: Vec<String> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Fact { source, fields, .. } if source == "scheme_selection" => {
                Some(fields["reason"].clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), 2);
    assert!(
        reasons[1].starts_with("NTLM: Kerberos broken"),
        "{reasons:?}"
    );
}

/// Kerberos with a ticket from a real MIT KDC (scripts/kdc-up.sh): two REGISTER transactions.
#[test]
fn kerberos_with_a_real_kdc_takes_two_transactions() {
    let Some(kdc) = kerberos_support::Kdc::start() else {
        return;
    };
    let b = Behaviour {
        fqdn: "sip.contoso.test".into(),
        ..Behaviour::default()
    };
    let mut auth = creds(
        kerberos_support::PASSWORD,
        SchemePolicy::Only(Scheme::Kerberos),
    );
    if let AuthMode::Credentials {
        kerberos_realm,
        kdcs,
        ..
    } = &mut auth
    {
        *kerberos_realm = Some(kerberos_support::REALM.into());
        *kdcs = vec![kdc.kdc().parse().unwrap()];
    }
    let mut r = Run::new(auth, b, false);
    let server = kdc.server();
    let reg = r.regs.remove("pool1.contoso.test").unwrap();
    let server = std::sync::Mutex::new(Some(server));
    let reg = reg.with_kerberos(Box::new(move || {
        let s = server.lock().unwrap().take().expect("one Kerberos offer");
        Box::new(KerberosServerContext::new(s, SystemTime::now()))
    }));
    r.regs.insert("pool1.contoso.test".into(), reg);
    let mut ev = Vec::new();
    // Drain until the effect is requested, keeping the request.
    let req = loop {
        match r.m.poll_output().expect("machine stalled") {
            Output::AcquireKerberosToken(req) => break req,
            Output::Connect(eps) => {
                r.current = Some(eps[0].host.clone());
                r.m.handle_connected(0, "10.0.0.5:50000".parse().unwrap(), r.now);
            }
            Output::Transmit(b) => {
                let back = r.reg("pool1.contoso.test").push(&b);
                r.m.handle_bytes(&back, r.now);
            }
            Output::Event(e) => ev.push(e),
            Output::Close => {}
        }
    };
    r.events = ev;
    assert_eq!(req.spn, "sip/sip.contoso.test");
    let token = sfb_auth::kerberos::driver::acquire_token(
        &req,
        kerberos_support::USER,
        kerberos_support::PASSWORD,
    )
    .unwrap();
    r.m.handle_kerberos(Ok(token), r.now);
    r.pump();
    assert_eq!(r.outcome(), Some(&Outcome::SignedIn), "{:#?}", r.events);
    assert_eq!(r.fact("registered")["register_transactions"], "2");
    assert!(r.events.iter().any(|e| matches!(e, Event::AuthToken { message_type, fields, .. } if message_type == "ap_req" && fields["sname"] == "sip/sip.contoso.test")));
}

/// Hostile server bytes: garbage, an oversized message, a flood of headers, a 401 whose
/// challenge is junk, random bytes in odd chunks. The machine ends with an outcome, no panic.
#[test]
fn hostile_server_bytes_end_the_run_cleanly() {
    let mut cases: Vec<Vec<u8>> = vec![
        b"\x05garbage\r\n\r\nnot sip at all".to_vec(),
        {
            let mut v = b"\x40SIP/2.0 200 OK\r\nContent-Length: 99999999\r\n\r\n".to_vec();
            v.extend(std::iter::repeat_n(b'x', 300_000));
            v
        },
        {
            let mut v = b"\x07SIP/2.0 401 Unauthorized\r\n".to_vec();
            for i in 0..5000 {
                v.extend(format!("X-H{i}: v\r\n").as_bytes());
            }
            v.extend(b"\r\n");
            v
        },
        b"\x10SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/TLS 10.0.0.5:50000;branch=z9hG4bK1\r\nFrom: <sip:u@d.test>;tag=1\r\nTo: <sip:u@d.test>;tag=2\r\nCall-ID: 03030303030303030303030303030303\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: NTLM realm=\"\", targetname=, gssapi-data=\"%%%\"\r\nWWW-Authenticate: Kerberos\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ];
    let mut rng = xorshift(12345);
    for n in [1usize, 17, 512, 4096] {
        let mut v = vec![0u8; n];
        rng.fill(&mut v);
        cases.push(v);
    }
    for c in cases {
        sfb_session::fuzzing::signin_input(&c);
    }
}
