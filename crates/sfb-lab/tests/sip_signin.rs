//! NTLM sign-in against the lab's SIP roles, in process: at the home pool (3 REGISTER
//! transactions, a signed 200 OK with realistic headers), via the Director (301 to the home
//! pool), through the Access Edge as an external user, un-REGISTER, keep-alives, and a
//! tampered client signature.

mod sip_support;

use sfb_auth::AuthError;
use sfb_auth::sipae::{ResponseAuth, Scheme};
use sfb_lab::directory::PoolId;
use sfb_lab::scenario::Scenario;
use sfb_lab::sip::Role;
use sip_support::*;

#[test]
fn ntlm_at_the_home_pool() {
    let lab = lab(Scenario::Healthy, false);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    let rs = c.register();
    assert_eq!(rs.iter().map(status).collect::<Vec<_>>(), [401, 401, 200]);
    assert_eq!(c.register_transactions, 3);
    // The first 401: one NTLM offer (no keytab), the realm, the pool as targetname, v4, Date.
    let first = rs[0].message();
    let ra = ResponseAuth::from_message(&first);
    assert_eq!(ra.challenges.len(), 1, "{}", text(&rs[0]));
    let o = &ra.challenges[0];
    assert_eq!(
        (o.scheme, o.realm.as_str(), o.targetname.as_str(), o.version),
        (
            Scheme::Ntlm,
            "SIP Communications Service",
            "pool0.contoso.test",
            Some(4)
        )
    );
    assert_eq!(
        header(&rs[0], "Date").as_deref(),
        Some("Thu, 01 Jan 2026 00:00:00 GMT")
    );
    // The continuation carries the CHALLENGE and an opaque.
    let second = rs[1].message();
    let ra = ResponseAuth::from_message(&second);
    assert!(ra.challenges[0].opaque.is_some() && ra.challenges[0].gssapi_data.is_some());
    // The 200 OK: signed (verified), realistic headers.
    let ok = &rs[2];
    c.verify(ok).unwrap();
    let contact = header(ok, "Contact").unwrap();
    assert!(
        contact.starts_with("<sip:192.0.2.10:50123;transport=tls"),
        "{contact}"
    );
    assert!(
        contact.contains(
            "gruu=\"sip:alice@contoso.test;opaque=user:epid:4233FD41093B5FD6B5D265;gruu\""
        ),
        "{contact}"
    );
    assert!(contact.contains("expires=7200"), "{contact}");
    assert_eq!(header(ok, "Expires").as_deref(), Some("7200"));
    let m = ok.message();
    let supported: Vec<_> = m.tokens("Supported").collect();
    for t in ["gruu-10", "adhoclist", "msrtc-event-categories"] {
        assert!(supported.contains(&t), "{supported:?}");
    }
    assert!(
        m.tokens("Allow-Events")
            .any(|t| t == "vnd-microsoft-provisioning-v2")
    );
    let ka = m.ms_keep_alive().unwrap().unwrap();
    assert_eq!((ka.value, ka.params.value("timeout")), ("UAS", Some("300")));
    let ps = m.presence_state().unwrap().unwrap();
    assert_eq!(ps.params.value("is-connected-to-primary"), Some("yes"));
    assert_eq!(m.server(), Some("RTC/6.0"));
    assert!(m.ms_user_logon_data().is_none(), "internal user");
    assert!(m.header("To").unwrap().value.contains(";tag="));
    // Un-REGISTER: signed 200, Expires 0.
    let bye = c.signed(
        "REGISTER",
        "sip:contoso.test",
        &[("Contact", CONTACT), ("Expires", "0")],
        b"",
    );
    assert_eq!(status(&bye), 200);
    assert_eq!(header(&bye, "Expires").as_deref(), Some("0"));
    c.verify(&bye).unwrap();
    // Keep-alive pong.
    assert_eq!(c.conn.on_keepalive(now()), b"\r\n");
    assert!(!c.conn.is_closed());
}

#[test]
fn the_director_and_a_non_home_pool_redirect_to_the_home_pool() {
    let lab = lab(Scenario::Healthy, false);
    for (role, user, target, targetname) in [
        (
            Role::Director,
            "alice",
            "<sip:pool0.contoso.test:5061;transport=tls>",
            "director.contoso.test",
        ),
        (
            Role::Director,
            "bob",
            "<sip:pool1.contoso.test:5062;transport=tls>",
            "director.contoso.test",
        ),
        (
            Role::Pool(PoolId(1)),
            "alice",
            "<sip:pool0.contoso.test:5061;transport=tls>",
            "pool1.contoso.test",
        ),
    ] {
        let mut c = Client::new(&lab, role, user);
        let rs = c.register();
        assert_eq!(rs.iter().map(status).collect::<Vec<_>>(), [401, 401, 301]);
        let first = rs[0].message();
        assert_eq!(
            ResponseAuth::from_message(&first).challenges[0].targetname,
            targetname
        );
        let r301 = &rs[2];
        assert_eq!(header(r301, "Contact").as_deref(), Some(target));
        // The redirect is signed; a tampered one is detected.
        c.verify(r301).unwrap();
        let t = text(r301).replacen("301 Moved", "302 Moved", 1);
        let tm = parse(t.as_bytes());
        assert!(matches!(c.verify(&tm), Err(AuthError::BadSignature)));
    }
    // The home pool then accepts alice.
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    assert_eq!(status(c.register().last().unwrap()), 200);
}

#[test]
fn external_user_through_the_edge() {
    let lab = lab(Scenario::Healthy, true);
    // Internally, with a keytab, Kerberos is offered (sip/<fqdn>) beside NTLM.
    let mut inside = Client::new(&lab, Role::Director, "alice");
    let r = inside.first_register();
    let m = r.message();
    let offers = ResponseAuth::from_message(&m).challenges;
    assert_eq!(
        offers
            .iter()
            .map(|o| (o.scheme, o.targetname.as_str()))
            .collect::<Vec<_>>(),
        [
            (Scheme::Ntlm, "director.contoso.test"),
            (Scheme::Kerberos, "sip/director.contoso.test")
        ]
    );
    // Through the Edge: NTLM only, the Director answers, the Edge's Via is not relayed.
    let mut c = Client::new(&lab, Role::Edge, "alice");
    let rs = c.register();
    let first = rs[0].message();
    let offers = ResponseAuth::from_message(&first).challenges;
    assert_eq!(offers.len(), 1, "{}", text(&rs[0]));
    assert_eq!(
        (offers[0].scheme, offers[0].targetname.as_str()),
        (Scheme::Ntlm, "director.contoso.test")
    );
    for r in &rs {
        assert_eq!(r.message().vias().count(), 1, "{}", text(r));
    }
    assert_eq!(status(&rs[2]), 301);
    c.verify(&rs[2]).unwrap();
    // The client stays on the Edge connection and routes to the home pool.
    c.route = Some("<sip:pool0.contoso.test:5061;transport=tls;lr>".into());
    c.sa = None;
    let rs = c.register();
    assert_eq!(rs.iter().map(status).collect::<Vec<_>>(), [401, 401, 200]);
    let ok = &rs[2];
    c.verify(ok).unwrap();
    assert_eq!(ok.message().ms_user_logon_data(), Some("RemoteUser"));
    assert_eq!(ok.message().vias().count(), 1);
}

#[test]
fn a_tampered_client_signature_is_refused() {
    let lab = lab(Scenario::Healthy, false);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    assert_eq!(status(c.register().last().unwrap()), 200);
    // A good signed request is served.
    let ok = c.signed("OPTIONS", "sip:alice@contoso.test", &[], b"");
    assert_eq!(status(&ok), 200);
    c.verify(&ok).unwrap();
    // The next one tampered after signing (its CSeq): 401 with fresh offers, unsigned.
    let req = c.signed_request("OPTIONS", "sip:alice@contoso.test", &[], b"");
    let cseq = format!("CSeq: {} OPTIONS", c.cseq);
    let t = text(&req).replacen(&cseq, "CSeq: 999 OPTIONS", 1);
    let r = c.send_raw(t.as_bytes()).remove(0);
    assert_eq!(status(&r), 401, "{}", text(&r));
    assert!(header(&r, "Authentication-Info").is_none());
    let rm = r.message();
    assert_eq!(
        ResponseAuth::from_message(&rm).challenges[0].scheme,
        Scheme::Ntlm
    );
    // The association is gone: even a correctly signed request is challenged now.
    let again = c.signed("OPTIONS", "sip:alice@contoso.test", &[], b"");
    assert_eq!(status(&again), 401);
}

#[test]
fn a_replayed_request_is_refused() {
    let lab = lab(Scenario::Healthy, false);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    assert_eq!(status(c.register().last().unwrap()), 200);
    let req = c.signed_request("OPTIONS", "sip:alice@contoso.test", &[], b"");
    assert_eq!(status(&c.send(&req)), 200);
    assert_eq!(status(&c.send(&req)), 401);
}

#[test]
fn signing_in_as_someone_else_is_forbidden() {
    // alice's credentials with bob's From URI: 403, ms-diagnostics-public 4004.
    let lab = lab(Scenario::Healthy, false);
    let mut c = Client::new(&lab, Role::Pool(PoolId(1)), "bob");
    c.login = "CONTOSO\\alice".into();
    c.password = "Lab-Pass-1!".into();
    let rs = c.register();
    let last = rs.last().unwrap();
    assert_eq!(status(last), 403, "{}", text(last));
    let d = last.message().ms_diagnostics().next().unwrap().unwrap();
    assert!(d.public);
    assert_eq!(d.code, 4004);
    c.verify(last).unwrap();
}
