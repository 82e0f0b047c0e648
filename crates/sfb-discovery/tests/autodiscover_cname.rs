//! End to end: `lyncdiscover.<domain>` is a CNAME into another domain (the Office 365 way:
//! `lyncdiscover.contoso.test CNAME webdir.online.lync.test`). The DNS plan (against an
//! in-process hickory zone) finds the alias; the autodiscover driver connects to the address
//! DNS gave, and validates HTTPS against the name that was QUERIED, never the CNAME target
//! (issue 3; Microsoft: "CNAME redirection to different domains is not supported over HTTPS").
//!
//! - certificate naming only the queried name: the HTTPS first hop answers, no warning;
//! - certificate naming only the CNAME target: the HTTPS first hop fails on the certificate
//!   name, the HTTP first hop answers with a Redirect to `https://webdir.online.lync.test/...`,
//!   which validates against its own name; the walk succeeds with an HTTP-only warning.
//!
//! In both cases the DNS plan trusts the autodiscover host (it is the queried name, in the SIP
//! domain) and only notes that the alias leaves the SIP domain.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use common::{Zero, ZoneBuilder};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use sfb_discovery::autodiscover::{
    AccessKind, Autodiscover, AutodiscoverConfig, AutodiscoverFault, AutodiscoverResult,
    ExchangeOutcome, HttpDriver, HttpFailure, SipAddress, Verdict, Warning, WebTicket,
};
use sfb_discovery::driver::discover;
use sfb_discovery::{DiscoveryConfig, DiscoveryResult, SipDomain, TrustVerdict};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

const XML: &str = "application/vnd.microsoft.rtc.autodiscover+xml; v=1";
const ALIAS: &str = "lyncdiscover.contoso.test";
const TARGET: &str = "webdir.online.lync.test";
const ASSERTION: &[u8] = b"<Assertion>cname-test</Assertion>";

/// The DNS plan against a zone where lyncdiscover is an alias into online.lync.test.
async fn dns() -> DiscoveryResult {
    let srv = ZoneBuilder::new()
        .zone("online.lync.test")
        .cname(ALIAS, TARGET)
        .a(TARGET, "127.0.0.1")
        .a("sipdir.online.lync.test", "127.0.0.2")
        .serve()
        .await;
    let mut c = DiscoveryConfig::new(SipDomain::from_sip_uri("sip:alice@contoso.test").unwrap());
    c.query_timeout = Duration::from_millis(500);
    c.budget = Duration::from_secs(5);
    let r = discover(c, srv.addr, Box::new(Zero)).await;
    srv.stop().await;
    r
}

struct Lab {
    https: SocketAddr,
    http: SocketAddr,
    roots: RootCertStore,
}

/// HTTPS (a leaf for `sans` from a fresh test CA) and HTTP servers for both names.
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
        while let Ok((tcp, _)) = https.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    serve(&mut tls, true).await;
                }
            });
        }
    });
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = http.accept().await {
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

/// Office 365 shaped service: over HTTPS a Root links the User resource on the name it was
/// reached under; the plain-HTTP first hop redirects to `https://webdir.online.lync.test`.
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
    let host = head
        .lines()
        .find_map(|l| l.strip_prefix("Host: "))
        .map(|h| h.split(':').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let ticket = head
        .lines()
        .find_map(|l| l.strip_prefix("X-MS-WebTicket: "))
        .map(str::to_owned);
    let svc = "/Autodiscover/AutodiscoverService.svc/root";
    let reply = if path.starts_with("/?sipuri=alice@contoso.test") && !tls {
        doc(&format!(
            r#"<AutodiscoverResponse><Root><Link token="Redirect" href="https://{TARGET}{svc}?sipuri=alice@contoso.test"/></Root></AutodiscoverResponse>"#
        ))
    } else if tls
        && (path.starts_with("/?sipuri=alice@contoso.test")
            || path.ends_with("/root?sipuri=alice@contoso.test"))
    {
        doc(&format!(
            r#"<AutodiscoverResponse AccessLocation="External"><Root><Link token="User" href="https://{host}{svc}/user?originalDomain=contoso.test"/></Root></AutodiscoverResponse>"#
        ))
    } else if tls && path.ends_with("/root/user?originalDomain=contoso.test") {
        match ticket {
            Some(t) if t == format!("opaque={}", BASE64_STANDARD.encode(ASSERTION)) => doc(
                r#"<AutodiscoverResponse AccessLocation="External"><User>
                    <SipClientExternalAccess fqdn="sipdir.online.lync.test" port="443"/></User></AutodiscoverResponse>"#,
            ),
            _ => format!(
                "HTTP/1.1 401 Unauthorized\r\nX-MS-WebTicketURL: https://{host}/WebTicket/WebTicketService.svc\r\nContent-Length: 0\r\n\r\n"
            )
            .into_bytes(),
        }
    } else {
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
    };
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

/// Autodiscover as `sfb discover` runs it: the hosts DNS resolved, connected to the address DNS
/// gave (on the lab's ports), every other name pinned the same way.
async fn walk(r: &DiscoveryResult, lab: &Lab) -> AutodiscoverResult {
    let ip: IpAddr = r.autodiscover[1].addresses[0];
    let driver = HttpDriver::new(lab.roots.clone(), Duration::from_secs(5), 256 * 1024)
        .unwrap()
        .resolve(ALIAS, 443, SocketAddr::new(ip, lab.https.port()))
        .resolve(ALIAS, 80, SocketAddr::new(ip, lab.http.port()))
        .resolve(TARGET, 443, SocketAddr::new(ip, lab.https.port()));
    let config = AutodiscoverConfig {
        internal: r.autodiscover[0].exists,
        external: r.autodiscover[1].exists,
        ..AutodiscoverConfig::default()
    };
    let walker = Autodiscover::new(SipAddress::parse("alice@contoso.test").unwrap(), config);
    driver
        .run(walker, async |_, _| {
            Some(WebTicket::new(ASSERTION.to_vec()))
        })
        .await
}

fn check_dns(r: &DiscoveryResult) {
    assert!(!r.autodiscover[0].exists, "{:#?}", r.autodiscover);
    let ad = &r.autodiscover[1];
    assert_eq!(ad.host.as_str(), ALIAS);
    assert!(ad.exists);
    assert_eq!(ad.cname_chain.len(), 1);
    assert_eq!(ad.cname_chain[0].as_str(), TARGET);
    assert_eq!(ad.addresses, ["127.0.0.1".parse::<IpAddr>().unwrap()]);
    // Trusted: the client talks to (and validates HTTPS against) the queried name.
    assert_eq!(ad.trust, TrustVerdict::SipDomain);
    assert!(matches!(
        &ad.cname_target_trust,
        Some(TrustVerdict::Violation { chain }) if chain == "lyncdiscover.contoso.test CNAME -> webdir.online.lync.test"
    ));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("leaves the SIP domain") && n.contains(TARGET)),
        "{:?}",
        r.notes
    );
    let json = serde_json::to_value(r).unwrap();
    assert_eq!(
        json["autodiscover"][1]["cname_target_trust"]["verdict"],
        "violation"
    );
}

fn pool(result: &AutodiscoverResult) -> Vec<(AccessKind, String, u16)> {
    result
        .client_endpoints()
        .iter()
        .map(|a| (a.kind, a.fqdn.to_string(), a.port))
        .collect()
}

#[tokio::test]
async fn certificate_for_the_queried_name_only_https_answers() {
    let r = dns().await;
    check_dns(&r);
    let lab = lab(&[ALIAS]).await;
    let result = walk(&r, &lab).await;
    assert_eq!(result.verdict, Verdict::Found, "{result:#?}");
    // No HTTP-only warning; the walker does note that the returned SIP server is outside the
    // SIP domain (the trust prompt's other trigger, protocol.md §1.3).
    assert!(
        matches!(&result.warnings[..], [Warning::SipServerOutsideDomain { fqdn, .. }] if fqdn.as_str() == "sipdir.online.lync.test"),
        "{:?}",
        result.warnings
    );
    assert_eq!(
        pool(&result),
        [(
            AccessKind::ClientExternal,
            "sipdir.online.lync.test".to_owned(),
            443
        )]
    );
    let first = &result.evidence[0];
    assert_eq!(first.tls_name.as_ref().map(|n| n.as_str()), Some(ALIAS));
    assert_eq!(first.status, Some(200));
}

#[tokio::test]
async fn certificate_for_the_cname_target_only_http_first_hop_then_https_on_the_target() {
    let r = dns().await;
    check_dns(&r);
    let lab = lab(&[TARGET]).await;
    let result = walk(&r, &lab).await;
    assert_eq!(result.verdict, Verdict::Found, "{result:#?}");
    assert_eq!(
        pool(&result),
        [(
            AccessKind::ClientExternal,
            "sipdir.online.lync.test".to_owned(),
            443
        )]
    );
    // The HTTPS first hop is validated against the queried name, which the certificate lacks,
    // even though the server behind the alias holds a valid certificate for the target.
    let first = &result.evidence[0];
    assert_eq!(first.tls_name.as_ref().map(|n| n.as_str()), Some(ALIAS));
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
    assert!(
        result
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::HttpOnly { host } if host.as_str() == ALIAS)),
        "{:?}",
        result.warnings
    );
    // After the redirect every request is HTTPS, validated against the target's own name.
    let later: Vec<_> = result.evidence.iter().skip(2).collect();
    assert!(!later.is_empty());
    assert!(
        later
            .iter()
            .all(|e| e.tls_name.as_ref().map(|n| n.as_str()) == Some(TARGET)),
        "{later:#?}"
    );
}
