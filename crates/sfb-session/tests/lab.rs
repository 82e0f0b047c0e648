//! `sfb_session::sign_in` against the emulated deployment (`sfb-lab`) on loopback: each test
//! starts its own lab (DNS, PKI, Edge, Director, home pools) and asserts on the trace (the SIP
//! evidence per registrar, the facts, the step records), never on printed text.
//!
//! The Kerberos tests start the lab with its own real MIT KDC (`LabConfig::mit_kdc`,
//! `sfb_lab::kdc::MitKdc`: the lab's users with their passwords, the registrars' `sip/`
//! principals in the keytab the lab reads). Without the KDC binaries they skip loudly, and
//! FAIL when `SFB_REQUIRE_PEERS=1`.
//!
//! Run: `SFB_REQUIRE_PEERS=1 cargo test -p sfb-session --test lab`.
#![allow(
    clippy::print_stderr,
    reason = "the skip note must be loud on stderr, and failures print the trace's SIP text"
)]

use std::net::SocketAddr;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use sfb_auth::kerberos::KdcAddress;
use sfb_discovery::{DiscoveryConfig, ManualServer, SipDomain};
use sfb_lab::lab::{DIRECTOR_FQDN, EDGE_FQDN, POOL_FQDNS};
use sfb_lab::{Lab, LabConfig, RunningLab, Scenario};
use sfb_session::{SchemeChoice, SignInReport, SignInRequest, TlsSettings, sign_in};
use sfb_trace::{AuthProtocol, Direction, EvidenceKind, FactEvidence, SignInTrace, Status, Step};

const REALM: &str = "CONTOSO.TEST";

// ---------------------------------------------------------------------------------------------
// Running a sign-in against a lab.

/// How to sign in.
struct Login {
    /// `--server HOST:PORT`.
    server: Option<String>,
    /// `false`: `--no-auth`.
    auth: bool,
    scheme: SchemeChoice,
    realm: Option<String>,
    kdcs: Vec<KdcAddress>,
}

impl Login {
    fn ntlm() -> Self {
        Self {
            server: None,
            auth: true,
            scheme: SchemeChoice::Ntlm,
            realm: None,
            kdcs: Vec::new(),
        }
    }

    /// Kerberos only, with the lab's KDC and realm.
    fn kerberos(lab: &RunningLab) -> Self {
        let kdc = lab.kdc().expect("the lab runs its KDC");
        assert_eq!(kdc.realm(), REALM);
        Self {
            server: None,
            auth: true,
            scheme: SchemeChoice::Kerberos,
            realm: Some(kdc.realm().to_owned()),
            kdcs: vec![kdc.kdc_address()],
        }
    }
}

/// Signs alice (the lab's first user) in with `login`, trusting only the lab's CA and
/// resolving every name through the lab's DNS.
async fn sign_in_alice(lab: &RunningLab, login: Login) -> SignInReport {
    sign_in_alice_from(lab, login, false).await
}

/// [`sign_in_alice`], as a remote user (`--external`) when `external`.
async fn sign_in_alice_from(lab: &RunningLab, login: Login, external: bool) -> SignInReport {
    let info = lab.info();
    let user = &info.users[0];
    assert_eq!(user.sip_uri, "sip:alice@contoso.test");
    let roots: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&info.ca_file)
        .expect("the lab's CA file")
        .collect::<Result<_, _>>()
        .expect("PEM certificates");
    let tls = TlsSettings::new(&roots, Arc::new(rustls::time_provider::DefaultTimeProvider))
        .expect("TLS settings");
    let mut discovery = DiscoveryConfig::new(SipDomain::from_sip_uri(&user.sip_uri).unwrap());
    discovery.manual_server = login
        .server
        .as_deref()
        .map(|s| ManualServer::parse(s).unwrap());
    let req = SignInRequest {
        sip_uri: user.sip_uri.clone(),
        discovery,
        dns_server: info.dns,
        dns_for_targets: true,
        login: Some(user.login.clone()),
        password: login
            .auth
            .then(|| sfb_certprov::Password::new(user.password.as_str())),
        scheme: login.scheme,
        realm: login.realm,
        kdcs: login.kdcs,
        tls,
        user_agent: None,
        stay: false,
        external,
        tool: "sfb-session lab test".into(),
        policy: Default::default(),
        machine_name: "LABTEST".into(),
        progress: None,
        cancel: None,
    };
    sign_in(req).await
}

/// Starts a lab for `scenario`.
async fn start_lab(scenario: Scenario) -> RunningLab {
    let mut config = LabConfig::new(scenario);
    config.seed = Some(11);
    Lab::start(config).await.expect("the lab starts")
}

/// Starts a lab for `scenario` with its own MIT KDC. `None` (a loud skip) when the MIT
/// binaries are missing, unless `SFB_REQUIRE_PEERS=1`.
async fn start_kerberos_lab(scenario: Scenario) -> Option<RunningLab> {
    if let Err(e) = sfb_lab::kdc::check_installed() {
        if std::env::var("SFB_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("required test peer missing: {e} (SFB_REQUIRE_PEERS=1)");
        }
        eprintln!(
            "\n!!!!! SKIPPED: test peer missing: {e} (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
        );
        return None;
    }
    let mut config = LabConfig::new(scenario);
    config.mit_kdc = true;
    config.seed = Some(11);
    Some(
        Lab::start(config)
            .await
            .expect("the lab starts with its KDC"),
    )
}

/// `HOST:PORT` of a lab role by its FQDN (the name its certificate carries).
fn server_of(lab: &RunningLab, role: &str, fqdn: &str) -> String {
    let addr = lab.role_addr(role).expect("the role exists");
    format!("{fqdn}:{}", addr.port())
}

// ---------------------------------------------------------------------------------------------
// Reading the trace.

/// One SIP message of the trace.
#[derive(Debug)]
struct Sip<'a> {
    direction: Direction,
    peer: &'a str,
    text: &'a str,
}

impl Sip<'_> {
    /// The request method, or `None` for a response.
    fn method(&self) -> Option<&str> {
        let first = self.text.lines().next()?;
        (!first.starts_with("SIP/2.0")).then(|| first.split(' ').next().unwrap_or(""))
    }

    /// A response's status code.
    fn status(&self) -> Option<u16> {
        let first = self.text.lines().next()?;
        first.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
    }

    /// The value of the first header `name` (case-insensitive).
    fn header(&self, name: &str) -> Option<&str> {
        self.text
            .split("\r\n")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
            })
    }

    /// The method of the CSeq header.
    fn cseq_method(&self) -> Option<&str> {
        self.header("CSeq")?.split_whitespace().nth(1)
    }
}

fn sip(trace: &SignInTrace) -> Vec<Sip<'_>> {
    trace
        .evidence
        .iter()
        .filter_map(|e| match &e.kind {
            EvidenceKind::Sip(s) => Some(Sip {
                direction: s.direction,
                peer: &s.peer,
                text: &s.text,
            }),
            _ => None,
        })
        .collect()
}

fn facts<'a>(trace: &'a SignInTrace, source: &str) -> Vec<&'a FactEvidence> {
    trace
        .evidence
        .iter()
        .filter_map(|e| match &e.kind {
            EvidenceKind::Fact(f) if f.source == source => Some(f),
            _ => None,
        })
        .collect()
}

fn fact<'a>(trace: &'a SignInTrace, source: &str) -> &'a FactEvidence {
    facts(trace, source)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {source:?} fact\n{}", dump(trace)))
}

fn field<'a>(f: &'a FactEvidence, name: &str) -> &'a str {
    f.fields
        .get(name)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("fact {:?} has no {name:?}: {:?}", f.source, f.fields))
}

/// The statuses of the REGISTER responses received from `addr`, in order.
fn register_statuses(trace: &SignInTrace, addr: SocketAddr) -> Vec<u16> {
    let peer = addr.to_string();
    sip(trace)
        .iter()
        .filter(|m| {
            m.direction == Direction::Received
                && m.peer == peer
                && m.cseq_method() == Some("REGISTER")
        })
        .filter_map(Sip::status)
        .collect()
}

/// The REGISTER responses received from `addr`.
fn register_responses(trace: &SignInTrace, addr: SocketAddr) -> Vec<Sip<'_>> {
    let peer = addr.to_string();
    sip(trace)
        .into_iter()
        .filter(|m| {
            m.direction == Direction::Received
                && m.peer == peer
                && m.cseq_method() == Some("REGISTER")
        })
        .collect()
}

/// How many messages went to or came from `addr`.
fn messages_with(trace: &SignInTrace, addr: SocketAddr) -> usize {
    let peer = addr.to_string();
    sip(trace).iter().filter(|m| m.peer == peer).count()
}

fn step_evidence(trace: &SignInTrace, step: Step) -> usize {
    trace
        .steps
        .iter()
        .find(|s| s.step == step)
        .map_or(0, |s| s.evidence.len())
}

/// The trace's SIP start lines and facts, for failure messages.
fn dump(trace: &SignInTrace) -> String {
    let mut out = String::new();
    for e in &trace.evidence {
        match &e.kind {
            EvidenceKind::Sip(s) => out.push_str(&format!(
                "  sip {:?} {} {}\n",
                s.direction,
                s.peer,
                s.text.lines().next().unwrap_or("")
            )),
            EvidenceKind::Fact(f) => out.push_str(&format!(
                "  fact {} {:?} {:?}\n",
                f.source, f.status, f.fields
            )),
            _ => {}
        }
    }
    out
}

/// No password and no raw token in the trace (the default redaction policy).
fn assert_no_secrets(lab: &RunningLab, trace: &SignInTrace) {
    let json = trace.to_json();
    assert!(!json.contains(&lab.info().users[0].password));
    for e in &trace.evidence {
        if let EvidenceKind::AuthToken(a) = &e.kind {
            assert!(a.raw.is_none(), "a raw {:?} token in the trace", a.protocol);
        }
    }
}

/// The five settings requests after a registration, each answered 200.
fn assert_settings_ok(trace: &SignInTrace) {
    for item in [
        "provisioning",
        "roaming_contacts",
        "roaming_self",
        "location_profile",
        "presence",
    ] {
        let f = fact(trace, &format!("setting:{item}"));
        assert_eq!(
            f.fields.get("status_code").map(String::as_str),
            Some("200"),
            "{item}: {f:?}"
        );
        assert_eq!(f.status, Some(Status::Pass), "{item}: {f:?}");
    }
    assert!(step_evidence(trace, Step::Settings) >= 5);
}

// ---------------------------------------------------------------------------------------------
// NTLM.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_through_the_director_is_redirected_to_the_home_pool() {
    let lab = start_lab(Scenario::Healthy).await;
    let director = lab.role_addr("director").unwrap();
    let pool = lab.role_addr("pool01").unwrap();
    let report = sign_in_alice(&lab, Login::ntlm()).await;
    let t = &report.trace;
    assert!(report.error.is_none(), "{:?}", report.error);

    // Discovery found the Director by SRV (no --server).
    assert!(step_evidence(t, Step::Discovery) > 0, "{}", dump(t));
    // The Director: NTLM handshake, then the 301 (signed) to the home pool.
    assert_eq!(
        register_statuses(t, director),
        [401, 401, 301],
        "{}",
        dump(t)
    );
    let redirect = fact(t, "redirect");
    assert_eq!(field(redirect, "status"), "301");
    assert!(
        redirect.fields.values().any(|v| v.contains(POOL_FQDNS[0])),
        "{redirect:?}"
    );
    assert!(step_evidence(t, Step::Redirection) > 0);
    // The home pool: 3 REGISTER transactions (401, 401, 200); an un-REGISTER may follow.
    let at_pool = register_statuses(t, pool);
    assert_eq!(at_pool[..3], [401, 401, 200], "{}", dump(t));
    let registered = fact(t, "registered");
    assert_eq!(field(registered, "scheme"), "NTLM");
    assert_eq!(field(registered, "register_transactions"), "3");
    assert_eq!(field(registered, "signed"), "true");
    assert!(field(registered, "registrar").contains(POOL_FQDNS[0]));
    assert!(field(registered, "gruu").starts_with("sip:alice@contoso.test;"));
    assert_no_secrets(&lab, t);
    // Nothing went to the Edge or bob's pool.
    assert_eq!(messages_with(t, lab.role_addr("edge").unwrap()), 0);
    assert_eq!(messages_with(t, lab.role_addr("pool02").unwrap()), 0);
    // The first 401 was the Director's.
    let first = fact(t, "first_401");
    assert!(field(first, "offers").contains("NTLM"));
    assert!(
        field(first, "endpoint").contains(DIRECTOR_FQDN),
        "{first:?}"
    );
    assert_settings_ok(t);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_directly_at_the_home_pool_is_not_redirected() {
    let lab = start_lab(Scenario::Healthy).await;
    let pool = lab.role_addr("pool01").unwrap();
    let mut login = Login::ntlm();
    login.server = Some(server_of(&lab, "pool01", POOL_FQDNS[0]));
    let report = sign_in_alice(&lab, login).await;
    let t = &report.trace;
    assert!(report.error.is_none(), "{:?}", report.error);

    assert_eq!(
        register_statuses(t, pool)[..3],
        [401, 401, 200],
        "{}",
        dump(t)
    );
    assert!(facts(t, "redirect").is_empty(), "{}", dump(t));
    assert_eq!(step_evidence(t, Step::Redirection), 0);
    assert_eq!(messages_with(t, lab.role_addr("director").unwrap()), 0);
    let registered = fact(t, "registered");
    assert_eq!(field(registered, "register_transactions"), "3");
    assert_eq!(field(registered, "scheme"), "NTLM");
    assert_eq!(field(registered, "signed"), "true");
    assert!(!registered.fields.contains_key("ms_user_logon_data"));
    assert_settings_ok(t);
    lab.shutdown().await;
}

/// Alice through the Access Edge (`--server` = the Edge): the Edge relays to the Director,
/// which sees `ms-user-logon-data: RemoteUser`, challenges with NTLM and answers 301.
async fn sign_in_through_the_edge(lab: &RunningLab, scheme: SchemeChoice) -> SignInReport {
    let mut login = Login::ntlm();
    login.scheme = scheme;
    login.server = Some(server_of(lab, "edge", EDGE_FQDN));
    sign_in_alice_from(lab, login, true).await
}

/// What a remote user's sign-in through the Access Edge must look like: everything over the
/// one Edge connection (the internal Director and pool are never contacted directly), the
/// Director's 301 followed by a REGISTER routed to the home pool through the Edge, NTLM by the
/// external policy, `ms-user-logon-data: RemoteUser` in the 200, settings answered, and a
/// diagnosis that passes every step.
fn assert_remote_sign_in(lab: &RunningLab, report: &SignInReport) {
    let t = &report.trace;
    assert!(report.error.is_none(), "{:?}", report.error);
    let edge = lab.role_addr("edge").unwrap();
    assert_eq!(
        messages_with(t, lab.role_addr("director").unwrap()),
        0,
        "{}",
        dump(t)
    );
    assert_eq!(
        messages_with(t, lab.role_addr("pool01").unwrap()),
        0,
        "{}",
        dump(t)
    );
    // NTLM with the Director (401, 401, 301), then again with the home pool (401, 401, 200),
    // then the un-REGISTER's 200: all on the Edge connection.
    assert_eq!(
        register_statuses(t, edge),
        [401, 401, 301, 401, 401, 200, 200],
        "{}",
        dump(t)
    );
    let first = fact(t, "first_401");
    assert_eq!(field(first, "offers"), "NTLM", "{first:?}");
    assert!(field(first, "endpoint").contains(EDGE_FQDN), "{first:?}");
    // The Edge removed its Via from the relayed responses: only ours is left.
    for r in register_responses(t, edge) {
        let vias = r
            .text
            .split("\r\n")
            .filter(|l| l.to_ascii_lowercase().starts_with("via:"))
            .count();
        assert_eq!(vias, 1, "{}", r.text);
    }
    let redirect = fact(t, "redirect");
    assert!(field(redirect, "from").contains(EDGE_FQDN), "{redirect:?}");
    assert!(field(redirect, "contacts").contains(POOL_FQDNS[0]));
    // Every request after the 301 carries a loose Route to the home pool; none before it.
    let route = format!("Route: <sip:{}:", POOL_FQDNS[0]);
    let all = sip(t);
    let redirect_at = all
        .iter()
        .position(|m| m.text.starts_with("SIP/2.0 301"))
        .expect("a 301");
    for (i, m) in all.iter().enumerate() {
        if m.direction != Direction::Sent || !m.text.contains("CSeq:") || m.text.starts_with("SIP/")
        {
            continue;
        }
        let routed = m.text.contains(&route) && m.text.contains(";lr>");
        assert_eq!(routed, i > redirect_at, "{}", m.text);
    }
    let selection = fact(t, "scheme_selection");
    assert!(
        field(selection, "reason").contains("external policy"),
        "{selection:?}"
    );
    let registered = fact(t, "registered");
    assert_eq!(field(registered, "scheme"), "NTLM");
    assert_eq!(field(registered, "register_transactions"), "3");
    assert_eq!(field(registered, "ms_user_logon_data"), "RemoteUser");
    assert!(
        field(registered, "registrar").starts_with(POOL_FQDNS[0]),
        "{registered:?}"
    );
    assert!(
        field(registered, "via_edge").starts_with(EDGE_FQDN),
        "{registered:?}"
    );
    assert!(
        field(registered, "targetname").contains(POOL_FQDNS[0]),
        "{registered:?}"
    );
    assert_settings_ok(t);
    for step in Step::ALL {
        assert_eq!(diagnosis(t, step).0, Status::Pass, "{step:?}: {}", dump(t));
    }
}

/// `--server` at the Edge with `--external` (the client's "external server name").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_through_the_access_edge_as_a_remote_user() {
    let lab = start_lab(Scenario::Healthy).await;
    // The desktop client's policy: at an Edge, NTLM only.
    let report = sign_in_through_the_edge(&lab, SchemeChoice::Auto).await;
    assert_remote_sign_in(&lab, &report);
    assert_no_secrets(&lab, &report.trace);
    lab.shutdown().await;
}

/// With DNS as the Internet sees it, discovery finds `_sip._tls` (the Edge) and the session
/// takes the external endpoint for an Edge by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_user_discovers_the_edge_and_stays_on_it() {
    let mut config = LabConfig::new(Scenario::Healthy);
    config.seed = Some(12);
    config.external_view = true;
    let lab = Lab::start(config).await.expect("the lab starts");
    let mut login = Login::ntlm();
    login.scheme = SchemeChoice::Auto;
    let report = sign_in_alice(&lab, login).await;
    assert_remote_sign_in(&lab, &report);
    lab.shutdown().await;
}

/// A `--server` that is not on the Edge's client port (443) and no `--external`: the session
/// cannot know it is an Edge, so it follows the 301 as an internal client does, by connecting
/// to the Contact itself (the lab's pools are reachable on loopback).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_server_is_an_edge_only_when_told() {
    let lab = start_lab(Scenario::Healthy).await;
    let edge = lab.role_addr("edge").unwrap();
    let pool = lab.role_addr("pool01").unwrap();
    let mut login = Login::ntlm();
    login.server = Some(server_of(&lab, "edge", EDGE_FQDN));
    let report = sign_in_alice(&lab, login).await;
    let t = &report.trace;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(register_statuses(t, edge), [401, 401, 301], "{}", dump(t));
    assert_eq!(
        register_statuses(t, pool)[..3],
        [401, 401, 200],
        "{}",
        dump(t)
    );
    assert!(!facts(t, "registered")[0].fields.contains_key("via_edge"));
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_auth_stops_after_the_first_401() {
    let lab = start_lab(Scenario::Healthy).await;
    let director = lab.role_addr("director").unwrap();
    let mut login = Login::ntlm();
    login.auth = false;
    let report = sign_in_alice(&lab, login).await;
    let t = &report.trace;
    assert!(report.error.is_none(), "{:?}", report.error);

    assert_eq!(register_statuses(t, director), [401], "{}", dump(t));
    let sent_registers = sip(t)
        .iter()
        .filter(|m| m.direction == Direction::Sent && m.method() == Some("REGISTER"))
        .count();
    assert_eq!(sent_registers, 1, "{}", dump(t));
    let first = fact(t, "first_401");
    assert!(field(first, "offers").contains("NTLM"), "{first:?}");
    assert_eq!(field(first, "realm"), "SIP Communications Service");
    assert!(
        field(first, "targetnames").contains(&format!("NTLM={DIRECTOR_FQDN}")),
        "{first:?}"
    );
    assert!(!field(first, "server").is_empty());
    assert!(field(first, "date").ends_with("GMT"), "{first:?}");
    assert!(field(first, "endpoint").contains(DIRECTOR_FQDN));
    assert!(facts(t, "registered").is_empty());
    assert!(facts(t, "redirect").is_empty());
    lab.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Kerberos with a real MIT KDC.

/// The diagnosis of a trace (sfb-diagnose, a dev-dependency): the worst verdict of `step`.
fn diagnosis(trace: &SignInTrace, step: Step) -> (Status, String) {
    let d = sfb_diagnose::diagnose(trace);
    let rank = |s: Status| match s {
        Status::Fail => 3,
        Status::Warn => 2,
        Status::Skipped => 1,
        Status::Pass => 0,
    };
    d.verdicts
        .iter()
        .filter(|v| v.step == step)
        .max_by_key(|v| rank(v.status))
        .map(|v| (v.status, v.cause.as_str().to_owned()))
        .unwrap_or((Status::Skipped, String::new()))
}

/// With neither `--realm` nor `--kdc`, the KDC is found as a client finds it: the realm is the
/// SIP domain upper-cased and `_kerberos._tcp.<realm>` (the lab publishes it inside) names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_finds_the_kdc_through_dns() {
    let Some(lab) = start_kerberos_lab(Scenario::Healthy).await else {
        return;
    };
    let mut login = Login::kerberos(&lab);
    login.realm = None;
    login.kdcs.clear();
    let report = sign_in_alice(&lab, login).await;
    let t = &report.trace;
    assert!(report.error.is_none(), "{:?}", report.error);
    let kdc_port = lab.kdc().unwrap().addr().port();
    let srv = t
        .evidence
        .iter()
        .find_map(|e| match &e.kind {
            EvidenceKind::Dns(d) if d.name.eq_ignore_ascii_case("_kerberos._tcp.CONTOSO.TEST") => {
                Some(d)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no KDC SRV query\n{}", dump(t)));
    assert!(
        srv.answers
            .iter()
            .any(|a| a.contains(&kdc_port.to_string())),
        "{srv:?}"
    );
    assert_eq!(
        field(fact(t, "registered"), "scheme"),
        "Kerberos",
        "{}",
        dump(t)
    );
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_with_a_real_kdc_through_the_director() {
    let Some(lab) = start_kerberos_lab(Scenario::Healthy).await else {
        return;
    };
    let director = lab.role_addr("director").unwrap();
    let pool = lab.role_addr("pool01").unwrap();
    let report = sign_in_alice(&lab, Login::kerberos(&lab)).await;
    let t = &report.trace;
    assert!(report.error.is_none(), "{:?}", report.error);
    // The diagnosis of a healthy Kerberos sign-in: every step passes.
    for step in Step::ALL {
        assert_eq!(
            diagnosis(t, step).0,
            Status::Pass,
            "{step:?}: {:?}\n{}",
            diagnosis(t, step),
            dump(t)
        );
    }

    // Kerberos is one round trip: 2 REGISTER transactions per registrar.
    assert_eq!(register_statuses(t, director), [401, 301], "{}", dump(t));
    assert_eq!(register_statuses(t, pool)[..2], [401, 200], "{}", dump(t));
    let first = fact(t, "first_401");
    assert!(field(first, "offers").contains("Kerberos"), "{first:?}");
    assert!(
        field(first, "targetnames").contains(&format!("Kerberos=sip/{DIRECTOR_FQDN}")),
        "{first:?}"
    );
    let redirect = fact(t, "redirect");
    assert_eq!(field(redirect, "status"), "301");
    assert_eq!(field(redirect, "signed"), "true");
    let registered = fact(t, "registered");
    assert_eq!(field(registered, "scheme"), "Kerberos", "{registered:?}");
    assert_eq!(
        field(registered, "targetname"),
        format!("sip/{}", POOL_FQDNS[0])
    );
    assert_eq!(field(registered, "register_transactions"), "2");
    assert_eq!(field(registered, "signed"), "true");
    // The 200 OK is signed with the Kerberos security association.
    let ok = &register_responses(t, pool)[1];
    assert!(
        ok.header("Authentication-Info")
            .is_some_and(|v| v.starts_with("Kerberos ")),
        "{}",
        ok.text
    );
    assert!(facts(t, "kerberos").is_empty(), "{}", dump(t));
    // The AP-REQ went out and the AP-REP came back, as safe fields only.
    let tokens: Vec<(Direction, &str)> = t
        .evidence
        .iter()
        .filter_map(|e| match &e.kind {
            EvidenceKind::AuthToken(a) if a.protocol == AuthProtocol::Kerberos => {
                Some((a.direction, a.message_type.as_str()))
            }
            _ => None,
        })
        .collect();
    assert!(
        tokens.iter().any(|(d, _)| *d == Direction::Sent),
        "{tokens:?}"
    );
    assert_no_secrets(&lab, t);
    assert_settings_ok(t);

    // The same lab through the Access Edge: the hop behind it offers NTLM only (--no-auth:
    // the first 401 is all we need).
    let mut login = Login::kerberos(&lab);
    login.auth = false;
    login.server = Some(server_of(&lab, "edge", EDGE_FQDN));
    let report = sign_in_alice(&lab, login).await;
    let t = &report.trace;
    let first = fact(t, "first_401");
    assert_eq!(field(first, "offers"), "NTLM", "{first:?}");
    assert_eq!(
        register_statuses(t, lab.role_addr("edge").unwrap()),
        [401],
        "{}",
        dump(t)
    );
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_missing_spn_fails_with_the_kdc_error() {
    let Some(lab) = start_kerberos_lab(Scenario::KerberosMissingSpn).await else {
        return;
    };
    let pool = lab.role_addr("pool01").unwrap();
    let mut login = Login::kerberos(&lab);
    login.server = Some(server_of(&lab, "pool01", POOL_FQDNS[0]));
    let report = sign_in_alice(&lab, login).await;
    let t = &report.trace;

    let first = fact(t, "first_401");
    assert!(
        field(first, "targetnames").contains(&format!("Kerberos=sip/nospn-{}", POOL_FQDNS[0])),
        "{first:?}"
    );
    // The KDC has no such principal: no ticket, no AP-REQ sent, no registration.
    assert_eq!(
        diagnosis(t, Step::Authentication),
        (Status::Fail, "auth.kerberos_spn_missing".to_owned()),
        "{}",
        dump(t)
    );
    let kerberos = fact(t, "kerberos");
    let error = field(kerberos, "error");
    assert!(
        error.contains(&format!("sip/nospn-{}", POOL_FQDNS[0])) && error.contains("principal"),
        "{kerberos:?}"
    );
    assert_eq!(register_statuses(t, pool), [401], "{}", dump(t));
    assert!(facts(t, "registered").is_empty(), "{}", dump(t));
    lab.shutdown().await;

    // With the desktop client's policy the same lab falls back to NTLM and signs in.
    let Some(lab) = start_kerberos_lab(Scenario::KerberosMissingSpn).await else {
        return;
    };
    let pool = lab.role_addr("pool01").unwrap();
    let mut login = Login::kerberos(&lab);
    login.scheme = SchemeChoice::Auto;
    login.server = Some(server_of(&lab, "pool01", POOL_FQDNS[0]));
    let report = sign_in_alice(&lab, login).await;
    let t = &report.trace;
    assert!(!facts(t, "kerberos").is_empty(), "{}", dump(t));
    let selections: Vec<&str> = facts(t, "scheme_selection")
        .iter()
        .map(|f| field(f, "scheme"))
        .collect();
    assert_eq!(selections, ["Kerberos", "NTLM"], "{}", dump(t));
    let registered = fact(t, "registered");
    assert_eq!(field(registered, "scheme"), "NTLM", "{}", dump(t));
    assert_eq!(*register_statuses(t, pool).last().unwrap(), 200);
    // Users sign in, silently over NTLM: the diagnosis warns.
    assert_eq!(
        diagnosis(t, Step::Authentication),
        (Status::Warn, "auth.kerberos_fell_back_to_ntlm".to_owned()),
        "{}",
        dump(t)
    );
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_clock_skew_is_refused_with_1013() {
    let Some(lab) = start_kerberos_lab(Scenario::KerberosClockSkew).await else {
        return;
    };
    let pool = lab.role_addr("pool01").unwrap();
    let mut login = Login::kerberos(&lab);
    login.server = Some(server_of(&lab, "pool01", POOL_FQDNS[0]));
    let report = sign_in_alice(&lab, login).await;
    let t = &report.trace;

    // The registrar's Date is 10 minutes ahead: the first 401 already shows the skew.
    let first = fact(t, "first_401");
    let skew: i64 = field(first, "clock_skew_s").parse().unwrap();
    assert!(skew.abs() >= 300, "{first:?}");
    // The AP-REQ was sent (a ticket was issued) and refused with 1013.
    let statuses = register_statuses(t, pool);
    assert!(statuses.len() >= 2, "{}", dump(t));
    assert!(statuses.iter().all(|s| *s == 401), "{}", dump(t));
    let refused = &register_responses(t, pool)[1];
    assert!(
        refused
            .header("ms-diagnostics")
            .is_some_and(|d| d.starts_with("1013")),
        "{}",
        refused.text
    );
    let refusal = fact(t, "refusal");
    assert_eq!(field(refusal, "status"), "401");
    assert!(
        field(refusal, "ms_diagnostics").starts_with("1013;"),
        "{refusal:?}"
    );
    assert!(field(refusal, "endpoint").contains(POOL_FQDNS[0]));
    assert_eq!(
        diagnosis(t, Step::Authentication),
        (Status::Fail, "auth.clock_skew".to_owned()),
        "{}",
        dump(t)
    );

    assert!(facts(t, "registered").is_empty(), "{}", dump(t));
    lab.shutdown().await;
}
