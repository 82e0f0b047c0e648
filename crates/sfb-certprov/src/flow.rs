//! The sans-IO WebTicket exchange ([MS-OCAUTHWS] 3.1.4.1 over RFC 4559 HTTP authentication):
//! optional `GET <url>/mex`, an anonymous `POST` of the RST to learn the schemes, then the
//! connection-oriented NTLM handshake (`NEGOTIATE` → 401 with `CHALLENGE` → `AUTHENTICATE`),
//! and the RSTR. The caller carries each [`Output`] over ONE keep-alive connection (NTLM over
//! HTTP authenticates the connection) and feeds back a [`Response`].

use base64::prelude::{BASE64_STANDARD, Engine as _};

use crate::diagnostics::MsDiagnostics;
use crate::mex;
use crate::rst::{RstRequest, SOAP_ACTION_ISSUE};
use crate::rstr::{self, IssuedToken};
use crate::secret::{Entropy, ProofKey};
use crate::xml::XmlLimits;

mod error;

pub use error::{AuthClientError, MAX_ROUND_TRIPS, WebTicketError};

/// Longest authentication token accepted from the server (base64 text).
const MAX_TOKEN_B64: usize = 16 * 1024;

/// The client half of an HTTP authentication mechanism (NTLM: [`crate::ntlm`]; Kerberos in
/// SPNEGO: [`crate::negotiate`]; injected, so tests and other mechanisms can stand in).
/// Sans-IO: no network, no clock.
pub trait HttpAuthClient: Send {
    /// Returns the next token: the first (`None`) is the initial token (NTLM NEGOTIATE, or the
    /// Kerberos AP-REQ), then one per server token.
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Vec<u8>, AuthClientError>;

    /// The HTTP schemes this mechanism can be carried in, preferred first; the first one the
    /// service offers is used. NTLM by default: `NTLM`, then `Negotiate` (raw NTLM inside
    /// Negotiate, which IIS accepts).
    fn schemes(&self) -> &'static [AuthScheme] {
        &[AuthScheme::Ntlm, AuthScheme::Negotiate]
    }
}

/// An HTTP header list as sent or received (names compared case-insensitively).
pub type Headers = Vec<(String, String)>;

/// What the caller must do next.
#[derive(Debug)]
pub enum Output {
    /// Send a GET.
    Get {
        /// Absolute https URL.
        url: String,
        /// Request headers.
        headers: Headers,
    },
    /// Send a POST.
    Post {
        /// Absolute https URL.
        url: String,
        /// Request headers (Content-Type, SOAPAction, maybe Authorization).
        headers: Headers,
        /// The SOAP envelope.
        body: Vec<u8>,
    },
    /// The exchange is over: the ticket.
    Done(Box<WebTicket>),
}

/// A response, as the caller read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Headers,
    /// Response body.
    pub body: Vec<u8>,
}

/// The issued ticket and the proof key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebTicket {
    /// What the service returned.
    pub token: IssuedToken,
    /// The entropy this client sent.
    pub client_entropy: Entropy,
    /// `P_SHA1(client entropy, server entropy)`, when the service sent entropy.
    pub proof_key: Option<ProofKey>,
    /// The URL the ticket was obtained from (after mex).
    pub service_url: String,
}

/// HTTP authentication schemes this client speaks (RFC 4559).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `NTLM` (connection-oriented NTLM, [MS-NLMP]).
    Ntlm,
    /// `Negotiate` (RFC 4559: SPNEGO, carrying Kerberos or NTLM).
    Negotiate,
}

impl AuthScheme {
    /// The scheme name as written in `WWW-Authenticate` / `Authorization`.
    pub fn name(self) -> &'static str {
        match self {
            AuthScheme::Ntlm => "NTLM",
            AuthScheme::Negotiate => "Negotiate",
        }
    }
}

enum State {
    Start,
    Mex,
    Anonymous,
    Negotiate(AuthScheme),
    Authenticate,
    Done,
}

/// Settings of one exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebTicketConfig {
    /// The web ticket service URL (from `X-MS-WebTicketURL`).
    pub url: String,
    /// First read `<url>/mex` for the `WebTicketServiceWinNegotiate` port address.
    pub use_mex: bool,
    /// Limits for the XML answers.
    pub limits: XmlLimits,
}

/// The exchange state machine.
pub struct WebTicketFlow {
    config: WebTicketConfig,
    request: RstRequest,
    auth: Box<dyn HttpAuthClient>,
    post_url: String,
    state: State,
    round_trips: usize,
}

impl std::fmt::Debug for WebTicketFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebTicketFlow")
            .field("config", &self.config)
            .field("post_url", &self.post_url)
            .field("round_trips", &self.round_trips)
            .finish_non_exhaustive()
    }
}

/// The first header value named `name` (case-insensitive).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Every `WWW-Authenticate` challenge as (scheme, optional token).
fn challenges(headers: &[(String, String)]) -> Vec<(String, Option<String>)> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .flat_map(|(_, v)| v.split(','))
        .take(32)
        .filter_map(|c| {
            let c = c.trim();
            let mut parts = c.splitn(2, ' ');
            let scheme = parts.next().filter(|s| !s.is_empty())?;
            let token = parts
                .next()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty());
            Some((scheme.to_owned(), token))
        })
        .collect()
}

fn diagnostics(headers: &[(String, String)]) -> Option<Box<MsDiagnostics>> {
    header(headers, "x-ms-diagnostics")
        .and_then(|v| MsDiagnostics::parse(v).ok())
        .map(Box::new)
}

impl WebTicketFlow {
    /// A new exchange for `request`, authenticating with `auth`.
    pub fn new(
        config: WebTicketConfig,
        request: RstRequest,
        auth: Box<dyn HttpAuthClient>,
    ) -> Self {
        let post_url = config.url.clone();
        WebTicketFlow {
            config,
            request,
            auth,
            post_url,
            state: State::Start,
            round_trips: 0,
        }
    }

    /// The first request.
    pub fn start(&mut self) -> Result<Output, WebTicketError> {
        if self.config.use_mex {
            self.state = State::Mex;
            let url = format!("{}/mex", self.config.url.trim_end_matches('/'));
            return self.count(Output::Get {
                url,
                headers: Vec::new(),
            });
        }
        self.state = State::Anonymous;
        self.post(None)
    }

    fn count(&mut self, out: Output) -> Result<Output, WebTicketError> {
        self.round_trips += 1;
        if self.round_trips > MAX_ROUND_TRIPS {
            return Err(WebTicketError::TooManyRoundTrips);
        }
        Ok(out)
    }

    fn post(&mut self, authorization: Option<String>) -> Result<Output, WebTicketError> {
        let mut headers = vec![
            (
                "Content-Type".to_owned(),
                "text/xml; charset=utf-8".to_owned(),
            ),
            ("SOAPAction".to_owned(), SOAP_ACTION_ISSUE.to_owned()),
        ];
        if let Some(a) = authorization {
            headers.push(("Authorization".to_owned(), a));
        }
        let out = Output::Post {
            url: self.post_url.clone(),
            headers,
            body: self.request.to_xml(),
        };
        self.count(out)
    }

    fn done(&mut self, r: &Response) -> Result<Output, WebTicketError> {
        self.state = State::Done;
        let token = rstr::parse_rstr(&r.body, &self.config.limits)?;
        let proof_key = token.proof_key(&self.request.client_entropy);
        Ok(Output::Done(Box::new(WebTicket {
            token,
            client_entropy: self.request.client_entropy.clone(),
            proof_key,
            service_url: self.post_url.clone(),
        })))
    }

    fn failure(&self, r: &Response) -> WebTicketError {
        WebTicketError::HttpStatus {
            status: r.status,
            diagnostics: diagnostics(&r.headers),
            fault: rstr::parse_fault(&r.body, &self.config.limits).map(Box::new),
        }
    }

    /// Feeds the response to the last request.
    pub fn handle(&mut self, r: Response) -> Result<Output, WebTicketError> {
        let result = self.step(&r);
        if result.is_err() {
            self.state = State::Done;
        }
        result
    }

    fn step(&mut self, r: &Response) -> Result<Output, WebTicketError> {
        match self.state {
            State::Start => self.start(),
            State::Done => Err(WebTicketError::Finished),
            State::Mex => {
                if r.status != 200 {
                    return Err(WebTicketError::MexStatus { status: r.status });
                }
                self.post_url =
                    mex::port_location(&r.body, mex::PORT_WIN_NEGOTIATE, &self.config.limits)?;
                self.state = State::Anonymous;
                self.post(None)
            }
            State::Anonymous => match r.status {
                200 => self.done(r),
                401 => {
                    let offered = challenges(&r.headers);
                    let has =
                        |name: &str| offered.iter().any(|(s, _)| s.eq_ignore_ascii_case(name));
                    let wanted = self.auth.schemes();
                    let scheme = if let Some(s) = wanted.iter().find(|s| has(s.name())) {
                        *s
                    } else {
                        let names: Vec<&str> = offered.iter().map(|(s, _)| s.as_str()).collect();
                        let mut offered = names.join(", ");
                        offered.truncate(256);
                        return Err(WebTicketError::NoSupportedScheme { offered });
                    };
                    let token = self.auth.step(None)?;
                    self.state = State::Negotiate(scheme);
                    self.post(Some(format!(
                        "{} {}",
                        scheme.name(),
                        BASE64_STANDARD.encode(token)
                    )))
                }
                _ => Err(self.failure(r)),
            },
            State::Negotiate(scheme) => match r.status {
                // A one-leg mechanism (Kerberos: the AP-REQ alone authenticates) is accepted at
                // once. A mutual-authentication token in the 200's `WWW-Authenticate` is not
                // checked: the service was authenticated by its TLS certificate.
                200 => self.done(r),
                401 => {
                    let token = challenges(&r.headers)
                        .into_iter()
                        .find(|(s, t)| s.eq_ignore_ascii_case(scheme.name()) && t.is_some())
                        .and_then(|(_, t)| t);
                    let token = match token {
                        Some(t) => t,
                        // RFC 4559 §5: a bare `Negotiate` answering a token rejects it.
                        None if scheme == AuthScheme::Negotiate => {
                            return Err(WebTicketError::Refused {
                                status: r.status,
                                diagnostics: diagnostics(&r.headers),
                            });
                        }
                        None => {
                            return Err(WebTicketError::NoChallenge {
                                status: r.status,
                                diagnostics: diagnostics(&r.headers),
                            });
                        }
                    };
                    if token.len() > MAX_TOKEN_B64 {
                        return Err(WebTicketError::BadToken);
                    }
                    let challenge = BASE64_STANDARD
                        .decode(token)
                        .map_err(|_| WebTicketError::BadToken)?;
                    let answer = self.auth.step(Some(&challenge))?;
                    self.state = State::Authenticate;
                    self.post(Some(format!(
                        "{} {}",
                        scheme.name(),
                        BASE64_STANDARD.encode(answer)
                    )))
                }
                _ => Err(self.failure(r)),
            },
            State::Authenticate => match r.status {
                200 => self.done(r),
                401 | 403 => Err(WebTicketError::Refused {
                    status: r.status,
                    diagnostics: diagnostics(&r.headers),
                }),
                _ => Err(self.failure(r)),
            },
        }
    }
}

#[cfg(test)]
mod tests;
