//! The tokio driver: runs a [`WebTicketFlow`] over HTTP/1.1 on ONE keep-alive TLS connection
//! (NTLM over HTTP authenticates the connection, RFC 4559 §4), reconnecting only when the host
//! changes or the server closed. TLS is rustls with the ring provider and the given roots.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::flow::{Output, Response, WebTicket, WebTicketConfig, WebTicketError, WebTicketFlow};
use crate::http1::{self, HttpError};
use crate::negotiate::{KerberosTokenSource, NegotiateHttpClient};
use crate::ntlm::NtlmHttpClient;
use crate::rst::{RstRequest, SipUri};
use crate::secret::Password;
use crate::xml::XmlLimits;

/// Largest response body read.
pub const MAX_RESPONSE_BODY: usize = 512 * 1024;

/// Why the driver stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    /// The exchange failed (HTTP status, diagnostics, fault, ...).
    #[error(transparent)]
    Flow(#[from] WebTicketError),
    /// The URL is not `https://host[:port]/path`.
    #[error("not an https url: {0}")]
    BadUrl(String),
    /// TCP connect failed.
    #[error("cannot connect to {host}:{port}: {detail}")]
    Connect {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// The error.
        detail: String,
    },
    /// The TLS handshake failed (certificate, protocol).
    #[error("tls handshake with {host} failed: {detail}")]
    Tls {
        /// Host.
        host: String,
        /// The error.
        detail: String,
    },
    /// HTTP framing or i/o failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The server closed the connection in the middle of the NTLM handshake.
    #[error("server closed the connection during the ntlm handshake")]
    ClosedDuringHandshake,
    /// A step took longer than the timeout.
    #[error("web ticket request timed out after {0:?}")]
    Timeout(Duration),
    /// The TLS configuration could not be built.
    #[error("tls configuration: {0}")]
    TlsConfig(String),
}

/// `https://host[:port]/path` split up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsUrl {
    /// Host name or address (brackets removed for IPv6).
    pub host: String,
    /// Port (443 by default).
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl HttpsUrl {
    /// Parses an https URL (no userinfo, no fragment kept).
    pub fn parse(url: &str) -> Result<Self, DriverError> {
        let bad = || DriverError::BadUrl(url.chars().take(128).collect());
        let rest = url
            .get(..8)
            .filter(|p| p.eq_ignore_ascii_case("https://"))
            .and_then(|_| url.get(8..))
            .ok_or_else(bad)?;
        if url.len() > 2048 || url.chars().any(|c| c.is_control() || c == ' ') {
            return Err(bad());
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = rest.get(..end).unwrap_or_default();
        let mut path = rest.get(end..).unwrap_or_default();
        path = path.split('#').next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let close = v6.find(']').ok_or_else(bad)?;
            let host = v6.get(..close).unwrap_or_default();
            let after = v6.get(close + 1..).unwrap_or_default();
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None if after.is_empty() => 443,
                None => return Err(bad()),
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
                None => (authority, 443),
            }
        };
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        let path = if path.is_empty() {
            "/".to_owned()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        Ok(HttpsUrl {
            host: host.to_owned(),
            port,
            path,
        })
    }

    fn host_header(&self) -> String {
        let h = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 443 {
            h
        } else {
            format!("{h}:{}", self.port)
        }
    }
}

struct Connection {
    host: String,
    port: u16,
    tls: TlsStream<TcpStream>,
    buf: Vec<u8>,
}

/// Runs exchanges. Cheap to clone.
#[derive(Clone)]
pub struct WebTicketDriver {
    tls: Arc<ClientConfig>,
    timeout: Duration,
    connect_to: Option<SocketAddr>,
}

impl std::fmt::Debug for WebTicketDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebTicketDriver")
            .field("timeout", &self.timeout)
            .field("connect_to", &self.connect_to)
            .finish_non_exhaustive()
    }
}

impl WebTicketDriver {
    /// A driver trusting `roots`, with a 30 s timeout per step.
    pub fn new(roots: RootCertStore) -> Result<Self, DriverError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| DriverError::TlsConfig(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(WebTicketDriver {
            tls: Arc::new(tls),
            timeout: Duration::from_secs(30),
            connect_to: None,
        })
    }

    /// Sets the timeout of each connect, handshake and round trip.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connects every host name to `addr` (tests and the lab: no DNS, SNI still the name).
    pub fn with_connect_to(mut self, addr: SocketAddr) -> Self {
        self.connect_to = Some(addr);
        self
    }

    async fn timed<T>(
        &self,
        f: impl Future<Output = Result<T, DriverError>>,
    ) -> Result<T, DriverError> {
        tokio::time::timeout(self.timeout, f)
            .await
            .map_err(|_| DriverError::Timeout(self.timeout))?
    }

    async fn connect(&self, url: &HttpsUrl) -> Result<Connection, DriverError> {
        let failed = |e: std::io::Error| DriverError::Connect {
            host: url.host.clone(),
            port: url.port,
            detail: e.to_string(),
        };
        let tcp = match self.connect_to {
            Some(a) => TcpStream::connect(a).await.map_err(failed)?,
            None => TcpStream::connect((url.host.as_str(), url.port))
                .await
                .map_err(failed)?,
        };
        let name = ServerName::try_from(url.host.clone()).map_err(|e| DriverError::Tls {
            host: url.host.clone(),
            detail: e.to_string(),
        })?;
        let tls = TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| DriverError::Tls {
                host: url.host.clone(),
                detail: e.to_string(),
            })?;
        Ok(Connection {
            host: url.host.clone(),
            port: url.port,
            tls,
            buf: Vec::new(),
        })
    }

    /// Runs the exchange to the end.
    pub async fn run(&self, mut flow: WebTicketFlow) -> Result<WebTicket, DriverError> {
        let mut conn: Option<Connection> = None;
        let mut out = flow.start()?;
        let mut handshaking = false;
        loop {
            let (method, url, headers, body) = match out {
                Output::Done(t) => return Ok(*t),
                Output::Get { url, headers } => ("GET", url, headers, Vec::new()),
                Output::Post { url, headers, body } => ("POST", url, headers, body),
            };
            let u = HttpsUrl::parse(&url)?;
            let authorizing = headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
            let reuse = conn
                .as_ref()
                .is_some_and(|c| c.host == u.host && c.port == u.port);
            if !reuse {
                if handshaking && authorizing {
                    return Err(DriverError::ClosedDuringHandshake);
                }
                conn = Some(self.timed(self.connect(&u)).await?);
            }
            let Some(c) = conn.as_mut() else {
                unreachable!("connected above")
            };
            let mut all = vec![
                ("Host".to_owned(), u.host_header()),
                ("Connection".to_owned(), "keep-alive".to_owned()),
                ("User-Agent".to_owned(), "sfb-certprov".to_owned()),
            ];
            all.extend(headers);
            let start = format!("{method} {} HTTP/1.1", u.path);
            let msg = self
                .timed(async {
                    http1::write(&mut c.tls, &start, &all, &body).await?;
                    Ok(http1::read(&mut c.tls, &mut c.buf, false, MAX_RESPONSE_BODY).await?)
                })
                .await?;
            if msg.closes() {
                conn = None;
            }
            // Between a 401 that answers an Authorization (the CHALLENGE) and the next
            // Authorization (the AUTHENTICATE) the connection must stay the same.
            handshaking = authorizing && msg.status == 401;
            out = flow.handle(Response {
                status: msg.status,
                headers: msg.headers,
                body: msg.body,
            })?;
        }
    }
}

/// What [`fetch_with_ntlm`] needs.
#[derive(Debug, Clone, Copy)]
pub struct NtlmTicketRequest<'a> {
    /// The service (`X-MS-WebTicketURL`).
    pub web_ticket_url: &'a str,
    /// The AppliesTo address, e.g. discovery's User URL.
    pub applies_to: &'a str,
    /// The user's SIP URI (the `uri` claim).
    pub sip_uri: &'a SipUri,
    /// `DOMAIN\\user` or a UPN.
    pub login: &'a str,
    /// The password.
    pub password: &'a Password,
    /// Read `<url>/mex` first for the `WebTicketServiceWinNegotiate` address.
    pub use_mex: bool,
}

/// One call for the application: the web ticket with HTTP NTLM. `rng` supplies the RST
/// context and the 32-byte client entropy.
pub async fn fetch_with_ntlm(
    driver: &WebTicketDriver,
    req: &NtlmTicketRequest<'_>,
    rng: &mut (dyn FnMut(&mut [u8]) + Send),
) -> Result<WebTicket, DriverError> {
    let host = HttpsUrl::parse(req.web_ticket_url)?.host;
    let request =
        RstRequest::new(req.sip_uri.clone(), req.applies_to, rng).map_err(WebTicketError::from)?;
    let auth = NtlmHttpClient::new(req.login, req.password, &host).map_err(WebTicketError::from)?;
    let config = WebTicketConfig {
        url: req.web_ticket_url.to_owned(),
        use_mex: req.use_mex,
        limits: XmlLimits::default(),
    };
    driver
        .run(WebTicketFlow::new(config, request, Box::new(auth)))
        .await
}

/// What [`fetch_with_negotiate`] needs.
#[derive(Debug, Clone, Copy)]
pub struct NegotiateTicketRequest<'a> {
    /// The service (`X-MS-WebTicketURL`).
    pub web_ticket_url: &'a str,
    /// The AppliesTo address, e.g. discovery's User URL.
    pub applies_to: &'a str,
    /// The user's SIP URI (the `uri` claim).
    pub sip_uri: &'a SipUri,
    /// Read `<url>/mex` first for the `WebTicketServiceWinNegotiate` address.
    pub use_mex: bool,
}

/// The web ticket with HTTP Negotiate/Kerberos: `source` is asked once for an AP-REQ for
/// `HTTP/<host of web_ticket_url>` ([`crate::negotiate::http_spn`]). `rng` supplies the RST
/// context and the client entropy.
pub async fn fetch_with_negotiate(
    driver: &WebTicketDriver,
    req: &NegotiateTicketRequest<'_>,
    source: Box<dyn KerberosTokenSource>,
    rng: &mut (dyn FnMut(&mut [u8]) + Send),
) -> Result<WebTicket, DriverError> {
    let host = HttpsUrl::parse(req.web_ticket_url)?.host;
    let request =
        RstRequest::new(req.sip_uri.clone(), req.applies_to, rng).map_err(WebTicketError::from)?;
    let auth = NegotiateHttpClient::new(source, &host);
    let config = WebTicketConfig {
        url: req.web_ticket_url.to_owned(),
        use_mex: req.use_mex,
        limits: XmlLimits::default(),
    };
    driver
        .run(WebTicketFlow::new(config, request, Box::new(auth)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u =
            HttpsUrl::parse("https://lyncweb.contoso.com/WebTicket/WebTicketService.svc").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            (
                "lyncweb.contoso.com",
                443,
                "/WebTicket/WebTicketService.svc"
            )
        );
        assert_eq!(u.host_header(), "lyncweb.contoso.com");
        let u = HttpsUrl::parse("HTTPS://[::1]:4443?x=1#f").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 4443, "/?x=1")
        );
        assert_eq!(u.host_header(), "[::1]:4443");
        for bad in [
            "http://a/",
            "https://",
            "https://u@a/",
            "https://a:0/",
            "https://a:x/",
            "https://a/ b",
            "https://[::1/",
            "https://[::1]x/",
        ] {
            assert!(HttpsUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
