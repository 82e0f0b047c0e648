//! What the walker reports: the verdict, the SIP access points, and the evidence of every
//! HTTP exchange. Everything serialises to snake_case JSON.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

use super::challenge::UserChallenge;
use super::document::{AccessKind, AccessLocation, DocumentError, Link, ResourceKind, SipAccess};
use super::url::{HostName, HttpUrl, UrlError};

/// Identifies one HTTP request the walker asked for; the response must carry it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RequestId(pub u32);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Why a request was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestPurpose {
    /// `GET /?sipuri=..` on `lyncdiscoverinternal.<domain>` or `lyncdiscover.<domain>`.
    FirstHop,
    /// Following a `Redirect` link.
    Redirect,
    /// Following the Root's `User` link.
    User,
    /// Repeating the User request with `X-MS-WebTicket`.
    UserWithWebTicket,
}

/// How the driver failed to get a response. Each variant names one fault.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HttpFailure {
    /// The host name does not resolve (NXDOMAIN or no address).
    #[error("host name does not resolve")]
    NameNotResolved,
    /// TCP connection refused, reset or unreachable.
    #[error("connection failed: {detail}")]
    ConnectionFailed {
        /// What the driver saw.
        detail: String,
    },
    /// The TLS handshake or certificate validation failed.
    #[error("tls failed: {detail}")]
    TlsFailed {
        /// What the driver saw (for example the certificate name mismatch).
        detail: String,
    },
    /// No complete response within the driver's deadline.
    #[error("timed out")]
    TimedOut,
    /// The response was not valid HTTP/1.1.
    #[error("invalid http response: {detail}")]
    InvalidResponse {
        /// What was wrong.
        detail: String,
    },
    /// The body exceeded the size the driver was told to read.
    #[error("response body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
}

/// Why one autodiscover chain stopped. Each variant names one fault.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AutodiscoverFault {
    /// The driver got no response.
    #[error("{url}: {error}")]
    Transport {
        /// The URL requested.
        url: HttpUrl,
        /// What failed.
        error: HttpFailure,
    },
    /// A status other than 200 (or 401 on the User resource).
    #[error("{url}: unexpected http status {status}")]
    UnexpectedStatus {
        /// The URL requested.
        url: HttpUrl,
        /// The status.
        status: u16,
    },
    /// A 200 whose content type is not an autodiscover document (captive portal, default page).
    #[error("{url}: content type {content_type:?} is not an autodiscover document")]
    NotAutodiscover {
        /// The URL requested.
        url: HttpUrl,
        /// The content type received, if any.
        content_type: Option<String>,
    },
    /// The document was rejected.
    #[error("{url}: {error}")]
    InvalidDocument {
        /// The URL requested.
        url: HttpUrl,
        /// Why.
        error: DocumentError,
    },
    /// A link the walker must follow has an unusable `href`.
    #[error("{token} link {href:?}: {error}")]
    InvalidHref {
        /// The link token.
        token: String,
        /// The href (truncated to 256 characters).
        href: String,
        /// Why it was rejected.
        error: UrlError,
    },
    /// A redirect leads back to a URL already requested.
    #[error("redirect loop back to {url}")]
    RedirectLoop {
        /// The URL seen twice.
        url: HttpUrl,
    },
    /// More `Redirect` links than the configured limit.
    #[error("more than {limit} redirects")]
    TooManyRedirects {
        /// The limit.
        limit: usize,
    },
    /// A Root resource with neither `Redirect` nor `User` link ([MS-OCDISCWS] 3.1.5.2 requires one).
    #[error("{url}: root has neither a Redirect nor a User link")]
    RootWithoutUserLink {
        /// The URL of the Root.
        url: HttpUrl,
    },
    /// A User resource without any SIP access element.
    #[error("{url}: user document has no sip access element")]
    UserWithoutSipAccess {
        /// The URL of the User resource.
        url: HttpUrl,
    },
    /// A document of a kind the walker did not ask for (a Domain instead of a Root or User).
    #[error("{url}: unexpected {resource:?} resource")]
    UnexpectedResource {
        /// The URL requested.
        url: HttpUrl,
        /// What came back.
        resource: ResourceKind,
    },
    /// The User resource still answered 401 with the web ticket.
    #[error("{url}: web ticket rejected with status {status}")]
    WebTicketRejected {
        /// The User URL.
        url: HttpUrl,
        /// The status.
        status: u16,
    },
    /// The User resource is on plain HTTP: a web ticket is never sent in clear text.
    #[error("{url}: refusing to send a web ticket over plain http")]
    WebTicketOverHttp {
        /// The User URL.
        url: HttpUrl,
    },
    /// The User resource answered 401 with no challenge this crate can answer.
    #[error("{url}: user resource needs an authentication scheme that is not supported")]
    UnsupportedChallenge {
        /// The User URL.
        url: HttpUrl,
        /// The challenge as read.
        challenge: UserChallenge,
    },
}

/// The outcome of one HTTP exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExchangeOutcome {
    /// No response yet (only seen while the walk runs).
    Pending,
    /// An autodiscover document was read.
    Document {
        /// Its resource.
        resource: ResourceKind,
        /// Its `Redirect` target, if any.
        redirect: Option<String>,
        /// Number of links.
        links: usize,
        /// Number of SIP access elements.
        sip_access: usize,
    },
    /// The User resource asked for authentication.
    AuthenticationRequired {
        /// What it asked for.
        challenge: UserChallenge,
    },
    /// The exchange failed.
    Failed {
        /// Why.
        fault: AutodiscoverFault,
    },
    /// A parallel first-hop request answered after the walk had moved on; not examined.
    NotUsed,
}

/// Evidence of one HTTP exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpExchange {
    /// The request id.
    pub id: RequestId,
    /// Why it was made.
    pub purpose: RequestPurpose,
    /// The URL requested.
    pub url: HttpUrl,
    /// For HTTPS, the name the server certificate must match (the name queried, never a CNAME
    /// target).
    pub tls_name: Option<HostName>,
    /// The `Accept` sent.
    pub accept: String,
    /// Whether `X-MS-WebTicket` was sent (its value is never recorded).
    pub sent_web_ticket: bool,
    /// The HTTP status, when a response came.
    pub status: Option<u16>,
    /// The `Content-Type`, when present (truncated to 128 characters).
    pub content_type: Option<String>,
    /// Time from request to complete response or failure, as measured by the driver.
    pub duration_ms: Option<u64>,
    /// The start of the response body (lossy UTF-8, `AutodiscoverConfig::evidence_body_bytes`).
    pub body: Option<String>,
    /// Whether `body` was cut short.
    pub body_truncated: bool,
    /// What the walker made of it.
    pub outcome: ExchangeOutcome,
}

/// Something worth telling an administrator that did not stop discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// The first hop answered only over HTTP (HTTPS failed or was not published).
    HttpOnly {
        /// The host queried.
        host: HostName,
    },
    /// An HTTP Root answered with something else than a single Redirect ([MS-OCDISCWS] 3.1.5.2).
    HttpRootWithoutRedirect {
        /// The URL.
        url: HttpUrl,
    },
    /// A Redirect leads to a plain HTTP URL.
    RedirectToHttp {
        /// The target.
        url: HttpUrl,
    },
    /// A SIP access FQDN is not the SIP domain or under it: Lync 2010+ clients ask the user
    /// whether to trust it (protocol.md §1.3, trust model), unless the domain is in
    /// `TrustModelData`.
    SipServerOutsideDomain {
        /// Which element.
        element: AccessKind,
        /// The FQDN.
        fqdn: HostName,
    },
}

/// The verdict of the autodiscover step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// A User document with SIP access points was read.
    Found,
    /// Autodiscover answered, but the User document needs a web ticket and none was available;
    /// the discovery plan continues with SRV records. Never a pass.
    SkippedNeedsWebTicket {
        /// The User resource.
        user_url: HttpUrl,
        /// What its 401 asked for.
        challenge: UserChallenge,
    },
    /// No autodiscover service answered on any first-hop name.
    NotFound {
        /// The last fault seen, if any.
        last_error: Option<AutodiscoverFault>,
    },
    /// An autodiscover service answered, but every chain failed.
    Error {
        /// The first chain's fault.
        cause: AutodiscoverFault,
    },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Found => f.write_str("found"),
            Verdict::SkippedNeedsWebTicket { .. } => {
                f.write_str("skipped: the User document needs a web ticket")
            }
            Verdict::NotFound { last_error: None } => f.write_str("not found"),
            Verdict::NotFound {
                last_error: Some(e),
            } => write!(f, "not found: {e}"),
            Verdict::Error { cause } => write!(f, "error: {cause}"),
        }
    }
}

/// Everything the autodiscover step found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutodiscoverResult {
    /// The SIP address looked up (`user@domain`).
    pub sip_address: String,
    /// The verdict.
    pub verdict: Verdict,
    /// `AccessLocation` of the last document read.
    pub access_location: Option<AccessLocation>,
    /// The SIP access points of the User document (empty unless found).
    pub sip_access: Vec<SipAccess>,
    /// Links of the last document read (User when found, else the last Root).
    pub links: Vec<Link>,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
    /// Every HTTP exchange, in request order.
    pub evidence: Vec<HttpExchange>,
}

impl AutodiscoverResult {
    /// The first recorded link with this token, ignoring ASCII case (`External/Ucwa`,
    /// `Internal/AuthBroker`, `OAuth`, ...).
    pub fn link(&self, token: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.is(token))
    }

    /// The endpoints a desktop client connects to, in order: `SipClientInternalAccess` then
    /// `SipClientExternalAccess`; `AccessLocation` keeps only the matching one, unless the
    /// document lacks it, in which case the other is offered rather than nothing
    /// (`SipServer*Access` is reserved and never used by clients).
    pub fn client_endpoints(&self) -> Vec<&SipAccess> {
        let find = |kind| self.sip_access.iter().find(|a| a.kind == kind);
        let internal = find(AccessKind::ClientInternal);
        let external = find(AccessKind::ClientExternal);
        match self.access_location {
            Some(AccessLocation::Internal) => internal.or(external).into_iter().collect(),
            Some(AccessLocation::External) => external.or(internal).into_iter().collect(),
            None => internal.into_iter().chain(external).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(location: Option<AccessLocation>, kinds: &[AccessKind]) -> AutodiscoverResult {
        AutodiscoverResult {
            sip_address: "a@contoso.com".into(),
            verdict: Verdict::Found,
            access_location: location,
            sip_access: kinds
                .iter()
                .map(|k| SipAccess {
                    kind: *k,
                    fqdn: HostName::parse(k.element()).unwrap(),
                    port: 443,
                })
                .collect(),
            links: Vec::new(),
            warnings: Vec::new(),
            evidence: Vec::new(),
        }
    }

    fn kinds(r: &AutodiscoverResult) -> Vec<AccessKind> {
        r.client_endpoints().iter().map(|a| a.kind).collect()
    }

    #[test]
    fn client_endpoint_choice() {
        use AccessKind::*;
        let all = [
            ServerInternal,
            ClientInternal,
            ServerExternal,
            ClientExternal,
        ];
        assert_eq!(kinds(&result(None, &all)), [ClientInternal, ClientExternal]);
        assert_eq!(
            kinds(&result(Some(AccessLocation::Internal), &all)),
            [ClientInternal]
        );
        assert_eq!(
            kinds(&result(Some(AccessLocation::External), &all)),
            [ClientExternal]
        );
        assert_eq!(
            kinds(&result(Some(AccessLocation::External), &[ClientInternal])),
            [ClientInternal]
        );
        assert!(kinds(&result(None, &[ServerInternal, ServerExternal])).is_empty());
    }
}
