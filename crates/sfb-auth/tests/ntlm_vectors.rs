//! Known answers: the real Office Communicator 2007 R2 ↔ OCS 2007 R2 exchange (pidgin-sipe test
//! data), rebuilt byte for byte with injected randomness, signed and verified in both directions.

mod ntlm_support;

use ntlm_support::*;
use sfb_auth::ntlm::messages::{AuthenticateMessage, ChallengeMessage};
use sfb_auth::ntlm::{
    CredentialStore, NtlmClient, NtlmClientConfig, NtlmError, NtlmProfile, NtlmServer,
    NtlmServerConfig,
};
use sfb_auth::secret::{Credential, CredentialSecret, Password};
use sfb_auth::sipae::{
    AuthInfo, Challenge, HeaderKind, MessageFields, SecurityAssociation, params,
};
use sfb_auth::{AuthError, SecurityContext, ServerContext, Step};

fn client(v: &serde_json::Value) -> NtlmClient {
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    let cfg = NtlmClientConfig {
        credential: Credential::from_login(
            &format!("{}\\{}", s("domain"), s("user")),
            CredentialSecret::Password(Password::new(s("password"))),
        ),
        workstation: s("workstation"),
        profile: NtlmProfile::Oc2007R2,
        version: hex(&s("version_hex")).try_into().unwrap(),
    };
    let mut rnd = hex(&s("client_challenge_hex"));
    rnd.extend(hex(&s("exported_session_key_hex")));
    let ts = u64::from_le_bytes(hex(&s("timestamp_hex")).try_into().unwrap());
    NtlmClient::new(cfg, scripted(rnd), ts)
}

fn server_config() -> NtlmServerConfig {
    NtlmServerConfig {
        nb_domain: "COSMO".into(),
        nb_computer: "COSMO-OCS-R2".into(),
        dns_domain: "cosmo.local".into(),
        dns_computer: "cosmo-ocs-r2.cosmo.local".into(),
    }
}

fn store(password: &str) -> std::sync::Arc<CredentialStore> {
    let mut s = CredentialStore::new();
    s.add_password("User", "COSMO", password);
    std::sync::Arc::new(s)
}

#[test]
fn authenticate_rebuilt_byte_for_byte() {
    let v = oc2007r2();
    let mut c = client(&v);
    assert_eq!(c.step(None).unwrap(), Step::Continue(vec![]));
    let chal = b64(v["challenge_b64"].as_str().unwrap());
    let Step::Done(Some(auth)) = c.step(Some(&chal)).unwrap() else {
        panic!("not done")
    };
    let want = b64(v["authenticate_b64"].as_str().unwrap());
    assert_eq!(to_hex(&auth), to_hex(&want));
    let m = AuthenticateMessage::parse(&auth).unwrap();
    assert_eq!(m.flags, v["authenticate_flags"].as_u64().unwrap() as u32);
    assert_eq!(
        to_hex(&m.lm_response),
        v["lmv2_hex"].as_str().unwrap().to_lowercase()
    );
    assert_eq!(
        to_hex(&m.nt_response[..16]),
        v["nt_proof_hex"].as_str().unwrap().to_lowercase()
    );
    assert!(m.mic.is_none());
    assert!(c.is_established());

    let sig = c
        .sign(v["register_signature_string"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(to_hex(&sig), v["register_signature"].as_str().unwrap());
    let ok = v["ok_signature_string"].as_str().unwrap().as_bytes();
    let rsp = hex(v["ok_rspauth"].as_str().unwrap());
    c.verify(ok, &rsp).unwrap();
    let mut bad = ok.to_vec();
    bad[5] ^= 1;
    assert!(matches!(c.verify(&bad, &rsp), Err(AuthError::BadSignature)));
}

#[test]
fn server_verifies_capture_and_signs_rspauth() {
    let v = oc2007r2();
    let chal = b64(v["challenge_b64"].as_str().unwrap());
    let auth = b64(v["authenticate_b64"].as_str().unwrap());
    let mut s = NtlmServer::resume(server_config(), store("Pa$$word"), xorshift(1), &chal).unwrap();
    assert_eq!(s.step(Some(&auth)).unwrap(), Step::Done(None));
    assert_eq!(s.authenticated_user(), Some("COSMO\\User"));
    let rsp = s
        .sign(v["ok_signature_string"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(
        to_hex(&rsp),
        v["ok_rspauth"].as_str().unwrap().to_lowercase()
    );
    let reg = v["register_signature_string"].as_str().unwrap().as_bytes();
    s.verify(reg, &hex(v["register_signature"].as_str().unwrap()))
        .unwrap();

    let mut w = NtlmServer::resume(server_config(), store("Pa$$w0rd"), xorshift(1), &chal).unwrap();
    assert!(matches!(
        w.step(Some(&auth)),
        Err(AuthError::Ntlm(NtlmError::WrongPassword))
    ));
    assert!(!w.is_established());
    assert!(w.sign(b"x").is_err());
}

/// The whole MS-SIPAE flow through the security association reproduces the captured
/// `Proxy-Authorization` header value and verifies the 200 OK `Authentication-Info`.
#[test]
fn security_association_reproduces_captured_header() {
    let v = oc2007r2();
    let first = params::split(r#"NTLM realm="SIP Communications Service", targetname="cosmo-ocs-r2.cosmo.local", version=4"#).unwrap();
    let first = Challenge::from_params(&first.scheme, &first.pairs()).unwrap();
    let mut sa = SecurityAssociation::new(
        &first,
        HeaderKind::ProxyAuthorization,
        Box::new(client(&v)),
        scripted(hex("13317733")),
    );
    let opening = sa.start().unwrap();
    assert_eq!(
        opening.to_string(),
        r#"NTLM qop="auth", realm="SIP Communications Service", targetname="cosmo-ocs-r2.cosmo.local", version=4, gssapi-data="""#
    );
    let cont = format!(
        r#"NTLM opaque="2BDBAC9D", gssapi-data="{}", targetname="cosmo-ocs-r2.cosmo.local", realm="SIP Communications Service""#,
        v["challenge_b64"].as_str().unwrap()
    );
    let cont = params::split(&cont).unwrap();
    let cont = Challenge::from_params(&cont.scheme, &cont.pairs()).unwrap();
    let mut fin = sa.handle_challenge(&cont).unwrap();
    assert!(sa.must_sign_final());
    let reg = MessageFields {
        call_id: "4037df9284354df39065195bd57a4b14",
        cseq_number: "3",
        cseq_method: "REGISTER",
        from_uri: "sip:user@cosmo.local",
        from_tag: Some("3e49177a52"),
        to_uri: "sip:user@cosmo.local",
        ..MessageFields::default()
    };
    sa.sign_request(&mut fin, &reg).unwrap();
    assert_eq!(
        fin.to_string(),
        v["register_proxy_authorization"].as_str().unwrap()
    );
    assert_eq!(sa.header().request_header(), "Proxy-Authorization");

    let info = params::split(v["ok_authentication_info"].as_str().unwrap()).unwrap();
    let info = AuthInfo::from_params(&info.scheme, &info.pairs()).unwrap();
    let ok = MessageFields {
        to_tag: Some("5E61CCD925D17E043D9A74835A88F664"),
        expires: Some("7200"),
        response_code: Some(200),
        ..reg
    };
    sa.verify_info(&info, &ok).unwrap();
    // Any changed signed field is detected.
    let tampered = MessageFields {
        expires: Some("7201"),
        ..ok
    };
    assert!(matches!(
        sa.verify_info(&info, &tampered),
        Err(AuthError::BadSignature)
    ));
    // An Info for another target has no SA.
    let mut other = info.clone();
    other.targetname = "other".into();
    assert!(matches!(
        sa.verify_info(&other, &ok),
        Err(AuthError::Sipae(_))
    ));
}

#[test]
fn parses_ms_nlmp_4_2_4_reference_messages() {
    let chal = hex(
        "4E544C4D53535000020000000C000C003800000033828AE20123456789ABCDEF00000000000000002400240044000000060070170000000F53006500720076006500720002000C0044006F006D00610069006E0001000C0053006500720076006500720000000000",
    );
    let c = ChallengeMessage::parse(&chal).unwrap();
    assert_eq!(c.flags, 0xE28A8233);
    assert_eq!(to_hex(&c.server_challenge), "0123456789abcdef");
    assert_eq!(c.av_pairs.0.len(), 2);
    let auth = hex(
        "4E544C4D5353500003000000180018006C00000054005400840000000C000C00480000000800080054000000100010005C00000010001000D8000000358288E20501280A0000000F44006F006D00610069006E00550073006500720043004F004D005000550054004500520086C35097AC9CEC102554764A57CCCC19AAAAAAAAAAAAAAAA68CD0AB851E51C96AABC927BEBEF6A1C01010000000000000000000000000000AAAAAAAAAAAAAAAA0000000002000C0044006F006D00610069006E0001000C005300650072007600650072000000000000000000C5DAD2544FC9799094CE1CE90BC9D03E",
    );
    let a = AuthenticateMessage::parse(&auth).unwrap();
    assert_eq!(
        to_hex(&a.nt_response[..16]),
        "68cd0ab851e51c96aabc927bebef6a1c"
    );
    assert_eq!(
        to_hex(&a.encrypted_session_key),
        "c5dad2544fc9799094ce1ce90bc9d03e"
    );
    // This is a connection-oriented example: our SIP client refuses its flags precisely.
    let cred = Credential::from_login(
        "Domain\\User",
        CredentialSecret::Password(Password::new("Password")),
    );
    let cfg = NtlmClientConfig {
        credential: cred,
        workstation: "COMPUTER".into(),
        profile: NtlmProfile::Windows,
        version: [0; 8],
    };
    let mut cl = NtlmClient::new(cfg, xorshift(2), 0);
    cl.step(None).unwrap();
    let e = cl.step(Some(&chal)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ntlm: incompatible ntlm negotiate flags: missing 0x00000040"
    );
}
