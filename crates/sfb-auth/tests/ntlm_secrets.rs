//! No secret in any Debug or Display output: passwords, NT hashes, session and signing keys.

mod ntlm_support;

use std::sync::Arc;

use ntlm_support::*;
use sfb_auth::ntlm::messages::AuthenticateMessage;
use sfb_auth::ntlm::{
    CredentialStore, NtlmClient, NtlmClientConfig, NtlmProfile, NtlmServer, NtlmServerConfig,
    crypto,
};
use sfb_auth::secret::{Credential, CredentialSecret, Key16, Password};
use sfb_auth::sipae::{Challenge, HeaderKind, SecurityAssociation};
use sfb_auth::{SecurityContext, ServerContext, Step};

/// Every rendering of a secret we look for: hex both cases, and Rust's `[103, 66, ...]` form.
fn forbidden(secret: &[u8]) -> Vec<String> {
    let hex = to_hex(secret);
    let dec = secret[..4]
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    vec![hex.clone(), hex.to_uppercase(), dec]
}

fn check(what: &str, text: &str, secrets: &[Vec<String>], password: &str) {
    assert!(
        !text.contains(password),
        "{what} leaks the password: {text}"
    );
    for forms in secrets {
        for f in forms {
            assert!(!text.contains(f.as_str()), "{what} leaks {f}: {text}");
        }
    }
}

#[test]
fn debug_and_display_leak_nothing() {
    let v = oc2007r2();
    let password = "Pa$$word";
    let nt = crypto::nt_hash(password);
    let esk = hex(v["exported_session_key_hex"].as_str().unwrap());
    let esk_key = Key16::new(esk.clone().try_into().unwrap());
    let sign = crypto::sign_key(&esk_key, crypto::Direction::ClientToServer);
    let secrets = vec![
        forbidden(nt.expose()),
        forbidden(&esk),
        forbidden(sign.expose()),
    ];

    let cred = Credential::from_login(
        "COSMO\\User",
        CredentialSecret::Password(Password::new(password)),
    );
    let mut rnd = hex(v["client_challenge_hex"].as_str().unwrap());
    rnd.extend(&esk);
    let cfg = NtlmClientConfig {
        credential: cred.clone(),
        workstation: "W".into(),
        profile: NtlmProfile::Oc2007R2,
        version: [0; 8],
    };
    let mut client = NtlmClient::new(cfg.clone(), scripted(rnd), 0);
    client.step(None).unwrap();
    let chal = b64(v["challenge_b64"].as_str().unwrap());
    let Step::Done(Some(auth)) = client.step(Some(&chal)).unwrap() else {
        panic!()
    };

    let mut store = CredentialStore::new();
    store.add_password("User", "COSMO", password);
    store.add_nt_hash("Other", "COSMO", nt.clone());
    let store = Arc::new(store);
    let scfg = NtlmServerConfig {
        nb_domain: "COSMO".into(),
        nb_computer: "S".into(),
        dns_domain: "d".into(),
        dns_computer: "s.d".into(),
    };
    let mut server = NtlmServer::resume(scfg, store.clone(), xorshift(1), &chal).unwrap();
    server
        .step(Some(&b64(v["authenticate_b64"].as_str().unwrap())))
        .unwrap();

    let first = Challenge {
        scheme: sfb_auth::Scheme::Ntlm,
        realm: "r".into(),
        targetname: "t".into(),
        version: Some(4),
        opaque: None,
        gssapi_data: None,
        sts_uri: None,
    };
    let mut sa = SecurityAssociation::new(
        &first,
        HeaderKind::Authorization,
        Box::new(NtlmClient::new(cfg, xorshift(3), 0)),
        xorshift(4),
    );
    let opening = sa.start().unwrap();

    let rendered = [
        ("credential", format!("{cred:?} {cred:#?}")),
        (
            "secret",
            format!(
                "{:?} {:?} {:?}",
                CredentialSecret::NtHash(nt.clone()),
                nt,
                sign
            ),
        ),
        ("client", format!("{client:?} {client:#?}")),
        ("server", format!("{server:?} {server:#?}")),
        ("store", format!("{store:?}")),
        ("sa", format!("{sa:?}")),
        ("authorization", format!("{opening:?}")),
        (
            "authenticate",
            format!("{:?}", AuthenticateMessage::parse(&auth).unwrap()),
        ),
        (
            "wrong-password error",
            format!(
                "{}",
                sfb_auth::AuthError::from(sfb_auth::ntlm::NtlmError::WrongPassword)
            ),
        ),
    ];
    for (what, text) in &rendered {
        check(what, text, &secrets, password);
    }
    // The Debug of an AUTHENTICATE shows no response bytes (offline-crackable).
    let nt_proof = v["nt_proof_hex"].as_str().unwrap().to_lowercase();
    assert!(!rendered[7].1.to_lowercase().contains(&nt_proof));
}
