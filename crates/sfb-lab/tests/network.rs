//! The lab's network side against real clients: the zone through sfb-discovery's DNS driver,
//! each TLS scenario through a rustls client and `openssl s_client` (a peer we did not write),
//! the dead ports, autodiscover 401 → WebTicket (sfb-certprov's client, NTLM) → User document
//! through sfb-discovery's HTTP driver, and the SIP listeners' limits (slow senders, floods,
//! garbage). The SIP roles' semantics are labsip's: here a SIP reply only has to arrive.

#![allow(clippy::print_stderr, reason = "skip notes of the peer tests")]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::pki_types::ServerName;
use sfb_discovery::autodiscover::{
    Autodiscover, AutodiscoverConfig, HttpDriver, SipAddress, Verdict, WebTicket,
};
use sfb_discovery::driver::discover;
use sfb_discovery::{DiscoveryConfig, EndpointSource, SipDomain, SplitMix64, TrustVerdict};
use sfb_lab::{Lab, LabConfig, ListenerLimits, RunningLab, Scenario};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

async fn lab(scenario: Scenario) -> RunningLab {
    let mut c = LabConfig::new(scenario);
    c.seed = Some(7);
    Lab::start(c).await.unwrap()
}

fn dns_config() -> DiscoveryConfig {
    let mut c = DiscoveryConfig::new(SipDomain::from_sip_uri("sip:alice@contoso.test").unwrap());
    c.query_timeout = Duration::from_millis(1000);
    c.budget = Duration::from_secs(5);
    c
}

fn client(roots: RootCertStore) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

async fn tcp_from(src: Option<IpAddr>, to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    if let Some(ip) = src {
        s.bind(SocketAddr::new(ip, 0))?;
    }
    s.connect(to).await
}

async fn tls(
    roots: RootCertStore,
    name: &str,
    to: SocketAddr,
    src: Option<IpAddr>,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = tcp_from(src, to).await?;
    let connector = tokio_rustls::TlsConnector::from(client(roots));
    connector
        .connect(ServerName::try_from(name.to_owned()).unwrap(), tcp)
        .await
}

const OPTIONS: &str = "OPTIONS sip:contoso.test SIP/2.0\r\n\
Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKlab1\r\nMax-Forwards: 70\r\n\
From: <sip:alice@contoso.test>;tag=1\r\nTo: <sip:contoso.test>\r\nCall-ID: labnet-1\r\n\
CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

/// Sends OPTIONS and reads until a SIP response head arrived.
async fn options_round_trip<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(s: &mut S) {
    s.write_all(OPTIONS.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "closed before a reply: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    assert!(
        got.starts_with(b"SIP/2.0 "),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

/// Reads until EOF or error; true when the server closed within `within`.
async fn closed_within<S: tokio::io::AsyncRead + Unpin>(s: &mut S, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn the_zone_publishes_every_role_on_its_ephemeral_port() {
    let lab = lab(Scenario::Healthy).await;
    let info = lab.info().clone();
    let r = discover(dns_config(), info.dns, Box::new(SplitMix64::new(1))).await;
    let director = lab.role_addr("director").unwrap();
    let edge = lab.role_addr("edge").unwrap();
    let internal = r
        .endpoints
        .iter()
        .find(|e| e.source == EndpointSource::SrvInternalTls)
        .unwrap();
    assert_eq!(
        (internal.host.as_str(), internal.port),
        ("dir01.contoso.test", director.port())
    );
    assert_eq!(internal.addresses, vec![director.ip()]);
    let external = r
        .endpoints
        .iter()
        .find(|e| e.source == EndpointSource::SrvExternalTls)
        .unwrap();
    assert_eq!(
        (external.host.as_str(), external.port),
        ("sip.contoso.test", edge.port())
    );
    assert!(r.endpoints.iter().all(|e| e.trusted));
    assert!(
        r.autodiscover.iter().all(|a| a.exists),
        "{:?}",
        r.autodiscover
    );
    // The users and the trust file are where the info says.
    assert_eq!(info.sip_domain, "contoso.test");
    assert_eq!(info.users[0].sip_uri, "sip:alice@contoso.test");
    assert_eq!(info.users[0].home_pool, "pool01.contoso.test");
    assert!(info.ca_file.is_absolute());
    let pem = std::fs::read_to_string(&info.ca_file).unwrap();
    assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 2);
    assert!(!format!("{:?}", info.users).contains(&info.users[0].password));
    let ca_file = info.ca_file.clone();
    lab.shutdown().await;
    assert!(!ca_file.exists(), "the temporary directory is removed");
}

#[tokio::test]
async fn no_dns_records_and_srv_outside_domain() {
    let lab1 = lab(Scenario::NoDnsRecords).await;
    let r = discover(dns_config(), lab1.info().dns, Box::new(SplitMix64::new(1))).await;
    assert!(r.endpoints.is_empty(), "{:?}", r.endpoints);
    assert!(r.autodiscover.iter().all(|a| !a.exists));
    lab1.shutdown().await;

    let lab2 = lab(Scenario::SrvOutsideDomain).await;
    let r = discover(dns_config(), lab2.info().dns, Box::new(SplitMix64::new(1))).await;
    let internal = r
        .endpoints
        .iter()
        .find(|e| e.source == EndpointSource::SrvInternalTls)
        .unwrap();
    assert_eq!(internal.host.as_str(), "sip.fabrikam.test");
    assert!(!internal.trusted);
    assert!(matches!(internal.trust, TrustVerdict::Violation { .. }));
    // The host exists and answers TLS with a certificate naming it: only the naming is wrong.
    let director = lab2.role_addr("director").unwrap();
    assert_eq!(internal.port, director.port());
    let mut s = tls(lab2.pki().roots(), "sip.fabrikam.test", director, None)
        .await
        .unwrap();
    options_round_trip(&mut s).await;
    lab2.shutdown().await;
}

/// The handshake's error for `name` at `addr`, trusting `roots`.
async fn handshake_error(roots: RootCertStore, name: &str, addr: SocketAddr) -> String {
    match tls(roots, name, addr, None).await {
        Ok(_) => "ok".to_owned(),
        Err(e) => format!("{e:?}"),
    }
}

#[tokio::test]
async fn each_tls_scenario_fails_the_way_intended() {
    // Healthy: every SIP role verifies under its name.
    let ok = lab(Scenario::Healthy).await;
    for (role, name) in [
        ("edge", "sip.contoso.test"),
        ("director", "dir01.contoso.test"),
        ("pool01", "pool01.contoso.test"),
        ("pool02", "pool02.contoso.test"),
    ] {
        let addr = ok.role_addr(role).unwrap();
        let mut s = tls(ok.pki().roots(), name, addr, None).await.unwrap();
        options_round_trip(&mut s).await;
    }
    ok.shutdown().await;

    let untrusted = lab(Scenario::TlsUntrustedRoot).await;
    let d = untrusted.role_addr("director").unwrap();
    let e = handshake_error(untrusted.pki().roots(), "dir01.contoso.test", d).await;
    assert!(e.contains("UnknownIssuer"), "{e}");
    // Even trusting the lab's intermediate it does not verify: another root issued it.
    let mut with_intermediate = untrusted.pki().roots();
    with_intermediate
        .add(untrusted.pki().intermediate_der().clone())
        .unwrap();
    let e = handshake_error(with_intermediate, "dir01.contoso.test", d).await;
    assert!(e.contains("UnknownIssuer"), "{e}");
    // Trusting the rogue root, it does.
    let mut rogue = RootCertStore::empty();
    rogue.add(untrusted.pki().rogue_root_der().clone()).unwrap();
    assert_eq!(handshake_error(rogue, "dir01.contoso.test", d).await, "ok");
    untrusted.shutdown().await;

    let incomplete = lab(Scenario::TlsIncompleteChain).await;
    let d = incomplete.role_addr("director").unwrap();
    let e = handshake_error(incomplete.pki().roots(), "dir01.contoso.test", d).await;
    assert!(e.contains("UnknownIssuer"), "{e}");
    // The leaf is good: with the intermediate the client would have fetched, it verifies.
    let mut with_intermediate = incomplete.pki().roots();
    with_intermediate
        .add(incomplete.pki().intermediate_der().clone())
        .unwrap();
    assert_eq!(
        handshake_error(with_intermediate, "dir01.contoso.test", d).await,
        "ok"
    );
    incomplete.shutdown().await;

    let mismatch = lab(Scenario::TlsNameMismatch).await;
    let d = mismatch.role_addr("director").unwrap();
    let e = handshake_error(mismatch.pki().roots(), "dir01.contoso.test", d).await;
    assert!(e.contains("NotValidForName"), "{e}");
    assert_eq!(
        handshake_error(mismatch.pki().roots(), sfb_lab::pki::MISMATCH_NAME, d).await,
        "ok"
    );
    mismatch.shutdown().await;

    let expired = lab(Scenario::TlsExpired).await;
    let d = expired.role_addr("director").unwrap();
    let e = handshake_error(expired.pki().roots(), "dir01.contoso.test", d).await;
    assert!(e.contains("Expired"), "{e}");
    expired.shutdown().await;
}

/// `openssl s_client`'s verify return code against `addr` for `name`.
fn openssl_verify(addr: SocketAddr, name: &str, ca_file: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &addr.to_string(),
            "-servername",
            name,
        ])
        .args(["-verify_hostname", name, "-CAfile"])
        .arg(ca_file)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Verify return code: "))
        .map(str::to_owned);
    Some(code.unwrap_or_else(|| format!("no verify code in: {text}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_sees_each_tls_fault() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("SFB_REQUIRE_PEERS").as_deref() != Ok("1"),
            "openssl not installed and SFB_REQUIRE_PEERS=1"
        );
        eprintln!(
            "!!!!! SKIPPED: openssl not installed; set SFB_REQUIRE_PEERS=1 to fail instead !!!!!"
        );
        return;
    }
    for (scenario, want) in [
        (Scenario::Healthy, "0 (ok)"),
        (
            Scenario::TlsUntrustedRoot,
            "19 (self-signed certificate in certificate chain)",
        ),
        (
            Scenario::TlsIncompleteChain,
            "21 (unable to verify the first certificate)",
        ),
        (Scenario::TlsNameMismatch, "62 (hostname mismatch)"),
        (Scenario::TlsExpired, "10 (certificate has expired)"),
    ] {
        let lab = lab(scenario).await;
        let addr = lab.role_addr("pool01").unwrap();
        let ca = lab.info().ca_file.clone();
        let got =
            tokio::task::spawn_blocking(move || openssl_verify(addr, "pool01.contoso.test", &ca))
                .await
                .unwrap()
                .unwrap();
        assert_eq!(got, want, "{scenario}");
        lab.shutdown().await;
    }
}

#[tokio::test]
async fn dead_ports_refuse() {
    let refused = lab(Scenario::TcpRefused).await;
    for role in ["director", "edge"] {
        let addr = refused.role_addr(role).unwrap();
        let e = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{role}");
    }
    // The SRV record still names that port.
    let r = discover(
        dns_config(),
        refused.info().dns,
        Box::new(SplitMix64::new(1)),
    )
    .await;
    assert_eq!(
        r.endpoints[0].port,
        refused.role_addr("director").unwrap().port()
    );
    refused.shutdown().await;

    let home = lab(Scenario::HomePoolUnreachableAfter301).await;
    let pool = home.role_addr("pool01").unwrap();
    let e = TcpStream::connect(pool).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
    // The Director (which redirects there) and the other pool answer.
    let d = home.role_addr("director").unwrap();
    let mut s = tls(home.pki().roots(), "dir01.contoso.test", d, None)
        .await
        .unwrap();
    options_round_trip(&mut s).await;
    assert!(
        home.info()
            .roles
            .iter()
            .any(|r| r.role == "pool01" && !r.listening)
    );
    home.shutdown().await;
}

async fn walk(
    lab: &RunningLab,
    login: &str,
    password: &str,
) -> (
    sfb_discovery::autodiscover::AutodiscoverResult,
    Option<String>,
) {
    let info = lab.info();
    let mut roots = lab.pki().roots();
    use rustls_pki_types::pem::PemObject as _;
    for c in rustls_pki_types::CertificateDer::pem_file_iter(&info.ca_file).unwrap() {
        let _ = roots.add(c.unwrap());
    }
    let mut http = HttpDriver::new(roots.clone(), Duration::from_secs(5), 256 * 1024).unwrap();
    for host in [
        "lyncdiscoverinternal.contoso.test",
        "lyncdiscover.contoso.test",
    ] {
        http = http.resolve(host, 443, info.autodiscover_https).resolve(
            host,
            80,
            info.autodiscover_http,
        );
    }
    let walker = Autodiscover::new(
        SipAddress::parse("sip:alice@contoso.test").unwrap(),
        AutodiscoverConfig::default(),
    );
    let mut error = None;
    let result = http
        .run(walker, async |ticket_url, user_url| {
            let url = ticket_url.to_string();
            let host = sfb_certprov::driver::HttpsUrl::parse(&url).unwrap();
            let pin = info
                .resolve
                .iter()
                .find(|r| r.starts_with(&format!("{}:{}:", host.host, host.port)))
                .and_then(|r| r.splitn(3, ':').nth(2))
                .and_then(|a| a.parse::<SocketAddr>().ok())
                .unwrap();
            let driver = sfb_certprov::driver::WebTicketDriver::new(roots.clone())
                .unwrap()
                .with_connect_to(pin);
            let password = sfb_certprov::Password::new(password);
            let sip_uri = sfb_certprov::SipUri::parse("sip:alice@contoso.test").unwrap();
            let request = sfb_certprov::driver::NtlmTicketRequest {
                web_ticket_url: &url,
                applies_to: &user_url.to_string(),
                sip_uri: &sip_uri,
                login,
                password: &password,
                use_mex: false,
            };
            let mut n = 0u8;
            let mut rng = |b: &mut [u8]| {
                for x in b {
                    n = n.wrapping_mul(13).wrapping_add(5);
                    *x = n;
                }
            };
            match sfb_certprov::driver::fetch_with_ntlm(&driver, &request, &mut rng).await {
                Ok(t) => Some(WebTicket::new(t.token.assertion.into_vec())),
                Err(e) => {
                    error = Some(e.to_string());
                    None
                }
            }
        })
        .await;
    (result, error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autodiscover_401_then_web_ticket_then_user_document() {
    let lab = lab(Scenario::Healthy).await;
    let password = lab.info().users[0].password.clone();
    let (r, err) = walk(&lab, "CONTOSO\\alice", &password).await;
    assert!(err.is_none(), "{err:?}");
    assert!(matches!(r.verdict, Verdict::Found), "{r:#?}");
    let director = lab.role_addr("director").unwrap();
    let found: Vec<(String, u16)> = r
        .client_endpoints()
        .iter()
        .map(|a| (a.fqdn.to_string(), a.port))
        .collect();
    assert_eq!(
        found,
        vec![("dir01.contoso.test".to_owned(), director.port())]
    );
    // The 401 came first, naming the lab's WebTicket service.
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("authentication_required"), "{json}");

    // A wrong password gets no ticket: the service refuses with ms-diagnostics 28020.
    let (r, err) = walk(&lab, "CONTOSO\\alice", "not-the-password").await;
    assert!(
        matches!(r.verdict, Verdict::SkippedNeedsWebTicket { .. }),
        "{r:#?}"
    );
    let err = err.unwrap();
    assert!(err.contains("28020") || err.contains("401"), "{err}");
    lab.shutdown().await;
}

fn limits() -> ListenerLimits {
    ListenerLimits {
        max_connections_per_ip: 3,
        handshake_timeout: Duration::from_millis(1500),
        message_timeout: Duration::from_millis(1500),
        idle_timeout: Duration::from_secs(30),
        ..ListenerLimits::default()
    }
}

async fn limited_lab() -> RunningLab {
    let mut c = LabConfig::new(Scenario::Healthy);
    c.limits = limits();
    Lab::start(c).await.unwrap()
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_senders_do_not_block_others_and_are_cut_off() {
    let lab = limited_lab().await;
    let d = lab.role_addr("director").unwrap();
    let roots = lab.pki().roots();
    // A client that never starts TLS, and one that sends a message one byte at a time.
    let mut silent = tcp_from(ip("127.0.0.2"), d).await.unwrap();
    let mut slow = tls(roots.clone(), "dir01.contoso.test", d, ip("127.0.0.2"))
        .await
        .unwrap();
    let dripper = tokio::spawn(async move {
        for b in OPTIONS.as_bytes().iter().take(200) {
            if slow.write_all(&[*b]).await.is_err() || slow.flush().await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        closed_within(&mut slow, Duration::from_secs(5)).await
    });
    // Meanwhile another client does its TLS handshake and an OPTIONS round trip, promptly.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let good = tokio::time::timeout(Duration::from_secs(2), async {
        let mut s = tls(roots.clone(), "dir01.contoso.test", d, ip("127.0.0.3"))
            .await
            .unwrap();
        options_round_trip(&mut s).await;
    })
    .await;
    assert!(good.is_ok(), "a good client was held up by slow ones");
    // The silent one is cut off at the handshake timeout, the dripper at the message timeout.
    assert!(closed_within(&mut silent, Duration::from_secs(4)).await);
    assert!(dripper.await.unwrap(), "the slow sender was not cut off");
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_limit_connections_are_refused_and_others_still_served() {
    let lab = limited_lab().await;
    let d = lab.role_addr("director").unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tcp_from(ip("127.0.0.4"), d).await.unwrap());
    }
    // Let the listener count them.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fourth = tcp_from(ip("127.0.0.4"), d).await.unwrap();
    assert!(
        closed_within(&mut fourth, Duration::from_millis(700)).await,
        "the 4th connection from one IP was not closed at once"
    );
    // Another IP is served meanwhile.
    let mut s = tls(lab.pki().roots(), "dir01.contoso.test", d, ip("127.0.0.5"))
        .await
        .unwrap();
    options_round_trip(&mut s).await;
    // Once one is given back, that IP gets a place again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = tls(lab.pki().roots(), "dir01.contoso.test", d, ip("127.0.0.4"))
        .await
        .unwrap();
    options_round_trip(&mut again).await;
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_oversized_messages_close_only_their_connection() {
    let lab = limited_lab().await;
    let d = lab.role_addr("director").unwrap();
    let roots = lab.pki().roots();
    // Not SIP at all.
    let mut g = tls(roots.clone(), "dir01.contoso.test", d, ip("127.0.0.6"))
        .await
        .unwrap();
    g.write_all(b"\x00\x01GARBAGE \xff\r\n\r\n").await.unwrap();
    assert!(closed_within(&mut g, Duration::from_secs(2)).await);
    // Too many headers (the codec's limit is 128).
    let mut many = String::from("OPTIONS sip:contoso.test SIP/2.0\r\n");
    for i in 0..200 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    let mut h = tls(roots.clone(), "dir01.contoso.test", d, ip("127.0.0.6"))
        .await
        .unwrap();
    h.write_all(many.as_bytes()).await.unwrap();
    assert!(closed_within(&mut h, Duration::from_secs(2)).await);
    // A header section beyond 64 KiB.
    let mut big = tls(roots.clone(), "dir01.contoso.test", d, ip("127.0.0.6"))
        .await
        .unwrap();
    let line = format!("X-Big: {}\r\n", "a".repeat(4000));
    let mut sent_all = true;
    for _ in 0..20 {
        if big.write_all(line.as_bytes()).await.is_err() {
            sent_all = false;
            break;
        }
    }
    assert!(!sent_all || closed_within(&mut big, Duration::from_secs(2)).await);
    // Plain text on the TLS port.
    let mut plain = tcp_from(ip("127.0.0.6"), d).await.unwrap();
    plain.write_all(OPTIONS.as_bytes()).await.unwrap();
    assert!(closed_within(&mut plain, Duration::from_secs(2)).await);
    // The listener still serves, the same IP included.
    let mut s = tls(roots, "dir01.contoso.test", d, ip("127.0.0.6"))
        .await
        .unwrap();
    options_round_trip(&mut s).await;
    // A ping gets a pong.
    s.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0u8; 2];
    s.read_exact(&mut pong).await.unwrap();
    assert_eq!(&pong, b"\r\n");
    lab.shutdown().await;
}

#[tokio::test]
async fn a_state_dir_keeps_the_root_across_runs() {
    let dir = std::env::temp_dir().join(format!("sfb-lab-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut c = LabConfig::new(Scenario::Healthy);
    c.state_dir = Some(dir.clone());
    let first = Lab::start(c.clone()).await.unwrap();
    let root = first.pki().root_der().clone();
    assert_eq!(
        first.info().ca_file,
        std::path::absolute(dir.join("ca.pem")).unwrap()
    );
    first.shutdown().await;
    let second = Lab::start(c).await.unwrap();
    assert_eq!(second.pki().root_der(), &root);
    // A certificate issued by the second run verifies under the root saved by the first.
    let mut roots = RootCertStore::empty();
    roots.add(root).unwrap();
    let d = second.role_addr("director").unwrap();
    let mut s = tls(roots, "dir01.contoso.test", d, None).await.unwrap();
    options_round_trip(&mut s).await;
    second.shutdown().await;
    assert!(dir.join("root-ca.pem").exists(), "a state dir is kept");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn only_loopback() {
    let mut c = LabConfig::new(Scenario::Healthy);
    c.bind = "0.0.0.0".parse().unwrap();
    let e = Lab::start(c).await.unwrap_err();
    assert!(e.to_string().contains("loopback"), "{e}");
}
