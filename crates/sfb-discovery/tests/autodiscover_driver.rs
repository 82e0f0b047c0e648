//! The tokio driver against an in-process HTTPS + HTTP autodiscover server with an rcgen test CA.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use sfb_discovery::autodiscover::{
    AccessKind, Autodiscover, AutodiscoverConfig, AutodiscoverFault, ExchangeOutcome, HttpDriver,
    HttpFailure, SipAddress, Verdict, Warning, WebTicket,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

const XML: &str = "application/vnd.microsoft.rtc.autodiscover+xml; v=1";
const WEB_ROOT: &str = "https://lyncwebint.contoso.com/Autodiscover/AutodiscoverService.svc/root";
const ASSERTION: &[u8] = b"<Assertion>driver-test</Assertion>";

struct Lab {
    https: SocketAddr,
    http: SocketAddr,
    roots: RootCertStore,
}

/// Starts the HTTPS server (certificate for `sans`, issued by a fresh test CA) and the HTTP server.
async fn lab(sans: &[&str]) -> Lab {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));

    let https = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let lab = Lab {
        https: https.local_addr().unwrap(),
        http: http.local_addr().unwrap(),
        roots,
    };
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = https.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate aborts the handshake: nothing to serve.
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    serve(&mut tls, true).await;
                }
            });
        }
    });
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = http.accept().await else {
                return;
            };
            tokio::spawn(async move { serve(&mut tcp, false).await });
        }
    });
    lab
}

fn doc(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {XML}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The autodiscover service: HTTP root redirects to HTTPS; HTTPS root links the User resource,
/// which wants a web ticket and answers with a chunked User document once it has one.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, tls: bool) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16384 {
        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
    let ticket = head
        .lines()
        .find_map(|l| l.strip_prefix("X-MS-WebTicket: "))
        .map(str::to_owned);
    let user = format!("{WEB_ROOT}/user?originalDomain=contoso.com");
    let reply = if path.starts_with("/?sipuri=alice@contoso.com") && !tls {
        doc(&format!(
            r#"<AutodiscoverResponse><Root><Link token="Redirect" href="{WEB_ROOT}?sipuri=alice@contoso.com"/></Root></AutodiscoverResponse>"#
        ))
    } else if path.starts_with("/?sipuri=") || path.ends_with("/root?sipuri=alice@contoso.com") {
        doc(&format!(
            r#"<AutodiscoverResponse AccessLocation="Internal"><Root><Link token="User" href="{user}"/></Root></AutodiscoverResponse>"#
        ))
    } else if path.ends_with("/root/user?originalDomain=contoso.com") {
        match ticket {
            Some(t) if t == format!("opaque={}", BASE64_STANDARD.encode(ASSERTION)) => {
                let body = r#"<AutodiscoverResponse AccessLocation="Internal"><User>
                    <SipClientInternalAccess fqdn="pool01.contoso.com" port="5061"/>
                    <SipClientExternalAccess fqdn="sip.contoso.com" port="443"/></User></AutodiscoverResponse>"#;
                let (a, b) = body.split_at(40);
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {XML}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                    a.len(),
                    b.len()
                )
                .into_bytes()
            }
            _ => b"HTTP/1.1 401 Unauthorized\r\nX-MS-WebTicketURL: https://lyncwebint.contoso.com/WebTicket/WebTicketService.svc\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n".to_vec(),
        }
    } else {
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
    };
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

fn driver(lab: &Lab) -> HttpDriver {
    HttpDriver::new(lab.roots.clone(), Duration::from_secs(5), 256 * 1024)
        .unwrap()
        .resolve("lyncdiscoverinternal.contoso.com", 443, lab.https)
        .resolve("lyncdiscoverinternal.contoso.com", 80, lab.http)
        .resolve("lyncwebint.contoso.com", 443, lab.https)
}

fn walker() -> Autodiscover {
    let config = AutodiscoverConfig {
        external: false,
        ..AutodiscoverConfig::default()
    };
    Autodiscover::new(SipAddress::parse("alice@contoso.com").unwrap(), config)
}

#[tokio::test]
async fn https_walk_with_web_ticket_finds_the_pool() {
    let lab = lab(&["lyncdiscoverinternal.contoso.com", "lyncwebint.contoso.com"]).await;
    let mut asked = Vec::new();
    let result = driver(&lab)
        .run(walker(), async |ticket_url, user_url| {
            asked.push(format!("{ticket_url} {user_url}"));
            Some(WebTicket::new(ASSERTION.to_vec()))
        })
        .await;
    assert_eq!(result.verdict, Verdict::Found, "{result:#?}");
    assert_eq!(asked.len(), 1);
    let endpoints: Vec<(AccessKind, String, u16)> = result
        .client_endpoints()
        .iter()
        .map(|a| (a.kind, a.fqdn.to_string(), a.port))
        .collect();
    assert_eq!(
        endpoints,
        [(
            AccessKind::ClientInternal,
            "pool01.contoso.com".to_owned(),
            5061
        )]
    );
    assert!(result.warnings.is_empty(), "{:?}", result.warnings);
    // both first hops, then User, then User with the ticket
    assert_eq!(result.evidence.len(), 4, "{:#?}", result.evidence);
    assert!(
        result
            .evidence
            .iter()
            .all(|e| e.duration_ms.is_some() && e.status.is_some())
    );
    assert_eq!(result.evidence[3].status, Some(200));
}

#[tokio::test]
async fn wrong_certificate_name_falls_back_to_http_with_warning() {
    // The certificate does not name lyncdiscoverinternal: HTTPS on the first hop must fail even
    // though the same server answers, and the HTTP redirect to lyncwebint is used instead.
    let lab = lab(&["lyncwebint.contoso.com"]).await;
    let result = driver(&lab).run(walker(), async |_, _| None).await;
    assert!(
        matches!(result.verdict, Verdict::SkippedNeedsWebTicket { .. }),
        "{result:#?}"
    );
    assert!(
        matches!(&result.warnings[..], [Warning::HttpOnly { host }] if host.as_str() == "lyncdiscoverinternal.contoso.com")
    );
    let first = &result.evidence[0];
    assert_eq!(
        first.tls_name.as_ref().map(|n| n.as_str()),
        Some("lyncdiscoverinternal.contoso.com")
    );
    let ExchangeOutcome::Failed {
        fault:
            AutodiscoverFault::Transport {
                error: HttpFailure::TlsFailed { detail },
                ..
            },
    } = &first.outcome
    else {
        panic!("{first:#?}");
    };
    assert!(detail.to_lowercase().contains("certificate"), "{detail}");
}

#[tokio::test]
async fn untrusted_ca_and_closed_port_are_transport_failures() {
    let lab = lab(&["lyncdiscoverinternal.contoso.com", "lyncwebint.contoso.com"]).await;
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    // `closed` is released when the listener drops above: connecting there is refused.
    let driver = HttpDriver::new(RootCertStore::empty(), Duration::from_secs(5), 1024)
        .unwrap()
        .resolve("lyncdiscoverinternal.contoso.com", 443, lab.https)
        .resolve("lyncdiscoverinternal.contoso.com", 80, closed);
    let result = driver.run(walker(), async |_, _| None).await;
    let Verdict::NotFound { .. } = result.verdict else {
        panic!("{result:#?}")
    };
    assert!(matches!(
        &result.evidence[0].outcome,
        ExchangeOutcome::Failed {
            fault: AutodiscoverFault::Transport {
                error: HttpFailure::TlsFailed { .. },
                ..
            }
        }
    ));
    assert!(matches!(
        &result.evidence[1].outcome,
        ExchangeOutcome::Failed {
            fault: AutodiscoverFault::Transport {
                error: HttpFailure::ConnectionFailed { .. },
                ..
            }
        }
    ));
}
