//! `sfb discover` with credentials: the User document's 401 names a WebTicket service, sfb gets
//! a ticket there over HTTP NTLM (the in-process WebTicket test service, verified by sfb-auth's
//! NTLM server) and reads the User document with it. A wrong password gets no ticket and the
//! verdict stays "skipped", with the service's refusal reported.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sfb_auth::ntlm::{CredentialStore, NtlmServer, NtlmServerConfig};
use sfb_certprov::test_service::{TestService, TestServiceConfig};
use sfb_lab::web::NtlmAuthenticator;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

const PASSWORD: &str = "Passw0rd!";
const TICKET_HOST: &str = "lyncweb.contoso.test";
const XML: &str = "application/vnd.microsoft.rtc.autodiscover+xml; v=1";

fn counter(seed: u8) -> impl FnMut(&mut [u8]) + Send + 'static {
    let mut n = seed;
    move |b: &mut [u8]| {
        for x in b {
            *x = n;
            n = n.wrapping_mul(31).wrapping_add(7);
        }
    }
}

async fn ticket_service() -> TestService {
    let mut store = CredentialStore::new();
    store.add_password("alice", "CONTOSO", PASSWORD);
    let store = Arc::new(store);
    TestService::start(TestServiceConfig {
        host: TICKET_HOST.into(),
        authenticator: Arc::new(move || {
            let cfg = NtlmServerConfig {
                nb_domain: "CONTOSO".into(),
                nb_computer: "LYNCWEB".into(),
                dns_domain: "contoso.test".into(),
                dns_computer: TICKET_HOST.into(),
            };
            Box::new(NtlmAuthenticator(NtlmServer::new(
                cfg,
                store.clone(),
                Box::new(counter(3)),
                133_000_000_000_000_000,
            )))
        }),
        rng: Arc::new(Mutex::new(counter(9))),
        lifetime_secs: 8 * 3600,
    })
    .await
    .unwrap()
}

fn pem(der: &CertificateDer<'_>) -> String {
    let b64 = BASE64_STANDARD.encode(der.as_ref());
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap());
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    s
}

/// The autodiscover HTTPS server for `lyncdiscoverinternal.contoso.test`: Root links User; User wants a
/// ticket from `ticket_url` and answers with access locations once `X-MS-WebTicket` is sent.
/// Returns its address and its CA in PEM.
async fn autodiscover_server(ticket_url: String) -> (SocketAddr, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["lyncdiscoverinternal.contoso.test".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ticket_url = Arc::new(ticket_url);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let ticket_url = ticket_url.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    serve(&mut tls, &ticket_url).await;
                }
            });
        }
    });
    (addr, pem(ca.der()))
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, ticket_url: &str) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16384 {
        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let first = head.lines().next().unwrap_or_default().to_owned();
    let has_ticket = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("x-ms-webticket: opaque=")
    });
    let doc = |body: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {XML}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let response = if first.starts_with("GET /?sipuri=") {
        doc("<AutodiscoverResponse AccessLocation=\"Internal\"><Root>\
<Link token=\"User\" href=\"https://lyncdiscoverinternal.contoso.test/root/user\"/>\
</Root></AutodiscoverResponse>")
    } else if has_ticket {
        doc("<AutodiscoverResponse AccessLocation=\"Internal\"><User>\
<SipServerInternalAccess fqdn=\"pool01.contoso.test\" port=\"5061\"/>\
<SipClientInternalAccess fqdn=\"pool01.contoso.test\" port=\"5061\"/>\
</User></AutodiscoverResponse>")
    } else {
        format!(
            "HTTP/1.1 401 Unauthorized\r\nX-MS-WebTicketURL: {ticket_url}\r\n\
             WWW-Authenticate: Negotiate\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

struct Setup {
    _svc: TestService,
    dir: std::path::PathBuf,
    args: Vec<String>,
}

async fn setup(name: &str) -> Setup {
    let svc = ticket_service().await;
    let (ad, ad_ca) = autodiscover_server(svc.url.clone()).await;
    let dir = std::env::temp_dir().join(format!("sfb-discover-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ad-ca.pem"), ad_ca).unwrap();
    std::fs::write(dir.join("ticket-ca.pem"), pem(&svc.ca)).unwrap();
    // A name server that never answers keeps DNS out of this test (bounded by the budget).
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dns = silent.local_addr().unwrap().to_string();
    std::mem::forget(silent);
    let ticket_port = url_port(&svc.url);
    let args = vec![
        "discover".into(),
        "sip:alice@contoso.test".into(),
        "--dns".into(),
        dns,
        "--query-timeout-ms".into(),
        "100".into(),
        "--budget-ms".into(),
        "300".into(),
        "--resolve".into(),
        format!("lyncdiscoverinternal.contoso.test:443:{ad}"),
        "--resolve".into(),
        format!("{TICKET_HOST}:{ticket_port}:{}", svc.addr),
        "--ca".into(),
        dir.join("ad-ca.pem").display().to_string(),
        "--ca".into(),
        dir.join("ticket-ca.pem").display().to_string(),
        "--user".into(),
        "CONTOSO\\alice".into(),
        "--password-env".into(),
        "SFB_TEST_PASSWORD".into(),
        "--json".into(),
    ];
    Setup {
        _svc: svc,
        dir,
        args,
    }
}

fn url_port(url: &str) -> u16 {
    let host_port = url
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap();
    host_port
        .rsplit_once(':')
        .map_or(443, |(_, p)| p.parse().unwrap())
}

async fn run_sfb(args: Vec<String>, password: &'static str) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sfb"))
            .args(&args)
            .env("SFB_TEST_PASSWORD", password)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_ticket_opens_the_user_document() {
    let s = setup("ok").await;
    let out = run_sfb(s.args.clone(), PASSWORD).await;
    let _ = std::fs::remove_dir_all(&s.dir);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    let ad = &v["autodiscover_http"];
    assert_eq!(ad["verdict"]["status"], "found", "{v:#}");
    let access = ad["sip_access"].to_string();
    assert!(access.contains("pool01.contoso.test"), "{access}");
    assert!(v["web_ticket_error"].is_null(), "{v:#}");
    // What autodiscover found is the first candidate, ahead of anything DNS found.
    assert_eq!(v["candidates"][0]["host"], "pool01.contoso.test", "{v:#}");
    assert_eq!(v["candidates"][0]["source"], "autodiscover");
    assert_eq!(v["candidates"][0]["port"], 5061);
    // The password never reaches the output.
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PASSWORD));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(PASSWORD));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_gets_no_ticket_and_says_why() {
    let s = setup("wrong").await;
    let out = run_sfb(s.args.clone(), "not-the-password").await;
    let _ = std::fs::remove_dir_all(&s.dir);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    let ad = &v["autodiscover_http"];
    assert_eq!(ad["verdict"]["status"], "skipped_needs_web_ticket", "{v:#}");
    let err = v["web_ticket_error"].as_str().unwrap_or_default();
    assert!(err.contains("28020") || err.contains("401"), "{err}");
}
