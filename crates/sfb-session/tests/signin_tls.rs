//! The whole sign-in through the tokio driver over real TLS: an in-process rustls server with
//! rcgen certificates in front of the scripted registrar (sfb-auth's server halves), one
//! registrar per connection. NTLM sign-in with settings; a 301 to a second server whose
//! certificate must carry the Contact host; the trace validates against the JSON Schema.

mod common;
mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::{LeafSpec, Pki, now};
use rustls::ServerConfig;
use rustls::version::{TLS12, TLS13};
use sfb_auth::Scheme;
use sfb_auth::secret::{Credential, CredentialSecret, Password};
use sfb_auth::sipae::SchemePolicy;
use sfb_session::signin::{AuthMode, Endpoint, Outcome, SignIn, SignInConfig};
use sfb_session::{ConnectOptions, DriverOptions, TlsSettings, run_signin, system_resolver};
use sfb_trace::{
    EvidenceKind, NameSource, RedactionPolicy, SignInTrace, Status, Step, Timestamp, TlsFailure,
    TlsOutcome,
};
use support::registrar::{Behaviour, DOMAIN, PASSWORD, Registrar, USER, xorshift};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Serves the scripted registrar over TLS on 127.0.0.1 (a fresh registrar per connection).
async fn serve_registrar(pki: &Pki, name: &'static str, b: Behaviour) -> SocketAddr {
    let leaf = pki.leaf(&LeafSpec::named(name));
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&TLS13, &TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![leaf.cert, pki.inter.clone()], leaf.key)
            .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let b = b.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut reg = Registrar::new(b);
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let out = reg.push(&buf[..n]);
                    if !out.is_empty() && tls.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn config(stay: bool) -> SignInConfig {
    let auth = AuthMode::Credentials {
        credential: Credential::from_login(
            &format!("{DOMAIN}\\{USER}"),
            CredentialSecret::Password(Password::new(PASSWORD)),
        ),
        policy: SchemePolicy::Only(Scheme::Ntlm),
        kerberos_realm: None,
        kdcs: Vec::new(),
    };
    let mut c = SignInConfig::new(
        "sip:alice@contoso.test",
        auth,
        "WS01",
        (Instant::now(), SystemTime::now()),
    );
    c.stay = stay;
    c.transaction_timeout = Duration::from_secs(5);
    c
}

fn options(pki: &Pki, known: &[&str]) -> DriverOptions {
    DriverOptions {
        tls: TlsSettings::new(std::slice::from_ref(&pki.root), now()).unwrap(),
        connect: ConnectOptions {
            tcp_timeout: Duration::from_secs(3),
            tls_timeout: Duration::from_secs(5),
            ..Default::default()
        },
        resolver: system_resolver(),
        known: known
            .iter()
            .map(|h| (h.to_string(), vec![LOCAL], NameSource::Manual))
            .collect(),
        kerberos: None,
        cancel: None,
        progress: None,
    }
}

fn trace() -> SignInTrace {
    SignInTrace::new(
        "test",
        "sip:alice@contoso.test",
        Timestamp::EPOCH,
        RedactionPolicy::default(),
    )
}

fn validate(trace: &SignInTrace) {
    let schema: serde_json::Value = serde_json::from_str(include_str!(
        "../../sfb-trace/schema/sign-in-trace.schema.json"
    ))
    .unwrap();
    let v = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&trace.to_json()).unwrap();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn verdict(trace: &SignInTrace, step: Step) -> Option<(Status, String)> {
    trace
        .steps
        .iter()
        .find(|s| s.step == step)?
        .verdicts
        .last()
        .map(|v| (v.status, v.cause.as_str().to_owned()))
}

#[tokio::test]
async fn ntlm_sign_in_over_tls_with_settings() {
    let pki = Pki::new("Contoso Test Root");
    let addr = serve_registrar(&pki, "pool1.contoso.test", Behaviour::default()).await;
    let m = SignIn::new(
        config(false),
        vec![Endpoint::tls("pool1.contoso.test", addr.port(), "test")],
        xorshift(5),
    )
    .unwrap();
    let mut t = trace();
    let o = run_signin(m, &mut t, options(&pki, &["pool1.contoso.test"])).await;
    assert_eq!(o, Outcome::SignedIn, "{}", t.to_json());
    validate(&t);
    assert_eq!(
        verdict(&t, Step::Connectivity).map(|v| v.0),
        Some(Status::Pass)
    );
    assert_eq!(
        verdict(&t, Step::Authentication),
        Some((Status::Pass, "auth.signed_in".into()))
    );
    assert_eq!(
        verdict(&t, Step::Settings),
        Some((Status::Pass, "settings.ok".into()))
    );
    let sips = t
        .evidence
        .iter()
        .filter(|e| matches!(e.kind, EvidenceKind::Sip(_)))
        .count();
    // 3 REGISTER + 5 settings + un-REGISTER, each answered.
    assert_eq!(sips, 18);
    // Tokens are recorded by their safe fields only; the raw token is dropped by the trace.
    let json = t.to_json();
    assert!(json.contains("\"message_type\": \"authenticate\""));
    for e in &t.evidence {
        if let EvidenceKind::AuthToken(a) = &e.kind {
            assert!(a.raw.is_none());
        }
    }
    assert!(json.contains("\"location_profile\": \"Redmond\""));
    assert!(json.contains("+1425555$1"));
}

#[tokio::test]
async fn redirect_to_a_home_pool_whose_certificate_names_the_contact_host() {
    let pki = Pki::new("Contoso Test Root");
    let pool = serve_registrar(
        &pki,
        "pool2.contoso.test",
        Behaviour {
            fqdn: "pool2.contoso.test".into(),
            ..Behaviour::default()
        },
    )
    .await;
    let dir = serve_registrar(
        &pki,
        "dir.contoso.test",
        Behaviour {
            fqdn: "dir.contoso.test".into(),
            redirect: Some(format!(
                "<sip:pool2.contoso.test:{};transport=Tls>",
                pool.port()
            )),
            ..Behaviour::default()
        },
    )
    .await;
    let m = SignIn::new(
        config(false),
        vec![Endpoint::tls("dir.contoso.test", dir.port(), "test")],
        xorshift(6),
    )
    .unwrap();
    let mut t = trace();
    let o = run_signin(
        m,
        &mut t,
        options(&pki, &["dir.contoso.test", "pool2.contoso.test"]),
    )
    .await;
    assert_eq!(o, Outcome::SignedIn, "{}", t.to_json());
    validate(&t);
    assert_eq!(
        verdict(&t, Step::Redirection),
        Some((Status::Pass, "redirect.followed".into()))
    );
    let tls: Vec<_> = t
        .evidence
        .iter()
        .filter_map(|e| match &e.kind {
            EvidenceKind::Tls(x) => Some((x.host.clone(), x.name_source, x.outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(tls.len(), 2);
    assert_eq!(tls[1].0, "pool2.contoso.test");
    assert_eq!(tls[1].1, NameSource::Redirect);
    assert_eq!(tls[1].2, TlsOutcome::Established);
}

#[tokio::test]
async fn redirect_target_with_a_wrong_certificate_fails_at_redirection() {
    let pki = Pki::new("Contoso Test Root");
    // The home pool presents a certificate for another name.
    let pool = serve_registrar(&pki, "other.contoso.test", Behaviour::default()).await;
    let dir = serve_registrar(
        &pki,
        "dir.contoso.test",
        Behaviour {
            fqdn: "dir.contoso.test".into(),
            redirect: Some(format!("sip:pool2.contoso.test:{}", pool.port())),
            ..Behaviour::default()
        },
    )
    .await;
    let m = SignIn::new(
        config(false),
        vec![Endpoint::tls("dir.contoso.test", dir.port(), "test")],
        xorshift(7),
    )
    .unwrap();
    let mut t = trace();
    let o = run_signin(
        m,
        &mut t,
        options(&pki, &["dir.contoso.test", "pool2.contoso.test"]),
    )
    .await;
    let Outcome::Failed { step, cause, .. } = o else {
        panic!("{}", t.to_json())
    };
    assert_eq!(
        (step, cause),
        (Step::Redirection, "redirect.target_unreachable")
    );
    let failure = t.evidence.iter().find_map(|e| match &e.kind {
        EvidenceKind::Tls(x) if x.host == "pool2.contoso.test" => x.failure.clone(),
        _ => None,
    });
    assert!(
        matches!(failure, Some(TlsFailure::NameMismatch { .. })),
        "{failure:?}"
    );
}
