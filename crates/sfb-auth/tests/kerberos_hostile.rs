//! Offline tests: a recorded MIT (python-gssapi) AP-REQ and MIC verified with a recorded keytab
//! (time injected, so no KDC is needed), and hostile input that must never panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sfb_auth::kerberos::{
    DEFAULT_SKEW, Enctype, KerberosError, KerberosServer, ServiceKey, SessionKey, fuzzing,
    keytab::Keytab, mic, parse_gss_ap_req,
};

const SPN: &str = "sip/sip.contoso.test";

struct Recorded {
    data: Vec<u8>,
    token: Vec<u8>,
    mic: Vec<u8>,
    at: SystemTime,
    keytab: Keytab,
}

fn recorded() -> Recorded {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/kerberos/");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{dir}mit-initiator.json")).unwrap())
            .unwrap();
    let d = |k: &str| B64.decode(json[k].as_str().unwrap()).unwrap();
    let secs: u64 = std::fs::read_to_string(format!("{dir}mit-initiator.unixtime"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    Recorded {
        data: d("data"),
        token: d("token"),
        mic: d("mic"),
        at: UNIX_EPOCH + Duration::from_secs(secs),
        keytab: Keytab::parse(&std::fs::read(format!("{dir}mit-sip.keytab")).unwrap()).unwrap(),
    }
}

#[test]
fn recorded_mit_initiator_known_answer() {
    let r = recorded();
    let mut server = KerberosServer::new(ServiceKey::from_keytab(&r.keytab, SPN), DEFAULT_SKEW);
    let accepted = server.accept(&r.token, r.at).unwrap();
    assert_eq!(accepted.client, "alice@CONTOSO.TEST");
    server.verify(&r.data, &r.mic).unwrap();
    let mut other = r.data.clone();
    other[1] ^= 0x20;
    assert_eq!(
        server.verify(&other, &r.mic),
        Err(KerberosError::MicMismatch)
    );
    // The recorded AP-REQ is far outside the skew window today.
    let mut today = KerberosServer::new(ServiceKey::from_keytab(&r.keytab, SPN), DEFAULT_SKEW);
    assert_eq!(
        today.accept(&r.token, r.at + Duration::from_secs(301)),
        Err(KerberosError::ClockSkew)
    );
}

#[test]
fn mutated_recorded_ap_req_never_panics_nor_passes_silently() {
    let r = recorded();
    let keys = ServiceKey::from_keytab(&r.keytab, SPN);
    let mut ok = 0;
    for i in 0..r.token.len() {
        for bit in [0x01u8, 0x80] {
            let mut t = r.token.clone();
            t[i] ^= bit;
            let mut server = KerberosServer::new(keys.clone(), DEFAULT_SKEW);
            if server.accept(&t, r.at).is_ok() {
                // Only unauthenticated fields (ap-options, kvno, name hints) may change without
                // failing; the MIC must then still verify with the genuine subkey.
                ok += 1;
                server.verify(&r.data, &r.mic).unwrap();
            }
        }
        let mut server = KerberosServer::new(keys.clone(), DEFAULT_SKEW);
        assert!(server.accept(&r.token[..i], r.at).is_err());
    }
    assert!(ok < r.token.len() / 4, "{ok} mutations accepted");
}

#[test]
fn wrong_token_ids_and_garbage() {
    let r = recorded();
    // AP-REP (02 00) and KRB-ERROR (03 00) token ids in valid framing.
    for id in [[0x02, 0x00], [0x03, 0x00]] {
        let mut t = r.token.clone();
        t[4 + 11] = id[0];
        t[4 + 12] = id[1];
        assert_eq!(
            parse_gss_ap_req(&t).unwrap_err(),
            KerberosError::NotApReq { id }
        );
    }
    // A different mechanism OID (SPNEGO 1.3.6.1.5.5.2).
    let spnego = [0x60, 0x08, 0x06, 0x06, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x02];
    assert!(matches!(
        parse_gss_ap_req(&spnego),
        Err(KerberosError::GssFraming { .. })
    ));
    // Truncated MIC tokens and wrong ids.
    let key = SessionKey::new(Enctype::Aes256CtsHmacSha196, vec![3; 32]).unwrap();
    for n in 0..28 {
        let e = mic::verify_mic(&key, mic::Direction::Initiator, b"x", &r.mic[..n]).unwrap_err();
        assert!(
            matches!(
                e,
                KerberosError::MicTruncated { .. } | KerberosError::MicTokenId { .. }
            ),
            "{e:?}"
        );
    }
    for id in [[0x05, 0x04], [0x04, 0x05], [0x00, 0x00]] {
        let mut t = r.mic.clone();
        t[..2].copy_from_slice(&id);
        assert_eq!(
            mic::verify_mic(&key, mic::Direction::Initiator, b"x", &t).unwrap_err(),
            KerberosError::MicTokenId { id }
        );
    }
    let mut rc4 = r.mic.clone();
    rc4[..2].copy_from_slice(&[0x01, 0x01]);
    assert_eq!(
        mic::verify_mic(&key, mic::Direction::Initiator, b"x", &rc4),
        Err(KerberosError::Rc4Token)
    );
    // Pseudo-random garbage through every entry point.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in 0..2000usize {
        let buf: Vec<u8> = (0..len % 700)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        fuzzing::kerberos_token(&buf);
        let mut framed = r.token[..17.min(r.token.len())].to_vec();
        framed.extend_from_slice(&buf);
        fuzzing::kerberos_token(&framed);
        let mut server = KerberosServer::new(ServiceKey::from_keytab(&r.keytab, SPN), DEFAULT_SKEW);
        assert!(server.accept(&framed, r.at).is_err());
    }
}
