//! Client ↔ server in process, both profiles: every message signed and verified both ways,
//! tampering detected, wrong password refused by the NTProofStr check, MIC enforced.

mod ntlm_support;

use std::sync::Arc;

use ntlm_support::*;
use sfb_auth::ntlm::messages::{AuthenticateMessage, ChallengeMessage, MIC_OFFSET};
use sfb_auth::ntlm::{
    CredentialStore, NtlmClient, NtlmClientConfig, NtlmError, NtlmProfile, NtlmServer,
    NtlmServerConfig, avpairs,
};
use sfb_auth::secret::{Credential, CredentialSecret, Password};
use sfb_auth::{AuthError, SecurityContext, ServerContext, Step};

const NOW: u64 = 0x01DC_5F00_0000_0000;

fn server(seed: u64) -> NtlmServer {
    let mut s = CredentialStore::new();
    s.add_password("alice", "CONTOSO", "Passw0rd!");
    s.add_password("bob@contoso.test", "", "hunter2");
    let cfg = NtlmServerConfig {
        nb_domain: "CONTOSO".into(),
        nb_computer: "FE01".into(),
        dns_domain: "contoso.test".into(),
        dns_computer: "fe01.contoso.test".into(),
    };
    NtlmServer::new(cfg, Arc::new(s), xorshift(seed), NOW)
}

fn client(login: &str, password: &str, profile: NtlmProfile, seed: u64) -> NtlmClient {
    let cfg = NtlmClientConfig {
        credential: Credential::from_login(
            login,
            CredentialSecret::Password(Password::new(password)),
        ),
        workstation: "WS01".into(),
        profile,
        version: [10, 0, 0x61, 0x4a, 0, 0, 0, 15],
    };
    NtlmClient::new(cfg, xorshift(seed), NOW - 1234)
}

/// Runs the handshake; returns (challenge, authenticate, server result).
fn handshake(
    c: &mut NtlmClient,
    s: &mut NtlmServer,
) -> (Vec<u8>, Vec<u8>, Result<Step, AuthError>) {
    let Step::Continue(first) = c.step(None).unwrap() else {
        panic!()
    };
    assert!(first.is_empty(), "connectionless: empty first token");
    let Step::Continue(chal) = s.step(Some(&first)).unwrap() else {
        panic!()
    };
    let Step::Done(Some(auth)) = c.step(Some(&chal)).unwrap() else {
        panic!()
    };
    let r = s.step(Some(&auth));
    (chal, auth, r)
}

#[test]
fn both_profiles_sign_in_and_sign_every_message() {
    for (i, profile) in [NtlmProfile::Oc2007R2, NtlmProfile::Windows]
        .into_iter()
        .enumerate()
    {
        for login in ["CONTOSO\\alice", "contoso\\ALICE"] {
            let mut c = client(login, "Passw0rd!", profile, 10 + i as u64);
            let mut s = server(20 + i as u64);
            let (chal, auth, r) = handshake(&mut c, &mut s);
            assert_eq!(r.unwrap(), Step::Done(None), "{profile:?} {login}");
            let m = AuthenticateMessage::parse(&auth).unwrap();
            let ch = ChallengeMessage::parse(&chal).unwrap();
            assert!(ch.av_pairs.timestamp().is_some());
            match profile {
                NtlmProfile::Windows => {
                    assert!(m.mic.is_some());
                    assert!(m.lm_response.is_empty(), "connectionless: no LM response");
                    // The temp blob echoes the server timestamp and MsvAvFlags = 2.
                    assert_eq!(&m.nt_response[24..32], &NOW.to_le_bytes());
                    let av = avpairs::AvPairs::parse(&m.nt_response[44..]).unwrap();
                    assert_eq!(av.flags(), Some(avpairs::AV_FLAG_MIC));
                }
                NtlmProfile::Oc2007R2 => {
                    assert!(m.mic.is_none());
                    assert_ne!(m.lm_response, vec![0u8; 24]);
                    assert_eq!(&m.nt_response[24..32], &(NOW - 1234).to_le_bytes());
                }
            }
            for n in 0..5u8 {
                let msg = format!(
                    "<NTLM><{n:08x}><{n}><SIP Communications Service><fe01.contoso.test><call><{n}><REGISTER>"
                );
                let sig = c.sign(msg.as_bytes()).unwrap();
                s.verify(msg.as_bytes(), &sig).unwrap();
                let rsp = s.sign(msg.as_bytes()).unwrap();
                c.verify(msg.as_bytes(), &rsp).unwrap();
                assert_ne!(sig, rsp, "directions use different keys");
                // Any flipped byte of the signed buffer or of the signature is detected.
                for pos in 0..msg.len() {
                    let mut t = msg.clone().into_bytes();
                    t[pos] ^= 0x20;
                    assert!(s.verify(&t, &sig).is_err());
                    assert!(c.verify(&t, &rsp).is_err());
                }
                for pos in 0..16 {
                    let mut t = sig.clone();
                    t[pos] ^= 1;
                    assert!(s.verify(msg.as_bytes(), &t).is_err());
                }
                assert!(s.verify(msg.as_bytes(), &sig[..15]).is_err());
                // Client signatures do not verify as server signatures.
                assert!(c.verify(msg.as_bytes(), &sig).is_err());
            }
        }
    }
}

#[test]
fn upn_login() {
    let mut c = client("bob@contoso.test", "hunter2", NtlmProfile::Windows, 3);
    let mut s = server(4);
    let (_, _, r) = handshake(&mut c, &mut s);
    r.unwrap();
    assert_eq!(s.authenticated_user(), Some("bob@contoso.test"));
}

#[test]
fn wrong_password_and_unknown_user_refused() {
    for profile in [NtlmProfile::Oc2007R2, NtlmProfile::Windows] {
        let mut c = client("CONTOSO\\alice", "passw0rd!", profile, 5);
        let mut s = server(6);
        let (_, _, r) = handshake(&mut c, &mut s);
        assert!(
            matches!(r, Err(AuthError::Ntlm(NtlmError::WrongPassword))),
            "{profile:?}: {r:?}"
        );
        assert!(!s.is_established());
        // No second chance in the same context.
        assert!(s.step(Some(b"NTLMSSP\0")).is_err());

        let mut c = client("CONTOSO\\mallory", "Passw0rd!", profile, 5);
        let mut s = server(6);
        let (_, _, r) = handshake(&mut c, &mut s);
        assert!(matches!(r, Err(AuthError::Ntlm(NtlmError::UnknownUser))));
    }
}

#[test]
fn authenticate_tampering_detected() {
    let mut c0 = client("CONTOSO\\alice", "Passw0rd!", NtlmProfile::Windows, 7);
    let mut s0 = server(8);
    let (_, auth, r) = handshake(&mut c0, &mut s0);
    r.unwrap();
    let m = AuthenticateMessage::parse(&auth).unwrap();
    let ws_off = auth.len() - 16 - m.nt_response.len() - m.lm_response.len() - m.workstation.len();
    // Flip: a MIC byte, a workstation byte (only the MIC covers it), a flags byte, a byte of the
    // NT response, a byte of the encrypted session key.
    let cases = [
        (MIC_OFFSET + 3, "mic"),
        (ws_off, "workstation"),
        (62, "flags"),
        (auth.len() - 40, "nt response"),
        (auth.len() - 1, "session key"),
    ];
    for (pos, what) in cases {
        let mut c = client("CONTOSO\\alice", "Passw0rd!", NtlmProfile::Windows, 7);
        let mut s = server(8);
        c.step(None).unwrap();
        let Step::Continue(chal) = s.step(None).unwrap() else {
            panic!()
        };
        let Step::Done(Some(mut a)) = c.step(Some(&chal)).unwrap() else {
            panic!()
        };
        assert_eq!(a, auth);
        a[pos] ^= 0x01;
        let r = s.step(Some(&a));
        assert!(r.is_err(), "{what} tamper accepted");
        if what == "mic" || what == "workstation" || what == "session key" {
            assert!(
                matches!(r, Err(AuthError::Ntlm(NtlmError::MicMismatch))),
                "{what}: {r:?}"
            );
        }
    }
}

#[test]
fn state_misuse_is_an_error() {
    let mut c = client("CONTOSO\\alice", "Passw0rd!", NtlmProfile::Windows, 9);
    assert!(matches!(
        c.sign(b"x"),
        Err(AuthError::NotEstablished { .. })
    ));
    c.step(None).unwrap();
    assert!(c.step(None).is_err());
    let mut s = server(1);
    assert!(s.step(Some(b"not empty")).is_err());
}
