//! Each SIP-level scenario's wire response (the rows of `docs/lab.md`'s `## SIP scenarios`),
//! asserted on the messages the lab's SIP roles send to a real NTLM client.

mod sip_support;

use sfb_auth::AuthError;
use sfb_auth::sipae::{ResponseAuth, Scheme};
use sfb_lab::directory::PoolId;
use sfb_lab::scenario::{Layer, Scenario};
use sfb_lab::sip::Role;
use sfb_sip_codec::MsDiagnostic;
use sip_support::*;

fn diag(m: &sfb_sip_codec::OwnedMessage) -> (u32, String, Option<String>, bool) {
    let msg = m.message();
    let d: MsDiagnostic<'_> = msg
        .ms_diagnostics()
        .next()
        .unwrap_or_else(|| panic!("no ms-diagnostics: {}", text(m)))
        .unwrap();
    (
        d.code,
        d.reason().unwrap_or("").to_owned(),
        d.source().map(str::to_owned),
        d.public,
    )
}

fn sign_in(sc: Scenario, role: Role, user: &str) -> (Client, Vec<sfb_sip_codec::OwnedMessage>) {
    let lab = lab(sc, false);
    let mut c = Client::new(&lab, role, user);
    let rs = c.register();
    (c, rs)
}

#[test]
fn wrong_password_and_disabled_account_fail_the_final_handshake() {
    for sc in [Scenario::NtlmWrongPassword, Scenario::AdAccountDisabled] {
        let (_, rs) = sign_in(sc, Role::Pool(PoolId(0)), "alice");
        assert_eq!(
            rs.iter().map(status).collect::<Vec<_>>(),
            [401, 401, 401],
            "{sc}"
        );
        let last = &rs[2];
        assert_eq!(
            diag(last),
            (
                1000,
                "Final handshake failed".into(),
                Some("pool0.contoso.test".into()),
                false
            )
        );
        assert!(header(last, "Authentication-Info").is_none());
        // Fresh offers, no continuation: the client must not loop (lockout).
        let m = last.message();
        let ra = ResponseAuth::from_message(&m);
        assert_eq!(ra.challenges.len(), 1);
        assert!(ra.challenges[0].gssapi_data.is_none());
    }
}

#[test]
fn account_state_refusals() {
    let (mut c, rs) = sign_in(Scenario::SfbUserDisabled, Role::Pool(PoolId(0)), "alice");
    let last = rs.last().unwrap();
    assert_eq!(status(last), 403);
    assert_eq!(diag(last).0, 4005);
    c.verify(last).unwrap();

    let (mut c, rs) = sign_in(Scenario::UserNotSipEnabled, Role::Director, "alice");
    let last = rs.last().unwrap();
    assert_eq!(status(last), 404);
    assert_eq!(
        diag(last),
        (
            4005,
            "Destination URI either not enabled for SIP or does not exist".into(),
            Some("director.contoso.test".into()),
            false
        )
    );
    c.verify(last).unwrap();
}

#[test]
fn remote_access_disabled_refuses_only_external_users() {
    let (mut c, rs) = sign_in(Scenario::RemoteAccessDisabled, Role::Edge, "alice");
    let last = rs.last().unwrap();
    assert_eq!(status(last), 403, "{}", text(last));
    assert_eq!(
        diag(last),
        (
            4003,
            "From URI not enabled for remote access".into(),
            None,
            true
        )
    );
    c.verify(last).unwrap();
    let (_, rs) = sign_in(
        Scenario::RemoteAccessDisabled,
        Role::Pool(PoolId(0)),
        "alice",
    );
    assert_eq!(status(rs.last().unwrap()), 200);
}

#[test]
fn edge_next_hop_down_is_a_504_from_the_edge() {
    let (_, rs) = sign_in(Scenario::EdgeNextHopDown, Role::Edge, "alice");
    assert_eq!(rs.len(), 1);
    assert_eq!(status(&rs[0]), 504);
    assert_eq!(
        diag(&rs[0]),
        (
            1007,
            "Temporarily cannot route".into(),
            Some("sip.contoso.test".into()),
            false
        )
    );
    // Internal users are not affected.
    let (_, rs) = sign_in(Scenario::EdgeNextHopDown, Role::Director, "alice");
    assert_eq!(status(rs.last().unwrap()), 301);
}

#[test]
fn redirect_loop() {
    let (_, rs) = sign_in(Scenario::RedirectLoop, Role::Director, "alice");
    assert_eq!(
        header(rs.last().unwrap(), "Contact").as_deref(),
        Some("<sip:pool0.contoso.test:5061;transport=tls>")
    );
    let (mut c, rs) = sign_in(Scenario::RedirectLoop, Role::Pool(PoolId(0)), "alice");
    let last = rs.last().unwrap();
    assert_eq!(status(last), 301);
    assert_eq!(
        header(last, "Contact").as_deref(),
        Some("<sip:director.contoso.test:5061;transport=tls>")
    );
    c.verify(last).unwrap();
}

#[test]
fn backup_registrar_accepts_with_limited_functionality() {
    let (_, rs) = sign_in(Scenario::BackupRegistrar, Role::Director, "alice");
    assert_eq!(
        header(rs.last().unwrap(), "Contact").as_deref(),
        Some("<sip:pool1.contoso.test:5062;transport=tls>")
    );
    let (mut c, rs) = sign_in(Scenario::BackupRegistrar, Role::Pool(PoolId(1)), "alice");
    let ok = rs.last().unwrap();
    assert_eq!(status(ok), 200);
    c.verify(ok).unwrap();
    let ps = ok.message().presence_state().unwrap().unwrap();
    assert_eq!(ps.params.value("is-connected-to-primary"), Some("no"));
    // The (down) home pool sends alice on to the backup.
    let (_, rs) = sign_in(Scenario::BackupRegistrar, Role::Pool(PoolId(0)), "alice");
    assert_eq!(
        header(rs.last().unwrap(), "Contact").as_deref(),
        Some("<sip:pool1.contoso.test:5062;transport=tls>")
    );
}

#[test]
fn provisioning_error_after_a_good_registration() {
    let (mut c, rs) = sign_in(Scenario::ProvisioningError, Role::Pool(PoolId(0)), "alice");
    assert_eq!(status(rs.last().unwrap()), 200);
    let r = c.signed(
        "SUBSCRIBE",
        "sip:alice@contoso.test",
        &[
            ("Event", "vnd-microsoft-provisioning-v2"),
            (
                "Accept",
                "application/vnd-microsoft-roaming-provisioning-v2+xml",
            ),
            ("Expires", "0"),
        ],
        b"",
    );
    assert_eq!(status(&r), 500);
    assert_eq!(diag(&r).0, 4000);
    c.verify(&r).unwrap();
    // The other settings still work.
    let r = c.signed(
        "SUBSCRIBE",
        "sip:alice@contoso.test",
        &[("Event", "vnd-microsoft-roaming-contacts")],
        b"",
    );
    assert_eq!(status(&r), 200);
}

#[test]
fn bad_server_signature() {
    let (mut c, rs) = sign_in(Scenario::BadServerSignature, Role::Pool(PoolId(0)), "alice");
    let ok = rs.last().unwrap();
    assert_eq!(status(ok), 200);
    assert!(header(ok, "Authentication-Info").is_some());
    assert!(matches!(c.verify(ok), Err(AuthError::BadSignature)));
}

#[test]
fn client_version_blocked_by_user_agent() {
    let lab = lab(Scenario::ClientVersionBlocked, false);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    c.user_agent = Some("UCCAPI/16.0.4849.1000 OC/16.0.4849.1000 (Skype for Business)".into());
    let rs = c.register();
    let last = rs.last().unwrap();
    assert_eq!(status(last), 403);
    assert_eq!(diag(last).0, 17000);
    let w = last.message().warnings().next().unwrap().unwrap();
    assert_eq!(w.code, 399);
    assert!(w.text.contains("UCCAPI/16.0.4849.1000"), "{}", w.text);
    c.verify(last).unwrap();
}

#[test]
fn kerberos_scenarios_shape_the_challenge() {
    // The registrar's clock runs 10 minutes ahead: its Date says so.
    let lab_ = lab(Scenario::KerberosClockSkew, true);
    let mut c = Client::new(&lab_, Role::Pool(PoolId(0)), "alice");
    let r = c.first_register();
    assert_eq!(
        header(&r, "Date").as_deref(),
        Some("Thu, 01 Jan 2026 00:10:00 GMT")
    );
    // NTLM (15 minutes of tolerance) still works.
    let mut c = Client::new(&lab_, Role::Pool(PoolId(0)), "alice");
    assert_eq!(status(c.register().last().unwrap()), 200);
    // Missing SPN: Kerberos is offered for a principal the KDC does not have.
    let lab_ = lab(Scenario::KerberosMissingSpn, true);
    let mut c = Client::new(&lab_, Role::Pool(PoolId(0)), "alice");
    let r = c.first_register();
    let m = r.message();
    let k = ResponseAuth::from_message(&m)
        .challenges
        .into_iter()
        .find(|o| o.scheme == Scheme::Kerberos)
        .unwrap();
    assert_eq!(k.targetname, "sip/nospn-pool0.contoso.test");
}

/// Every SIP-level scenario changes what an NTLM client signing in at the Director, then at
/// the home pool, then through the Edge, then fetching provisioning, sees (statuses,
/// ms-diagnostics, Contact, Date, signature validity), except the Kerberos-only ones, which
/// change the Kerberos offer.
#[test]
fn every_sip_scenario_changes_the_wire() {
    fn transcript(sc: Scenario) -> Vec<String> {
        let lab = lab(sc, true);
        let mut out = Vec::new();
        for role in [Role::Director, Role::Pool(PoolId(0)), Role::Edge] {
            let mut c = Client::new(&lab, role, "alice");
            c.user_agent = Some("UCCAPI/16.0 OC/16.0 (Skype for Business)".into());
            let rs = c.register();
            for r in &rs {
                let m = r.message();
                let k = ResponseAuth::from_message(&m)
                    .challenges
                    .iter()
                    .map(|o| o.targetname.clone())
                    .collect::<Vec<_>>();
                out.push(format!(
                    "{} {:?} {:?} {:?} {k:?}",
                    status(r),
                    header(r, "ms-diagnostics").or(header(r, "ms-diagnostics-public")),
                    header(r, "Contact"),
                    header(r, "Date"),
                ));
            }
            let last = rs.last().unwrap();
            if header(last, "Authentication-Info").is_some() {
                out.push(format!("verify {:?}", c.verify(last).is_ok()));
                if status(last) == 200 {
                    let p = c.signed(
                        "SUBSCRIBE",
                        "sip:alice@contoso.test",
                        &[("Event", "vnd-microsoft-provisioning-v2")],
                        b"",
                    );
                    out.push(format!("provisioning {}", status(&p)));
                }
            }
        }
        out
    }
    let healthy = transcript(Scenario::Healthy);
    for sc in Scenario::ALL.iter().copied() {
        if sc.layer() != Layer::Sip || sc == Scenario::Healthy {
            continue;
        }
        assert_ne!(transcript(sc), healthy, "{sc} changes nothing on the wire");
    }
}
