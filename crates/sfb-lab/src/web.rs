//! The lab's web side: Lync autodiscover over HTTPS and HTTP, and the WebTicket service
//! (sfb-certprov's in-process test service) authenticating the lab's users with sfb-auth's
//! NTLM server ([`NtlmAuthenticator`]) and, when the lab runs its own KDC, with HTTP
//! `Negotiate`/Kerberos too ([`NegotiateOrNtlmAuthenticator`]: the SPNEGO NegTokenInit's
//! Kerberos AP-REQ for `HTTP/<WEB_TICKET_HOST>`, verified with sfb-auth's keytab server).
//! The service's 401 offers `Negotiate` and `NTLM` either way (what IIS with Windows
//! authentication sends); without a KDC a `Negotiate` token is refused with a reason.
//!
//! Autodiscover ([MS-OCDISCWS] 3.1.5):
//! - `GET /?sipuri=..` or `GET /autodiscover/autodiscoverservice.svc/root?sipuri=..`: the Root
//!   document. Over HTTPS it links `User`; over HTTP it is a single `Redirect` to the HTTPS Root.
//! - `GET /autodiscover/autodiscoverservice.svc/root/user`: 401 with `X-MS-WebTicketURL` (the
//!   WebTicket service) unless `X-MS-WebTicket: opaque=..` is presented; then the User document
//!   with `SipServer/ClientInternalAccess` (the Director) and `SipServer/ClientExternalAccess`
//!   (the Access Edge). The ticket's presence is checked, not its content (the service's SAML
//!   assertion is unsigned).
//! - `AccessLocation` is `Internal` when the `Host` is `lyncdiscoverinternal.*`, else `External`.
//!
//! Every connection is bounded: request head size, header count, a deadline for the whole
//! request, one request per connection (`Connection: close`), and a cap on concurrent
//! connections.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sfb_auth::kerberos::{DEFAULT_SKEW, KerberosServer, ServiceKey};
use sfb_auth::ntlm::{CredentialStore, NtlmServer, NtlmServerConfig};
use sfb_auth::{ServerContext, Step};
use sfb_certprov::negotiate::mech_token;
use sfb_certprov::test_service::{
    AuthVerdict, AuthenticatorFactory, HttpAuthenticator, SharedRng, TestService,
    TestServiceConfig, TestServiceError,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::directory::Directory;
use crate::pki::Identity;

/// The autodiscover document's media type.
pub const AUTODISCOVER_XML: &str = "application/vnd.microsoft.rtc.autodiscover+xml; v=1";
/// The WebTicket service's host name.
pub const WEB_TICKET_HOST: &str = "lyncweb.contoso.test";
/// The internal autodiscover host.
pub const AUTODISCOVER_INTERNAL: &str = "lyncdiscoverinternal.contoso.test";
/// The external autodiscover host.
pub const AUTODISCOVER_EXTERNAL: &str = "lyncdiscover.contoso.test";

const USER_PATH: &str = "/autodiscover/autodiscoverservice.svc/root/user";
const ROOT_PATH: &str = "/autodiscover/autodiscoverservice.svc/root";
const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
const MAX_CONNECTIONS: usize = 256;

/// sfb-auth's NTLM server as the WebTicket service's HTTP authenticator (it checks the
/// NTProofStr against the lab's directory).
pub struct NtlmAuthenticator(pub NtlmServer);

impl std::fmt::Debug for NtlmAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("NtlmAuthenticator").field(&self.0).finish()
    }
}

impl HttpAuthenticator for NtlmAuthenticator {
    fn step(&mut self, client_token: &[u8]) -> AuthVerdict {
        match self.0.step(Some(client_token)) {
            Ok(Step::Continue(t)) => AuthVerdict::Continue(t),
            Ok(Step::Done(_)) => AuthVerdict::Accepted {
                user: self.0.authenticated_user().unwrap_or_default().to_owned(),
            },
            Err(e) => AuthVerdict::Rejected {
                reason: e.to_string(),
            },
        }
    }
}

impl NtlmAuthenticator {
    /// One authenticator per connection, over the users of `directory`. `rng` gives the server
    /// challenges; `now_filetime` dates them (Windows FILETIME).
    pub fn factory(
        directory: &Directory,
        host: &str,
        rng: SharedRng,
        now_filetime: u64,
    ) -> AuthenticatorFactory {
        let mut store = CredentialStore::new();
        for u in &directory.users {
            let name = u.login.rsplit('\\').next().unwrap_or(&u.login);
            store.add_password(name, &directory.netbios_domain, &u.password);
        }
        let store = Arc::new(store);
        let config = NtlmServerConfig {
            nb_domain: directory.netbios_domain.clone(),
            nb_computer: host.split('.').next().unwrap_or(host).to_ascii_uppercase(),
            dns_domain: directory.sip_domain.clone(),
            dns_computer: host.to_owned(),
        };
        Arc::new(move || {
            let rng = rng.clone();
            let fill = move |b: &mut [u8]| {
                if let Ok(mut r) = rng.lock() {
                    r(b);
                }
            };
            Box::new(NtlmAuthenticator(NtlmServer::new(
                config.clone(),
                store.clone(),
                Box::new(fill),
                now_filetime,
            )))
        })
    }
}

/// The WebTicket service's authenticator when the lab has a KDC: each connection's first
/// token decides. A raw NTLM message (`NTLMSSP\0`, sent with the `NTLM` or the `Negotiate`
/// scheme) goes to sfb-auth's NTLM server; a GSS-API token (`60 ..`: a SPNEGO NegTokenInit or
/// a raw krb5 token) has its Kerberos AP-REQ read with sfb-certprov's
/// [`mech_token`] and accepted by sfb-auth's [`KerberosServer`] holding the keys of
/// `HTTP/<WEB_TICKET_HOST>` (one leg: no mutual authentication token is sent back).
pub struct NegotiateOrNtlmAuthenticator {
    ntlm: Box<dyn HttpAuthenticator>,
    kerberos: Option<KerberosServer>,
    /// Which mechanism the connection's first token chose.
    chosen: Option<Mechanism>,
}

/// The mechanism a connection authenticates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mechanism {
    Ntlm,
    Kerberos,
}

impl std::fmt::Debug for NegotiateOrNtlmAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NegotiateOrNtlmAuthenticator")
            .field("kerberos", &self.kerberos.is_some())
            .field("chosen", &self.chosen)
            .finish_non_exhaustive()
    }
}

/// The NTLMSSP signature every NTLM message starts with.
const NTLM_SIGNATURE: &[u8] = b"NTLMSSP\0";

impl NegotiateOrNtlmAuthenticator {
    /// `ntlm` (e.g. an [`NtlmAuthenticator`]) for NTLM tokens; Kerberos accepted with
    /// `http_keys` (`None`: Negotiate/Kerberos tokens are refused).
    pub fn new(ntlm: Box<dyn HttpAuthenticator>, http_keys: Option<Vec<ServiceKey>>) -> Self {
        Self {
            ntlm,
            kerberos: http_keys.map(|k| KerberosServer::new(k, DEFAULT_SKEW)),
            chosen: None,
        }
    }

    fn kerberos_step(&mut self, token: &[u8]) -> AuthVerdict {
        let Some(server) = self.kerberos.as_mut() else {
            return AuthVerdict::Rejected {
                reason: "kerberos is not available here (the lab runs no KDC): use NTLM".into(),
            };
        };
        let ap_req = match mech_token(token) {
            Ok(t) => t,
            Err(e) => {
                return AuthVerdict::Rejected {
                    reason: format!("negotiate token: {e}"),
                };
            }
        };
        // The tokio shell's clock: the acceptor checks the authenticator's time against it.
        match server.accept(ap_req, std::time::SystemTime::now()) {
            Ok(ctx) => AuthVerdict::Accepted { user: ctx.client },
            Err(e) => AuthVerdict::Rejected {
                reason: format!("kerberos: {e}"),
            },
        }
    }
}

impl HttpAuthenticator for NegotiateOrNtlmAuthenticator {
    fn step(&mut self, client_token: &[u8]) -> AuthVerdict {
        let mechanism = match self.chosen {
            Some(m) => m,
            None if client_token.starts_with(NTLM_SIGNATURE) => Mechanism::Ntlm,
            None if client_token.first() == Some(&0x60) => Mechanism::Kerberos,
            None => {
                return AuthVerdict::Rejected {
                    reason: "the token is neither NTLM nor a GSS-API (SPNEGO/Kerberos) token"
                        .into(),
                };
            }
        };
        self.chosen = Some(mechanism);
        match mechanism {
            Mechanism::Ntlm => self.ntlm.step(client_token),
            Mechanism::Kerberos => self.kerberos_step(client_token),
        }
    }
}

/// Starts the WebTicket service for `directory`: NTLM, and Negotiate/Kerberos too when
/// `http_keys` holds the keys of `HTTP/<WEB_TICKET_HOST>` (the lab's KDC keytab).
pub async fn start_web_ticket(
    directory: &Directory,
    rng: SharedRng,
    now_filetime: u64,
    http_keys: Option<Vec<ServiceKey>>,
) -> Result<TestService, TestServiceError> {
    let ntlm = NtlmAuthenticator::factory(directory, WEB_TICKET_HOST, rng.clone(), now_filetime);
    let authenticator: AuthenticatorFactory = match http_keys {
        None => ntlm,
        Some(keys) => Arc::new(move || {
            Box::new(NegotiateOrNtlmAuthenticator::new(
                ntlm(),
                Some(keys.clone()),
            ))
        }),
    };
    TestService::start(TestServiceConfig {
        host: WEB_TICKET_HOST.to_owned(),
        authenticator,
        rng,
        lifetime_secs: 8 * 3600,
    })
    .await
}

/// What the User document points at.
#[derive(Debug, Clone)]
pub struct AutodiscoverTargets {
    /// The Director (internal access).
    pub director: (String, u16),
    /// The Access Edge (external access).
    pub edge: (String, u16),
    /// The WebTicket service URL given in the 401.
    pub web_ticket_url: String,
}

/// The autodiscover listeners.
#[derive(Debug)]
pub struct AutodiscoverServer {
    /// The HTTPS listener.
    pub https: SocketAddr,
    /// The HTTP listener.
    pub http: SocketAddr,
    tasks: JoinSet<()>,
}

impl AutodiscoverServer {
    /// Binds HTTPS and HTTP on `ip` (ephemeral ports) and serves.
    pub async fn start(
        ip: IpAddr,
        identity: &Identity,
        targets: AutodiscoverTargets,
    ) -> Result<Self, crate::LabError> {
        let tls = tokio_rustls::TlsAcceptor::from(identity.server_config()?);
        let https = TcpListener::bind((ip, 0)).await?;
        let http = TcpListener::bind((ip, 0)).await?;
        let (https_addr, http_addr) = (https.local_addr()?, http.local_addr()?);
        let targets = Arc::new(targets);
        let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut tasks = JoinSet::new();
        for (listener, tls) in [(https, Some(tls)), (http, None)] {
            let targets = targets.clone();
            let limit = limit.clone();
            tasks.spawn(async move {
                let mut conns = JoinSet::new();
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((tcp, _)) = accepted else {
                                // Out of descriptors and the like: back off instead of spinning.
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                continue;
                            };
                            let Ok(permit) = limit.clone().try_acquire_owned() else {
                                drop(tcp); // over the cap: closed at once
                                continue;
                            };
                            let targets = targets.clone();
                            let tls = tls.clone();
                            conns.spawn(async move {
                                let _permit = permit;
                                let work = async {
                                    match tls {
                                        Some(acceptor) => {
                                            if let Ok(mut s) = acceptor.accept(tcp).await {
                                                serve(&mut s, true, &targets).await;
                                            }
                                        }
                                        None => {
                                            let mut tcp = tcp;
                                            serve(&mut tcp, false, &targets).await;
                                        }
                                    }
                                };
                                let _ = tokio::time::timeout(REQUEST_DEADLINE, work).await;
                            });
                        }
                        Some(_) = conns.join_next(), if !conns.is_empty() => {}
                    }
                }
            });
        }
        Ok(Self {
            https: https_addr,
            http: http_addr,
            tasks,
        })
    }

    /// Stops listening and drops every connection.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

/// A parsed request head.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request head (bounded); the body, if any, is ignored (GET only).
async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> Option<Request> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(chunk.get(..n)?);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                return Some(Request {
                    method: req.method?.to_owned(),
                    target: req.path?.to_owned(),
                    headers: req
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_owned(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                });
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            _ => return None,
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn response(status: &str, headers: &[(&str, String)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

/// The answer to one request (pure: tested without sockets).
fn answer(req: &Request, https: bool, targets: &AutodiscoverTargets) -> Vec<u8> {
    let host = req
        .header("host")
        .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name))
        .filter(|h| !h.is_empty() && h.len() <= 255)
        .unwrap_or(AUTODISCOVER_INTERNAL)
        .to_ascii_lowercase();
    let location = if host.starts_with("lyncdiscoverinternal.") {
        "Internal"
    } else {
        "External"
    };
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let path = path.to_ascii_lowercase();
    let doc = |inner: String| {
        response(
            "200 OK",
            &[("Content-Type", AUTODISCOVER_XML.to_owned())],
            &format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<AutodiscoverResponse xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" AccessLocation=\"{location}\">{inner}</AutodiscoverResponse>"
            ),
        )
    };
    if req.method != "GET" {
        return response("405 Method Not Allowed", &[("Allow", "GET".into())], "");
    }
    let host_x = xml_escape(&host);
    if path == "/" || path == ROOT_PATH {
        let sipuri = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("sipuri="))
            .unwrap_or_default();
        if https {
            return doc(format!(
                "<Root><Link token=\"Domain\" href=\"https://{host_x}{ROOT_PATH}/domain\"/>\
<Link token=\"User\" href=\"https://{host_x}{USER_PATH}\"/></Root>"
            ));
        }
        return doc(format!(
            "<Root><Link token=\"Redirect\" href=\"https://{host_x}{ROOT_PATH}?sipuri={}\"/></Root>",
            xml_escape(sipuri)
        ));
    }
    if path == USER_PATH {
        let has_ticket = req
            .header("x-ms-webticket")
            .is_some_and(|v| v.trim().len() > "opaque=".len() && v.trim().starts_with("opaque="));
        if !has_ticket {
            return response(
                "401 Unauthorized",
                &[
                    ("X-MS-WebTicketURL", targets.web_ticket_url.clone()),
                    ("X-MS-Server-Fqdn", "dir01.contoso.test".into()),
                    ("WWW-Authenticate", "Negotiate".into()),
                    ("WWW-Authenticate", "NTLM".into()),
                ],
                "",
            );
        }
        let (d, dp) = (&targets.director.0, targets.director.1);
        let (e, ep) = (&targets.edge.0, targets.edge.1);
        let (d, e) = (xml_escape(d), xml_escape(e));
        return doc(format!(
            "<User>\
<SipServerInternalAccess fqdn=\"{d}\" port=\"{dp}\"/>\
<SipClientInternalAccess fqdn=\"{d}\" port=\"{dp}\"/>\
<SipServerExternalAccess fqdn=\"{e}\" port=\"{ep}\"/>\
<SipClientExternalAccess fqdn=\"{e}\" port=\"{ep}\"/>\
<Link token=\"Self\" href=\"https://{host_x}{USER_PATH}\"/>\
</User>"
        ));
    }
    response("404 Not Found", &[], "")
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    https: bool,
    targets: &AutodiscoverTargets,
) {
    let out = match read_head(s).await {
        Some(req) => answer(&req, https, targets),
        None => response("400 Bad Request", &[], ""),
    };
    let _ = s.write_all(&out).await;
    let _ = s.shutdown().await;
}

/// A Windows FILETIME (100 ns since 1601) for `t`.
pub fn filetime(t: std::time::SystemTime) -> u64 {
    const UNIX_TO_1601: u64 = 11_644_473_600;
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs + UNIX_TO_1601) * 10_000_000
}

/// A shared RNG over a seeded generator (SplitMix64): randomness is injected into the NTLM
/// server and the WebTicket service from here.
pub fn shared_rng(seed: u64) -> SharedRng {
    let mut state = seed;
    Arc::new(Mutex::new(move |b: &mut [u8]| {
        for chunk in b.chunks_mut(8) {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let bytes = z.to_le_bytes();
            chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or_default());
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lab's real NTLM authenticator for `alice`.
    fn ntlm() -> Box<dyn HttpAuthenticator> {
        let factory = NtlmAuthenticator::factory(
            &Directory::contoso(),
            WEB_TICKET_HOST,
            shared_rng(7),
            133_000_000_000_000_000,
        );
        factory()
    }

    /// A minimal NTLM NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1): signature, type 1, flags
    /// (UNICODE | REQUEST_TARGET | NTLM | ALWAYS_SIGN | EXTENDED_SESSIONSECURITY), empty
    /// domain and workstation fields.
    fn ntlm_negotiate() -> Vec<u8> {
        let mut m = NTLM_SIGNATURE.to_vec();
        m.extend(1u32.to_le_bytes());
        m.extend(0x0008_8205u32.to_le_bytes());
        m.extend([0u8; 16]);
        m
    }

    #[test]
    fn the_first_token_picks_the_mechanism() {
        // NTLM (also sent under the Negotiate scheme) goes to the NTLM server: a CHALLENGE.
        let mut a = NegotiateOrNtlmAuthenticator::new(ntlm(), None);
        match a.step(&ntlm_negotiate()) {
            AuthVerdict::Continue(t) => assert!(t.starts_with(NTLM_SIGNATURE)),
            v => panic!("{v:?}"),
        }
        // A GSS-API token without a KDC: refused, saying why.
        let mut a = NegotiateOrNtlmAuthenticator::new(ntlm(), None);
        let krb = sfb_certprov::negotiate::spnego_init(&[0x60, 0x00]);
        match a.step(&krb) {
            AuthVerdict::Rejected { reason } => {
                assert!(reason.contains("kerberos is not available"), "{reason}")
            }
            v => panic!("{v:?}"),
        }
        // With keys, a malformed SPNEGO token gets the parser's precise error.
        let mut a = NegotiateOrNtlmAuthenticator::new(ntlm(), Some(Vec::new()));
        match a.step(&krb) {
            AuthVerdict::Rejected { reason } => {
                assert!(reason.starts_with("negotiate token: "), "{reason}")
            }
            v => panic!("{v:?}"),
        }
        // Neither NTLM nor GSS-API.
        let mut a = NegotiateOrNtlmAuthenticator::new(ntlm(), None);
        match a.step(b"hello") {
            AuthVerdict::Rejected { reason } => {
                assert!(reason.contains("neither NTLM nor"), "{reason}")
            }
            v => panic!("{v:?}"),
        }
        assert!(!format!("{a:?}").is_empty());
    }

    fn targets() -> AutodiscoverTargets {
        AutodiscoverTargets {
            director: ("dir01.contoso.test".into(), 1111),
            edge: ("sip.contoso.test".into(), 2222),
            web_ticket_url: "https://lyncweb.contoso.test:3333/WebTicket/WebTicketService.svc"
                .into(),
        }
    }

    fn get(target: &str, headers: &[(&str, &str)]) -> String {
        let req = Request {
            method: "GET".into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        String::from_utf8(answer(&req, true, &targets())).unwrap()
    }

    #[test]
    fn user_needs_a_ticket_then_names_director_and_edge() {
        let host = ("Host", "lyncdiscoverinternal.contoso.test");
        let r = get(USER_PATH, &[host]);
        assert!(r.starts_with("HTTP/1.1 401"), "{r}");
        assert!(r.contains("X-MS-WebTicketURL: https://lyncweb.contoso.test:3333/"));
        let r = get(USER_PATH, &[host, ("X-MS-WebTicket", "opaque=")]);
        assert!(
            r.starts_with("HTTP/1.1 401"),
            "an empty ticket is no ticket: {r}"
        );
        let r = get(USER_PATH, &[host, ("X-MS-WebTicket", "opaque=PHNhbWw+")]);
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.contains("AccessLocation=\"Internal\""));
        assert!(r.contains("<SipClientInternalAccess fqdn=\"dir01.contoso.test\" port=\"1111\"/>"));
        assert!(r.contains("<SipClientExternalAccess fqdn=\"sip.contoso.test\" port=\"2222\"/>"));
        let r = get(
            "/?sipuri=alice@contoso.test",
            &[("Host", "lyncdiscover.contoso.test:9")],
        );
        assert!(r.contains("AccessLocation=\"External\""), "{r}");
        assert!(
            r.contains(&format!("https://lyncdiscover.contoso.test{USER_PATH}")),
            "{r}"
        );
        assert!(get("/nope", &[]).starts_with("HTTP/1.1 404"));
        // A hostile Host cannot inject markup.
        let r = get("/?sipuri=a", &[("Host", "x\"/><Evil")]);
        assert!(!r.contains("<Evil"), "{r}");
    }

    #[test]
    fn filetime_of_the_unix_epoch() {
        assert_eq!(filetime(std::time::UNIX_EPOCH), 116_444_736_000_000_000);
    }
}
