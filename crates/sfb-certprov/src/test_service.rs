//! FOR TESTS AND THE LAB ONLY (feature `test-service`): an in-process HTTPS web ticket service.
//!
//! - TLS with a fresh rcgen test CA (`TestService::roots` trusts it) and a leaf for the host name.
//! - `GET …/mex` answers a WSDL whose `WebTicketServiceWinNegotiate` port points at `…/Auth`.
//! - `POST` demands HTTP authentication, connection-oriented (RFC 4559): no `Authorization` →
//!   401 `WWW-Authenticate: Negotiate` + `NTLM`; a token goes to the injected
//!   [`HttpAuthenticator`] (one per connection): `Continue` → 401 with the server token,
//!   `Rejected` → 401 with `X-Ms-diagnostics: 28020;source=…;reason=…;fault=…` and close,
//!   `Accepted` → the RST is read and an RSTR returned. An unreadable RST → 500 SOAP fault
//!   with `OCSDiagnosticsFault`.
//! - Negotiate/Kerberos is one leg: the authenticator reads the AP-REQ with
//!   [`crate::negotiate::mech_token`] and answers `Accepted` at once (the tests plug in
//!   sfb-auth's keytab `KerberosServer`).
//! - The SAML 1.1 assertion is UNSIGNED (no XML-DSig): it only has to look like one.
//! - Server entropy comes from the injected RNG; the proof key computed for each ticket is
//!   recorded ([`TestService::issued`]) so tests can compare it with the client's.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use crate::flow::Headers;
use crate::http1;
use crate::psha1;
use crate::rst::{RstRequest, escape, uuid_from};
use crate::secret::{Entropy, ProofKey};
use crate::time::UtcTime;
use crate::xml::XmlLimits;

/// What the authenticator decided about a client token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthVerdict {
    /// Send this token back in a 401 and wait for the next one.
    Continue(Vec<u8>),
    /// The client is authenticated as `user`.
    Accepted {
        /// `DOMAIN\user` or the UPN.
        user: String,
    },
    /// The credentials are refused.
    Rejected {
        /// Why (goes into the `X-Ms-diagnostics` reason).
        reason: String,
    },
}

/// Server side of HTTP authentication for one connection (injected: the lab uses sfb-auth's
/// `NtlmServer`, which checks the NTProofStr).
pub trait HttpAuthenticator: Send {
    /// Consumes one client token.
    fn step(&mut self, client_token: &[u8]) -> AuthVerdict;
}

/// Makes one authenticator per connection.
pub type AuthenticatorFactory = Arc<dyn Fn() -> Box<dyn HttpAuthenticator> + Send + Sync>;
/// Injected randomness (server entropy, assertion ids).
pub type SharedRng = Arc<Mutex<dyn FnMut(&mut [u8]) + Send>>;

/// Settings of the service.
#[derive(Clone)]
pub struct TestServiceConfig {
    /// The host name in the certificate and the URLs, e.g. `lyncweb.contoso.test`.
    pub host: String,
    /// The authenticator factory.
    pub authenticator: AuthenticatorFactory,
    /// Randomness for server entropy and assertion ids.
    pub rng: SharedRng,
    /// Ticket lifetime in seconds.
    pub lifetime_secs: i64,
}

impl std::fmt::Debug for TestServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServiceConfig")
            .field("host", &self.host)
            .field("lifetime_secs", &self.lifetime_secs)
            .finish_non_exhaustive()
    }
}

/// One issued ticket, as the service saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The authenticated user.
    pub user: String,
    /// The `uri` claim.
    pub sip_uri: String,
    /// The AppliesTo address.
    pub applies_to: String,
    /// The proof key the service computed.
    pub proof_key: ProofKey,
}

/// A running service (stops when the tokio runtime ends).
#[derive(Debug, Clone)]
pub struct TestService {
    /// The listening address.
    pub addr: SocketAddr,
    /// The test CA certificate.
    pub ca: CertificateDer<'static>,
    /// `https://host:port/WebTicket/WebTicketService.svc`.
    pub url: String,
    issued: Arc<Mutex<Vec<Issued>>>,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum TestServiceError {
    /// Certificate generation failed.
    #[error("test certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// TLS setup failed.
    #[error("tls setup: {0}")]
    Tls(#[from] rustls::Error),
    /// Binding failed.
    #[error("bind: {0}")]
    Bind(#[from] std::io::Error),
}

const MAX_REQUEST_BODY: usize = 256 * 1024;
const PATH: &str = "/WebTicket/WebTicketService.svc";

impl TestService {
    /// Starts listening on 127.0.0.1 (ephemeral port).
    pub async fn start(config: TestServiceConfig) -> Result<Self, TestServiceError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
        let leaf_key = KeyPair::generate()?;
        let leaf = CertificateParams::new(vec![config.host.clone()])?.signed_by(&leaf_key, &ca)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let service = TestService {
            addr,
            ca: ca.der().clone(),
            url: format!("https://{}:{}{PATH}", config.host, addr.port()),
            issued: Arc::new(Mutex::new(Vec::new())),
        };
        let issued = service.issued.clone();
        let base = service.url.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let config = config.clone();
                let issued = issued.clone();
                let base = base.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        serve(&mut tls, &config, &issued, &base).await;
                    }
                });
            }
        });
        Ok(service)
    }

    /// A root store trusting the test CA.
    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        // The CA certificate was just generated by rcgen: it always parses.
        let _ = roots.add(self.ca.clone());
        roots
    }

    /// The tickets issued so far.
    pub fn issued(&self) -> Vec<Issued> {
        self.issued.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

fn h(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

async fn respond<S: AsyncWrite + Unpin>(
    s: &mut S,
    status: &str,
    headers: Headers,
    body: &[u8],
) -> bool {
    http1::write(s, &format!("HTTP/1.1 {status}"), &headers, body)
        .await
        .is_ok()
}

/// One connection: requests until the client closes or a refusal.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    config: &TestServiceConfig,
    issued: &Mutex<Vec<Issued>>,
    base: &str,
) {
    let mut buf = Vec::new();
    let mut auth: Option<Box<dyn HttpAuthenticator>> = None;
    let mut user: Option<String> = None;
    let xml = || h("Content-Type", "text/xml; charset=utf-8");
    loop {
        let Ok(req) = http1::read(s, &mut buf, true, MAX_REQUEST_BODY).await else {
            return;
        };
        if req.method == "GET" && req.path.ends_with("/mex") {
            let body = mex_document(base);
            if !respond(s, "200 OK", vec![xml()], body.as_bytes()).await {
                return;
            }
            continue;
        }
        if req.method != "POST" {
            if !respond(s, "405 Method Not Allowed", Vec::new(), b"").await {
                return;
            }
            continue;
        }
        if user.is_none() {
            let Some((scheme, token)) = req
                .header("authorization")
                .and_then(|a| a.split_once(' '))
                .map(|(s, t)| (s.to_owned(), t.trim().to_owned()))
                .filter(|(s, _)| {
                    s.eq_ignore_ascii_case("NTLM") || s.eq_ignore_ascii_case("Negotiate")
                })
            else {
                let hs = vec![
                    h("WWW-Authenticate", "Negotiate"),
                    h("WWW-Authenticate", "NTLM"),
                ];
                if !respond(s, "401 Unauthorized", hs, b"").await {
                    return;
                }
                continue;
            };
            let Ok(token) = BASE64_STANDARD.decode(token) else {
                let _ = respond(s, "400 Bad Request", vec![h("Connection", "close")], b"").await;
                return;
            };
            let a = auth.get_or_insert_with(|| (config.authenticator)());
            match a.step(&token) {
                AuthVerdict::Continue(t) => {
                    let hs = vec![h(
                        "WWW-Authenticate",
                        format!("{scheme} {}", BASE64_STANDARD.encode(t)),
                    )];
                    if !respond(s, "401 Unauthorized", hs, b"").await {
                        return;
                    }
                    continue;
                }
                AuthVerdict::Rejected { reason } => {
                    let diag = format!(
                        "28020;source=\"{}\";reason=\"{}\";fault=\"wsse:FailedAuthentication\"",
                        config.host,
                        reason.replace(['"', '\\', '\r', '\n'], " ")
                    );
                    let hs = vec![
                        h("WWW-Authenticate", "Negotiate"),
                        h("WWW-Authenticate", "NTLM"),
                        h("X-Ms-diagnostics", diag),
                        h("Connection", "close"),
                    ];
                    let _ = respond(s, "401 Unauthorized", hs, b"").await;
                    return;
                }
                AuthVerdict::Accepted { user: u } => user = Some(u),
            }
        }
        let who = user.clone().unwrap_or_default();
        let (status, body) = match issue(&req.body, config, &who) {
            Ok((rstr, record)) => {
                if let Ok(mut v) = issued.lock() {
                    v.push(record);
                }
                ("200 OK", rstr)
            }
            Err(reason) => ("500 Internal Server Error", fault_document(&reason)),
        };
        if !respond(s, status, vec![xml()], body.as_bytes()).await {
            return;
        }
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0)
}

/// Reads the RST and builds the RSTR.
fn issue(body: &[u8], config: &TestServiceConfig, user: &str) -> Result<(String, Issued), String> {
    let rst = RstRequest::parse(body, &XmlLimits::default()).map_err(|e| e.to_string())?;
    let mut server = vec![0u8; 32];
    let mut id = [0u8; 16];
    if let Ok(mut rng) = config.rng.lock() {
        rng(&mut server);
        rng(&mut id);
    }
    let server = Entropy::new(server);
    let key = psha1::proof_key(&rst.client_entropy, &server);
    let created = UtcTime(now());
    let expires = UtcTime(created.0 + config.lifetime_secs);
    let assertion_id = format!("SamlSecurityToken-{}", uuid_from(id));
    let assertion = format!(
        concat!(
            r#"<saml:Assertion MajorVersion="1" MinorVersion="1" AssertionID="{id}" Issuer="URI:https://{host}{path}" IssueInstant="{c}" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion">"#,
            r#"<saml:Conditions NotBefore="{c}" NotOnOrAfter="{e}"><saml:AudienceRestrictionCondition><saml:Audience>{aud}</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions>"#,
            r#"<saml:AuthenticationStatement AuthenticationMethod="urn:ietf:rfc:4559" AuthenticationInstant="{c}"><saml:Subject><saml:NameIdentifier>{user}</saml:NameIdentifier></saml:Subject></saml:AuthenticationStatement>"#,
            r#"<saml:AttributeStatement><saml:Subject><saml:NameIdentifier>{uri}</saml:NameIdentifier></saml:Subject><saml:Attribute AttributeName="uri" AttributeNamespace="http://schemas.xmlsoap.org/ws/2005/05/identity/claims"><saml:AttributeValue>{uri}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"#,
            "</saml:Assertion>"
        ),
        id = assertion_id,
        host = escape(&config.host),
        path = PATH,
        c = created.format(),
        e = expires.format(),
        aud = escape(&rst.applies_to),
        user = escape(user),
        uri = escape(rst.sip_uri.as_str()),
    );
    let rstr = format!(
        concat!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:u="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><s:Body>"#,
            r#"<RequestSecurityTokenResponseCollection xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512">"#,
            r#"<RequestSecurityTokenResponse Context="{ctx}"><TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1</TokenType>"#,
            "<RequestedSecurityToken>{a}</RequestedSecurityToken>",
            "<RequestedProofToken><ComputedKey>http://docs.oasis-open.org/ws-sx/ws-trust/200512/CK/PSHA1</ComputedKey></RequestedProofToken>",
            "<Lifetime><u:Created>{c}</u:Created><u:Expires>{e}</u:Expires></Lifetime>",
            "<KeySize>{bits}</KeySize><Entropy><BinarySecret>{ent}</BinarySecret></Entropy>",
            "</RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection></s:Body></s:Envelope>"
        ),
        ctx = escape(&rst.context),
        a = assertion,
        c = created.format(),
        e = expires.format(),
        bits = rst.client_entropy.expose().len() * 8,
        ent = BASE64_STANDARD.encode(server.expose()),
    );
    let record = Issued {
        user: user.to_owned(),
        sip_uri: rst.sip_uri.as_str().to_owned(),
        applies_to: rst.applies_to.clone(),
        proof_key: key,
    };
    Ok((rstr, record))
}

fn fault_document(reason: &str) -> String {
    format!(
        concat!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>"#,
            "<faultcode>s:Client</faultcode><faultstring>The request could not be processed.</faultstring>",
            r#"<detail><OCSDiagnosticsFault xmlns="urn:component:Microsoft.Rtc.WebAuthentication.2010"><Ms-Diagnostics-Fault>"#,
            "<ErrorId>28000</ErrorId><Reason>{r}</Reason></Ms-Diagnostics-Fault></OCSDiagnosticsFault></detail>",
            "</s:Fault></s:Body></s:Envelope>"
        ),
        r = escape(reason)
    )
}

fn mex_document(base: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><wsx:Metadata xmlns:wsx="http://schemas.xmlsoap.org/ws/2004/09/mex"><wsx:MetadataSection Dialect="http://schemas.xmlsoap.org/wsdl/">"#,
            r#"<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"><wsdl:service name="WebTicketService">"#,
            r#"<wsdl:port name="WebTicketServiceWinNegotiate" binding="tns:WebTicketServiceWinNegotiate"><soap:address location="{b}/Auth"/></wsdl:port>"#,
            "</wsdl:service></wsdl:definitions></wsx:MetadataSection></wsx:Metadata>"
        ),
        b = escape(base)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> TestServiceConfig {
        let refuse: AuthenticatorFactory = Arc::new(|| {
            struct No;
            impl HttpAuthenticator for No {
                fn step(&mut self, _: &[u8]) -> AuthVerdict {
                    AuthVerdict::Rejected {
                        reason: "no".into(),
                    }
                }
            }
            Box::new(No)
        });
        TestServiceConfig {
            host: "h.test".into(),
            authenticator: refuse,
            rng: Arc::new(Mutex::new(|b: &mut [u8]| b.fill(0x42))),
            lifetime_secs: 60,
        }
    }

    #[test]
    fn documents_read_back_with_our_own_readers() {
        let l = XmlLimits::default();
        let fault = fault_document("bad <rst>");
        let f = crate::rstr::parse_fault(fault.as_bytes(), &l).unwrap();
        assert_eq!(
            (f.error_id, f.diagnostics_reason.as_deref()),
            (Some(28000), Some("bad <rst>"))
        );
        let mex = mex_document("https://h.test:1/WebTicket/WebTicketService.svc");
        assert_eq!(
            crate::mex::port_location(mex.as_bytes(), crate::mex::PORT_WIN_NEGOTIATE, &l).unwrap(),
            "https://h.test:1/WebTicket/WebTicketService.svc/Auth"
        );
    }

    #[test]
    fn issue_answers_an_rst_and_refuses_garbage() {
        let c = config();
        assert!(issue(b"<not-an-rst/>", &c, "u").is_err());
        let mut n = 0u8;
        let mut rng = move |b: &mut [u8]| {
            for x in b {
                *x = n;
                n = n.wrapping_add(1);
            }
        };
        let rst = RstRequest::new(
            crate::rst::SipUri::parse("sip:a@h.test").unwrap(),
            "https://h.test/x",
            &mut rng,
        )
        .unwrap();
        let (rstr, record) = issue(&rst.to_xml(), &c, "H\\a").unwrap();
        let t = crate::rstr::parse_rstr(rstr.as_bytes(), &XmlLimits::default()).unwrap();
        assert_eq!(t.server_entropy.as_ref().unwrap().expose(), &[0x42; 32][..]);
        assert_eq!(t.proof_key(&rst.client_entropy), Some(record.proof_key));
        let l = t.lifetime.unwrap();
        assert_eq!(l.expires.0 - l.created.0, 60);
        assert_eq!(record.sip_uri, "sip:a@h.test");
    }
}
