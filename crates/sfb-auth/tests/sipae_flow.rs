//! The whole MS-SIPAE NTLM sign-in through header text: server offer → client opening → server
//! CHALLENGE → client AUTHENTICATE (signed for version 4) → 200 OK with `rspauth` → later signed
//! requests; replay and tampering refused; both NTLM profiles, versions 3 and 4.

mod ntlm_support;

use std::sync::Arc;

use ntlm_support::*;
use sfb_auth::ntlm::{
    CredentialStore, NtlmClient, NtlmClientConfig, NtlmError, NtlmProfile, NtlmServer,
    NtlmServerConfig,
};
use sfb_auth::secret::{Credential, CredentialSecret, Password};
use sfb_auth::sipae::{
    AuthInfo, AuthorizationValue, Challenge, HeaderKind, MessageFields, Network, SchemePolicy,
    SecurityAssociation, ServerAssociation, ServerVerdict, SignInAuth, SipaeError, params,
};
use sfb_auth::{AuthError, Scheme};

const REALM: &str = "SIP Communications Service";
const TARGET: &str = "fe01.contoso.test";

fn reg(cseq: &'static str) -> MessageFields<'static> {
    MessageFields {
        call_id: "d5f2b95d5be64c2cbfb38aa5d3a87ae7",
        cseq_number: cseq,
        cseq_method: "REGISTER",
        from_uri: "sip:alice@contoso.test",
        from_tag: Some("4a2b44d131"),
        to_uri: "sip:alice@contoso.test",
        ..MessageFields::default()
    }
}

fn server(version: u32, seed: u64) -> ServerAssociation {
    let mut store = CredentialStore::new();
    store.add_password("alice", "CONTOSO", "Passw0rd!");
    let cfg = NtlmServerConfig {
        nb_domain: "CONTOSO".into(),
        nb_computer: "FE01".into(),
        dns_domain: "contoso.test".into(),
        dns_computer: TARGET.into(),
    };
    let ctx = NtlmServer::new(cfg, Arc::new(store), xorshift(seed), 0x01DC_0000_0000_0000);
    ServerAssociation::new(
        Scheme::Ntlm,
        REALM,
        TARGET,
        Some(version),
        Box::new(ctx),
        xorshift(seed + 1),
    )
}

fn client_ctx(password: &str, profile: NtlmProfile, seed: u64) -> Box<NtlmClient> {
    let cfg = NtlmClientConfig {
        credential: Credential::from_login(
            "CONTOSO\\alice",
            CredentialSecret::Password(Password::new(password)),
        ),
        workstation: "WS".into(),
        profile,
        version: [10, 0, 0x61, 0x4a, 0, 0, 0, 15],
    };
    Box::new(NtlmClient::new(cfg, xorshift(seed), 0x01DB_0000_0000_0000))
}

fn challenge(text: &str) -> Challenge {
    let h = params::split(text).unwrap();
    Challenge::from_params(&h.scheme, &h.pairs()).unwrap()
}

fn authorization(text: &str) -> AuthorizationValue {
    let h = params::split(text).unwrap();
    AuthorizationValue::from_params(&h.scheme, &h.pairs()).unwrap()
}

fn info(text: &str) -> AuthInfo {
    let h = params::split(text).unwrap();
    AuthInfo::from_params(&h.scheme, &h.pairs()).unwrap()
}

/// Runs the handshake; returns the client SA and the server SA, established.
fn sign_in(
    version: u32,
    profile: NtlmProfile,
    password: &str,
) -> Result<(SecurityAssociation, ServerAssociation), AuthError> {
    let mut srv = server(version, 40);
    assert_eq!(
        srv.offer().to_string(),
        format!(r#"NTLM realm="{REALM}", targetname="{TARGET}", version={version}"#)
    );
    let offers = [
        challenge(&srv.offer().to_string()),
        challenge(
            r#"Kerberos realm="SIP Communications Service", targetname="sip/fe01.contoso.test", version=4"#,
        ),
    ];
    let mut policy = SignInAuth::new(SchemePolicy::Auto(Network::External));
    let pick = policy.choose(&offers).unwrap();
    assert_eq!(pick.scheme, Scheme::Ntlm);

    let mut sa = SecurityAssociation::new(
        &offers[pick.offer],
        HeaderKind::Authorization,
        client_ctx(password, profile, 50),
        xorshift(60),
    );
    let opening = sa.start()?.to_string();
    let ServerVerdict::Continue(cont) = srv.handle_request(&authorization(&opening), &reg("1"))?
    else {
        panic!("expected a challenge")
    };
    let cont_text = cont.to_string();
    assert!(
        cont_text.starts_with(&format!(
            "NTLM opaque=\"{}\", gssapi-data=\"TlRMTVNTUAACAAAA",
            srv.opaque()
        )),
        "{cont_text}"
    );
    let mut fin = sa.handle_challenge(&challenge(&cont_text))?;
    assert_eq!(sa.must_sign_final(), version >= 4);
    if sa.must_sign_final() {
        sa.sign_request(&mut fin, &reg("2"))?;
    }
    let fin_text = fin.to_string();
    assert_eq!(fin_text.contains("response="), version >= 4);
    assert_eq!(
        srv.handle_request(&authorization(&fin_text), &reg("2"))?,
        ServerVerdict::Authenticated
    );
    Ok((sa, srv))
}

#[test]
fn sign_in_and_signed_traffic_all_variants() {
    for version in [3, 4] {
        for profile in [NtlmProfile::Oc2007R2, NtlmProfile::Windows] {
            let (mut sa, mut srv) = sign_in(version, profile, "Passw0rd!").unwrap();
            // 200 OK signed by the server, verified by the client.
            let ok = MessageFields {
                to_tag: Some("0858513FA91D3AAE1A5840DDB99599DF"),
                expires: Some("7200"),
                response_code: Some(200),
                ..reg("2")
            };
            let info_text = srv.sign_response(&ok).unwrap().to_string();
            assert!(info_text.starts_with("NTLM rspauth=\""), "{info_text}");
            sa.verify_info(&info(&info_text), &ok).unwrap();
            let wrong_code = MessageFields {
                response_code: Some(202),
                ..ok
            };
            assert!(matches!(
                sa.verify_info(&info(&info_text), &wrong_code),
                Err(AuthError::BadSignature)
            ));

            // Later requests are signed with increasing cnum; replay and tampering are refused.
            let first_cnum = if version >= 4 { 2 } else { 1 };
            for (i, cseq) in ["3", "4", "5"].into_iter().enumerate() {
                let msg = reg(cseq);
                let v = sa.authorize(&msg).unwrap();
                assert_eq!(
                    v.signed.as_ref().unwrap().cnum,
                    (first_cnum + i).to_string()
                );
                let text = v.to_string();
                assert_eq!(
                    srv.handle_request(&authorization(&text), &msg).unwrap(),
                    ServerVerdict::Authenticated
                );
                assert!(matches!(
                    srv.handle_request(&authorization(&text), &msg),
                    Err(AuthError::Sipae(SipaeError::ReplayedCnum { .. }))
                ));
            }
            let msg = reg("6");
            let v = sa.authorize(&msg).unwrap();
            let tampered = MessageFields {
                from_tag: Some("4a2b44d132"),
                ..msg
            };
            assert!(matches!(
                srv.handle_request(&v, &tampered),
                Err(AuthError::BadSignature)
            ));
            let mut other_opaque = v.clone();
            other_opaque.opaque = Some("00000000".into());
            assert!(matches!(
                srv.handle_request(&other_opaque, &msg),
                Err(AuthError::Sipae(SipaeError::NoAssociation { .. }))
            ));
        }
    }
}

#[test]
fn wrong_password_refused_at_final_token() {
    for profile in [NtlmProfile::Oc2007R2, NtlmProfile::Windows] {
        let r = sign_in(4, profile, "passw0rd!");
        assert!(
            matches!(r, Err(AuthError::Ntlm(NtlmError::WrongPassword))),
            "{r:?}"
        );
    }
}

#[test]
fn v4_final_request_must_be_signed() {
    let mut srv = server(4, 70);
    let offer = challenge(&srv.offer().to_string());
    let mut sa = SecurityAssociation::new(
        &offer,
        HeaderKind::Authorization,
        client_ctx("Passw0rd!", NtlmProfile::Windows, 71),
        xorshift(72),
    );
    let opening = sa.start().unwrap();
    let ServerVerdict::Continue(cont) = srv.handle_request(&opening, &reg("1")).unwrap() else {
        panic!()
    };
    let fin = sa.handle_challenge(&cont).unwrap();
    let r = srv.handle_request(&fin, &reg("2"));
    assert!(
        matches!(
            r,
            Err(AuthError::Sipae(SipaeError::MissingParam("response")))
        ),
        "{r:?}"
    );
}
