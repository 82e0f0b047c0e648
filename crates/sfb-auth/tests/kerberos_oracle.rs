//! Cross-checks against an independent RFC 4121 implementation: MIT krb5 via python3-gssapi
//! (scripts/gssapi_oracle.py), in both directions, with a real MIT KDC.

#[path = "kerberos_support/mod.rs"]
mod support;

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;
use support::{Kdc, PASSWORD, REALM, SPN, USER, oracle};

const REQ: &[u8] = b"<Kerberos><8f2a11c3><1><SIP Communications Service><sip/sip.contoso.test><callid><1><REGISTER><sip:alice@contoso.test><tag><sip:alice@contoso.test><><><><>";
const REQ2: &[u8] = b"<Kerberos><8f2a11c3><2><SIP Communications Service><sip/sip.contoso.test><callid><2><REGISTER><sip:alice@contoso.test><tag><sip:alice@contoso.test><><><><>";
const RSP: &[u8] = b"<Kerberos><0a0b0c0d><1><SIP Communications Service><sip/sip.contoso.test><callid><1><REGISTER><sip:alice@contoso.test><tag><sip:alice@contoso.test><totag><><><7200><200>";

fn b64(b: &[u8]) -> String {
    B64.encode(b)
}

fn unb64(v: &serde_json::Value) -> Vec<u8> {
    B64.decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn mit_acceptor_accepts_our_ap_req_and_verifies_our_mics() {
    let Some(kdc) = Kdc::start() else { return };
    mit_acceptor_round(&kdc, SPN, 32);
}

/// sspi 0.23.1 limitation (not ours): it takes the enctype of the user's AS-REP key for the
/// TGS session key too, so a service whose session keys are aes128 (the user's key is aes256)
/// fails inside sspi with "invalid key length". The aes128 MIC path is cross-checked with the MIT
/// initiator below instead. If this starts passing, sspi was fixed: replace it by a full round.
#[test]
fn sspi_limitation_aes128_session_key_with_aes256_user_key() {
    let Some(kdc) = Kdc::start() else { return };
    let e = kdc
        .client("sip/aes128.contoso.test", USER, PASSWORD)
        .unwrap_err();
    assert!(
        matches!(e, sfb_auth::kerberos::KerberosError::Library { .. }),
        "{e:?}"
    );
}

#[test]
fn our_acceptor_verifies_mit_aes128_mics() {
    let Some(kdc) = Kdc::start() else { return };
    kdc.kinit();
    let Some(reply) = oracle(
        &kdc,
        &json!({ "mode": "initiate", "target": "sip@aes128.contoso.test", "sign": [b64(REQ)] }),
    ) else {
        return;
    };
    assert_eq!(reply.get("error"), None, "{reply}");
    let mut server = sfb_auth::kerberos::KerberosServer::new(
        sfb_auth::kerberos::ServiceKey::from_keytab(
            &kdc.keytab("sip.keytab"),
            "sip/aes128.contoso.test",
        ),
        sfb_auth::kerberos::DEFAULT_SKEW,
    );
    server
        .accept(&unb64(&reply["token"]), SystemTime::now())
        .unwrap();
    assert_eq!(
        server.subkey_enctype(),
        Some(sfb_auth::kerberos::Enctype::Aes128CtsHmacSha196)
    );
    let mic = unb64(&reply["mics"][0]);
    server.verify(REQ, &mic).unwrap();
    assert!(server.verify(REQ2, &mic).is_err());
}

/// Our client (via sspi for `spn`) against the MIT acceptor; `subkey_len` is the expected subkey size.
fn mit_acceptor_round(kdc: &Kdc, spn: &str, subkey_len: usize) {
    let mut client = kdc.client(spn, USER, PASSWORD).unwrap();
    let mut ours = sfb_auth::kerberos::KerberosServer::new(
        sfb_auth::kerberos::ServiceKey::from_keytab(&kdc.keytab("sip.keytab"), spn),
        sfb_auth::kerberos::DEFAULT_SKEW,
    );
    ours.accept(client.gssapi_data().unwrap(), SystemTime::now())
        .unwrap();
    assert_eq!(ours.subkey_enctype().unwrap().key_len(), subkey_len);
    let token = client.gssapi_data().unwrap().to_vec();
    let mic1 = client.sign(REQ).unwrap();
    let mic2 = client.sign(REQ2).unwrap();
    let mut tampered = mic1.clone();
    tampered[27] ^= 1;
    let Some(reply) = oracle(
        kdc,
        &json!({
            "mode": "accept",
            "token": b64(&token),
            "mics": [[b64(REQ), b64(&mic1)], [b64(REQ2), b64(&mic2)], [b64(REQ2), b64(&mic1)], [b64(REQ), b64(&tampered)]],
            "sign": [b64(RSP)],
        }),
    ) else {
        return;
    };
    assert_eq!(reply.get("error"), None, "{reply}");
    assert_eq!(
        reply["complete"],
        json!(true),
        "context complete after the AP-REQ alone"
    );
    assert_eq!(
        reply["ap_rep"],
        json!(false),
        "no mutual auth requested, so no AP-REP"
    );
    assert_eq!(reply["initiator"], json!(format!("{USER}@{REALM}")));
    let v = reply["verified"].as_array().unwrap();
    assert_eq!(v[0], json!(true));
    assert_eq!(v[1], json!(true));
    assert_ne!(v[2], json!(true), "MIT must reject a MIC over other data");
    assert_ne!(v[3], json!(true), "MIT must reject a tampered MIC");
    // MIT's acceptor MIC (rspauth) verifies with our client.
    let rspauth = unb64(&reply["mics"][0]);
    assert_eq!(&rspauth[..3], &[0x04, 0x04, 0x01]);
    client.verify(RSP, &rspauth).unwrap();
    assert!(client.verify(REQ, &rspauth).is_err());
}

#[test]
fn our_acceptor_accepts_mit_ap_req_and_verifies_mit_mics() {
    let Some(kdc) = Kdc::start() else { return };
    kdc.kinit();
    let host = SPN.trim_start_matches("sip/");
    let Some(reply) = oracle(
        &kdc,
        &json!({ "mode": "initiate", "target": format!("sip@{host}"), "sign": [b64(REQ), b64(REQ2)] }),
    ) else {
        return;
    };
    assert_eq!(reply.get("error"), None, "{reply}");
    assert_eq!(
        reply["complete"],
        json!(true),
        "integrity-only MIT context completes without AP-REP"
    );
    let token = unb64(&reply["token"]);
    let mut server = kdc.server();
    let accepted = server.accept(&token, SystemTime::now()).unwrap();
    assert_eq!(accepted.client, format!("{USER}@{REALM}"));
    let flags = accepted.gss_flags.unwrap();
    assert_ne!(
        flags & sfb_auth::kerberos::GSS_C_INTEG_FLAG,
        0,
        "{flags:#x}"
    );
    assert_eq!(
        flags & sfb_auth::kerberos::GSS_C_MUTUAL_FLAG,
        0,
        "{flags:#x}"
    );
    let mic1 = unb64(&reply["mics"][0]);
    let mic2 = unb64(&reply["mics"][1]);
    server.verify(REQ, &mic1).unwrap();
    server.verify(REQ2, &mic2).unwrap();
    assert!(server.verify(REQ2, &mic1).is_err());
    let mut tampered = mic2.clone();
    tampered[20] ^= 0x80;
    assert!(server.verify(REQ2, &tampered).is_err());
}
