//! Kerberos sign-in against the lab's registrars with a real MIT KDC ([`sfb_lab::kdc::MitKdc`]):
//! the lab reads the KDC's keytab for `sip/<registrar fqdn>`, the client gets a
//! real ticket through sfb-auth's driver. Two REGISTER transactions, a signed 200 OK; the
//! clock-skew scenario refuses the AP-REQ with 1013; the missing-SPN scenario's offer names a
//! principal the KDC does not have. Fails (not skips) without the KDC when
//! `SFB_REQUIRE_PEERS=1`.
#![allow(clippy::print_stderr, reason = "the skip note must be loud on stderr")]

mod sip_support;

use sfb_auth::kerberos::{ClientConfig, KerberosClient, KerberosContext, Output, driver};
use sfb_auth::sipae::{MessageFields, ResponseAuth, Scheme, SecurityAssociation};
use sfb_lab::directory::{Directory, PoolId};
use sfb_lab::kdc::{KdcError, KdcSpec, LAB_REALM, MitKdc};
use sfb_lab::scenario::Scenario;
use sfb_lab::sip::{Role, SipConfig, SipLab};
use sip_support::*;

const REALM: &str = LAB_REALM;

/// A KDC with alice (`Passw0rd`) and this file's registrars' principals in its keytab; `None`
/// (a loud skip) when MIT krb5-kdc is not installed, unless `SFB_REQUIRE_PEERS=1`.
fn start_kdc() -> Option<MitKdc> {
    let spec = KdcSpec::new(REALM)
        .user("alice", "Passw0rd")
        .service("sip/pool0.contoso.test")
        .service("sip/director.contoso.test");
    match MitKdc::start(&spec) {
        Ok(kdc) => Some(kdc),
        Err(e @ KdcError::NotInstalled { .. })
            if std::env::var("SFB_REQUIRE_PEERS").as_deref() != Ok("1") =>
        {
            eprintln!(
                "\n!!!!! SKIPPED: test peer missing: {e} (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
            );
            None
        }
        Err(e) => panic!("the MIT KDC did not start (SFB_REQUIRE_PEERS=1 needs it): {e}"),
    }
}

fn kerberos_lab(kdc: &MitKdc, scenario: Scenario) -> SipLab {
    SipLab::with_seed(
        SipConfig {
            topology: topology(),
            directory: Directory::contoso(),
            scenario,
            kerberos: Some(kdc.kerberos_config()),
        },
        7,
    )
    .unwrap()
}

/// First REGISTER, then the Kerberos REGISTER (AP-REQ, signed: version 4); returns the offer's
/// targetname and the answer.
fn kerberos_sign_in(
    kdc: &MitKdc,
    c: &mut Client,
) -> Result<(String, sfb_sip_codec::OwnedMessage), sfb_auth::kerberos::KerberosError> {
    // The KDC issues tickets at the real time: the lab is given the real time too.
    c.now = std::time::SystemTime::now();
    let r = c.first_register();
    assert_eq!(status(&r), 401);
    let m = r.message();
    let ra = ResponseAuth::from_message(&m);
    let offer = ra
        .challenges
        .iter()
        .find(|o| o.scheme == Scheme::Kerberos)
        .expect("Kerberos offered internally")
        .clone();
    let config = ClientConfig {
        spn: offer.targetname.clone(),
        realm: REALM.into(),
        kdcs: vec![kdc.kdc_address()],
    };
    let Output::AcquireKerberosToken(req) = KerberosClient::new(config.clone())?.start();
    let token = driver::acquire_token(&req, "alice", "Passw0rd")?;
    let ctx = KerberosContext::from_token(config, token)?;
    let mut sa = SecurityAssociation::new(
        &offer,
        ra.header.unwrap(),
        Box::new(ctx),
        Box::new(|b: &mut [u8]| b.fill(0x5c)),
    );
    let mut value = sa.start().unwrap();
    c.cseq += 1;
    assert!(sa.must_sign_final());
    let unsigned = c.build(
        "REGISTER",
        "sip:contoso.test",
        &register_headers(),
        b"",
        None,
    );
    let um = unsigned.message();
    sa.sign_request(&mut value, &MessageFields::from_message(&um).unwrap())
        .unwrap();
    let req = c.build(
        "REGISTER",
        "sip:contoso.test",
        &register_headers(),
        b"",
        Some((sa.header().request_header(), &value.to_string())),
    );
    let resp = c.send(&req);
    c.sa = Some(sa);
    Ok((offer.targetname, resp))
}

#[test]
fn kerberos_against_a_real_kdc() {
    let Some(kdc) = start_kdc() else {
        return;
    };
    // Healthy: 2 REGISTER transactions, a signed 200 OK, later requests signed both ways.
    let lab = kerberos_lab(&kdc, Scenario::Healthy);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    let (target, ok) = kerberos_sign_in(&kdc, &mut c).unwrap();
    assert_eq!(target, "sip/pool0.contoso.test");
    assert_eq!(status(&ok), 200, "{}", text(&ok));
    assert!(
        header(&ok, "Authentication-Info")
            .unwrap()
            .starts_with("Kerberos ")
    );
    c.verify(&ok).unwrap();
    let r = c.signed("OPTIONS", "sip:alice@contoso.test", &[], b"");
    assert_eq!(status(&r), 200);
    c.verify(&r).unwrap();
    // Via the Director: the 301 after a Kerberos handshake.
    let mut c = Client::new(&lab, Role::Director, "alice");
    let (_, r) = kerberos_sign_in(&kdc, &mut c).unwrap();
    assert_eq!(status(&r), 301);
    c.verify(&r).unwrap();

    // The registrar's clock 10 minutes fast: the AP-REQ is refused with 1013.
    let lab = kerberos_lab(&kdc, Scenario::KerberosClockSkew);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    let (_, r) = kerberos_sign_in(&kdc, &mut c).unwrap();
    assert_eq!(status(&r), 401, "{}", text(&r));
    let d = r.message().ms_diagnostics().next().unwrap().unwrap();
    assert_eq!(
        (d.code, d.reason()),
        (
            1013,
            Some("Significant time skew detected during authentication")
        )
    );

    // The offered SPN does not exist in the KDC: no ticket; NTLM still signs in.
    let lab = kerberos_lab(&kdc, Scenario::KerberosMissingSpn);
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    let e = kerberos_sign_in(&kdc, &mut c).unwrap_err();
    assert!(
        e.to_string().to_lowercase().contains("principal")
            || e.to_string().to_lowercase().contains("spn")
            || e.to_string().to_lowercase().contains("server"),
        "{e}"
    );
    let mut c = Client::new(&lab, Role::Pool(PoolId(0)), "alice");
    assert_eq!(status(c.register().last().unwrap()), 200);
}
