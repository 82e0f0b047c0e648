//! Our client and our server against a real MIT KDC (started by the test).

#[path = "kerberos_support/mod.rs"]
mod support;

use std::time::{Duration, SystemTime};

use sfb_auth::kerberos::{
    ClientConfig, Input, KerberosClient, KerberosError, KerberosServer, Output, ServiceKey, driver,
    parse_gss_ap_req,
};
use support::{Kdc, PASSWORD, REALM, SPN, USER};

const BUFFER: &[u8] = b"<Kerberos><4a1f33e2><1><SIP Communications Service><sip/sip.contoso.test><c1><1><REGISTER><sip:alice@contoso.test><t1><sip:alice@contoso.test><><><><>";

#[test]
fn client_and_server_sign_and_verify_both_ways() {
    let Some(kdc) = Kdc::start() else { return };
    let mut client = kdc.client(SPN, USER, PASSWORD).unwrap();
    assert!(
        client.is_ready(),
        "ready after the AP-REQ: MS-SIPAE has no AP-REP leg"
    );
    let ap_req = client.gssapi_data().unwrap().to_vec();
    assert_eq!(ap_req.first(), Some(&0x60));
    assert!(parse_gss_ap_req(&ap_req).is_ok());

    let mut server = kdc.server();
    let accepted = server.accept(&ap_req, SystemTime::now()).unwrap();
    assert_eq!(accepted.client, format!("{USER}@{REALM}"));
    // Our AP-REQ asks for integrity without mutual authentication (MS-SIPAE has no AP-REP).
    let flags = accepted.gss_flags.unwrap();
    assert_eq!(
        flags & sfb_auth::kerberos::GSS_C_MUTUAL_FLAG,
        0,
        "{flags:#x}"
    );

    // client -> server (the REGISTER carrying the AP-REQ is already signed)
    let response = client.sign(BUFFER).unwrap();
    assert_eq!(response.len(), 28);
    assert_eq!(&response[..3], &[0x04, 0x04, 0x00]);
    server.verify(BUFFER, &response).unwrap();
    // a second request uses the next sequence number and still verifies
    let response2 = client.sign(BUFFER).unwrap();
    assert_ne!(response, response2);
    server.verify(BUFFER, &response2).unwrap();

    // server -> client (rspauth), with SentByAcceptor
    let rspauth = server.sign(b"<Kerberos><srand>").unwrap();
    assert_eq!(rspauth[2] & 0x01, 0x01);
    client.verify(b"<Kerberos><srand>", &rspauth).unwrap();

    // tampering is detected on both sides
    assert_eq!(
        server.verify(b"<Kerberos><tampered>", &response),
        Err(KerberosError::MicMismatch)
    );
    let mut bad = rspauth.clone();
    bad[20] ^= 0x40;
    assert_eq!(
        client.verify(b"<Kerberos><srand>", &bad),
        Err(KerberosError::MicMismatch)
    );
    // a server token replayed as a client token is refused
    assert_eq!(
        server.verify(b"<Kerberos><srand>", &rspauth),
        Err(KerberosError::MicDirection)
    );
}

#[test]
fn the_signing_key_is_the_authenticator_subkey_not_the_session_key() {
    let Some(kdc) = Kdc::start() else { return };
    let mut c = KerberosClient::new(ClientConfig {
        spn: SPN.into(),
        realm: REALM.into(),
        kdcs: vec![kdc.kdc().parse().unwrap()],
    })
    .unwrap();
    let Output::AcquireKerberosToken(req) = c.start();
    let tok = driver::acquire_token(&req, USER, PASSWORD).unwrap();
    let session_key = tok.ticket_session_key.clone();
    c.handle(Input::KerberosToken(tok)).unwrap();
    let mic = c.sign(BUFFER).unwrap();
    let seq = u64::from_be_bytes(mic[8..16].try_into().unwrap());
    let with_session_key = sfb_auth::kerberos::mic::get_mic(
        &session_key,
        sfb_auth::kerberos::mic::Direction::Initiator,
        seq,
        BUFFER,
    )
    .unwrap();
    assert_ne!(mic, with_session_key);
}

#[test]
fn kdc_errors_have_their_own_variants() {
    let Some(kdc) = Kdc::start() else { return };
    assert_eq!(
        kdc.client(SPN, USER, "wrong").unwrap_err(),
        KerberosError::WrongPassword
    );
    assert_eq!(
        kdc.client(SPN, "mallory", PASSWORD).unwrap_err(),
        KerberosError::UnknownUserPrincipal
    );
    assert_eq!(
        kdc.client("sip/nope.contoso.test", USER, PASSWORD)
            .unwrap_err(),
        KerberosError::UnknownServicePrincipal {
            spn: "sip/nope.contoso.test".into()
        }
    );
    assert_eq!(
        kdc.client(SPN, "bob", PASSWORD).unwrap_err(),
        KerberosError::PasswordExpired
    );
    assert_eq!(
        kdc.client(SPN, "carol", PASSWORD).unwrap_err(),
        KerberosError::ClientRevoked
    );
    // The KDC issues a ticket encrypted with the RC4 service key (the session key is AES, as
    // only AES is offered): the client diagnoses it and the acceptor refuses it.
    let rc4 = kdc.client("sip/rc4.contoso.test", USER, PASSWORD).unwrap();
    assert_eq!(
        rc4.ticket_diagnosis(),
        Err(KerberosError::ServiceWithoutAesKeys { etype: 23 })
    );
    assert!(
        KerberosError::ServiceWithoutAesKeys { etype: 23 }
            .to_string()
            .contains("no AES keys")
    );
    let mut server = KerberosServer::new(Vec::new(), Duration::from_secs(300));
    assert_eq!(
        server.accept(rc4.gssapi_data().unwrap(), SystemTime::now()),
        Err(KerberosError::ServiceWithoutAesKeys { etype: 23 })
    );
    assert_eq!(
        kdc.client(SPN, USER, PASSWORD).unwrap().ticket_diagnosis(),
        Ok(())
    );
}

#[test]
fn the_next_kdc_is_tried_when_one_is_unreachable() {
    let Some(kdc) = Kdc::start() else { return };
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = KerberosClient::new(ClientConfig {
        spn: SPN.into(),
        realm: REALM.into(),
        kdcs: vec![
            format!("127.0.0.1:{dead}").parse().unwrap(),
            kdc.kdc().parse().unwrap(),
        ],
    })
    .unwrap();
    let Output::AcquireKerberosToken(req) = c.start();
    let tok = driver::acquire_token(&req, USER, PASSWORD).unwrap();
    c.handle(Input::KerberosToken(tok)).unwrap();
    assert!(c.is_ready());
}

#[test]
fn kdc_clock_skew() {
    let Some(kdc) = Kdc::start_with_offset(Some("+1h")) else {
        return;
    };
    // sspi answers KRB_AP_ERR_SKEW by retrying with the KDC's time (as Windows does), so the
    // client gets its ticket, and its authenticator carries KDC time...
    let client = kdc.client(SPN, USER, PASSWORD).unwrap();
    let log = std::fs::read_to_string(kdc.dir.join("kdc.log")).unwrap();
    assert!(
        log.to_lowercase().contains("skew"),
        "KDC did not see a skew: {log}"
    );
    // ...which a server on our clock rejects as skew, and one on the KDC's clock accepts.
    let ap_req = client.gssapi_data().unwrap();
    let mut server = kdc.server();
    assert_eq!(
        server.accept(ap_req, SystemTime::now()),
        Err(KerberosError::ClockSkew)
    );
    let kdc_now = SystemTime::now() + Duration::from_secs(3600);
    server.accept(ap_req, kdc_now).unwrap();
}

#[test]
fn unreachable_kdc() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = KerberosClient::new(ClientConfig {
        spn: SPN.into(),
        realm: REALM.into(),
        kdcs: vec![format!("127.0.0.1:{port}").parse().unwrap()],
    })
    .unwrap();
    let Output::AcquireKerberosToken(req) = c.start();
    let e = driver::acquire_token(&req, USER, PASSWORD).unwrap_err();
    assert!(matches!(e, KerberosError::KdcUnreachable { .. }), "{e:?}");
}

#[test]
fn server_checks_skew_keys_and_service() {
    let Some(kdc) = Kdc::start() else { return };
    let client = kdc.client(SPN, USER, PASSWORD).unwrap();
    let ap_req = client.gssapi_data().unwrap().to_vec();

    let mut server = kdc.server();
    let late = SystemTime::now() + Duration::from_secs(3600);
    assert_eq!(server.accept(&ap_req, late), Err(KerberosError::ClockSkew));
    let early = SystemTime::now() - Duration::from_secs(600);
    assert_eq!(server.accept(&ap_req, early), Err(KerberosError::ClockSkew));
    assert!(!server.is_established());

    // A wrong service key (same etype and kvno) fails the ticket's integrity check.
    let mut keys = ServiceKey::from_keytab(&kdc.keytab("sip.keytab"), SPN);
    for k in &mut keys {
        k.key = sfb_auth::kerberos::SessionKey::new(
            k.key.enctype(),
            vec![0x5A; k.key.enctype().key_len()],
        )
        .unwrap();
    }
    let mut wrong = KerberosServer::new(keys, Duration::from_secs(300));
    assert_eq!(
        wrong.accept(&ap_req, SystemTime::now()),
        Err(KerberosError::Integrity { what: "ticket" })
    );

    // Keys of another principal only.
    let mut other = KerberosServer::new(
        ServiceKey::from_keytab(&kdc.keytab("sip.keytab"), SPN)
            .into_iter()
            .map(|mut k| {
                k.principal = Some("sip/other.contoso.test".into());
                k
            })
            .collect(),
        Duration::from_secs(300),
    );
    assert_eq!(
        other.accept(&ap_req, SystemTime::now()),
        Err(KerberosError::WrongService)
    );

    // Truncations of a real AP-REQ never panic and never succeed.
    for n in 0..ap_req.len() {
        assert!(server.accept(&ap_req[..n], SystemTime::now()).is_err());
    }
    // Flipping a byte inside the encrypted parts is caught.
    let mut flipped = ap_req.clone();
    let last = flipped.len() - 5;
    flipped[last] ^= 1;
    assert!(server.accept(&flipped, SystemTime::now()).is_err());
    server.accept(&ap_req, SystemTime::now()).unwrap();
}

#[test]
fn no_secret_in_debug_output() {
    let Some(kdc) = Kdc::start() else { return };
    let mut c = KerberosClient::new(ClientConfig {
        spn: SPN.into(),
        realm: REALM.into(),
        kdcs: vec![kdc.kdc().parse().unwrap()],
    })
    .unwrap();
    let Output::AcquireKerberosToken(req) = c.start();
    let tok = driver::acquire_token(&req, USER, PASSWORD).unwrap();
    let key_hex: String = tok
        .ticket_session_key
        .bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let key_dec = format!("{:?}", tok.ticket_session_key.bytes());
    let ticket_dec = format!("{:?}", &tok.gss_ap_req[40..60]);
    let dumps = [
        format!("{tok:?}"),
        format!("{:?}", tok.ticket_session_key),
        format!("{:?}", kdc.keytab("sip.keytab")),
        format!(
            "{:?}",
            ServiceKey::from_keytab(&kdc.keytab("sip.keytab"), SPN)
        ),
    ];
    c.handle(Input::KerberosToken(tok)).unwrap();
    let mut server = kdc.server();
    server
        .accept(c.gssapi_data().unwrap(), SystemTime::now())
        .unwrap();
    for d in dumps
        .iter()
        .chain([&format!("{c:?}"), &format!("{server:?}")])
    {
        assert!(
            !d.contains(&key_hex) && !d.contains(&key_dec[1..20]),
            "key leaked: {d}"
        );
        assert!(!d.contains(&ticket_dec[1..30]), "ticket leaked: {d}");
        assert!(!d.contains(PASSWORD));
    }
}
